//! The generator: users laid out in stratified blocks, each drawn from its own random stream,
//! with the edge cases pinned to fixed places. [`for_each_user`] is the one walk behind both
//! the written files and the truth.

use std::fmt::Write as _;

use super::names::{DEVICE_MODELS, FIRST_NAMES, LAST_NAMES, VERSIONS, VERSION_WEIGHTS};
use super::SampleOptions;

pub(super) const DAY: i64 = 86_400;
pub(super) const HOUR: i64 = 3_600;
/// Users per stratification block; each block holds exactly the per-kind counts below.
pub(super) const BLOCK: u64 = 50;
pub(super) const NO_LICENSE_PER_BLOCK: u64 = 6;
pub(super) const PENDING_PER_BLOCK: u64 = 14;
pub(super) const USING_PER_BLOCK: u64 = BLOCK - NO_LICENSE_PER_BLOCK - PENDING_PER_BLOCK;
pub(super) const MAX_DEVICES: usize = 5;

// Independent random streams, so adding draws to one never shifts another.
pub(super) const STREAM_BLOCK: u64 = 0x426C_6F63_6B00_0001;
pub(super) const STREAM_USER: u64 = 0x5573_6572_0000_0002;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Kind {
    NoLicense,
    Pending,
    Using,
}

impl Kind {
    pub(super) fn per_block(self) -> u64 {
        match self {
            Kind::NoLicense => NO_LICENSE_PER_BLOCK,
            Kind::Pending => PENDING_PER_BLOCK,
            Kind::Using => USING_PER_BLOCK,
        }
    }
}

/// SplitMix64 (Steele, Lea & Flood 2014): tiny, fast and good enough for synthetic data, and
/// implemented here so output never changes with a dependency's version.
pub(super) struct SplitMix64(pub(super) u64);

pub(super) fn mix64(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

impl SplitMix64 {
    pub(super) fn stream(seed: u64, domain: u64, index: u64) -> Self {
        let key = mix64(domain ^ index.wrapping_mul(0x9E37_79B9_7F4A_7C15));
        SplitMix64(mix64(seed ^ key))
    }

    pub(super) fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        mix64(self.0)
    }

    /// Uniform in `0..n` (multiply-shift; the bias is below 2^-40 for the small `n` used here).
    pub(super) fn below(&mut self, n: u64) -> u64 {
        ((u128::from(self.next_u64()) * u128::from(n)) >> 64) as u64
    }

    pub(super) fn per_mille(&mut self, p: u64) -> bool {
        self.below(1000) < p
    }

    /// Uniform in `lo..=hi`.
    pub(super) fn range(&mut self, lo: i64, hi: i64) -> i64 {
        debug_assert!(lo <= hi);
        lo + self.below((hi - lo) as u64 + 1) as i64
    }

    pub(super) fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len() as u64) as usize]
    }

    pub(super) fn weighted(&mut self, weights: &[u64]) -> usize {
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

pub(super) struct BlockLayout {
    pub(super) kinds: [Kind; BLOCK as usize],
    /// Position of each user among the users of the same kind in this block.
    pub(super) ranks: [u8; BLOCK as usize],
}

pub(super) fn block_layout(seed: u64, block: u64) -> BlockLayout {
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

pub(super) const STATUS_NO_LICENSE: &str = "No License";
pub(super) const STATUS_PENDING: &str = "Pending User Action";
pub(super) const STATUS_USING: &str = "Using Enpass";

/// How the user row's own Last Used relates to the true last use.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum RowLastUsed {
    /// Equal to the latest device use.
    Equal,
    /// Never, although some device has a date.
    Blank,
    /// Later than every device.
    Later,
}

pub(super) struct GenUser {
    pub(super) name: String,
    pub(super) email: String,
    pub(super) scim: bool,
    pub(super) licensed: bool,
    pub(super) activated: Option<i64>,
    pub(super) setup: Option<i64>,
    pub(super) data_added: Option<i64>,
    /// What the Status column says, which is not always the truth.
    pub(super) status_column: &'static str,
    /// The user row's own Last Used, in Unix seconds.
    pub(super) last_used: Option<i64>,
    /// Whether "never" is written as `Never` rather than left blank.
    pub(super) never_as_word: bool,
    pub(super) reminders: u32,
}

impl GenUser {
    pub(super) fn status(&self) -> &'static str {
        if !self.licensed {
            "no-license"
        } else if self.activated.is_some() && self.setup.is_some() && self.data_added.is_some() {
            "using"
        } else {
            "pending"
        }
    }
}

pub(super) struct GenDevice {
    pub(super) email: String,
    pub(super) name: String,
    pub(super) platform: &'static str,
    pub(super) version: &'static str,
    pub(super) last_used: Option<i64>,
    pub(super) never_as_word: bool,
    pub(super) hub: bool,
}

/// The one generator behind both [`write_sample`] and [`truth`]. Buffers are reused between
/// users so the stream allocates almost nothing per user.
pub(super) fn for_each_user<E>(
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

pub(super) struct Generator {
    pub(super) now: i64,
    pub(super) user: GenUser,
    pub(super) first_name: &'static str,
    pub(super) devices: Vec<GenDevice>,
    pub(super) device_count: usize,
}

impl Generator {
    /// `rank` is the user's position among its kind in its block, `ordinal` among its kind in
    /// the whole organisation; both pin edge cases to places every organisation contains.
    pub(super) fn generate(
        &mut self,
        index: u64,
        kind: Kind,
        rank: u64,
        ordinal: u64,
        rng: &mut SplitMix64,
    ) {
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

    pub(super) fn identity(&mut self, index: u64, mixed_case: bool, rng: &mut SplitMix64) {
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

    pub(super) fn pending(&mut self, rank: u64, ordinal: u64, rng: &mut SplitMix64) {
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

    pub(super) fn using(&mut self, ordinal: u64, rng: &mut SplitMix64) {
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
    pub(super) fn devices(
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

pub(super) fn push_capitalised(out: &mut String, slug: &str) {
    let mut chars = slug.chars();
    if let Some(c) = chars.next() {
        out.push(c.to_ascii_uppercase());
        out.push_str(chars.as_str());
    }
}

/// Strictly inside a 30-day window ending at `now`.
pub(super) fn active_time(now: i64, rng: &mut SplitMix64) -> i64 {
    now - rng.range(0, 30 * DAY - 1)
}

/// `weights` are for active, inactive (older than 30 days) and never.
pub(super) fn draw_last_use(now: i64, rng: &mut SplitMix64, weights: &[u64; 3]) -> Option<i64> {
    match rng.weighted(weights) {
        0 => Some(active_time(now, rng)),
        1 => Some(now - rng.range(30 * DAY + 1, 400 * DAY)),
        _ => None,
    }
}

pub(super) fn draw_row_mode(target: Option<i64>, rng: &mut SplitMix64) -> RowLastUsed {
    // Later needs a use to be later than.
    match (target, rng.weighted(&[85, 8, 7])) {
        (_, 0) | (None, _) => RowLastUsed::Equal,
        (_, 1) => RowLastUsed::Blank,
        // Devices are pushed earlier rather than the row later, so the drawn truth stands.
        _ => RowLastUsed::Later,
    }
}
