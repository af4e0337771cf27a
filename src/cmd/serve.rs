//! `rollcall serve`: the console's pages and the JSON API over HTTP (see `server`).

use anyhow::Result;

use super::Ctx;
use crate::cli::ServeArgs;
use crate::error::Failure;
use crate::report::Templates;
use crate::server::{self, ServerConfig};

pub(super) fn run(ctx: &Ctx, a: ServeArgs) -> Result<()> {
    let templates = Templates::new(a.templates.clone())?;
    let query_timeout = crate::bounds::parse_duration(&a.query_timeout)
        .map_err(|e| Failure::Usage(format!("--query-timeout {e}")))?;
    let cache = match a.cache.trim() {
        "0" => 0,
        size => {
            crate::util::parse_size(size).map_err(|e| Failure::Usage(format!("--cache {e}")))?
        }
    };
    let memory_limit = crate::util::parse_size(&a.memory_limit)
        .map_err(|e| Failure::Usage(format!("--memory-limit {e}")))?;
    let actions = server::Actions {
        composer: crate::remind::Composer::new(&templates, &a.sender.org, &a.sender.from)?,
        delivery: match super::remind::delivery(&a.delivery)? {
            // Said in every answer, and the same whatever the server's folder later is.
            crate::remind::Delivery::Outbox(dir) if dir.is_relative() => {
                crate::remind::Delivery::Outbox(std::env::current_dir()?.join(dir))
            }
            other => other,
        },
        send: crate::remind::SendOptions {
            min_interval: crate::bounds::parse_wait(&a.min_interval)
                .map_err(|e| Failure::Usage(format!("--min-interval {e}")))?,
            interval_text: a.min_interval.trim().to_string(),
            force: false,
        },
    };
    if actions.delivery.exposes_password() {
        note!("warning: --smtp-tls: the SMTP password may cross the network unencrypted");
    }
    // Fail before listening if the database or filters are wrong.
    let (reader, filters) = ctx.filtered(&a.filters)?;
    drop(reader);
    let f = &a.filters;
    let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
    server::serve(ServerConfig {
        db: ctx.db.clone(),
        sql: ctx.sql.clone(),
        templates,
        request: super::request(f.snapshot, f.as_of.as_deref(), f.window_days)?,
        filters,
        title: a.title.clone(),
        bind: a.bind,
        port: a.port,
        open: a.open,
        workers: a.workers.map_or((2 * cores).max(4), usize::from),
        query_timeout,
        cache_bytes: usize::try_from(cache).unwrap_or(usize::MAX),
        memory_limit,
        actions,
        seats: super::seats_setting(ctx, a.seats),
    })
}
