//! `users`, `summary`, `show`, `export`, `filters`: the console's Users section in the terminal.

use anyhow::Result;

use super::Ctx;
use crate::cli::{
    ExportArgs, ExportFormat, FilterArgs, ShowArgs, ShowFormat, SummaryArgs, SummaryFormat,
    UsersArgs, UsersFormat,
};
use crate::domain::{Dimension, FilterSet};
use crate::export::{self, Manifest};
use crate::listing::{self, Listing, Page, Sort, Summary};
use crate::output::{self, Grid};
use crate::store::{Access, Scope, Store};
use crate::util::thousands;

/// The scope a read is about: `--snapshot`, `--as-of` and `--window-days`.
pub fn scope(
    store: &Store,
    snapshot: Option<i64>,
    as_of: Option<&str>,
    window_days: i64,
) -> Result<Scope> {
    let snap = store.snapshot(snapshot)?;
    let as_of = match as_of {
        Some(t) => super::parse_instant("--as-of", t)?,
        None => snap.as_of,
    };
    Ok(Scope {
        snapshot: snap,
        as_of,
        window_days,
    })
}

/// The flags as a filter set (clap already checked the built-in values).
pub fn filter_set(a: &FilterArgs) -> Result<FilterSet> {
    let mut f = FilterSet::default();
    let dims: [(Dimension, &Vec<String>); 6] = [
        (Dimension::License, &a.license),
        (Dimension::Status, &a.status),
        (Dimension::Activity, &a.activity),
        (Dimension::Hub, &a.hub),
        (Dimension::Scim, &a.scim),
        (Dimension::Reminders, &a.reminders),
    ];
    for (dim, values) in dims {
        for v in values {
            let v = dim.parse_value(v).map_err(crate::error::Failure::Usage)?;
            f.add(dim, v);
        }
    }
    for name in &a.filters {
        f.add_custom(name);
    }
    f.search = a.search.clone().filter(|s| !s.is_empty());
    Ok(f)
}

/// Opens the database and resolves everything a filtered read needs, checking custom filters.
pub fn open_filtered(ctx: &Ctx, a: &FilterArgs) -> Result<(Store, Scope, FilterSet)> {
    let store = ctx.open(Access::ReadOnly)?;
    let scope = scope(&store, a.snapshot, a.as_of.as_deref(), a.window_days)?;
    let filters = filter_set(a)?;
    for name in &filters.custom {
        store.sql.filter(name)?;
    }
    listing::check_filters(&store, &scope, &filters)?;
    Ok((store, scope, filters))
}

/// "37 of 2,340 users · status=pending, activity=never · as of 2026-11-26 12:00 UTC · snapshot 3"
pub fn count_line(page: &Page, scope: &Scope, filters: &FilterSet) -> String {
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

pub fn users(ctx: &Ctx, a: UsersArgs) -> Result<()> {
    let (store, scope, filters) = open_filtered(ctx, &a.filters)?;
    let listing = Listing {
        columns: listing::resolve_columns(&a.columns, listing::DEFAULT_COLUMNS)?,
        sort: Sort::parse(a.sort.as_deref())?,
        scope: scope.clone(),
        filters: filters.clone(),
    };
    let page = listing::users_page(&store, &listing, a.limit, a.offset)?;
    let line = count_line(&page, &scope, &filters);
    let out = a.output.as_deref();
    match a.format {
        UsersFormat::Table => {
            let width = if out.is_some() {
                None
            } else {
                output::terminal_width()
            };
            super::emit(
                out,
                &format!("{}{line}\n", output::table(&page.grid, width)),
            )
        }
        UsersFormat::Csv => {
            note!("{line}");
            let grid = Grid {
                headers: page.grid.headers.clone(),
                rows: page.grid.rows.clone(),
            };
            super::emit(out, &output::csv_string(&grid)?)
        }
        UsersFormat::Json => super::emit(
            out,
            &(serde_json::to_string_pretty(&users_json(&page, &scope, &filters, &listing))? + "\n"),
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

/// The documented JSON shape of `users --format json` (README: "JSON output").
pub fn users_json(
    page: &Page,
    scope: &Scope,
    filters: &FilterSet,
    listing: &Listing,
) -> serde_json::Value {
    serde_json::json!({
        "snapshot": scope.snapshot.id,
        "as_of": crate::util::iso(&scope.as_of),
        "window_days": scope.window_days,
        "filters": export::FiltersRecord::of(filters),
        "sort": listing.sort.describe(),
        "total": page.matches,
        "users_in_snapshot": page.total,
        "offset": page.offset,
        "limit": page.limit,
        "count": page.grid.rows.len(),
        "users": output::json_rows(&page.grid),
    })
}

pub fn summary(ctx: &Ctx, a: SummaryArgs) -> Result<()> {
    let (store, scope, filters) = open_filtered(ctx, &a.filters)?;
    let s = listing::summary(&store, &scope, &filters)?;
    let text = match a.format {
        SummaryFormat::Json => serde_json::to_string_pretty(&s)? + "\n",
        SummaryFormat::Table => summary_text(&s),
    };
    super::emit(None, &text)
}

fn bar(percent: f64, width: usize) -> String {
    let filled = ((percent / 100.0) * width as f64).round() as usize;
    format!(
        "{}{}",
        "█".repeat(filled.min(width)),
        "·".repeat(width - filled.min(width))
    )
}

/// The summary as the terminal shows it.
pub fn summary_text(s: &Summary) -> String {
    let mut out = String::new();
    let label = s
        .snapshot
        .label
        .as_deref()
        .map(|l| format!(" ({l})"))
        .unwrap_or_default();
    out.push_str(&format!(
        "Onboarding summary · snapshot {}{label} · as of {} UTC · {}-day window\n",
        s.snapshot.id,
        s.as_of.format("%Y-%m-%d %H:%M"),
        s.window_days
    ));
    out.push_str(&format!(
        "Scope: {} · {} of {} users\n\nFunnel\n",
        s.filters,
        thousands(s.matches),
        thousands(s.total)
    ));
    for step in &s.funnel {
        out.push_str(&format!(
            "  {:<27} {:>9}  {:>5.1}%  {}\n",
            step.label,
            thousands(step.count),
            step.percent,
            bar(step.percent, 24)
        ));
    }
    for f in &s.facets {
        out.push_str(&format!(
            "\n{} (of {})\n",
            title(f.dimension),
            thousands(f.base)
        ));
        for v in &f.values {
            out.push_str(&format!(
                "  {:<27} {:>9}  {:>5.1}%  {}{}\n",
                v.label,
                thousands(v.count),
                v.percent,
                bar(v.percent, 24),
                if v.selected { "  ◀ filtered" } else { "" }
            ));
        }
    }
    out.push_str("\nData quality\n");
    let q = &s.quality;
    if q.rejected == 0
        && q.status_disagreements == 0
        && q.future_last_use == 0
        && q.notices.is_empty()
    {
        out.push_str("  no rejects or notices\n");
    }
    if q.rejected > 0 {
        let reasons: Vec<String> = q
            .rejects_by_reason
            .iter()
            .map(|(k, v)| format!("{k} {v}"))
            .collect();
        out.push_str(&format!(
            "  {} rejected row{} ({}) · `rollcall rejects` lists them\n",
            thousands(q.rejected),
            if q.rejected == 1 { "" } else { "s" },
            reasons.join(", ")
        ));
    }
    if q.status_disagreements > 0 {
        out.push_str(&format!(
            "  {} user{} whose Status column disagrees with license and stages (the derived status is used)\n",
            thousands(q.status_disagreements),
            if q.status_disagreements == 1 { "" } else { "s" }
        ));
        for n in q
            .notices
            .iter()
            .filter(|n| n.kind == "status-disagreement")
            .take(5)
        {
            out.push_str(&format!(
                "    {}:{} {}: {}\n",
                n.file.as_deref().unwrap_or(""),
                n.line.unwrap_or(0),
                n.email.as_deref().unwrap_or(""),
                n.detail
            ));
        }
    }
    if q.future_last_use > 0 {
        out.push_str(&format!(
            "  {} user{} last used after the as-of instant (counted as active): {}\n",
            thousands(q.future_last_use),
            if q.future_last_use == 1 { "" } else { "s" },
            q.future_examples.join(", ")
        ));
    }
    for n in q.notices.iter().filter(|n| n.kind != "status-disagreement") {
        out.push_str(&format!(
            "  {}: {}\n",
            n.file.as_deref().unwrap_or(""),
            n.detail
        ));
    }
    out
}

fn title(d: Dimension) -> &'static str {
    match d {
        Dimension::License => "License",
        Dimension::Status => "Status",
        Dimension::Activity => "Active users",
        Dimension::Hub => "Enpass Hub authentication",
        Dimension::Scim => "SCIM",
        Dimension::Reminders => "Reminders sent",
    }
}

pub fn show(ctx: &Ctx, a: ShowArgs) -> Result<()> {
    let store = ctx.open(Access::ReadOnly)?;
    let scope = scope(&store, a.snapshot, a.as_of.as_deref(), a.window_days)?;
    let d = listing::user_detail(&store, &scope, &a.email)?;
    let text = match a.format {
        ShowFormat::Json => serde_json::to_string_pretty(&d)? + "\n",
        ShowFormat::Text => detail_text(&d),
    };
    super::emit(None, &text)
}

fn opt_time(t: &Option<chrono::DateTime<chrono::Utc>>) -> String {
    t.map_or("never".into(), |t| {
        t.format("%Y-%m-%d %H:%M UTC").to_string()
    })
}

pub fn detail_text(d: &listing::Detail) -> String {
    let mut out = format!(
        "{} <{}>\nStatus: {}\nLicense: {} · SCIM: {} · Last used: {} · Activity: {} · Hub: {}\n\n",
        d.name.as_deref().unwrap_or("(no name)"),
        d.email,
        d.status_label,
        d.license,
        if d.scim { "yes" } else { "no" },
        opt_time(&d.last_used),
        d.activity,
        d.hub
    );
    match d.status.as_str() {
        "no-license" => out.push_str(
            "No License: this user exists but has no license assigned.\n\
             Assign one in the Enpass Admin Console (Users → the user → Assign License); \
             they then appear as Pending User Action until they complete setup.\n",
        ),
        "pending" => {
            out.push_str("Pending User Action: onboarding progress\n");
            for s in &d.stages {
                let mark = match s.done {
                    Some(true) => "[x]",
                    Some(false) => "[ ]",
                    None => "[?]",
                };
                let when =
                    s.at.map(|t| format!(" ({})", t.format("%Y-%m-%d %H:%M UTC")))
                        .unwrap_or_default();
                let unknown = if s.done.is_none() {
                    " (not in the export)"
                } else {
                    ""
                };
                out.push_str(&format!("  {mark} {}{when}{unknown}\n", s.label));
            }
            out.push_str(&format!("Reminder emails sent: {}\n", d.reminders_sent));
        }
        _ => {
            out.push_str(&format!(
                "Using Enpass: {} device{}\n",
                d.devices.len(),
                if d.devices.len() == 1 { "" } else { "s" }
            ));
        }
    }
    if d.status == "using" || !d.devices.is_empty() {
        let grid = Grid {
            headers: [
                "Device Name",
                "Platform",
                "Enpass Version",
                "Last Used",
                "Enpass Hub Authenticated",
            ]
            .map(String::from)
            .to_vec(),
            rows: d
                .devices
                .iter()
                .map(|dv| {
                    use output::Cell;
                    vec![
                        dv.device_name.clone().map_or(Cell::Null, Cell::Text),
                        dv.platform.clone().map_or(Cell::Null, Cell::Text),
                        dv.enpass_version.clone().map_or(Cell::Null, Cell::Text),
                        dv.last_used.map_or(Cell::Text("never".into()), Cell::Time),
                        Cell::Bool(dv.hub_authenticated),
                    ]
                })
                .collect(),
        };
        if d.status != "using" {
            out.push_str("Devices\n");
        }
        out.push_str(&output::table(&grid, output::terminal_width()));
    }
    out
}

pub fn export(ctx: &Ctx, a: ExportArgs) -> Result<()> {
    let (store, scope, filters) = open_filtered(ctx, &a.filters)?;
    let listing = Listing {
        columns: listing::resolve_columns(&a.columns, listing::EXPORT_COLUMNS)?,
        sort: Sort::parse(a.sort.as_deref())?,
        scope,
        filters,
    };
    let format = match a.format {
        ExportFormat::Csv => export::Format::Csv,
        ExportFormat::Json => export::Format::Json,
        ExportFormat::Parquet => export::Format::Parquet,
    };
    let guard = !a.raw && format == export::Format::Csv;
    let timer = crate::util::Timer::start();
    let (rows, stmt, hash) = export::write_rows(&store, &listing, &a.output, format, guard)?;
    timer.lap("export written");
    let mut manifest = Manifest::new(&store, &listing, &stmt, format, guard, rows)?;
    manifest.files.push(hash);
    let mpath = export::manifest_path(&a.output);
    manifest.write(&mpath)?;
    timer.lap("manifest written");
    super::emit(
        None,
        &format!(
            "wrote {} users to {} (manifest {}) · {} · snapshot {}\n",
            thousands(rows),
            a.output.display(),
            mpath.display(),
            listing.filters.describe(),
            listing.scope.snapshot.id
        ),
    )?;
    drop(store);
    timer.lap("database closed");
    Ok(())
}

pub fn filters(ctx: &Ctx) -> Result<()> {
    let all = ctx.sql.filters()?;
    let grid = Grid {
        headers: ["filter", "description", "source"]
            .map(String::from)
            .to_vec(),
        rows: all
            .values()
            .map(|f| {
                vec![
                    output::Cell::Text(f.name.clone()),
                    output::Cell::Text(f.description()),
                    output::Cell::Text(f.origin.clone()),
                ]
            })
            .collect(),
    };
    super::emit(None, &output::table(&grid, output::terminal_width()))
}
