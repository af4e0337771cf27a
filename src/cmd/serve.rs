//! `rollcall serve`: the report and the read API on 127.0.0.1, for previewing.

use anyhow::Result;

use super::Ctx;
use crate::cli::ServeArgs;
use crate::report::Templates;
use crate::server::{self, ServerConfig};

pub(super) fn run(ctx: &Ctx, a: ServeArgs) -> Result<()> {
    let templates = Templates::new(a.templates.clone())?;
    // Fail before listening if the database or filters are wrong.
    let (reader, _) = ctx.filtered(&a.filters)?;
    drop(reader);
    let f = &a.filters;
    server::serve(ServerConfig {
        db: ctx.db.clone(),
        sql: ctx.sql.clone(),
        templates,
        request: super::request(f.snapshot, f.as_of.as_deref(), f.window_days)?,
        scope: super::filter_pairs(f)
            .into_iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
        title: a.title.clone(),
        port: a.port,
    })
}
