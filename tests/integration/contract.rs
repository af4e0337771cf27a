//! Real-world exports against the data contract: email forms that must match each other, the
//! invisible characters and typos that must be rejected (with reason, line and detail), and a
//! database held by another program.

use crate::common::Env;

fn rejects(env: &Env) -> Vec<serde_json::Value> {
    env.json(&["rejects", "--format", "json"])
        .as_array()
        .unwrap()
        .clone()
}

#[test]
fn one_person_written_two_ways_is_one_user() {
    let env = Env::new();
    // Zoë composed (NFC) in the users file and decomposed (NFD) in the devices file; Ann's domain
    // in Unicode and in its ACE form; Bo's domain with a full-width dot.
    let users = "Name,Email,License,Status\n\
        Zoë,zo\u{eb}@example.com,Assigned,Using Enpass\n\
        Ann,ann@bücher.example,Assigned,Using Enpass\n\
        Bo,bo@example\u{ff0e}com,Assigned,Pending User Action\n";
    let devices =
        "User Email,Device Name,Platform,Enpass Version,Last Used,Enpass Hub Authenticated\n\
        ZOE\u{308}@example.com,Phone,iOS,6.11.4,2026-11-25T10:00:00Z,Yes\n\
        ann@XN--BCHER-KVA.example,Laptop,macOS,6.11.4,2026-11-24T10:00:00Z,No\n\
        bo@example.com,Desk,Windows,6.11.4,2026-11-23T10:00:00Z,Yes\n";
    let out = env.ingest(users, Some(devices), "2026-11-26T12:00:00Z");
    assert!(out.contains("3 users, 3 devices kept; 0 rejected"), "{out}");
    // Every device found its owner: each user has one device, and the hub follows it.
    let all = env.json(&[
        "users",
        "--format",
        "json",
        "--columns",
        "email,device_count,hub",
    ]);
    let got: Vec<(String, i64, String)> = all["users"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| {
            (
                u["email"].as_str().unwrap().to_string(),
                u["device_count"].as_i64().unwrap(),
                u["hub"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    assert_eq!(
        got,
        [
            ("ann@bücher.example".to_string(), 1, "never".to_string()),
            (
                "bo@example\u{ff0e}com".to_string(),
                1,
                "authenticated".to_string()
            ),
            (
                "zo\u{eb}@example.com".to_string(),
                1,
                "authenticated".to_string()
            ),
        ]
    );
    // The stored display value is verbatim; a lookup in any of the forms finds the user.
    for typed in [
        "ann@xn--bcher-kva.example",
        "ZOE\u{308}@EXAMPLE.COM",
        "bo@example.com",
    ] {
        let d = env.json(&["show", typed, "--format", "json"]);
        assert_eq!(d["devices"].as_array().unwrap().len(), 1, "{typed}: {d}");
    }
}

#[test]
fn invisible_characters_and_typos_are_rejected_with_line_and_detail() {
    let env = Env::new();
    let users = "Name,Email,License\n\
        Ok,ok@example.com,Assigned\n\
        Zw,ann\u{200b}@example.com,Assigned\n\
        Ctl,ann\u{1}@example.com,Assigned\n\
        Del,b\u{7f}@example.com,Assigned\n\
        C1,c\u{9c}@example.com,Assigned\n\
        Bom,d\u{feff}@example.com,Assigned\n\
        Bidi,e\u{202e}@example.com,Assigned\n\
        Iso,f\u{2066}@example.com,Assigned\n\
        Pua,g\u{e000}@example.com,Assigned\n\
        Dot,.h@example.com,Assigned\n\
        Dots,i..j@example.com,Assigned\n\
        Hyphen,k@-example.com,Assigned\n\
        Under,l@my_host.example.com,Assigned\n\
        Num,m@example.123,Assigned\n\
        Wrapped,<n@example.com>,Assigned\n\
        Mailto,mailto:o@example.com,Assigned\n";
    let long_local = format!("Long,{}@example.com,Assigned\n", "p".repeat(65));
    let long_all = format!("Huge,q@{}.com,Assigned\n", "r".repeat(100_000));
    let out = env.ingest(
        &format!("{users}{long_local}{long_all}"),
        None,
        "2026-11-26T12:00:00Z",
    );
    assert!(
        out.contains("1 users, 0 devices kept; 17 rejected (bad-email 17)"),
        "{out}"
    );
    let r = rejects(&env);
    let by_line: Vec<(i64, &str, &str)> = r
        .iter()
        .map(|x| {
            (
                x["line"].as_i64().unwrap(),
                x["reason"].as_str().unwrap(),
                x["detail"].as_str().unwrap(),
            )
        })
        .collect();
    let want: [(i64, &str); 17] = [
        (
            3,
            "invisible formatting character U+200B (ZERO WIDTH SPACE) at character 4",
        ),
        (4, "control character U+0001 at character 4"),
        (5, "control character U+007F (DELETE) at character 2"),
        (6, "control character U+009C at character 2"),
        (7, "U+FEFF"),
        (8, "U+202E (RIGHT-TO-LEFT OVERRIDE)"),
        (9, "U+2066 (LEFT-TO-RIGHT ISOLATE)"),
        (10, "private-use character U+E000 at character 2"),
        (11, "the local part starts with a dot"),
        (12, "two dots in a row in the local part"),
        (
            13,
            "the domain label '-example' starts or ends with a hyphen",
        ),
        (14, "the domain label 'my_host' holds '_'"),
        (15, "the top-level label '123' is a number"),
        (16, "wrapped address: use the bare address n@example.com"),
        (17, "wrapped address: use the bare address o@example.com"),
        (
            18,
            "the local part is 65 characters long; it has at most 64",
        ),
        (19, "100006 characters long; an address has at most 254"),
    ];
    assert_eq!(by_line.len(), want.len(), "{by_line:?}");
    for ((line, reason, detail), (want_line, want_detail)) in by_line.iter().zip(want) {
        assert_eq!((*line, *reason), (want_line, "bad-email"));
        assert!(detail.contains(want_detail), "line {line}: {detail}");
        // The echoed value is short and shows invisible characters as escapes.
        assert!(detail.chars().count() < 300, "line {line}: {detail}");
        assert!(
            !detail.chars().any(|c| c.is_control()),
            "line {line}: {detail:?}"
        );
    }
    assert!(
        by_line[0].2.contains("ann\\u{200B}@example.com"),
        "{}",
        by_line[0].2
    );
}

#[test]
fn a_database_held_by_another_program_names_its_pid() {
    let env = Env::with_one_user();
    // This test process holds the file with DuckDB, as a Python notebook would.
    let holder = duckdb::Connection::open(env.db()).unwrap();
    let users = env.write("u.csv", "Name,Email,License\nB,b@example.com,Assigned\n");
    let err = env.fails(
        &["ingest", "--users", users.to_str().unwrap(), "--wait", "0"],
        3,
    );
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(
        err.contains(&format!(
            "database is in use by another process (PID {})",
            std::process::id()
        )),
        "{err}"
    );
    drop(holder);
}

#[test]
fn date_layouts_that_cannot_work_are_refused_before_anything_is_read() {
    let env = Env::new();
    let users = env.write(
        "u.csv",
        "Name,Email,License,Last Used\nA,a@example.com,Assigned,2026-11-20 01:00:00 PST\n",
    );
    let u = users.to_str().unwrap();
    for (layout, want) in [
        ("%Y-%m-%d %H:%M:%S %Z", "%Z names a time zone"),
        ("%Q", "not a valid layout"),
        ("hello", "has no date or time field"),
    ] {
        let err = env.fails(&["ingest", "--users", u, "--date-format", layout], 2);
        assert_eq!(err.lines().count(), 1, "{err}");
        assert!(
            err.contains(&format!("--date-format '{layout}'")) && err.contains(want),
            "{err}"
        );
        assert!(!env.db().exists(), "{layout} created the database");
    }
}

#[test]
fn epoch_milliseconds_never_words_and_stage_hints() {
    let env = Env::new();
    // 1795165200000 ms is 2026-11-20T09:00:00Z (worked out by hand from the Unix epoch).
    let users =
        "Name,Email,License,Last Used,Activated License,Completed App Setup,Added Data in App\n\
        Ms,ms@example.com,Assigned,1795165200000,yes,yes,yes\n\
        G,g@example.com,Assigned,Never logged in,yes,no,no\n\
        Na,na@example.com,Assigned,N/A,yes,no,no\n\
        Nu,nu@example.com,Assigned,null,yes,no,no\n\
        Em,em@example.com,Assigned,\u{2014},yes,no,no\n\
        Sec,sec@example.com,Assigned,1795165200,yes,no,no\n\
        Stage,stage@example.com,Assigned,,soonish,no,no\n";
    let out = env.ingest(users, None, "2026-11-26T12:00:00Z");
    assert!(
        out.contains("5 users, 0 devices kept; 2 rejected (bad-date 2)"),
        "{out}"
    );
    let v = env.json(&[
        "users",
        "--format",
        "json",
        "--columns",
        "email,last_used,activity",
    ]);
    let got: Vec<(String, serde_json::Value, String)> = v["users"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| {
            (
                u["email"].as_str().unwrap().into(),
                u["last_used"].clone(),
                u["activity"].as_str().unwrap().into(),
            )
        })
        .collect();
    let never = serde_json::Value::Null;
    assert_eq!(
        got,
        [
            ("em@example.com".into(), never.clone(), "never".into()),
            ("g@example.com".into(), never.clone(), "never".into()),
            (
                "ms@example.com".into(),
                serde_json::json!("2026-11-20T09:00:00Z"),
                "active".into()
            ),
            ("na@example.com".into(), never.clone(), "never".into()),
            ("nu@example.com".into(), never, "never".into()),
        ]
    );
    let r = rejects(&env);
    // Ten digits are not guessed to be seconds; a bad stage value gets the same hint as Last Used.
    assert_eq!(r[0]["line"], 7);
    assert_eq!(r[0]["column"], "Last Used");
    assert!(
        r[0]["detail"]
            .as_str()
            .unwrap()
            .contains("use --date-format"),
        "{}",
        r[0]
    );
    assert_eq!(r[1]["line"], 8);
    assert_eq!(r[1]["column"], "Activated License");
    assert!(
        r[1]["detail"].as_str().unwrap().contains(
            "'soonish' is neither a boolean nor an ISO 8601 timestamp (use --date-format"
        ),
        "{}",
        r[1]
    );
}

/// Runs rollcall under a 2 GiB address-space cap: were it to need more, the run would fail
/// with an allocation error instead of the expected one clear line.
fn capped(env: &Env, args: &[&str]) -> std::process::Output {
    env.std_cmd_capped(Some(2 << 30))
        .args(args)
        .output()
        .unwrap()
}

#[test]
fn hostile_inputs_are_refused_in_bounded_memory() {
    let env = Env::new();
    // A device that never ends, under the default --max-input-size of 1 GiB.
    let out = capped(&env, &["ingest", "--users", "/dev/zero"]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert_eq!(err.trim(), "rollcall: /dev/zero: is larger than 1 GiB (--max-input-size); pass a larger --max-input-size to read it");
    let err = env.fails(
        &[
            "ingest",
            "--users",
            "/dev/urandom",
            "--max-input-size",
            "1MB",
        ],
        2,
    );
    assert!(err.contains("is larger than 976.6 KiB"), "{err}");
    // A 50 MB header line of commas.
    let header = env.write(
        "wide.csv",
        format!(
            "Email,License{}\na@example.com,Assigned\n",
            ",".repeat(50_000_000)
        ),
    );
    let out = capped(&env, &["ingest", "--users", header.to_str().unwrap()]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(
        err.contains("wide.csv: the header line is 47.7 MiB long; a header has at most 1 MiB"),
        "{err}"
    );
    assert!(
        err.len() < 300,
        "the error echoes the header: {} bytes",
        err.len()
    );
    // 2,000 columns in a short header.
    let many = env.write("many.csv", format!("Email,License{}\n", ",x".repeat(2_000)));
    let err = env.fails(&["ingest", "--users", many.to_str().unwrap()], 2);
    assert!(
        err.contains("the header has 2002 columns; an export has at most 1000"),
        "{err}"
    );
    assert!(!env.db().exists());
}

#[test]
fn a_record_over_one_mib_is_rejected_and_the_rest_land() {
    let env = Env::new();
    let users = format!(
        "Name,Email,License\nA,a@example.com,Assigned\n\"{}\",b@example.com,Assigned\nC,c@example.com,Assigned\n",
        "n".repeat(2 << 20)
    );
    let out = env.ingest(&users, None, "2026-11-26T12:00:00Z");
    assert!(
        out.contains("2 users, 0 devices kept; 1 rejected (record-too-long 1)"),
        "{out}"
    );
    let r = rejects(&env);
    assert_eq!(r[0]["line"], 3);
    assert_eq!(r[0]["reason"], "record-too-long");
    assert_eq!(
        r[0]["detail"],
        "the record is 2 MiB long; a record has at most 1 MiB"
    );
    let raw = r[0]["raw"].as_str().unwrap();
    assert!(
        raw.len() < 1200 && raw.ends_with(&format!("… ({} bytes in all)", (2 << 20) + 2 + 23)),
        "{}",
        &raw[raw.len() - 40..]
    );
}

#[test]
fn an_export_without_rows_is_refused_unless_allowed() {
    let env = Env::new();
    let users = env.write("u.csv", "Name,Email,License\n");
    let err = env.fails(&["ingest", "--users", users.to_str().unwrap()], 2);
    assert_eq!(err.trim(), format!("rollcall: {}: has a header but no data rows (pass --allow-empty to file an empty snapshot)", users.display()));
    assert!(!env.db().exists());
    let out = env.ok(&[
        "ingest",
        "--users",
        users.to_str().unwrap(),
        "--allow-empty",
    ]);
    assert!(out.contains("0 users, 0 devices kept"), "{out}");
}

#[test]
fn a_google_workspace_export_ingests_with_the_shipped_map() {
    let env = Env::new();
    let users = env.write(
        "google.csv",
        "First Name [Required],Last Name [Required],Email Address [Required],Org Unit Path [Required],Status [READ ONLY],Last Sign In [READ ONLY],2sv Enrolled [READ ONLY]\n\
         Ann,Lee,ann@example.com,/,Active,2026/11/20 09:00:00,True\n\
         Bob,Ray,bob@example.com,/Sales,Active,Never logged in,False\n\
         Cy,Oh,cy@example.com,/,Suspended,2026/09/01 08:30:00,False\n",
    );
    let out = env.ok(&[
        "ingest",
        "--users",
        users.to_str().unwrap(),
        "--map",
        "google-workspace",
        "--as-of",
        "2026-11-26T12:00:00Z",
    ]);
    assert!(out.contains("3 users, 0 devices kept; 0 rejected"), "{out}");
    // Google's other columns are reported once; the ignored name columns are not.
    assert!(
        out.contains("unknown columns 'Org Unit Path [Required]', '2sv Enrolled [READ ONLY]'"),
        "{out}"
    );
    assert!(!out.contains("First Name"), "{out}");
    // By hand: Active = pending (licensed), Suspended = no license; Last Sign In as last use,
    // measured at 2026-11-26T12:00Z with a 30-day window.
    let v = env.json(&[
        "users",
        "--format",
        "json",
        "--columns",
        "email,license,status,last_used,activity",
    ]);
    let got: Vec<String> = v["users"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| {
            format!(
                "{} {} {} {} {}",
                u["email"].as_str().unwrap(),
                u["license"].as_str().unwrap(),
                u["status"].as_str().unwrap(),
                u["last_used"].as_str().unwrap_or("never"),
                u["activity"].as_str().unwrap()
            )
        })
        .collect();
    assert_eq!(
        got,
        [
            "ann@example.com assigned pending 2026-11-20T09:00:00Z active",
            "bob@example.com assigned pending never never",
            "cy@example.com unassigned no-license 2026-09-01T08:30:00Z inactive",
        ]
    );
}

#[test]
fn a_bitwarden_export_ingests_with_the_shipped_map() {
    let env = Env::new();
    let users = env.write(
        "members.csv",
        "Email,Name,Status,Role,Two-step Login\n\
         ann@example.com,Ann Lee,Confirmed,Owner,true\n\
         bob@example.com,Bob Ray,Invited,User,false\n\
         cy@example.com,Cy Oh,Accepted,User,false\n\
         dee@example.com,Dee Ng,Revoked,User,false\n",
    );
    let out = env.ok(&[
        "ingest",
        "--users",
        users.to_str().unwrap(),
        "--map",
        "bitwarden",
    ]);
    assert!(out.contains("4 users, 0 devices kept; 0 rejected"), "{out}");
    let v = env.json(&[
        "users",
        "--format",
        "json",
        "--columns",
        "name,license,status",
    ]);
    let got: Vec<String> = v["users"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| {
            format!(
                "{} {} {}",
                u["name"].as_str().unwrap(),
                u["license"].as_str().unwrap(),
                u["status"].as_str().unwrap()
            )
        })
        .collect();
    assert_eq!(
        got,
        [
            "Ann Lee assigned using",
            "Bob Ray assigned pending",
            "Cy Oh assigned pending",
            "Dee Ng unassigned no-license",
        ]
    );
    // Without the map, Bitwarden's words are bad values: rejected, never guessed.
    let env = Env::new();
    let users = env.write(
        "members.csv",
        "Email,Name,Status\nann@example.com,Ann,Confirmed\n",
    );
    let err = env.fails(
        &["ingest", "--users", users.to_str().unwrap(), "--strict"],
        2,
    );
    assert!(err.contains("members.csv:2: column 'Status'"), "{err}");
}

#[test]
fn headers_with_suffixes_match_and_near_misses_are_warned() {
    let env = Env::new();
    // `[Required]` and `(UTC)` suffixes are ignored when matching headers.
    let users = env.write(
        "u.csv",
        "Email Address [Required],License (current),Last Used (UTC)\nann@example.com,Assigned,2026-11-20T09:00:00Z\n",
    );
    let out = env
        .cmd()
        .args([
            "ingest",
            "--users",
            users.to_str().unwrap(),
            "--as-of",
            "2026-11-26T12:00:00Z",
        ])
        .output()
        .unwrap();
    assert!(out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stderr).is_empty(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v = env.json(&["users", "--format", "json", "--columns", "email,activity"]);
    assert_eq!(v["users"][0]["activity"], "active");
    // `Last Login` looks like Last Used but is not read as it: a warning naming both.
    let env = Env::new();
    let users = env.write(
        "u.csv",
        "Email,License,Last Login\nann@example.com,Assigned,2026-11-20T09:00:00Z\n",
    );
    let out = env
        .cmd()
        .args(["ingest", "--users", users.to_str().unwrap()])
        .output()
        .unwrap();
    assert!(out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(
        stderr.trim(),
        "warning: u.csv: users export: no Last Used column, but 'Last Login' looks like one; it is not read as Last Used: rename it or map it with --map"
    );
    // --strict makes it an error, and nothing is written.
    let env = Env::new();
    let users = env.write(
        "u.csv",
        "Email,License,Last Login\nann@example.com,Assigned,2026-11-20T09:00:00Z\n",
    );
    let err = env.fails(
        &["ingest", "--users", users.to_str().unwrap(), "--strict"],
        2,
    );
    assert!(err.contains("--strict: 1 column is not read"), "{err}");
    assert!(!env.db().exists());
    // A map that renames it silences the warning and reads it.
    let map = env.write(
        "m.toml",
        "[users.columns]\n\"Last Login\" = \"last_used\"\n",
    );
    let out = env
        .cmd()
        .args([
            "ingest",
            "--users",
            users.to_str().unwrap(),
            "--map",
            map.to_str().unwrap(),
            "--strict",
            "--as-of",
            "2026-11-26T12:00:00Z",
        ])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stderr).is_empty());
    let v = env.json(&["users", "--format", "json", "--columns", "email,activity"]);
    assert_eq!(v["users"][0]["activity"], "active");
}

#[test]
fn a_bad_map_is_one_line_naming_file_line_and_key() {
    let env = Env::new();
    let users = env.write("u.csv", "Email,License\nann@example.com,Assigned\n");
    for (text, want) in [
        ("[users.columns]\n\"Seen\" = \"last_seen\"\n", "m.toml: line 2: [users.columns] 'Seen': 'last_seen' is not a field of the users export"),
        ("[user.columns]\n", "m.toml: line 1, column 2: unknown field `user`"),
        ("date_formats = [\"%Z\"]\n", "--date-format '%Z': %Z names a time zone"),
    ] {
        let map = env.write("m.toml", text);
        let err = env.fails(&["ingest", "--users", users.to_str().unwrap(), "--map", map.to_str().unwrap()], 2);
        assert_eq!(err.lines().count(), 1, "{err}");
        assert!(err.contains(want), "{err}");
        assert!(!env.db().exists());
    }
}

#[test]
fn with_some_stage_columns_the_status_column_is_taken() {
    let env = Env::new();
    // Only one of the three stage columns: the status follows the Status column; Bo's stage
    // contradicts "Using Enpass" and becomes a notice (by hand: Ann using, Bo using, Cy pending).
    let users = "Name,Email,License,Status,Activated License\n\
        Ann,ann@example.com,Assigned,Using Enpass,yes\n\
        Bo,bo@example.com,Assigned,Using Enpass,no\n\
        Cy,cy@example.com,Assigned,Pending User Action,yes\n";
    let out = env.ingest(users, None, "2026-11-26T12:00:00Z");
    assert!(
        out.contains(
            "notice: 1 user whose Status column says using while a stage column says not done"
        ),
        "{out}"
    );
    let v = env.json(&["users", "--format", "json", "--columns", "email,status"]);
    let got: Vec<&str> = v["users"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["status"].as_str().unwrap())
        .collect();
    assert_eq!(got, ["using", "using", "pending"]);
    let s = env.json(&["summary", "--format", "json"]);
    let notices = s["quality"]["notices"].as_array().unwrap();
    let of_kind = |kind: &str| -> Vec<&serde_json::Value> {
        notices.iter().filter(|n| n["kind"] == kind).collect()
    };
    let stage = of_kind("stage-disagreement");
    assert_eq!(stage.len(), 1, "{notices:?}");
    assert_eq!(stage[0]["line"], 3);
    assert!(stage[0]["detail"]
        .as_str()
        .unwrap()
        .starts_with("Status column says using but Activated License says not done"));
    // Neither using user has a Last Used: both are said (issue #10's "Using but never used").
    let lines: Vec<&serde_json::Value> = of_kind("using-never-used")
        .iter()
        .map(|n| &n["line"])
        .collect();
    assert_eq!(lines, [&serde_json::json!(2), &serde_json::json!(3)]);
    assert_eq!(notices.len(), 3, "{notices:?}");
}
