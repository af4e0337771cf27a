//! Domain vocabulary shared by every layer: the console's filter dimensions and their values.
//! Pure data, no I/O: the store turns these into SQL files, the CLI into flags, the report into facets.

use std::borrow::Cow;
use std::fmt;

use serde::Serialize;

/// One of the built-in filter dimensions. Each value of a dimension is a predicate file
/// `queries/filters/<dimension>-<value>.sql`, so the built-ins and custom filters share one mechanism.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub(crate) enum Dimension {
    License,
    Status,
    Activity,
    Hub,
    Scim,
    Reminders,
}

impl Dimension {
    pub(crate) const ALL: [Dimension; 6] = [
        Dimension::License,
        Dimension::Status,
        Dimension::Activity,
        Dimension::Hub,
        Dimension::Scim,
        Dimension::Reminders,
    ];

    pub(crate) fn name(self) -> &'static str {
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
    pub(crate) fn values(self) -> &'static [&'static str] {
        match self {
            Dimension::License => &["assigned", "unassigned"],
            Dimension::Status => &["no-license", "pending", "using"],
            Dimension::Activity => &["active", "inactive", "never"],
            Dimension::Hub => &["authenticated", "never"],
            Dimension::Scim => &["yes", "no"],
            Dimension::Reminders => &["0", "1", "2", "3+"],
        }
    }

    /// The heading a dimension has in the summary and the report.
    pub(crate) fn title(self) -> &'static str {
        match self {
            Dimension::License => "License",
            Dimension::Status => "Status",
            Dimension::Activity => "Active users",
            Dimension::Hub => "Enpass Hub authentication",
            Dimension::Scim => "SCIM",
            Dimension::Reminders => "Reminders sent",
        }
    }

    /// The console's wording of a value, for tables and the report. The activity values name the
    /// window they were measured over.
    pub(crate) fn label(self, value: &str, window_days: i64) -> Cow<'static, str> {
        let fixed = match (self, value) {
            (Dimension::License, "assigned") => "Assigned",
            (Dimension::License, "unassigned") => "Unassigned",
            (Dimension::Status, _) => return Cow::Borrowed(status_label(value)),
            (Dimension::Activity, "active") => {
                return Cow::Owned(format!("Active in past {window_days} days"))
            }
            (Dimension::Activity, "inactive") => {
                return Cow::Owned(format!("Inactive in past {window_days} days"))
            }
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
        };
        Cow::Borrowed(fixed)
    }

    /// The name of the predicate file that implements `value`.
    pub(crate) fn filter_name(self, value: &str) -> String {
        format!("{}-{}", self.name(), value)
    }

    /// Checks a value and names the valid ones when it is wrong, for usage errors.
    pub(crate) fn parse_value(self, value: &str) -> Result<&'static str, String> {
        let wanted = value.trim().to_lowercase();
        self.values()
            .iter()
            .find(|v| **v == wanted)
            .copied()
            .ok_or_else(|| {
                format!(
                    "invalid {} '{}': expected one of {}",
                    self.name(),
                    crate::util::echo(value),
                    self.values().join(", ")
                )
            })
    }

    fn named(name: &str) -> Option<Dimension> {
        Dimension::ALL.into_iter().find(|d| d.name() == name)
    }
}

impl fmt::Display for Dimension {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// The status the console shows, derived from license and onboarding stages.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub(crate) enum Status {
    NoLicense,
    Pending,
    Using,
}

impl Status {
    pub(crate) fn slug(self) -> &'static str {
        match self {
            Status::NoLicense => "no-license",
            Status::Pending => "pending",
            Status::Using => "using",
        }
    }

    /// Accepts the console's wording ("Pending User Action") and the slugs, in any case.
    pub(crate) fn parse(text: &str) -> Option<Status> {
        // The console's own wording first, without a copy: it is what nearly every export row says.
        for status in [Status::NoLicense, Status::Pending, Status::Using] {
            if text.eq_ignore_ascii_case(status_label(status.slug())) {
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
}

/// The user's filters as given: the built-in dimensions (OR within one, AND across),
/// custom named filters (AND), and the name/email search.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub(crate) struct FilterSet {
    /// (dimension, chosen values), in the order of `Dimension::ALL`; values deduplicated, in the console's order.
    pub(crate) dimensions: Vec<(Dimension, Vec<&'static str>)>,
    /// Names of custom predicate files, AND-ed.
    pub(crate) custom: Vec<String>,
    pub(crate) search: Option<String>,
}

impl FilterSet {
    /// Values are kept in the console's order, whatever order they were given in, so the
    /// same selection always describes (and hashes) the same way.
    pub(crate) fn add(&mut self, dim: Dimension, value: &'static str) {
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

    pub(crate) fn add_custom(&mut self, name: &str) {
        if !self.custom.iter().any(|c| c == name) {
            self.custom.push(name.to_string());
        }
    }

    pub(crate) fn values_of(&self, dim: Dimension) -> &[&'static str] {
        self.dimensions
            .iter()
            .find(|(d, _)| *d == dim)
            .map(|(_, v)| v.as_slice())
            .unwrap_or(&[])
    }

    /// The same set without one dimension: facet counts are computed "within the other filters".
    pub(crate) fn without(&self, dim: Dimension) -> FilterSet {
        let mut out = self.clone();
        out.dimensions.retain(|(d, _)| *d != dim);
        out
    }

    /// "status=pending|no-license, activity=never, search=zoë": the wording of count lines and manifests.
    pub(crate) fn describe(&self) -> String {
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
pub(crate) fn reminder_bucket(count: i64) -> &'static str {
    match count {
        i64::MIN..=0 => "0",
        1 => "1",
        2 => "2",
        _ => "3+",
    }
}

/// The console's wording of a status slug ("Pending User Action").
pub(crate) fn status_label(slug: &str) -> &'static str {
    match slug {
        "no-license" => "No License",
        "pending" => "Pending User Action",
        "using" => "Using Enpass",
        _ => "",
    }
}

impl FilterSet {
    /// Builds a filter set from (key, value) pairs: `license`, `status`, `activity`, `hub`,
    /// `scim` and `reminders` take one of their values, `filter` names a custom filter, `search`
    /// is the text to find. Command-line flags and URL query parameters both come through here,
    /// so they accept the same values and fail with the same words.
    pub(crate) fn from_pairs<K: AsRef<str>, V: AsRef<str>>(
        pairs: impl IntoIterator<Item = (K, V)>,
    ) -> Result<FilterSet, String> {
        let mut f = FilterSet::default();
        for (key, value) in pairs {
            let (key, value) = (key.as_ref(), value.as_ref());
            match key {
                "filter" => {
                    if !value.trim().is_empty() {
                        f.add_custom(value.trim());
                    }
                }
                "search" => f.search = Some(value.to_string()).filter(|s| !s.is_empty()),
                _ => {
                    let dim = Dimension::named(key).ok_or_else(|| {
                        format!(
                            "unknown filter '{}': expected one of {}, filter, search",
                            crate::util::echo(key),
                            Dimension::ALL.map(Dimension::name).join(", ")
                        )
                    })?;
                    f.add(dim, dim.parse_value(value)?);
                }
            }
        }
        Ok(f)
    }
}

/// A column of the users view that listings show, sort by and export, with its heading.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub(crate) struct Column {
    pub(crate) key: &'static str,
    pub(crate) title: &'static str,
    /// Shown after the title in table headings ("Last Used (UTC)").
    pub(crate) unit: Option<&'static str>,
    /// Sorted case-insensitively.
    #[serde(skip)]
    pub(crate) text: bool,
}

const fn col(key: &'static str, title: &'static str, text: bool) -> Column {
    Column {
        key,
        title,
        unit: None,
        text,
    }
}

const fn time_col(key: &'static str, title: &'static str) -> Column {
    Column {
        key,
        title,
        unit: Some("UTC"),
        text: false,
    }
}

/// Every column of the users view a listing may name, in the view's order.
pub(crate) const COLUMNS: &[Column] = &[
    col("name", "Name", true),
    col("email", "Email", true),
    col("scim", "SCIM", false),
    time_col("last_used", "Last Used"),
    col("license", "License", true),
    col("status", "Status", true),
    col("activity", "Activity", true),
    col("hub", "Enpass Hub", true),
    col("reminders_sent", "Reminders", false),
    col("device_count", "Devices", false),
    col("license_activated", "Activated License", false),
    time_col("license_activated_at", "License Activated At"),
    col("app_setup_completed", "Completed App Setup", false),
    time_col("app_setup_completed_at", "App Setup Completed At"),
    col("data_added", "Added Data in App", false),
    time_col("data_added_at", "Data Added At"),
    time_col("user_last_used", "User Row Last Used"),
    col("status_given", "Status Given", true),
];

/// What the console's list shows.
pub(crate) const DEFAULT_COLUMNS: &[&str] =
    &["name", "email", "scim", "last_used", "license", "status"];
/// What exports and the report carry: the console's columns plus the other three filters' values.
pub(crate) const EXPORT_COLUMNS: [&str; 9] = [
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

/// The column named `key` (or one of its short names: `reminders`, `devices`).
pub(crate) fn column(key: &str) -> Result<&'static Column, String> {
    let wanted = match key.trim() {
        "reminders" => "reminders_sent",
        "devices" => "device_count",
        other => other,
    };
    COLUMNS.iter().find(|c| c.key == wanted).ok_or_else(|| {
        format!(
            "unknown column '{}': expected one of {}",
            crate::util::echo(key),
            COLUMNS.iter().map(|c| c.key).collect::<Vec<_>>().join(", ")
        )
    })
}

/// The users view's columns behind [`STAGES`]: whether each stage is done, and when.
pub(crate) const STAGE_COLUMNS: [&str; 6] = [
    "license_activated",
    "license_activated_at",
    "app_setup_completed",
    "app_setup_completed_at",
    "data_added",
    "data_added_at",
];

/// The onboarding stages of a pending user, as the console's User Details page names them.
pub(crate) const STAGES: [&str; 3] = [
    "Activated License",
    "Completed App Setup",
    "Added Data in App",
];

/// The funnel's steps as (key, label), labelled as the console labels the stages; each key's
/// predicate is `queries/funnel/KEY.sql`. The last step's users are those Using Enpass.
pub(crate) const FUNNEL: &[(&str, &str)] = &[
    ("total", "Total Users"),
    ("assigned", "License Assigned"),
    ("activated", "Activated License"),
    ("app_setup", "Completed App Setup"),
    ("using", "Added Data in App"),
];

/// What `rollcall diff` reports of a user between two snapshots, in the order it lists them,
/// with what each means (queries/diff/users.sql computes them; README has the table).
pub(crate) const TRANSITIONS: [(&str, &str); 17] = [
    ("added", "in the later snapshot only"),
    ("removed", "in the earlier snapshot only"),
    (
        "license-assigned",
        "License went from Unassigned to Assigned",
    ),
    (
        "license-unassigned",
        "License went from Assigned to Unassigned",
    ),
    (
        "status-forward",
        "status moved on: No License → Pending → Using",
    ),
    ("status-backward", "status moved back"),
    ("activation-gained", "Activated License done, not before"),
    ("activation-lost", "Activated License done before, not now"),
    ("setup-gained", "Completed App Setup done, not before"),
    ("setup-lost", "Completed App Setup done before, not now"),
    ("data-gained", "Added Data in App done, not before"),
    ("data-lost", "Added Data in App done before, not now"),
    (
        "became-active",
        "active now (each snapshot at its own as-of), not before",
    ),
    ("went-inactive", "active before, inactive or never now"),
    (
        "hub-authenticated",
        "a device Hub-authenticated now, none before",
    ),
    ("hub-lost", "a device Hub-authenticated before, none now"),
    ("reminded", "more reminders sent than before"),
];

/// The console's device columns on the User Details page.
pub(crate) const DEVICE_COLUMNS: [&str; 5] = [
    "Device Name",
    "Platform",
    "Enpass Version",
    "Last Used",
    "Enpass Hub Authenticated",
];

/// One dimension's words, as the report's templates and script read them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub(crate) struct DimensionWords {
    pub(crate) name: &'static str,
    pub(crate) title: &'static str,
    pub(crate) values: Vec<&'static str>,
    pub(crate) labels: Vec<String>,
}

/// The vocabulary for a window: one place for every heading and label the pages show.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub(crate) struct Vocabulary {
    pub(crate) dimensions: Vec<DimensionWords>,
    pub(crate) stages: [&'static str; 3],
    pub(crate) device_columns: [&'static str; 5],
}

impl Vocabulary {
    pub(crate) fn new(window_days: i64) -> Vocabulary {
        Vocabulary {
            dimensions: Dimension::ALL
                .iter()
                .map(|d| DimensionWords {
                    name: d.name(),
                    title: d.title(),
                    values: d.values().to_vec(),
                    labels: d
                        .values()
                        .iter()
                        .map(|v| d.label(v, window_days).into_owned())
                        .collect(),
                })
                .collect(),
            stages: STAGES,
            device_columns: DEVICE_COLUMNS,
        }
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
    fn flags_and_url_pairs_build_the_same_set() {
        let f = FilterSet::from_pairs([
            ("status", "pending"),
            ("license", "assigned"),
            ("status", "no-license"),
            ("filter", "vip"),
            ("search", "zoë"),
        ])
        .unwrap();
        assert_eq!(
            f.describe(),
            "license=assigned, status=no-license|pending, filter=vip, search=\"zoë\""
        );
        let err = FilterSet::from_pairs([("status", "actve")]).unwrap_err();
        assert_eq!(
            err,
            "invalid status 'actve': expected one of no-license, pending, using"
        );
        let err = FilterSet::from_pairs([("colour", "red")]).unwrap_err();
        assert!(err.starts_with("unknown filter 'colour'"), "{err}");
        // An echoed value is clipped, whatever its length.
        let long = "x".repeat(100_000);
        let err = FilterSet::from_pairs([("status", long.as_str())]).unwrap_err();
        assert!(
            err.len() < 200 && err.contains("100000 characters"),
            "{err}"
        );
    }

    #[test]
    fn reminder_buckets() {
        assert_eq!(
            [0, 1, 2, 3, 9].map(reminder_bucket),
            ["0", "1", "2", "3+", "3+"]
        );
    }

    #[test]
    fn activity_labels_name_the_window() {
        assert_eq!(
            Dimension::Activity.label("active", 7),
            "Active in past 7 days"
        );
        assert_eq!(Dimension::Status.label("pending", 7), "Pending User Action");
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
}
