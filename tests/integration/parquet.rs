//! Issue 9: Parquet exports write UTC-adjusted timestamps (TIMESTAMPTZ, `isAdjustedToUTC`), so
//! a reader sees the same instants the CSV writes with a `Z`. Read back with DuckDB itself.

use std::collections::BTreeMap;

use crate::common::{read, Env};

/// Last Used in three layouts, worked out by hand in UTC: ann's +05:30 offset is 09:00Z, bob's
/// naive timestamp is UTC with its milliseconds, cy has never used Enpass.
const USERS: &str = "Name,Email,License,Last Used\n\
    Ann,ann@example.com,Assigned,2026-11-20T14:30:00+05:30\n\
    Bob,bob@example.com,Assigned,2026-11-25 10:00:00.250\n\
    Cy,cy@example.com,Unassigned,\n";

fn micros(iso: &str) -> i64 {
    chrono::DateTime::parse_from_rfc3339(iso)
        .unwrap()
        .timestamp_micros()
}

#[test]
fn parquet_timestamps_are_utc_instants_equal_to_the_csv() {
    let env = Env::new();
    env.ingest(USERS, None, "2026-11-26T12:00:00Z");
    let columns = "email,last_used,reminders_sent";
    let csv = env.path("u.csv");
    let pq = env.path("u.parquet");
    for (path, format) in [(&csv, "csv"), (&pq, "parquet")] {
        // Another zone on the machine must not move an instant.
        let out = env
            .cmd()
            .env("TZ", "America/New_York")
            .args(["export", "-o", path.to_str().unwrap(), "--format", format])
            .args(["--columns", columns, "--sort", "email"])
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    assert_eq!(
        read(&csv),
        "email,last_used,reminders_sent\n\
         ann@example.com,2026-11-20T09:00:00Z,0\n\
         bob@example.com,2026-11-25T10:00:00.250Z,0\n\
         cy@example.com,,0\n"
    );

    let conn = duckdb::Connection::open_in_memory().unwrap();
    let file = pq.to_str().unwrap();
    let logical: BTreeMap<String, Option<String>> = conn
        .prepare("SELECT name, logical_type FROM parquet_schema(?)")
        .unwrap()
        .query_map([file], |r| Ok((r.get(0)?, r.get(1)?)))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    let ts = logical["last_used"].as_deref().unwrap_or_default();
    assert!(ts.contains("isAdjustedToUTC=1"), "{ts}");
    assert_eq!(logical["reminders_sent"], None, "integers stay integers");

    let rows: Vec<(String, String, Option<i64>)> = conn
        .prepare(
            "SELECT email, typeof(last_used), epoch_us(last_used) FROM read_parquet(?) ORDER BY email",
        )
        .unwrap()
        .query_map([file], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    let tz = "TIMESTAMP WITH TIME ZONE".to_string();
    assert_eq!(
        rows,
        [
            (
                "ann@example.com".to_string(),
                tz.clone(),
                Some(micros("2026-11-20T09:00:00Z"))
            ),
            (
                "bob@example.com".to_string(),
                tz.clone(),
                Some(micros("2026-11-25T10:00:00.250Z"))
            ),
            ("cy@example.com".to_string(), tz, None),
        ]
    );

    // The manifest records the listing's SQL, as for CSV: the rows are the same.
    let m: serde_json::Value =
        serde_json::from_str(&read(&env.path("u.parquet.manifest.json"))).unwrap();
    let c: serde_json::Value =
        serde_json::from_str(&read(&env.path("u.csv.manifest.json"))).unwrap();
    assert_eq!(m["sql"], c["sql"]);
    assert_eq!(m["rows"], 3);
}
