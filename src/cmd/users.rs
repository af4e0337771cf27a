//! `rollcall users`: the console's users list in the terminal, or as CSV, JSON or NDJSON.

use anyhow::Result;

use super::Ctx;
use crate::cli::{UsersArgs, UsersFormat};
use crate::domain::{FilterSet, DEFAULT_COLUMNS};
use crate::model::Scope;
use crate::output;
use crate::read::{self, Listing, Page, Sort};
use crate::util::thousands;

pub(super) fn run(ctx: &Ctx, a: UsersArgs) -> Result<()> {
    let (reader, filters) = ctx.filtered(&a.filters)?;
    let listing = Listing {
        columns: read::resolve_columns(&a.columns, DEFAULT_COLUMNS)?,
        sort: Sort::parse(a.sort.as_deref())?,
        filters,
    };
    let page = reader.page(&listing, a.limit, a.offset)?;
    let scope = reader.scope();
    let line = count_line(&page, scope, &listing.filters);
    let out = a.output.as_deref();
    match a.format {
        UsersFormat::Table => {
            let width = output::width_for(out);
            super::emit(
                out,
                &format!("{}{line}\n", output::table(&page.grid, width)),
            )
        }
        UsersFormat::Csv => {
            note!("{line}");
            super::emit(out, &output::csv_string(&page.grid, false)?)
        }
        UsersFormat::Json => super::emit(
            out,
            &(serde_json::to_string_pretty(&read::users_json(&page, scope, &listing))? + "\n"),
        ),
        UsersFormat::Ndjson => {
            note!("{line}");
            let rows = output::json_rows(&page.grid);
            let mut text = String::new();
            for r in rows.as_array().into_iter().flatten() {
                text.push_str(&serde_json::to_string(r)?);
                text.push('\n');
            }
            super::emit(out, &text)
        }
    }
}

/// "37 of 2,340 users · status=pending, activity=never · as of 2026-11-26 12:00 UTC · snapshot 3"
fn count_line(page: &Page, scope: &Scope, filters: &FilterSet) -> String {
    let shown = page.grid.rows.len() as u64;
    let paging = if page.offset > 0 || (page.limit.is_some() && shown < page.matches) {
        if shown == 0 {
            format!("none shown (offset {}) · ", thousands(page.offset))
        } else {
            format!(
                "showing {}–{} · ",
                thousands(page.offset + 1),
                thousands(page.offset + shown)
            )
        }
    } else {
        String::new()
    };
    format!(
        "{paging}{} of {} users · {} · as of {} UTC · snapshot {}",
        thousands(page.matches),
        thousands(page.total),
        filters.describe(),
        scope.as_of.format("%Y-%m-%d %H:%M"),
        scope.snapshot.id
    )
}
