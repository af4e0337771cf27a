//! Every command-line definition (clap derive). Parsing only: `cmd/` does the work.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

use crate::ingest::input::Encoding;

/// Onboarding reports for a password-manager rollout, offline: ingest the console's user and
/// device exports into a DuckDB file, then filter, export, report and query them.
#[derive(Debug, Parser)]
#[command(name = "rollcall", version = crate::version_text(), about, max_term_width = 100)]
#[command(
    after_help = "Example:\n  rollcall sample --users 2000 --out org\n  rollcall ingest --users org/users.csv --devices org/devices.csv\n  rollcall summary && rollcall report --out rollcall-report"
)]
pub struct Cli {
    /// The database file (a plain DuckDB file).
    #[arg(
        long,
        global = true,
        env = "ROLLCALL_DB",
        default_value = "rollcall.duckdb",
        value_name = "PATH"
    )]
    pub(crate) db: PathBuf,

    /// A folder whose SQL files override the built-in queries/ by relative path and add custom
    /// filters (NAME.sql or filters/NAME.sql) and saved queries (saved/NAME.sql).
    #[arg(long, global = true, env = "ROLLCALL_QUERIES", value_name = "DIR")]
    pub(crate) queries: Option<PathBuf>,

    /// No progress bars.
    #[arg(long, short, global = true)]
    pub(crate) quiet: bool,

    /// The configuration file (default: ./rollcall.toml, else
    /// $XDG_CONFIG_HOME/rollcall/rollcall.toml); `rollcall config` shows what it sets.
    #[arg(long, global = true, env = "ROLLCALL_CONFIG", value_name = "FILE")]
    pub(crate) config: Option<PathBuf>,

    /// Read no configuration file (not even --config or ROLLCALL_CONFIG's).
    #[arg(long, global = true)]
    pub(crate) no_config: bool,

    /// The configuration file in force and where each setting came from: filled in by
    /// `config::parse_args`, which puts the file's values under clap.
    #[arg(skip)]
    pub(crate) settings: crate::config::Settings,

    /// Colour in text on standard output (check's PASS/WARN/FAIL, verify's ok/CHANGED…): auto
    /// colours only a terminal, and not when NO_COLOR is set; always overrides NO_COLOR. Files
    /// written with -o never get colour.
    #[arg(
        long,
        global = true,
        value_enum,
        value_name = "WHEN",
        default_value = "auto"
    )]
    pub(crate) color: ColorChoice,

    #[command(subcommand)]
    pub(crate) command: Command,
}

#[derive(Debug, Subcommand)]
pub(crate) enum Command {
    /// Ingest a users export (and optionally a devices export) as a new snapshot.
    #[command(
        after_help = "Example:\n  rollcall ingest --users users.csv --devices devices.csv --as-of 2026-11-26"
    )]
    Ingest(IngestArgs),
    /// List the snapshots in the database.
    #[command(after_help = "Example:\n  rollcall snapshots --format csv")]
    Snapshots(ListArgs),
    /// List the rows an ingest rejected, with file, line, column and reason.
    #[command(after_help = "Example:\n  rollcall rejects --snapshot 2 --format csv")]
    Rejects(RejectsArgs),
    /// Write a deterministic synthetic organisation (users.csv, devices.csv) of any size, or a
    /// later snapshot of one with known changes (--evolve-from).
    #[command(after_help = "Example:\n  rollcall sample --users 2000 --seed 7 --out org")]
    Sample(SampleArgs),
    /// List users, filtered and sorted, like the console's Users list.
    #[command(
        after_help = "Example:\n  rollcall users --status pending --activity never --format csv -o stuck.csv"
    )]
    Users(UsersArgs),
    /// The onboarding funnel, facet counts and data-quality notices.
    #[command(after_help = "Example:\n  rollcall summary --hub never --window-days 60")]
    Summary(SummaryArgs),
    /// One user's details, as the console's User Details page shows them.
    #[command(after_help = "Example:\n  rollcall show dee@example.com --format json")]
    Show(ShowArgs),
    /// Export exactly the filtered list, with a provenance manifest beside it.
    #[command(
        after_help = "Example:\n  rollcall export --status pending --format parquet -o pending.parquet"
    )]
    Export(ExportArgs),
    /// Run read-only SQL over the documented views.
    #[command(
        after_help = "Example:\n  rollcall query \"SELECT status, count(*) FROM users GROUP BY status\""
    )]
    Query(QueryArgs),
    /// Check policy rules (a TOML file of SQL predicates over the users) and exit 1 if an
    /// error rule fails: text, JSON or JUnit XML for CI.
    #[command(
        after_help = "Example:\n  rollcall check --rules rules.toml --format junit -o check.xml"
    )]
    Check(CheckArgs),
    /// Write a copy of the database that an older DuckDB (1.4, 1.5) can open.
    #[command(
        after_help = "Example:\n  rollcall export-db rollcall-v1.4.duckdb --storage-version v1.4.0"
    )]
    ExportDb(ExportDbArgs),
    /// List the filters usable with --filter, with their descriptions.
    #[command(after_help = "Example:\n  rollcall filters")]
    Filters,
    /// Write a self-contained HTML report that works offline.
    #[command(
        after_help = "Example:\n  rollcall report --status pending --out pending-report --title \"Stuck in setup\""
    )]
    Report(ReportArgs),
    /// Preview the report on a local web server (127.0.0.1 only).
    #[command(after_help = "Example:\n  rollcall serve --port 8080 --open")]
    Serve(ServeArgs),
    /// Setup reminder emails for Pending users: preview one, or send them (to an outbox).
    #[command(subcommand)]
    #[command(after_help = "Example:\n  rollcall remind send --status pending --dry-run")]
    Remind(RemindCommand),
    /// The license worklist: whom to assign a license to or reclaim one from, the admin's
    /// decisions until a later snapshot confirms them, and the seats bought.
    #[command(subcommand)]
    #[command(after_help = "Example:\n  rollcall licenses todo --reclaim-after 60d")]
    Licenses(LicensesCommand),
    /// What changed for each user between two snapshots (default: the previous and the
    /// latest), each measured at its own as-of.
    #[command(
        after_help = "Example:\n  rollcall diff --transition became-active,hub-lost --format csv -o changes.csv"
    )]
    Diff(DiffArgs),
    /// The funnel and the filters' counts of every snapshot, in as-of order.
    #[command(after_help = "Example:\n  rollcall trend --format csv -o trend.csv")]
    Trend(TrendArgs),
    /// Make an Ed25519 key pair in minisign's format for --sign (KEYFILE and KEYFILE.pub).
    #[command(after_help = "Example:\n  rollcall keygen --out evidence.key")]
    Keygen(KeygenArgs),
    /// Check a report folder, an export or a manifest: every listed file's size and SHA-256,
    /// nothing added to a report folder, and with --pubkey the manifest's signature.
    #[command(
        after_help = "Example:\n  rollcall verify rollcall-report --pubkey evidence.key.pub"
    )]
    Verify(VerifyArgs),
    /// Show the settings in force and where each came from: a flag, an environment variable,
    /// the configuration file (and its line) or the built-in default.
    #[command(after_help = "Example:\n  rollcall config remind send")]
    Config(ConfigArgs),
    /// Check the set-up in plain words: the database, the configuration file, the queries and
    /// templates folders and the mail settings; exit 1 naming each problem.
    #[command(after_help = "Example:\n  rollcall doctor --db /srv/rollcall/acme.duckdb")]
    Doctor,
    /// Print a shell completion script (bash, zsh, fish, powershell or elvish) to standard output.
    #[command(
        after_help = "Example:\n  rollcall completions bash > /etc/bash_completion.d/rollcall"
    )]
    Completions(CompletionsArgs),
    /// Write a man page for every command and subcommand (rollcall.1, rollcall-ingest.1,
    /// rollcall-remind-send.1, …) to --out, or print rollcall.1 to standard output.
    #[command(after_help = "Example:\n  rollcall man --out ~/.local/share/man/man1")]
    Man(ManArgs),
}

#[derive(Debug, Args)]
pub(crate) struct ConfigArgs {
    /// The command whose settings to show (e.g. serve, or remind send); none: the global ones.
    #[arg(value_name = "COMMAND")]
    pub(crate) command: Vec<String>,
    /// Output format.
    #[arg(long, value_enum, default_value = "table")]
    pub(crate) format: SummaryFormat,
}

#[derive(Debug, Subcommand)]
pub(crate) enum LicensesCommand {
    /// Users without a license (to assign) and licensed users unused for longer than
    /// --reclaim-after (to reclaim), each with why and the state of any decision for them.
    #[command(
        after_help = "Example:\n  rollcall licenses todo --reclaim-after 60d --format csv -o todo.csv"
    )]
    Todo(LicensesTodoArgs),
    /// Record an admin's decision to assign or reclaim the users' licenses in the worklist.
    #[command(
        after_help = "Example:\n  rollcall licenses mark dee@example.com --reclaim --note \"left in October\""
    )]
    Mark(LicensesMarkArgs),
    /// Every decision in the worklist: open, or done with the snapshot that confirmed it.
    #[command(after_help = "Example:\n  rollcall licenses list --format json")]
    List(LicensesListArgs),
    /// Record the number of seats bought as of a snapshot (summary shows assigned / seats).
    #[command(after_help = "Example:\n  rollcall licenses seats 1500")]
    Seats(LicensesSeatsArgs),
}

#[derive(Debug, Args)]
pub(crate) struct LicensesTodoArgs {
    #[command(flatten)]
    pub(crate) filters: FilterArgs,
    /// A licensed user last used longer ago than this many days before the as-of (e.g. 90d),
    /// or never used, is a reclaim candidate.
    #[arg(long, value_name = "DAYS", default_value = "90d")]
    pub(crate) reclaim_after: String,
    /// Output format: CSV has a `kind` column (assign or reclaim), JSON an array of each.
    #[arg(long, value_enum, default_value = "table")]
    pub(crate) format: ListFormat,
    /// Write to FILE instead of standard output.
    #[arg(long, short, value_name = "FILE")]
    pub(crate) output: Option<PathBuf>,
}

#[derive(Debug, Args)]
#[command(group(clap::ArgGroup::new("action").required(true).args(["assign", "reclaim"])))]
pub(crate) struct LicensesMarkArgs {
    /// The users' emails (case-insensitive).
    #[arg(required = true, value_name = "EMAIL")]
    pub(crate) emails: Vec<String>,
    /// The admin will assign these users a license.
    #[arg(long)]
    pub(crate) assign: bool,
    /// The admin will reclaim these users' licenses.
    #[arg(long)]
    pub(crate) reclaim: bool,
    /// A note kept with each decision.
    #[arg(long, value_name = "TEXT")]
    pub(crate) note: Option<String>,
    /// The snapshot the decision is checked and marked against (default: the latest).
    #[arg(long, value_name = "ID")]
    pub(crate) snapshot: Option<i64>,
    /// How long to wait for the database while another process has it open (as `ingest --wait`).
    #[arg(long, value_name = "DURATION", default_value = "30s")]
    pub(crate) wait: String,
}

#[derive(Debug, Args)]
pub(crate) struct LicensesListArgs {
    /// Output format.
    #[arg(long, value_enum, default_value = "table")]
    pub(crate) format: ListFormat,
    /// Write to FILE instead of standard output.
    #[arg(long, short, value_name = "FILE")]
    pub(crate) output: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub(crate) struct LicensesSeatsArgs {
    /// The number of seats bought.
    #[arg(value_name = "N", value_parser = clap::value_parser!(i64).range(0..=100_000_000))]
    pub(crate) seats: i64,
    /// The snapshot the count is for (default: the latest).
    #[arg(long, value_name = "ID")]
    pub(crate) snapshot: Option<i64>,
    /// How long to wait for the database while another process has it open (as `ingest --wait`).
    #[arg(long, value_name = "DURATION", default_value = "30s")]
    pub(crate) wait: String,
}

// Parsed once per run: the size of the larger variant costs nothing worth a Box.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Subcommand)]
pub(crate) enum RemindCommand {
    /// Print the exact message a user's reminder would be: headers and both bodies.
    #[command(
        after_help = "Example:\n  rollcall remind preview dee@example.com --org \"Example Ltd\""
    )]
    Preview(RemindPreviewArgs),
    /// Send reminders to Pending users named by email or selected by filters, logging every
    /// attempt in the database's reminder_log.
    #[command(
        after_help = "Example:\n  rollcall remind send --status pending --via outbox --min-interval 72h"
    )]
    Send(RemindSendArgs),
}

/// Who reminders come from and on whose behalf (`remind`, and the Email Preview of `report` and
/// `serve`).
#[derive(Debug, Args, Clone)]
pub(crate) struct SenderArgs {
    /// The organisation's name, as the messages say it.
    #[arg(
        long,
        value_name = "NAME",
        env = "ROLLCALL_ORG",
        default_value = "Your organisation"
    )]
    pub(crate) org: String,
    /// The sender: an address, or `Name <address>`.
    #[arg(
        long,
        value_name = "ADDR",
        env = "ROLLCALL_FROM",
        default_value = "rollcall@localhost"
    )]
    pub(crate) from: String,
}

/// What every reminder is made of.
#[derive(Debug, Args, Clone)]
pub(crate) struct MessageArgs {
    #[command(flatten)]
    pub(crate) sender: SenderArgs,
    /// A folder of templates overriding the built-in report-templates/ (email/STAGE.subject.j2,
    /// email/STAGE.txt.j2, email/STAGE.html.j2 for STAGE activate, setup or data).
    #[arg(long, value_name = "DIR")]
    pub(crate) templates: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub(crate) struct RemindPreviewArgs {
    /// The user's email (case-insensitive).
    pub(crate) email: String,
    #[command(flatten)]
    pub(crate) message: MessageArgs,
    /// The snapshot to read (default: the latest).
    #[arg(long, value_name = "ID")]
    pub(crate) snapshot: Option<i64>,
}

/// Where reminders go.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum Via {
    /// One .eml file per message in --outbox.
    Outbox,
    /// Each message piped to the local MTA (`sendmail -t -i`, or --sendmail PATH).
    Sendmail,
    /// Each message sent to the SMTP server at --smtp-url.
    Smtp,
}

/// How `--via smtp` protects the connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum SmtpTlsArg {
    /// STARTTLS, or no delivery at all.
    Required,
    /// STARTTLS when the server offers it, plain text otherwise.
    Opportunistic,
    /// Plain text always (a trusted local relay).
    None,
}

/// Where reminders go (`remind send`, and `serve`'s Send Reminder).
#[derive(Debug, Args, Clone)]
pub(crate) struct DeliveryArgs {
    /// Where the messages go.
    #[arg(long, value_enum, default_value = "outbox")]
    pub(crate) via: Via,
    /// The outbox folder (--via outbox).
    #[arg(long, value_name = "DIR", default_value = "rollcall-outbox")]
    pub(crate) outbox: PathBuf,
    /// The MTA's sendmail program (--via sendmail); looked up on PATH unless a path is given.
    #[arg(long, value_name = "PATH", default_value = "sendmail")]
    pub(crate) sendmail: PathBuf,
    /// The SMTP server (--via smtp): smtp://HOST or smtp://HOST:PORT. Credentials come from
    /// ROLLCALL_SMTP_USER and ROLLCALL_SMTP_PASSWORD, never from the command line.
    #[arg(long, value_name = "URL")]
    pub(crate) smtp_url: Option<String>,
    /// STARTTLS with --via smtp: required (no delivery without it), opportunistic (when the
    /// server offers it) or none (plain text, for a trusted local relay).
    #[arg(long, value_enum, default_value = "required")]
    pub(crate) smtp_tls: SmtpTlsArg,
}

#[derive(Debug, Args)]
pub(crate) struct RemindSendArgs {
    /// The users' emails; or select them with the filters instead.
    pub(crate) emails: Vec<String>,
    #[command(flatten)]
    pub(crate) filters: FilterArgs,
    #[command(flatten)]
    pub(crate) message: MessageArgs,
    #[command(flatten)]
    pub(crate) delivery: DeliveryArgs,
    /// Say who would be sent what and who skipped; write and log nothing.
    #[arg(long)]
    pub(crate) dry_run: bool,
    /// Skip a user whom rollcall sent a reminder within this long (e.g. 24h, 90m).
    #[arg(long, value_name = "DURATION", default_value = "24h")]
    pub(crate) min_interval: String,
    /// Send even to users reminded within --min-interval.
    #[arg(long)]
    pub(crate) force: bool,
    /// Send more than 50 reminders without asking (needed when standard input is not a terminal).
    #[arg(long)]
    pub(crate) yes: bool,
    /// How long to wait for the database while another process has it open (as `ingest --wait`).
    #[arg(long, value_name = "DURATION", default_value = "30s")]
    pub(crate) wait: String,
}

/// Output formats for listings.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum ListFormat {
    Table,
    Csv,
    Json,
}

#[derive(Debug, Args)]
pub(crate) struct IngestArgs {
    /// The users export (CSV or JSON).
    #[arg(long, value_name = "FILE")]
    pub(crate) users: PathBuf,
    /// The devices export (CSV or JSON).
    #[arg(long, value_name = "FILE")]
    pub(crate) devices: Option<PathBuf>,
    /// The instant activity is measured at (ISO 8601; default: now).
    #[arg(long, value_name = "TIMESTAMP")]
    pub(crate) as_of: Option<String>,
    /// A label for the snapshot.
    #[arg(long, value_name = "TEXT")]
    pub(crate) label: Option<String>,
    /// Fail, writing nothing, if any row would be rejected.
    #[arg(long)]
    pub(crate) strict: bool,
    /// The text encoding of the input files.
    #[arg(long, value_enum, default_value = "utf-8")]
    pub(crate) encoding: Encoding,
    /// An extra timestamp layout (chrono strftime syntax, e.g. "%d/%m/%Y %H:%M"); repeatable.
    #[arg(long = "date-format", value_name = "FMT")]
    pub(crate) date_formats: Vec<String>,
    /// The largest input file read (e.g. 500MB, 4GiB); a larger file, or a device such as
    /// /dev/zero, is refused rather than read without bound.
    #[arg(long, value_name = "SIZE", default_value = "1GiB")]
    pub(crate) max_input_size: String,
    /// File an export that has a header but no data rows as an empty snapshot (refused otherwise).
    #[arg(long)]
    pub(crate) allow_empty: bool,
    /// A TOML file that renames columns, maps values and adds date layouts, for exports from
    /// other consoles (examples in queries/maps/).
    #[arg(long, value_name = "FILE")]
    pub(crate) map: Option<PathBuf>,
    /// How long to wait for the database while another process has it open (e.g. 30s, 2m,
    /// 1500ms): a running `rollcall serve` lets go of it and answers 503 until the snapshot is
    /// written. 0 fails at once (exit 3).
    #[arg(long, value_name = "DURATION", default_value = "30s")]
    pub(crate) wait: String,
}

#[derive(Debug, Args)]
pub(crate) struct ListArgs {
    /// Output format.
    #[arg(long, value_enum, default_value = "table")]
    pub(crate) format: ListFormat,
}

#[derive(Debug, Args)]
pub(crate) struct RejectsArgs {
    /// The snapshot (default: the latest).
    #[arg(long, value_name = "ID")]
    pub(crate) snapshot: Option<i64>,
    /// Output format.
    #[arg(long, value_enum, default_value = "table")]
    pub(crate) format: ListFormat,
}

#[derive(Debug, Args)]
pub(crate) struct SampleArgs {
    /// How many users (not with --evolve-from).
    #[arg(
        long,
        value_name = "N",
        required_unless_present = "evolve_from",
        conflicts_with = "evolve_from"
    )]
    pub(crate) users: Option<u64>,
    /// The random seed; the same seed gives the same files.
    #[arg(long, default_value_t = 1)]
    pub(crate) seed: u64,
    /// The folder to write users.csv and devices.csv to (and truth.json with --evolve-from).
    /// Default: sample, or DIR-plusNd beside DIR with --evolve-from DIR --days N.
    #[arg(long, value_name = "DIR")]
    pub(crate) out: Option<PathBuf>,
    /// The instant the organisation's activity is relative to (default 2026-11-26T12:00:00Z).
    /// With --evolve-from: the as-of of the snapshot in DIR, taken from DIR/truth.json when there
    /// is one (and then it must agree).
    #[arg(long, value_name = "TIMESTAMP")]
    pub(crate) as_of: Option<String>,
    /// Write a later snapshot of the organisation in DIR (users.csv and devices.csv as sample
    /// writes them) with a known set of changes, and the changes as truth.json beside it.
    #[arg(long, value_name = "DIR", requires = "days")]
    pub(crate) evolve_from: Option<PathBuf>,
    /// With --evolve-from: how many whole days (1 or more) after DIR's as-of the new snapshot is.
    #[arg(
        long,
        value_name = "N",
        requires = "evolve_from",
        allow_negative_numbers = true
    )]
    pub(crate) days: Option<i64>,
}

/// The console's filters, shared by users, summary, export, report and serve. Their values are
/// checked by the read layer, which checks the server's query parameters too: the same words
/// for a wrong value wherever it comes from.
#[derive(Debug, Args, Clone, Default)]
pub(crate) struct FilterArgs {
    /// License: assigned or unassigned. Repeat to OR values.
    #[arg(long, value_name = "VALUE", help_heading = "Filters")]
    pub(crate) license: Vec<String>,
    /// Status: no-license, pending or using. Repeat to OR values.
    #[arg(long, value_name = "VALUE", help_heading = "Filters")]
    pub(crate) status: Vec<String>,
    /// Activity in the window: active, inactive or never. Repeat to OR values.
    #[arg(long, value_name = "VALUE", help_heading = "Filters")]
    pub(crate) activity: Vec<String>,
    /// Enpass Hub authentication: authenticated or never. Repeat to OR values.
    #[arg(long, value_name = "VALUE", help_heading = "Filters")]
    pub(crate) hub: Vec<String>,
    /// Provisioned via SCIM: yes or no.
    #[arg(long, value_name = "VALUE", help_heading = "Filters")]
    pub(crate) scim: Vec<String>,
    /// Setup reminders sent: 0, 1, 2 or 3+. Repeat to OR values.
    #[arg(long, value_name = "VALUE", help_heading = "Filters")]
    pub(crate) reminders: Vec<String>,
    /// A named filter (a NAME.sql predicate; see `rollcall filters`). Repeatable, AND-ed.
    #[arg(long = "filter", value_name = "NAME", help_heading = "Filters")]
    pub(crate) filters: Vec<String>,
    /// Name or email contains TEXT (case-insensitive, Unicode-aware).
    #[arg(long, value_name = "TEXT", help_heading = "Filters")]
    pub(crate) search: Option<String>,
    /// The activity window in days.
    #[arg(long, value_name = "N", default_value_t = 30, value_parser = clap::value_parser!(i64).range(1..=36500), help_heading = "Filters")]
    pub(crate) window_days: i64,
    /// Measure activity at this instant instead of the snapshot's as-of.
    #[arg(long, value_name = "TIMESTAMP", help_heading = "Filters")]
    pub(crate) as_of: Option<String>,
    /// The snapshot to read (default: the latest).
    #[arg(long, value_name = "ID", help_heading = "Filters")]
    pub(crate) snapshot: Option<i64>,
}

/// Output formats of `users`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum UsersFormat {
    Table,
    Csv,
    Json,
    Ndjson,
}

#[derive(Debug, Args)]
pub(crate) struct UsersArgs {
    #[command(flatten)]
    pub(crate) filters: FilterArgs,
    /// Output format.
    #[arg(long, value_enum, default_value = "table")]
    pub(crate) format: UsersFormat,
    /// Sort by a column, ascending, or descending with `:desc` (e.g. last_used:desc).
    #[arg(long, value_name = "FIELD[:desc]")]
    pub(crate) sort: Option<String>,
    /// The columns to show, comma-separated (default: name,email,scim,last_used,license,status).
    #[arg(long, value_name = "a,b,…", value_delimiter = ',')]
    pub(crate) columns: Vec<String>,
    /// Show at most N users.
    #[arg(long, value_name = "N")]
    pub(crate) limit: Option<u64>,
    /// Skip the first N users.
    #[arg(long, value_name = "N", default_value_t = 0)]
    pub(crate) offset: u64,
    /// Write to FILE instead of standard output.
    #[arg(long, short, value_name = "FILE")]
    pub(crate) output: Option<PathBuf>,
}

/// Output formats of `summary` and `show`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum SummaryFormat {
    Table,
    Json,
}

#[derive(Debug, Args)]
pub(crate) struct SummaryArgs {
    #[command(flatten)]
    pub(crate) filters: FilterArgs,
    /// Output format.
    #[arg(long, value_enum, default_value = "table")]
    pub(crate) format: SummaryFormat,
    /// The seats bought, for a snapshot with no count recorded (`licenses seats` records one
    /// per snapshot, and a recorded count wins).
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(i64).range(0..=100_000_000))]
    pub(crate) seats: Option<i64>,
}

/// Which snapshot `diff`'s filters select users in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum DiffSideArg {
    From,
    To,
}

#[derive(Debug, Args)]
pub(crate) struct DiffArgs {
    /// The earlier snapshot (default: the one before --to, by as-of).
    #[arg(long, value_name = "ID")]
    pub(crate) from: Option<i64>,
    /// The later snapshot (default: the latest).
    #[arg(long, value_name = "ID")]
    pub(crate) to: Option<i64>,
    #[command(flatten)]
    pub(crate) filters: FilterArgs,
    /// The snapshot the filters select users in: to (default) or from (to follow, say, the
    /// users who were pending then).
    #[arg(long, value_enum, default_value = "to")]
    pub(crate) side: DiffSideArg,
    /// Keep only these transitions (repeat or comma-separate; `rollcall diff --help` and the
    /// README list them).
    #[arg(long = "transition", value_name = "T", value_delimiter = ',')]
    pub(crate) transitions: Vec<String>,
    /// Output format.
    #[arg(long, value_enum, default_value = "table")]
    pub(crate) format: ListFormat,
    /// Write to FILE (and its provenance to FILE.manifest.json) instead of standard output.
    #[arg(long, short, value_name = "FILE")]
    pub(crate) output: Option<PathBuf>,
    #[command(flatten)]
    pub(crate) sign: SignArgs,
    #[command(flatten)]
    pub(crate) pseudo: PseudoArgs,
}

#[derive(Debug, Args)]
pub(crate) struct TrendArgs {
    #[command(flatten)]
    pub(crate) filters: FilterArgs,
    /// Output format.
    #[arg(long, value_enum, default_value = "table")]
    pub(crate) format: ListFormat,
    /// Write to FILE instead of standard output.
    #[arg(long, short, value_name = "FILE")]
    pub(crate) output: Option<PathBuf>,
}

/// Output formats of `show`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum ShowFormat {
    Text,
    Json,
}

#[derive(Debug, Args)]
pub(crate) struct ShowArgs {
    /// The user's email (case-insensitive).
    pub(crate) email: String,
    /// Output format.
    #[arg(long, value_enum, default_value = "text")]
    pub(crate) format: ShowFormat,
    /// The activity window in days.
    #[arg(long, value_name = "N", default_value_t = 30)]
    pub(crate) window_days: i64,
    /// Measure activity at this instant instead of the snapshot's as-of.
    #[arg(long, value_name = "TIMESTAMP")]
    pub(crate) as_of: Option<String>,
    /// The snapshot to read (default: the latest).
    #[arg(long, value_name = "ID")]
    pub(crate) snapshot: Option<i64>,
}

/// Export file formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum ExportFormat {
    Csv,
    Json,
    Parquet,
}

#[derive(Debug, Args)]
pub(crate) struct ExportArgs {
    #[command(flatten)]
    pub(crate) filters: FilterArgs,
    /// The file to write; FILE.manifest.json is written beside it.
    #[arg(long, short, value_name = "FILE")]
    pub(crate) output: PathBuf,
    #[command(flatten)]
    pub(crate) pseudo: PseudoArgs,
    /// File format.
    #[arg(long, value_enum, default_value = "csv")]
    pub(crate) format: ExportFormat,
    /// Sort as `users --sort` does.
    #[arg(long, value_name = "FIELD[:desc]")]
    pub(crate) sort: Option<String>,
    /// The columns, as `users --columns` (default: the console's columns plus activity, hub, reminders).
    #[arg(long, value_name = "a,b,…", value_delimiter = ',')]
    pub(crate) columns: Vec<String>,
    /// Turn off the CSV formula-injection guard (cells are written exactly as stored).
    #[arg(long)]
    pub(crate) raw: bool,
    #[command(flatten)]
    pub(crate) sign: SignArgs,
}

#[derive(Debug, Args)]
#[command(group = clap::ArgGroup::new("source").required(true).args(["sql", "file", "saved", "list"]))]
pub(crate) struct QueryArgs {
    /// The SQL to run.
    pub(crate) sql: Option<String>,
    /// Read the SQL from a file.
    #[arg(long, value_name = "F.sql")]
    pub(crate) file: Option<PathBuf>,
    /// Run a saved query from queries/saved/.
    #[arg(long, value_name = "NAME")]
    pub(crate) saved: Option<String>,
    /// List the saved queries.
    #[arg(long)]
    pub(crate) list: bool,
    /// Output format: csv and json print every row as it arrives; a table shows the first
    /// 10,000 and counts the rest.
    #[arg(long, value_enum, default_value = "table")]
    pub(crate) format: ListFormat,
    /// Turn off the CSV formula-injection guard on text cells (numbers are never guarded).
    #[arg(long)]
    pub(crate) raw: bool,
    /// Stop the query after this long (e.g. 60s, 5m, 1500ms). Time the output spends waiting
    /// for a slow reader (`| less`) does not count.
    #[arg(long, value_name = "DURATION", default_value = "60s")]
    pub(crate) timeout: String,
    /// The most memory the query may use (e.g. 2GB, 512MiB; default: half of this machine's).
    #[arg(long, value_name = "SIZE")]
    pub(crate) memory_limit: Option<String>,
    /// The snapshot the views show (default: the latest).
    #[arg(long, value_name = "ID")]
    pub(crate) snapshot: Option<i64>,
    /// Measure activity at this instant instead of the snapshot's as-of.
    #[arg(long, value_name = "TIMESTAMP")]
    pub(crate) as_of: Option<String>,
    /// The activity window in days.
    #[arg(long, value_name = "N", default_value_t = 30)]
    pub(crate) window_days: i64,
}

/// Output formats of `check`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum CheckFormat {
    Text,
    Json,
    Junit,
}

#[derive(Debug, Args)]
pub(crate) struct CheckArgs {
    /// The rules file (TOML; README's "Policy checks", example in queries/rules/example.toml).
    #[arg(long, value_name = "FILE")]
    pub(crate) rules: PathBuf,
    #[command(flatten)]
    pub(crate) filters: FilterArgs,
    /// Output format: text lists the first 20 offenders of each failing rule, json and junit
    /// all of them.
    #[arg(long, value_enum, default_value = "text")]
    pub(crate) format: CheckFormat,
    /// Write to FILE instead of standard output.
    #[arg(long, short, value_name = "FILE")]
    pub(crate) output: Option<PathBuf>,
    /// Stop the run after this long, all rules together (as `query --timeout`).
    #[arg(long, value_name = "DURATION", default_value = "60s")]
    pub(crate) timeout: String,
    /// The most memory the rules' SQL may use (as `query --memory-limit`).
    #[arg(long, value_name = "SIZE")]
    pub(crate) memory_limit: Option<String>,
    #[command(flatten)]
    pub(crate) pseudo: PseudoArgs,
}

#[derive(Debug, Args)]
pub(crate) struct ExportDbArgs {
    /// The new database file to write (e.g. rollcall-v1.4.duckdb).
    #[arg(value_name = "OUT.duckdb")]
    pub(crate) output: PathBuf,
    /// The DuckDB version whose storage format the copy uses; that version and later open it.
    #[arg(long, value_name = "VERSION", default_value = "v1.4.0")]
    pub(crate) storage_version: String,
    /// Replace OUT if it exists.
    #[arg(long)]
    pub(crate) force: bool,
}

#[derive(Debug, Args)]
pub(crate) struct ReportArgs {
    #[command(flatten)]
    pub(crate) filters: FilterArgs,
    /// The folder to write index.html, users.csv and manifest.json to.
    #[arg(long, value_name = "DIR", default_value = "rollcall-report")]
    pub(crate) out: PathBuf,
    /// The report's title.
    #[arg(long, value_name = "TEXT", default_value = "Onboarding report")]
    pub(crate) title: String,
    /// A folder of templates overriding the built-in report-templates/ (missing files fall back).
    #[arg(long, value_name = "DIR")]
    pub(crate) templates: Option<PathBuf>,
    #[command(flatten)]
    pub(crate) sender: SenderArgs,
    #[command(flatten)]
    pub(crate) sign: SignArgs,
    /// The seats bought, for a snapshot with no count recorded (`licenses seats` records one
    /// per snapshot, and a recorded count wins).
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(i64).range(0..=100_000_000))]
    pub(crate) seats: Option<i64>,
    #[command(flatten)]
    pub(crate) pseudo: PseudoArgs,
}

#[derive(Debug, Args)]
pub(crate) struct ServeArgs {
    #[command(flatten)]
    pub(crate) filters: FilterArgs,
    /// The port (0 picks a free one; the first line printed names it).
    #[arg(long, default_value_t = 8080)]
    pub(crate) port: u16,
    /// The address to listen on. Anything but a loopback address makes the data reachable
    /// from other machines, with no password and no TLS: a warning says so.
    #[arg(long, value_name = "ADDR", default_value = "127.0.0.1")]
    pub(crate) bind: std::net::IpAddr,
    /// Open the page in the system's browser (xdg-open, or open on macOS).
    #[arg(long)]
    pub(crate) open: bool,
    /// Threads answering page and API requests (default: twice the cores, at least 4).
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u16).range(1..=256))]
    pub(crate) workers: Option<u16>,
    /// Stop a request's queries after this long (e.g. 10s, 1500ms) and answer 503; time a
    /// download waits for a slow client does not count.
    #[arg(long, value_name = "DURATION", default_value = "10s")]
    pub(crate) query_timeout: String,
    /// Memory for answers kept for repeated API requests (e.g. 64MiB; 0: none). A snapshot
    /// never changes, so an answer holds until the database is reopened after an ingest.
    #[arg(long, value_name = "SIZE", default_value = "64MiB")]
    pub(crate) cache: String,
    /// DuckDB's memory for the server's queries (e.g. 192MiB, 2GB); past it a query spills to
    /// the server's private temporary folder (the default keeps a 1,000,000-user server under
    /// 300 MB while it streams a full download beside other requests).
    #[arg(long, value_name = "SIZE", default_value = "192MiB")]
    pub(crate) memory_limit: String,
    /// The report's title.
    #[arg(long, value_name = "TEXT", default_value = "Onboarding report")]
    pub(crate) title: String,
    /// A folder of templates overriding the built-in ones.
    #[arg(long, value_name = "DIR")]
    pub(crate) templates: Option<PathBuf>,
    #[command(flatten)]
    pub(crate) sender: SenderArgs,
    #[command(flatten)]
    pub(crate) delivery: DeliveryArgs,
    /// Send Reminder skips a user whom rollcall reminded within this long (the page offers
    /// to send anyway).
    #[arg(long, value_name = "DURATION", default_value = "24h")]
    pub(crate) min_interval: String,
    /// The seats bought, for a snapshot with no count recorded (`licenses seats` records one
    /// per snapshot, and a recorded count wins).
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(i64).range(0..=100_000_000))]
    pub(crate) seats: Option<i64>,
}

/// `--sign` of the commands that write a manifest (`export`, `report`, `diff -o`).
#[derive(Debug, Args)]
pub(crate) struct SignArgs {
    /// Sign the manifest with this minisign secret key (`rollcall keygen`, or `minisign -G`),
    /// writing MANIFEST.minisig beside it. An encrypted key's password comes from
    /// ROLLCALL_SIGN_PASSWORD, or is asked for on the terminal.
    #[arg(long, value_name = "KEYFILE")]
    pub(crate) sign: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub(crate) struct KeygenArgs {
    /// The secret key to write; the public key goes to KEYFILE.pub. The password comes from
    /// ROLLCALL_SIGN_PASSWORD, or is asked for twice on the terminal.
    #[arg(long, value_name = "KEYFILE")]
    pub(crate) out: PathBuf,
    /// Do not encrypt the secret key (as `minisign -G -W`); anyone who reads the file can sign.
    #[arg(long)]
    pub(crate) no_password: bool,
    /// Replace KEYFILE and KEYFILE.pub if they exist.
    #[arg(long)]
    pub(crate) force: bool,
}

#[derive(Debug, Args)]
pub(crate) struct VerifyArgs {
    /// A report folder, an export or diff file (its FILE.manifest.json), or a manifest.
    #[arg(value_name = "PATH")]
    pub(crate) path: PathBuf,
    /// Check the manifest's signature (MANIFEST.minisig) with this minisign public key.
    #[arg(long, value_name = "KEYFILE.pub")]
    pub(crate) pubkey: Option<PathBuf>,
}

/// When text on standard output gets colour (`--color`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, ValueEnum)]
pub(crate) enum ColorChoice {
    /// On a terminal, unless NO_COLOR is set (to anything but the empty string).
    #[default]
    Auto,
    /// Always, even through a pipe or with NO_COLOR set.
    Always,
    /// Never.
    Never,
}

#[derive(Debug, Args)]
pub(crate) struct CompletionsArgs {
    /// The shell to write the completion script for.
    #[arg(value_enum)]
    pub(crate) shell: clap_complete::Shell,
}

#[derive(Debug, Args)]
pub(crate) struct ManArgs {
    /// The folder to write every page to (created if missing); without it, rollcall.1 is
    /// printed to standard output.
    #[arg(long, value_name = "DIR")]
    pub(crate) out: Option<PathBuf>,
}

/// `--pseudonymize` and its key, shared by export, report and diff (README: "Pseudonymised
/// sharing"). The key's text is read from ROLLCALL_PSEUDO_KEY by `crate::pseudo`, not by clap,
/// so `--help` can never show it.
#[derive(Debug, Args, Clone, Default)]
pub(crate) struct PseudoArgs {
    /// Replace names and emails with stable keyed pseudonyms (HMAC-SHA-256 of the normalised
    /// email) and leave out device names; the key comes from ROLLCALL_PSEUDO_KEY or
    /// --pseudo-key-file.
    #[arg(long, help_heading = "Pseudonymisation")]
    pub(crate) pseudonymize: bool,
    /// Read the key from FILE (its bytes, less one trailing newline; at least 16 bytes).
    /// Overrides ROLLCALL_PSEUDO_KEY.
    #[arg(
        long,
        value_name = "FILE",
        requires = "pseudonymize",
        help_heading = "Pseudonymisation"
    )]
    pub(crate) pseudo_key_file: Option<PathBuf>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn cli_definition_is_consistent() {
        Cli::command().debug_assert();
    }
}
