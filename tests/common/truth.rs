//! Expected values from the sample generator's own truth (`rollcall::sample::truth`), never from
//! rollcall's SQL: the instant, each user's value in every filter dimension, the search rule,
//! selections and counting. The tests use nothing else of the `rollcall` library than
//! `rollcall::sample::{truth, SampleOptions, UserTruth, DEFAULT_AS_OF}`, and only here.

use std::collections::{BTreeMap, BTreeSet};

use rollcall::sample::SampleOptions;
pub use rollcall::sample::{UserTruth, DEFAULT_AS_OF};

/// The activity window (days) every sample is read with unless a test says otherwise.
pub const WINDOW: i64 = 30;

/// The instant every sample organisation is generated and ingested at.
pub fn as_of() -> chrono::DateTime<chrono::Utc> {
    chrono::DateTime::parse_from_rfc3339(DEFAULT_AS_OF)
        .unwrap()
        .with_timezone(&chrono::Utc)
}

/// The organisation `rollcall sample --users N --seed S` writes, as the generator knows it.
pub fn sample(users: u64, seed: u64) -> Vec<UserTruth> {
    let t = rollcall::sample::truth(&SampleOptions {
        users,
        seed,
        as_of: as_of(),
    });
    assert_eq!(t.len() as u64, users);
    t
}

/// The `--reminders` bucket of a count.
pub fn bucket(n: u32) -> &'static str {
    match n {
        0 => "0",
        1 => "1",
        2 => "2",
        _ => "3+",
    }
}

/// A user's value in a filter dimension (`activity` within `window` days of [`as_of`]).
pub fn truth_value(u: &UserTruth, dim: &str, window: i64) -> &'static str {
    match dim {
        "license" => {
            if u.license_assigned {
                "assigned"
            } else {
                "unassigned"
            }
        }
        "status" => u.status,
        "activity" => u.activity(as_of(), window),
        "hub" => {
            if u.hub_authenticated {
                "authenticated"
            } else {
                "never"
            }
        }
        "scim" => {
            if u.scim {
                "yes"
            } else {
                "no"
            }
        }
        "reminders" => bucket(u.reminders_sent),
        other => panic!("no dimension {other}"),
    }
}

/// The search rule: name or email contains the needle, case-folded.
pub fn has_text(u: &UserTruth, needle: &str) -> bool {
    let n = needle.to_lowercase();
    u.name.to_lowercase().contains(&n) || u.email.to_lowercase().contains(&n)
}

/// How many users satisfy `f`.
pub fn count(t: &[UserTruth], f: impl Fn(&UserTruth) -> bool) -> u64 {
    t.iter().filter(|u| f(u)).count() as u64
}

/// A selection as rollcall's filters hold it (CLI flags, server parameters, the page's checkboxes):
/// values OR-ed within a dimension, dimensions and the search AND-ed; activity within [`WINDOW`].
#[derive(Debug, Clone, Default)]
pub struct Sel {
    pub dims: BTreeMap<&'static str, Vec<&'static str>>,
    pub q: Option<String>,
}

impl Sel {
    pub fn with(mut self, dim: &'static str, value: &'static str) -> Sel {
        self.dims.entry(dim).or_default().push(value);
        self
    }

    pub fn search(mut self, q: &str) -> Sel {
        self.q = Some(q.to_string());
        self
    }

    /// Whether `u` matches, ignoring the dimension `skip` (for facet counts).
    pub fn keeps(&self, u: &UserTruth, skip: Option<&str>) -> bool {
        self.dims
            .iter()
            .filter(|(d, _)| Some(**d) != skip)
            .all(|(d, vals)| vals.contains(&truth_value(u, d, WINDOW)))
            && self.q.as_deref().is_none_or(|q| has_text(u, q))
    }

    pub fn count(&self, t: &[UserTruth]) -> u64 {
        count(t, |u| self.keeps(u, None))
    }

    pub fn emails(&self, t: &[UserTruth]) -> BTreeSet<String> {
        t.iter()
            .filter(|u| self.keeps(u, None))
            .map(|u| u.email.to_lowercase())
            .collect()
    }

    /// What `#c-<dim>-<value>` should show: users matching every other dimension and the search.
    pub fn facet(&self, t: &[UserTruth], dim: &str, value: &str) -> u64 {
        count(t, |u| {
            self.keeps(u, Some(dim)) && truth_value(u, dim, WINDOW) == value
        })
    }
}
