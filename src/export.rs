//! Exports: exactly the rows `users` lists, streamed to CSV, JSON or Parquet, plus a
//! provenance manifest that makes the file reproducible and auditable.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use serde::Serialize;

use crate::ingest::InputMeta;
use crate::listing::{Listing, Stmt};
use crate::output::CsvOut;
use crate::store::{cells, SnapshotInfo, Store};
use crate::util::HashingWriter;
use duckdb::arrow::record_batch::RecordBatch;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Format {
    Csv,
    Json,
    Parquet,
}

/// A file written, for manifests.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FileHash {
    pub file: String,
    pub bytes: u64,
    pub sha256: String,
}

impl FileHash {
    pub fn of(path: &Path) -> Result<FileHash> {
        Ok(FileHash {
            file: path
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default(),
            bytes: std::fs::metadata(path)?.len(),
            sha256: crate::util::sha256_file(path)
                .with_context(|| format!("hashing {}", path.display()))?,
        })
    }
}

/// Filters as the manifest records them: both the human line and the structure.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FiltersRecord {
    pub description: String,
    pub dimensions: std::collections::BTreeMap<String, Vec<String>>,
    pub custom: Vec<String>,
    pub search: Option<String>,
}

impl FiltersRecord {
    pub fn of(f: &crate::domain::FilterSet) -> FiltersRecord {
        FiltersRecord {
            description: f.describe(),
            dimensions: f
                .dimensions
                .iter()
                .map(|(d, v)| {
                    (
                        d.name().to_string(),
                        v.iter().map(|s| s.to_string()).collect(),
                    )
                })
                .collect(),
            custom: f.custom.clone(),
            search: f.search.clone(),
        }
    }
}

/// The provenance sidecar. It holds no wall-clock time of its own, so the same snapshot,
/// filters and as-of always give a byte-identical manifest.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Manifest {
    pub tool: &'static str,
    pub version: &'static str,
    pub snapshot: SnapshotInfo,
    #[serde(serialize_with = "crate::util::ser_ts")]
    pub as_of: chrono::DateTime<chrono::Utc>,
    pub window_days: i64,
    pub filters: FiltersRecord,
    pub sort: String,
    pub columns: Vec<String>,
    pub format: Format,
    /// Whether CSV cells were guarded against formula injection (false with --raw).
    pub formula_guard: bool,
    pub sql: String,
    pub parameters: Vec<serde_json::Value>,
    pub rows: u64,
    pub files: Vec<FileHash>,
    pub inputs: Vec<InputMeta>,
}

impl Manifest {
    pub fn new(
        store: &Store,
        listing: &Listing,
        stmt: &Stmt,
        format: Format,
        guard: bool,
        rows: u64,
    ) -> Result<Manifest> {
        Ok(Manifest {
            tool: "rollcall",
            version: crate::VERSION,
            snapshot: listing.scope.snapshot.clone(),
            as_of: listing.scope.as_of,
            window_days: listing.scope.window_days,
            filters: FiltersRecord::of(&listing.filters),
            sort: listing.sort.describe(),
            columns: listing.columns.iter().map(|c| c.to_string()).collect(),
            format,
            formula_guard: guard,
            sql: stmt.sql.clone(),
            parameters: stmt.params_json(),
            rows,
            files: Vec::new(),
            inputs: store.inputs(listing.scope.snapshot.id)?,
        })
    }

    pub fn write(&self, path: &Path) -> Result<()> {
        let text = serde_json::to_string_pretty(self)? + "\n";
        write_atomic(path, text.as_bytes())
    }
}

/// `FILE.manifest.json` beside `FILE`.
pub fn manifest_path(output: &Path) -> PathBuf {
    let mut name = output
        .file_name()
        .map(|n| n.to_os_string())
        .unwrap_or_default();
    name.push(".manifest.json");
    output.with_file_name(name)
}

/// Writes through a temporary file in the same folder and renames, so a reader never sees half a file.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<()> {
    let tmp = TempBeside::new(path);
    std::fs::write(&tmp.0, bytes).with_context(|| format!("writing {}", path.display()))?;
    tmp.persist(path)
}

/// `.NAME.PID.tmp` beside `NAME`: removed when dropped (an error, a panic) unless persisted.
struct TempBeside(PathBuf);

impl TempBeside {
    fn new(path: &Path) -> TempBeside {
        let mut name = std::ffi::OsString::from(".");
        name.push(path.file_name().unwrap_or_default());
        name.push(format!(".{}.tmp", std::process::id()));
        TempBeside(path.with_file_name(name))
    }

    /// Renames the finished file into place.
    fn persist(self, path: &Path) -> Result<()> {
        std::fs::rename(&self.0, path).with_context(|| format!("writing {}", path.display()))
        // Dropping `self` then removes nothing: the temporary name is gone.
    }
}

impl Drop for TempBeside {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

/// Streams the listing to `path` in `format`; returns the row count, the statement that ran and
/// the written file's size and hash for the manifest.
pub fn write_rows(
    store: &Store,
    listing: &Listing,
    path: &Path,
    format: Format,
    guard: bool,
) -> Result<(u64, Stmt, FileHash)> {
    let stmt = listing.select(&store.sql, None, 0)?;
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        if !dir.is_dir() {
            anyhow::bail!(
                "-o {}: the folder {} does not exist",
                path.display(),
                dir.display()
            );
        }
    }
    let tmp = TempBeside::new(path);
    let result = match format {
        Format::Csv => write_csv(store, listing, &stmt, &tmp.0, guard),
        Format::Json => write_json(store, &stmt, &tmp.0),
        Format::Parquet => write_parquet(store, &stmt, &tmp.0),
    };
    match result {
        Ok((rows, hashed)) => {
            tmp.persist(path)?;
            let hash = match hashed {
                Some((bytes, sha256)) => FileHash {
                    file: path
                        .file_name()
                        .map(|n| n.to_string_lossy().into_owned())
                        .unwrap_or_default(),
                    bytes,
                    sha256,
                },
                None => FileHash::of(path)?,
            };
            Ok((rows, stmt, hash))
        }
        Err(e) => Err(e.context(format!("writing {}", path.display()))),
    }
}

/// Rows written, and (bytes, SHA-256) when the writer hashed them on the way out.
type WriteResult = Result<(u64, Option<(u64, String)>)>;

/// DuckDB hands over sorted batches on this thread while another formats, guards, writes and
/// hashes them, so the two halves of an export overlap.
fn write_csv(
    store: &Store,
    listing: &Listing,
    stmt: &Stmt,
    path: &Path,
    guard: bool,
) -> WriteResult {
    let file = File::create(path)?;
    let header = listing.columns.clone();
    let (tx, rx) = std::sync::mpsc::sync_channel::<RecordBatch>(8);
    let timer = crate::util::Timer::start();
    std::thread::scope(|s| {
        let writer = std::thread::Builder::new()
            .name("csv-writer".into())
            .spawn_scoped(s, move || -> Result<(u64, u64, String)> {
                let sink = BufWriter::with_capacity(1 << 20, HashingWriter::new(file));
                let mut out = CsvOut::new(sink, !guard);
                out.row(header.iter().copied())?;
                let mut rows = 0u64;
                let mut bufs: Vec<String> = vec![String::new(); header.len()];
                for batch in rx {
                    let cols: Vec<cells::TextColumn> = batch
                        .columns()
                        .iter()
                        .map(|c| cells::TextColumn::of(c.as_ref()))
                        .collect();
                    for r in 0..batch.num_rows() {
                        for (buf, c) in bufs.iter_mut().zip(&cols) {
                            buf.clear();
                            c.push(r, buf);
                        }
                        out.row(bufs.iter().map(String::as_str))?;
                    }
                    rows += batch.num_rows() as u64;
                }
                let sink = out.finish()?.into_inner().map_err(|e| e.into_error())?;
                let (bytes, sha256, mut file) = sink.finish();
                file.flush()?;
                Ok((rows, bytes, sha256))
            })?;
        let mut first = true;
        let streamed = store.stream(&stmt.sql, &stmt.params, |batch| {
            if std::mem::take(&mut first) {
                timer.lap("first rows");
            }
            tx.send(batch.clone())
                .map_err(|_| anyhow::anyhow!("the CSV writer stopped early"))
        });
        drop(tx);
        // The writer's own error explains a failed send, so it is reported first.
        let (rows, bytes, sha256) = writer
            .join()
            .unwrap_or_else(|p| std::panic::resume_unwind(p))?;
        streamed?;
        timer.lap("rows written");
        Ok((rows, Some((bytes, sha256))))
    })
}

fn write_json(store: &Store, stmt: &Stmt, path: &Path) -> WriteResult {
    let mut file = BufWriter::with_capacity(1 << 20, HashingWriter::new(File::create(path)?));
    let mut rows = 0u64;
    file.write_all(b"[")?;
    store.stream(&stmt.sql, &stmt.params, |batch| {
        let schema = batch.schema();
        for r in 0..batch.num_rows() {
            let obj: serde_json::Map<String, serde_json::Value> = schema
                .fields()
                .iter()
                .zip(batch.columns())
                .map(|(f, c)| (f.name().clone(), cells::cell(c.as_ref(), r).json()))
                .collect();
            file.write_all(if rows == 0 { b"\n" } else { b",\n" })?;
            serde_json::to_writer(&mut file, &obj)?;
            rows += 1;
        }
        Ok(())
    })?;
    file.write_all(if rows == 0 { b"]\n" } else { b"\n]\n" })?;
    let (bytes, sha256, mut file) = file.into_inner().map_err(|e| e.into_error())?.finish();
    file.flush()?;
    Ok((rows, Some((bytes, sha256))))
}

/// Parquet is written by DuckDB's own writer. COPY cannot bind its target as a parameter, so
/// it writes into a fresh temporary folder whose name we generated (no user text reaches the
/// SQL), and the file is then moved into place.
fn write_parquet(store: &Store, stmt: &Stmt, path: &Path) -> WriteResult {
    let dir = tempfile::Builder::new()
        .prefix("rollcall-export")
        .tempdir()?;
    let target = dir.path().join("export.parquet");
    let rows = store.copy_parquet(&stmt.sql, &stmt.params, &target)?;
    if std::fs::rename(&target, path).is_err() {
        std::fs::copy(&target, path)?;
    }
    Ok((rows, None))
}
