//! Signed evidence (`keygen`, `--sign`, `verify`) through the real binary: a signed report
//! verifies, and every change to it (a byte of a file, a file added or removed, the manifest
//! rewritten under an old signature, another key) is named with exit 1; bad input is one line
//! and exit 2; an encrypted key signs with `ROLLCALL_SIGN_PASSWORD`, and a wrong or missing
//! password writes nothing. Interoperability is the point of minisign's formats, so the stock
//! `minisign` tool (Debian's package) must verify rollcall's signatures, and rollcall must
//! verify and sign with the tool's; those tests are `#[ignore]`d (`.ci/run` installs minisign
//! and runs them with `--ignored`, where a missing tool fails them).

use std::path::{Path, PathBuf};
use std::process::Output;

use crate::common::{read, Env};

const VAR: &str = "ROLLCALL_SIGN_PASSWORD";

/// rollcall with `ROLLCALL_SIGN_PASSWORD` set to `password`, or unset; standard input is not a
/// terminal, so nothing is ever asked for.
fn run(env: &Env, args: &[&str], password: Option<&str>) -> Output {
    let mut c = env.cmd();
    c.args(args);
    match password {
        Some(p) => c.env(VAR, p),
        None => c.env_remove(VAR),
    };
    c.output().expect("run rollcall")
}

fn ok(env: &Env, args: &[&str], password: Option<&str>) -> String {
    let out = run(env, args, password);
    assert!(
        out.status.success(),
        "rollcall {args:?} failed ({:?}):\n{}\n{}",
        out.status.code(),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

/// Insists on exit `code` with one line on standard error (no panic); returns that line.
fn fails(env: &Env, args: &[&str], password: Option<&str>, code: i32) -> (String, String) {
    let out = run(env, args, password);
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert_eq!(
        out.status.code(),
        Some(code),
        "rollcall {args:?}: expected exit {code}\nstdout:{stdout}\nstderr:{stderr}"
    );
    assert_eq!(stderr.lines().count(), 1, "one line:\n{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
    (stdout, stderr)
}

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

/// A database of a small sample organisation.
fn org() -> Env {
    let env = Env::new();
    env.sample(40, 3);
    env
}

/// `rollcall keygen --no-password --out NAME`: the secret and public key paths.
fn plain_key(env: &Env, name: &str) -> (PathBuf, PathBuf) {
    let key = env.path(name);
    ok(env, &["keygen", "--out", s(&key), "--no-password"], None);
    (key.clone(), env.path(&format!("{name}.pub")))
}

/// A signed report in `DIR`.
fn signed_report(env: &Env, dir: &str, key: &Path) -> PathBuf {
    let out = env.path(dir);
    ok(env, &["report", "--out", s(&out), "--sign", s(key)], None);
    out
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        std::fs::copy(e.path(), to.join(e.file_name())).unwrap();
    }
}

fn flip_byte(path: &Path, at: usize) {
    let mut b = std::fs::read(path).unwrap();
    let at = at.min(b.len() - 1);
    b[at] ^= 0x01;
    std::fs::write(path, b).unwrap();
}

fn listed_files(manifest: &Path) -> Vec<String> {
    let m: serde_json::Value = serde_json::from_str(&read(manifest)).unwrap();
    m["files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["file"].as_str().unwrap().to_string())
        .collect()
}

#[test]
fn a_signed_report_verifies_and_every_change_is_named() {
    let env = org();
    let (key, public) = plain_key(&env, "team.key");
    let report = signed_report(&env, "report", &key);
    // The manifest covers both files the report writes, so verify checks both.
    assert_eq!(
        listed_files(&report.join("manifest.json")),
        ["index.html", "users.csv"]
    );
    let sig = read(&report.join("manifest.json.minisig"));
    let manifest_sha =
        crate::common::sha256_hex(&std::fs::read(report.join("manifest.json")).unwrap());
    let trusted = sig.lines().nth(2).unwrap();
    assert_eq!(
        trusted,
        format!(
            "trusted comment: rollcall {} snapshot 1 manifest sha256:{manifest_sha}",
            env!("CARGO_PKG_VERSION")
        )
    );

    let out = ok(&env, &["verify", s(&report), "--pubkey", s(&public)], None);
    for expected in [
        "index.html:",
        "users.csv:",
        "no files but the manifest's",
        "manifest.json.minisig: valid signature by key",
        "names this manifest's sha256",
    ] {
        assert!(out.contains(expected), "{expected}:\n{out}");
    }
    assert!(
        !out.contains("CHANGED") && !out.contains("MISSING") && !out.contains("ADDED"),
        "{out}"
    );
    // PATH may name the manifest itself, or its signature.
    ok(
        &env,
        &[
            "verify",
            s(&report.join("manifest.json")),
            "--pubkey",
            s(&public),
        ],
        None,
    );
    ok(
        &env,
        &[
            "verify",
            s(&report.join("manifest.json.minisig")),
            "--pubkey",
            s(&public),
        ],
        None,
    );
    // Without a key the files are checked and the signature is said to be unchecked.
    let out = ok(&env, &["verify", s(&report)], None);
    assert!(out.contains("present, not checked"), "{out}");

    // One byte of any file the manifest lists.
    for (i, name) in ["index.html", "users.csv"].iter().enumerate() {
        let copy = env.path(&format!("byte-{i}"));
        copy_dir(&report, &copy);
        flip_byte(&copy.join(name), 100);
        let (stdout, stderr) = fails(&env, &["verify", s(&copy), "--pubkey", s(&public)], None, 1);
        assert!(stderr.contains(&format!("{name} changed")), "{stderr}");
        assert!(
            stdout.contains(&format!("CHANGED  {name}: sha256")),
            "{stdout}"
        );
    }
    // A file added; a file removed.
    let added = env.path("added");
    copy_dir(&report, &added);
    std::fs::write(added.join("extra.csv"), "email\nmallory@example.com\n").unwrap();
    let (stdout, stderr) = fails(&env, &["verify", s(&added)], None, 1);
    assert!(stderr.contains("extra.csv added"), "{stderr}");
    assert!(stdout.contains("ADDED"), "{stdout}");
    let removed = env.path("removed");
    copy_dir(&report, &removed);
    std::fs::remove_file(removed.join("users.csv")).unwrap();
    let (_, stderr) = fails(&env, &["verify", s(&removed)], None, 1);
    assert!(stderr.contains("users.csv missing"), "{stderr}");
    // The signature removed, when a key says it should be there.
    let unsigned = env.path("unsigned");
    copy_dir(&report, &unsigned);
    std::fs::remove_file(unsigned.join("manifest.json.minisig")).unwrap();
    let (_, stderr) = fails(
        &env,
        &["verify", s(&unsigned), "--pubkey", s(&public)],
        None,
        1,
    );
    assert!(stderr.contains("manifest.json.minisig missing"), "{stderr}");
}

#[test]
fn another_key_or_a_rewritten_manifest_fails_the_signature() {
    let env = org();
    let (key, public) = plain_key(&env, "team.key");
    let (_, other_public) = plain_key(&env, "other.key");
    let report = signed_report(&env, "report", &key);

    let (stdout, stderr) = fails(
        &env,
        &["verify", s(&report), "--pubkey", s(&other_public)],
        None,
        1,
    );
    assert!(stderr.contains("made with another key"), "{stderr}");
    assert!(stdout.contains("BAD SIGNATURE"), "{stdout}");

    // users.csv changed and the manifest rewritten to match it, under the old signature: the
    // files agree with the manifest, so only the signature can tell.
    let forged = env.path("forged");
    copy_dir(&report, &forged);
    let csv = forged.join("users.csv");
    let mut text = read(&csv);
    text.push_str("Mallory,mallory@example.com,false,,assigned,using,active,authenticated,0\n");
    std::fs::write(&csv, &text).unwrap();
    let manifest = forged.join("manifest.json");
    let mut m: serde_json::Value = serde_json::from_str(&read(&manifest)).unwrap();
    let entry = m["files"]
        .as_array_mut()
        .unwrap()
        .iter_mut()
        .find(|f| f["file"] == "users.csv")
        .unwrap();
    entry["bytes"] = text.len().into();
    entry["sha256"] = crate::common::sha256_hex(text.as_bytes()).into();
    m["rows"] = (m["rows"].as_u64().unwrap() + 1).into();
    std::fs::write(&manifest, serde_json::to_string_pretty(&m).unwrap() + "\n").unwrap();
    ok(&env, &["verify", s(&forged)], None);
    let (_, stderr) = fails(
        &env,
        &["verify", s(&forged), "--pubkey", s(&public)],
        None,
        1,
    );
    assert!(stderr.contains("does not match the manifest"), "{stderr}");

    // The forged manifest with a signature of its own by another key: still not the team's.
    let other_key = env.path("other.key");
    let resigned = env.path("resigned");
    copy_dir(&forged, &resigned);
    let again = signed_report(&env, "other-report", &other_key);
    std::fs::copy(
        again.join("manifest.json.minisig"),
        resigned.join("manifest.json.minisig"),
    )
    .unwrap();
    let (_, stderr) = fails(
        &env,
        &["verify", s(&resigned), "--pubkey", s(&public)],
        None,
        1,
    );
    assert!(stderr.contains("another key"), "{stderr}");
}

#[test]
fn bad_input_is_one_line_and_exit_2() {
    let env = org();
    let (key, public) = plain_key(&env, "team.key");
    let report = signed_report(&env, "report", &key);
    let empty = env.path("empty");
    std::fs::create_dir_all(&empty).unwrap();
    let (_, e) = fails(&env, &["verify", s(&empty)], None, 2);
    assert!(e.contains("no manifest.json"), "{e}");
    let (_, e) = fails(&env, &["verify", s(&env.path("nowhere"))], None, 2);
    assert!(e.contains("no such file or folder"), "{e}");
    let lone = env.write("lone.csv", "a\n1\n");
    let (_, e) = fails(&env, &["verify", s(&lone)], None, 2);
    assert!(e.contains("lone.csv.manifest.json"), "{e}");
    let not_json = env.write("x.manifest.json", "{not json");
    let (_, e) = fails(&env, &["verify", s(&not_json)], None, 2);
    assert!(e.contains("not a rollcall manifest"), "{e}");
    let escaping = env.write(
        "y.manifest.json",
        r#"{"files": [{"file": "../etc/passwd", "bytes": 1, "sha256": "00"}]}"#,
    );
    let (_, e) = fails(&env, &["verify", s(&escaping)], None, 2);
    assert!(e.contains("not a file beside the manifest"), "{e}");
    // Keys: missing, not a key, a secret key given as the public one.
    let (_, e) = fails(
        &env,
        &["verify", s(&report), "--pubkey", s(&env.path("none.pub"))],
        None,
        2,
    );
    assert!(e.contains("cannot read the key"), "{e}");
    let junk = env.write("junk.pub", "untrusted comment: x\nnot base64 at all\n");
    let (_, e) = fails(&env, &["verify", s(&report), "--pubkey", s(&junk)], None, 2);
    assert!(e.contains("not a minisign public key"), "{e}");
    let (_, e) = fails(&env, &["verify", s(&report), "--pubkey", s(&key)], None, 2);
    assert!(e.contains("not a minisign public key"), "{e}");
    // A malformed signature file.
    let bad_sig = env.path("bad-sig");
    copy_dir(&report, &bad_sig);
    std::fs::write(
        bad_sig.join("manifest.json.minisig"),
        "untrusted comment: x\n",
    )
    .unwrap();
    let (_, e) = fails(
        &env,
        &["verify", s(&bad_sig), "--pubkey", s(&public)],
        None,
        2,
    );
    assert!(e.contains("not a minisign signature"), "{e}");
    // --sign with something that is not a secret key, or a public key, writes nothing.
    let out = env.path("never");
    for k in [&public, &junk] {
        let (_, e) = fails(&env, &["report", "--out", s(&out), "--sign", s(k)], None, 2);
        assert!(e.contains("not a minisign secret key"), "{e}");
    }
    assert!(!out.exists());
    // diff signs the manifest of -o FILE, so it needs one.
    let (_, e) = fails(&env, &["diff", "--sign", s(&key)], None, 2);
    assert!(e.contains("give -o"), "{e}");
}

#[test]
fn an_encrypted_key_signs_with_the_password_and_a_wrong_one_writes_nothing() {
    let env = org();
    let key = env.path("enc.key");
    let public = env.path("enc.key.pub");
    let out = ok(&env, &["keygen", "--out", s(&key)], Some("correct horse"));
    assert!(out.contains("encrypted with the password"), "{out}");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&key).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600, "secret key mode {mode:o}");
    }
    // The secret key is scrypt-encrypted (minisign's "Sc"), not readable as a plain key.
    let line = read(&key).lines().nth(1).unwrap().to_string();
    assert!(line.starts_with("RWRTY"), "{line}");

    let export = env.path("pending.csv");
    let args = [
        "export",
        "--status",
        "pending",
        "-o",
        s(&export),
        "--sign",
        s(&key),
    ];
    ok(&env, &args, Some("correct horse"));
    let out = ok(&env, &["verify", s(&export), "--pubkey", s(&public)], None);
    assert!(
        out.contains("pending.csv.manifest.json.minisig: valid signature"),
        "{out}"
    );
    let signed = std::fs::read(env.path("pending.csv.manifest.json.minisig")).unwrap();

    // A wrong password, or none and no terminal: one line, exit 2, and nothing written or
    // touched: not a new export, not the earlier one, not its signature.
    let fresh = env.path("fresh.csv");
    let fresh_args = ["export", "-o", s(&fresh), "--sign", s(&key)];
    let (_, e) = fails(&env, &fresh_args, Some("wrong"), 2);
    assert!(e.contains("wrong password"), "{e}");
    let (_, e) = fails(&env, &fresh_args, None, 2);
    assert!(e.contains(VAR), "{e}");
    let report = env.path("report");
    let (_, e) = fails(
        &env,
        &["report", "--out", s(&report), "--sign", s(&key)],
        Some("wrong"),
        2,
    );
    assert!(e.contains("wrong password"), "{e}");
    for p in [
        fresh.clone(),
        env.path("fresh.csv.manifest.json"),
        env.path("fresh.csv.manifest.json.minisig"),
        report,
    ] {
        assert!(!p.exists(), "{} was written", p.display());
    }
    let (_, e) = fails(&env, &args, Some("wrong"), 2);
    assert!(e.contains("wrong password"), "{e}");
    assert_eq!(
        std::fs::read(env.path("pending.csv.manifest.json.minisig")).unwrap(),
        signed
    );
    ok(&env, &["verify", s(&export), "--pubkey", s(&public)], None);

    // Re-exported without --sign, the old signature goes: it signed other bytes.
    ok(&env, &["export", "-o", s(&export)], None);
    assert!(!env.path("pending.csv.manifest.json.minisig").exists());
    let (_, e) = fails(
        &env,
        &["verify", s(&export), "--pubkey", s(&public)],
        None,
        1,
    );
    assert!(e.contains("minisig missing"), "{e}");
}

#[test]
fn keygen_keeps_existing_keys_unless_forced() {
    let env = Env::new();
    let (key, public) = plain_key(&env, "k");
    let before = (read(&key), read(&public));
    let (_, e) = fails(
        &env,
        &["keygen", "--out", s(&key), "--no-password"],
        None,
        2,
    );
    assert!(e.contains("--force"), "{e}");
    assert_eq!((read(&key), read(&public)), before);
    // Only the public key there is enough to refuse: it would no longer match.
    std::fs::remove_file(&key).unwrap();
    fails(
        &env,
        &["keygen", "--out", s(&key), "--no-password"],
        None,
        2,
    );
    assert!(!key.exists());
    ok(
        &env,
        &["keygen", "--out", s(&key), "--no-password", "--force"],
        None,
    );
    assert_ne!(read(&public), before.1);
    // No password and no terminal: keygen cannot ask, so it refuses.
    let (_, e) = fails(&env, &["keygen", "--out", s(&env.path("p"))], None, 2);
    assert!(e.contains(VAR), "{e}");
    let (_, e) = fails(&env, &["keygen", "--out", s(&env.path("p"))], Some(""), 2);
    assert!(e.contains("--no-password"), "{e}");
    assert!(!env.path("p").exists() && !env.path("p.pub").exists());
}

#[test]
fn a_diff_manifest_is_signed_too() {
    let env = Env::new();
    env.ingest(
        "Name,Email,License\nDee,dee@example.com,Unassigned\n",
        None,
        "2026-11-20T00:00:00Z",
    );
    env.ingest(
        "Name,Email,License\nDee,dee@example.com,Assigned\n",
        None,
        "2026-11-27T00:00:00Z",
    );
    let (key, public) = plain_key(&env, "k");
    let out = env.path("changes.csv");
    ok(
        &env,
        &["diff", "--format", "csv", "-o", s(&out), "--sign", s(&key)],
        None,
    );
    let sig = read(&env.path("changes.csv.manifest.json.minisig"));
    assert!(
        sig.contains("trusted comment: rollcall 0.1.0 diff snapshot 1 to 2 manifest sha256:"),
        "{sig}"
    );
    ok(&env, &["verify", s(&out), "--pubkey", s(&public)], None);
    flip_byte(&out, 5);
    let (_, e) = fails(&env, &["verify", s(&out), "--pubkey", s(&public)], None, 1);
    assert!(e.contains("changes.csv changed"), "{e}");
}

// ---------------------------------------------------------------------------------------------
// The stock minisign tool

/// `minisign ARGS`, failing the test (never skipping it) when the tool is missing.
fn minisign(dir: &Path, args: &[&str], stdin: Option<&str>) -> Output {
    use std::io::Write;
    let mut c = std::process::Command::new("minisign");
    c.args(args)
        .current_dir(dir)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped());
    let mut child = c
        .spawn()
        .unwrap_or_else(|e| panic!("this test needs minisign (apt-get install minisign): {e}"));
    let mut pipe = child.stdin.take().unwrap();
    if let Some(text) = stdin {
        pipe.write_all(text.as_bytes()).unwrap();
    }
    drop(pipe);
    child.wait_with_output().unwrap()
}

fn minisign_ok(dir: &Path, args: &[&str], stdin: Option<&str>) -> String {
    let out = minisign(dir, args, stdin);
    assert!(
        out.status.success(),
        "minisign {args:?} failed:\n{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr)
}

#[test]
#[ignore = "needs minisign (apt-get install minisign); .ci/run runs ignored tests"]
fn minisign_verifies_rollcalls_signatures() {
    let env = org();
    let dir = env.dir.path();
    // An encrypted key (the password from the environment) and one without a password.
    let enc = env.path("enc.key");
    ok(&env, &["keygen", "--out", s(&enc)], Some("pw"));
    let (plain, plain_pub) = plain_key(&env, "plain.key");

    let report = env.path("report");
    ok(
        &env,
        &["report", "--out", s(&report), "--sign", s(&enc)],
        Some("pw"),
    );
    let out = minisign_ok(
        &report,
        &["-Vm", "manifest.json", "-p", s(&env.path("enc.key.pub"))],
        None,
    );
    assert!(
        out.contains("Trusted comment: rollcall 0.1.0 snapshot 1 manifest sha256:"),
        "{out}"
    );

    let export = env.path("all.json");
    ok(
        &env,
        &[
            "export",
            "--format",
            "json",
            "-o",
            s(&export),
            "--sign",
            s(&plain),
        ],
        None,
    );
    minisign_ok(
        dir,
        &["-Vm", "all.json.manifest.json", "-p", s(&plain_pub)],
        None,
    );
    // minisign rejects what rollcall rejects: the manifest changed, or another key.
    let m = env.path("all.json.manifest.json");
    let text = read(&m);
    std::fs::write(&m, text.replace("\"rows\"", "\"rows\" ")).unwrap();
    assert!(!minisign(
        dir,
        &["-Vm", "all.json.manifest.json", "-p", s(&plain_pub)],
        None
    )
    .status
    .success());
    fails(
        &env,
        &["verify", s(&export), "--pubkey", s(&plain_pub)],
        None,
        1,
    );
    std::fs::write(&m, text).unwrap();
    assert!(!minisign(
        dir,
        &[
            "-Vm",
            "all.json.manifest.json",
            "-p",
            s(&env.path("enc.key.pub"))
        ],
        None
    )
    .status
    .success());
}

#[test]
#[ignore = "needs minisign (apt-get install minisign); .ci/run runs ignored tests"]
fn rollcall_verifies_and_signs_with_minisigns_keys() {
    let env = org();
    let dir = env.dir.path();
    minisign_ok(dir, &["-G", "-W", "-p", "m.pub", "-s", "m.key"], None);
    let report = env.path("report");
    ok(&env, &["report", "--out", s(&report)], None);
    // A signature the tool made, with its own trusted comment, verifies...
    let m_pub = env.path("m.pub");
    let m_key = env.path("m.key");
    minisign_ok(
        &report,
        &[
            "-Sm",
            "manifest.json",
            "-s",
            s(&m_key),
            "-t",
            "reviewed by audit",
        ],
        None,
    );
    let out = ok(&env, &["verify", s(&report), "--pubkey", s(&m_pub)], None);
    assert!(out.contains("trusted comment: reviewed by audit"), "{out}");
    assert!(out.contains("names no manifest sha256"), "{out}");
    // ...and one whose trusted comment names another manifest's hash does not.
    let zero = "0".repeat(64);
    let comment = format!("rollcall 0.1.0 snapshot 1 manifest sha256:{zero}");
    minisign_ok(
        &report,
        &["-Sm", "manifest.json", "-s", s(&m_key), "-t", &comment],
        None,
    );
    let (_, e) = fails(
        &env,
        &["verify", s(&report), "--pubkey", s(&m_pub)],
        None,
        1,
    );
    assert!(e.contains("names another manifest"), "{e}");

    // rollcall signs with the tool's key (made with -W), and the tool verifies it.
    ok(
        &env,
        &["report", "--out", s(&report), "--sign", s(&m_key)],
        None,
    );
    minisign_ok(&report, &["-Vm", "manifest.json", "-p", s(&m_pub)], None);
    ok(&env, &["verify", s(&report), "--pubkey", s(&m_pub)], None);

    // An encrypted key from `minisign -G` (its password read from standard input).
    minisign_ok(dir, &["-G", "-p", "e.pub", "-s", "e.key"], Some("pw\npw\n"));
    let export = env.path("e.csv");
    ok(
        &env,
        &["export", "-o", s(&export), "--sign", s(&env.path("e.key"))],
        Some("pw"),
    );
    minisign_ok(dir, &["-Vm", "e.csv.manifest.json", "-p", "e.pub"], None);
    let (_, e) = fails(
        &env,
        &[
            "export",
            "-o",
            s(&env.path("f.csv")),
            "--sign",
            s(&env.path("e.key")),
        ],
        Some("nope"),
        2,
    );
    assert!(e.contains("wrong password"), "{e}");
    assert!(!env.path("f.csv").exists());
}
