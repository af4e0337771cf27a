//! `rollcall serve`: the report and the read API on 127.0.0.1, for previewing.

use anyhow::Result;

use super::Ctx;
use crate::cli::ServeArgs;
use crate::report::Templates;
use crate::server::{self, ServerConfig};

pub fn run(ctx: &Ctx, a: ServeArgs) -> Result<()> {
    let templates = Templates::new(a.templates.clone())?;
    // Fail before listening if the database or filters are wrong.
    let _ = super::read::open_filtered(ctx, &a.filters)?;
    server::serve(ServerConfig {
        db: ctx.db.clone(),
        sql: ctx.sql.clone(),
        templates,
        filters: a.filters.clone(),
        title: a.title.clone(),
        port: a.port,
    })
}
