//! `--pseudonymize` through the real binary: no name, email or device name of the input files
//! reaches an export (CSV, JSON, Parquet), a report (its page, packed data, users.csv and
//! manifest) or a diff (table, CSV, JSON, manifest); the pseudonyms are the documented
//! HMAC-SHA-256 of the email key, recomputed here independently, so they are stable across
//! runs, snapshots and the case of an address, differ between keys, and leave every other
//! column as the plain export has it; a missing, short or unreadable key is refused.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::process::Output;

use serde_json::Value;

use crate::common::{page_data, read, Env};

const KEY: &str = "test-key: 0123456789abcdef 0123456789abcdef";
const OTHER_KEY: &str = "another test key, also long enough";

/// HMAC-SHA-256 (RFC 2104), written again here so the test does not trust the binary's.
fn hmac(key: &[u8], msg: &[u8]) -> Vec<u8> {
    use sha2::{Digest, Sha256};
    let mut block = [0u8; 64];
    if key.len() > 64 {
        block[..32].copy_from_slice(&Sha256::digest(key));
    } else {
        block[..key.len()].copy_from_slice(key);
    }
    let mut inner = Sha256::new();
    inner.update(block.map(|b| b ^ 0x36));
    inner.update(msg);
    let mut outer = Sha256::new();
    outer.update(block.map(|b| b ^ 0x5c));
    outer.update(inner.finalize());
    outer.finalize().to_vec()
}

fn hex(b: &[u8]) -> String {
    b.iter().map(|b| format!("{b:02x}")).collect()
}

/// The README's pseudonym of an (ASCII) address under `key`: `u-<16 hex>@pseudonym.invalid`.
fn pseudo_email(key: &str, email: &str) -> String {
    let mac = hmac(
        key.as_bytes(),
        format!("email:{}", email.trim().to_lowercase()).as_bytes(),
    );
    format!("u-{}@pseudonym.invalid", hex(&mac[..8]))
}

fn pseudo_name(key: &str, email: &str) -> String {
    format!("User {}", &pseudo_email(key, email)[2..10])
}

fn run_with(env: &Env, key: Option<&str>, args: &[&str]) -> Output {
    let mut c = env.cmd();
    match key {
        Some(k) => c.env("ROLLCALL_PSEUDO_KEY", k),
        None => c.env_remove("ROLLCALL_PSEUDO_KEY"),
    };
    c.args(args).output().expect("run rollcall")
}

fn ok_with(env: &Env, key: &str, args: &[&str]) -> String {
    let out = run_with(env, Some(key), args);
    assert!(
        out.status.success(),
        "rollcall {args:?} failed:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

fn fails_with(env: &Env, key: Option<&str>, args: &[&str]) -> String {
    let out = run_with(env, key, args);
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert_eq!(out.status.code(), Some(2), "rollcall {args:?}: {stderr}");
    assert_eq!(stderr.trim_end().lines().count(), 1, "one line: {stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
    stderr
}

/// The records of a CSV file as header → value maps.
fn csv_rows(path: &Path) -> Vec<BTreeMap<String, String>> {
    let mut r = csv::Reader::from_path(path).unwrap();
    let headers = r.headers().unwrap().clone();
    r.records()
        .map(|rec| {
            let rec = rec.unwrap();
            headers
                .iter()
                .zip(rec.iter())
                .map(|(h, v)| (h.to_string(), v.to_string()))
                .collect()
        })
        .collect()
}

/// Every name, email and device name in an input folder's CSVs (users.csv: Name, Email;
/// devices.csv: User Email, Device Name), lower-cased. Rows the ingest rejects count too.
fn identifiers(dir: &Path) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    for (file, columns) in [
        ("users.csv", &["Name", "Email"][..]),
        ("devices.csv", &["User Email", "Device Name"][..]),
    ] {
        let mut r = csv::ReaderBuilder::new()
            .flexible(true)
            .from_path(dir.join(file))
            .unwrap();
        let headers = r.headers().unwrap().clone();
        let at: Vec<usize> = columns
            .iter()
            .map(|c| headers.iter().position(|h| h == *c).unwrap())
            .collect();
        for rec in r.records() {
            let rec = rec.unwrap();
            for &i in &at {
                let v = rec.get(i).unwrap_or("").trim().to_lowercase();
                if !v.is_empty() {
                    out.insert(v);
                }
            }
        }
    }
    out
}

/// Asserts that none of `secrets` occurs in `text` (case-insensitively, and with HTML's
/// escapes of quotes and ampersands undone), naming `what` and the first one found.
fn none_of(secrets: &BTreeSet<String>, text: &str, what: &str) {
    let lower = text.to_lowercase();
    let unescaped = lower
        .replace("&#x27;", "'")
        .replace("&#39;", "'")
        .replace("&quot;", "\"")
        .replace("&amp;", "&")
        .replace("<wbr>", "");
    for s in secrets {
        assert!(
            !lower.contains(s.as_str()) && !unescaped.contains(s.as_str()),
            "{what} holds '{s}'"
        );
    }
}

/// A sample organisation and its evolved copy, ingested as two snapshots, with one rejected
/// row (a bad date) in the first whose raw text holds a name and an address. Returns the
/// environment and every identifier of both snapshots' input files.
fn two_snapshots() -> (Env, BTreeSet<String>) {
    let env = Env::new();
    let base = env.sample_files(300, 7);
    let (later, truth) = env.evolve(&base, 30, 8, "later");
    let mut users = read(&base.join("users.csv"));
    users.push_str(
        "Rex Rejected,rex.rejected@example.com,No,not a date,Assigned,Using Enpass,,,,0\n",
    );
    std::fs::write(base.join("users.csv"), users).unwrap();
    env.ingest_folder(&base, &[]);
    env.ok(&[
        "ingest",
        "--users",
        later.join("users.csv").to_str().unwrap(),
        "--devices",
        later.join("devices.csv").to_str().unwrap(),
        "--as-of",
        truth["to"]["as_of"].as_str().unwrap(),
        "--quiet",
    ]);
    let mut secrets = identifiers(&base);
    secrets.extend(identifiers(&later));
    assert!(secrets.contains("rex.rejected@example.com"));
    (env, secrets)
}

#[test]
fn no_name_email_or_device_name_leaves() {
    let (env, secrets) = two_snapshots();
    // The rejected row and the notices are really there, so their sections are tested.
    let summary = env.json(&["summary", "--format", "json", "--snapshot", "1"]);
    assert!(summary["quality"]["rejected"].as_u64().unwrap() >= 1);
    assert!(!summary["quality"]["notices"].as_array().unwrap().is_empty());

    for (format, file) in [("csv", "u.csv"), ("json", "u.json")] {
        let out = env.path(file);
        ok_with(
            &env,
            KEY,
            &[
                "export",
                "--pseudonymize",
                "--format",
                format,
                "-o",
                out.to_str().unwrap(),
            ],
        );
        none_of(&secrets, &read(&out), file);
        let manifest = read(&env.path(&format!("{file}.manifest.json")));
        none_of(&secrets, &manifest, "the export's manifest");
        assert!(!manifest.contains(KEY));
        let m: Value = serde_json::from_str(&manifest).unwrap();
        assert_eq!(m["pseudonymized"]["method"], "hmac-sha256");
        assert_eq!(
            m["pseudonymized"]["fields"],
            serde_json::json!(["name", "email"])
        );
        assert_eq!(m["pseudonymized"]["key_id"].as_str().unwrap().len(), 8);
    }
    let json: Value = serde_json::from_str(&read(&env.path("u.json"))).unwrap();
    assert!(json
        .as_array()
        .unwrap()
        .iter()
        .all(|u| u["email"].as_str().unwrap().ends_with("@pseudonym.invalid")));

    // Parquet, written by DuckDB itself, read back by DuckDB.
    let parquet = env.path("u.parquet");
    ok_with(
        &env,
        KEY,
        &[
            "export",
            "--pseudonymize",
            "--format",
            "parquet",
            "-o",
            parquet.to_str().unwrap(),
        ],
    );
    let conn = duckdb::Connection::open_in_memory().unwrap();
    let cells: Vec<String> = conn
        .prepare(&format!(
            "SELECT coalesce(name, '') || ' ' || email FROM read_parquet('{}')",
            parquet.display()
        ))
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    assert!(!cells.is_empty());
    none_of(&secrets, &cells.join("\n"), "the Parquet export");

    // The report: the page, its packed users and devices, users.csv, the manifest.
    let out = env.path("report");
    ok_with(
        &env,
        KEY,
        &["report", "--pseudonymize", "--out", out.to_str().unwrap()],
    );
    let html = read(&out.join("index.html"));
    assert!(
        html.contains("Changes since the previous snapshot"),
        "the diff section is on the page"
    );
    none_of(&secrets, &html, "index.html");
    let data = page_data::decode(&html);
    none_of(&secrets, &data.to_string(), "the page's packed data");
    let devices = data["d"]["name"].as_array().unwrap();
    assert!(!devices.is_empty() && devices.iter().all(Value::is_null));
    // Platform and version stay.
    assert!(!data["platforms"].as_array().unwrap().is_empty());
    assert!(!data["versions"].as_array().unwrap().is_empty());
    assert!(data["u"]["email"]
        .as_array()
        .unwrap()
        .iter()
        .all(|e| e.as_str().unwrap().ends_with("@pseudonym.invalid")));
    assert!(html.contains("id=\"pseudonymized\""));
    none_of(
        &secrets,
        &read(&out.join("users.csv")),
        "the report's users.csv",
    );
    let manifest = read(&out.join("manifest.json"));
    none_of(&secrets, &manifest, "the report's manifest");
    assert!(manifest.contains("\"pseudonymized\""));

    // The diff, in every format, and its manifest.
    for format in ["table", "csv", "json"] {
        let text = ok_with(&env, KEY, &["diff", "--pseudonymize", "--format", format]);
        assert!(text.contains("pseudonym.invalid"), "{format}: {text}");
        none_of(&secrets, &text, &format!("diff --format {format}"));
    }
    let diff = env.path("diff.json");
    ok_with(
        &env,
        KEY,
        &[
            "diff",
            "--pseudonymize",
            "--format",
            "json",
            "-o",
            diff.to_str().unwrap(),
        ],
    );
    let manifest = read(&env.path("diff.json.manifest.json"));
    none_of(&secrets, &manifest, "the diff's manifest");
    assert!(manifest.contains("\"pseudonymized\""));
    // Sorted by pseudonym, not by the real address.
    let doc: Value = serde_json::from_str(&read(&diff)).unwrap();
    let emails: Vec<&str> = doc["users"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["email"].as_str().unwrap())
        .collect();
    assert!(emails.len() > 10);
    assert!(emails.windows(2).all(|w| w[0] < w[1]));
}

#[test]
fn pseudonyms_are_stable_keyed_and_change_nothing_else() {
    let env = Env::new();
    let dir = env.sample(200, 3);
    let inputs = csv_rows(&dir.join("users.csv"));
    let export = |key: Option<&str>, name: &str, extra: &[&str]| {
        let out = env.path(name);
        let mut args = vec!["export", "-o", out.to_str().unwrap()];
        args.extend_from_slice(extra);
        match key {
            Some(k) => {
                args.push("--pseudonymize");
                ok_with(&env, k, &args);
            }
            None => {
                env.ok(&args);
            }
        }
        out
    };
    let plain = export(None, "plain.csv", &[]);
    let first = export(Some(KEY), "first.csv", &[]);
    let again = export(Some(KEY), "again.csv", &[]);
    assert_eq!(
        read(&first),
        read(&again),
        "the same key gives the same bytes"
    );
    let other = export(Some(OTHER_KEY), "other.csv", &[]);

    let plain_rows = csv_rows(&plain);
    let pseudo_rows = csv_rows(&first);
    assert_eq!(plain_rows.len(), inputs.len());
    assert_eq!(pseudo_rows.len(), plain_rows.len());
    // Each user's pseudonyms are the documented HMAC of their address, and every other column
    // is the plain export's.
    let by_email: BTreeMap<&str, &BTreeMap<String, String>> = pseudo_rows
        .iter()
        .map(|r| (r["email"].as_str(), r))
        .collect();
    assert_eq!(by_email.len(), pseudo_rows.len(), "pseudonyms are unique");
    for row in &plain_rows {
        let email = &row["email"];
        let p = by_email
            .get(pseudo_email(KEY, email).as_str())
            .unwrap_or_else(|| panic!("no pseudonym for {email}"));
        let name = if row["name"].is_empty() {
            String::new()
        } else {
            pseudo_name(KEY, email)
        };
        assert_eq!(p["name"], name);
        for (column, value) in row {
            if column != "name" && column != "email" {
                assert_eq!(&p[column], value, "{column} of {email}");
            }
        }
    }
    // Another key: no pseudonym in common.
    let firsts: BTreeSet<String> = pseudo_rows.iter().map(|r| r["email"].clone()).collect();
    assert!(csv_rows(&other)
        .iter()
        .all(|r| !firsts.contains(&r["email"])));
    // Sorted by the pseudonymous name (then email), not the real one.
    let names: Vec<(String, String)> = pseudo_rows
        .iter()
        .map(|r| (r["name"].to_lowercase(), r["email"].clone()))
        .filter(|(n, _)| !n.is_empty())
        .collect();
    assert!(names.windows(2).all(|w| w[0] <= w[1]));
    // Filters still select on the real data: the same users, counted the same.
    let pending_plain = csv_rows(&export(None, "pp.csv", &["--status", "pending"]));
    let pending = csv_rows(&export(Some(KEY), "pk.csv", &["--status", "pending"]));
    assert_eq!(pending.len(), pending_plain.len());
    let want: BTreeSet<String> = pending_plain
        .iter()
        .map(|r| pseudo_email(KEY, &r["email"]))
        .collect();
    let got: BTreeSet<String> = pending.iter().map(|r| r["email"].clone()).collect();
    assert_eq!(got, want);
}

#[test]
fn one_user_one_pseudonym_across_snapshots_and_case() {
    let env = Env::new();
    let head = "Name,Email,License\n";
    env.ingest(
        &format!("{head}Ann Ames,Ann.Ames@Example.com,Assigned\nBo Berg,bo@example.com,Unassigned\n"),
        Some("User Email,Device Name,Platform,Enpass Version\nann.ames@example.com,Ann's iPhone,iOS,6.11.4\n"),
        "2026-11-01T00:00:00Z",
    );
    env.ingest(
        &format!("{head}Ann Ames,ann.ames@EXAMPLE.COM,Assigned\nBo Berg,bo@example.com,Assigned\n"),
        None,
        "2026-12-01T00:00:00Z",
    );
    let rows = |snapshot: &str| {
        let out = env.path(&format!("s{snapshot}.csv"));
        ok_with(
            &env,
            KEY,
            &[
                "export",
                "--pseudonymize",
                "--snapshot",
                snapshot,
                "-o",
                out.to_str().unwrap(),
            ],
        );
        csv_rows(&out)
    };
    let (one, two) = (rows("1"), rows("2"));
    let ann = pseudo_email(KEY, "ann.ames@example.com");
    for rows in [&one, &two] {
        let r = rows
            .iter()
            .find(|r| r["email"] == ann)
            .expect("Ann, by her pseudonym");
        assert_eq!(r["name"], pseudo_name(KEY, "ann.ames@example.com"));
    }
    // The diff matches her across the snapshots under the same pseudonym.
    let diff = ok_with(&env, KEY, &["diff", "--pseudonymize", "--format", "csv"]);
    assert!(
        diff.contains(&pseudo_email(KEY, "bo@example.com")),
        "{diff}"
    );
    assert!(!diff.contains(&ann), "Ann did not change: {diff}");
    // The key file gives the same pseudonyms, with or without its newline.
    let file = env.write("key", format!("{KEY}\n"));
    let out = env.path("f.csv");
    let stdout = run_with(
        &env,
        None,
        &[
            "export",
            "--pseudonymize",
            "--pseudo-key-file",
            file.to_str().unwrap(),
            "-o",
            out.to_str().unwrap(),
        ],
    );
    assert!(stdout.status.success());
    assert_eq!(read(&out), read(&env.path("s2.csv")));
}

#[test]
fn keys_are_required_long_enough_and_readable() {
    let env = Env::with_one_user();
    let out = env.path("x.csv");
    let o = out.to_str().unwrap();
    let err = fails_with(&env, None, &["export", "--pseudonymize", "-o", o]);
    assert!(
        err.contains("ROLLCALL_PSEUDO_KEY") && err.contains("no default"),
        "{err}"
    );
    let err = fails_with(
        &env,
        Some("too short"),
        &["export", "--pseudonymize", "-o", o],
    );
    assert!(err.contains("at least 16"), "{err}");
    let err = fails_with(&env, Some(""), &["report", "--pseudonymize", "--out", "r"]);
    assert!(err.contains("ROLLCALL_PSEUDO_KEY"), "{err}");
    let missing = env.path("no-such-key");
    let err = fails_with(
        &env,
        Some(KEY),
        &[
            "export",
            "--pseudonymize",
            "--pseudo-key-file",
            missing.to_str().unwrap(),
            "-o",
            o,
        ],
    );
    assert!(err.contains("no-such-key"), "{err}");
    let short = env.write("short-key", "0123456789\n");
    let err = fails_with(
        &env,
        None,
        &[
            "diff",
            "--pseudonymize",
            "--pseudo-key-file",
            short.to_str().unwrap(),
        ],
    );
    assert!(err.contains("10 bytes"), "{err}");
    // --search would match real names and be recorded: refused.
    let err = fails_with(
        &env,
        Some(KEY),
        &["export", "--pseudonymize", "--search", "dee", "-o", o],
    );
    assert!(err.contains("--search"), "{err}");
    assert!(!out.exists(), "nothing written");
    // Without --pseudonymize, a key file is a usage error (clap's, exit 2).
    let code = run_with(&env, None, &["export", "--pseudo-key-file", "k", "-o", o])
        .status
        .code();
    assert_eq!(code, Some(2));
}

/// `check --pseudonymize`: the offenders of every rule, in text, JSON and JUnit, hold none of
/// the inputs' names or emails; they are the same users as without it (their pseudonyms,
/// computed here), ordered by pseudonym; the output says it is pseudonymised and by which key.
#[test]
fn check_offenders_are_pseudonymised() {
    let (env, secrets) = two_snapshots();
    let rules = Path::new(env!("CARGO_MANIFEST_DIR")).join("queries/rules/example.toml");
    let rules = rules.to_str().unwrap();
    let run = |key: Option<&str>, format: &str| {
        let mut args = vec!["check", "--rules", rules, "--format", format];
        if key.is_some() {
            args.push("--pseudonymize");
        }
        let out = run_with(&env, key, &args);
        assert!(
            matches!(out.status.code(), Some(0 | 1)),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap()
    };
    let plain: Value = serde_json::from_str(&run(None, "json")).unwrap();
    let hidden_text = run(Some(KEY), "json");
    none_of(&secrets, &hidden_text, "check --format json --pseudonymize");
    let hidden: Value = serde_json::from_str(&hidden_text).unwrap();
    assert_eq!(hidden["pseudonymized"]["method"], "hmac-sha256");
    let mut seen = 0;
    for (p, h) in plain["rules"]
        .as_array()
        .unwrap()
        .iter()
        .zip(hidden["rules"].as_array().unwrap())
    {
        assert_eq!(p["offender_count"], h["offender_count"]);
        let mut want: Vec<String> = p["offenders"]
            .as_array()
            .unwrap()
            .iter()
            .map(|o| pseudo_email(KEY, o["email"].as_str().unwrap()))
            .collect();
        want.sort();
        let got: Vec<String> = h["offenders"]
            .as_array()
            .unwrap()
            .iter()
            .map(|o| o["email"].as_str().unwrap().to_string())
            .collect();
        assert_eq!(got, want, "rule {}", p["name"]);
        seen += got.len();
    }
    assert!(seen > 0, "the example rules have offenders in the sample");
    for format in ["text", "junit"] {
        let out = run(Some(KEY), format);
        none_of(
            &secrets,
            &out,
            &format!("check --format {format} --pseudonymize"),
        );
        assert!(out.contains("pseudonym"), "{format} says so: {out}");
    }
    // No key: one line, exit 2.
    let err = fails_with(&env, None, &["check", "--rules", rules, "--pseudonymize"]);
    assert_eq!(err.trim_end().lines().count(), 1, "{err}");
}

/// A pseudonymised report sorts by the pseudonyms, as the pseudonymised export does: its rows
/// come by pseudonymous name (no name last), and the ranks it embeds for the page's sorting
/// order rows by pseudonymous email, never by the real addresses (which would tell who is who).
/// The pseudonyms are recomputed here; the users are `collation.rs`'s, with accented names and
/// addresses whose real order differs from any pseudonym order.
#[test]
fn a_pseudonymised_report_sorts_by_the_pseudonyms() {
    let env = crate::collation::env();
    let out = env.path("report");
    ok_with(
        &env,
        KEY,
        &[
            "report",
            "--pseudonymize",
            "--quiet",
            "--out",
            out.to_str().unwrap(),
        ],
    );
    let page = page_data::decode(&read(&out.join("index.html")));
    let u = &page["u"];
    let texts = |v: &Value| -> Vec<Option<String>> {
        v.as_array()
            .unwrap()
            .iter()
            .map(|x| x.as_str().map(str::to_string))
            .collect()
    };
    let ints = |v: &Value| -> Vec<i64> {
        v.as_array()
            .unwrap()
            .iter()
            .map(|x| x.as_i64().unwrap())
            .collect()
    };
    let emails: Vec<String> = texts(&u["email"]).into_iter().map(Option::unwrap).collect();
    let names = texts(&u["name"]);

    // What they should be, from the real addresses: (pseudonymous name or none, email).
    let real = crate::collation::BY_EMAIL;
    let mut want: Vec<(Option<String>, String)> = real
        .iter()
        .map(|e| {
            let name = (*e != "noname@example.com").then(|| pseudo_name(KEY, e));
            (name, pseudo_email(KEY, e))
        })
        .collect();
    // Names ascending with the missing one last, then the (pseudonymous) email.
    want.sort_by(|a, b| (a.0.is_none(), &a.0, &a.1).cmp(&(b.0.is_none(), &b.0, &b.1)));
    let got: Vec<(Option<String>, String)> = names.into_iter().zip(emails.clone()).collect();
    assert_eq!(got, want, "rows in pseudonymous name order");

    // The tie-breaker and email ranks: the pseudonymous emails' own order.
    let key = ints(&u["order"]["key"]);
    let shift = ints(&u["order"]["email_shift"]);
    let mut by_email = emails.clone();
    by_email.sort();
    for (i, e) in emails.iter().enumerate() {
        let place = by_email.iter().position(|x| x == e).unwrap() as i64;
        assert_eq!(key[i], place, "key rank of {e}");
        assert_eq!(key[i] + shift[i], place, "email rank of {e}");
    }
    // Every name differs, so the name ranks count up by one, the missing name included.
    assert_eq!(
        ints(&u["order"]["name"]),
        (0..emails.len() as i64).collect::<Vec<_>>()
    );
}
