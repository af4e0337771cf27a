//! Issue 3: filters, search, summary, show, export and ad-hoc SQL, checked against the
//! generator's own truth (never by re-running the SQL under test).

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use chrono::Duration;
use serde_json::{json, Value};

use crate::common::truth::{as_of, count, has_text, truth_value, UserTruth};
use crate::common::{emails, read, sha256_hex, Env};

const N: u64 = 600;
const SEED: u64 = 7;

fn org() -> (Env, Vec<UserTruth>) {
    crate::common::sample_org(N, SEED)
}

fn total(env: &Env, args: &[&str]) -> u64 {
    let mut a = vec!["users", "--format", "json", "--limit", "0"];
    a.extend_from_slice(args);
    let v = env.json(&a);
    assert_eq!(v["users"].as_array().unwrap().len(), 0);
    v["total"].as_u64().unwrap()
}

const DIMS: &[(&str, &[&str])] = &[
    ("license", &["assigned", "unassigned"]),
    ("status", &["no-license", "pending", "using"]),
    ("activity", &["active", "inactive", "never"]),
    ("hub", &["authenticated", "never"]),
    ("scim", &["yes", "no"]),
    ("reminders", &["0", "1", "2", "3+"]),
];

#[test]
fn every_filter_value_matches_the_generator_truth() {
    let (env, t) = org();
    for (dim, values) in DIMS {
        let mut sum = 0;
        for v in *values {
            let want = count(&t, |u| truth_value(u, dim, 30) == *v);
            assert!(want > 0, "the sample should cover {dim}={v}");
            let flag = format!("--{dim}");
            assert_eq!(total(&env, &[&flag, v]), want, "{dim}={v}");
            // The same predicate file is usable as a named filter.
            assert_eq!(
                total(&env, &["--filter", &format!("{dim}-{v}")]),
                want,
                "--filter {dim}-{v}"
            );
            sum += want;
        }
        assert_eq!(sum, N, "{dim} values partition the users");
    }
}

#[test]
fn combinations_and_or_within_a_filter() {
    let (env, t) = org();
    assert_eq!(
        total(&env, &["--status", "pending", "--status", "no-license"]),
        count(&t, |u| u.status == "pending" || u.status == "no-license")
    );
    assert_eq!(
        total(
            &env,
            &["--status", "using", "--hub", "never", "--scim", "yes"]
        ),
        count(&t, |u| u.status == "using"
            && !u.hub_authenticated
            && u.scim)
    );
    assert_eq!(
        total(
            &env,
            &[
                "--license",
                "assigned",
                "--activity",
                "never",
                "--activity",
                "inactive"
            ]
        ),
        count(&t, |u| u.license_assigned
            && u.activity(as_of(), 30) != "active")
    );
    assert_eq!(
        total(
            &env,
            &[
                "--status",
                "pending",
                "--reminders",
                "3+",
                "--reminders",
                "2"
            ]
        ),
        count(&t, |u| u.status == "pending" && u.reminders_sent >= 2)
    );
}

#[test]
fn window_days_and_as_of_move_the_activity_boundary() {
    let (env, t) = org();
    for w in [1i64, 7, 30, 90] {
        let want = count(&t, |u| u.activity(as_of(), w) == "active");
        assert_eq!(
            total(
                &env,
                &["--activity", "active", "--window-days", &w.to_string()]
            ),
            want,
            "window {w}"
        );
    }
    let later = as_of() + Duration::days(10);
    let want = count(&t, |u| {
        u.last_used.is_some_and(|l| l > later - Duration::days(30))
    });
    assert_eq!(
        total(
            &env,
            &["--activity", "active", "--as-of", &later.to_rfc3339()]
        ),
        want
    );
}

#[test]
fn search_is_case_insensitive_and_unicode_aware() {
    let (env, t) = org();
    for needle in [
        "zoë",
        "ZOË ÅNG",
        "ÅNGSTRÖM",
        "example.com",
        "müller",
        "zz-nothing",
    ] {
        let want = count(&t, |u| has_text(u, needle));
        assert_eq!(total(&env, &["--search", needle]), want, "search {needle}");
    }
    let v = env.json(&["users", "--format", "json", "--search", "zoë ångström"]);
    assert!(
        v["users"]
            .as_array()
            .unwrap()
            .iter()
            .any(|u| u["name"] == "ZOË ÅNGSTRÖM"),
        "{v}"
    );
}

#[test]
fn table_output_has_the_count_line_and_fits_width() {
    let (env, t) = org();
    let pending = t.iter().filter(|u| u.status == "pending").count();
    let out = env
        .cmd()
        .env("COLUMNS", "80")
        .args([
            "users",
            "--status",
            "pending",
            "--activity",
            "never",
            "--activity",
            "active",
        ])
        .output()
        .unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    let matches = t
        .iter()
        .filter(|u| u.status == "pending" && u.activity(as_of(), 30) != "inactive")
        .count();
    let last = text.lines().last().unwrap();
    assert_eq!(
        last,
        format!("{matches} of {N} users · status=pending, activity=active|never · as of 2026-11-26 12:00 UTC · snapshot 1")
    );
    // The table fits the width; the count line after it is prose and may wrap.
    let table: Vec<&str> = text.lines().collect();
    for line in &table[..table.len() - 1] {
        assert!(line.chars().count() <= 80, "{line}");
    }
    assert!(
        table.len() > pending / 4,
        "the table lists the matching users"
    );
    let paged = env.json(&[
        "users", "--format", "json", "--status", "pending", "--limit", "10", "--offset", "5",
    ]);
    assert_eq!(paged["total"], pending as u64);
    assert_eq!(paged["count"], 10);
    assert_eq!(paged["offset"], 5);
    let all = env.json(&["users", "--format", "json", "--status", "pending"]);
    assert_eq!(emails(&paged)[..], emails(&all)[5..15]);
}

#[test]
fn export_is_exactly_the_users_listing() {
    let (env, t) = org();
    let cols = "name,email,scim,last_used,license,status,activity,hub,reminders_sent";
    for filters in [
        vec![],
        vec!["--status", "pending", "--hub", "never"],
        vec!["--search", "ö", "--sort", "last_used:desc"],
    ] {
        let out = env.path("out.csv");
        let mut args = vec!["export", "-o", out.to_str().unwrap()];
        args.extend_from_slice(&filters);
        env.ok(&args);
        let mut uargs = vec!["users", "--format", "csv", "--columns", cols];
        uargs.extend_from_slice(&filters);
        assert_eq!(read(&out), env.ok(&uargs), "{filters:?}");
    }
    let out = env.path("pending.csv");
    env.ok(&["export", "-o", out.to_str().unwrap(), "--status", "pending"]);
    let rows = csv::Reader::from_path(&out).unwrap().records().count();
    assert_eq!(rows, t.iter().filter(|u| u.status == "pending").count());
    let json_out = env.path("pending.json");
    env.ok(&[
        "export",
        "-o",
        json_out.to_str().unwrap(),
        "--status",
        "pending",
        "--format",
        "json",
    ]);
    let j: serde_json::Value = serde_json::from_str(&read(&json_out)).unwrap();
    assert_eq!(j.as_array().unwrap().len(), rows);
    let pq = env.path("pending.parquet");
    env.ok(&[
        "export",
        "-o",
        pq.to_str().unwrap(),
        "--status",
        "pending",
        "--format",
        "parquet",
    ]);
    let bytes = std::fs::read(&pq).unwrap();
    assert_eq!(&bytes[..4], b"PAR1");
    let m: serde_json::Value =
        serde_json::from_str(&read(&env.path("pending.parquet.manifest.json"))).unwrap();
    assert_eq!(m["rows"], rows as u64);
}

#[test]
fn formula_guard_on_each_dangerous_prefix_and_raw_turns_it_off() {
    let env = Env::new();
    let names = [
        "=1+1",
        "+1",
        "-1",
        "@SUM(A1)",
        "\tx",
        "\rx",
        "\nx",
        "＝1",
        "＋1",
        "－1",
        "＠x",
        "=HYPERLINK(\"http://x\")",
    ];
    let mut users = String::from("Name,Email,License\n");
    for (i, n) in names.iter().enumerate() {
        users.push_str(&format!(
            "\"{}\",u{i}@example.com,Assigned\n",
            n.replace('"', "\"\"")
        ));
    }
    users.push_str("Plain,plain@example.com,Assigned\n");
    env.ingest(&users, None, "2026-11-26");
    let out = env.path("g.csv");
    env.ok(&["export", "-o", out.to_str().unwrap()]);
    let by_email = |path: &std::path::Path| -> std::collections::HashMap<String, String> {
        csv::Reader::from_path(path)
            .unwrap()
            .records()
            .map(|r| {
                let r = r.unwrap();
                (r[1].to_string(), r[0].to_string())
            })
            .collect()
    };
    let got = by_email(&out);
    for (i, n) in names.iter().enumerate() {
        assert_eq!(got[&format!("u{i}@example.com")], format!("'{n}"), "{n:?}");
    }
    assert_eq!(got["plain@example.com"], "Plain");
    let raw = env.path("raw.csv");
    env.ok(&["export", "-o", raw.to_str().unwrap(), "--raw"]);
    let got = by_email(&raw);
    for (i, n) in names.iter().enumerate() {
        assert_eq!(got[&format!("u{i}@example.com")], *n, "--raw keeps {n:?}");
    }
    let m: serde_json::Value =
        serde_json::from_str(&read(&env.path("raw.csv.manifest.json"))).unwrap();
    assert_eq!(m["formula_guard"], false);
}

#[test]
fn export_and_manifest_are_byte_identical_on_a_rerun() {
    let (env, _) = org();
    let out = env.path("e.csv");
    let args = [
        "export",
        "-o",
        out.to_str().unwrap(),
        "--status",
        "pending",
        "--as-of",
        "2026-12-01",
    ];
    env.ok(&args);
    let first = (
        std::fs::read(&out).unwrap(),
        read(&env.path("e.csv.manifest.json")),
    );
    std::thread::sleep(std::time::Duration::from_millis(1100));
    env.ok(&args);
    let second = (
        std::fs::read(&out).unwrap(),
        read(&env.path("e.csv.manifest.json")),
    );
    assert_eq!(first, second);
    let m: serde_json::Value = serde_json::from_str(&first.1).unwrap();
    assert_eq!(m["snapshot"]["id"], 1);
    assert_eq!(m["as_of"], "2026-12-01T00:00:00Z");
    assert_eq!(
        m["filters"]["dimensions"]["status"],
        serde_json::json!(["pending"])
    );
    assert!(m["sql"].as_str().unwrap().contains("FROM users"));
    assert_eq!(m["files"][0]["sha256"], sha256_hex(&first.0));
    let inputs = m["inputs"].as_array().unwrap();
    assert_eq!(inputs.len(), 2);
    let users_csv = std::fs::read(env.path(&format!("sample-{N}-{SEED}/users.csv"))).unwrap();
    assert_eq!(inputs[0]["sha256"], sha256_hex(&users_csv));
}

#[test]
fn show_for_each_status_and_an_unknown_email() {
    let env = Env::new();
    env.ingest(
        "Name,Email,License,Activated License,Completed App Setup,Added Data in App,Reminders Sent\n\
         Nora,nora@example.com,Unassigned,,,,0\n\
         Pat,pat@example.com,Assigned,2026-11-02T10:00:00Z,no,no,2\n\
         Uma,uma@example.com,Assigned,2026-10-01,2026-10-02,2026-10-03,0\n",
        Some("User Email,Device Name,Platform,Enpass Version,Last Used,Enpass Hub Authenticated\numa@example.com,Galaxy M31,Android,6.11.4,2026-11-25,yes\numa@example.com,My PC,Windows,6.9.2,,no\n"),
        "2026-11-26T12:00:00Z",
    );
    let nora = env.ok(&["show", "NORA@example.com"]);
    assert!(nora.contains("Status: No License"), "{nora}");
    assert!(nora.contains("Assign License"), "{nora}");
    let pat = env.ok(&["show", "pat@example.com"]);
    assert!(
        pat.contains("[x] Activated License (2026-11-02 10:00 UTC)"),
        "{pat}"
    );
    assert!(pat.contains("[ ] Completed App Setup"), "{pat}");
    assert!(pat.contains("[ ] Added Data in App"), "{pat}");
    assert!(pat.contains("Reminder emails sent: 2"), "{pat}");
    let uma = env.ok(&["show", " uma@example.com "]);
    assert!(uma.contains("Using Enpass: 2 devices"), "{uma}");
    assert!(
        uma.contains("Device Name") && uma.contains("Enpass Hub Authenticated"),
        "{uma}"
    );
    assert!(
        uma.contains("Galaxy M31") && uma.contains("Android") && uma.contains("6.11.4"),
        "{uma}"
    );
    let j = env.json(&["show", "uma@example.com", "--format", "json"]);
    assert_eq!(j["devices"][0]["device_name"], "Galaxy M31");
    assert_eq!(j["devices"][0]["hub_authenticated"], true);
    assert_eq!(j["devices"][1]["last_used"], serde_json::Value::Null);
    let err = env.fails(&["show", "umma@example.com"], 2);
    assert!(
        err.contains("no user with email 'umma@example.com'"),
        "{err}"
    );
    assert!(err.contains("did you mean uma@example.com"), "{err}");
}

#[test]
fn summary_funnel_and_facets_match_truth() {
    let (env, t) = org();
    let s = env.json(&["summary", "--format", "json"]);
    assert_eq!(s["total"], N);
    let using = count(&t, |u| u.status == "using");
    let assigned = count(&t, |u| u.license_assigned);
    assert_eq!(s["funnel"][0]["count"], N);
    assert_eq!(s["funnel"][1]["count"], assigned);
    assert_eq!(s["funnel"][4]["count"], using);
    for f in s["facets"].as_array().unwrap() {
        let dim = f["dimension"].as_str().unwrap();
        for v in f["values"].as_array().unwrap() {
            let value = v["value"].as_str().unwrap();
            let want = count(&t, |u| truth_value(u, dim, 30) == value);
            assert_eq!(v["count"], want, "{dim}={value}");
        }
    }
    // Within filters: facets count within the other filters, the funnel within all of them.
    let s = env.json(&["summary", "--format", "json", "--status", "pending"]);
    let pending: Vec<&UserTruth> = t.iter().filter(|u| u.status == "pending").collect();
    assert_eq!(s["matches"], pending.len() as u64);
    let hub = s["facets"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["dimension"] == "hub")
        .unwrap();
    assert_eq!(
        hub["values"][0]["count"],
        pending.iter().filter(|u| u.hub_authenticated).count() as u64
    );
    let status = s["facets"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["dimension"] == "status")
        .unwrap();
    assert_eq!(
        status["values"][2]["count"], using,
        "the status facet ignores the status filter"
    );
    assert_eq!(status["values"][1]["selected"], true);
    let text = env.ok(&["summary"]);
    assert!(
        text.contains("Funnel") && text.contains("Data quality"),
        "{text}"
    );
}

#[test]
fn query_is_read_only() {
    let (env, _) = org();
    for write in [
        "DELETE FROM user_records",
        "DROP TABLE snapshots",
        "CREATE TABLE x AS SELECT 1",
        "UPDATE user_records SET name = 'x'",
        "INSERT INTO snapshots SELECT * FROM snapshots",
    ] {
        let err = env.fails(&["query", write], 2);
        assert!(
            err.contains("refused") && err.contains("read-only"),
            "{write}: {err}"
        );
        assert_eq!(err.lines().count(), 1, "{err}");
    }
    let err = env.fails(&["query", "COPY users TO 'leak.csv'"], 2);
    assert!(!env.path("leak.csv").exists(), "{err}");
    let v = env.json(&[
        "query",
        "SELECT count(*) AS n FROM users",
        "--format",
        "json",
    ]);
    assert_eq!(v[0]["n"], N);
    let err = env.fails(&["query", "SELECT nme FROM users"], 2);
    assert!(err.contains("nme") && err.lines().count() == 1, "{err}");
}

#[test]
fn saved_queries_run_and_are_listed() {
    let (env, t) = org();
    let list = env.ok(&["query", "--list"]);
    for name in [
        "stuck-pending",
        "licensed-never-used",
        "outdated-devices",
        "active-without-hub",
    ] {
        assert!(list.contains(name), "{list}");
        env.ok(&["query", "--saved", name]);
    }
    let saved = |name: &str| -> Vec<Value> {
        let v = env.json(&["query", "--saved", name, "--format", "json"]);
        v.as_array().expect("an array of rows").clone()
    };
    let emails_of = |rows: &[Value]| -> BTreeSet<String> {
        rows.iter()
            .map(|r| r["email"].as_str().unwrap().to_lowercase())
            .collect()
    };
    let truth_emails = |f: &dyn Fn(&UserTruth) -> bool| -> BTreeSet<String> {
        t.iter()
            .filter(|u| f(u))
            .map(|u| u.email.to_lowercase())
            .collect()
    };

    let rows = saved("active-without-hub");
    let want = count(&t, |u| {
        u.activity(as_of(), 30) == "active" && !u.hub_authenticated
    });
    assert_eq!(rows.len() as u64, want);
    assert_eq!(
        emails_of(&rows),
        truth_emails(&|u| u.activity(as_of(), 30) == "active" && !u.hub_authenticated)
    );

    let rows = saved("licensed-never-used");
    let want = count(&t, |u| u.license_assigned && u.last_used.is_none());
    assert_eq!(rows.len() as u64, want);
    assert_eq!(
        emails_of(&rows),
        truth_emails(&|u| u.license_assigned && u.last_used.is_none())
    );

    // The truth has no device versions or activation times (only device_count and status), so
    // the expected rows of these two come from the files the generator wrote, read here in
    // Rust, and are tied back to the truth user by user.
    let dir = env.path(&format!("sample-{N}-{SEED}"));
    let by_email: BTreeMap<String, &UserTruth> =
        t.iter().map(|u| (u.email.to_lowercase(), u)).collect();

    let rows = saved("outdated-devices");
    let want = outdated_devices(&dir.join("devices.csv"), &by_email);
    assert!(
        want.len() > 10,
        "the sample has outdated devices: {}",
        want.len()
    );
    assert_eq!(rows, want, "outdated-devices");
    assert!(rows
        .iter()
        .all(|d| d["enpass_version"] != "6.11.4" && d["newest_version"] == "6.11.4"));

    let rows = saved("stuck-pending");
    let want = stuck_pending(&dir.join("users.csv"), &t);
    assert!(
        want.len() > 5,
        "the sample has users stuck pending: {}",
        want.len()
    );
    assert_eq!(rows, want, "stuck-pending");
    for r in &rows {
        let u = by_email[&r["email"].as_str().unwrap().to_lowercase()];
        assert!(u.status == "pending" && u.reminders_sent >= 3, "{r}");
    }
}

/// The rows `outdated-devices` should give for a devices file: every device whose version is
/// numerically older than the newest version in the file, ordered by email and device name. Every
/// device's owner is a truth user, and each user has as many devices as the truth says.
fn outdated_devices(devices: &Path, users: &BTreeMap<String, &UserTruth>) -> Vec<Value> {
    let parts = |v: &str| -> Vec<u32> { v.split('.').map(|p| p.parse().unwrap()).collect() };
    let records: Vec<csv::StringRecord> = csv::Reader::from_path(devices)
        .unwrap()
        .records()
        .map(Result::unwrap)
        .collect();
    let mut per_user: BTreeMap<String, u32> = BTreeMap::new();
    for r in &records {
        *per_user.entry(r[0].to_lowercase()).or_default() += 1;
    }
    for (email, u) in users {
        assert_eq!(
            per_user.get(email).copied().unwrap_or(0),
            u.device_count,
            "{email}"
        );
    }
    let newest = records
        .iter()
        .map(|r| &r[3])
        .max_by_key(|v| parts(v))
        .expect("some device")
        .to_string();
    let mut rows: Vec<(String, String, Value)> = records
        .iter()
        .filter(|r| parts(&r[3]) < parts(&newest))
        .map(|r| {
            let last_used = match &r[4] {
                "" | "Never" => Value::Null,
                t => json!(t),
            };
            let row = json!({
                "user_name": users[&r[0].to_lowercase()].name,
                "email": &r[0],
                "device_name": &r[1],
                "platform": &r[2],
                "enpass_version": &r[3],
                "newest_version": newest,
                "last_used": last_used,
            });
            (r[0].to_string(), r[1].to_string(), row)
        })
        .collect();
    rows.sort_by(|a, b| (&a.0, &a.1).cmp(&(&b.0, &b.1)));
    rows.into_iter().map(|(_, _, r)| r).collect()
}

/// The rows `stuck-pending` should give for a single-snapshot sample: pending users (truth) with
/// three or more reminders (truth) whose license was activated (users.csv) more than 14 days
/// before the as-of instant, longest pending first.
fn stuck_pending(users: &Path, t: &[UserTruth]) -> Vec<Value> {
    let records: Vec<csv::StringRecord> = csv::Reader::from_path(users)
        .unwrap()
        .records()
        .map(Result::unwrap)
        .collect();
    assert_eq!(records.len(), t.len());
    let mut rows: Vec<(i64, String, Value)> = Vec::new();
    for (r, u) in records.iter().zip(t) {
        assert_eq!(&r[1], u.email, "users.csv is in truth order");
        if u.status != "pending" || u.reminders_sent < 3 || r[6].is_empty() {
            continue;
        }
        let activated = chrono::DateTime::parse_from_rfc3339(&r[6])
            .unwrap()
            .with_timezone(&chrono::Utc);
        if activated >= as_of() - Duration::days(14) {
            continue;
        }
        let days = (as_of().date_naive() - activated.date_naive()).num_days();
        let row = json!({
            "name": u.name,
            "email": u.email,
            "reminders_sent": u.reminders_sent,
            "pending_since": &r[6],
            "days_pending": days,
        });
        rows.push((days, u.email.clone(), row));
    }
    rows.sort_by(|a, b| b.0.cmp(&a.0).then_with(|| a.1.cmp(&b.1)));
    rows.into_iter().map(|(_, _, r)| r).collect()
}

/// `stuck-pending` on a hand-made history: pending since the earlier of the license activation and
/// the first snapshot that saw the user pending; strictly more than 14 days; 3 or more reminders.
#[test]
fn stuck_pending_counts_from_the_first_snapshot_that_saw_the_user_pending() {
    let env = Env::new();
    let header =
        "Name,Email,License,Activated License,Completed App Setup,Added Data in App,Reminders Sent\n";
    // Snapshot 1, 25 days before snapshot 2: Early and Late are pending, nothing activated.
    env.ingest(
        &format!(
            "{header}Early,early@example.com,Assigned,,,,1\nLate,late@example.com,Assigned,,,,0\n"
        ),
        None,
        "2026-11-01T12:00:00Z",
    );
    // Snapshot 2. By hand, against 2026-11-26T12:00:00Z:
    // early  pending since snapshot 1 (no activation)                 25 days  3 reminders  stuck
    // late   activated 11-20, but pending since snapshot 1             25 days  3 reminders  stuck
    // old    activated 11-10T12:00, first seen now                     16 days  3 reminders  stuck
    // edge2  activated 11-12T11:59:59, 14 days and 1 second            14 days  4 reminders  stuck
    // edge   activated 11-12T12:00, exactly 14 days: not more          -        4 reminders  no
    // fresh  first seen pending now, no activation                     0 days   5 reminders  no
    // few    activated 10-01                                           56 days  2 reminders  no
    // done   using (every stage done)                                  -        4 reminders  no
    // nolic  no license                                                -        4 reminders  no
    env.ingest(
        &format!(
            "{header}\
             Early,early@example.com,Assigned,,,,3\n\
             Late,late@example.com,Assigned,2026-11-20T12:00:00Z,,,3\n\
             Old,old@example.com,Assigned,2026-11-10T12:00:00Z,,,3\n\
             Edge Two,edge2@example.com,Assigned,2026-11-12T11:59:59Z,,,4\n\
             Edge,edge@example.com,Assigned,2026-11-12T12:00:00Z,,,4\n\
             Fresh,fresh@example.com,Assigned,,,,5\n\
             Few,few@example.com,Assigned,2026-10-01T12:00:00Z,,,2\n\
             Done,done@example.com,Assigned,2026-10-01T12:00:00Z,2026-10-02T12:00:00Z,2026-10-03T12:00:00Z,4\n\
             Nolic,nolic@example.com,Unassigned,,,,4\n"
        ),
        None,
        "2026-11-26T12:00:00Z",
    );
    let v = env.json(&["query", "--saved", "stuck-pending", "--format", "json"]);
    let row = |name: &str, email: &str, reminders: u32, since: &str, days: i64| {
        json!({
            "name": name,
            "email": email,
            "reminders_sent": reminders,
            "pending_since": since,
            "days_pending": days,
        })
    };
    assert_eq!(
        v,
        json!([
            row("Early", "early@example.com", 3, "2026-11-01T12:00:00Z", 25),
            row("Late", "late@example.com", 3, "2026-11-01T12:00:00Z", 25),
            row("Old", "old@example.com", 3, "2026-11-10T12:00:00Z", 16),
            row(
                "Edge Two",
                "edge2@example.com",
                4,
                "2026-11-12T11:59:59Z",
                14
            ),
        ])
    );
    // Read at snapshot 1, nobody has been pending long enough.
    let v = env.json(&[
        "query",
        "--saved",
        "stuck-pending",
        "--snapshot",
        "1",
        "--format",
        "json",
    ]);
    assert_eq!(v, json!([]));
}

#[test]
fn custom_filter_in_a_user_folder() {
    let (env, t) = org();
    env.write(
        "myq/filters/heavy-reminders.sql",
        "-- Four or more reminders sent.\nreminders_sent >= 4\n",
    );
    env.write("myq/broken.sql", "-- Broken on purpose.\nstatus = = 'x'\n");
    let dir = env.path("myq");
    let d = dir.to_str().unwrap();
    let want = count(&t, |u| u.reminders_sent >= 4);
    assert!(want > 0);
    assert_eq!(
        total(&env, &["--queries", d, "--filter", "heavy-reminders"]),
        want
    );
    let list = env.ok(&["--queries", d, "filters"]);
    assert!(
        list.contains("heavy-reminders") && list.contains("Four or more reminders sent."),
        "{list}"
    );
    assert!(list.contains("status-pending"), "{list}");
    let err = env.fails(&["users", "--queries", d, "--filter", "broken"], 2);
    assert!(
        err.contains("broken.sql") && err.contains("does not work"),
        "{err}"
    );
    assert_eq!(err.lines().count(), 1, "{err}");
    let err = env.fails(&["users", "--filter", "nope"], 2);
    assert!(err.contains("unknown filter 'nope'"), "{err}");
}

#[test]
fn a_wrong_filter_value_is_a_usage_error_listing_valid_values() {
    let env = Env::new();
    let err = env.fails(&["users", "--status", "actve"], 2);
    assert!(err.contains("no-license, pending, using"), "{err}");
}

/// The names of the entries in a folder, sorted.
fn entries(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

/// A failed export leaves no half-written or temporary file behind. The failure happens while
/// writing: a custom filter that parses and binds but fails at run time on non-numeric names.
#[test]
fn a_failed_export_leaves_no_temporary_file() {
    let env = Env::new();
    env.ingest(
        "Name,Email,License\nAda,ada@example.com,Assigned\n42,answer@example.com,Assigned\n",
        None,
        "2026-11-26T12:00:00Z",
    );
    env.write(
        "myq/filters/boom.sql",
        "-- fails at run time\nCAST(name AS INTEGER) > 0\n",
    );
    let out_dir = env.path("out");
    std::fs::create_dir(&out_dir).unwrap();
    let err = env.fails(
        &[
            "export",
            "--queries",
            env.path("myq").to_str().unwrap(),
            "--filter",
            "boom",
            "-o",
            out_dir.join("users.csv").to_str().unwrap(),
        ],
        1,
    );
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.contains("users.csv"), "{err}");
    assert_eq!(
        entries(&out_dir),
        Vec::<String>::new(),
        "no users.csv, no .users.csv.PID.tmp, no manifest"
    );
}

/// Issue 8: output paths that cannot work are usage errors (exit 2), found before anything runs:
/// one line naming the path, and nothing written.
#[test]
fn export_into_a_missing_folder_or_onto_a_folder_is_a_usage_error() {
    let env = Env::new();
    env.ingest(
        "Name,Email,License\nAda,ada@example.com,Assigned\n",
        None,
        "2026-11-26T12:00:00Z",
    );
    let before = entries(env.dir.path());

    let missing = env.path("missing-folder").join("x.csv");
    let err = env.fails(&["export", "-o", missing.to_str().unwrap()], 2);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.contains("missing-folder"), "{err}");
    assert!(!env.path("missing-folder").exists(), "{err}");

    let folder = env.path("existing-folder");
    std::fs::create_dir(&folder).unwrap();
    let err = env.fails(&["export", "-o", folder.to_str().unwrap()], 2);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.contains("existing-folder"), "{err}");
    assert_eq!(entries(&folder), Vec::<String>::new(), "{err}");

    let mut after = entries(env.dir.path());
    after.retain(|n| n != "existing-folder");
    assert_eq!(after, before, "nothing written beside them: {err}");
}

/// Issue 8: a `--queries` path that is not a folder is a usage error (exit 2): one line naming the
/// flag and the path, and nothing written.
#[test]
fn a_queries_path_that_is_not_a_folder_is_a_usage_error() {
    let env = Env::new();
    env.ingest(
        "Name,Email,License\nAda,ada@example.com,Assigned\n",
        None,
        "2026-11-26T12:00:00Z",
    );
    let file = env.write("a-file.sql", "status = 'pending'\n");
    for dir in [env.path("nope"), file] {
        let out = env.path("out.csv");
        let err = env.fails(
            &[
                "export",
                "--queries",
                dir.to_str().unwrap(),
                "-o",
                out.to_str().unwrap(),
            ],
            2,
        );
        assert_eq!(err.lines().count(), 1, "{err}");
        let name = dir.file_name().unwrap().to_str().unwrap();
        assert!(err.contains("--queries") && err.contains(name), "{err}");
        assert!(!out.exists(), "{err}");
        assert!(!env.path("out.csv.manifest.json").exists(), "{err}");
    }
}

/// Regression: `summary --format json` keeps its keys in the order the summary has always
/// written them (a JSON value would sort them alphabetically), with `seats` added last.
#[test]
fn summary_json_keeps_its_key_order() {
    let (env, _) = crate::common::sample_org(30, 2);
    let text = env.ok(&["summary", "--format", "json"]);
    let top: Vec<&str> = text
        .lines()
        .filter(|l| l.starts_with("  \"") && !l.starts_with("   "))
        .map(|l| l.trim_start().split('"').nth(1).unwrap())
        .collect();
    assert_eq!(
        top,
        [
            "snapshot",
            "as_of",
            "window_days",
            "filters",
            "total",
            "matches",
            "funnel",
            "facets",
            "quality",
            "seats"
        ]
    );
}
