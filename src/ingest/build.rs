//! Checked rows into typed Arrow batches, one builder per export kind: the columns that
//! `queries/ingest/*.sql` read through `staged(…)`.

use std::sync::Arc;

use chrono::{DateTime, Utc};
use duckdb::arrow::array::{
    ArrayRef, BooleanBuilder, Int32Builder, Int64Builder, StringBuilder,
    TimestampMicrosecondBuilder,
};
use duckdb::arrow::datatypes::{DataType, Field as ArrowField, Schema, TimeUnit};
use duckdb::arrow::record_batch::RecordBatch;

use super::contract::TimestampParser;
use super::input::Record;
use super::rows::{device_row, user_row, ColumnMap, DeviceRow, RowError, UserRow};
use crate::domain::Status;

/// The typed columns of one export: `check` applies the data contract to a record, `push`
/// appends the checked row.
pub(super) trait Builder: Default {
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

pub(super) fn ts_type() -> DataType {
    DataType::Timestamp(TimeUnit::Microsecond, None)
}

pub(super) fn micros(t: Option<DateTime<Utc>>) -> Option<i64> {
    t.map(|t| t.timestamp_micros())
}

/// The columns queries/ingest/*.sql read as `staged(…)`; their names are the SQL names.
#[derive(Default)]
pub(super) struct UserBuilder {
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
pub(super) struct DeviceBuilder {
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

pub(super) fn batch(cols: Vec<(&str, DataType, ArrayRef)>) -> RecordBatch {
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
