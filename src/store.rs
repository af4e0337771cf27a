//! The one module that opens DuckDB: connection modes, schema and views, writing a snapshot
//! atomically, and running SQL for the read side. Everything else passes SQL text and bound
//! parameters through here and gets plain data back.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use chrono::{DateTime, NaiveDateTime, Utc};
use duckdb::arrow::record_batch::RecordBatch;
use duckdb::types::{TimeUnit, Value};
use duckdb::{AccessMode, Config, Connection};
use serde::Serialize;

use crate::error::Failure;
use crate::ingest::{InputMeta, Parsed, Reject};
use crate::queries::Sql;

mod staged;

/// How a command needs the database.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// Ingest: takes DuckDB's exclusive lock.
    ReadWrite,
    /// Every other command: shares the file, refuses writes.
    ReadOnly,
    /// Ad-hoc SQL: read-only, and no file or network access beyond the database itself.
    Query,
}

pub struct Store {
    conn: Connection,
    path: PathBuf,
    pub sql: Sql,
}

/// One row of the `snapshots` table.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SnapshotInfo {
    pub id: i64,
    pub label: Option<String>,
    #[serde(serialize_with = "crate::util::ser_ts")]
    pub as_of: DateTime<Utc>,
    #[serde(serialize_with = "crate::util::ser_ts")]
    pub ingested_at: DateTime<Utc>,
    pub tool_version: String,
    pub users: i64,
    pub devices: i64,
    pub rejected: i64,
}

/// A stored notice (status disagreements, unknown columns).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct NoticeRow {
    pub kind: String,
    pub file: Option<String>,
    pub line: Option<i64>,
    pub email: Option<String>,
    pub detail: String,
}

/// The snapshot and instant a read is about: every derived column depends on these.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Scope {
    pub snapshot: SnapshotInfo,
    #[serde(serialize_with = "crate::util::ser_ts")]
    pub as_of: DateTime<Utc>,
    pub window_days: i64,
}

impl Scope {
    /// The bound parameters of the `params` CTE every read query starts with.
    pub fn params(&self) -> Vec<Value> {
        vec![
            Value::BigInt(self.snapshot.id),
            ts_value(self.as_of),
            Value::BigInt(self.window_days),
        ]
    }
}

/// The `params` CTE: snapshot, as-of and window as bound parameters, never formatted into the SQL.
pub const PARAMS_CTE: &str = "params AS (SELECT CAST(? AS INTEGER) AS snapshot_id, CAST(? AS TIMESTAMP) AS as_of, CAST(? AS INTEGER) AS window_days)";

pub fn ts_value(t: DateTime<Utc>) -> Value {
    Value::Timestamp(TimeUnit::Microsecond, t.timestamp_micros())
}

fn from_naive(t: NaiveDateTime) -> DateTime<Utc> {
    DateTime::from_naive_utc_and_offset(t, Utc)
}

/// The views analysts query, in creation order, as (name, file under queries/).
pub const VIEWS: &[(&str, &str)] = &[
    ("users", "views/users.sql"),
    ("devices", "views/devices.sql"),
    ("rejects", "views/rejects.sql"),
    ("notices", "views/notices.sql"),
    ("current_snapshot", "views/current_snapshot.sql"),
];

impl Store {
    pub fn open(path: &Path, access: Access, sql: Sql) -> Result<Store> {
        if access != Access::ReadWrite && !path.exists() {
            return Err(Failure::Usage(format!(
                "no database at {}: run `rollcall ingest` first, or pass --db",
                path.display()
            ))
            .into());
        }
        let mode = match access {
            Access::ReadWrite => AccessMode::ReadWrite,
            Access::ReadOnly | Access::Query => AccessMode::ReadOnly,
        };
        let config = Config::default()
            .access_mode(mode)
            .and_then(|c| c.enable_autoload_extension(false))
            .and_then(|c| c.enable_external_access(access != Access::Query))
            .context("configuring DuckDB")?;
        let conn = Connection::open_with_flags(path, config).map_err(|e| open_error(path, e))?;
        if access == Access::ReadWrite {
            conn.register_table_function::<staged::StagedScan>(staged::NAME)
                .context("registering the staged() table function")?;
            // The snapshot's bulk inserts scan staged() on every thread; keeping file order
            // would make DuckDB insert on one. Every read orders explicitly.
            conn.execute_batch("SET preserve_insertion_order = false")?;
        }
        Ok(Store {
            conn,
            path: path.to_path_buf(),
            sql,
        })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    fn has_schema(&self) -> Result<bool> {
        let n: i64 = self.conn.query_row(
            "SELECT count(*) FROM duckdb_tables() WHERE database_name = current_database() AND schema_name = 'main' AND table_name = 'snapshots'",
            [],
            |r| r.get(0),
        )?;
        Ok(n > 0)
    }

    /// Creates tables and (re)creates the persistent views over the latest snapshot.
    fn ensure_schema(&self) -> Result<()> {
        self.conn
            .execute_batch(&self.sql.get("schema.sql")?)
            .context("creating the schema (queries/schema.sql)")?;
        let latest = self.sql.fragment("views/latest_params.sql")?;
        for (name, file) in VIEWS {
            let body = self.sql.fragment(file)?;
            self.conn
                .execute_batch(&format!(
                    "CREATE OR REPLACE VIEW {name} AS WITH params AS ({latest}) {body}"
                ))
                .with_context(|| format!("creating view {name} (queries/{file})"))?;
        }
        Ok(())
    }

    /// Files a parsed ingest as a new snapshot in one transaction: all of it, or none.
    pub fn write_snapshot(
        &self,
        parsed: &Parsed,
        label: Option<&str>,
        as_of: DateTime<Utc>,
        ingested_at: DateTime<Utc>,
    ) -> Result<SnapshotInfo> {
        self.conn.execute_batch("BEGIN TRANSACTION")?;
        match self.write_snapshot_inner(parsed, label, as_of, ingested_at) {
            Ok(info) => {
                pause_for_tests();
                let t = crate::util::Timer::start();
                self.conn
                    .execute_batch("COMMIT")
                    .context("committing the snapshot")?;
                t.lap("committed");
                Ok(info)
            }
            Err(e) => {
                let _ = self.conn.execute_batch("ROLLBACK");
                Err(e)
            }
        }
    }

    fn write_snapshot_inner(
        &self,
        parsed: &Parsed,
        label: Option<&str>,
        as_of: DateTime<Utc>,
        ingested_at: DateTime<Utc>,
    ) -> Result<SnapshotInfo> {
        let t = crate::util::Timer::start();
        self.ensure_schema()?;
        let id: i64 =
            self.conn
                .query_row("SELECT coalesce(max(id), 0) + 1 FROM snapshots", [], |r| {
                    r.get(0)
                })?;
        let users = staged::Registration::new(&parsed.users);
        let devices = staged::Registration::new(&parsed.devices);
        let users_name = parsed.inputs[0].name.clone();
        self.exec_file(
            "ingest/insert_devices.sql",
            &[Value::BigInt(id), Value::UBigInt(devices.token())],
        )?;
        t.lap("filed devices");
        self.exec_file(
            "ingest/derive_users.sql",
            &[
                Value::BigInt(id),
                Value::Boolean(parsed.has_stages),
                Value::UBigInt(users.token()),
                Value::UBigInt(devices.token()),
            ],
        )?;
        t.lap("derived users");
        self.exec_file(
            "ingest/status_notices.sql",
            &[Value::BigInt(id), Value::Text(users_name)],
        )?;

        {
            let mut app = self.conn.appender("reject_records")?;
            for r in &parsed.rejects {
                app.append_row(duckdb::params![
                    id,
                    r.file,
                    r.kind,
                    r.line as i64,
                    r.column,
                    r.reason,
                    r.detail,
                    r.raw
                ])?;
            }
            let mut app = self.conn.appender("notice_records")?;
            for n in &parsed.notices {
                app.append_row(duckdb::params![
                    id,
                    n.kind,
                    n.file,
                    None::<i64>,
                    None::<String>,
                    n.detail
                ])?;
            }
            let mut app = self.conn.appender("snapshot_inputs")?;
            for m in &parsed.inputs {
                app.append_row(duckdb::params![
                    id,
                    m.kind,
                    m.path,
                    m.name,
                    m.format,
                    m.size_bytes as i64,
                    m.sha256,
                    m.rows_read as i64,
                    m.rows_kept as i64,
                    m.rows_rejected as i64
                ])?;
            }
        }
        let info = SnapshotInfo {
            id,
            label: label.map(str::to_string),
            as_of,
            ingested_at,
            tool_version: crate::VERSION.to_string(),
            users: parsed.users_kept as i64,
            devices: parsed.devices_kept as i64,
            rejected: parsed.rejects.len() as i64,
        };
        self.conn.execute(
            "INSERT INTO snapshots VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            duckdb::params_from_iter([
                Value::BigInt(id),
                info.label.clone().map_or(Value::Null, Value::Text),
                ts_value(as_of),
                ts_value(ingested_at),
                Value::Text(info.tool_version.clone()),
                Value::BigInt(info.users),
                Value::BigInt(info.devices),
                Value::BigInt(info.rejected),
            ]),
        )?;
        Ok(info)
    }

    fn exec_file(&self, file: &str, params: &[Value]) -> Result<usize> {
        let sql = self.sql.get(file)?;
        self.conn
            .execute(&sql, duckdb::params_from_iter(params.iter()))
            .with_context(|| format!("running queries/{file}"))
    }

    pub fn snapshots(&self) -> Result<Vec<SnapshotInfo>> {
        if !self.has_schema()? {
            return Ok(Vec::new());
        }
        let mut stmt = self.conn.prepare(
            "SELECT id, label, as_of, ingested_at, tool_version, users, devices, rejected FROM snapshots ORDER BY id",
        )?;
        let rows = stmt.query_map([], |r| {
            Ok(SnapshotInfo {
                id: r.get(0)?,
                label: r.get(1)?,
                as_of: from_naive(r.get(2)?),
                ingested_at: from_naive(r.get(3)?),
                tool_version: r.get(4)?,
                users: r.get(5)?,
                devices: r.get(6)?,
                rejected: r.get(7)?,
            })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// The snapshot asked for, or the latest; a clear error when there is none.
    pub fn snapshot(&self, id: Option<i64>) -> Result<SnapshotInfo> {
        let all = self.snapshots()?;
        match id {
            None => all.last().cloned().ok_or_else(|| {
                Failure::Usage(format!(
                    "{} holds no snapshot yet: run `rollcall ingest --users FILE` first",
                    self.path.display()
                ))
                .into()
            }),
            Some(id) => all.iter().find(|s| s.id == id).cloned().ok_or_else(|| {
                let ids: Vec<String> = all.iter().map(|s| s.id.to_string()).collect();
                Failure::Usage(format!(
                    "--snapshot {id}: no such snapshot (have: {})",
                    if ids.is_empty() {
                        "none".into()
                    } else {
                        ids.join(", ")
                    }
                ))
                .into()
            }),
        }
    }

    pub fn inputs(&self, snapshot: i64) -> Result<Vec<InputMeta>> {
        let mut stmt = self.conn.prepare(
            "SELECT kind, path, name, format, size_bytes, sha256, rows_read, rows_kept, rows_rejected FROM snapshot_inputs WHERE snapshot_id = ? ORDER BY kind DESC",
        )?;
        let rows = stmt.query_map([snapshot], |r| {
            let kind: String = r.get(0)?;
            let format: String = r.get(3)?;
            Ok(InputMeta {
                kind,
                path: r.get(1)?,
                name: r.get(2)?,
                format,
                size_bytes: r.get::<_, i64>(4)? as u64,
                sha256: r.get(5)?,
                rows_read: r.get::<_, i64>(6)? as u64,
                rows_kept: r.get::<_, i64>(7)? as u64,
                rows_rejected: r.get::<_, i64>(8)? as u64,
            })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    pub fn rejects(&self, snapshot: i64) -> Result<Vec<Reject>> {
        let mut stmt = self.conn.prepare(
            "SELECT file, kind, line, column_name, reason, detail, raw FROM reject_records WHERE snapshot_id = ? ORDER BY kind DESC, line",
        )?;
        let rows = stmt.query_map([snapshot], |r| {
            Ok(Reject {
                file: r.get(0)?,
                kind: r.get(1)?,
                line: r.get::<_, i64>(2)? as u64,
                column: r.get(3)?,
                reason: r.get(4)?,
                detail: r.get(5)?,
                raw: r.get(6)?,
            })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    pub fn notices(&self, snapshot: i64) -> Result<Vec<NoticeRow>> {
        let mut stmt = self.conn.prepare(
            "SELECT kind, file, line, email, detail FROM notice_records WHERE snapshot_id = ? ORDER BY kind, line NULLS FIRST",
        )?;
        let rows = stmt.query_map([snapshot], |r| {
            Ok(NoticeRow {
                kind: r.get(0)?,
                file: r.get(1)?,
                line: r.get(2)?,
                email: r.get(3)?,
                detail: r.get(4)?,
            })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// Runs a query and hands its result to `f` batch by batch, never holding it all.
    pub fn stream(
        &self,
        sql: &str,
        params: &[Value],
        mut f: impl FnMut(&RecordBatch) -> Result<()>,
    ) -> Result<duckdb::arrow::datatypes::SchemaRef> {
        let mut stmt = self.conn.prepare(sql).map_err(sql_error)?;
        let stream = stmt
            .stream_arrow(duckdb::params_from_iter(params.iter()))
            .map_err(sql_error)?;
        let schema = stream.get_schema();
        for batch in stream {
            f(&batch.map_err(sql_error)?)?;
        }
        Ok(schema)
    }

    /// All result rows as batches: for small results (pages, summaries, details).
    pub fn fetch(&self, sql: &str, params: &[Value]) -> Result<Vec<RecordBatch>> {
        let mut out = Vec::new();
        self.stream(sql, params, |b| {
            out.push(b.clone());
            Ok(())
        })?;
        Ok(out)
    }

    /// Writes a query's result as Parquet with DuckDB's writer. `target` must be a path the
    /// caller generated (it is the one thing formatted into SQL, because COPY cannot bind it).
    pub fn copy_parquet(&self, sql: &str, params: &[Value], target: &Path) -> Result<u64> {
        let target = target
            .to_str()
            .filter(|t| !t.contains('\''))
            .context("unusable temporary path")?;
        self.conn
            .execute(
                &format!("CREATE OR REPLACE TEMP TABLE rollcall_export AS {sql}"),
                duckdb::params_from_iter(params.iter()),
            )
            .map_err(sql_error)?;
        let rows: i64 = self
            .conn
            .query_row("SELECT count(*) FROM rollcall_export", [], |r| r.get(0))?;
        self.conn
            .execute_batch(&format!(
                "COPY rollcall_export TO '{target}' (FORMAT parquet); DROP TABLE rollcall_export;"
            ))
            .map_err(sql_error)?;
        Ok(rows as u64)
    }

    /// Prepares without running: checks that SQL (a custom filter, say) parses and binds.
    pub fn check(&self, sql: &str) -> Result<(), String> {
        self.conn
            .prepare(sql)
            .map(|_| ())
            .map_err(|e| one_line(&e.to_string()))
    }

    /// Sets up an ad-hoc session: `params` and the documented views, as temporary objects
    /// for the chosen scope, on this read-only connection.
    pub fn prepare_adhoc(&self, scope: &Scope) -> Result<()> {
        self.conn
            .execute(
                &format!(
                    "CREATE OR REPLACE TEMP TABLE params AS WITH {PARAMS_CTE} SELECT * FROM params"
                ),
                duckdb::params_from_iter(scope.params()),
            )
            .context("setting up the query session")?;
        for (name, file) in VIEWS {
            let body = self.sql.fragment(file)?;
            self.conn
                .execute_batch(&format!("CREATE OR REPLACE TEMP VIEW {name} AS {body}"))
                .with_context(|| format!("creating view {name} (queries/{file})"))?;
        }
        Ok(())
    }

    /// Runs one ad-hoc statement; DuckDB's refusal of writes on a read-only database comes back
    /// as a one-line error.
    pub fn adhoc(
        &self,
        sql: &str,
        f: impl FnMut(&RecordBatch) -> Result<()>,
    ) -> Result<duckdb::arrow::datatypes::SchemaRef> {
        self.stream(sql, &[], f)
    }
}

/// Turns DuckDB's lock conflict into the documented one-line "in use" error.
fn open_error(path: &Path, e: duckdb::Error) -> anyhow::Error {
    let msg = e.to_string();
    if msg.contains("Conflicting lock") || msg.contains("Could not set lock") {
        let pid = msg
            .split("(PID ")
            .nth(1)
            .and_then(|rest| rest.split(')').next())
            .and_then(|p| p.trim().parse().ok());
        return Failure::Busy {
            path: path.display().to_string(),
            pid,
        }
        .into();
    }
    anyhow::anyhow!(
        "{}: cannot open the database: {}",
        path.display(),
        one_line(&msg)
    )
}

/// DuckDB errors span lines (with a caret under the position); keep them to one.
pub fn one_line(msg: &str) -> String {
    let mut parts: Vec<&str> = msg
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect();
    parts.retain(|l| !l.chars().all(|c| c == '^' || c == ' '));
    parts.join(" ")
}

fn sql_error(e: duckdb::Error) -> anyhow::Error {
    anyhow::anyhow!("{}", one_line(&e.to_string()))
}

/// Test hook: holds the transaction open before COMMIT so tests can kill the process
/// mid-ingest or race a second writer. Never set in normal use.
fn pause_for_tests() {
    if let Some(ms) = std::env::var("ROLLCALL_TEST_PAUSE_BEFORE_COMMIT_MS")
        .ok()
        .and_then(|v| v.parse::<u64>().ok())
    {
        eprintln!("rollcall: pausing {ms} ms before commit (ROLLCALL_TEST_PAUSE_BEFORE_COMMIT_MS)");
        std::thread::sleep(std::time::Duration::from_millis(ms));
    }
}

/// Converts DuckDB's Arrow results into plain cells, so layers above never see Arrow or DuckDB.
pub mod cells {
    use chrono::{DateTime, Utc};
    use duckdb::arrow::array::{
        Array, AsArray, BooleanArray, Date32Array, Float32Array, Float64Array, Int32Array,
        Int64Array, StringArray, TimestampMicrosecondArray, UInt64Array,
    };
    use duckdb::arrow::datatypes::{
        DataType, Int16Type, Int32Type, Int64Type, Int8Type, TimeUnit, UInt16Type, UInt32Type,
        UInt8Type,
    };
    use duckdb::arrow::record_batch::RecordBatch;
    use duckdb::arrow::util::display::{ArrayFormatter, FormatOptions};

    use crate::output::{Cell, Grid};

    /// Reads cell `row` of `col`.
    pub fn cell(col: &dyn Array, row: usize) -> Cell {
        if col.is_null(row) {
            return Cell::Null;
        }
        let any = col.as_any();
        match col.data_type() {
            DataType::Utf8 => Cell::Text(
                any.downcast_ref::<StringArray>()
                    .expect("utf8")
                    .value(row)
                    .to_string(),
            ),
            DataType::LargeUtf8 => Cell::Text(col.as_string::<i64>().value(row).to_string()),
            DataType::Utf8View => Cell::Text(col.as_string_view().value(row).to_string()),
            DataType::Boolean => {
                Cell::Bool(any.downcast_ref::<BooleanArray>().expect("bool").value(row))
            }
            DataType::Int8 => Cell::Int(col.as_primitive::<Int8Type>().value(row).into()),
            DataType::Int16 => Cell::Int(col.as_primitive::<Int16Type>().value(row).into()),
            DataType::Int32 => Cell::Int(col.as_primitive::<Int32Type>().value(row).into()),
            DataType::Int64 => Cell::Int(col.as_primitive::<Int64Type>().value(row)),
            DataType::UInt8 => Cell::Int(col.as_primitive::<UInt8Type>().value(row).into()),
            DataType::UInt16 => Cell::Int(col.as_primitive::<UInt16Type>().value(row).into()),
            DataType::UInt32 => Cell::Int(col.as_primitive::<UInt32Type>().value(row).into()),
            DataType::UInt64 => {
                let v = any.downcast_ref::<UInt64Array>().expect("u64").value(row);
                i64::try_from(v).map_or(Cell::Text(v.to_string()), Cell::Int)
            }
            DataType::Float32 => Cell::Float(
                any.downcast_ref::<Float32Array>()
                    .expect("f32")
                    .value(row)
                    .into(),
            ),
            DataType::Float64 => {
                Cell::Float(any.downcast_ref::<Float64Array>().expect("f64").value(row))
            }
            DataType::Timestamp(TimeUnit::Microsecond, _) => {
                let v = any
                    .downcast_ref::<TimestampMicrosecondArray>()
                    .expect("ts")
                    .value(row);
                DateTime::<Utc>::from_timestamp_micros(v).map_or(Cell::Null, Cell::Time)
            }
            DataType::Date32 => {
                let d = any
                    .downcast_ref::<Date32Array>()
                    .expect("date")
                    .value_as_date(row);
                d.map_or(Cell::Null, |d| Cell::Text(d.to_string()))
            }
            DataType::Decimal128(_, 0) => {
                let v = col
                    .as_primitive::<duckdb::arrow::datatypes::Decimal128Type>()
                    .value(row);
                i64::try_from(v).map_or(Cell::Text(v.to_string()), Cell::Int)
            }
            _ => {
                let opts = FormatOptions::default();
                ArrayFormatter::try_new(col, &opts)
                    .map(|f| Cell::Text(f.value(row).to_string()))
                    .unwrap_or(Cell::Null)
            }
        }
    }

    /// A column whose type is resolved once per batch: the export's per-cell path is then a
    /// plain match, with no downcast.
    pub enum TextColumn<'a> {
        Utf8(&'a StringArray),
        Bool(&'a BooleanArray),
        I32(&'a Int32Array),
        I64(&'a Int64Array),
        Micros(&'a TimestampMicrosecondArray),
        Other(&'a dyn Array),
    }

    impl<'a> TextColumn<'a> {
        pub fn of(col: &'a dyn Array) -> TextColumn<'a> {
            let any = col.as_any();
            let typed = match col.data_type() {
                DataType::Utf8 => any.downcast_ref().map(TextColumn::Utf8),
                DataType::Boolean => any.downcast_ref().map(TextColumn::Bool),
                DataType::Int32 => any.downcast_ref().map(TextColumn::I32),
                DataType::Int64 => any.downcast_ref().map(TextColumn::I64),
                DataType::Timestamp(TimeUnit::Microsecond, _) => {
                    any.downcast_ref().map(TextColumn::Micros)
                }
                _ => None,
            };
            typed.unwrap_or(TextColumn::Other(col))
        }

        /// Appends the text of cell `row` (nothing for NULL), as [`Cell::text`] would give it.
        pub fn push(&self, row: usize, out: &mut String) {
            let mut int = itoa::Buffer::new();
            match self {
                TextColumn::Utf8(a) if a.is_valid(row) => out.push_str(a.value(row)),
                TextColumn::Bool(a) if a.is_valid(row) => {
                    out.push_str(if a.value(row) { "yes" } else { "no" })
                }
                TextColumn::I32(a) if a.is_valid(row) => out.push_str(int.format(a.value(row))),
                TextColumn::I64(a) if a.is_valid(row) => out.push_str(int.format(a.value(row))),
                TextColumn::Micros(a) if a.is_valid(row) => {
                    crate::util::push_iso_micros(a.value(row), out)
                }
                TextColumn::Other(a) if a.is_valid(row) => out.push_str(&cell(*a, row).text()),
                _ => {}
            }
        }
    }

    /// Appends a batch's rows to `grid`.
    pub fn extend(grid: &mut Grid, batch: &RecordBatch) {
        if grid.headers.is_empty() {
            grid.headers = batch
                .schema()
                .fields()
                .iter()
                .map(|f| f.name().clone())
                .collect();
        }
        for row in 0..batch.num_rows() {
            grid.rows.push(
                batch
                    .columns()
                    .iter()
                    .map(|c| cell(c.as_ref(), row))
                    .collect(),
            );
        }
    }
}

impl Store {
    /// A small result as a grid of plain cells.
    pub fn grid(&self, sql: &str, params: &[Value]) -> Result<crate::output::Grid> {
        let mut grid = crate::output::Grid::default();
        let schema = self.stream(sql, params, |b| {
            cells::extend(&mut grid, b);
            Ok(())
        })?;
        if grid.headers.is_empty() {
            grid.headers = schema.fields().iter().map(|f| f.name().clone()).collect();
        }
        Ok(grid)
    }
}
