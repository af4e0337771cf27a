//! `rollcall verify`: checks a report folder, an export or a manifest against its manifest and,
//! with `--pubkey`, its signature (see [`crate::sign::verify`]). One line per check on standard
//! output; anything changed is an error naming each (exit 1), bad input a usage error (exit 2).

use anyhow::Result;

use crate::cli::VerifyArgs;
use crate::sign;

pub(super) fn run(a: VerifyArgs) -> Result<()> {
    let v = sign::verify(&a.path, a.pubkey.as_deref())?;
    let width = v
        .lines
        .iter()
        .map(|(s, _)| s.label().len())
        .max()
        .unwrap_or(0);
    let mut text = String::new();
    for (status, line) in &v.lines {
        text.push_str(&format!("{:<width$}  {line}\n", status.label()));
    }
    super::emit(None, &text)?;
    if !v.problems.is_empty() {
        anyhow::bail!("verify {}: {}", v.manifest.display(), v.problems.join(", "));
    }
    Ok(())
}
