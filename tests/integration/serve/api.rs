//! The JSON API and the downloads, route by route: pages against the generator's truth,
//! downloads and manifests against the files `rollcall export` writes for the same view.

use super::*;

/// Every page of `/api/users?QUERY`, `limit` at a time: the users in order, and the total
/// each page reported.
fn all_pages(server: &Server, query: &str, limit: u64) -> (Vec<Value>, u64) {
    let mut users = Vec::new();
    let mut total = None;
    let mut offset = 0;
    loop {
        let v = server.json(&format!("/api/users?{query}&limit={limit}&offset={offset}"));
        assert_eq!(v["offset"], offset);
        assert_eq!(v["limit"], limit);
        let t = v["total"].as_u64().unwrap();
        assert_eq!(
            *total.get_or_insert(t),
            t,
            "every page reports the same total"
        );
        let page = v["users"].as_array().unwrap().clone();
        assert_eq!(v["count"], page.len());
        let full = page.len() as u64 == limit;
        users.extend(page);
        offset += limit;
        if !full {
            assert!(offset >= t, "a short page is the last one");
            return (users, t);
        }
    }
}

fn lower_emails(users: &[Value]) -> Vec<String> {
    users
        .iter()
        .map(|u| u["email"].as_str().unwrap().to_lowercase())
        .collect()
}

/// The email column of a CSV (found by its header), lower-cased, in order.
fn csv_emails(text: &str) -> Vec<String> {
    let mut r = csv::Reader::from_reader(text.as_bytes());
    let at = r
        .headers()
        .unwrap()
        .iter()
        .position(|h| h == "email")
        .unwrap();
    r.records()
        .map(|rec| rec.unwrap()[at].to_lowercase())
        .collect()
}

#[test]
fn pages_concatenate_to_the_filtered_list_and_downloads_equal_it() {
    let (env, t) = org();
    let server = Server::start(&env, &[]);
    let sel = Sel::default()
        .with("status", "pending")
        .with("status", "no-license")
        .search("a");
    let want = sel.emails(&t);
    assert!(want.len() > 100, "a view of several pages: {}", want.len());

    for (query, limit) in [
        ("status=pending,no-license&search=a", 37),
        (
            "status=no-license&status=pending&search=A&sort=last_used:desc&columns=email,last_used",
            50,
        ),
    ] {
        let (users, total) = all_pages(&server, query, limit);
        assert_eq!(total, want.len() as u64, "{query}");
        let got = lower_emails(&users);
        let unique: BTreeSet<String> = got.iter().cloned().collect();
        assert_eq!(unique.len(), got.len(), "no user on two pages: {query}");
        assert_eq!(
            unique, want,
            "the pages together are the filtered list: {query}"
        );
    }
    let v = server.json("/api/users?status=pending,no-license&search=a&limit=10&offset=100000");
    assert_eq!(
        (v["count"].clone(), v["total"].clone()),
        (json!(0), json!(want.len()))
    );
    let v = server.json("/api/users?limit=0");
    assert_eq!(
        (v["count"].clone(), v["total"].clone()),
        (json!(0), json!(N))
    );
    server.error("/api/users?limit=1001", 400);

    // The download is the view across all its pages, in the same order, and byte for byte
    // what `rollcall export` writes for the same filters, sort and columns.
    let query = "status=pending&status=no-license&search=a&sort=last_used:desc";
    let (users, _) = all_pages(&server, &format!("{query}&columns=email"), 40);
    let name = "rollcall_snapshot-1_status-no-license+pending_search-a";
    for (format, ext, content_type) in [
        ("csv", "csv", "text/csv; charset=utf-8"),
        ("json", "json", "application/json"),
        ("parquet", "parquet", "application/vnd.apache.parquet"),
    ] {
        let file = env.path(&format!("{name}.{ext}"));
        env.ok(&[
            "export",
            "--status",
            "pending",
            "--status",
            "no-license",
            "--search",
            "a",
            "--sort",
            "last_used:desc",
            "--format",
            format,
            "-o",
            file.to_str().unwrap(),
            "--quiet",
        ]);
        let r = server.get(&format!("/export.{ext}?{query}"));
        assert_eq!(r.status, 200, "/export.{ext}: {}", r.text());
        assert_eq!(r.header("content-type"), Some(content_type));
        assert_eq!(
            r.header("content-disposition"),
            Some(format!("attachment; filename=\"{name}.{ext}\"").as_str()),
            "named after the snapshot and filters, as the report's download is"
        );
        assert_eq!(
            r.header("transfer-encoding"),
            Some("chunked"),
            "streamed, not held"
        );
        let want_bytes = std::fs::read(&file).unwrap();
        assert!(
            r.body == want_bytes,
            "/export.{ext} differs from `rollcall export --format {format}` ({} vs {} bytes)",
            r.body.len(),
            want_bytes.len()
        );
        if ext == "csv" {
            assert_eq!(
                csv_emails(&r.text()),
                lower_emails(&users),
                "the view's order"
            );
        }
        // The manifest, byte for byte.
        let m = server.get(&format!("/export.manifest.json?{query}&format={format}"));
        assert_eq!(m.status, 200, "{}", m.text());
        let want_manifest =
            std::fs::read(env.path(&format!("{name}.{ext}.manifest.json"))).unwrap();
        assert!(
            m.body == want_manifest,
            "/export.manifest.json?format={format} differs from the CLI's:\n{}\n---\n{}",
            m.text(),
            String::from_utf8_lossy(&want_manifest)
        );
    }
    // The formula guard holds in downloads: nothing in the sample starts with '=', so check the
    // manifest's word for it.
    let m: Value =
        serde_json::from_slice(&server.get(&format!("/export.manifest.json?{query}")).body)
            .unwrap();
    assert_eq!(m["formula_guard"], true);
    assert_eq!(m["rows"], want.len());

    // HEAD names the download without sending it.
    let r = server.raw(&format!(
        "HEAD /export.csv?status=pending HTTP/1.1\r\nHost: 127.0.0.1:{}\r\n\r\n",
        server.port
    ));
    assert_eq!(r.status, 200);
    assert!(r.body.is_empty());
    assert_eq!(
        r.header("content-disposition"),
        Some("attachment; filename=\"rollcall_snapshot-1_status-pending.csv\"")
    );
}

#[test]
fn details_by_status_and_unknown_users() {
    let (env, t) = org();
    let server = Server::start(&env, &[]);
    for status in ["no-license", "pending", "using"] {
        let u = t
            .iter()
            .find(|u| u.status == status && (status != "using" || u.device_count > 1))
            .unwrap_or_else(|| panic!("a {status} user in the sample"));
        let d = server.json(&format!("/api/user?email={}", u.email.to_uppercase()));
        assert_eq!(
            d["email"].as_str().map(str::to_lowercase),
            Some(u.email.to_lowercase())
        );
        assert_eq!(d["name"], u.name);
        assert_eq!(d["status"], status);
        assert_eq!(
            d["status_label"],
            match status {
                "no-license" => "No License",
                "pending" => "Pending User Action",
                _ => "Using Enpass",
            }
        );
        assert_eq!(
            d["license"],
            if u.license_assigned {
                "assigned"
            } else {
                "unassigned"
            }
        );
        assert_eq!(d["reminders_sent"], u.reminders_sent);
        assert_eq!(
            d["devices"].as_array().unwrap().len() as u32,
            u.device_count
        );
        assert_eq!(d["scim"], u.scim);
        let stages = d["stages"].as_array().unwrap();
        assert_eq!(stages.len(), 3, "{d}");
        if status == "using" {
            assert!(
                stages.iter().all(|s| s["done"] == true),
                "a user using Enpass did every stage: {d}"
            );
        }
        if status == "pending" {
            assert!(
                stages.iter().any(|s| s["done"] == false),
                "a pending user has a stage to do: {d}"
            );
        }
        // Within the view's filters only.
        let other = if status == "using" {
            "pending"
        } else {
            "using"
        };
        let e = server.error(&format!("/api/user?email={}&status={other}", u.email), 404);
        assert!(e["error"].as_str().unwrap().contains("not among"), "{e}");
        server.json(&format!("/api/user?email={}&status={status}", u.email));
    }
    let e = server.error("/api/user?email=zoe.angstrom%40example.co", 404);
    assert!(
        e["suggestions"]
            .as_array()
            .unwrap()
            .iter()
            .any(|s| s == "zoe.angstrom@example.com"),
        "did you mean: {e}"
    );
    let e = server.error("/api/user", 400);
    assert!(e["error"].as_str().unwrap().contains("email"), "{e}");
}

#[test]
fn snapshots_switch_and_scope_parameters() {
    let (env, t) = org();
    env.ingest(
        "Name,Email,License\nNew One,new.one@example.com,Assigned\nNew Two,new.two@example.com,Unassigned\n",
        None,
        DEFAULT_AS_OF,
    );
    let server = Server::start(&env, &[]);

    let s = server.json("/api/snapshots");
    assert_eq!(s["latest"], 2);
    let list = s["snapshots"].as_array().unwrap();
    assert_eq!(
        list.iter().map(|s| s["id"].clone()).collect::<Vec<_>>(),
        [json!(1), json!(2)]
    );
    assert_eq!(list[0]["users"], N);
    assert_eq!(list[1]["users"], 2);
    assert_eq!(list[0]["rejected"], 0);
    assert_eq!(list[0]["as_of"], DEFAULT_AS_OF);
    assert!(list[0]["ingested_at"].is_string() && list[0]["label"].is_null());
    let inputs: Vec<&str> = list[0]["inputs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["kind"].as_str().unwrap())
        .collect();
    assert_eq!(inputs, ["users", "devices"]);
    assert_eq!(list[0]["inputs"][0]["rows_kept"], N);
    assert_eq!(list[1]["inputs"].as_array().unwrap().len(), 1);

    // The latest by default, any snapshot by parameter, on every route.
    assert_eq!(server.json("/api/users?limit=0")["total"], 2);
    assert_eq!(server.json("/api/users?limit=0&snapshot=1")["total"], N);
    assert_eq!(server.json("/api/summary?snapshot=1")["total"], N);
    assert_eq!(server.json("/api/summary")["total"], 2);
    server.json("/api/user?email=zoe.angstrom@example.com&snapshot=1");
    server.error("/api/user?email=zoe.angstrom@example.com", 404);
    let r = server.get("/export.csv?snapshot=1");
    assert_eq!(r.text().lines().count() as u64, N + 1);
    assert_eq!(
        r.header("content-disposition"),
        Some("attachment; filename=\"rollcall_snapshot-1.csv\"")
    );
    let e = server.error("/api/users?snapshot=3", 400);
    assert!(e["error"].as_str().unwrap().contains("have: 1, 2"), "{e}");

    // window-days and as-of change what "active" means.
    let active_in = |as_of: chrono::DateTime<chrono::Utc>, days: i64| {
        count(&t, |u| u.activity(as_of, days) == "active")
    };
    let as_of = crate::common::truth::as_of();
    assert_eq!(
        server.json("/api/users?snapshot=1&activity=active&window-days=7&limit=0")["total"],
        active_in(as_of, 7)
    );
    let later = as_of + chrono::TimeDelta::days(20);
    assert_eq!(
        server.json(&format!(
            "/api/users?snapshot=1&activity=active&as-of={}&limit=0",
            later.format("%Y-%m-%dT%H:%M:%SZ")
        ))["total"],
        active_in(later, 30)
    );
}

#[test]
fn rejects_page_through_a_snapshot() {
    let env = Env::new();
    let data = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("sample-data");
    env.ok(&[
        "ingest",
        "--users",
        data.join("bad-users.csv").to_str().unwrap(),
        "--devices",
        data.join("bad-devices.csv").to_str().unwrap(),
        "--as-of",
        DEFAULT_AS_OF,
        "--quiet",
    ]);
    env.ingest(
        "Name,Email,License\nAnn,ann@example.com,Assigned\n",
        None,
        DEFAULT_AS_OF,
    );
    let server = Server::start(&env, &[]);

    let latest = server.json("/api/rejects");
    assert_eq!(
        (latest["snapshot"].clone(), latest["total"].clone()),
        (json!(2), json!(0))
    );
    let all = server.json("/api/rejects?snapshot=1&limit=1000");
    assert_eq!(all["total"], 12);
    let rows = all["rejects"].as_array().unwrap();
    assert_eq!(rows.len(), 12);
    // By hand, from sample-data/bad-users.csv and bad-devices.csv: users first, in line order.
    let first = &rows[0];
    assert_eq!(first["file"], "bad-users.csv");
    assert_eq!(first["line"], 3);
    assert_eq!(first["column"], "Email");
    assert_eq!(first["reason"], "missing-email");
    assert_eq!(first["detail"], "email is empty");
    assert_eq!(
        first["raw"],
        "No Email,,Yes,,Assigned,Pending User Action,2026-10-01T10:00:00Z,,,1"
    );
    let short = rows.iter().find(|r| r["line"] == 11).unwrap();
    assert_eq!(
        (short["reason"].clone(), short["column"].clone()),
        (json!("field-count"), Value::Null)
    );
    let lines: Vec<(String, u64)> = rows
        .iter()
        .map(|r| {
            (
                r["file"].as_str().unwrap().to_string(),
                r["line"].as_u64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        lines,
        [3, 4, 5, 6, 7, 8, 11, 12, 13, 14]
            .map(|l| ("bad-users.csv".to_string(), l))
            .into_iter()
            .chain([3, 4].map(|l| ("bad-devices.csv".to_string(), l)))
            .collect::<Vec<_>>()
    );
    assert_eq!(rows[10]["reason"], "unknown-user");

    // Pages of 5 are the same rows.
    let mut paged = Vec::new();
    for offset in [0, 5, 10] {
        let p = server.json(&format!("/api/rejects?snapshot=1&limit=5&offset={offset}"));
        assert_eq!(p["total"], 12);
        paged.extend(p["rejects"].as_array().unwrap().clone());
    }
    assert_eq!(&paged, rows);
    server.error("/api/rejects?limit=1001", 400);
}

/// Issue #11's hand-over: `rollcall ingest` into the database `serve` holds open succeeds while
/// four clients keep asking for pages, without stopping the server. Every answer meanwhile is a
/// 200 or a 503 with `Retry-After` (never a 500, never a dropped connection), some answers came
/// during the ingest's own run, and the next request shows the new snapshot.
#[test]
fn ingest_while_serving_under_concurrent_requests() {
    use std::sync::atomic::{AtomicBool, Ordering};

    let (env, t) = org();
    let server = Server::start(&env, &[]);
    let before = server.json("/api/users?limit=1");
    assert_eq!(before["total"], t.len());
    let snap = before["snapshot"].as_i64().unwrap();
    let port = server.port;
    let stop = Arc::new(AtomicBool::new(false));
    let clients: Vec<_> = (0..4)
        .map(|k| {
            let stop = stop.clone();
            std::thread::spawn(move || {
                let paths = [
                    "/api/users?status=pending&limit=20",
                    "/api/summary",
                    "/api/users?search=an&limit=5&offset=10",
                    "/api/user?email=zoe.angstrom%40example.com",
                ];
                let mut seen = Vec::new();
                let mut i = k;
                while !stop.load(Ordering::Relaxed) {
                    let path = paths[i % paths.len()];
                    let r = http(
                        port,
                        &format!("GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nConnection: close\r\n\r\n"),
                    );
                    seen.push((Instant::now(), path, r.status, r.header("retry-after").is_some()));
                    i += 1;
                }
                seen
            })
        })
        .collect();
    std::thread::sleep(Duration::from_millis(300));
    let started = Instant::now();
    let users = env.write(
        "new-users.csv",
        "Name,Email,License\nNew One,new.one@example.com,Assigned\nNew Two,new.two@example.com,Unassigned\n",
    );
    let out = env
        .std_cmd()
        .args([
            "ingest",
            "--users",
            users.to_str().unwrap(),
            "--as-of",
            DEFAULT_AS_OF,
            "--wait",
            "30s",
        ])
        .output()
        .unwrap();
    let ended = Instant::now();
    assert!(
        out.status.success(),
        "ingest while serving: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    std::thread::sleep(Duration::from_millis(300));
    stop.store(true, Ordering::Relaxed);
    let seen: Vec<_> = clients
        .into_iter()
        .flat_map(|c| c.join().unwrap())
        .collect();

    let bad: Vec<_> = seen
        .iter()
        .filter(|(at, path, status, retry)| {
            // ZOË is not in the new snapshot: once it is in, her details are a 404.
            let gone = path.starts_with("/api/user?") && *status == 404 && *at >= started;
            !(*status == 200 || (*status == 503 && *retry) || gone)
        })
        .collect();
    assert!(
        bad.is_empty(),
        "answers other than 200 or 503 + Retry-After: {bad:?}"
    );
    let during = seen
        .iter()
        .filter(|(at, ..)| *at >= started && *at <= ended)
        .count();
    assert!(during > 0, "no request was answered while the ingest ran");
    assert!(
        seen.iter().filter(|s| s.2 == 200).count() > 8,
        "the server kept serving: {} answers",
        seen.len()
    );
    let after = server.json("/api/users?limit=10");
    assert_eq!(after["snapshot"].as_i64().unwrap(), snap + 1, "{after}");
    // Answers kept for repeated requests are of the new snapshot now (the clients asked for
    // this very summary before the ingest).
    let summary = server.json("/api/summary");
    assert_eq!(
        summary["total"], 2,
        "a kept answer of the old snapshot: {summary}"
    );
    assert_eq!(summary["snapshot"]["id"].as_i64().unwrap(), snap + 1);
    assert_eq!(after["total"], 2);
    assert_eq!(
        emails(&after),
        vec!["new.one@example.com", "new.two@example.com"]
    );
    let stderr = server.stderr();
    assert!(
        stderr.contains("an ingest waits for the database"),
        "the server said it stepped aside: {stderr}"
    );
    assert!(!stderr.contains("panicked"), "{stderr}");
}

/// The console asks for the summary on every change: `/api/summary` lists the first 100
/// notices and counts them all, while `rollcall summary` lists every one.
#[test]
fn the_summary_route_lists_at_most_100_notices_and_counts_them_all() {
    let env = Env::new();
    let mut csv = String::from("Name,Email,License,Status\n");
    for i in 0..120 {
        csv.push_str(&format!(
            "User {i},u{i}@example.com,Assigned,Using Enpass\n"
        ));
    }
    // Using Enpass with no use on record: one using-never-used notice per user.
    env.ingest(&csv, None, DEFAULT_AS_OF);
    let cli: Value = serde_json::from_str(&env.ok(&["summary", "--format", "json"])).unwrap();
    assert_eq!(cli["quality"]["notices"].as_array().unwrap().len(), 120);
    assert_eq!(cli["quality"]["notices_total"], 120);
    let server = Server::start(&env, &[]);
    let api = server.json("/api/summary");
    let notices = api["quality"]["notices"].as_array().unwrap();
    assert_eq!(notices.len(), 100);
    assert_eq!(api["quality"]["notices_total"], 120);
    assert_eq!(notices[0]["email"], "u0@example.com");
    assert_eq!(notices[0]["kind"], "using-never-used");
    assert_eq!(api["matches"], 120);
}

/// `--memory-limit` bounds the server's DuckDB: a full download whose sort needs more spills
/// into the server's private folder and still equals `rollcall export`'s file; a bad size is a
/// usage error before listening.
#[test]
fn a_download_past_the_memory_limit_spills_and_stays_whole() {
    let (env, t) = crate::common::sample_org(100_000, 3);
    let server = Server::start(&env, &["--memory-limit", "32MiB", "--cache", "0"]);
    let r = server.get("/export.csv?sort=email:desc");
    assert_eq!(r.status, 200, "{}", r.text());
    let export = env.path("all.csv");
    env.ok(&[
        "export",
        "--sort",
        "email:desc",
        "-o",
        export.to_str().unwrap(),
        "--quiet",
    ]);
    let want = std::fs::read(&export).unwrap();
    assert!(
        r.body == want,
        "the bounded download differs from the export"
    );
    assert_eq!(r.text().lines().count(), t.len() + 1);

    let out = env
        .std_cmd()
        .args(["serve", "--port", "0", "--memory-limit", "lots"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("--memory-limit") && err.contains("expected a size"),
        "{err}"
    );
}

/// A page a person opens (a stale link to a snapshot that is gone, a bad as-of) is refused with
/// a page that says why, with the same status; the API keeps answering JSON.
#[test]
fn a_refused_page_says_why_as_a_page() {
    let (env, _) = crate::common::sample_org(20, 5);
    let server = Server::start(&env, &[]);
    for (path, words) in [
        ("/?snapshot=99", "no such snapshot"),
        (
            "/?as-of=yesterday",
            "as-of=yesterday: expected an ISO 8601 date",
        ),
        (
            "/rejects?snapshot=abc",
            "snapshot=abc: expected a whole number",
        ),
        (
            "/snapshots?%3Cb%3E=1",
            "unknown parameter &#x27;&lt;b&gt;&#x27;",
        ),
    ] {
        let r = server.get(path);
        assert_eq!(r.status, 400, "{path}");
        assert_eq!(
            r.header("content-type"),
            Some("text/html; charset=utf-8"),
            "{path}"
        );
        let html = r.text();
        assert!(
            html.contains("<h1>Cannot show this page</h1>"),
            "{path}: {html}"
        );
        assert!(html.contains(words), "{path} says {words:?}: {html}");
        assert!(html.contains("href=\"/snapshots\""), "{path}: a way on");
        assert!(!html.contains("<b>"), "{path}: the parameter is escaped");
        let csp = r.header("content-security-policy").unwrap();
        assert!(csp.contains("default-src 'none'"), "{csp}");
    }
    let api = server.error("/api/users?snapshot=99", 400);
    assert!(
        api["error"].as_str().unwrap().contains("no such snapshot"),
        "{api}"
    );
}

/// The served list sorts by the same collation as `users` (`collation.rs` has the fixture and
/// the orders worked out by hand).
#[test]
fn the_served_list_sorts_names_and_emails_by_the_collation() {
    use crate::collation::{BY_EMAIL, BY_EMAIL_DESC, BY_KEY, BY_NAME, BY_NAME_DESC};
    let env = crate::collation::env();
    let server = Server::start(&env, &[]);
    for (sort, want) in [
        ("", BY_NAME),
        ("&sort=name:desc", BY_NAME_DESC),
        ("&sort=email", BY_EMAIL),
        ("&sort=email:desc", BY_EMAIL_DESC),
        ("&sort=last_used", BY_KEY),
    ] {
        let v = server.json(&format!("/api/users?limit=50{sort}"));
        let got: Vec<&str> = v["users"]
            .as_array()
            .unwrap()
            .iter()
            .map(|u| u["email"].as_str().unwrap())
            .collect();
        assert_eq!(got, want, "/api/users?{sort}");
    }
}
