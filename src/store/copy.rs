//! `export-db`: a copy of the whole database (every table with its rows, and the persistent
//! views) in the storage format of an older DuckDB, for analysts whose DuckDB cannot open the
//! file rollcall writes (DuckDB 2.0's format; 1.4 and 1.5 refuse it). The source is opened
//! read-only and never changes; the copy is written beside its target and renamed into place.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use duckdb::types::Value;

use super::{sql_error, Access, Store};
use crate::error::Failure;
use crate::sql::{Sql, Stmt};

/// What a copy holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Copied {
    pub(crate) tables: i64,
    pub(crate) views: i64,
    pub(crate) snapshots: usize,
}

/// Copies the database at `db` into a new file `out` that DuckDB `storage_version` (such as
/// `v1.4.0`) and later read. An existing `out` is replaced only with `force`; the database
/// itself never is.
pub(crate) fn copy_database(
    db: &Path,
    sql: &Sql,
    out: &Path,
    storage_version: &str,
    force: bool,
) -> Result<Copied> {
    if db.exists() && same_file(db, out) {
        return Err(Failure::Usage(format!(
            "{}: is the database itself; name a new file for the copy",
            out.display()
        ))
        .into());
    }
    let wal = with_suffix(out, ".wal");
    if !force {
        for existing in [out, wal.as_path()] {
            if existing.exists() {
                return Err(Failure::Usage(format!(
                    "{}: already exists; pass --force to replace it",
                    existing.display()
                ))
                .into());
            }
        }
    }
    let store = Store::open(db, Access::ReadOnly, sql.clone())?;
    let snapshots = store.snapshots()?.len();
    let tmp = Temp::beside(out);
    tmp.remove();
    let (tables, views) = store.copy_into(&tmp.path, storage_version)?;
    drop(store);
    std::fs::rename(&tmp.path, out).with_context(|| format!("writing {}", out.display()))?;
    // The log of the file just replaced would be replayed into the copy: it goes with it.
    if wal.exists() {
        std::fs::remove_file(&wal).with_context(|| format!("removing {}", wal.display()))?;
    }
    Ok(Copied {
        tables,
        views,
        snapshots,
    })
}

impl Store {
    /// Attaches `target` in the given storage version, copies this database into it, and
    /// detaches it (whatever happened), leaving a checkpointed file with no log beside it.
    fn copy_into(&self, target: &Path, storage_version: &str) -> Result<(i64, i64)> {
        let path = target
            .to_str()
            .context("the output path is not valid UTF-8")?;
        self.conn
            .execute(
                &self.sql.fragment("export_db/attach.sql")?,
                duckdb::params![path, storage_version],
            )
            .map_err(|e| {
                let msg = super::one_line(&e.to_string());
                if msg.contains("version string") {
                    Failure::Usage(format!("--storage-version '{storage_version}': {msg}")).into()
                } else {
                    anyhow::anyhow!("creating {}: {msg}", target.display())
                }
            })?;
        let copied = self.copy_all();
        let detached = self
            .conn
            .execute_batch(&self.sql.fragment("export_db/detach.sql")?)
            .map_err(sql_error)
            .context("closing the copy");
        let counts = copied?;
        detached?;
        Ok(counts)
    }

    fn copy_all(&self) -> Result<(i64, i64)> {
        let source: String = self
            .conn
            .query_row(&self.sql.fragment("export_db/source.sql")?, [], |r| {
                r.get(0)
            })
            .map_err(sql_error)?;
        let copy = self
            .sql
            .fill("export_db/copy.sql", &[("source", &Stmt::ident(&source))])?;
        // COPY FROM DATABASE runs as several statements: a batch, not a prepared statement.
        self.conn
            .execute_batch(&copy.sql)
            .map_err(sql_error)
            .context("copying the database")?;
        let counts = self
            .conn
            .query_row(&self.sql.fragment("export_db/contents.sql")?, [], |r| {
                Ok((r.get(0)?, r.get(1)?))
            })
            .map_err(sql_error)?;
        self.exec_file("export_db/checkpoint.sql", &[] as &[Value])?;
        Ok(counts)
    }
}

/// Whether `out` names the same file as `db` (through links or another spelling).
fn same_file(db: &Path, out: &Path) -> bool {
    let resolve = |p: &Path| -> Option<PathBuf> {
        if let Ok(p) = p.canonicalize() {
            return Some(p);
        }
        let parent = match p.parent() {
            Some(d) if !d.as_os_str().is_empty() => d.canonicalize().ok()?,
            _ => std::env::current_dir().ok()?,
        };
        Some(parent.join(p.file_name()?))
    };
    matches!((resolve(db), resolve(out)), (Some(a), Some(b)) if a == b)
}

fn with_suffix(path: &Path, suffix: &str) -> PathBuf {
    let mut name = path.as_os_str().to_os_string();
    name.push(suffix);
    PathBuf::from(name)
}

/// `.NAME.PID.tmp` beside `NAME`, and DuckDB's log beside that: removed when dropped (an error,
/// a panic) unless renamed away.
struct Temp {
    path: PathBuf,
}

impl Temp {
    fn beside(out: &Path) -> Temp {
        let mut name = std::ffi::OsString::from(".");
        name.push(out.file_name().unwrap_or_default());
        name.push(format!(".{}.tmp", std::process::id()));
        Temp {
            path: out.with_file_name(name),
        }
    }

    fn remove(&self) {
        let _ = std::fs::remove_file(&self.path);
        let _ = std::fs::remove_file(with_suffix(&self.path, ".wal"));
    }
}

impl Drop for Temp {
    fn drop(&mut self) {
        self.remove();
    }
}
