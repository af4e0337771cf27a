//! Ingest: turns export files into typed, columnar batches plus rejects and notices,
//! applying the data contract row by row. Writes nothing itself; the store files the result
//! as one snapshot in one transaction.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Arc;

use anyhow::Result;
use chrono::{DateTime, Utc};
use duckdb::arrow::array::{
    ArrayRef, BooleanBuilder, Int32Builder, Int64Builder, StringBuilder,
    TimestampMicrosecondBuilder,
};
use duckdb::arrow::datatypes::{DataType, Field as ArrowField, Schema, TimeUnit};
use duckdb::arrow::record_batch::RecordBatch;

use crate::contract::{self, CellError, Field, Kind, RejectReason, TimestampParser};
use crate::domain::Status;
use crate::error::InputError;
use crate::input::{Encoding, Record, SourceFile, Table};

/// What to ingest and how to read it.
#[derive(Debug, Clone)]
pub struct IngestOptions {
    pub users: PathBuf,
    pub devices: Option<PathBuf>,
    pub encoding: Encoding,
    pub date_formats: Vec<String>,
    pub show_progress: bool,
}

/// A rejected row, kept verbatim.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Reject {
    pub file: String,
    pub kind: String,
    pub line: u64,
    pub column: Option<String>,
    pub reason: String,
    pub detail: String,
    pub raw: String,
}

/// A data-quality notice found while reading (unknown columns); status disagreements are derived in SQL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Notice {
    pub kind: &'static str,
    pub file: String,
    pub detail: String,
}

/// Provenance of one input file.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct InputMeta {
    pub kind: String,
    pub path: String,
    pub name: String,
    pub format: String,
    pub size_bytes: u64,
    pub sha256: String,
    pub rows_read: u64,
    pub rows_kept: u64,
    pub rows_rejected: u64,
}

/// Everything a snapshot needs, checked and typed, not yet written.
pub struct Parsed {
    pub users: Vec<RecordBatch>,
    pub devices: Vec<RecordBatch>,
    pub inputs: Vec<InputMeta>,
    pub rejects: Vec<Reject>,
    pub notices: Vec<Notice>,
    /// Whether the users export had stage columns; without them its Status is taken as given.
    pub has_stages: bool,
    pub users_kept: u64,
    pub devices_kept: u64,
}

const BATCH_ROWS: usize = 65_536;

/// Reads, checks and types both exports. File-level problems are `InputError`s; row-level ones are rejects.
pub fn parse(opts: &IngestOptions) -> Result<Parsed> {
    let users_src = SourceFile::read(&opts.users, opts.encoding)?;
    let devices_src = match &opts.devices {
        Some(p) => Some(SourceFile::read(p, opts.encoding)?),
        None => None,
    };
    let ts = TimestampParser::new(opts.date_formats.clone());
    let total_bytes = users_src.size + devices_src.as_ref().map_or(0, |d| d.size);
    let progress = crate::progress::bar(opts.show_progress, total_bytes, "reading exports");

    let mut rejects = Vec::new();
    let mut notices = Vec::new();

    let users_table = Table::open(&users_src)?;
    let umap = ColumnMap::new(Kind::Users, &users_table.headers, &users_src, &mut notices)?;
    if !umap.has(Field::License) && !umap.has(Field::Status) {
        return Err(InputError::new(
            &users_src.path,
            "missing required column: License (or Status); found ".to_string() + &umap.found(),
        )
        .into());
    }
    let has_stages = [
        Field::LicenseActivated,
        Field::AppSetupCompleted,
        Field::DataAdded,
    ]
    .iter()
    .any(|f| umap.has(*f));

    let mut users = UserBuilder::default();
    let mut user_batches = Vec::new();
    let mut seen: HashMap<String, u64> = HashMap::new();
    let mut users_meta = meta(Kind::Users, &users_src);
    let users_name = users_src.name();
    users_table.for_each(|rec| -> Result<()> {
        users_meta.rows_read += 1;
        progress.inc(rec.raw.len() as u64 + 1);
        match user_row(&rec, &umap, &ts, &mut seen, users_table.is_json()) {
            Ok(row) => {
                users.push(rec.line, row);
                users_meta.rows_kept += 1;
                if users.len() >= BATCH_ROWS {
                    user_batches.push(users.finish());
                }
            }
            Err(e) => {
                users_meta.rows_rejected += 1;
                rejects.push(reject(
                    &users_name,
                    Kind::Users,
                    &rec,
                    &users_table.headers,
                    e,
                ));
            }
        }
        Ok(())
    })?;
    if users.len() > 0 {
        user_batches.push(users.finish());
    }

    let mut device_batches = Vec::new();
    let mut inputs = vec![users_meta];
    if let Some(src) = &devices_src {
        let table = Table::open(src)?;
        let dmap = ColumnMap::new(Kind::Devices, &table.headers, src, &mut notices)?;
        let mut devices = DeviceBuilder::default();
        let mut m = meta(Kind::Devices, src);
        let name = src.name();
        table.for_each(|rec| -> Result<()> {
            m.rows_read += 1;
            progress.inc(rec.raw.len() as u64 + 1);
            match device_row(&rec, &dmap, &ts, &seen, table.is_json()) {
                Ok(row) => {
                    devices.push(rec.line, row);
                    m.rows_kept += 1;
                    if devices.len() >= BATCH_ROWS {
                        device_batches.push(devices.finish());
                    }
                }
                Err(e) => {
                    m.rows_rejected += 1;
                    rejects.push(reject(&name, Kind::Devices, &rec, &table.headers, e));
                }
            }
            Ok(())
        })?;
        if devices.len() > 0 {
            device_batches.push(devices.finish());
        }
        inputs.push(m);
    }
    progress.finish_and_clear();

    Ok(Parsed {
        users_kept: inputs[0].rows_kept,
        devices_kept: inputs.get(1).map_or(0, |m| m.rows_kept),
        users: user_batches,
        devices: device_batches,
        inputs,
        rejects,
        notices,
        has_stages,
    })
}

fn meta(kind: Kind, src: &SourceFile) -> InputMeta {
    InputMeta {
        kind: kind.as_str().to_string(),
        path: src.path.clone(),
        name: src.name(),
        format: src.format.describe().to_string(),
        size_bytes: src.size,
        sha256: src.sha256.clone(),
        rows_read: 0,
        rows_kept: 0,
        rows_rejected: 0,
    }
}

/// A row-level problem: which column (by index), why.
struct RowError {
    column: Option<usize>,
    reason: &'static str,
    detail: String,
}

impl RowError {
    fn cell(column: usize, e: CellError) -> RowError {
        RowError {
            column: Some(column),
            reason: e.reason.code(),
            detail: e.detail,
        }
    }
}

fn reject(file: &str, kind: Kind, rec: &Record<'_>, headers: &[String], e: RowError) -> Reject {
    Reject {
        file: file.to_string(),
        kind: kind.as_str().to_string(),
        line: rec.line,
        column: e.column.and_then(|i| headers.get(i).cloned()),
        reason: e.reason.to_string(),
        detail: e.detail,
        raw: rec.raw.to_string(),
    }
}

/// Where each field sits in a file's header row.
struct ColumnMap {
    index: HashMap<Field, usize>,
    headers: Vec<String>,
    width: usize,
}

impl ColumnMap {
    fn new(
        kind: Kind,
        headers: &[String],
        src: &SourceFile,
        notices: &mut Vec<Notice>,
    ) -> Result<ColumnMap, InputError> {
        let mut index = HashMap::new();
        let mut unknown = Vec::new();
        for (i, h) in headers.iter().enumerate() {
            match kind.field_for_header(h) {
                Some(f) => {
                    if let Some(prev) = index.insert(f, i) {
                        return Err(InputError::new(
                            &src.path,
                            format!(
                                "columns '{}' and '{h}' both name the same field; keep one",
                                headers[prev]
                            ),
                        ));
                    }
                }
                None if h.is_empty() => unknown.push("(blank header)".to_string()),
                None => unknown.push(format!("'{h}'")),
            }
        }
        let map = ColumnMap {
            index,
            headers: headers.to_vec(),
            width: headers.len(),
        };
        if !map.has(Field::Email) {
            let want = match kind {
                Kind::Users => "Email (or Email Address, User Email)",
                Kind::Devices => "User Email (or Email, User)",
            };
            return Err(InputError::new(
                &src.path,
                format!("missing required column: {want}; found {}", map.found()),
            ));
        }
        if !unknown.is_empty() {
            notices.push(Notice {
                kind: "unknown-column",
                file: src.name(),
                detail: format!(
                    "{} export: unknown column{} {} kept out of the views",
                    kind.as_str(),
                    if unknown.len() == 1 { "" } else { "s" },
                    unknown.join(", ")
                ),
            });
        }
        Ok(map)
    }

    fn has(&self, f: Field) -> bool {
        self.index.contains_key(&f)
    }

    fn found(&self) -> String {
        if self.headers.is_empty() {
            "no columns".into()
        } else {
            self.headers
                .iter()
                .map(|h| format!("'{h}'"))
                .collect::<Vec<_>>()
                .join(", ")
        }
    }

    /// The cell of `f` in `rec`: (column index, text). Absent columns and JSON keys read as blank.
    fn get<'r>(&self, rec: &'r Record<'_>, f: Field) -> Option<(usize, &'r str)> {
        let i = *self.index.get(&f)?;
        Some((i, rec.cells.get(i).and_then(|c| c.as_deref()).unwrap_or("")))
    }
}

/// Whole-row checks shared by both exports: unreadable JSON, nested values, field count.
fn check_shape(rec: &Record<'_>, map: &ColumnMap, json: bool) -> Result<(), RowError> {
    if let Some((reason, detail)) = &rec.unreadable {
        return Err(RowError {
            column: None,
            reason,
            detail: detail.clone(),
        });
    }
    if let Some((col, detail)) = &rec.bad_cell {
        return Err(RowError {
            column: Some(*col),
            reason: RejectReason::BadValue.code(),
            detail: detail.clone(),
        });
    }
    if !json && rec.cells.len() != map.width {
        return Err(RowError {
            column: None,
            reason: RejectReason::FieldCount.code(),
            detail: format!("{} fields, the header has {}", rec.cells.len(), map.width),
        });
    }
    Ok(())
}

struct UserRow<'r> {
    email: contract::Email,
    name: Option<&'r str>,
    scim: bool,
    license: bool,
    stages: [Option<(bool, Option<DateTime<Utc>>)>; 3],
    last_used: Option<DateTime<Utc>>,
    reminders: i32,
    status: Option<Status>,
}

fn user_row<'r>(
    rec: &'r Record<'_>,
    map: &ColumnMap,
    ts: &TimestampParser,
    seen: &mut HashMap<String, u64>,
    json: bool,
) -> Result<UserRow<'r>, RowError> {
    check_shape(rec, map, json)?;
    let (ei, etext) = map
        .get(rec, Field::Email)
        .expect("email column checked at open");
    let email = contract::parse_email(etext).map_err(|e| RowError::cell(ei, e))?;
    // Names are kept verbatim (a leading tab is data, and the export guard must see it).
    let name = map
        .get(rec, Field::Name)
        .map(|(_, t)| t)
        .filter(|t| !t.trim().is_empty());
    let scim = match map.get(rec, Field::Scim) {
        Some((i, t)) => contract::parse_bool(t).map_err(|e| RowError::cell(i, e))?,
        None => false,
    };
    let status = match map.get(rec, Field::Status) {
        Some((i, t)) => contract::parse_status(t).map_err(|e| RowError::cell(i, e))?,
        None => None,
    };
    let license = match map.get(rec, Field::License) {
        Some((i, t)) => contract::parse_license(t).map_err(|e| RowError::cell(i, e))?,
        None => status.is_some_and(|s| s != Status::NoLicense),
    };
    let mut stages = [None, None, None];
    for (slot, f) in stages.iter_mut().zip([
        Field::LicenseActivated,
        Field::AppSetupCompleted,
        Field::DataAdded,
    ]) {
        if let Some((i, t)) = map.get(rec, f) {
            *slot = Some(ts.parse_stage(t).map_err(|e| RowError::cell(i, e))?);
        }
    }
    let last_used = match map.get(rec, Field::LastUsed) {
        Some((i, t)) => ts.parse_last_used(t).map_err(|e| RowError::cell(i, e))?,
        None => None,
    };
    let reminders = match map.get(rec, Field::RemindersSent) {
        Some((i, t)) => contract::parse_count(t).map_err(|e| RowError::cell(i, e))?,
        None => 0,
    };
    if let Some(first) = seen.get(&email.key) {
        return Err(RowError {
            column: Some(ei),
            reason: RejectReason::DuplicateEmail.code(),
            detail: format!("'{}' repeats the email on line {first}", email.display),
        });
    }
    seen.insert(email.key.clone(), rec.line);
    Ok(UserRow {
        email,
        name,
        scim,
        license,
        stages,
        last_used,
        reminders,
        status,
    })
}

struct DeviceRow<'r> {
    email: contract::Email,
    device_name: Option<&'r str>,
    platform: Option<&'r str>,
    version: Option<&'r str>,
    last_used: Option<DateTime<Utc>>,
    hub: bool,
}

fn device_row<'r>(
    rec: &'r Record<'_>,
    map: &ColumnMap,
    ts: &TimestampParser,
    users: &HashMap<String, u64>,
    json: bool,
) -> Result<DeviceRow<'r>, RowError> {
    check_shape(rec, map, json)?;
    let (ei, etext) = map
        .get(rec, Field::Email)
        .expect("email column checked at open");
    let email = contract::parse_email(etext).map_err(|e| RowError::cell(ei, e))?;
    let text = |f| {
        map.get(rec, f)
            .map(|(_, t)| t.trim())
            .filter(|t| !t.is_empty())
    };
    let last_used = match map.get(rec, Field::LastUsed) {
        Some((i, t)) => ts.parse_last_used(t).map_err(|e| RowError::cell(i, e))?,
        None => None,
    };
    let hub = match map.get(rec, Field::HubAuthenticated) {
        Some((i, t)) => contract::parse_bool(t).map_err(|e| RowError::cell(i, e))?,
        None => false,
    };
    if !users.contains_key(&email.key) {
        return Err(RowError {
            column: Some(ei),
            reason: RejectReason::UnknownUser.code(),
            detail: format!("no user with email '{}' in this snapshot", email.display),
        });
    }
    Ok(DeviceRow {
        email,
        device_name: text(Field::DeviceName),
        platform: text(Field::Platform),
        version: text(Field::EnpassVersion),
        last_used,
        hub,
    })
}

fn ts_type() -> DataType {
    DataType::Timestamp(TimeUnit::Microsecond, None)
}

fn micros(t: Option<DateTime<Utc>>) -> Option<i64> {
    t.map(|t| t.timestamp_micros())
}

/// Columns in the order of `stage_users` (queries/ingest/stage.sql).
#[derive(Default)]
struct UserBuilder {
    line: Int64Builder,
    email: StringBuilder,
    email_key: StringBuilder,
    name: StringBuilder,
    scim: BooleanBuilder,
    license: StringBuilder,
    stage: [BooleanBuilder; 3],
    stage_at: [TimestampMicrosecondBuilder; 3],
    last_used: TimestampMicrosecondBuilder,
    reminders: Int32Builder,
    status: StringBuilder,
    rows: usize,
}

impl UserBuilder {
    fn len(&self) -> usize {
        self.rows
    }

    fn push(&mut self, line: u64, r: UserRow<'_>) {
        self.line.append_value(line as i64);
        self.email.append_value(&r.email.display);
        self.email_key.append_value(&r.email.key);
        self.name.append_option(r.name);
        self.scim.append_value(r.scim);
        self.license
            .append_value(if r.license { "assigned" } else { "unassigned" });
        for (i, s) in r.stages.iter().enumerate() {
            self.stage[i].append_option(s.map(|(done, _)| done));
            self.stage_at[i].append_option(s.and_then(|(_, at)| micros(at)));
        }
        self.last_used.append_option(micros(r.last_used));
        self.reminders.append_value(r.reminders);
        self.status.append_option(r.status.map(Status::slug));
        self.rows += 1;
    }

    fn finish(&mut self) -> RecordBatch {
        let t = ts_type();
        let cols: Vec<(&str, DataType, ArrayRef)> = vec![
            ("line", DataType::Int64, Arc::new(self.line.finish())),
            ("email", DataType::Utf8, Arc::new(self.email.finish())),
            (
                "email_key",
                DataType::Utf8,
                Arc::new(self.email_key.finish()),
            ),
            ("name", DataType::Utf8, Arc::new(self.name.finish())),
            ("scim", DataType::Boolean, Arc::new(self.scim.finish())),
            ("license", DataType::Utf8, Arc::new(self.license.finish())),
            (
                "license_activated",
                DataType::Boolean,
                Arc::new(self.stage[0].finish()),
            ),
            (
                "license_activated_at",
                t.clone(),
                Arc::new(self.stage_at[0].finish()),
            ),
            (
                "app_setup_completed",
                DataType::Boolean,
                Arc::new(self.stage[1].finish()),
            ),
            (
                "app_setup_completed_at",
                t.clone(),
                Arc::new(self.stage_at[1].finish()),
            ),
            (
                "data_added",
                DataType::Boolean,
                Arc::new(self.stage[2].finish()),
            ),
            (
                "data_added_at",
                t.clone(),
                Arc::new(self.stage_at[2].finish()),
            ),
            ("user_last_used", t, Arc::new(self.last_used.finish())),
            (
                "reminders_sent",
                DataType::Int32,
                Arc::new(self.reminders.finish()),
            ),
            (
                "status_given",
                DataType::Utf8,
                Arc::new(self.status.finish()),
            ),
        ];
        self.rows = 0;
        batch(cols)
    }
}

/// Columns in the order of `stage_devices`.
#[derive(Default)]
struct DeviceBuilder {
    line: Int64Builder,
    email: StringBuilder,
    email_key: StringBuilder,
    device_name: StringBuilder,
    platform: StringBuilder,
    version: StringBuilder,
    last_used: TimestampMicrosecondBuilder,
    hub: BooleanBuilder,
    rows: usize,
}

impl DeviceBuilder {
    fn len(&self) -> usize {
        self.rows
    }

    fn push(&mut self, line: u64, r: DeviceRow<'_>) {
        self.line.append_value(line as i64);
        self.email.append_value(&r.email.display);
        self.email_key.append_value(&r.email.key);
        self.device_name.append_option(r.device_name);
        self.platform.append_option(r.platform);
        self.version.append_option(r.version);
        self.last_used.append_option(micros(r.last_used));
        self.hub.append_value(r.hub);
        self.rows += 1;
    }

    fn finish(&mut self) -> RecordBatch {
        let cols: Vec<(&str, DataType, ArrayRef)> = vec![
            ("line", DataType::Int64, Arc::new(self.line.finish())),
            ("email", DataType::Utf8, Arc::new(self.email.finish())),
            (
                "email_key",
                DataType::Utf8,
                Arc::new(self.email_key.finish()),
            ),
            (
                "device_name",
                DataType::Utf8,
                Arc::new(self.device_name.finish()),
            ),
            ("platform", DataType::Utf8, Arc::new(self.platform.finish())),
            (
                "enpass_version",
                DataType::Utf8,
                Arc::new(self.version.finish()),
            ),
            ("last_used", ts_type(), Arc::new(self.last_used.finish())),
            (
                "hub_authenticated",
                DataType::Boolean,
                Arc::new(self.hub.finish()),
            ),
        ];
        self.rows = 0;
        batch(cols)
    }
}

fn batch(cols: Vec<(&str, DataType, ArrayRef)>) -> RecordBatch {
    let schema = Schema::new(
        cols.iter()
            .map(|(n, t, _)| ArrowField::new(*n, t.clone(), true))
            .collect::<Vec<_>>(),
    );
    RecordBatch::try_new(
        Arc::new(schema),
        cols.into_iter().map(|(_, _, a)| a).collect(),
    )
    .expect("builders produce columns of equal length")
}
