//! The one integration test crate: every module drives the real `rollcall` binary (and, for the
//! report and the server, a real headless Chromium) through the helpers in `tests/common/`. One
//! crate, so DuckDB is linked into one test binary instead of one per file.
//!
//! Tests that need Chromium are `#[ignore]`d with the reason; `.ci/run` runs them with
//! `cargo test --release -- --ignored`, and they fail (never skip) when Chromium is missing.

#[path = "../common/mod.rs"]
mod common;

mod contract;
mod ingest;
mod parquet;
mod query;
mod read;
mod render;
mod report;
mod schema;
mod serve;
