//! The read side as a library: the users list, summary, user details and export, for one
//! scope (snapshot, as-of, window) and one filter set. The CLI, the report and the server all
//! call these; the SQL comes from `queries/`, values are bound as parameters.

use std::collections::BTreeMap;

use anyhow::{Context, Result};
use chrono::{DateTime, Utc};
use duckdb::types::Value;
use serde::Serialize;

use crate::domain::{Dimension, FilterSet};
use crate::error::Failure;
use crate::output::{Cell, Grid};
use crate::queries::Sql;
use crate::store::{NoticeRow, Scope, SnapshotInfo, Store, PARAMS_CTE};

/// Columns of the users view that listings may show or sort by, with their kind.
pub const COLUMNS: &[&str] = &[
    "name",
    "email",
    "scim",
    "last_used",
    "license",
    "status",
    "activity",
    "hub",
    "reminders_sent",
    "device_count",
    "license_activated",
    "license_activated_at",
    "app_setup_completed",
    "app_setup_completed_at",
    "data_added",
    "data_added_at",
    "user_last_used",
    "status_given",
];

/// What the console's list shows.
pub const DEFAULT_COLUMNS: &[&str] = &["name", "email", "scim", "last_used", "license", "status"];
/// What exports and the report carry: the console's columns plus the other three filters' values.
pub const EXPORT_COLUMNS: &[&str] = &[
    "name",
    "email",
    "scim",
    "last_used",
    "license",
    "status",
    "activity",
    "hub",
    "reminders_sent",
];

const TEXT_COLUMNS: &[&str] = &[
    "name",
    "email",
    "license",
    "status",
    "activity",
    "hub",
    "status_given",
];

fn column(name: &str) -> Result<&'static str> {
    let wanted = match name.trim() {
        "reminders" => "reminders_sent",
        "devices" => "device_count",
        other => other,
    };
    COLUMNS
        .iter()
        .find(|c| **c == wanted)
        .copied()
        .ok_or_else(|| {
            Failure::Usage(format!(
                "unknown column '{name}': expected one of {}",
                COLUMNS.join(", ")
            ))
            .into()
        })
}

/// `--columns a,b`: checked against the view; empty means `default`.
pub fn resolve_columns(
    requested: &[String],
    default: &[&'static str],
) -> Result<Vec<&'static str>> {
    if requested.is_empty() {
        return Ok(default.to_vec());
    }
    requested
        .iter()
        .filter(|c| !c.trim().is_empty())
        .map(|c| column(c))
        .collect()
}

/// `--sort FIELD[:desc]`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Sort {
    pub column: &'static str,
    pub desc: bool,
}

impl Default for Sort {
    fn default() -> Self {
        Sort {
            column: "name",
            desc: false,
        }
    }
}

impl Sort {
    pub fn parse(text: Option<&str>) -> Result<Sort> {
        let Some(text) = text else {
            return Ok(Sort::default());
        };
        let (field, dir) = text.split_once(':').unwrap_or((text, "asc"));
        let desc = match dir.trim().to_ascii_lowercase().as_str() {
            "asc" => false,
            "desc" => true,
            other => {
                return Err(Failure::Usage(format!(
                    "--sort {text}: direction '{other}' must be asc or desc"
                ))
                .into())
            }
        };
        Ok(Sort {
            column: column(field).map_err(|e| Failure::Usage(format!("--sort: {e}")))?,
            desc,
        })
    }

    /// The ORDER BY clause: text compares case-insensitively, NULLs last, email breaks ties so
    /// every listing (and so every export) has one deterministic order.
    fn order_by(self) -> String {
        let key = if TEXT_COLUMNS.contains(&self.column) {
            format!("lower({})", self.column)
        } else {
            self.column.to_string()
        };
        let dir = if self.desc { "DESC" } else { "ASC" };
        format!("ORDER BY {key} {dir} NULLS LAST, email_key ASC")
    }

    pub fn describe(self) -> String {
        format!("{}{}", self.column, if self.desc { ":desc" } else { "" })
    }
}

/// SQL text and the parameters it binds, in order.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Stmt {
    pub sql: String,
    pub params: Vec<Value>,
}

impl Stmt {
    fn push(&mut self, text: &str) -> &mut Self {
        self.sql.push_str(text);
        self
    }

    fn append(&mut self, other: &Stmt) -> &mut Self {
        self.sql.push_str(&other.sql);
        self.params.extend(other.params.iter().cloned());
        self
    }

    /// Parameters as JSON, for manifests.
    pub fn params_json(&self) -> Vec<serde_json::Value> {
        self.params
            .iter()
            .map(|v| match v {
                Value::Null => serde_json::Value::Null,
                Value::Boolean(b) => (*b).into(),
                Value::BigInt(i) => (*i).into(),
                Value::Text(s) => s.clone().into(),
                Value::Timestamp(_, us) => DateTime::<Utc>::from_timestamp_micros(*us)
                    .map(|t| crate::util::iso(&t))
                    .into(),
                other => format!("{other:?}").into(),
            })
            .collect()
    }
}

/// `WITH params AS (…), users AS (views/users.sql)`: the start of every read over users.
fn users_cte(sql: &Sql, scope: &Scope) -> Result<Stmt> {
    let body = sql.fragment("views/users.sql")?;
    Ok(Stmt {
        sql: format!("WITH {PARAMS_CTE},\nusers AS (\n{body}\n)\n"),
        params: scope.params(),
    })
}

/// The predicate of a filter set: OR within a dimension, AND across, then custom filters and search.
/// `TRUE` when nothing is filtered, so it can always follow WHERE or FILTER (WHERE …).
pub fn predicate(sql: &Sql, filters: &FilterSet) -> Result<Stmt> {
    let mut parts: Vec<Stmt> = Vec::new();
    for (dim, values) in &filters.dimensions {
        let ors = values
            .iter()
            .map(|v| {
                sql.filter(&dim.filter_name(v))
                    .map(|f| format!("({})", f.body()))
            })
            .collect::<Result<Vec<_>>>()?;
        parts.push(Stmt {
            sql: format!("({})", ors.join(" OR ")),
            params: vec![],
        });
    }
    for name in &filters.custom {
        parts.push(Stmt {
            sql: format!("({})", sql.filter(name)?.body()),
            params: vec![],
        });
    }
    if let Some(text) = &filters.search {
        let body = sql.fragment("search.sql")?;
        parts.push(Stmt {
            sql: body,
            params: vec![Value::Text(text.clone()), Value::Text(text.clone())],
        });
    }
    let mut out = Stmt::default();
    if parts.is_empty() {
        out.push("TRUE");
    }
    for (i, p) in parts.iter().enumerate() {
        if i > 0 {
            out.push("\n  AND ");
        }
        out.append(p);
    }
    Ok(out)
}

/// A listing: what to read, which rows, in which order, which columns.
#[derive(Debug, Clone)]
pub struct Listing {
    pub scope: Scope,
    pub filters: FilterSet,
    pub sort: Sort,
    pub columns: Vec<&'static str>,
}

impl Listing {
    /// The SELECT that `users`, `export` and the report all run: one statement, so they agree.
    pub fn select(&self, sql: &Sql, limit: Option<u64>, offset: u64) -> Result<Stmt> {
        let mut s = users_cte(sql, &self.scope)?;
        s.push(&format!(
            "SELECT {}\nFROM users\nWHERE ",
            self.columns.join(", ")
        ));
        s.append(&predicate(sql, &self.filters)?);
        s.push(&format!("\n{}", self.sort.order_by()));
        if let Some(l) = limit {
            s.push("\nLIMIT ?");
            s.params.push(Value::BigInt(l as i64));
        }
        if offset > 0 {
            s.push("\nOFFSET ?");
            s.params.push(Value::BigInt(offset as i64));
        }
        Ok(s)
    }

    /// (matching users, all users in the snapshot).
    pub fn counts(&self, store: &Store) -> Result<(u64, u64)> {
        let mut s = users_cte(&store.sql, &self.scope)?;
        s.push("SELECT count(*) FILTER (WHERE ");
        s.append(&predicate(&store.sql, &self.filters)?);
        s.push(") AS matches, count(*) AS total FROM users");
        let g = store.grid(&s.sql, &s.params)?;
        Ok((int(&g, 0, 0), int(&g, 0, 1)))
    }
}

fn int(g: &Grid, row: usize, col: usize) -> u64 {
    match g.rows.get(row).and_then(|r| r.get(col)) {
        Some(Cell::Int(i)) => (*i).max(0) as u64,
        _ => 0,
    }
}

/// One page of the users list and the totals the count line reports.
#[derive(Debug, Clone)]
pub struct Page {
    pub matches: u64,
    pub total: u64,
    pub offset: u64,
    pub limit: Option<u64>,
    pub grid: Grid,
    pub stmt: Stmt,
}

pub fn users_page(
    store: &Store,
    listing: &Listing,
    limit: Option<u64>,
    offset: u64,
) -> Result<Page> {
    let stmt = listing.select(&store.sql, limit, offset)?;
    let grid = store.grid(&stmt.sql, &stmt.params)?;
    let (matches, total) = listing.counts(store)?;
    Ok(Page {
        matches,
        total,
        offset,
        limit,
        grid,
        stmt,
    })
}

/// Checks each custom filter in the set parses against the users view; the error names the file.
pub fn check_filters(store: &Store, scope: &Scope, filters: &FilterSet) -> Result<()> {
    for name in &filters.custom {
        let f = store.sql.filter(name)?;
        let mut s = users_cte(&store.sql, scope)?;
        s.push(&format!("SELECT count(*) FROM users WHERE ({})", f.body()));
        if let Err(e) = store.check(&s.sql) {
            let origin = if f.origin == "built-in" {
                format!("queries/filters/{name}.sql")
            } else {
                f.origin.clone()
            };
            return Err(
                Failure::Usage(format!("{origin}: filter '{name}' does not work: {e}")).into(),
            );
        }
    }
    Ok(())
}

/// One step of the onboarding funnel.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Step {
    pub key: &'static str,
    pub label: &'static str,
    pub count: u64,
    /// Of the users in scope (the first step).
    pub percent: f64,
}

/// A value of a facet.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FacetValue {
    pub value: &'static str,
    pub label: &'static str,
    pub count: u64,
    pub percent: f64,
    /// Whether the current filters select this value.
    pub selected: bool,
}

/// Counts for every value of one dimension, within all the other filters.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Facet {
    pub dimension: Dimension,
    /// Users matching every filter except this dimension's: the facet's 100 %.
    pub base: u64,
    pub values: Vec<FacetValue>,
}

/// Data-quality notices for the snapshot and scope.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Quality {
    pub rejected: u64,
    pub rejects_by_reason: BTreeMap<String, u64>,
    pub status_disagreements: u64,
    /// Users (in scope) whose last use is after the as-of instant.
    pub future_last_use: u64,
    pub future_examples: Vec<String>,
    pub notices: Vec<NoticeRow>,
}

/// `rollcall summary`: funnel, facets and notices.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Summary {
    pub snapshot: SnapshotInfo,
    #[serde(serialize_with = "crate::util::ser_ts")]
    pub as_of: DateTime<Utc>,
    pub window_days: i64,
    pub filters: String,
    pub total: u64,
    pub matches: u64,
    pub funnel: Vec<Step>,
    pub facets: Vec<Facet>,
    pub quality: Quality,
}

fn pct(n: u64, of: u64) -> f64 {
    if of == 0 {
        0.0
    } else {
        (n as f64 * 1000.0 / of as f64).round() / 10.0
    }
}

/// The funnel steps as (key, label, predicate over users). Without stage columns a using user
/// has evidently done every stage.
const FUNNEL: &[(&str, &str, &str)] = &[
    ("total", "Total users", "TRUE"),
    ("assigned", "License assigned", "license = 'assigned'"),
    (
        "activated",
        "Activated license",
        "license = 'assigned' AND coalesce(license_activated, status = 'using')",
    ),
    (
        "app_setup",
        "Completed app setup",
        "license = 'assigned' AND coalesce(app_setup_completed, status = 'using')",
    ),
    ("using", "Added data (using Enpass)", "status = 'using'"),
];

/// Computes the whole summary in one scan of the users view.
pub fn summary(store: &Store, scope: &Scope, filters: &FilterSet) -> Result<Summary> {
    let sql = &store.sql;
    let all = predicate(sql, filters)?;
    let mut s = users_cte(sql, scope)?;
    s.push("SELECT count(*) AS total");
    for (_, _, pred) in FUNNEL {
        s.push(&format!(",\n count(*) FILTER (WHERE ({pred}) AND ("));
        s.append(&all);
        s.push("))");
    }
    for dim in Dimension::ALL {
        let others = predicate(sql, &filters.without(dim))?;
        s.push(",\n count(*) FILTER (WHERE ");
        s.append(&others);
        s.push(")");
        for v in dim.values() {
            let f = sql.filter(&dim.filter_name(v))?;
            s.push(&format!(",\n count(*) FILTER (WHERE ({}) AND (", f.body()));
            s.append(&others);
            s.push("))");
        }
    }
    s.push(",\n count(*) FILTER (WHERE last_used > (SELECT as_of FROM params) AND (");
    s.append(&all);
    s.push("))");
    // The first few future-dated users come from the same scan, not a second one.
    s.push(",\n string_agg(email, chr(10) ORDER BY last_used DESC, email_key) FILTER (WHERE last_used > (SELECT as_of FROM params) AND (");
    s.append(&all);
    s.push("))\nFROM users");
    let t = crate::util::Timer::start();
    let g = store
        .grid(&s.sql, &s.params)
        .context("computing the summary")?;
    t.lap("summary scan");
    let mut col = 0;
    let mut next = || {
        let v = int(&g, 0, col);
        col += 1;
        v
    };
    let total = next();
    let mut funnel = Vec::new();
    for (key, label, _) in FUNNEL {
        funnel.push(Step {
            key,
            label,
            count: next(),
            percent: 0.0,
        });
    }
    let matches = funnel[0].count;
    for step in &mut funnel {
        step.percent = pct(step.count, matches);
    }
    let mut facets = Vec::new();
    for dim in Dimension::ALL {
        let base = next();
        let selected = filters.values_of(dim);
        let values = dim
            .values()
            .iter()
            .map(|v| {
                let count = next();
                FacetValue {
                    value: v,
                    label: dim.label(v),
                    count,
                    percent: pct(count, base),
                    selected: selected.contains(v),
                }
            })
            .collect();
        facets.push(Facet {
            dimension: dim,
            base,
            values,
        });
    }
    let future_last_use = next();
    // Emails hold no whitespace (the contract refuses it), so a newline joins them safely.
    let future_examples: Vec<String> = match g.rows.first().and_then(|r| r.get(col)) {
        Some(Cell::Text(list)) => list.lines().take(5).map(String::from).collect(),
        _ => Vec::new(),
    };
    let rejects = store.rejects(scope.snapshot.id)?;
    let mut rejects_by_reason = BTreeMap::new();
    for r in &rejects {
        *rejects_by_reason.entry(r.reason.clone()).or_insert(0) += 1;
    }
    let notices = store.notices(scope.snapshot.id)?;
    Ok(Summary {
        snapshot: scope.snapshot.clone(),
        as_of: scope.as_of,
        window_days: scope.window_days,
        filters: filters.describe(),
        total,
        matches,
        funnel,
        facets,
        quality: Quality {
            rejected: rejects.len() as u64,
            rejects_by_reason,
            status_disagreements: notices
                .iter()
                .filter(|n| n.kind == "status-disagreement")
                .count() as u64,
            future_last_use,
            future_examples,
            notices,
        },
    })
}

/// One onboarding stage on the details page.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Stage {
    pub label: &'static str,
    /// `None` when the export carried no stage columns.
    pub done: Option<bool>,
    #[serde(serialize_with = "ser_opt_ts")]
    pub at: Option<DateTime<Utc>>,
}

/// A device row on the details page (the console's columns).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Device {
    pub device_name: Option<String>,
    pub platform: Option<String>,
    pub enpass_version: Option<String>,
    #[serde(serialize_with = "ser_opt_ts")]
    pub last_used: Option<DateTime<Utc>>,
    pub hub_authenticated: bool,
}

/// `rollcall show`: what the console's User Details page shows.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Detail {
    pub name: Option<String>,
    pub email: String,
    pub scim: bool,
    pub license: String,
    pub status: String,
    pub status_label: &'static str,
    pub activity: String,
    pub hub: String,
    #[serde(serialize_with = "ser_opt_ts")]
    pub last_used: Option<DateTime<Utc>>,
    pub reminders_sent: i64,
    pub stages: Vec<Stage>,
    pub devices: Vec<Device>,
    pub snapshot: i64,
    #[serde(serialize_with = "crate::util::ser_ts")]
    pub as_of: DateTime<Utc>,
}

pub fn ser_opt_ts<S: serde::Serializer>(
    t: &Option<DateTime<Utc>>,
    s: S,
) -> Result<S::Ok, S::Error> {
    match t {
        Some(t) => crate::util::ser_ts(t, s),
        None => s.serialize_none(),
    }
}

fn text(c: &Cell) -> Option<String> {
    match c {
        Cell::Null => None,
        other => Some(other.text()),
    }
}

fn time(c: &Cell) -> Option<DateTime<Utc>> {
    match c {
        Cell::Time(t) => Some(*t),
        _ => None,
    }
}

fn boolean(c: &Cell) -> Option<bool> {
    match c {
        Cell::Bool(b) => Some(*b),
        _ => None,
    }
}

/// Looks a user up by email (trimmed, case-insensitive); an unknown email suggests the closest ones.
pub fn user_detail(store: &Store, scope: &Scope, email: &str) -> Result<Detail> {
    let sql = &store.sql;
    let key = email.trim().to_lowercase();
    let mut s = users_cte(sql, scope)?;
    s.push(
        "SELECT name, email, scim, license, status, activity, hub, last_used, reminders_sent, \
         license_activated, license_activated_at, app_setup_completed, app_setup_completed_at, \
         data_added, data_added_at FROM users WHERE email_key = ?",
    );
    s.params.push(Value::Text(key.clone()));
    let g = store.grid(&s.sql, &s.params)?;
    let Some(r) = g.rows.first() else {
        let mut near = users_cte(sql, scope)?;
        near.push("SELECT email FROM users ORDER BY levenshtein(email_key, ?), email_key LIMIT 3");
        near.params.push(Value::Text(key));
        let suggestions: Vec<String> = store
            .grid(&near.sql, &near.params)?
            .rows
            .into_iter()
            .map(|r| r[0].text())
            .collect();
        let hint = if suggestions.is_empty() {
            String::new()
        } else {
            format!("; did you mean {}?", suggestions.join(", "))
        };
        return Err(Failure::Usage(format!(
            "no user with email '{}' in snapshot {}{hint}",
            email.trim(),
            scope.snapshot.id
        ))
        .into());
    };
    let status = r[4].text();
    let stage = |label, done: usize, at: usize| Stage {
        label,
        done: boolean(&r[done]),
        at: time(&r[at]),
    };
    let d = {
        let body = sql.fragment("views/devices.sql")?;
        let mut d = Stmt {
            sql: format!(
                "WITH {PARAMS_CTE},\ndevices AS (\n{body}\n)\nSELECT device_name, platform, enpass_version, last_used, hub_authenticated \
                 FROM devices WHERE email_key = ? ORDER BY last_used DESC NULLS LAST, line"
            ),
            params: scope.params(),
        };
        d.params.push(Value::Text(email.trim().to_lowercase()));
        d
    };
    let devices = store
        .grid(&d.sql, &d.params)?
        .rows
        .iter()
        .map(|r| Device {
            device_name: text(&r[0]),
            platform: text(&r[1]),
            enpass_version: text(&r[2]),
            last_used: time(&r[3]),
            hub_authenticated: boolean(&r[4]).unwrap_or(false),
        })
        .collect();
    Ok(Detail {
        name: text(&r[0]),
        email: r[1].text(),
        scim: boolean(&r[2]).unwrap_or(false),
        license: r[3].text(),
        status_label: Dimension::Status.label(&status),
        status,
        activity: r[5].text(),
        hub: r[6].text(),
        last_used: time(&r[7]),
        reminders_sent: match r[8] {
            Cell::Int(i) => i,
            _ => 0,
        },
        stages: vec![
            stage("Activated License", 9, 10),
            stage("Completed App Setup", 11, 12),
            stage("Added Data in App", 13, 14),
        ],
        devices,
        snapshot: scope.snapshot.id,
        as_of: scope.as_of,
    })
}
