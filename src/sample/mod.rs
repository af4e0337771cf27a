//! Deterministic synthetic organisations for tests, benchmarks and the bundled sample data.
//!
//! Users are laid out in blocks of 50 with fixed counts per kind (no licence, pending,
//! using) shuffled inside each block, so every organisation of 50 or more users contains every
//! kind in the intended proportion instead of merely being likely to. The rare edge cases
//! (activity-window boundaries, a future last use, a Status column that contradicts the stages,
//! odd names) are pinned to ordinals inside those blocks for the same reason.
//!
//! [`write_sample`] and [`truth`] both run `for_each_user`, so what is written and what tests
//! expect can never drift apart.
//!
//! [`evolve`] (`sample --evolve-from`) goes one step further: it reads a snapshot folder back
//! and writes a later snapshot of the same organisation with a known set of changes, and the
//! transitions between the two as `truth.json` (the ground truth for snapshot diffs).

mod changes;
mod evolve;
mod files;
mod generator;
mod names;
mod snapshot;

use std::convert::Infallible;
use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::path::Path;

use anyhow::{Context, Result};
use chrono::{DateTime, TimeDelta, Utc};

use files::{write_device_row, write_user_row};
use generator::{for_each_user, GenDevice, GenUser};

pub(crate) use evolve::{evolve, EvolveOptions};

/// What to generate.
#[derive(Debug, Clone)]
pub struct SampleOptions {
    pub users: u64,
    pub seed: u64,
    /// The moment the export is taken; every generated time is relative to it (whole seconds).
    pub as_of: DateTime<Utc>,
}

/// The `as_of` the bundled sample data is generated with.
pub const DEFAULT_AS_OF: &str = "2026-11-26T12:00:00Z";

/// Per-user ground truth, computed by the generator itself (never by SQL), so tests can compute
/// expected filter counts independently.
#[derive(Debug, Clone, serde::Serialize)]
pub struct UserTruth {
    /// Exactly as written in `users.csv` (a few are mixed case; compare case-insensitively).
    pub email: String,
    pub name: String,
    pub scim: bool,
    pub license_assigned: bool,
    /// `"no-license"` | `"pending"` | `"using"`, derived from License and the stage columns
    /// (never from the Status column, which is deliberately wrong for a few users).
    pub status: &'static str,
    /// The latest of the user row's Last Used and all its devices' Last Used.
    pub last_used: Option<DateTime<Utc>>,
    /// Any device hub-authenticated.
    pub hub_authenticated: bool,
    pub reminders_sent: u32,
    pub device_count: u32,
}

impl UserTruth {
    /// `"never"` without any use, `"active"` if the last use is strictly after
    /// `as_of - window_days` (a future use counts as active), otherwise `"inactive"`.
    pub fn activity(&self, as_of: DateTime<Utc>, window_days: i64) -> &'static str {
        let Some(last) = self.last_used else {
            return "never";
        };
        let cutoff = TimeDelta::try_days(window_days).and_then(|w| as_of.checked_sub_signed(w));
        match cutoff {
            Some(cutoff) if last <= cutoff => "inactive",
            // An unrepresentable cutoff lies before every representable time.
            _ => "active",
        }
    }
}

/// Streams the organisation to `dir/users.csv` and `dir/devices.csv` (creating `dir`).
/// Returns (users written, devices written).
pub(crate) fn write_sample(opts: &SampleOptions, dir: &Path) -> Result<(u64, u64)> {
    std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    let users_path = dir.join("users.csv");
    let devices_path = dir.join("devices.csv");
    let open = |path: &Path| -> Result<BufWriter<File>> {
        let file = File::create(path).with_context(|| format!("creating {}", path.display()))?;
        Ok(BufWriter::with_capacity(1 << 20, file))
    };
    let mut users = open(&users_path)?;
    let mut devices = open(&devices_path)?;
    let (mut user_rows, mut device_rows) = (0u64, 0u64);

    let written = (|| -> io::Result<()> {
        users.write_all(USERS_HEADER.as_bytes())?;
        devices.write_all(DEVICES_HEADER.as_bytes())?;
        for_each_user(opts, |user, user_devices| -> io::Result<()> {
            write_user_row(&mut users, user)?;
            for device in user_devices {
                write_device_row(&mut devices, device)?;
            }
            user_rows += 1;
            device_rows += user_devices.len() as u64;
            Ok(())
        })?;
        users.flush()?;
        devices.flush()
    })();
    written.with_context(|| format!("writing sample data to {}", dir.display()))?;
    Ok((user_rows, device_rows))
}

/// The same organisation's truth, regenerated in memory from the same seed (identical to what
/// [`write_sample`] wrote).
pub fn truth(opts: &SampleOptions) -> Vec<UserTruth> {
    // Capped so a huge `users` cannot make the up-front reservation itself fail.
    let mut out = Vec::with_capacity(opts.users.min(1 << 20) as usize);
    let Ok(()) = for_each_user(opts, |user, devices| -> Result<(), Infallible> {
        out.push(user_truth(user, devices));
        Ok(())
    });
    out
}

const USERS_HEADER: &str = "Name,Email,SCIM Provisioned,Last Used,License,Status,Activated License,Completed App Setup,Added Data in App,Reminders Sent\n";
const DEVICES_HEADER: &str =
    "User Email,Device Name,Platform,Enpass Version,Last Used,Enpass Hub Authenticated\n";

fn user_truth(user: &GenUser, devices: &[GenDevice]) -> UserTruth {
    let last_used = devices
        .iter()
        .filter_map(|d| d.last_used)
        .chain(user.last_used)
        .max();
    UserTruth {
        email: user.email.clone(),
        name: user.name.clone(),
        scim: user.scim,
        license_assigned: user.licensed,
        status: user.status(),
        last_used: last_used.map(to_datetime),
        hub_authenticated: devices.iter().any(|d| d.hub),
        reminders_sent: user.reminders,
        device_count: devices.len() as u32,
    }
}

fn to_datetime(secs: i64) -> DateTime<Utc> {
    // Generated times stay within a few years of a valid `as_of`, so this cannot fail.
    DateTime::from_timestamp(secs, 0).expect("generated time within chrono's range")
}
#[cfg(test)]
mod tests {
    use super::files::{format_utc, write_field};
    use super::generator::{SplitMix64, DAY};
    use super::names::VERSIONS;
    use super::*;
    use std::collections::{BTreeSet, HashMap, HashSet};

    fn opts(users: u64, seed: u64) -> SampleOptions {
        SampleOptions {
            users,
            seed,
            as_of: DEFAULT_AS_OF.parse().unwrap(),
        }
    }

    fn read(dir: &Path, file: &str) -> Vec<u8> {
        std::fs::read(dir.join(file)).unwrap()
    }

    /// Parses a written timestamp cell strictly, independently of the generator's formatter.
    fn cell_time(cell: &str) -> Option<DateTime<Utc>> {
        match cell {
            "" | "Never" => None,
            _ => {
                assert_eq!(cell.len(), 20, "timestamp {cell:?}");
                assert!(cell.ends_with('Z'), "timestamp {cell:?}");
                Some(
                    DateTime::parse_from_rfc3339(cell)
                        .unwrap()
                        .with_timezone(&Utc),
                )
            }
        }
    }

    struct Parsed {
        users: Vec<csv::StringRecord>,
        devices: Vec<csv::StringRecord>,
    }

    fn write_and_parse(o: &SampleOptions) -> Parsed {
        let dir = tempfile::tempdir().unwrap();
        let (n_users, n_devices) = write_sample(o, dir.path()).unwrap();
        let parse = |file: &str, header: &str| {
            let bytes = read(dir.path(), file);
            assert!(!bytes.starts_with(b"\xEF\xBB\xBF"), "no BOM");
            assert!(!bytes.contains(&b'\r'), "LF line ends only");
            assert!(bytes.starts_with(header.as_bytes()), "{file} header");
            let mut reader = csv::Reader::from_reader(&bytes[..]);
            reader.records().map(Result::unwrap).collect::<Vec<_>>()
        };
        let parsed = Parsed {
            users: parse("users.csv", USERS_HEADER),
            devices: parse("devices.csv", DEVICES_HEADER),
        };
        assert_eq!(parsed.users.len() as u64, n_users);
        assert_eq!(parsed.devices.len() as u64, n_devices);
        parsed
    }

    #[test]
    fn same_seed_same_bytes_different_seed_different_bytes() {
        let write = |o: &SampleOptions| {
            let dir = tempfile::tempdir().unwrap();
            write_sample(o, dir.path()).unwrap();
            (
                read(dir.path(), "users.csv"),
                read(dir.path(), "devices.csv"),
            )
        };
        let a = write(&opts(500, 7));
        let b = write(&opts(500, 7));
        let c = write(&opts(500, 8));
        assert!(a == b, "same options must give identical bytes");
        assert!(
            a.0 != c.0 && a.1 != c.1,
            "another seed must give other data"
        );
        let json = |o: &SampleOptions| serde_json::to_string(&truth(o)).unwrap();
        assert_eq!(json(&opts(500, 7)), json(&opts(500, 7)));
        assert_ne!(json(&opts(500, 7)), json(&opts(500, 8)));
    }

    #[test]
    fn a_prefix_of_a_larger_organisation_is_the_smaller_one() {
        let small = serde_json::to_value(truth(&opts(120, 3))).unwrap();
        let large = serde_json::to_value(truth(&opts(400, 3))).unwrap();
        assert_eq!(
            small.as_array().unwrap()[..],
            large.as_array().unwrap()[..120]
        );
    }

    #[test]
    fn truth_matches_what_was_written() {
        for seed in [1, 2, 99] {
            let o = opts(700, seed);
            let parsed = write_and_parse(&o);
            let expected = truth(&o);
            assert_eq!(parsed.users.len(), expected.len());

            #[derive(Default)]
            struct Seen {
                count: u32,
                last: Option<DateTime<Utc>>,
                hub: bool,
            }
            let mut by_email: HashMap<String, Seen> = HashMap::new();
            for d in &parsed.devices {
                assert_eq!(d.len(), 6);
                assert!(["macOS", "Windows", "iOS", "Android", "Linux"].contains(&&d[2]));
                assert!(VERSIONS.contains(&&d[3]), "version {:?}", &d[3]);
                assert!(["Yes", "No"].contains(&&d[5]));
                let seen = by_email.entry(d[0].to_lowercase()).or_default();
                seen.count += 1;
                seen.last = seen.last.max(cell_time(&d[4]));
                seen.hub |= &d[5] == "Yes";
            }

            let mut matched = 0;
            for (row, t) in parsed.users.iter().zip(&expected) {
                assert_eq!(row.len(), 10);
                assert_eq!(&row[0], t.name);
                assert_eq!(&row[1], t.email);
                assert_eq!(&row[2] == "Yes", t.scim);
                assert!(["Yes", "No"].contains(&&row[2]));
                assert!(["Assigned", "Unassigned"].contains(&&row[4]));
                assert_eq!(&row[4] == "Assigned", t.license_assigned);
                let stages_done = (6..9).filter(|&i| !row[i].is_empty()).count();
                let status = match (&row[4], stages_done) {
                    ("Unassigned", _) => "no-license",
                    (_, 3) => "using",
                    _ => "pending",
                };
                assert_eq!(status, t.status, "{}", t.email);
                assert_eq!(row[9].parse::<u32>().unwrap(), t.reminders_sent);

                let seen = by_email.get(&t.email.to_lowercase());
                if seen.is_some() {
                    matched += 1;
                }
                let last = seen.and_then(|s| s.last).max(cell_time(&row[3]));
                assert_eq!(last, t.last_used, "{}", t.email);
                assert_eq!(seen.is_some_and(|s| s.hub), t.hub_authenticated);
                assert_eq!(seen.map_or(0, |s| s.count), t.device_count);
            }
            assert_eq!(matched, by_email.len(), "every device belongs to a user");
        }
    }

    #[test]
    fn coverage_at_300_users() {
        let o = opts(300, 42);
        let t = truth(&o);
        let set = |f: &dyn Fn(&UserTruth) -> String| t.iter().map(f).collect::<BTreeSet<_>>();
        let strings = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<BTreeSet<_>>();
        assert_eq!(
            set(&|u| u.status.into()),
            strings(&["no-license", "pending", "using"])
        );
        assert_eq!(
            set(&|u| u.activity(o.as_of, 30).into()),
            strings(&["active", "inactive", "never"])
        );
        assert_eq!(
            set(&|u| u.hub_authenticated.to_string()),
            strings(&["false", "true"])
        );
        assert_eq!(set(&|u| u.scim.to_string()), strings(&["false", "true"]));
        assert_eq!(
            set(&|u| u.reminders_sent.min(3).to_string()),
            strings(&["0", "1", "2", "3"])
        );
    }

    /// Everything the brief promises for any organisation of at least 50 (or 100) users.
    #[test]
    fn edge_cases_present_in_small_organisations() {
        for (users, seed) in [(50, 0), (50, 5), (73, 11), (100, 1), (100, 77), (300, 42)] {
            let o = opts(users, seed);
            let t = truth(&o);
            let parsed = write_and_parse(&o);
            let as_of = o.as_of;
            let has = |pred: &dyn Fn(&UserTruth) -> bool| t.iter().any(pred);
            let ctx = format!("users={users} seed={seed}");

            for status in ["no-license", "pending", "using"] {
                assert!(has(&|u| u.status == status), "{status} {ctx}");
            }
            for r in 0..=5 {
                assert!(
                    has(&|u| u.status == "pending" && u.reminders_sent == r),
                    "{ctx}"
                );
            }
            let at = |delta: i64| Some(as_of + TimeDelta::seconds(delta));
            assert!(
                has(&|u| u.last_used == at(-30 * DAY)),
                "exactly 30 days {ctx}"
            );
            assert!(
                has(&|u| u.last_used == at(-30 * DAY + 1)),
                "30 days - 1s {ctx}"
            );
            assert!(
                has(&|u| u.status == "using" && u.last_used.is_none()),
                "{ctx}"
            );
            assert!(
                has(&|u| u.status == "pending" && u.hub_authenticated),
                "{ctx}"
            );
            assert!(
                has(&|u| u.status == "pending" && u.device_count == 0 && u.last_used.is_some()),
                "pending with a row-only last use {ctx}"
            );
            if users >= 100 {
                assert!(has(&|u| u.last_used == at(DAY)), "future {ctx}");
            }

            let names: Vec<&str> = t.iter().map(|u| u.name.as_str()).collect();
            assert!(names.iter().any(|n| n.contains(", ")), "Last, First {ctx}");
            assert!(names.iter().any(|n| n.contains('"')), "quoted name {ctx}");
            assert!(names.iter().any(|n| !n.is_ascii()), "non-ASCII {ctx}");
            assert!(
                t.iter().any(|u| u.email != u.email.to_lowercase()),
                "mixed-case email {ctx}"
            );

            let user_status: HashMap<String, &str> = t
                .iter()
                .map(|u| (u.email.to_lowercase(), u.status))
                .collect();
            let mismatched = parsed.users.iter().filter(|row| {
                let derived = user_status[&row[1].to_lowercase()];
                let column = match &row[5] {
                    "No License" => "no-license",
                    "Pending User Action" => "pending",
                    "Using Enpass" => "using",
                    other => panic!("status {other:?}"),
                };
                column != derived
            });
            assert!(mismatched.count() >= 1, "Status disagreeing {ctx}");
            assert!(parsed.users.iter().any(|r| &r[3] == "Never"), "{ctx}");
            assert!(parsed.users.iter().any(|r| r[3].is_empty()), "{ctx}");

            // Row Last Used blank while a device has a date, and later than every device.
            let mut device_max: HashMap<String, Option<DateTime<Utc>>> = HashMap::new();
            for d in &parsed.devices {
                let e = device_max.entry(d[0].to_lowercase()).or_default();
                *e = (*e).max(cell_time(&d[4]));
            }
            let rows_vs_devices: Vec<_> = parsed
                .users
                .iter()
                .filter_map(|r| Some((cell_time(&r[3]), device_max.get(&r[1].to_lowercase())?)))
                .collect();
            assert!(
                rows_vs_devices
                    .iter()
                    .any(|(row, dev)| row.is_none() && dev.is_some()),
                "{ctx}"
            );
            assert!(
                rows_vs_devices
                    .iter()
                    .any(|(row, dev)| row.is_some() && row > dev),
                "{ctx}"
            );
            let user_emails: HashSet<&str> = parsed.users.iter().map(|r| &r[1]).collect();
            assert!(
                parsed.devices.iter().any(|d| !user_emails.contains(&d[0])),
                "a device e-mail in another case {ctx}"
            );
            assert!(parsed.devices.iter().any(|d| d[1].contains("'s ")), "{ctx}");
        }
    }

    #[test]
    fn index_zero_is_zoe() {
        for seed in [0, 1, 12345] {
            let t = truth(&opts(1, seed));
            assert_eq!(t.len(), 1);
            assert_eq!(t[0].name, "ZOË ÅNGSTRÖM");
            assert_eq!(t[0].email, "zoe.angstrom@example.com");
            assert_eq!(t[0].status, "using");
            assert!(t[0].device_count >= 1);
        }
    }

    #[test]
    fn emails_unique_case_insensitively() {
        let t = truth(&opts(20_000, 9));
        let lower: HashSet<String> = t.iter().map(|u| u.email.to_lowercase()).collect();
        assert_eq!(lower.len(), t.len());
        assert!(t
            .iter()
            .all(|u| u.email.is_ascii() && u.email.contains('@')));
    }

    #[test]
    fn tiny_and_empty_organisations() {
        for users in [0, 1, 2, 49] {
            let parsed = write_and_parse(&opts(users, 4));
            assert_eq!(parsed.users.len() as u64, users);
        }
    }

    #[test]
    fn stages_devices_and_proportions_are_plausible() {
        let o = opts(20_000, 2024);
        let parsed = write_and_parse(&o);
        let t = truth(&o);
        let share = |pred: &dyn Fn(&UserTruth) -> bool| {
            t.iter().filter(|u| pred(u)).count() as f64 / t.len() as f64
        };
        let near = |got: f64, want: f64| (got - want).abs() < 0.02;
        assert!(near(share(&|u| u.status == "no-license"), 0.12));
        assert!(near(share(&|u| u.status == "pending"), 0.28));
        assert!(near(share(&|u| u.status == "using"), 0.60));
        assert!(near(share(&|u| u.scim), 0.55));
        assert!(near(share(&|u| u.email != u.email.to_lowercase()), 0.02));

        let using: Vec<_> = t.iter().filter(|u| u.status == "using").collect();
        let per_using =
            using.iter().map(|u| u.device_count).sum::<u32>() as f64 / using.len() as f64;
        assert!((2.3..2.7).contains(&per_using), "{per_using}");
        assert!(using.iter().all(|u| (1..=5).contains(&u.device_count)));
        let hub = parsed.devices.iter().filter(|d| &d[5] == "Yes").count() as f64;
        assert!((hub / parsed.devices.len() as f64 - 0.65).abs() < 0.02);

        let future = t.iter().filter(|u| u.last_used > Some(o.as_of)).count();
        assert!((1..=t.len() / 200).contains(&future), "{future}");

        for (row, u) in parsed.users.iter().zip(&t) {
            let stages: Vec<_> = (6..9).map(|i| cell_time(&row[i])).collect();
            match u.status {
                "no-license" => {
                    assert!(stages.iter().all(Option::is_none));
                    assert_eq!((u.device_count, u.reminders_sent), (0, 0));
                    assert_eq!(u.last_used, None);
                    assert_eq!(&row[5], "No License");
                }
                "pending" => {
                    assert!(u.reminders_sent <= 5);
                    assert!(u.device_count <= 1);
                    if u.device_count == 1 {
                        assert!(stages[1].is_some(), "device only after app setup");
                    }
                    if stages[0].is_none() {
                        assert_eq!(u.last_used, None);
                    }
                }
                _ => {
                    let (a, s, d) = (stages[0].unwrap(), stages[1].unwrap(), stages[2].unwrap());
                    assert!(a <= s && s <= d && d <= o.as_of, "{}", u.email);
                }
            }
        }
    }

    #[test]
    fn activity_boundaries() {
        let as_of: DateTime<Utc> = DEFAULT_AS_OF.parse().unwrap();
        let mut u = truth(&opts(1, 0)).remove(0);
        let mut at = |delta: i64| {
            u.last_used = Some(as_of + TimeDelta::seconds(delta));
            u.activity(as_of, 30)
        };
        assert_eq!(at(-30 * DAY), "inactive");
        assert_eq!(at(-30 * DAY + 1), "active");
        assert_eq!(at(DAY), "active");
        assert_eq!(at(-400 * DAY), "inactive");
        u.last_used = None;
        assert_eq!(u.activity(as_of, 30), "never");
        u.last_used = Some(as_of);
        assert_eq!(u.activity(as_of, i64::MAX), "active");
    }

    #[test]
    fn hand_formatter_matches_chrono() {
        let mut rng = SplitMix64(1);
        let specials = [
            0,
            -1,
            951_782_400,
            4_107_542_399,
            -62_167_219_200,
            253_402_300_799,
        ];
        let random = (0..20_000).map(|_| rng.range(-62_167_219_200, 253_402_300_799));
        for secs in specials.into_iter().chain(random) {
            let mut buf = [0u8; 20];
            let ours = format_utc(secs, &mut buf).map(|b| String::from_utf8(b.to_vec()).unwrap());
            let theirs = to_datetime(secs).format("%Y-%m-%dT%H:%M:%SZ").to_string();
            assert_eq!(ours.as_deref(), Some(theirs.as_str()), "{secs}");
        }
        assert!(format_utc(-62_167_219_201, &mut [0; 20]).is_none());
        assert!(format_utc(253_402_300_800, &mut [0; 20]).is_none());
    }

    #[test]
    fn quoting_round_trips() {
        let mut out = Vec::new();
        for s in ["plain", "Müller, José", "Robert \"Bob\" Smith", "a\nb", ""] {
            write_field(&mut out, s).unwrap();
            out.push(b'\n');
        }
        let text = String::from_utf8(out).unwrap();
        assert!(text.starts_with("plain\n\"Müller, José\"\n\"Robert \"\"Bob\"\" Smith\"\n"));
        let mut reader = csv::ReaderBuilder::new()
            .has_headers(false)
            .from_reader(text.as_bytes());
        let cells: Vec<String> = reader
            .records()
            .map(|r| r.unwrap()[0].to_string())
            .collect();
        assert_eq!(
            cells,
            ["plain", "Müller, José", "Robert \"Bob\" Smith", "a\nb"]
        );
    }
}
