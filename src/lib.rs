//! rollcall: offline onboarding reports for password-manager rollouts.
//! The library is the whole tool; `main.rs` only parses arguments and maps errors to exit codes.

pub mod cli;
pub mod cmd;
pub mod contract;
pub mod domain;
pub mod error;
pub mod export;
pub mod ingest;
pub mod input;
pub mod listing;
pub mod output;
pub mod progress;
pub mod queries;
pub mod report;
pub mod sample;
pub mod server;
pub mod store;
pub mod util;

/// The tool version recorded in snapshots and manifests.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");
