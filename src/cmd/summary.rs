//! `rollcall summary`: the onboarding funnel, facet counts and data-quality notices.

use anyhow::Result;

use super::Ctx;
use crate::cli::{SummaryArgs, SummaryFormat};
use crate::licenses::Seats;
use crate::read::Summary;
use crate::util::thousands;

pub(super) fn run(ctx: &Ctx, a: SummaryArgs) -> Result<()> {
    let (mut reader, filters) = ctx.filtered(&a.filters)?;
    reader.assume_seats(super::seats_setting(ctx, a.seats));
    let s = reader.summary(&filters)?;
    let text = match a.format {
        // The summary's own key order (a JSON value would sort them), seats last.
        SummaryFormat::Json => serde_json::to_string_pretty(&s)? + "\n",
        SummaryFormat::Table => text(&s, s.seats.as_ref()),
    };
    super::emit(None, &text)
}

/// Notices about single users, shown as a count and the first few.
const PER_USER_NOTICES: [(&str, &str); 3] = [
    (
        "status-disagreement",
        "whose Status column disagrees with license and stages (the derived status is used)",
    ),
    (
        "stage-disagreement",
        "whose Status column says using while a stage column says not done (the Status column is used: the export lacks the other stage columns)",
    ),
    (
        "using-never-used",
        "Using Enpass with no use on record (no Last Used on the row or any device)",
    ),
];

/// One line of the funnel or a facet: label, count, share and its bar.
fn row(label: &str, count: u64, percent: f64, mark: &str) -> String {
    format!(
        "  {label:<27} {:>9}  {percent:>5.1}%  {}{mark}\n",
        thousands(count),
        bar(percent, 24)
    )
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
fn text(s: &Summary, seats: Option<&Seats>) -> String {
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
    if let Some(x) = seats {
        // Above the funnel: seats are the organisation's, whatever the filters.
        let at = out.rfind("\n\nFunnel\n").unwrap_or(out.len());
        out.insert_str(
            at,
            &format!(
                "\nSeats: {} of {} assigned ({:.1}%){}",
                thousands(x.assigned as u64),
                thousands(x.seats as u64),
                x.utilisation,
                match x.source {
                    "recorded" => "",
                    "flag" => " · seats from --seats: none recorded for this snapshot",
                    _ => " · seats from the configuration file: none recorded for this snapshot",
                }
            ),
        );
    }
    for step in &s.funnel {
        out.push_str(&row(step.label, step.count, step.percent, ""));
    }
    for f in &s.facets {
        out.push_str(&format!(
            "\n{} (of {})\n",
            f.dimension.title(),
            thousands(f.base)
        ));
        for v in &f.values {
            let mark = if v.selected { "  ◀ filtered" } else { "" };
            out.push_str(&row(&v.label, v.count, v.percent, mark));
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
    for (kind, what) in PER_USER_NOTICES {
        let list: Vec<_> = q.notices.iter().filter(|n| n.kind == kind).collect();
        if list.is_empty() {
            continue;
        }
        out.push_str(&format!(
            "  {} user{} {what}\n",
            thousands(list.len() as u64),
            if list.len() == 1 { "" } else { "s" }
        ));
        for n in list.into_iter().take(5) {
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
    for n in q
        .notices
        .iter()
        .filter(|n| PER_USER_NOTICES.iter().all(|(kind, _)| n.kind != *kind))
    {
        out.push_str(&format!(
            "  {}: {}\n",
            n.file.as_deref().unwrap_or(""),
            n.detail
        ));
    }
    out
}
