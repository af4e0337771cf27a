//! What the server must survive, tried as an attacker on the same machine would (another local
//! user, or a web page in the admin's browser): foreign hosts, traversal, oversize heads (up
//! to 1 GB), bad parameters, a thousand idle connections under `ulimit -n 1024`, a client that
//! never reads, a query past the time limit, a handler panic; and a clean stop. The
//! cross-site guard of state-changing routes is unit-tested in `src/server/head.rs` and tried
//! over sockets in `actions.rs`.

use std::net::Shutdown;
use std::thread;

use super::*;

/// Headers every response carries, the front's own refusals included.
fn assert_common_headers(r: &Resp, what: &str) {
    let csp = r.header("content-security-policy").unwrap_or_default();
    assert!(
        csp.starts_with("default-src 'none';") && csp.ends_with("; frame-ancestors 'none'"),
        "{what}: CSP {csp:?}"
    );
    assert_eq!(
        r.header("x-content-type-options"),
        Some("nosniff"),
        "{what}"
    );
    assert_eq!(r.header("referrer-policy"), Some("no-referrer"), "{what}");
    assert_eq!(r.header("cache-control"), Some("no-store"), "{what}");
    assert_eq!(r.header("connection"), Some("close"), "{what}");
}

fn connect(port: u16) -> TcpStream {
    let s = TcpStream::connect_timeout(&SocketAddr::from(([127, 0, 0, 1], port)), WAIT)
        .expect("connect to the server");
    s.set_read_timeout(Some(WAIT)).unwrap();
    s.set_write_timeout(Some(WAIT)).unwrap();
    s
}

#[test]
fn foreign_hosts_traversal_and_methods_are_refused() {
    let env = Env::with_one_user();
    let server = Server::start(&env, &[]);
    let port = server.port;

    let ok = server.get("/api/users");
    assert_eq!(ok.status, 200);
    assert_common_headers(&ok, "a JSON reply");

    for host in [
        "evil.example".to_string(),
        format!("evil.example:{port}"),
        format!("127.0.0.1:{}", port.wrapping_add(1)),
        format!("localhost.evil.example:{port}"),
        format!("127.0.0.1.nip.io:{port}"),
        format!("10.0.0.1:{port}"),
    ] {
        let r = server.raw(&format!("GET /api/users HTTP/1.1\r\nHost: {host}\r\n\r\n"));
        assert_eq!(r.status, 421, "Host: {host}: {}", r.text());
        assert!(
            !r.text().contains("dee@example.com"),
            "no data for Host: {host}"
        );
        assert_common_headers(&r, "421");
    }
    let r = server.raw("GET /api/users HTTP/1.1\r\n\r\n");
    assert_eq!(r.status, 400, "no Host: {}", r.text());
    for host in [
        format!("localhost:{port}"),
        format!("[::1]:{port}"),
        format!("LOCALHOST:{port}"),
    ] {
        let r = server.raw(&format!("GET /healthz HTTP/1.1\r\nHost: {host}\r\n\r\n"));
        assert_eq!(r.status, 200, "Host: {host}");
    }

    for path in [
        "/../Cargo.toml",
        "/..%2fCargo.toml",
        "/%2e%2e/Cargo.toml",
        "/%2E%2E/%2E%2E/etc/passwd",
        "/%252e%252e/Cargo.toml",
        "/.%2e/Cargo.toml",
        "/..\\Cargo.toml",
        "/%5c..%5cCargo.toml",
        "//etc/passwd",
        "/%2Fetc%2Fpasswd",
        "/./api/users",
        "/api/users/..",
        "/api/users/",
        "/API/USERS",
        "/export.csv/..",
        "/index.html%00",
        "/rollcall.duckdb",
        "/report.js",
    ] {
        let r = server.get(path);
        assert_eq!(r.status, 404, "GET {path}: {}", r.text());
        assert_eq!(r.header("content-type"), Some("application/json"), "{path}");
        let body = r.text();
        assert!(
            !body.contains("[package]") && !body.contains("root:") && !body.contains("DUCK"),
            "GET {path} leaked a file: {body}"
        );
    }

    for method in ["POST", "PUT", "DELETE", "OPTIONS", "TRACE", "PATCH"] {
        let r = server.raw(&format!(
            "{method} /api/users HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nContent-Length: 0\r\n\r\n"
        ));
        assert_eq!(r.status, 405, "{method}");
        assert_eq!(r.header("allow"), Some("GET, HEAD"), "{method}");
        assert_common_headers(&r, "405");
    }
    let r = server.raw(&format!(
        "GET /api/users HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nContent-Length: 5\r\n\r\nhello"
    ));
    assert_eq!(r.status, 400, "a GET with a body: {}", r.text());
    let r = server.raw(&format!(
        "GET /healthz HTTP/1.0\r\nHost: 127.0.0.1:{port}\r\n\r\n"
    ));
    assert_eq!(r.status, 505);
    let r = server.raw("GARBAGE\r\n\r\n");
    assert_eq!(r.status, 400);
    assert!(server.stderr().is_empty() || !server.stderr().contains("internal error"));
}

#[test]
fn oversize_heads_are_refused_and_a_gigabyte_of_header_is_not_held() {
    let env = Env::with_one_user();
    let mut server = Server::start(&env, &[]);
    let port = server.port;

    let r = server.get(&format!("/api/users?search={}", "a".repeat(9 * 1024)));
    assert_eq!(r.status, 414);
    assert_common_headers(&r, "414");
    let r = server.raw(&format!(
        "GET /healthz HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nX-Big: {}\r\n\r\n",
        "a".repeat(17 * 1024)
    ));
    assert_eq!(r.status, 431);
    let many: String = (0..101).map(|i| format!("X-{i}: a\r\n")).collect();
    let r = server.raw(&format!(
        "GET /healthz HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n{many}\r\n"
    ));
    assert_eq!(r.status, 431);

    server.json("/api/summary");
    let before = server.memory_kib("VmHWM");

    // 1 GB of header, as fast as the server takes it, while others are served.
    let mut big = connect(port);
    big.set_read_timeout(Some(WAIT)).unwrap();
    let mut reader = big.try_clone().unwrap();
    let answer = thread::spawn(move || {
        let mut buf = Vec::new();
        let _ = reader.read_to_end(&mut buf);
        buf
    });
    let sender = thread::spawn(move || {
        let _ = big.write_all(
            format!("GET /healthz HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nX-Big: ").as_bytes(),
        );
        let chunk = vec![b'a'; 1 << 20];
        let mut sent = 0u64;
        while sent < 1 << 30 {
            match big.write(&chunk) {
                Ok(n) => sent += n as u64,
                Err(_) => break,
            }
        }
        sent
    });
    for _ in 0..5 {
        let t = Instant::now();
        assert_eq!(server.get("/healthz").status, 200);
        assert_eq!(server.get("/api/users").status, 200);
        assert!(
            t.elapsed() < Duration::from_secs(5),
            "others wait: {:?}",
            t.elapsed()
        );
    }
    let sent = sender.join().unwrap();
    let head = answer.join().unwrap();
    let text = String::from_utf8_lossy(&head);
    assert!(
        text.starts_with("HTTP/1.1 431 "),
        "the big header's answer: {text:.200}"
    );
    let after = server.memory_kib("VmHWM");
    assert!(
        after < before + 64 * 1024,
        "the server's peak memory grew from {before} KiB to {after} KiB for {sent} bytes of header"
    );
    assert!(server.alive(), "{}", server.stderr());
    assert_eq!(server.get("/healthz").status, 200);
}

#[test]
fn bad_parameters_are_400_json_and_long_emails_are_refused_at_once() {
    let env = Env::with_one_user();
    let server = Server::start(&env, &[]);
    for (path, says) in [
        (
            "/api/users?limit=18446744073709551616",
            "limit=18446744073709551616",
        ),
        ("/api/users?limit=9223372036854775808", "from 0 to 1000"),
        ("/api/users?limit=abc", "limit=abc"),
        ("/api/users?limit=-1", "limit=-1"),
        ("/api/users?offset=18446744073709551616", "offset"),
        ("/api/users?offset=9223372036854775808", "offset"),
        ("/api/users?limit=1001", "from 0 to 1000"),
        ("/api/users?status=actve", "no-license, pending, using"),
        ("/api/users?sort=nonsense", "nonsense"),
        ("/api/users?sort=name:sideways", "asc or desc"),
        ("/api/users?columns=passwords", "passwords"),
        ("/api/users?filter=no-such-filter", "no-such-filter"),
        ("/api/users?snapshot=abc", "snapshot=abc"),
        ("/api/users?snapshot=7", "have: 1"),
        ("/api/users?as-of=yesterday", "as-of=yesterday"),
        ("/api/users?window-days=0", "window-days"),
        ("/api/users?stauts=pending", "unknown parameter 'stauts'"),
        ("/api/users?search=%zz", "hex"),
        ("/api/summary?reminders=4", "0, 1, 2, 3+"),
        ("/api/rejects?offset=x", "offset=x"),
        ("/export.csv?sort=nope", "nope"),
        ("/export.manifest.json?format=xlsx", "csv, json, parquet"),
        ("/api/user?email=", "email"),
    ] {
        let e = server.error(path, 400);
        let msg = e["error"].as_str().unwrap();
        assert!(msg.contains(says), "{path}: {msg:?} should say {says:?}");
    }
    let long = format!("/api/users?search={}", "x".repeat(201));
    assert!(server.error(&long, 400)["error"]
        .as_str()
        .unwrap()
        .contains("200"));

    // An email over 320 characters is refused before any query; one over the request line's
    // cap before the URL is even read.
    let t = Instant::now();
    let e = server.error(&format!("/api/user?email={}", "a".repeat(1000)), 400);
    assert!(e["error"].as_str().unwrap().contains("320"), "{e}");
    let r = server.get(&format!("/api/user?email={}", "a".repeat(100_000)));
    assert_eq!(r.status, 414, "a 100 KB email: {}", r.text());
    assert!(
        t.elapsed() < Duration::from_secs(2),
        "refused at once: {:?}",
        t.elapsed()
    );
    assert_eq!(server.get("/healthz").status, 200);

    // The CLI refuses the same values with exit 2.
    let t = Instant::now();
    let err = env.fails(&["show", &"a".repeat(100_000)], 2);
    assert!(err.contains("320"), "{err}");
    assert!(
        t.elapsed() < Duration::from_secs(5),
        "show refused at once: {:?}",
        t.elapsed()
    );
    for limit in ["18446744073709551616", "9223372036854775808"] {
        env.fails(&["users", "--limit", limit], 2);
        env.fails(&["users", "--offset", limit], 2);
    }
}

#[test]
fn a_thousand_idle_connections_under_ulimit_1024_stop_no_one() {
    // This process holds the thousand client ends.
    raise_own_open_file_limit(4096);
    let env = Env::with_one_user();
    // Under 256 open files too few would be left for DuckDB: the server does not start.
    let out = env
        .std_cmd_limited(&["--nofile=100".into()])
        .args(["serve", "--port", "0"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("serve needs at least 256"));
    let mut server = Server::launch(
        &env,
        Launch {
            limits: vec!["--nofile=1024".into()],
            ..Launch::default()
        },
    );
    let port = server.port;
    let mut idle = Vec::new();
    for i in 0..1000 {
        let mut s = connect(port);
        if i % 2 == 1 {
            // Half of them start a request and never finish it.
            let _ = s.write_all(
                format!("GET /api/users HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nX-Slow: ").as_bytes(),
            );
        }
        idle.push(s);
        if i % 100 == 99 {
            let t = Instant::now();
            assert_eq!(
                server.get("/healthz").status,
                200,
                "after {} idle connections",
                i + 1
            );
            assert_eq!(server.get("/api/users?limit=1").status, 200);
            assert!(
                t.elapsed() < Duration::from_secs(5),
                "served late: {:?}",
                t.elapsed()
            );
            let fds = std::fs::read_dir(format!("/proc/{}/fd", server.pid))
                .unwrap()
                .count();
            assert!(fds < 1000, "{fds} descriptors open in the server");
        }
    }
    // Concurrent requests among them.
    let workers: Vec<_> = (0..8)
        .map(|_| {
            thread::spawn(move || {
                http(
                    port,
                    &format!("GET /api/summary HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n\r\n"),
                )
                .status
            })
        })
        .collect();
    for w in workers {
        assert_eq!(w.join().unwrap(), 200);
    }
    assert!(server.alive(), "the server is up: {}", server.stderr());

    // A connection that sends nothing for 10 s is dropped: after 12 s every idle one is closed
    // (by eviction or by its timeout).
    thread::sleep(Duration::from_secs(12));
    for s in idle.iter_mut().rev().take(50) {
        s.set_read_timeout(Some(Duration::from_secs(2))).unwrap();
        let mut buf = [0u8; 1];
        let closed = matches!(s.read(&mut buf), Ok(0) | Err(_));
        assert!(closed, "an idle connection is still open after 12 s");
    }
    drop(idle);
    assert_eq!(server.get("/api/users").status, 200);
    let stderr = server.stderr();
    assert!(
        !stderr.contains("internal error") && !stderr.contains("panicked"),
        "{stderr}"
    );
}

fn raise_own_open_file_limit(want: u64) {
    // SAFETY: getrlimit/setrlimit with a valid, owned struct.
    unsafe {
        let mut lim: libc::rlimit = std::mem::zeroed();
        if libc::getrlimit(libc::RLIMIT_NOFILE, &mut lim) == 0 && lim.rlim_cur < want {
            lim.rlim_cur = want.min(lim.rlim_max);
            libc::setrlimit(libc::RLIMIT_NOFILE, &lim);
        }
    }
}

#[test]
fn a_client_that_never_reads_a_download_holds_no_worker() {
    let env = Env::new();
    env.sample(100_000, 3);
    let server = Server::start(&env, &["--workers", "4"]);
    let port = server.port;

    // Two downloads (the bulk pool's two slots at --workers 4) whose clients never read.
    let mut stuck = Vec::new();
    for _ in 0..2 {
        let mut s = connect(port);
        s.write_all(
            format!("GET /export.json HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n\r\n").as_bytes(),
        )
        .unwrap();
        stuck.push(s);
    }
    thread::sleep(Duration::from_secs(2));
    // A third download waits for none of them: it is told to come back.
    let r = server.get("/export.csv");
    assert_eq!(r.status, 503, "{}", r.text());
    assert!(r.header("retry-after").is_some());
    // Pages and the API go on, many at once.
    let t = Instant::now();
    let clients: Vec<_> = (0..16)
        .map(|i| {
            thread::spawn(move || {
                let path = if i % 2 == 0 {
                    "/api/summary"
                } else {
                    "/api/users?search=an&limit=50"
                };
                http(
                    port,
                    &format!("GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n\r\n"),
                )
                .status
            })
        })
        .collect();
    for c in clients {
        assert_eq!(c.join().unwrap(), 200);
    }
    assert!(
        t.elapsed() < Duration::from_secs(8),
        "the API waited on the stuck downloads: {:?}",
        t.elapsed()
    );
    assert_eq!(
        server.get("/export.csv").status,
        503,
        "still stuck, still bounded"
    );

    // The stuck clients leave: downloads work again, and are whole.
    for s in &stuck {
        let _ = s.shutdown(Shutdown::Both);
    }
    drop(stuck);
    let deadline = Instant::now() + WAIT;
    let r = loop {
        let r = server.get("/export.csv?columns=email");
        if r.status == 200 || Instant::now() > deadline {
            break r;
        }
        thread::sleep(Duration::from_millis(100));
    };
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(r.text().lines().count(), 100_001);
}

#[test]
fn a_query_past_the_time_limit_is_503_and_the_server_goes_on() {
    let env = Env::with_one_user();
    // A filter that takes minutes: ten billion sums.
    env.write(
        "q/filters/slow.sql",
        "-- Slow on purpose.\n(SELECT sum(a.range + b.range) FROM range(100000) a, range(100000) b) > 0\n",
    );
    let q = env.path("q");
    let server = Server::launch(
        &env,
        Launch {
            args: &["--query-timeout", "1s"],
            env: vec![("ROLLCALL_QUERIES", q.display().to_string())],
            ..Launch::default()
        },
    );
    for path in [
        "/api/users?filter=slow",
        "/api/summary?filter=slow",
        "/api/user?email=dee@example.com&filter=slow",
        "/export.csv?filter=slow",
        "/export.manifest.json?filter=slow",
    ] {
        let t = Instant::now();
        let e = server.error(path, 503);
        assert!(
            t.elapsed() < Duration::from_secs(5),
            "{path}: stopped late: {:?}",
            t.elapsed()
        );
        assert!(
            e["error"]
                .as_str()
                .unwrap()
                .contains("--query-timeout (1 s)"),
            "{path}: {e}"
        );
        let r = server.get("/api/users");
        assert_eq!(r.status, 200, "the next request is fine: {}", r.text());
    }
    let r = server.get("/api/users?filter=slow");
    assert_eq!(r.header("retry-after"), Some("2"));
    let stderr = server.stderr();
    assert!(
        !stderr.contains("panicked") && !stderr.contains("internal error"),
        "{stderr}"
    );
}

#[test]
fn a_handler_panic_is_a_500_and_the_server_goes_on() {
    let env = Env::with_one_user();
    let plain = Server::start(&env, &[]);
    plain.error("/__panic", 404);
    drop(plain);

    let server = Server::launch(
        &env,
        Launch {
            args: &["--workers", "2"],
            env: vec![("ROLLCALL_TEST_PANIC_ROUTE", "1".into())],
            ..Launch::default()
        },
    );
    // More panics than workers: each worker survives its panic.
    for _ in 0..6 {
        let e = server.error("/__panic", 500);
        assert!(
            e["error"].as_str().unwrap().contains("internal error"),
            "{e}"
        );
        assert_eq!(server.get("/api/users").status, 200);
    }
    server.wait_stderr("/__panic: a handler panicked");
    server.wait_stderr("a test panic");
}

#[test]
fn ctrl_c_stops_cleanly_open_starts_a_browser_and_other_addresses_warn() {
    let env = Env::with_one_user();
    let bin = env.path("bin");
    let opened = env.path("opened.txt");
    env.write(
        "bin/xdg-open",
        format!("#!/bin/sh\nprintf '%s' \"$1\" > '{}'\n", opened.display()),
    );
    std::fs::set_permissions(
        bin.join("xdg-open"),
        std::os::unix::fs::PermissionsExt::from_mode(0o755),
    )
    .unwrap();
    let path = format!(
        "{}:{}",
        bin.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let mut server = Server::launch(
        &env,
        Launch {
            args: &["--open"],
            env: vec![("PATH", path)],
            ..Launch::default()
        },
    );
    let deadline = Instant::now() + WAIT;
    while std::fs::read_to_string(&opened).unwrap_or_default() != server.url {
        assert!(
            Instant::now() < deadline,
            "--open did not run xdg-open {}",
            server.url
        );
        thread::sleep(Duration::from_millis(50));
    }
    assert_eq!(server.get("/healthz").status, 200);
    let status = server.stop(libc::SIGINT);
    assert_eq!(status.code(), Some(0), "Ctrl-C: {}", server.stderr());
    server.wait_stderr("rollcall: stopped");

    let mut everywhere = Server::start(&env, &["--bind", "0.0.0.0"]);
    everywhere.wait_stderr("warning: listening on 0.0.0.0");
    assert_eq!(everywhere.get("/healthz").status, 200);
    assert_eq!(everywhere.stop(libc::SIGTERM).code(), Some(0));
}
