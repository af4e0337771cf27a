//! `rollcall trend`: the funnel and the filters' counts of every snapshot, in as-of order (see
//! [`crate::read::trend`]).

use anyhow::Result;

use super::Ctx;
use crate::cli::{ListFormat, TrendArgs};
use crate::domain::Dimension;
use crate::error::Failure;
use crate::output::{self, Cell, Grid};
use crate::read::{self, ReadRequest, Trend};

pub(super) fn run(ctx: &Ctx, a: TrendArgs) -> Result<()> {
    if a.filters.snapshot.is_some() {
        return Err(
            Failure::Usage("trend reads every snapshot: --snapshot does not apply".into()).into(),
        );
    }
    if a.filters.as_of.is_some() {
        return Err(Failure::Usage(
            "trend measures each snapshot at its own as-of: --as-of does not apply".into(),
        )
        .into());
    }
    let filters = super::filter_set(&a.filters)?;
    let reader = ctx.reader(&ReadRequest::default())?;
    reader.check(&filters)?;
    let trend = read::trend(reader, &filters, a.filters.window_days, None)?;
    let out = a.output.as_deref();
    let text = match a.format {
        ListFormat::Table => {
            format!(
                "{}\n{} snapshots · {} · each at its own as-of, {}-day window\n",
                output::table(&grid(&trend, true), output::width_for(out)),
                trend.snapshots.len(),
                trend.filters,
                trend.window_days
            )
        }
        ListFormat::Csv => output::csv_string(&grid(&trend, false), false)?,
        ListFormat::Json => serde_json::to_string_pretty(&trend)? + "\n",
    };
    super::emit(out, &text)
}

/// One row per snapshot: the funnel, then each dimension's values (the table keeps the
/// status, activity and Hub ones: license is the funnel's `assigned`, and SCIM and reminders
/// are in the CSV and JSON).
fn grid(t: &Trend, narrow: bool) -> Grid {
    // The funnel's first step is the users matching the filters.
    let mut headers: Vec<String> = ["snapshot", "label", "as_of"].map(String::from).to_vec();
    let keep = |d: &Dimension| {
        !narrow || matches!(d, Dimension::Status | Dimension::Activity | Dimension::Hub)
    };
    if let Some(first) = t.snapshots.first() {
        headers.extend(first.funnel.0.iter().map(|(k, _)| k.to_string()));
        for (dim, counts) in first.facets.iter().filter(|(d, _)| keep(d)) {
            headers.extend(counts.0.iter().map(|(v, _)| format!("{}:{v}", dim.name())));
        }
    }
    let rows = t
        .snapshots
        .iter()
        .map(|p| {
            let mut row = vec![
                Cell::Int(p.snapshot.id),
                p.snapshot.label.clone().map_or(Cell::Null, Cell::Text),
                Cell::Time(p.as_of),
            ];
            row.extend(p.funnel.0.iter().map(|(_, n)| Cell::Int(*n as i64)));
            for (_, counts) in p.facets.iter().filter(|(d, _)| keep(d)) {
                row.extend(counts.0.iter().map(|(_, n)| Cell::Int(*n as i64)));
            }
            row
        })
        .collect();
    Grid { headers, rows }
}
