//! `rollcall sample --evolve-from`: a later snapshot of an organisation that `rollcall sample`
//! (or an earlier evolve) wrote, with a known set of changes, and `truth.json` beside it.
//!
//! Which users change is drawn per axis (membership, activity, licence and stages, Hub,
//! reminders) from a seeded shuffle of the users eligible for it, with a count per change that is
//! a share of those users but at least one wherever the share is pinned to one. So every kind
//! appears in any sampled organisation of 200 users or more, as the generator's block layout
//! guarantees its own edge cases, while the same inputs and seed give the same bytes.
//!
//! The truth is not what this module meant to change: [`super::changes`] computes it from the
//! from files and the to files as written (read back with the contract's parsers).

use std::collections::HashSet;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use chrono::{DateTime, Datelike, TimeDelta, Utc};

use super::changes::{self, Truth};
use super::files::format_utc;
use super::generator::{
    mix64, push_capitalised, SplitMix64, DAY, STATUS_NO_LICENSE, STATUS_PENDING, STATUS_USING,
};
use super::names::{DEVICE_MODELS, FIRST_NAMES, LAST_NAMES, VERSIONS, VERSION_WEIGHTS};
use super::snapshot::{
    Activity, Row, Snapshot, User, D_EMAIL, D_HUB, D_LAST_USED, U_EMAIL, U_LAST_USED, U_LICENSE,
    U_NAME, U_REMINDERS, U_STAGES, U_STATUS,
};
use super::{DEVICES_HEADER, USERS_HEADER};
use crate::domain::Status;
use crate::error::{Failure, InputError};

/// What to evolve.
#[derive(Debug, Clone)]
pub(crate) struct EvolveOptions {
    /// The folder holding the earlier snapshot (`users.csv`, `devices.csv`, maybe `truth.json`).
    pub(crate) from: PathBuf,
    /// Where the later snapshot goes (`None`: `FROM-plusNd` beside `from`).
    pub(crate) out: Option<PathBuf>,
    /// Whole days between the two snapshots, at least 1.
    pub(crate) days: i64,
    pub(crate) seed: u64,
    /// `--as-of` when given: the earlier snapshot's as-of (default [`super::DEFAULT_AS_OF`],
    /// or `to.as_of` of `from/truth.json`, which it must then agree with).
    pub(crate) as_of: Option<DateTime<Utc>>,
}

/// What an evolve wrote.
#[derive(Debug, Clone)]
pub(crate) struct Evolved {
    pub(crate) out: PathBuf,
    pub(crate) from_as_of: DateTime<Utc>,
    pub(crate) to_as_of: DateTime<Utc>,
    pub(crate) users: u64,
    pub(crate) devices: u64,
    /// Users listed in the truth (with at least one transition).
    pub(crate) changed: u64,
}

/// Reads `opts.from`, writes the later snapshot and its truth to the out folder. Every input is
/// read and checked before anything is written: a bad input writes nothing.
pub(crate) fn evolve(opts: &EvolveOptions) -> Result<Evolved> {
    let from_dir = &opts.from;
    if opts.days < 1 {
        return Err(Failure::Usage(format!(
            "--days {}: a later snapshot is 1 or more whole days later",
            opts.days
        ))
        .into());
    }
    if !from_dir.is_dir() {
        let why = if from_dir.exists() {
            "not a folder"
        } else {
            "no such folder"
        };
        return Err(InputError::new(&from_dir.display().to_string(), why.into()).into());
    }
    let earlier = read_earlier_truth(from_dir)?;
    let from_as_of = match (&earlier, opts.as_of) {
        (Some(e), Some(given)) if e.to_as_of != given => {
            return Err(Failure::Usage(format!(
                "--as-of {} disagrees with {}, whose to.as_of is {}: leave --as-of out",
                stamp_text(given),
                e.path,
                stamp_text(e.to_as_of)
            ))
            .into())
        }
        (Some(e), _) => e.to_as_of,
        (None, Some(given)) => given,
        (None, None) => super::DEFAULT_AS_OF.parse().expect("a valid default"),
    };
    let to_as_of = TimeDelta::try_days(opts.days)
        .and_then(|d| from_as_of.checked_add_signed(d))
        .filter(|t| t.year() <= 9999)
        .ok_or_else(|| {
            Failure::Usage(format!(
                "--days {}: {} plus that many days is past the year 9999",
                opts.days,
                stamp_text(from_as_of)
            ))
        })?;
    let out = match &opts.out {
        Some(out) => out.clone(),
        None => default_out(from_dir, opts.days)?,
    };
    if same_folder(from_dir, &out) {
        return Err(Failure::Usage(format!(
            "--out {}: is the --evolve-from folder; the later snapshot goes to another folder",
            out.display()
        ))
        .into());
    }

    let from = read_folder(from_dir)?;
    let returning = match &earlier {
        Some(e) => e.removed.clone(),
        None => Snapshot::default(),
    };
    let step = Step {
        from_as_of,
        to_as_of,
        seed: opts.seed,
    };
    let (next, removed) = step.apply(&from, &returning);
    let (users_csv, devices_csv) = next.to_csv();
    // Only the bytes matter from here on; the organisation is held twice at most.
    drop(next);
    // The truth reads the to files as written, not what apply meant to write.
    let written = Snapshot::parse("users.csv", &users_csv, "devices.csv", &devices_csv)
        .map_err(|e| anyhow::anyhow!("evolve wrote a file it cannot read back: {e}"))?;
    let mut truth: Truth = changes::truth(&from, &written, from_as_of, to_as_of, opts.seed);
    for user in &removed {
        truth.removed_rows.users.push(user.row.line());
        truth
            .removed_rows
            .devices
            .extend(user.devices.iter().map(Row::line));
    }
    let mut truth_json = serde_json::to_vec_pretty(&truth).context("serialising truth.json")?;
    truth_json.push(b'\n');

    write_files(
        &out,
        &[
            ("users.csv", &users_csv),
            ("devices.csv", &devices_csv),
            ("truth.json", &truth_json),
        ],
    )?;
    Ok(Evolved {
        out,
        from_as_of,
        to_as_of,
        users: written.users.len() as u64,
        devices: written.users.iter().map(|u| u.devices.len() as u64).sum(),
        changed: truth.users.len() as u64,
    })
}

fn stamp_text(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%dT%H:%M:%SZ").to_string()
}

/// `FROM-plusNd` beside `FROM`.
fn default_out(from: &Path, days: i64) -> Result<PathBuf> {
    let name = from
        .file_name()
        .and_then(|n| n.to_str())
        .filter(|n| !n.is_empty() && *n != "." && *n != "..")
        .ok_or_else(|| {
            Failure::Usage(format!(
                "--evolve-from {}: has no folder name to derive the out folder from; give --out",
                from.display()
            ))
        })?;
    Ok(from.with_file_name(format!("{name}-plus{days}d")))
}

fn same_folder(a: &Path, b: &Path) -> bool {
    match (a.canonicalize(), b.canonicalize()) {
        (Ok(a), Ok(b)) => a == b,
        _ => false,
    }
}

/// What an earlier evolve left in `from/truth.json`.
struct Earlier {
    path: String,
    to_as_of: DateTime<Utc>,
    /// Its removed users, with their devices, as a snapshot of their original rows.
    removed: Snapshot,
}

fn read_earlier_truth(dir: &Path) -> Result<Option<Earlier>> {
    let path = dir.join("truth.json");
    if !path.exists() {
        return Ok(None);
    }
    let name = path.display().to_string();
    let bad = |message: String| InputError::new(&name, message);
    let text = std::fs::read_to_string(&path).map_err(|e| bad(format!("cannot read: {e}")))?;
    let v: serde_json::Value =
        serde_json::from_str(&text).map_err(|e| bad(format!("not JSON: {e}")))?;
    let to_as_of = v["to"]["as_of"]
        .as_str()
        .and_then(crate::ingest::contract::parse_iso)
        .ok_or_else(|| bad("no to.as_of timestamp".into()))?;
    let lines = |key: &str| -> Result<String, InputError> {
        let mut out = String::new();
        for line in v["removed_rows"][key].as_array().into_iter().flatten() {
            let line = line
                .as_str()
                .ok_or_else(|| bad(format!("removed_rows.{key} holds a non-string")))?;
            out.push_str(line);
            out.push('\n');
        }
        Ok(out)
    };
    let users = format!("{USERS_HEADER}{}", lines("users")?);
    let devices = format!("{DEVICES_HEADER}{}", lines("devices")?);
    let label_u = format!("{name} (removed_rows.users)");
    let label_d = format!("{name} (removed_rows.devices)");
    let removed = Snapshot::parse(&label_u, users.as_bytes(), &label_d, devices.as_bytes())?;
    Ok(Some(Earlier {
        path: name,
        to_as_of,
        removed,
    }))
}

fn read_folder(dir: &Path) -> Result<Snapshot> {
    let read = |file: &str| -> Result<(String, Vec<u8>), InputError> {
        let path = dir.join(file);
        let name = path.display().to_string();
        match std::fs::read(&path) {
            Ok(bytes) => Ok((name, bytes)),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                Err(InputError::new(&name, "not found".into()))
            }
            Err(e) => Err(InputError::new(&name, format!("cannot read: {e}"))),
        }
    };
    let (users_name, users) = read("users.csv")?;
    let (devices_name, devices) = read("devices.csv")?;
    Ok(Snapshot::parse(
        &users_name,
        &users,
        &devices_name,
        &devices,
    )?)
}

/// Writes each file beside its final name, then renames them all into place.
fn write_files(dir: &Path, files: &[(&str, &[u8])]) -> Result<()> {
    std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    for (name, bytes) in files {
        let tmp = dir.join(format!(".{name}.tmp"));
        std::fs::write(&tmp, bytes).with_context(|| format!("writing {}", tmp.display()))?;
    }
    for (name, _) in files {
        let tmp = dir.join(format!(".{name}.tmp"));
        let path = dir.join(name);
        std::fs::rename(&tmp, &path).with_context(|| format!("writing {}", path.display()))?;
    }
    Ok(())
}

// Independent random streams per axis, so changing one axis's draws never shifts another's.
const STREAM_MEMBERSHIP: u64 = 0x4576_6F6C_7665_0001;
const STREAM_ACTIVITY: u64 = 0x4576_6F6C_7665_0002;
const STREAM_STAGES: u64 = 0x4576_6F6C_7665_0003;
const STREAM_HUB: u64 = 0x4576_6F6C_7665_0004;
const STREAM_REMINDERS: u64 = 0x4576_6F6C_7665_0005;
const STREAM_USER: u64 = 0x4576_6F6C_7665_0006;
const STREAM_ADDED: u64 = 0x4576_6F6C_7665_0007;

/// The share of the eligible users each change takes, in per mille, and the least number of
/// users it takes when any are eligible. Earlier changes in a list are served first.
type Plan<A> = [(A, u64, u64)];

/// One change along the licence-and-stages axis.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum StageChange {
    Assign,
    AssignAndActivate,
    Unassign,
    /// The first missing stage.
    GainOne,
    /// Every missing stage (the user is using afterwards).
    GainAll,
    /// A using user loses this stage (0 activation, 1 setup, 2 data).
    Lose(usize),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Membership {
    Removed,
    CaseChanged,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ActivityChange {
    /// No new use, and the last one falls out of the window at the later as-of.
    Lapse,
    /// A new use inside the later window by a user not active before.
    BecomeActive,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum HubChange {
    Authenticate,
    Lose,
}

/// What happens to one user of the earlier snapshot.
#[derive(Debug, Default, Clone, Copy)]
struct Fate {
    membership: Option<Membership>,
    activity: Option<ActivityChange>,
    stage: Option<StageChange>,
    hub: Option<HubChange>,
    reminded: bool,
}

struct Step {
    from_as_of: DateTime<Utc>,
    to_as_of: DateTime<Utc>,
    seed: u64,
}

impl Step {
    /// A stream keyed by the seed and the earlier as-of, so successive steps with one seed
    /// change different users.
    fn rng(&self, domain: u64, index: u64) -> SplitMix64 {
        let key = self.seed ^ mix64(self.from_as_of.timestamp() as u64);
        SplitMix64::stream(key, domain, index)
    }

    fn earlier_secs(&self) -> i64 {
        self.from_as_of.timestamp()
    }

    fn later_secs(&self) -> i64 {
        self.to_as_of.timestamp()
    }

    /// A moment after the earlier snapshot, at or before the later one.
    fn event_time(&self, rng: &mut SplitMix64) -> i64 {
        rng.range(self.earlier_secs() + 1, self.later_secs())
    }

    /// A use after the earlier snapshot that is inside the later one's window.
    fn use_time(&self, rng: &mut SplitMix64) -> i64 {
        let lo = (self.earlier_secs() + 1).max(self.later_secs() - changes::WINDOW_DAYS * DAY + 1);
        rng.range(lo, self.later_secs())
    }

    /// Chooses each user's fate, applies it, and adds users. Returns the later snapshot and the
    /// removed users (their rows as they were).
    fn apply(&self, from: &Snapshot, returning: &Snapshot) -> (Snapshot, Vec<User>) {
        let fates = self.fates(from);
        let mut next = Snapshot::default();
        let mut removed = Vec::new();
        for (index, (user, fate)) in from.users.iter().zip(&fates).enumerate() {
            if fate.membership == Some(Membership::Removed) {
                removed.push(user.clone());
                continue;
            }
            let mut user = user.clone();
            self.change(&mut user, fate, &mut self.rng(STREAM_USER, index as u64));
            next.users.push(user);
        }
        let mut taken: HashSet<String> = from.users.iter().map(|u| u.key.clone()).collect();
        // Every other user the previous step removed comes back with their original rows.
        for user in returning.users.iter().step_by(2) {
            if taken.insert(user.key.clone()) {
                next.users.push(user.clone());
            }
        }
        let count = share(from.users.len(), 30, 1);
        for i in 0..count {
            next.users.push(self.new_user(
                i as u64,
                &mut taken,
                &mut self.rng(STREAM_ADDED, i as u64),
            ));
        }
        (next, removed)
    }

    fn fates(&self, from: &Snapshot) -> Vec<Fate> {
        let users = &from.users;
        let mut fates = vec![Fate::default(); users.len()];
        let all: Vec<usize> = (0..users.len()).collect();
        let membership = [
            (Membership::Removed, 20, 1),
            (Membership::CaseChanged, 10, 1),
        ];
        for (i, m) in choose(&all, &membership, &mut self.rng(STREAM_MEMBERSHIP, 0)) {
            fates[i].membership = Some(m);
        }
        let staying =
            |fates: &[Fate], i: usize| fates[i].membership.is_none() && fates[i].activity.is_none();

        // Activity first: a lapsing user is left alone on every other axis, so its rows stay
        // identical and only the moved as-of makes it inactive.
        let state = |i: usize| &users[i].state;
        let active_at =
            |i: usize, t| state(i).activity(t, changes::WINDOW_DAYS) == Activity::Active;
        let lapsing: Vec<usize> = all
            .iter()
            .copied()
            .filter(|&i| {
                staying(&fates, i)
                    && state(i).licensed
                    && active_at(i, self.from_as_of)
                    && !active_at(i, self.to_as_of)
            })
            .collect();
        let dormant: Vec<usize> = all
            .iter()
            .copied()
            .filter(|&i| {
                let s = state(i);
                staying(&fates, i)
                    && s.licensed
                    && !active_at(i, self.from_as_of)
                    && (s.stages[1] || s.devices > 0)
            })
            .collect();
        let mut rng = self.rng(STREAM_ACTIVITY, 0);
        for (i, a) in choose(&lapsing, &[(ActivityChange::Lapse, 100, 1)], &mut rng) {
            fates[i].activity = Some(a);
        }
        for (i, a) in choose(&dormant, &[(ActivityChange::BecomeActive, 80, 1)], &mut rng) {
            fates[i].activity = Some(a);
        }

        // Licence and stages, by where each user stands.
        let mut groups: [Vec<usize>; 5] = Default::default();
        for &i in &all {
            if !staying(&fates, i) {
                continue;
            }
            let s = state(i);
            let group = match s.status() {
                Status::NoLicense => 0,
                Status::Using => 4,
                // Pending, by the first stage not done.
                Status::Pending => 1 + s.stages.iter().position(|d| !d).unwrap_or(2),
            };
            groups[group].push(i);
        }
        use StageChange::*;
        let plans: [&Plan<StageChange>; 5] = [
            &[(Assign, 85, 1), (AssignAndActivate, 85, 1)],
            &[(GainOne, 150, 1), (GainAll, 50, 1), (Unassign, 10, 0)],
            &[(GainOne, 150, 1), (GainAll, 50, 0), (Unassign, 10, 0)],
            &[(GainOne, 200, 1), (Unassign, 10, 0)],
            &[
                (Unassign, 15, 1),
                (Lose(0), 5, 1),
                (Lose(1), 5, 1),
                (Lose(2), 5, 1),
            ],
        ];
        for (g, (group, plan)) in groups.iter().zip(plans).enumerate() {
            for (i, c) in choose(group, plan, &mut self.rng(STREAM_STAGES, g as u64)) {
                fates[i].stage = Some(c);
            }
        }

        // Hub: a device newly authenticated, or every device's authentication gone.
        let with_devices = |hub: bool| -> Vec<usize> {
            all.iter()
                .copied()
                .filter(|&i| staying(&fates, i) && state(i).devices > 0 && state(i).hub == hub)
                .collect()
        };
        let (without, with) = (with_devices(false), with_devices(true));
        let mut rng = self.rng(STREAM_HUB, 0);
        for (i, h) in choose(&without, &[(HubChange::Authenticate, 60, 1)], &mut rng) {
            fates[i].hub = Some(h);
        }
        for (i, h) in choose(&with, &[(HubChange::Lose, 20, 1)], &mut rng) {
            fates[i].hub = Some(h);
        }

        // Reminders go to pending users whose stages stay as they were.
        let pending: Vec<usize> = all
            .iter()
            .copied()
            .filter(|&i| {
                staying(&fates, i)
                    && fates[i].stage.is_none()
                    && state(i).status() == Status::Pending
            })
            .collect();
        for (i, ()) in choose(
            &pending,
            &[((), 150, 1)],
            &mut self.rng(STREAM_REMINDERS, 0),
        ) {
            fates[i].reminded = true;
        }
        fates
    }

    /// Applies a fate to the user's rows; users active before and still licensed use the app
    /// again (a new Last Used), unless their fate is to lapse.
    fn change(&self, user: &mut User, fate: &Fate, rng: &mut SplitMix64) {
        let before = user.state.clone();
        let mut licensed = before.licensed;
        let mut stages = before.stages;
        if fate.membership == Some(Membership::CaseChanged) {
            let email = other_case(&user.row.cells[U_EMAIL]);
            user.row.set(U_EMAIL, email.clone());
            for device in &mut user.devices {
                device.set(D_EMAIL, email.clone());
            }
        }
        match fate.stage {
            Some(StageChange::Assign) => licensed = true,
            Some(StageChange::AssignAndActivate) => {
                licensed = true;
                stages[0] = true;
                user.row.set(U_STAGES[0], stamp(self.event_time(rng)));
            }
            Some(StageChange::Unassign) => {
                // The console shows no onboarding for a user without a licence: the stage
                // columns go blank; devices, Last Used and reminders stay as they were.
                licensed = false;
                for (done, column) in stages.iter_mut().zip(U_STAGES) {
                    *done = false;
                    user.row.set(column, "");
                }
            }
            Some(c @ (StageChange::GainOne | StageChange::GainAll)) => {
                let missing: Vec<usize> = (0..3).filter(|&s| !stages[s]).collect();
                let take = if c == StageChange::GainOne { 1 } else { 3 };
                let mut times: Vec<i64> = (0..missing.len().min(take))
                    .map(|_| self.event_time(rng))
                    .collect();
                times.sort_unstable();
                for (&s, &t) in missing.iter().zip(&times) {
                    stages[s] = true;
                    user.row.set(U_STAGES[s], stamp(t));
                }
                // Setting the app up is done on a device: the first one appears.
                if stages[1] && user.devices.is_empty() {
                    let last = *times.last().expect("at least one stage gained");
                    self.add_device(user, last, rng);
                }
            }
            Some(StageChange::Lose(s)) => {
                stages[s] = false;
                user.row.set(U_STAGES[s], "");
            }
            None => {}
        }
        if licensed != before.licensed {
            let text = if licensed { "Assigned" } else { "Unassigned" };
            user.row.set(U_LICENSE, text);
        }
        let status = status_of(licensed, stages);
        if status != before.status() {
            // The Status column follows a changed status; an unchanged one keeps its text, even
            // where it disagrees with the stages.
            user.row.set(U_STATUS, status_text(status));
        }
        match fate.hub {
            Some(HubChange::Authenticate) => {
                let off: Vec<usize> = (0..user.devices.len())
                    .filter(|&d| !is_yes(&user.devices[d].cells[D_HUB]))
                    .collect();
                if !off.is_empty() {
                    let d = off[rng.below(off.len() as u64) as usize];
                    user.devices[d].set(D_HUB, "Yes");
                }
            }
            Some(HubChange::Lose) => {
                for device in &mut user.devices {
                    device.set(D_HUB, "No");
                }
            }
            None => {}
        }
        if fate.reminded {
            let more = before.reminders + 1 + rng.below(2) as i64;
            user.row.set(U_REMINDERS, more.to_string());
        }
        let active = before.activity(self.from_as_of, changes::WINDOW_DAYS) == Activity::Active;
        let uses_again = match fate.activity {
            Some(ActivityChange::BecomeActive) => true,
            Some(ActivityChange::Lapse) => false,
            None => active && licensed,
        };
        if uses_again {
            let t = self.use_time(rng);
            self.record_use(user, t, rng);
        }
    }

    /// A use at `t`: on one of the devices (or the row when there is none), and on the row's
    /// Last Used too unless it was left blank.
    fn record_use(&self, user: &mut User, t: i64, rng: &mut SplitMix64) {
        let later = |cell: &str| match crate::ingest::contract::parse_iso(cell.trim()) {
            Some(old) if old.timestamp() > t => cell.to_string(),
            _ => stamp(t),
        };
        if !user.devices.is_empty() {
            let d = rng.below(user.devices.len() as u64) as usize;
            let cell = later(&user.devices[d].cells[D_LAST_USED]);
            user.devices[d].set(D_LAST_USED, cell);
        }
        let row = &user.row.cells[U_LAST_USED];
        let blank = row.is_empty() || row.eq_ignore_ascii_case("never");
        if !blank || user.devices.is_empty() {
            let cell = later(row);
            user.row.set(U_LAST_USED, cell);
        }
    }

    fn add_device(&self, user: &mut User, last: i64, rng: &mut SplitMix64) {
        let (name, platform) = *rng.pick(DEVICE_MODELS);
        let version = VERSIONS[rng.weighted(VERSION_WEIGHTS)];
        let hub = if rng.per_mille(650) { "Yes" } else { "No" };
        user.devices.push(Row::new(vec![
            user.row.cells[U_EMAIL].clone(),
            name.to_string(),
            platform.to_string(),
            version.to_string(),
            stamp(last),
            hub.to_string(),
        ]));
        let row = &user.row.cells[U_LAST_USED];
        if row.is_empty() || row.eq_ignore_ascii_case("never") {
            user.row.set(U_LAST_USED, stamp(last));
        }
    }

    /// The `i`th user invited since the earlier snapshot: an address no one in either snapshot
    /// has, most without a licence or just licensed, a few already using Enpass.
    fn new_user(&self, i: u64, taken: &mut HashSet<String>, rng: &mut SplitMix64) -> User {
        let (first, first_slug) = *rng.pick(FIRST_NAMES);
        let (last, last_slug) = *rng.pick(LAST_NAMES);
        let date = self.to_as_of.format("%Y%m%d");
        let mut email = format!("{first_slug}.{last_slug}.{date}.{i}@example.com");
        let mut n = 1;
        while !taken.insert(email.clone()) {
            email = format!("{first_slug}.{last_slug}.{date}.{i}-{n}@example.com");
            n += 1;
        }
        let scim = if rng.per_mille(550) { "Yes" } else { "No" };
        // 0 none, 1 licensed, 2 activated, 3 set up, 4 using; by position, so even a few new
        // users cover the first kinds.
        let progress = [1, 0, 4, 2, 0, 1, 0, 3, 0, 1][(i % 10) as usize];
        let mut times: Vec<i64> = (0..progress.max(1) - 1)
            .map(|_| self.event_time(rng))
            .collect();
        times.sort_unstable();
        let mut stages = [false; 3];
        let mut cells = vec![String::new(); 10];
        cells[U_NAME] = format!("{first} {last}");
        cells[U_EMAIL] = email.clone();
        cells[2] = scim.to_string();
        cells[U_LICENSE] = if progress > 0 {
            "Assigned"
        } else {
            "Unassigned"
        }
        .to_string();
        for (s, t) in times.iter().enumerate() {
            stages[s] = true;
            cells[U_STAGES[s]] = stamp(*t);
        }
        cells[U_STATUS] = status_text(status_of(progress > 0, stages)).to_string();
        cells[U_REMINDERS] = "0".to_string();
        if rng.per_mille(500) {
            cells[U_LAST_USED] = "Never".to_string();
        }
        let mut user = User {
            key: email.clone(),
            row: Row::new(cells),
            devices: Vec::new(),
            state: Default::default(),
        };
        if stages[1] {
            let last = if stages[2] {
                self.use_time(rng).max(*times.last().expect("stages"))
            } else {
                times[1]
            };
            self.add_device(&mut user, last, rng);
        }
        user
    }
}

/// For each change in `plan`, its share of `eligible` (at least its minimum, when any are
/// eligible) from a seeded shuffle, earlier changes first; no user twice.
fn choose<A: Copy>(eligible: &[usize], plan: &Plan<A>, rng: &mut SplitMix64) -> Vec<(usize, A)> {
    let mut order = eligible.to_vec();
    for i in (1..order.len()).rev() {
        let j = rng.below(i as u64 + 1) as usize;
        order.swap(i, j);
    }
    let mut picked = Vec::new();
    let mut next = order.iter();
    for &(change, per_mille, least) in plan {
        for _ in 0..share(eligible.len(), per_mille, least) {
            match next.next() {
                Some(&i) => picked.push((i, change)),
                None => return picked,
            }
        }
    }
    picked
}

/// `per_mille` of `n`, rounded, but at least `least` when `n > 0`.
fn share(n: usize, per_mille: u64, least: u64) -> usize {
    if n == 0 {
        return 0;
    }
    ((n as u64 * per_mille + 500) / 1000).max(least) as usize
}

fn status_of(licensed: bool, stages: [bool; 3]) -> Status {
    if !licensed {
        Status::NoLicense
    } else if stages.iter().all(|&d| d) {
        Status::Using
    } else {
        Status::Pending
    }
}

fn status_text(status: Status) -> &'static str {
    match status {
        Status::NoLicense => STATUS_NO_LICENSE,
        Status::Pending => STATUS_PENDING,
        Status::Using => STATUS_USING,
    }
}

fn is_yes(cell: &str) -> bool {
    crate::ingest::contract::parse_bool(cell).unwrap_or(false)
}

/// The time as `rollcall sample` writes it.
fn stamp(secs: i64) -> String {
    let mut buf = [0u8; 20];
    match format_utc(secs, &mut buf) {
        Some(text) => String::from_utf8_lossy(text).into_owned(),
        None => super::to_datetime(secs)
            .format("%Y-%m-%dT%H:%M:%SZ")
            .to_string(),
    }
}

/// The same address in another case: an address with capitals in lower case, a lower-case one
/// as `Ann.Lee.12@Example.COM`.
fn other_case(email: &str) -> String {
    if email.bytes().any(|b| b.is_ascii_uppercase()) {
        return email.to_ascii_lowercase();
    }
    let (local, domain) = email.split_once('@').unwrap_or((email, ""));
    let mut out = String::with_capacity(email.len());
    for (i, part) in local.split('.').enumerate() {
        if i > 0 {
            out.push('.');
        }
        push_capitalised(&mut out, part);
    }
    if !domain.is_empty() {
        out.push('@');
        let (name, rest) = domain.split_once('.').unwrap_or((domain, ""));
        push_capitalised(&mut out, name);
        if !rest.is_empty() {
            out.push('.');
            out.push_str(&rest.to_ascii_uppercase());
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sample::{write_sample, SampleOptions};

    #[test]
    fn choose_serves_each_change_its_share_and_minimum_once() {
        let eligible: Vec<usize> = (100..300).collect();
        let picked = choose(
            &eligible,
            &[('a', 100, 1), ('b', 1, 1), ('c', 0, 0)],
            &mut SplitMix64(7),
        );
        let of = |c| picked.iter().filter(|(_, x)| *x == c).count();
        assert_eq!((of('a'), of('b'), of('c')), (20, 1, 0));
        let users: HashSet<usize> = picked.iter().map(|(i, _)| *i).collect();
        assert_eq!(users.len(), picked.len(), "no user twice");
        assert!(users.iter().all(|i| eligible.contains(i)));
        // Fewer users than minimums: the earlier changes win.
        let few = choose(&[5], &[('a', 0, 1), ('b', 0, 1)], &mut SplitMix64(1));
        assert_eq!(few, [(5, 'a')]);
        assert!(choose(&[], &[('a', 0, 1)], &mut SplitMix64(1)).is_empty());
    }

    #[test]
    fn other_case_changes_case_only() {
        assert_eq!(
            other_case("ann.lee.12@example.com"),
            "Ann.Lee.12@Example.COM"
        );
        assert_eq!(
            other_case("Ann.Lee.12@Example.COM"),
            "ann.lee.12@example.com"
        );
        for e in ["ann.lee.12@example.com", "x@sub.example.co.uk"] {
            let other = other_case(e);
            assert_ne!(other, e);
            assert_eq!(other.to_lowercase(), e.to_lowercase());
        }
    }

    fn sampled(users: u64, seed: u64) -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap();
        let opts = SampleOptions {
            users,
            seed,
            as_of: crate::sample::DEFAULT_AS_OF.parse().unwrap(),
        };
        write_sample(&opts, &dir.path().join("s0")).unwrap();
        dir
    }

    fn evolve_to(dir: &Path, from: &str, to: &str, days: i64, seed: u64) -> serde_json::Value {
        evolve(&EvolveOptions {
            from: dir.join(from),
            out: Some(dir.join(to)),
            days,
            seed,
            as_of: None,
        })
        .unwrap();
        serde_json::from_slice(&std::fs::read(dir.join(to).join("truth.json")).unwrap()).unwrap()
    }

    /// The promise of the module doc: every kind in any sampled organisation of 200 users or
    /// more, over successive steps and short and long steps alike.
    #[test]
    fn every_kind_appears_from_200_users() {
        for (users, seed) in [(200, 1), (200, 9), (237, 4), (450, 23)] {
            let dir = sampled(users, seed);
            let mut from = "s0".to_string();
            for (step, days) in [1, 30, 90].into_iter().enumerate() {
                let to = format!("s{}", step + 1);
                let truth = evolve_to(dir.path(), &from, &to, days, seed);
                for (kind, n) in truth["counts"].as_object().unwrap() {
                    assert!(
                        n.as_u64().unwrap() > 0,
                        "{kind} users={users} seed={seed} step={step} days={days}"
                    );
                }
                from = to;
            }
        }
    }

    #[test]
    fn a_step_is_deterministic_and_another_seed_changes_other_users() {
        let dir = sampled(300, 3);
        let files = |to: &str| -> Vec<Vec<u8>> {
            ["users.csv", "devices.csv", "truth.json"]
                .iter()
                .map(|f| std::fs::read(dir.path().join(to).join(f)).unwrap())
                .collect()
        };
        evolve_to(dir.path(), "s0", "a", 30, 5);
        evolve_to(dir.path(), "s0", "b", 30, 5);
        evolve_to(dir.path(), "s0", "c", 30, 6);
        assert!(files("a") == files("b"));
        assert!(files("a")[0] != files("c")[0]);
    }
}
