//! rollcall: offline onboarding reports for password-manager rollouts.
//!
//! Data flows one way: export files → `ingest` (with `ingest::contract`) → `store` (snapshot
//! tables in DuckDB) → `read` (session views, filter SQL from `queries/`) → plain rows →
//! `export`, `report` or `server`. `cli` and `cmd` sit on top and are the only modules that
//! know about the command line. Everything is private to the crate except what `main.rs` needs
//! and the sample generator, whose truth the tests compare against.

#![warn(unreachable_pub)]

mod bounds;
mod chart;
mod check;
mod cli;
mod cmd;
mod config;
mod domain;
mod email;
mod error;
mod export;
mod ingest;
mod licenses;
mod model;
mod output;
mod overlay;
mod pack;
mod progress;
mod pseudo;
mod read;
mod remind;
mod report;
pub mod sample;
mod server;
mod sign;
mod sql;
mod store;
mod style;
mod util;

pub use cli::Cli;
pub use cmd::run;
pub use config::parse_args;
pub use error::exit_code;
pub use util::stderr_line;

/// The tool version recorded in snapshots and manifests.
const VERSION: &str = env!("CARGO_PKG_VERSION");

/// What `rollcall --version` (and `-V`) prints after the name: the tool version, the commit it
/// was built from (`build.rs`; `-dirty` for uncommitted changes, `unknown` outside git) and the
/// embedded DuckDB's own version, e.g. `0.1.0 (git 324c5a0, DuckDB v2.0.0)`. Built once; clap
/// wants a `'static` string.
fn version_text() -> &'static str {
    static TEXT: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    TEXT.get_or_init(|| {
        format!(
            "{VERSION} (git {}, DuckDB {})",
            env!("ROLLCALL_GIT"),
            store::duckdb_version()
        )
    })
}
