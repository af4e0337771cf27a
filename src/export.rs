//! Exports: exactly the rows `users` lists, streamed as CSV, JSON or Parquet into a file or
//! any writer, with the provenance manifest that makes them reproducible and auditable. The
//! CLI's `export`, the report's users.csv and the server's downloads all go through [`write`].

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use duckdb::arrow::record_batch::RecordBatch;
use serde::Serialize;

use crate::domain::FilterSet;
use crate::error::Failure;
use crate::model::{InputMeta, SnapshotInfo};
use crate::output::{CsvOut, Kind};
use crate::read::{Listing, Reader};
use crate::sql::Stmt;
use crate::store::cells;
use crate::util::HashingWriter;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub(crate) enum Format {
    Csv,
    Json,
    Parquet,
}

/// A file written, for manifests.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub(crate) struct FileHash {
    pub(crate) file: String,
    pub(crate) bytes: u64,
    pub(crate) sha256: String,
}

impl FileHash {
    pub(crate) fn of(path: &Path) -> Result<FileHash> {
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
pub(crate) struct FiltersRecord {
    pub(crate) description: String,
    pub(crate) dimensions: std::collections::BTreeMap<String, Vec<String>>,
    pub(crate) custom: Vec<String>,
    pub(crate) search: Option<String>,
}

impl FiltersRecord {
    pub(crate) fn of(f: &FilterSet) -> FiltersRecord {
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
pub(crate) struct Manifest {
    pub(crate) tool: &'static str,
    pub(crate) version: &'static str,
    pub(crate) snapshot: SnapshotInfo,
    #[serde(serialize_with = "crate::util::ser_ts")]
    pub(crate) as_of: chrono::DateTime<chrono::Utc>,
    pub(crate) window_days: i64,
    pub(crate) filters: FiltersRecord,
    pub(crate) sort: String,
    pub(crate) columns: Vec<String>,
    pub(crate) format: Format,
    /// Whether CSV cells were guarded against formula injection (false with --raw).
    pub(crate) formula_guard: bool,
    pub(crate) sql: String,
    pub(crate) parameters: Vec<serde_json::Value>,
    pub(crate) rows: u64,
    pub(crate) files: Vec<FileHash>,
    pub(crate) inputs: Vec<InputMeta>,
    /// `--pseudonymize`: how, and which key (by its id, never the key).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) pseudonymized: Option<crate::pseudo::Record>,
}

impl Manifest {
    fn new(reader: &Reader, spec: &ExportSpec, stmt: &Stmt, rows: u64) -> Result<Manifest> {
        let scope = reader.scope();
        let recorded = reader.standalone(stmt)?;
        Ok(Manifest {
            tool: "rollcall",
            version: crate::VERSION,
            snapshot: scope.snapshot.clone(),
            as_of: scope.as_of,
            window_days: scope.window_days,
            filters: FiltersRecord::of(&spec.listing.filters),
            sort: spec.listing.sort.describe(),
            columns: spec.listing.columns.iter().map(|c| c.to_string()).collect(),
            format: spec.format,
            formula_guard: spec.guard,
            parameters: recorded.params_json(),
            sql: recorded.sql,
            rows,
            files: Vec::new(),
            inputs: reader.inputs()?,
            pseudonymized: reader.pseudonyms().map(|k| k.record()),
        })
    }

    /// The manifest's text, exactly as `export` writes it beside a file (the server sends the
    /// same bytes).
    pub(crate) fn to_json(&self) -> Result<String> {
        Ok(serde_json::to_string_pretty(self)? + "\n")
    }

    fn write(&self, path: &Path) -> Result<()> {
        write_atomic(path, self.to_json()?.as_bytes())
    }
}

/// One side of a diff as its manifest records it: the snapshot, the instant and window it was
/// measured at, and the files it was read from.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub(crate) struct SideRecord {
    pub(crate) snapshot: SnapshotInfo,
    #[serde(serialize_with = "crate::util::ser_ts")]
    pub(crate) as_of: chrono::DateTime<chrono::Utc>,
    pub(crate) window_days: i64,
    pub(crate) inputs: Vec<InputMeta>,
}

/// The provenance of `rollcall diff -o FILE`, beside it as `FILE.manifest.json`: both
/// snapshots, the filters and the side they apply to, the transitions kept, the statement that
/// ran with its parameters (runnable on its own), and the file's hash. No wall-clock time, so
/// the same comparison always gives the same bytes.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub(crate) struct DiffManifest {
    pub(crate) tool: &'static str,
    pub(crate) version: &'static str,
    pub(crate) command: &'static str,
    pub(crate) from: SideRecord,
    pub(crate) to: SideRecord,
    pub(crate) filters: FiltersRecord,
    pub(crate) side: crate::read::Side,
    /// The transitions kept (`--transition`); empty: all.
    pub(crate) transitions: Vec<&'static str>,
    pub(crate) format: &'static str,
    pub(crate) formula_guard: bool,
    pub(crate) sql: String,
    pub(crate) parameters: Vec<serde_json::Value>,
    /// Users listed.
    pub(crate) rows: u64,
    /// Users per transition, as the output's head says.
    pub(crate) counts: crate::read::Counts,
    pub(crate) files: Vec<FileHash>,
    /// `--pseudonymize`: how, and which key (by its id, never the key).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) pseudonymized: Option<crate::pseudo::Record>,
}

impl DiffManifest {
    pub(crate) fn write(&self, path: &Path) -> Result<()> {
        write_atomic(
            path,
            (serde_json::to_string_pretty(self)? + "\n").as_bytes(),
        )
    }
}

/// A download's file name, as the report page names its CSV (`downloadName` in report.js):
/// `rollcall_snapshot-3_status-pending+no-license_search-zo-.csv`. Dimension values in the
/// console's order, then custom filters, then the search; anything but `A-Za-z0-9._+-` becomes
/// one `-`; at most 180 characters before the extension.
pub(crate) fn download_name(snapshot: i64, filters: &FilterSet, extension: &str) -> String {
    let mut parts = vec!["rollcall".to_string(), format!("snapshot-{snapshot}")];
    for (dim, values) in &filters.dimensions {
        parts.push(format!("{dim}-{}", values.join("+")));
    }
    parts.extend(filters.custom.iter().map(|c| format!("filter-{c}")));
    if let Some(q) = &filters.search {
        parts.push(format!("search-{q}"));
    }
    let mut name = String::new();
    let mut replaced = false;
    for c in parts.join("_").chars() {
        if c.is_ascii_alphanumeric() || "._+-".contains(c) {
            name.push(c);
            replaced = false;
        } else if !replaced {
            name.push('-');
            replaced = true;
        }
    }
    name.truncate(180);
    format!("{name}.{extension}")
}

/// `FILE.manifest.json` beside `FILE`.
pub(crate) fn manifest_path(output: &Path) -> PathBuf {
    let mut name = output
        .file_name()
        .map(|n| n.to_os_string())
        .unwrap_or_default();
    name.push(".manifest.json");
    output.with_file_name(name)
}

/// Writes through a temporary file in the same folder and renames, so a reader never sees half a file.
pub(crate) fn write_atomic(path: &Path, bytes: &[u8]) -> Result<()> {
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

/// What to export: the listing, the file format, and whether CSV text cells are guarded.
#[derive(Debug, Clone)]
pub(crate) struct ExportSpec {
    pub(crate) listing: Listing,
    pub(crate) format: Format,
    /// The formula guard (CSV only; `--raw` turns it off).
    pub(crate) guard: bool,
}

/// An export streamed into a writer: its rows, and the statement and manifest behind them.
pub(crate) struct Exported {
    pub(crate) rows: u64,
    pub(crate) manifest: Manifest,
}

/// Streams the spec's rows into `sink` (never holding them all) and makes the manifest, whose
/// one file entry is the bytes written, under `file_name`.
pub(crate) fn write(
    reader: &Reader,
    spec: &ExportSpec,
    sink: impl Write + Send,
    file_name: &str,
) -> Result<Exported> {
    let stmt = reader.listing_select(&spec.listing, None, 0)?;
    let sink = HashingWriter::new(sink);
    let (rows, sink) = match spec.format {
        Format::Csv => write_csv(reader, spec, &stmt, sink)?,
        Format::Json => write_json(reader, &stmt, sink)?,
        Format::Parquet => write_parquet(reader, &stmt, sink)?,
    };
    let (bytes, sha256, mut inner) = sink.finish();
    inner.flush()?;
    let mut manifest = Manifest::new(reader, spec, &stmt, rows)?;
    manifest.files.push(FileHash {
        file: file_name.to_string(),
        bytes,
        sha256,
    });
    Ok(Exported { rows, manifest })
}

/// Writes the export to `path` (atomically: a failure leaves nothing behind) and its manifest
/// to `manifest_path`, listing `also` (files written beside it, such as a report's page) first.
pub(crate) fn write_file(
    reader: &Reader,
    spec: &ExportSpec,
    path: &Path,
    manifest_path: &Path,
    also: Vec<FileHash>,
) -> Result<Exported> {
    let tmp = TempBeside::new(path);
    let file = File::create(&tmp.0).with_context(|| format!("writing {}", path.display()))?;
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let timer = crate::util::Timer::start();
    let mut exported =
        write(reader, spec, file, &name).with_context(|| format!("writing {}", path.display()))?;
    timer.lap("export written");
    tmp.persist(path)?;
    exported.manifest.files.splice(0..0, also);
    exported.manifest.write(manifest_path)?;
    timer.lap("manifest written");
    Ok(exported)
}

/// Checks an output path before any work: its folder must exist and it must not be a folder.
/// Both are the user's input, so both are usage errors (exit 2).
pub(crate) fn check_target(flag: &str, path: &Path) -> Result<()> {
    if path.is_dir() {
        return Err(Failure::Usage(format!(
            "{flag} {}: is a folder, not a file",
            path.display()
        ))
        .into());
    }
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        if !dir.is_dir() {
            return Err(Failure::Usage(format!(
                "{flag} {}: the folder {} does not exist",
                path.display(),
                dir.display()
            ))
            .into());
        }
    }
    Ok(())
}

/// DuckDB hands over sorted batches on this thread while another formats, guards, writes and
/// hashes them, so the two halves of an export overlap.
fn write_csv<W: Write + Send>(
    reader: &Reader,
    spec: &ExportSpec,
    stmt: &Stmt,
    sink: HashingWriter<W>,
) -> Result<(u64, HashingWriter<W>)> {
    let header = spec.listing.columns.clone();
    let guard = spec.guard;
    let (tx, rx) = std::sync::mpsc::sync_channel::<RecordBatch>(8);
    let timer = crate::util::Timer::start();
    std::thread::scope(|s| {
        let writer = std::thread::Builder::new()
            .name("csv-writer".into())
            .spawn_scoped(s, move || -> Result<(u64, HashingWriter<W>)> {
                let mut out = CsvOut::new(BufWriter::with_capacity(1 << 20, sink), !guard);
                out.header(header.iter().copied())?;
                let mut rows = 0u64;
                let mut bufs: Vec<(String, Kind)> =
                    vec![(String::new(), Kind::Value); header.len()];
                for batch in rx {
                    let cols: Vec<cells::TextColumn> = batch
                        .columns()
                        .iter()
                        .map(|c| cells::TextColumn::of(c.as_ref()))
                        .collect();
                    for r in 0..batch.num_rows() {
                        for ((buf, kind), c) in bufs.iter_mut().zip(&cols) {
                            buf.clear();
                            *kind = c.push(r, buf);
                        }
                        out.row(bufs.iter().map(|(b, k)| (b.as_str(), *k)))?;
                    }
                    rows += batch.num_rows() as u64;
                }
                let sink = out.finish()?.into_inner().map_err(|e| e.into_error())?;
                Ok((rows, sink))
            })?;
        let mut first = true;
        let streamed = reader.store().stream(stmt, |batch| {
            if std::mem::take(&mut first) {
                timer.lap("first rows");
            }
            tx.send(batch.clone())
                .map_err(|_| anyhow::anyhow!("the CSV writer stopped early"))
        });
        drop(tx);
        // The writer's own error explains a failed send, so it is reported first.
        let written = writer
            .join()
            .unwrap_or_else(|p| std::panic::resume_unwind(p))?;
        streamed?;
        timer.lap("rows written");
        Ok(written)
    })
}

fn write_json<W: Write>(
    reader: &Reader,
    stmt: &Stmt,
    sink: HashingWriter<W>,
) -> Result<(u64, HashingWriter<W>)> {
    let mut file = BufWriter::with_capacity(1 << 20, sink);
    let mut rows = 0u64;
    file.write_all(b"[")?;
    reader.store().stream(stmt, |batch| {
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
    Ok((rows, file.into_inner().map_err(|e| e.into_error())?))
}

/// Parquet is written by DuckDB's own writer. COPY cannot bind its target as a parameter, so
/// it writes into a fresh temporary folder whose name we generated (no user text reaches the
/// SQL), and the file is then copied into the sink.
fn write_parquet<W: Write>(
    reader: &Reader,
    stmt: &Stmt,
    mut sink: HashingWriter<W>,
) -> Result<(u64, HashingWriter<W>)> {
    let dir = tempfile::Builder::new()
        .prefix("rollcall-export")
        .tempdir()?;
    let target = dir.path().join("export.parquet");
    let rows = reader.store().copy_parquet(stmt, &target)?;
    std::io::copy(&mut File::open(&target)?, &mut sink)?;
    Ok((rows, sink))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn download_names_follow_the_report_page() {
        let f = FilterSet::from_pairs([
            ("hub", "never"),
            ("status", "pending"),
            ("status", "no-license"),
            ("search", "zoë ångström"),
        ])
        .unwrap();
        assert_eq!(
            download_name(3, &f, "csv"),
            "rollcall_snapshot-3_status-no-license+pending_hub-never_search-zo-ngstr-m.csv"
        );
        assert_eq!(
            download_name(1, &FilterSet::default(), "parquet"),
            "rollcall_snapshot-1.parquet"
        );
        let long = FilterSet::from_pairs([("search", "x".repeat(500))]).unwrap();
        assert_eq!(download_name(1, &long, "json").len(), 180 + ".json".len());
        let odd = FilterSet::from_pairs([("search", "a/../b\\c\"d")]).unwrap();
        assert_eq!(
            download_name(2, &odd, "csv"),
            "rollcall_snapshot-2_search-a-..-b-c-d.csv"
        );
    }
}
