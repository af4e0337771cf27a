//! `rollcall ingest`: read and check the exports, then file them as one snapshot.

use std::collections::BTreeMap;

use anyhow::Result;
use chrono::Utc;

use super::Ctx;
use crate::cli::IngestArgs;
use crate::error::Failure;
use crate::ingest::{parse, IngestOptions, Parsed, NEAR_MISS};
use crate::model::Reject;
use crate::store::Store;
use crate::util::thousands;

pub(super) fn run(ctx: &Ctx, a: IngestArgs) -> Result<()> {
    let as_of = match &a.as_of {
        Some(t) => super::parse_instant("--as-of", t)?,
        None => Utc::now(),
    };
    let wait =
        crate::bounds::parse_wait(&a.wait).map_err(|e| Failure::Usage(format!("--wait {e}")))?;
    let timer = crate::util::Timer::start();
    // Parse before touching the database: a bad file must leave no trace, not even a new empty file.
    let parsed = parse(&IngestOptions {
        users: a.users.clone(),
        devices: a.devices.clone(),
        encoding: a.encoding,
        date_formats: a.date_formats.clone(),
        max_input_bytes: crate::util::parse_size(&a.max_input_size)
            .map_err(|e| Failure::Usage(format!("--max-input-size {e}")))?,
        allow_empty: a.allow_empty,
        map: a.map.clone(),
        show_progress: !ctx.quiet,
    })?;
    let near_misses: Vec<String> = parsed
        .notices
        .iter()
        .filter(|n| n.kind == NEAR_MISS)
        .map(|n| format!("{}: {}", n.file, n.detail))
        .collect();
    for w in &near_misses {
        note!("warning: {w}");
    }
    if a.strict && !near_misses.is_empty() {
        return Err(Failure::Rejected(format!(
            "--strict: {} column{} not read (see the warning above); nothing was written",
            near_misses.len(),
            if near_misses.len() == 1 {
                " is"
            } else {
                "s are"
            },
        ))
        .into());
    }
    if a.strict && !parsed.rejects.is_empty() {
        crate::util::stderr_line(reject_lines(&parsed.rejects).trim_end_matches('\n'));
        return Err(Failure::Rejected(format!(
            "--strict: {} row{} would be rejected ({}); nothing was written",
            parsed.rejects.len(),
            if parsed.rejects.len() == 1 { "" } else { "s" },
            by_reason(&parsed.rejects)
        ))
        .into());
    }
    timer.lap("parsed");
    // Only now, with the input checked, does the hand-over start: a server answers 503 from
    // here until the snapshot is written, so this is kept as short as it can be.
    let mut waiting = None;
    let store = Store::open_writer(&ctx.db, ctx.sql.clone(), wait, &mut |pid| {
        let who = pid.map(|p| format!(" (PID {p})")).unwrap_or_default();
        waiting = Some(crate::progress::spinner(
            !ctx.quiet,
            format!("waiting for another process{who} to close the database"),
        ));
    });
    if let Some(spinner) = waiting {
        spinner.finish_and_clear();
    }
    let store = store?;
    timer.lap("database open");
    let spinner = crate::progress::spinner(!ctx.quiet, "writing the snapshot");
    let written = store.write_snapshot(&parsed, a.label.as_deref(), as_of, Utc::now());
    spinner.finish_and_clear();
    let info = written?;
    // One write at the end, through `emit`, so a closed pipe (`| head -1`) is not an error.
    let mut out = summary_line(&parsed, info.id, &crate::util::iso(&as_of)) + "\n";
    for n in parsed.notices.iter().filter(|n| n.kind != NEAR_MISS) {
        out += &format!("notice: {}: {}\n", n.file, n.detail);
    }
    let stored = store.notices(info.id)?;
    for (kind, what) in [
        (
            "status-disagreement",
            "whose Status column disagrees with license and stages",
        ),
        (
            "stage-disagreement",
            "whose Status column says using while a stage column says not done",
        ),
        ("using-never-used", "Using Enpass with no use on record"),
    ] {
        let n = stored.iter().filter(|n| n.kind == kind).count();
        if n > 0 {
            out += &format!(
                "notice: {n} user{} {what} (see `rollcall summary`)\n",
                if n == 1 { "" } else { "s" }
            );
        }
    }
    if !parsed.rejects.is_empty() {
        out += "see them with `rollcall rejects`\n";
    }
    super::emit(None, &out)?;
    timer.lap("reported");
    drop(parsed);
    drop(store);
    timer.lap("database closed");
    Ok(())
}

fn by_reason(rejects: &[Reject]) -> String {
    let mut counts: BTreeMap<&str, usize> = BTreeMap::new();
    for r in rejects {
        *counts.entry(r.reason.as_str()).or_default() += 1;
    }
    counts
        .iter()
        .map(|(k, v)| format!("{k} {v}"))
        .collect::<Vec<_>>()
        .join(", ")
}

fn summary_line(p: &Parsed, id: i64, as_of: &str) -> String {
    let rejected = if p.rejects.is_empty() {
        "0 rejected".to_string()
    } else {
        format!(
            "{} rejected ({})",
            thousands(p.rejects.len() as u64),
            by_reason(&p.rejects)
        )
    };
    format!(
        "snapshot {id} as of {as_of}: {} users, {} devices kept; {rejected}",
        thousands(p.users_kept),
        thousands(p.devices_kept)
    )
}

/// One line per reject, as `--strict` lists them: file:line: column: detail.
fn reject_lines(rejects: &[Reject]) -> String {
    rejects
        .iter()
        .map(|r| {
            format!(
                "{}:{}: {}{} [{}]\n",
                r.file,
                r.line,
                r.column
                    .as_deref()
                    .map(|c| format!("column '{c}': "))
                    .unwrap_or_default(),
                r.detail,
                r.reason
            )
        })
        .collect()
}
