//! `rollcall export`: exactly the filtered list as CSV, JSON or Parquet, with its manifest.

use anyhow::Result;

use super::Ctx;
use crate::cli::{ExportArgs, ExportFormat};
use crate::domain::EXPORT_COLUMNS;
use crate::export::{self, ExportSpec, Format};
use crate::read::{self, Listing, Sort};
use crate::sign;
use crate::util::thousands;

pub(super) fn run(ctx: &Ctx, a: ExportArgs) -> Result<()> {
    export::check_target("-o", &a.output)?;
    // The key first: a wrong password must stop the export before it writes anything.
    let signer = a.sign.sign.as_deref().map(sign::Signer::load).transpose()?;
    let key = crate::pseudo::from_args(&a.pseudo, &super::filter_set(&a.filters)?)?;
    let (mut reader, filters) = ctx.filtered(&a.filters)?;
    if let Some(key) = key {
        reader.pseudonymize(key)?;
    }
    let format = match a.format {
        ExportFormat::Csv => Format::Csv,
        ExportFormat::Json => Format::Json,
        ExportFormat::Parquet => Format::Parquet,
    };
    let spec = ExportSpec {
        listing: Listing {
            columns: read::resolve_columns(&a.columns, &EXPORT_COLUMNS)?,
            sort: Sort::parse(a.sort.as_deref())?,
            filters,
        },
        format,
        guard: !a.raw && format == Format::Csv,
    };
    let manifest = export::manifest_path(&a.output);
    let exported = export::write_file(&reader, &spec, &a.output, &manifest, Vec::new())?;
    let subject = format!("snapshot {}", reader.scope().snapshot.id);
    if let Some(sig) = sign::finish(signer.as_ref(), &manifest, &subject)? {
        note!("signed {}: {sig}", manifest.display());
    }
    super::emit(
        None,
        &format!(
            "wrote {} users to {} (manifest {}) · {} · snapshot {}\n",
            thousands(exported.rows),
            a.output.display(),
            manifest.display(),
            spec.listing.filters.describe(),
            reader.scope().snapshot.id
        ),
    )?;
    let timer = crate::util::Timer::start();
    drop(reader);
    timer.lap("database closed");
    Ok(())
}
