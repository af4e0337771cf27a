//! Schema versions: `queries/schema.sql` is schema 1 (as rollcall 0.1.0 wrote it, never edited
//! since), and each `queries/migrations/NNN-*.sql` is one step up. A newer rollcall upgrades an
//! older database in place, in one transaction, after copying the file to a backup beside it;
//! an older rollcall refuses a newer database.

use anyhow::{Context, Result};
use chrono::Utc;
use duckdb::types::Value;

use super::{ts_value, Store};
use crate::error::Failure;

/// The migrations after schema 1, in order; schema N is reached by the (N-1)th.
const MIGRATIONS: &[&str] = &[
    "migrations/002-schema-version.sql",
    "migrations/003-reminders.sql",
    "migrations/004-license-worklist.sql",
    "migrations/005-license-decisions.sql",
];

/// The schema this rollcall writes and reads.
pub(crate) const SCHEMA_VERSION: i64 = 1 + MIGRATIONS.len() as i64;

/// What an open database holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum State {
    /// No rollcall tables yet (a new file).
    Empty,
    Current,
    /// An older schema, which this rollcall upgrades.
    Older(i64),
}

/// Reads the schema version; a newer one is a one-line refusal (exit 2).
pub(super) fn check(store: &Store) -> Result<State> {
    let version = version(store)?;
    match version {
        0 => Ok(State::Empty),
        v if v == SCHEMA_VERSION => Ok(State::Current),
        v if v < SCHEMA_VERSION => Ok(State::Older(v)),
        v => Err(Failure::Usage(format!(
            "{}: the database has schema version {v}, written by a newer rollcall; this rollcall {} reads up to version {SCHEMA_VERSION}: upgrade rollcall",
            store.path.display(),
            crate::VERSION
        ))
        .into()),
    }
}

/// The schema version of an open database (0: no rollcall tables yet).
pub(super) fn version(store: &Store) -> Result<i64> {
    let tables: Vec<String> = store.rows("store/tables.sql", None, |r| r.get(0))?;
    if tables.iter().any(|t| t == "schema_version") {
        let v: Option<i64> =
            store
                .conn
                .query_row(&store.sql.fragment("store/schema_version.sql")?, [], |r| {
                    r.get(0)
                })?;
        return Ok(v.unwrap_or(1));
    }
    Ok(i64::from(tables.iter().any(|t| t == "snapshots")))
}

/// Creates a new database's tables at the current schema (inside the caller's transaction).
pub(super) fn create(store: &Store) -> Result<()> {
    store
        .conn
        .execute_batch(&store.sql.get("schema.sql")?)
        .context("creating the schema (queries/schema.sql)")?;
    migrate(store, 1)
}

/// Applies the steps after `from` and records them.
fn migrate(store: &Store, from: i64) -> Result<()> {
    for (i, file) in MIGRATIONS.iter().enumerate() {
        let to = i as i64 + 2;
        if to <= from {
            continue;
        }
        store
            .conn
            .execute_batch(&store.sql.get(file)?)
            .with_context(|| format!("upgrading the schema to version {to} (queries/{file})"))?;
        store.exec_file(
            "store/record_version.sql",
            &[
                Value::BigInt(to),
                ts_value(Utc::now()),
                Value::Text(crate::VERSION.to_string()),
            ],
        )?;
    }
    Ok(())
}

/// Upgrades an older database on a read-write connection: checkpoint, copy the file to
/// `NAME.schema-vN.bak` beside it, then every step in one transaction.
pub(super) fn upgrade(store: &Store, from: i64) -> Result<()> {
    store.exec_file("store/checkpoint.sql", &[])?;
    let mut name = store.path.file_name().unwrap_or_default().to_os_string();
    name.push(format!(".schema-v{from}.bak"));
    let backup = store.path.with_file_name(name);
    std::fs::copy(&store.path, &backup).with_context(|| {
        format!(
            "backing up {} to {} before upgrading its schema",
            store.path.display(),
            backup.display()
        )
    })?;
    let tx = store.conn.unchecked_transaction()?;
    migrate(store, from)?;
    // The persistent views an analyst's own client reads were made by the older rollcall:
    // they are remade so they show what this one's do (schema 3's reminders count).
    store.ensure_schema()?;
    tx.commit().context("committing the schema upgrade")?;
    crate::util::stderr_line(&format!(
        "rollcall: upgraded {} from schema version {from} to {SCHEMA_VERSION} (backup: {})",
        store.path.display(),
        backup.display()
    ));
    Ok(())
}
