//! One module per subcommand; `run` dispatches. Commands print; the library below them returns data.

use std::io::Write;
use std::path::Path;

use anyhow::{Context, Result};

use crate::cli::{Cli, Command};
use crate::queries::Sql;
use crate::store::{Access, Store};

/// `eprintln!` that never panics: see [`stderr_line`].
macro_rules! note {
    ($($arg:tt)*) => {
        $crate::cmd::stderr_line(&format!($($arg)*))
    };
}

mod ingest;
mod query;
pub mod read;
mod report;
mod sample;
mod serve;
mod snapshots;

pub fn run(cli: Cli) -> Result<()> {
    let sql = Sql::new(cli.queries.clone())?;
    let ctx = Ctx {
        db: cli.db,
        sql,
        quiet: cli.quiet,
    };
    match cli.command {
        Command::Ingest(a) => ingest::run(&ctx, a),
        Command::Snapshots(a) => snapshots::list(&ctx, a),
        Command::Rejects(a) => snapshots::rejects(&ctx, a),
        Command::Sample(a) => sample::run(&ctx, a),
        Command::Users(a) => read::users(&ctx, a),
        Command::Summary(a) => read::summary(&ctx, a),
        Command::Show(a) => read::show(&ctx, a),
        Command::Export(a) => read::export(&ctx, a),
        Command::Filters => read::filters(&ctx),
        Command::Query(a) => query::run(&ctx, a),
        Command::Report(a) => report::run(&ctx, a),
        Command::Serve(a) => serve::run(&ctx, a),
    }
}

/// What every command gets: where the database is and which SQL is in force.
pub struct Ctx {
    pub db: std::path::PathBuf,
    pub sql: Sql,
    pub quiet: bool,
}

impl Ctx {
    pub fn open(&self, access: Access) -> Result<Store> {
        Store::open(&self.db, access, self.sql.clone())
    }
}

/// Parses a timestamp given on the command line, naming the flag when it is wrong.
pub fn parse_instant(flag: &str, text: &str) -> Result<chrono::DateTime<chrono::Utc>> {
    crate::contract::parse_iso(text.trim()).ok_or_else(|| {
        crate::error::Failure::Usage(format!(
            "{flag} '{text}': expected an ISO 8601 date or timestamp such as 2026-11-26 or 2026-11-26T12:00:00Z"
        ))
        .into()
    })
}

/// Writes to `-o FILE` or standard output; a closed pipe (`| head`) is not an error.
/// Writes a line to standard error. With stderr closed (`2>&- `, a pipe whose reader left) the
/// line is dropped: a status line is not worth a panic.
pub fn stderr_line(text: &str) {
    let _ = writeln!(std::io::stderr().lock(), "{text}");
}

pub fn emit(output: Option<&Path>, text: &str) -> Result<()> {
    match output {
        Some(p) => std::fs::write(p, text).with_context(|| format!("writing {}", p.display())),
        None => {
            let mut out = std::io::stdout().lock();
            match out.write_all(text.as_bytes()).and_then(|_| out.flush()) {
                Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
                other => other.context("writing to standard output"),
            }
        }
    }
}
