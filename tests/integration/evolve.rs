//! `rollcall sample --evolve-from`: a later snapshot with known changes and its `truth.json`,
//! checked for determinism, refusals, self-consistency, and against rollcall's own ingest and
//! summary of the later snapshot (the diff tests of issue #13 rely on this truth).

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use serde_json::Value;

use crate::common::{read, Env};

const KINDS: [&str; 17] = [
    "added",
    "removed",
    "license-assigned",
    "license-unassigned",
    "status-forward",
    "status-backward",
    "activation-gained",
    "activation-lost",
    "setup-gained",
    "setup-lost",
    "data-gained",
    "data-lost",
    "became-active",
    "went-inactive",
    "hub-authenticated",
    "hub-lost",
    "reminded",
];

/// The users file's rows: lower-cased email → (email as written, the record's cells).
fn users_of(dir: &Path) -> BTreeMap<String, (String, Vec<String>)> {
    let mut reader = csv::Reader::from_path(dir.join("users.csv")).unwrap();
    reader
        .records()
        .map(|r| {
            let r = r.unwrap();
            let cells: Vec<String> = r.iter().map(str::to_string).collect();
            (cells[1].to_lowercase(), (cells[1].clone(), cells))
        })
        .collect()
}

fn files(dir: &Path) -> Vec<Vec<u8>> {
    ["users.csv", "devices.csv", "truth.json"]
        .iter()
        .map(|f| std::fs::read(dir.join(f)).unwrap())
        .collect()
}

fn transitions(user: &Value) -> Vec<&str> {
    user["transitions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t.as_str().unwrap())
        .collect()
}

#[test]
fn evolving_the_same_input_twice_gives_identical_bytes() {
    let env = Env::new();
    let s0 = env.sample_files(300, 4);
    let (a, truth) = env.evolve(&s0, 30, 9, "a");
    let (b, _) = env.evolve(&s0, 30, 9, "b");
    assert!(files(&a) == files(&b), "same input and seed, same bytes");
    let (c, _) = env.evolve(&s0, 30, 10, "c");
    assert!(files(&a)[0] != files(&c)[0], "another seed, other changes");
    assert_eq!(truth["seed"], 9);
    assert_eq!(truth["from"]["as_of"], "2026-11-26T12:00:00Z");
    assert_eq!(truth["to"]["as_of"], "2026-12-26T12:00:00Z");
    assert_eq!(truth["window_days"], 30);

    // Without --out the later snapshot goes beside the earlier one, named for the step.
    env.ok(&[
        "sample",
        "--evolve-from",
        s0.to_str().unwrap(),
        "--days",
        "7",
        "--seed",
        "9",
    ]);
    let default = s0.with_file_name("files-300-4-plus7d");
    assert!(
        default.join("truth.json").is_file(),
        "{}",
        default.display()
    );
}

#[test]
fn bad_input_is_one_line_exit_2_and_writes_nothing() {
    let env = Env::new();
    let s0 = env.sample_files(60, 1);
    let empty = env.path("empty");
    std::fs::create_dir(&empty).unwrap();
    let mut bad_users = read(&s0.join("users.csv"));
    bad_users.push_str("Ann,ann@example.com,No,,Assigned,Pending User Action,soon,,,0\n");
    let bad = env.path("bad");
    env.write("bad/users.csv", &bad_users);
    std::fs::copy(s0.join("devices.csv"), bad.join("devices.csv")).unwrap();
    let short = env.path("short");
    env.write("short/users.csv", "Name,Email,SCIM Provisioned,Last Used,License,Status,Activated License,Completed App Setup,Added Data in App,Reminders Sent\nAnn,ann@example.com\n");
    env.write("short/devices.csv", read(&s0.join("devices.csv")));

    let s0 = s0.to_str().unwrap();
    let cases: [(&str, &str, &[&str]); 6] = [
        ("missing", "no such folder", &["--days", "30"]),
        (s0, "--days 0", &["--days", "0"]),
        (s0, "--days -3", &["--days", "-3"]),
        (
            empty.to_str().unwrap(),
            "empty/users.csv: not found",
            &["--days", "30"],
        ),
        (
            bad.to_str().unwrap(),
            "bad/users.csv: line 62: Activated License: 'soon'",
            &["--days", "30"],
        ),
        (
            short.to_str().unwrap(),
            "short/users.csv: line 2: 2 fields where the header has 10",
            &["--days", "30"],
        ),
    ];
    for (i, (from, message, extra)) in cases.iter().enumerate() {
        let out = env.path(&format!("out-{i}"));
        let mut args = vec![
            "sample",
            "--evolve-from",
            from,
            "--out",
            out.to_str().unwrap(),
        ];
        args.extend_from_slice(extra);
        let err = env.fails(&args, 2);
        assert_eq!(err.lines().count(), 1, "one line: {err}");
        assert!(err.contains(message), "{message:?} in {err}");
        assert!(!out.exists(), "nothing written for {from} {extra:?}");
    }
    let err = env.fails(&["sample", "--users", "5", "--days", "3"], 2);
    assert!(err.contains("--days 3: only with --evolve-from"), "{err}");
}

/// The truth's own arithmetic, and each user's transitions against the two users files read
/// here: only added users are new, only removed ones gone, a case change is neither.
#[test]
fn every_kind_appears_and_the_truth_is_self_consistent() {
    let env = Env::new();
    let s0 = env.sample_files(600, 1);
    let (s1, truth) = env.evolve(&s0, 30, 1, "s1");
    let counts = truth["counts"].as_object().unwrap();
    let mut sorted = KINDS.to_vec();
    sorted.sort_unstable();
    assert_eq!(
        counts.keys().map(String::as_str).collect::<Vec<_>>(),
        sorted,
        "every kind"
    );
    // The file lists them in KINDS order (serde_json's Value above sorts its keys).
    let text = read(&s1.join("truth.json"));
    let block = &text[text.find("\"counts\"").unwrap()..text.find("\"reminders_delta\"").unwrap()];
    let at: Vec<usize> = KINDS
        .iter()
        .map(|k| block.find(&format!("\"{k}\":")).unwrap())
        .collect();
    assert!(at.windows(2).all(|w| w[0] < w[1]), "{block}");
    for (kind, n) in counts {
        assert!(n.as_u64().unwrap() > 0, "{kind} in a 600-user sample");
    }

    let users = truth["users"].as_object().unwrap();
    let (before, after) = (users_of(&s0), users_of(&s1));
    let mut listed: BTreeMap<&str, u64> = BTreeMap::new();
    let mut reminders = 0;
    for (key, u) in users {
        let t = transitions(u);
        assert!(!t.is_empty(), "{key} is listed without a transition");
        let order: Vec<usize> = t
            .iter()
            .map(|k| KINDS.iter().position(|x| x == k).unwrap())
            .collect();
        assert!(order.windows(2).all(|w| w[0] < w[1]), "{key}: {t:?}");
        for kind in &t {
            *listed.entry(kind).or_default() += 1;
        }
        assert_eq!(key, &key.to_lowercase());
        let email = u["email"].as_str().unwrap();
        assert_eq!(email.to_lowercase(), *key);
        match (before.get(key), after.get(key)) {
            (None, Some((written, _))) => {
                assert_eq!(t, ["added"]);
                assert_eq!(email, written);
            }
            (Some((written, _)), None) => {
                assert_eq!(t, ["removed"]);
                assert_eq!(email, written);
            }
            (Some(_), Some((written, _))) => {
                assert!(!t.contains(&"added") && !t.contains(&"removed"), "{key}");
                assert_eq!(email, written, "as written in the to file");
            }
            (None, None) => panic!("{key} is in neither file"),
        }
        let moved = t.contains(&"status-forward") || t.contains(&"status-backward");
        assert_eq!(u.get("status").is_some(), moved, "{key}: {u}");
        if let Some(s) = u.get("status") {
            assert_ne!(s[0], s[1], "{key}");
        }
        assert_eq!(
            u["reminders"].as_i64().unwrap() > 0,
            t.contains(&"reminded")
        );
        reminders += u["reminders"].as_i64().unwrap();
    }
    for kind in KINDS {
        assert_eq!(
            counts[kind].as_u64().unwrap(),
            listed.get(kind).copied().unwrap_or(0),
            "{kind}: counted as listed"
        );
    }
    assert_eq!(truth["reminders_delta"].as_i64().unwrap(), reminders);

    let gone: BTreeSet<&String> = before.keys().filter(|k| !after.contains_key(*k)).collect();
    let new: BTreeSet<&String> = after.keys().filter(|k| !before.contains_key(*k)).collect();
    assert_eq!(gone.len() as u64, counts["removed"].as_u64().unwrap());
    assert_eq!(new.len() as u64, counts["added"].as_u64().unwrap());
    let case_changed: Vec<&String> = after
        .iter()
        .filter(|(k, (written, _))| before.get(*k).is_some_and(|(was, _)| was != written))
        .map(|(k, _)| k)
        .collect();
    assert!(!case_changed.is_empty(), "an address in another case");
    assert_eq!(
        truth["email_case_changed"]
            .as_object()
            .unwrap()
            .keys()
            .collect::<Vec<_>>(),
        case_changed
    );
    // Some users lapse with rows identical to before: only the as-of moved.
    let lapsed_alone = users.iter().filter(|(k, u)| {
        transitions(u) == ["went-inactive"] && before[k.as_str()].1 == after[k.as_str()].1
    });
    assert!(lapsed_alone.count() > 0);
    let unchanged = after
        .iter()
        .filter(|(k, (_, row))| !users.contains_key(*k) && before[k.as_str()].1 == *row);
    // Active users who keep using Enpass change rows without a transition; the rest stay put.
    let unchanged = unchanged.count();
    assert!(
        unchanged > 150,
        "a quarter of the users do not change at all: {unchanged}"
    );

    assert_eq!(truth["to_funnel"]["total"], after.len() as u64);
    let removed_rows = &truth["removed_rows"];
    assert_eq!(
        removed_rows["users"].as_array().unwrap().len() as u64,
        counts["removed"].as_u64().unwrap()
    );
    let s0_devices = read(&s0.join("devices.csv"));
    for line in removed_rows["devices"].as_array().unwrap() {
        let line = line.as_str().unwrap();
        assert!(s0_devices.lines().any(|l| l == line), "{line}");
    }
}

/// rollcall's own reading of the later snapshot agrees with the truth's `to_funnel` and
/// `to_facets`: the truth derives status, stages and activity as the contract does.
#[test]
fn the_later_snapshot_ingests_cleanly_and_summarises_as_the_truth_says() {
    let env = Env::new();
    let s0 = env.sample_files(600, 1);
    let (s1, _) = env.evolve(&s0, 30, 1, "s1");
    let (s2, truth) = env.evolve(&s1, 45, 1, "s2");
    let as_of = truth["to"]["as_of"].as_str().unwrap();
    assert_eq!(as_of, "2027-02-09T12:00:00Z");
    let printed = env.ok(&[
        "ingest",
        "--users",
        s2.join("users.csv").to_str().unwrap(),
        "--devices",
        s2.join("devices.csv").to_str().unwrap(),
        "--as-of",
        as_of,
        "--quiet",
    ]);
    assert!(printed.contains("0 rejected"), "{printed}");
    let rejects = env.json(&["rejects", "--format", "json"]);
    assert_eq!(rejects.as_array().map_or(0, Vec::len), 0, "{rejects}");

    let s = env.json(&["summary", "--format", "json"]);
    let funnel: BTreeMap<&str, &Value> = s["funnel"]
        .as_array()
        .unwrap()
        .iter()
        .map(|step| (step["key"].as_str().unwrap(), &step["count"]))
        .collect();
    let want = &truth["to_funnel"];
    for (theirs, ours) in [
        ("total", "total"),
        ("assigned", "licensed"),
        ("activated", "activated"),
        ("app_setup", "app_setup"),
        ("using", "using"),
    ] {
        assert_eq!(funnel[theirs], &want[ours], "funnel {theirs}");
    }
    assert!(want["data_added"].as_u64() >= want["using"].as_u64());
    for facet in s["facets"].as_array().unwrap() {
        let dim = facet["dimension"].as_str().unwrap();
        for v in facet["values"].as_array().unwrap() {
            let value = v["value"].as_str().unwrap();
            assert_eq!(
                v["count"], truth["to_facets"][dim][value],
                "facet {dim}={value}"
            );
        }
    }
}

/// Removed users come back in the next step with their original rows and email key: the
/// second step's truth lists them as added, and the two-step difference sees the same rows.
#[test]
fn removed_users_return_in_the_next_step_with_their_key_and_rows() {
    let env = Env::new();
    let s0 = env.sample_files(400, 2);
    let (s1, first) = env.evolve(&s0, 30, 2, "s1");
    let (s2, second) = env.evolve(&s1, 30, 2, "s2");
    assert_eq!(second["from"]["as_of"], first["to"]["as_of"]);
    assert_eq!(second["to"]["as_of"], "2027-01-25T12:00:00Z");

    let removed: Vec<&str> = first["removed_rows"]["users"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l.as_str().unwrap())
        .collect();
    assert!(!removed.is_empty());
    let (s0_users, s2_users) = (read(&s0.join("users.csv")), read(&s2.join("users.csv")));
    let back: Vec<&str> = removed
        .iter()
        .copied()
        .filter(|line| s2_users.lines().any(|l| l == *line))
        .collect();
    assert!(!back.is_empty(), "some removed users return");
    assert!(back.len() < removed.len(), "a part of them");
    for line in &back {
        assert!(
            s0_users.lines().any(|l| l == *line),
            "the original row: {line}"
        );
        let key = line
            .split(',')
            .find(|cell| cell.contains('@'))
            .unwrap()
            .to_lowercase();
        assert_eq!(first["users"][&key]["transitions"][0], "removed", "{key}");
        assert_eq!(
            second["users"][&key]["transitions"],
            serde_json::json!(["added"]),
            "{key}"
        );
    }

    // The as-of an earlier truth gives wins; a different --as-of is refused in one line.
    let err = env.fails(
        &[
            "sample",
            "--evolve-from",
            s1.to_str().unwrap(),
            "--days",
            "30",
            "--as-of",
            "2026-11-26T12:00:00Z",
            "--out",
            env.path("s2b").to_str().unwrap(),
        ],
        2,
    );
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(
        err.contains("disagrees with") && err.contains("2026-12-26T12:00:00Z"),
        "{err}"
    );
    assert!(!env.path("s2b").exists());
}
