//! Issue 2: ingest of user and device exports into snapshots, rejects, atomicity, locking.

use std::process::Stdio;

use serde_json::json;

use crate::common::process::spawn;
use crate::common::{emails, read, truth, Env};

const AS_OF: &str = "2026-11-26T12:00:00Z";

fn users_json(env: &Env, extra: &[&str]) -> serde_json::Value {
    let mut args = vec![
        "users",
        "--format",
        "json",
        "--columns",
        "name,email,scim,last_used,license,status,activity,hub,reminders_sent,device_count,license_activated,license_activated_at",
    ];
    args.extend_from_slice(extra);
    env.json(&args)
}

fn user<'a>(v: &'a serde_json::Value, email: &str) -> &'a serde_json::Value {
    v["users"]
        .as_array()
        .unwrap()
        .iter()
        .find(|u| u["email"] == email)
        .unwrap_or_else(|| panic!("{email} not listed"))
}

#[test]
fn header_aliases_and_value_forms_are_understood() {
    let env = Env::new();
    env.ingest(
        "Full Name,Email Address,Provisioned via SCIM,License Status,License Activated,App Setup Completed,Data Added,last_used,Reminder Count\n\
         Ann,ann@example.com,Y,Assigned,2026-10-01,true,1,2026-11-20T14:30:00+05:30,\n\
         Bob,bob@example.com,n,unassigned,,,,Never,0\n\
         Cy,cy@example.com,TRUE,yes,Yes,0,no,-,3\n",
        Some(
            "Email,Device,OS,Version,Last Used,Hub Authenticated\n\
             ann@example.com,MacBook Pro,macOS,6.11.4,2026-11-25 08:00,yes\n\
             cy@example.com,My PC,Windows,6.9.2,2026-11-20,N\n",
        ),
        AS_OF,
    );
    let v = users_json(&env, &[]);
    assert_eq!(v["total"], 3);
    let ann = user(&v, "ann@example.com");
    assert_eq!(ann["scim"], true);
    assert_eq!(ann["license"], "assigned");
    assert_eq!(ann["status"], "using");
    assert_eq!(ann["license_activated_at"], "2026-10-01T00:00:00Z");
    // 14:30+05:30 is 09:00Z on the user row; the device's 08:00 on the 25th is later.
    assert_eq!(ann["last_used"], "2026-11-25T08:00:00Z");
    assert_eq!(ann["hub"], "authenticated");
    assert_eq!(ann["reminders_sent"], 0);
    assert_eq!(ann["device_count"], 1);
    let bob = user(&v, "bob@example.com");
    assert_eq!(bob["status"], "no-license");
    assert_eq!(bob["activity"], "never");
    assert_eq!(bob["last_used"], serde_json::Value::Null);
    let cy = user(&v, "cy@example.com");
    assert_eq!(cy["status"], "pending");
    assert_eq!(cy["license_activated"], true);
    assert_eq!(cy["reminders_sent"], 3);
    assert_eq!(cy["hub"], "never");
    assert_eq!(cy["last_used"], "2026-11-20T00:00:00Z");
}

#[test]
fn every_reject_reason_with_its_line() {
    let env = Env::new();
    // Line numbers by hand: header is 1; the quoted name spans lines 3-4, so "No Mail" is line 5.
    let users = "Name,Email,License,Last Used,Reminders Sent,SCIM\n\
                 Good One,good@example.com,Assigned,2026-11-01,0,yes\n\
                 \"Multi\nLine, Name\",multi@example.com,Assigned,,1,no\n\
                 No Mail,,Assigned,,0,no\n\
                 Bad Mail,not-an-email,Assigned,,0,no\n\
                 Bad Date,date@example.com,Assigned,2026-02-30,0,no\n\
                 Bad Bool,bool@example.com,Assigned,,0,maybe\n\
                 Bad Int,int@example.com,Assigned,,two,no\n\
                 Short,short@example.com,Assigned\n\
                 Dup,  GOOD@Example.com ,Assigned,,0,no\n\
                 Bad License,lic@example.com,Sometimes,,0,no\n";
    let devices = "User Email,Device Name,Last Used,Enpass Hub Authenticated\n\
                   good@example.com,Mac,2026-11-02,yes\n\
                   ghost@example.com,PC,2026-11-02,no\n\
                   multi@example.com,Phone,yesterday,no\n";
    let out = env.ingest(users, Some(devices), AS_OF);
    assert!(
        out.contains("2 users, 1 devices kept; 10 rejected"),
        "{out}"
    );
    let rejects = env.json(&["rejects", "--format", "json"]);
    let got: Vec<(String, i64, String, String)> = rejects
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["file"].as_str().unwrap().to_string(),
                r["line"].as_i64().unwrap(),
                r["column"].as_str().unwrap_or("").to_string(),
                r["reason"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    let want: Vec<(String, i64, String, String)> = [
        ("users.csv", 5, "Email", "missing-email"),
        ("users.csv", 6, "Email", "bad-email"),
        ("users.csv", 7, "Last Used", "bad-date"),
        ("users.csv", 8, "SCIM", "bad-boolean"),
        ("users.csv", 9, "Reminders Sent", "bad-integer"),
        ("users.csv", 10, "", "field-count"),
        ("users.csv", 11, "Email", "duplicate-email"),
        ("users.csv", 12, "License", "bad-value"),
        ("devices.csv", 3, "User Email", "unknown-user"),
        ("devices.csv", 4, "Last Used", "bad-date"),
    ]
    .iter()
    .map(|(f, l, c, r)| (f.to_string(), *l, c.to_string(), r.to_string()))
    .collect();
    assert_eq!(got, want);
    let raw: Vec<&str> = rejects
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["raw"].as_str().unwrap())
        .collect();
    assert_eq!(raw[0], "No Mail,,Assigned,,0,no");
    assert_eq!(raw[6], "Dup,  GOOD@Example.com ,Assigned,,0,no");
    assert!(rejects[6]["detail"].as_str().unwrap().contains("line 2"));
    // The good rows landed, including the multi-line name.
    let v = users_json(&env, &[]);
    assert_eq!(emails(&v).len(), 2);
    assert_eq!(user(&v, "multi@example.com")["name"], "Multi\nLine, Name");
    // The snapshot records the counts.
    let snaps = env.json(&["snapshots", "--format", "json"]);
    assert_eq!(snaps[0]["users"], 2);
    assert_eq!(snaps[0]["devices"], 1);
    assert_eq!(snaps[0]["rejected"], 10);
}

#[test]
fn duplicate_emails_differing_in_case_or_spaces_are_rejected() {
    let env = Env::new();
    env.ingest(
        "Name,Email,License\nA,zoe@example.com,Assigned\nB, Zoe@Example.com,Assigned\nC,ZOE@EXAMPLE.COM  ,Assigned\nD,Zoë@example.com,Assigned\nE,ZOË@EXAMPLE.COM,Assigned\n",
        None,
        AS_OF,
    );
    let rejects = env.json(&["rejects", "--format", "json"]);
    let lines: Vec<i64> = rejects
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["line"].as_i64().unwrap())
        .collect();
    assert_eq!(lines, vec![3, 4, 6]);
    assert!(rejects
        .as_array()
        .unwrap()
        .iter()
        .all(|r| r["reason"] == "duplicate-email"));
    assert_eq!(
        emails(&users_json(&env, &[])),
        vec!["zoe@example.com", "Zoë@example.com"]
    );
}

#[test]
fn bom_crlf_semicolon_tab_json_and_ndjson_all_read_the_same() {
    let expected = json!(["a@example.com", "b@example.com"]);
    let variants: Vec<(&str, Vec<u8>)> = vec![
        ("bom-crlf.csv", [&b"\xEF\xBB\xBF"[..], b"Name,Email,License\r\nA,a@example.com,Assigned\r\nB,b@example.com,Unassigned\r\n"].concat()),
        ("semi.csv", b"Name;Email;License\nA;a@example.com;Assigned\nB;b@example.com;Unassigned\n".to_vec()),
        ("tab.txt", b"Name\tEmail\tLicense\nA\ta@example.com\tAssigned\nB\tb@example.com\tUnassigned\n".to_vec()),
        (
            "users.json",
            br#"[
  {"Name": "A", "Email": "a@example.com", "License": "Assigned"},
  {"Name": "B", "Email": "b@example.com", "License": false}
]"#
            .to_vec(),
        ),
        (
            "users.ndjson",
            b"{\"name\":\"A\",\"email\":\"a@example.com\",\"license\":true}\n{\"name\":\"B\",\"email\":\"b@example.com\",\"license\":\"Unassigned\"}\n".to_vec(),
        ),
        // JSON detected from the content, whatever the extension says.
        ("users.csv", b"[{\"Email\":\"a@example.com\",\"License\":\"Assigned\",\"Name\":\"A\"},{\"Email\":\"b@example.com\",\"License\":\"no\",\"Name\":\"B\"}]".to_vec()),
    ];
    for (name, bytes) in variants {
        let env = Env::new();
        let p = env.write(name, bytes);
        env.ok(&["ingest", "--users", p.to_str().unwrap(), "--as-of", AS_OF]);
        let v = users_json(&env, &[]);
        assert_eq!(json!(emails(&v)), expected, "{name}");
        assert_eq!(user(&v, "b@example.com")["license"], "unassigned", "{name}");
        assert_eq!(user(&v, "a@example.com")["name"], "A", "{name}");
    }
}

#[test]
fn json_rejects_carry_their_line() {
    let env = Env::new();
    let p = env.write(
        "users.json",
        "[\n  {\"email\": \"a@example.com\", \"license\": \"Assigned\"},\n  {\"email\": \"bad\", \"license\": \"Assigned\"},\n  {\"email\": \"c@example.com\", \"license\": {\"nested\": 1}}\n]\n",
    );
    env.ok(&["ingest", "--users", p.to_str().unwrap(), "--as-of", AS_OF]);
    let r = env.json(&["rejects", "--format", "json"]);
    assert_eq!(r[0]["line"], 3);
    assert_eq!(r[0]["reason"], "bad-email");
    assert_eq!(r[1]["line"], 4);
    assert_eq!(r[1]["reason"], "bad-value");
    let nd = env.write(
        "u.ndjson",
        "{\"email\":\"a@example.com\",\"license\":true}\n{not json\n",
    );
    env.ok(&["ingest", "--users", nd.to_str().unwrap(), "--as-of", AS_OF]);
    let r = env.json(&["rejects", "--format", "json"]);
    assert_eq!(r[0]["line"], 2);
    assert_eq!(r[0]["reason"], "bad-json");
}

#[test]
fn strict_fails_and_writes_nothing() {
    let env = Env::new();
    let p = env.write(
        "users.csv",
        "Email,License\ngood@example.com,Assigned\nbad,Assigned\n",
    );
    let err = env.fails(&["ingest", "--users", p.to_str().unwrap(), "--strict"], 2);
    assert!(err.contains("users.csv:3: column 'Email'"), "{err}");
    assert!(err.contains("--strict: 1 row would be rejected"), "{err}");
    assert!(
        !env.db().exists(),
        "strict failure must not create the database"
    );
    // With an existing snapshot, it stays the only one.
    env.ok(&["ingest", "--users", p.to_str().unwrap()]);
    env.fails(&["ingest", "--users", p.to_str().unwrap(), "--strict"], 2);
    assert_eq!(
        env.json(&["snapshots", "--format", "json"])
            .as_array()
            .unwrap()
            .len(),
        1
    );
}

#[test]
fn file_level_errors_are_one_line_exit_2_and_write_nothing() {
    let env = Env::new();
    let dir = env.path("adir");
    std::fs::create_dir(&dir).unwrap();
    let cases: Vec<(String, &str)> = vec![
        (
            env.path("missing.csv").display().to_string(),
            "missing.csv: no such file",
        ),
        (
            env.write("empty.csv", "").display().to_string(),
            "empty.csv: is empty",
        ),
        (
            env.write("blank.csv", "\n\n  \n").display().to_string(),
            "blank.csv: is empty",
        ),
        (
            env.write("bin.csv", b"PK\x03\x04\x00\x00\x01\x02")
                .display()
                .to_string(),
            "bin.csv: line 1, column 5: a NUL byte; a text export holds none (is this a binary file?)",
        ),
        (
            // Past the first 8 KiB, where the old check stopped looking: one rule for the file.
            env.write(
                "late-nul.csv",
                format!(
                    "Name,Email,License\n{}Ann\0Lee,ann@example.com,Assigned\n",
                    "Bob,bob@example.com,Assigned\n".repeat(400)
                ),
            )
            .display()
            .to_string(),
            "late-nul.csv: line 402, column 4: a NUL byte",
        ),
        (dir.display().to_string(), "adir: is a directory"),
        (
            env.write("nomail.csv", "Name,License\nA,Assigned\n")
                .display()
                .to_string(),
            "nomail.csv: missing required column: Email",
        ),
        (
            env.write(
                "latin.csv",
                b"Name,Email,License\nZo\xEB,z@example.com,Assigned\n",
            )
            .display()
            .to_string(),
            "latin.csv: line 2, column 3: not valid UTF-8",
        ),
        (
            env.write("bad.json", "[{\"email\": \"a@example.com\",}]")
                .display()
                .to_string(),
            "bad.json: line 1, column 28: invalid JSON",
        ),
    ];
    for (path, want) in cases {
        let err = env.fails(&["ingest", "--users", &path], 2);
        assert_eq!(err.lines().count(), 1, "{err}");
        assert!(err.contains(want), "expected {want:?} in {err:?}");
        assert!(!env.db().exists(), "{path} created the database");
    }
    let err = env.fails(
        &["ingest", "--users", env.path("latin.csv").to_str().unwrap()],
        2,
    );
    assert!(err.contains("--encoding latin-1"), "{err}");
}

#[test]
fn other_encodings_with_encoding_flag() {
    let env = Env::new();
    let latin = env.write(
        "latin.csv",
        b"Name,Email,License\nZo\xEB \xC5ngstr\xF6m,z@example.com,Assigned\n",
    );
    env.ok(&[
        "ingest",
        "--users",
        latin.to_str().unwrap(),
        "--encoding",
        "latin-1",
    ]);
    assert_eq!(
        user(&users_json(&env, &[]), "z@example.com")["name"],
        "Zoë Ångström"
    );
    let mut utf16 = vec![0xFF, 0xFE];
    for u in "Name,Email,License\r\nZoë,z2@example.com,Assigned\r\n".encode_utf16() {
        utf16.extend_from_slice(&u.to_le_bytes());
    }
    let p = env.write("u16.csv", &utf16);
    let err = env.fails(&["ingest", "--users", p.to_str().unwrap()], 2);
    assert!(
        err.contains("u16.csv") && err.contains("--encoding utf-16"),
        "{err}"
    );
    env.ok(&[
        "ingest",
        "--users",
        p.to_str().unwrap(),
        "--encoding",
        "utf-16",
    ]);
    assert_eq!(
        user(&users_json(&env, &[]), "z2@example.com")["name"],
        "Zoë"
    );
}

#[test]
fn thirty_day_boundary() {
    let env = Env::new();
    // as-of 2026-11-26T12:00:00Z; exactly 30 days before is 2026-10-27T12:00:00Z.
    env.ingest(
        "Email,License,Last Used\n\
         exact@example.com,Assigned,2026-10-27T12:00:00Z\n\
         second@example.com,Assigned,2026-10-27T12:00:01Z\n\
         future@example.com,Assigned,2026-11-27T00:00:00Z\n\
         never@example.com,Assigned,\n",
        None,
        AS_OF,
    );
    let v = users_json(&env, &[]);
    assert_eq!(user(&v, "exact@example.com")["activity"], "inactive");
    assert_eq!(user(&v, "second@example.com")["activity"], "active");
    assert_eq!(user(&v, "future@example.com")["activity"], "active");
    assert_eq!(user(&v, "never@example.com")["activity"], "never");
    // A 31-day window makes the exact one active.
    let v = users_json(&env, &["--window-days", "31"]);
    assert_eq!(user(&v, "exact@example.com")["activity"], "active");
    // The future date is a data-quality notice.
    let s = env.json(&["summary", "--format", "json"]);
    assert_eq!(s["quality"]["future_last_use"], 1);
    assert_eq!(
        s["quality"]["future_examples"],
        json!(["future@example.com"])
    );
}

#[test]
fn status_taken_as_given_without_stages_and_disagreements_noticed() {
    let env = Env::new();
    env.ingest(
        "Email,Status\na@example.com,Using Enpass\nb@example.com,Pending User Action\nc@example.com,No License\n",
        None,
        AS_OF,
    );
    let v = users_json(&env, &[]);
    assert_eq!(user(&v, "a@example.com")["status"], "using");
    assert_eq!(user(&v, "b@example.com")["status"], "pending");
    assert_eq!(user(&v, "c@example.com")["license"], "unassigned");
    let env = Env::new();
    env.ingest(
        "Email,License,Status,Activated License,Completed App Setup,Added Data in App\n\
         a@example.com,Assigned,Using Enpass,yes,no,no\n\
         b@example.com,Unassigned,Pending User Action,,,\n\
         c@example.com,Assigned,Using Enpass,yes,yes,yes\n",
        None,
        AS_OF,
    );
    let v = users_json(&env, &[]);
    assert_eq!(user(&v, "a@example.com")["status"], "pending");
    assert_eq!(user(&v, "b@example.com")["status"], "no-license");
    let s = env.json(&["summary", "--format", "json"]);
    assert_eq!(s["quality"]["status_disagreements"], 2);
}

#[test]
fn snapshots_accumulate_and_older_ones_stay_readable() {
    let env = Env::new();
    env.ingest(
        "Email,License\na@example.com,Assigned\n",
        None,
        "2026-11-01",
    );
    let p = env.write(
        "u2.csv",
        "Email,License\na@example.com,Assigned\nb@example.com,Assigned\n",
    );
    env.ok(&[
        "ingest",
        "--users",
        p.to_str().unwrap(),
        "--label",
        "week 2",
        "--as-of",
        "2026-11-08",
    ]);
    let snaps = env.json(&["snapshots", "--format", "json"]);
    assert_eq!(snaps[1]["id"], 2);
    assert_eq!(snaps[1]["label"], "week 2");
    assert_eq!(snaps[1]["as_of"], "2026-11-08T00:00:00Z");
    assert_eq!(users_json(&env, &[])["total"], 2);
    assert_eq!(users_json(&env, &["--snapshot", "1"])["total"], 1);
    let csv = env.ok(&["snapshots", "--format", "csv"]);
    assert!(
        csv.starts_with("id,label,as_of,ingested_at,users,devices,rejected\n"),
        "{csv}"
    );
    let err = env.fails(&["users", "--snapshot", "9"], 2);
    assert!(err.contains("no such snapshot (have: 1, 2)"), "{err}");
}

/// Issue 2: a SIGKILL mid-ingest leaves the previous snapshot intact and the database usable.
#[test]
fn sigkill_mid_ingest_keeps_previous_snapshot() {
    let env = Env::new();
    env.ingest("Email,License\nfirst@example.com,Assigned\n", None, AS_OF);
    let dir = env.path("big");
    env.ok(&["sample", "--users", "50000", "--out", dir.to_str().unwrap()]);
    // Wait until the data is written and the commit is pending, then kill -9.
    let mut child = env.paused_ingest(
        60_000,
        &[
            "ingest",
            "--quiet",
            "--users",
            dir.join("users.csv").to_str().unwrap(),
            "--devices",
            dir.join("devices.csv").to_str().unwrap(),
        ],
    );
    child.kill_now();
    let snaps = env.json(&["snapshots", "--format", "json"]);
    assert_eq!(snaps.as_array().unwrap().len(), 1, "{snaps}");
    assert_eq!(emails(&users_json(&env, &[])), vec!["first@example.com"]);
    // And the next ingest works.
    env.ok(&[
        "ingest",
        "--quiet",
        "--users",
        dir.join("users.csv").to_str().unwrap(),
    ]);
    assert_eq!(
        env.json(&["snapshots", "--format", "json"])[1]["users"],
        50000
    );
}

#[test]
fn a_second_writer_gets_one_clear_line() {
    let env = Env::new();
    let p = env.write("users.csv", "Email,License\na@example.com,Assigned\n");
    let mut holder = env.paused_ingest(20_000, &["ingest", "--users", p.to_str().unwrap()]);
    let err = env.fails(
        &["ingest", "--users", p.to_str().unwrap(), "--wait", "0"],
        3,
    );
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(
        err.contains(&format!(
            "database is in use by another process (PID {})",
            holder.id()
        )),
        "{err}"
    );
    holder.kill_now();
}

#[test]
fn bundled_bad_rows_file_gives_the_documented_rejects() {
    let env = Env::new();
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("sample-data");
    let out = env.ok(&[
        "ingest",
        "--users",
        root.join("bad-users.csv").to_str().unwrap(),
        "--devices",
        root.join("bad-devices.csv").to_str().unwrap(),
        "--as-of",
        AS_OF,
    ]);
    assert!(
        out.contains("2 users, 1 devices kept; 12 rejected"),
        "{out}"
    );
    let r = env.json(&["rejects", "--format", "json"]);
    let got: Vec<(String, i64, String)> = r
        .as_array()
        .unwrap()
        .iter()
        .map(|x| {
            (
                x["file"].as_str().unwrap().to_string(),
                x["line"].as_i64().unwrap(),
                x["reason"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    // Counted by hand from sample-data/bad-users.csv and bad-devices.csv.
    let want: Vec<(String, i64, String)> = [
        ("bad-users.csv", 3, "missing-email"),
        ("bad-users.csv", 4, "bad-email"),
        ("bad-users.csv", 5, "bad-email"),
        ("bad-users.csv", 6, "bad-date"),
        ("bad-users.csv", 7, "bad-boolean"),
        ("bad-users.csv", 8, "bad-integer"),
        ("bad-users.csv", 11, "field-count"),
        ("bad-users.csv", 12, "duplicate-email"),
        ("bad-users.csv", 13, "bad-value"),
        ("bad-users.csv", 14, "bad-integer"),
        ("bad-devices.csv", 3, "unknown-user"),
        ("bad-devices.csv", 4, "bad-boolean"),
    ]
    .iter()
    .map(|(f, l, r)| (f.to_string(), *l, r.to_string()))
    .collect();
    assert_eq!(got, want);
}

#[test]
fn sample_is_deterministic_and_ingests_cleanly() {
    let env = Env::new();
    for dir in ["a", "b"] {
        env.ok(&[
            "sample",
            "--users",
            "400",
            "--seed",
            "3",
            "--out",
            env.path(dir).to_str().unwrap(),
        ]);
    }
    for f in ["users.csv", "devices.csv"] {
        assert_eq!(
            std::fs::read(env.path("a").join(f)).unwrap(),
            std::fs::read(env.path("b").join(f)).unwrap(),
            "{f} differs between runs"
        );
    }
    let out = env.ok(&[
        "ingest",
        "--users",
        env.path("a/users.csv").to_str().unwrap(),
        "--devices",
        env.path("a/devices.csv").to_str().unwrap(),
        "--as-of",
        AS_OF,
    ]);
    // The generator writes no bad rows: everything lands.
    assert!(
        out.contains("400 users,") && out.contains("0 rejected"),
        "{out}"
    );
}

#[test]
fn bundled_sample_data_ingests_without_rejects() {
    let env = Env::new();
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("sample-data");
    let out = env.ok(&[
        "ingest",
        "--users",
        root.join("users.csv").to_str().unwrap(),
        "--devices",
        root.join("devices.csv").to_str().unwrap(),
        "--as-of",
        AS_OF,
    ]);
    assert!(out.contains("0 rejected"), "{out}");
    // Every status, activity and hub state is represented (checked against the generator's truth).
    assert_eq!(AS_OF, truth::DEFAULT_AS_OF);
    let truth = truth::sample(300, 42);
    let s = env.json(&["summary", "--format", "json"]);
    assert_eq!(s["total"], truth.len() as u64);
    for f in s["facets"].as_array().unwrap() {
        for v in f["values"].as_array().unwrap() {
            assert!(
                v["count"].as_u64().unwrap() > 0,
                "sample data lacks {}={}",
                f["dimension"],
                v["value"]
            );
        }
    }
}

/// Issue #2 regression: in a CRLF file the CSV reader places each record at the LF left over
/// from the line before, so rejects were filed one line too early, with a leading line break.
#[test]
fn crlf_rejects_name_their_own_line_and_text() {
    let env = Env::new();
    let p = env.write(
        "users.csv",
        "Name,Email,License\r\nA,a@example.com,Assigned\r\n\r\nB,bad-email,Assigned\r\n\"C\r\nD\",c@example.com,Assigned\r\nE,e@example.com,perhaps\r\n",
    );
    env.ok(&["ingest", "--users", p.to_str().unwrap(), "--as-of", AS_OF]);
    let r = env.json(&["rejects", "--format", "json"]);
    // Line 1 header, 2 A, 3 blank, 4 B, 5-6 C/D, 7 E.
    assert_eq!(r[0]["line"], 4, "{r:#}");
    assert_eq!(r[0]["raw"], "B,bad-email,Assigned");
    assert_eq!(r[1]["line"], 7, "{r:#}");
    assert_eq!(r[1]["raw"], "E,e@example.com,perhaps");
    assert_eq!(r.as_array().unwrap().len(), 2);
}

/// Issue #2 regression: devices were joined to their owner by line, and every record of a
/// minified JSON file (or a CR-only CSV) is on line 1, so each user got every device.
#[test]
fn devices_find_their_owner_when_records_share_a_line() {
    let devices = "User Email,Device Name,Last Used,Hub Authenticated\n\
                   a@example.com,Mac,2026-11-20T09:00:00Z,yes\n\
                   a@example.com,Phone,2026-11-25T09:00:00Z,no\n\
                   c@example.com,Tablet,2026-10-01T09:00:00Z,no\n";
    let minified = r#"[{"email":"a@example.com","license":"Assigned"},{"email":"b@example.com","license":"Assigned"},{"email":"c@example.com","license":"Assigned"}]"#;
    let users_cr =
        "Email,License\ra@example.com,Assigned\rb@example.com,Assigned\rc@example.com,Assigned\r";
    for (name, users) in [("users.json", minified), ("users-cr.csv", users_cr)] {
        let env = Env::new();
        let u = env.write(name, users);
        let d = env.write("devices.csv", devices);
        env.ok(&[
            "ingest",
            "--users",
            u.to_str().unwrap(),
            "--devices",
            d.to_str().unwrap(),
            "--as-of",
            AS_OF,
        ]);
        let v = users_json(&env, &[]);
        let got: Vec<(String, i64, String, String)> =
            ["a@example.com", "b@example.com", "c@example.com"]
                .iter()
                .map(|e| {
                    let u = user(&v, e);
                    (
                        e.to_string(),
                        u["device_count"].as_i64().unwrap(),
                        u["hub"].as_str().unwrap().to_string(),
                        u["last_used"].as_str().unwrap_or("never").to_string(),
                    )
                })
                .collect();
        let want = [
            ("a@example.com", 2, "authenticated", "2026-11-25T09:00:00Z"),
            ("b@example.com", 0, "never", "never"),
            ("c@example.com", 1, "never", "2026-10-01T09:00:00Z"),
        ]
        .map(|(e, n, h, l)| (e.to_string(), n, h.to_string(), l.to_string()));
        assert_eq!(got, want, "{name}");
    }
}

/// Issue #2: a file whose lines end in a bare CR (old Mac exports) reports the real line of each
/// reject; the CSV reader counts lines by LF only.
#[test]
fn cr_only_line_ends_give_real_reject_lines() {
    let env = Env::new();
    let p = env.write(
        "users.csv",
        "Name,Email,License\rA,a@example.com,Assigned\rB,bad-email,Assigned\rC,c@example.com,maybe\r",
    );
    env.ok(&["ingest", "--users", p.to_str().unwrap(), "--as-of", AS_OF]);
    let r = env.json(&["rejects", "--format", "json"]);
    let got: Vec<(i64, &str, &str)> = r
        .as_array()
        .unwrap()
        .iter()
        .map(|x| {
            (
                x["line"].as_i64().unwrap(),
                x["reason"].as_str().unwrap(),
                x["raw"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        got,
        [
            (3, "bad-email", "B,bad-email,Assigned"),
            (4, "bad-value", "C,c@example.com,maybe")
        ]
    );
}

/// Issue #2: printing the summary into a closed pipe (`rollcall ingest … | head -0`) is not a
/// panic with a backtrace; the snapshot is filed and the exit code is 0. Export alike.
#[test]
fn a_closed_stdout_is_not_a_crash() {
    let env = Env::new();
    let u = env.write(
        "users.csv",
        "Email,License\na@example.com,Assigned\nbad,Assigned\n",
    );
    let out_csv = env.path("out.csv");
    for args in [
        vec!["ingest", "--users", u.to_str().unwrap(), "--as-of", AS_OF],
        vec!["export", "-o", out_csv.to_str().unwrap()],
    ] {
        let mut child = spawn(
            "rollcall",
            env.std_cmd()
                .args(&args)
                .stdout(Stdio::piped())
                .stderr(Stdio::piped()),
        );
        // The reader is gone before rollcall has written anything.
        drop(child.stdout.take());
        let out = child.wait_with_output();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(out.status.success(), "{args:?}: {stderr}");
        assert!(!stderr.contains("panicked"), "{args:?}: {stderr}");
    }
    assert_eq!(emails(&users_json(&env, &[])), ["a@example.com"]);
    assert!(read(&out_csv).contains("a@example.com"));

    // A closed standard error: --strict still fails with its own code (2), not a panic (101).
    let mut child = spawn(
        "rollcall ingest --strict",
        env.std_cmd()
            .args(["ingest", "--strict", "--users", u.to_str().unwrap()])
            .stdout(Stdio::null())
            .stderr(Stdio::piped()),
    );
    drop(child.stderr.take());
    assert_eq!(child.wait().unwrap().code(), Some(2));
}
