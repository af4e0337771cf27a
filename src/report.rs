//! The static HTML report: gathers plain data from the listing API, then renders it with
//! minijinja templates from `report-templates/` (embedded; `--templates DIR` overrides files).
//! Rendering never sees the database.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use minijinja::{AutoEscape, Environment, Value as J};
use serde::Serialize;

use crate::domain::{Dimension, FilterSet};
use crate::export::{self, FileHash, Manifest};
use crate::ingest::{InputMeta, Reject};
use crate::listing::{self, Listing, Sort, Summary};
use crate::output::Cell;
use crate::store::{cells, Scope, SnapshotInfo, Store};

/// Rows embedded in one page at most; larger scopes embed the first rows and point at users.csv.
pub const EMBED_LIMIT: u64 = 200_000;
/// Rejects listed in the page at most (all of them are in `rollcall rejects`).
pub const REJECTS_LIMIT: usize = 1000;

const BUILTIN_TEMPLATES: &[(&str, &str)] = &[
    (
        "report.html.j2",
        include_str!("../report-templates/report.html.j2"),
    ),
    ("report.css", include_str!("../report-templates/report.css")),
    ("report.js", include_str!("../report-templates/report.js")),
];

/// The templates in force: a user folder's files, falling back to the built-ins.
#[derive(Debug, Clone, Default)]
pub struct Templates {
    dir: Option<PathBuf>,
}

impl Templates {
    pub fn new(dir: Option<PathBuf>) -> Result<Templates> {
        if let Some(d) = &dir {
            if !d.is_dir() {
                anyhow::bail!("--templates {}: not a folder", d.display());
            }
        }
        Ok(Templates { dir })
    }

    pub fn get(&self, name: &str) -> Result<String> {
        if let Some(dir) = &self.dir {
            let p = dir.join(name);
            if p.is_file() {
                return std::fs::read_to_string(&p).with_context(|| format!("{}", p.display()));
            }
        }
        BUILTIN_TEMPLATES
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, t)| t.to_string())
            .with_context(|| format!("no template {name}"))
    }
}

/// Header facts of the report.
#[derive(Debug, Clone, Serialize)]
pub struct Meta {
    pub tool_version: &'static str,
    pub snapshot: SnapshotInfo,
    #[serde(serialize_with = "crate::util::ser_ts")]
    pub as_of: chrono::DateTime<chrono::Utc>,
    pub window_days: i64,
    pub scope: String,
    pub total_in_snapshot: u64,
    pub scope_rows: u64,
    pub embedded_rows: u64,
    pub truncated: bool,
    pub inputs: Vec<InputMeta>,
}

/// Everything the page shows, as plain data.
pub struct ReportData {
    pub title: String,
    pub meta: Meta,
    pub summary: Summary,
    pub rejects: Vec<Reject>,
    pub rejects_total: usize,
    /// The columnar users/devices JSON embedded in the page.
    pub data: serde_json::Value,
}

/// Reads what the report needs for a scope and filter set.
pub fn gather(
    store: &Store,
    scope: &Scope,
    filters: &FilterSet,
    title: &str,
) -> Result<ReportData> {
    let summary = listing::summary(store, scope, filters)?;
    let mut rejects = store.rejects(scope.snapshot.id)?;
    let rejects_total = rejects.len();
    rejects.truncate(REJECTS_LIMIT);
    let listing = Listing {
        scope: scope.clone(),
        filters: filters.clone(),
        sort: Sort::default(),
        // The export's columns (the CSV download must match users.csv) plus the stages for details.
        columns: [
            listing::EXPORT_COLUMNS,
            &[
                "license_activated",
                "license_activated_at",
                "app_setup_completed",
                "app_setup_completed_at",
                "data_added",
                "data_added_at",
            ],
        ]
        .concat(),
    };
    let data = embedded_data(store, &listing, summary.matches)?;
    let embedded = data["n"].as_u64().unwrap_or(0);
    Ok(ReportData {
        title: title.to_string(),
        meta: Meta {
            tool_version: crate::VERSION,
            snapshot: scope.snapshot.clone(),
            as_of: scope.as_of,
            window_days: scope.window_days,
            scope: filters.describe(),
            total_in_snapshot: summary.total,
            scope_rows: summary.matches,
            embedded_rows: embedded,
            truncated: embedded < summary.matches,
            inputs: store.inputs(scope.snapshot.id)?,
        },
        summary,
        rejects,
        rejects_total,
        data,
    })
}

fn secs(c: &Cell) -> serde_json::Value {
    match c {
        Cell::Time(t) => t.timestamp().into(),
        _ => serde_json::Value::Null,
    }
}

fn flag(c: &Cell) -> serde_json::Value {
    match c {
        Cell::Bool(b) => u8::from(*b).into(),
        _ => serde_json::Value::Null,
    }
}

/// Interns strings into a dictionary, so repeated values cost one small integer each.
#[derive(Default)]
struct Dict {
    index: HashMap<String, usize>,
    values: Vec<String>,
}

impl Dict {
    fn code(&mut self, c: &Cell) -> serde_json::Value {
        let text = match c {
            Cell::Null => return serde_json::Value::Null,
            other => other.text(),
        };
        let next = self.values.len();
        let i = *self.index.entry(text.clone()).or_insert_with(|| next);
        if i == next {
            self.values.push(text);
        }
        i.into()
    }
}

/// The page's data: columnar arrays with dictionary-coded categories (contract in report-templates/).
fn embedded_data(store: &Store, listing: &Listing, matches: u64) -> Result<serde_json::Value> {
    use serde_json::Value as V;
    let limit = (matches > EMBED_LIMIT).then_some(EMBED_LIMIT);
    let stmt = listing.select(&store.sql, limit, 0)?;
    let names = [
        "name",
        "email",
        "scim",
        "last_used",
        "license",
        "status",
        "activity",
        "hub",
        "reminders",
        "act",
        "act_at",
        "setup",
        "setup_at",
        "data",
        "data_at",
    ];
    let mut cols: Vec<Vec<V>> = vec![Vec::new(); names.len()];
    let dims: Vec<(Dimension, usize)> = vec![
        (Dimension::License, 4),
        (Dimension::Status, 5),
        (Dimension::Activity, 6),
        (Dimension::Hub, 7),
    ];
    let mut n = 0u64;
    store.stream(&stmt.sql, &stmt.params, |b| {
        for r in 0..b.num_rows() {
            let c: Vec<Cell> = b
                .columns()
                .iter()
                .map(|a| cells::cell(a.as_ref(), r))
                .collect();
            cols[0].push(match &c[0] {
                Cell::Null => V::Null,
                other => other.text().into(),
            });
            cols[1].push(c[1].text().into());
            cols[2].push(flag(&c[2]));
            cols[3].push(secs(&c[3]));
            for (dim, i) in &dims {
                let t = c[*i].text();
                cols[*i].push(
                    dim.values()
                        .iter()
                        .position(|v| *v == t)
                        .map_or(V::Null, V::from),
                );
            }
            cols[8].push(match c[8] {
                Cell::Int(i) => i.into(),
                _ => 0.into(),
            });
            for (k, i) in [(9, 9), (11, 11), (13, 13)] {
                cols[k].push(flag(&c[i]));
                cols[k + 1].push(secs(&c[i + 1]));
            }
            n += 1;
        }
        Ok(())
    })?;

    // Devices of the embedded users, in user order.
    let emails: Vec<String> = cols[1]
        .iter()
        .map(|e| e.as_str().unwrap_or("").to_lowercase())
        .collect();
    let mut by_user: HashMap<String, Vec<Vec<Cell>>> = HashMap::new();
    let devices_sql = format!(
        "WITH {},\ndevices AS (\n{}\n)\nSELECT email_key, device_name, platform, enpass_version, last_used, hub_authenticated FROM devices ORDER BY email_key, last_used DESC NULLS LAST, line",
        crate::store::PARAMS_CTE,
        store.sql.fragment("views/devices.sql")?
    );
    store.stream(&devices_sql, &listing.scope.params(), |b| {
        for r in 0..b.num_rows() {
            let c: Vec<Cell> = b
                .columns()
                .iter()
                .map(|a| cells::cell(a.as_ref(), r))
                .collect();
            by_user.entry(c[0].text()).or_default().push(c);
        }
        Ok(())
    })?;
    let mut platforms = Dict::default();
    let mut versions = Dict::default();
    let (mut dname, mut dplat, mut dver, mut dlast, mut dhub) =
        (vec![], vec![], vec![], vec![], vec![]);
    let (mut dev0, mut devn) = (
        Vec::with_capacity(emails.len()),
        Vec::with_capacity(emails.len()),
    );
    for key in &emails {
        dev0.push(V::from(dname.len()));
        let list = by_user.get(key).map(Vec::as_slice).unwrap_or(&[]);
        devn.push(V::from(list.len()));
        for c in list {
            dname.push(match &c[1] {
                Cell::Null => V::Null,
                o => o.text().into(),
            });
            dplat.push(platforms.code(&c[2]));
            dver.push(versions.code(&c[3]));
            dlast.push(secs(&c[4]));
            dhub.push(flag(&c[5]));
        }
    }
    let mut u = serde_json::Map::new();
    for (name, col) in names.iter().zip(cols) {
        u.insert(name.to_string(), V::Array(col));
    }
    u.insert("dev0".into(), V::Array(dev0));
    u.insert("devn".into(), V::Array(devn));
    let labels: serde_json::Map<String, V> = [
        Dimension::License,
        Dimension::Status,
        Dimension::Activity,
        Dimension::Hub,
    ]
    .iter()
    .map(|d| {
        let m: serde_json::Map<String, V> = d
            .values()
            .iter()
            .map(|v| (v.to_string(), V::from(d.label(v))))
            .collect();
        (d.name().to_string(), V::Object(m))
    })
    .collect();
    let dims_json: serde_json::Map<String, V> = [
        Dimension::License,
        Dimension::Status,
        Dimension::Activity,
        Dimension::Hub,
    ]
    .iter()
    .map(|d| (d.name().to_string(), V::from(d.values().to_vec())))
    .collect();
    Ok(serde_json::json!({
        "columns": listing::EXPORT_COLUMNS,
        "dims": dims_json,
        "labels": labels,
        "n": n,
        "u": u,
        "d": {"name": dname, "platform": dplat, "version": dver, "last_used": dlast, "hub": dhub},
        "platforms": platforms.values,
        "versions": versions.values,
    }))
}

/// JSON that can sit inside `<script>`: no `<`, `>`, `&` or line separators survive as such,
/// so `</script>` or `<!--` in a name cannot end the block.
pub fn script_safe_json(value: &serde_json::Value) -> Result<String> {
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
pub fn csp_hash(text: &str) -> String {
    use sha2::{Digest, Sha256};
    format!("'sha256-{}'", base64(&Sha256::digest(text.as_bytes())))
}

/// Renders the page. Auto-escaping is on for every template, including a user's own.
pub fn render(data: &ReportData, templates: &Templates) -> Result<String> {
    let css = templates.get("report.css")?;
    let js = templates.get("report.js")?;
    let csp = format!(
        "default-src 'none'; script-src {}; style-src {}; img-src data:; base-uri 'none'; form-action 'none'",
        csp_hash(&js),
        csp_hash(&css)
    );
    let mut env = Environment::new();
    env.set_auto_escape_callback(|_| AutoEscape::Html);
    env.set_undefined_behavior(minijinja::UndefinedBehavior::Strict);
    let source = templates.get("report.html.j2")?;
    env.add_template_owned("report.html.j2", source)
        .context("report-templates/report.html.j2")?;
    let tmpl = env.get_template("report.html.j2")?;
    let html = tmpl
        .render(minijinja::context! {
            title => &data.title,
            csp => csp,
            css => J::from_safe_string(css),
            js => J::from_safe_string(js),
            data_json => J::from_safe_string(script_safe_json(&data.data)?),
            meta => J::from_serialize(&data.meta),
            summary => J::from_serialize(&data.summary),
            rejects => J::from_serialize(&data.rejects),
            rejects_total => data.rejects_total,
        })
        .map_err(|e| anyhow::anyhow!("rendering the report: {e:#}"))?;
    Ok(html)
}

/// What `rollcall report` wrote.
pub struct Written {
    pub index: PathBuf,
    pub manifest: Manifest,
}

/// Writes index.html, users.csv (the guarded export of the same rows) and manifest.json.
pub fn write(
    store: &Store,
    scope: &Scope,
    filters: &FilterSet,
    title: &str,
    templates: &Templates,
    out: &Path,
) -> Result<Written> {
    std::fs::create_dir_all(out).with_context(|| format!("--out {}", out.display()))?;
    let data = gather(store, scope, filters, title)?;
    let html = render(&data, templates)?;
    let index = out.join("index.html");
    export::write_atomic(&index, html.as_bytes())?;
    let listing = Listing {
        scope: scope.clone(),
        filters: filters.clone(),
        sort: Sort::default(),
        columns: listing::EXPORT_COLUMNS.to_vec(),
    };
    let csv = out.join("users.csv");
    let (rows, stmt, csv_hash) =
        export::write_rows(store, &listing, &csv, export::Format::Csv, true)?;
    let mut manifest = Manifest::new(store, &listing, &stmt, export::Format::Csv, true, rows)?;
    manifest.files = vec![FileHash::of(&index)?, csv_hash];
    manifest.write(&out.join("manifest.json"))?;
    Ok(Written { index, manifest })
}

#[cfg(test)]
mod tests {
    use super::*;

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
