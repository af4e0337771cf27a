//! Every command-line definition (clap derive). Parsing only: `cmd/` does the work.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

use crate::input::Encoding;

/// Onboarding reports for a password-manager rollout, offline: ingest the console's user and
/// device exports into a DuckDB file, then filter, export, report and query them.
#[derive(Debug, Parser)]
#[command(name = "rollcall", version, about, max_term_width = 100)]
pub struct Cli {
    /// The database file (a plain DuckDB file).
    #[arg(
        long,
        global = true,
        env = "ROLLCALL_DB",
        default_value = "rollcall.duckdb",
        value_name = "PATH"
    )]
    pub db: PathBuf,

    /// A folder whose SQL files override the built-in queries/ by relative path and add custom
    /// filters (NAME.sql or filters/NAME.sql) and saved queries (saved/NAME.sql).
    #[arg(long, global = true, env = "ROLLCALL_QUERIES", value_name = "DIR")]
    pub queries: Option<PathBuf>,

    /// No progress bars.
    #[arg(long, short, global = true)]
    pub quiet: bool,

    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Ingest a users export (and optionally a devices export) as a new snapshot.
    Ingest(IngestArgs),
    /// List the snapshots in the database.
    Snapshots(ListArgs),
    /// List the rows an ingest rejected, with file, line, column and reason.
    Rejects(RejectsArgs),
    /// Write a deterministic synthetic organisation (users.csv, devices.csv) of any size.
    Sample(SampleArgs),
    /// List users, filtered and sorted, like the console's Users list.
    Users(UsersArgs),
    /// The onboarding funnel, facet counts and data-quality notices.
    Summary(SummaryArgs),
    /// One user's details, as the console's User Details page shows them.
    Show(ShowArgs),
    /// Export exactly the filtered list, with a provenance manifest beside it.
    Export(ExportArgs),
    /// Run read-only SQL over the documented views.
    Query(QueryArgs),
    /// List the filters usable with --filter, with their descriptions.
    Filters,
    /// Write a self-contained HTML report that works offline.
    Report(ReportArgs),
    /// Preview the report on a local web server (127.0.0.1 only).
    Serve(ServeArgs),
}

/// Output formats for listings.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ListFormat {
    Table,
    Csv,
    Json,
}

#[derive(Debug, Args)]
pub struct IngestArgs {
    /// The users export (CSV or JSON).
    #[arg(long, value_name = "FILE")]
    pub users: PathBuf,
    /// The devices export (CSV or JSON).
    #[arg(long, value_name = "FILE")]
    pub devices: Option<PathBuf>,
    /// The instant activity is measured at (ISO 8601; default: now).
    #[arg(long, value_name = "TIMESTAMP")]
    pub as_of: Option<String>,
    /// A label for the snapshot.
    #[arg(long, value_name = "TEXT")]
    pub label: Option<String>,
    /// Fail, writing nothing, if any row would be rejected.
    #[arg(long)]
    pub strict: bool,
    /// The text encoding of the input files.
    #[arg(long, value_enum, default_value = "utf-8")]
    pub encoding: Encoding,
    /// An extra timestamp layout (chrono strftime syntax, e.g. "%d/%m/%Y %H:%M"); repeatable.
    #[arg(long = "date-format", value_name = "FMT")]
    pub date_formats: Vec<String>,
}

#[derive(Debug, Args)]
pub struct ListArgs {
    /// Output format.
    #[arg(long, value_enum, default_value = "table")]
    pub format: ListFormat,
}

#[derive(Debug, Args)]
pub struct RejectsArgs {
    /// The snapshot (default: the latest).
    #[arg(long, value_name = "ID")]
    pub snapshot: Option<i64>,
    /// Output format.
    #[arg(long, value_enum, default_value = "table")]
    pub format: ListFormat,
}

#[derive(Debug, Args)]
pub struct SampleArgs {
    /// How many users.
    #[arg(long, value_name = "N")]
    pub users: u64,
    /// The random seed; the same seed gives the same files.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// The folder to write users.csv and devices.csv to.
    #[arg(long, value_name = "DIR", default_value = "sample")]
    pub out: PathBuf,
    /// The instant the organisation's activity is relative to.
    #[arg(long, value_name = "TIMESTAMP", default_value = crate::sample::DEFAULT_AS_OF)]
    pub as_of: String,
}

/// The console's filters, shared by users, summary, export, report and serve.
#[derive(Debug, Args, Clone, Default)]
pub struct FilterArgs {
    /// License: assigned or unassigned. Repeat to OR values.
    #[arg(long, value_name = "VALUE", value_parser = ["assigned", "unassigned"], help_heading = "Filters")]
    pub license: Vec<String>,
    /// Status: no-license, pending or using. Repeat to OR values.
    #[arg(long, value_name = "VALUE", value_parser = ["no-license", "pending", "using"], help_heading = "Filters")]
    pub status: Vec<String>,
    /// Activity in the window: active, inactive or never. Repeat to OR values.
    #[arg(long, value_name = "VALUE", value_parser = ["active", "inactive", "never"], help_heading = "Filters")]
    pub activity: Vec<String>,
    /// Enpass Hub authentication: authenticated or never. Repeat to OR values.
    #[arg(long, value_name = "VALUE", value_parser = ["authenticated", "never"], help_heading = "Filters")]
    pub hub: Vec<String>,
    /// Provisioned via SCIM: yes or no.
    #[arg(long, value_name = "VALUE", value_parser = ["yes", "no"], help_heading = "Filters")]
    pub scim: Vec<String>,
    /// Setup reminders sent: 0, 1, 2 or 3+. Repeat to OR values.
    #[arg(long, value_name = "VALUE", value_parser = ["0", "1", "2", "3+"], help_heading = "Filters")]
    pub reminders: Vec<String>,
    /// A named filter (a NAME.sql predicate; see `rollcall filters`). Repeatable, AND-ed.
    #[arg(long = "filter", value_name = "NAME", help_heading = "Filters")]
    pub filters: Vec<String>,
    /// Name or email contains TEXT (case-insensitive, Unicode-aware).
    #[arg(long, value_name = "TEXT", help_heading = "Filters")]
    pub search: Option<String>,
    /// The activity window in days.
    #[arg(long, value_name = "N", default_value_t = 30, value_parser = clap::value_parser!(i64).range(1..=36500), help_heading = "Filters")]
    pub window_days: i64,
    /// Measure activity at this instant instead of the snapshot's as-of.
    #[arg(long, value_name = "TIMESTAMP", help_heading = "Filters")]
    pub as_of: Option<String>,
    /// The snapshot to read (default: the latest).
    #[arg(long, value_name = "ID", help_heading = "Filters")]
    pub snapshot: Option<i64>,
}

/// Output formats of `users`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum UsersFormat {
    Table,
    Csv,
    Json,
    Ndjson,
}

#[derive(Debug, Args)]
pub struct UsersArgs {
    #[command(flatten)]
    pub filters: FilterArgs,
    /// Output format.
    #[arg(long, value_enum, default_value = "table")]
    pub format: UsersFormat,
    /// Sort by a column, ascending, or descending with `:desc` (e.g. last_used:desc).
    #[arg(long, value_name = "FIELD[:desc]")]
    pub sort: Option<String>,
    /// The columns to show, comma-separated (default: name,email,scim,last_used,license,status).
    #[arg(long, value_name = "a,b,…", value_delimiter = ',')]
    pub columns: Vec<String>,
    /// Show at most N users.
    #[arg(long, value_name = "N")]
    pub limit: Option<u64>,
    /// Skip the first N users.
    #[arg(long, value_name = "N", default_value_t = 0)]
    pub offset: u64,
    /// Write to FILE instead of standard output.
    #[arg(long, short, value_name = "FILE")]
    pub output: Option<PathBuf>,
}

/// Output formats of `summary` and `show`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum SummaryFormat {
    Table,
    Json,
}

#[derive(Debug, Args)]
pub struct SummaryArgs {
    #[command(flatten)]
    pub filters: FilterArgs,
    /// Output format.
    #[arg(long, value_enum, default_value = "table")]
    pub format: SummaryFormat,
}

/// Output formats of `show`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ShowFormat {
    Text,
    Json,
}

#[derive(Debug, Args)]
pub struct ShowArgs {
    /// The user's email (case-insensitive).
    pub email: String,
    /// Output format.
    #[arg(long, value_enum, default_value = "text")]
    pub format: ShowFormat,
    /// The activity window in days.
    #[arg(long, value_name = "N", default_value_t = 30)]
    pub window_days: i64,
    /// Measure activity at this instant instead of the snapshot's as-of.
    #[arg(long, value_name = "TIMESTAMP")]
    pub as_of: Option<String>,
    /// The snapshot to read (default: the latest).
    #[arg(long, value_name = "ID")]
    pub snapshot: Option<i64>,
}

/// Export file formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ExportFormat {
    Csv,
    Json,
    Parquet,
}

#[derive(Debug, Args)]
pub struct ExportArgs {
    #[command(flatten)]
    pub filters: FilterArgs,
    /// The file to write; FILE.manifest.json is written beside it.
    #[arg(long, short, value_name = "FILE")]
    pub output: PathBuf,
    /// File format.
    #[arg(long, value_enum, default_value = "csv")]
    pub format: ExportFormat,
    /// Sort as `users --sort` does.
    #[arg(long, value_name = "FIELD[:desc]")]
    pub sort: Option<String>,
    /// The columns, as `users --columns` (default: the console's columns plus activity, hub, reminders).
    #[arg(long, value_name = "a,b,…", value_delimiter = ',')]
    pub columns: Vec<String>,
    /// Turn off the CSV formula-injection guard (cells are written exactly as stored).
    #[arg(long)]
    pub raw: bool,
}

#[derive(Debug, Args)]
#[command(group = clap::ArgGroup::new("source").required(true).args(["sql", "file", "saved", "list"]))]
pub struct QueryArgs {
    /// The SQL to run.
    pub sql: Option<String>,
    /// Read the SQL from a file.
    #[arg(long, value_name = "F.sql")]
    pub file: Option<PathBuf>,
    /// Run a saved query from queries/saved/.
    #[arg(long, value_name = "NAME")]
    pub saved: Option<String>,
    /// List the saved queries.
    #[arg(long)]
    pub list: bool,
    /// Output format.
    #[arg(long, value_enum, default_value = "table")]
    pub format: ListFormat,
    /// The snapshot the views show (default: the latest).
    #[arg(long, value_name = "ID")]
    pub snapshot: Option<i64>,
    /// Measure activity at this instant instead of the snapshot's as-of.
    #[arg(long, value_name = "TIMESTAMP")]
    pub as_of: Option<String>,
    /// The activity window in days.
    #[arg(long, value_name = "N", default_value_t = 30)]
    pub window_days: i64,
}

#[derive(Debug, Args)]
pub struct ReportArgs {
    #[command(flatten)]
    pub filters: FilterArgs,
    /// The folder to write index.html, users.csv and manifest.json to.
    #[arg(long, value_name = "DIR", default_value = "rollcall-report")]
    pub out: PathBuf,
    /// The report's title.
    #[arg(long, value_name = "TEXT", default_value = "Onboarding report")]
    pub title: String,
    /// A folder of templates overriding the built-in report-templates/ (missing files fall back).
    #[arg(long, value_name = "DIR")]
    pub templates: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct ServeArgs {
    #[command(flatten)]
    pub filters: FilterArgs,
    /// The port on 127.0.0.1 (0 picks a free one).
    #[arg(long, default_value_t = 8765)]
    pub port: u16,
    /// The report's title.
    #[arg(long, value_name = "TEXT", default_value = "Onboarding report")]
    pub title: String,
    /// A folder of templates overriding the built-in ones.
    #[arg(long, value_name = "DIR")]
    pub templates: Option<PathBuf>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn cli_definition_is_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn wrong_filter_value_lists_valid_ones() {
        let err = Cli::try_parse_from(["rollcall", "users", "--status", "actve"]).unwrap_err();
        let text = err.to_string();
        assert!(
            text.contains("actve") && text.contains("no-license, pending, using"),
            "{text}"
        );
    }
}
