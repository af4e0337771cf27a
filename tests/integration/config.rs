//! Issue 15, ergonomics: the configuration file (`rollcall.toml` in the current folder, the
//! user's config folder, or `--config`), its precedence under flags and environment variables,
//! its one-line errors, `rollcall config` and `rollcall doctor`, all through the real binary.

use std::path::Path;
use std::process::Output;

use serde_json::{json, Value};

use crate::common::Env;

fn run(env: &Env, f: impl FnOnce(&mut assert_cmd::Command)) -> Output {
    let mut c = env.cmd();
    f(&mut c);
    c.output().expect("run rollcall")
}

fn stdout(out: &Output) -> String {
    assert!(
        out.status.success(),
        "exit {:?}\n{}\n{}",
        out.status.code(),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout.clone()).unwrap()
}

/// A setting's value and source as `rollcall config COMMAND --format json` reports them.
fn setting(env: &Env, f: impl FnOnce(&mut assert_cmd::Command), key: &str) -> (Value, String) {
    let out = stdout(&run(env, f));
    let v: Value = serde_json::from_str(&out).unwrap();
    let s = v["settings"]
        .as_array()
        .unwrap()
        .iter()
        .rev()
        .find(|s| s["key"] == key)
        .unwrap_or_else(|| panic!("no {key} in {out}"))
        .clone();
    (
        s["value"].clone(),
        s["source"].as_str().unwrap().to_string(),
    )
}

/// The subject of Dee's reminder: it says the organisation's name.
fn subject(out: &Output) -> String {
    stdout(out)
        .lines()
        .find(|l| l.starts_with("Subject: "))
        .unwrap()
        .to_string()
}

#[test]
fn flags_beat_env_beats_the_file_beats_the_default() {
    let env = Env::with_one_user();
    let file = env.path("rollcall.toml");
    let at = |line: usize| format!("{}:{line}", file.display());

    // db: nothing set (not even ROLLCALL_DB) is the default, relative to the current folder.
    let cfg = |c: &mut assert_cmd::Command| {
        c.env_remove("ROLLCALL_DB")
            .args(["config", "summary", "--format", "json"]);
    };
    assert_eq!(
        setting(&env, cfg, "db"),
        (json!("rollcall.duckdb"), "default".into())
    );
    // The file's db is relative to the file's folder; the file names the real database.
    std::fs::create_dir_all(env.path("data")).unwrap();
    std::fs::rename(env.db(), env.path("data/org.duckdb")).unwrap();
    env.write(
        "rollcall.toml",
        "# comment\ndb = \"data/org.duckdb\"\nwindow_days = 45\norg = \"File Org\"\n\n[summary]\nwindow_days = 60\n\n[remind]\norg = \"Remind Org\"\n",
    );
    let moved = env.path("data/org.duckdb").display().to_string();
    assert_eq!(setting(&env, cfg, "db"), (json!(moved), at(2)));
    let s = run(&env, |c| {
        c.env_remove("ROLLCALL_DB")
            .args(["summary", "--format", "json"]);
    });
    assert!(
        stdout(&s).contains("\"window_days\": 60"),
        "read through the file's db"
    );
    // ROLLCALL_DB beats the file, --db beats ROLLCALL_DB.
    let (_, source) = setting(
        &env,
        |c| {
            c.env("ROLLCALL_DB", "env.duckdb")
                .args(["config", "summary", "--format", "json"]);
        },
        "db",
    );
    assert_eq!(source, "env ROLLCALL_DB");
    let (v, source) = setting(
        &env,
        |c| {
            c.env("ROLLCALL_DB", "env.duckdb").args([
                "--db",
                "flag.duckdb",
                "config",
                "summary",
                "--format",
                "json",
            ]);
        },
        "db",
    );
    assert_eq!((v, source.as_str()), (json!("flag.duckdb"), "flag"));

    // window_days (no environment variable): the [summary] table beats the top level, which
    // `users` gets; a flag beats both; without the file, the default.
    let s = run(&env, |c| {
        c.env_remove("ROLLCALL_DB")
            .args(["summary", "--format", "json"]);
    });
    let s: Value = serde_json::from_str(&stdout(&s)).unwrap();
    assert_eq!(s["window_days"], 60);
    let u = run(&env, |c| {
        c.env_remove("ROLLCALL_DB")
            .args(["users", "--format", "json"]);
    });
    let u: Value = serde_json::from_str(&stdout(&u)).unwrap();
    assert_eq!(u["window_days"], 45, "{u}");
    let s = run(&env, |c| {
        c.env_remove("ROLLCALL_DB")
            .args(["summary", "--format", "json", "--window-days", "7"]);
    });
    let s: Value = serde_json::from_str(&stdout(&s)).unwrap();
    assert_eq!(s["window_days"], 7);
    assert_eq!(
        setting(
            &env,
            |c| {
                c.env_remove("ROLLCALL_DB")
                    .args(["config", "summary", "--format", "json"]);
            },
            "window_days"
        ),
        (json!("60"), at(7))
    );
    assert_eq!(
        setting(
            &env,
            |c| {
                c.args(["--no-config", "config", "users", "--format", "json"]);
            },
            "window_days"
        ),
        (json!("30"), "default".into())
    );

    // org: the [remind] table beats the top level; ROLLCALL_ORG beats the file; --org beats
    // ROLLCALL_ORG; with no file the default.
    let preview = |c: &mut assert_cmd::Command| {
        c.env_remove("ROLLCALL_DB")
            .args(["remind", "preview", "dee@example.com"]);
    };
    assert!(subject(&run(&env, preview)).starts_with("Subject: Remind Org:"));
    assert!(subject(&run(&env, |c| {
        c.env("ROLLCALL_ORG", "Env Org");
        preview(c)
    }))
    .starts_with("Subject: Env Org:"));
    assert!(subject(&run(&env, |c| {
        c.env("ROLLCALL_ORG", "Env Org");
        preview(c);
        c.args(["--org", "Flag Org"]);
    }))
    .starts_with("Subject: Flag Org:"));
    assert!(subject(&run(&env, |c| {
        c.env("ROLLCALL_DB", &moved)
            .args(["--no-config", "remind", "preview", "dee@example.com"]);
    }))
    .starts_with("Subject: Your organisation:"));
    // The top-level org is what `report` gets (no [report] table).
    assert_eq!(
        setting(
            &env,
            |c| {
                c.args(["config", "report", "--format", "json"]);
            },
            "org"
        ),
        (json!("File Org"), at(4))
    );
    assert_eq!(
        setting(
            &env,
            |c| {
                c.env("ROLLCALL_ORG", "Env Org")
                    .args(["config", "remind", "send", "--format", "json"]);
            },
            "org"
        ),
        (json!("Env Org"), "env ROLLCALL_ORG".into())
    );
}

#[test]
fn the_file_is_found_in_the_current_folder_then_the_users_config_folder_or_given() {
    let env = Env::new();
    let window = |env: &Env, extra: &[&str]| {
        setting(
            env,
            |c| {
                c.args(extra).args(["config", "users", "--format", "json"]);
            },
            "window_days",
        )
    };
    assert_eq!(window(&env, &[]), (json!("30"), "default".into()));
    let xdg = env.write("xdg/rollcall/rollcall.toml", "window_days = 11\n");
    assert_eq!(
        window(&env, &[]),
        (json!("11"), format!("{}:1", xdg.display()))
    );
    let here = env.write("rollcall.toml", "\nwindow_days = 22\n");
    assert_eq!(
        window(&env, &[]),
        (json!("22"), format!("{}:2", here.display()))
    );
    let given = env.write("elsewhere/my.toml", "\n\nwindow_days = 33\n");
    assert_eq!(
        window(&env, &["--config", "elsewhere/my.toml"]),
        (json!("33"), format!("{}:3", given.display()))
    );
    let out = run(&env, |c| {
        c.env("ROLLCALL_CONFIG", &given)
            .args(["config", "--format", "json"]);
    });
    let v: Value = serde_json::from_str(&stdout(&out)).unwrap();
    assert_eq!(v["file"]["path"], given.display().to_string());
    assert_eq!(v["file"]["found"], "given with ROLLCALL_CONFIG");
    assert_eq!(
        window(&env, &["--no-config"]),
        (json!("30"), "default".into())
    );
    let err = env.fails(&["--config", "missing.toml", "filters"], 2);
    assert_eq!(err.trim(), "rollcall: --config missing.toml: no such file");
}

#[test]
fn a_wrong_file_is_one_line_naming_file_line_and_key_exit_2() {
    let env = Env::with_one_user();
    let file = env.path("rollcall.toml").display().to_string();
    for (text, expected) in [
        (
            "org = \"Acme\"\nwindow_days = \n",
            format!("rollcall: {file}:2:"),
        ),
        (
            "org = \"Acme\"\n\nwindow_dayz = 3\n",
            format!("rollcall: {file}:3: unknown key 'window_dayz': not a flag of any command"),
        ),
        (
            "[serve]\nport = 8081\nrules = \"x.toml\"\n",
            format!("rollcall: {file}:3: unknown key 'rules': not a flag of `rollcall serve`"),
        ),
        (
            "window_days = \"x\"\n",
            format!("rollcall: {file}:1: window_days = \"x\": invalid value 'x'"),
        ),
        (
            "\n[serve]\nport = 70000\n",
            format!(
                "rollcall: {file}:3: port = 70000 (for `rollcall serve`): invalid value '70000': 70000 is not in 0..=65535"
            ),
        ),
        (
            "[summary]\nformat = \"csv\"\n",
            format!("rollcall: {file}:2: format = \"csv\" (for `rollcall summary`): invalid value 'csv'"),
        ),
        (
            "[servre]\nport = 1\n",
            format!("rollcall: {file}:1: [servre]: no such command"),
        ),
    ] {
        env.write("rollcall.toml", text);
        // Any command reads the whole file: a mistake in [serve] stops `users` too.
        let err = env.fails(&["users"], 2);
        assert_eq!(err.lines().count(), 1, "{text}: {err}");
        assert!(err.starts_with(&expected), "{text}:\n{err}\nexpected {expected}");
    }
    // A flag is still checked by clap, with its own words and exit code.
    std::fs::remove_file(env.path("rollcall.toml")).unwrap();
    env.fails(&["users", "--window-days", "x"], 2);
}

#[test]
fn config_shows_each_source() {
    let env = Env::with_one_user();
    let file = env.write(
        "rollcall.toml",
        "seats = 10\n[serve]\nport = 9000\ntemplates = \"tpl\"\n",
    );
    let out = run(&env, |c| {
        c.env("ROLLCALL_ORG", "Env Org")
            .args(["--quiet", "config", "serve"]);
    });
    let text = stdout(&out);
    let line = |key: &str| {
        text.lines()
            .find(|l| l.split_whitespace().next() == Some(key))
            .unwrap_or_else(|| panic!("no {key} in\n{text}"))
            .split_whitespace()
            .collect::<Vec<_>>()
    };
    assert!(text.starts_with(&format!(
        "Configuration file: {} (found in the current folder)\n",
        file.display()
    )));
    assert!(text.contains("\nSettings of `rollcall serve`\n"), "{text}");
    assert_eq!(line("quiet"), ["quiet", "true", "flag"]);
    assert_eq!(
        line("db"),
        ["db", env.db().to_str().unwrap(), "env", "ROLLCALL_DB"]
    );
    assert_eq!(line("org"), ["org", "Env", "Org", "env", "ROLLCALL_ORG"]);
    let port_at = format!("{}:3", file.display());
    assert_eq!(line("port"), ["port", "9000", port_at.as_str()]);
    let tpl = env.path("tpl").display().to_string();
    let tpl_at = format!("{}:4", file.display());
    assert_eq!(
        line("templates"),
        ["templates", tpl.as_str(), tpl_at.as_str()]
    );
    assert_eq!(line("bind"), ["bind", "127.0.0.1", "default"]);
    assert_eq!(line("workers"), ["workers", "-", "unset"]);
    // Without a command: the global settings only.
    let text = env.ok(&["config"]);
    assert!(
        text.contains("\nGlobal settings\n") && !text.contains("port"),
        "{text}"
    );
    env.fails(&["config", "nosuch"], 2);
}

#[test]
fn seats_from_the_config_when_none_is_recorded() {
    let env = Env::with_one_user();
    let s = env.json(&["summary", "--format", "json"]);
    assert_eq!(s["seats"], Value::Null);
    env.write("rollcall.toml", "seats = 10\n");
    let s = env.json(&["summary", "--format", "json"]);
    assert_eq!(
        s["seats"],
        json!({"seats": 10, "assigned": 1, "utilisation": 10.0, "source": "config"})
    );
    let text = env.ok(&["summary"]);
    assert!(
        text.contains("Seats: 1 of 10 assigned (10.0%) · seats from the configuration file"),
        "{text}"
    );
    let s = env.json(&["summary", "--format", "json", "--seats", "4"]);
    assert_eq!(s["seats"]["source"], "flag");
    assert_eq!(s["seats"]["seats"], 4);
    // A count recorded for the snapshot wins, and keeps its own words.
    env.ok(&["licenses", "seats", "2"]);
    let s = env.json(&["summary", "--format", "json"]);
    assert_eq!(
        s["seats"],
        json!({"seats": 2, "assigned": 1, "utilisation": 50.0, "source": "recorded"})
    );
    assert!(env
        .ok(&["summary"])
        .contains("\nSeats: 1 of 2 assigned (50.0%)\n"));
}

/// The lines of a doctor run, and its exit code.
fn doctor(env: &Env, extra: &[&str]) -> (i32, Vec<String>, String) {
    let out = env.run(&[extra, &["doctor"][..]].concat());
    (
        out.status.code().unwrap(),
        String::from_utf8_lossy(&out.stdout)
            .lines()
            .map(str::to_string)
            .collect(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn doctor_on_a_healthy_set_up() {
    let env = Env::with_one_user();
    env.write(
        "queries/filters/dee.sql",
        "-- Dee\nemail = 'dee@example.com'\n",
    );
    env.write("tpl/email/setup.subject.j2", "{{ org }}: set up\n");
    env.write(
        "rollcall.toml",
        "queries = \"queries\"\n[report]\ntemplates = \"tpl\"\n[remind]\nvia = \"outbox\"\noutbox = \"box\"\n",
    );
    let (code, lines, err) = doctor(&env, &[]);
    assert_eq!(code, 0, "{lines:#?}\n{err}");
    assert!(lines.iter().all(|l| l.starts_with("ok ")), "{lines:#?}");
    let db = env.db().display().to_string();
    assert!(lines.contains(&format!(
        "ok       database: {db}: schema version 5 (this rollcall's); 1 snapshot, the latest #1 as of 2026-11-27 00:00 UTC"
    )), "{lines:#?}");
    let text = lines.join("\n");
    for part in [
        "ok       config: ",
        "(found in the current folder): parses",
        "queries: ",
        "every custom filter works against the users view (1)",
        "templates: ",
        "every template parses (1)",
        "mail (remind send): outbox ",
    ] {
        assert!(text.contains(part), "{part}\n{text}");
    }
    // Wrong flags are still exit 2.
    env.fails(&["doctor", "--bogus"], 2);
}

#[test]
fn doctor_names_the_process_holding_the_database() {
    let env = Env::with_one_user();
    let users = env.write(
        "two.csv",
        "Name,Email,License\nAnn,ann@example.com,Assigned\n",
    );
    let ingest = env.paused_ingest(
        20_000,
        &["ingest", "--users", users.to_str().unwrap(), "--wait", "0"],
    );
    let (code, lines, err) = doctor(&env, &[]);
    assert_eq!(code, 1, "{lines:#?}\n{err}");
    assert_eq!(err.trim(), "rollcall: doctor found 1 problem");
    let db = env.db().display().to_string();
    assert!(
        lines.contains(&format!(
            "problem  database: {db} is held for writing by another process (PID {}), an ingest writing a snapshot: reading commands fail until it ends (ingest --wait waits for it)",
            ingest.id()
        )),
        "{lines:#?}"
    );
    drop(ingest);
}

#[test]
fn doctor_on_a_database_from_a_newer_rollcall() {
    let env = Env::with_one_user();
    env.mark_future_schema();
    let (code, lines, err) = doctor(&env, &[]);
    assert_eq!(code, 1, "{lines:#?}\n{err}");
    assert_eq!(err.trim(), "rollcall: doctor found 1 problem");
    let db = env.db().display().to_string();
    assert!(lines.contains(&format!(
        "problem  database: {db} has schema version 99, written by a newer rollcall; this rollcall 0.1.0 reads up to version 5: upgrade rollcall"
    )), "{lines:#?}");
}

#[test]
fn doctor_names_a_broken_filter_template_and_mail_setting() {
    let env = Env::with_one_user();
    env.write(
        "q/filters/fine.sql",
        "-- Fine\nemail LIKE '%@example.com'\n",
    );
    env.write("q/filters/broken.sql", "-- Broken\nno_such_column = 1\n");
    let tpl = env.write("tpl/email/setup.subject.j2", "{% if org %}unclosed\n");
    env.write(
        "rollcall.toml",
        "[remind]\ntemplates = \"tpl\"\nvia = \"sendmail\"\nsendmail = \"no-such-sendmail-program\"\n",
    );
    let (code, lines, err) = doctor(&env, &["--queries", "q"]);
    assert_eq!(code, 1, "{lines:#?}\n{err}");
    assert_eq!(err.trim(), "rollcall: doctor found 3 problems");
    let problems: Vec<&String> = lines.iter().filter(|l| l.starts_with("problem")).collect();
    assert_eq!(problems.len(), 3, "{lines:#?}");
    assert!(
        // As --queries names the folder: relative to the current folder here.
        problems[0].starts_with("problem  queries: q/filters/broken.sql: filter 'broken' does not work: Binder Error: Referenced column \"no_such_column\" not found"),
        "{lines:#?}"
    );
    assert!(
        problems[1].starts_with(&format!("problem  templates: {}:", tpl.display())),
        "{lines:#?}"
    );
    assert_eq!(
        problems[2],
        "problem  mail (remind send): sendmail program no-such-sendmail-program: not found on PATH"
    );
    // A wrong configuration file is one of doctor's problems, not a reason not to run.
    env.write("rollcall.toml", "windw_days = 3\n");
    let (code, lines, _) = doctor(&env, &[]);
    assert_eq!(code, 1);
    assert!(
        lines[0].starts_with("problem  config: ") && lines[0].contains("unknown key 'windw_days'"),
        "{lines:#?}"
    );
}

/// `serve --open` turned on in the configuration: doctor checks the program that opens the page
/// is on PATH and (on Linux) that there is a display for its window; off, it says so.
#[test]
fn doctor_checks_the_browser_serve_open_would_start() {
    let env = Env::with_one_user();
    let empty = env.path("empty-bin");
    std::fs::create_dir_all(&empty).unwrap();
    let with = env.path("bin");
    let opener = env.write("bin/xdg-open", "#!/bin/sh\nexit 0\n");
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&opener, std::fs::Permissions::from_mode(0o755)).unwrap();
    }
    let browser_line = |path: &Path, display: Option<&str>| -> (i32, String) {
        let mut c = env.cmd();
        c.arg("doctor")
            .env("PATH", path)
            .env_remove("WAYLAND_DISPLAY");
        match display {
            Some(d) => c.env("DISPLAY", d),
            None => c.env_remove("DISPLAY"),
        };
        let out = c.output().unwrap();
        let text = String::from_utf8_lossy(&out.stdout).into_owned();
        let line = text
            .lines()
            .find(|l| l.contains(" browser"))
            .unwrap_or_else(|| panic!("no browser line in {text}"))
            .to_string();
        (out.status.code().unwrap(), line)
    };
    assert_eq!(
        browser_line(&empty, None),
        (
            0,
            "ok       browser: not configured (serve --open starts the system's browser)".into()
        )
    );
    let toml = env.write("rollcall.toml", "[serve]\nopen = true\n");
    let at = format!("{}:2", toml.display());
    assert_eq!(
        browser_line(&empty, Some(":0")),
        (
            1,
            format!("problem  browser (serve open = true at {at}): xdg-open not found on PATH: serve will print the address to open instead")
        )
    );
    assert_eq!(
        browser_line(&with, None),
        (
            1,
            format!("problem  browser (serve open = true at {at}): {} is there, but neither DISPLAY nor WAYLAND_DISPLAY is set: no window to open the page in", opener.display())
        )
    );
    assert_eq!(
        browser_line(&with, Some(":0")),
        (
            0,
            format!(
                "ok       browser (serve open = true at {at}): opens the page with {}",
                opener.display()
            )
        )
    );
}
