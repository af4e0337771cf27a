//! Issue 9, "Analysts' outputs": the CSV formula guard applies to text cells only (numbers,
//! booleans and timestamps are never guarded) in every CSV rollcall prints, and `query --raw`
//! turns it off. Expected values are worked out by hand from the tiny files below.

use crate::common::Env;

const AS_OF: &str = "2026-11-26T12:00:00Z";

/// Two users whose names look like formulas, and one rejected row whose raw text does.
const USERS: &str = "Name,Email,License,Last Used,Reminders Sent\n\
    \"=1+1\",a@example.com,Assigned,2026-11-20T09:00:00Z,3\n\
    -5,b@example.com,Assigned,,0\n\
    -oops,not-an-email,Assigned,,1\n";

fn formula_org() -> Env {
    let env = Env::new();
    let users = env.write("users.csv", USERS);
    env.ok(&[
        "ingest",
        "--users",
        users.to_str().unwrap(),
        "--as-of",
        AS_OF,
        "--label",
        "=SUM(A1)",
    ]);
    env
}

#[test]
fn query_csv_guards_text_cells_and_never_numbers() {
    let env = formula_org();
    let sql = "SELECT -5 AS n, -2.5::DOUBLE AS f, -1.5::DECIMAL(4,1) AS d, false AS b, \
               '-5' AS t, name, reminders_sent - 4 AS r, last_used FROM users ORDER BY line";
    assert_eq!(
        env.ok(&["query", sql, "--format", "csv"]),
        "n,f,d,b,t,name,r,last_used\n\
         -5,-2.5,-1.5,no,'-5,'=1+1,-1,2026-11-20T09:00:00Z\n\
         -5,-2.5,-1.5,no,'-5,'-5,-4,\n"
    );
    assert_eq!(
        env.ok(&["query", sql, "--format", "csv", "--raw"]),
        "n,f,d,b,t,name,r,last_used\n\
         -5,-2.5,-1.5,no,-5,=1+1,-1,2026-11-20T09:00:00Z\n\
         -5,-2.5,-1.5,no,-5,-5,-4,\n"
    );
    // A header is text: an alias that looks like a formula is guarded too.
    assert_eq!(
        env.ok(&["query", "SELECT 1 AS \"=x\"", "--format", "csv"]),
        "'=x\n1\n"
    );
    // JSON is untouched by the guard either way.
    let v = env.json(&[
        "query",
        "SELECT -5 AS n, name FROM users ORDER BY line",
        "--format",
        "json",
    ]);
    assert_eq!(
        v,
        serde_json::json!([{"n": -5, "name": "=1+1"}, {"n": -5, "name": "-5"}])
    );
}

#[test]
fn users_snapshots_and_rejects_csv_guard_text_only() {
    let env = formula_org();
    assert_eq!(
        env.ok(&[
            "users",
            "--format",
            "csv",
            "--columns",
            "name,reminders_sent,last_used",
            "--sort",
            "reminders_sent",
        ]),
        "name,reminders_sent,last_used\n'-5,0,\n'=1+1,3,2026-11-20T09:00:00Z\n"
    );
    let snapshots = env.ok(&["snapshots", "--format", "csv"]);
    let row: Vec<&str> = snapshots.lines().nth(1).unwrap().split(',').collect();
    assert_eq!(row[..3], ["1", "'=SUM(A1)", "2026-11-26T12:00:00Z"]);
    assert_eq!(row[4..], ["2", "0", "1"]);
    assert_eq!(
        env.ok(&["rejects", "--format", "csv"]),
        "file,line,column,reason,detail,raw\n\
         users.csv,4,Email,bad-email,malformed email 'not-an-email': no '@',\"'-oops,not-an-email,Assigned,,1\"\n"
    );
}
