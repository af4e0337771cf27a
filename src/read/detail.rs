//! One user's details page (`rollcall show`, `/api/user`, the report's dialog): what the
//! console's User Details page shows, by status, with the user's devices.

use anyhow::Result;
use chrono::{DateTime, Utc};
use serde::Serialize;

use super::Reader;
use crate::domain::{self, FilterSet, STAGES, STAGE_COLUMNS};
use crate::error::Failure;
use crate::output::Cell;
use crate::sql::Param;

/// The longest email looked up (RFC 3696 errata: 320 characters). A longer one is refused before
/// any query, so neither the lookup nor the "did you mean" scan costs more than a real one.
pub(crate) const MAX_EMAIL: usize = 320;

/// One onboarding stage on the details page.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub(crate) struct Stage {
    pub(crate) label: &'static str,
    /// `None` when the export carried no stage columns.
    pub(crate) done: Option<bool>,
    #[serde(serialize_with = "ser_opt_ts")]
    pub(crate) at: Option<DateTime<Utc>>,
}

/// A device row on the details page (the console's columns).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub(crate) struct Device {
    pub(crate) device_name: Option<String>,
    pub(crate) platform: Option<String>,
    pub(crate) enpass_version: Option<String>,
    #[serde(serialize_with = "ser_opt_ts")]
    pub(crate) last_used: Option<DateTime<Utc>>,
    pub(crate) hub_authenticated: bool,
}

/// `rollcall show`: what the console's User Details page shows.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub(crate) struct Detail {
    pub(crate) name: Option<String>,
    pub(crate) email: String,
    pub(crate) scim: bool,
    pub(crate) license: String,
    pub(crate) status: String,
    pub(crate) status_label: &'static str,
    pub(crate) activity: String,
    pub(crate) hub: String,
    #[serde(serialize_with = "ser_opt_ts")]
    pub(crate) last_used: Option<DateTime<Utc>>,
    pub(crate) reminders_sent: i64,
    pub(crate) stages: Vec<Stage>,
    pub(crate) devices: Vec<Device>,
    pub(crate) snapshot: i64,
    #[serde(serialize_with = "crate::util::ser_ts")]
    pub(crate) as_of: DateTime<Utc>,
}

fn ser_opt_ts<S: serde::Serializer>(t: &Option<DateTime<Utc>>, s: S) -> Result<S::Ok, S::Error> {
    match t {
        Some(t) => crate::util::ser_ts(t, s),
        None => s.serialize_none(),
    }
}

fn text(c: &Cell) -> Option<String> {
    match c {
        Cell::Null => None,
        other => Some(other.text()),
    }
}

fn time(c: &Cell) -> Option<DateTime<Utc>> {
    match c {
        Cell::Time(t) => Some(*t),
        _ => None,
    }
}

fn boolean(c: &Cell) -> Option<bool> {
    match c {
        Cell::Bool(b) => Some(*b),
        _ => None,
    }
}

impl Reader {
    /// Whether the user with this email (as [`detail`](Self::detail) looks it up) is among the
    /// users `filters` select.
    pub(crate) fn selects(&self, filters: &FilterSet, email: &str) -> Result<bool> {
        let key = crate::email::key(email.trim());
        let mut s = self.sql().fill(
            "read/user_in_view.sql",
            &[("where", &super::predicate(self.sql(), filters)?)],
        )?;
        s.params.insert(0, Param::Text(key));
        let g = self.store().grid(&s)?;
        Ok(super::listing::int(&g, 0, 0) > 0)
    }

    /// Looks a user up by email (trimmed, case-insensitive); an unknown email suggests the
    /// closest ones.
    pub(crate) fn detail(&self, email: &str) -> Result<Detail> {
        let email = email.trim();
        let length = email.chars().count();
        if length > MAX_EMAIL {
            return Err(Failure::Usage(format!(
                "an email of {length} characters: no address is longer than {MAX_EMAIL}"
            ))
            .into());
        }
        let key = crate::email::key(email);
        let sql = self.sql();
        let store = self.store();
        let g = store.grid(&sql.stmt("read/user.sql", vec![Param::Text(key.clone())])?)?;
        let Some(r) = g.rows.first() else {
            let near = sql.stmt("read/suggest.sql", vec![Param::Text(key)])?;
            let suggestions: Vec<String> = store
                .grid(&near)?
                .rows
                .into_iter()
                .map(|r| r[0].text())
                .collect();
            let hint = if suggestions.is_empty() {
                String::new()
            } else {
                format!("; did you mean {}?", suggestions.join(", "))
            };
            return Err(Failure::NotFound {
                message: format!(
                    "no user with email '{email}' in snapshot {}{hint}",
                    self.scope().snapshot.id
                ),
                suggestions,
            }
            .into());
        };
        let [name, mail, scim, license, status, activity, hub, last_used, reminders] = g.columns(
            [
                "name",
                "email",
                "scim",
                "license",
                "status",
                "activity",
                "hub",
                "last_used",
                "reminders_sent",
            ],
            "read/user.sql",
        )?;
        let stage_columns = g.columns(STAGE_COLUMNS, "read/user.sql")?;
        let stages = STAGES
            .into_iter()
            .zip(stage_columns.chunks(2))
            .map(|(label, at)| Stage {
                label,
                done: boolean(&r[at[0]]),
                at: time(&r[at[1]]),
            })
            .collect();
        let dg = store.grid(&sql.stmt("read/user_devices.sql", vec![Param::Text(key)])?)?;
        let [device_name, platform, version, device_last_used, hub_authenticated] = dg.columns(
            [
                "device_name",
                "platform",
                "enpass_version",
                "last_used",
                "hub_authenticated",
            ],
            "read/user_devices.sql",
        )?;
        let devices = dg
            .rows
            .iter()
            .map(|d| Device {
                device_name: text(&d[device_name]),
                platform: text(&d[platform]),
                enpass_version: text(&d[version]),
                last_used: time(&d[device_last_used]),
                hub_authenticated: boolean(&d[hub_authenticated]).unwrap_or(false),
            })
            .collect();
        let status = r[status].text();
        Ok(Detail {
            name: text(&r[name]),
            email: r[mail].text(),
            scim: boolean(&r[scim]).unwrap_or(false),
            license: r[license].text(),
            status_label: domain::status_label(&status),
            status,
            activity: r[activity].text(),
            hub: r[hub].text(),
            last_used: time(&r[last_used]),
            reminders_sent: match r[reminders] {
                Cell::Int(i) => i,
                _ => 0,
            },
            stages,
            devices,
            snapshot: self.scope().snapshot.id,
            as_of: self.scope().as_of,
        })
    }
}
