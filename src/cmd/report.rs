//! `rollcall report`: the static HTML report, users.csv and manifest.json in one folder.

use anyhow::Result;

use super::Ctx;
use crate::cli::ReportArgs;
use crate::report::{self, Templates};
use crate::sign;
use crate::util::thousands;

pub(super) fn run(ctx: &Ctx, a: ReportArgs) -> Result<()> {
    let templates = Templates::new(a.templates.clone())?;
    // The key first: a wrong password must stop the report before it writes anything.
    let signer = a.sign.sign.as_deref().map(sign::Signer::load).transpose()?;
    let key = crate::pseudo::from_args(&a.pseudo, &super::filter_set(&a.filters)?)?;
    let (mut reader, filters) = ctx.filtered(&a.filters)?;
    reader.assume_seats(super::seats_setting(ctx, a.seats));
    if let Some(key) = key {
        reader.pseudonymize(key)?;
    }
    let scope = reader.scope();
    let composer = crate::remind::Composer::new(&templates, &a.sender.org, &a.sender.from)?;
    let w = report::write(&reader, &filters, &a.title, &templates, &composer, &a.out)?;
    let manifest = a.out.join("manifest.json");
    let subject = format!("snapshot {}", scope.snapshot.id);
    let signed = sign::finish(signer.as_ref(), &manifest, &subject)?;
    let index = std::fs::canonicalize(&w.index).unwrap_or(w.index.clone());
    super::emit(None, &format!("{}\n", index.display()))?;
    let m = &w.manifest;
    let size = m.files.first().map_or(0, |f| f.bytes);
    note!(
        "report: {} users · {} · as of {} UTC · snapshot {} · index.html {:.1} MB",
        thousands(m.rows),
        filters.describe(),
        scope.as_of.format("%Y-%m-%d %H:%M"),
        scope.snapshot.id,
        size as f64 / 1e6
    );
    if w.embedded < m.rows {
        note!(
            "note: the page embeds the first {} of {} users; users.csv beside it holds them all",
            thousands(w.embedded),
            thousands(m.rows)
        );
    }
    if let Some(sig) = signed {
        note!("signed {}: {sig}", manifest.display());
    }
    Ok(())
}
