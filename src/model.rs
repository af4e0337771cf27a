//! The records every layer hands to the next: snapshots, the scope a read is about, input
//! provenance, rejects and notices. Plain data, no I/O: the ingest makes them, the store files
//! and reads them back, the read side and the renderers show them.

use chrono::{DateTime, Utc};
use serde::Serialize;

/// One row of the `snapshots` table.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub(crate) struct SnapshotInfo {
    pub(crate) id: i64,
    pub(crate) label: Option<String>,
    #[serde(serialize_with = "crate::util::ser_ts")]
    pub(crate) as_of: DateTime<Utc>,
    #[serde(serialize_with = "crate::util::ser_ts")]
    pub(crate) ingested_at: DateTime<Utc>,
    pub(crate) tool_version: String,
    pub(crate) users: i64,
    pub(crate) devices: i64,
    pub(crate) rejected: i64,
}

/// The snapshot and instant a read is about: every derived column depends on these.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub(crate) struct Scope {
    pub(crate) snapshot: SnapshotInfo,
    #[serde(serialize_with = "crate::util::ser_ts")]
    pub(crate) as_of: DateTime<Utc>,
    pub(crate) window_days: i64,
}

/// Provenance of one input file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub(crate) struct InputMeta {
    pub(crate) kind: String,
    pub(crate) path: String,
    pub(crate) name: String,
    pub(crate) format: String,
    pub(crate) size_bytes: u64,
    pub(crate) sha256: String,
    pub(crate) rows_read: u64,
    pub(crate) rows_kept: u64,
    pub(crate) rows_rejected: u64,
}

/// A rejected row, kept verbatim with where it was and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub(crate) struct Reject {
    pub(crate) file: String,
    pub(crate) kind: String,
    pub(crate) line: u64,
    pub(crate) column: Option<String>,
    pub(crate) reason: String,
    pub(crate) detail: String,
    pub(crate) raw: String,
}

/// A data-quality notice found while reading a file (unknown columns); the ones that need the
/// derived columns (status disagreements) are found in SQL at ingest.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Notice {
    pub(crate) kind: &'static str,
    pub(crate) file: String,
    pub(crate) detail: String,
}

/// A stored notice, as the read side shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub(crate) struct NoticeRow {
    pub(crate) kind: String,
    pub(crate) file: Option<String>,
    pub(crate) line: Option<i64>,
    pub(crate) email: Option<String>,
    pub(crate) detail: String,
}
