//! Issue 12 (the server's part): Email Preview, Send Reminder and Assign License over real
//! sockets, on the reminders' hand-written fixture (`crate::remind::USERS`). The preview must
//! be byte for byte what `remind preview` prints at the same instant; a send must leave what
//! `remind send` leaves (an outbox file that parses back, a `reminder_log` row, the count one
//! higher everywhere); a decision must be the one `licenses list` shows. Cross-site posts,
//! wrong methods, bodies and too many users are refused with nothing written.

use std::path::PathBuf;

use super::*;
use crate::remind::{AS_OF, FROM, NOW, USERS};

fn post(server: &Server, path_query: &str, extra_headers: &str) -> Resp {
    server.raw(&format!(
        "POST {path_query} HTTP/1.1\r\nHost: 127.0.0.1:{}\r\nConnection: close\r\nContent-Length: 0\r\n{extra_headers}\r\n",
        server.port
    ))
}

fn body(r: &Resp) -> Value {
    serde_json::from_slice(&r.body).unwrap_or_else(|e| panic!("not JSON ({e}): {}", r.text()))
}

fn outbox_files(dir: &Path) -> Vec<PathBuf> {
    if !dir.exists() {
        return vec![];
    }
    let mut v: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    v.sort();
    v
}

fn reminders_of(server: &Server, email: &str) -> i64 {
    server.json(&format!("/api/user?email={email}"))["reminders_sent"]
        .as_i64()
        .unwrap()
}

fn start(env: &Env, args: &[&str]) -> Server {
    Server::launch(
        env,
        Launch {
            args,
            env: vec![("ROLLCALL_TEST_NOW", NOW.to_string())],
            ..Launch::default()
        },
    )
}

#[test]
fn preview_send_and_assign_work_and_leave_what_the_cli_leaves() {
    let env = Env::new();
    env.ingest(USERS, None, AS_OF);
    env.ok(&["licenses", "seats", "4"]);
    let outbox = env.path("served-outbox");
    let outbox_arg = outbox.to_str().unwrap().to_string();
    let server = start(
        &env,
        &[
            "--org",
            "Acme & Co",
            "--from",
            FROM,
            "--outbox",
            &outbox_arg,
        ],
    );

    // The preview is `remind preview` at the same instant, byte for byte, and its parts are
    // the message's own.
    let p = server.json("/api/remind/preview?email=ZOE%40example.com");
    let cli = env
        .cmd()
        .env("ROLLCALL_TEST_NOW", NOW)
        .args([
            "remind",
            "preview",
            "zoe@example.com",
            "--org",
            "Acme & Co",
            "--from",
            FROM,
        ])
        .output()
        .unwrap();
    assert!(cli.status.success());
    assert_eq!(p["raw"].as_str().unwrap().as_bytes(), &cli.stdout[..]);
    assert_eq!(p["stage"], "setup");
    assert_eq!(p["reminders_sent"], 1);
    assert_eq!(p["to"], "Zoë Ångström <zoe@example.com>");
    assert_eq!(p["from"], FROM);
    let parsed = mail_parser::MessageParser::default()
        .parse(p["raw"].as_str().unwrap().as_bytes())
        .unwrap();
    assert_eq!(parsed.subject(), p["subject"].as_str());
    assert_eq!(
        parsed.body_text(0).unwrap().replace("\r\n", "\n"),
        p["text"].as_str().unwrap()
    );
    assert!(p["html"].as_str().unwrap().contains("Acme &amp; Co"));
    assert!(p["text"].as_str().unwrap().contains("Hello Zoë Ångström"));
    // Not pending: nothing to preview (400 naming why); unknown: 404.
    let e = server.error("/api/remind/preview?email=eve@example.com", 400);
    assert!(e["error"].as_str().unwrap().contains("no reminder"), "{e}");
    server.error("/api/remind/preview?email=nobody@example.com", 404);
    server.error("/api/remind/preview", 400);

    // Send Reminder: one outbox file that parses back, the count one higher everywhere.
    assert_eq!(reminders_of(&server, "zoe@example.com"), 1);
    let r = post(&server, "/api/remind?email=zoe%40example.com", "");
    assert_eq!(r.status, 200, "{}", r.text());
    let v = body(&r);
    assert_eq!(
        (
            v["sent"].as_u64(),
            v["skipped"].as_u64(),
            v["failed"].as_u64()
        ),
        (Some(1), Some(0), Some(0)),
        "{v}"
    );
    assert_eq!(v["results"][0]["outcome"], "sent");
    assert_eq!(v["results"][0]["email"], "zoe@example.com");
    assert!(v["via"].as_str().unwrap().contains("served-outbox"), "{v}");
    let files = outbox_files(&outbox);
    assert_eq!(files.len(), 1, "{files:?}");
    let bytes = std::fs::read(&files[0]).unwrap();
    let m = mail_parser::MessageParser::default().parse(&bytes).unwrap();
    assert_eq!(m.subject(), p["subject"].as_str());
    let to = m.to().unwrap().first().unwrap();
    assert_eq!(to.address(), Some("zoe@example.com"));
    assert_eq!(to.name(), Some("Zoë Ångström"));
    assert_eq!(reminders_of(&server, "zoe@example.com"), 2);
    let twos = server.json("/api/users?reminders=2&columns=email");
    let mut e = emails(&twos);
    e.sort();
    assert_eq!(e, ["cleo@example.com", "zoe@example.com"]);

    // Within --min-interval: skipped, saying why; force=1 sends anyway.
    let v = body(&post(&server, "/api/remind?email=zoe@example.com", ""));
    assert_eq!(
        (v["sent"].as_u64(), v["skipped"].as_u64()),
        (Some(0), Some(1)),
        "{v}"
    );
    assert!(
        v["results"][0]["line"]
            .as_str()
            .unwrap()
            .contains("--min-interval 24h"),
        "{v}"
    );
    let v = body(&post(
        &server,
        "/api/remind?email=zoe@example.com&force=1",
        "",
    ));
    assert_eq!(v["sent"], 1, "{v}");
    assert_eq!(outbox_files(&outbox).len(), 2);
    assert_eq!(reminders_of(&server, "zoe@example.com"), 3);

    // Several at once ("remind selected"): the pending one sent, the others skipped with why.
    let r = post(
        &server,
        "/api/remind?email=bob@example.com&email=eve@example.com&email=dan@example.com",
        "",
    );
    assert_eq!(r.status, 200, "{}", r.text());
    let v = body(&r);
    assert_eq!(
        (v["sent"].as_u64(), v["skipped"].as_u64()),
        (Some(1), Some(2)),
        "{v}"
    );
    let outcomes: BTreeSet<(String, String)> = v["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| {
            (
                a["email"].as_str().unwrap().to_string(),
                a["outcome"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    assert_eq!(
        outcomes,
        [
            ("bob@example.com", "sent"),
            ("dan@example.com", "skipped"),
            ("eve@example.com", "skipped")
        ]
        .map(|(a, b)| (a.to_string(), b.to_string()))
        .into_iter()
        .collect()
    );

    // Refused, with nothing sent: another site, another origin, GET, a body, too many users.
    let before = outbox_files(&outbox).len();
    for (headers, status) in [
        ("Sec-Fetch-Site: cross-site\r\n", 403),
        ("Sec-Fetch-Site: same-site\r\n", 403),
        ("Origin: http://evil.example\r\n", 403),
        ("Origin: null\r\n", 403),
    ] {
        let r = post(&server, "/api/remind?email=cleo@example.com", headers);
        assert_eq!(r.status, status, "{headers:?}: {}", r.text());
    }
    let r = server.get("/api/remind?email=cleo@example.com");
    assert_eq!(r.status, 405);
    assert_eq!(r.header("allow"), Some("POST"));
    let r = server.raw(&format!(
        "POST /api/remind?email=cleo@example.com HTTP/1.1\r\nHost: 127.0.0.1:{}\r\nConnection: close\r\nContent-Length: 5\r\n\r\nhello",
        server.port
    ));
    assert_eq!(r.status, 413, "{}", r.text());
    let many: Vec<String> = (0..51).map(|i| format!("email=u{i}@example.com")).collect();
    let r = post(&server, &format!("/api/remind?{}", many.join("&")), "");
    assert_eq!(r.status, 400, "{}", r.text());
    assert!(body(&r)["error"].as_str().unwrap().contains("at most 50"));
    // The same origin, as the page's own fetch sends it, is let through.
    let r = post(
        &server,
        "/api/remind?email=cleo@example.com",
        &format!(
            "Origin: http://127.0.0.1:{}\r\nSec-Fetch-Site: same-origin\r\n",
            server.port
        ),
    );
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(outbox_files(&outbox).len(), before + 1);

    // Assign License: a decision on the worklist, open; refused for a licensed user (nothing
    // recorded) and for the page of another site.
    let r = post(
        &server,
        "/api/worklist/mark?email=dan%40example.com&note=new+hire",
        "",
    );
    assert_eq!(r.status, 200, "{}", r.text());
    let v = body(&r);
    assert_eq!(v["marked"], json!(["dan@example.com"]));
    assert_eq!(v["state"], "open");
    let r = post(&server, "/api/worklist/mark?email=eve@example.com", "");
    assert_eq!(r.status, 400);
    assert!(body(&r)["error"]
        .as_str()
        .unwrap()
        .contains("already has a license"));
    let r = post(
        &server,
        "/api/worklist/mark?email=dan@example.com",
        "Sec-Fetch-Site: cross-site\r\n",
    );
    assert_eq!(r.status, 403);
    let r = post(
        &server,
        "/api/worklist/mark?email=dan@example.com&action=steal",
        "",
    );
    assert_eq!(r.status, 400);
    let w = server.json("/api/worklist");
    assert_eq!(
        (w["total"].as_u64(), w["open"].as_u64()),
        (Some(1), Some(1)),
        "{w}"
    );
    assert_eq!(w["decisions"][0]["email"], "dan@example.com");
    assert_eq!(w["decisions"][0]["note"], "new hire");
    assert_eq!(w["decisions"][0]["action"], "assign");
    let page = server.get("/worklist");
    assert_eq!(page.status, 200);
    let html = page.text();
    assert!(
        html.contains("dan@example.com") && html.contains("1 decision, 1 open"),
        "{html}"
    );
    let csv = server.get("/worklist.csv");
    assert_eq!(csv.status, 200);
    assert!(
        csv.text()
            .starts_with("email,action,note,marked_at,marked_snapshot,state,confirmed_by\n"),
        "{}",
        csv.text()
    );
    assert!(
        csv.text().contains("dan@example.com,assign,new hire,"),
        "{}",
        csv.text()
    );
    let todo = server.get("/licenses-todo.csv");
    assert_eq!(todo.status, 200);
    assert!(
        todo.text()
            .lines()
            .any(|l| l.starts_with("assign,") && l.contains("dan@example.com")),
        "{}",
        todo.text()
    );

    // Seats, org-wide: four recorded, four users hold a license.
    let s = server.json("/api/summary?status=pending");
    assert_eq!(
        s["seats"],
        json!({"seats": 4, "assigned": 4, "utilisation": 100.0, "source": "recorded"})
    );

    // The CLI reads what the server wrote: the same log and worklist.
    drop(server);
    let log = env.ok(&[
        "query",
        "SELECT email, outcome, channel FROM reminder_log ORDER BY attempted_at, rowid",
        "--format",
        "csv",
    ]);
    assert_eq!(
        log,
        "email,outcome,channel\n\
         zoe@example.com,sent,outbox\n\
         zoe@example.com,skipped,outbox\n\
         zoe@example.com,sent,outbox\n\
         eve@example.com,skipped,outbox\n\
         dan@example.com,skipped,outbox\n\
         bob@example.com,sent,outbox\n\
         cleo@example.com,sent,outbox\n"
    );
    let list = env.json(&["licenses", "list", "--format", "json"]);
    assert_eq!(list[0]["email"], "dan@example.com");
    assert_eq!(list[0]["state"], "open");
}

/// A delivery that fails is logged and answered 502 with the account of what happened.
#[test]
fn a_failed_delivery_is_502_and_logged() {
    let env = Env::new();
    env.ingest(USERS, None, AS_OF);
    let server = start(&env, &["--via", "sendmail", "--sendmail", "/bin/false"]);
    let r = post(&server, "/api/remind?email=bob@example.com", "");
    assert_eq!(r.status, 502, "{}", r.text());
    let v = body(&r);
    assert_eq!(
        (v["sent"].as_u64(), v["failed"].as_u64()),
        (Some(0), Some(1)),
        "{v}"
    );
    assert!(
        v["error"]
            .as_str()
            .unwrap()
            .contains("1 of 1 reminders failed"),
        "{v}"
    );
    assert_eq!(reminders_of(&server, "bob@example.com"), 0);
    drop(server);
    let log = env.ok(&[
        "query",
        "SELECT outcome FROM reminder_log",
        "--format",
        "csv",
    ]);
    assert_eq!(log, "outcome\nfailed\n");
}

/// The served details page's buttons, clicked in headless Chromium: Email preview shows the
/// API's rendering, Send reminder sends (an outbox file, the count one higher on the page),
/// Assign license records an open decision, and "remind selected" sends the users ticked in
/// the list (across pages and searches, at most 50) once confirmed, saying why each one not
/// sent was skipped. axe-core finds nothing serious with the preview open, nor with a
/// selection and a send's account shown.
#[test]
#[ignore = "needs Chromium and axe-core (ROLLCALL_AXE_JS); .ci/run runs ignored tests"]
fn the_action_buttons_work_in_chromium() {
    let chrome = cdp::launch();
    let env = Env::new();
    // The reminders' fixture and 55 more pending users ("Pat …", between Eve and Zoë by name):
    // two pages of the list, and more users than one send takes.
    let mut users = USERS.to_string();
    for k in 1..=55 {
        users.push_str(&format!(
            "Pat Person {k:02},pat{k:02}@example.com,No,,Assigned,Pending User Action,,,,0\n"
        ));
    }
    env.ingest(&users, None, AS_OF);
    let outbox = env.path("served-outbox");
    let outbox_arg = outbox.to_str().unwrap().to_string();
    let server = Server::start(&env, &["--org", "Acme & Co", "--outbox", &outbox_arg]);
    let base = server.url.clone();
    let details_open = |page: &Probe| {
        page.wait_for(
            "details open",
            "return document.getElementById('details').open && !!document.querySelector('#details-body .action-bar')",
            &json!(true),
        );
    };

    let page = Probe::open(&chrome, &format!("{base}?user=zoe%40example.com"));
    details_open(&page);
    assert_eq!(
        page.eval_str("return document.querySelector('#details-body .reminders-sent').textContent"),
        "Reminder emails sent: 1"
    );
    page.click("#details-body .action-bar button:not(.primary)");
    let subject = server.json("/api/remind/preview?email=zoe@example.com")["subject"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(subject.contains("Acme & Co"), "{subject}");
    page.wait_for(
        "the preview",
        "const p = document.querySelector('#details-body .mail-preview'); return p ? p.querySelector('dl').textContent : null",
        &json!(format!("Fromrollcall@localhostToZoë Ångström <zoe@example.com>Subject{subject}")),
    );
    let text =
        page.eval_str("return document.querySelector('#details-body .mail-text').textContent");
    assert!(text.starts_with("Hello Zoë Ångström,"), "{text}");
    axe_check(
        &page,
        "a pending user's details with the email preview open",
    );

    page.click("#details-body .action-bar .primary");
    page.wait_for(
        "sent",
        "const s = document.querySelector('#details-body .action-status'); return s ? s.textContent.slice(0, 5) : null",
        &json!("Sent "),
    );
    page.wait_for(
        "the count follows",
        "const s = document.querySelector('#details-body .reminders-sent'); return s ? s.textContent : null",
        &json!("Reminder emails sent: 2"),
    );
    assert_eq!(outbox_files(&outbox).len(), 1);
    // A second click within a day is skipped and offers to send anyway.
    page.click("#details-body .action-bar .primary");
    page.wait_for(
        "skipped",
        "const s = document.querySelector('#details-body .action-status'); return s ? s.textContent.slice(0, 9) : null",
        &json!("Not sent:"),
    );
    page.click("#details-body .action-status button");
    page.wait_for(
        "sent anyway",
        "const s = document.querySelector('#details-body .reminders-sent'); return s ? s.textContent : null",
        &json!("Reminder emails sent: 3"),
    );
    assert_eq!(outbox_files(&outbox).len(), 2);

    // Assign License for the user without one.
    let page2 = Probe::open(&chrome, &format!("{base}?user=dan%40example.com"));
    details_open(&page2);
    page2.click("#details-body .action-bar .primary");
    page2.wait_for(
        "recorded",
        "const s = document.querySelector('#details-body .action-status'); return s ? s.textContent.slice(0, 32) : null",
        &json!("Added to the license worklist: o"),
    );
    let w = server.json("/api/worklist");
    assert_eq!(w["decisions"][0]["email"], "dan@example.com");
    assert_eq!(w["open"], 1);

    // Remind selected: boxes ticked with the mouse on page 1 (Bob, Cleo and Eve, who is not
    // pending) and page 2 (Zoë, reminded twice just now), kept through a search.
    let page3 = Probe::open(&chrome, &base);
    let said = |what: &str, want: &str| {
        page3.wait_for(
            what,
            "return document.getElementById('selection-count').textContent",
            &json!(want),
        );
    };
    let box_of = |email: &str| format!("#rows tr[data-email=\"{email}\"] input.pick-box");
    let ticked = |email: &str| {
        page3.eval(&format!(
            "const b = document.querySelector({}); return b ? b.checked : null",
            crate::common::probe::js_str(&box_of(email))
        ))
    };
    let page_box = |page: &Probe| {
        page.eval(
            "const b = document.getElementById('select-page'); return b.indeterminate ? 'mixed' : b.checked",
        )
    };
    page3.wait_for(
        "page 1 of the list",
        "return document.getElementById('pager-status').textContent",
        &json!("Page 1 of 2"),
    );
    said(
        "nothing selected",
        "None selected: tick users in the list to send them reminders, up to 50 at once.",
    );
    assert_eq!(
        page3.eval("return document.getElementById('remind-selected').disabled"),
        json!(true)
    );
    page3.eval("window.asked = []; window.confirm = m => { window.asked.push(m); return true; }; return true");
    assert_eq!(
        page3.eval_str(&format!(
            "return document.querySelector({}).getAttribute('aria-label')",
            crate::common::probe::js_str(&box_of("bob@example.com"))
        )),
        "Select Bob Stone (bob@example.com)"
    );
    page3.click(&box_of("bob@example.com"));
    said(
        "Bob selected",
        "1 selected (1 pending, 1 on this page), kept across pages, searches and filters.",
    );
    // A tick is not a click on the row: no details open.
    page3.eval("await new Promise(r => setTimeout(r, 300)); return true");
    assert_eq!(
        page3.eval("return document.getElementById('details').open"),
        json!(false),
        "ticking a box opened the user's details"
    );
    assert!(!page3.eval_str("return location.search").contains("user="));
    assert_eq!(page_box(&page3), json!("mixed"));
    // Keyboard: the arrows go from box to box, Space ticks the focused one.
    page3.eval(&format!(
        "document.querySelector({}).focus(); return true",
        crate::common::probe::js_str(&box_of("bob@example.com"))
    ));
    for kind in ["rawKeyDown", "keyUp"] {
        page3.call(
            "Input.dispatchKeyEvent",
            json!({"type": kind, "key": "ArrowDown", "code": "ArrowDown", "windowsVirtualKeyCode": 40}),
        );
    }
    assert_eq!(
        page3.eval_str("return document.activeElement.closest('tr').dataset.email"),
        "cleo@example.com"
    );
    assert_eq!(
        page3.eval_str("return document.activeElement.className"),
        "pick-box"
    );
    page3.type_text(" ");
    page3.wait_for(
        "Space ticks Cleo",
        "return document.activeElement.checked",
        &json!(true),
    );
    page3.click(&box_of("eve@example.com"));
    said(
        "three selected",
        "3 selected (2 pending, 3 on this page), kept across pages, searches and filters.",
    );
    page3.click("#pager button[data-page=next]");
    page3.wait_for(
        "page 2",
        "return document.getElementById('pager-status').textContent",
        &json!("Page 2 of 2"),
    );
    said(
        "the selection survives a page change",
        "3 selected (2 pending, 0 on this page), kept across pages, searches and filters.",
    );
    assert_eq!(page_box(&page3), json!(false));
    page3.click(&box_of("zoe@example.com"));
    said(
        "Zoë too",
        "4 selected (3 pending, 1 on this page), kept across pages, searches and filters.",
    );
    page3.set_search("cleo");
    page3.wait_for(
        "the search finds Cleo",
        "return [...document.querySelectorAll('#rows tr.r')].map(r => r.dataset.email).join()",
        &json!("cleo@example.com"),
    );
    assert_eq!(ticked("cleo@example.com"), json!(true), "Cleo stays ticked");
    assert_eq!(page_box(&page3), json!(true));
    said(
        "the selection survives a search",
        "4 selected (3 pending, 1 on this page), kept across pages, searches and filters.",
    );
    page3.set_search("");
    page3.wait_for(
        "back to every user",
        "return document.getElementById('pager-status').textContent",
        &json!("Page 1 of 2"),
    );
    assert_eq!(
        page3.eval_str("return document.getElementById('remind-selected').textContent"),
        "Send reminders to the selected (4)"
    );

    page3.click("#remind-selected");
    page3.wait_for(
        "the account",
        "const a = document.querySelector('#remind-result .account'); return a ? a.textContent : null",
        &json!(format!(
            "2 sent, 2 skipped, 0 failed (outbox: {outbox_arg})."
        )),
    );
    let asked = page3.eval("return window.asked");
    assert_eq!(
        asked,
        json!(["Send reminders to the 4 selected users (3 pending)? Anyone not pending, or reminded recently, is skipped with the reason."])
    );
    let reasons = page3.eval(
        "return [...document.querySelectorAll('#remind-result li')].map(l => l.textContent).sort()",
    );
    let reasons: Vec<&str> = reasons
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r.as_str().unwrap())
        .collect();
    assert_eq!(reasons.len(), 2, "{reasons:?}");
    assert_eq!(
        reasons[0],
        "skipped eve@example.com: status is Using Enpass, not Pending User Action"
    );
    assert!(
        reasons[1].starts_with("skipped zoe@example.com: reminded ")
            && reasons[1].contains("within --min-interval 24h"),
        "{reasons:?}"
    );
    assert_eq!(
        page3.eval_str("return document.getElementById('remind-result').getAttribute('role')"),
        "status"
    );
    assert_eq!(outbox_files(&outbox).len(), 4);
    // Sent: the selection is cleared and the list shows the new counts.
    said(
        "cleared after sending",
        "None selected: tick users in the list to send them reminders, up to 50 at once.",
    );
    page3.wait_for(
        "Bob's count follows",
        "const c = document.querySelector('#rows tr[data-email=\"bob@example.com\"] td.k-reminders_sent'); return c ? c.textContent : null",
        &json!("1"),
    );
    assert_eq!(ticked("bob@example.com"), json!(false));
    axe_check(&page3, "the list with a send's account");

    // At most 50: the page's box selects page 1's 50 users; a 51st is refused, saying why.
    page3.click("#select-page");
    said(
        "the whole page",
        "50 selected (48 pending, 50 on this page), kept across pages, searches and filters: the most one send takes.",
    );
    axe_check(&page3, "the list with 50 users selected");
    page3.click("#pager button[data-page=next]");
    page3.wait_for(
        "page 2 again",
        "return document.getElementById('pager-status').textContent",
        &json!("Page 2 of 2"),
    );
    page3.click(&box_of("zoe@example.com"));
    page3.wait_for(
        "the 51st is refused",
        "return document.getElementById('selection-limit').textContent",
        &json!("zoe@example.com is not selected: at most 50 users can be selected, the most one send takes. Send these first, or unselect some."),
    );
    assert_eq!(ticked("zoe@example.com"), json!(false));
    said(
        "still 50",
        "50 selected (48 pending, 0 on this page), kept across pages, searches and filters: the most one send takes.",
    );
    page3.click("#clear-selection");
    said(
        "Clear selection",
        "None selected: tick users in the list to send them reminders, up to 50 at once.",
    );
    assert_eq!(
        page3.eval_str("return document.getElementById('selection-limit').textContent"),
        ""
    );
    assert_eq!(outbox_files(&outbox).len(), 4, "nothing more was sent");
    // A row keeps its own keys beside its box: Enter opens the user's details.
    page3.eval("document.querySelector('#rows tr.r').focus(); return true");
    for kind in ["keyDown", "keyUp"] {
        page3.call(
            "Input.dispatchKeyEvent",
            json!({"type": kind, "key": "Enter", "code": "Enter", "windowsVirtualKeyCode": 13, "text": "\r"}),
        );
    }
    details_open(&page3);

    let same_server = |u: &str| u.starts_with(&base) || u.starts_with("data:");
    for p in [&page, &page2, &page3] {
        p.assert_clean(&same_server);
    }
}
