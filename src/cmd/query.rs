//! `rollcall query`: ad-hoc and saved SQL over the documented views, on a read-only connection.

use anyhow::{Context, Result};

use super::snapshots::print_grid;
use super::Ctx;
use crate::cli::QueryArgs;
use crate::error::Failure;
use crate::output::{Cell, Grid};
use crate::read::Reader;

pub(super) fn run(ctx: &Ctx, a: QueryArgs) -> Result<()> {
    if a.list {
        let saved = ctx.sql.saved()?;
        let grid = Grid {
            headers: ["name", "description", "source"].map(String::from).to_vec(),
            rows: saved
                .values()
                .map(|q| {
                    vec![
                        Cell::Text(q.name.clone()),
                        Cell::Text(q.description()),
                        Cell::Text(q.origin.clone()),
                    ]
                })
                .collect(),
        };
        return print_grid(&grid, a.format, "saved query", a.raw);
    }
    let (sql, origin) = if let Some(text) = &a.sql {
        (text.clone(), "query".to_string())
    } else if let Some(file) = &a.file {
        (
            std::fs::read_to_string(file).with_context(|| format!("--file {}", file.display()))?,
            file.display().to_string(),
        )
    } else if let Some(name) = &a.saved {
        let saved = ctx.sql.saved()?;
        let q = saved.get(name).ok_or_else(|| {
            Failure::Usage(format!(
                "--saved {name}: no such saved query (have: {})",
                saved.keys().cloned().collect::<Vec<_>>().join(", ")
            ))
        })?;
        (q.sql.clone(), format!("saved query {name}"))
    } else {
        unreachable!("clap requires one source")
    };
    let request = super::request(a.snapshot, a.as_of.as_deref(), a.window_days)?;
    let reader = Reader::open_for_query(&ctx.db, &ctx.sql, &request)?;
    let statement = sql.trim().trim_end_matches(';').trim();
    let grid = reader.adhoc(statement).map_err(|e| explain(e, &origin))?;
    print_grid(&grid, a.format, "row", a.raw)
}

/// One line: refused writes say so plainly; other DuckDB errors keep their position.
fn explain(e: anyhow::Error, origin: &str) -> anyhow::Error {
    let msg = format!("{e:#}");
    if msg.contains("read-only mode") || msg.contains("read-only") {
        return Failure::Usage(format!(
            "{origin}: refused: rollcall query is read-only and the database was not changed ({msg})"
        ))
        .into();
    }
    Failure::Usage(format!("{origin}: {msg}")).into()
}
