//! Issue 13: `rollcall diff` and `rollcall trend` on a hand-worked three-snapshot organisation
//! (every transition kind, a removed and re-added user, an email whose case changes, activity
//! that changes only because the as-of moved), with the expected values written out below by
//! hand; and on the generator's evolved organisations against its truth.json.

use std::collections::BTreeMap;

use serde_json::{json, Value};

use crate::common::Env;

const HEAD: &str = "Name,Email,SCIM Provisioned,Last Used,License,Status,Activated License,Completed App Setup,Added Data in App,Reminders Sent\n";
const DEV_HEAD: &str =
    "User Email,Device Name,Platform,Enpass Version,Last Used,Enpass Hub Authenticated\n";

/// Snapshot 1, as of 2026-11-01.
const S1: &str = "\
Ann Aho,ann@example.com,No,,Unassigned,No License,,,,0
Bob Berg,bob@example.com,No,2026-10-25T10:00:00Z,Assigned,Using Enpass,2026-10-01T10:00:00Z,2026-10-02T10:00:00Z,2026-10-03T10:00:00Z,0
Cy Cole,cy@example.com,No,,Assigned,Using Enpass,2026-10-01T10:00:00Z,2026-10-02T10:00:00Z,2026-10-03T10:00:00Z,0
Dee Dahl,dee@example.com,No,,Assigned,Pending User Action,2026-10-05T10:00:00Z,,,1
Eve Eng,Eve@Example.com,No,,Assigned,Pending User Action,,,,0
Fay Fox,fay@example.com,No,,Unassigned,No License,,,,0
Hal Holm,hal@example.com,No,,Assigned,Using Enpass,2026-10-01T10:00:00Z,2026-10-02T10:00:00Z,2026-10-03T10:00:00Z,0
Ivy Ito,ivy@example.com,No,,Assigned,Using Enpass,2026-10-01T10:00:00Z,2026-10-02T10:00:00Z,2026-10-03T10:00:00Z,0
Jo Jung,jo@example.com,No,,Assigned,Using Enpass,2026-10-01T10:00:00Z,2026-10-02T10:00:00Z,2026-10-03T10:00:00Z,0
";
const D1: &str = "\
hal@example.com,Laptop,Windows,6.11.4,,Yes
ivy@example.com,Phone,iOS,6.11.4,,No
";

/// Snapshot 2, as of 2026-12-01: Ann licensed and activated; Bob unchanged but no longer
/// active at the new as-of; Cy's license taken back (stages emptied); Dee finished setting up,
/// used it and got a reminder; Eve's email in lower case, nothing else; Fay gone; Gus new; Hal
/// lost the Hub, Ivy gained it; Jo's data stage gone.
const S2: &str = "\
Ann Aho,ann@example.com,No,,Assigned,Pending User Action,2026-11-20T10:00:00Z,,,0
Bob Berg,bob@example.com,No,2026-10-25T10:00:00Z,Assigned,Using Enpass,2026-10-01T10:00:00Z,2026-10-02T10:00:00Z,2026-10-03T10:00:00Z,0
Cy Cole,cy@example.com,No,,Unassigned,No License,,,,0
Dee Dahl,dee@example.com,No,2026-11-28T10:00:00Z,Assigned,Using Enpass,2026-10-05T10:00:00Z,2026-11-25T10:00:00Z,2026-11-26T10:00:00Z,2
Eve Eng,eve@example.com,No,,Assigned,Pending User Action,,,,0
Gus Gray,gus@example.com,No,,Unassigned,No License,,,,0
Hal Holm,hal@example.com,No,,Assigned,Using Enpass,2026-10-01T10:00:00Z,2026-10-02T10:00:00Z,2026-10-03T10:00:00Z,0
Ivy Ito,ivy@example.com,No,,Assigned,Using Enpass,2026-10-01T10:00:00Z,2026-10-02T10:00:00Z,2026-10-03T10:00:00Z,0
Jo Jung,jo@example.com,No,,Assigned,Pending User Action,2026-10-01T10:00:00Z,2026-10-02T10:00:00Z,,0
";
const D2: &str = "\
hal@example.com,Laptop,Windows,6.11.4,,No
ivy@example.com,Phone,iOS,6.11.4,,Yes
";

pub(crate) fn org() -> Env {
    let env = Env::new();
    env.ingest(
        &format!("{HEAD}{S1}"),
        Some(&format!("{DEV_HEAD}{D1}")),
        "2026-11-01T00:00:00Z",
    );
    env.ingest(
        &format!("{HEAD}{S2}"),
        Some(&format!("{DEV_HEAD}{D2}")),
        "2026-12-01T00:00:00Z",
    );
    env
}

/// Snapshot 3, as of 2026-12-15: snapshot 2 with Fay back.
pub(crate) fn third(env: &Env) {
    env.ingest(
        &format!("{HEAD}{S2}Fay Fox,fay@example.com,No,,Unassigned,No License,,,,0\n"),
        Some(&format!("{DEV_HEAD}{D2}")),
        "2026-12-15T00:00:00Z",
    );
}

/// `email: t1 t2 …` per user, in the output's order.
fn lines(doc: &Value) -> Vec<String> {
    doc["users"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| {
            let t: Vec<&str> = u["transitions"]
                .as_array()
                .unwrap()
                .iter()
                .map(|t| t.as_str().unwrap())
                .collect();
            format!("{}: {}", u["email"].as_str().unwrap(), t.join(" "))
        })
        .collect()
}

/// The rank of each needle's first place in `text` (to check an order JSON parsing loses).
fn key_order(text: &str, needles: &[&str]) -> Vec<usize> {
    let at: Vec<usize> = needles
        .iter()
        .map(|n| text.find(n).unwrap_or_else(|| panic!("{n} not in {text}")))
        .collect();
    let mut sorted = at.clone();
    sorted.sort();
    at.iter()
        .map(|a| sorted.iter().position(|s| s == a).unwrap())
        .collect()
}

fn nonzero(doc: &Value) -> BTreeMap<String, u64> {
    doc["counts"]
        .as_object()
        .unwrap()
        .iter()
        .filter(|(_, v)| v.as_u64().unwrap() > 0)
        .map(|(k, v)| (k.clone(), v.as_u64().unwrap()))
        .collect()
}

#[test]
fn diff_reports_every_transition_as_worked_out_by_hand() {
    let env = org();
    let doc = env.json(&["diff", "--format", "json"]);
    assert_eq!(doc["from"]["snapshot"]["id"], 1);
    assert_eq!(doc["to"]["snapshot"]["id"], 2);
    assert_eq!(doc["from"]["as_of"], "2026-11-01T00:00:00Z");
    assert_eq!(doc["to"]["as_of"], "2026-12-01T00:00:00Z");
    assert_eq!(
        lines(&doc),
        [
            "ann@example.com: license-assigned status-forward activation-gained",
            "bob@example.com: went-inactive",
            "cy@example.com: license-unassigned status-backward activation-lost setup-lost data-lost",
            "dee@example.com: status-forward setup-gained data-gained became-active reminded",
            "fay@example.com: removed",
            "gus@example.com: added",
            "hal@example.com: hub-lost",
            "ivy@example.com: hub-authenticated",
            "jo@example.com: status-backward data-lost",
        ]
    );
    // Every kind, zeros included, in the vocabulary's order (read off the text: a parsed JSON
    // object forgets its order).
    assert_eq!(doc["counts"].as_object().unwrap().len(), 17);
    let raw = env.ok(&["diff", "--format", "json"]);
    assert_eq!(
        key_order(
            &raw,
            &[
                "\"added\": ",
                "\"removed\": ",
                "\"status-forward\": ",
                "\"reminded\": "
            ]
        ),
        [0, 1, 2, 3]
    );
    let want: BTreeMap<String, u64> = [
        ("added", 1),
        ("removed", 1),
        ("license-assigned", 1),
        ("license-unassigned", 1),
        ("status-forward", 2),
        ("status-backward", 2),
        ("activation-gained", 1),
        ("activation-lost", 1),
        ("setup-gained", 1),
        ("setup-lost", 1),
        ("data-gained", 1),
        ("data-lost", 2),
        ("became-active", 1),
        ("went-inactive", 1),
        ("hub-authenticated", 1),
        ("hub-lost", 1),
        ("reminded", 1),
    ]
    .map(|(k, v)| (k.to_string(), v))
    .into_iter()
    .collect();
    assert_eq!(nonzero(&doc), want);
    // Dee's details: both ends of each change.
    let dee = &doc["users"][3];
    assert_eq!(
        (
            &dee["status_from"],
            &dee["status_to"],
            &dee["activity_from"],
            &dee["activity_to"],
            &dee["reminders_from"],
            &dee["reminders_to"]
        ),
        (
            &json!("pending"),
            &json!("using"),
            &json!("never"),
            &json!("active"),
            &json!(1),
            &json!(2)
        )
    );
    let fay = &doc["users"][4];
    assert_eq!(
        (&fay["status_from"], &fay["status_to"]),
        (&json!("no-license"), &Value::Null)
    );
}

#[test]
fn filters_transitions_and_sides_narrow_the_diff() {
    let env = org();
    // Pending in snapshot 2: Ann, Eve (no change), Jo.
    let doc = env.json(&["diff", "--status", "pending", "--format", "json"]);
    assert_eq!(
        lines(&doc),
        [
            "ann@example.com: license-assigned status-forward activation-gained",
            "jo@example.com: status-backward data-lost",
        ]
    );
    // Pending in snapshot 1: Dee, Eve.
    let doc = env.json(&[
        "diff", "--status", "pending", "--side", "from", "--format", "json",
    ]);
    assert_eq!(
        lines(&doc),
        ["dee@example.com: status-forward setup-gained data-gained became-active reminded"]
    );
    // Only the named transitions, in the counts and in each user's list.
    let doc = env.json(&[
        "diff",
        "--transition",
        "status-forward,removed",
        "--transition",
        "HUB-LOST",
        "--format",
        "json",
    ]);
    assert_eq!(
        lines(&doc),
        [
            "ann@example.com: status-forward",
            "dee@example.com: status-forward",
            "fay@example.com: removed",
            "hal@example.com: hub-lost",
        ]
    );
    let keys: Vec<&String> = doc["counts"].as_object().unwrap().keys().collect();
    assert_eq!(keys, ["hub-lost", "removed", "status-forward"]);
    // Search works on the filtered side.
    let doc = env.json(&["diff", "--search", "DAHL", "--format", "json"]);
    assert_eq!(lines(&doc).len(), 1);
}

#[test]
fn a_readded_user_and_a_reversed_diff() {
    let env = org();
    third(&env);
    // Default: snapshot 2 against 3: Fay is back, and Hal, Ivy… are the same.
    let doc = env.json(&["diff", "--format", "json"]);
    assert_eq!(
        (
            doc["from"]["snapshot"]["id"].as_i64(),
            doc["to"]["snapshot"]["id"].as_i64()
        ),
        (Some(2), Some(3))
    );
    assert_eq!(lines(&doc), ["fay@example.com: added"]);
    // 1 against 3: Fay was there at both ends, unchanged.
    let doc = env.json(&["diff", "--from", "1", "--to", "3", "--format", "json"]);
    assert!(
        !lines(&doc).iter().any(|l| l.starts_with("fay@")),
        "{:?}",
        lines(&doc)
    );
    assert!(
        !lines(&doc).iter().any(|l| l.starts_with("eve@")),
        "a change of case is no change"
    );
    // 2 against 1: everything the other way round.
    let doc = env.json(&["diff", "--from", "2", "--to", "1", "--format", "json"]);
    assert!(lines(&doc).contains(&"gus@example.com: removed".to_string()));
    assert!(lines(&doc).contains(&"bob@example.com: became-active".to_string()));
}

#[test]
fn diff_refuses_what_it_cannot_compare_in_one_line() {
    let env = Env::new();
    env.ingest(&format!("{HEAD}{S1}"), None, "2026-11-01T00:00:00Z");
    let err = env.fails(&["diff"], 2);
    assert!(err.contains("a diff needs two"), "{err}");
    assert_eq!(err.trim_end().lines().count(), 1, "{err}");
    env.ingest(&format!("{HEAD}{S2}"), None, "2026-12-01T00:00:00Z");
    for (args, says) in [
        (
            vec!["diff", "--from", "9"],
            "--from 9: no such snapshot (have: 1, 2)",
        ),
        (vec!["diff", "--to", "0"], "--to 0: no such snapshot"),
        (vec!["diff", "--from", "2", "--to", "2"], "both snapshot 2"),
        (
            vec!["diff", "--transition", "moved"],
            "--transition: unknown transition 'moved': expected one of added,",
        ),
        (vec!["diff", "--snapshot", "1"], "--from and --to"),
        (vec!["diff", "--as-of", "2026-12-01"], "its own as-of"),
        (vec!["diff", "--status", "asleep"], "asleep"),
        (vec!["diff", "--to", "1"], "the earliest"),
    ] {
        let err = env.fails(&args, 2);
        assert!(err.contains(says), "{args:?}: {err}");
        assert_eq!(err.trim_end().lines().count(), 1, "{args:?}: {err}");
    }
}

#[test]
fn diff_table_csv_and_manifest() {
    let env = org();
    let table = env.ok(&["diff"]);
    assert!(
        table.starts_with("Changes from snapshot 1 (as of 2026-11-01 00:00 UTC, 30-day window) to snapshot 2 (as of 2026-12-01 00:00 UTC, 30-day window) · all users (in snapshot 2)\n"),
        "{table}"
    );
    assert!(table.contains("dee@example.com"), "{table}");
    assert!(table.contains("pending → using"), "{table}");
    assert!(table.ends_with("9 changed users: added 1, removed 1, license-assigned 1, license-unassigned 1, status-forward 2, status-backward 2, activation-gained 1, activation-lost 1, setup-gained 1, setup-lost 1, data-gained 1, data-lost 2, became-active 1, went-inactive 1, hub-authenticated 1, hub-lost 1, reminded 1\n"), "{table}");
    // CSV: the users, one row each; the same on every run.
    let out = env.path("changes.csv");
    env.ok(&["diff", "--format", "csv", "-o", out.to_str().unwrap()]);
    let csv = std::fs::read_to_string(&out).unwrap();
    assert_eq!(
        csv.lines().next().unwrap(),
        "email,name,status_from,status_to,activity_from,activity_to,reminders_from,reminders_to,transitions"
    );
    assert!(
        csv.contains("\nfay@example.com,Fay Fox,no-license,,never,,0,,removed\n"),
        "{csv}"
    );
    assert_eq!(csv.lines().count(), 10);
    let manifest: Value = serde_json::from_str(
        &std::fs::read_to_string(env.path("changes.csv.manifest.json")).unwrap(),
    )
    .unwrap();
    assert_eq!(manifest["command"], "diff");
    assert_eq!(manifest["from"]["snapshot"]["id"], 1);
    assert_eq!(manifest["to"]["snapshot"]["id"], 2);
    assert_eq!(manifest["rows"], 9);
    assert_eq!(manifest["counts"]["data-lost"], 2);
    assert_eq!(
        manifest["files"][0]["sha256"],
        crate::common::sha256_hex(csv.as_bytes())
    );
    let first = std::fs::read(env.path("changes.csv.manifest.json")).unwrap();
    env.ok(&["diff", "--format", "csv", "-o", out.to_str().unwrap()]);
    assert_eq!(
        first,
        std::fs::read(env.path("changes.csv.manifest.json")).unwrap(),
        "reproducible"
    );
    // The recorded statement runs on its own in DuckDB and gives the same rows.
    let conn = duckdb::Connection::open(env.db()).unwrap();
    let params: Vec<duckdb::types::Value> = manifest["parameters"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| match p {
            Value::Number(n) => duckdb::types::Value::BigInt(n.as_i64().unwrap()),
            Value::String(s) => duckdb::types::Value::Text(s.clone()),
            other => panic!("parameter {other}"),
        })
        .collect();
    let mut st = conn.prepare(manifest["sql"].as_str().unwrap()).unwrap();
    let n = st
        .query_map(duckdb::params_from_iter(params), |r| r.get::<_, String>(0))
        .unwrap()
        .count();
    assert_eq!(n, 9);
}

#[test]
fn trend_counts_every_snapshot_at_its_own_as_of() {
    let env = org();
    third(&env);
    let doc = env.json(&["trend", "--format", "json"]);
    let points = doc["snapshots"].as_array().unwrap();
    assert_eq!(points.len(), 3);
    // By hand: users, licensed, activated, app setup, using per snapshot.
    let steps = ["total", "assigned", "activated", "app_setup", "using"];
    let funnel: Vec<Vec<u64>> = points
        .iter()
        .map(|p| {
            steps
                .iter()
                .map(|k| p["funnel"][k].as_u64().unwrap())
                .collect()
        })
        .collect();
    assert_eq!(
        funnel,
        [
            vec![9, 7, 6, 5, 5],
            vec![9, 7, 6, 5, 4],
            vec![10, 7, 6, 5, 4]
        ]
    );
    let raw = env.ok(&["trend", "--format", "json"]);
    let quoted: Vec<String> = steps.iter().map(|k| format!("\"{k}\": ")).collect();
    let quoted: Vec<&str> = quoted.iter().map(String::as_str).collect();
    assert_eq!(
        key_order(&raw, &quoted),
        [0, 1, 2, 3, 4],
        "the funnel's order"
    );
    // Activity at each snapshot's own as-of: Bob active on 1 Nov (used 25 Oct), not on 1 Dec;
    // Dee active on 1 Dec and on 15 Dec (used 28 Nov, within 30 days of both).
    let active: Vec<u64> = points
        .iter()
        .map(|p| p["facets"]["activity"]["active"].as_u64().unwrap())
        .collect();
    assert_eq!(active, [1, 1, 1]);
    let never: Vec<u64> = points
        .iter()
        .map(|p| p["facets"]["activity"]["never"].as_u64().unwrap())
        .collect();
    assert_eq!(never, [8, 7, 8]);
    // Filtered: pending users per snapshot.
    let doc = env.json(&["trend", "--status", "pending", "--format", "json"]);
    let totals: Vec<u64> = doc["snapshots"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["funnel"]["total"].as_u64().unwrap())
        .collect();
    assert_eq!(totals, [2, 3, 3]);
    let table = env.ok(&["trend"]);
    assert!(
        table.contains("3 snapshots · all users · each at its own as-of, 30-day window"),
        "{table}"
    );
    assert_eq!(
        env.fails(&["trend", "--snapshot", "1"], 2)
            .trim_end()
            .lines()
            .count(),
        1
    );
}

/// The static report's "Changes since the previous snapshot" and trend chart, in headless
/// Chromium: the counts and users as worked out above, the search over them, the chart's five
/// lines through one point per snapshot, a screenshot, axe-core, and nothing fetched.
#[test]
#[ignore = "needs Chromium and axe-core (ROLLCALL_AXE_JS); .ci/run runs ignored tests"]
fn the_report_shows_the_changes_and_the_trend_in_chromium() {
    use crate::common::cdp;
    use crate::common::probe::{file_url, offline, Probe};
    let chrome = cdp::launch();
    let env = org();
    third(&env);
    // Snapshot 2's report: the changes since snapshot 1; two snapshots, no chart yet.
    let two = env.path("report-2");
    env.ok(&[
        "report",
        "--snapshot",
        "2",
        "--out",
        two.to_str().unwrap(),
        "--quiet",
    ]);
    let url = file_url(&two.join("index.html"));
    let page = Probe::open(&chrome, &format!("{url}#changes"));
    let text = |js: &str| page.eval_str(js);
    assert_eq!(
        text("return document.getElementById('changes-h').textContent"),
        "Changes since the previous snapshot"
    );
    assert_eq!(
        text("return String(document.getElementById('trend'))"),
        "null"
    );
    let counts = page.eval(
        "return [...document.querySelectorAll('#changes-counts tbody tr')].map(r => r.cells[0].textContent + ' ' + r.cells[2].textContent)",
    );
    let counts: Vec<&str> = counts
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    assert_eq!(counts.len(), 17);
    assert_eq!(counts[0], "added 1");
    assert_eq!(counts[4], "status-forward 2");
    assert_eq!(counts[11], "data-lost 2");
    assert_eq!(counts[16], "reminded 1");
    let rows = "return [...document.querySelectorAll('#changes-users tbody tr')].filter(r => !r.hidden).map(r => r.cells[0].textContent + ' | ' + r.cells[2].textContent + ' | ' + r.cells[5].textContent)";
    let all = page.eval(rows);
    assert_eq!(all.as_array().unwrap().len(), 9, "{all}");
    assert_eq!(
        all[3],
        "dee@example.com | pending → using | status-forward, setup-gained, data-gained, became-active, reminded"
    );
    assert_eq!(all[4], "fay@example.com | no-license → — | removed");
    // The search: by name, accent- and case-insensitive, and by transition.
    page.click("#changes-search");
    page.type_text("DAHL");
    page.wait_for(
        "one user found",
        "return document.getElementById('changes-count').textContent",
        &json!("1 of 9 users"),
    );
    assert_eq!(page.eval(rows)[0], all[3]);
    page.eval("const s = document.getElementById('changes-search'); s.value = 'hub-'; s.dispatchEvent(new Event('input')); return true");
    let hub = page.eval(rows);
    assert_eq!(hub.as_array().unwrap().len(), 2, "{hub}");
    super::serve::axe_check(&page, "the report's changes section");
    page.assert_clean(&offline(&url));

    // Snapshot 3's report: three snapshots, so the trend chart; the changes are Fay's return.
    let three = env.path("report-3");
    env.ok(&["report", "--out", three.to_str().unwrap(), "--quiet"]);
    let url3 = file_url(&three.join("index.html"));
    let page3 = Probe::open(&chrome, &format!("{url3}#trend"));
    let chart = page3.eval(
        "const lines = [...document.querySelectorAll('#trend polyline')];
         return lines.map(l => l.getAttribute('class') + ' ' + l.getAttribute('points').split(' ').length)",
    );
    assert_eq!(
        chart,
        json!([
            "line s-total 3",
            "line s-assigned 3",
            "line s-activated 3",
            "line s-app_setup 3",
            "line s-using 3"
        ])
    );
    // The figures beside the chart: users 9, 9, 10; using 5, 4, 4 (the funnel worked out above).
    let table = page3.eval(
        "return [...document.querySelectorAll('#trend .trend-table tbody tr')].map(r => [...r.cells].map(c => c.textContent).join(' '))",
    );
    assert_eq!(
        table,
        json!([
            "2026-11-01 9 7 6 5 5",
            "2026-12-01 9 7 6 5 4",
            "2026-12-15 10 7 6 5 4"
        ])
    );
    // A taller total is drawn higher: y grows downwards.
    let ys = page3.eval(
        "return [...document.querySelectorAll('#trend circle.s-total')].map(c => +c.getAttribute('cy'))",
    );
    let ys: Vec<f64> = ys
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_f64().unwrap())
        .collect();
    assert!(ys[2] < ys[1] && (ys[0] - ys[1]).abs() < 0.01, "{ys:?}");
    let added = page3.eval(
        "return [...document.querySelectorAll('#changes-users tbody tr')].map(r => r.cells[0].textContent + ' ' + r.cells[5].textContent)",
    );
    assert_eq!(added, json!(["fay@example.com added"]));
    page3.eval("document.getElementById('trend').scrollIntoView(); await new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r))); return true");
    let png = page3.screenshot_png();
    assert!(png.len() > 10_000, "a screenshot of the chart");
    std::fs::write(env.path("trend.png"), &png).unwrap();
    if let Ok(dir) = std::env::var("ROLLCALL_SCREENSHOTS") {
        std::fs::write(std::path::Path::new(&dir).join("report-trend.png"), &png).unwrap();
    }
    super::serve::axe_check(&page3, "the report's trend chart");
    page3.assert_clean(&offline(&url3));
}

/// Ingests an evolved folder at its truth's as-of.
fn ingest_evolved(env: &Env, dir: &std::path::Path, truth: &Value) {
    env.ok(&[
        "ingest",
        "--users",
        dir.join("users.csv").to_str().unwrap(),
        "--devices",
        dir.join("devices.csv").to_str().unwrap(),
        "--as-of",
        truth["to"]["as_of"].as_str().unwrap(),
        "--quiet",
    ]);
}

/// `diff`'s users as email key → transitions, and its counts.
fn by_key(doc: &Value) -> BTreeMap<String, Vec<String>> {
    doc["users"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| {
            (
                u["email"].as_str().unwrap().trim().to_lowercase(),
                u["transitions"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|t| t.as_str().unwrap().to_string())
                    .collect(),
            )
        })
        .collect()
}

fn truth_by_key(truth: &Value) -> BTreeMap<String, Vec<String>> {
    truth["users"]
        .as_object()
        .unwrap()
        .iter()
        .map(|(k, u)| {
            (
                k.clone(),
                u["transitions"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|t| t.as_str().unwrap().to_string())
                    .collect(),
            )
        })
        .filter(|(_, t): &(String, Vec<String>)| !t.is_empty())
        .collect()
}

/// The generator's evolved organisations (600 users, two steps of 30 and 45 days, the second
/// re-adding users the first removed): every user's transitions and every count equal the
/// generator's truth.json, and the reminders' difference its `reminders_delta`; a diff across
/// both steps never calls a re-added or re-cased user added or removed. The trend's funnel and
/// facets of the evolved snapshots are the truth's `to_funnel` and `to_facets`.
#[test]
fn diff_and_trend_agree_with_the_generators_truth() {
    let env = Env::new();
    let base = env.sample(600, 7);
    let (v2, truth2) = env.evolve(&base, 30, 11, "v2");
    ingest_evolved(&env, &v2, &truth2);
    let (v3, truth3) = env.evolve(&v2, 45, 12, "v3");
    ingest_evolved(&env, &v3, &truth3);

    for (from, to, truth) in [("1", "2", &truth2), ("2", "3", &truth3)] {
        let doc = env.json(&["diff", "--from", from, "--to", to, "--format", "json"]);
        assert_eq!(doc["to"]["as_of"], truth["to"]["as_of"]);
        assert_eq!(doc["from"]["as_of"], truth["from"]["as_of"]);
        let got = by_key(&doc);
        let want = truth_by_key(truth);
        let mut wrong = Vec::new();
        for key in got
            .keys()
            .chain(want.keys())
            .collect::<std::collections::BTreeSet<_>>()
        {
            if got.get(key) != want.get(key) {
                wrong.push(format!(
                    "{key}: diff {:?}, truth {:?}",
                    got.get(key),
                    want.get(key)
                ));
            }
        }
        assert!(
            wrong.is_empty(),
            "{from}→{to}: {} users differ:\n{}",
            wrong.len(),
            wrong[..wrong.len().min(20)].join("\n")
        );
        for (kind, n) in doc["counts"].as_object().unwrap() {
            assert_eq!(Some(n), truth["counts"].get(kind), "{from}→{to}: {kind}");
            assert!(
                n.as_u64().unwrap() > 0,
                "{from}→{to}: the generator makes every kind, {kind} is 0"
            );
        }
        let delta: i64 = doc["users"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|u| !u["reminders_from"].is_null() && !u["reminders_to"].is_null())
            .map(|u| u["reminders_to"].as_i64().unwrap() - u["reminders_from"].as_i64().unwrap())
            .sum();
        assert_eq!(json!(delta), truth["reminders_delta"], "{from}→{to}");
        // Users whose address changed case are matched: neither added nor removed.
        for key in truth["email_case_changed"].as_object().unwrap().keys() {
            let t = got.get(key).cloned().unwrap_or_default();
            assert!(
                !t.contains(&"added".to_string()) && !t.contains(&"removed".to_string()),
                "{key}: {t:?}"
            );
        }
    }
    // Across both steps: users removed in the first and re-added in the second were there at
    // both ends.
    let readded: Vec<String> = truth3["users"]
        .as_object()
        .unwrap()
        .iter()
        .filter(|(k, u)| {
            u["transitions"] == json!(["added"])
                && truth2["users"]
                    .get(k.as_str())
                    .is_some_and(|v| v["transitions"] == json!(["removed"]))
        })
        .map(|(k, _)| k.clone())
        .collect();
    assert!(!readded.is_empty(), "the second step re-adds users");
    let across = by_key(&env.json(&["diff", "--from", "1", "--to", "3", "--format", "json"]));
    for key in &readded {
        let t = across.get(key).cloned().unwrap_or_default();
        assert!(
            !t.contains(&"added".to_string()) && !t.contains(&"removed".to_string()),
            "{key}: {t:?}"
        );
    }

    // The trend: snapshots 2 and 3 as the truth counts them.
    let trend = env.json(&["trend", "--format", "json"]);
    let points = trend["snapshots"].as_array().unwrap();
    assert_eq!(points.len(), 3);
    for (p, truth) in [(&points[1], &truth2), (&points[2], &truth3)] {
        let f = &truth["to_funnel"];
        assert_eq!(
            [
                &p["funnel"]["total"],
                &p["funnel"]["assigned"],
                &p["funnel"]["activated"],
                &p["funnel"]["app_setup"],
                &p["funnel"]["using"]
            ],
            [
                &f["total"],
                &f["licensed"],
                &f["activated"],
                &f["app_setup"],
                &f["using"]
            ]
        );
        for (dim, values) in truth["to_facets"].as_object().unwrap() {
            for (v, n) in values.as_object().unwrap() {
                assert_eq!(&p["facets"][dim][v], n, "{dim}={v} at {}", p["as_of"]);
            }
        }
    }
}
