//! Rendered terminal output (summary, users table, show) on a small fixed dataset:
//! insta snapshots for the whole text, plus assertions on the numbers counted by hand; and a
//! user's `--templates` folder for the report.

use crate::common::{read, Env};

const USERS: &str = "Name,Email,SCIM Provisioned,Last Used,License,Status,Activated License,Completed App Setup,Added Data in App,Reminders Sent\n\
Ada Lovelace,ada@example.com,Yes,2026-11-25T10:00:00Z,Assigned,Using Enpass,2026-09-01,2026-09-02,2026-09-03,0\n\
Björn Borg,bjorn@example.com,No,2026-09-01T10:00:00Z,Assigned,Using Enpass,2026-08-01,2026-08-02,2026-08-03,0\n\
Chen Li,chen@example.com,Yes,,Assigned,Pending User Action,2026-11-01T09:30:00Z,,,3\n\
Dana Scully,dana@example.com,No,,Unassigned,No License,,,,0\n\
Émile Zola,emile@example.com,Yes,2026-11-27T08:00:00Z,Assigned,Pending User Action,2026-11-10,2026-11-11,,1\n\
Farah Khan,farah@example.com,No,,Assigned,Using Enpass,2026-10-01,,,2\n";

const DEVICES: &str =
    "User Email,Device Name,Platform,Enpass Version,Last Used,Enpass Hub Authenticated\n\
ada@example.com,MacBook Pro,macOS,6.11.4,2026-11-24T10:00:00Z,Yes\n\
ADA@example.com,iPhone 15,iOS,6.11.0,2026-11-20T10:00:00Z,No\n\
bjorn@example.com,My PC,Windows,6.9.2,2026-08-15T10:00:00Z,No\n\
emile@example.com,Galaxy M31,Android,6.11.4,,Yes\n\
ghost@example.com,Ghost PC,Windows,6.11.4,,No\n";

fn env() -> Env {
    let env = Env::new();
    env.ingest(USERS, Some(DEVICES), "2026-11-26T12:00:00Z");
    env
}

#[test]
fn summary_text() {
    let env = env();
    let text = env.ok(&["summary"]);
    // By hand: 6 users, 5 licensed, 3 using by stages (Farah's Status says using but stages say pending).
    assert!(text.contains("6 of 6 users"), "{text}");
    assert!(
        text.contains("Added Data in App                   2   33.3%"),
        "{text}"
    );
    assert!(text.contains("1 rejected row (unknown-user 1)"), "{text}");
    assert!(
        text.contains("1 user whose Status column disagrees"),
        "{text}"
    );
    assert!(
        text.contains("last used after the as-of instant (counted as active): emile@example.com"),
        "{text}"
    );
    insta::assert_snapshot!(text);
}

#[test]
fn users_table() {
    let env = env();
    let out = env
        .cmd()
        .env("COLUMNS", "120")
        .args([
            "users",
            "--columns",
            "name,email,scim,last_used,license,status,activity,hub,reminders",
        ])
        .output()
        .unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(
        text.ends_with("6 of 6 users · all users · as of 2026-11-26 12:00 UTC · snapshot 1\n"),
        "{text}"
    );
    insta::assert_snapshot!(text);
}

#[test]
fn show_text_for_each_status() {
    let env = env();
    for email in ["dana@example.com", "chen@example.com", "ada@example.com"] {
        let text = env.ok(&["show", email]);
        insta::assert_snapshot!(email, text);
    }
}

/// Issue 4: a user's template folder overrides the built-in page, falls back for missing
/// files, and is auto-escaped like the built-ins.
#[test]
fn user_templates_override_and_stay_escaped() {
    let env = env();
    env.write(
        "tpl/report.html.j2",
        "<title>{{ title }}</title><p id=n>{{ summary.matches }} of {{ meta.total_in_snapshot }}</p><style>{{ css }}</style>",
    );
    let out = env.path("rep");
    env.ok(&[
        "report",
        "--out",
        out.to_str().unwrap(),
        "--templates",
        env.path("tpl").to_str().unwrap(),
        "--title",
        "<script>alert(1)</script>",
        "--status",
        "pending",
    ]);
    let html = read(&out.join("index.html"));
    assert!(
        html.starts_with("<title>&lt;script&gt;alert(1)&lt;&#x2f;script&gt;</title>"),
        "{html}"
    );
    // Pending by hand: Chen, Émile and Farah.
    assert!(html.contains("<p id=n>3 of 6</p>"), "{html}");
    // report.css was not overridden, so the built-in one is embedded.
    assert!(html.contains("<style>") && html.len() > 1000, "{html}");
    // Issue 8: a templates path that is not a folder is a usage error (exit 2), one line, and
    // no report is written.
    let err = env.fails(
        &["report", "--templates", env.path("nope").to_str().unwrap()],
        2,
    );
    assert!(
        err.contains("--templates") && err.contains("not a folder"),
        "{err}"
    );
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(!env.path("rollcall-report").exists(), "{err}");
}
