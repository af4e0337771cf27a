//! Issue 9, "Analysts' outputs": the CSV formula guard applies to text cells only (numbers,
//! booleans and timestamps are never guarded) in every CSV rollcall prints, and `query --raw`
//! turns it off; `query` is bounded in time (`--timeout`) and memory (`--memory-limit`) and
//! streams its rows. Expected values are worked out by hand from the tiny files below.

use std::io::{BufRead, BufReader, Read};
use std::process::Stdio;
use std::time::{Duration, Instant};

use crate::common::process::{spawn, Running};
use crate::common::{sha256_hex, Env, WAIT};

const AS_OF: &str = "2026-11-26T12:00:00Z";

/// Two users whose names look like formulas, and one rejected row whose raw text does.
const USERS: &str = "Name,Email,License,Last Used,Reminders Sent\n\
    \"=1+1\",a@example.com,Assigned,2026-11-20T09:00:00Z,3\n\
    -5,b@example.com,Assigned,,0\n\
    -oops,not-an-email,Assigned,,1\n";

fn formula_org() -> Env {
    let env = Env::new();
    let users = env.write("users.csv", USERS);
    env.ok(&[
        "ingest",
        "--users",
        users.to_str().unwrap(),
        "--as-of",
        AS_OF,
        "--label",
        "=SUM(A1)",
    ]);
    env
}

#[test]
fn query_csv_guards_text_cells_and_never_numbers() {
    let env = formula_org();
    let sql = "SELECT -5 AS n, -2.5::DOUBLE AS f, -1.5::DECIMAL(4,1) AS d, false AS b, \
               '-5' AS t, name, reminders_sent - 4 AS r, last_used FROM users ORDER BY line";
    assert_eq!(
        env.ok(&["query", sql, "--format", "csv"]),
        "n,f,d,b,t,name,r,last_used\n\
         -5,-2.5,-1.5,no,'-5,'=1+1,-1,2026-11-20T09:00:00Z\n\
         -5,-2.5,-1.5,no,'-5,'-5,-4,\n"
    );
    assert_eq!(
        env.ok(&["query", sql, "--format", "csv", "--raw"]),
        "n,f,d,b,t,name,r,last_used\n\
         -5,-2.5,-1.5,no,-5,=1+1,-1,2026-11-20T09:00:00Z\n\
         -5,-2.5,-1.5,no,-5,-5,-4,\n"
    );
    // A header is text: an alias that looks like a formula is guarded too.
    assert_eq!(
        env.ok(&["query", "SELECT 1 AS \"=x\"", "--format", "csv"]),
        "'=x\n1\n"
    );
    // JSON is untouched by the guard either way.
    let v = env.json(&[
        "query",
        "SELECT -5 AS n, name FROM users ORDER BY line",
        "--format",
        "json",
    ]);
    assert_eq!(
        v,
        serde_json::json!([{"n": -5, "name": "=1+1"}, {"n": -5, "name": "-5"}])
    );
}

#[test]
fn users_snapshots_and_rejects_csv_guard_text_only() {
    let env = formula_org();
    assert_eq!(
        env.ok(&[
            "users",
            "--format",
            "csv",
            "--columns",
            "name,reminders_sent,last_used",
            "--sort",
            "reminders_sent",
        ]),
        "name,reminders_sent,last_used\n'-5,0,\n'=1+1,3,2026-11-20T09:00:00Z\n"
    );
    let snapshots = env.ok(&["snapshots", "--format", "csv"]);
    let row: Vec<&str> = snapshots.lines().nth(1).unwrap().split(',').collect();
    assert_eq!(row[..3], ["1", "'=SUM(A1)", "2026-11-26T12:00:00Z"]);
    assert_eq!(row[4..], ["2", "0", "1"]);
    assert_eq!(
        env.ok(&["rejects", "--format", "csv"]),
        "file,line,column,reason,detail,raw\n\
         users.csv,4,Email,bad-email,malformed email 'not-an-email': no '@',\"'-oops,not-an-email,Assigned,,1\"\n"
    );
}

// ---------------------------------------------------------------- bounded, streamed queries

/// A billion rows: far more than any machine holds as printed cells.
const BILLION: &str = "SELECT range FROM range(1000000000)";

/// A tiny database the bounded queries run against (they read no table).
fn small() -> Env {
    let env = Env::new();
    env.ingest(
        "Name,Email,License\nAnn,ann@example.com,Assigned\n",
        None,
        AS_OF,
    );
    env
}

/// The peak resident memory of a running process so far (VmHWM), in KiB.
fn peak_rss_kib(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

/// Waits for a child, at most `limit`, keeping the last peak-memory reading taken while it ran.
fn wait_measuring(child: &mut Running, limit: Duration) -> (std::process::ExitStatus, u64) {
    let deadline = Instant::now() + limit;
    let mut peak = 0;
    loop {
        if let Some(kib) = peak_rss_kib(child.id()) {
            peak = peak.max(kib);
        }
        if let Some(status) = child.try_wait().unwrap() {
            return (status, peak);
        }
        assert!(
            Instant::now() < deadline,
            "rollcall still running after {limit:?}"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn stderr_of(child: &mut Running) -> String {
    let mut text = String::new();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut text)
        .unwrap();
    text
}

#[test]
fn a_billion_rows_stream_to_head_and_a_closed_pipe_is_not_an_error() {
    let env = small();
    for (format, first) in [("csv", "range"), ("json", "[")] {
        let mut cmd = env.std_cmd();
        cmd.args(["query", BILLION, "--format", format])
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let started = Instant::now();
        let mut child = spawn("rollcall query", &mut cmd);
        let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
        let head: Vec<String> = lines.by_ref().take(5).map(Result::unwrap).collect();
        let first_lines = started.elapsed();
        assert_eq!(head[0], first, "{head:?}");
        if format == "csv" {
            assert_eq!(head, ["range", "0", "1", "2", "3"]);
        }
        // Held in memory, a billion rows take minutes and gigabytes before the first line.
        assert!(
            first_lines < WAIT,
            "{format}: first lines after {first_lines:?}"
        );
        drop(lines); // `head` exits: the pipe closes
        let (status, _) = wait_measuring(&mut child, WAIT);
        assert_eq!(
            status.code(),
            Some(0),
            "{format}: {}",
            stderr_of(&mut child)
        );
        assert_eq!(stderr_of(&mut child), "", "{format}");
    }
}

#[test]
fn a_billion_rows_to_dev_null_stay_in_bounded_memory_until_the_timeout() {
    let env = small();
    let mut cmd = env.std_cmd();
    cmd.args(["query", BILLION, "--format", "csv", "--timeout", "3s"])
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    let started = Instant::now();
    let mut child = spawn("rollcall query", &mut cmd);
    let (status, peak_kib) = wait_measuring(&mut child, Duration::from_secs(3) + WAIT);
    let took = started.elapsed();
    assert_eq!(status.code(), Some(2));
    assert_eq!(
        stderr_of(&mut child),
        "rollcall: query: stopped after 3 s (--timeout 3s); the database was not changed\n"
    );
    assert!(took >= Duration::from_secs(3), "{took:?}");
    // Tens of millions of rows went through; the process stays near its resting size
    // (about 60 MB measured), where holding them took gigabytes.
    assert!(
        peak_kib > 0 && peak_kib < 300 * 1024,
        "peak RSS {peak_kib} KiB"
    );
}

#[test]
fn a_cross_join_is_stopped_by_the_timeout_and_the_database_is_unchanged() {
    let env = small();
    let before = std::fs::read(env.db()).unwrap();
    let started = Instant::now();
    let err = env.fails(
        &[
            "query",
            "SELECT count(*) FROM range(1000000) a, range(1000000) b WHERE a.range + b.range = 7",
            "--timeout",
            "1500ms",
        ],
        2,
    );
    assert_eq!(
        err,
        "rollcall: query: stopped after 1.5 s (--timeout 1500ms); the database was not changed\n"
    );
    assert!(started.elapsed() < WAIT, "{:?}", started.elapsed());
    assert_eq!(
        sha256_hex(&std::fs::read(env.db()).unwrap()),
        sha256_hex(&before)
    );
    // A saved or filed query is named as its origin.
    let slow = env.write(
        "slow.sql",
        "SELECT count(*) FROM range(1000000) a, range(1000000) b WHERE a.range + b.range = 7;\n",
    );
    let err = env.fails(
        &["query", "--file", slow.to_str().unwrap(), "--timeout", "1s"],
        2,
    );
    assert_eq!(
        err,
        format!(
            "rollcall: {}: stopped after 1 s (--timeout 1s); the database was not changed\n",
            slow.display()
        )
    );
}

#[test]
fn time_spent_waiting_for_a_slow_reader_does_not_count() {
    let env = small();
    let mut cmd = env.std_cmd();
    // About 7 MB of CSV: the pipe fills at once and rollcall waits on the reader.
    cmd.args([
        "query",
        "SELECT range FROM range(1000000)",
        "--format",
        "csv",
        "--timeout",
        "1s",
    ])
    .stdout(Stdio::piped())
    .stderr(Stdio::piped());
    let mut child = spawn("rollcall query", &mut cmd);
    std::thread::sleep(Duration::from_millis(2500));
    let mut out = String::new();
    child
        .stdout
        .take()
        .unwrap()
        .read_to_string(&mut out)
        .unwrap();
    let (status, _) = wait_measuring(&mut child, WAIT);
    assert_eq!(status.code(), Some(0), "{}", stderr_of(&mut child));
    assert_eq!(out.lines().count(), 1_000_001);
    assert_eq!(out.lines().last(), Some("999999"));
}

/// DuckDB's rendering of a memory setting: binary units, one decimal, truncated.
fn duckdb_size(bytes: u64) -> String {
    let units = ["bytes", "KiB", "MiB", "GiB", "TiB"];
    let mut unit = 0;
    while unit + 1 < units.len() && bytes >= 1u64 << (10 * (unit + 1)) {
        unit += 1;
    }
    if unit == 0 {
        return format!("{bytes} bytes");
    }
    let tenths = bytes * 10 / (1u64 << (10 * unit));
    format!("{}.{} {}", tenths / 10, tenths % 10, units[unit])
}

#[test]
fn the_memory_limit_is_set_locked_and_an_allocation_failure_is_one_line() {
    let env = small();
    let setting = |extra: &[&str]| -> String {
        let mut args = vec![
            "query",
            "SELECT current_setting('memory_limit') AS m",
            "--format",
            "csv",
        ];
        args.extend_from_slice(extra);
        env.ok(&args).lines().nth(1).unwrap().to_string()
    };
    assert_eq!(duckdb_size(512 << 20), "512.0 MiB");
    assert_eq!(setting(&["--memory-limit", "512MiB"]), "512.0 MiB");
    assert_eq!(setting(&["--memory-limit", "1.5GiB"]), duckdb_size(3 << 29));
    assert_eq!(setting(&["--memory-limit", "2GB"]), "1.8 GiB");
    // The default: half of the machine's memory (or of its control group's limit).
    let meminfo = std::fs::read_to_string("/proc/meminfo").unwrap();
    let total_kib: u64 = meminfo
        .lines()
        .find(|l| l.starts_with("MemTotal:"))
        .and_then(|l| l.split_whitespace().nth(1))
        .unwrap()
        .parse()
        .unwrap();
    let mut machine = total_kib * 1024;
    for cgroup in [
        "/sys/fs/cgroup/memory.max",
        "/sys/fs/cgroup/memory/memory.limit_in_bytes",
    ] {
        if let Some(limit) = std::fs::read_to_string(cgroup)
            .ok()
            .and_then(|t| t.trim().parse::<u64>().ok())
        {
            machine = machine.min(limit);
            break;
        }
    }
    assert_eq!(setting(&[]), duckdb_size(machine / 2));

    // The query cannot lift the bound.
    let err = env.fails(&["query", "SET memory_limit = '100GB'; SELECT 1"], 2);
    assert!(
        err.contains("refused") && err.contains("--memory-limit") && err.lines().count() == 1,
        "{err}"
    );

    let before = std::fs::read(env.db()).unwrap();
    let err = env.fails(
        &[
            "query",
            "SELECT max(len(l)) FROM (SELECT list(range) AS l FROM range(100000000))",
            "--memory-limit",
            "300MB",
        ],
        2,
    );
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(
        err.starts_with("rollcall: query: out of memory under --memory-limit 300MB: ")
            && err.contains("failed to allocate")
            && err.ends_with(
                "; the database was not changed (narrow the query, or raise --memory-limit)\n"
            )
            && !err.contains("SET "),
        "{err}"
    );
    assert_eq!(
        sha256_hex(&std::fs::read(env.db()).unwrap()),
        sha256_hex(&before)
    );
}

#[test]
fn bad_limits_are_one_line_usage_errors() {
    let env = small();
    for (flag, value, want) in [
        (
            "--timeout",
            "5",
            "--timeout '5': expected a duration such as 60s, 5m or 1500ms",
        ),
        ("--timeout", "0s", "--timeout '0s': must be more than zero"),
        (
            "--memory-limit",
            "lots",
            "--memory-limit 'lots': expected a size such as 2GB, 512MB or 4GiB",
        ),
        (
            "--memory-limit",
            "1MB",
            "--memory-limit '1MB': DuckDB needs at least 32 MiB to run a query",
        ),
    ] {
        let err = env.fails(&["query", "SELECT 1", flag, value], 2);
        assert_eq!(err, format!("rollcall: {want}\n"));
    }
}

#[test]
fn a_table_holds_ten_thousand_rows_and_counts_the_rest() {
    let env = small();
    let out = env.ok(&["query", "SELECT range FROM range(25000)"]);
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines.len(), 2 + 10_000 + 1);
    assert_eq!(lines[2], "0");
    assert_eq!(lines[10_001], "9999");
    assert_eq!(
        lines[10_002],
        "the first 10,000 of 25,000 rows: a table shows at most 10,000; --format csv or json prints them all"
    );
    let out = env.ok(&["query", "SELECT range FROM range(3)"]);
    assert_eq!(out, "range\n─────\n0\n1\n2\n3 rows\n");
    // Streamed JSON is the pretty-printed array a whole result gave.
    let out = env.ok(&[
        "query",
        "SELECT 1 AS a, 'x' AS b UNION ALL SELECT 2, NULL ORDER BY a",
        "--format",
        "json",
    ]);
    assert_eq!(
        out,
        "[\n  {\n    \"a\": 1,\n    \"b\": \"x\"\n  },\n  {\n    \"a\": 2,\n    \"b\": null\n  }\n]\n"
    );
    let empty = "SELECT 1 AS a WHERE false";
    assert_eq!(env.ok(&["query", empty, "--format", "json"]), "[]\n");
    assert_eq!(env.ok(&["query", empty, "--format", "csv"]), "a\n");
    assert_eq!(env.ok(&["query", empty]), "a\n─\n0 rows\n");
}
