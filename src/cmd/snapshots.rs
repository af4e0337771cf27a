//! `rollcall snapshots` and `rollcall rejects`: what is in the database, and what was refused.

use anyhow::Result;

use super::Ctx;
use crate::cli::{ListArgs, ListFormat, RejectsArgs};
use crate::output::{self, Cell, Grid};
use crate::read::ReadRequest;

pub(super) fn list(ctx: &Ctx, a: ListArgs) -> Result<()> {
    let snaps = crate::read::snapshots(&ctx.db, &ctx.sql)?;
    let grid = Grid {
        headers: [
            "id",
            "label",
            "as_of",
            "ingested_at",
            "users",
            "devices",
            "rejected",
        ]
        .map(String::from)
        .to_vec(),
        rows: snaps
            .iter()
            .map(|s| {
                vec![
                    Cell::Int(s.id),
                    s.label.clone().map_or(Cell::Null, Cell::Text),
                    Cell::Time(s.as_of),
                    Cell::Time(s.ingested_at),
                    Cell::Int(s.users),
                    Cell::Int(s.devices),
                    Cell::Int(s.rejected),
                ]
            })
            .collect(),
    };
    print_grid(&grid, a.format, "snapshot", false)
}

pub(super) fn rejects(ctx: &Ctx, a: RejectsArgs) -> Result<()> {
    let reader = ctx.reader(&ReadRequest {
        snapshot: a.snapshot,
        ..ReadRequest::default()
    })?;
    let rejects = reader.rejects()?;
    let grid = Grid {
        headers: ["file", "line", "column", "reason", "detail", "raw"]
            .map(String::from)
            .to_vec(),
        rows: rejects
            .iter()
            .map(|r| {
                vec![
                    Cell::Text(r.file.clone()),
                    Cell::Int(r.line as i64),
                    r.column.clone().map_or(Cell::Null, Cell::Text),
                    Cell::Text(r.reason.clone()),
                    Cell::Text(r.detail.clone()),
                    Cell::Text(r.raw.clone()),
                ]
            })
            .collect(),
    };
    print_grid(&grid, a.format, "rejected row", false)?;
    if a.format == ListFormat::Table {
        note!("snapshot {}", reader.scope().snapshot.id);
    }
    Ok(())
}

/// Prints a grid in the chosen format; tables end with a count line. CSV guards text cells
/// against formula injection unless `raw`.
pub(super) fn print_grid(grid: &Grid, format: ListFormat, noun: &str, raw: bool) -> Result<()> {
    let text = match format {
        ListFormat::Table => {
            let n = grid.rows.len();
            format!(
                "{}{} {noun}{}\n",
                output::table(grid, output::terminal_width()),
                crate::util::thousands(n as u64),
                if n == 1 { "" } else { "s" }
            )
        }
        ListFormat::Csv => output::csv_string(grid, raw)?,
        ListFormat::Json => serde_json::to_string_pretty(&output::json_rows(grid))? + "\n",
    };
    super::emit(None, &text)
}
