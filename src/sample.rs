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

use std::convert::Infallible;
use std::fmt::Write as _;
use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::path::Path;

use anyhow::{Context, Result};
use chrono::{DateTime, TimeDelta, Utc};

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
pub fn write_sample(opts: &SampleOptions, dir: &Path) -> Result<(u64, u64)> {
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

const DAY: i64 = 86_400;
const HOUR: i64 = 3_600;
/// Users per stratification block; each block holds exactly the per-kind counts below.
const BLOCK: u64 = 50;
const NO_LICENSE_PER_BLOCK: u64 = 6;
const PENDING_PER_BLOCK: u64 = 14;
const USING_PER_BLOCK: u64 = BLOCK - NO_LICENSE_PER_BLOCK - PENDING_PER_BLOCK;
const MAX_DEVICES: usize = 5;

// Independent random streams, so adding draws to one never shifts another.
const STREAM_BLOCK: u64 = 0x426C_6F63_6B00_0001;
const STREAM_USER: u64 = 0x5573_6572_0000_0002;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    NoLicense,
    Pending,
    Using,
}

impl Kind {
    fn per_block(self) -> u64 {
        match self {
            Kind::NoLicense => NO_LICENSE_PER_BLOCK,
            Kind::Pending => PENDING_PER_BLOCK,
            Kind::Using => USING_PER_BLOCK,
        }
    }
}

/// SplitMix64 (Steele, Lea & Flood 2014): tiny, fast and good enough for synthetic data, and
/// implemented here so output never changes with a dependency's version.
struct SplitMix64(u64);

fn mix64(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

impl SplitMix64 {
    fn stream(seed: u64, domain: u64, index: u64) -> Self {
        let key = mix64(domain ^ index.wrapping_mul(0x9E37_79B9_7F4A_7C15));
        SplitMix64(mix64(seed ^ key))
    }

    fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        mix64(self.0)
    }

    /// Uniform in `0..n` (multiply-shift; the bias is below 2^-40 for the small `n` used here).
    fn below(&mut self, n: u64) -> u64 {
        ((u128::from(self.next_u64()) * u128::from(n)) >> 64) as u64
    }

    fn per_mille(&mut self, p: u64) -> bool {
        self.below(1000) < p
    }

    /// Uniform in `lo..=hi`.
    fn range(&mut self, lo: i64, hi: i64) -> i64 {
        debug_assert!(lo <= hi);
        lo + self.below((hi - lo) as u64 + 1) as i64
    }

    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len() as u64) as usize]
    }

    fn weighted(&mut self, weights: &[u64]) -> usize {
        let mut roll = self.below(weights.iter().sum());
        for (i, &w) in weights.iter().enumerate() {
            if roll < w {
                return i;
            }
            roll -= w;
        }
        weights.len() - 1
    }
}

struct BlockLayout {
    kinds: [Kind; BLOCK as usize],
    /// Position of each user among the users of the same kind in this block.
    ranks: [u8; BLOCK as usize],
}

fn block_layout(seed: u64, block: u64) -> BlockLayout {
    let mut kinds = [Kind::Using; BLOCK as usize];
    for (i, kind) in kinds.iter_mut().enumerate() {
        let i = i as u64;
        if i < NO_LICENSE_PER_BLOCK {
            *kind = Kind::NoLicense;
        } else if i < NO_LICENSE_PER_BLOCK + PENDING_PER_BLOCK {
            *kind = Kind::Pending;
        }
    }
    let mut rng = SplitMix64::stream(seed, STREAM_BLOCK, block);
    for i in (1..kinds.len()).rev() {
        let j = rng.below(i as u64 + 1) as usize;
        kinds.swap(i, j);
    }
    if block == 0 {
        // User 0 is the documented showcase user and must be using the app.
        if let Some(j) = kinds.iter().position(|&k| k == Kind::Using) {
            kinds.swap(0, j);
        }
    }
    let mut ranks = [0u8; BLOCK as usize];
    let mut seen = [0u8; 3];
    for (rank, kind) in ranks.iter_mut().zip(kinds) {
        let slot = &mut seen[kind as usize];
        *rank = *slot;
        *slot += 1;
    }
    BlockLayout { kinds, ranks }
}

/// (display, ASCII e-mail slug)
const FIRST_NAMES: &[(&str, &str)] = &[
    ("Zoë", "zoe"),
    ("José", "jose"),
    ("Łukasz", "lukasz"),
    ("Amélie", "amelie"),
    ("Søren", "soren"),
    ("Ana", "ana"),
    ("Wei", "wei"),
    ("Aarav", "aarav"),
    ("Fatima", "fatima"),
    ("Olivia", "olivia"),
    ("Liam", "liam"),
    ("Noah", "noah"),
    ("Emma", "emma"),
    ("Mateo", "mateo"),
    ("Chloé", "chloe"),
    ("Björn", "bjorn"),
    ("Siobhán", "siobhan"),
    ("Kenji", "kenji"),
    ("Priya", "priya"),
    ("Oluwaseun", "oluwaseun"),
    ("Hana", "hana"),
    ("Mikhail", "mikhail"),
    ("Ingrid", "ingrid"),
    ("Diego", "diego"),
    ("Élodie", "elodie"),
    ("Çağrı", "cagri"),
    ("Ayşe", "ayse"),
    ("Jürgen", "jurgen"),
    ("François", "francois"),
    ("Thomas", "thomas"),
    ("Sarah", "sarah"),
    ("James", "james"),
    ("Maria", "maria"),
    ("David", "david"),
    ("Laura", "laura"),
    ("Yusuf", "yusuf"),
];

const LAST_NAMES: &[(&str, &str)] = &[
    ("Ångström", "angstrom"),
    ("Müller", "muller"),
    ("李", "li"),
    ("Ørsted", "orsted"),
    ("Ñúñez", "nunez"),
    ("Smith", "smith"),
    ("García", "garcia"),
    ("Nguyễn", "nguyen"),
    ("Kowalski", "kowalski"),
    ("O'Brien", "obrien"),
    ("Dubois", "dubois"),
    ("Rossi", "rossi"),
    ("Schäfer", "schafer"),
    ("Johansson", "johansson"),
    ("Tanaka", "tanaka"),
    ("Patel", "patel"),
    ("Okafor", "okafor"),
    ("Novák", "novak"),
    ("Popescu", "popescu"),
    ("Fernández", "fernandez"),
    ("Jensen", "jensen"),
    ("Brown", "brown"),
    ("Wilson", "wilson"),
    ("Martin", "martin"),
    ("Kim", "kim"),
    ("Chen", "chen"),
    ("Haddad", "haddad"),
    ("Ivanova", "ivanova"),
    ("Łęcka", "lecka"),
    ("Søndergaard", "sondergaard"),
    ("Yılmaz", "yilmaz"),
    ("Da Silva", "dasilva"),
];

/// (device name, platform). Names are distinct so a user's devices never collide.
const DEVICE_MODELS: &[(&str, &str)] = &[
    ("MacBook Pro", "macOS"),
    ("MacBook Air", "macOS"),
    ("iMac", "macOS"),
    ("Mac mini, office", "macOS"),
    ("iPhone 15", "iOS"),
    ("iPhone 13 mini", "iOS"),
    ("iPad", "iOS"),
    ("Galaxy M31", "Android"),
    ("Pixel 8", "Android"),
    ("OnePlus 11", "Android"),
    ("My PC", "Windows"),
    ("ThinkPad X1", "Windows"),
    ("Surface Laptop 5", "Windows"),
    ("DESKTOP-7H2K9QF", "Windows"),
    ("Framework 13", "Linux"),
    ("ThinkPad T14", "Linux"),
];

/// Oldest first; the last one is the newest release.
const VERSIONS: &[&str] = &["6.9.2", "6.10.1", "6.11.0", "6.11.4"];
const VERSION_WEIGHTS: &[u64] = &[10, 20, 25, 45];

const STATUS_NO_LICENSE: &str = "No License";
const STATUS_PENDING: &str = "Pending User Action";
const STATUS_USING: &str = "Using Enpass";

/// How the user row's own Last Used relates to the true last use.
#[derive(Clone, Copy, PartialEq, Eq)]
enum RowLastUsed {
    /// Equal to the latest device use.
    Equal,
    /// Never, although some device has a date.
    Blank,
    /// Later than every device.
    Later,
}

struct GenUser {
    name: String,
    email: String,
    scim: bool,
    licensed: bool,
    activated: Option<i64>,
    setup: Option<i64>,
    data_added: Option<i64>,
    /// What the Status column says, which is not always the truth.
    status_column: &'static str,
    /// The user row's own Last Used, in Unix seconds.
    last_used: Option<i64>,
    /// Whether "never" is written as `Never` rather than left blank.
    never_as_word: bool,
    reminders: u32,
}

impl GenUser {
    fn status(&self) -> &'static str {
        if !self.licensed {
            "no-license"
        } else if self.activated.is_some() && self.setup.is_some() && self.data_added.is_some() {
            "using"
        } else {
            "pending"
        }
    }
}

struct GenDevice {
    email: String,
    name: String,
    platform: &'static str,
    version: &'static str,
    last_used: Option<i64>,
    never_as_word: bool,
    hub: bool,
}

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

/// The one generator behind both [`write_sample`] and [`truth`]. Buffers are reused between
/// users so the stream allocates almost nothing per user.
fn for_each_user<E>(
    opts: &SampleOptions,
    mut f: impl FnMut(&GenUser, &[GenDevice]) -> Result<(), E>,
) -> Result<(), E> {
    let mut gen = Generator {
        now: opts.as_of.timestamp(),
        user: GenUser {
            name: String::new(),
            email: String::new(),
            scim: false,
            licensed: false,
            activated: None,
            setup: None,
            data_added: None,
            status_column: STATUS_NO_LICENSE,
            last_used: None,
            never_as_word: false,
            reminders: 0,
        },
        first_name: "",
        devices: (0..MAX_DEVICES)
            .map(|_| GenDevice {
                email: String::new(),
                name: String::new(),
                platform: "",
                version: "",
                last_used: None,
                never_as_word: false,
                hub: false,
            })
            .collect(),
        device_count: 0,
    };
    let mut layout = block_layout(opts.seed, 0);
    for index in 0..opts.users {
        let (block, pos) = (index / BLOCK, (index % BLOCK) as usize);
        if pos == 0 && block > 0 {
            layout = block_layout(opts.seed, block);
        }
        let kind = layout.kinds[pos];
        let rank = u64::from(layout.ranks[pos]);
        let ordinal = block * kind.per_block() + rank;
        let mut rng = SplitMix64::stream(opts.seed, STREAM_USER, index);
        gen.generate(index, kind, rank, ordinal, &mut rng);
        f(&gen.user, &gen.devices[..gen.device_count])?;
    }
    Ok(())
}

struct Generator {
    now: i64,
    user: GenUser,
    first_name: &'static str,
    devices: Vec<GenDevice>,
    device_count: usize,
}

impl Generator {
    /// `rank` is the user's position among its kind in its block, `ordinal` among its kind in
    /// the whole organisation; both pin edge cases to places every organisation contains.
    fn generate(&mut self, index: u64, kind: Kind, rank: u64, ordinal: u64, rng: &mut SplitMix64) {
        // Pinned to a using user so its devices always show the case mismatch.
        let mixed_case = kind == Kind::Using && rank == 17;
        self.identity(index, mixed_case, rng);
        let u = &mut self.user;
        u.scim = rng.per_mille(550);
        u.never_as_word = rng.per_mille(500);
        u.activated = None;
        u.setup = None;
        u.data_added = None;
        u.last_used = None;
        u.reminders = 0;
        self.device_count = 0;
        match kind {
            Kind::NoLicense => {
                u.licensed = false;
                u.status_column = STATUS_NO_LICENSE;
            }
            Kind::Pending => self.pending(rank, ordinal, rng),
            Kind::Using => self.using(ordinal, rng),
        }
    }

    fn identity(&mut self, index: u64, mixed_case: bool, rng: &mut SplitMix64) {
        let u = &mut self.user;
        u.name.clear();
        u.email.clear();
        if index == 0 {
            self.first_name = "Zoë";
            u.name.push_str("ZOË ÅNGSTRÖM");
            u.email.push_str("zoe.angstrom@example.com");
            return;
        }
        let (first, first_slug) = if index % 500 == 7 {
            ("Robert \"Bob\"", "robert")
        } else {
            *rng.pick(FIRST_NAMES)
        };
        let (last, last_slug) = *rng.pick(LAST_NAMES);
        self.first_name = first;
        if index % BLOCK == 29 {
            let _ = write!(u.name, "{last}, {first}");
        } else {
            let _ = write!(u.name, "{first} {last}");
        }
        // The index keeps e-mails unique however the names repeat.
        if mixed_case {
            push_capitalised(&mut u.email, first_slug);
            u.email.push('.');
            push_capitalised(&mut u.email, last_slug);
            let _ = write!(u.email, ".{index}@Example.COM");
        } else {
            let _ = write!(u.email, "{first_slug}.{last_slug}.{index}@example.com");
        }
    }

    fn pending(&mut self, rank: u64, ordinal: u64, rng: &mut SplitMix64) {
        let now = self.now;
        let u = &mut self.user;
        u.licensed = true;
        u.status_column = if ordinal % 120 == 11 {
            STATUS_USING
        } else {
            STATUS_PENDING
        };
        u.reminders = if rank < 6 {
            rank as u32
        } else {
            rng.weighted(&[30, 25, 18, 12, 9, 6]) as u32
        };
        // 0 = nothing done, 1 = licence activated, 2 = app set up as well.
        let stage = match rank {
            6 => 0,
            7 => 1,
            8 | 9 => 2,
            _ => rng.weighted(&[20, 45, 35]),
        };
        match stage {
            0 => {}
            1 => u.activated = Some(now - rng.range(0, 400 * DAY)),
            _ => {
                let has_device = rank == 8 || (rank != 9 && rng.per_mille(600));
                let target = if rank == 8 {
                    Some(active_time(now, rng))
                } else if has_device {
                    draw_last_use(now, rng, &[40, 45, 15])
                } else if rank == 9 || rng.per_mille(500) {
                    draw_last_use(now, rng, &[50, 50, 0])
                } else {
                    None
                };
                let anchor = target.unwrap_or_else(|| now - rng.range(0, 400 * DAY));
                let setup = anchor.min(now) - rng.range(0, 3 * DAY);
                u.setup = Some(setup);
                u.activated = Some(setup - rng.range(0, 2 * DAY));
                if has_device {
                    let mode = draw_row_mode(target, rng);
                    self.devices(1, target, mode, rng);
                    if rank == 8 {
                        self.devices[0].hub = true;
                    }
                } else {
                    self.user.last_used = target;
                }
            }
        }
    }

    fn using(&mut self, ordinal: u64, rng: &mut SplitMix64) {
        let now = self.now;
        let u = &mut self.user;
        u.licensed = true;
        u.status_column = if ordinal % 240 == 23 {
            STATUS_PENDING
        } else {
            STATUS_USING
        };
        u.reminders = if rng.per_mille(850) {
            0
        } else {
            rng.range(1, 3) as u32
        };
        let (target, mode) = match ordinal {
            o if o % 100 == 3 => (Some(now - 30 * DAY), RowLastUsed::Equal),
            o if o % 100 == 5 => (Some(now - 30 * DAY + 1), RowLastUsed::Equal),
            o if o % 300 == 37 => (Some(now + DAY), RowLastUsed::Equal),
            o if o % 100 == 13 => (None, RowLastUsed::Equal),
            o if o % 120 == 9 => (Some(active_time(now, rng)), RowLastUsed::Blank),
            o if o % 120 == 11 => (Some(active_time(now, rng)), RowLastUsed::Later),
            _ => {
                let target = draw_last_use(now, rng, &[60, 32, 8]);
                (target, draw_row_mode(target, rng))
            }
        };
        let anchor = target.unwrap_or_else(|| now - rng.range(0, 500 * DAY));
        let data_added = anchor.min(now) - rng.range(0, 5 * DAY);
        let setup = data_added - rng.range(0, 3 * DAY);
        u.data_added = Some(data_added);
        u.setup = Some(setup);
        u.activated = Some(setup - rng.range(0, 2 * DAY));
        let count = 1 + rng.weighted(&[25, 30, 25, 12, 8]);
        self.devices(count, target, mode, rng);
    }

    /// Fills `count` devices (and the user row's Last Used) so that the latest of them all is
    /// exactly `target`.
    fn devices(
        &mut self,
        count: usize,
        target: Option<i64>,
        mode: RowLastUsed,
        rng: &mut SplitMix64,
    ) {
        let setup = self.user.setup.unwrap_or(self.now);
        self.user.last_used = match mode {
            RowLastUsed::Blank => None,
            RowLastUsed::Equal | RowLastUsed::Later => target,
        };
        let carrier = match mode {
            RowLastUsed::Later => None,
            _ => Some(rng.below(count as u64) as usize),
        };
        let mixed_case = self.user.email.bytes().any(|b| b.is_ascii_uppercase());
        let mut used_models = 0u32;
        self.device_count = count;
        for (i, device) in self.devices[..count].iter_mut().enumerate() {
            device.last_used = match target {
                _ if carrier == Some(i) => target,
                None => None,
                Some(_) if rng.per_mille(120) => None,
                Some(t) => {
                    // Strictly earlier when the row must beat every device.
                    let lo = i64::from(mode == RowLastUsed::Later);
                    let hi = (t - setup).clamp(lo, 90 * DAY);
                    Some(t - rng.range(lo, hi))
                }
            };
            device.never_as_word = rng.per_mille(500);
            device.hub = rng.per_mille(650);
            device.version = VERSIONS[rng.weighted(VERSION_WEIGHTS)];

            let model = loop {
                let m = rng.below(DEVICE_MODELS.len() as u64) as u32;
                if used_models & (1 << m) == 0 {
                    used_models |= 1 << m;
                    break DEVICE_MODELS[m as usize];
                }
            };
            device.platform = model.1;
            device.name.clear();
            // "Zoë's My PC" reads wrong, so generic names never get an owner.
            let generic = model.0.starts_with("My ") || model.0.starts_with("DESKTOP-");
            if rng.per_mille(200) && !generic {
                let _ = write!(device.name, "{}'s {}", self.first_name, model.0);
            } else {
                device.name.push_str(model.0);
            }

            // The ingest must join these back case-insensitively.
            device.email.clear();
            match (mixed_case, if i == 0 { 1 } else { rng.below(3) }) {
                (true, 1) => device.email.push_str(&self.user.email.to_ascii_lowercase()),
                (true, 2) => device.email.push_str(&self.user.email.to_ascii_uppercase()),
                _ => device.email.push_str(&self.user.email),
            }
        }
    }
}

fn push_capitalised(out: &mut String, slug: &str) {
    let mut chars = slug.chars();
    if let Some(c) = chars.next() {
        out.push(c.to_ascii_uppercase());
        out.push_str(chars.as_str());
    }
}

/// Strictly inside a 30-day window ending at `now`.
fn active_time(now: i64, rng: &mut SplitMix64) -> i64 {
    now - rng.range(0, 30 * DAY - 1)
}

/// `weights` are for active, inactive (older than 30 days) and never.
fn draw_last_use(now: i64, rng: &mut SplitMix64, weights: &[u64; 3]) -> Option<i64> {
    match rng.weighted(weights) {
        0 => Some(active_time(now, rng)),
        1 => Some(now - rng.range(30 * DAY + 1, 400 * DAY)),
        _ => None,
    }
}

fn draw_row_mode(target: Option<i64>, rng: &mut SplitMix64) -> RowLastUsed {
    // Later needs a use to be later than.
    match (target, rng.weighted(&[85, 8, 7])) {
        (_, 0) | (None, _) => RowLastUsed::Equal,
        (_, 1) => RowLastUsed::Blank,
        // Devices are pushed earlier rather than the row later, so the drawn truth stands.
        _ => RowLastUsed::Later,
    }
}

fn write_user_row(w: &mut impl Write, u: &GenUser) -> io::Result<()> {
    write_field(w, &u.name)?;
    w.write_all(b",")?;
    write_field(w, &u.email)?;
    w.write_all(if u.scim { b",Yes," } else { b",No," })?;
    write_time(w, u.last_used, u.never_as_word)?;
    w.write_all(if u.licensed {
        b",Assigned,"
    } else {
        b",Unassigned,"
    })?;
    w.write_all(u.status_column.as_bytes())?;
    for stage in [u.activated, u.setup, u.data_added] {
        w.write_all(b",")?;
        write_time(w, stage, false)?;
    }
    writeln!(w, ",{}", u.reminders)
}

fn write_device_row(w: &mut impl Write, d: &GenDevice) -> io::Result<()> {
    write_field(w, &d.email)?;
    w.write_all(b",")?;
    write_field(w, &d.name)?;
    w.write_all(b",")?;
    w.write_all(d.platform.as_bytes())?;
    w.write_all(b",")?;
    w.write_all(d.version.as_bytes())?;
    w.write_all(b",")?;
    write_time(w, d.last_used, d.never_as_word)?;
    w.write_all(if d.hub { b",Yes\n" } else { b",No\n" })
}

/// RFC 4180: quote only when needed, doubling embedded quotes.
fn write_field(w: &mut impl Write, s: &str) -> io::Result<()> {
    if !s.bytes().any(|b| matches!(b, b',' | b'"' | b'\n' | b'\r')) {
        return w.write_all(s.as_bytes());
    }
    w.write_all(b"\"")?;
    let mut parts = s.split('"');
    if let Some(first) = parts.next() {
        w.write_all(first.as_bytes())?;
    }
    for part in parts {
        w.write_all(b"\"\"")?;
        w.write_all(part.as_bytes())?;
    }
    w.write_all(b"\"")
}

fn write_time(w: &mut impl Write, t: Option<i64>, never_as_word: bool) -> io::Result<()> {
    match t {
        Some(secs) => {
            let mut buf = [0u8; 20];
            match format_utc(secs, &mut buf) {
                Some(text) => w.write_all(text),
                None => write!(w, "{}", to_datetime(secs).format("%Y-%m-%dT%H:%M:%SZ")),
            }
        }
        None if never_as_word => w.write_all(b"Never"),
        None => Ok(()),
    }
}

/// `YYYY-MM-DDTHH:MM:SSZ` by hand, because chrono's formatter dominates the run time otherwise.
/// `None` outside years 0..=9999, which have no four-digit form.
fn format_utc(secs: i64, buf: &mut [u8; 20]) -> Option<&[u8]> {
    let (days, sod) = (secs.div_euclid(DAY), secs.rem_euclid(DAY));
    let (year, month, day) = civil_from_days(days);
    if !(0..=9999).contains(&year) {
        return None;
    }
    let digits = |buf: &mut [u8], mut v: i64| {
        for b in buf.iter_mut().rev() {
            *b = b'0' + (v % 10) as u8;
            v /= 10;
        }
    };
    digits(&mut buf[0..4], year);
    buf[4] = b'-';
    digits(&mut buf[5..7], month);
    buf[7] = b'-';
    digits(&mut buf[8..10], day);
    buf[10] = b'T';
    digits(&mut buf[11..13], sod / HOUR);
    buf[13] = b':';
    digits(&mut buf[14..16], sod % HOUR / 60);
    buf[16] = b':';
    digits(&mut buf[17..19], sod % 60);
    buf[19] = b'Z';
    Some(&buf[..])
}

/// Howard Hinnant's `civil_from_days`: days since 1970-01-01 to proleptic Gregorian
/// (year, month, day).
fn civil_from_days(days: i64) -> (i64, i64, i64) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

#[cfg(test)]
mod tests {
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
