//! `rollcall export-db`: a copy of the database in an older DuckDB storage format, for analysts
//! whose DuckDB (1.4, 1.5) cannot open the file rollcall writes.

use anyhow::Result;

use super::Ctx;
use crate::cli::ExportDbArgs;
use crate::export;
use crate::store;

pub(super) fn run(ctx: &Ctx, a: ExportDbArgs) -> Result<()> {
    export::check_target("export-db", &a.output)?;
    let version = a.storage_version.trim();
    let copied = store::copy_database(&ctx.db, &ctx.sql, &a.output, version, a.force)?;
    let readers = match version.strip_prefix('v') {
        Some(v) => format!(", which DuckDB {v} and later open"),
        None => String::new(),
    };
    super::emit(
        None,
        &format!(
            "wrote {}: a copy of {} ({} table{}, {} view{}, {} snapshot{}) in DuckDB storage {version}{readers}\n",
            a.output.display(),
            ctx.db.display(),
            copied.tables,
            plural(copied.tables as u64),
            copied.views,
            plural(copied.views as u64),
            copied.snapshots,
            plural(copied.snapshots as u64),
        ),
    )
}

fn plural(n: u64) -> &'static str {
    if n == 1 {
        ""
    } else {
        "s"
    }
}
