//! `rollcall licenses todo|mark|list|seats`: the license worklist (see [`crate::licenses`]).

use anyhow::Result;
use serde_json::json;

use super::Ctx;
use crate::cli::{
    LicensesCommand, LicensesListArgs, LicensesMarkArgs, LicensesSeatsArgs, LicensesTodoArgs,
    ListFormat,
};
use crate::error::Failure;
use crate::licenses::{self, Action};
use crate::output::{self, Grid};
use crate::read::ReadRequest;
use crate::store::Store;

pub(super) fn run(ctx: &Ctx, c: LicensesCommand) -> Result<()> {
    match c {
        LicensesCommand::Todo(a) => todo(ctx, a),
        LicensesCommand::Mark(a) => mark(ctx, a),
        LicensesCommand::List(a) => list(ctx, a),
        LicensesCommand::Seats(a) => seats(ctx, a),
    }
}

/// The rows of one kind, without the `kind` column (tables and JSON say it by their place).
fn of_kind(g: &Grid, kind: &str) -> Grid {
    Grid {
        headers: g.headers[1..].to_vec(),
        rows: g
            .rows
            .iter()
            .filter(|r| r[0].text() == kind)
            .map(|r| r[1..].to_vec())
            .collect(),
    }
}

fn todo(ctx: &Ctx, a: LicensesTodoArgs) -> Result<()> {
    let days = licenses::parse_days(&a.reclaim_after)
        .map_err(|e| Failure::Usage(format!("--reclaim-after {e}")))?;
    let (reader, filters) = ctx.filtered(&a.filters)?;
    let g = reader.license_todo(&filters, days)?;
    let scope = reader.scope();
    let (assign, reclaim) = (of_kind(&g, "assign"), of_kind(&g, "reclaim"));
    let line = format!(
        "{} to assign, {} to reclaim (unused for more than {days} days or never) · {} · as of {} UTC · snapshot {}",
        assign.rows.len(),
        reclaim.rows.len(),
        filters.describe(),
        scope.as_of.format("%Y-%m-%d %H:%M"),
        scope.snapshot.id
    );
    let out = a.output.as_deref();
    match a.format {
        ListFormat::Table => {
            let width = output::width_for(out);
            let mut text = format!("To assign ({})\n", assign.rows.len());
            if !assign.rows.is_empty() {
                text.push_str(&output::table(&assign, width));
            }
            text.push_str(&format!("\nTo reclaim ({})\n", reclaim.rows.len()));
            if !reclaim.rows.is_empty() {
                text.push_str(&output::table(&reclaim, width));
            }
            super::emit(out, &format!("{text}\n{line}\n"))
        }
        ListFormat::Csv => {
            note!("{line}");
            super::emit(out, &output::csv_string(&g, false)?)
        }
        ListFormat::Json => {
            let doc = json!({
                "snapshot": scope.snapshot.id,
                "as_of": crate::util::iso(&scope.as_of),
                "filters": filters.describe(),
                "reclaim_after_days": days,
                "assign": output::json_rows(&assign),
                "reclaim": output::json_rows(&reclaim),
            });
            super::emit(out, &(serde_json::to_string_pretty(&doc)? + "\n"))
        }
    }
}

fn mark(ctx: &Ctx, a: LicensesMarkArgs) -> Result<()> {
    let action = if a.assign {
        Action::Assign
    } else {
        Action::Reclaim
    };
    let wait =
        crate::bounds::parse_wait(&a.wait).map_err(|e| Failure::Usage(format!("--wait {e}")))?;
    let reader = ctx.reader(&ReadRequest {
        snapshot: a.snapshot,
        ..ReadRequest::default()
    })?;
    let marks = reader.plan_marks(&a.emails, action, a.note.as_deref(), crate::remind::now()?)?;
    let snapshot = reader.scope().snapshot.id;
    // The reader lets go first: the writer needs the file to itself.
    drop(reader);
    let store = open_writer(ctx, wait)?;
    store.record_marks(&marks)?;
    drop(store);
    let mut text = String::new();
    for m in &marks {
        text.push_str(&format!(
            "marked {} {} (open until a snapshot after {snapshot} shows it)\n",
            action.name(),
            m.email
        ));
    }
    super::emit(None, &text)
}

fn open_writer(ctx: &Ctx, wait: std::time::Duration) -> Result<crate::store::Writer> {
    Store::open_writer(&ctx.db, ctx.sql.clone(), wait, &mut |pid| {
        let who = pid.map(|p| format!(" (PID {p})")).unwrap_or_default();
        note!("waiting for another process{who} to close the database");
    })
}

fn list(ctx: &Ctx, a: LicensesListArgs) -> Result<()> {
    let reader = ctx.reader(&ReadRequest::default())?;
    let mut g = reader.license_decisions()?;
    // email_key is for joining, not for reading.
    if let Some(i) = g.headers.iter().position(|h| h == "email_key") {
        g.headers.remove(i);
        for r in &mut g.rows {
            r.remove(i);
        }
    }
    let out = a.output.as_deref();
    match a.format {
        ListFormat::Table => {
            let width = output::width_for(out);
            let state = g.headers.iter().position(|h| h == "state");
            let open = g
                .rows
                .iter()
                .filter(|r| state.is_some_and(|i| r[i].text() == "open"))
                .count();
            let text = if g.rows.is_empty() {
                "no decisions yet: `rollcall licenses mark EMAIL --assign|--reclaim` records one\n"
                    .to_string()
            } else {
                format!(
                    "{}{} decisions, {open} open\n",
                    output::table(&g, width),
                    g.rows.len()
                )
            };
            super::emit(out, &text)
        }
        ListFormat::Csv => super::emit(out, &output::csv_string(&g, false)?),
        ListFormat::Json => super::emit(
            out,
            &(serde_json::to_string_pretty(&output::json_rows(&g))? + "\n"),
        ),
    }
}

fn seats(ctx: &Ctx, a: LicensesSeatsArgs) -> Result<()> {
    let wait =
        crate::bounds::parse_wait(&a.wait).map_err(|e| Failure::Usage(format!("--wait {e}")))?;
    let store = open_writer(ctx, wait)?;
    let snapshot = store.snapshot(a.snapshot)?;
    store.set_seats(snapshot.id, a.seats, crate::remind::now()?)?;
    drop(store);
    super::emit(
        None,
        &format!("recorded {} seats for snapshot {}\n", a.seats, snapshot.id),
    )
}
