//! `rollcall serve`: the console's Users section over HTTP, for a browser on this machine.
//!
//! Three layers, each distrusting what is in front of it:
//! - [`front`] owns the TCP side: the accept loop, a cap on open client connections, the
//!   request head read and checked under time and size limits ([`head`]), the copy of each
//!   answer back to the client under a write timeout.
//! - [`backend`]: tiny_http parses each checked request, reached over a Unix socket in a
//!   private 0700 folder, one request per connection.
//! - [`pool`]: a fixed pool of workers takes requests from tiny_http and answers them through
//!   [`routes`] (the JSON API, with [`params`] checking every value) on pooled read-only
//!   DuckDB connections under `--query-timeout`; two small bulk pools stream downloads and the
//!   report page, and send large replies. [`reply`] shapes every answer and its headers.
//!
//! What is protected:
//! - Reach: binds 127.0.0.1 unless `--bind` says otherwise (with a warning); `Host` must be
//!   `localhost`, a loopback or the bound address with this port (421 otherwise: DNS
//!   rebinding); tiny_http is reachable only through the front.
//! - Memory: a request line over 8 KiB is 414, headers over 16 KiB or 100 lines 431, both
//!   decided as the bytes arrive, so a client sending 1 GB of header makes the server hold at
//!   most about 28 KiB for it. No request body is accepted (a body on GET or HEAD is 400, on
//!   the POST actions 413).
//!   Every parameter value has a length cap checked before any work (an email over 320
//!   characters is 400), `limit` is at most 1,000, downloads are streamed.
//! - Threads and descriptors: open client connections are capped from the open-file limit
//!   (at most 1,024; `serve` refuses to start under 256, where too few would be left for
//!   DuckDB); when full, the oldest connection still sending its head is dropped for
//!   the newcomer; a client silent for 10 s while sending its head, or taking over 20 s for
//!   it, is dropped. At most 64 requests are handed on at once. Failing to accept (EMFILE) or
//!   to start a thread is logged, waited out, and survived; so is tiny_http's accept loop
//!   stopping (a new one replaces it).
//! - Time: every request's queries run under `--query-timeout` (DuckDB's interrupt; a 503
//!   with `Retry-After`, and the server carries on). A panic in a handler is a 500 for that
//!   request, logged. Workers never write to a slow client: downloads and the report page go
//!   to a download pool (2 to 8 threads), replies over 64 KiB to a senders' pool (16), each
//!   answering 503 when full; the front drops a client whose reads stall for 30 s or average
//!   under 4 KiB/s once it has been waited on for a minute.
//! - The browser: every response carries the report's Content-Security-Policy with
//!   `frame-ancestors 'none'`, `nosniff`, `no-referrer`, `no-store` and same-origin resource
//!   policy; only known routes exist, matched on the raw path, and no file-system path is
//!   built from a URL. State-changing routes (the console's actions, [`actions`]) go through
//!   one guard: POST only, no body, refused when `Sec-Fetch-Site` or `Origin` shows another
//!   site ([`head::guard_state_change`]).
//!
//! What is not: there is no authentication and no TLS, so anyone who can reach the port reads
//! everything (hence loopback by default); any local user can connect to 127.0.0.1. One
//! connection per request (no keep-alive). A client can hold a connection slot for up to 20 s
//! without finishing its head, and a download or sender slot for as long as it keeps reading at
//! 4 KiB/s; enough such clients make downloads and large replies answer 503 (never the workers
//! that answer everything else). Pages are answered
//! in order of arrival, with no priority between clients. HTTP/1.1 only (505 otherwise).

mod actions;
mod backend;
mod cache;
mod front;
mod head;
mod history;
mod params;
mod pool;
mod reply;
mod routes;
mod signals;

use std::io::Write;
use std::net::{IpAddr, SocketAddr, TcpListener};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Result;

use crate::domain::FilterSet;
use crate::read::ReadRequest;
use crate::report::Templates;
use crate::sql::Sql;

pub(crate) struct ServerConfig {
    pub(crate) db: PathBuf,
    pub(crate) sql: Sql,
    pub(crate) templates: Templates,
    /// The snapshot, as-of and window given on the command line: defaults each request may
    /// change.
    pub(crate) request: ReadRequest,
    /// The filters given on the command line: the server's fixed scope, which query
    /// parameters narrow.
    pub(crate) filters: FilterSet,
    pub(crate) title: String,
    pub(crate) bind: IpAddr,
    pub(crate) port: u16,
    pub(crate) open: bool,
    pub(crate) workers: usize,
    pub(crate) query_timeout: Duration,
    /// The bound of the API answers' cache (0: none).
    pub(crate) cache_bytes: usize,
    /// DuckDB's memory bound for the server's queries (past it, it spills to the server's
    /// private temporary folder).
    pub(crate) memory_limit: u64,
    /// What Send Reminder and the preview are made with.
    pub(crate) actions: Actions,
    /// The seats bought when a snapshot has none recorded, and their source (`--seats`).
    pub(crate) seats: Option<(i64, &'static str)>,
}

pub(crate) use actions::{Actions, REMIND_MAX};

/// Serves until stopped by a signal; returns only if it cannot start.
pub(crate) fn serve(cfg: ServerConfig) -> Result<()> {
    let nofile = signals::open_file_limit();
    if nofile < front::MIN_OPEN_FILES {
        return Err(crate::error::Failure::Usage(format!(
            "the open-file limit is {nofile}: serve needs at least {} (raise it with ulimit -n)",
            front::MIN_OPEN_FILES
        ))
        .into());
    }
    let addr = SocketAddr::new(cfg.bind, cfg.port);
    let listener =
        TcpListener::bind(addr).map_err(|e| anyhow::anyhow!("cannot listen on {addr}: {e}"))?;
    let port = listener.local_addr()?.port();
    let backend = Arc::new(backend::Backend::start()?);
    let csp = crate::report::csp(&cfg.templates)?;
    let panic_route = std::env::var("ROLLCALL_TEST_PANIC_ROUTE").is_ok_and(|v| v == "1");
    let shared = Arc::new(pool::Shared {
        scope: params::Scope {
            request: cfg.request,
            filters: cfg.filters,
        },
        templates: cfg.templates,
        title: cfg.title,
        connections: Arc::new(pool::Connections::new(
            cfg.db,
            cfg.sql,
            cfg.memory_limit,
            backend.dir().join("spill"),
        )),
        watchdog: pool::Watchdog::start()?,
        downloads: pool::Bulk::new("download", (cfg.workers / 2).clamp(2, 8)),
        senders: pool::Bulk::new("sender", 16),
        backend: backend.clone(),
        csp: csp.clone(),
        query_timeout: cfg.query_timeout,
        cache: cache::Cache::new(cfg.cache_bytes),
        actions: cfg.actions,
        panic_route,
        seats: cfg.seats,
    });
    pool::start(&shared, cfg.workers)?;
    shared.connections.watch_for_writers()?;
    signals::stop_cleanly_on_signal(backend.dir())?;
    log_panics_on_one_line();

    let url = format!("http://{}/", SocketAddr::new(shown(cfg.bind), port));
    // Best effort: with standard output closed the server still serves.
    let mut out = std::io::stdout();
    let _ = writeln!(out, "serving {url}").and_then(|_| out.flush());
    crate::util::stderr_line("rollcall: Ctrl-C to stop");
    if !cfg.bind.is_loopback() {
        crate::util::stderr_line(&format!(
            "rollcall: warning: listening on {}: anyone who can reach this machine's port {port} can read every user, with no password and no encryption",
            cfg.bind
        ));
    }
    if panic_route {
        crate::util::stderr_line(
            "rollcall: ROLLCALL_TEST_PANIC_ROUTE=1: /__panic panics (for tests only)",
        );
    }
    if cfg.open {
        open_browser(&url);
    }
    let limits = front::Limits::for_descriptors(nofile, cfg.query_timeout);
    let site = head::Site::new(cfg.bind, port);
    front::run(
        listener,
        Arc::new(front::Front::new(site, limits, backend, csp)),
    )
}

/// The address a browser on this machine uses: the bound one, or loopback for "every interface".
fn shown(bind: IpAddr) -> IpAddr {
    match bind {
        IpAddr::V4(a) if a.is_unspecified() => IpAddr::V4(std::net::Ipv4Addr::LOCALHOST),
        IpAddr::V6(a) if a.is_unspecified() => IpAddr::V6(std::net::Ipv6Addr::LOCALHOST),
        other => other,
    }
}

/// A panic in a handler is answered 500 and logged: one line, no backtrace hint.
fn log_panics_on_one_line() {
    std::panic::set_hook(Box::new(|info| {
        let thread = std::thread::current();
        crate::util::stderr_line(&format!(
            "rollcall: internal error in {}: {}",
            thread.name().unwrap_or("a thread"),
            info.to_string().replace('\n', " ")
        ));
    }));
}

/// The program `serve --open` hands the address to (doctor checks it is there).
pub(crate) const BROWSER_OPENER: &str = if cfg!(target_os = "macos") {
    "open"
} else {
    "xdg-open"
};

/// Starts the system's browser on `url`; a failure is a warning, never fatal.
fn open_browser(url: &str) {
    let opener = BROWSER_OPENER;
    let spawned = std::process::Command::new(opener)
        .arg(url)
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn();
    let warn = move |why: String| {
        crate::util::stderr_line(&format!(
            "rollcall: warning: could not open a browser ({opener}: {why}); open {url} yourself"
        ))
    };
    match spawned {
        Err(e) => warn(e.to_string()),
        Ok(mut child) => {
            let url = url.to_string();
            let _ = std::thread::Builder::new()
                .name("rollcall-browser".into())
                .spawn(move || match child.wait() {
                    Ok(s) if s.success() => {}
                    Ok(s) => crate::util::stderr_line(&format!(
                        "rollcall: warning: could not open a browser ({opener} exited with {s}); open {url} yourself"
                    )),
                    Err(e) => crate::util::stderr_line(&format!(
                        "rollcall: warning: could not open a browser ({opener}: {e}); open {url} yourself"
                    )),
                });
        }
    }
}
