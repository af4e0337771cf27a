//! The hand-over between one writing process (`ingest`) and the reading processes that keep the
//! database open for long (`serve`), through a marker file beside the database. Part of `store`,
//! the one owner of the database file: the writer side is [`crate::store::Store::open_writer`],
//! the reader side is [`Watch`].
//!
//! DuckDB lets one process hold a file for writing, and that excludes every other process,
//! readers included; a read-only connection held by a server keeps every writer out. So the
//! writer announces itself and readers that stay open step aside.
//!
//! # The protocol
//!
//! The marker is `DB.writer-waiting` (the database's resolved path, symlinks followed, with
//! [`SUFFIX`]), holding one line: `rollcall writer pid=PID start=TICKS`, where `TICKS` is the
//! process's start time (field 22 of `/proc/PID/stat`, absent off Linux), so a recycled PID is
//! not mistaken for the writer.
//!
//! **Writer** (`ingest --wait D`, after its input is parsed and checked):
//! 1. Creates the marker with `create_new` (exclusive). If one exists and is *live* (below),
//!    another writer waits or writes: this one waits for it to go, polling every
//!    [`RETRY_EVERY`]. A *stale* marker is removed (if its content is still what was judged
//!    stale) and creation retried.
//! 2. Opens the database for writing, retrying every [`RETRY_EVERY`] while DuckDB reports a
//!    conflicting lock (readers finishing their in-flight work, then closing).
//! 3. Writes the snapshot in one transaction, closes the database, and only then removes the
//!    marker (a reader that sees it gone can open at once). The marker also goes when anything
//!    fails: [`Claim`]'s `Drop` removes it, if it still holds this writer's line.
//! 4. Past `D` in steps 1 and 2 together, it gives up with [`Failure::Busy`] (exit 3) naming the
//!    process in the way and the wait. `D = 0` tries each step once: the old fail-at-once.
//!
//! **Live or stale.** A marker is live while its process runs: on Linux `/proc/PID/stat` exists,
//! is not a zombie, and has the recorded start time. Off Linux the process cannot be checked
//! without a new dependency, so a marker counts as live for [`UNCHECKED_MAX_AGE`] after its last
//! change. A marker whose line is not written yet (its writer is between `create_new` and the
//! write) counts as live for [`UNWRITTEN_GRACE`]; one this process cannot read at all (another
//! user's, though the writer makes it readable to all) counts as live for [`UNCHECKED_MAX_AGE`],
//! after which a writer refuses with an error naming it. Everything else is stale: the trace of a
//! killed ingest (SIGKILL, Ctrl-C, power loss), which DuckDB itself recovers from (the
//! transaction was never committed), and which readers ignore and the next writer removes.
//!
//! **Readers never write the marker**, not even to remove a stale one: a server may run as a
//! user who cannot write to the folder, and two processes removing "the stale marker" could
//! remove a fresh one.
//!
//! # Races considered
//!
//! - *A reader checks, finds nothing, and opens just after the writer created the marker.* The
//!   writer's lock attempt fails and it retries; the reader sees the marker at its next check
//!   (at most [`POLL`] later) and closes once its in-flight work ends. Only time is lost.
//! - *The writer takes the lock between a reader's check and its open.* The reader's open fails
//!   with [`Failure::Busy`]; the server answers that request 503 (never 500).
//! - *Two ingests at once.* The second finds a live marker and waits for it (within its own
//!   `--wait`); when the first removes its marker the second creates its own, so readers stay
//!   away for both. If both had judged the same stale marker and one removed the other's fresh
//!   marker in the instant between, DuckDB's lock still serialises the writes; readers may
//!   reopen in between and only delay the later writer.
//! - *A crashed ingest.* Its marker is stale at once on Linux (the PID is gone, or recycled with
//!   another start time): readers go on serving, the next ingest removes it.
//! - *PIDs not visible* (another PID namespace, `/proc` mounted `hidepid=2` and another user):
//!   the writer looks dead, readers do not step aside and the ingest fails after `--wait`
//!   with exit 3, as before this protocol. Run both as the same user in the same namespace.
//! - *Readers other than the server* (`users`, `summary`, `export`, `query`, `export-db`)
//!   ignore the marker: they hold the file for one command, and the writer's retries outlast
//!   them within `--wait` (readers that keep overlapping could starve it until then: exit 3).
//!   `export-db` opens read-only too, so it shares the file with the server and needs no wait.
//! - *The server starting while an ingest writes* fails at start with exit 3, as before;
//!   whether `serve` should wait there is the server's choice.
//! - *Ctrl-C on an ingest* ends it without unwinding, like SIGKILL: a stale marker, as above.
//!
//! # What a long-running reader must do (the server's contract)
//!
//! Build one [`Watch`] per database at start-up and share it (it is `Clone`, `Send`, `Sync`
//! and caches nothing). Then:
//!
//! 1. **Before each request** (before taking or opening a connection), call
//!    [`Watch::writer_waiting`]. If it is true, answer `503 Service Unavailable` with
//!    `Retry-After` (the server's `reply::RETRY_AFTER`) without touching the database.
//! 2. **Once a writer waits, close every connection of the process as soon as no request is
//!    using any of them**, and open none until `writer_waiting` is false again (it stays true
//!    while the writer writes, not only while it waits). In-flight requests finish: within the
//!    query timeout, which must stay well under the ingest's default `--wait` of 30 s; a
//!    download streaming to a slow client may outlast it, so the server may interrupt it or
//!    the ingest fails with exit 3 (safe: nothing written). *All* connections, and only once
//!    all in-flight work has ended: DuckDB locks with POSIX `fcntl` locks, which belong to the
//!    process, and closing *any* descriptor of the file drops the process's whole lock. So
//!    separate instances (every [`crate::store::Store::open`] is one) let the writer in as soon
//!    as the first one closes, while the others may still be reading a file being written
//!    (`tests/integration/handover.rs`,
//!    `duckdb_lets_a_writer_in_when_any_instance_of_a_process_closes`, pins this). Either share
//!    one instance (`Connection::try_clone`: the file stays locked until the last clone is
//!    dropped) or stop every worker's use of its connection (a barrier) before closing the
//!    first.
//! 3. **Poll while idle**: an idle worker holding a connection keeps the writer out as surely
//!    as a busy one. Check at least every [`POLL`] (a `recv_timeout` in the worker loop, or one
//!    watcher thread that drops idle connections), so an idle server lets go within [`POLL`].
//! 4. **Map a busy open to 503 too**: opening while the writer holds the lock fails with
//!    [`Failure::Busy`] (`crate::error::exit_code` gives `EXIT_BUSY`); answer it as in 1.
//! 5. **After the marker goes, open afresh**: the new connections see the new snapshot, so the
//!    next request shows it.

use std::fs;
use std::io::{ErrorKind, Write};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant, SystemTime};

use anyhow::{Context, Result};

use crate::error::Failure;

/// The marker's name is the database's file name with this suffix, in the same folder.
pub(crate) const SUFFIX: &str = ".writer-waiting";

/// How long a writer sleeps between attempts (at the marker and at DuckDB's lock).
pub(crate) const RETRY_EVERY: Duration = Duration::from_millis(50);

/// The longest a reader may go without looking at the marker, idle or not.
pub(crate) const POLL: Duration = Duration::from_millis(100);

/// A marker with no line yet counts as live this long: its writer is between creating and
/// writing it (microseconds), unless it died there.
const UNWRITTEN_GRACE: Duration = Duration::from_secs(10);

/// Off Linux (no `/proc`), a marker counts as live this long after its last change.
const UNCHECKED_MAX_AGE: Duration = Duration::from_secs(15 * 60);

/// Where the marker of the database at `db` is: beside the file DuckDB really opens, so a
/// server and an ingest naming it by different paths (relative, through a symlink) agree.
pub(crate) fn marker_path(db: &Path) -> PathBuf {
    let real = fs::canonicalize(db).ok().or_else(|| {
        // Not created yet (a first ingest): resolve the folder.
        let parent = match db.parent() {
            Some(p) if !p.as_os_str().is_empty() => p,
            _ => Path::new("."),
        };
        Some(fs::canonicalize(parent).ok()?.join(db.file_name()?))
    });
    let mut name = real.unwrap_or_else(|| db.to_path_buf()).into_os_string();
    name.push(SUFFIX);
    PathBuf::from(name)
}

/// What a reader needs to know whether to step aside: where the marker is. Cheap to clone,
/// caches nothing.
#[derive(Debug, Clone)]
pub(crate) struct Watch {
    marker: PathBuf,
}

impl Watch {
    /// The watch for the database at `db` (see [`marker_path`]).
    pub(crate) fn new(db: &Path) -> Watch {
        Watch {
            marker: marker_path(db),
        }
    }

    /// True while a live writer waits for the database or writes it: stop opening it, answer
    /// 503, close every connection once in-flight work ends (see the module's contract). One
    /// `metadata` call when there is no marker (the usual case); when there is one, it and the
    /// writer's `/proc` entry are read too. A stale marker is ignored (and left for the next
    /// writer to remove).
    pub(crate) fn writer_waiting(&self) -> bool {
        matches!(inspect(&self.marker), Seen::Live { .. })
    }

    /// The marker's path, for a log line.
    pub(crate) fn marker(&self) -> &Path {
        &self.marker
    }
}

/// The writer announced in the marker of the database at `db`, if a live one is (its PID when
/// the marker names it): what `rollcall doctor` says holds the file.
pub(crate) fn live_writer(db: &Path) -> Option<Option<u32>> {
    match inspect(&marker_path(db)) {
        Seen::Live { pid } => Some(pid),
        _ => None,
    }
}

/// How long a writer waits in all, from when it starts.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Patience {
    started: Instant,
    wait: Duration,
}

impl Patience {
    pub(crate) fn new(wait: Duration) -> Patience {
        Patience {
            started: Instant::now(),
            wait,
        }
    }

    /// The wait asked for.
    pub(crate) fn wait(&self) -> Duration {
        self.wait
    }

    pub(crate) fn left(&self) -> Duration {
        self.wait.saturating_sub(self.started.elapsed())
    }

    /// Sleeps until the next attempt; false (without sleeping) once the wait is over.
    pub(crate) fn pause(&self) -> bool {
        let left = self.left();
        if left.is_zero() {
            return false;
        }
        std::thread::sleep(left.min(RETRY_EVERY));
        true
    }
}

/// A writer's claim on the database: its marker exists while this lives, and goes on drop if it
/// still holds this writer's line.
#[derive(Debug)]
pub(crate) struct Claim {
    marker: PathBuf,
    line: String,
}

impl Claim {
    /// Creates the marker for the database at `db`, waiting (within `patience`) for another
    /// live writer's marker to go, and removing a stale one. Out of patience:
    /// [`Failure::Busy`] naming the other writer. `on_wait` is called once, with that writer's
    /// PID, if this has to wait.
    pub(crate) fn take(
        db: &Path,
        patience: &Patience,
        on_wait: &mut dyn FnMut(Option<u32>),
    ) -> Result<Claim> {
        let marker = marker_path(db);
        let line = Owner::me().line();
        let mut waiting = false;
        // After the marker vanished or a stale one was removed, one attempt at once; after that
        // every attempt waits its turn, so nothing spins.
        let mut at_once = true;
        loop {
            match fs::OpenOptions::new()
                .write(true)
                .create_new(true)
                .open(&marker)
            {
                Ok(mut file) => {
                    let written = file.write_all(line.as_bytes());
                    drop(file);
                    let claim = Claim { marker, line };
                    if let Err(e) = written {
                        // Its line is not whole, so its drop would leave it: remove it here.
                        let _ = fs::remove_file(&claim.marker);
                        return Err(e).with_context(|| {
                            format!("{}: cannot write {}", db.display(), claim.marker.display())
                        });
                    }
                    readable_by_all(&claim.marker);
                    return Ok(claim);
                }
                Err(e) if e.kind() == ErrorKind::AlreadyExists => {}
                Err(e) => {
                    return Err(e).with_context(|| {
                        format!("{}: cannot create {}", db.display(), marker.display())
                    })
                }
            }
            let pid = match inspect(&marker) {
                Seen::Absent => None,
                Seen::Stale(Some(old)) => {
                    remove_stale(&marker, &old)?;
                    None
                }
                Seen::Stale(None) => {
                    return Err(anyhow::anyhow!(
                        "{}: left by an ingest that has stopped, and cannot be read; remove it",
                        marker.display()
                    ))
                }
                Seen::Live { pid } => {
                    if !waiting {
                        waiting = true;
                        on_wait(pid);
                    }
                    at_once = true;
                    if !patience.pause() {
                        return Err(busy(db, pid, patience));
                    }
                    continue;
                }
            };
            if std::mem::take(&mut at_once) {
                continue;
            }
            if !patience.pause() {
                return Err(busy(db, pid, patience));
            }
        }
    }

    #[cfg(test)]
    fn marker(&self) -> &Path {
        &self.marker
    }
}

impl Drop for Claim {
    fn drop(&mut self) {
        // Only our own line: never another writer's marker.
        if read_line(&self.marker).as_deref() == Some(self.line.as_str()) {
            let _ = fs::remove_file(&self.marker);
        }
    }
}

/// The error of a writer out of patience: the process in the way, and how long it waited.
pub(crate) fn busy(db: &Path, pid: Option<u32>, patience: &Patience) -> anyhow::Error {
    Failure::Busy {
        path: db.display().to_string(),
        pid,
        waited: Some(patience.wait()).filter(|w| !w.is_zero()),
    }
    .into()
}

/// Removes a stale marker if it still holds the line judged stale (a fresh writer's marker in
/// its place is left alone).
fn remove_stale(marker: &Path, old: &str) -> Result<()> {
    if read_line(marker).as_deref() != Some(old) {
        return Ok(());
    }
    match fs::remove_file(marker) {
        Err(e) if e.kind() != ErrorKind::NotFound => Err(e).with_context(|| {
            format!(
                "{}: cannot remove the marker a stopped ingest left",
                marker.display()
            )
        }),
        _ => Ok(()),
    }
}

fn read_line(marker: &Path) -> Option<String> {
    fs::read_to_string(marker).ok()
}

/// The server may run as another user: whatever the writer's umask, the marker can be read.
fn readable_by_all(marker: &Path) {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let _ = fs::set_permissions(marker, fs::Permissions::from_mode(0o644));
    }
    #[cfg(not(unix))]
    let _ = marker;
}

/// What the marker says now.
#[derive(Debug, PartialEq, Eq)]
enum Seen {
    Absent,
    /// A writer waits or writes (its PID when the line can be read).
    Live {
        pid: Option<u32>,
    },
    /// Left by a writer that is gone: its line, if it could be read.
    Stale(Option<String>),
}

fn inspect(marker: &Path) -> Seen {
    // The one call made when no writer waits. An error other than "not found" (a folder that
    // cannot be searched) means the database cannot be opened either: nothing to step aside for.
    let Ok(meta) = fs::metadata(marker) else {
        return Seen::Absent;
    };
    let age = meta
        .modified()
        .ok()
        .and_then(|m| SystemTime::now().duration_since(m).ok())
        .unwrap_or_default();
    let line = match fs::read_to_string(marker) {
        Ok(line) => line,
        Err(e) if e.kind() == ErrorKind::NotFound => return Seen::Absent,
        // Cannot be read (not a file, no permission): nothing to check, as off Linux.
        Err(_) if age < UNCHECKED_MAX_AGE => return Seen::Live { pid: None },
        Err(_) => return Seen::Stale(None),
    };
    let owner = Owner::parse(&line);
    let live = match &owner {
        // Its writer is between creating and writing it, unless it died there.
        None => age < UNWRITTEN_GRACE,
        Some(owner) => owner.alive().unwrap_or(age < UNCHECKED_MAX_AGE),
    };
    if live {
        Seen::Live {
            pid: owner.map(|o| o.pid),
        }
    } else {
        Seen::Stale(Some(line))
    }
}

/// The process a marker names.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Owner {
    pid: u32,
    /// Clock ticks after boot when it started (Linux); tells a recycled PID apart.
    start: Option<u64>,
}

impl Owner {
    fn me() -> Owner {
        let pid = std::process::id();
        Owner {
            pid,
            start: proc_start(pid).ok().flatten(),
        }
    }

    fn line(&self) -> String {
        match self.start {
            Some(start) => format!("rollcall writer pid={} start={start}\n", self.pid),
            None => format!("rollcall writer pid={}\n", self.pid),
        }
    }

    fn parse(line: &str) -> Option<Owner> {
        let field = |key: &str| {
            line.split_whitespace()
                .find_map(|w| w.strip_prefix(key))
                .and_then(|v| v.parse::<u64>().ok())
        };
        Some(Owner {
            pid: u32::try_from(field("pid=")?).ok()?,
            start: field("start="),
        })
    }

    /// Whether the process still runs: `None` where that cannot be told.
    fn alive(&self) -> Option<bool> {
        match proc_start(self.pid) {
            Ok(Some(start)) => Some(self.start.is_none_or(|s| s == start)),
            // Gone, or a zombie.
            Ok(None) => Some(false),
            Err(()) => None,
        }
    }
}

/// The start time of a running process (field 22 of `/proc/PID/stat`): `Ok(None)` when there is
/// no such process or it has exited (a zombie), `Err` where `/proc` cannot tell (not Linux).
fn proc_start(pid: u32) -> Result<Option<u64>, ()> {
    if !cfg!(target_os = "linux") {
        return Err(());
    }
    let stat = match fs::read_to_string(format!("/proc/{pid}/stat")) {
        Ok(s) => s,
        Err(e) if e.kind() == ErrorKind::NotFound => return Ok(None),
        Err(_) => return Err(()),
    };
    // `PID (comm) state ppid …`: comm may hold spaces and parentheses, so count fields from the
    // last ')'. After it, field 3 (state) is the first and field 22 (starttime) the twentieth.
    let rest = stat.rsplit_once(')').ok_or(())?.1;
    let fields: Vec<&str> = rest.split_whitespace().collect();
    if matches!(fields.first(), Some(&"Z") | Some(&"X") | Some(&"x")) {
        return Ok(None);
    }
    fields
        .get(19)
        .and_then(|s| s.parse().ok())
        .map(Some)
        .ok_or(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn db(dir: &tempfile::TempDir) -> PathBuf {
        dir.path().join("rollcall.duckdb")
    }

    fn never(_: Option<u32>) {
        panic!("should not wait");
    }

    /// The PID of a process that has exited and been reaped.
    fn dead_pid() -> u32 {
        let mut child = std::process::Command::new("true").spawn().unwrap();
        let pid = child.id();
        child.wait().unwrap();
        pid
    }

    #[test]
    fn the_marker_is_beside_the_real_file() {
        let dir = tempfile::tempdir().unwrap();
        let real = dir.path().canonicalize().unwrap().join("rollcall.duckdb");
        fs::write(&real, "").unwrap();
        let want = real.with_file_name("rollcall.duckdb.writer-waiting");
        assert_eq!(marker_path(&real), want);
        #[cfg(unix)]
        {
            let link = dir.path().join("link.duckdb");
            std::os::unix::fs::symlink(&real, &link).unwrap();
            assert_eq!(marker_path(&link), want);
        }
        // Not created yet: beside where it will be.
        let new = dir.path().join("new.duckdb");
        assert_eq!(
            marker_path(&new),
            real.with_file_name("new.duckdb.writer-waiting")
        );
    }

    #[test]
    fn a_claim_shows_to_readers_and_its_drop_removes_it() {
        let dir = tempfile::tempdir().unwrap();
        let watch = Watch::new(&db(&dir));
        assert!(!watch.writer_waiting());
        let claim = Claim::take(&db(&dir), &Patience::new(Duration::ZERO), &mut never).unwrap();
        assert_eq!(claim.marker(), watch.marker());
        let line = fs::read_to_string(watch.marker()).unwrap();
        assert!(
            line.starts_with(&format!("rollcall writer pid={} ", std::process::id())),
            "{line}"
        );
        assert!(watch.writer_waiting());
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = fs::metadata(watch.marker()).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o644, "readable by a server of another user");
        }
        drop(claim);
        assert!(!watch.marker().exists());
        assert!(!watch.writer_waiting());
    }

    #[test]
    fn a_dead_writers_marker_is_ignored_by_readers_and_removed_by_the_next_writer() {
        let dir = tempfile::tempdir().unwrap();
        let watch = Watch::new(&db(&dir));
        let stale = format!("rollcall writer pid={} start=1\n", dead_pid());
        fs::write(watch.marker(), &stale).unwrap();
        assert!(!watch.writer_waiting());
        // Readers leave it.
        assert_eq!(fs::read_to_string(watch.marker()).unwrap(), stale);
        let claim = Claim::take(&db(&dir), &Patience::new(Duration::ZERO), &mut never).unwrap();
        assert_ne!(fs::read_to_string(watch.marker()).unwrap(), stale);
        drop(claim);
        assert!(!watch.marker().exists());
    }

    #[test]
    fn a_recycled_pid_is_not_the_writer() {
        let me = Owner::me();
        let Some(start) = me.start else {
            return; // not Linux: start times are not recorded
        };
        let dir = tempfile::tempdir().unwrap();
        let watch = Watch::new(&db(&dir));
        // This process's PID with another start time: the writer that had this PID is gone.
        let other = Owner {
            pid: me.pid,
            start: Some(start + 1),
        };
        fs::write(watch.marker(), other.line()).unwrap();
        assert!(!watch.writer_waiting());
        fs::write(watch.marker(), me.line()).unwrap();
        assert!(watch.writer_waiting());
    }

    #[test]
    fn a_second_writer_waits_for_the_first_and_says_who_it_is() {
        let dir = tempfile::tempdir().unwrap();
        let first = Claim::take(&db(&dir), &Patience::new(Duration::ZERO), &mut never).unwrap();
        // No patience: refused at once, naming the first writer.
        let err = Claim::take(&db(&dir), &Patience::new(Duration::ZERO), &mut |_| {}).unwrap_err();
        let f = err.downcast_ref::<Failure>().unwrap();
        assert!(
            matches!(f, Failure::Busy { pid: Some(p), waited: None, .. } if *p == std::process::id()),
            "{f:?}"
        );
        // Some patience, and the first one finishes meanwhile: the second one gets it.
        let released = std::thread::spawn(move || {
            std::thread::sleep(Duration::from_millis(300));
            drop(first);
        });
        let mut waited_for = Vec::new();
        let t = Instant::now();
        let second = Claim::take(
            &db(&dir),
            &Patience::new(Duration::from_secs(10)),
            &mut |p| waited_for.push(p),
        )
        .unwrap();
        released.join().unwrap();
        assert!(
            t.elapsed() >= Duration::from_millis(250),
            "{:?}",
            t.elapsed()
        );
        assert_eq!(waited_for, vec![Some(std::process::id())]);
        assert!(Watch::new(&db(&dir)).writer_waiting());
        drop(second);
        assert!(!Watch::new(&db(&dir)).writer_waiting());
    }

    #[test]
    fn out_of_patience_names_the_wait() {
        let dir = tempfile::tempdir().unwrap();
        let _first = Claim::take(&db(&dir), &Patience::new(Duration::ZERO), &mut never).unwrap();
        let t = Instant::now();
        let err = Claim::take(
            &db(&dir),
            &Patience::new(Duration::from_millis(200)),
            &mut |_| {},
        )
        .unwrap_err();
        assert!(t.elapsed() >= Duration::from_millis(200));
        assert!(t.elapsed() < Duration::from_secs(5));
        let text = err.to_string();
        assert!(
            text.starts_with(&format!(
                "database is in use by another process (PID {})",
                std::process::id()
            )) && text.contains("200 ms"),
            "{text}"
        );
    }

    #[test]
    fn drop_leaves_another_writers_marker() {
        let dir = tempfile::tempdir().unwrap();
        let claim = Claim::take(&db(&dir), &Patience::new(Duration::ZERO), &mut never).unwrap();
        // Replaced behind its back (say it was judged stale by mistake and another took over).
        let other = "rollcall writer pid=1 start=1\n";
        fs::write(claim.marker(), other).unwrap();
        let marker = claim.marker().to_path_buf();
        drop(claim);
        assert_eq!(fs::read_to_string(marker).unwrap(), other);
    }

    #[test]
    fn a_marker_without_its_line_is_live_only_briefly() {
        let dir = tempfile::tempdir().unwrap();
        let watch = Watch::new(&db(&dir));
        fs::write(watch.marker(), "").unwrap();
        assert!(watch.writer_waiting());
        let old = SystemTime::now() - UNWRITTEN_GRACE - Duration::from_secs(1);
        fs::File::options()
            .write(true)
            .open(watch.marker())
            .unwrap()
            .set_modified(old)
            .unwrap();
        assert!(!watch.writer_waiting());
        // The next writer takes over.
        let claim = Claim::take(&db(&dir), &Patience::new(Duration::ZERO), &mut never).unwrap();
        drop(claim);
        assert!(!watch.marker().exists());
    }

    /// Something unreadable at the marker's path (here a folder) is a writer while it is young
    /// (another user's marker, say), and an error naming it once old; never a busy loop.
    #[test]
    fn an_unreadable_marker_is_live_while_young_then_named() {
        let dir = tempfile::tempdir().unwrap();
        let watch = Watch::new(&db(&dir));
        fs::create_dir(watch.marker()).unwrap();
        assert!(watch.writer_waiting());
        let t = Instant::now();
        let err = Claim::take(
            &db(&dir),
            &Patience::new(Duration::from_millis(200)),
            &mut |_| {},
        )
        .unwrap_err();
        assert!(t.elapsed() >= Duration::from_millis(200));
        assert!(matches!(
            err.downcast_ref::<Failure>(),
            Some(Failure::Busy { pid: None, .. })
        ));
        let old = SystemTime::now() - UNCHECKED_MAX_AGE - Duration::from_secs(1);
        fs::File::open(watch.marker())
            .unwrap()
            .set_modified(old)
            .unwrap();
        assert!(!watch.writer_waiting());
        let err = Claim::take(&db(&dir), &Patience::new(Duration::ZERO), &mut never).unwrap_err();
        assert_eq!(
            err.to_string(),
            format!(
                "{}: left by an ingest that has stopped, and cannot be read; remove it",
                watch.marker().display()
            )
        );
    }

    #[test]
    fn marker_lines_parse() {
        assert_eq!(
            Owner::parse("rollcall writer pid=12 start=34\n"),
            Some(Owner {
                pid: 12,
                start: Some(34)
            })
        );
        assert_eq!(
            Owner::parse("rollcall writer pid=12\n"),
            Some(Owner {
                pid: 12,
                start: None
            })
        );
        for bad in ["", "rollcall writer", "pid=x", "pid=99999999999"] {
            assert_eq!(Owner::parse(bad), None, "{bad}");
        }
        let me = Owner::me();
        assert_eq!(Owner::parse(&me.line()), Some(me.clone()));
        if cfg!(target_os = "linux") {
            assert_eq!(me.alive(), Some(true));
            let dead = Owner {
                pid: dead_pid(),
                start: None,
            };
            assert_eq!(dead.alive(), Some(false));
        }
    }
}
