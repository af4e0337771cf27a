//! Ingest: turns export files into typed, columnar batches plus rejects and notices,
//! applying the data contract row by row. Writes nothing itself; the store files the result
//! as one snapshot in one transaction. `input` decodes and cuts files into records,
//! `contract` parses values, `rows` checks records, `build` types them, `file` runs one
//! export through all of that in parallel parts.

mod build;
pub(crate) mod contract;
mod file;
pub(crate) mod input;
mod map;
mod rows;

pub(crate) use contract::parse_iso;
pub(crate) use rows::NEAR_MISS;

use std::path::PathBuf;

use anyhow::Result;
use duckdb::arrow::record_batch::RecordBatch;

use crate::error::{Failure, InputError};
use crate::model::{InputMeta, Notice, Reject};
use build::{Builder, DeviceBuilder, UserBuilder};
use contract::{Field, Kind, TimestampParser};
use file::{no_devices, Export};
use input::{Encoding, Part, SourceFile, Table};

/// What to ingest and how to read it.
#[derive(Debug, Clone)]
pub(crate) struct IngestOptions {
    pub(crate) users: PathBuf,
    pub(crate) devices: Option<PathBuf>,
    pub(crate) encoding: Encoding,
    pub(crate) date_formats: Vec<String>,
    pub(crate) show_progress: bool,
    /// The largest input file read (`--max-input-size`).
    pub(crate) max_input_bytes: u64,
    /// File an export without data rows as an empty snapshot (`--allow-empty`).
    pub(crate) allow_empty: bool,
    /// A `--map` file for exports from other consoles.
    pub(crate) map: Option<PathBuf>,
}

/// Everything a snapshot needs, checked and typed, not yet written.
pub(crate) struct Parsed {
    /// Never empty: an export without rows is one empty batch, which still names the columns.
    pub(crate) users: Vec<RecordBatch>,
    /// Never empty, as `users`; one empty batch when no devices export was given.
    pub(crate) devices: Vec<RecordBatch>,
    pub(crate) inputs: Vec<InputMeta>,
    pub(crate) rejects: Vec<Reject>,
    pub(crate) notices: Vec<Notice>,
    /// Whether the users export had all three stage columns; without them its Status is taken.
    pub(crate) has_stages: bool,
    pub(crate) users_kept: u64,
    pub(crate) devices_kept: u64,
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
pub(crate) fn parse(opts: &IngestOptions) -> Result<Parsed> {
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
    let mapping = match &opts.map {
        Some(path) => map::Mapping::load(path)?,
        None => map::Mapping::default(),
    };
    let layouts = [&opts.date_formats[..], &mapping.date_formats[..]].concat();
    let ts = TimestampParser::new(layouts).map_err(Failure::Usage)?;
    let size = |p: &std::path::Path| std::fs::metadata(p).map_or(0, |m| m.len());
    let total_bytes = size(&opts.users) + opts.devices.as_deref().map_or(0, size);
    let progress = crate::progress::bar(opts.show_progress, total_bytes, "reading exports");
    let timer = crate::util::Timer::start();

    let (users_src, devices_src) = std::thread::scope(|s| {
        let devices = opts
            .devices
            .as_deref()
            .map(|p| s.spawn(|| SourceFile::read(p, opts.encoding, opts.max_input_bytes)));
        let users = SourceFile::read(&opts.users, opts.encoding, opts.max_input_bytes);
        let devices = devices.map(|h| h.join().unwrap_or_else(|p| std::panic::resume_unwind(p)));
        (users, devices)
    });
    // The users file's problem is reported first, as if the files were read in turn.
    let users_src = users_src?;
    let devices_src = devices_src.transpose()?;
    timer.lap("read files");

    let mut notices = Vec::new();
    let users = Export::open(Kind::Users, &users_src, &mut notices, &mapping)?;
    if !users.map.has(Field::License) && !users.map.has(Field::Status) {
        return Err(InputError::new(
            &users_src.path,
            "missing required column: License (or Status); found ".to_string() + &users.map.found(),
        )
        .into());
    }
    // The status follows the stages only when all three are there; with some of them the
    // export's Status is taken, and stages that contradict it become notices.
    let has_stages = [
        Field::LicenseActivated,
        Field::AppSetupCompleted,
        Field::DataAdded,
    ]
    .iter()
    .all(|f| users.map.has(*f));
    let devices = match &devices_src {
        Some(src) => Some(Export::open(Kind::Devices, src, &mut notices, &mapping)?),
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
    if !opts.allow_empty {
        if let Some(empty) = inputs.iter().find(|m| m.rows_read == 0) {
            return Err(InputError::new(
                &empty.path,
                "has a header but no data rows (pass --allow-empty to file an empty snapshot)"
                    .into(),
            )
            .into());
        }
    }
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

#[cfg(test)]
mod tests {
    use super::file::lines;
    use super::*;
    use duckdb::arrow::array::AsArray;

    /// Plain UTF-8 exports, no limits, no map.
    fn options(users: PathBuf, devices: Option<PathBuf>) -> IngestOptions {
        IngestOptions {
            users,
            devices,
            encoding: Encoding::Utf8,
            date_formats: Vec::new(),
            show_progress: false,
            max_input_bytes: u64::MAX,
            allow_empty: false,
            map: None,
        }
    }

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
        let opts = options(
            dir.path().join("users.csv"),
            Some(dir.path().join("devices.csv")),
        );

        // The fine cutting must really put some cuts inside quoted fields.
        let src = SourceFile::read(&opts.users, Encoding::Utf8, u64::MAX).unwrap();
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
        let opts = options(users, None);
        let p = parse(&opts).unwrap();
        let got: Vec<(u64, &str)> = p
            .rejects
            .iter()
            .map(|r| (r.line, r.reason.as_str()))
            .collect();
        assert_eq!(got, [(1, "duplicate-email"), (1, "bad-value")]);
    }
}
