//! `rollcall sample`: writes a synthetic organisation for tests, benchmarks and demos, or
//! (`--evolve-from`) a later snapshot of one with the truth of what changed.

use std::path::PathBuf;

use anyhow::{Context, Result};

use crate::cli::SampleArgs;
use crate::error::Failure;
use crate::sample::{evolve, write_sample, EvolveOptions, SampleOptions, DEFAULT_AS_OF};

pub(super) fn run(a: SampleArgs) -> Result<()> {
    let as_of = a
        .as_of
        .as_deref()
        .map(|text| super::parse_instant("--as-of", text))
        .transpose()?;
    if let Some(from) = a.evolve_from {
        return run_evolve(from, a.days.unwrap_or(0), a.seed, a.out, as_of);
    }
    // clap does not refuse `--users N --days D` for all the `requires` on --days, so this does.
    if let Some(days) = a.days {
        return Err(Failure::Usage(format!(
            "--days {days}: only with --evolve-from DIR (a later snapshot of DIR)"
        ))
        .into());
    }
    let as_of = match as_of {
        Some(t) => t,
        None => super::parse_instant("--as-of", DEFAULT_AS_OF)?,
    };
    let out = a.out.unwrap_or_else(|| PathBuf::from("sample"));
    let opts = SampleOptions {
        // clap requires --users without --evolve-from.
        users: a.users.unwrap_or(0),
        seed: a.seed,
        as_of,
    };
    let started = std::time::Instant::now();
    let (users, devices) = write_sample(&opts, &out)
        .with_context(|| format!("writing the sample to {}", out.display()))?;
    note!(
        "wrote {} users and {} devices to {} in {:.2} s (seed {}, as of {})",
        crate::util::thousands(users),
        crate::util::thousands(devices),
        out.display(),
        started.elapsed().as_secs_f64(),
        a.seed,
        crate::util::iso(&as_of)
    );
    Ok(())
}

fn run_evolve(
    from: PathBuf,
    days: i64,
    seed: u64,
    out: Option<PathBuf>,
    as_of: Option<chrono::DateTime<chrono::Utc>>,
) -> Result<()> {
    let done = evolve(&EvolveOptions {
        from,
        out,
        days,
        seed,
        as_of,
    })?;
    note!(
        "wrote {} users and {} devices to {} as of {} ({} after {}, seed {}); {} users changed, see {}",
        crate::util::thousands(done.users),
        crate::util::thousands(done.devices),
        done.out.display(),
        crate::util::iso(&done.to_as_of),
        plural_days(days),
        crate::util::iso(&done.from_as_of),
        seed,
        crate::util::thousands(done.changed),
        done.out.join("truth.json").display()
    );
    Ok(())
}

fn plural_days(days: i64) -> String {
    if days == 1 {
        "1 day".into()
    } else {
        format!("{days} days")
    }
}
