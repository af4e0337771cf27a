//! Issue 11, ingest while serving: `ingest --wait` waits for readers that hold the database,
//! announces itself in `DB.writer-waiting` while it waits and writes, and is not stopped by the
//! marker a killed ingest left. (The server's side is tested through `serve`.)

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};

use crate::common::process::{spawn, Running};
use crate::common::{Env, WAIT};

/// A second organisation: two users, so its snapshot is told from the first (one user).
const TWO_USERS: &str = "Name,Email,License\nAnn,ann@example.com,Assigned\nBo,bo@example.com,\n";

fn marker(env: &Env) -> PathBuf {
    env.path("rollcall.duckdb.writer-waiting")
}

/// Users per snapshot, oldest first.
fn snapshot_users(env: &Env) -> Vec<i64> {
    env.json(&["snapshots", "--format", "json"])
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["users"].as_i64().unwrap())
        .collect()
}

/// This process holds the database read-only, as a server's connection does.
fn hold_read_only(db: &Path) -> duckdb::Connection {
    duckdb::Connection::open_with_flags(
        db,
        duckdb::Config::default()
            .access_mode(duckdb::AccessMode::ReadOnly)
            .unwrap(),
    )
    .unwrap()
}

/// Polls `what` until it is true, for at most [`WAIT`].
fn until(what: &str, mut f: impl FnMut() -> bool) {
    let t = Instant::now();
    while !f() {
        assert!(t.elapsed() < WAIT, "waited {WAIT:?} for {what}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Whether process `pid` has `file` open (Linux's /proc).
fn has_open(pid: u32, file: &Path) -> bool {
    let Ok(fds) = std::fs::read_dir(format!("/proc/{pid}/fd")) else {
        return false;
    };
    let file = file.canonicalize().unwrap();
    fds.flatten()
        .any(|fd| std::fs::read_link(fd.path()).is_ok_and(|t| t == file))
}

/// Field 22 of /proc/self/stat: this process's start time, as a writer's marker records it.
fn my_start_ticks() -> u64 {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap();
    let rest = stat.rsplit_once(')').unwrap().1;
    rest.split_whitespace().nth(19).unwrap().parse().unwrap()
}

fn ingest_cmd(env: &Env, users: &Path, wait: &str) -> Running {
    spawn(
        "rollcall ingest --wait",
        env.std_cmd()
            .args(["ingest", "--users", users.to_str().unwrap(), "--wait", wait])
            .stdout(Stdio::piped())
            .stderr(Stdio::piped()),
    )
}

/// A reader that is another rollcall process: a query slower than its `--timeout`, which holds
/// the file read-only until DuckDB's interrupt stops it. `--wait 0` fails at once naming it,
/// a short wait fails naming the wait, and a long enough wait succeeds once it has gone.
#[test]
fn ingest_waits_for_a_reading_process_or_fails_at_once_with_wait_0() {
    let env = Env::with_one_user();
    let users = env.write("two.csv", TWO_USERS);
    let u = users.to_str().unwrap();
    let mut reader = spawn(
        "a slow rollcall query",
        env.std_cmd()
            .args([
                "query",
                "--timeout",
                "6s",
                "SELECT count(*) FROM range(1000000000000) t(i) WHERE hash(i) = 0",
            ])
            .stdout(Stdio::null())
            .stderr(Stdio::piped()),
    );
    let pid = reader.id();
    until("the query to open the database", || {
        has_open(pid, &env.db())
    });

    let t = Instant::now();
    let err = env.fails(&["ingest", "--users", u, "--wait", "0"], 3);
    assert_eq!(
        err,
        format!(
            "rollcall: database is in use by another process (PID {pid}): {}; wait for it to finish or use another --db\n",
            env.db().display()
        )
    );
    let err = env.fails(&["ingest", "--users", u, "--wait", "1s"], 3);
    assert!(t.elapsed() >= Duration::from_secs(1));
    assert_eq!(
        err,
        format!(
            "rollcall: database is in use by another process (PID {pid}): {}; still in use after waiting 1 s (--wait); try again later, wait longer or use another --db\n",
            env.db().display()
        )
    );
    // Both failed while the reader held the file, and neither left its marker.
    assert!(reader.try_wait().unwrap().is_none());
    assert!(!marker(&env).exists());
    assert_eq!(snapshot_users(&env), [1]);

    let out = env.ok(&[
        "ingest",
        "--users",
        u,
        "--wait",
        "30s",
        "--as-of",
        "2026-11-28T00:00:00Z",
    ]);
    // It could only write once the reader had let go: stopped by its time limit (exit 2).
    let status = reader.try_wait().unwrap().expect("the reader has exited");
    assert_eq!(status.code(), Some(2));
    assert_eq!(
        out,
        "snapshot 2 as of 2026-11-28T00:00:00Z: 2 users, 0 devices kept; 0 rejected\n"
    );
    assert_eq!(snapshot_users(&env), [1, 2]);
    assert!(!marker(&env).exists());
}

/// While it waits, the ingest's marker names it; other readers still read; once the holder
/// closes, the ingest writes and the marker is gone.
#[test]
fn the_marker_is_there_while_the_ingest_waits_and_gone_after() {
    let env = Env::with_one_user();
    let users = env.write("two.csv", TWO_USERS);
    let holder = hold_read_only(&env.db());
    let ingest = ingest_cmd(&env, &users, "30s");
    until("the marker", || marker(&env).exists());
    let line = std::fs::read_to_string(marker(&env)).unwrap();
    assert!(
        line.starts_with(&format!("rollcall writer pid={} start=", ingest.id())),
        "{line}"
    );
    // Readers other than the server keep today's behaviour: they share the file.
    let emails = env.json(&["users", "--format", "json"]);
    assert_eq!(emails["users"][0]["email"], "dee@example.com");
    std::thread::sleep(Duration::from_millis(300));
    let mut ingest = ingest;
    assert!(ingest.try_wait().unwrap().is_none(), "it waits");

    drop(holder);
    let out = ingest.wait_with_output();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(!marker(&env).exists());
    assert_eq!(snapshot_users(&env), [1, 2]);
}

/// Two ingests at once: the second waits for the first (its marker, then DuckDB's lock) and
/// both snapshots are filed, in order.
#[test]
fn a_second_ingest_waits_for_the_first() {
    let env = Env::with_one_user();
    let users = env.write("two.csv", TWO_USERS);
    let three = env.write(
        "three.csv",
        "Email,License\nx@example.com,Assigned\ny@example.com,Assigned\nz@example.com,\n",
    );
    let first = env.paused_ingest(2_000, &["ingest", "--users", three.to_str().unwrap()]);
    // Its line names it while it holds the lock.
    let line = std::fs::read_to_string(marker(&env)).unwrap();
    assert!(
        line.starts_with(&format!("rollcall writer pid={} ", first.id())),
        "{line}"
    );
    let second = ingest_cmd(&env, &users, "30s").wait_with_output();
    assert!(
        second.status.success(),
        "{}",
        String::from_utf8_lossy(&second.stderr)
    );
    let first = first.wait_with_output();
    assert!(first.status.success());
    assert!(
        String::from_utf8_lossy(&first.stdout).starts_with("snapshot 2 as of "),
        "{first:?}"
    );
    assert!(
        String::from_utf8_lossy(&second.stdout).starts_with("snapshot 3 as of "),
        "{second:?}"
    );
    assert_eq!(snapshot_users(&env), [1, 3, 2]);
    assert!(!marker(&env).exists());
}

/// The marker of an ingest that was killed (SIGKILL, mid-write) blocks nothing: the next ingest
/// removes it and writes; the killed one's rows are nowhere.
#[test]
fn a_killed_ingests_marker_does_not_block() {
    let env = Env::with_one_user();
    let users = env.write("two.csv", TWO_USERS);
    let mut killed = env.paused_ingest(60_000, &["ingest", "--users", users.to_str().unwrap()]);
    let pid = killed.id();
    killed.kill_now();
    let line = std::fs::read_to_string(marker(&env)).unwrap();
    assert!(
        line.starts_with(&format!("rollcall writer pid={pid} ")),
        "{line}"
    );
    assert_eq!(snapshot_users(&env), [1]);

    env.ok(&["ingest", "--users", users.to_str().unwrap(), "--wait", "0"]);
    assert_eq!(snapshot_users(&env), [1, 2]);
    assert!(!marker(&env).exists());
}

/// Markers written by hand: a dead PID, or a live PID with another start time (the PID was
/// recycled), are stale; a live writer's marker makes the ingest wait and fail naming it, and
/// is left in place.
#[test]
fn only_a_live_writers_marker_blocks() {
    let env = Env::with_one_user();
    let users = env.write("two.csv", TWO_USERS);
    let u = users.to_str().unwrap();
    let mut gone = std::process::Command::new("true").spawn().unwrap();
    let dead = gone.id();
    gone.wait().unwrap();
    let me = std::process::id();
    let start = my_start_ticks();
    for stale in [
        format!("rollcall writer pid={dead} start=1\n"),
        format!("rollcall writer pid={me} start={}\n", start + 1),
    ] {
        std::fs::write(marker(&env), &stale).unwrap();
        env.ok(&["ingest", "--users", u, "--wait", "0"]);
        assert!(!marker(&env).exists(), "{stale}");
    }
    assert_eq!(snapshot_users(&env), [1, 2, 2]);

    let live = format!("rollcall writer pid={me} start={start}\n");
    std::fs::write(marker(&env), &live).unwrap();
    let err = env.fails(&["ingest", "--users", u, "--wait", "0"], 3);
    assert!(
        err.starts_with(&format!(
            "rollcall: database is in use by another process (PID {me}): "
        )),
        "{err}"
    );
    let t = Instant::now();
    let err = env.fails(&["ingest", "--users", u, "--wait", "500ms"], 3);
    assert!(t.elapsed() >= Duration::from_millis(500));
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(
        err.contains(&format!("(PID {me})")) && err.contains("500 ms (--wait)"),
        "{err}"
    );
    assert_eq!(std::fs::read_to_string(marker(&env)).unwrap(), live);
    assert_eq!(snapshot_users(&env), [1, 2, 2]);
    std::fs::remove_file(marker(&env)).unwrap();
}

#[test]
fn a_bad_wait_is_a_usage_error_before_anything_is_read() {
    let env = Env::new();
    let err = env.fails(&["ingest", "--users", "missing.csv", "--wait", "soon"], 2);
    assert_eq!(
        err,
        "rollcall: --wait 'soon': expected a duration such as 60s, 5m or 1500ms (or 0 not to wait)\n"
    );
    assert!(!env.db().exists());
}

/// What the server's contract (src/store/handover.rs) rests on, pinned in case DuckDB changes:
/// its lock is a POSIX `fcntl` lock, which belongs to the process, so closing *one* of two
/// separate instances lets a writer in while the other is still open (and reads a file being
/// written); clones of one instance keep the file locked until the last one is closed.
#[test]
fn duckdb_lets_a_writer_in_when_any_instance_of_a_process_closes() {
    let env = Env::with_one_user();
    let users = env.write("two.csv", TWO_USERS);
    let u = users.to_str().unwrap();

    let first = hold_read_only(&env.db());
    let second = first.try_clone().unwrap();
    drop(first);
    env.fails(&["ingest", "--users", u, "--wait", "0"], 3);
    drop(second);
    env.ok(&["ingest", "--users", u, "--wait", "0"]);
    assert_eq!(snapshot_users(&env), [1, 2]);

    let first = hold_read_only(&env.db());
    let second = hold_read_only(&env.db());
    env.fails(&["ingest", "--users", u, "--wait", "0"], 3);
    drop(first);
    env.ok(&["ingest", "--users", u, "--wait", "0"]);
    assert_eq!(snapshot_users(&env), [1, 2, 2]);
    drop(second);
}
