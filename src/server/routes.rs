//! The routes: a fixed table matched on the raw path (nothing is decoded before matching and
//! no file-system path is ever built from a URL, so `/../`, `%2e%2e` and the like are simply
//! unknown: 404), each turning its parameters into the library's values and calling the read
//! layer, `export` or `report` as the CLI does. API routes answer on the worker (a large reply
//! is sent by the senders' pool); downloads and the report page go to the downloads' pool,
//! whose threads stream them.

use std::io::Write;
use std::panic::{catch_unwind, AssertUnwindSafe};

use anyhow::Result;
use serde::Serialize;
use tiny_http::{Method, Request};

use super::actions;
use super::history;
use super::params::{self, Params, View};
use super::pool::{BulkJob, Shared};
use super::reply::{self, Reply};
use crate::bounds::{Stopwatch, Unclocked};
use crate::domain::{FilterSet, DEFAULT_COLUMNS, EXPORT_COLUMNS};
use crate::export::{self, ExportSpec, Format};
use crate::model::{InputMeta, Reject, SnapshotInfo};
use crate::read::{self, Listing, Sort};
use crate::report;

/// A reply larger than this is sent from the senders' pool: a worker must never wait on a slow
/// client, and this much always fits in the Unix socket's buffer to the front.
const INLINE_MAX: usize = 64 * 1024;
/// The most users (or rejects) one API page holds.
const PAGE_MAX: u64 = 1000;
/// The most notices `/api/summary` lists (`quality.notices_total` counts them all): the console
/// asks for the summary on every change of its filters.
const SUMMARY_NOTICES_MAX: usize = 100;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Route {
    Page,
    Health,
    Users,
    Summary,
    User,
    Snapshots,
    Rejects,
    /// `/snapshots` and `/rejects`: the console's HTML pages beside the list.
    SnapshotsPage,
    RejectsPage,
    Download(Format),
    Manifest,
    /// `/users.csv` and `/manifest.json`, as before the API: the scope's guarded CSV.
    OldCsv,
    OldManifest,
    /// The console's actions (`actions.rs`): the preview is a read; the others change state.
    RemindPreview,
    Remind,
    Mark,
    Worklist,
    WorklistPage,
    WorklistCsv,
    TodoCsv,
    /// Onboarding over time (`history.rs`).
    Diff,
    Trend,
    DiffPage,
    Panic,
}

impl Route {
    fn of(path: &str, panic_route: bool) -> Option<Route> {
        Some(match path {
            "/" | "/index.html" => Route::Page,
            "/healthz" => Route::Health,
            "/api/users" => Route::Users,
            "/api/summary" => Route::Summary,
            "/api/user" => Route::User,
            "/api/snapshots" => Route::Snapshots,
            "/api/rejects" => Route::Rejects,
            "/snapshots" => Route::SnapshotsPage,
            "/rejects" => Route::RejectsPage,
            "/export.csv" => Route::Download(Format::Csv),
            "/export.json" => Route::Download(Format::Json),
            "/export.parquet" => Route::Download(Format::Parquet),
            "/export.manifest.json" => Route::Manifest,
            "/users.csv" => Route::OldCsv,
            "/manifest.json" => Route::OldManifest,
            "/api/remind/preview" => Route::RemindPreview,
            "/api/remind" => Route::Remind,
            "/api/worklist/mark" => Route::Mark,
            "/api/worklist" => Route::Worklist,
            "/worklist" => Route::WorklistPage,
            "/worklist.csv" => Route::WorklistCsv,
            "/licenses-todo.csv" => Route::TodoCsv,
            "/api/diff" => Route::Diff,
            "/api/trend" => Route::Trend,
            "/diff" => Route::DiffPage,
            "/__panic" if panic_route => Route::Panic,
            _ => return None,
        })
    }

    /// The parameters the route takes beyond [`params::COMMON`].
    fn extra(self) -> &'static [&'static str] {
        match self {
            Route::Users => &["sort", "columns", "limit", "offset"],
            Route::User => &["email"],
            Route::Rejects | Route::RejectsPage => &["limit", "offset"],
            Route::Download(_) => &["sort", "columns"],
            Route::Manifest => &["sort", "columns", "format"],
            Route::RemindPreview => &["email"],
            Route::Remind => &["email", "force"],
            Route::Mark => &["email", "action", "note"],
            Route::TodoCsv => &["reclaim-after"],
            Route::Diff | Route::DiffPage => {
                &["from", "to", "side", "transition", "offset", "limit"]
            }
            _ => &[],
        }
    }

    /// Whether the route changes state: POST only, never cached (the front's guard has
    /// checked where the request comes from: `head::STATE_CHANGING` names the same paths).
    fn changes_state(self) -> bool {
        matches!(self, Route::Remind | Route::Mark)
    }
}

/// What a worker does with a request: answer it now, or hand it to the bulk pool.
enum Plan {
    Now(Reply),
    Bulk(BulkJob),
}

/// Answers one request (on a worker). A panic in a handler is a 500 for this request alone,
/// logged; the worker goes on.
pub(super) fn handle(shared: &Shared, rq: Request) {
    let head_only = *rq.method() == Method::Head;
    let post = *rq.method() == Method::Post;
    let url = rq.url().to_string();
    let plan = catch_unwind(AssertUnwindSafe(|| plan(shared, &url, head_only, post)));
    match plan {
        Ok(Ok(Plan::Now(reply))) => send(shared, rq, reply),
        Ok(Ok(Plan::Bulk(job))) => {
            if let Some(rq) = shared.downloads.submit(job, rq) {
                send(shared, rq, busy("every download slot is busy"));
            }
        }
        Ok(Err(e)) => {
            let reply = reply::from_error(&e);
            if reply.status >= 500 {
                crate::util::stderr_line(&format!("rollcall: {url}: {e:#}"));
            }
            send(shared, rq, reply)
        }
        Err(_) => {
            crate::util::stderr_line(&format!(
                "rollcall: {url}: a handler panicked (logged above); answered 500"
            ));
            send(
                shared,
                rq,
                Reply::error(500, "internal error: the server's log says more"),
            )
        }
    }
}

fn busy(what: &str) -> Reply {
    Reply::error(503, &format!("{what}; try again in a moment"))
}

/// Sends a reply: small ones at once, large ones from the senders' pool.
fn send(shared: &Shared, rq: Request, reply: Reply) {
    let reply = for_people(shared, rq.url(), reply);
    if reply.body.len() <= INLINE_MAX {
        let _ = rq.respond(reply.into_response(&shared.csp));
        return;
    }
    let job: BulkJob = Box::new(move |s: &Shared, rq: Request| {
        let _ = rq.respond(reply.into_response(&s.csp));
    });
    if let Some(rq) = shared.senders.submit(job, rq) {
        let _ =
            rq.respond(busy("too many large answers are being sent").into_response(&shared.csp));
    }
}

fn plan(shared: &Shared, url: &str, head_only: bool, post: bool) -> Result<Plan> {
    let (path, query) = url.split_once('?').unwrap_or((url, ""));
    let Some(route) = Route::of(path, shared.panic_route) else {
        return Ok(Plan::Now(Reply::error(404, "no such page")));
    };
    // The front lets only these through as POST; this is the second lock on the same door.
    if route.changes_state() != post {
        let allow = if route.changes_state() {
            "POST"
        } else {
            "GET, HEAD"
        };
        return Ok(Plan::Now(
            Reply::error(405, &format!("{path}: only {allow}")).with_header("Allow", allow.into()),
        ));
    }
    // The console page's own state (filters, search, sort, page, user) is its script's to apply,
    // and to say what it ignored; only the scope (snapshot, as-of, window) is the server's.
    let query = if route == Route::Page {
        query
            .split('&')
            .filter(|kv| {
                let key = kv.split('=').next().unwrap_or_default();
                matches!(key, "snapshot" | "as-of" | "window-days")
            })
            .collect::<Vec<_>>()
            .join("&")
    } else {
        query.to_string()
    };
    let p = Params::parse(&query, route.extra())?;
    let view = params::view(&p, &shared.scope)?;
    Ok(match route {
        Route::Health => Plan::Now(Reply::text(200, "ok")),
        Route::Panic => panic!("a test panic (ROLLCALL_TEST_PANIC_ROUTE is set)"),
        Route::Users => Plan::Now(cached(shared, url, || users(shared, &p, &view))?),
        Route::Summary => Plan::Now(cached(shared, url, || {
            Ok(Reply::json(&shared.read(&view.request, |r, _| {
                r.check(&view.filters)?;
                let mut summary = r.summary(&view.filters)?;
                summary.quality.cap_notices(SUMMARY_NOTICES_MAX);
                Ok(summary)
            })?))
        })?),
        Route::User => Plan::Now(cached(shared, url, || user(shared, &p, &view))?),
        Route::Snapshots => Plan::Now(snapshots(shared)?),
        Route::Rejects => Plan::Now(rejects(shared, &p, &view)?),
        Route::RemindPreview => Plan::Now(actions::preview(shared, &p, &view)?),
        Route::Remind => Plan::Now(actions::remind(shared, &p, &view)?),
        Route::Mark => Plan::Now(actions::mark(shared, &p, &view)?),
        Route::Worklist => Plan::Now(actions::worklist(shared, &view)?),
        Route::WorklistPage => Plan::Now(actions::worklist_page(shared, &view)?),
        Route::WorklistCsv => Plan::Now(actions::worklist_csv(shared, &view)?),
        Route::TodoCsv => Plan::Now(actions::todo_csv(shared, &p, &view)?),
        Route::Diff => Plan::Now(cached(shared, url, || {
            history::diff_json(shared, &p, &view)
        })?),
        Route::Trend => Plan::Now(cached(shared, url, || {
            history::trend_json(shared, &p, &view)
        })?),
        Route::DiffPage => Plan::Now(history::diff_page(shared, &p, &view, &query)?),
        Route::SnapshotsPage => Plan::Now(snapshots_page(shared)?),
        Route::RejectsPage => Plan::Now(rejects_page(shared, &p, &view)?),
        Route::Page => {
            let request = view.request;
            Plan::Bulk(Box::new(move |s: &Shared, rq: Request| {
                let reply = page(s, &request).unwrap_or_else(|e| error_reply(&rq, &e));
                let reply = for_people(s, rq.url(), reply);
                let _ = rq.respond(reply.into_response(&s.csp));
            }))
        }
        Route::Download(format) => {
            let spec = spec(&p, view.filters.clone(), format)?;
            let name = Named::Download(format);
            Plan::Bulk(download(view, spec, name, head_only))
        }
        Route::OldCsv => {
            let spec = report::export_spec(&view.filters);
            Plan::Bulk(download(view, spec, Named::Fixed("users.csv"), head_only))
        }
        Route::Manifest => {
            let format = match p.one("format").unwrap_or("csv") {
                "csv" => Format::Csv,
                "json" => Format::Json,
                "parquet" => Format::Parquet,
                other => {
                    return Err(crate::error::Failure::Usage(format!(
                        "format={}: expected one of csv, json, parquet",
                        crate::util::echo(other)
                    ))
                    .into())
                }
            };
            let spec = spec(&p, view.filters.clone(), format)?;
            Plan::Bulk(manifest(view, spec, Named::Download(format)))
        }
        Route::OldManifest => {
            let spec = report::export_spec(&view.filters);
            Plan::Bulk(manifest(view, spec, Named::Fixed("users.csv")))
        }
    })
}

/// The kept answer to this URL, or `answer()`'s, kept. The generation is read before the
/// answer's connection is leased: an answer read just after an ingest is newer than its key
/// says, never older.
fn cached(shared: &Shared, url: &str, answer: impl FnOnce() -> Result<Reply>) -> Result<Reply> {
    let generation = shared.connections.generation();
    if let Some(hit) = shared.cache.get(generation, url) {
        return Ok(hit);
    }
    let reply = answer()?;
    shared.cache.put(generation, url, &reply);
    Ok(reply)
}

/// A refusal of a page a person opens (`/`, `/snapshots`, `/rejects`: a stale link, a snapshot
/// that is gone, a bad as-of) as a page that says why, with the same status and headers, rather
/// than the API's JSON.
fn for_people(shared: &Shared, url: &str, reply: Reply) -> Reply {
    let path = url.split_once('?').map_or(url, |(p, _)| p);
    let for_people = matches!(
        path,
        "/" | "/index.html" | "/snapshots" | "/rejects" | "/worklist" | "/diff"
    );
    if !for_people || reply.status < 400 || !reply.content_type.starts_with("application/json") {
        return reply;
    }
    let message = serde_json::from_slice::<serde_json::Value>(&reply.body)
        .ok()
        .and_then(|v| v["error"].as_str().map(String::from))
        .unwrap_or_else(|| String::from_utf8_lossy(&reply.body).into_owned());
    match report::side_page(
        report::SidePage::Refused {
            status: reply.status,
            message: &message,
        },
        &shared.title,
        &shared.templates,
    ) {
        Ok(page) => {
            let mut html = html_reply(page);
            html.status = reply.status;
            html.headers = reply.headers;
            html
        }
        Err(_) => reply,
    }
}

fn error_reply(rq: &Request, e: &anyhow::Error) -> Reply {
    let reply = reply::from_error(e);
    if reply.status >= 500 {
        crate::util::stderr_line(&format!("rollcall: {}: {e:#}", rq.url()));
    }
    reply
}

// ---------------------------------------------------------------------------------------------
// The API

fn listing(p: &Params, filters: FilterSet, default: &[&'static str]) -> Result<Listing> {
    Ok(Listing {
        columns: read::resolve_columns(&p.list("columns"), default)?,
        sort: Sort::parse(p.one("sort"))?,
        filters,
    })
}

fn users(shared: &Shared, p: &Params, view: &View) -> Result<Reply> {
    let listing = listing(p, view.filters.clone(), DEFAULT_COLUMNS)?;
    let limit = p.number("limit", PAGE_MAX)?.unwrap_or(50);
    let offset = p.number("offset", i64::MAX as u64)?.unwrap_or(0);
    let json = shared.read(&view.request, |r, _| {
        r.check(&listing.filters)?;
        let page = r.page(&listing, Some(limit), offset)?;
        Ok(read::users_json(&page, r.scope(), &listing))
    })?;
    Ok(Reply::json(&json))
}

fn user(shared: &Shared, p: &Params, view: &View) -> Result<Reply> {
    let email = p.one("email").unwrap_or_default().trim();
    if email.is_empty() {
        return Err(crate::error::Failure::Usage("email: required (email=ADDRESS)".into()).into());
    }
    let detail = shared.read(&view.request, |r, _| {
        r.check(&view.filters)?;
        actions::in_view(r, view, email)
    })?;
    Ok(Reply::json(&detail))
}

#[derive(Serialize)]
struct SnapshotJson {
    #[serde(flatten)]
    snapshot: SnapshotInfo,
    inputs: Vec<InputMeta>,
}

#[derive(Serialize)]
struct SnapshotsJson {
    latest: Option<i64>,
    snapshots: Vec<SnapshotJson>,
}

fn snapshots(shared: &Shared) -> Result<Reply> {
    let json = shared.session(|lease, _| {
        let store = lease.store()?;
        let snapshots = store
            .snapshots()?
            .into_iter()
            .map(|s| {
                Ok(SnapshotJson {
                    inputs: store.inputs(s.id)?,
                    snapshot: s,
                })
            })
            .collect::<Result<Vec<_>>>()?;
        Ok(SnapshotsJson {
            latest: snapshots.last().map(|s| s.snapshot.id),
            snapshots,
        })
    })?;
    Ok(Reply::json(&json))
}

#[derive(Serialize)]
struct RejectsJson {
    snapshot: i64,
    total: u64,
    offset: u64,
    limit: u64,
    count: usize,
    rejects: Vec<Reject>,
}

fn rejects(shared: &Shared, p: &Params, view: &View) -> Result<Reply> {
    let limit = p.number("limit", PAGE_MAX)?.unwrap_or(100);
    let offset = p.number("offset", i64::MAX as u64)?.unwrap_or(0);
    let json = shared.read(&view.request, |r, _| {
        let (total, rejects) = r.rejects_page(limit as i64, offset as i64)?;
        Ok(RejectsJson {
            snapshot: r.scope().snapshot.id,
            total,
            offset,
            limit,
            count: rejects.len(),
            rejects,
        })
    })?;
    Ok(Reply::json(&json))
}

/// `/snapshots`: every snapshot, newest first, with its inputs; each opens the console.
fn snapshots_page(shared: &Shared) -> Result<Reply> {
    let list = shared.session(|lease, _| {
        let store = lease.store()?;
        let mut list = Vec::new();
        for info in store.snapshots()?.into_iter().rev() {
            let inputs = store.inputs(info.id)?;
            list.push(report::SnapshotEntry { info, inputs });
        }
        Ok(list)
    })?;
    let html = report::side_page(
        report::SidePage::Snapshots(&list),
        &shared.title,
        &shared.templates,
    )?;
    Ok(html_reply(html))
}

/// `/rejects?snapshot=ID`: a snapshot's rejected rows, a page of them at a time.
fn rejects_page(shared: &Shared, p: &Params, view: &View) -> Result<Reply> {
    let limit = p.number("limit", PAGE_MAX)?.unwrap_or(500);
    let offset = p.number("offset", i64::MAX as u64)?.unwrap_or(0);
    let (snapshot, total, rejects) = shared.read(&view.request, |r, _| {
        let (total, rejects) = r.rejects_page(limit as i64, offset as i64)?;
        Ok((r.scope().snapshot.clone(), total, rejects))
    })?;
    let html = report::side_page(
        report::SidePage::Rejects {
            snapshot: &snapshot,
            rejects: &rejects,
            total,
            offset,
            limit,
        },
        &shared.title,
        &shared.templates,
    )?;
    Ok(html_reply(html))
}

/// An HTML page with no script, under its own policy (the stylesheet's hash alone).
pub(super) fn html_reply(page: report::Html) -> Reply {
    let mut reply = Reply::new(200, "text/html; charset=utf-8", page.body.into_bytes());
    reply.csp = Some(page.csp);
    reply
}

// ---------------------------------------------------------------------------------------------
// The report page and downloads (on the bulk pool)

/// The console page of the scope's filters, for the request's snapshot, as-of and window; the
/// URL's filters are the page's own to apply (it asks the API for its rows and counts).
fn page(shared: &Shared, request: &crate::read::ReadRequest) -> Result<Reply> {
    let (html, csp) = shared.read(request, |r, _| {
        let snapshots = r.store().snapshots()?;
        let html = report::console(
            r,
            &shared.scope.filters,
            &shared.title,
            &shared.templates,
            snapshots,
        )?;
        Ok((html, report::csp(&shared.templates)?))
    })?;
    let mut reply = Reply::new(200, "text/html; charset=utf-8", html.into_bytes());
    reply.csp = Some(csp);
    Ok(reply)
}

/// An export's listing: `columns` and `sort` as `export` takes them; the CSV guarded.
fn spec(p: &Params, filters: FilterSet, format: Format) -> Result<ExportSpec> {
    Ok(ExportSpec {
        listing: listing(p, filters, &EXPORT_COLUMNS)?,
        format,
        guard: format == Format::Csv,
    })
}

/// How a download's file is named.
#[derive(Clone, Copy)]
enum Named {
    /// After the snapshot and filters, as the report page names its download.
    Download(Format),
    Fixed(&'static str),
}

impl Named {
    fn name(self, snapshot: i64, filters: &FilterSet) -> String {
        match self {
            Named::Download(f) => export::download_name(snapshot, filters, extension(f)),
            Named::Fixed(n) => n.to_string(),
        }
    }

    fn attachment(self) -> bool {
        matches!(self, Named::Download(_))
    }
}

fn extension(f: Format) -> &'static str {
    match f {
        Format::Csv => "csv",
        Format::Json => "json",
        Format::Parquet => "parquet",
    }
}

fn content_type(f: Format) -> &'static str {
    match f {
        Format::Csv => "text/csv; charset=utf-8",
        Format::Json => "application/json",
        Format::Parquet => "application/vnd.apache.parquet",
    }
}

/// The manifest `rollcall export -o NAME` writes for the same snapshot, filters, sort and
/// columns, byte for byte: the export is run (into nothing) to hash it.
fn manifest(view: View, spec: ExportSpec, named: Named) -> BulkJob {
    Box::new(move |s: &Shared, rq: Request| {
        let made = s.read(&view.request, |r, _| {
            r.check(&spec.listing.filters)?;
            let name = named.name(r.scope().snapshot.id, &spec.listing.filters);
            let exported = export::write(r, &spec, std::io::sink(), &name)?;
            exported.manifest.to_json()
        });
        let reply = match made {
            Ok(text) => Reply::new(200, "application/json", text.into_bytes()),
            Err(e) => error_reply(&rq, &e),
        };
        let _ = rq.respond(reply.into_response(&s.csp));
    })
}

/// Streams an export: the rows go from DuckDB through `export::write` straight into the
/// response (chunked), never held; the database is let go before the last chunk is sent.
/// A failure before the first byte is an ordinary error reply; after it, the connection is
/// closed without the final chunk, so the client sees an incomplete download, never a
/// shortened one that looks whole.
fn download(view: View, spec: ExportSpec, named: Named, head_only: bool) -> BulkJob {
    Box::new(move |s: &Shared, rq: Request| {
        let url = rq.url().to_string();
        let mut out: Option<Chunked> = None;
        let mut rq = Some(rq);
        let written = s.read(&view.request, |r, clock: &Stopwatch| {
            r.check(&spec.listing.filters)?;
            let name = named.name(r.scope().snapshot.id, &spec.listing.filters);
            let mut reply = Reply::new(200, content_type(spec.format), Vec::new());
            if named.attachment() {
                reply = reply.with_header(
                    "Content-Disposition",
                    format!("attachment; filename=\"{name}\""),
                );
            }
            if head_only {
                let rq = rq.take().expect("the request");
                let _ = rq.respond(reply.into_response(&s.csp));
                return Ok(());
            }
            let head = reply.head(&s.csp, "Transfer-Encoding: chunked");
            let chunked = out.insert(Chunked::new(rq.take().expect("the request"), head));
            export::write(r, &spec, Unclocked::new(chunked, clock), &name)?;
            Ok(())
        });
        // The database is free again: now the last chunk may go.
        match (written, out, rq) {
            (Ok(()), Some(out), _) => {
                let _ = out.finish();
            }
            (Ok(()), None, _) => {}
            (Err(e), out, rq) => {
                let reply = reply::from_error(&e);
                if reply.status >= 500 && !is_client_gone(&e) {
                    crate::util::stderr_line(&format!("rollcall: {url}: {e:#}"));
                }
                match (out, rq) {
                    (Some(out), _) if !out.started() => out.reply(&reply, &s.csp),
                    (None, Some(rq)) => {
                        let _ = rq.respond(reply.into_response(&s.csp));
                    }
                    _ => {
                        // Partly sent: dropped unfinished (see above).
                        if reply.status < 500 && !is_client_gone(&e) {
                            crate::util::stderr_line(&format!("rollcall: {url}: stopped: {e:#}"));
                        }
                    }
                }
            }
        }
    })
}

/// Whether an error is the client going away (or stalling until the front gave up on it).
fn is_client_gone(e: &anyhow::Error) -> bool {
    e.chain().any(|c| {
        c.downcast_ref::<std::io::Error>().is_some_and(|io| {
            matches!(
                io.kind(),
                std::io::ErrorKind::BrokenPipe
                    | std::io::ErrorKind::ConnectionReset
                    | std::io::ErrorKind::ConnectionAborted
            )
        })
    })
}

/// A response body in HTTP/1.1 chunks, written straight into tiny_http's connection. The
/// first [`HOLD`] bytes are held back with the head, so an error before them (a query stopped
/// at its time limit while only the CSV header is written) is still a proper error reply.
struct Chunked {
    head: Option<Vec<u8>>,
    held: Vec<u8>,
    out: ChunkedOut,
}

const HOLD: usize = 64 * 1024;

enum ChunkedOut {
    Waiting(Request),
    Writing(Box<dyn Write + Send>),
    Gone,
}

impl Chunked {
    fn new(rq: Request, head: Vec<u8>) -> Chunked {
        Chunked {
            head: Some(head),
            held: Vec::new(),
            out: ChunkedOut::Waiting(rq),
        }
    }

    fn started(&self) -> bool {
        self.head.is_none()
    }

    /// The connection, the head and held bytes sent first.
    fn writer(&mut self) -> std::io::Result<&mut Box<dyn Write + Send>> {
        if let ChunkedOut::Waiting(_) = self.out {
            let ChunkedOut::Waiting(rq) = std::mem::replace(&mut self.out, ChunkedOut::Gone) else {
                unreachable!("matched above");
            };
            self.out = ChunkedOut::Writing(rq.into_writer());
        }
        match &mut self.out {
            ChunkedOut::Writing(w) => {
                if let Some(head) = self.head.take() {
                    w.write_all(&head)?;
                    let held = std::mem::take(&mut self.held);
                    chunk(w, &held)?;
                }
                Ok(w)
            }
            _ => Err(std::io::Error::new(
                std::io::ErrorKind::BrokenPipe,
                "the response was already ended",
            )),
        }
    }

    /// The last chunk: the body is whole.
    fn finish(mut self) -> std::io::Result<()> {
        let w = self.writer()?;
        w.write_all(b"0\r\n\r\n")?;
        w.flush()
    }

    /// Answers with `reply` instead (nothing was sent yet).
    fn reply(self, reply: &Reply, csp: &str) {
        match self.out {
            ChunkedOut::Waiting(rq) => {
                let _ = rq.respond(reply.clone().into_response(csp));
            }
            ChunkedOut::Writing(mut w) => {
                let mut bytes = reply.head(csp, &format!("Content-Length: {}", reply.body.len()));
                bytes.extend_from_slice(&reply.body);
                let _ = w.write_all(&bytes);
                let _ = w.flush();
            }
            ChunkedOut::Gone => {}
        }
    }
}

/// One chunk (none for no bytes: an empty chunk would end the body).
fn chunk(w: &mut Box<dyn Write + Send>, bytes: &[u8]) -> std::io::Result<()> {
    if bytes.is_empty() {
        return Ok(());
    }
    write!(w, "{:x}\r\n", bytes.len())?;
    w.write_all(bytes)?;
    w.write_all(b"\r\n")
}

impl Write for Chunked {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        if !self.started() && self.held.len() + buf.len() <= HOLD {
            self.held.extend_from_slice(buf);
            return Ok(buf.len());
        }
        let w = self.writer()?;
        chunk(w, buf)?;
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        match &mut self.out {
            ChunkedOut::Writing(w) => w.flush(),
            _ => Ok(()),
        }
    }
}
