//! Who answers a request once the front has checked it: a fixed pool of worker threads taking
//! requests from tiny_http, two bounded bulk pools for what may wait on a slow client (one
//! streams downloads and renders the report page, one sends replies too large for a worker to
//! send), the database connections they share ([`Connections`]), and the watchdog that stops
//! a request's queries at `--query-timeout` ([`Watchdog`]).

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::mpsc;
use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, SystemTime};

use anyhow::Result;

use super::backend::Backend;
use super::params::Scope;
use super::reply::{QueryTimedOut, Unavailable};
use crate::bounds::Stopwatch;
use crate::read::{ReadRequest, Reader};
use crate::report::Templates;
use crate::sql::Sql;
use crate::store::handover;
use crate::store::{Access, Interrupter, Store};

/// Everything the handlers share.
pub(super) struct Shared {
    pub(super) scope: Scope,
    pub(super) templates: Templates,
    pub(super) title: String,
    pub(super) connections: Arc<Connections>,
    pub(super) watchdog: Watchdog,
    /// Streams downloads and renders the report page.
    pub(super) downloads: Bulk,
    /// Sends replies too large to send from a worker.
    pub(super) senders: Bulk,
    pub(super) backend: Arc<Backend>,
    /// The report's Content-Security-Policy, sent on every response.
    pub(super) csp: String,
    pub(super) query_timeout: Duration,
    /// Answers kept for repeated API requests, per generation of the connections.
    pub(super) cache: super::cache::Cache,
    /// The console's actions: the message composer, where reminders go, the send options.
    pub(super) actions: super::Actions,
    /// `ROLLCALL_TEST_PANIC_ROUTE=1` at start: `/__panic` panics (tests of the panic path).
    pub(super) panic_route: bool,
    /// The seats setting every reader counts with when a snapshot has none recorded.
    pub(super) seats: Option<(i64, &'static str)>,
}

impl Shared {
    /// Runs `f` with a reader of `request`'s scope on a pooled connection, under the query
    /// timeout: the watchdog interrupts DuckDB once `clock` passes it, and the result is then
    /// [`QueryTimedOut`]. The connection goes back to the pool before this returns, so the
    /// caller's answer never reaches a client while the database is still held.
    pub(super) fn read<T>(
        &self,
        request: &ReadRequest,
        f: impl FnOnce(&Reader, &Stopwatch) -> Result<T>,
    ) -> Result<T> {
        self.session(|lease, clock| {
            let mut reader = lease.reader(request)?;
            reader.assume_seats(self.seats);
            let result = f(&reader, clock);
            lease.restore(reader);
            result
        })
    }

    /// As [`read`](Self::read), with the connection itself (for what needs no scope).
    pub(super) fn session<T>(
        &self,
        f: impl FnOnce(&mut Lease<'_>, &Stopwatch) -> Result<T>,
    ) -> Result<T> {
        let mut lease = self.connections.lease()?;
        let clock = Arc::new(Stopwatch::start());
        let watch = self
            .watchdog
            .watch(self.query_timeout, clock.clone(), lease.interrupter());
        let result = f(&mut lease, &clock);

        if watch.fired() {
            // The interrupt may still be pending on the connection: not reused.
            lease.poison();
            return Err(QueryTimedOut(self.query_timeout).into());
        }
        if result
            .as_ref()
            .is_err_and(|e| crate::error::exit_code(e) != crate::error::EXIT_BAD_INPUT)
        {
            lease.poison();
        }
        result
    }
}

// ---------------------------------------------------------------------------------------------
// Connections

/// The read-only DuckDB connections the workers share: one open database (one instance, one
/// cache) and connections cloned from it, each kept with its session views between requests.
///
/// Holding the database open keeps a writer out (DuckDB lets one writing process exclude every
/// reader), so the pool hands it over (`store/handover.rs`): while an `ingest` says it waits
/// (its marker beside the database), no connection is lent (503 with `Retry-After`), idle ones
/// close at once and lent ones as their requests end; the last one closing frees the file for
/// the writer. When the marker is gone, the next request opens the database afresh and sees
/// the new snapshot. A watcher thread looks every [`handover::POLL`], so an idle server lets go
/// too.
pub(super) struct Connections {
    db: PathBuf,
    sql: Sql,
    /// The instance's memory bound and where it spills past it (`serve --memory-limit`).
    memory: u64,
    spill: PathBuf,
    writers: handover::Watch,
    state: Mutex<State>,
    /// One console action writes at a time.
    writer: Mutex<()>,
}

#[derive(Default)]
struct State {
    generation: u64,
    open: Option<Open>,
    /// Leases of the current generation that are out.
    leased: usize,
    /// Leases of earlier generations still out: their database instance is still open, and
    /// a second instance of the same file in one process must never be opened beside it
    /// (closing either would drop the process's file lock under the other).
    draining: usize,
    /// A console action is recording its change ([`Connections::write`]): nothing is lent.
    writing: bool,
}

struct Open {
    /// The connection the database was opened with; the others are its clones.
    root: Store,
    /// Connections not in use, with their session views.
    idle: Vec<Store>,
    stamp: Option<Stamp>,
}

/// The database file as it was when opened: a change means another process wrote it.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Stamp {
    len: u64,
    modified: Option<SystemTime>,
    inode: u64,
}

fn stamp(db: &Path) -> Option<Stamp> {
    use std::os::unix::fs::MetadataExt;
    let m = std::fs::metadata(db).ok()?;
    Some(Stamp {
        len: m.len(),
        modified: m.modified().ok(),
        inode: m.ino(),
    })
}

/// A connection lent to one request; back to the pool when dropped (unless poisoned).
pub(super) struct Lease<'a> {
    pool: &'a Connections,
    generation: u64,
    /// The connection, and whether it has session views already.
    store: Option<(Store, bool)>,
    interrupter: Interrupter,
    healthy: bool,
}

impl Lease<'_> {
    fn interrupter(&self) -> Interrupter {
        self.interrupter.clone()
    }

    /// A reader of `request`'s scope on this connection.
    pub(super) fn reader(&mut self, request: &ReadRequest) -> Result<Reader> {
        let (store, session) = self
            .store
            .take()
            .ok_or_else(|| anyhow::anyhow!("the connection was lost by an earlier error"))?;
        Reader::reuse(store, request, session)
    }

    /// The connection back from a reader made by [`reader`](Self::reader).
    pub(super) fn restore(&mut self, reader: Reader) {
        self.store = Some((reader.into_store(), true));
    }

    pub(super) fn store(&self) -> Result<&Store> {
        self.store
            .as_ref()
            .map(|(s, _)| s)
            .ok_or_else(|| anyhow::anyhow!("the connection was lost by an earlier error"))
    }

    /// Not to be reused: closed when the lease ends.
    pub(super) fn poison(&mut self) {
        self.healthy = false;
    }
}

impl Drop for Lease<'_> {
    fn drop(&mut self) {
        let store = self
            .store
            .take()
            .filter(|_| self.healthy && !std::thread::panicking());
        self.pool.give_back(self.generation, store);
    }
}

impl Connections {
    pub(super) fn new(db: PathBuf, sql: Sql, memory: u64, spill: PathBuf) -> Connections {
        Connections {
            writers: handover::Watch::new(&db),
            db,
            sql,
            memory,
            spill,
            state: Mutex::new(State::default()),
            writer: Mutex::new(()),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// A connection for one request: an idle one, a clone of the open database's, or the
    /// database opened afresh (only when no earlier instance is still in use).
    pub(super) fn lease(&self) -> Result<Lease<'_>> {
        let mut st = self.lock();
        if st.writing {
            return Err(Unavailable(
                "a change made from the console is being recorded; try again in a moment".into(),
            )
            .into());
        }
        if self.writers.writer_waiting() {
            self.step_aside(&mut st);
            return Err(Unavailable(
                "the database is being updated by `rollcall ingest`; try again in a moment".into(),
            )
            .into());
        }
        if st.open.is_some() && st.leased == 0 {
            let now = stamp(&self.db);
            if st.open.as_ref().is_some_and(|o| o.stamp != now) {
                Connections::release(&mut st);
            }
        }
        if st.open.is_none() {
            if st.draining > 0 {
                return Err(Unavailable(
                    "the server is switching to a new state of the database; try again in a moment"
                        .into(),
                )
                .into());
            }
            let stamp = stamp(&self.db);
            let root = Store::open(&self.db, Access::ReadOnly, self.sql.clone()).map_err(|e| {
                if format!("{e:#}").contains("Too many open files") {
                    Unavailable(
                        "the server has run out of file descriptors for now; try again in a moment"
                            .into(),
                    )
                    .into()
                } else {
                    e
                }
            })?;
            root.bound_instance(self.memory, &self.spill)?;
            st.open = Some(Open {
                root,
                idle: Vec::new(),
                stamp,
            });
        }
        let open = st.open.as_mut().expect("opened above");
        let (store, session) = match open.idle.pop() {
            Some(s) => (s, true),
            None => (open.root.try_clone()?, false),
        };
        st.leased += 1;
        Ok(Lease {
            pool: self,
            generation: st.generation,
            interrupter: store.interrupter(),
            store: Some((store, session)),
            healthy: true,
        })
    }

    fn give_back(&self, generation: u64, store: Option<(Store, bool)>) {
        let mut st = self.lock();
        if generation != st.generation {
            st.draining = st.draining.saturating_sub(1);
            return;
        }
        st.leased = st.leased.saturating_sub(1);
        if let (Some(open), Some((store, true))) = (st.open.as_mut(), store) {
            open.idle.push(store);
        }
    }

    /// The generation the next lease belongs to: it moves on whenever the database is let go
    /// (an ingest, a changed file), so answers kept under it are of the data now open.
    pub(super) fn generation(&self) -> u64 {
        self.lock().generation
    }

    /// Checks every [`handover::POLL`], on its own thread, whether a writer waits while the
    /// database is open: an idle server calls no [`lease`](Self::lease), and must still let go.
    pub(super) fn watch_for_writers(self: &Arc<Self>) -> Result<()> {
        let pool = self.clone();
        std::thread::Builder::new()
            .name("rollcall-writers".into())
            .spawn(move || loop {
                std::thread::sleep(handover::POLL);
                let mut st = pool.lock();
                if st.open.is_some() && !st.writing && pool.writers.writer_waiting() {
                    pool.step_aside(&mut st);
                }
            })?;
        Ok(())
    }

    /// Runs `f` with the database open for writing in this process (a console action: a
    /// reminder logged, a worklist decision). One instance of a file per process: the pool
    /// lets go of its read-only one first, lends nothing meanwhile (503 with `Retry-After`), and
    /// waits up to `wait` for the requests still holding it; then the writer opens by the same
    /// hand-over as `ingest` (so another server steps aside, and a reading process is waited
    /// for), and the next request opens the database afresh and sees the change.
    pub(super) fn write<T>(
        &self,
        wait: Duration,
        f: impl FnOnce(&Store) -> Result<T>,
    ) -> Result<T> {
        let _one = self.writer.lock().unwrap_or_else(|e| e.into_inner());
        let patience = handover::Patience::new(wait);
        {
            let mut st = self.lock();
            st.writing = true;
            Connections::release(&mut st);
        }
        let result = (|| {
            loop {
                if self.lock().draining == 0 {
                    break;
                }
                if patience.left().is_zero() {
                    return Err(Unavailable(
                        "the database is still in use by other requests (a download?); try again in a moment"
                            .into(),
                    )
                    .into());
                }
                std::thread::sleep(Duration::from_millis(10));
            }
            let writer =
                Store::open_writer(&self.db, self.sql.clone(), patience.left(), &mut |_| {})?;
            f(&writer)
        })();
        let mut st = self.lock();
        st.writing = false;
        // Whatever was kept before is older than the change.
        st.generation += 1;
        result
    }

    /// A writer waits: let go of the database (said once per hand-over, on standard error).
    fn step_aside(&self, st: &mut State) {
        if st.open.is_some() {
            crate::util::stderr_line(&format!(
                "rollcall: an ingest waits for the database ({}); answering 503 until it is done",
                self.writers.marker().display()
            ));
        }
        Connections::release(st);
    }

    fn release(st: &mut State) {
        st.generation += 1;
        st.draining += st.leased;
        st.leased = 0;
        st.open = None;
    }
}

// ---------------------------------------------------------------------------------------------
// The watchdog

/// One thread that interrupts the queries of every request past its time limit, measured on
/// the request's [`Stopwatch`] (which stops while a download waits for a slow client). DuckDB
/// clears an interrupt that lands between statements, so it keeps interrupting every 20 ms
/// until the request gives up.
pub(super) struct Watchdog {
    inner: Arc<Watched>,
}

#[derive(Default)]
struct Watched {
    list: Mutex<Vec<Entry>>,
    wake: Condvar,
    next: AtomicU64,
}

struct Entry {
    id: u64,
    limit: Duration,
    clock: Arc<Stopwatch>,
    interrupter: Interrupter,
    fired: Arc<AtomicBool>,
}

/// A request being watched; unwatched when dropped.
pub(super) struct Watch<'a> {
    dog: &'a Watchdog,
    id: u64,
    fired: Arc<AtomicBool>,
}

impl Watch<'_> {
    pub(super) fn fired(&self) -> bool {
        self.fired.load(Ordering::SeqCst)
    }
}

impl Drop for Watch<'_> {
    fn drop(&mut self) {
        let mut list = self
            .dog
            .inner
            .list
            .lock()
            .unwrap_or_else(|e| e.into_inner());
        list.retain(|e| e.id != self.id);
    }
}

impl Watchdog {
    pub(super) fn start() -> Result<Watchdog> {
        let inner = Arc::new(Watched::default());
        let watched = inner.clone();
        std::thread::Builder::new()
            .name("rollcall-watchdog".into())
            .spawn(move || Watchdog::run(&watched))?;
        Ok(Watchdog { inner })
    }

    fn run(w: &Watched) {
        let mut list = w.list.lock().unwrap_or_else(|e| e.into_inner());
        loop {
            let mut wait = Duration::from_secs(3600);
            for e in list.iter() {
                let left = e.limit.saturating_sub(e.clock.elapsed());
                if left.is_zero() {
                    e.fired.store(true, Ordering::SeqCst);
                    e.interrupter.interrupt();
                    wait = wait.min(Duration::from_millis(20));
                } else {
                    wait = wait.min(left);
                }
            }
            list = w
                .wake
                .wait_timeout(list, wait)
                .unwrap_or_else(|e| e.into_inner())
                .0;
        }
    }

    pub(super) fn watch(
        &self,
        limit: Duration,
        clock: Arc<Stopwatch>,
        interrupter: Interrupter,
    ) -> Watch<'_> {
        let id = self.inner.next.fetch_add(1, Ordering::SeqCst);
        let fired = Arc::new(AtomicBool::new(false));
        self.inner
            .list
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(Entry {
                id,
                limit,
                clock,
                interrupter,
                fired: fired.clone(),
            });
        self.inner.wake.notify_one();
        Watch {
            dog: self,
            id,
            fired,
        }
    }
}

// ---------------------------------------------------------------------------------------------
// The threads

/// A job for a bulk pool: it owns the request it answers.
pub(super) type BulkJob = Box<dyn FnOnce(&Shared, tiny_http::Request) + Send>;

/// A bulk pool: `cap` threads for work that may wait on a slow client, so the workers never
/// do. At most `cap` jobs are running or queued; one more is refused (the worker answers 503),
/// so slow clients never pile up jobs.
pub(super) struct Bulk {
    name: &'static str,
    tx: mpsc::Sender<(BulkJob, tiny_http::Request)>,
    rx: Mutex<Option<mpsc::Receiver<(BulkJob, tiny_http::Request)>>>,
    busy: AtomicUsize,
    cap: usize,
}

impl Bulk {
    pub(super) fn new(name: &'static str, cap: usize) -> Bulk {
        let (tx, rx) = mpsc::channel();
        Bulk {
            name,
            tx,
            rx: Mutex::new(Some(rx)),
            busy: AtomicUsize::new(0),
            cap,
        }
    }

    /// Queues a job, or gives the request back (`Some`) when the pool is full.
    pub(super) fn submit(
        &self,
        job: BulkJob,
        rq: tiny_http::Request,
    ) -> Option<tiny_http::Request> {
        if self.busy.fetch_add(1, Ordering::SeqCst) >= self.cap {
            self.busy.fetch_sub(1, Ordering::SeqCst);
            return Some(rq);
        }
        match self.tx.send((job, rq)) {
            Ok(()) => None,
            Err(e) => {
                self.busy.fetch_sub(1, Ordering::SeqCst);
                Some(e.0 .1)
            }
        }
    }
}

/// Starts `workers` threads answering requests from tiny_http, and the bulk pools' threads.
pub(super) fn start(shared: &Arc<Shared>, workers: usize) -> Result<()> {
    for i in 0..workers {
        let s = shared.clone();
        std::thread::Builder::new()
            .name(format!("rollcall-worker-{i}"))
            .spawn(move || work(&s))?;
    }
    let pools: [fn(&Shared) -> &Bulk; 2] = [|s| &s.downloads, |s| &s.senders];
    for pick in pools {
        let pool = pick(shared);
        let rx = Arc::new(Mutex::new(
            pool.rx
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .take()
                .ok_or_else(|| anyhow::anyhow!("the {} pool was started twice", pool.name))?,
        ));
        for i in 0..pool.cap {
            let s = shared.clone();
            let rx = rx.clone();
            std::thread::Builder::new()
                .name(format!("rollcall-{}-{i}", pool.name))
                .spawn(move || bulk(&s, pick(&s), &rx))?;
        }
    }
    Ok(())
}

/// A worker: takes the next request from tiny_http and answers it, for ever. When tiny_http's
/// accept loop has stopped (its one error), a new listener replaces it.
fn work(shared: &Shared) {
    loop {
        let listener = shared.backend.current();
        match listener.http.recv_timeout(Duration::from_secs(1)) {
            Ok(Some(rq)) => super::routes::handle(shared, rq),
            Ok(None) => {}
            Err(e) => {
                crate::util::stderr_line(&format!(
                    "rollcall: the request parser stopped ({e}); starting a new one"
                ));
                if let Err(e) = shared.backend.restart(&listener) {
                    crate::util::stderr_line(&format!("rollcall: {e:#}; retrying in 1 s"));
                    std::thread::sleep(Duration::from_secs(1));
                }
            }
        }
    }
}

type BulkQueue = Mutex<mpsc::Receiver<(BulkJob, tiny_http::Request)>>;

fn bulk(shared: &Shared, pool: &Bulk, rx: &BulkQueue) {
    loop {
        let next = rx.lock().unwrap_or_else(|e| e.into_inner()).recv();
        let Ok((job, rq)) = next else {
            return;
        };
        let url = rq.url().to_string();
        // A panic drops the request, which tiny_http answers with an empty 500.
        if std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| job(shared, rq))).is_err() {
            crate::util::stderr_line(&format!(
                "rollcall: {url}: a handler panicked (logged above); answered 500"
            ));
        }
        pool.busy.fetch_sub(1, Ordering::SeqCst);
    }
}
