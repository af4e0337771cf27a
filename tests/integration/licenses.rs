//! Issue 12 (license worklist, CLI): `licenses todo` lists whom to assign a license to and whom
//! to reclaim one from, with why; `licenses mark` records decisions (all or nothing); a decision
//! stays open until a later snapshot shows the change, then is done with that snapshot; seats
//! recorded per snapshot show in `summary`. Expected values are worked out by hand below.

use serde_json::{json, Value};

use crate::common::Env;

/// As of 2026-12-01: Ann used it 11 days before, Bob 120 days (Aug 3), Fay 61 days (Oct 1); Cy
/// holds a license and never used it; Dan and `=Eve` (a name the CSV guard must quote) have none.
const WEEK1: &str = "\
Name,Email,SCIM Provisioned,Last Used,License,Status
Ann Lee,ann@example.com,Yes,2026-11-20T00:00:00Z,Assigned,Using Enpass
Bob Stone,bob@example.com,No,2026-08-03T00:00:00Z,Assigned,Using Enpass
Cy Park,cy@example.com,No,,Assigned,Pending User Action
Dan Wu,dan@example.com,Yes,,Unassigned,No License
=Eve,eve@example.com,No,,Unassigned,No License
Fay Moss,fay@example.com,No,2026-10-01T00:00:00Z,Assigned,Using Enpass
";
const AS_OF1: &str = "2026-12-01T00:00:00Z";

/// A week later the admin has done both marked changes: Dan got a license, Bob's was reclaimed.
const WEEK2: &str = "\
Name,Email,SCIM Provisioned,Last Used,License,Status
Ann Lee,ann@example.com,Yes,2026-12-07T00:00:00Z,Assigned,Using Enpass
Bob Stone,bob@example.com,No,2026-08-03T00:00:00Z,Unassigned,No License
Cy Park,cy@example.com,No,,Assigned,Pending User Action
Dan Wu,dan@example.com,Yes,,Assigned,Pending User Action
=Eve,eve@example.com,No,,Unassigned,No License
Fay Moss,fay@example.com,No,2026-10-01T00:00:00Z,Assigned,Using Enpass
";
const AS_OF2: &str = "2026-12-08T00:00:00Z";

fn org() -> Env {
    let env = Env::new();
    env.ingest(WEEK1, None, AS_OF1);
    env
}

/// `email reason decision state` per row of one array of `licenses todo --format json`.
fn rows(doc: &Value, kind: &str) -> Vec<String> {
    doc[kind]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            format!(
                "{} {} {} {}",
                r["email"].as_str().unwrap(),
                r["reason"].as_str().unwrap(),
                r["decision"].as_str().unwrap_or("-"),
                r["decision_state"].as_str().unwrap_or("-")
            )
        })
        .collect()
}

/// `email action state confirmed_by` per decision of `licenses list --format json`.
fn decisions(env: &Env) -> Vec<String> {
    env.json(&["licenses", "list", "--format", "json"])
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            format!(
                "{} {} {} {}",
                r["email"].as_str().unwrap(),
                r["action"].as_str().unwrap(),
                r["state"].as_str().unwrap(),
                r["confirmed_by"]
            )
        })
        .collect()
}

#[test]
fn licenses_todo_lists_whom_to_assign_and_reclaim_with_why() {
    let env = org();
    let doc = env.json(&["licenses", "todo", "--format", "json"]);
    assert_eq!(doc["snapshot"], json!(1));
    assert_eq!(doc["reclaim_after_days"], json!(90));
    assert_eq!(
        rows(&doc, "assign"),
        [
            "dan@example.com no-license - -",
            "eve@example.com no-license - -"
        ]
    );
    assert_eq!(
        rows(&doc, "reclaim"),
        [
            "bob@example.com inactive 120 days - -",
            "cy@example.com never used - -"
        ]
    );
    // The shape fit for bulk assignment: name, email, scim, status.
    let dan = &doc["assign"][0];
    assert_eq!(dan["name"], json!("Dan Wu"));
    assert_eq!(dan["scim"], json!(true));
    assert_eq!(dan["status"], json!("no-license"));

    // 30 days: Fay (61 days) joins; Ann (11 days) never does.
    let doc = env.json(&[
        "licenses",
        "todo",
        "--reclaim-after",
        "30d",
        "--format",
        "json",
    ]);
    assert_eq!(
        rows(&doc, "reclaim"),
        [
            "bob@example.com inactive 120 days - -",
            "cy@example.com never used - -",
            "fay@example.com inactive 61 days - -"
        ]
    );
    // Filters narrow both lists.
    let doc = env.json(&["licenses", "todo", "--scim", "yes", "--format", "json"]);
    assert_eq!(rows(&doc, "assign"), ["dan@example.com no-license - -"]);
    assert_eq!(rows(&doc, "reclaim"), Vec::<String>::new());

    // CSV: one list with a kind column, the formula guard on =Eve.
    let csv = env.ok(&["licenses", "todo", "--format", "csv"]);
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(
        lines[0],
        "kind,name,email,scim,status,last_used,reason,decision,decision_state"
    );
    assert_eq!(lines.len(), 5, "{csv}");
    assert_eq!(
        lines[1],
        "assign,Dan Wu,dan@example.com,yes,no-license,,no-license,,"
    );
    assert_eq!(
        lines[2],
        "assign,'=Eve,eve@example.com,no,no-license,,no-license,,"
    );
    assert!(lines[3].starts_with("reclaim,Bob Stone,bob@example.com,no,using,2026-08-03"));
    assert!(lines[3].ends_with(",inactive 120 days,,"), "{}", lines[3]);

    // The table: both sections and the count line; -o writes the file.
    let table = env.ok(&["licenses", "todo"]);
    assert!(table.starts_with("To assign (2)\n"), "{table}");
    assert!(table.contains("\nTo reclaim (2)\n"), "{table}");
    assert!(table.contains("2 to assign, 2 to reclaim"), "{table}");
    let out = env.path("todo.csv");
    env.ok(&[
        "licenses",
        "todo",
        "--format",
        "csv",
        "-o",
        out.to_str().unwrap(),
    ]);
    assert_eq!(std::fs::read_to_string(out).unwrap(), csv);

    let err = env.fails(&["licenses", "todo", "--reclaim-after", "3 weeks"], 2);
    assert!(err.contains("--reclaim-after '3 weeks'"), "{err}");
}

#[test]
fn licenses_mark_refuses_unknown_and_wrong_users_and_writes_nothing() {
    let env = org();
    let err = env.fails(
        &[
            "licenses",
            "mark",
            "dan@example.com",
            "nobody@example.com",
            "--assign",
        ],
        2,
    );
    assert!(
        err.contains("not in snapshot 1: nobody@example.com"),
        "{err}"
    );
    let err = env.fails(
        &[
            "licenses",
            "mark",
            "dan@example.com",
            "ANN@example.com",
            "--assign",
        ],
        2,
    );
    assert!(
        err.contains("ann@example.com: already has a license"),
        "{err}"
    );
    let err = env.fails(&["licenses", "mark", "eve@example.com", "--reclaim"], 2);
    assert!(
        err.contains("eve@example.com: has no license to reclaim"),
        "{err}"
    );
    // Neither or both actions: clap's usage error.
    env.fails(&["licenses", "mark", "dan@example.com"], 2);
    env.fails(
        &[
            "licenses",
            "mark",
            "dan@example.com",
            "--assign",
            "--reclaim",
        ],
        2,
    );
    assert_eq!(decisions(&env), Vec::<String>::new());
    let list = env.ok(&["licenses", "list"]);
    assert!(list.starts_with("no decisions yet"), "{list}");
}

#[test]
fn licenses_decisions_stay_open_until_a_later_snapshot_confirms_them() {
    let env = org();
    let out = env.ok(&[
        "licenses",
        "mark",
        "Dan@Example.com",
        "--assign",
        "--note",
        "new hire",
    ]);
    assert_eq!(
        out,
        "marked assign dan@example.com (open until a snapshot after 1 shows it)\n"
    );
    env.ok(&["licenses", "mark", "bob@example.com", "--reclaim"]);
    assert_eq!(
        decisions(&env),
        [
            "dan@example.com assign open null",
            "bob@example.com reclaim open null"
        ]
    );
    let doc = env.json(&["licenses", "todo", "--format", "json"]);
    assert_eq!(
        rows(&doc, "assign"),
        [
            "dan@example.com no-license assign open",
            "eve@example.com no-license - -"
        ]
    );
    assert_eq!(
        rows(&doc, "reclaim"),
        [
            "bob@example.com inactive 120 days reclaim open",
            "cy@example.com never used - -"
        ]
    );
    let list = env.json(&["licenses", "list", "--format", "json"]);
    assert_eq!(list[0]["note"], json!("new hire"));
    assert_eq!(list[0]["marked_snapshot"], json!(1));

    // The week-2 export shows both changes: done, confirmed by snapshot 2.
    env.ingest(WEEK2, None, AS_OF2);
    assert_eq!(
        decisions(&env),
        [
            "dan@example.com assign done 2",
            "bob@example.com reclaim done 2"
        ]
    );
    // A decision marked against snapshot 2 waits for a third.
    env.ok(&["licenses", "mark", "eve@example.com", "--assign"]);
    let doc = env.json(&["licenses", "todo", "--format", "json"]);
    assert_eq!(doc["snapshot"], json!(2));
    assert_eq!(
        rows(&doc, "assign"),
        [
            "bob@example.com no-license reclaim done",
            "eve@example.com no-license assign open"
        ]
    );
    assert_eq!(
        rows(&doc, "reclaim"),
        [
            "cy@example.com never used - -",
            "dan@example.com never used assign done"
        ]
    );
    let csv = env.ok(&["licenses", "list", "--format", "csv"]);
    assert_eq!(
        csv.lines().next().unwrap(),
        "email,action,note,marked_at,marked_snapshot,state,confirmed_by"
    );
    assert_eq!(csv.lines().count(), 4, "{csv}");
    let table = env.ok(&["licenses", "list"]);
    assert!(table.ends_with("3 decisions, 1 open\n"), "{table}");
    // An analyst's own DuckDB client sees the same states in the persistent view.
    let conn = duckdb::Connection::open(env.db()).unwrap();
    let mut st = conn
        .prepare("SELECT email || ' ' || state || ' ' || coalesce(confirmed_by::VARCHAR, '-') FROM license_decisions ORDER BY marked_at, email")
        .unwrap();
    let seen: Vec<String> = st
        .query_map([], |r| r.get(0))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    assert_eq!(
        seen,
        [
            "dan@example.com done 2",
            "bob@example.com done 2",
            "eve@example.com open -"
        ]
    );
}

#[test]
fn licenses_seats_show_in_summary_text_and_json() {
    let env = org();
    let s = env.json(&["summary", "--format", "json"]);
    assert_eq!(s["seats"], Value::Null);
    assert!(!env.ok(&["summary"]).contains("Seats:"));

    env.ingest(WEEK2, None, AS_OF2);
    assert_eq!(
        env.ok(&["licenses", "seats", "10"]),
        "recorded 10 seats for snapshot 2\n"
    );
    // Snapshot 2 has Ann, Cy, Dan and Fay licensed: 4 of 10, whatever the filters.
    let s = env.json(&["summary", "--format", "json", "--status", "using"]);
    assert_eq!(
        s["seats"],
        json!({"seats": 10, "assigned": 4, "utilisation": 40.0, "source": "recorded"})
    );
    let text = env.ok(&["summary"]);
    assert!(
        text.contains("\nSeats: 4 of 10 assigned (40.0%)\n"),
        "{text}"
    );
    // Snapshot 1 has no count; a count can be set for it, and replaced.
    let s = env.json(&["summary", "--format", "json", "--snapshot", "1"]);
    assert_eq!(s["seats"], Value::Null);
    env.ok(&["licenses", "seats", "4", "--snapshot", "1"]);
    env.ok(&["licenses", "seats", "8", "--snapshot", "1"]);
    let s = env.json(&["summary", "--format", "json", "--snapshot", "1"]);
    assert_eq!(
        s["seats"],
        json!({"seats": 8, "assigned": 4, "utilisation": 50.0, "source": "recorded"})
    );
    let err = env.fails(&["licenses", "seats", "5", "--snapshot", "9"], 2);
    assert!(err.contains("--snapshot 9: no such snapshot"), "{err}");
}
