//! `rollcall serve`: the preview server as a child process, spoken to over real sockets on
//! 127.0.0.1 with hand-written HTTP/1.1, and its report opened in headless Chromium (an ignored
//! test; `.ci/run` runs it). Counts are checked against the generator's truth; `/users.csv`
//! against `rollcall export`.

use std::collections::BTreeSet;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::process::Stdio;
use std::sync::{mpsc, Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::{json, Value};

use crate::common::cdp;
use crate::common::probe::Probe;
use crate::common::process::{spawn, Running};
use crate::common::truth::{count, has_text, truth_value, Sel, UserTruth, DEFAULT_AS_OF};
use crate::common::{csp_of, emails, sha256_hex, Env, WAIT};

const N: u64 = 600;
const SEED: u64 = 7;

fn org() -> (Env, Vec<UserTruth>) {
    crate::common::sample_org(N, SEED)
}

// ---------------------------------------------------------------------------------------------
// The server process

/// `rollcall serve --port 0 …` as a child; killed on drop.
struct Server {
    _child: Running,
    port: u16,
    url: String,
    stderr: Arc<Mutex<String>>,
}

impl Server {
    fn start(env: &Env, extra: &[&str]) -> Server {
        let mut child = spawn(
            "rollcall serve",
            env.std_cmd()
                .args(["serve", "--port", "0"])
                .args(extra)
                .stdin(Stdio::null())
                .stdout(Stdio::piped())
                .stderr(Stdio::piped()),
        );
        let stdout = child.stdout.take().unwrap();
        let stderr_pipe = child.stderr.take().unwrap();
        let stderr = Arc::new(Mutex::new(String::new()));
        let mut server = Server {
            _child: child,
            port: 0,
            url: String::new(),
            stderr: stderr.clone(),
        };
        std::thread::spawn(move || {
            let mut text = String::new();
            let _ = BufReader::new(stderr_pipe).read_to_string(&mut text);
            stderr.lock().unwrap().push_str(&text);
        });
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            let mut r = BufReader::new(stdout);
            let mut line = String::new();
            let _ = r.read_line(&mut line);
            let _ = tx.send(line);
            let mut rest = Vec::new();
            let _ = r.read_to_end(&mut rest);
        });
        let line = rx.recv_timeout(WAIT).unwrap_or_else(|_| {
            panic!(
                "rollcall serve printed no line within {WAIT:?}; stderr: {}",
                server.stderr.lock().unwrap()
            )
        });
        let line = line.trim_end();
        let url = line
            .strip_prefix("serving ")
            .and_then(|s| s.strip_suffix(" (Ctrl-C to stop)"))
            .unwrap_or_else(|| {
                std::thread::sleep(Duration::from_millis(200));
                panic!(
                    "unexpected first line {line:?}; stderr: {}",
                    server.stderr.lock().unwrap()
                )
            });
        let port: u16 = url
            .strip_prefix("http://127.0.0.1:")
            .and_then(|s| s.strip_suffix('/'))
            .and_then(|p| p.parse().ok())
            .unwrap_or_else(|| {
                panic!("the server must announce http://127.0.0.1:PORT/, not {url:?}")
            });
        assert_ne!(port, 0, "--port 0 picks a real port");
        server.port = port;
        server.url = url.to_string();
        server
    }

    fn get(&self, path: &str) -> Resp {
        self.raw(&format!(
            "GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{}\r\nConnection: close\r\n\r\n",
            self.port
        ))
    }

    fn json(&self, path: &str) -> Value {
        let r = self.get(path);
        assert_eq!(r.status, 200, "GET {path}: {}", r.text());
        assert_eq!(
            r.header("content-type"),
            Some("application/json"),
            "GET {path}"
        );
        serde_json::from_slice(&r.body)
            .unwrap_or_else(|e| panic!("GET {path}: not JSON ({e}): {}", r.text()))
    }

    fn raw(&self, request: &str) -> Resp {
        http(self.port, request)
    }
}

// ---------------------------------------------------------------------------------------------
// A tiny HTTP/1.1 client

struct Resp {
    status: u16,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl Resp {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
}

/// Sends one raw request and reads one response (Content-Length or chunked), within [`WAIT`].
fn http(port: u16, request: &str) -> Resp {
    let head_only = request.starts_with("HEAD ");
    let addr = SocketAddr::from(([127, 0, 0, 1], port));
    let mut s = TcpStream::connect_timeout(&addr, WAIT).expect("connect to the server");
    s.set_read_timeout(Some(WAIT)).unwrap();
    s.set_write_timeout(Some(WAIT)).unwrap();
    s.write_all(request.as_bytes()).expect("send the request");
    let deadline = Instant::now() + WAIT;
    let mut buf = Vec::new();
    let mut chunk = [0u8; 64 * 1024];
    loop {
        if let Some(resp) = parse_response(&buf, head_only) {
            return resp;
        }
        assert!(
            Instant::now() < deadline,
            "no complete response within {WAIT:?} to {request:?}"
        );
        match s.read(&mut chunk) {
            Ok(0) => {
                return parse_response(&buf, head_only).unwrap_or_else(|| {
                    panic!(
                        "connection closed mid-response to {request:?}: {}",
                        String::from_utf8_lossy(&buf)
                    )
                })
            }
            Ok(n) => buf.extend_from_slice(&chunk[..n]),
            Err(e) => panic!("reading the response to {request:?}: {e}"),
        }
    }
}

/// A complete response in `buf`, or None if more bytes are needed.
fn parse_response(buf: &[u8], head_only: bool) -> Option<Resp> {
    let end = buf.windows(4).position(|w| w == b"\r\n\r\n")?;
    let head = std::str::from_utf8(&buf[..end]).expect("ASCII response head");
    let mut lines = head.split("\r\n");
    let status_line = lines.next().unwrap();
    let mut parts = status_line.splitn(3, ' ');
    assert_eq!(parts.next(), Some("HTTP/1.1"), "{status_line}");
    let status: u16 = parts
        .next()
        .and_then(|s| s.parse().ok())
        .expect("status code");
    let headers: Vec<(String, String)> = lines
        .map(|l| {
            let (k, v) = l.split_once(':').expect("header line");
            (k.trim().to_string(), v.trim().to_string())
        })
        .collect();
    let resp = |body| {
        Some(Resp {
            status,
            headers: headers.clone(),
            body,
        })
    };
    let rest = &buf[end + 4..];
    if head_only {
        return resp(rest.to_vec());
    }
    let find = |name: &str| {
        headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.clone())
    };
    if find("transfer-encoding").is_some_and(|v| v.eq_ignore_ascii_case("chunked")) {
        let mut body = Vec::new();
        let mut at = 0;
        loop {
            let line_end = rest[at..].windows(2).position(|w| w == b"\r\n")? + at;
            let size_text = std::str::from_utf8(&rest[at..line_end]).unwrap();
            let size = usize::from_str_radix(size_text.split(';').next().unwrap().trim(), 16)
                .expect("chunk size");
            at = line_end + 2;
            if size == 0 {
                return resp(body);
            }
            if rest.len() < at + size + 2 {
                return None;
            }
            body.extend_from_slice(&rest[at..at + size]);
            at += size + 2;
        }
    }
    let len: usize = find("content-length")
        .expect("Content-Length or chunked")
        .parse()
        .unwrap();
    (rest.len() >= len)
        .then(|| resp(rest[..len].to_vec()))
        .flatten()
}

/// Listening TCP sockets on `port` from /proc/net/tcp{,6}: (file, local address hex).
fn listeners(port: u16) -> Vec<(&'static str, String)> {
    let mut out = Vec::new();
    for file in ["/proc/net/tcp", "/proc/net/tcp6"] {
        let Ok(text) = std::fs::read_to_string(file) else {
            continue;
        };
        for line in text.lines().skip(1) {
            let f: Vec<&str> = line.split_whitespace().collect();
            if f.len() < 4 || f[3] != "0A" {
                continue;
            }
            let (addr, p) = f[1].rsplit_once(':').unwrap();
            if u16::from_str_radix(p, 16).ok() == Some(port) {
                out.push((file, addr.to_string()));
            }
        }
    }
    out
}

// ---------------------------------------------------------------------------------------------
// The routes

#[test]
fn routes_answer_like_the_cli_and_the_truth() {
    let (env, t) = org();
    let server = Server::start(&env, &[]);
    let port = server.port;
    assert_eq!(server.url, format!("http://127.0.0.1:{port}/"));

    // Bound to the loopback address only.
    let socks = listeners(port);
    assert!(
        !socks.is_empty(),
        "no listening socket on port {port} in /proc/net/tcp"
    );
    assert!(
        socks
            .iter()
            .all(|(file, addr)| *file == "/proc/net/tcp" && addr == "0100007F"),
        "the server listens beyond 127.0.0.1: {socks:?}"
    );

    // /healthz, GET and HEAD.
    let r = server.get("/healthz");
    assert_eq!((r.status, r.text().trim()), (200, "ok"));
    let r = server.raw(&format!(
        "HEAD /healthz HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nConnection: close\r\n\r\n"
    ));
    assert_eq!(r.status, 200);
    assert!(r.body.is_empty(), "HEAD has no body");

    // The report.
    let r = server.get("/");
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(r.header("content-type"), Some("text/html; charset=utf-8"));
    assert_eq!(r.header("x-content-type-options"), Some("nosniff"));
    assert_eq!(r.header("cache-control"), Some("no-store"));
    let html = r.text();
    assert!(
        html.contains("http-equiv=\"Content-Security-Policy\""),
        "CSP meta tag"
    );
    let csp = csp_of(&html);
    assert!(csp.starts_with("default-src 'none';"), "strict CSP: {csp}");
    assert!(
        !csp.contains("unsafe-inline") && !csp.contains("unsafe-eval"),
        "{csp}"
    );
    assert!(html.contains("id=\"rollcall-data\""), "embedded data");
    let data = crate::common::page_data::decode(&html);
    let embedded: BTreeSet<&str> = data["u"]["email"]
        .as_array()
        .expect("emails")
        .iter()
        .map(|e| e.as_str().unwrap())
        .collect();
    for u in t.iter().step_by(97) {
        assert!(
            embedded.contains(u.email.as_str()),
            "{} is embedded",
            u.email
        );
    }
    assert!(embedded.contains("zoe.angstrom@example.com"));

    // /users.csv is exactly what `rollcall export` writes.
    let export = env.path("export.csv");
    env.ok(&["export", "-o", export.to_str().unwrap(), "--quiet"]);
    let want = std::fs::read(&export).unwrap();
    let r = server.get("/users.csv");
    assert_eq!(r.status, 200);
    assert_eq!(r.header("content-type"), Some("text/csv; charset=utf-8"));
    assert!(
        r.body == want,
        "/users.csv differs from `rollcall export -o F` ({} vs {} bytes)",
        r.body.len(),
        want.len()
    );
    assert!(r
        .text()
        .starts_with("name,email,scim,last_used,license,status,activity,hub,reminders_sent\n"));
    assert_eq!(r.text().lines().count() as u64, N + 1);

    // /manifest.json describes it.
    let m = server.json("/manifest.json");
    assert_eq!(m["rows"], N);
    assert_eq!(m["formula_guard"], true);
    assert_eq!(
        m["files"][0]["sha256"].as_str(),
        Some(sha256_hex(&want).as_str()),
        "manifest hashes users.csv"
    );
    assert_eq!(m["files"][0]["bytes"], want.len() as u64);

    // /api/users with filters, limits and search.
    let pending = count(&t, |u| u.status == "pending");
    let v = server.json("/api/users?status=pending&limit=5");
    assert_eq!(v["total"], pending, "pending users");
    assert_eq!(v["users"].as_array().unwrap().len(), 5);
    assert!(
        v["users"]
            .as_array()
            .unwrap()
            .iter()
            .all(|u| u["status"] == "pending"),
        "{v}"
    );
    let v = server.json("/api/users?status=pending&limit=5&offset=5");
    assert_eq!(v["users"].as_array().unwrap().len(), 5);
    assert_eq!(v["offset"], 5);

    let zoe = count(&t, |u| has_text(u, "zoë"));
    let v = server.json("/api/users?search=zo%C3%AB&limit=1000");
    assert_eq!(v["total"], zoe, "search zoë");
    let found: BTreeSet<String> = emails(&v).into_iter().map(|e| e.to_lowercase()).collect();
    assert!(found.contains("zoe.angstrom@example.com"), "{found:?}");
    let v = server.json("/api/users?search=ZO%C3%8B+%C3%85NGSTR%C3%96M&limit=1000");
    let got: BTreeSet<String> = emails(&v).into_iter().map(|e| e.to_lowercase()).collect();
    let want: BTreeSet<String> = t
        .iter()
        .filter(|u| has_text(u, "zoë ångström"))
        .map(|u| u.email.to_lowercase())
        .collect();
    assert!(want.contains("zoe.angstrom@example.com"));
    assert_eq!(got, want, "search with + as a space");

    let combo = Sel::default()
        .with("status", "pending")
        .with("status", "no-license")
        .with("activity", "never")
        .count(&t);
    for q in [
        "status=pending&status=no-license&activity=never",
        "status=pending,no-license&activity=never",
    ] {
        assert_eq!(
            server.json(&format!("/api/users?{q}&limit=0"))["total"],
            combo,
            "{q}"
        );
    }
    let v = server.json("/api/users?sort=last_used:desc&limit=1&columns=email,last_used");
    let latest = t.iter().map(|u| u.last_used).max().unwrap();
    let first = t
        .iter()
        .filter(|u| u.last_used == latest)
        .map(|u| u.email.to_lowercase())
        .min();
    assert_eq!(
        v["users"][0]["email"].as_str().map(str::to_lowercase),
        first,
        "sort=last_used:desc"
    );

    // /api/summary agrees with the truth in every facet.
    let s = server.json("/api/summary");
    assert_eq!(s["total"], N);
    assert_eq!(s["matches"], N);
    for facet in s["facets"].as_array().unwrap() {
        let dim = facet["dimension"].as_str().unwrap();
        for v in facet["values"].as_array().unwrap() {
            let value = v["value"].as_str().unwrap();
            assert_eq!(
                v["count"],
                count(&t, |u| truth_value(u, dim, 30) == value),
                "summary {dim}={value}"
            );
        }
    }
    let s = server.json("/api/summary?status=pending");
    assert_eq!(s["matches"], pending);

    // /api/user.
    let zoe_truth = t
        .iter()
        .find(|u| u.email == "zoe.angstrom@example.com")
        .unwrap();
    for q in ["zoe.angstrom@example.com", "ZOE.ANGSTROM%40EXAMPLE.COM"] {
        let d = server.json(&format!("/api/user?email={q}"));
        assert_eq!(d["name"], "ZOË ÅNGSTRÖM");
        assert_eq!(d["status"], zoe_truth.status);
        assert_eq!(
            d["devices"].as_array().unwrap().len() as u32,
            zoe_truth.device_count
        );
        assert_eq!(d["reminders_sent"], zoe_truth.reminders_sent);
    }
    let r = server.get("/api/user?email=nobody%40nowhere.example");
    assert_eq!(r.status, 404, "{}", r.text());
    assert!(r.text().contains("nobody@nowhere.example"), "{}", r.text());

    // Bad parameters are 400 with a useful message.
    let r = server.get("/api/users?status=actve");
    assert_eq!(r.status, 400, "{}", r.text());
    assert!(
        r.text().contains("actve") && r.text().contains("no-license, pending, using"),
        "{}",
        r.text()
    );
    for q in [
        "limit=abc",
        "sort=nonsense",
        "sort=name:sideways",
        "columns=passwords",
        "filter=no-such-filter",
    ] {
        let r = server.get(&format!("/api/users?{q}"));
        assert_eq!(r.status, 400, "/api/users?{q}: {}", r.text());
        assert!(
            !r.text().trim().is_empty(),
            "/api/users?{q} explains itself"
        );
    }

    // Anything else is 404; only GET and HEAD are served; the Host must be ours.
    for path in [
        "/etc/passwd",
        "/../Cargo.toml",
        "/index.html/..",
        "/static/x.js",
        "/api",
        "/api/users/",
        "/%2e%2e/Cargo.toml",
    ] {
        let r = server.get(path);
        assert_eq!(r.status, 404, "GET {path}: {}", r.text());
        assert!(!r.text().contains("[package]"), "GET {path} leaked a file");
    }
    for method in ["POST", "PUT", "DELETE"] {
        let r = server.raw(&format!(
            "{method} / HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
        ));
        assert_eq!(r.status, 405, "{method} /");
    }
    for host in [
        "evil.example".to_string(),
        format!("127.0.0.1:{}", port.wrapping_add(1)),
        format!("evil.example:{port}"),
    ] {
        let r = server.raw(&format!(
            "GET / HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n"
        ));
        assert_eq!(r.status, 421, "Host: {host}");
        assert!(
            !r.text().contains("rollcall-data"),
            "no report for Host: {host}"
        );
    }
    let r = server.raw(&format!(
        "GET /healthz HTTP/1.1\r\nHost: localhost:{port}\r\nConnection: close\r\n\r\n"
    ));
    assert_eq!(r.status, 200, "Host: localhost:{port} is ours too");

    // A new ingest shows up on the next request.
    let before = server.json("/api/users?limit=0");
    let snap = before["snapshot"].as_i64().expect("snapshot id");
    env.ingest(
        "Name,Email,License\nNew One,new.one@example.com,Assigned\nNew Two,new.two@example.com,Unassigned\n",
        None,
        DEFAULT_AS_OF,
    );
    let after = server.json("/api/users?limit=10");
    assert!(
        after["snapshot"].as_i64().unwrap() > snap,
        "the snapshot id increases: {before} → {after}"
    );
    assert_eq!(after["total"], 2);
    assert_eq!(
        emails(&after),
        vec!["new.one@example.com", "new.two@example.com"]
    );
    let data = crate::common::page_data::decode(&server.get("/").text());
    assert_eq!(
        data["u"]["email"],
        json!(["new.one@example.com", "new.two@example.com"]),
        "the page holds the new snapshot's users"
    );
    assert_eq!(server.get("/users.csv").text().lines().count(), 3);

    let stderr = server.stderr.lock().unwrap().clone();
    assert!(!stderr.contains("panicked"), "{stderr}");
}

#[test]
fn a_scoped_server_narrows_everything() {
    let (env, t) = org();
    let server = Server::start(&env, &["--status", "pending", "--title", "Pending only"]);
    let pending = count(&t, |u| u.status == "pending");
    assert_eq!(server.json("/api/users?limit=0")["total"], pending);
    assert_eq!(server.json("/api/summary")["matches"], pending);
    let never = Sel::default()
        .with("status", "pending")
        .with("activity", "never")
        .count(&t);
    assert_eq!(
        server.json("/api/users?activity=never&limit=0")["total"],
        never,
        "query parameters narrow the scope"
    );
    let m = server.json("/manifest.json");
    assert_eq!(m["rows"], pending);

    let export = env.path("pending.csv");
    env.ok(&[
        "export",
        "--status",
        "pending",
        "-o",
        export.to_str().unwrap(),
        "--quiet",
    ]);
    assert!(
        server.get("/users.csv").body == std::fs::read(&export).unwrap(),
        "/users.csv equals `export --status pending`"
    );
    let html = server.get("/").text();
    assert!(html.contains("<title>Pending only</title>"));

    // A bad scope never starts listening.
    let out = env.run(&["serve", "--port", "0", "--filter", "no-such-filter"]);
    assert_eq!(
        out.status.code(),
        Some(2),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        out.stdout.is_empty(),
        "it printed {}",
        String::from_utf8_lossy(&out.stdout)
    );
}

// ---------------------------------------------------------------------------------------------
// The served report in Chromium (through the same probe as the report's tests)

#[test]
#[ignore = "needs Chromium (apt-get install chromium); .ci/run runs ignored tests"]
fn the_served_report_works_in_chromium() {
    let chrome = cdp::launch();
    let (env, t) = org();
    let server = Server::start(&env, &[]);
    let base = server.url.clone();

    let page = Probe::open(&chrome, &base);
    page.wait_for(
        "every user is listed",
        "return window.rollcall.visibleCount()",
        &json!(N),
    );
    let count_text = page.eval("return document.getElementById('count').textContent");
    assert_eq!(count_text, json!(format!("{N} of {N} users")));

    // The fragment filters the served page too.
    let pending = count(&t, |u| u.status == "pending");
    page.eval("location.hash = '#status=pending'; return true");
    page.wait_for(
        "#status=pending",
        "return window.rollcall.visibleCount()",
        &json!(pending),
    );
    let zoe = count(&t, |u| has_text(u, "zoë"));
    page.eval("location.hash = '#q=zo%C3%AB'; return true");
    page.wait_for(
        "#q=zoë",
        "return window.rollcall.visibleCount()",
        &json!(zoe),
    );
    let rows = page.rendered_emails();
    assert!(
        rows.iter().any(|e| e == "zoe.angstrom@example.com"),
        "ZOË's row is rendered: {rows:?}"
    );

    // The page's CSV is the server's /users.csv.
    page.eval("location.hash = '#'; return true");
    page.wait_for(
        "no filters",
        "return window.rollcall.visibleCount()",
        &json!(N),
    );
    assert!(
        page.csv_text() == server.get("/users.csv").text(),
        "csvText() equals /users.csv"
    );

    // Nothing logged as an error, no dialog, no request beyond the server; the page itself was
    // requested from it.
    let same_server =
        |u: &str| u.starts_with(&base) || u.starts_with("data:") || u.starts_with("blob:");
    page.assert_clean(&same_server);
    let requests = page.requests();
    assert!(
        requests.iter().any(|u| u == &base),
        "the page itself was requested: {requests:?}"
    );
}
