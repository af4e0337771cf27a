//! One module per subcommand; `run` dispatches. A command turns its flags into the library's
//! values (a [`ReadRequest`], a [`FilterSet`]), calls the library and prints what comes back.
//! Nothing below `cmd/` sees the command line.

use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};

use crate::cli::{Cli, ColorChoice, Command, FilterArgs};
use crate::domain::{Dimension, FilterSet};
use crate::error::Failure;
use crate::read::{ReadRequest, Reader};
use crate::sql::Sql;

/// `eprintln!` that never panics: see [`crate::util::stderr_line`].
macro_rules! note {
    ($($arg:tt)*) => {
        $crate::util::stderr_line(&format!($($arg)*))
    };
}

mod check;
mod completions;
mod config;
mod diff;
mod doctor;
mod export;
mod export_db;
mod filters;
mod ingest;
mod keygen;
mod licenses;
mod man;
mod query;
mod remind;
mod report;
mod sample;
mod serve;
mod show;
mod snapshots;
mod summary;
mod trend;
mod users;
mod verify;

pub fn run(cli: Cli) -> Result<()> {
    if let Command::Doctor = cli.command {
        return doctor::run(&cli.db, cli.queries.as_deref(), &cli.settings);
    }
    let sql = Sql::new(cli.queries.clone())?;
    let ctx = Ctx {
        db: cli.db,
        sql,
        quiet: cli.quiet,
        settings: cli.settings,
        color: cli.color,
    };
    match cli.command {
        Command::Ingest(a) => ingest::run(&ctx, a),
        Command::Snapshots(a) => snapshots::list(&ctx, a),
        Command::Rejects(a) => snapshots::rejects(&ctx, a),
        Command::Sample(a) => sample::run(a),
        Command::Users(a) => users::run(&ctx, a),
        Command::Summary(a) => summary::run(&ctx, a),
        Command::Show(a) => show::run(&ctx, a),
        Command::Export(a) => export::run(&ctx, a),
        Command::Filters => filters::run(&ctx),
        Command::Query(a) => query::run(&ctx, a),
        Command::Check(a) => check::run(&ctx, a),
        Command::ExportDb(a) => export_db::run(&ctx, a),
        Command::Report(a) => report::run(&ctx, a),
        Command::Serve(a) => serve::run(&ctx, a),
        Command::Remind(c) => remind::run(&ctx, c),
        Command::Licenses(c) => licenses::run(&ctx, c),
        Command::Diff(a) => diff::run(&ctx, a),
        Command::Trend(a) => trend::run(&ctx, a),
        Command::Keygen(a) => keygen::run(a),
        Command::Verify(a) => verify::run(&ctx, a),
        Command::Config(a) => config::run(&ctx, a),
        Command::Doctor => unreachable!("doctor runs before the context is made"),
        Command::Completions(a) => completions::run(a),
        Command::Man(a) => man::run(a),
    }
}

/// What every command gets: where the database is and which SQL is in force.
struct Ctx {
    db: PathBuf,
    sql: Sql,
    quiet: bool,
    /// The configuration file and each setting's source (`config`, `doctor`, the seats' source).
    settings: crate::config::Settings,
    color: ColorChoice,
}

impl Ctx {
    /// How text bound for `output` (`-o FILE`, or standard output when `None`) is coloured:
    /// never in a file; on standard output as `--color` says.
    fn paint(&self, output: Option<&Path>) -> crate::style::Paint {
        use crate::style::Paint;
        match (output, self.color) {
            (Some(_), _) | (None, ColorChoice::Never) => Paint::PLAIN,
            (None, ColorChoice::Always) => Paint::COLOUR,
            (None, ColorChoice::Auto) => Paint::auto(),
        }
    }

    /// Opens the database read-only for a request's scope.
    fn reader(&self, request: &ReadRequest) -> Result<Reader> {
        Reader::open(&self.db, &self.sql, request)
    }

    /// Checks the filter flags, then opens the database for them and checks custom filters:
    /// what every filtered read starts with.
    fn filtered(&self, a: &FilterArgs) -> Result<(Reader, FilterSet)> {
        let filters = filter_set(a)?;
        let reader = self.reader(&request(a.snapshot, a.as_of.as_deref(), a.window_days)?)?;
        reader.check(&filters)?;
        Ok((reader, filters))
    }
}

/// The seats setting (`--seats`, or `seats` in the configuration file) with its source, as the
/// reader takes it (see [`Reader::assume_seats`]).
fn seats_setting(ctx: &Ctx, seats: Option<i64>) -> Option<(i64, &'static str)> {
    let source = match ctx.settings.source("seats") {
        crate::config::Source::Flag => "flag",
        _ => "config",
    };
    seats.map(|n| (n, source))
}

/// The filter flags as (key, value) pairs: the same pairs the server builds from a URL.
fn filter_pairs(a: &FilterArgs) -> Vec<(&'static str, &str)> {
    let dims: [(Dimension, &Vec<String>); 6] = [
        (Dimension::License, &a.license),
        (Dimension::Status, &a.status),
        (Dimension::Activity, &a.activity),
        (Dimension::Hub, &a.hub),
        (Dimension::Scim, &a.scim),
        (Dimension::Reminders, &a.reminders),
    ];
    let mut pairs: Vec<(&'static str, &str)> = dims
        .iter()
        .flat_map(|(d, values)| values.iter().map(|v| (d.name(), v.as_str())))
        .collect();
    pairs.extend(a.filters.iter().map(|f| ("filter", f.as_str())));
    pairs.extend(a.search.iter().map(|s| ("search", s.as_str())));
    pairs
}

fn filter_set(a: &FilterArgs) -> Result<FilterSet> {
    FilterSet::from_pairs(filter_pairs(a)).map_err(|e| Failure::Usage(e).into())
}

/// `--snapshot`, `--as-of` and `--window-days` as a read request.
fn request(snapshot: Option<i64>, as_of: Option<&str>, window_days: i64) -> Result<ReadRequest> {
    Ok(ReadRequest {
        snapshot,
        as_of: as_of.map(|t| parse_instant("--as-of", t)).transpose()?,
        window_days,
    })
}

/// Parses a timestamp given on the command line, naming the flag when it is wrong.
fn parse_instant(flag: &str, text: &str) -> Result<chrono::DateTime<chrono::Utc>> {
    crate::ingest::parse_iso(text.trim()).ok_or_else(|| {
        Failure::Usage(format!(
            "{flag} '{text}': expected an ISO 8601 date or timestamp such as 2026-11-26 or 2026-11-26T12:00:00Z"
        ))
        .into()
    })
}

/// Writes to `-o FILE` or standard output; a closed pipe (`| head`) is not an error.
fn emit(output: Option<&Path>, text: &str) -> Result<()> {
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
