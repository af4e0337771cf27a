//! `rollcall doctor`: checks the set-up and says in plain words, one line each, what is fine and
//! what is not: the configuration file, the database, the queries and templates folders, the
//! mail settings and the browser `serve --open` starts. Exit 0 when all is well, 1 when anything is not. It changes nothing: the
//! database is opened read-only and never upgraded, and no message is sent.

use std::path::{Path, PathBuf};

use anyhow::Result;
use clap::{Args, FromArgMatches};

use crate::cli::DeliveryArgs;
use crate::config::{Setting, Settings, Source};
use crate::domain::FilterSet;
use crate::error::Failure;
use crate::read::{ReadRequest, Reader};
use crate::remind::Delivery;
use crate::report::Templates;
use crate::sql::Sql;
use crate::store::{self, handover};

/// One line of the report.
enum Status {
    Ok,
    Problem,
    /// Not checked, because something it needs is not there (no database for the filters).
    Skipped,
}

struct Report {
    lines: Vec<(Status, String, String)>,
}

impl Report {
    fn add(&mut self, status: Status, what: &str, detail: impl Into<String>) {
        self.lines.push((status, what.to_string(), detail.into()));
    }

    fn problems(&self) -> usize {
        self.lines
            .iter()
            .filter(|(s, _, _)| matches!(s, Status::Problem))
            .count()
    }

    fn text(&self) -> String {
        self.lines
            .iter()
            .map(|(s, what, detail)| {
                let s = match s {
                    Status::Ok => "ok",
                    Status::Problem => "problem",
                    Status::Skipped => "skipped",
                };
                format!("{s:<8} {what}: {detail}\n")
            })
            .collect()
    }
}

/// Runs before the usual context is made: a queries folder that is not there is one of the
/// problems to report, not a reason to stop.
pub(super) fn run(db: &Path, queries: Option<&Path>, settings: &Settings) -> Result<()> {
    let mut r = Report { lines: Vec::new() };
    config(&mut r, settings);
    let sql = match Sql::new(queries.map(Path::to_path_buf)) {
        Ok(sql) => Some(sql),
        Err(e) => {
            r.add(Status::Problem, "queries", format!("{e:#}"));
            None
        }
    };
    let usable = database(&mut r, db, sql.clone().unwrap_or_default());
    if let Some(sql) = &sql {
        filters(&mut r, db, sql, queries, usable);
    }
    templates(&mut r, settings)?;
    mail(&mut r, settings)?;
    browser(&mut r, settings)?;
    super::emit(None, &r.text())?;
    match r.problems() {
        0 => Ok(()),
        n => Err(anyhow::anyhow!(
            "doctor found {n} problem{}",
            if n == 1 { "" } else { "s" }
        )),
    }
}

fn config(r: &mut Report, s: &Settings) {
    match &s.error {
        Some(e) => r.add(Status::Problem, "config", e.clone()),
        None if s.file.is_some() => r.add(
            Status::Ok,
            "config",
            format!(
                "{}: parses; every key and value checked",
                super::config::file_line(s)
            ),
        ),
        None => r.add(Status::Ok, "config", super::config::file_line(s)),
    }
}

/// The database line; true when it can be read as this rollcall reads it (its schema current
/// and a snapshot in it), so the filters can be checked against it.
fn database(r: &mut Report, db: &Path, sql: Sql) -> bool {
    let what = "database";
    let shown = db.display();
    let writer = handover::live_writer(db);
    let health = match store::inspect(db, sql) {
        Ok(h) => h,
        Err(e) => {
            let said = match e.downcast_ref::<Failure>() {
                Some(Failure::Busy { pid, .. }) => {
                    let who = pid.or(writer.flatten());
                    let pid = who.map(|p| format!(" (PID {p})")).unwrap_or_default();
                    let ingest = if writer.is_some() {
                        ", an ingest writing a snapshot"
                    } else {
                        ""
                    };
                    format!(
                        "{shown} is held for writing by another process{pid}{ingest}: reading commands fail until it ends (ingest --wait waits for it)"
                    )
                }
                _ => format!("{e:#}"),
            };
            r.add(Status::Problem, what, said);
            return false;
        }
    };
    let current = store::SCHEMA_VERSION;
    let version = health.schema;
    let mut usable = false;
    if version > current {
        r.add(
            Status::Problem,
            what,
            format!(
                "{shown} has schema version {version}, written by a newer rollcall; this rollcall {} reads up to version {current}: upgrade rollcall",
                crate::VERSION
            ),
        );
    } else if version == 0 || health.snapshots.is_empty() {
        r.add(
            Status::Problem,
            what,
            format!("{shown} holds no snapshot yet: run `rollcall ingest --users FILE`"),
        );
    } else {
        let n = health.snapshots.len();
        let latest = health.snapshots.last().expect("not empty");
        let schema = if version == current {
            format!("schema version {version} (this rollcall's)")
        } else {
            format!(
                "schema version {version}, older than this rollcall's {current}: the next command upgrades it, keeping a backup"
            )
        };
        usable = version == current;
        r.add(
            Status::Ok,
            what,
            format!(
                "{shown}: {schema}; {n} snapshot{}, the latest #{} as of {} UTC",
                if n == 1 { "" } else { "s" },
                latest.id,
                latest.as_of.format("%Y-%m-%d %H:%M")
            ),
        );
    }
    if let Some(pid) = writer {
        let pid = pid.map(|p| format!(" (PID {p})")).unwrap_or_default();
        r.add(
            Status::Problem,
            what,
            format!("an ingest{pid} is waiting to write {shown}, or writing it"),
        );
    }
    usable
}

/// Every custom filter of the queries folder, checked against the users view as `--filter`
/// checks it.
fn filters(r: &mut Report, db: &Path, sql: &Sql, dir: Option<&Path>, usable: bool) {
    let what = "queries";
    let Some(dir) = dir else {
        r.add(Status::Ok, what, "built-in (no --queries folder)");
        return;
    };
    let custom: Vec<String> = match sql.filters() {
        Ok(all) => all
            .into_values()
            .filter(|f| f.origin != "built-in")
            .map(|f| f.name)
            .collect(),
        Err(e) => {
            r.add(Status::Problem, what, format!("{e:#}"));
            return;
        }
    };
    if !usable {
        r.add(
            Status::Skipped,
            what,
            format!(
                "{}: its filters are checked against a readable database",
                dir.display()
            ),
        );
        return;
    }
    // Opening a reader runs the folder's overrides of the views too.
    let reader = match Reader::open(db, sql, &ReadRequest::default()) {
        Ok(reader) => reader,
        Err(e) => {
            r.add(Status::Problem, what, format!("{}: {e:#}", dir.display()));
            return;
        }
    };
    let mut bad = 0;
    for name in &custom {
        let checked = FilterSet::from_pairs(vec![("filter", name.as_str())])
            .map_err(|e| anyhow::anyhow!(e))
            .and_then(|f| reader.check(&f));
        if let Err(e) = checked {
            bad += 1;
            r.add(Status::Problem, what, format!("{e:#}"));
        }
    }
    if bad == 0 {
        r.add(
            Status::Ok,
            what,
            format!(
                "{}: every custom filter works against the users view ({})",
                dir.display(),
                custom.len()
            ),
        );
    }
}

/// The commands whose settings name a templates folder or say where reminders go.
const TEMPLATE_USERS: &[&[&str]] = &[
    &["report"],
    &["serve"],
    &["remind", "send"],
    &["remind", "preview"],
];
const MAIL_USERS: &[&[&str]] = &[&["remind", "send"], &["serve"]];
const MAIL_KEYS: &[&str] = &["via", "outbox", "sendmail", "smtp_url", "smtp_tls"];

fn path(p: &[&str]) -> Vec<String> {
    p.iter().map(|s| s.to_string()).collect()
}

/// Every templates folder a command would use (the configuration file may set one for all, or
/// one per command), each parsed.
fn templates(r: &mut Report, s: &Settings) -> Result<()> {
    let mut dirs: Vec<PathBuf> = Vec::new();
    for p in TEMPLATE_USERS {
        for x in s.for_command(&path(p))? {
            if x.key == "templates" {
                dirs.extend(x.values.first().map(PathBuf::from));
            }
        }
    }
    dirs.sort();
    dirs.dedup();
    if dirs.is_empty() {
        r.add(
            Status::Ok,
            "templates",
            "built-in (no --templates folder set)",
        );
    }
    for d in dirs {
        match Templates::new(Some(d.clone())).map_err(|e| format!("{e:#}")) {
            Err(e) => r.add(Status::Problem, "templates", e),
            Ok(t) => match t.check() {
                Ok(n) => r.add(
                    Status::Ok,
                    "templates",
                    format!("{}: every template parses ({n})", d.display()),
                ),
                Err(e) => r.add(Status::Problem, "templates", e),
            },
        }
    }
    Ok(())
}

/// The delivery settings `remind send` and `serve` would use, where the configuration (or an
/// environment variable) sets any: the SMTP URL's form, the outbox's folder, the sendmail
/// program. Nothing is sent and no server is contacted.
fn mail(r: &mut Report, s: &Settings) -> Result<()> {
    let mut seen: Vec<Vec<String>> = Vec::new();
    for p in MAIL_USERS {
        let settings: Vec<Setting> = s
            .for_command(&path(p))?
            .into_iter()
            .filter(|x| MAIL_KEYS.contains(&x.key.as_str()))
            .collect();
        if !settings
            .iter()
            .any(|x| matches!(x.source, Source::File(_) | Source::Env(_)))
        {
            continue;
        }
        let argv: Vec<String> = settings
            .iter()
            .flat_map(|x| x.values.iter().map(move |v| format!("{}={v}", x.flag)))
            .collect();
        if seen.contains(&argv) {
            continue;
        }
        seen.push(argv.clone());
        let who = format!("mail ({})", p.join(" "));
        let cmd = DeliveryArgs::augment_args(clap::Command::new("rollcall").no_binary_name(true));
        let args = cmd
            .try_get_matches_from(&argv)
            .map_err(anyhow::Error::from)
            .and_then(|m| Ok(DeliveryArgs::from_arg_matches(&m)?));
        let delivery = args.and_then(|a| {
            if let Some(url) = &a.smtp_url {
                // Checks the URL's form and the TLS set-up; connects to nothing.
                crate::remind::Smtp::new(url, crate::remind::SmtpTls::None)?;
            }
            super::remind::delivery(&a)
        });
        match delivery {
            Err(e) => r.add(Status::Problem, &who, format!("{e:#}")),
            Ok(Delivery::Smtp { url, .. }) => r.add(
                Status::Ok,
                &who,
                format!("via {url}: well-formed (not contacted)"),
            ),
            Ok(Delivery::Outbox(dir)) => match writable(&dir) {
                Ok(()) => r.add(
                    Status::Ok,
                    &who,
                    format!("outbox {}: writable", dir.display()),
                ),
                Err(e) => r.add(
                    Status::Problem,
                    &who,
                    format!("outbox {}: {e}", dir.display()),
                ),
            },
            Ok(Delivery::Sendmail(program)) => match on_path(&program) {
                Some(found) => r.add(
                    Status::Ok,
                    &who,
                    format!("sendmail program {}", found.display()),
                ),
                None => r.add(
                    Status::Problem,
                    &who,
                    format!(
                        "sendmail program {}: not found{}",
                        program.display(),
                        if program.components().count() == 1 {
                            " on PATH"
                        } else {
                            ""
                        }
                    ),
                ),
            },
        }
    }
    if seen.is_empty() {
        r.add(
            Status::Ok,
            "mail",
            "not configured (remind send writes to ./rollcall-outbox unless told otherwise)",
        );
    }
    Ok(())
}

/// `serve --open`, where the configuration turns it on: the program that opens the page
/// (xdg-open, or open on macOS) must be there, and on Linux a display for a window.
fn browser(r: &mut Report, s: &Settings) -> Result<()> {
    let open = s
        .for_command(&path(&["serve"]))?
        .into_iter()
        .find(|x| x.key == "open")
        .filter(|x| matches!(x.source, Source::File(_) | Source::Env(_)))
        .filter(|x| x.values.iter().any(|v| v == "true"));
    let Some(open) = open else {
        r.add(
            Status::Ok,
            "browser",
            "not configured (serve --open starts the system's browser)",
        );
        return Ok(());
    };
    let who = format!("browser (serve open = true at {})", open.source.words());
    let opener = crate::server::BROWSER_OPENER;
    let Some(found) = on_path(Path::new(opener)) else {
        r.add(
            Status::Problem,
            &who,
            format!("{opener} not found on PATH: serve will print the address to open instead"),
        );
        return Ok(());
    };
    let display = ["DISPLAY", "WAYLAND_DISPLAY"]
        .iter()
        .any(|v| std::env::var_os(v).is_some_and(|x| !x.is_empty()));
    if cfg!(target_os = "linux") && !display {
        r.add(
            Status::Problem,
            &who,
            format!(
                "{} is there, but neither DISPLAY nor WAYLAND_DISPLAY is set: no window to open the page in",
                found.display()
            ),
        );
    } else {
        r.add(
            Status::Ok,
            &who,
            format!("opens the page with {}", found.display()),
        );
    }
    Ok(())
}

/// Whether files can be made in `dir`, or in the nearest folder above it that exists (the
/// outbox is created on the first send).
fn writable(dir: &Path) -> Result<(), String> {
    let mut at = dir;
    while !at.exists() {
        at = match at.parent() {
            Some(p) if !p.as_os_str().is_empty() => p,
            _ => Path::new("."),
        };
    }
    if !at.is_dir() {
        return Err(format!("{} is not a folder", at.display()));
    }
    tempfile::NamedTempFile::new_in(at)
        .map(drop)
        .map_err(|e| format!("cannot write in {}: {e}", at.display()))
}

/// The program as `Command::new` would find it: a path as given, a bare name on PATH.
fn on_path(program: &Path) -> Option<PathBuf> {
    let executable = |p: &Path| {
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            p.metadata()
                .is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
        }
        #[cfg(not(unix))]
        p.is_file()
    };
    if program.components().count() > 1 {
        return executable(program).then(|| program.to_path_buf());
    }
    std::env::split_paths(&std::env::var_os("PATH")?)
        .map(|d| d.join(program))
        .find(|p| executable(p))
}
