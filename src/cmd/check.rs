//! `rollcall check`: the rules file and the filter flags turned into a checked run on the
//! analysts' read-only session (as `query`), its report printed, and exit 1 when an error rule
//! fails (2, as for every bad input, when the rules file or a flag is wrong).

use anyhow::Result;

use super::Ctx;
use crate::bounds;
use crate::check::{self, render, Bounds, Verdict};
use crate::cli::{CheckArgs, CheckFormat};
use crate::error::Failure;
use crate::read::{self, Reader};

/// Error rules that did not hold: exit 1, after the report is written.
#[derive(Debug, thiserror::Error)]
#[error("check: {count} error rule{s} failed: {names}", s = if *.count == 1 { "" } else { "s" })]
struct RulesFailed {
    count: usize,
    names: String,
}

pub(super) fn run(ctx: &Ctx, a: CheckArgs) -> Result<()> {
    // The file first: a bad rules file is reported without opening the database.
    let (file, rules) = check::load(&a.rules)?;
    let timeout =
        bounds::parse_duration(&a.timeout).map_err(|e| Failure::Usage(format!("--timeout {e}")))?;
    let memory = match &a.memory_limit {
        Some(text) => Some(
            bounds::parse_memory(text)
                .map_err(|e| Failure::Usage(format!("--memory-limit {e}")))?,
        ),
        None => bounds::default_memory_limit(),
    };
    let filters = super::filter_set(&a.filters)?;
    let key = crate::pseudo::from_args(&a.pseudo, &filters)?;
    let request = super::request(
        a.filters.snapshot,
        a.filters.as_of.as_deref(),
        a.filters.window_days,
    )?;
    let reader = Reader::open_for_query(&ctx.db, &ctx.sql, &request, memory)?;
    reader.check(&filters)?;
    let scope = read::predicate(reader.sql(), &filters)?;
    let prepared = check::prepare(&reader, &file, rules, &scope)?;
    let cap = (a.format == CheckFormat::Text).then_some(render::TEXT_OFFENDERS);
    let bounds = Bounds {
        timeout,
        timeout_flag: format!("--timeout {}", a.timeout.trim()),
    };
    // Pseudonymised, the text's first offenders must be the first by pseudonym: fetch them all.
    let cap = if key.is_some() { None } else { cap };
    let mut report = check::run(&reader, &file, prepared, filters.describe(), &bounds, cap)?;
    if let Some(key) = &key {
        report.pseudonymize(key);
    }
    let text = match a.format {
        CheckFormat::Text => render::text(
            &report,
            crate::output::width_for(a.output.as_deref()),
            ctx.paint(a.output.as_deref()),
        ),
        CheckFormat::Json => format!("{:#}\n", render::json(&report)),
        CheckFormat::Junit => render::junit(&report, &render::hostname()),
    };
    super::emit(a.output.as_deref(), &text)?;
    if report.passed() {
        return Ok(());
    }
    let failed: Vec<&str> = report
        .outcomes
        .iter()
        .filter(|o| o.verdict() == Verdict::Fail)
        .map(|o| o.rule.name.as_str())
        .collect();
    Err(RulesFailed {
        count: failed.len(),
        names: failed.join(", "),
    }
    .into())
}
