//! The license worklist's tables (schema 4): `license_worklist`, one row per decision, only ever
//! appended (its state is computed from later snapshots), and `license_seats`, one count per
//! snapshot.

use anyhow::{Context, Result};
use chrono::{DateTime, Utc};
use duckdb::types::Value;

use super::{ts_value, Store};
use crate::licenses::Mark;

impl Store {
    /// Records the decisions in one transaction: all of them or none.
    pub(crate) fn record_marks(&self, marks: &[Mark]) -> Result<()> {
        let tx = self.conn.unchecked_transaction()?;
        for m in marks {
            self.exec_file(
                "licenses/mark.sql",
                &[
                    Value::Text(m.email_key.clone()),
                    Value::Text(m.email.clone()),
                    Value::Text(m.action.name().to_string()),
                    m.note.clone().map_or(Value::Null, Value::Text),
                    ts_value(m.at),
                    Value::BigInt(m.snapshot_id),
                ],
            )?;
        }
        tx.commit().context("recording the license worklist")
    }

    /// Records (or replaces) the seats bought as of a snapshot.
    pub(crate) fn set_seats(&self, snapshot_id: i64, seats: i64, at: DateTime<Utc>) -> Result<()> {
        self.exec_file(
            "licenses/set_seats.sql",
            &[
                Value::BigInt(snapshot_id),
                Value::BigInt(seats),
                ts_value(at),
            ],
        )?;
        Ok(())
    }
}
