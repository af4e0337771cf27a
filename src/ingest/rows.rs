//! One record against the data contract: where each field sits in the header, whether the
//! record has the right shape, and its cells checked and typed (or the reason it is rejected).

use anyhow::Result;
use chrono::{DateTime, Utc};

use super::contract::{self, CellError, Field, Kind, RejectReason, TimestampParser};
use super::input::{Record, SourceFile};
use super::map::Mapping;
use crate::domain::Status;
use crate::error::InputError;
use crate::model::Notice;
use std::collections::HashMap;

/// A row-level problem: which column (by index), why.
pub(super) struct RowError {
    pub(super) column: Option<usize>,
    pub(super) reason: &'static str,
    pub(super) detail: String,
}

impl RowError {
    pub(super) fn cell(column: usize, e: CellError) -> RowError {
        RowError {
            column: Some(column),
            reason: e.reason.code(),
            detail: e.detail,
        }
    }
}

/// The notice kind of an optional column that is missing while another looks like it: a
/// warning at ingest, and an error with `--strict`.
pub(crate) const NEAR_MISS: &str = "near-miss-column";

/// Where each field sits in a file's header row.
pub(super) struct ColumnMap {
    /// By `Field as usize`: looked up for every cell, so an array rather than a hashed map.
    pub(super) index: [Option<usize>; Field::COUNT],
    pub(super) headers: Vec<String>,
    pub(super) width: usize,
    /// By `Field as usize`: a `--map` file's value translations (trimmed, lower-cased keys).
    values: [Option<HashMap<String, &'static str>>; Field::COUNT],
}

impl ColumnMap {
    pub(super) fn new(
        kind: Kind,
        headers: &[String],
        src: &SourceFile,
        notices: &mut Vec<Notice>,
        mapping: &Mapping,
    ) -> Result<ColumnMap, InputError> {
        // A `--map` rename wins over the contract's own aliases.
        let field_of = |h: &str| match mapping.column(kind, h) {
            Some(mapped) => mapped,
            None => kind.field_for_header(h),
        };
        let ignored = |h: &str| mapping.column(kind, h) == Some(None);
        let mut index = [None; Field::COUNT];
        let mut unknown = Vec::new();
        for (i, h) in headers.iter().enumerate() {
            if ignored(h) {
                continue;
            }
            match field_of(h) {
                Some(f) => {
                    if let Some(prev) = index[f as usize].replace(i) {
                        return Err(InputError::new(
                            &src.path,
                            format!(
                                "columns '{}' and '{}' both name the same field; keep one",
                                crate::util::echo(&headers[prev]),
                                crate::util::echo(h)
                            ),
                        ));
                    }
                }
                None if h.is_empty() => unknown.push("(blank header)".to_string()),
                None => unknown.push(format!("'{}'", crate::util::echo(h))),
            }
        }
        let map = ColumnMap {
            index,
            headers: headers.to_vec(),
            width: headers.len(),
            values: std::array::from_fn(|i| {
                kind.fields()
                    .iter()
                    .find(|(f, _)| *f as usize == i)
                    .and_then(|(f, _)| mapping.values(kind, *f).cloned())
            }),
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
        // An optional field that is missing while an unknown column looks like it: read as
        // nothing, every user would silently become "never active" (say), so it is said.
        for (field, aliases) in kind.fields() {
            if map.has(*field) {
                continue;
            }
            for h in headers
                .iter()
                .filter(|h| field_of(h).is_none() && !ignored(h))
            {
                let key = contract::normalize_header(h);
                let near = kind.near_misses(*field).contains(&key.as_str())
                    || aliases.iter().any(|a| a.len() >= 4 && key.starts_with(a));
                if near {
                    notices.push(Notice {
                        kind: NEAR_MISS,
                        file: src.name(),
                        detail: format!(
                            "{} export: no {} column, but '{}' looks like one; it is not read as {}: rename it or map it with --map",
                            kind.as_str(),
                            field.title(),
                            crate::util::echo(h),
                            field.title()
                        ),
                    });
                }
            }
        }
        if !unknown.is_empty() {
            notices.push(Notice {
                kind: "unknown-column",
                file: src.name(),
                detail: format!(
                    "{} export: unknown column{} {} kept out of the views",
                    kind.as_str(),
                    if unknown.len() == 1 { "" } else { "s" },
                    listed(&unknown)
                ),
            });
        }
        Ok(map)
    }

    pub(super) fn has(&self, f: Field) -> bool {
        self.index[f as usize].is_some()
    }

    pub(super) fn found(&self) -> String {
        if self.headers.is_empty() {
            "no columns".into()
        } else {
            let quoted: Vec<String> = self
                .headers
                .iter()
                .map(|h| format!("'{}'", crate::util::echo(h)))
                .collect();
            listed(&quoted)
        }
    }

    /// The cell of `f` in `rec`: (column index, text), translated by the `--map` file when it
    /// maps this value. Absent columns and JSON keys read as blank.
    pub(super) fn get<'r>(&self, rec: &'r Record<'_>, f: Field) -> Option<(usize, &'r str)> {
        let i = self.index[f as usize]?;
        let text = rec.cell(i).unwrap_or("");
        if let Some(values) = &self.values[f as usize] {
            if let Some(to) = values.get(&text.trim().to_lowercase()) {
                return Some((i, to));
            }
        }
        Some((i, text))
    }
}

/// The most names a message lists; the rest are counted.
const LISTED_MAX: usize = 20;

/// "'a', 'b', 'c'", or the first [`LISTED_MAX`] and "and N more".
fn listed(names: &[String]) -> String {
    let mut text = names
        .iter()
        .take(LISTED_MAX)
        .cloned()
        .collect::<Vec<_>>()
        .join(", ");
    if names.len() > LISTED_MAX {
        text.push_str(&format!(" and {} more", names.len() - LISTED_MAX));
    }
    text
}

/// Whole-row checks shared by both exports: unreadable JSON, nested values, field count.
pub(super) fn check_shape(rec: &Record<'_>, map: &ColumnMap, json: bool) -> Result<(), RowError> {
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

pub(super) struct UserRow<'r> {
    pub(super) email: crate::email::Email<'r>,
    pub(super) name: Option<&'r str>,
    pub(super) scim: bool,
    pub(super) license: bool,
    pub(super) stages: [Option<(bool, Option<DateTime<Utc>>)>; 3],
    pub(super) last_used: Option<DateTime<Utc>>,
    pub(super) reminders: i32,
    pub(super) status: Option<Status>,
}

pub(super) fn user_row<'r>(
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

pub(super) struct DeviceRow<'r> {
    pub(super) email: crate::email::Email<'r>,
    pub(super) device_name: Option<&'r str>,
    pub(super) platform: Option<&'r str>,
    pub(super) version: Option<&'r str>,
    pub(super) last_used: Option<DateTime<Utc>>,
    pub(super) hub: bool,
}

pub(super) fn device_row<'r>(
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
