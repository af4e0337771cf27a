//! The reminders log (`reminder_log`, schema 3): when a user was last reminded, and one row per
//! attempt. Each row is its own transaction, committed before the next message goes out, so a
//! run that is killed keeps the record of everything it delivered.

use anyhow::{Context, Result};
use chrono::{DateTime, Utc};
use duckdb::types::Value;

use super::{from_naive, ts_value, Store};

/// One attempt to remind one user, as `reminder_log` holds it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct LogEntry {
    pub(crate) email_key: String,
    pub(crate) email: String,
    pub(crate) snapshot_id: i64,
    pub(crate) stage: Option<&'static str>,
    pub(crate) at: DateTime<Utc>,
    pub(crate) channel: &'static str,
    pub(crate) message_id: Option<String>,
    pub(crate) destination: Option<String>,
    /// sent | failed | skipped
    pub(crate) outcome: &'static str,
    pub(crate) reason: Option<String>,
}

fn text(s: Option<&str>) -> Value {
    s.map_or(Value::Null, |s| Value::Text(s.to_string()))
}

impl Store {
    /// When the user with this key was last sent a reminder by rollcall (`None`: never).
    pub(crate) fn last_reminded(&self, email_key: &str) -> Result<Option<DateTime<Utc>>> {
        let t: Option<chrono::NaiveDateTime> = self
            .conn
            .query_row(
                &self.sql.fragment("remind/last_sent.sql")?,
                [email_key],
                |r| r.get(0),
            )
            .context("running queries/remind/last_sent.sql")?;
        Ok(t.map(from_naive))
    }

    /// Appends attempts in one transaction (a single entry: one durable commit).
    pub(crate) fn log_reminders(&self, entries: &[LogEntry]) -> Result<()> {
        let tx = self.conn.unchecked_transaction()?;
        for e in entries {
            self.exec_file(
                "remind/log.sql",
                &[
                    Value::Text(e.email_key.clone()),
                    Value::Text(e.email.clone()),
                    Value::BigInt(e.snapshot_id),
                    text(e.stage),
                    ts_value(e.at),
                    Value::Text(e.channel.to_string()),
                    text(e.message_id.as_deref()),
                    text(e.destination.as_deref()),
                    Value::Text(e.outcome.to_string()),
                    text(e.reason.as_deref()),
                ],
            )?;
        }
        tx.commit().context("recording the reminders log")
    }
}
