//! Schema versions: a database written by rollcall 0.1.0's schema (`queries/schema.sql`, schema
//! 1) is upgraded in place after a backup, and one from a newer rollcall is refused.

use crate::common::Env;

/// Schema 1 exactly as rollcall 0.1.0 created it: `queries/schema.sql` is frozen as schema 1.
const SCHEMA_V1: &str = include_str!("../../queries/schema.sql");

/// A schema-1 database with one snapshot of three users and one device, written by hand: Ann is
/// using Enpass (hub-authenticated device, active), Bob is pending, Cy has no license.
fn v1_database(env: &Env) {
    let conn = duckdb::Connection::open(env.db()).unwrap();
    conn.execute_batch(SCHEMA_V1).unwrap();
    conn.execute_batch(
        "INSERT INTO snapshots VALUES (1, 'q3', TIMESTAMP '2026-11-26 12:00:00', TIMESTAMP '2026-11-26 12:05:00', '0.1.0', 3, 1, 0);
         INSERT INTO snapshot_inputs VALUES (1, 'users', 'users.csv', 'users.csv', 'csv (comma)', 100, 'abc', 3, 3, 0);
         INSERT INTO user_records VALUES
           (1, 2, 'ann@example.com', 'ann@example.com', 'Ann', true, 'assigned', true, NULL, true, NULL, true, NULL, TIMESTAMP '2026-11-20 09:00:00', 0, 'using', 'using', TIMESTAMP '2026-11-25 09:00:00', 1, 'authenticated'),
           (1, 3, 'bob@example.com', 'bob@example.com', 'Bob', false, 'assigned', true, NULL, false, NULL, false, NULL, NULL, 2, 'pending', 'pending', NULL, 0, 'never'),
           (1, 4, 'cy@example.com', 'cy@example.com', 'Cy', false, 'unassigned', false, NULL, false, NULL, false, NULL, NULL, 0, 'no-license', 'no-license', NULL, 0, 'never');
         INSERT INTO device_records VALUES (1, 2, 'ann@example.com', 'ann@example.com', 'Laptop', 'macOS', '6.11.4', TIMESTAMP '2026-11-25 09:00:00', true);",
    )
    .unwrap();
}

#[test]
fn an_old_database_is_backed_up_and_upgraded_in_place() {
    let env = Env::new();
    v1_database(&env);
    let out = env
        .cmd()
        .args(["summary", "--format", "json"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("from schema version 1 to 5")
            && stderr.contains("rollcall.duckdb.schema-v1.bak"),
        "{stderr}"
    );
    // By hand: 3 users, 2 licensed, 1 using.
    let s: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(s["total"], 3);
    let funnel: Vec<u64> = s["funnel"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["count"].as_u64().unwrap())
        .collect();
    assert_eq!(funnel, [3, 2, 2, 1, 1]);
    // The backup is the file as it was (checkpointed first, so it is the whole database).
    let backup = env.path("rollcall.duckdb.schema-v1.bak");
    let conn = duckdb::Connection::open(&backup).unwrap();
    let tables: i64 = conn
        .query_row(
            "SELECT count(*) FROM duckdb_tables() WHERE table_name = 'schema_version'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(tables, 0, "the backup still has schema 1");
    let users: i64 = conn
        .query_row("SELECT count(*) FROM user_records", [], |r| r.get(0))
        .unwrap();
    assert_eq!(users, 3);
    drop(conn);
    // The upgraded file records its version, and a second run does not upgrade again.
    let conn = duckdb::Connection::open(env.db()).unwrap();
    let v: i64 = conn
        .query_row("SELECT max(version) FROM schema_version", [], |r| r.get(0))
        .unwrap();
    assert_eq!(v, 5);
    // Schema 5's persistent view of the worklist's decisions, for analysts' own clients.
    let decisions: i64 = conn
        .query_row("SELECT count(*) FROM license_decisions", [], |r| r.get(0))
        .unwrap();
    assert_eq!(decisions, 0);
    // Schema 3's reminders log exists, empty, and the persistent users view (remade by the
    // upgrade) reads it: the export's counts, unchanged.
    let logged: i64 = conn
        .query_row("SELECT count(*) FROM reminder_log", [], |r| r.get(0))
        .unwrap();
    assert_eq!(logged, 0);
    let view: i64 = conn
        .query_row("SELECT count(*) FROM duckdb_views() WHERE view_name = 'users' AND sql LIKE '%reminder_log%'", [], |r| r.get(0))
        .unwrap();
    assert_eq!(view, 1);
    // Schema 4's license worklist and seats exist, empty.
    let worklist: i64 = conn
        .query_row(
            "SELECT (SELECT count(*) FROM license_worklist) + (SELECT count(*) FROM license_seats)",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(worklist, 0);
    drop(conn);
    let out = env
        .cmd()
        .args(["snapshots", "--format", "csv"])
        .output()
        .unwrap();
    assert!(out.status.success());
    assert!(!String::from_utf8_lossy(&out.stderr).contains("upgraded"));
    assert!(String::from_utf8_lossy(&out.stdout).contains("1,q3,2026-11-26T12:00:00Z"));
    // Ingesting into it works and adds snapshot 2.
    env.ingest(
        "Name,Email,License\nDee,dee@example.com,Assigned\n",
        None,
        "2026-11-27T00:00:00Z",
    );
    let s = env.json(&["summary", "--format", "json"]);
    assert_eq!(s["snapshot"]["id"], 2);
}

#[test]
fn a_database_from_a_newer_rollcall_is_refused() {
    let env = Env::with_one_user();
    env.mark_future_schema();
    for args in [&["summary"][..], &["users"], &["query", "SELECT 1"]] {
        let err = env.fails(args, 2);
        assert_eq!(err.lines().count(), 1, "{err}");
        assert!(
            err.contains("schema version 99") && err.contains("reads up to version 5"),
            "{err}"
        );
    }
    let err = env.fails(
        &[
            "ingest",
            "--users",
            env.write("u.csv", "Email,License\na@b.co,Assigned\n")
                .to_str()
                .unwrap(),
        ],
        2,
    );
    assert!(err.contains("schema version 99"), "{err}");
}

#[test]
fn a_new_database_starts_at_the_current_schema() {
    let env = Env::with_one_user();
    let conn = duckdb::Connection::open(env.db()).unwrap();
    let versions: Vec<i64> = conn
        .prepare("SELECT version FROM schema_version ORDER BY version")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    assert_eq!(versions, [2, 3, 4, 5]);
    assert!(!env.path("rollcall.duckdb.schema-v1.bak").exists());
}
