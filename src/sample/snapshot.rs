//! A snapshot folder as `rollcall sample` writes it, read back for `sample --evolve-from`.
//!
//! Every record is kept verbatim beside its cells, so a row evolve leaves alone is written back
//! byte for byte. Each user also gets the typed state the data contract derives from its row and
//! devices (licence, stages, status, last use, Hub), parsed with the contract's own cell parsers:
//! the truth evolve writes then counts what `rollcall ingest` counts, without running it.

use std::collections::HashMap;

use chrono::{DateTime, TimeDelta, Utc};

use super::files::write_field;
use super::{DEVICES_HEADER, USERS_HEADER};
use crate::domain::Status;
use crate::error::InputError;
use crate::ingest::contract::{self, CellError, TimestampParser};

/// Columns of `users.csv`, in the order [`USERS_HEADER`] names them.
pub(super) const U_NAME: usize = 0;
pub(super) const U_EMAIL: usize = 1;
pub(super) const U_LAST_USED: usize = 3;
pub(super) const U_LICENSE: usize = 4;
pub(super) const U_STATUS: usize = 5;
/// Activated License, Completed App Setup, Added Data in App.
pub(super) const U_STAGES: [usize; 3] = [6, 7, 8];
pub(super) const U_REMINDERS: usize = 9;
/// Columns of `devices.csv`, in the order [`DEVICES_HEADER`] names them.
pub(super) const D_EMAIL: usize = 0;
pub(super) const D_LAST_USED: usize = 4;
pub(super) const D_HUB: usize = 5;

/// One record: its cells, and its text as read while no cell has changed.
#[derive(Debug, Clone)]
pub(super) struct Row {
    raw: Option<String>,
    pub(super) cells: Vec<String>,
}

impl Row {
    pub(super) fn new(cells: Vec<String>) -> Row {
        Row { raw: None, cells }
    }

    /// Sets a cell; the row is written from its cells from then on (if the value differs).
    pub(super) fn set(&mut self, column: usize, value: impl Into<String>) {
        let value = value.into();
        if self.cells[column] != value {
            self.cells[column] = value;
            self.raw = None;
        }
    }

    /// The record without its line end: as read, or quoted like `rollcall sample` quotes.
    pub(super) fn line(&self) -> String {
        if let Some(raw) = &self.raw {
            return raw.clone();
        }
        let mut out = Vec::new();
        for (i, cell) in self.cells.iter().enumerate() {
            if i > 0 {
                out.push(b',');
            }
            // Writing into a Vec cannot fail.
            let _ = write_field(&mut out, cell);
        }
        String::from_utf8(out).expect("cells are UTF-8")
    }
}

/// A user as the contract sees it, at no particular instant.
#[derive(Debug, Clone, Default, PartialEq)]
pub(super) struct State {
    /// As written (trimmed).
    pub(super) email: String,
    pub(super) scim: bool,
    pub(super) licensed: bool,
    /// Activated License, Completed App Setup, Added Data in App: done or not.
    pub(super) stages: [bool; 3],
    /// The latest of the row's Last Used and its devices' (contract §3).
    pub(super) last_used: Option<DateTime<Utc>>,
    pub(super) hub: bool,
    pub(super) reminders: i64,
    pub(super) devices: usize,
}

/// Activity in a window ending at an instant, as the users view computes it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Activity {
    Active,
    Inactive,
    Never,
}

impl Activity {
    pub(super) fn slug(self) -> &'static str {
        match self {
            Activity::Active => "active",
            Activity::Inactive => "inactive",
            Activity::Never => "never",
        }
    }
}

impl State {
    /// Derived exactly as `queries/ingest/derive_users.sql` derives it when the export has stage
    /// columns (these files always do); the Status column plays no part.
    pub(super) fn status(&self) -> Status {
        if !self.licensed {
            Status::NoLicense
        } else if self.stages.iter().all(|&done| done) {
            Status::Using
        } else {
            Status::Pending
        }
    }

    /// Never without a last use; active when it is strictly after `as_of - window_days` (a
    /// future use counts); inactive otherwise.
    pub(super) fn activity(&self, as_of: DateTime<Utc>, window_days: i64) -> Activity {
        match self.last_used {
            None => Activity::Never,
            Some(last) if last > as_of - TimeDelta::days(window_days) => Activity::Active,
            Some(_) => Activity::Inactive,
        }
    }
}

/// A user's row, devices and state (the state as read; evolve edits the rows only).
#[derive(Debug, Clone)]
pub(super) struct User {
    /// The contract's matching key: trimmed, lower-cased (`crate::email`).
    pub(super) key: String,
    pub(super) row: Row,
    pub(super) devices: Vec<Row>,
    pub(super) state: State,
}

/// The users of one snapshot in file order, each with its devices in file order.
#[derive(Debug, Clone, Default)]
pub(super) struct Snapshot {
    pub(super) users: Vec<User>,
}

impl Snapshot {
    /// Reads the two files' bytes; `users_name` and `devices_name` name them in errors, which
    /// are one [`InputError`] naming the file, the line and the column.
    pub(super) fn parse(
        users_name: &str,
        users: &[u8],
        devices_name: &str,
        devices: &[u8],
    ) -> Result<Snapshot, InputError> {
        let ts = TimestampParser::default();
        let mut snapshot = Snapshot::default();
        let mut index: HashMap<String, (usize, u64)> = HashMap::new();
        for (line, row) in records(users_name, users, USERS_HEADER)? {
            let at = |field: &str, e: CellError| {
                InputError::new(users_name, format!("line {line}: {field}: {}", e.detail))
            };
            let c = &row.cells;
            let email = contract::parse_email(&c[U_EMAIL]).map_err(|e| at("Email", e))?;
            let key = email.key.clone().into_owned();
            let display = email.display.to_string();
            if let Some((_, first)) = index.get(&key) {
                return Err(InputError::new(
                    users_name,
                    format!("line {line}: Email: '{display}' is already on line {first}"),
                ));
            }
            let mut stages = [false; 3];
            for (done, (column, title)) in stages
                .iter_mut()
                .zip(U_STAGES.iter().zip(crate::domain::STAGES))
            {
                *done = ts.parse_stage(&c[*column]).map_err(|e| at(title, e))?.0;
            }
            contract::parse_status(&c[U_STATUS]).map_err(|e| at("Status", e))?;
            let state = State {
                email: display,
                scim: contract::parse_bool(&c[2]).map_err(|e| at("SCIM Provisioned", e))?,
                licensed: contract::parse_license(&c[U_LICENSE]).map_err(|e| at("License", e))?,
                stages,
                last_used: ts
                    .parse_last_used(&c[U_LAST_USED])
                    .map_err(|e| at("Last Used", e))?,
                hub: false,
                reminders: i64::from(
                    contract::parse_count(&c[U_REMINDERS]).map_err(|e| at("Reminders Sent", e))?,
                ),
                devices: 0,
            };
            index.insert(key.clone(), (snapshot.users.len(), line));
            snapshot.users.push(User {
                key,
                row,
                devices: Vec::new(),
                state,
            });
        }
        for (line, row) in records(devices_name, devices, DEVICES_HEADER)? {
            let at = |field: &str, e: CellError| {
                InputError::new(devices_name, format!("line {line}: {field}: {}", e.detail))
            };
            let email =
                contract::parse_email(&row.cells[D_EMAIL]).map_err(|e| at("User Email", e))?;
            let Some(&(owner, _)) = index.get(email.key.as_ref()) else {
                return Err(InputError::new(
                    devices_name,
                    format!(
                        "line {line}: User Email: no user in {users_name} has the email '{}'",
                        email.display
                    ),
                ));
            };
            let last = ts
                .parse_last_used(&row.cells[D_LAST_USED])
                .map_err(|e| at("Last Used", e))?;
            let hub = contract::parse_bool(&row.cells[D_HUB])
                .map_err(|e| at("Enpass Hub Authenticated", e))?;
            let user = &mut snapshot.users[owner];
            user.state.last_used = user.state.last_used.max(last);
            user.state.hub |= hub;
            user.state.devices += 1;
            user.devices.push(row);
        }
        Ok(snapshot)
    }

    /// The two files as `rollcall sample` writes them: users in order, each user's devices in
    /// order after the previous user's.
    pub(super) fn to_csv(&self) -> (Vec<u8>, Vec<u8>) {
        let mut users = USERS_HEADER.as_bytes().to_vec();
        let mut devices = DEVICES_HEADER.as_bytes().to_vec();
        for user in &self.users {
            users.extend_from_slice(user.row.line().as_bytes());
            users.push(b'\n');
            for device in &user.devices {
                devices.extend_from_slice(device.line().as_bytes());
                devices.push(b'\n');
            }
        }
        (users, devices)
    }
}

/// The records of one file after its header, which must be `header` exactly, each with the line
/// it starts on and its text as read.
fn records(name: &str, bytes: &[u8], header: &str) -> Result<Vec<(u64, Row)>, InputError> {
    let err = |message: String| InputError::new(name, message);
    let expected: Vec<&str> = header.trim_end().split(',').collect();
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .from_reader(bytes);
    let mut out: Vec<(u64, u64, Row)> = Vec::new();
    let mut saw_header = false;
    for record in reader.records() {
        let record = record.map_err(|e| err(csv_problem(&e, expected.len())))?;
        let (line, start) = record.position().map_or((0, 0), |p| (p.line(), p.byte()));
        if !saw_header {
            if record.iter().ne(expected.iter().copied()) {
                return Err(err(format!(
                    "line {line}: not the header `rollcall sample` writes ({})",
                    header.trim_end()
                )));
            }
            saw_header = true;
            continue;
        }
        let cells = record.iter().map(str::to_string).collect();
        out.push((line, start, Row::new(cells)));
    }
    if !saw_header {
        return Err(err(format!(
            "empty; expected the header `rollcall sample` writes ({})",
            header.trim_end()
        )));
    }
    // A record's text runs to the next record's start (blank lines and the line end trimmed).
    let ends: Vec<usize> = out
        .iter()
        .skip(1)
        .map(|(_, start, _)| *start as usize)
        .chain([bytes.len()])
        .collect();
    Ok(out
        .into_iter()
        .zip(ends)
        .map(|((line, start, mut row), end)| {
            let text = &bytes[start as usize..end];
            let kept = text
                .iter()
                .rposition(|b| !matches!(b, b'\n' | b'\r'))
                .map_or(0, |i| i + 1);
            let text = &text[..kept];
            // Cells are UTF-8 (the reader checked), so the record's text is too.
            row.raw = std::str::from_utf8(text).ok().map(str::to_string);
            (line, row)
        })
        .collect())
}

fn csv_problem(e: &csv::Error, columns: usize) -> String {
    let line = e.position().map_or(0, |p| p.line());
    match e.kind() {
        csv::ErrorKind::UnequalLengths { len, .. } => {
            format!("line {line}: {len} fields where the header has {columns}")
        }
        csv::ErrorKind::Utf8 { .. } => format!("line {line}: not UTF-8"),
        _ => format!("line {line}: {e}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(users: &str, devices: &str) -> Result<Snapshot, InputError> {
        Snapshot::parse("u.csv", users.as_bytes(), "d.csv", devices.as_bytes())
    }

    #[test]
    fn rows_are_kept_verbatim_until_a_cell_changes() {
        let users = format!(
            "{USERS_HEADER}\"Lee, Ann\",Ann@Example.com,Yes,2026-11-20T00:00:00Z,Assigned,Using Enpass,2026-01-01T00:00:00Z,2026-01-02T00:00:00Z,2026-01-03T00:00:00Z,0\n\"Bo\",bo@example.com,No,Never,Unassigned,No License,,,,0\n"
        );
        let devices =
            format!("{DEVICES_HEADER}ann@example.com,iPad,iOS,6.9.2,2026-11-25T00:00:00Z,Yes\n");
        let mut s = parse(&users, &devices).unwrap();
        assert_eq!(s.users.len(), 2);
        let ann = &s.users[0];
        assert_eq!(ann.key, "ann@example.com");
        assert_eq!(ann.state.status(), Status::Using);
        assert!(ann.state.hub);
        assert_eq!(
            ann.state.last_used,
            Some("2026-11-25T00:00:00Z".parse().unwrap())
        );
        assert_eq!(s.users[1].state.status(), Status::NoLicense);
        // Bo's needlessly quoted name survives as written until a cell changes.
        assert_eq!(s.to_csv().0, users.as_bytes());
        s.users[1].row.set(U_REMINDERS, "0");
        assert_eq!(s.to_csv().0, users.as_bytes());
        s.users[1].row.set(U_REMINDERS, "1");
        assert!(String::from_utf8(s.to_csv().0)
            .unwrap()
            .ends_with("Bo,bo@example.com,No,Never,Unassigned,No License,,,,1\n"));
    }

    #[test]
    fn errors_name_the_file_line_and_column() {
        let e = parse(
            &format!("{USERS_HEADER}A,a@example.com,No,,Maybe,,,,,0\n"),
            DEVICES_HEADER,
        )
        .unwrap_err();
        assert_eq!(e.file, "u.csv");
        assert!(e.message.starts_with("line 2: License: 'Maybe'"), "{e}");
        let e = parse("Name,Email\n", DEVICES_HEADER).unwrap_err();
        assert!(e.message.contains("not the header"), "{e}");
        let e = parse(&format!("{USERS_HEADER}A,a@example.com\n"), DEVICES_HEADER).unwrap_err();
        assert_eq!(e.message, "line 2: 2 fields where the header has 10");
        let e = parse(
            USERS_HEADER,
            &format!("{DEVICES_HEADER}x@example.com,iPad,iOS,6.9.2,,No\n"),
        )
        .unwrap_err();
        assert_eq!(e.file, "d.csv");
        assert!(e.message.contains("no user in u.csv"), "{e}");
        let e = parse("", DEVICES_HEADER).unwrap_err();
        assert!(e.message.starts_with("empty"), "{e}");
    }
}
