//! One export file being read: its parts read in parallel and stitched back into file order,
//! then the checks that need the whole file (repeated emails, device owners), its rejects and
//! its provenance.

use std::sync::Arc;

use anyhow::Result;
use duckdb::arrow::array::{ArrayRef, Int64Array, Int64Builder};
use duckdb::arrow::datatypes::{DataType, Field as ArrowField, Schema};
use duckdb::arrow::record_batch::RecordBatch;

use super::build::{Builder, DeviceBuilder};
use super::contract::{Field, Kind, RejectReason, TimestampParser};
use super::input::{Part, SourceFile, Table, MAX_RECORD_BYTES};
use super::map::Mapping;
use super::rows::{ColumnMap, RowError};
use super::{EmailKeys, KeptUser, LateReject, PartOut, BATCH_ROWS, PROGRESS_ROWS};
use crate::model::{InputMeta, Notice, Reject};

/// One export file being read: its records and where each field sits.
pub(super) struct Export<'s> {
    pub(super) kind: Kind,
    pub(super) src: &'s SourceFile,
    pub(super) table: Table<'s>,
    pub(super) map: ColumnMap,
    pub(super) name: String,
}

impl<'s> Export<'s> {
    pub(super) fn open(
        kind: Kind,
        src: &'s SourceFile,
        notices: &mut Vec<Notice>,
        mapping: &Mapping,
    ) -> Result<Self> {
        let table = Table::open(src)?;
        let map = ColumnMap::new(kind, &table.headers, src, notices, mapping)?;
        Ok(Export {
            kind,
            src,
            table,
            map,
            name: src.name(),
        })
    }

    pub(super) fn read_part<B: Builder>(
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
            if rec.raw.len() > MAX_RECORD_BYTES {
                out.rejects
                    .push((rec.start, self.too_long(rec.line, rec.raw)));
                return Ok(());
            }
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
    pub(super) fn stitch<B: Builder>(
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

    /// A record over [`MAX_RECORD_BYTES`]: its raw text is kept only in part, with its length.
    fn too_long(&self, line: u64, raw: &str) -> Reject {
        let mut keep = 1024.min(raw.len());
        while !raw.is_char_boundary(keep) {
            keep -= 1;
        }
        let mut r = self.reject(
            line,
            "",
            RowError {
                column: None,
                reason: RejectReason::RecordTooLong.code(),
                detail: format!(
                    "the record is {} long; a record has at most {}",
                    crate::util::bytes(raw.len() as u64),
                    crate::util::bytes(MAX_RECORD_BYTES as u64)
                ),
            },
        );
        r.raw = format!("{}… ({} bytes in all)", &raw[..keep], raw.len());
        r
    }

    pub(super) fn reject(&self, line: u64, raw: &str, e: RowError) -> Reject {
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
    pub(super) fn late_reject(
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
    pub(super) fn find_repeated_emails<'b>(
        &self,
        outs: &'b [PartOut],
    ) -> (EmailKeys<'b>, Vec<LateReject>) {
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
    pub(super) fn drop_rows(&self, outs: &mut [PartOut], rows: Vec<LateReject>) {
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
    pub(super) fn reject_unknown_owners(&self, out: &mut PartOut, users: &EmailKeys) {
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

    pub(super) fn meta(&self, outs: &[PartOut]) -> InputMeta {
        let mut m = meta(self.kind, self.src);
        m.rows_read = outs.iter().map(|o| o.rows_read).sum();
        m.rows_rejected = outs.iter().map(|o| o.rejects.len() as u64).sum();
        m.rows_kept = m.rows_read - m.rows_rejected;
        m
    }

    /// The file's rejects in file order, as a top-to-bottom read would list them.
    pub(super) fn rejects(&self, outs: &mut [PartOut]) -> Vec<Reject> {
        let mut all: Vec<(usize, Reject)> =
            outs.iter_mut().flat_map(|o| o.rejects.drain(..)).collect();
        all.sort_by_key(|(start, _)| *start);
        all.into_iter().map(|(_, r)| r).collect()
    }
}

/// Appends the `owner_at` column (see `reject_unknown_owners`) to a devices batch.
pub(super) fn with_owners(batch: &RecordBatch, owners: Int64Array) -> RecordBatch {
    let schema = batch.schema();
    let mut fields: Vec<_> = schema.fields().iter().cloned().collect();
    fields.push(Arc::new(ArrowField::new("owner_at", DataType::Int64, true)));
    let mut columns = batch.columns().to_vec();
    columns.push(Arc::new(owners));
    RecordBatch::try_new(Arc::new(Schema::new(fields)), columns).expect("one owner per device row")
}

/// The devices of a snapshot without a devices export: no rows, but every column.
pub(super) fn no_devices() -> RecordBatch {
    with_owners(
        &DeviceBuilder::default().finish(),
        Int64Array::from(Vec::<i64>::new()),
    )
}

pub(super) fn lines(batch: &RecordBatch) -> &duckdb::arrow::array::Int64Array {
    use duckdb::arrow::array::AsArray;
    column(batch, "line").as_primitive::<duckdb::arrow::datatypes::Int64Type>()
}

pub(super) fn strings<'b>(
    batch: &'b RecordBatch,
    name: &str,
) -> &'b duckdb::arrow::array::StringArray {
    use duckdb::arrow::array::AsArray;
    column(batch, name).as_string::<i32>()
}

pub(super) fn filter(batch: &RecordBatch, keep: Vec<bool>) -> RecordBatch {
    let mask = duckdb::arrow::array::BooleanArray::from(keep);
    duckdb::arrow::compute::filter_record_batch(batch, &mask).expect("a mask as long as its batch")
}

pub(super) fn column<'b>(batch: &'b RecordBatch, name: &str) -> &'b ArrayRef {
    batch
        .column_by_name(name)
        .expect("the builders name every column")
}

/// Advances the shared progress bar every few thousand rows rather than on each.
pub(super) struct Ticker<'p> {
    pub(super) bar: &'p indicatif::ProgressBar,
    pub(super) rows: u64,
    pub(super) bytes: u64,
}

impl<'p> Ticker<'p> {
    pub(super) fn new(bar: &'p indicatif::ProgressBar) -> Self {
        Ticker {
            bar,
            rows: 0,
            bytes: 0,
        }
    }

    pub(super) fn tick(&mut self, raw_len: usize) {
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

pub(super) fn meta(kind: Kind, src: &SourceFile) -> InputMeta {
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
