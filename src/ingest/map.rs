//! `--map FILE`: a TOML file that lets an export from another console ingest without
//! preprocessing. It renames columns to rollcall's fields, maps values to the contract's
//! words, and adds date layouts. Example maps live in `queries/maps/`.
//!
//! ```toml
//! date_formats = ["%Y/%m/%d %H:%M:%S"]
//! [users.columns]            # the export's header = a rollcall field
//! "Last Sign In [READ ONLY]" = "last_used"
//! [users.values.status]      # a value as exported = the contract's value
//! "Confirmed" = "Using Enpass"
//! ```

use std::collections::{BTreeMap, HashMap};
use std::path::Path;

use serde::Deserialize;

use super::contract::{normalize_header, Field, Kind};
use crate::error::InputError;
use crate::overlay::{embed, Builtin};

/// The maps shipped in `queries/maps/`, usable by name (`--map google-workspace`).
const BUILTIN: Builtin = embed!("queries": "maps/google-workspace.toml", "maps/bitwarden.toml");

/// A column mapped to this is known and deliberately not read: no unknown-column notice and no
/// near-miss warning for it.
pub(crate) const IGNORE: &str = "-";

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct MapFile {
    #[serde(default)]
    date_formats: Vec<String>,
    #[serde(default)]
    users: KindFile,
    #[serde(default)]
    devices: KindFile,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct KindFile {
    #[serde(default)]
    columns: BTreeMap<String, String>,
    #[serde(default)]
    values: BTreeMap<String, BTreeMap<String, String>>,
}

/// A loaded map: for each export, header renames and value translations by field.
#[derive(Debug, Default, Clone)]
pub(crate) struct Mapping {
    pub(crate) date_formats: Vec<String>,
    users: KindMapping,
    devices: KindMapping,
}

#[derive(Debug, Default, Clone)]
struct KindMapping {
    /// Normalised header → field (`None`: ignored on purpose).
    columns: HashMap<String, Option<Field>>,
    /// By field: a value as exported (trimmed, lower-cased) → the contract's value. Leaked
    /// once per run so cells can borrow them for as long as the rows live.
    values: HashMap<Field, HashMap<String, &'static str>>,
}

/// The field names a map may use: the views' column names.
const FIELDS: &[(&str, Field)] = &[
    ("name", Field::Name),
    ("email", Field::Email),
    ("scim", Field::Scim),
    ("license", Field::License),
    ("license_activated", Field::LicenseActivated),
    ("app_setup_completed", Field::AppSetupCompleted),
    ("data_added", Field::DataAdded),
    ("last_used", Field::LastUsed),
    ("reminders_sent", Field::RemindersSent),
    ("status", Field::Status),
    ("device_name", Field::DeviceName),
    ("platform", Field::Platform),
    ("enpass_version", Field::EnpassVersion),
    ("hub_authenticated", Field::HubAuthenticated),
];

impl Mapping {
    /// Reads and checks a map: a file, or the name of a built-in one. Every problem is one line
    /// naming the file, the line and the key (exit 2).
    pub(crate) fn load(spec: &Path) -> Result<Mapping, InputError> {
        let builtin = spec.to_str().and_then(|name| {
            BUILTIN
                .iter()
                .find(|(p, _)| *p == format!("maps/{name}.toml"))
        });
        let (shown, text) = match builtin {
            Some((p, text)) if !spec.exists() => (format!("queries/{p}"), text.to_string()),
            _ => {
                let shown = spec.display().to_string();
                let text = std::fs::read_to_string(spec).map_err(|e| {
                    let names: Vec<&str> = BUILTIN
                        .iter()
                        .map(|(p, _)| p.trim_start_matches("maps/").trim_end_matches(".toml"))
                        .collect();
                    InputError::new(
                        &shown,
                        format!(
                            "cannot read the map ({e}); the built-in maps are {}",
                            names.join(", ")
                        ),
                    )
                })?;
                (shown, text)
            }
        };
        let file: MapFile = toml::from_str(&text).map_err(|e| {
            let at = e.span().map_or(String::new(), |s| {
                let line = text[..s.start].matches('\n').count() + 1;
                let col = text[..s.start]
                    .rsplit('\n')
                    .next()
                    .unwrap_or("")
                    .chars()
                    .count()
                    + 1;
                format!("line {line}, column {col}: ")
            });
            InputError::new(&shown, format!("{at}{}", e.message().trim()))
        })?;
        let line_of = |needle: &str| {
            text.lines()
                .position(|l| l.contains(needle))
                .map_or(String::new(), |i| format!("line {}: ", i + 1))
        };
        let kind_mapping = |kind: Kind, k: KindFile| -> Result<KindMapping, InputError> {
            let mut out = KindMapping::default();
            let field_named = |name: &str, table: &str, key: &str| {
                let field = FIELDS.iter().find(|(n, _)| *n == name).map(|(_, f)| *f);
                let usable = field.filter(|f| kind.fields().iter().any(|(g, _)| g == f));
                usable.ok_or_else(|| {
                    let names: Vec<&str> = FIELDS
                        .iter()
                        .filter(|(_, f)| kind.fields().iter().any(|(g, _)| g == f))
                        .map(|(n, _)| *n)
                        .collect();
                    InputError::new(
                        &shown,
                        format!(
                            "{}[{}] '{key}': '{name}' is not a field of the {} export (expected one of {})",
                            line_of(key),
                            table,
                            kind.as_str(),
                            names.join(", ")
                        ),
                    )
                })
            };
            let table = format!("{}.columns", kind.as_str());
            for (header, field) in &k.columns {
                let f = match field.as_str() {
                    IGNORE => None,
                    name => Some(field_named(name, &table, header)?),
                };
                out.columns.insert(normalize_header(header), f);
            }
            for (field, values) in k.values {
                let table = format!("{}.values", kind.as_str());
                let f = field_named(&field, &table, &field)?;
                let values = values
                    .into_iter()
                    .map(|(from, to)| {
                        let to: &'static str = Box::leak(to.into_boxed_str());
                        (from.trim().to_lowercase(), to)
                    })
                    .collect();
                out.values.insert(f, values);
            }
            Ok(out)
        };
        Ok(Mapping {
            date_formats: file.date_formats,
            users: kind_mapping(Kind::Users, file.users)?,
            devices: kind_mapping(Kind::Devices, file.devices)?,
        })
    }

    fn of(&self, kind: Kind) -> &KindMapping {
        match kind {
            Kind::Users => &self.users,
            Kind::Devices => &self.devices,
        }
    }

    /// What the map says of a header: `Some(Some(field))` renamed, `Some(None)` ignored on
    /// purpose, `None` not in the map.
    pub(crate) fn column(&self, kind: Kind, header: &str) -> Option<Option<Field>> {
        self.of(kind)
            .columns
            .get(&normalize_header(header))
            .copied()
    }

    /// The value translations of a field, if the map has any.
    pub(crate) fn values(
        &self,
        kind: Kind,
        field: Field,
    ) -> Option<&HashMap<String, &'static str>> {
        self.of(kind).values.get(&field)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn load(text: &str) -> Result<Mapping, String> {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("m.toml");
        std::fs::write(&p, text).unwrap();
        Mapping::load(&p).map_err(|e| e.message)
    }

    #[test]
    fn renames_values_and_layouts() {
        let m = load(
            "date_formats = [\"%d/%m/%Y\"]\n[users.columns]\n\"Last Login (UTC)\" = \"last_used\"\n[users.values.status]\nConfirmed = \"Using Enpass\"\n",
        )
        .unwrap();
        assert_eq!(m.date_formats, ["%d/%m/%Y"]);
        assert_eq!(
            m.column(Kind::Users, "last login"),
            Some(Some(Field::LastUsed))
        );
        assert_eq!(m.column(Kind::Devices, "Last Login"), None);
        assert_eq!(
            m.values(Kind::Users, Field::Status).unwrap()["confirmed"],
            "Using Enpass"
        );
    }

    #[test]
    fn built_in_maps_load_by_name() {
        for name in ["google-workspace", "bitwarden"] {
            let m = Mapping::load(Path::new(name)).unwrap();
            assert!(m.values(Kind::Users, Field::Status).is_some(), "{name}");
        }
        let err = Mapping::load(Path::new("okta")).unwrap_err().message;
        assert!(
            err.ends_with("the built-in maps are google-workspace, bitwarden"),
            "{err}"
        );
    }

    #[test]
    fn bad_maps_name_the_line_and_key() {
        let err = load("[users.columns]\nEmail = \"colour\"\n").unwrap_err();
        assert!(
            err.starts_with(
                "line 2: [users.columns] 'Email': 'colour' is not a field of the users export"
            ),
            "{err}"
        );
        let err = load("[users.columns]\n\"Device\" = \"device_name\"\n").unwrap_err();
        assert!(err.contains("not a field of the users export"), "{err}");
        let err = load("[users]\ncolumnz = 1\n").unwrap_err();
        assert!(
            err.starts_with("line 2, column 1: unknown field `columnz`"),
            "{err}"
        );
        let err = load("date_formats = [\n").unwrap_err();
        assert!(err.starts_with("line "), "{err}");
    }
}
