//! The SQL that defines rollcall: schema, derivations, views, filter predicates and saved queries,
//! embedded from `queries/` at build time (as refinery embeds migrations). `--queries DIR`
//! overrides any file by its relative path and adds custom filters and saved queries.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};

macro_rules! embed {
    ($($path:literal),* $(,)?) => {
        &[$(($path, include_str!(concat!("../queries/", $path)))),*]
    };
}

/// Every built-in SQL file, by its path under `queries/`.
const BUILTIN: &[(&str, &str)] = embed!(
    "schema.sql",
    "ingest/derive_users.sql",
    "ingest/insert_devices.sql",
    "ingest/status_notices.sql",
    "views/users.sql",
    "views/devices.sql",
    "views/rejects.sql",
    "views/notices.sql",
    "views/latest_params.sql",
    "search.sql",
    "views/current_snapshot.sql",
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
);

/// A named SQL file: a filter predicate or a saved query.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NamedSql {
    pub name: String,
    /// Where it came from: `built-in` or the override file's path.
    pub origin: String,
    pub sql: String,
}

impl NamedSql {
    /// The first comment line, which is the file's one-line description.
    pub fn description(&self) -> String {
        self.sql
            .lines()
            .map(str::trim)
            .find(|l| l.starts_with("--"))
            .map(|l| l.trim_start_matches('-').trim().to_string())
            .unwrap_or_default()
    }

    /// The SQL without comment lines or the trailing semicolon, ready to embed in a larger statement.
    pub fn body(&self) -> String {
        strip(&self.sql)
    }
}

/// The SQL in force: the built-ins, overridden from a user folder if one was given.
#[derive(Debug, Clone, Default)]
pub struct Sql {
    dir: Option<PathBuf>,
}

impl Sql {
    pub fn new(dir: Option<PathBuf>) -> Result<Sql> {
        if let Some(d) = &dir {
            if !d.is_dir() {
                anyhow::bail!("--queries {}: not a folder", d.display());
            }
        }
        Ok(Sql { dir })
    }

    /// A core file by its path under `queries/`: the user's copy if present, else the built-in.
    pub fn get(&self, path: &str) -> Result<String> {
        if let Some(dir) = &self.dir {
            let p = dir.join(path);
            if p.is_file() {
                return fs::read_to_string(&p).with_context(|| format!("{}", p.display()));
            }
        }
        BUILTIN
            .iter()
            .find(|(p, _)| *p == path)
            .map(|(_, sql)| sql.to_string())
            .with_context(|| format!("no built-in query {path}"))
    }

    /// A file as a fragment to embed in a larger statement: comment lines and the trailing
    /// semicolon removed, so a closing parenthesis can never end up inside a comment.
    pub fn fragment(&self, path: &str) -> Result<String> {
        Ok(strip(&self.get(path)?))
    }

    fn named(&self, folder: &str, extra_dirs: &[PathBuf]) -> Result<BTreeMap<String, NamedSql>> {
        let mut out = BTreeMap::new();
        let prefix = format!("{folder}/");
        for (path, sql) in BUILTIN {
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
    pub fn filters(&self) -> Result<BTreeMap<String, NamedSql>> {
        let dirs: Vec<PathBuf> = self
            .dir
            .iter()
            .flat_map(|d| [d.clone(), d.join("filters")])
            .collect();
        self.named("filters", &dirs)
    }

    pub fn filter(&self, name: &str) -> Result<NamedSql> {
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
    pub fn saved(&self) -> Result<BTreeMap<String, NamedSql>> {
        let dirs: Vec<PathBuf> = self.dir.iter().map(|d| d.join("saved")).collect();
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
