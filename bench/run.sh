#!/usr/bin/env bash
# Builds rollcall (release, the profile everything else uses, so DuckDB is not recompiled),
# prepares a venv with the reference DuckDB, and runs bench/bench.py with every argument passed
# through, e.g.:  bench/run.sh --users 1000000      bench/run.sh --users 20000 --runs 1 --only ingest
set -euo pipefail
cd "$(dirname "$0")/.."

export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/rollcall-target}"
export BENCH_DIR="${BENCH_DIR:-$HOME/.cache/rollcall-bench}"
VENV="$HOME/.cache/rollcall-bench-venv"
DUCKDB_PY="2.0.1" # the Python package matching the DuckDB v2.0.0 that the binary embeds

# ROLLCALL_BIN=path: benchmark that binary as it is, without building (e.g. a copy taken while
# other builds share the target folder).
BIN="${ROLLCALL_BIN:-$CARGO_TARGET_DIR/release/rollcall}"
if [ -z "${ROLLCALL_BIN:-}" ]; then
  echo "building: cargo build --release (CARGO_TARGET_DIR=$CARGO_TARGET_DIR)" >&2
  cargo build --release
else
  echo "not building: ROLLCALL_BIN=$ROLLCALL_BIN" >&2
fi

if ! "$VENV/bin/python" -c "import duckdb, sys; sys.exit(duckdb.__version__ != '$DUCKDB_PY')" 2>/dev/null; then
  echo "preparing $VENV with duckdb==$DUCKDB_PY" >&2
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install --quiet --disable-pip-version-check "duckdb==$DUCKDB_PY"
fi

mkdir -p "$BENCH_DIR"
exec "$VENV/bin/python" bench/bench.py --binary "$BIN" --bench-dir "$BENCH_DIR" "$@"
