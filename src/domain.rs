//! Domain vocabulary shared by every layer: the console's filter dimensions and their values.
//! Pure data, no I/O: the store turns these into SQL files, the CLI into flags, the report into facets.

use std::fmt;
use std::str::FromStr;

use serde::Serialize;

/// One of the built-in filter dimensions. Each value of a dimension is a predicate file
/// `queries/filters/<dimension>-<value>.sql`, so the built-ins and custom filters share one mechanism.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Dimension {
    License,
    Status,
    Activity,
    Hub,
    Scim,
    Reminders,
}

impl Dimension {
    pub const ALL: [Dimension; 6] = [
        Dimension::License,
        Dimension::Status,
        Dimension::Activity,
        Dimension::Hub,
        Dimension::Scim,
        Dimension::Reminders,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Dimension::License => "license",
            Dimension::Status => "status",
            Dimension::Activity => "activity",
            Dimension::Hub => "hub",
            Dimension::Scim => "scim",
            Dimension::Reminders => "reminders",
        }
    }

    /// The values in the order the console lists them.
    pub fn values(self) -> &'static [&'static str] {
        match self {
            Dimension::License => &["assigned", "unassigned"],
            Dimension::Status => &["no-license", "pending", "using"],
            Dimension::Activity => &["active", "inactive", "never"],
            Dimension::Hub => &["authenticated", "never"],
            Dimension::Scim => &["yes", "no"],
            Dimension::Reminders => &["0", "1", "2", "3+"],
        }
    }

    /// The console's wording of a value, for tables and the report.
    pub fn label(self, value: &str) -> &'static str {
        match (self, value) {
            (Dimension::License, "assigned") => "Assigned",
            (Dimension::License, "unassigned") => "Unassigned",
            (Dimension::Status, "no-license") => "No License",
            (Dimension::Status, "pending") => "Pending User Action",
            (Dimension::Status, "using") => "Using Enpass",
            (Dimension::Activity, "active") => "Active in past 30 days",
            (Dimension::Activity, "inactive") => "Inactive in past 30 days",
            (Dimension::Activity, "never") => "Never used",
            (Dimension::Hub, "authenticated") => "Authenticated",
            (Dimension::Hub, "never") => "Never Authenticated",
            (Dimension::Scim, "yes") => "SCIM provisioned",
            (Dimension::Scim, "no") => "Added manually",
            (Dimension::Reminders, "0") => "No reminders",
            (Dimension::Reminders, "1") => "1 reminder",
            (Dimension::Reminders, "2") => "2 reminders",
            (Dimension::Reminders, "3+") => "3 or more reminders",
            _ => "",
        }
    }

    /// The name of the predicate file that implements `value`.
    pub fn filter_name(self, value: &str) -> String {
        format!("{}-{}", self.name(), value)
    }

    /// Checks a value and names the valid ones when it is wrong, for usage errors.
    pub fn parse_value(self, value: &str) -> Result<&'static str, String> {
        let wanted = value.trim().to_lowercase();
        self.values()
            .iter()
            .find(|v| **v == wanted)
            .copied()
            .ok_or_else(|| {
                format!(
                    "invalid value '{value}' for --{}: expected one of {}",
                    self.name(),
                    self.values().join(", ")
                )
            })
    }
}

impl fmt::Display for Dimension {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Dimension {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Dimension::ALL
            .into_iter()
            .find(|d| d.name() == s)
            .ok_or_else(|| format!("unknown filter dimension '{s}'"))
    }
}

/// The status the console shows, derived from license and onboarding stages.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Status {
    NoLicense,
    Pending,
    Using,
}

impl Status {
    pub fn slug(self) -> &'static str {
        match self {
            Status::NoLicense => "no-license",
            Status::Pending => "pending",
            Status::Using => "using",
        }
    }

    /// Accepts the console's wording ("Pending User Action") and the slugs, in any case.
    pub fn parse(text: &str) -> Option<Status> {
        // The console's own wording first, without a copy: it is what nearly every export row says.
        for (status, words) in [
            (Status::NoLicense, "No License"),
            (Status::Pending, "Pending User Action"),
            (Status::Using, "Using Enpass"),
        ] {
            if text.eq_ignore_ascii_case(words) {
                return Some(status);
            }
        }
        let key: String = text
            .chars()
            .filter(|c| !c.is_whitespace() && *c != '-' && *c != '_')
            .flat_map(char::to_lowercase)
            .collect();
        match key.as_str() {
            "nolicense" => Some(Status::NoLicense),
            "pending" | "pendinguseraction" => Some(Status::Pending),
            "using" | "usingenpass" => Some(Status::Using),
            _ => None,
        }
    }

    pub fn from_slug(slug: &str) -> Option<Status> {
        [Status::NoLicense, Status::Pending, Status::Using]
            .into_iter()
            .find(|s| s.slug() == slug)
    }
}

/// The user's filters as given: the built-in dimensions (OR within one, AND across),
/// custom named filters (AND), and the name/email search.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct FilterSet {
    /// (dimension, chosen values), in the order of `Dimension::ALL`; values deduplicated, in the console's order.
    pub dimensions: Vec<(Dimension, Vec<&'static str>)>,
    /// Names of custom predicate files, AND-ed.
    pub custom: Vec<String>,
    pub search: Option<String>,
}

impl FilterSet {
    /// Values are kept in the console's order, whatever order they were given in, so the
    /// same selection always describes (and hashes) the same way.
    pub fn add(&mut self, dim: Dimension, value: &'static str) {
        match self.dimensions.iter_mut().find(|(d, _)| *d == dim) {
            Some((_, values)) => {
                if !values.contains(&value) {
                    values.push(value);
                    values.sort_by_key(|v| dim.values().iter().position(|x| x == v));
                }
            }
            None => {
                self.dimensions.push((dim, vec![value]));
                self.dimensions.sort_by_key(|(d, _)| *d);
            }
        }
    }

    pub fn add_custom(&mut self, name: &str) {
        if !self.custom.iter().any(|c| c == name) {
            self.custom.push(name.to_string());
        }
    }

    pub fn values_of(&self, dim: Dimension) -> &[&'static str] {
        self.dimensions
            .iter()
            .find(|(d, _)| *d == dim)
            .map(|(_, v)| v.as_slice())
            .unwrap_or(&[])
    }

    /// The same set without one dimension: facet counts are computed "within the other filters".
    pub fn without(&self, dim: Dimension) -> FilterSet {
        let mut out = self.clone();
        out.dimensions.retain(|(d, _)| *d != dim);
        out
    }

    pub fn is_empty(&self) -> bool {
        self.dimensions.is_empty() && self.custom.is_empty() && self.search.is_none()
    }

    /// "status=pending|no-license, activity=never, search=zoë": the wording of count lines and manifests.
    pub fn describe(&self) -> String {
        let mut parts: Vec<String> = self
            .dimensions
            .iter()
            .map(|(d, v)| format!("{d}={}", v.join("|")))
            .collect();
        parts.extend(self.custom.iter().map(|c| format!("filter={c}")));
        if let Some(s) = &self.search {
            parts.push(format!("search=\"{s}\""));
        }
        if parts.is_empty() {
            "all users".to_string()
        } else {
            parts.join(", ")
        }
    }
}

/// The reminders bucket a count falls in, as the `--reminders` filter names it.
pub fn reminder_bucket(count: i64) -> &'static str {
    match count {
        i64::MIN..=0 => "0",
        1 => "1",
        2 => "2",
        _ => "3+",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_value_lists_valid_values_on_typo() {
        let err = Dimension::Status.parse_value("actve").unwrap_err();
        assert!(err.contains("no-license, pending, using"), "{err}");
        assert_eq!(Dimension::Status.parse_value("Pending"), Ok("pending"));
    }

    #[test]
    fn status_parses_console_wording() {
        assert_eq!(Status::parse("Pending User Action"), Some(Status::Pending));
        assert_eq!(Status::parse("USING ENPASS"), Some(Status::Using));
        assert_eq!(Status::parse("no-license"), Some(Status::NoLicense));
        assert_eq!(Status::parse("Active"), None);
    }

    #[test]
    fn filterset_or_within_and_across() {
        let mut f = FilterSet::default();
        f.add(Dimension::Status, "pending");
        f.add(Dimension::License, "assigned");
        f.add(Dimension::Status, "no-license");
        f.add(Dimension::Status, "pending");
        assert_eq!(
            f.dimensions,
            vec![
                (Dimension::License, vec!["assigned"]),
                (Dimension::Status, vec!["no-license", "pending"])
            ]
        );
        assert_eq!(f.describe(), "license=assigned, status=no-license|pending");
        assert!(f
            .without(Dimension::Status)
            .values_of(Dimension::Status)
            .is_empty());
    }

    #[test]
    fn reminder_buckets() {
        assert_eq!(
            [0, 1, 2, 3, 9].map(reminder_bucket),
            ["0", "1", "2", "3+", "3+"]
        );
    }
}
