//! The one integration test crate: every module drives the real `rollcall` binary (and, for the
//! report and the server, a real headless Chromium) through the helpers in `tests/common/`. One
//! crate, so DuckDB is linked into one test binary instead of one per file.
//!
//! Tests that need Chromium, DuckDB 1.4's Python package (`ROLLCALL_DUCKDB14_PYTHON`) or the
//! `minisign` tool are `#[ignore]`d with the reason; `.ci/run` provides them and runs them with
//! `cargo test --release -- --ignored`, and they fail (never skip) when one is missing.

#[path = "../common/mod.rs"]
mod common;

mod check;
mod collation;
mod config;
mod contract;
mod evolve;
mod export_db;
mod handover;
mod history;
mod ingest;
mod licenses;
mod parquet;
mod pseudonymize;
mod query;
mod read;
mod remind;
mod render;
mod report;
mod schema;
mod serve;
mod sign;
mod tooling;
