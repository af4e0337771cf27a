//! Build script of the rollcall crate (not of DuckDB): records the git commit the binary is built
//! from, for `rollcall --version`, as `ROLLCALL_GIT` (`324c5a0`, `324c5a0-dirty`, or `unknown`
//! outside a git checkout or without git, as in a crate tarball).
//!
//! It runs only when the checked-out commit or the sources change (the `rerun-if-changed` lines
//! below), and it is a unit of its own: libduckdb-sys's build and fingerprint never see it.

use std::path::{Path, PathBuf};
use std::process::Command;

fn main() {
    let root = PathBuf::from(std::env::var_os("CARGO_MANIFEST_DIR").expect("set by cargo"));
    // Sources: a change to any of them may make the tree dirty (or clean again).
    for watched in [
        "build.rs",
        "Cargo.toml",
        "src",
        "queries",
        "report-templates",
    ] {
        println!("cargo:rerun-if-changed={watched}");
    }
    let commit = describe(&root).unwrap_or_else(|| "unknown".to_string());
    println!("cargo:rustc-env=ROLLCALL_GIT={commit}");
}

/// `git rev-parse --short HEAD`, with `-dirty` when tracked files differ from it; `None` when
/// this is not a git checkout or git is missing.
fn describe(root: &Path) -> Option<String> {
    let commit = git(root, &["rev-parse", "--short", "HEAD"])?;
    watch_head(root);
    // Tracked files only: an untracked scratch file is not part of the build.
    let dirty = git(root, &["status", "--porcelain", "--untracked-files=no"])
        .is_some_and(|s| !s.is_empty());
    Some(if dirty {
        format!("{commit}-dirty")
    } else {
        commit
    })
}

/// Reruns this script when HEAD moves: HEAD itself (a checkout), the branch's ref (a commit),
/// and packed-refs (a `git gc`). Not the index: git rewrites it on a mere `git status`, which
/// would rebuild rollcall for nothing, and a tracked file that changes dirtiness changes under
/// the watched source folders anyway. The git directory is asked of git, since in a worktree
/// `.git` is a file pointing elsewhere.
fn watch_head(root: &Path) {
    let path = |args: &[&str]| git(root, args).map(|p| root.join(p));
    // Only files that exist: Cargo takes a missing one as changed, and would rerun every build.
    let watch = |file: PathBuf| {
        if file.exists() {
            println!("cargo:rerun-if-changed={}", file.display());
        }
    };
    if let Some(git_dir) = path(&["rev-parse", "--git-dir"]) {
        watch(git_dir.join("HEAD"));
    }
    if let Some(common) = path(&["rev-parse", "--git-common-dir"]) {
        watch(common.join("packed-refs"));
        if let Some(branch) = git(root, &["symbolic-ref", "-q", "HEAD"]) {
            watch(common.join(branch));
        }
    }
}

/// One git command's trimmed output, or `None` if it could not run or failed.
fn git(root: &Path, args: &[&str]) -> Option<String> {
    let out = Command::new("git")
        .arg("-C")
        .arg(root)
        .args(args)
        .output()
        .ok()?;
    if !out.status.success() {
        return None;
    }
    Some(String::from_utf8(out.stdout).ok()?.trim().to_string())
}
