//! `rollcall verify`: checks a report folder, an export or a manifest against its manifest and,
//! with `--pubkey`, its signature (see [`crate::sign::verify`]). One line per check on standard
//! output; anything changed is an error naming each (exit 1), bad input a usage error (exit 2).

use anyhow::Result;

use super::Ctx;
use crate::cli::VerifyArgs;
use crate::sign::{self, Status};
use crate::style::Tone;

pub(super) fn run(ctx: &Ctx, a: VerifyArgs) -> Result<()> {
    let v = sign::verify(&a.path, a.pubkey.as_deref())?;
    let width = v
        .lines
        .iter()
        .map(|(s, _)| s.label().len())
        .max()
        .unwrap_or(0);
    let paint = ctx.paint(None);
    let mut text = String::new();
    for (status, line) in &v.lines {
        // Padded before painting: the escape codes take no columns.
        let label = format!("{:<width$}", status.label());
        let tone = match status {
            Status::Ok => Tone::Good,
            Status::Note => Tone::Warn,
            _ => Tone::Bad,
        };
        text.push_str(&format!("{}  {line}\n", paint.paint(tone, &label)));
    }
    super::emit(None, &text)?;
    if !v.problems.is_empty() {
        anyhow::bail!("verify {}: {}", v.manifest.display(), v.problems.join(", "));
    }
    Ok(())
}
