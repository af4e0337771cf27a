//! Issue 13 (the server's part): `/api/diff`, `/api/trend` and the `/diff` page over real
//! sockets, on the hand-worked three-snapshot organisation of `crate::history`: the API
//! answers what `rollcall diff` and `rollcall trend` print, a page at a time; the page pages,
//! keeps its form's choices, and draws the trend; bad values are 400s naming what is wrong.

use super::*;

#[test]
fn the_diff_page_and_apis_answer_like_the_cli() {
    let env = crate::history::org();
    crate::history::third(&env);
    let server = Server::start(&env, &[]);

    // The API is the CLI's JSON, its users a page at a time.
    let cli = env.json(&["diff", "--from", "1", "--to", "2", "--format", "json"]);
    let all = server.json("/api/diff?from=1&to=2&limit=1000");
    assert_eq!(all["counts"], cli["counts"]);
    assert_eq!(all["users"], cli["users"]);
    assert_eq!(
        (
            all["total"].as_u64(),
            all["from"]["snapshot"]["id"].as_i64()
        ),
        (Some(9), Some(1))
    );
    let page = server.json("/api/diff?from=1&to=2&offset=2&limit=2");
    assert_eq!(page["users"], json!([cli["users"][2], cli["users"][3]]));
    assert_eq!(
        (
            page["offset"].as_u64(),
            page["limit"].as_u64(),
            page["total"].as_u64()
        ),
        (Some(2), Some(2), Some(9))
    );
    // Defaults: the previous snapshot against the latest (2 → 3: Fay back).
    let latest = server.json("/api/diff");
    assert_eq!(
        (
            latest["from"]["snapshot"]["id"].as_i64(),
            latest["to"]["snapshot"]["id"].as_i64()
        ),
        (Some(2), Some(3))
    );
    assert_eq!(emails(&latest), ["fay@example.com"]);
    // Filters, side and transitions as the CLI takes them.
    let pending = server.json("/api/diff?from=1&to=2&status=pending&side=from");
    assert_eq!(emails(&pending), ["dee@example.com"]);
    let some = server.json("/api/diff?from=1&to=2&transition=hub-lost,hub-authenticated");
    assert_eq!(emails(&some), ["hal@example.com", "ivy@example.com"]);
    // The trend: the CLI's.
    assert_eq!(
        server.json("/api/trend"),
        env.json(&["trend", "--format", "json"])
    );
    // Refusals: one clear message each.
    for (path, says) in [
        ("/api/diff?from=9", "from 9: no such snapshot"),
        ("/api/diff?from=2&to=2", "both snapshot 2"),
        ("/api/diff?snapshot=1", "compares from and to"),
        ("/api/diff?side=middle", "side=middle: expected to or from"),
        ("/api/diff?transition=moved", "unknown transition 'moved'"),
        ("/api/diff?limit=5000", "limit"),
        ("/api/trend?as-of=2026-12-01", "every snapshot"),
    ] {
        let e = server.error(path, 400);
        assert!(e["error"].as_str().unwrap().contains(says), "{path}: {e}");
    }

    // The page: the pair picked, a page of users with a link to the next, the chart.
    let r = server.get("/diff?from=1&to=2&limit=3");
    assert_eq!(r.status, 200, "{}", r.text());
    let csp = r.header("content-security-policy").unwrap();
    assert!(csp.contains("form-action 'self'"), "{csp}");
    assert!(!csp.contains("script-src"), "the page has no script: {csp}");
    let html = r.text();
    assert!(
        html.contains("<option value=\"1\" selected>#1"),
        "from picked"
    );
    assert!(
        html.contains("<option value=\"2\" selected>#2"),
        "to picked"
    );
    assert!(html.contains("Users 1–3 of 9"), "{html}");
    // (minijinja escapes the value's slash; the browser reads it back.)
    assert!(
        html.contains("href=\"&#x2f;diff?from=1&amp;to=2&amp;offset=3&amp;limit=3\""),
        "the next page's link"
    );
    assert_eq!(
        html.matches("<tr><td data-label=\"Transition\">").count()
            + html
                .matches("<tr class=\"zero\"><td data-label=\"Transition\">")
                .count(),
        17
    );
    assert_eq!(
        html.matches("<polyline class=\"line").count(),
        5,
        "the trend's five lines"
    );
    assert!(
        html.contains("ann@<wbr>example.<wbr>com") && !html.contains("dee@<wbr>"),
        "the first page only"
    );
    let next = server.get("/diff?from=1&to=2&offset=3&limit=3").text();
    assert!(
        next.contains("dee@<wbr>example.<wbr>com") && next.contains("Users 4–6 of 9"),
        "{next}"
    );
    // Filters kept as hidden fields, so Compare keeps them.
    let kept = server.get("/diff?status=pending&from=1&to=2").text();
    assert!(
        kept.contains("<input type=\"hidden\" name=\"status\" value=\"pending\">"),
        "{kept}"
    );
    // A bad value is a page that says why.
    let bad = server.get("/diff?from=9");
    assert_eq!(bad.status, 400);
    assert!(bad.header("content-type").unwrap().starts_with("text/html"));
    assert!(bad.text().contains("from 9: no such snapshot"));
    // The console links to it.
    assert!(server.get("/").text().contains("href=\"/diff\""));
}
