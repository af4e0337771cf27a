//! The one module that opens DuckDB: connection modes, the schema and its versions, writing a
//! snapshot atomically, and the read sessions every read runs in. Everything else hands it
//! statements from `queries/` with their parameters and gets plain data back.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Condvar, Mutex};
use std::time::Duration;

use anyhow::{Context, Result};
use chrono::{DateTime, NaiveDateTime, Utc};
use duckdb::arrow::datatypes::SchemaRef;
use duckdb::arrow::record_batch::RecordBatch;
use duckdb::types::{TimeUnit, Value};
use duckdb::{AccessMode, Config, Connection};

use crate::bounds::Stopwatch;
use crate::error::Failure;
use crate::ingest::Parsed;
use crate::model::{InputMeta, NoticeRow, Reject, Scope, SnapshotInfo};
use crate::output::{CsvOut, Grid, Kind};
use crate::sql::{Param, Sql, Stmt};

mod copy;
pub(crate) mod handover;
mod licenses;
mod pseudo;
mod reminders;
mod schema;
mod staged;

pub(crate) use copy::copy_database;
pub(crate) use reminders::LogEntry;

/// The embedded DuckDB's version as DuckDB itself says it (`v2.0.0`), for `rollcall --version`.
/// `duckdb_library_version` returns a static string and needs no database or connection, so
/// asking costs nothing at start-up.
pub(crate) fn duckdb_version() -> String {
    // SAFETY: DuckDB returns a pointer to a NUL-terminated string with static lifetime.
    let text = unsafe { std::ffi::CStr::from_ptr(duckdb::ffi::duckdb_library_version()) };
    text.to_string_lossy().into_owned()
}

/// How a command needs the database.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Access {
    /// Ingest: takes DuckDB's exclusive lock.
    ReadWrite,
    /// Every other command: shares the file, refuses writes.
    ReadOnly,
    /// Ad-hoc SQL: read-only, and no file or network access beyond the database itself.
    Query,
}

pub(crate) struct Store {
    conn: Connection,
    path: PathBuf,
    pub(crate) sql: Sql,
}

fn ts_value(t: DateTime<Utc>) -> Value {
    Value::Timestamp(TimeUnit::Microsecond, t.timestamp_micros())
}

fn from_naive(t: NaiveDateTime) -> DateTime<Utc> {
    DateTime::from_naive_utc_and_offset(t, Utc)
}

fn value(p: &Param) -> Value {
    match p {
        Param::Int(i) => Value::BigInt(*i),
        Param::Text(s) => Value::Text(s.clone()),
        Param::Time(t) => ts_value(*t),
    }
}

/// The bound parameters of `queries/session/params.sql` for a scope.
pub(crate) fn scope_params(scope: &Scope) -> Vec<Param> {
    vec![
        Param::Int(scope.snapshot.id),
        Param::Time(scope.as_of),
        Param::Int(scope.window_days),
    ]
}

/// The views analysts query, in creation order, as (name, file under queries/).
const VIEWS: &[(&str, &str)] = &[
    ("users", "views/users.sql"),
    ("devices", "views/devices.sql"),
    ("rejects", "views/rejects.sql"),
    ("notices", "views/notices.sql"),
    ("current_snapshot", "views/current_snapshot.sql"),
    ("license_decisions", "views/license_decisions.sql"),
];

impl Store {
    /// Opens the database. A database of an older schema is upgraded first (see
    /// [`schema`]); one of a newer schema is refused.
    pub(crate) fn open(path: &Path, access: Access, sql: Sql) -> Result<Store> {
        if access != Access::ReadWrite && !path.exists() {
            return Err(Failure::Usage(format!(
                "no database at {}: run `rollcall ingest` first, or pass --db",
                path.display()
            ))
            .into());
        }
        let store = Store::connect(path, access, sql.clone())?;
        match schema::check(&store)? {
            schema::State::Current | schema::State::Empty => Ok(store),
            schema::State::Older(found) if access == Access::ReadWrite => {
                schema::upgrade(&store, found)?;
                Ok(store)
            }
            schema::State::Older(found) => {
                // A read-only connection cannot upgrade: take the write lock once, then go on
                // as asked.
                drop(store);
                let writer = Store::connect(path, Access::ReadWrite, sql.clone())?;
                schema::upgrade(&writer, found)?;
                drop(writer);
                Store::connect(path, access, sql)
            }
        }
    }

    /// Opens the database for writing, by the hand-over protocol (see [`handover`]): announces
    /// this writer in the marker that makes a server let go of the file, waits up to `wait` for
    /// other writers and for readers to close, and fails with [`Failure::Busy`] after that.
    /// `on_wait` is called once, with the PID in the way when known, if it has to wait.
    pub(crate) fn open_writer(
        path: &Path,
        sql: Sql,
        wait: Duration,
        on_wait: &mut dyn FnMut(Option<u32>),
    ) -> Result<Writer> {
        let patience = handover::Patience::new(wait);
        let claim = handover::Claim::take(path, &patience, on_wait)?;
        let mut waiting = false;
        loop {
            match Store::open(path, Access::ReadWrite, sql.clone()) {
                Ok(store) => {
                    return Ok(Writer {
                        store,
                        _claim: claim,
                    })
                }
                Err(e) => match e.downcast_ref::<Failure>() {
                    Some(Failure::Busy { pid, .. }) => {
                        if !waiting {
                            waiting = true;
                            on_wait(*pid);
                        }
                        if !patience.pause() {
                            return Err(handover::busy(path, *pid, &patience));
                        }
                    }
                    _ => return Err(e),
                },
            }
        }
    }

    fn connect(path: &Path, access: Access, sql: Sql) -> Result<Store> {
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
        let store = Store {
            conn,
            path: path.to_path_buf(),
            sql,
        };
        if access == Access::ReadWrite {
            store
                .conn
                .register_table_function::<staged::StagedScan>(staged::NAME)
                .context("registering the staged() table function")?;
            store.exec_file("ingest/settings.sql", &[])?;
        }
        Ok(store)
    }

    /// Another connection to the same open database: one DuckDB instance (one file handle, one
    /// buffer cache, one lock on the file) shared by a server's workers, each connection with
    /// its own session. The database closes when the last of them is dropped.
    pub(crate) fn try_clone(&self) -> Result<Store> {
        Ok(Store {
            conn: self
                .conn
                .try_clone()
                .context("connecting to the open database")?,
            path: self.path.clone(),
            sql: self.sql.clone(),
        })
    }

    /// What stops this connection's running statement from another thread (a watchdog).
    pub(crate) fn interrupter(&self) -> Interrupter {
        Interrupter(self.conn.interrupt_handle())
    }

    /// Creates the tables of a new database and (re)creates the persistent views over the
    /// latest snapshot.
    fn ensure_schema(&self) -> Result<()> {
        if schema::check(self)? == schema::State::Empty {
            schema::create(self)?;
        }
        let latest = Stmt::new(self.sql.fragment("views/latest_params.sql")?, vec![]);
        for (name, file) in VIEWS {
            let body = Stmt::new(self.sql.fragment(file)?, vec![]);
            let s = self.sql.fill(
                "store/view.sql",
                &[
                    ("name", &Stmt::new(*name, vec![])),
                    ("latest", &latest),
                    ("body", &body),
                ],
            )?;
            self.conn
                .execute_batch(&s.sql)
                .with_context(|| format!("creating view {name} (queries/{file})"))?;
        }
        Ok(())
    }

    /// The one view mechanism of every read: the scope in a temporary `params` table and the
    /// documented views (queries/views/) as temporary views over it, so every read statement is
    /// a plain `SELECT … FROM users`, and the collation as the macro `sort_key` for analysts'
    /// queries. Works on read-only connections: temporary objects live in memory.
    pub(crate) fn use_scope(&self, scope: &Scope) -> Result<()> {
        self.rescope(scope)?;
        for (name, file) in VIEWS {
            let body = Stmt::new(self.sql.fragment(file)?, vec![]);
            let view = self.sql.fill(
                "session/view.sql",
                &[("name", &Stmt::new(*name, vec![])), ("body", &body)],
            )?;
            self.execute(&view)
                .with_context(|| format!("creating view {name} (queries/{file})"))?;
        }
        let collation = self.sql.fill(
            "read/collation.sql",
            &[("text", &Stmt::new("text", vec![]))],
        )?;
        let macro_ = self
            .sql
            .fill("session/sort_key.sql", &[("collation", &collation)])?;
        self.execute(&macro_)
            .context("creating sort_key (queries/session/sort_key.sql)")?;
        Ok(())
    }

    /// Points a session set up by [`use_scope`](Self::use_scope) at another scope: only the
    /// `params` table changes, the views read it afresh (a pooled connection's next request).
    pub(crate) fn rescope(&self, scope: &Scope) -> Result<()> {
        let params = self.sql.stmt("session/params.sql", scope_params(scope))?;
        let table = self
            .sql
            .fill("session/params_table.sql", &[("params", &params)])?;
        self.execute(&table)
            .context("setting up the read session")?;
        Ok(())
    }

    /// Files a parsed ingest as a new snapshot in one transaction: all of it, or none.
    pub(crate) fn write_snapshot(
        &self,
        parsed: &Parsed,
        label: Option<&str>,
        as_of: DateTime<Utc>,
        ingested_at: DateTime<Utc>,
    ) -> Result<SnapshotInfo> {
        // Dropped without commit (an error, a panic), the transaction rolls back.
        let tx = self.conn.unchecked_transaction()?;
        let info = self.write_snapshot_inner(parsed, label, as_of, ingested_at)?;
        pause_for_tests();
        let t = crate::util::Timer::start();
        tx.commit().context("committing the snapshot")?;
        t.lap("committed");
        Ok(info)
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
        let id: i64 = self
            .conn
            .query_row(&self.sql.fragment("ingest/next_id.sql")?, [], |r| r.get(0))?;
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
        for file in [
            "ingest/status_notices.sql",
            "ingest/stage_notices.sql",
            "ingest/usage_notices.sql",
        ] {
            self.exec_file(file, &[Value::BigInt(id), Value::Text(users_name.clone())])?;
        }

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
        self.exec_file(
            "ingest/insert_snapshot.sql",
            &[
                Value::BigInt(id),
                info.label.clone().map_or(Value::Null, Value::Text),
                ts_value(as_of),
                ts_value(ingested_at),
                Value::Text(info.tool_version.clone()),
                Value::BigInt(info.users),
                Value::BigInt(info.devices),
                Value::BigInt(info.rejected),
            ],
        )?;
        Ok(info)
    }

    fn exec_file(&self, file: &str, params: &[Value]) -> Result<usize> {
        let sql = self.sql.fragment(file)?;
        self.conn
            .execute(&sql, duckdb::params_from_iter(params.iter()))
            .with_context(|| format!("running queries/{file}"))
    }

    /// Runs a statement that returns no rows.
    fn execute(&self, s: &Stmt) -> Result<usize> {
        self.conn
            .execute(&s.sql, duckdb::params_from_iter(s.params.iter().map(value)))
            .map_err(sql_error)
    }

    /// The rows of a `queries/` file with one snapshot id bound (or none), each made by `f`.
    fn rows<T>(
        &self,
        file: &str,
        snapshot: Option<i64>,
        f: impl FnMut(&duckdb::Row<'_>) -> duckdb::Result<T>,
    ) -> Result<Vec<T>> {
        let mut stmt = self.conn.prepare(&self.sql.fragment(file)?)?;
        let params: Vec<i64> = snapshot.into_iter().collect();
        let rows = stmt
            .query_map(duckdb::params_from_iter(params), f)
            .with_context(|| format!("running queries/{file}"))?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    pub(crate) fn snapshots(&self) -> Result<Vec<SnapshotInfo>> {
        if schema::check(self)? == schema::State::Empty {
            return Ok(Vec::new());
        }
        self.rows("read/snapshots.sql", None, snapshot_row)
    }

    /// The snapshot asked for, or the latest; a clear error when there is none.
    pub(crate) fn snapshot(&self, id: Option<i64>) -> Result<SnapshotInfo> {
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

    pub(crate) fn inputs(&self, snapshot: i64) -> Result<Vec<InputMeta>> {
        self.rows("read/inputs.sql", Some(snapshot), |r| {
            Ok(InputMeta {
                kind: r.get(0)?,
                path: r.get(1)?,
                name: r.get(2)?,
                format: r.get(3)?,
                size_bytes: r.get::<_, i64>(4)? as u64,
                sha256: r.get(5)?,
                rows_read: r.get::<_, i64>(6)? as u64,
                rows_kept: r.get::<_, i64>(7)? as u64,
                rows_rejected: r.get::<_, i64>(8)? as u64,
            })
        })
    }

    pub(crate) fn rejects(&self, snapshot: i64) -> Result<Vec<Reject>> {
        self.rows("read/rejects.sql", Some(snapshot), reject_row)
    }

    /// One page of a snapshot's rejects (in the order of [`rejects`](Self::rejects)) and how
    /// many it has in all.
    pub(crate) fn rejects_page(
        &self,
        snapshot: i64,
        limit: i64,
        offset: i64,
    ) -> Result<(u64, Vec<Reject>)> {
        let total: i64 = self
            .conn
            .query_row(
                &self.sql.fragment("read/rejects_count.sql")?,
                [snapshot],
                |r| r.get(0),
            )
            .context("running queries/read/rejects_count.sql")?;
        let mut stmt = self
            .conn
            .prepare(&self.sql.fragment("read/rejects_page.sql")?)?;
        let rows = stmt
            .query_map([snapshot, limit, offset], reject_row)
            .context("running queries/read/rejects_page.sql")?
            .collect::<Result<Vec<_>, _>>()?;
        Ok((total.max(0) as u64, rows))
    }

    pub(crate) fn notices(&self, snapshot: i64) -> Result<Vec<NoticeRow>> {
        self.rows("read/notices.sql", Some(snapshot), |r| {
            Ok(NoticeRow {
                kind: r.get(0)?,
                file: r.get(1)?,
                line: r.get(2)?,
                email: r.get(3)?,
                detail: r.get(4)?,
            })
        })
    }

    /// Runs a statement and hands its result to `f` batch by batch, never holding it all.
    pub(crate) fn stream(
        &self,
        s: &Stmt,
        mut f: impl FnMut(&RecordBatch) -> Result<()>,
    ) -> Result<SchemaRef> {
        let mut stmt = self.conn.prepare(&s.sql).map_err(sql_error)?;
        let stream = stmt
            .stream_arrow(duckdb::params_from_iter(s.params.iter().map(value)))
            .map_err(sql_error)?;
        let schema = stream.get_schema();
        for batch in stream {
            f(&batch.map_err(sql_error)?)?;
        }
        Ok(schema)
    }

    /// Bounds the memory of every later statement on this connection (an analyst's query), then
    /// locks the configuration so the statement cannot lift the bound with a `SET` of its own.
    pub(crate) fn bound_memory(&self, bytes: Option<u64>) -> Result<()> {
        if let Some(bytes) = bytes {
            self.exec_file(
                "query/memory_limit.sql",
                &[Value::Text(format!("{bytes}B"))],
            )?;
        }
        self.exec_file("query/lock_settings.sql", &[])?;
        Ok(())
    }

    /// Bounds the memory of this database instance (every connection cloned from it: the
    /// server's), spilling past it into `temp_dir`. Not locked: the server runs only its own SQL.
    pub(crate) fn bound_instance(&self, bytes: u64, temp_dir: &Path) -> Result<()> {
        self.exec_file(
            "serve/temp_directory.sql",
            &[Value::Text(temp_dir.display().to_string())],
        )?;
        self.exec_file(
            "query/memory_limit.sql",
            &[Value::Text(format!("{bytes}B"))],
        )?;
        Ok(())
    }

    /// As [`stream`](Self::stream), one [`Batch`] at a time (about 2,000 rows each, as DuckDB
    /// hands them over), and stopped with [`TimedOut`] once `clock` passes `limit`: a watchdog
    /// thread interrupts DuckDB, which fails the statement wherever it is (planning, running,
    /// or between batches). Returns the result's column names.
    pub(crate) fn stream_within(
        &self,
        s: &Stmt,
        limit: Duration,
        clock: &Stopwatch,
        mut f: impl FnMut(Batch<'_>) -> Result<()>,
    ) -> Result<Vec<String>> {
        let interrupt = self.conn.interrupt_handle();
        let fired = AtomicBool::new(false);
        let finished = (Mutex::new(false), Condvar::new());
        let result = std::thread::scope(|scope| {
            scope.spawn(|| {
                let (lock, wake) = &finished;
                let mut done = lock.lock().unwrap_or_else(|e| e.into_inner());
                while !*done {
                    let left = limit.saturating_sub(clock.elapsed());
                    let wait = if left.is_zero() {
                        // DuckDB clears an interrupt that lands before execution starts, so
                        // keep signalling until the statement gives up.
                        fired.store(true, Ordering::SeqCst);
                        interrupt.interrupt();
                        Duration::from_millis(20)
                    } else {
                        left
                    };
                    done = wake
                        .wait_timeout(done, wait)
                        .unwrap_or_else(|e| e.into_inner())
                        .0;
                }
            });
            let result = self.stream(s, |batch| f(Batch(batch)));
            let (lock, wake) = &finished;
            *lock.lock().unwrap_or_else(|e| e.into_inner()) = true;
            wake.notify_all();
            result
        });
        match result {
            Ok(schema) => Ok(schema.fields().iter().map(|f| f.name().clone()).collect()),
            Err(e) if fired.load(Ordering::SeqCst) && format!("{e:#}").contains("INTERRUPT") => {
                Err(TimedOut.into())
            }
            Err(e) => Err(e),
        }
    }

    /// A small result (a page, a summary, a user) as a grid of plain cells.
    pub(crate) fn grid(&self, s: &Stmt) -> Result<Grid> {
        let mut grid = Grid::default();
        let schema = self.stream(s, |b| {
            cells::extend(&mut grid, b);
            Ok(())
        })?;
        if grid.headers.is_empty() {
            grid.headers = schema.fields().iter().map(|f| f.name().clone()).collect();
        }
        Ok(grid)
    }

    /// Writes a statement's result as Parquet with DuckDB's writer. `target` must be a path the
    /// caller generated (it is the one thing formatted into SQL, because COPY cannot bind it).
    pub(crate) fn copy_parquet(&self, s: &Stmt, target: &Path) -> Result<u64> {
        let target = target
            .to_str()
            .filter(|t| !t.contains('\''))
            .context("unusable temporary path")?;
        self.execute(&self.sql.fill("export/stage.sql", &[("query", s)])?)?;
        let count = self.sql.stmt("export/count.sql", vec![])?;
        let rows: i64 = self
            .conn
            .query_row(&count.sql, [], |r| r.get(0))
            .map_err(sql_error)?;
        // Timestamps are UTC instants: written as TIMESTAMPTZ, Parquet marks them
        // isAdjustedToUTC, so readers agree with the CSV's `…Z`.
        let columns = self.rows("export/columns.sql", None, |r| {
            Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?))
        })?;
        let list = columns
            .iter()
            .map(|(name, ty)| {
                let column = Stmt::ident(name);
                if ty == "TIMESTAMP" {
                    self.sql
                        .fill("export/utc_column.sql", &[("column", &column)])
                } else {
                    Ok(column)
                }
            })
            .collect::<Result<Vec<_>>>()?;
        let copy = self.sql.fill(
            "export/parquet.sql",
            &[
                ("columns", &Stmt::join(&list, ", ")),
                ("target", &Stmt::new(target, vec![])),
            ],
        )?;
        self.execute(&copy)?;
        self.execute(&self.sql.stmt("export/unstage.sql", vec![])?)?;
        Ok(rows as u64)
    }

    /// Prepares without running: checks that SQL (a custom filter, say) parses and binds.
    pub(crate) fn check(&self, s: &Stmt) -> Result<(), String> {
        self.conn
            .prepare(&s.sql)
            .map(|_| ())
            .map_err(|e| one_line(&e.to_string()))
    }
}

/// What `rollcall doctor` reports about a database, read without changing it: no schema
/// upgrade (which [`Store::open`] would do), only a read-only connection.
pub(crate) struct Health {
    pub(crate) schema: i64,
    /// Empty when the schema is newer than this rollcall's (its tables cannot be trusted).
    pub(crate) snapshots: Vec<SnapshotInfo>,
}

/// The schema version this rollcall reads and writes.
pub(crate) const SCHEMA_VERSION: i64 = schema::SCHEMA_VERSION;

/// Opens the database read-only, as every reading command does, and reads its schema version
/// and snapshots. A lock held by a writer is [`Failure::Busy`] naming its PID.
pub(crate) fn inspect(path: &Path, sql: Sql) -> Result<Health> {
    if !path.exists() {
        return Err(Failure::Usage(format!(
            "no database at {}: run `rollcall ingest` first, or pass --db",
            path.display()
        ))
        .into());
    }
    let store = Store::connect(path, Access::ReadOnly, sql)?;
    let version = schema::version(&store)?;
    let snapshots = if version > 0 && version <= SCHEMA_VERSION {
        store.rows("read/snapshots.sql", None, snapshot_row)?
    } else {
        Vec::new()
    };
    Ok(Health {
        schema: version,
        snapshots,
    })
}

/// The database open for writing, with the writer's hand-over marker: the connection closes
/// before the marker goes (fields drop in order), so a server that sees the marker gone can
/// open the file at once.
pub(crate) struct Writer {
    store: Store,
    _claim: handover::Claim,
}

impl std::ops::Deref for Writer {
    type Target = Store;
    fn deref(&self) -> &Store {
        &self.store
    }
}

/// Rows of a streamed result, converted to plain cells only when asked for.
pub(crate) struct Batch<'a>(&'a RecordBatch);

impl Batch<'_> {
    pub(crate) fn len(&self) -> usize {
        self.0.num_rows()
    }

    pub(crate) fn headers(&self) -> Vec<String> {
        self.0
            .schema()
            .fields()
            .iter()
            .map(|f| f.name().clone())
            .collect()
    }

    /// Writes every row as CSV through the export's typed fast path (text guarded unless the
    /// writer is raw, typed values never), without making a cell of each value.
    pub(crate) fn csv<W: std::io::Write>(&self, out: &mut CsvOut<W>) -> std::io::Result<()> {
        let cols: Vec<cells::TextColumn> = self
            .0
            .columns()
            .iter()
            .map(|c| cells::TextColumn::of(c.as_ref()))
            .collect();
        let mut bufs = vec![(String::new(), Kind::Value); cols.len()];
        for r in 0..self.0.num_rows() {
            for ((buf, kind), c) in bufs.iter_mut().zip(&cols) {
                buf.clear();
                *kind = c.push(r, buf);
            }
            out.row(bufs.iter().map(|(b, k)| (b.as_str(), *k)))?;
        }
        Ok(())
    }

    /// The first `n` rows (all of them if fewer) as a grid.
    pub(crate) fn grid(&self, n: usize) -> Grid {
        let mut grid = Grid::default();
        cells::extend(&mut grid, &self.0.slice(0, n.min(self.0.num_rows())));
        grid
    }
}

/// Interrupts whatever statement its connection is running (DuckDB fails it with an
/// interrupt error); harmless when none is. Callable from any thread.
#[derive(Clone)]
pub(crate) struct Interrupter(std::sync::Arc<duckdb::InterruptHandle>);

impl Interrupter {
    pub(crate) fn interrupt(&self) {
        self.0.interrupt();
    }
}

/// A statement stopped by its time limit (see [`Store::stream_within`]).
#[derive(Debug, thiserror::Error)]
#[error("stopped by its time limit")]
pub(crate) struct TimedOut;

/// A row of `queries/read/rejects.sql` (and its page).
/// One row of `queries/read/snapshots.sql`.
fn snapshot_row(r: &duckdb::Row<'_>) -> duckdb::Result<SnapshotInfo> {
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
}

fn reject_row(r: &duckdb::Row<'_>) -> duckdb::Result<Reject> {
    Ok(Reject {
        file: r.get(0)?,
        kind: r.get(1)?,
        line: r.get::<_, i64>(2)? as u64,
        column: r.get(3)?,
        reason: r.get(4)?,
        detail: r.get(5)?,
        raw: r.get(6)?,
    })
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
            waited: None,
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
pub(crate) fn one_line(msg: &str) -> String {
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
        crate::util::stderr_line(&format!(
            "rollcall: pausing {ms} ms before commit (ROLLCALL_TEST_PAUSE_BEFORE_COMMIT_MS)"
        ));
        std::thread::sleep(std::time::Duration::from_millis(ms));
    }
}

/// Converts DuckDB's Arrow results into plain cells, so layers above never see Arrow or DuckDB.
pub(crate) mod cells {
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

    use crate::output::{Cell, Grid, Kind};

    /// Reads cell `row` of `col`.
    pub(crate) fn cell(col: &dyn Array, row: usize) -> Cell {
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
                i64::try_from(v).map_or(Cell::Other(v.to_string()), Cell::Int)
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
                d.map_or(Cell::Null, |d| Cell::Other(d.to_string()))
            }
            DataType::Decimal128(_, 0) => {
                let v = col
                    .as_primitive::<duckdb::arrow::datatypes::Decimal128Type>()
                    .value(row);
                i64::try_from(v).map_or(Cell::Other(v.to_string()), Cell::Int)
            }
            // DuckDB's ENUMs arrive as dictionaries of strings: their values are text.
            DataType::Dictionary(_, values)
                if matches!(
                    values.as_ref(),
                    DataType::Utf8 | DataType::LargeUtf8 | DataType::Utf8View
                ) =>
            {
                formatted(col, row).map_or(Cell::Null, Cell::Text)
            }
            // Decimals, intervals, times, lists, structs…: typed values in DuckDB's rendering.
            _ => formatted(col, row).map_or(Cell::Null, Cell::Other),
        }
    }

    fn formatted(col: &dyn Array, row: usize) -> Option<String> {
        ArrayFormatter::try_new(col, &FormatOptions::default())
            .ok()
            .map(|f| f.value(row).to_string())
    }

    /// A column whose type is resolved once per batch: the export's per-cell path is then a
    /// plain match, with no downcast.
    pub(crate) enum TextColumn<'a> {
        Utf8(&'a StringArray),
        Bool(&'a BooleanArray),
        I32(&'a Int32Array),
        I64(&'a Int64Array),
        Micros(&'a TimestampMicrosecondArray),
        Other(&'a dyn Array),
    }

    impl<'a> TextColumn<'a> {
        pub(crate) fn of(col: &'a dyn Array) -> TextColumn<'a> {
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

        /// Appends the text of cell `row` (nothing for NULL), as [`Cell::text`] would give it,
        /// and says whether it is text (which the CSV formula guard inspects) or a typed value
        /// (a number, boolean or timestamp, never guarded), as [`Cell::field`] would.
        pub(crate) fn push(&self, row: usize, out: &mut String) -> Kind {
            let mut int = itoa::Buffer::new();
            match self {
                TextColumn::Utf8(a) if a.is_valid(row) => {
                    out.push_str(a.value(row));
                    return Kind::Text;
                }
                TextColumn::Bool(a) if a.is_valid(row) => {
                    out.push_str(if a.value(row) { "yes" } else { "no" })
                }
                TextColumn::I32(a) if a.is_valid(row) => out.push_str(int.format(a.value(row))),
                TextColumn::I64(a) if a.is_valid(row) => out.push_str(int.format(a.value(row))),
                TextColumn::Micros(a) if a.is_valid(row) => {
                    crate::util::push_iso_micros(a.value(row), out)
                }
                TextColumn::Other(a) if a.is_valid(row) => {
                    let (text, kind) = cell(*a, row).field();
                    out.push_str(&text);
                    return kind;
                }
                _ => {}
            }
            Kind::Value
        }
    }

    /// Appends a batch's rows to `grid`.
    pub(crate) fn extend(grid: &mut Grid, batch: &RecordBatch) {
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

    #[cfg(test)]
    mod tests {
        use std::sync::Arc;

        use duckdb::arrow::array::{ArrayRef, Int32Array, Int64Array, StringArray};

        use super::*;

        /// The export's fast path says what `Cell::field` says: numbers are values (never
        /// formula-guarded, `-5` stays `-5`), strings are text.
        #[test]
        fn export_columns_classify_like_cells() {
            let cols: [ArrayRef; 3] = [
                Arc::new(Int64Array::from(vec![-5])),
                Arc::new(Int32Array::from(vec![-7])),
                Arc::new(StringArray::from(vec!["-5"])),
            ];
            for col in &cols {
                let mut text = String::new();
                let kind = TextColumn::of(col.as_ref()).push(0, &mut text);
                assert_eq!((text, kind), cell(col.as_ref(), 0).field());
            }
            let mut text = String::new();
            assert_eq!(
                TextColumn::of(cols[0].as_ref()).push(0, &mut text),
                Kind::Value
            );
            assert_eq!(text, "-5");
            assert_eq!(cell(cols[2].as_ref(), 0).field().1, Kind::Text);
        }
    }
}
