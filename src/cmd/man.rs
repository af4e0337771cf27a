//! `rollcall man [--out DIR]`: roff man pages from the clap definition (clap_mangen), one per
//! command and subcommand, named as man expects them (`rollcall.1`, `rollcall-ingest.1`,
//! `rollcall-remind-send.1`, …), each with the command's options and its worked example.

use std::path::Path;

use anyhow::{Context, Result};
use clap::CommandFactory;

use crate::cli::{Cli, ManArgs};

pub(super) fn run(a: ManArgs) -> Result<()> {
    // clap's `help` subcommand is a way of asking, not a command: no page of its own.
    let mut root = Cli::command().disable_help_subcommand(true);
    // Built once from the root, so every subcommand knows its full name (rollcall-remind-send).
    root.build();
    let Some(dir) = a.out else {
        return super::emit(None, &render(&root)?);
    };
    std::fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
    let mut written = 0;
    write_pages(&root, &dir, &mut written)?;
    note!("rollcall: wrote {written} man pages to {}", dir.display());
    Ok(())
}

/// Writes `cmd`'s page and its subcommands' into `dir`, counting them.
fn write_pages(cmd: &clap::Command, dir: &Path, written: &mut usize) -> Result<()> {
    let man = clap_mangen::Man::new(cmd.clone());
    let path = dir.join(man.get_filename());
    std::fs::write(&path, render(cmd)?).with_context(|| format!("writing {}", path.display()))?;
    *written += 1;
    for sub in cmd.get_subcommands().filter(|s| !s.is_hide_set()) {
        write_pages(sub, dir, written)?;
    }
    Ok(())
}

/// One page. Every page's footer names the tool and version (clap_mangen would give a
/// subcommand's bare name), and the worked example from `--help` gets the conventional EXAMPLE
/// heading instead of clap_mangen's generic EXTRA.
fn render(cmd: &clap::Command) -> Result<String> {
    let mut page = Vec::new();
    clap_mangen::Man::new(cmd.clone())
        .source(format!("rollcall {}", crate::VERSION))
        .render(&mut page)
        .context("rendering a man page")?;
    let page = String::from_utf8_lossy(&page).replace("\n.SH EXTRA\nExample:\n", "\n.SH EXAMPLE\n");
    Ok(ascii(&page))
}

/// The page in ASCII, anything else as a `\[u2026]`-style escape (the help text has `…` and `–`):
/// man-db passes UTF-8 through preconv, but a plain `groff -man` or another troff does not.
fn ascii(page: &str) -> String {
    let mut out = String::with_capacity(page.len());
    for c in page.chars() {
        if c.is_ascii() {
            out.push(c);
        } else {
            out.push_str(&format!("\\[u{:04X}]", c as u32));
        }
    }
    out
}
