//! The static HTML report: gathers plain data through the read layer, then renders it with
//! minijinja templates from `report-templates/` (embedded; `--templates DIR` overrides files
//! through the same overlay as `--queries`). Rendering never sees the database. The users
//! travel in the page packed by [`crate::pack`] (typed columns, gzip, base64) and
//! `report-templates/data.js` unpacks them in the browser.

use std::borrow::Cow;
use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use duckdb::arrow::array::{
    Array, BooleanArray, Int32Array, Int64Array, StringArray, TimestampMicrosecondArray,
};
use duckdb::arrow::datatypes::{DataType, TimeUnit};
use duckdb::arrow::record_batch::RecordBatch;
use minijinja::{AutoEscape, Environment, Value as J};
use serde::Serialize;
use serde_json::{json, Value};

use crate::domain::{
    self, Column, Dimension, FilterSet, Vocabulary, EXPORT_COLUMNS, STAGE_COLUMNS,
};
use crate::export::{self, ExportSpec, FileHash, Format, Manifest};
use crate::model::{InputMeta, Reject, SnapshotInfo};
use crate::output::Cell;
use crate::overlay::{embed, Builtin, Overlay};
use crate::pack::{self, Body, Bytes, Ints, Strs};
use crate::read::{Listing, Reader, Sort, Summary};
use crate::remind;
use crate::sql::Stmt;
use crate::store::cells;

/// Users embedded in one page at most: a safety limit, twice the million users the page is
/// built and measured for (35 MB of HTML there; README, *Performance*). A larger scope
/// embeds its first users by name, says so, and points at users.csv, which holds them all.
pub(crate) const EMBED_LIMIT: u64 = 2_000_000;
/// gzip level of the page's data: at a million users, 3 packs within 2.5% of zlib's default 6
/// (25.7 against 25.1 MB) in a third of the time.
const GZIP_LEVEL: u32 = 3;
/// Rejects listed in the page at most (all of them are in `rollcall rejects`).
const REJECTS_LIMIT: usize = 1000;
/// Notices of one kind listed in the page at most (all of them are in `rollcall summary
/// --format json`): a million users can carry fifty thousand, which would be 20 MB of table.
const NOTICES_LIMIT: usize = 1000;
/// The notice kind the page lists on its own (as report.html.j2 does).
const DISAGREEMENT: &str = "status-disagreement";

const BUILTIN: Builtin = embed!(
    "report-templates": "report.html.j2", "report.css", "report.js", "data.js", "console.html.j2",
    "history.html.j2",
    "email/layout.html.j2",
    "email/activate.subject.j2", "email/activate.txt.j2", "email/activate.html.j2",
    "email/setup.subject.j2", "email/setup.txt.j2", "email/setup.html.j2",
    "email/data.subject.j2", "email/data.txt.j2", "email/data.html.j2"
);

/// The embed limit in force: [`EMBED_LIMIT`], or a lower one from `ROLLCALL_TEST_EMBED_LIMIT`,
/// so the tests reach the partial-page path without writing two million users.
fn embed_limit() -> u64 {
    std::env::var("ROLLCALL_TEST_EMBED_LIMIT")
        .ok()
        .and_then(|v| v.parse::<u64>().ok())
        .map_or(EMBED_LIMIT, |l| l.min(EMBED_LIMIT))
}

/// The templates in force: a user folder's files, falling back to the built-ins.
#[derive(Debug, Clone)]
pub(crate) struct Templates {
    files: Overlay,
}

impl Templates {
    pub(crate) fn new(dir: Option<PathBuf>) -> Result<Templates> {
        Ok(Templates {
            files: Overlay::new("--templates", dir, BUILTIN)?,
        })
    }

    /// A minijinja environment that loads templates from the overlay, auto-escaping HTML in
    /// every template, including a user's own.
    fn environment(&self) -> Environment<'static> {
        self.environment_escaping(|_| AutoEscape::Html)
    }

    /// The environment of the reminder emails (`email/`): HTML-escaped in `.html.j2` files
    /// only, since a subject or a plain-text body is not HTML and must not show `&amp;`.
    pub(crate) fn email_environment(&self) -> Environment<'static> {
        self.environment_escaping(|name| {
            if name.ends_with(".html.j2") {
                AutoEscape::Html
            } else {
                AutoEscape::None
            }
        })
    }

    /// Parses every template (`*.j2`, in any subfolder) of the user's folder, as `rollcall
    /// doctor` checks them: how many parsed, or the first that does not, with minijinja's words.
    /// None of them is rendered, so a name a template uses and no data has is not seen here.
    pub(crate) fn check(&self) -> Result<usize, String> {
        let Some(dir) = self.files.dir() else {
            return Ok(0);
        };
        let mut files = Vec::new();
        let mut folders = vec![dir.to_path_buf()];
        while let Some(folder) = folders.pop() {
            let entries =
                std::fs::read_dir(&folder).map_err(|e| format!("{}: {e}", folder.display()))?;
            for entry in entries.flatten() {
                let p = entry.path();
                if p.is_dir() {
                    folders.push(p);
                } else if p.extension().is_some_and(|e| e == "j2") {
                    files.push(p);
                }
            }
        }
        files.sort();
        for p in &files {
            let text = std::fs::read_to_string(p).map_err(|e| format!("{}: {e}", p.display()))?;
            let name = p.strip_prefix(dir).unwrap_or(p).display().to_string();
            let env = Environment::new();
            env.template_from_named_str(&name, &text).map_err(|e| {
                format!(
                    "{}: {}",
                    p.display(),
                    crate::store::one_line(&e.to_string())
                )
            })?;
        }
        Ok(files.len())
    }

    fn environment_escaping(
        &self,
        escape: impl Fn(&str) -> AutoEscape + Send + Sync + 'static,
    ) -> Environment<'static> {
        let mut env = Environment::new();
        env.set_auto_escape_callback(escape);
        env.set_undefined_behavior(minijinja::UndefinedBehavior::Strict);
        env.add_filter("urlpart", urlpart);
        env.add_filter("breakable", breakable);
        let files = self.files.clone();
        env.set_loader(move |name| {
            files.find(name).map_err(|e| {
                minijinja::Error::new(minijinja::ErrorKind::InvalidOperation, format!("{e:#}"))
            })
        });
        env
    }
}

/// Percent-encodes text for one part of a URL fragment (as `encodeURIComponent` does), so an
/// email holding `&` or `#` still names itself in `#user=…`.
fn urlpart(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for b in text.bytes() {
        if b.is_ascii_alphanumeric() || b"-_.!~*'()".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// An email, escaped, that may wrap only after its `@` and dots (`<wbr>`), never inside a word:
/// narrow screens and printouts keep each part whole.
fn breakable(text: &str) -> minijinja::Value {
    let mut out = String::with_capacity(text.len() + 16);
    for (k, part) in text.split_inclusive(['@', '.']).enumerate() {
        if k > 0 {
            out.push_str("<wbr>");
        }
        out.push_str(&minijinja::HtmlEscape(part).to_string());
    }
    minijinja::Value::from_safe_string(out)
}

/// Header facts of the report, also embedded in the page for the manifest of its downloads.
#[derive(Debug, Clone, Serialize)]
struct Meta {
    tool_version: &'static str,
    snapshot: SnapshotInfo,
    #[serde(serialize_with = "crate::util::ser_ts")]
    as_of: chrono::DateTime<chrono::Utc>,
    window_days: i64,
    scope: String,
    total_in_snapshot: u64,
    scope_rows: u64,
    embedded_rows: u64,
    truncated: bool,
    inputs: Vec<InputMeta>,
    /// `--pseudonymize`: the page's names and emails are pseudonyms (the header says so).
    pseudonymized: Option<crate::pseudo::Record>,
}

/// Everything the page shows, as plain data.
struct ReportData {
    title: String,
    meta: Meta,
    summary: Summary,
    vocabulary: Vocabulary,
    rejects: Vec<Reject>,
    rejects_total: usize,
    /// Status disagreements and other notices before [`NOTICES_LIMIT`].
    notices_total: (usize, usize),
    data: PageData,
    /// The packed data (`data`'s header and the users' arrays), base64: see [`crate::pack`].
    packed: String,
    /// Every snapshot, when served (the page's scope picker).
    snapshots: Option<Vec<SnapshotInfo>>,
    /// The static report's "Changes since the previous snapshot" (when there is one).
    changes: Option<Changes>,
    /// The funnel over the snapshots up to this one (three or more).
    trend: Option<crate::chart::TrendChart>,
}

/// The most changed users the static report lists (the counts cover them all; `rollcall diff
/// -o` writes every one).
const CHANGES_LIMIT: usize = 5_000;

/// What changed since the previous snapshot, for the static report: the counts of every
/// transition with its meaning, and the first [`CHANGES_LIMIT`] users.
#[derive(Debug, Serialize)]
pub(crate) struct Changes {
    pub(crate) from: crate::read::DiffSide,
    pub(crate) to: crate::read::DiffSide,
    pub(crate) counts: Vec<(&'static str, &'static str, u64)>,
    pub(crate) users: Vec<crate::read::Change>,
    pub(crate) total: usize,
    /// Which users were compared, in words.
    pub(crate) side_note: String,
}

impl Changes {
    pub(crate) fn of(mut d: crate::read::Diff) -> Changes {
        let meaning = |k: &str| {
            domain::TRANSITIONS
                .iter()
                .find(|(n, _)| *n == k)
                .map_or("", |(_, m)| *m)
        };
        let total = d.users.len();
        d.users.truncate(CHANGES_LIMIT);
        let f = d.filters.as_str();
        let side_note = match (d.unfiltered, d.side) {
            (true, _) => "Every user of either snapshot is compared.".to_string(),
            (false, crate::read::Side::To) => format!(
                "Users selected by the filters ({f}) in snapshot #{}; users no longer there are not counted.",
                d.to.snapshot.id
            ),
            (false, crate::read::Side::From) => format!(
                "Users selected by the filters ({f}) in snapshot #{}.",
                d.from.snapshot.id
            ),
        };
        Changes {
            side_note,
            counts: d
                .counts
                .0
                .iter()
                .map(|(k, n)| (*k, meaning(k), *n))
                .collect(),
            from: d.from,
            to: d.to,
            users: d.users,
            total,
        }
    }
}

/// The static report's history: the changes since the previous snapshot by as-of (the
/// filters on this one) and, with three or more snapshots up to this one, the trend chart.
fn history(
    reader: &Reader,
    filters: &FilterSet,
) -> Result<(Option<Changes>, Option<crate::chart::TrendChart>)> {
    let scope = reader.scope().clone();
    let Some(previous) = reader.previous(&scope.snapshot)? else {
        return Ok((None, None));
    };
    let other = crate::model::Scope {
        as_of: previous.as_of,
        snapshot: previous,
        window_days: scope.window_days,
    };
    let diff = reader.diff(
        &other,
        &crate::read::DiffRequest {
            side: crate::read::Side::To,
            filters: filters.clone(),
            transitions: Vec::new(),
        },
    )?;
    let trend = crate::read::trend(
        reader.sibling(&crate::read::ReadRequest {
            snapshot: Some(scope.snapshot.id),
            as_of: None,
            window_days: scope.window_days,
        })?,
        filters,
        scope.window_days,
        Some(&scope.snapshot),
    )?;
    let chart = if trend.snapshots.len() >= 3 {
        crate::chart::trend_chart(&trend)
    } else {
        None
    };
    Ok((Some(Changes::of(diff)), chart))
}

/// Where the page's users come from: embedded in the file (`rollcall report`), or asked of the
/// JSON API a page at a time (`rollcall serve`), with every snapshot for the scope picker.
enum Rows {
    Embedded,
    Served { snapshots: Vec<SnapshotInfo> },
}

/// The header of the data embedded in the page (`#rollcall-data`, packed by [`crate::pack`]):
/// the contract `report.js` reads once `data.js` has unpacked it. Every word the script shows
/// (column titles, dimension titles and value labels, stage names) comes from here, i.e. from
/// `domain.rs`.
///
/// `u` holds the users column by column (one entry per user, in list order): `name`, `email`,
/// `scim`, `last_used`, `license`, `status`, `activity`, `hub`, `reminders`, the stages `act`,
/// `setup`, `data` with their times `act_at`, `setup_at`, `data_at`, `codes` (`scim` and
/// `reminders` as indexes into `dims`), and `dev0`/`devn` (where user i's devices start in `d`
/// and how many). `d` holds every device of those users, flattened in user order: `name`,
/// `platform` and `version` (indexes into `platforms` and `versions`), `last_used`, `hub`.
/// Booleans are 1/0 (plain arrays, null for unknown); dimension values, platforms and versions
/// are indexes into `dims`, `platforms` and `versions`, and they, the counts and `dev0` are
/// typed arrays (an index past the values, the type's largest, is unknown); times are Unix
/// seconds in a `Float64Array`, NaN where unknown. In the header each of these arrays is a
/// descriptor of its place in the packed body.
#[derive(Debug, Serialize)]
struct PageData {
    /// The export's columns in order; the CSV download's header is their keys.
    columns: Vec<Column>,
    dim_titles: BTreeMap<&'static str, &'static str>,
    /// The dimensions the page filters on, in the console's order.
    dim_order: Vec<&'static str>,
    /// The values of each dimension the page filters on, in the console's order.
    dims: BTreeMap<&'static str, Vec<&'static str>>,
    labels: BTreeMap<&'static str, BTreeMap<&'static str, String>>,
    stages: [&'static str; 3],
    device_columns: [&'static str; 5],
    /// Whether the page is served: its rows, counts and details then come from the JSON API
    /// under `api`, and nothing is embedded (`u` and `d` are empty).
    served: bool,
    api: &'static str,
    /// Served: the most users one `POST /api/remind` names, which caps the list's selection.
    #[serde(skip_serializing_if = "Option::is_none")]
    remind_max: Option<usize>,
    /// Users embedded (at most [`EMBED_LIMIT`]).
    n: u64,
    /// The report's provenance, for the manifest the page writes beside a download.
    meta: Option<Meta>,
    /// Whether the scope has more users than were embedded: the page's own counts would then
    /// cover only part of it, so its summary cards keep the server's figures.
    partial: bool,
    u: Value,
    d: Value,
    platforms: Vec<String>,
    versions: Vec<String>,
    /// The static page's Email Preview (the served page asks `/api/remind/preview`).
    mail: Option<MailPreview>,
}

/// What the static page needs to preview a pending user's reminder: each stage's subject and
/// bodies rendered with [`NAME_TOKEN`] and [`EMAIL_TOKEN`] in place of the user's greeting and
/// address, which the page fills in (HTML-escaped as minijinja escapes, in the HTML body).
/// Made only when the templates use both verbatim (checked by rendering again with other
/// values); otherwise `exact` is false and the page points to `rollcall remind preview`.
#[derive(Debug, Serialize)]
pub(crate) struct MailPreview {
    exact: bool,
    from: String,
    name_token: &'static str,
    email_token: &'static str,
    stages: BTreeMap<&'static str, remind::Parts>,
}

const NAME_TOKEN: &str = "\u{e000}name\u{e001}";
const EMAIL_TOKEN: &str = "\u{e000}email\u{e001}";

impl MailPreview {
    pub(crate) fn of(composer: &remind::Composer) -> Result<MailPreview> {
        // Values that HTML escaping changes, so a template that escapes differently or
        // transforms the value (`|upper`, `|truncate`) shows as inexact.
        let (alt_name, alt_email) = ("O'Brien & <Co/Ltd> \"Zoë\"", "o'b&x@exa/mple.com");
        let html = |s: &str| {
            s.replace('&', "&amp;")
                .replace('<', "&lt;")
                .replace('>', "&gt;")
                .replace('"', "&quot;")
                .replace('\'', "&#x27;")
                .replace('/', "&#x2f;")
        };
        let mut exact = true;
        let mut stages = BTreeMap::new();
        for stage in [
            remind::Stage::Activate,
            remind::Stage::Setup,
            remind::Stage::Data,
        ] {
            let who = |name: &str, email: &str| remind::Recipient {
                name: Some(name.to_string()),
                email: email.to_string(),
                email_key: email.to_string(),
                status: "pending".to_string(),
                stage,
            };
            let tokens = composer.parts(&who(NAME_TOKEN, EMAIL_TOKEN))?;
            let other = composer.parts(&who(alt_name, alt_email))?;
            let fill = |s: &str, name: &str, email: &str| {
                s.replace(NAME_TOKEN, name).replace(EMAIL_TOKEN, email)
            };
            exact &= fill(&tokens.subject, alt_name, alt_email)
                .split_whitespace()
                .collect::<Vec<_>>()
                .join(" ")
                == other.subject
                && fill(&tokens.text, alt_name, alt_email) == other.text
                && fill(&tokens.html, &html(alt_name), &html(alt_email)) == other.html;
            stages.insert(stage.name(), tokens);
        }
        Ok(MailPreview {
            exact,
            from: composer.from(),
            name_token: NAME_TOKEN,
            email_token: EMAIL_TOKEN,
            stages: if exact { stages } else { BTreeMap::new() },
        })
    }
}

/// Reads what the report needs for a scope and filter set.
fn gather(
    reader: &Reader,
    filters: &FilterSet,
    title: &str,
    rows: Rows,
    mail: Option<MailPreview>,
) -> Result<ReportData> {
    let timer = crate::util::Timer::start();
    let scope = reader.scope();
    let mut summary = reader.summary(filters)?;
    timer.lap("report: summary");
    let mut per_kind: HashMap<String, usize> = HashMap::new();
    summary.quality.notices.retain(|n| {
        let seen = per_kind.entry(n.kind.clone()).or_default();
        *seen += 1;
        *seen <= NOTICES_LIMIT
    });
    let disagreements = per_kind.remove(DISAGREEMENT).unwrap_or(0);
    let notices_total = (disagreements, per_kind.values().sum());
    let mut rejects = reader.rejects()?;
    let rejects_total = rejects.len();
    rejects.truncate(REJECTS_LIMIT);
    let vocabulary = Vocabulary::new(scope.window_days);
    let (changes, trend) = match rows {
        Rows::Embedded => history(reader, filters)?,
        Rows::Served { .. } => (None, None),
    };
    timer.lap("report: history");
    let (mut data, body, snapshots) = match rows {
        Rows::Embedded => {
            let (data, body) = page_data(reader, filters, summary.matches, &vocabulary, &timer)?;
            (data, body, None)
        }
        Rows::Served { snapshots } => (
            PageData::words(&vocabulary, json!({}), json!({}), true)?,
            Body::default(),
            Some(snapshots),
        ),
    };
    let embedded = data.n;
    let meta = Meta {
        tool_version: crate::VERSION,
        snapshot: scope.snapshot.clone(),
        as_of: scope.as_of,
        window_days: scope.window_days,
        scope: filters.describe(),
        total_in_snapshot: summary.total,
        scope_rows: summary.matches,
        embedded_rows: embedded,
        truncated: !data.served && embedded < summary.matches,
        inputs: reader.inputs()?,
        pseudonymized: reader.pseudonyms().map(|k| k.record()),
    };
    data.meta = Some(meta.clone());
    data.mail = mail;
    let gz = body.finish(&data, GZIP_LEVEL)?;
    timer.lap("report: data compressed");
    let packed = pack::base64(&gz);
    drop(gz);
    timer.lap("report: data base64");
    Ok(ReportData {
        title: title.to_string(),
        meta,
        summary,
        vocabulary,
        rejects,
        rejects_total,
        notices_total,
        data,
        packed,
        snapshots,
        changes,
        trend,
    })
}

/// One column of a batch with its type resolved once, read without allocating where arrow
/// holds the value as it is: a million users are read in about a second. Each reader gives what
/// [`cells::cell`] would give for the same cell.
#[derive(Clone, Copy)]
enum Col<'a> {
    Text(&'a StringArray),
    Bool(&'a BooleanArray),
    I32(&'a Int32Array),
    I64(&'a Int64Array),
    Micros(&'a TimestampMicrosecondArray),
    Other(&'a dyn Array),
}

impl<'a> Col<'a> {
    fn of(col: &'a dyn Array) -> Col<'a> {
        let any = col.as_any();
        let typed = match col.data_type() {
            DataType::Utf8 => any.downcast_ref().map(Col::Text),
            DataType::Boolean => any.downcast_ref().map(Col::Bool),
            DataType::Int32 => any.downcast_ref().map(Col::I32),
            DataType::Int64 => any.downcast_ref().map(Col::I64),
            DataType::Timestamp(TimeUnit::Microsecond, _) => any.downcast_ref().map(Col::Micros),
            _ => None,
        };
        typed.unwrap_or(Col::Other(col))
    }

    fn array(self) -> &'a dyn Array {
        match self {
            Col::Text(a) => a,
            Col::Bool(a) => a,
            Col::I32(a) => a,
            Col::I64(a) => a,
            Col::Micros(a) => a,
            Col::Other(a) => a,
        }
    }

    /// The cell's text ([`Cell::text`]); `None` for null.
    fn text(self, r: usize) -> Option<Cow<'a, str>> {
        match self {
            _ if self.array().is_null(r) => None,
            Col::Text(a) => Some(Cow::Borrowed(a.value(r))),
            other => Some(Cow::Owned(cells::cell(other.array(), r).text())),
        }
    }

    /// 1/0 for a boolean; `None` for null or another type.
    fn flag(self, r: usize) -> Option<u8> {
        match self {
            Col::Bool(a) if a.is_valid(r) => Some(u8::from(a.value(r))),
            Col::Other(a) => match cells::cell(a, r) {
                Cell::Bool(b) => Some(u8::from(b)),
                _ => None,
            },
            _ => None,
        }
    }

    /// Unix seconds of a timestamp (rounded down); `None` for null or another type.
    fn secs(self, r: usize) -> Option<i64> {
        match self {
            Col::Micros(a) if a.is_valid(r) => {
                chrono::DateTime::from_timestamp_micros(a.value(r)).map(|t| t.timestamp())
            }
            Col::Other(a) => match cells::cell(a, r) {
                Cell::Time(t) => Some(t.timestamp()),
                _ => None,
            },
            _ => None,
        }
    }

    /// An integer; `None` for null or another type.
    fn int(self, r: usize) -> Option<i64> {
        match self {
            Col::I32(a) if a.is_valid(r) => Some(a.value(r).into()),
            Col::I64(a) if a.is_valid(r) => Some(a.value(r)),
            Col::Other(a) => match cells::cell(a, r) {
                Cell::Int(i) => Some(i),
                _ => None,
            },
            _ => None,
        }
    }
}

/// Interns strings into a dictionary, so repeated values cost one small integer each.
#[derive(Default)]
struct Dict {
    index: HashMap<String, usize>,
    values: Vec<String>,
}

impl Dict {
    fn code(&mut self, text: Option<Cow<'_, str>>) -> Option<i64> {
        let text = text?;
        let i = match self.index.get(text.as_ref()) {
            Some(&i) => i,
            None => {
                let i = self.values.len();
                self.index.insert(text.to_string(), i);
                self.values.push(text.into_owned());
                i
            }
        };
        Some(i as i64)
    }
}

/// A batch's columns, found by name: the page never depends on the query's column order.
fn columns_of<'b, const N: usize>(
    batch: &'b RecordBatch,
    names: [&str; N],
) -> Result<[Col<'b>; N]> {
    let mut out = Vec::with_capacity(N);
    for name in names {
        let col = batch
            .column_by_name(name)
            .with_context(|| format!("the report's query returns no column {name}"))?;
        out.push(Col::of(col.as_ref()));
    }
    Ok(out
        .try_into()
        .unwrap_or_else(|_| unreachable!("one column per name")))
}

/// Runs `stmt` and hands its batches to `f` on another thread, as the export does: DuckDB
/// produces the next batches while `f` reads one (reading a million users took twice as long
/// on one thread). An error of `f`'s is reported before the failed send it causes.
fn stream_beside(
    reader: &Reader,
    stmt: &Stmt,
    mut f: impl FnMut(&RecordBatch) -> Result<()> + Send,
) -> Result<()> {
    let (tx, rx) = std::sync::mpsc::sync_channel::<RecordBatch>(8);
    std::thread::scope(|s| {
        let worker = std::thread::Builder::new()
            .name("report-reader".into())
            .spawn_scoped(s, move || -> Result<()> {
                for batch in rx {
                    f(&batch)?;
                }
                Ok(())
            })?;
        let streamed = reader.store().stream(stmt, |batch| {
            tx.send(batch.clone())
                .map_err(|_| anyhow::anyhow!("the report's reader stopped early"))
        });
        drop(tx);
        worker
            .join()
            .unwrap_or_else(|p| std::panic::resume_unwind(p))?;
        streamed.map(|_| ())
    })
}

/// The users' columns as they stream in.
#[derive(Default)]
struct UserColumns {
    name: Strs,
    email: Strs,
    scim: Bytes,
    last_used: Ints,
    license: Bytes,
    status: Bytes,
    activity: Bytes,
    hub: Bytes,
    reminders: Ints,
    act: Bytes,
    act_at: Ints,
    setup: Bytes,
    setup_at: Ints,
    data: Bytes,
    data_at: Ints,
    /// The SCIM and reminders values as indexes into `dims` (the columns above hold the flag
    /// and the count the page shows).
    scim_code: Bytes,
    reminders_code: Bytes,
}

/// The devices' columns, in the order the devices query returns them.
#[derive(Default)]
struct DeviceColumns {
    /// The user (row in the page) each device belongs to.
    owner: Vec<u32>,
    name: Strs,
    platform: Ints,
    version: Ints,
    last_used: Ints,
    hub: Bytes,
}

/// Numbers the runs of equal values down a column (0, 0, 1, 2, 2, …): each row's rank by name
/// when the rows come sorted by name.
#[derive(Default)]
struct Runs {
    last: Option<Option<String>>,
    numbers: Vec<u64>,
}

impl Runs {
    fn push(&mut self, v: Option<&str>) {
        let same = self.last.as_ref().is_some_and(|l| l.as_deref() == v);
        let number = match self.numbers.last() {
            Some(&k) => k + u64::from(!same),
            None => 0,
        };
        if !same {
            self.last = Some(v.map(str::to_string));
        }
        self.numbers.push(number);
    }
}

/// Each row's dense rank (0 first; rows `cmp` finds equal share one) in the order `cmp` puts
/// rows `0..n` in.
fn ranks(n: u32, cmp: impl Fn(u32, u32) -> std::cmp::Ordering) -> Vec<u32> {
    let mut order: Vec<u32> = (0..n).collect();
    order.sort_unstable_by(|&a, &b| cmp(a, b));
    let mut rank = vec![0u32; n as usize];
    let mut dense = 0u32;
    for (place, &row) in order.iter().enumerate() {
        if place > 0 && cmp(order[place - 1], row).is_ne() {
            dense += 1;
        }
        rank[row as usize] = dense;
    }
    rank
}

/// The page's data: the export's rows plus each user's stages and devices, read by column name
/// straight into packed columns (a million users never exist as a million Rust values). Returns
/// the header and the body it describes.
fn page_data(
    reader: &Reader,
    filters: &FilterSet,
    matches: u64,
    vocabulary: &Vocabulary,
    timer: &crate::util::Timer,
) -> Result<(PageData, Body)> {
    let listing = Listing {
        filters: filters.clone(),
        sort: Sort::default(),
        // The export's columns (the CSV download must match users.csv) plus the stages for
        // details, and the collation keys of name and email, so the page sorts as `users` does.
        columns: [
            &EXPORT_COLUMNS[..],
            &STAGE_COLUMNS[..],
            &["email_key", "name_order", "email_order"],
        ]
        .concat(),
    };
    let pseudonymized = reader.pseudonyms().is_some();
    let embed = embed_limit();
    let limit = (matches > embed).then_some(embed);
    let stmt = reader.listing_select(&listing, limit, 0)?;
    let mut u = UserColumns {
        email: Strs::unique(),
        ..UserColumns::default()
    };
    // Each user's matching key, which their devices carry too; `row_of[code]` is the user.
    let mut keys = Strs::default();
    let mut row_of: Vec<u32> = Vec::new();
    let mut n = 0u32;
    // What the page needs to sort as the statement does (read/collation.sql, read/users.sql):
    // the group of equal names each row is in (rows arrive in name order), and each row's email
    // collation key beside its tie-breaker (the email key, or the pseudonym that stands in its
    // place), to rank every row by them below.
    let mut name_group = Runs::default();
    let mut email_order = Strs::unique();
    let mut tie = Strs::unique();
    let code = |dim: Dimension, text: Option<Cow<'_, str>>| {
        let i = dim
            .values()
            .iter()
            .position(|v| Some(*v) == text.as_deref())?;
        u8::try_from(i).ok().filter(|&i| i != Bytes::NULL)
    };
    let bucket_code = |count: i64| {
        let bucket = domain::reminder_bucket(count);
        let values = Dimension::Reminders.values();
        values.iter().position(|v| *v == bucket).map(|i| i as u8)
    };
    stream_beside(reader, &stmt, |b| {
        let [name, email, scim, last_used, license, status, activity, hub, reminders] =
            columns_of(b, EXPORT_COLUMNS)?;
        let [act, act_at, setup, setup_at, data, data_at] = columns_of(b, STAGE_COLUMNS)?;
        let [key, name_order, mail_order] =
            columns_of(b, ["email_key", "name_order", "email_order"])?;
        for r in 0..b.num_rows() {
            name_group.push(name_order.text(r).as_deref());
            email_order.push(Some(mail_order.text(r).as_deref().unwrap_or("")));
            u.name.push(name.text(r).as_deref());
            u.email.push(Some(email.text(r).as_deref().unwrap_or("")));
            let flag = scim.flag(r);
            u.scim.push(flag);
            let word = flag.map(|f| Cow::Borrowed(if f == 1 { "yes" } else { "no" }));
            u.scim_code.push(code(Dimension::Scim, word));
            u.last_used.push(last_used.secs(r));
            u.license.push(code(Dimension::License, license.text(r)));
            u.status.push(code(Dimension::Status, status.text(r)));
            u.activity.push(code(Dimension::Activity, activity.text(r)));
            u.hub.push(code(Dimension::Hub, hub.text(r)));
            let count = reminders.int(r).unwrap_or(0);
            u.reminders.push(Some(count));
            u.reminders_code.push(bucket_code(count));
            u.act.push(act.flag(r));
            u.act_at.push(act_at.secs(r));
            u.setup.push(setup.flag(r));
            u.setup_at.push(setup_at.secs(r));
            u.data.push(data.flag(r));
            u.data_at.push(data_at.secs(r));
            // Keys are unique in a snapshot (ingest rejects a repeated email); were one
            // repeated, its devices would go to its first user.
            let k = key.text(r);
            let k = k.as_deref().unwrap_or("");
            if keys.push(Some(k)) as usize == row_of.len() {
                row_of.push(n);
            }
            if !pseudonymized {
                tie.push(Some(k));
            }
            n += 1;
        }
        Ok(())
    })?;
    timer.lap("report: users read");
    // The pseudonymised statement breaks ties by the pseudonym email (the email column then).
    let tie = if pseudonymized { &u.email } else { &tie };
    let by_key = ranks(n, |a, b| tie.row(a).cmp(&tie.row(b)));
    let by_email = ranks(n, |a, b| email_order.row(a).cmp(&email_order.row(b)));
    drop(email_order);
    // The email rank travels as its difference from the key rank: the two agree for every
    // plain ASCII address, so the differences are long runs that compress to little.
    let mut email_shift = Ints::default();
    let mut key_rank = Ints::default();
    for (&k, &e) in by_key.iter().zip(&by_email) {
        key_rank.push(Some(k.into()));
        email_shift.push(Some(i64::from(e) - i64::from(k)));
    }
    drop((by_key, by_email));
    timer.lap("report: users ranked");

    // Devices of the embedded users, as the query orders them (by key), then in user order.
    let mut platforms = Dict::default();
    let mut versions = Dict::default();
    let mut dv = DeviceColumns::default();
    let devices = reader.sql().stmt("read/devices.sql", vec![])?;
    stream_beside(reader, &devices, |b| {
        let [key, name, platform, version, last_used, hub] = columns_of(
            b,
            [
                "email_key",
                "device_name",
                "platform",
                "enpass_version",
                "last_used",
                "hub_authenticated",
            ],
        )?;
        for r in 0..b.num_rows() {
            let Some(k) = key.text(r).and_then(|k| keys.find(&k)) else {
                continue;
            };
            dv.owner.push(row_of[k as usize]);
            // Pseudonymised, device names are left out (they are often a person's name).
            dv.name
                .push(name.text(r).as_deref().filter(|_| !pseudonymized));
            dv.platform.push(platforms.code(platform.text(r)));
            dv.version.push(versions.code(version.text(r)));
            dv.last_used.push(last_used.secs(r));
            dv.hub.push(hub.flag(r));
        }
        Ok(())
    })?;
    drop(keys);
    drop(row_of);
    timer.lap("report: devices read");
    // A stable counting sort by owner: each user's devices keep the query's order.
    let mut devn = vec![0u32; n as usize];
    for &o in &dv.owner {
        devn[o as usize] += 1;
    }
    let mut dev0 = Vec::with_capacity(devn.len());
    let mut counts = Ints::default();
    let mut total = 0u64;
    for &c in &devn {
        dev0.push(total);
        counts.push(Some(c.into()));
        total += u64::from(c);
    }
    drop(devn);
    let mut next: Vec<u32> = dev0.iter().map(|&s| s as u32).collect();
    let mut order = vec![0u32; dv.owner.len()];
    for (i, &o) in dv.owner.iter().enumerate() {
        order[next[o as usize] as usize] = i as u32;
        next[o as usize] += 1;
    }
    drop(next);

    let mut body = Body::default();
    // Flags stay plain arrays (the page tells null from 0); codes and counts are typed arrays
    // (a code past the dimension's values is unknown), times Float64Arrays.
    let typed = Body::typed;
    let u_desc = json!({
        "name": body.strs_lowered(u.name, "name_lc"),
        "email": body.strs_lowered(u.email, "email_lc"),
        "scim": body.bytes(u.scim),
        "last_used": body.times(u.last_used),
        "license": typed(body.bytes(u.license)),
        "status": typed(body.bytes(u.status)),
        "activity": typed(body.bytes(u.activity)),
        "hub": typed(body.bytes(u.hub)),
        "reminders": typed(body.ints(u.reminders)),
        "act": body.bytes(u.act),
        "act_at": body.times(u.act_at),
        "setup": body.bytes(u.setup),
        "setup_at": body.times(u.setup_at),
        "data": body.bytes(u.data),
        "data_at": body.times(u.data_at),
        "codes": {
            "scim": typed(body.bytes(u.scim_code)),
            "reminders": typed(body.bytes(u.reminders_code)),
        },
        // How the page sorts (report.js `buildOrder`): the rank of each row's name and email
        // under the collation, and the tie-breaker of every sort, as the statement orders rows.
        "order": {
            "name": typed(body.offsets(&name_group.numbers)),
            "key": typed(body.ints(key_rank)),
            "email_shift": typed(body.ints(email_shift)),
        },
        "dev0": typed(body.offsets(&dev0)),
        "devn": typed(body.ints(counts)),
    });
    let d_desc = json!({
        "name": body.strs(dv.name.gather(&order)),
        "platform": typed(body.ints(dv.platform.gather(&order))),
        "version": typed(body.ints(dv.version.gather(&order))),
        "last_used": body.times(dv.last_used.gather(&order)),
        "hub": body.bytes(dv.hub.gather(&order)),
    });
    let mut data = PageData::words(vocabulary, u_desc, d_desc, false)?;
    data.partial = u64::from(n) < matches;
    data.n = n.into();
    data.platforms = platforms.values;
    data.versions = versions.values;
    Ok((data, body))
}

impl PageData {
    /// The page's words with the given users' descriptors (a served page passes empty ones;
    /// `page_data` sets the counts and dictionaries of the embedded users).
    fn words(vocabulary: &Vocabulary, u: Value, d: Value, served: bool) -> Result<PageData> {
        let words: Vec<_> = vocabulary.dimensions.iter().collect();
        Ok(PageData {
            columns: EXPORT_COLUMNS
                .iter()
                .map(|c| domain::column(c).copied())
                .collect::<Result<_, _>>()
                .map_err(anyhow::Error::msg)?,
            dim_titles: words.iter().map(|w| (w.name, w.title)).collect(),
            dim_order: words.iter().map(|w| w.name).collect(),
            dims: words.iter().map(|w| (w.name, w.values.clone())).collect(),
            labels: words
                .iter()
                .map(|w| {
                    let labels = w.values.iter().copied().zip(w.labels.iter().cloned());
                    (w.name, labels.collect())
                })
                .collect(),
            stages: vocabulary.stages,
            device_columns: vocabulary.device_columns,
            served,
            api: "/api/",
            remind_max: served.then_some(crate::server::REMIND_MAX),
            meta: None,
            partial: false,
            n: 0,
            u,
            d,
            platforms: Vec::new(),
            versions: Vec::new(),
            mail: None,
        })
    }
}

/// `'sha256-…'` of an inline block, as CSP wants it.
fn csp_hash(text: &str) -> String {
    use sha2::{Digest, Sha256};
    format!(
        "'sha256-{}'",
        pack::base64(&Sha256::digest(text.as_bytes()))
    )
}

/// The served page's Content-Security-Policy: only the inline scripts and style whose hashes
/// it names, and requests to its own server's API. The page carries it in a meta tag; the
/// server sends it as a header on every reply.
pub(crate) fn csp(templates: &Templates) -> Result<String> {
    let css = templates.files.get("report.css")?;
    let js = templates.files.get("report.js")?;
    let data_js = templates.files.get("data.js")?;
    Ok(csp_of(&data_js, &js, &css, true))
}

/// The page's policy; the static file may ask nothing of the network, the served page only
/// its own server (`connect-src 'self'`).
fn csp_of(data_js: &str, js: &str, css: &str, served: bool) -> String {
    let connect = if served { "; connect-src 'self'" } else { "" };
    format!(
        "default-src 'none'; script-src {} {}; style-src {}; img-src data:; base-uri 'none'; form-action 'none'{connect}",
        csp_hash(data_js),
        csp_hash(js),
        csp_hash(css)
    )
}

/// Renders the page. Auto-escaping is on for every template, including a user's own.
fn render(mut data: ReportData, templates: &Templates) -> Result<String> {
    let css = templates.files.get("report.css")?;
    let js = templates.files.get("report.js")?;
    let data_js = templates.files.get("data.js")?;
    let csp = csp_of(&data_js, &js, &css, data.data.served);
    let env = templates.environment();
    let tmpl = env
        .get_template("report.html.j2")
        .map_err(|e| anyhow::anyhow!("report-templates/report.html.j2: {e:#}"))?;
    let html = tmpl
        .render(minijinja::context! {
            title => &data.title,
            csp => csp,
            css => J::from_safe_string(css),
            js => J::from_safe_string(js),
            data_js => J::from_safe_string(data_js),
            data_encoding => pack::ENCODING,
            // Base64 holds no character HTML would read inside <script>.
            data_packed => J::from_safe_string(std::mem::take(&mut data.packed)),
            meta => J::from_serialize(&data.meta),
            summary => J::from_serialize(&data.summary),
            columns => J::from_serialize(&data.data.columns),
            dim_titles => J::from_serialize(&data.data.dim_titles),
            vocabulary => J::from_serialize(&data.vocabulary),
            rejects => J::from_serialize(&data.rejects),
            rejects_total => data.rejects_total,
            disagreements_total => data.notices_total.0,
            other_notices_total => data.notices_total.1,
            notices_limit => NOTICES_LIMIT,
            served => data.data.served,
            snapshots => J::from_serialize(&data.snapshots),
            changes => J::from_serialize(&data.changes),
            trend => J::from_serialize(&data.trend),
        })
        .map_err(|e| anyhow::anyhow!("rendering the report: {e:#}"))?;
    Ok(html)
}

/// What `rollcall report` wrote.
pub(crate) struct Written {
    pub(crate) index: PathBuf,
    pub(crate) manifest: Manifest,
    /// Users the page holds (fewer than the manifest's rows only past [`EMBED_LIMIT`]).
    pub(crate) embedded: u64,
}

/// The served console's page for a scope and filter set: the report's page without embedded
/// users (they come from the JSON API), with every snapshot for its scope picker.
pub(crate) fn console(
    reader: &Reader,
    filters: &FilterSet,
    title: &str,
    templates: &Templates,
    snapshots: Vec<SnapshotInfo>,
) -> Result<String> {
    render(
        gather(reader, filters, title, Rows::Served { snapshots }, None)?,
        templates,
    )
}

/// One snapshot on the served snapshots page: its record and the files it was read from.
#[derive(Debug, Serialize)]
pub(crate) struct SnapshotEntry {
    pub(crate) info: SnapshotInfo,
    pub(crate) inputs: Vec<InputMeta>,
}

/// What a served side page shows (plain data: the server reads it, this renders it).
pub(crate) enum SidePage<'a> {
    Snapshots(&'a [SnapshotEntry]),
    /// A page the server could not show, and why (the HTTP status and the error's words).
    Refused {
        status: u16,
        message: &'a str,
    },
    Rejects {
        snapshot: &'a SnapshotInfo,
        /// One page of the snapshot's `total` rejects, from `offset`, at most `limit`.
        rejects: &'a [Reject],
        total: u64,
        offset: u64,
        limit: u64,
    },
    /// The license worklist: every decision (as `licenses list` shows them, as text), and how
    /// many are open.
    Worklist {
        headers: &'a [String],
        rows: &'a [Vec<String>],
        open: usize,
    },
    /// The changes between two snapshots picked on the page, and the trend chart.
    Diff(Box<DiffPage<'a>>),
}

/// What the server's `/diff` page shows: every snapshot (to pick two), the pair and side
/// compared, the search and the other parameters to keep, one page of the changes, the trend
/// chart, and the links to the pages before and after.
pub(crate) struct DiffPage<'a> {
    pub(crate) snapshots: &'a [SnapshotInfo],
    pub(crate) from: i64,
    pub(crate) to: i64,
    pub(crate) side: crate::read::Side,
    pub(crate) search: Option<String>,
    pub(crate) hidden: Vec<(String, String)>,
    pub(crate) changes: Changes,
    pub(crate) trend: Option<crate::chart::TrendChart>,
    pub(crate) offset: u64,
    pub(crate) total: usize,
    pub(crate) prev: Option<String>,
    pub(crate) next: Option<String>,
}

/// A rendered page and the Content-Security-Policy it was rendered under (its meta tag holds
/// the same; the server sends it as a header too).
pub(crate) struct Html {
    pub(crate) body: String,
    pub(crate) csp: String,
}

/// `rollcall serve`'s snapshots page or a snapshot's rejects page: no script, the report's
/// stylesheet, auto-escaped like the report.
pub(crate) fn side_page(page: SidePage<'_>, title: &str, templates: &Templates) -> Result<Html> {
    let css = templates.files.get("report.css")?;
    // The diff page's form reloads the page with the snapshots picked: a GET to itself.
    let form_action = if matches!(page, SidePage::Diff(_)) {
        "'self'"
    } else {
        "'none'"
    };
    let csp = format!(
        "default-src 'none'; style-src {}; img-src data:; base-uri 'none'; form-action {form_action}",
        csp_hash(&css)
    );
    let env = templates.environment();
    let tmpl = env
        .get_template("console.html.j2")
        .map_err(|e| anyhow::anyhow!("report-templates/console.html.j2: {e:#}"))?;
    let ctx = match page {
        SidePage::Snapshots(list) => minijinja::context! {
            title, csp, css => J::from_safe_string(css.clone()),
            page => "snapshots",
            snapshots => J::from_serialize(list),
        },
        SidePage::Refused { status, message } => minijinja::context! {
            title, csp, css => J::from_safe_string(css.clone()),
            page => "refused",
            status, message,
        },
        SidePage::Rejects {
            snapshot,
            rejects,
            total,
            offset,
            limit,
        } => minijinja::context! {
            title, csp, css => J::from_safe_string(css.clone()),
            page => "rejects",
            snapshot => J::from_serialize(snapshot),
            rejects => J::from_serialize(rejects),
            total, offset, limit,
        },
        SidePage::Worklist {
            headers,
            rows,
            open,
        } => minijinja::context! {
            title, csp, css => J::from_safe_string(css.clone()),
            page => "worklist",
            headers, rows, open,
        },
        SidePage::Diff(d) => minijinja::context! {
            title, csp, css => J::from_safe_string(css.clone()),
            page => "diff",
            snapshots => J::from_serialize(d.snapshots),
            from => d.from, to => d.to,
            side => J::from_serialize(d.side),
            search => d.search,
            hidden => d.hidden,
            changes => J::from_serialize(&d.changes),
            trend => J::from_serialize(&d.trend),
            offset => d.offset, total => d.total,
            prev => d.prev, next => d.next,
        },
    };
    let body = tmpl
        .render(ctx)
        .map_err(|e| anyhow::anyhow!("rendering report-templates/console.html.j2: {e:#}"))?;
    Ok(Html { body, csp })
}

/// What the report's users.csv holds: the export of its scope, guarded.
pub(crate) fn export_spec(filters: &FilterSet) -> ExportSpec {
    ExportSpec {
        listing: Listing {
            filters: filters.clone(),
            sort: Sort::default(),
            columns: EXPORT_COLUMNS.to_vec(),
        },
        format: Format::Csv,
        guard: true,
    }
}

/// Writes index.html, users.csv (the guarded export of the same rows) and manifest.json.
pub(crate) fn write(
    reader: &Reader,
    filters: &FilterSet,
    title: &str,
    templates: &Templates,
    composer: &remind::Composer,
    out: &Path,
) -> Result<Written> {
    std::fs::create_dir_all(out).with_context(|| format!("--out {}", out.display()))?;
    let timer = crate::util::Timer::start();
    let mail = MailPreview::of(composer)?;
    let data = gather(reader, filters, title, Rows::Embedded, Some(mail))?;
    let embedded = data.meta.embedded_rows;
    let html = render(data, templates)?;
    timer.lap("report: rendered");
    let index = out.join("index.html");
    export::write_atomic(&index, html.as_bytes())?;
    drop(html);
    timer.lap("report: index.html written");
    let exported = export::write_file(
        reader,
        &export_spec(filters),
        &out.join("users.csv"),
        &out.join("manifest.json"),
        vec![FileHash::of(&index)?],
    )?;
    timer.lap("report: users.csv written");
    Ok(Written {
        index,
        manifest: exported.manifest,
        embedded,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranks_are_dense_and_runs_number_equal_neighbours_alike() {
        let v = ["b", "a", "b", "c", "a"];
        assert_eq!(
            ranks(5, |x, y| v[x as usize].cmp(v[y as usize])),
            [1, 0, 1, 2, 0]
        );
        let mut runs = Runs::default();
        for x in [Some("a"), Some("a"), Some("b"), None, None, Some("b")] {
            runs.push(x);
        }
        // A null is a value of its own, and only neighbours count.
        assert_eq!(runs.numbers, [0, 0, 1, 2, 2, 3]);
    }

    #[test]
    fn url_parts_encode_like_encode_uri_component() {
        assert_eq!(urlpart("a&b#c@x.com"), "a%26b%23c%40x.com");
        assert_eq!(urlpart("zoë"), "zo%C3%AB");
        assert_eq!(urlpart("o'neil"), "o'neil");
    }

    #[test]
    fn emails_break_only_after_at_and_dots_and_stay_escaped() {
        assert_eq!(
            breakable("a.b@x.com").to_string(),
            "a.<wbr>b@<wbr>x.<wbr>com"
        );
        assert_eq!(breakable("<i>@x").to_string(), "&lt;i&gt;@<wbr>x");
        assert_eq!(breakable("").to_string(), "");
    }
}
