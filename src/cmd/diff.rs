//! `rollcall diff`: what changed for each user between two snapshots (see
//! [`crate::read::Diff`]), as a table, CSV or JSON, with a manifest beside `-o FILE`.

use anyhow::Result;

use super::Ctx;
use crate::cli::{DiffArgs, DiffSideArg, ListFormat};
use crate::error::Failure;
use crate::export::{self, DiffManifest, FileHash, FiltersRecord, SideRecord};
use crate::output::{self, Cell, Grid};
use crate::read::{self, Diff, DiffRequest, ReadRequest, Side};
use crate::sign;

pub(super) fn run(ctx: &Ctx, a: DiffArgs) -> Result<()> {
    if a.filters.snapshot.is_some() {
        return Err(Failure::Usage("diff takes --from and --to, not --snapshot".into()).into());
    }
    if a.filters.as_of.is_some() {
        return Err(Failure::Usage(
            "diff measures each snapshot at its own as-of: --as-of does not apply".into(),
        )
        .into());
    }
    let transitions = a
        .transitions
        .iter()
        .filter(|t| !t.trim().is_empty())
        .map(|t| read::transition(t))
        .collect::<Result<Vec<_>>>()
        .map_err(|e| Failure::Usage(format!("--transition: {e}")))?;
    if let Some(out) = &a.output {
        export::check_target("-o", out)?;
    }
    if a.sign.sign.is_some() && a.output.is_none() {
        return Err(Failure::Usage("--sign signs the manifest of -o FILE: give -o".into()).into());
    }
    // The key first: a wrong password must stop the diff before it writes anything.
    let signer = a.sign.sign.as_deref().map(sign::Signer::load).transpose()?;
    let filters = super::filter_set(&a.filters)?;
    let key = crate::pseudo::from_args(&a.pseudo, &filters)?;
    let window_days = a.filters.window_days;
    let side = match a.side {
        DiffSideArg::From => Side::From,
        DiffSideArg::To => Side::To,
    };
    let timer = crate::util::Timer::start();
    // The sides first (on the latest snapshot's session), then a session on the filtered side.
    let probe = ctx.reader(&ReadRequest::default())?;
    let (request, other) = probe.diff_scopes(a.from, a.to, side, window_days)?;
    let mut reader = probe.rescoped(&request)?;
    if let Some(key) = key {
        reader.pseudonymize(key)?;
    }
    reader.check(&filters)?;
    timer.lap("diff: sessions");
    let diff = reader.diff(
        &other,
        &DiffRequest {
            side,
            filters: filters.clone(),
            transitions: transitions.clone(),
        },
    )?;
    let out = a.output.as_deref();
    let text = match a.format {
        ListFormat::Table => table(&diff, output::width_for(out)),
        ListFormat::Csv => {
            // The counts cannot head a CSV: they go to standard error (and the manifest).
            if out.is_none() {
                note!("{}", headline(&diff));
                note!("{}", counts_line(&diff));
            }
            csv_text(&diff)?
        }
        ListFormat::Json => serde_json::to_string_pretty(&diff)? + "\n",
    };
    timer.lap("diff: output text");
    let Some(path) = out else {
        return super::emit(None, &text);
    };
    export::write_atomic(path, text.as_bytes())?;
    let side_record = |s: &read::DiffSide| -> Result<SideRecord> {
        Ok(SideRecord {
            snapshot: s.snapshot.clone(),
            as_of: s.as_of,
            window_days: s.window_days,
            inputs: reader.store().inputs(s.snapshot.id)?,
        })
    };
    let manifest = DiffManifest {
        tool: "rollcall",
        version: crate::VERSION,
        command: "diff",
        from: side_record(&diff.from)?,
        to: side_record(&diff.to)?,
        filters: FiltersRecord::of(&filters),
        side,
        transitions,
        format: match a.format {
            ListFormat::Table => "table",
            ListFormat::Csv => "csv",
            ListFormat::Json => "json",
        },
        formula_guard: a.format == ListFormat::Csv,
        parameters: diff.statement.params_json(),
        sql: diff.statement.sql.clone(),
        rows: diff.users.len() as u64,
        counts: diff.counts.clone(),
        files: vec![FileHash::of(path)?],
        pseudonymized: reader.pseudonyms().map(|k| k.record()),
    };
    let manifest_path = export::manifest_path(path);
    manifest.write(&manifest_path)?;
    let subject = format!(
        "diff snapshot {} to {}",
        diff.from.snapshot.id, diff.to.snapshot.id
    );
    if let Some(sig) = sign::finish(signer.as_ref(), &manifest_path, &subject)? {
        note!("signed {}: {sig}", manifest_path.display());
    }
    timer.lap("diff: written, hashed, manifest");
    note!(
        "wrote {} changed users to {} (manifest {}) · {}",
        diff.users.len(),
        path.display(),
        manifest_path.display(),
        headline(&diff)
    );
    note!("{}", counts_line(&diff));
    Ok(())
}

fn when(t: &chrono::DateTime<chrono::Utc>) -> String {
    t.format("%Y-%m-%d %H:%M UTC").to_string()
}

/// Both sides, each with its as-of and window (they may differ), and the filters' side.
fn headline(d: &Diff) -> String {
    let side = |s: &read::DiffSide| {
        format!(
            "snapshot {}{} (as of {}, {}-day window)",
            s.snapshot.id,
            s.snapshot
                .label
                .as_deref()
                .map(|l| format!(" \"{l}\""))
                .unwrap_or_default(),
            when(&s.as_of),
            s.window_days
        )
    };
    format!(
        "from {} to {} · {} (in snapshot {})",
        side(&d.from),
        side(&d.to),
        d.filters,
        match d.side {
            Side::From => d.from.snapshot.id,
            Side::To => d.to.snapshot.id,
        }
    )
}

fn counts_line(d: &Diff) -> String {
    let parts: Vec<String> = d
        .counts
        .0
        .iter()
        .filter(|(_, n)| *n > 0)
        .map(|(k, n)| format!("{k} {n}"))
        .collect();
    format!(
        "{} changed users: {}",
        d.users.len(),
        if parts.is_empty() {
            "no change".to_string()
        } else {
            parts.join(", ")
        }
    )
}

/// `before → after`, or the one value when it did not change; `—` for a side the user is
/// missing from.
fn pair<T: ToString + PartialEq>(a: &Option<T>, b: &Option<T>) -> String {
    let show = |v: &Option<T>| v.as_ref().map_or("—".to_string(), |v| v.to_string());
    if a == b {
        show(a)
    } else {
        format!("{} → {}", show(a), show(b))
    }
}

/// The users as CSV, each side's values apart: written field by field from the users (a
/// million-user diff lists a quarter of a million), text cells formula-guarded.
fn csv_text(d: &Diff) -> Result<String> {
    use crate::output::{CsvOut, Kind};
    let mut out = CsvOut::new(Vec::with_capacity(d.users.len() * 120), false);
    out.header([
        "email",
        "name",
        "status_from",
        "status_to",
        "activity_from",
        "activity_to",
        "reminders_from",
        "reminders_to",
        "transitions",
    ])?;
    let text = |v: &Option<String>| v.clone().unwrap_or_default();
    let int = |v: &Option<i64>| v.map(|n| n.to_string()).unwrap_or_default();
    for u in &d.users {
        let (sf, st, af, at) = (
            text(&u.status_from),
            text(&u.status_to),
            text(&u.activity_from),
            text(&u.activity_to),
        );
        let (rf, rt, tr) = (
            int(&u.reminders_from),
            int(&u.reminders_to),
            u.transitions.join(" "),
        );
        out.row([
            (u.email.as_str(), Kind::Text),
            (u.name.as_deref().unwrap_or_default(), Kind::Text),
            // Words of rollcall's own vocabulary and numbers: never a formula.
            (sf.as_str(), Kind::Value),
            (st.as_str(), Kind::Value),
            (af.as_str(), Kind::Value),
            (at.as_str(), Kind::Value),
            (rf.as_str(), Kind::Value),
            (rt.as_str(), Kind::Value),
            (tr.as_str(), Kind::Value),
        ])?;
    }
    Ok(String::from_utf8(out.finish()?).expect("CSV of UTF-8 is UTF-8"))
}

fn table(d: &Diff, width: Option<usize>) -> String {
    let mut text = format!("Changes {}\n\n", headline(d));
    let counts = Grid {
        headers: vec!["transition".into(), "users".into()],
        rows: d
            .counts
            .0
            .iter()
            .map(|(k, n)| vec![Cell::Text(k.to_string()), Cell::Int(*n as i64)])
            .collect(),
    };
    text.push_str(&output::table(&counts, width));
    if d.users.is_empty() {
        text.push_str("\nNo user changed.\n");
        return text;
    }
    let users = Grid {
        headers: [
            "email",
            "name",
            "status",
            "activity",
            "reminders",
            "transitions",
        ]
        .map(String::from)
        .to_vec(),
        rows: d
            .users
            .iter()
            .map(|u| {
                vec![
                    Cell::Text(u.email.clone()),
                    u.name.clone().map_or(Cell::Null, Cell::Text),
                    Cell::Other(pair(&u.status_from, &u.status_to)),
                    Cell::Other(pair(&u.activity_from, &u.activity_to)),
                    Cell::Other(pair(&u.reminders_from, &u.reminders_to)),
                    Cell::Other(u.transitions.join(", ")),
                ]
            })
            .collect(),
    };
    text.push('\n');
    text.push_str(&output::table(&users, width));
    text.push_str(&format!("\n{}\n", counts_line(d)));
    text
}
