//! The static HTML report: gathers plain data through the read layer, then renders it with
//! minijinja templates from `report-templates/` (embedded; `--templates DIR` overrides files
//! through the same overlay as `--queries`). Rendering never sees the database.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use duckdb::arrow::array::Array;
use minijinja::{AutoEscape, Environment, Value as J};
use serde::Serialize;

use crate::domain::{
    self, Column, Dimension, FilterSet, Vocabulary, EXPORT_COLUMNS, STAGE_COLUMNS,
};
use crate::export::{self, ExportSpec, FileHash, Format, Manifest};
use crate::model::{InputMeta, Reject, SnapshotInfo};
use crate::output::Cell;
use crate::overlay::{embed, Builtin, Overlay};
use crate::read::{Listing, Reader, Sort, Summary};
use crate::store::cells;

/// Rows embedded in one page at most; larger scopes embed the first rows and point at users.csv.
pub(crate) const EMBED_LIMIT: u64 = 200_000;
/// Rejects listed in the page at most (all of them are in `rollcall rejects`).
const REJECTS_LIMIT: usize = 1000;

const BUILTIN: Builtin =
    embed!("report-templates": "report.html.j2", "report.css", "report.js", "console.html.j2");

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
        let mut env = Environment::new();
        env.set_auto_escape_callback(|_| AutoEscape::Html);
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
}

/// Where the page's users come from: embedded in the file (`rollcall report`), or asked of the
/// JSON API a page at a time (`rollcall serve`), with every snapshot for the scope picker.
enum Rows {
    Embedded,
    Served { snapshots: Vec<SnapshotInfo> },
}

/// Everything the page shows, as plain data.
struct ReportData {
    title: String,
    meta: Meta,
    summary: Summary,
    vocabulary: Vocabulary,
    rejects: Vec<Reject>,
    rejects_total: usize,
    data: PageData,
    /// Every snapshot, when served (the page's scope picker).
    snapshots: Option<Vec<SnapshotInfo>>,
}

/// The users of the page, column by column (one entry per user, in list order). Booleans are
/// 1/0, times Unix seconds, dimension values indexes into `PageData::dims`; `null` is unknown.
/// `dev0[i]`/`devn[i]` are where user i's devices start in [`DeviceColumns`] and how many.
#[derive(Debug, Default, Serialize)]
struct UserColumns {
    name: Vec<Option<String>>,
    email: Vec<String>,
    scim: Vec<Option<u8>>,
    last_used: Vec<Option<i64>>,
    license: Vec<Option<usize>>,
    status: Vec<Option<usize>>,
    activity: Vec<Option<usize>>,
    hub: Vec<Option<usize>>,
    reminders: Vec<i64>,
    act: Vec<Option<u8>>,
    act_at: Vec<Option<i64>>,
    setup: Vec<Option<u8>>,
    setup_at: Vec<Option<i64>>,
    data: Vec<Option<u8>>,
    data_at: Vec<Option<i64>>,
    /// The SCIM and reminders values as indexes into `PageData::dims` (the columns above hold
    /// the flag and the count the page shows).
    codes: BTreeMap<&'static str, Vec<Option<usize>>>,
    dev0: Vec<usize>,
    devn: Vec<usize>,
}

/// Every device of the page's users, flattened in user order; platform and version are indexes
/// into `PageData::platforms` and `PageData::versions`.
#[derive(Debug, Default, Serialize)]
struct DeviceColumns {
    name: Vec<Option<String>>,
    platform: Vec<Option<usize>>,
    version: Vec<Option<usize>>,
    last_used: Vec<Option<i64>>,
    hub: Vec<Option<u8>>,
}

/// The JSON embedded in the page (`#rollcall-data`): the contract `report.js` reads. Every word
/// the script shows (column titles, dimension titles and value labels, stage names) comes from
/// here, i.e. from `domain.rs`.
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
    /// under `api`, and nothing is embedded.
    served: bool,
    api: &'static str,
    /// Users embedded (at most [`EMBED_LIMIT`]).
    n: u64,
    /// The report's provenance, for the manifest the page writes beside a download.
    meta: Option<Meta>,
    /// Whether the scope has more users than were embedded: the page's own counts would then
    /// cover only part of it, so its summary cards keep the server's figures.
    partial: bool,
    u: UserColumns,
    d: DeviceColumns,
    platforms: Vec<String>,
    versions: Vec<String>,
}

/// Reads what the report needs for a scope and filter set.
fn gather(reader: &Reader, filters: &FilterSet, title: &str, rows: Rows) -> Result<ReportData> {
    let scope = reader.scope();
    let summary = reader.summary(filters)?;
    let mut rejects = reader.rejects()?;
    let rejects_total = rejects.len();
    rejects.truncate(REJECTS_LIMIT);
    let vocabulary = Vocabulary::new(scope.window_days);
    let (mut data, snapshots) = match rows {
        Rows::Embedded => (
            page_data(reader, filters, summary.matches, &vocabulary)?,
            None,
        ),
        Rows::Served { snapshots } => (
            PageData::new(
                &vocabulary,
                UserColumns::default(),
                DeviceColumns::default(),
                true,
            )?,
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
    };
    data.meta = Some(meta.clone());
    Ok(ReportData {
        title: title.to_string(),
        meta,
        summary,
        vocabulary,
        rejects,
        rejects_total,
        data,
        snapshots,
    })
}

fn secs(c: &Cell) -> Option<i64> {
    match c {
        Cell::Time(t) => Some(t.timestamp()),
        _ => None,
    }
}

fn flag(c: &Cell) -> Option<u8> {
    match c {
        Cell::Bool(b) => Some(u8::from(*b)),
        _ => None,
    }
}

fn text(c: &Cell) -> Option<String> {
    match c {
        Cell::Null => None,
        other => Some(other.text()),
    }
}

/// Interns strings into a dictionary, so repeated values cost one small integer each.
#[derive(Default)]
struct Dict {
    index: HashMap<String, usize>,
    values: Vec<String>,
}

impl Dict {
    fn code(&mut self, c: &Cell) -> Option<usize> {
        let text = text(c)?;
        let next = self.values.len();
        let i = *self.index.entry(text.clone()).or_insert(next);
        if i == next {
            self.values.push(text);
        }
        Some(i)
    }
}

/// A batch's columns, found by name: the page never depends on the query's column order.
fn columns_of<'b, const N: usize>(
    batch: &'b duckdb::arrow::record_batch::RecordBatch,
    names: [&str; N],
) -> Result<[&'b dyn Array; N]> {
    let mut out = Vec::with_capacity(N);
    for name in names {
        let col = batch
            .column_by_name(name)
            .with_context(|| format!("the report's query returns no column {name}"))?;
        out.push(col.as_ref());
    }
    Ok(out
        .try_into()
        .unwrap_or_else(|_| unreachable!("one column per name")))
}

/// The page's data: the export's rows plus each user's stages and devices, read by column name.
fn page_data(
    reader: &Reader,
    filters: &FilterSet,
    matches: u64,
    vocabulary: &Vocabulary,
) -> Result<PageData> {
    let listing = Listing {
        filters: filters.clone(),
        sort: Sort::default(),
        // The export's columns (the CSV download must match users.csv) plus the stages for details.
        columns: [&EXPORT_COLUMNS[..], &STAGE_COLUMNS[..], &["email_key"]].concat(),
    };
    let limit = (matches > EMBED_LIMIT).then_some(EMBED_LIMIT);
    let stmt = listing.select(reader.sql(), limit, 0)?;
    let mut u = UserColumns::default();
    // Each user's matching key, which their devices carry too.
    let mut keys: Vec<String> = Vec::new();
    let mut n = 0u64;
    let code = |dim: Dimension, c: Cell| {
        let t = c.text();
        dim.values().iter().position(|v| *v == t)
    };
    reader.store().stream(&stmt, |b| {
        let [name, email, scim, last_used, license, status, activity, hub, reminders] =
            columns_of(b, EXPORT_COLUMNS)?;
        let [act, act_at, setup, setup_at, data, data_at] = columns_of(b, STAGE_COLUMNS)?;
        let [key] = columns_of(b, ["email_key"])?;
        let cell = |c: &dyn Array, r| cells::cell(c, r);
        for r in 0..b.num_rows() {
            u.name.push(text(&cell(name, r)));
            u.email.push(cell(email, r).text());
            u.scim.push(flag(&cell(scim, r)));
            u.last_used.push(secs(&cell(last_used, r)));
            u.license.push(code(Dimension::License, cell(license, r)));
            u.status.push(code(Dimension::Status, cell(status, r)));
            u.activity
                .push(code(Dimension::Activity, cell(activity, r)));
            u.hub.push(code(Dimension::Hub, cell(hub, r)));
            let count = match cell(reminders, r) {
                Cell::Int(i) => i,
                _ => 0,
            };
            u.reminders.push(count);
            let scim_code = match cell(scim, r) {
                Cell::Bool(true) => Some(0),
                Cell::Bool(false) => Some(1),
                _ => None,
            };
            u.codes.entry("scim").or_default().push(scim_code);
            let bucket = domain::reminder_bucket(count);
            u.codes.entry("reminders").or_default().push(
                Dimension::Reminders
                    .values()
                    .iter()
                    .position(|v| *v == bucket),
            );
            u.act.push(flag(&cell(act, r)));
            u.act_at.push(secs(&cell(act_at, r)));
            u.setup.push(flag(&cell(setup, r)));
            u.setup_at.push(secs(&cell(setup_at, r)));
            u.data.push(flag(&cell(data, r)));
            u.data_at.push(secs(&cell(data_at, r)));
            keys.push(cell(key, r).text());
            n += 1;
        }
        Ok(())
    })?;

    // Devices of the embedded users, in user order.
    let mut by_user: HashMap<String, Vec<[Cell; 5]>> = HashMap::new();
    let devices = reader.sql().stmt("read/devices.sql", vec![])?;
    reader.store().stream(&devices, |b| {
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
            by_user
                .entry(cells::cell(key, r).text())
                .or_default()
                .push([name, platform, version, last_used, hub].map(|c| cells::cell(c, r)));
        }
        Ok(())
    })?;
    let mut platforms = Dict::default();
    let mut versions = Dict::default();
    let mut d = DeviceColumns::default();
    for key in &keys {
        u.dev0.push(d.name.len());
        let list = by_user.get(key).map(Vec::as_slice).unwrap_or(&[]);
        u.devn.push(list.len());
        for [name, platform, version, last_used, hub] in list {
            d.name.push(text(name));
            d.platform.push(platforms.code(platform));
            d.version.push(versions.code(version));
            d.last_used.push(secs(last_used));
            d.hub.push(flag(hub));
        }
    }
    let mut page = PageData::new(vocabulary, u, d, false)?;
    page.partial = n < matches;
    page.n = n;
    page.platforms = platforms.values;
    page.versions = versions.values;
    Ok(page)
}

impl PageData {
    /// The page's words and the given users (a served page passes none; `page_data` sets the
    /// counts and dictionaries of the embedded ones).
    fn new(
        vocabulary: &Vocabulary,
        u: UserColumns,
        d: DeviceColumns,
        served: bool,
    ) -> Result<PageData> {
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
            meta: None,
            partial: false,
            n: 0,
            u,
            d,
            platforms: Vec::new(),
            versions: Vec::new(),
        })
    }
}

/// JSON that can sit inside `<script>`: no `<`, `>`, `&` or line separators survive as such,
/// so `</script>` or `<!--` in a name cannot end the block.
fn script_safe_json(value: &impl Serialize) -> Result<String> {
    let text = serde_json::to_string(value)?;
    let mut out = String::with_capacity(text.len() + 64);
    for ch in text.chars() {
        match ch {
            '<' => out.push_str("\\u003c"),
            '>' => out.push_str("\\u003e"),
            '&' => out.push_str("\\u0026"),
            '\u{2028}' => out.push_str("\\u2028"),
            '\u{2029}' => out.push_str("\\u2029"),
            c => out.push(c),
        }
    }
    Ok(out)
}

fn base64(bytes: &[u8]) -> String {
    const T: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let b = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(T[(n >> (18 - 6 * i) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// `'sha256-…'` of an inline block, as CSP wants it.
fn csp_hash(text: &str) -> String {
    use sha2::{Digest, Sha256};
    format!("'sha256-{}'", base64(&Sha256::digest(text.as_bytes())))
}

/// The served page's Content-Security-Policy: only the inline script and style whose hashes
/// it names, and requests to its own server's API. The page carries it in a meta tag; the
/// server sends it as a header on every reply.
pub(crate) fn csp(templates: &Templates) -> Result<String> {
    let css = templates.files.get("report.css")?;
    let js = templates.files.get("report.js")?;
    Ok(csp_of(&js, &css, true))
}

/// The page's policy; the static file may ask nothing of the network, the served page only
/// its own server (`connect-src 'self'`).
fn csp_of(js: &str, css: &str, served: bool) -> String {
    let connect = if served { "; connect-src 'self'" } else { "" };
    format!(
        "default-src 'none'; script-src {}; style-src {}; img-src data:; base-uri 'none'; form-action 'none'{connect}",
        csp_hash(js),
        csp_hash(css)
    )
}

/// Renders the page. Auto-escaping is on for every template, including a user's own.
fn render(data: &ReportData, templates: &Templates) -> Result<String> {
    let css = templates.files.get("report.css")?;
    let js = templates.files.get("report.js")?;
    let csp = csp_of(&js, &css, data.data.served);
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
            data_json => J::from_safe_string(script_safe_json(&data.data)?),
            meta => J::from_serialize(&data.meta),
            summary => J::from_serialize(&data.summary),
            columns => J::from_serialize(&data.data.columns),
            dim_titles => J::from_serialize(&data.data.dim_titles),
            vocabulary => J::from_serialize(&data.vocabulary),
            rejects => J::from_serialize(&data.rejects),
            rejects_total => data.rejects_total,
            served => data.data.served,
            snapshots => J::from_serialize(&data.snapshots),
        })
        .map_err(|e| anyhow::anyhow!("rendering the report: {e:#}"))?;
    Ok(html)
}

/// What `rollcall report` wrote.
pub(crate) struct Written {
    pub(crate) index: PathBuf,
    pub(crate) manifest: Manifest,
}

/// The report page for a scope and filter set, as HTML.
pub(crate) fn page(
    reader: &Reader,
    filters: &FilterSet,
    title: &str,
    templates: &Templates,
) -> Result<String> {
    render(&gather(reader, filters, title, Rows::Embedded)?, templates)
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
        &gather(reader, filters, title, Rows::Served { snapshots })?,
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
    Rejects {
        snapshot: &'a SnapshotInfo,
        /// One page of the snapshot's `total` rejects, from `offset`, at most `limit`.
        rejects: &'a [Reject],
        total: u64,
        offset: u64,
        limit: u64,
    },
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
    let csp = format!(
        "default-src 'none'; style-src {}; img-src data:; base-uri 'none'; form-action 'none'",
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
    out: &Path,
) -> Result<Written> {
    std::fs::create_dir_all(out).with_context(|| format!("--out {}", out.display()))?;
    let html = page(reader, filters, title, templates)?;
    let index = out.join("index.html");
    export::write_atomic(&index, html.as_bytes())?;
    let exported = export::write_file(
        reader,
        &export_spec(filters),
        &out.join("users.csv"),
        &out.join("manifest.json"),
        vec![FileHash::of(&index)?],
    )?;
    Ok(Written {
        index,
        manifest: exported.manifest,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

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

    #[test]
    fn base64_known_vectors() {
        assert_eq!(base64(b""), "");
        assert_eq!(base64(b"f"), "Zg==");
        assert_eq!(base64(b"fo"), "Zm8=");
        assert_eq!(base64(b"foo"), "Zm9v");
        assert_eq!(base64(b"foobar"), "Zm9vYmFy");
    }

    #[test]
    fn script_json_cannot_break_out() {
        let v = serde_json::json!({"name": "</script><!--<script>alert(1)</script>&\u{2028}"});
        let s = script_safe_json(&v).unwrap();
        assert!(
            !s.contains('<') && !s.contains('>') && !s.contains('&'),
            "{s}"
        );
        let back: serde_json::Value = serde_json::from_str(&s).unwrap();
        assert_eq!(back, v);
    }
}
