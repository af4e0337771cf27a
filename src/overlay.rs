//! Files embedded in the binary that a user's folder may override by relative path: the one
//! mechanism behind `--queries DIR` (over `queries/`) and `--templates DIR` (over
//! `report-templates/`). A file missing from the folder falls back to the built-in.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result};

use crate::error::Failure;

/// The built-in files of one tree, by path relative to its root.
pub(crate) type Builtin = &'static [(&'static str, &'static str)];

/// Embeds files under `$root/` as a [`Builtin`] table.
macro_rules! embed {
    ($root:literal: $($path:literal),* $(,)?) => {
        &[$(($path, include_str!(concat!(env!("CARGO_MANIFEST_DIR"), "/", $root, "/", $path)))),*]
    };
}
pub(crate) use embed;

/// One tree of files: a user's folder over the built-ins.
#[derive(Debug, Clone)]
pub(crate) struct Overlay {
    /// The flag that named the folder, for messages.
    flag: &'static str,
    dir: Option<PathBuf>,
    builtin: Builtin,
}

impl Overlay {
    /// A folder that does not exist is a usage error naming the flag (exit 2).
    pub(crate) fn new(flag: &'static str, dir: Option<PathBuf>, builtin: Builtin) -> Result<Self> {
        if let Some(d) = &dir {
            if !d.is_dir() {
                return Err(Failure::Usage(format!("{flag} {}: not a folder", d.display())).into());
            }
        }
        Ok(Overlay { flag, dir, builtin })
    }

    pub(crate) fn dir(&self) -> Option<&Path> {
        self.dir.as_deref()
    }

    /// The file at `path`: the user's copy if there is one, else the built-in, else `None`.
    pub(crate) fn find(&self, path: &str) -> Result<Option<String>> {
        if let Some(dir) = &self.dir {
            let p = dir.join(path);
            if p.is_file() {
                return std::fs::read_to_string(&p)
                    .map(Some)
                    .with_context(|| format!("{} {}", self.flag, p.display()));
            }
        }
        Ok(self.builtin(path).map(str::to_string))
    }

    /// As [`find`](Self::find), for a file that must exist.
    pub(crate) fn get(&self, path: &str) -> Result<String> {
        self.find(path)?
            .with_context(|| format!("no built-in file {path}"))
    }

    pub(crate) fn builtin(&self, path: &str) -> Option<&'static str> {
        self.builtin
            .iter()
            .find(|(p, _)| *p == path)
            .map(|(_, text)| *text)
    }

    /// The built-in files under `folder/`, as (path, text).
    pub(crate) fn builtins_in<'a>(
        &'a self,
        folder: &'a str,
    ) -> impl Iterator<Item = (&'static str, &'static str)> + 'a {
        self.builtin
            .iter()
            .copied()
            .filter(move |(p, _)| p.strip_prefix(folder).is_some_and(|r| r.starts_with('/')))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const FILES: Builtin = &[("a.txt", "built-in a"), ("sub/b.txt", "built-in b")];

    #[test]
    fn the_folder_overrides_and_missing_files_fall_back() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("a.txt"), "mine").unwrap();
        let o = Overlay::new("--x", Some(dir.path().to_path_buf()), FILES).unwrap();
        assert_eq!(o.get("a.txt").unwrap(), "mine");
        assert_eq!(o.get("sub/b.txt").unwrap(), "built-in b");
        assert_eq!(o.find("c.txt").unwrap(), None);
        let in_sub: Vec<_> = o.builtins_in("sub").map(|(p, _)| p).collect();
        assert_eq!(in_sub, ["sub/b.txt"]);
    }

    #[test]
    fn a_missing_folder_is_a_usage_error_naming_the_flag() {
        let err = Overlay::new("--templates", Some("/no/such/dir".into()), FILES).unwrap_err();
        assert_eq!(err.to_string(), "--templates /no/such/dir: not a folder");
        assert_eq!(crate::error::exit_code(&err), crate::error::EXIT_BAD_INPUT);
    }
}
