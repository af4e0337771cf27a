//! Issue 12 (first part): setup reminders. `remind preview` prints the message lettre builds;
//! `remind send --via outbox` writes `.eml` files that a parser (mail-parser) reads back, logs
//! every attempt, never sends twice within `--min-interval` (even after a killed run), and the
//! reminders count follows in `users`, `show`, `summary` and `--reminders`. Expected values are
//! written by hand from the fixture below.

use std::path::Path;
use std::process::Output;

use mail_parser::MimeHeaders;
use serde_json::Value;

use crate::common::{emails, Env};

/// Three Pending users at each stage (Zoë: setup, with a non-ASCII name; Bob: activation;
/// Cleo: data), one without a license and one using Enpass. Reminders Sent: 1, 0, 2, 0, 0.
pub(crate) const USERS: &str = "\
Name,Email,SCIM Provisioned,Last Used,License,Status,Activated License,Completed App Setup,Added Data in App,Reminders Sent
Zoë Ångström,zoe@example.com,No,,Assigned,Pending User Action,2026-11-02T10:00:00Z,,,1
Bob Stone,bob@example.com,No,,Assigned,Pending User Action,,,,0
Cleo Park,cleo@example.com,No,,Assigned,Pending User Action,2026-11-03T10:00:00Z,2026-11-04T10:00:00Z,,2
Dan Wu,dan@example.com,No,,Unassigned,No License,,,,0
Eve Lind,eve@example.com,No,2026-11-30T10:00:00Z,Assigned,Using Enpass,2026-11-01T10:00:00Z,2026-11-01T11:00:00Z,2026-11-01T12:00:00Z,0
";
pub(crate) const AS_OF: &str = "2026-12-01T00:00:00Z";
pub(crate) const NOW: &str = "2026-12-02T09:00:00Z";
pub(crate) const FROM: &str = "IT Desk <it@acme.example>";

fn org() -> Env {
    let env = Env::new();
    env.ingest(USERS, None, AS_OF);
    env
}

/// `rollcall remind <args>` at the instant `now`.
fn remind(env: &Env, now: &str, args: &[&str]) -> Output {
    env.cmd()
        .env("ROLLCALL_TEST_NOW", now)
        .env_remove("ROLLCALL_TEST_STOP_AFTER_SENDS")
        .arg("remind")
        .args(args)
        .output()
        .expect("run rollcall remind")
}

fn ok(out: Output) -> String {
    assert!(
        out.status.success(),
        "exit {:?}\n{}\n{}",
        out.status.code(),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

fn outbox(env: &Env) -> Vec<String> {
    let dir = env.path("rollcall-outbox");
    if !dir.exists() {
        return vec![];
    }
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

/// The log's rows as `email outcome stage` lines, in order of attempt.
fn log(env: &Env) -> Vec<String> {
    env.ok(&[
        "query",
        "SELECT email || ' ' || outcome || ' ' || coalesce(stage, '-') FROM reminder_log ORDER BY attempted_at, rowid",
        "--format",
        "csv",
    ])
    .lines()
    .skip(1)
    .map(str::to_string)
    .collect()
}

/// Each user's reminders count, as `users --format json` shows it.
fn counts(env: &Env) -> Vec<(String, i64)> {
    let v = env.json(&[
        "users",
        "--format",
        "json",
        "--columns",
        "email,reminders_sent",
        "--sort",
        "email",
    ]);
    v["users"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| {
            (
                u["email"].as_str().unwrap().to_string(),
                u["reminders_sent"].as_i64().unwrap(),
            )
        })
        .collect()
}

fn with_reminders(env: &Env, bucket: &str) -> Vec<String> {
    let mut e = emails(&env.json(&["users", "--format", "json", "--reminders", bucket]));
    e.sort();
    e
}

fn parse(path: &Path) -> mail_parser::Message<'static> {
    let bytes = std::fs::read(path).unwrap();
    mail_parser::MessageParser::default()
        .parse(&bytes)
        .expect("a MIME message")
        .into_owned()
}

#[test]
fn preview_prints_the_message_lettre_builds() {
    let env = org();
    let text = ok(remind(
        &env,
        NOW,
        &[
            "preview",
            "ZOE@example.com",
            "--org",
            "Acme & Co",
            "--from",
            FROM,
        ],
    ));
    // The exact message, in RFC 5322's CRLF lines.
    assert!(text.contains("\r\n"));
    let text = text.replace("\r\n", "\n");
    insta::assert_snapshot!(text);
    let header = |name: &str| {
        text.lines()
            .find(|l| l.starts_with(&format!("{name}: ")))
            .unwrap_or_else(|| panic!("no {name} header in\n{text}"))
            .to_string()
    };
    // The non-ASCII display name is RFC 2047-encoded; the address stays plain.
    let to = header("To");
    assert!(to.starts_with("To: =?utf-8?b?"), "{to}");
    assert!(to.ends_with(" <zoe@example.com>"), "{to}");
    assert!(!to.contains('ö'), "{to}");
    assert_eq!(header("From"), "From: \"IT Desk\" <it@acme.example>");
    assert_eq!(
        header("Subject"),
        "Subject: Acme & Co: finish setting up Enpass"
    );
    assert_eq!(header("MIME-Version"), "MIME-Version: 1.0");
    assert_eq!(header("Date"), "Date: Wed, 02 Dec 2026 09:00:00 +0000");
    let id = header("Message-ID");
    assert!(
        id.starts_with("Message-ID: <rollcall.") && id.ends_with("@acme.example>"),
        "{id}"
    );
    assert!(text.contains("Content-Type: multipart/alternative;\n boundary=\"rollcall-"));
    let boundary = text
        .split("boundary=\"")
        .nth(1)
        .unwrap()
        .split('"')
        .next()
        .unwrap();
    assert_eq!(text.matches(&format!("--{boundary}\n")).count(), 2);
    assert!(text.contains(&format!("--{boundary}--")));

    // Read back as a parser reads it: the name decoded, both bodies, HTML escaped.
    let m = mail_parser::MessageParser::default()
        .parse(text.as_bytes())
        .unwrap();
    let to = m.to().unwrap().first().unwrap();
    assert_eq!(to.name(), Some("Zoë Ångström"));
    assert!(m.body_text(0).unwrap().contains("Hello Zoë Ångström,"));
    assert!(m.body_text(0).unwrap().contains("Acme & Co IT"));
    let html = m.body_html(0).unwrap();
    assert!(html.contains("<p>Acme &amp; Co IT</p>"), "{html}");
    assert!(html.contains("finish setting up the Enpass app"), "{html}");

    // The same instant gives the same message; the preview writes and logs nothing.
    let again = ok(remind(
        &env,
        NOW,
        &[
            "preview",
            "zoe@example.com",
            "--org",
            "Acme & Co",
            "--from",
            FROM,
        ],
    ));
    assert_eq!(again.replace("\r\n", "\n"), text);
    assert!(log(&env).is_empty());
    assert!(outbox(&env).is_empty());
}

#[test]
fn preview_picks_the_stage_and_refuses_users_who_are_not_pending() {
    let env = org();
    for (email, subject) in [
        (
            "bob@example.com",
            "Subject: Acme: activate your Enpass license",
        ),
        (
            "cleo@example.com",
            "Subject: Acme: add your passwords to Enpass",
        ),
    ] {
        let text = ok(remind(&env, NOW, &["preview", email, "--org", "Acme"]));
        assert!(text.contains(subject), "{text}");
    }
    for (email, status) in [
        ("dan@example.com", "No License"),
        ("eve@example.com", "Using Enpass"),
    ] {
        let out = remind(&env, NOW, &["preview", email]);
        assert_eq!(out.status.code(), Some(2));
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(err.lines().count(), 1, "{err}");
        assert!(
            err.contains(&format!("status is {status}, not Pending User Action")),
            "{err}"
        );
    }
    let out = remind(&env, NOW, &["preview", "nobody@example.com"]);
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn templates_are_overridable() {
    let env = org();
    env.write(
        "mine/email/setup.subject.j2",
        "Psst, {{ name }}: {{ stage }} at {{ org }}\n",
    );
    let dir = env.path("mine");
    let text = ok(remind(
        &env,
        NOW,
        &[
            "preview",
            "zoe@example.com",
            "--org",
            "Acme",
            "--templates",
            dir.to_str().unwrap(),
        ],
    ));
    // lettre encodes the non-ASCII words of the subject (RFC 2047); a parser decodes them.
    assert!(text.contains("Subject: Psst, =?utf-8?b?"), "{text}");
    let m = mail_parser::MessageParser::default()
        .parse(text.as_bytes())
        .unwrap();
    assert_eq!(m.subject(), Some("Psst, Zoë Ångström: setup at Acme"));
    // The other files fall back to the built-ins.
    assert!(m
        .body_text(0)
        .unwrap()
        .contains("finish setting up the Enpass app"));
}

#[test]
fn send_writes_parseable_eml_logs_skips_and_counts_everywhere() {
    let env = org();
    assert_eq!(
        with_reminders(&env, "0"),
        ["bob@example.com", "dan@example.com", "eve@example.com"]
    );
    // A dry run says what would happen and writes nothing.
    let dry = ok(remind(
        &env,
        NOW,
        &[
            "send",
            "--status",
            "pending",
            "--status",
            "using",
            "--dry-run",
        ],
    ));
    assert!(dry.contains("would send zoe@example.com (setup)"), "{dry}");
    assert!(
        dry.contains("would skip eve@example.com: status is Using Enpass"),
        "{dry}"
    );
    assert!(log(&env).is_empty());
    assert!(outbox(&env).is_empty());

    let out = ok(remind(
        &env,
        NOW,
        &[
            "send",
            "zoe@example.com",
            "BOB@example.com",
            "dan@example.com",
            "cleo@example.com",
            "--org",
            "Acme",
            "--from",
            FROM,
        ],
    ));
    assert!(
        out.contains("skipped dan@example.com: status is No License, not Pending User Action"),
        "{out}"
    );
    assert!(
        out.ends_with("3 sent, 1 skipped, 0 failed (outbox: rollcall-outbox)\n"),
        "{out}"
    );
    let files = outbox(&env);
    assert_eq!(
        files,
        [
            "20261202T090000000000Z-bob@example.com-activate.eml",
            "20261202T090000000000Z-cleo@example.com-data.eml",
            "20261202T090000000000Z-zoe@example.com-setup.eml",
        ]
    );
    let m = parse(&env.path("rollcall-outbox").join(&files[2]));
    let to = m.to().unwrap().first().unwrap();
    assert_eq!(to.address(), Some("zoe@example.com"));
    assert_eq!(to.name(), Some("Zoë Ångström"));
    assert_eq!(m.subject(), Some("Acme: finish setting up Enpass"));
    assert_eq!(
        m.from().unwrap().first().unwrap().address(),
        Some("it@acme.example")
    );
    assert!(m.message_id().unwrap().starts_with("rollcall."));
    let ct = m.content_type().unwrap();
    assert_eq!(
        (ct.ctype(), ct.subtype()),
        ("multipart", Some("alternative"))
    );
    assert!(m.body_text(0).unwrap().contains("Hello Zoë Ångström,"));
    assert!(m
        .body_html(0)
        .unwrap()
        .contains("<p>Hello Zoë Ångström,</p>"));
    let bob = parse(&env.path("rollcall-outbox").join(&files[0]));
    assert_eq!(bob.subject(), Some("Acme: activate your Enpass license"));

    assert_eq!(
        log(&env),
        [
            "dan@example.com skipped -",
            "zoe@example.com sent setup",
            "bob@example.com sent activate",
            "cleo@example.com sent data",
        ]
    );
    // Every reader counts the export's Reminders Sent plus the log's sends after the as-of.
    assert_eq!(
        counts(&env),
        [
            ("bob@example.com".to_string(), 1),
            ("cleo@example.com".to_string(), 3),
            ("dan@example.com".to_string(), 0),
            ("eve@example.com".to_string(), 0),
            ("zoe@example.com".to_string(), 2),
        ]
    );
    assert_eq!(
        env.json(&["show", "zoe@example.com", "--format", "json"])["reminders_sent"],
        2
    );
    assert!(env
        .ok(&["show", "cleo@example.com"])
        .contains("Reminder emails sent: 3\n"));
    assert_eq!(
        with_reminders(&env, "0"),
        ["dan@example.com", "eve@example.com"]
    );
    assert_eq!(with_reminders(&env, "1"), ["bob@example.com"]);
    assert_eq!(with_reminders(&env, "2"), ["zoe@example.com"]);
    assert_eq!(with_reminders(&env, "3+"), ["cleo@example.com"]);
    let summary = env.json(&["summary", "--format", "json"]);
    let facet: &Value = summary["facets"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["dimension"] == "reminders")
        .unwrap();
    let by: Vec<(String, i64)> = facet["values"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| {
            (
                v["value"].as_str().unwrap().to_string(),
                v["count"].as_i64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        by,
        [
            ("0".to_string(), 2),
            ("1".to_string(), 1),
            ("2".to_string(), 1),
            ("3+".to_string(), 1)
        ]
    );
    // An export made after the sends carries them in its own count: the log no longer adds them.
    env.ingest(USERS, None, "2026-12-03T00:00:00Z");
    assert_eq!(with_reminders(&env, "1"), ["zoe@example.com"]);
    assert_eq!(
        env.json(&["show", "cleo@example.com", "--format", "json"])["reminders_sent"],
        2
    );
}

#[test]
fn min_interval_skips_and_force_sends() {
    let env = org();
    ok(remind(&env, NOW, &["send", "bob@example.com"]));
    let out = ok(remind(
        &env,
        "2026-12-02T20:00:00Z",
        &["send", "bob@example.com"],
    ));
    assert!(
        out.contains("skipped bob@example.com: reminded 2026-12-02 09:00:00 UTC, within --min-interval 24h (--force sends anyway)"),
        "{out}"
    );
    let out = ok(remind(
        &env,
        "2026-12-02T20:00:00Z",
        &["send", "bob@example.com", "--min-interval", "10h"],
    ));
    assert!(out.contains("1 sent"), "{out}");
    let out = ok(remind(
        &env,
        "2026-12-02T21:00:00Z",
        &["send", "bob@example.com", "--force"],
    ));
    assert!(out.contains("1 sent"), "{out}");
    assert_eq!(outbox(&env).len(), 3);
    assert_eq!(
        log(&env),
        [
            "bob@example.com sent activate",
            "bob@example.com skipped activate",
            "bob@example.com sent activate",
            "bob@example.com sent activate",
        ]
    );
    assert_eq!(counts(&env)[0], ("bob@example.com".to_string(), 3));
}

#[test]
fn a_killed_bulk_send_run_again_sends_no_one_twice() {
    let env = org();
    let out = env
        .cmd()
        .env("ROLLCALL_TEST_NOW", NOW)
        .env("ROLLCALL_TEST_STOP_AFTER_SENDS", "2")
        .args(["remind", "send", "--status", "pending"])
        .output()
        .unwrap();
    assert!(!out.status.success(), "the test stop aborts the run");
    // By email key: bob and cleo went out before the kill.
    assert_eq!(outbox(&env).len(), 2);
    let out = ok(remind(
        &env,
        "2026-12-02T09:30:00Z",
        &["send", "--status", "pending"],
    ));
    assert!(out.contains("skipped bob@example.com: reminded"), "{out}");
    assert!(out.contains("skipped cleo@example.com: reminded"), "{out}");
    assert!(out.contains("1 sent, 2 skipped, 0 failed"), "{out}");
    let files = outbox(&env);
    for who in ["bob@", "cleo@", "zoe@"] {
        assert_eq!(
            files.iter().filter(|f| f.contains(who)).count(),
            1,
            "{files:?}"
        );
    }
    let sent: Vec<_> = log(&env)
        .into_iter()
        .filter(|l| l.contains(" sent "))
        .collect();
    assert_eq!(sent.len(), 3, "{sent:?}");
}

#[test]
fn a_failed_delivery_is_logged_the_others_go_and_the_exit_is_1() {
    let env = org();
    // A folder where cleo's message file would go: that one write fails.
    std::fs::create_dir_all(
        env.path("rollcall-outbox/20261202T090000000000Z-cleo@example.com-data.eml"),
    )
    .unwrap();
    let out = remind(&env, NOW, &["send", "--status", "pending"]);
    assert_eq!(out.status.code(), Some(1));
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stdout.contains("failed  cleo@example.com: writing"),
        "{stdout}"
    );
    assert!(stdout.contains("2 sent, 0 skipped, 1 failed"), "{stdout}");
    assert!(stderr.contains("1 of 3 reminders failed"), "{stderr}");
    assert_eq!(
        log(&env),
        [
            "bob@example.com sent activate",
            "cleo@example.com failed data",
            "zoe@example.com sent setup",
        ]
    );
    // A failure is not a reminder: cleo's count stays the export's.
    assert_eq!(counts(&env)[1], ("cleo@example.com".to_string(), 2));
}

#[test]
fn a_large_send_needs_yes_without_a_terminal() {
    let env = Env::new();
    let mut users = String::from("Name,Email,License,Status\n");
    for i in 0..51 {
        users += &format!("User {i},u{i:02}@example.com,Assigned,Pending User Action\n");
    }
    env.ingest(&users, None, AS_OF);
    let out = remind(&env, NOW, &["send", "--status", "pending"]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("51 reminders to send: more than 50 need --yes"),
        "{err}"
    );
    assert!(outbox(&env).is_empty());
    assert!(log(&env).is_empty());
    let out = ok(remind(&env, NOW, &["send", "--status", "pending", "--yes"]));
    assert!(out.contains("51 sent, 0 skipped, 0 failed"), "{out}");
    assert_eq!(outbox(&env).len(), 51);
}

#[test]
fn send_needs_emails_or_filters_not_both() {
    let env = org();
    for args in [
        &["send"][..],
        &["send", "bob@example.com", "--status", "pending"],
    ] {
        let out = remind(&env, NOW, args);
        assert_eq!(out.status.code(), Some(2), "{args:?}");
    }
}

/// A stand-in MTA: a script that records its arguments and the message it reads, and fails
/// (exit 75, a word on standard error) for a message to cleo.
fn fake_sendmail(env: &Env) -> std::path::PathBuf {
    use std::os::unix::fs::PermissionsExt;
    let dir = env.path("mta");
    std::fs::create_dir_all(&dir).unwrap();
    let script = dir.join("sendmail");
    std::fs::write(
        &script,
        format!(
            "#!/bin/sh\n\
             n=$(ls {d} | grep -c '^msg-')\n\
             cat > {d}/msg-$n.eml\n\
             echo \"$@\" > {d}/args-$n\n\
             if grep -q '^To: .*cleo@example.com' {d}/msg-$n.eml; then echo 'mailbox unavailable' >&2; exit 75; fi\n",
            d = dir.display()
        ),
    )
    .unwrap();
    std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755)).unwrap();
    script
}

/// `--via sendmail` pipes each message to `PROGRAM -t -i`: the recorded messages parse with the
/// right recipients, a refusal by the MTA is a logged failure (its words in the log's reason)
/// while the others go, and the exit is 1.
#[test]
fn sendmail_gets_each_message_and_its_refusal_is_a_logged_failure() {
    let env = org();
    let program = fake_sendmail(&env);
    let out = remind(
        &env,
        NOW,
        &[
            "send",
            "--status",
            "pending",
            "--via",
            "sendmail",
            "--sendmail",
            program.to_str().unwrap(),
            "--from",
            FROM,
        ],
    );
    assert_eq!(out.status.code(), Some(1), "{out:?}");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("2 sent, 0 skipped, 1 failed"), "{stdout}");
    assert!(
        stdout.contains("mailbox unavailable"),
        "the MTA's words are said: {stdout}"
    );
    let dir = env.path("mta");
    let mut to = Vec::new();
    for n in 0..3 {
        assert_eq!(
            std::fs::read_to_string(dir.join(format!("args-{n}"))).unwrap(),
            "-t -i\n"
        );
        let m = parse(&dir.join(format!("msg-{n}.eml")));
        let addr = m.to().unwrap().first().unwrap();
        to.push(addr.address().unwrap().to_string());
        assert_eq!(
            m.from().unwrap().first().unwrap().address(),
            Some("it@acme.example")
        );
    }
    to.sort();
    assert_eq!(
        to,
        ["bob@example.com", "cleo@example.com", "zoe@example.com"]
    );
    assert_eq!(
        log(&env),
        [
            "bob@example.com sent activate",
            "cleo@example.com failed data",
            "zoe@example.com sent setup",
        ]
    );
    let reason = env.ok(&[
        "query",
        "SELECT channel || ' ' || reason FROM reminder_log WHERE outcome = 'failed'",
        "--format",
        "csv",
    ]);
    assert!(
        reason.contains("sendmail") && reason.contains("mailbox unavailable"),
        "{reason}"
    );
    // The two sent count; cleo's stays the export's 2.
    let c = counts(&env);
    assert_eq!(c[0], ("bob@example.com".to_string(), 1));
    assert_eq!(c[1], ("cleo@example.com".to_string(), 2));
    // A sendmail that is not there: every delivery fails, said once each, exit 1.
    let out = remind(
        &env,
        "2026-12-04T09:00:00Z",
        &[
            "send",
            "cleo@example.com",
            "--via",
            "sendmail",
            "--sendmail",
            "/nonexistent/sendmail",
        ],
    );
    assert_eq!(out.status.code(), Some(1));
    assert!(
        String::from_utf8_lossy(&out.stdout).contains("running /nonexistent/sendmail -t -i"),
        "{out:?}"
    );
}

/// A real SMTP server, Debian's python3-aiosmtpd, on a free port of 127.0.0.1: it keeps each
/// message with its envelope and login, accepts the login `mailer` / `s3cret`, and refuses any
/// message to cleo (550). Stopped when the returned process is dropped.
fn smtp_server(env: &Env) -> (crate::common::process::Running, u16, std::path::PathBuf) {
    use std::io::BufRead;
    let python = "/usr/bin/python3";
    let dir = env.path("smtp");
    std::fs::create_dir_all(&dir).unwrap();
    let script = dir.join("server.py");
    std::fs::write(
        &script,
        r#"import os, sys
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword
out, port = sys.argv[1], int(sys.argv[2])
class Handler:
    async def handle_DATA(self, server, session, envelope):
        n = len([f for f in os.listdir(out) if f.startswith('msg-')])
        with open(os.path.join(out, f'msg-{n}.eml'), 'wb') as f:
            f.write(envelope.original_content)
        login = 'yes' if session.authenticated else 'no'
        with open(os.path.join(out, f'env-{n}'), 'w') as f:
            f.write(envelope.mail_from + '\n' + ','.join(envelope.rcpt_tos) + '\n' + login + '\n')
        if any(r.startswith('cleo@') for r in envelope.rcpt_tos):
            return '550 5.1.1 mailbox unavailable'
        return '250 OK'
def auth(server, session, envelope, mechanism, data):
    ok = isinstance(data, LoginPassword) and data.login == b'mailer' and data.password == b's3cret'
    with open(os.path.join(out, 'logins'), 'a') as f:
        who = data.login.decode() if isinstance(data, LoginPassword) else '?'
        f.write(mechanism + ' ' + who + ' ' + ('ok' if ok else 'refused') + '\n')
    return AuthResult(success=ok, handled=False)
c = Controller(Handler(), hostname='127.0.0.1', port=port, authenticator=auth, auth_require_tls=False)
c.start()
print('ready', flush=True)
sys.stdin.read()
c.stop()
"#,
    )
    .unwrap();
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let mut child = crate::common::process::spawn(
        "aiosmtpd (apt-get install python3-aiosmtpd; .ci/run does)",
        std::process::Command::new(python)
            .arg(&script)
            .arg(&dir)
            .arg(port.to_string())
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::inherit()),
    );
    let mut line = String::new();
    std::io::BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    assert_eq!(
        line.trim(),
        "ready",
        "aiosmtpd did not start (python3-aiosmtpd missing?)"
    );
    (child, port, dir)
}

/// `--via smtp` against a real SMTP server: credentials come from the environment, each message
/// arrives whole (parsed back) with its envelope, a 550 for one recipient is a logged failure
/// with the server's words while the others go, and `--smtp-tls required` delivers nothing to a
/// server that offers no STARTTLS. A bad or missing `--smtp-url` is a usage error.
#[test]
#[ignore = "needs python3-aiosmtpd (apt-get install python3-aiosmtpd); .ci/run runs ignored tests"]
fn smtp_delivers_to_a_real_server_and_its_refusal_is_a_logged_failure() {
    let env = org();
    let (_server, port, dir) = smtp_server(&env);
    let url = format!("smtp://127.0.0.1:{port}");
    let out = env
        .cmd()
        .env("ROLLCALL_TEST_NOW", NOW)
        .env("ROLLCALL_SMTP_USER", "mailer")
        .env("ROLLCALL_SMTP_PASSWORD", "s3cret")
        .args(["remind", "send", "--status", "pending", "--via", "smtp"])
        .args(["--smtp-url", &url, "--smtp-tls", "none", "--from", FROM])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "{out:?}");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("2 sent, 0 skipped, 1 failed"), "{stdout}");
    assert!(stdout.contains("mailbox unavailable"), "{stdout}");
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("may cross the network unencrypted"),
        "a password over plain text is warned of: {out:?}"
    );
    let mut got = Vec::new();
    for n in 0..3 {
        let envelope = std::fs::read_to_string(dir.join(format!("env-{n}"))).unwrap();
        let lines: Vec<&str> = envelope.lines().collect();
        assert_eq!(lines[0], "it@acme.example", "MAIL FROM");
        assert_eq!(lines[2], "yes", "the session logged in");
        let m = parse(&dir.join(format!("msg-{n}.eml")));
        let to = m
            .to()
            .unwrap()
            .first()
            .unwrap()
            .address()
            .unwrap()
            .to_string();
        assert_eq!(lines[1], to, "the envelope's recipient is the message's");
        if to == "zoe@example.com" {
            assert_eq!(
                m.to().unwrap().first().unwrap().name(),
                Some("Zoë Ångström")
            );
        }
        got.push(to);
    }
    got.sort();
    assert_eq!(
        got,
        ["bob@example.com", "cleo@example.com", "zoe@example.com"]
    );
    let logins = std::fs::read_to_string(dir.join("logins")).unwrap();
    assert!(
        !logins.is_empty() && logins.lines().all(|l| l.ends_with(" mailer ok")),
        "every login used the environment's credentials: {logins}"
    );
    assert_eq!(
        log(&env),
        [
            "bob@example.com sent activate",
            "cleo@example.com failed data",
            "zoe@example.com sent setup",
        ]
    );
    let sent = env.ok(&[
        "query",
        "SELECT count(*) FROM reminder_log WHERE channel = 'smtp' AND outcome = 'sent' AND message_id IS NOT NULL",
        "--format",
        "csv",
    ]);
    assert_eq!(sent.lines().nth(1), Some("2"), "{sent}");

    // Required STARTTLS, and the server offers none: nothing is delivered, each one said.
    let out = remind(
        &env,
        "2026-12-05T09:00:00Z",
        &[
            "send",
            "cleo@example.com",
            "--via",
            "smtp",
            "--smtp-url",
            &url,
        ],
    );
    assert_eq!(out.status.code(), Some(1), "{out:?}");
    assert!(
        !dir.join("msg-3.eml").exists(),
        "nothing went in plain text"
    );
    // A URL that is not smtp://HOST[:PORT], and none at all: usage errors, nothing sent.
    for args in [
        vec![
            "send",
            "cleo@example.com",
            "--via",
            "smtp",
            "--smtp-url",
            "http://x",
        ],
        vec!["send", "cleo@example.com", "--via", "smtp"],
    ] {
        let out = remind(&env, "2026-12-06T09:00:00Z", &args);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {out:?}");
        assert!(
            String::from_utf8_lossy(&out.stderr).contains("--smtp-url"),
            "{out:?}"
        );
    }
}

/// `rollcall report` with the organisation and sender the previews below are compared under;
/// returns the report's folder.
fn report_for_preview(env: &Env) -> std::path::PathBuf {
    let out = env.path("report");
    env.ok(&[
        "report",
        "--out",
        out.to_str().unwrap(),
        "--org",
        "Acme & Co",
        "--from",
        FROM,
        "--quiet",
    ]);
    out
}

/// The parts of `remind preview`'s message for `email`: subject, plain text, HTML.
fn cli_parts(env: &Env, email: &str, extra: &[&str]) -> (String, String, String) {
    let mut args = vec!["preview", email, "--org", "Acme & Co", "--from", FROM];
    args.extend(extra);
    let raw = ok(remind(env, NOW, &args));
    let m = mail_parser::MessageParser::default()
        .parse(raw.as_bytes())
        .expect("a MIME message");
    (
        m.subject().unwrap().to_string(),
        m.body_text(0).unwrap().replace("\r\n", "\n"),
        m.body_html(0).unwrap().replace("\r\n", "\n"),
    )
}

/// What minijinja's HTML escaping makes of a value (written out here, not taken from it).
fn escaped(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&#x27;")
        .replace('/', "&#x2f;")
}

/// The static report's Email Preview data: each stage's rendering with the user's greeting
/// and address left as tokens. Filled in for each pending user, it must give the very subject
/// and bodies `remind preview` sends; templates that transform the name make it inexact.
#[test]
fn the_report_embeds_a_preview_equal_to_remind_preview() {
    let env = org();
    let out = report_for_preview(&env);
    let html = std::fs::read_to_string(out.join("index.html")).unwrap();
    let data = crate::common::page_data::decode(&html);
    let mail = &data["mail"];
    assert_eq!(mail["exact"], true, "{mail}");
    assert_eq!(mail["from"], FROM);
    let (nt, et) = (
        mail["name_token"].as_str().unwrap(),
        mail["email_token"].as_str().unwrap(),
    );
    for (email, name, stage) in [
        ("zoe@example.com", "Zoë Ångström", "setup"),
        ("bob@example.com", "Bob Stone", "activate"),
        ("cleo@example.com", "Cleo Park", "data"),
    ] {
        let parts = &mail["stages"][stage];
        let fill = |key: &str, n: &str, e: &str| {
            parts[key].as_str().unwrap().replace(nt, n).replace(et, e)
        };
        let (subject, text, html) = cli_parts(&env, email, &[]);
        assert_eq!(fill("subject", name, email), subject, "{email}");
        assert_eq!(fill("text", name, email), text, "{email}");
        assert_eq!(
            fill("html", &escaped(name), &escaped(email)),
            html.trim_end_matches('\n'),
            "{email}"
        );
    }

    // A template that changes the name: no exact preview in the page (the CLI's is exact).
    let tpl = env.path("tpl");
    std::fs::create_dir_all(tpl.join("email")).unwrap();
    std::fs::write(tpl.join("email/setup.txt.j2"), "HELLO {{ name|upper }}\n").unwrap();
    env.ok(&[
        "report",
        "--out",
        out.to_str().unwrap(),
        "--templates",
        tpl.to_str().unwrap(),
        "--quiet",
    ]);
    let html = std::fs::read_to_string(out.join("index.html")).unwrap();
    let mail = &crate::common::page_data::decode(&html)["mail"];
    assert_eq!(mail["exact"], false, "{mail}");
    assert_eq!(mail["stages"], serde_json::json!({}));
}

/// The static report's details, in headless Chromium: the Email preview a pending user's
/// dialog shows is `remind preview`'s text, and the page prints the commands that send it and
/// record a license decision instead of offering buttons it could not honour.
#[test]
#[ignore = "needs Chromium; .ci/run runs ignored tests"]
fn the_report_shows_the_preview_and_the_commands_in_chromium() {
    use crate::common::cdp;
    use crate::common::probe::{file_url, offline, Probe};
    let chrome = cdp::launch();
    let env = org();
    let out = report_for_preview(&env);
    let url = file_url(&out.join("index.html"));
    let page = Probe::open(&chrome, &format!("{url}#user=zoe%40example.com"));
    page.wait_for(
        "details open",
        "return document.getElementById('details').open",
        &serde_json::json!(true),
    );
    assert_eq!(
        page.eval_str("return document.querySelectorAll('#details-body .action-bar').length + ''"),
        "0",
        "no buttons on the static page"
    );
    page.click("#details-body details.mail > summary");
    let (subject, text, _) = cli_parts(&env, "zoe@example.com", &[]);
    let shown =
        page.eval_str("return document.querySelector('#details-body .mail-text').textContent");
    assert_eq!(shown, text);
    let dl = page
        .eval_str("return document.querySelector('#details-body .mail-preview dl').textContent");
    assert_eq!(
        dl,
        format!("From{FROM}ToZoë Ångström <zoe@example.com>Subject{subject}")
    );
    assert_eq!(
        page.eval_str("return [...document.querySelectorAll('#details-body .command code')].map(c => c.textContent).join(' | ')"),
        "rollcall remind send zoe@example.com"
    );
    let page2 = Probe::open(&chrome, &format!("{url}#user=dan%40example.com"));
    page2.wait_for(
        "details open",
        "return document.getElementById('details').open",
        &serde_json::json!(true),
    );
    assert_eq!(
        page2.eval_str("return document.querySelector('#details-body .command code').textContent"),
        "rollcall licenses mark dan@example.com --assign"
    );
    let doc = url.clone();
    page.assert_clean(&offline(&doc));
    page2.assert_clean(&offline(&doc));
}
