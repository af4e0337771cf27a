//! The ground truth of one evolve step (`truth.json`): every user's transitions between two
//! snapshots, computed from the two snapshots' rows alone (never from what evolve meant to
//! change, never by SQL), so a `rollcall diff` can be tested against it.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::ser::SerializeMap;
use serde::{Serialize, Serializer};

use super::snapshot::{Activity, Snapshot, State};
use crate::domain::Status;

/// The transition kinds, in the order `counts` and each user's `transitions` list them: the
/// names `rollcall diff` reports (domain.rs; what each means is computed here, independently of
/// its SQL).
pub(super) const KINDS: [&str; 17] = {
    let mut names = [""; 17];
    let mut i = 0;
    while i < 17 {
        names[i] = crate::domain::TRANSITIONS[i].0;
        i += 1;
    }
    names
};

/// The activity window both snapshots are measured with.
pub(super) const WINDOW_DAYS: i64 = 30;

/// `truth.json`.
#[derive(Debug, Serialize)]
pub(super) struct Truth {
    pub(super) from: AsOf,
    pub(super) to: AsOf,
    pub(super) window_days: i64,
    pub(super) seed: u64,
    pub(super) counts: Counts,
    pub(super) reminders_delta: i64,
    pub(super) users: BTreeMap<String, Change>,
    /// Users in both snapshots whose address is written in another case (not added, not removed):
    /// key → [as in the from file, as in the to file].
    pub(super) email_case_changed: BTreeMap<String, [String; 2]>,
    pub(super) to_funnel: Funnel,
    pub(super) to_facets: Facets,
    pub(super) removed_rows: RemovedRows,
}

#[derive(Debug, Serialize)]
pub(super) struct AsOf {
    pub(super) as_of: String,
}

/// Users per kind, every kind present, in [`KINDS`] order.
#[derive(Debug, Default, PartialEq, Eq)]
pub(super) struct Counts(pub(super) [u64; KINDS.len()]);

impl Serialize for Counts {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut map = s.serialize_map(Some(KINDS.len()))?;
        for (kind, n) in KINDS.iter().zip(self.0) {
            map.serialize_entry(kind, &n)?;
        }
        map.end()
    }
}

/// One user's changes.
#[derive(Debug, Serialize, PartialEq, Eq)]
pub(super) struct Change {
    /// As written in the to file, or in the from file for a removed user.
    pub(super) email: String,
    pub(super) transitions: Vec<&'static str>,
    /// [from, to] when the derived status changed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) status: Option<[&'static str; 2]>,
    /// Reminders Sent, to minus from (0 for an added or removed user).
    pub(super) reminders: i64,
}

/// The summary's funnel over the to snapshot (`queries/funnel/*.sql`): `licensed` is its
/// `assigned` step, `activated` and `app_setup` count licensed users with that stage done, and
/// `using` is its last step (labelled Added Data in App). `data_added` counts licensed users
/// whose Added Data in App column is done, which exceeds `using` by the using users who lost an
/// earlier stage.
#[derive(Debug, Default, Serialize, PartialEq, Eq)]
pub(super) struct Funnel {
    pub(super) total: u64,
    pub(super) licensed: u64,
    pub(super) activated: u64,
    pub(super) app_setup: u64,
    pub(super) data_added: u64,
    pub(super) using: u64,
}

/// The summary's facet counts over the to snapshot, without filters.
#[derive(Debug, Default, Serialize, PartialEq, Eq)]
pub(super) struct Facets {
    pub(super) license: BTreeMap<&'static str, u64>,
    pub(super) status: BTreeMap<&'static str, u64>,
    pub(super) activity: BTreeMap<&'static str, u64>,
    pub(super) hub: BTreeMap<&'static str, u64>,
    pub(super) scim: BTreeMap<&'static str, u64>,
    pub(super) reminders: BTreeMap<&'static str, u64>,
}

/// The rows of the users this step removed, as they stood in the from files, so the next step
/// can add some of them back.
#[derive(Debug, Default, Serialize)]
pub(super) struct RemovedRows {
    pub(super) users: Vec<String>,
    pub(super) devices: Vec<String>,
}

fn rank(s: Status) -> u8 {
    match s {
        Status::NoLicense => 0,
        Status::Pending => 1,
        Status::Using => 2,
    }
}

/// Each stage's gained and lost kinds, in [`crate::domain::STAGES`] order.
const STAGE_KINDS: [(&str, &str); 3] = [
    ("activation-gained", "activation-lost"),
    ("setup-gained", "setup-lost"),
    ("data-gained", "data-lost"),
];

/// The transitions of a user found in both snapshots, in [`KINDS`] order.
pub(super) fn transitions(
    from: &State,
    to: &State,
    from_as_of: DateTime<Utc>,
    to_as_of: DateTime<Utc>,
) -> Change {
    let mut t = Vec::new();
    match (from.licensed, to.licensed) {
        (false, true) => t.push("license-assigned"),
        (true, false) => t.push("license-unassigned"),
        _ => {}
    }
    let (a, b) = (from.status(), to.status());
    if rank(b) > rank(a) {
        t.push("status-forward");
    } else if rank(b) < rank(a) {
        t.push("status-backward");
    }
    for ((was, is), (gained, lost)) in from.stages.iter().zip(&to.stages).zip(STAGE_KINDS) {
        match (was, is) {
            (false, true) => t.push(gained),
            (true, false) => t.push(lost),
            _ => {}
        }
    }
    let active = |s: &State, at| s.activity(at, WINDOW_DAYS) == Activity::Active;
    match (active(from, from_as_of), active(to, to_as_of)) {
        (false, true) => t.push("became-active"),
        (true, false) => t.push("went-inactive"),
        _ => {}
    }
    match (from.hub, to.hub) {
        (false, true) => t.push("hub-authenticated"),
        (true, false) => t.push("hub-lost"),
        _ => {}
    }
    let reminders = to.reminders - from.reminders;
    if reminders > 0 {
        t.push("reminded");
    }
    Change {
        email: to.email.clone(),
        transitions: t,
        status: (a != b).then(|| [a.slug(), b.slug()]),
        reminders,
    }
}

/// The whole truth of the step from `from` to `to`, but for `removed_rows`: the caller fills
/// those in from the rows it removed.
pub(super) fn truth(
    from: &Snapshot,
    to: &Snapshot,
    from_as_of: DateTime<Utc>,
    to_as_of: DateTime<Utc>,
    seed: u64,
) -> Truth {
    let before: BTreeMap<&str, &State> = from
        .users
        .iter()
        .map(|u| (u.key.as_str(), &u.state))
        .collect();
    let after: BTreeMap<&str, &State> = to
        .users
        .iter()
        .map(|u| (u.key.as_str(), &u.state))
        .collect();
    let mut users = BTreeMap::new();
    let mut email_case_changed = BTreeMap::new();
    let mut reminders_delta = 0;
    let only = |kind, state: &State| Change {
        email: state.email.clone(),
        transitions: vec![kind],
        status: None,
        reminders: 0,
    };
    for (key, f) in &before {
        match after.get(key) {
            None => {
                users.insert(key.to_string(), only("removed", f));
            }
            Some(t) => {
                if f.email != t.email {
                    email_case_changed.insert(key.to_string(), [f.email.clone(), t.email.clone()]);
                }
                let change = transitions(f, t, from_as_of, to_as_of);
                reminders_delta += change.reminders;
                if !change.transitions.is_empty() {
                    users.insert(key.to_string(), change);
                }
            }
        }
    }
    for (key, t) in &after {
        if !before.contains_key(key) {
            users.insert(key.to_string(), only("added", t));
        }
    }
    let mut counts = Counts::default();
    for change in users.values() {
        for kind in &change.transitions {
            if let Some(i) = KINDS.iter().position(|k| k == kind) {
                counts.0[i] += 1;
            }
        }
    }
    let stamp = |t: DateTime<Utc>| AsOf {
        as_of: t.format("%Y-%m-%dT%H:%M:%SZ").to_string(),
    };
    let states: Vec<&State> = to.users.iter().map(|u| &u.state).collect();
    Truth {
        from: stamp(from_as_of),
        to: stamp(to_as_of),
        window_days: WINDOW_DAYS,
        seed,
        counts,
        reminders_delta,
        users,
        email_case_changed,
        to_funnel: funnel(&states),
        to_facets: facets(&states, to_as_of),
        removed_rows: RemovedRows::default(),
    }
}

pub(super) fn funnel(users: &[&State]) -> Funnel {
    let n = |pred: &dyn Fn(&State) -> bool| users.iter().filter(|u| pred(u)).count() as u64;
    Funnel {
        total: users.len() as u64,
        licensed: n(&|u| u.licensed),
        activated: n(&|u| u.licensed && u.stages[0]),
        app_setup: n(&|u| u.licensed && u.stages[1]),
        data_added: n(&|u| u.licensed && u.stages[2]),
        using: n(&|u| u.status() == Status::Using),
    }
}

pub(super) fn facets(users: &[&State], as_of: DateTime<Utc>) -> Facets {
    let mut f = Facets::default();
    for (map, values) in [
        (&mut f.license, &["assigned", "unassigned"][..]),
        (&mut f.status, &["no-license", "pending", "using"]),
        (&mut f.activity, &["active", "inactive", "never"]),
        (&mut f.hub, &["authenticated", "never"]),
        (&mut f.scim, &["yes", "no"]),
        (&mut f.reminders, &["0", "1", "2", "3+"]),
    ] {
        for v in values {
            map.insert(*v, 0);
        }
    }
    let yes_no = |b: bool, yes, no| if b { yes } else { no };
    for u in users {
        *f.license
            .entry(yes_no(u.licensed, "assigned", "unassigned"))
            .or_default() += 1;
        *f.status.entry(u.status().slug()).or_default() += 1;
        *f.activity
            .entry(u.activity(as_of, WINDOW_DAYS).slug())
            .or_default() += 1;
        *f.hub
            .entry(yes_no(u.hub, "authenticated", "never"))
            .or_default() += 1;
        *f.scim.entry(yes_no(u.scim, "yes", "no")).or_default() += 1;
        let bucket = match u.reminders {
            0 => "0",
            1 => "1",
            2 => "2",
            _ => "3+",
        };
        *f.reminders.entry(bucket).or_default() += 1;
    }
    f
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> DateTime<Utc> {
        s.parse().unwrap()
    }

    fn state() -> State {
        State {
            email: "a@example.com".into(),
            scim: false,
            licensed: true,
            stages: [true, true, true],
            last_used: Some(at("2026-11-20T00:00:00Z")),
            hub: true,
            reminders: 1,
            devices: 1,
        }
    }

    #[test]
    fn each_change_is_its_kind_and_an_unchanged_user_has_none() {
        let (t0, t1) = (at("2026-11-26T12:00:00Z"), at("2026-12-26T12:00:00Z"));
        let s = state();
        // The same rows 30 days later: only the window moved.
        assert_eq!(transitions(&s, &s, t0, t1).transitions, ["went-inactive"]);
        assert!(transitions(&s, &s, t0, t0).transitions.is_empty());

        let mut b = s.clone();
        b.licensed = false;
        b.stages = [false; 3];
        b.hub = false;
        b.reminders = 3;
        b.last_used = Some(t1);
        let c = transitions(&s, &b, t0, t1);
        assert_eq!(
            c.transitions,
            [
                "license-unassigned",
                "status-backward",
                "activation-lost",
                "setup-lost",
                "data-lost",
                "hub-lost",
                "reminded"
            ]
        );
        assert_eq!(c.status, Some(["using", "no-license"]));
        assert_eq!(c.reminders, 2);
        let back = transitions(&b, &s, t1, t1);
        assert_eq!(back.status, Some(["no-license", "using"]));
        assert!(back.transitions.contains(&"status-forward"));
        assert!(back.transitions.contains(&"went-inactive"));
    }

    #[test]
    fn counts_serialise_every_kind_in_order() {
        let json = serde_json::to_string(&Counts::default()).unwrap();
        let keys: Vec<&str> = json
            .trim_matches(|c| c == '{' || c == '}')
            .split(',')
            .map(|kv| kv.split(':').next().unwrap().trim_matches('"'))
            .collect();
        assert_eq!(keys, KINDS);
    }
}
