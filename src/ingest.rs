//! Ingest: turns export files into typed, columnar batches plus rejects and notices,
//! applying the data contract row by row. Writes nothing itself; the store files the result
//! as one snapshot in one transaction.

use std::path::PathBuf;
use std::sync::Arc;

use anyhow::Result;
use chrono::{DateTime, Utc};
use duckdb::arrow::array::{
    ArrayRef, BooleanBuilder, Int32Builder, Int64Array, Int64Builder, StringBuilder,
    TimestampMicrosecondBuilder,
};
use duckdb::arrow::datatypes::{DataType, Field as ArrowField, Schema, TimeUnit};
use duckdb::arrow::record_batch::RecordBatch;

use crate::contract::{self, CellError, Field, Kind, RejectReason, TimestampParser};
use crate::domain::Status;
use crate::error::InputError;
use crate::input::{Encoding, Part, Record, SourceFile, Table};

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
    /// Never empty: an export without rows is one empty batch, which still names the columns.
    pub users: Vec<RecordBatch>,
    /// Never empty, as `users`; one empty batch when no devices export was given.
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
/// Rows between progress-bar updates; a per-row update showed up in profiles.
const PROGRESS_ROWS: u64 = 8_192;
/// Parts per thread: small enough that a slow part does not leave the other threads idle.
const PARTS_PER_THREAD: usize = 4;

/// Emails kept from the users export: the matching key (borrowed from the typed batches, so a
/// million users cost no allocations) and the row that has it.
type EmailKeys<'b> = hashbrown::HashMap<&'b str, KeptUser>;

/// Where a kept user's row is: its line, for messages, and its byte offset in the file, which
/// unlike the line is unique (minified JSON puts every record on line 1).
#[derive(Clone, Copy)]
struct KeptUser {
    line: u64,
    at: u64,
}

/// Reads, checks and types both exports. File-level problems are `InputError`s; row-level ones are rejects.
///
/// Both files are cut into parts read on all cores. Two checks need every row before them and
/// run after the parts, in file order: a repeated user email, and a device whose owner is not a
/// user. The result is the same as reading each file top to bottom.
pub fn parse(opts: &IngestOptions) -> Result<Parsed> {
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    parse_in_parts(opts, threads, threads * PARTS_PER_THREAD, None)
}

/// `parse` with the cutting spelled out: at most `parts` per file, of at least `min_part_bytes`
/// (the input module's default when `None`).
fn parse_in_parts(
    opts: &IngestOptions,
    threads: usize,
    parts: usize,
    min_part_bytes: Option<usize>,
) -> Result<Parsed> {
    let ts = TimestampParser::new(opts.date_formats.clone());
    let size = |p: &std::path::Path| std::fs::metadata(p).map_or(0, |m| m.len());
    let total_bytes = size(&opts.users) + opts.devices.as_deref().map_or(0, size);
    let progress = crate::progress::bar(opts.show_progress, total_bytes, "reading exports");
    let timer = crate::util::Timer::start();

    let (users_src, devices_src) = std::thread::scope(|s| {
        let devices = opts
            .devices
            .as_deref()
            .map(|p| s.spawn(|| SourceFile::read(p, opts.encoding)));
        let users = SourceFile::read(&opts.users, opts.encoding);
        let devices = devices.map(|h| h.join().unwrap_or_else(|p| std::panic::resume_unwind(p)));
        (users, devices)
    });
    // The users file's problem is reported first, as if the files were read in turn.
    let users_src = users_src?;
    let devices_src = devices_src.transpose()?;
    timer.lap("read files");

    let mut notices = Vec::new();
    let users = Export::open(Kind::Users, &users_src, &mut notices)?;
    if !users.map.has(Field::License) && !users.map.has(Field::Status) {
        return Err(InputError::new(
            &users_src.path,
            "missing required column: License (or Status); found ".to_string() + &users.map.found(),
        )
        .into());
    }
    let has_stages = [
        Field::LicenseActivated,
        Field::AppSetupCompleted,
        Field::DataAdded,
    ]
    .iter()
    .any(|f| users.map.has(*f));
    let devices = match &devices_src {
        Some(src) => Some(Export::open(Kind::Devices, src, &mut notices)?),
        None => None,
    };

    let cut = |t: &Table| match min_part_bytes {
        Some(min) => t.parts_of_at_least(parts, min),
        None => t.parts(parts),
    };
    let user_parts = cut(&users.table);
    let device_parts = devices.as_ref().map_or_else(Vec::new, |d| cut(&d.table));
    let jobs: Vec<(Kind, Part)> = user_parts
        .iter()
        .map(|p| (Kind::Users, *p))
        .chain(device_parts.iter().map(|p| (Kind::Devices, *p)))
        .collect();
    let mut outs = crate::util::run_parallel(&jobs, threads, |(kind, part)| match kind {
        Kind::Users => users.read_part::<UserBuilder>(part, &ts, &progress),
        Kind::Devices => devices
            .as_ref()
            .expect("device parts come from a devices export")
            .read_part::<DeviceBuilder>(part, &ts, &progress),
    });
    let device_outs = outs.split_off(user_parts.len());
    let mut user_outs = users.stitch::<UserBuilder>(&user_parts, outs, &ts, &progress)?;
    timer.lap("read users");
    let (keys, repeats) = users.find_repeated_emails(&user_outs);
    timer.lap("checked user emails");
    let mut device_outs = match &devices {
        Some(d) => d.stitch::<DeviceBuilder>(&device_parts, device_outs, &ts, &progress)?,
        None => Vec::new(),
    };
    timer.lap("read devices");
    if let Some(d) = &devices {
        crate::util::run_parallel_mut(&mut device_outs, threads, |out| {
            d.reject_unknown_owners(out, &keys)
        });
    }
    timer.lap("checked device owners");
    drop(keys);
    users.drop_rows(&mut user_outs, repeats);
    let mut inputs = vec![users.meta(&user_outs)];
    let mut rejects = users.rejects(&mut user_outs);
    let mut device_batches = Vec::new();
    if let Some(d) = &devices {
        inputs.push(d.meta(&device_outs));
        rejects.extend(d.rejects(&mut device_outs));
        device_batches = device_outs.into_iter().flat_map(|o| o.batches).collect();
    }
    progress.finish_and_clear();
    let mut user_batches: Vec<RecordBatch> =
        user_outs.into_iter().flat_map(|o| o.batches).collect();
    if user_batches.is_empty() {
        user_batches.push(UserBuilder::default().finish());
    }
    if device_batches.is_empty() {
        device_batches.push(no_devices());
    }
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

/// A part of an export, checked and typed, before the checks that need the whole file.
struct PartOut {
    batches: Vec<RecordBatch>,
    /// (start, length) in the file of each kept row's text, in batch order, for rejects found later.
    spans: Vec<(usize, usize)>,
    /// With the byte offset of each rejected row, which orders them as the file does.
    rejects: Vec<(usize, Reject)>,
    rows_read: u64,
    /// Where the record after this part starts (see `Table::for_each_in`).
    next: usize,
}

impl PartOut {
    fn empty(next: usize) -> PartOut {
        PartOut {
            batches: Vec::new(),
            spans: Vec::new(),
            rejects: Vec::new(),
            rows_read: 0,
            next,
        }
    }
}

/// A row rejected after its part was read: (part, batch, row), and the reject with its offset.
type LateReject = ((usize, usize, usize), (usize, Reject));

/// The typed columns of one export: `check` applies the data contract to a record, `push`
/// appends the checked row.
trait Builder: Default {
    type Row<'r>;
    fn check<'r>(
        rec: &'r Record<'_>,
        map: &ColumnMap,
        ts: &TimestampParser,
        json: bool,
    ) -> Result<Self::Row<'r>, RowError>;
    fn push(&mut self, rec: &Record<'_>, row: Self::Row<'_>);
    /// Rows pushed since the last `finish`.
    fn len(&self) -> usize;
    fn finish(&mut self) -> RecordBatch;

    fn push_record(
        &mut self,
        rec: &Record<'_>,
        map: &ColumnMap,
        ts: &TimestampParser,
        json: bool,
    ) -> Result<(), RowError> {
        let row = Self::check(rec, map, ts, json)?;
        self.push(rec, row);
        Ok(())
    }
}

/// One export file being read: its records and where each field sits.
struct Export<'s> {
    kind: Kind,
    src: &'s SourceFile,
    table: Table<'s>,
    map: ColumnMap,
    name: String,
}

impl<'s> Export<'s> {
    fn open(kind: Kind, src: &'s SourceFile, notices: &mut Vec<Notice>) -> Result<Self> {
        let table = Table::open(src)?;
        let map = ColumnMap::new(kind, &table.headers, src, notices)?;
        Ok(Export {
            kind,
            src,
            table,
            map,
            name: src.name(),
        })
    }

    fn read_part<B: Builder>(
        &self,
        part: &Part,
        ts: &TimestampParser,
        progress: &indicatif::ProgressBar,
    ) -> Result<PartOut> {
        let mut builder = B::default();
        let mut out = PartOut::empty(part.end);
        let mut ticker = Ticker::new(progress);
        let json = self.table.is_json();
        out.next = self.table.for_each_in(part, |rec| -> Result<()> {
            out.rows_read += 1;
            ticker.tick(rec.raw.len());
            match builder.push_record(&rec, &self.map, ts, json) {
                Ok(()) => {
                    out.spans.push((rec.start, rec.raw.len()));
                    if builder.len() >= BATCH_ROWS {
                        out.batches.push(builder.finish());
                    }
                }
                Err(e) => out
                    .rejects
                    .push((rec.start, self.reject(rec.line, rec.raw, e))),
            }
            Ok(())
        })?;
        if builder.len() > 0 {
            out.batches.push(builder.finish());
        }
        Ok(out)
    }

    /// Checks that each part began where the one before it ended. A part whose cut fell inside
    /// a quoted field began mid-record: its reading is dropped and it is read again from where
    /// the previous part's last record really ended. Only that part is read twice. (Its first
    /// reading saw every quote flipped and may have run on to the end of the file; the time is
    /// lost and its progress ticks stay counted, but nothing of it is kept.)
    fn stitch<B: Builder>(
        &self,
        parts: &[Part],
        outs: Vec<Result<PartOut>>,
        ts: &TimestampParser,
        progress: &indicatif::ProgressBar,
    ) -> Result<Vec<PartOut>> {
        let mut kept: Vec<PartOut> = Vec::with_capacity(outs.len());
        for (part, out) in parts.iter().zip(outs) {
            let out = match kept.last().map(|prev| prev.next) {
                Some(from) if from != part.start => {
                    if from < part.end {
                        self.read_part::<B>(&self.table.resume(part, from), ts, progress)?
                    } else {
                        // One record spans this whole part; nothing starts in it.
                        PartOut::empty(from)
                    }
                }
                _ => out?,
            };
            kept.push(out);
        }
        Ok(kept)
    }

    fn reject(&self, line: u64, raw: &str, e: RowError) -> Reject {
        Reject {
            file: self.name.clone(),
            kind: self.kind.as_str().to_string(),
            line,
            column: e.column.and_then(|i| self.table.headers.get(i).cloned()),
            reason: e.reason.to_string(),
            detail: e.detail,
            raw: raw.to_string(),
        }
    }

    /// A reject of a kept row, found once the whole file was read: on the email column, with
    /// the row's text from its span.
    fn late_reject(
        &self,
        line: i64,
        (start, len): (usize, usize),
        reason: RejectReason,
        detail: String,
    ) -> (usize, Reject) {
        let e = RowError {
            column: self.map.index[Field::Email as usize],
            reason: reason.code(),
            detail,
        };
        (
            start,
            self.reject(line as u64, &self.src.text[start..start + len], e),
        )
    }

    /// Finds the user rows whose email an earlier kept row has, in file order, as rejects with
    /// their (part, batch, row); and returns every kept email. Runs once all parts are read, as a
    /// repeat can be parts apart.
    fn find_repeated_emails<'b>(&self, outs: &'b [PartOut]) -> (EmailKeys<'b>, Vec<LateReject>) {
        let kept: usize = outs.iter().map(|o| o.spans.len()).sum();
        let mut keys = EmailKeys::with_capacity(kept);
        let mut repeats = Vec::new();
        for (p, out) in outs.iter().enumerate() {
            let mut row = 0;
            for (b, batch) in out.batches.iter().enumerate() {
                let lines = lines(batch);
                for (i, key) in strings(batch, "email_key").iter().enumerate() {
                    let key = key.expect("kept rows have an email");
                    match keys.entry(key) {
                        hashbrown::hash_map::Entry::Vacant(v) => {
                            v.insert(KeptUser {
                                line: lines.value(i) as u64,
                                at: out.spans[row + i].0 as u64,
                            });
                        }
                        hashbrown::hash_map::Entry::Occupied(first) => {
                            let reject = self.late_reject(
                                lines.value(i),
                                out.spans[row + i],
                                RejectReason::DuplicateEmail,
                                format!(
                                    "'{}' repeats the email on line {}",
                                    strings(batch, "email").value(i),
                                    first.get().line
                                ),
                            );
                            repeats.push(((p, b, i), reject));
                        }
                    }
                }
                row += batch.num_rows();
            }
        }
        (keys, repeats)
    }

    /// Takes rows found after reading out of their batches, and files them as rejects.
    fn drop_rows(&self, outs: &mut [PartOut], rows: Vec<LateReject>) {
        let mut masks: hashbrown::HashMap<(usize, usize), Vec<bool>> = hashbrown::HashMap::new();
        for ((p, b, i), reject) in rows {
            let n = outs[p].batches[b].num_rows();
            masks.entry((p, b)).or_insert_with(|| vec![true; n])[i] = false;
            outs[p].rejects.push(reject);
        }
        for ((p, b), keep) in masks {
            let batch = &mut outs[p].batches[b];
            *batch = filter(batch, keep);
        }
    }

    /// Rejects the devices of one part whose email names no kept user, and gives the others
    /// where their owner's row starts in the users file (`owner_at`, what the derivation joins
    /// on to the users' `at`).
    fn reject_unknown_owners(&self, out: &mut PartOut, users: &EmailKeys) {
        let mut row = 0;
        for batch in &mut out.batches {
            let lines = lines(batch);
            let emails = strings(batch, "email");
            let mut keep: Option<Vec<bool>> = None;
            let mut owners = Int64Builder::with_capacity(batch.num_rows());
            for (i, key) in strings(batch, "email_key").iter().enumerate() {
                if let Some(owner) = key.and_then(|k| users.get(k)) {
                    owners.append_value(owner.at as i64);
                    continue;
                }
                owners.append_null();
                out.rejects.push(self.late_reject(
                    lines.value(i),
                    out.spans[row + i],
                    RejectReason::UnknownUser,
                    format!("no user with email '{}' in this snapshot", emails.value(i)),
                ));
                keep.get_or_insert_with(|| vec![true; batch.num_rows()])[i] = false;
            }
            row += batch.num_rows();
            *batch = with_owners(batch, owners.finish());
            if let Some(keep) = keep {
                *batch = filter(batch, keep);
            }
        }
    }

    fn meta(&self, outs: &[PartOut]) -> InputMeta {
        let mut m = meta(self.kind, self.src);
        m.rows_read = outs.iter().map(|o| o.rows_read).sum();
        m.rows_rejected = outs.iter().map(|o| o.rejects.len() as u64).sum();
        m.rows_kept = m.rows_read - m.rows_rejected;
        m
    }

    /// The file's rejects in file order, as a top-to-bottom read would list them.
    fn rejects(&self, outs: &mut [PartOut]) -> Vec<Reject> {
        let mut all: Vec<(usize, Reject)> =
            outs.iter_mut().flat_map(|o| o.rejects.drain(..)).collect();
        all.sort_by_key(|(start, _)| *start);
        all.into_iter().map(|(_, r)| r).collect()
    }
}

/// Appends the `owner_at` column (see `reject_unknown_owners`) to a devices batch.
fn with_owners(batch: &RecordBatch, owners: Int64Array) -> RecordBatch {
    let schema = batch.schema();
    let mut fields: Vec<_> = schema.fields().iter().cloned().collect();
    fields.push(Arc::new(ArrowField::new("owner_at", DataType::Int64, true)));
    let mut columns = batch.columns().to_vec();
    columns.push(Arc::new(owners));
    RecordBatch::try_new(Arc::new(Schema::new(fields)), columns).expect("one owner per device row")
}

/// The devices of a snapshot without a devices export: no rows, but every column.
fn no_devices() -> RecordBatch {
    with_owners(
        &DeviceBuilder::default().finish(),
        Int64Array::from(Vec::<i64>::new()),
    )
}

fn lines(batch: &RecordBatch) -> &duckdb::arrow::array::Int64Array {
    use duckdb::arrow::array::AsArray;
    column(batch, "line").as_primitive::<duckdb::arrow::datatypes::Int64Type>()
}

fn strings<'b>(batch: &'b RecordBatch, name: &str) -> &'b duckdb::arrow::array::StringArray {
    use duckdb::arrow::array::AsArray;
    column(batch, name).as_string::<i32>()
}

fn filter(batch: &RecordBatch, keep: Vec<bool>) -> RecordBatch {
    let mask = duckdb::arrow::array::BooleanArray::from(keep);
    duckdb::arrow::compute::filter_record_batch(batch, &mask).expect("a mask as long as its batch")
}

fn column<'b>(batch: &'b RecordBatch, name: &str) -> &'b ArrayRef {
    batch
        .column_by_name(name)
        .expect("the builders name every column")
}

/// Advances the shared progress bar every few thousand rows rather than on each.
struct Ticker<'p> {
    bar: &'p indicatif::ProgressBar,
    rows: u64,
    bytes: u64,
}

impl<'p> Ticker<'p> {
    fn new(bar: &'p indicatif::ProgressBar) -> Self {
        Ticker {
            bar,
            rows: 0,
            bytes: 0,
        }
    }

    fn tick(&mut self, raw_len: usize) {
        self.rows += 1;
        self.bytes += raw_len as u64 + 1;
        if self.rows.is_multiple_of(PROGRESS_ROWS) {
            self.bar.inc(std::mem::take(&mut self.bytes));
        }
    }
}

impl Drop for Ticker<'_> {
    fn drop(&mut self) {
        self.bar.inc(self.bytes);
    }
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

/// Where each field sits in a file's header row.
struct ColumnMap {
    /// By `Field as usize`: looked up for every cell, so an array rather than a hashed map.
    index: [Option<usize>; Field::COUNT],
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
        let mut index = [None; Field::COUNT];
        let mut unknown = Vec::new();
        for (i, h) in headers.iter().enumerate() {
            match kind.field_for_header(h) {
                Some(f) => {
                    if let Some(prev) = index[f as usize].replace(i) {
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
        self.index[f as usize].is_some()
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
        let i = self.index[f as usize]?;
        Some((i, rec.cell(i).unwrap_or("")))
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
    if !json && rec.width() != map.width {
        return Err(RowError {
            column: None,
            reason: RejectReason::FieldCount.code(),
            detail: format!("{} fields, the header has {}", rec.width(), map.width),
        });
    }
    Ok(())
}

struct UserRow<'r> {
    email: contract::Email<'r>,
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
    email: contract::Email<'r>,
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

/// The columns queries/ingest/*.sql read as `staged(…)`; their names are the SQL names.
#[derive(Default)]
struct UserBuilder {
    line: Int64Builder,
    /// The row's byte offset in its file: a key for the row that, unlike `line`, is unique.
    at: Int64Builder,
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

impl Builder for UserBuilder {
    type Row<'r> = UserRow<'r>;

    fn check<'r>(
        rec: &'r Record<'_>,
        map: &ColumnMap,
        ts: &TimestampParser,
        json: bool,
    ) -> Result<UserRow<'r>, RowError> {
        user_row(rec, map, ts, json)
    }

    fn len(&self) -> usize {
        self.rows
    }

    fn push(&mut self, rec: &Record<'_>, r: UserRow<'_>) {
        self.line.append_value(rec.line as i64);
        self.at.append_value(rec.start as i64);
        self.email.append_value(r.email.display);
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
            ("at", DataType::Int64, Arc::new(self.at.finish())),
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

/// The columns of the devices export as `staged(…)`.
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

impl Builder for DeviceBuilder {
    type Row<'r> = DeviceRow<'r>;

    fn check<'r>(
        rec: &'r Record<'_>,
        map: &ColumnMap,
        ts: &TimestampParser,
        json: bool,
    ) -> Result<DeviceRow<'r>, RowError> {
        device_row(rec, map, ts, json)
    }

    fn len(&self) -> usize {
        self.rows
    }

    fn push(&mut self, rec: &Record<'_>, r: DeviceRow<'_>) {
        self.line.append_value(rec.line as i64);
        self.email.append_value(r.email.display);
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

#[cfg(test)]
mod tests {
    use super::*;
    use duckdb::arrow::array::AsArray;

    /// What a test file should yield, written down while the file is built.
    #[derive(Default)]
    struct Expect {
        /// (line, email key) of every kept row, in file order.
        kept: Vec<(u64, String)>,
        /// (line, reason, raw) of every reject, in line order.
        rejects: Vec<(u64, &'static str, String)>,
        /// Byte offset in the file of each kept row, by email key.
        at: std::collections::HashMap<String, u64>,
    }

    /// A CRLF users file in which many cuts fall inside quoted fields: every third row has a
    /// two-line name, one name spans 201 lines, some rows follow a blank line, one email repeats 300 rows later in another
    /// case, and one row has a bad boolean.
    fn users_file() -> (String, Expect) {
        let mut text = String::from("Name,Email,License,SCIM\r\n");
        let mut e = Expect::default();
        let mut line = 2;
        for i in 0..400u64 {
            if i % 11 == 5 {
                text += "\r\n";
                line += 1;
            }
            let (row, lines) = match i {
                350 => {
                    let raw = "Repeat,U7@Example.COM,Assigned,no".to_string();
                    e.rejects.push((line, "duplicate-email", raw.clone()));
                    (raw, 1)
                }
                100 => {
                    // A name spanning 201 lines, so that whole parts fall inside one field.
                    e.kept.push((line, "u100@example.com".to_string()));
                    let name = "Long".to_string() + &"\r\nname line".repeat(200);
                    (format!("\"{name}\",u100@example.com,Assigned,yes"), 201)
                }
                200 => {
                    let raw = "Bad,bad200@example.com,Assigned,maybe".to_string();
                    e.rejects.push((line, "bad-boolean", raw.clone()));
                    (raw, 1)
                }
                _ if i % 3 == 0 => {
                    e.kept.push((line, format!("u{i}@example.com")));
                    (
                        format!("\"Ann\r\nRow {i}, two lines\",u{i}@example.com,Assigned,yes"),
                        2,
                    )
                }
                _ => {
                    e.kept.push((line, format!("u{i}@example.com")));
                    (format!("Bo {i},u{i}@example.com,Unassigned,no"), 1)
                }
            };
            if let Some((_, key)) = e.kept.last().filter(|(l, _)| *l == line) {
                e.at.insert(key.clone(), text.len() as u64);
            }
            text += &row;
            text += "\r\n";
            line += lines;
        }
        (text, e)
    }

    fn devices_file() -> (String, Expect) {
        let mut text = String::from("User Email,Device Name,Enpass Hub Authenticated\n");
        let mut e = Expect::default();
        for i in 0..600u64 {
            let line = i + 2;
            let owner = if i == 555 {
                "nobody@example.com".to_string()
            } else {
                format!("U{}@example.com", i % 400 / 3 * 3)
            };
            let raw = format!("{owner},\"Laptop, {i}\",yes");
            if i == 555 {
                e.rejects.push((line, "unknown-user", raw.clone()));
            } else {
                e.kept.push((line, owner.to_lowercase()));
            }
            text += &raw;
            text += "\n";
        }
        (text, e)
    }

    fn kept(batches: &[RecordBatch]) -> Vec<(u64, String)> {
        batches
            .iter()
            .flat_map(|b| {
                let keys = b.column_by_name("email_key").unwrap().as_string::<i32>();
                let lines = lines(b);
                (0..b.num_rows())
                    .map(|i| (lines.value(i) as u64, keys.value(i).to_string()))
                    .collect::<Vec<_>>()
            })
            .collect()
    }

    /// Issue #2 (ingest speed): reading a file in parts on several threads gives exactly what a
    /// top-to-bottom read gives: the same rows, lines, rejects and verbatim text, even where a
    /// part was cut inside a quoted field holding a line end.
    #[test]
    fn parts_read_like_one_pass() {
        let dir = tempfile::tempdir().unwrap();
        let (users, ue) = users_file();
        let (devices, de) = devices_file();
        std::fs::write(dir.path().join("users.csv"), &users).unwrap();
        std::fs::write(dir.path().join("devices.csv"), &devices).unwrap();
        let opts = IngestOptions {
            users: dir.path().join("users.csv"),
            devices: Some(dir.path().join("devices.csv")),
            encoding: Encoding::Utf8,
            date_formats: Vec::new(),
            show_progress: false,
        };

        // The fine cutting must really put some cuts inside quoted fields.
        let src = SourceFile::read(&opts.users, Encoding::Utf8).unwrap();
        let table = Table::open(&src).unwrap();
        let parts = table.parts_of_at_least(150, 64);
        assert!(parts.len() > 100, "{} parts", parts.len());
        let mid_field_cuts = parts
            .windows(2)
            .filter(|w| table.for_each_in::<InputError>(&w[0], |_| Ok(())).unwrap() != w[1].start)
            .count();
        assert!(mid_field_cuts > 3, "{mid_field_cuts} cuts inside a field");

        for (threads, parts, min) in [(1, 1, None), (2, 150, Some(64)), (3, 7, Some(1000))] {
            let p = parse_in_parts(&opts, threads, parts, min).unwrap();
            let what = format!("{threads} threads, {parts} parts");
            assert_eq!(kept(&p.users), ue.kept, "{what}: users");
            assert_eq!(kept(&p.devices), de.kept, "{what}: devices");
            // Each device names where its owner's row starts in the users file, what
            // derive_users.sql joins on.
            for b in &p.devices {
                let owners = b
                    .column_by_name("owner_at")
                    .unwrap()
                    .as_primitive::<duckdb::arrow::datatypes::Int64Type>();
                let keys = b.column_by_name("email_key").unwrap().as_string::<i32>();
                for i in 0..b.num_rows() {
                    assert_eq!(
                        owners.value(i) as u64,
                        ue.at[keys.value(i)],
                        "{what}: owner of {}",
                        keys.value(i)
                    );
                }
            }
            let got: Vec<(u64, &str, String)> = p
                .rejects
                .iter()
                .map(|r| (r.line, r.reason.as_str(), r.raw.clone()))
                .collect();
            let want: Vec<(u64, &str, String)> = ue
                .rejects
                .iter()
                .chain(&de.rejects)
                .map(|(l, r, raw)| (*l, *r, raw.clone()))
                .collect();
            assert_eq!(got, want, "{what}: rejects");
            let repeat = &p.rejects[1];
            assert_eq!(
                repeat.detail,
                format!(
                    "'U7@Example.COM' repeats the email on line {}",
                    ue.kept[7].0
                ),
                "{what}"
            );
            let counts: Vec<(u64, u64, u64)> = p
                .inputs
                .iter()
                .map(|m| (m.rows_read, m.rows_kept, m.rows_rejected))
                .collect();
            assert_eq!(counts, [(400, 398, 2), (600, 599, 1)], "{what}");
        }
    }

    /// Rejects come in file order even where records share a line (minified JSON): a repeat
    /// found after reading sorts among the rejects found while reading.
    #[test]
    fn rejects_keep_file_order_on_one_line() {
        let dir = tempfile::tempdir().unwrap();
        let users = dir.path().join("users.json");
        std::fs::write(
            &users,
            r#"[{"email":"a@example.com","license":"Assigned"},{"email":"A@example.com","license":"Assigned"},{"email":"c@example.com","license":"maybe"}]"#,
        )
        .unwrap();
        let opts = IngestOptions {
            users,
            devices: None,
            encoding: Encoding::Utf8,
            date_formats: Vec::new(),
            show_progress: false,
        };
        let p = parse(&opts).unwrap();
        let got: Vec<(u64, &str)> = p
            .rejects
            .iter()
            .map(|r| (r.line, r.reason.as_str()))
            .collect();
        assert_eq!(got, [(1, "duplicate-email"), (1, "bad-value")]);
    }
}
