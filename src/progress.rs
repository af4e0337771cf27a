//! Progress bars on stderr, only for a terminal and never under `--quiet`.

use std::io::IsTerminal;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

/// A byte-counting bar that appears only after a second of work, so quick runs stay quiet.
pub(crate) fn bar(enabled: bool, total: u64, message: &'static str) -> ProgressBar {
    if !enabled || !std::io::stderr().is_terminal() {
        return ProgressBar::hidden();
    }
    let pb = ProgressBar::with_draw_target(Some(total), ProgressDrawTarget::stderr_with_hz(4));
    pb.set_style(
        ProgressStyle::with_template("{msg:>18} [{bar:30}] {bytes}/{total_bytes} ({eta})")
            .expect("static template")
            .progress_chars("=> "),
    );
    pb.set_message(message);
    pb
}

/// A spinner for a step whose length is unknown (filing a snapshot), with the same rules.
pub(crate) fn spinner(
    enabled: bool,
    message: impl Into<std::borrow::Cow<'static, str>>,
) -> ProgressBar {
    if !enabled || !std::io::stderr().is_terminal() {
        return ProgressBar::hidden();
    }
    let pb = ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr_with_hz(4));
    pb.set_style(
        ProgressStyle::with_template("{spinner} {msg} ({elapsed})").expect("static template"),
    );
    pb.set_message(message);
    pb.enable_steady_tick(std::time::Duration::from_millis(250));
    pb
}
