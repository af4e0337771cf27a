//! Issue 14 (first part): `rollcall check`. The shipped example rules
//! (queries/rules/example.toml) against a hand-written organisation whose offenders are worked
//! out below, and two of them against the sample generator's truth; the exit codes; every kind
//! of bad rules file as one line naming the file and the rule; JSON and JUnit read back (JUnit
//! also checked by xmllint against tests/junit.xsd, an ignored test `.ci/run` runs).

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::common::{sample_org, truth, Env};

/// The rules file the repository ships.
fn example() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("queries/rules/example.toml")
}

const AS_OF: &str = "2026-12-01T00:00:00Z";

const HEAD: &str = "Name,Email,SCIM Provisioned,Last Used,License,Status,Activated License,Completed App Setup,Added Data in App,Reminders Sent\n";

/// As of 2026-12-01. Pending: Ann (activated 30 days before, 1 reminder: stuck), Ben (the
/// same, 2 reminders: not stuck), Cat (activated 6 days before: not stuck), Dan (never
/// activated; pending since the earlier snapshot of 2026-11-10, 21 days: stuck). Using: Eve
/// (active, Hub, 6.11.4), Fay (active, 6.9.2: older than 6.11.0, though not as text), Gus (last
/// used 2026-08-01: inactive, and unused for more than 90 days; 6.10.1, but not active), Ivy
/// (active, Hub, one device 6.10.1 and one 6.11.4), Jon (active, Hub, 6.11 and 6.11.0: not
/// older). Hal has no license. Ann's name has every character XML must escape.
const USERS: &str = "\
\"Ann \"\"Old\"\" O'Brien & <Co>\",ann@example.com,No,,Assigned,Pending User Action,2026-11-01T10:00:00Z,,,1
Ben Nudged,ben@example.com,No,,Assigned,Pending User Action,2026-11-01T10:00:00Z,,,2
Cat Fresh,cat@example.com,No,,Assigned,Pending User Action,2026-11-25T10:00:00Z,,,0
Dan Never,dan@example.com,No,,Assigned,Pending User Action,,,,0
Eve Using,eve@example.com,No,2026-11-30T10:00:00Z,Assigned,Using Enpass,2026-10-01T10:00:00Z,2026-10-01T11:00:00Z,2026-10-01T12:00:00Z,0
Fay Oldapp,fay@example.com,No,2026-11-28T10:00:00Z,Assigned,Using Enpass,2026-10-01T10:00:00Z,2026-10-01T11:00:00Z,2026-10-01T12:00:00Z,0
Gus Lapsed,gus@example.com,No,2026-08-01T10:00:00Z,Assigned,Using Enpass,2026-07-01T10:00:00Z,2026-07-01T11:00:00Z,2026-07-01T12:00:00Z,0
Hal Nolicense,hal@example.com,No,,Unassigned,No License,,,,0
Ivy Twodevices,ivy@example.com,No,2026-11-29T10:00:00Z,Assigned,Using Enpass,2026-10-01T10:00:00Z,2026-10-01T11:00:00Z,2026-10-01T12:00:00Z,0
Jon Exact,jon@example.com,No,2026-11-29T10:00:00Z,Assigned,Using Enpass,2026-10-01T10:00:00Z,2026-10-01T11:00:00Z,2026-10-01T12:00:00Z,0
";

const DEVICES: &str = "\
User Email,Device Name,Platform,Enpass Version,Last Used,Enpass Hub Authenticated
eve@example.com,Eve Mac,macOS,6.11.4,2026-11-30T10:00:00Z,Yes
fay@example.com,Fay PC,Windows,6.9.2,2026-11-28T10:00:00Z,No
gus@example.com,Gus PC,Windows,6.10.1,2026-08-01T10:00:00Z,No
ivy@example.com,Ivy Old,Windows,6.10.1,2026-11-20T10:00:00Z,No
ivy@example.com,Ivy New,macOS,6.11.4,2026-11-29T10:00:00Z,Yes
jon@example.com,Jon Mac,macOS,6.11,2026-11-29T10:00:00Z,Yes
jon@example.com,Jon Phone,iOS,6.11.0,2026-11-28T10:00:00Z,No
";

/// The organisation: Dan (and Ann, not yet activated) pending in an earlier snapshot, then
/// everyone as above.
fn org() -> Env {
    let env = Env::new();
    env.ingest(
        &format!(
            "{HEAD}Ann Early,ann@example.com,No,,Assigned,Pending User Action,,,,0\n\
             Dan Never,dan@example.com,No,,Assigned,Pending User Action,,,,0\n"
        ),
        None,
        "2026-11-10T00:00:00Z",
    );
    env.ingest(&format!("{HEAD}{USERS}"), Some(DEVICES), AS_OF);
    env
}

/// `rollcall check` with `args`: (exit code, stdout, stderr).
fn check(env: &Env, args: &[&str]) -> (i32, String, String) {
    let out = env.cmd().arg("check").args(args).output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(!stderr.contains("panicked"), "{stderr}");
    (
        out.status.code().unwrap(),
        String::from_utf8(out.stdout).unwrap(),
        stderr,
    )
}

/// The JSON report and the exit code.
fn report(env: &Env, rules: &Path, extra: &[&str]) -> (i32, Value) {
    let mut args = vec!["--rules", rules.to_str().unwrap(), "--format", "json"];
    args.extend_from_slice(extra);
    let (code, out, _) = check(env, &args);
    (code, serde_json::from_str(&out).expect("JSON report"))
}

fn rule<'a>(doc: &'a Value, name: &str) -> &'a Value {
    doc["rules"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["name"] == name)
        .unwrap_or_else(|| panic!("no rule {name} in {doc:#}"))
}

fn offenders(r: &Value) -> Vec<String> {
    r["offenders"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["email"].as_str().unwrap().to_lowercase())
        .collect()
}

#[test]
fn the_example_rules_measure_the_hand_written_organisation() {
    let env = org();
    let (code, doc) = report(&env, &example(), &[]);
    assert_eq!(code, 1, "{doc:#}");
    assert_eq!(doc["users_in_scope"], 10);
    assert_eq!(doc["passed"], false);
    assert_eq!(doc["as_of"], AS_OF);

    let stuck = rule(&doc, "stuck-pending");
    assert_eq!(stuck["outcome"], "fail");
    assert_eq!(stuck["kind"], "max_count");
    assert_eq!(stuck["value"], 2);
    assert_eq!(stuck["threshold"], 0);
    assert_eq!(stuck["population"], 10);
    assert_eq!(offenders(stuck), ["ann@example.com", "dan@example.com"]);
    assert_eq!(
        stuck["offenders"][0],
        serde_json::json!({"email": "ann@example.com", "name": "Ann \"Old\" O'Brien & <Co>", "status": "pending"})
    );

    // Licensed: nine; Hub-authenticated among them: Eve, Ivy, Jon.
    let hub = rule(&doc, "hub-coverage");
    assert_eq!(hub["outcome"], "warn");
    assert_eq!(hub["kind"], "min_share");
    assert_eq!(hub["population"], 9);
    assert_eq!(hub["matching"], 3);
    assert_eq!(hub["value"].as_f64().unwrap(), 3.0 / 9.0);
    assert_eq!(hub["threshold"].as_f64().unwrap(), 0.95);
    assert_eq!(hub["filter"], "hub-authenticated");
    assert_eq!(
        offenders(hub),
        ["ann", "ben", "cat", "dan", "fay", "gus"].map(|n| format!("{n}@example.com"))
    );

    let version = rule(&doc, "current-version");
    assert_eq!(version["outcome"], "fail");
    assert_eq!(version["value"], 2);
    assert_eq!(offenders(version), ["fay@example.com", "ivy@example.com"]);

    // Never used (the four pending) or last used 2026-08-01 (Gus); Hal has no license.
    let used = rule(&doc, "used-in-90-days");
    assert_eq!(used["outcome"], "warn");
    assert_eq!(used["value"], 5);
    assert_eq!(
        offenders(used),
        ["ann", "ben", "cat", "dan", "gus"].map(|n| format!("{n}@example.com"))
    );
    assert_eq!(
        doc["counts"],
        serde_json::json!({"rules": 4, "pass": 0, "fail": 2, "warn": 2})
    );
}

#[test]
fn filters_and_the_instant_scope_every_rule() {
    let env = org();
    // Using users only: nobody pending, Fay and Ivy still on old versions.
    let (code, doc) = report(&env, &example(), &["--status", "using"]);
    assert_eq!(code, 1);
    assert_eq!(doc["users_in_scope"], 5);
    assert_eq!(doc["filters"], "status=using");
    assert_eq!(rule(&doc, "stuck-pending")["outcome"], "pass");
    assert_eq!(
        rule(&doc, "stuck-pending")["offenders"],
        serde_json::json!([])
    );
    let hub = rule(&doc, "hub-coverage");
    assert_eq!(
        (hub["population"].as_u64(), hub["matching"].as_u64()),
        (Some(5), Some(3))
    );
    assert_eq!(rule(&doc, "current-version")["outcome"], "fail");
    assert_eq!(
        offenders(rule(&doc, "used-in-90-days")),
        ["gus@example.com"]
    );

    // Eleven days in, Ann's activation and Dan's first pending snapshot are both recent.
    let (_, doc) = report(&env, &example(), &["--as-of", "2026-11-12T00:00:00Z"]);
    assert_eq!(rule(&doc, "stuck-pending")["outcome"], "pass");
    // Three days later than that, Dan (pending since 2026-11-10) is still not stuck, Ann is.
    let (_, doc) = report(&env, &example(), &["--as-of", "2026-11-16T00:00:00Z"]);
    assert_eq!(offenders(rule(&doc, "stuck-pending")), ["ann@example.com"]);

    // The earlier snapshot: two pending users, neither activated, pending since that snapshot.
    let (code, doc) = report(&env, &example(), &["--snapshot", "1"]);
    assert_eq!(doc["snapshot"], 1);
    assert_eq!(doc["users_in_scope"], 2);
    assert_eq!(rule(&doc, "stuck-pending")["outcome"], "pass");
    assert_eq!(rule(&doc, "current-version")["outcome"], "pass");
    assert_eq!(code, 0, "only warnings fail: {doc:#}");

    // One user holding every rule: exit 0 and nothing offends.
    let (code, doc) = report(&env, &example(), &["--search", "jon"]);
    assert_eq!(code, 0, "{doc:#}");
    assert_eq!(doc["passed"], true);
    assert_eq!(doc["counts"]["pass"], 4);
    assert_eq!(rule(&doc, "hub-coverage")["value"].as_f64(), Some(1.0));
}

#[test]
fn warnings_alone_exit_zero_and_errors_exit_one() {
    let env = org();
    // Eve and Gus through a custom filter: Gus fails both warnings, no error rule fails.
    env.write(
        "q/filters/eve-gus.sql",
        "-- Eve and Gus\nemail_key IN ('eve@example.com', 'gus@example.com')\n",
    );
    let q = env.path("q");
    let (code, out, err) = check(
        &env,
        &[
            "--queries",
            q.to_str().unwrap(),
            "--rules",
            example().to_str().unwrap(),
            "--filter",
            "eve-gus",
        ],
    );
    assert_eq!(code, 0, "{out}{err}");
    assert!(err.is_empty(), "{err}");
    assert!(out.contains("WARN  hub-coverage (warning)"), "{out}");
    assert!(
        out.contains("50% (1 of 2 users) match, at least 95% required; 1 user offending"),
        "{out}"
    );
    assert!(
        out.ends_with("4 rules: 2 passed, 0 failed, 2 warnings\n"),
        "{out}"
    );

    let (code, _, err) = check(&env, &["--rules", example().to_str().unwrap()]);
    assert_eq!(code, 1);
    assert_eq!(
        err,
        "rollcall: check: 2 error rules failed: stuck-pending, current-version\n"
    );
}

/// A rule whose name needs escaping everywhere, over the fixture's first three users.
const SMALL: &str = r#"
[[rule]]
name = "few <pending> & \"stuck\""
description = "At most one of Ann, Ben & Cat pending"
of = "email IN ('ann@example.com', 'ben@example.com', 'cat@example.com')"
where = "status = 'pending'"
max_count = 1

[[rule]]
name = "half-reminded"
description = "At least half of them reminded"
of = "email IN ('ann@example.com', 'ben@example.com', 'cat@example.com')"
where = "reminders_sent > 0"
min_share = 0.5
severity = "warning"

[[rule]]
name = "all-reminded"
description = "All of them reminded"
of = "email IN ('ann@example.com', 'ben@example.com', 'cat@example.com')"
where = "reminders_sent > 0"
min_share = 1
severity = "warning"
"#;

#[test]
fn text_output_lists_offenders_of_failing_rules() {
    let env = org();
    env.write("small.toml", SMALL);
    let (code, out, err) = check(&env, &["--rules", "small.toml"]);
    assert_eq!(code, 1, "{err}");
    assert!(
        err.contains("1 error rule failed: few <pending> & \"stuck\""),
        "{err}"
    );
    insta::assert_snapshot!(out);
    // -o writes the same report to the file and nothing to standard output.
    let (code, stdout, _) = check(&env, &["--rules", "small.toml", "-o", "report.txt"]);
    assert_eq!(code, 1);
    assert!(stdout.is_empty());
    assert_eq!(
        std::fs::read_to_string(env.path("report.txt")).unwrap(),
        out
    );
}

#[test]
fn text_caps_offenders_at_twenty_and_counts_the_rest() {
    let env = Env::new();
    let mut users = HEAD.to_string();
    for i in 0..25 {
        users.push_str(&format!(
            "User {i:02},u{i:02}@example.com,No,,Unassigned,No License,,,,0\n"
        ));
    }
    env.ingest(&users, None, AS_OF);
    env.write(
        "r.toml",
        "[[rule]]\nname = \"licensed\"\ndescription = \"Everyone licensed\"\nfilter = \"license-unassigned\"\nmax_count = 0\n",
    );
    let (code, out, _) = check(&env, &["--rules", "r.toml"]);
    assert_eq!(code, 1);
    assert!(
        out.contains("25 users offending, at most 0 allowed (population 25 users)"),
        "{out}"
    );
    assert!(
        out.contains("u19@example.com") && !out.contains("u20@example.com"),
        "{out}"
    );
    assert!(
        out.contains("… and 5 more (--format json or junit lists them all)"),
        "{out}"
    );
    let (_, doc) = report(&env, &env.path("r.toml"), &[]);
    assert_eq!(
        rule(&doc, "licensed")["offenders"]
            .as_array()
            .unwrap()
            .len(),
        25
    );
}

fn junit(env: &Env, rules: &str, extra: &[&str]) -> (i32, String) {
    let mut args = vec!["--rules", rules, "--format", "junit"];
    args.extend_from_slice(extra);
    let (code, out, _) = check(env, &args);
    (code, out)
}

#[test]
fn junit_has_one_testcase_per_rule_and_a_failure_per_failed_error_rule() {
    let env = org();
    let (code, xml) = junit(&env, example().to_str().unwrap(), &[]);
    assert_eq!(code, 1);
    assert!(xml.starts_with("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuite name=\"rollcall check\" tests=\"4\" failures=\"2\" errors=\"0\" "), "{xml}");
    assert_eq!(xml.matches("<testsuite ").count(), 1);
    assert_eq!(xml.matches("<testcase ").count(), 4);
    assert_eq!(xml.matches("<failure ").count(), 2);
    // A failure lists every offender; Ann's name escaped.
    let stuck = &xml[xml.find("<testcase name=\"stuck-pending\"").unwrap()..];
    let stuck = &stuck[..stuck.find("</testcase>").unwrap()];
    assert!(stuck.contains("message=\"No licensed user pending for more than 14 days with fewer than 2 reminders: 2 users offending, at most 0 allowed (population 10 users)\" type=\"max_count\""), "{stuck}");
    assert!(
        stuck.contains("ann@example.com  Ann \"Old\" O'Brien &amp; &lt;Co&gt;  pending"),
        "{stuck}"
    );
    assert!(
        stuck.contains("dan@example.com  Dan Never  pending"),
        "{stuck}"
    );
    // Failed warnings: a property each and their offenders in the suite's system-out.
    assert!(xml.contains("<property name=\"warning:hub-coverage\" value=\"At least 95% of licensed users Hub-authenticated: 33.33% (3 of 9 users) match, at least 95% required; 6 users offending\"/>"), "{xml}");
    assert!(
        xml.contains("<testcase name=\"hub-coverage\" classname=\"rollcall.check.warning\""),
        "{xml}"
    );
    let out = &xml[xml.find("<system-out>").unwrap()..xml.find("</system-out>").unwrap()];
    assert!(out.contains("WARNING used-in-90-days: "), "{out}");
    assert!(
        out.contains("  gus@example.com  Gus Lapsed  using"),
        "{out}"
    );

    env.write("small.toml", SMALL);
    let (_, xml) = junit(&env, "small.toml", &[]);
    assert!(
        xml.contains("<testcase name=\"few &lt;pending&gt; &amp; &quot;stuck&quot;\""),
        "{xml}"
    );
    assert!(xml.contains("tests=\"3\" failures=\"1\""), "{xml}");
    // All passing: an empty system-out.
    let (code, xml) = junit(&env, example().to_str().unwrap(), &["--search", "jon"]);
    assert_eq!(code, 0);
    assert_eq!(xml.matches("<failure").count(), 0);
    assert!(xml.contains("<system-out/>"), "{xml}");
}

/// xmllint, which `.ci/run` installs (Debian's libxml2-utils); missing, the test fails.
fn xmllint(args: &[&str], file: &Path) -> std::process::Output {
    std::process::Command::new("xmllint")
        .args(args)
        .arg(file)
        .output()
        .expect("xmllint (apt-get install libxml2-utils; .ci/run does)")
}

#[test]
#[ignore = "needs xmllint (apt-get install libxml2-utils); .ci/run runs ignored tests"]
fn junit_is_well_formed_and_valid_against_the_schema() {
    let env = org();
    env.write("small.toml", SMALL);
    let schema = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/junit.xsd");
    let example = example();
    let example = example.to_str().unwrap();
    let runs: [(&str, &[&str]); 4] = [
        (example, &[]),
        (example, &["--search", "jon"]),
        (example, &["--status", "using"]),
        ("small.toml", &[]),
    ];
    for (i, (rules, extra)) in runs.into_iter().enumerate() {
        let file = format!("junit-{i}.xml");
        let mut args = extra.to_vec();
        args.extend(["-o", &file]);
        junit(&env, rules, &args);
        let path = env.path(&file);
        for flags in [
            &["--noout"][..],
            &["--noout", "--schema", schema.to_str().unwrap()],
        ] {
            let out = xmllint(flags, &path);
            assert!(
                out.status.success(),
                "xmllint {flags:?} {file}:\n{}\n{}",
                String::from_utf8_lossy(&out.stderr),
                std::fs::read_to_string(&path).unwrap()
            );
        }
        // Read back by a real XML parser: the testcases and failures.
        let count = |xpath: &str| {
            let out = xmllint(&["--xpath", xpath], &path);
            String::from_utf8(out.stdout).unwrap()
        };
        let tests = count("string(/testsuite/@tests)");
        assert_eq!(count("count(/testsuite/testcase)"), tests);
        assert_eq!(
            count("count(//failure)"),
            count("string(/testsuite/@failures)")
        );
    }
    // The schema does refuse what it should: a testcase with no name.
    let bad = env.write("bad.xml", "<testsuite name=\"x\" tests=\"1\" failures=\"0\" errors=\"0\" timestamp=\"2026-01-01T00:00:00\" hostname=\"h\" time=\"0\"><properties/><testcase classname=\"c\" time=\"0\"/><system-out/><system-err/></testsuite>");
    assert!(
        !xmllint(&["--noout", "--schema", schema.to_str().unwrap()], &bad)
            .status
            .success()
    );
    // The failure's text read back through the parser: Ann's name unescaped.
    let text = xmllint(
        &[
            "--xpath",
            "string(//testcase[@name='stuck-pending']/failure)",
        ],
        &env.path("junit-0.xml"),
    );
    assert!(String::from_utf8(text.stdout)
        .unwrap()
        .contains("Ann \"Old\" O'Brien & <Co>"));
}

#[test]
fn the_generators_truth_holds_for_hub_coverage_and_ninety_day_use() {
    let (env, users) = sample_org(300, 7);
    let (code, doc) = report(&env, &example(), &[]);
    assert!(code == 0 || code == 1);
    assert_eq!(doc["users_in_scope"], 300);
    let licensed: Vec<_> = users.iter().filter(|u| u.license_assigned).collect();
    let hub = rule(&doc, "hub-coverage");
    assert_eq!(hub["population"], licensed.len() as u64);
    let matching = licensed.iter().filter(|u| u.hub_authenticated).count() as u64;
    assert_eq!(hub["matching"], matching);
    let share = matching as f64 / licensed.len() as f64;
    assert_eq!(hub["value"].as_f64(), Some(share));
    assert_eq!(hub["outcome"], if share >= 0.95 { "pass" } else { "warn" });
    let want: BTreeSet<String> = licensed
        .iter()
        .filter(|u| !u.hub_authenticated)
        .map(|u| u.email.to_lowercase())
        .collect();
    assert_eq!(offenders(hub).into_iter().collect::<BTreeSet<_>>(), want);
    assert!(!want.is_empty());

    let used = rule(&doc, "used-in-90-days");
    let want: BTreeSet<String> = licensed
        .iter()
        .filter(|u| u.activity(truth::as_of(), 90) != "active")
        .map(|u| u.email.to_lowercase())
        .collect();
    assert_eq!(used["value"], want.len() as u64);
    assert_eq!(offenders(used).into_iter().collect::<BTreeSet<_>>(), want);
    assert!(!want.is_empty());
    // --window-days moves `activity`, not the rule's spelled-out 90 days.
    let (_, doc) = report(&env, &example(), &["--window-days", "7"]);
    assert_eq!(rule(&doc, "used-in-90-days")["value"], want.len() as u64);
}

/// Every bad rules file: exit 2 and one line naming the file, the rule and the problem.
#[test]
fn bad_rules_files_are_one_line_naming_file_and_rule() {
    let env = org();
    let good = "[[rule]]\nname = \"r1\"\ndescription = \"d\"\nwhere = \"status = 'pending'\"\nmax_count = 0\n";
    let cases: Vec<(String, &str)> = vec![
        (good.replace("max_count = 0", "max_count = = 0"), "bad.toml:5:13: rule 'r1': "),
        (good.replace("where", "wher"), "bad.toml:4:1: rule 'r1': unknown key `wher`"),
        (good.replace("status = 'pending'", "status = = 'pending'"), "bad.toml:1: rule 'r1': `where` is not valid SQL over the users view: Parser Error: syntax error"),
        (good.replace("status = 'pending'", "statuss = 'pending'"), "bad.toml:1: rule 'r1': `where` is not valid SQL over the users view: Binder Error: Referenced column \"statuss\" not found"),
        (good.replace("status = 'pending'", "reminders_sent"), "bad.toml:1: rule 'r1': `where` is not a true/false predicate: its type is INTEGER"),
        (good.replace("where = \"status = 'pending'\"", "filter = \"nope\""), "bad.toml:1: rule 'r1': unknown filter 'nope': `rollcall filters` lists them (activity-active, "),
        (format!("{good}{}", good.replace("description = \"d\"", "description = \"e\"")), "bad.toml:6: rule 'r1': duplicate name: line 1 already has a rule named 'r1'"),
        (good.replace("max_count = 0", "max_count = 0\nmin_share = 0.5"), "bad.toml:1: rule 'r1': has both `min_share` and `max_count`: give exactly one"),
        (good.replace("max_count = 0", ""), "bad.toml:1: rule 'r1': has neither `min_share` nor `max_count`: give exactly one"),
        (good.replace("max_count = 0", "min_share = 95"), "bad.toml:1: rule 'r1': `min_share` is 95: it is a share between 0 and 1 (0.95 for 95%)"),
        (good.replace("name = \"r1\"\n", ""), "bad.toml:1: rule #1: has no `name`"),
        (good.replace("max_count = 0", "max_count = 0\nof = \"name\""), "bad.toml:1: rule 'r1': `of` is not a true/false predicate: its type is VARCHAR"),
        (good.replace("max_count = 0", "max_count = 0\nfilter = \"status-pending\""), "bad.toml:1: rule 'r1': has both `where` and `filter`: give exactly one"),
        (good.replace("status = 'pending'", "count(*) > 1"), "bad.toml:1: rule 'r1': its SQL does not work: "),
        (good.replace("severity", "x").replace("max_count = 0", "max_count = 0\nseverity = \"fatal\""), "bad.toml:6:12: rule 'r1': unknown variant `fatal`, expected `error` or `warning`"),
        (String::new(), "bad.toml: defines no rules"),
    ];
    for (text, want) in cases {
        env.write("bad.toml", &text);
        let err = env.fails(&["check", "--rules", "bad.toml"], 2);
        assert_eq!(err.lines().count(), 1, "{text}\n{err}");
        assert!(
            err.starts_with(&format!("rollcall: {want}")),
            "{text}\n→ {err}\nwanted {want}"
        );
    }
    // A filter that does not work is named with its file.
    env.write("q/filters/broken.sql", "-- Broken\nnosuchcolumn = 1\n");
    env.write(
        "bad.toml",
        good.replace("where = \"status = 'pending'\"", "filter = \"broken\""),
    );
    let q = env.path("q");
    let err = env.fails(
        &[
            "--queries",
            q.to_str().unwrap(),
            "check",
            "--rules",
            "bad.toml",
        ],
        2,
    );
    assert!(
        err.starts_with(&format!(
            "rollcall: bad.toml:1: rule 'r1': filter 'broken' ({}) is not valid SQL",
            q.join("filters/broken.sql").display()
        )),
        "{err}"
    );
    // No file, bad flags.
    let err = env.fails(&["check", "--rules", "missing.toml"], 2);
    assert!(
        err.starts_with("rollcall: missing.toml: cannot read the rules file: "),
        "{err}"
    );
    env.write("good.toml", good);
    let err = env.fails(&["check", "--rules", "good.toml", "--status", "bogus"], 2);
    assert!(err.contains("bogus"), "{err}");
    env.fails(&["check", "--rules", "good.toml", "--format", "xml"], 2);
    env.fails(&["check"], 2);
    let err = env.fails(&["check", "--rules", "good.toml", "--timeout", "soon"], 2);
    assert!(err.starts_with("rollcall: --timeout "), "{err}");
}

#[test]
fn rules_run_read_only_without_file_access() {
    let env = org();
    let before = env.ok(&[
        "query",
        "SELECT count(*) AS n FROM user_records",
        "--format",
        "csv",
    ]);
    let secret = env.write("secret.csv", "a\n1\n");
    let cases = [
        (
            format!(
                "email IN (SELECT a::VARCHAR FROM read_csv('{}'))",
                secret.display()
            ),
            "file system operations are disabled by configuration",
        ),
        // A predicate that closes the statement and starts another: refused as a write.
        (
            "TRUE) AS value FROM users; DELETE FROM user_records; SELECT (TRUE".to_string(),
            "read-only mode",
        ),
        (
            "TRUE) AS value FROM users; SET memory_limit = '1TB'; SELECT (TRUE".to_string(),
            "the configuration has been locked",
        ),
    ];
    for (predicate, why) in cases {
        env.write(
            "evil.toml",
            format!(
                "[[rule]]\nname = \"evil\"\ndescription = \"d\"\nwhere = \"{}\"\nmax_count = 0\n",
                predicate.replace('"', "\\\"")
            ),
        );
        let err = env.fails(&["check", "--rules", "evil.toml"], 2);
        assert!(
            err.starts_with("rollcall: evil.toml:1: rule 'evil': "),
            "{err}"
        );
        assert!(err.contains(why), "{err}");
    }
    assert_eq!(
        env.ok(&[
            "query",
            "SELECT count(*) AS n FROM user_records",
            "--format",
            "csv"
        ]),
        before
    );
}

#[test]
fn a_slow_rule_stops_at_the_timeout_with_exit_2() {
    let env = org();
    env.write(
        "slow.toml",
        "[[rule]]\nname = \"slow\"\ndescription = \"d\"\nwhere = \"(SELECT count(*) FROM range(100000000000) t(x) WHERE x % 7 = 3) > 0\"\nmax_count = 0\n",
    );
    let started = std::time::Instant::now();
    let err = env.fails(&["check", "--rules", "slow.toml", "--timeout", "300ms"], 2);
    assert_eq!(
        err,
        "rollcall: slow.toml:1: rule 'slow': stopped after 300 ms (--timeout 300ms); the database was not changed\n"
    );
    assert!(
        started.elapsed() < crate::common::WAIT,
        "{:?}",
        started.elapsed()
    );
}
