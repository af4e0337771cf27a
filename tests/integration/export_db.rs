//! Issue 9: `rollcall export-db` writes a copy of the database that DuckDB 1.4 opens (the file
//! rollcall writes needs DuckDB 2.0). The copy is checked with DuckDB 1.4 itself (its Python
//! package, in an ignored test that `.ci/run` runs) and with the DuckDB this crate links.

use std::process::Command;

use serde_json::{json, Value};

use crate::common::{sha256_hex, Env};

const AS_OF: &str = "2026-11-26T12:00:00Z";

/// Worked out by hand at 2026-11-26 12:00Z with a 30-day window: Ann is licensed with all three
/// stages done (using), last used on her device on 11-25 (active), which is Hub-authenticated;
/// Bob is licensed with stages left (pending), never used Enpass, two reminders; Cy has no
/// license.
const USERS: &str = "Name,Email,License,Activated License,Completed App Setup,Added Data in App,Last Used,Reminders Sent\n\
    Ann,ann@example.com,Assigned,yes,yes,yes,2026-11-20T09:00:00Z,0\n\
    Bob,bob@example.com,Assigned,yes,no,no,,2\n\
    Cy,cy@example.com,Unassigned,no,no,no,,0\n";
const DEVICES: &str =
    "User Email,Device Name,Platform,Enpass Version,Last Used,Enpass Hub Authenticated\n\
    ann@example.com,Laptop,macOS,6.11.4,2026-11-25T09:00:00Z,yes\n";

/// The users view, as `[name, email, status, activity, hub, device_count, reminders_sent,
/// last_used]` ordered by email.
fn expected_users() -> Value {
    json!([
        [
            "Ann",
            "ann@example.com",
            "using",
            "active",
            "authenticated",
            1,
            0,
            "2026-11-25T09:00:00Z"
        ],
        [
            "Bob",
            "bob@example.com",
            "pending",
            "never",
            "never",
            0,
            2,
            null
        ],
        [
            "Cy",
            "cy@example.com",
            "no-license",
            "never",
            "never",
            0,
            0,
            null
        ],
    ])
}

const USERS_SQL: &str = "SELECT name, email, status, activity, hub, device_count, reminders_sent, \
     strftime(last_used, '%Y-%m-%dT%H:%M:%SZ') FROM users ORDER BY email";

const TABLES: [&str; 10] = [
    "device_records",
    "license_seats",
    "license_worklist",
    "notice_records",
    "reject_records",
    "reminder_log",
    "schema_version",
    "snapshot_inputs",
    "snapshots",
    "user_records",
];
const VIEWS: [&str; 6] = [
    "current_snapshot",
    "devices",
    "license_decisions",
    "notices",
    "rejects",
    "users",
];

fn org() -> Env {
    let env = Env::new();
    env.ingest(USERS, Some(DEVICES), AS_OF);
    env
}

/// Every file in the test's folder, sorted.
fn files(env: &Env) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(env.dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

#[test]
fn export_db_copies_every_table_and_view_and_leaves_the_source_alone() {
    let env = org();
    let before = sha256_hex(&std::fs::read(env.db()).unwrap());
    let out = env.path("copy.duckdb");
    let said = env.ok(&["export-db", out.to_str().unwrap()]);
    assert_eq!(
        said,
        format!(
            "wrote {}: a copy of {} (10 tables, 6 views, 1 snapshot) in DuckDB storage v1.4.0, which DuckDB 1.4.0 and later open\n",
            out.display(),
            env.db().display()
        )
    );
    assert_eq!(sha256_hex(&std::fs::read(env.db()).unwrap()), before);
    // Nothing else is left beside it: no temporary file, no log.
    assert_eq!(
        files(&env),
        ["copy.duckdb", "devices.csv", "rollcall.duckdb", "users.csv"]
    );

    let conn = duckdb::Connection::open_with_flags(
        &out,
        duckdb::Config::default()
            .access_mode(duckdb::AccessMode::ReadOnly)
            .unwrap(),
    )
    .unwrap();
    let names = |sql: &str| -> Vec<String> {
        conn.prepare(sql)
            .unwrap()
            .query_map([], |r| r.get(0))
            .unwrap()
            .map(Result::unwrap)
            .collect()
    };
    assert_eq!(
        names("SELECT table_name FROM duckdb_tables() ORDER BY 1"),
        TABLES
    );
    assert_eq!(
        names("SELECT view_name FROM duckdb_views() WHERE NOT internal ORDER BY 1"),
        VIEWS
    );
    let users: Vec<Value> = conn
        .prepare(USERS_SQL)
        .unwrap()
        .query_map([], |r| {
            Ok(json!([
                r.get::<_, String>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, String>(2)?,
                r.get::<_, String>(3)?,
                r.get::<_, String>(4)?,
                r.get::<_, i64>(5)?,
                r.get::<_, i64>(6)?,
                r.get::<_, Option<String>>(7)?,
            ]))
        })
        .unwrap()
        .map(Result::unwrap)
        .collect();
    assert_eq!(Value::Array(users), expected_users());
    let tags: String = conn
        .query_row(
            "SELECT tags::VARCHAR FROM duckdb_databases() WHERE database_name = current_database()",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert!(tags.contains("v1.4.0"), "{tags}");
}

#[test]
fn export_db_refuses_to_overwrite_without_force_and_never_the_database() {
    let env = org();
    let out = env.write("copy.duckdb", "not a database yet");
    let err = env.fails(&["export-db", out.to_str().unwrap()], 2);
    assert_eq!(
        err,
        format!(
            "rollcall: {}: already exists; pass --force to replace it\n",
            out.display()
        )
    );
    assert_eq!(std::fs::read(&out).unwrap(), b"not a database yet");
    // A stale log of the file being replaced would be replayed into the copy: --force drops it.
    env.write("copy.duckdb.wal", "stale");
    env.ok(&["export-db", out.to_str().unwrap(), "--force"]);
    assert!(!env.path("copy.duckdb.wal").exists());
    let conn = duckdb::Connection::open(&out).unwrap();
    let n: i64 = conn
        .query_row("SELECT count(*) FROM users", [], |r| r.get(0))
        .unwrap();
    assert_eq!(n, 3);
    drop(conn);

    let before = std::fs::read(env.db()).unwrap();
    for same in [
        env.db().display().to_string(),
        "rollcall.duckdb".into(),
        format!(
            "{}/../{}/rollcall.duckdb",
            env.dir.path().display(),
            env.dir.path().file_name().unwrap().to_string_lossy()
        ),
    ] {
        let err = env.fails(&["export-db", &same, "--force"], 2);
        assert_eq!(
            err,
            format!("rollcall: {same}: is the database itself; name a new file for the copy\n")
        );
    }
    assert_eq!(std::fs::read(env.db()).unwrap(), before);
}

#[test]
fn export_db_bad_input_is_one_line() {
    let env = org();
    let err = env.fails(&["export-db", "v.duckdb", "--storage-version", "banana"], 2);
    assert!(
        err.starts_with("rollcall: --storage-version 'banana': ")
            && err.contains("not a known DuckDB version")
            && err.lines().count() == 1,
        "{err}"
    );
    let err = env.fails(&["export-db", "missing/v.duckdb"], 2);
    assert_eq!(
        err,
        "rollcall: export-db missing/v.duckdb: the folder missing does not exist\n"
    );
    let err = env.fails(&["export-db", "."], 2);
    assert_eq!(err, "rollcall: export-db .: is a folder, not a file\n");
    // Nothing was left behind by the failed attempts.
    assert_eq!(files(&env), ["devices.csv", "rollcall.duckdb", "users.csv"]);
    let empty = Env::new();
    let err = empty.fails(&["export-db", "v.duckdb"], 2);
    assert!(err.contains("no database at"), "{err}");
}

/// Opens the copy and the original with DuckDB 1.4's Python package and prints what it saw.
const DUCKDB14_SCRIPT: &str = r#"
import json, sys
import duckdb
copy, original, users_sql = sys.argv[1:4]
seen = {"version": duckdb.__version__}
c = duckdb.connect(copy, read_only=True)
seen["tables"] = [r[0] for r in c.execute("SELECT table_name FROM duckdb_tables() ORDER BY 1").fetchall()]
seen["views"] = [r[0] for r in c.execute("SELECT view_name FROM duckdb_views() WHERE NOT internal ORDER BY 1").fetchall()]
seen["users"] = [list(r) for r in c.execute(users_sql).fetchall()]
c.close()
try:
    duckdb.connect(original, read_only=True).close()
    seen["original"] = "opened"
except Exception as e:
    seen["original"] = str(e)
print(json.dumps(seen))
"#;

#[test]
#[ignore = "needs the DuckDB 1.4 Python package; .ci/run runs ignored tests"]
fn duckdb_1_4_reads_the_copy_and_refuses_the_original() {
    let python = std::env::var("ROLLCALL_DUCKDB14_PYTHON").unwrap_or_else(|_| {
        panic!(
            "ROLLCALL_DUCKDB14_PYTHON is not set, and this test needs it: point it at a Python \
             with the DuckDB 1.4 package (python3 -m venv V && V/bin/pip install 'duckdb==1.4.*'; \
             .ci/run does this)"
        )
    });
    let env = org();
    let out = env.path("for-1.4.duckdb");
    env.ok(&[
        "export-db",
        out.to_str().unwrap(),
        "--storage-version",
        "v1.4.0",
    ]);
    let ran = Command::new(&python)
        .args(["-c", DUCKDB14_SCRIPT])
        .arg(&out)
        .arg(env.db())
        .arg(USERS_SQL)
        .output()
        .unwrap_or_else(|e| panic!("cannot run ROLLCALL_DUCKDB14_PYTHON={python}: {e}"));
    assert!(
        ran.status.success(),
        "ROLLCALL_DUCKDB14_PYTHON={python} could not read the copy (is the duckdb 1.4 package installed?):\n{}",
        String::from_utf8_lossy(&ran.stderr)
    );
    let seen: Value = serde_json::from_slice(&ran.stdout).unwrap();
    let version = seen["version"].as_str().unwrap();
    assert!(
        version.starts_with("1.4."),
        "ROLLCALL_DUCKDB14_PYTHON={python} has DuckDB {version}, not 1.4"
    );
    assert_eq!(seen["tables"], json!(TABLES));
    assert_eq!(seen["views"], json!(VIEWS));
    assert_eq!(seen["users"], expected_users());
    // The point of the command: DuckDB 1.4 cannot open what rollcall writes.
    let refusal = seen["original"].as_str().unwrap();
    assert!(
        refusal.contains("Trying to read a database file with version number"),
        "DuckDB {version} on the original: {refusal}"
    );
}
