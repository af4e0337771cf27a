//! `rollcall sample`: writes a synthetic organisation for tests, benchmarks and demos.

use anyhow::{Context, Result};

use crate::cli::SampleArgs;
use crate::sample::{write_sample, SampleOptions};

pub(super) fn run(a: SampleArgs) -> Result<()> {
    let as_of = super::parse_instant("--as-of", &a.as_of)?;
    let opts = SampleOptions {
        users: a.users,
        seed: a.seed,
        as_of,
    };
    let started = std::time::Instant::now();
    let (users, devices) = write_sample(&opts, &a.out)
        .with_context(|| format!("writing the sample to {}", a.out.display()))?;
    note!(
        "wrote {} users and {} devices to {} in {:.2} s (seed {}, as of {})",
        crate::util::thousands(users),
        crate::util::thousands(devices),
        a.out.display(),
        started.elapsed().as_secs_f64(),
        a.seed,
        crate::util::iso(&as_of)
    );
    Ok(())
}
