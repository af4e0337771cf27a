//! The TCP side of `serve`: the only code that touches a client's socket. It owns the accept
//! loop (running out of descriptors or threads is logged and waited out, never fatal), caps the
//! open client connections (evicting the oldest one still sending its head to make room),
//! reads each request head itself under a 10 s idle timeout and the size limits of
//! [`super::head`], answers what it can refuse on its own, and hands each checked request to
//! tiny_http over a private Unix socket ([`super::backend`]), one request per connection, then
//! copies the response back with a write timeout and `Connection: close`.

use std::collections::BTreeMap;
use std::io::{self, Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::os::unix::net::UnixStream;
use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, Instant};

use super::backend::Backend;
use super::head::{self, Refusal, Scan, Scanner, Site};
use super::reply::Reply;

/// The front's limits; see [`Limits::for_descriptors`].
#[derive(Debug, Clone)]
pub(super) struct Limits {
    /// Open client connections at most.
    pub(super) clients: usize,
    /// Requests handed to tiny_http at once at most (each holds two more descriptors).
    pub(super) forwarded: usize,
    /// A client that sends nothing for this long while sending its head is dropped.
    pub(super) idle: Duration,
    /// The whole head must arrive within this (a client trickling a byte at a time).
    pub(super) head: Duration,
    /// A write to a client that makes no progress for this long ends the response.
    pub(super) stall: Duration,
    /// How long a checked request may wait for a turn to be handed on.
    pub(super) queue: Duration,
    /// How long the backend may stay silent (queueing, then running the queries).
    pub(super) backend: Duration,
}

/// Descriptors kept for everything but client connections (DuckDB's files, pipes, temporary
/// files, the listeners, standard streams).
const RESERVED_FDS: usize = 128;

/// The lowest open-file limit `serve` starts with. Below it the caps cannot keep descriptors
/// free for DuckDB, which can abort the process when it runs out of them mid-query (seen at
/// `ulimit -n 14`).
pub(super) const MIN_OPEN_FILES: usize = 256;

impl Limits {
    /// Limits that fit the process's open-file limit: each client connection holds one
    /// descriptor, each forwarded request two more, and `RESERVED_FDS` stay free, so the
    /// accept loop never meets EMFILE of its own making.
    pub(super) fn for_descriptors(nofile: usize, query_timeout: Duration) -> Limits {
        let forwarded = (nofile / 16).clamp(4, 64);
        let clients = nofile
            .saturating_sub(RESERVED_FDS + 2 * forwarded)
            .clamp(8, 1024);
        Limits {
            clients,
            forwarded,
            idle: Duration::from_secs(10),
            head: Duration::from_secs(20),
            stall: Duration::from_secs(30),
            queue: Duration::from_secs(10),
            backend: Duration::from_secs(60).max(query_timeout * 12),
        }
    }
}

pub(super) struct Front {
    pub(super) site: Site,
    pub(super) limits: Limits,
    pub(super) backend: Arc<Backend>,
    /// The report's policy, for the front's own replies.
    pub(super) csp: String,
    registry: Arc<Registry>,
    slots: Semaphore,
}

impl Front {
    pub(super) fn new(site: Site, limits: Limits, backend: Arc<Backend>, csp: String) -> Front {
        Front {
            registry: Arc::new(Registry::new(limits.clients)),
            slots: Semaphore::new(limits.forwarded),
            site,
            limits,
            backend,
            csp,
        }
    }
}

/// Accepts connections for ever. A failed `accept` (out of descriptors, out of memory) or a
/// thread that cannot be started is logged once per episode and waited out with a growing
/// pause; the loop never ends on its own.
pub(super) fn run(listener: TcpListener, front: Arc<Front>) -> ! {
    let mut trouble = Trouble::default();
    loop {
        match listener.accept() {
            Ok((stream, _)) => {
                let Some(conn) = front.registry.admit(stream) else {
                    continue;
                };
                let f = front.clone();
                let spawned = std::thread::Builder::new()
                    .name("rollcall-client".into())
                    .stack_size(256 * 1024)
                    .spawn(move || f.serve(conn));
                match spawned {
                    Ok(_) => trouble.over(),
                    // The connection went down with the closure: it is closed.
                    Err(e) => trouble.hit(&format!("cannot start a thread for a connection: {e}")),
                }
            }
            Err(e) => match e.kind() {
                io::ErrorKind::Interrupted | io::ErrorKind::ConnectionAborted => {}
                _ => trouble.hit(&format!("cannot accept a connection: {e}")),
            },
        }
    }
}

/// A run of failures: the first is logged, then each waits longer (10 ms doubling to 1 s);
/// the first success logs the recovery.
#[derive(Default)]
struct Trouble {
    failures: u32,
}

impl Trouble {
    fn hit(&mut self, what: &str) {
        if self.failures == 0 {
            crate::util::stderr_line(&format!(
                "rollcall: {what}; still serving, retrying as connections close"
            ));
        }
        self.failures = self.failures.saturating_add(1);
        let pause = Duration::from_millis(10 << self.failures.min(7)).min(Duration::from_secs(1));
        std::thread::sleep(pause);
    }

    fn over(&mut self) {
        if self.failures > 0 {
            crate::util::stderr_line(&format!(
                "rollcall: accepting connections again (after {} failed attempts)",
                self.failures
            ));
            self.failures = 0;
        }
    }
}

/// Why reading a head ended without one.
enum HeadFail {
    /// Closed, reset, idle too long or evicted: nothing to answer.
    Gone,
    Refuse(Refusal),
}

impl Front {
    /// One client connection, on its own thread: read and check the head, hand it on, copy
    /// the answer back.
    fn serve(&self, conn: Conn) {
        let s: &TcpStream = &conn.stream;
        let _ = s.set_nodelay(true);
        if s.set_read_timeout(Some(self.limits.idle)).is_err()
            || s.set_write_timeout(Some(self.limits.stall)).is_err()
        {
            return;
        }
        let checked = match self.read_head(s) {
            Ok(bytes) => head::parse(&bytes).and_then(|h| head::check(&h, &self.site)),
            Err(HeadFail::Gone) => return,
            Err(HeadFail::Refuse(r)) => Err(r),
        };
        let forward = match checked {
            Ok(f) => f,
            Err(r) => return self.refuse(&conn, &r),
        };
        self.registry.busy(conn.id);
        let Some(_slot) = self.slots.acquire(self.limits.queue) else {
            return self.refuse(
                &conn,
                &Refusal::new(503, "the server is busy; try again shortly"),
            );
        };
        let backend = match self.backend.connect() {
            Ok(b) => b,
            Err(e) => {
                crate::util::stderr_line(&format!(
                    "rollcall: {} {}: cannot reach the request handlers: {e}",
                    forward.method, forward.target
                ));
                return self.refuse(
                    &conn,
                    &Refusal::new(503, "the server is busy; try again shortly"),
                );
            }
        };
        match self.relay(backend, s, &forward.bytes) {
            Relayed::Done => linger(s),
            Relayed::NothingSent => self.refuse(
                &conn,
                &Refusal::new(502, "the request's handler gave no answer"),
            ),
            // Closed at once: whatever the client has is visibly incomplete.
            Relayed::Cut => {}
        }
    }

    /// Reads until the head is complete, never holding more than [`Scanner::MAX_HEAD`] bytes.
    fn read_head(&self, s: &TcpStream) -> Result<Vec<u8>, HeadFail> {
        let started = Instant::now();
        let mut scanner = Scanner::default();
        let mut buf = Vec::with_capacity(2048);
        let mut chunk = [0u8; 4096];
        loop {
            if started.elapsed() > self.limits.head {
                return Err(HeadFail::Gone);
            }
            let want = chunk.len().min(Scanner::MAX_HEAD + 1 - buf.len());
            let n = match (&*s).read(&mut chunk[..want]) {
                Ok(0) | Err(_) => return Err(HeadFail::Gone),
                Ok(n) => n,
            };
            buf.extend_from_slice(&chunk[..n]);
            match scanner.scan(&buf) {
                Scan::Complete(end) => {
                    buf.truncate(end);
                    return Ok(buf);
                }
                Scan::Refuse(r) => return Err(HeadFail::Refuse(r)),
                Scan::More if buf.len() > Scanner::MAX_HEAD => {
                    // The scanner refuses before this; kept so memory is bounded regardless.
                    return Err(HeadFail::Refuse(Refusal::new(
                        431,
                        "the request head is too large",
                    )));
                }
                Scan::More => {}
            }
        }
    }

    /// Answers a request the front refuses, then lingers so the client reads the answer.
    fn refuse(&self, conn: &Conn, r: &Refusal) {
        let mut reply = Reply::error(r.status, &r.message);
        if let Some(allow) = r.allow {
            reply = reply.with_header("Allow", allow.to_string());
        }
        let s: &TcpStream = &conn.stream;
        let _ = (&*s).write_all(&reply.to_http(&self.csp));
        // Evictable again: a client that keeps sending after its answer holds no slot for long.
        self.registry.idle(conn.id);
        linger(s);
    }

    /// Sends the checked head to tiny_http and copies its answer to the client, adding
    /// `Connection: close` to the answer's head.
    fn relay(&self, mut backend: UnixStream, client: &TcpStream, head: &[u8]) -> Relayed {
        let _ = backend.set_write_timeout(Some(self.limits.stall));
        let _ = backend.set_read_timeout(Some(self.limits.backend));
        if backend.write_all(head).is_err() {
            return Relayed::NothingSent;
        }
        let mut buf = vec![0u8; 64 * 1024];
        let mut answer_head: Vec<u8> = Vec::new();
        // The answer's head (ours, from tiny_http: small and well-formed).
        let rest = loop {
            let n = match backend.read(&mut buf) {
                Ok(0) | Err(_) => return Relayed::NothingSent,
                Ok(n) => n,
            };
            answer_head.extend_from_slice(&buf[..n]);
            if let Some(end) = answer_head.windows(4).position(|w| w == b"\r\n\r\n") {
                break answer_head.split_off(end + 2);
            }
            if answer_head.len() > 64 * 1024 {
                return Relayed::NothingSent;
            }
        };
        answer_head.extend_from_slice(b"Connection: close\r\n");
        answer_head.extend_from_slice(&rest);
        let mut meter = Meter::new();
        if meter.write(client, &answer_head).is_err() {
            return Relayed::Cut;
        }
        loop {
            let n = match backend.read(&mut buf) {
                Ok(0) => return Relayed::Done,
                Ok(n) => n,
                // The handler stopped mid-answer: the client must not take a cut body for a
                // whole one, so the connection is closed without the end of the body.
                Err(_) => return Relayed::Cut,
            };
            if meter.write(client, &buf[..n]).is_err() {
                return Relayed::Cut;
            }
        }
    }
}

enum Relayed {
    Done,
    /// The handler closed before its answer began.
    NothingSent,
    /// The answer was cut short (the client left or stalled, or the handler failed).
    Cut,
}

/// Bytes written to a client and the time spent blocked writing them: a client reading
/// slower than `MIN_RATE` on average, once it has been waited on for `GRACE`, is dropped, so
/// a trickling reader cannot hold a download for hours.
struct Meter {
    bytes: u64,
    blocked: Duration,
}

const MIN_RATE: u64 = 4 * 1024;
const GRACE: Duration = Duration::from_secs(60);

impl Meter {
    fn new() -> Meter {
        Meter {
            bytes: 0,
            blocked: Duration::ZERO,
        }
    }

    fn write(&mut self, mut client: &TcpStream, bytes: &[u8]) -> io::Result<()> {
        let t = Instant::now();
        client.write_all(bytes)?;
        self.blocked += t.elapsed();
        self.bytes += bytes.len() as u64;
        if self.blocked > GRACE && self.bytes < MIN_RATE * self.blocked.as_secs() {
            return Err(io::Error::new(io::ErrorKind::TimedOut, "client too slow"));
        }
        Ok(())
    }
}

/// Ends a connection so the client reads what it was sent: stop writing, then read and
/// discard whatever it still sends (at most 2 s and 8 MiB) before closing. Closing with unread
/// bytes would reset the connection, and a reset can destroy an answer not yet read.
fn linger(s: &TcpStream) {
    let _ = s.shutdown(Shutdown::Write);
    let _ = s.set_read_timeout(Some(Duration::from_millis(500)));
    let started = Instant::now();
    let mut drained = 0usize;
    let mut buf = [0u8; 16 * 1024];
    while started.elapsed() < Duration::from_secs(2) && drained < 8 << 20 {
        match (&*s).read(&mut buf) {
            Ok(0) | Err(_) => break,
            Ok(n) => drained += n,
        }
    }
}

/// Open client connections, oldest first. Full, it evicts the oldest connection still sending
/// its head (shutting its socket down wakes its thread); if every one is busy, the newcomer
/// is closed at once.
struct Registry {
    cap: usize,
    open: Mutex<Open>,
}

#[derive(Default)]
struct Open {
    next: u64,
    conns: BTreeMap<u64, Entry>,
}

struct Entry {
    stream: Arc<TcpStream>,
    evictable: bool,
}

/// A registered connection; unregistered when its thread drops it.
struct Conn {
    id: u64,
    stream: Arc<TcpStream>,
    registry: Arc<Registry>,
}

impl Drop for Conn {
    fn drop(&mut self) {
        self.registry.lock().conns.remove(&self.id);
    }
}

impl Registry {
    fn new(cap: usize) -> Registry {
        Registry {
            cap,
            open: Mutex::new(Open::default()),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Open> {
        self.open.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn admit(self: &Arc<Self>, stream: TcpStream) -> Option<Conn> {
        let mut open = self.lock();
        if open.conns.len() >= self.cap {
            let oldest = open
                .conns
                .iter()
                .find(|(_, e)| e.evictable)
                .map(|(id, _)| *id);
            match oldest.and_then(|id| open.conns.remove(&id)) {
                Some(e) => {
                    let _ = e.stream.shutdown(Shutdown::Both);
                }
                None => {
                    drop(open);
                    let _ = stream.shutdown(Shutdown::Both);
                    return None;
                }
            }
        }
        let id = open.next;
        open.next += 1;
        let stream = Arc::new(stream);
        open.conns.insert(
            id,
            Entry {
                stream: stream.clone(),
                evictable: true,
            },
        );
        Some(Conn {
            id,
            stream,
            registry: self.clone(),
        })
    }

    fn set(&self, id: u64, evictable: bool) {
        if let Some(e) = self.lock().conns.get_mut(&id) {
            e.evictable = evictable;
        }
    }

    /// The connection's request is being answered: not evicted for a newcomer.
    fn busy(&self, id: u64) {
        self.set(id, false);
    }

    fn idle(&self, id: u64) {
        self.set(id, true);
    }
}

/// A counting semaphore: at most `n` requests handed on at once.
struct Semaphore {
    free: Mutex<usize>,
    freed: Condvar,
}

struct Permit<'a>(&'a Semaphore);

impl Drop for Permit<'_> {
    fn drop(&mut self) {
        *self.0.free.lock().unwrap_or_else(|e| e.into_inner()) += 1;
        self.0.freed.notify_one();
    }
}

impl Semaphore {
    fn new(n: usize) -> Semaphore {
        Semaphore {
            free: Mutex::new(n),
            freed: Condvar::new(),
        }
    }

    fn acquire(&self, wait: Duration) -> Option<Permit<'_>> {
        let deadline = Instant::now() + wait;
        let mut free = self.free.lock().unwrap_or_else(|e| e.into_inner());
        while *free == 0 {
            let left = deadline.checked_duration_since(Instant::now())?;
            free = self
                .freed
                .wait_timeout(free, left)
                .unwrap_or_else(|e| e.into_inner())
                .0;
        }
        *free -= 1;
        Some(Permit(self))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limits_leave_descriptors_for_everything_else() {
        let l = Limits::for_descriptors(1024, Duration::from_secs(10));
        assert_eq!(l.forwarded, 64);
        assert_eq!(l.clients, 1024 - RESERVED_FDS - 128);
        // Each forwarded request holds two descriptors beyond its client's.
        assert!(l.clients + 2 * l.forwarded + RESERVED_FDS / 2 < 1024);
        let tiny = Limits::for_descriptors(256, Duration::from_secs(10));
        assert!(tiny.clients >= 8 && tiny.forwarded >= 4);
        assert_eq!(
            Limits::for_descriptors(1 << 20, Duration::from_secs(10)).clients,
            1024
        );
        assert_eq!(
            Limits::for_descriptors(1024, Duration::from_secs(20)).backend,
            Duration::from_secs(240)
        );
    }

    #[test]
    fn the_registry_evicts_the_oldest_idle_connection() {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let mut clients = Vec::new();
        let mut accept = || {
            clients.push(TcpStream::connect(addr).unwrap());
            listener.accept().unwrap().0
        };
        let reg = Arc::new(Registry::new(2));
        let a = reg.admit(accept()).unwrap();
        let b = reg.admit(accept()).unwrap();
        reg.busy(a.id);
        // Full: b (the oldest evictable) makes room; its socket is shut down.
        let c = reg.admit(accept()).unwrap();
        let mut byte = [0u8; 1];
        assert_eq!((&*b.stream).read(&mut byte).unwrap(), 0, "b was shut down");
        assert!(reg.lock().conns.contains_key(&a.id));
        reg.busy(c.id);
        // Full of busy connections: the newcomer is turned away.
        assert!(reg.admit(accept()).is_none());
        drop(a);
        assert!(
            reg.admit(accept()).is_some(),
            "room once a connection closes"
        );
    }

    #[test]
    fn the_semaphore_bounds_and_times_out() {
        let s = Semaphore::new(1);
        let p = s.acquire(Duration::ZERO).unwrap();
        assert!(s.acquire(Duration::from_millis(20)).is_none());
        drop(p);
        assert!(s.acquire(Duration::ZERO).is_some());
    }
}
