//! The SQL that defines rollcall: schema, derivations, views, the read side's statements,
//! filter predicates and saved queries, embedded from `queries/` at build time. `--queries DIR`
//! overrides any file by its relative path and adds custom filters and saved queries (through
//! the same [`Overlay`] as `--templates`). Statements that need pieces joined in (a column list,
//! the filters' predicate) name their slots as `/*slot*/` comments; [`Sql::fill`] fills them.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use chrono::{DateTime, Utc};

use crate::overlay::{embed, Builtin, Overlay};

/// Every built-in SQL file, by its path under `queries/`.
const BUILTIN: Builtin = embed!("queries":
    "schema.sql",
    "ingest/settings.sql",
    "ingest/next_id.sql",
    "ingest/insert_snapshot.sql",
    "ingest/derive_users.sql",
    "ingest/insert_devices.sql",
    "ingest/status_notices.sql",
    "ingest/stage_notices.sql",
    "ingest/usage_notices.sql",
    "store/tables.sql",
    "store/schema_version.sql",
    "store/record_version.sql",
    "store/checkpoint.sql",
    "store/view.sql",
    "migrations/002-schema-version.sql",
    "migrations/003-reminders.sql",
    "remind/candidates.sql",
    "remind/last_sent.sql",
    "remind/log.sql",
    "migrations/004-license-worklist.sql",
    "migrations/005-license-decisions.sql",
    "licenses/decisions.sql",
    "licenses/todo.sql",
    "licenses/user.sql",
    "licenses/mark.sql",
    "licenses/set_seats.sql",
    "licenses/seats.sql",
    "licenses/assigned.sql",
    "session/params.sql",
    "session/params_table.sql",
    "session/view.sql",
    "session/sort_key.sql",
    "query/memory_limit.sql",
    "serve/temp_directory.sql",
    "query/lock_settings.sql",
    "views/users.sql",
    "views/devices.sql",
    "views/rejects.sql",
    "views/notices.sql",
    "views/latest_params.sql",
    "views/current_snapshot.sql",
    "views/license_decisions.sql",
    "diff/users.sql",
    "read/snapshots.sql",
    "read/collation.sql",
    "read/inputs.sql",
    "read/rejects.sql",
    "read/rejects_page.sql",
    "read/rejects_count.sql",
    "read/user_in_view.sql",
    "read/notices.sql",
    "read/users.sql",
    "read/users_pseudonymized.sql",
    "read/count.sql",
    "read/check_filter.sql",
    "read/summary.sql",
    "read/user.sql",
    "read/suggest.sql",
    "read/user_devices.sql",
    "read/devices.sql",
    "read/standalone.sql",
    "export/stage.sql",
    "export/count.sql",
    "export/columns.sql",
    "export/utc_column.sql",
    "export/parquet.sql",
    "export/unstage.sql",
    "export_db/attach.sql",
    "export_db/source.sql",
    "export_db/copy.sql",
    "export_db/contents.sql",
    "export_db/checkpoint.sql",
    "export_db/detach.sql",
    "search.sql",
    "funnel/total.sql",
    "funnel/assigned.sql",
    "funnel/activated.sql",
    "funnel/app_setup.sql",
    "funnel/using.sql",
    "filters/license-assigned.sql",
    "filters/license-unassigned.sql",
    "filters/status-no-license.sql",
    "filters/status-pending.sql",
    "filters/status-using.sql",
    "filters/activity-active.sql",
    "filters/activity-inactive.sql",
    "filters/activity-never.sql",
    "filters/hub-authenticated.sql",
    "filters/hub-never.sql",
    "filters/scim-yes.sql",
    "filters/scim-no.sql",
    "filters/reminders-0.sql",
    "filters/reminders-1.sql",
    "filters/reminders-2.sql",
    "filters/reminders-3+.sql",
    "saved/stuck-pending.sql",
    "saved/licensed-never-used.sql",
    "saved/outdated-devices.sql",
    "saved/active-without-hub.sql",
    "check/describe.sql",
    "check/measure.sql",
    "check/offenders.sql",
);

/// A value bound to a `?`: the read side's own type, so only the store knows DuckDB's.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Param {
    Int(i64),
    Text(String),
    Time(DateTime<Utc>),
}

impl Param {
    /// As a manifest records it.
    fn json(&self) -> serde_json::Value {
        match self {
            Param::Int(i) => (*i).into(),
            Param::Text(s) => s.as_str().into(),
            Param::Time(t) => crate::util::iso(t).into(),
        }
    }
}

/// SQL text and the parameters it binds, in order.
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct Stmt {
    pub(crate) sql: String,
    pub(crate) params: Vec<Param>,
}

impl Stmt {
    pub(crate) fn new(sql: impl Into<String>, params: Vec<Param>) -> Stmt {
        Stmt {
            sql: sql.into(),
            params,
        }
    }

    pub(crate) fn push(&mut self, text: &str) -> &mut Self {
        self.sql.push_str(text);
        self
    }

    pub(crate) fn append(&mut self, other: &Stmt) -> &mut Self {
        self.sql.push_str(&other.sql);
        self.params.extend(other.params.iter().cloned());
        self
    }

    /// Parameters as JSON, for manifests.
    pub(crate) fn params_json(&self) -> Vec<serde_json::Value> {
        self.params.iter().map(Param::json).collect()
    }

    /// A column or database name as a quoted SQL identifier: the one kind of name Rust joins
    /// into a statement (a column list, a catalog), never a value.
    pub(crate) fn ident(name: &str) -> Stmt {
        Stmt::new(format!("\"{}\"", name.replace('"', "\"\"")), vec![])
    }

    /// Joins statements with a separator, keeping each one's parameters in order.
    pub(crate) fn join(parts: &[Stmt], sep: &str) -> Stmt {
        let mut out = Stmt::default();
        for (i, p) in parts.iter().enumerate() {
            if i > 0 {
                out.push(sep);
            }
            out.append(p);
        }
        out
    }
}

/// Fills each `/*slot*/` of `text` with its statement, in the order the slots appear (a slot may
/// appear more than once). Other comments stay as they are; every slot given must be used.
fn fill_text(text: &str, slots: &[(&str, &Stmt)]) -> Result<Stmt, String> {
    let mut out = Stmt::default();
    let mut used = vec![false; slots.len()];
    let mut rest = text;
    while let Some(start) = rest.find("/*") {
        let Some(len) = rest[start..].find("*/") else {
            break;
        };
        let name = &rest[start + 2..start + len];
        out.push(&rest[..start]);
        match slots.iter().position(|(n, _)| *n == name) {
            Some(i) => {
                used[i] = true;
                out.append(slots[i].1);
            }
            None => {
                out.push(&rest[start..start + len + 2]);
            }
        }
        rest = &rest[start + len + 2..];
    }
    out.push(rest);
    match slots.iter().zip(&used).find(|(_, used)| !**used) {
        Some(((name, _), _)) => Err(format!("has no /*{name}*/ slot")),
        None => Ok(out),
    }
}

/// A named SQL file: a filter predicate or a saved query.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct NamedSql {
    pub(crate) name: String,
    /// Where it came from: `built-in` or the override file's path.
    pub(crate) origin: String,
    pub(crate) sql: String,
}

impl NamedSql {
    /// The first comment line, which is the file's one-line description.
    pub(crate) fn description(&self) -> String {
        self.sql
            .lines()
            .map(str::trim)
            .find(|l| l.starts_with("--"))
            .map(|l| l.trim_start_matches('-').trim().to_string())
            .unwrap_or_default()
    }

    /// The SQL without comment lines or the trailing semicolon, ready to embed in a larger statement.
    pub(crate) fn body(&self) -> String {
        strip(&self.sql)
    }
}

/// The SQL in force: the built-ins, overridden from a user folder if one was given.
#[derive(Debug, Clone)]
pub(crate) struct Sql {
    files: Overlay,
}

impl Default for Sql {
    fn default() -> Self {
        Sql {
            files: Overlay::new("--queries", None, BUILTIN).expect("no folder to check"),
        }
    }
}

impl Sql {
    pub(crate) fn new(dir: Option<PathBuf>) -> Result<Sql> {
        Ok(Sql {
            files: Overlay::new("--queries", dir, BUILTIN)?,
        })
    }

    /// A file by its path under `queries/`: the user's copy if present, else the built-in.
    pub(crate) fn get(&self, path: &str) -> Result<String> {
        self.files.get(path)
    }

    /// A file as a fragment to embed in a larger statement: comment lines and the trailing
    /// semicolon removed, so a closing parenthesis can never end up inside a comment.
    pub(crate) fn fragment(&self, path: &str) -> Result<String> {
        Ok(strip(&self.get(path)?))
    }

    /// A statement file whose `?` take `params`.
    pub(crate) fn stmt(&self, path: &str, params: Vec<Param>) -> Result<Stmt> {
        Ok(Stmt::new(self.fragment(path)?, params))
    }

    /// A statement file with its `/*slot*/`s filled (see [`fill_text`]).
    pub(crate) fn fill(&self, path: &str, slots: &[(&str, &Stmt)]) -> Result<Stmt> {
        fill_text(&self.fragment(path)?, slots).map_err(|e| {
            let origin = match self.files.dir() {
                Some(d) if d.join(path).is_file() => d.join(path).display().to_string(),
                _ => format!("queries/{path}"),
            };
            crate::error::Failure::Usage(format!("{origin} {e}")).into()
        })
    }

    fn named(&self, folder: &str, extra_dirs: &[PathBuf]) -> Result<BTreeMap<String, NamedSql>> {
        let mut out = BTreeMap::new();
        let prefix = format!("{folder}/");
        for (path, sql) in self.files.builtins_in(folder) {
            if let Some(name) = path.strip_prefix(&prefix) {
                let name = name.trim_end_matches(".sql").to_string();
                out.insert(
                    name.clone(),
                    NamedSql {
                        name,
                        origin: "built-in".into(),
                        sql: sql.to_string(),
                    },
                );
            }
        }
        for dir in extra_dirs {
            for (name, path) in sql_files(dir)? {
                let sql =
                    fs::read_to_string(&path).with_context(|| format!("{}", path.display()))?;
                out.insert(
                    name.clone(),
                    NamedSql {
                        name,
                        origin: path.display().to_string(),
                        sql,
                    },
                );
            }
        }
        Ok(out)
    }

    /// Every filter: built-ins, then `DIR/filters/*.sql` and `DIR/*.sql`, later ones overriding.
    pub(crate) fn filters(&self) -> Result<BTreeMap<String, NamedSql>> {
        let dirs: Vec<PathBuf> = self
            .files
            .dir()
            .iter()
            .flat_map(|d| [d.to_path_buf(), d.join("filters")])
            .collect();
        self.named("filters", &dirs)
    }

    pub(crate) fn filter(&self, name: &str) -> Result<NamedSql> {
        let all = self.filters()?;
        all.get(name).cloned().ok_or_else(|| {
            crate::error::Failure::Usage(format!(
                "unknown filter '{name}': `rollcall filters` lists them ({})",
                all.keys().cloned().collect::<Vec<_>>().join(", ")
            ))
            .into()
        })
    }

    /// Saved queries: built-ins and `DIR/saved/*.sql`.
    pub(crate) fn saved(&self) -> Result<BTreeMap<String, NamedSql>> {
        let dirs: Vec<PathBuf> = self.files.dir().iter().map(|d| d.join("saved")).collect();
        self.named("saved", &dirs)
    }
}

fn strip(sql: &str) -> String {
    let text: Vec<&str> = sql
        .lines()
        .filter(|l| !l.trim_start().starts_with("--"))
        .collect();
    text.join("\n")
        .trim()
        .trim_end_matches(';')
        .trim()
        .to_string()
}

fn sql_files(dir: &Path) -> Result<Vec<(String, PathBuf)>> {
    if !dir.is_dir() {
        return Ok(Vec::new());
    }
    let mut out = Vec::new();
    for entry in fs::read_dir(dir).with_context(|| format!("{}", dir.display()))? {
        let path = entry?.path();
        if path.is_file() && path.extension().is_some_and(|e| e == "sql") {
            if let Some(stem) = path.file_stem() {
                out.push((stem.to_string_lossy().into_owned(), path));
            }
        }
    }
    out.sort();
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builtin_filters_cover_every_dimension_value() {
        let filters = Sql::default().filters().unwrap();
        for dim in crate::domain::Dimension::ALL {
            for v in dim.values() {
                let f = &filters[&dim.filter_name(v)];
                assert!(!f.description().is_empty(), "{} has no description", f.name);
                assert!(!f.body().is_empty());
            }
        }
        assert_eq!(filters.len(), 16);
    }

    #[test]
    fn slots_fill_in_order_and_keep_their_parameters() {
        let a = Stmt::new("x = ?", vec![Param::Int(1)]);
        let b = Stmt::new("y = ?", vec![Param::Text("t".into())]);
        let s = fill_text(
            "SELECT /*a*/ /* a comment */ WHERE /*b*/ AND /*a*/",
            &[("b", &b), ("a", &a)],
        )
        .unwrap();
        assert_eq!(s.sql, "SELECT x = ? /* a comment */ WHERE y = ? AND x = ?");
        assert_eq!(
            s.params,
            [Param::Int(1), Param::Text("t".into()), Param::Int(1)]
        );
        assert_eq!(
            fill_text("SELECT 1", &[("a", &a)]).unwrap_err(),
            "has no /*a*/ slot"
        );
    }

    /// Every .rs and .sql file under `dir`, as (path, text).
    fn files(dir: &Path, ext: &str, out: &mut Vec<(PathBuf, String)>) {
        for entry in fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                files(&path, ext, out);
            } else if path.extension().is_some_and(|e| e == ext) {
                out.push((path.clone(), fs::read_to_string(&path).unwrap()));
            }
        }
    }

    #[test]
    fn every_file_in_queries_is_embedded_once() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("queries");
        let mut on_disk = Vec::new();
        files(&root, "sql", &mut on_disk);
        let mut on_disk: Vec<String> = on_disk
            .iter()
            .map(|(p, _)| p.strip_prefix(&root).unwrap().display().to_string())
            .collect();
        on_disk.sort();
        let mut embedded: Vec<String> = BUILTIN.iter().map(|(p, _)| p.to_string()).collect();
        embedded.sort();
        assert_eq!(embedded, on_disk);
        for (path, text) in BUILTIN {
            assert!(!strip(text).is_empty(), "{path} is empty");
        }
    }

    /// README promises all SQL lives in queries/: Rust only joins predicates into statements.
    /// A string literal outside tests that holds a statement keyword followed by more text fails.
    #[test]
    fn no_sql_statement_is_written_in_rust() {
        const KEYWORDS: &[&str] = &[
            "SELECT",
            "INSERT",
            "UPDATE",
            "DELETE",
            "CREATE",
            "DROP",
            "COPY",
            "ALTER",
            "BEGIN",
            "COMMIT",
            "ROLLBACK",
            "CHECKPOINT",
            "PRAGMA",
            "ATTACH",
            "WITH",
            "SET",
            "EXPLAIN",
        ];
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
        let mut sources = Vec::new();
        files(&root, "rs", &mut sources);
        assert!(sources.len() > 20, "found only {} files", sources.len());
        let mut found = Vec::new();
        for (path, text) in &sources {
            let code = text.split("#[cfg(test)]").next().unwrap_or_default();
            for (n, line) in code.lines().enumerate() {
                if line.trim_start().starts_with("//") {
                    continue;
                }
                for literal in line.split('"').skip(1).step_by(2) {
                    // A keyword with more text after it: `SELECT x`, not a lone word in a message.
                    let words: Vec<&str> = literal.split_whitespace().collect();
                    let followed = words.len().saturating_sub(1);
                    if words[..followed].iter().any(|w| KEYWORDS.contains(w)) {
                        found.push(format!("{}:{}: {literal}", path.display(), n + 1));
                    }
                }
            }
        }
        assert!(found.is_empty(), "SQL in Rust:\n{}", found.join("\n"));
    }

    #[test]
    fn user_folder_overrides_and_adds() {
        let dir = tempfile::tempdir().unwrap();
        fs::create_dir(dir.path().join("filters")).unwrap();
        fs::write(
            dir.path().join("filters/big-org.sql"),
            "-- At example.com\nemail_key LIKE '%@example.com'\n",
        )
        .unwrap();
        fs::write(dir.path().join("vip.sql"), "-- VIPs\nname = 'Zoë';\n").unwrap();
        fs::create_dir(dir.path().join("views")).unwrap();
        fs::write(dir.path().join("views/devices.sql"), "SELECT 1").unwrap();
        let sql = Sql::new(Some(dir.path().to_path_buf())).unwrap();
        let filters = sql.filters().unwrap();
        assert_eq!(filters["big-org"].description(), "At example.com");
        assert_eq!(filters["vip"].body(), "name = 'Zoë'");
        assert!(filters.contains_key("status-pending"));
        assert_eq!(sql.get("views/devices.sql").unwrap(), "SELECT 1");
        assert!(sql.get("views/users.sql").unwrap().contains("activity"));
        assert!(sql
            .filter("nope")
            .unwrap_err()
            .to_string()
            .contains("unknown filter 'nope'"));
    }
}
