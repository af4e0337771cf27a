//! The helpers every integration test uses: a temp dir with its own database and the real binary
//! ([`Env`]), the one way to start a child process ([`process`]), expected values from the
//! generator's truth ([`truth`]), and headless Chromium ([`cdp`], driven through [`probe`]).

pub mod cdp;
pub mod page_data;
pub mod probe;
pub mod process;
pub mod truth;

use std::path::{Path, PathBuf};
use std::process::Output;
use std::time::Duration;

use assert_cmd::Command;

use truth::UserTruth;

/// The longest any wait, poll or request in a test may take.
pub const WAIT: Duration = Duration::from_secs(10);

pub struct Env {
    pub dir: tempfile::TempDir,
}

impl Env {
    pub fn new() -> Env {
        Env {
            dir: tempfile::tempdir().expect("temp dir"),
        }
    }

    pub fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    pub fn db(&self) -> PathBuf {
        self.path("rollcall.duckdb")
    }

    /// Writes a file (bytes or text) into the temp dir.
    pub fn write(&self, name: &str, content: impl AsRef<[u8]>) -> PathBuf {
        let p = self.path(name);
        if let Some(parent) = p.parent() {
            std::fs::create_dir_all(parent).unwrap();
        }
        std::fs::write(&p, content).unwrap();
        p
    }

    /// The binary, run in the temp dir against its database, with no terminal width.
    pub fn cmd(&self) -> Command {
        Command::from_std(self.std_cmd())
    }

    /// The binary as a `std` command: every run of `rollcall` in the tests is built here (start
    /// long-running ones with [`process::spawn`]).
    /// A new environment whose database holds one snapshot of one licensed user,
    /// `dee@example.com`, as of 2026-11-27: the start of tests about the database itself.
    pub fn with_one_user() -> Env {
        let env = Env::new();
        env.ingest(
            "Name,Email,License\nDee,dee@example.com,Assigned\n",
            None,
            "2026-11-27T00:00:00Z",
        );
        env
    }

    pub fn std_cmd(&self) -> std::process::Command {
        self.std_cmd_capped(None)
    }

    /// As [`std_cmd`](Self::std_cmd), optionally under an address-space cap in bytes
    /// (util-linux's `prlimit --as`): a run that needed more fails to allocate instead of
    /// succeeding, so a test can prove a bound on memory.
    pub fn std_cmd_capped(&self, address_space: Option<u64>) -> std::process::Command {
        let limits: Vec<String> = address_space
            .into_iter()
            .map(|cap| format!("--as={cap}"))
            .collect();
        self.std_cmd_limited(&limits)
    }

    /// As [`std_cmd`](Self::std_cmd), run through util-linux's `prlimit` with these limits
    /// (`--as=BYTES`, `--nofile=N`; none: the binary itself). prlimit execs the binary, so the
    /// child's PID is rollcall's.
    pub fn std_cmd_limited(&self, limits: &[String]) -> std::process::Command {
        let bin = env!("CARGO_BIN_EXE_rollcall");
        let mut c = if limits.is_empty() {
            std::process::Command::new(bin)
        } else {
            let mut c = std::process::Command::new("prlimit");
            c.args(limits).arg(bin);
            c
        };
        // No configuration file but the test's own: the user's config folder is the temp
        // dir's `xdg` (empty unless a test writes one), and no setting comes from the caller.
        c.current_dir(self.dir.path())
            .env("ROLLCALL_DB", self.db())
            .env("XDG_CONFIG_HOME", self.path("xdg"))
            .env_remove("ROLLCALL_CONFIG")
            .env_remove("ROLLCALL_ORG")
            .env_remove("ROLLCALL_FROM")
            .env_remove("ROLLCALL_QUERIES")
            .env_remove("COLUMNS")
            .env_remove("ROLLCALL_TEST_PAUSE_BEFORE_COMMIT_MS")
            .env_remove("ROLLCALL_TEST_PANIC_ROUTE");
        c
    }

    pub fn run(&self, args: &[&str]) -> Output {
        self.cmd().args(args).output().expect("run rollcall")
    }

    /// Runs and insists on success; returns stdout.
    pub fn ok(&self, args: &[&str]) -> String {
        let out = self.run(args);
        assert!(
            out.status.success(),
            "rollcall {args:?} failed ({:?}):\n{}\n{}",
            out.status.code(),
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).expect("utf-8 stdout")
    }

    /// Runs and insists on failure with `code`; returns stderr.
    pub fn fails(&self, args: &[&str], code: i32) -> String {
        let out = self.run(args);
        let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
        assert_eq!(
            out.status.code(),
            Some(code),
            "rollcall {args:?}: expected exit {code}\nstdout:{}\nstderr:{stderr}",
            String::from_utf8_lossy(&out.stdout)
        );
        assert!(
            !stderr.contains("panicked") && !stderr.contains("RUST_BACKTRACE"),
            "{stderr}"
        );
        stderr
    }

    pub fn json(&self, args: &[&str]) -> serde_json::Value {
        serde_json::from_str(&self.ok(args)).expect("json output")
    }

    /// Ingests users (and devices) written from text, as of a fixed instant.
    pub fn ingest(&self, users: &str, devices: Option<&str>, as_of: &str) -> String {
        let u = self.write("users.csv", users);
        let mut args = vec![
            "ingest".to_string(),
            "--users".into(),
            u.display().to_string(),
        ];
        if let Some(d) = devices {
            let d = self.write("devices.csv", d);
            args.extend(["--devices".into(), d.display().to_string()]);
        }
        args.extend(["--as-of".into(), as_of.into()]);
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        self.ok(&args)
    }

    /// `rollcall <args>` (an ingest) with the test pause before its commit, once it says it is
    /// pausing: its data is written and the commit (and the database lock) is pending.
    pub fn paused_ingest(&self, pause_ms: u32, args: &[&str]) -> process::Running {
        use std::io::BufRead;
        let mut child = process::spawn(
            "a paused rollcall ingest",
            self.std_cmd()
                .env("ROLLCALL_TEST_PAUSE_BEFORE_COMMIT_MS", pause_ms.to_string())
                .args(args)
                .stdout(std::process::Stdio::piped())
                .stderr(std::process::Stdio::piped()),
        );
        let mut stderr = std::io::BufReader::new(child.stderr.take().unwrap());
        let mut line = String::new();
        stderr.read_line(&mut line).unwrap();
        assert!(line.contains("pausing"), "{line}");
        child
    }

    /// Writes a sample organisation with the binary and ingests it; returns the folder.
    pub fn sample(&self, users: u64, seed: u64) -> PathBuf {
        let dir = self.sample_into(&format!("sample-{users}-{seed}"), users, seed);
        self.ingest_folder(&dir, &[]);
        dir
    }

    /// Writes a sample organisation with the binary (without ingesting it); returns the folder.
    pub fn sample_files(&self, users: u64, seed: u64) -> PathBuf {
        self.sample_into(&format!("files-{users}-{seed}"), users, seed)
    }

    fn sample_into(&self, name: &str, users: u64, seed: u64) -> PathBuf {
        let dir = self.path(name);
        self.ok(&[
            "sample",
            "--users",
            &users.to_string(),
            "--seed",
            &seed.to_string(),
            "--out",
            dir.to_str().unwrap(),
        ]);
        dir
    }

    /// Records schema version 99 in the database, as a newer rollcall would have written it.
    pub fn mark_future_schema(&self) {
        let conn = duckdb::Connection::open(self.db()).unwrap();
        conn.execute_batch(
            "INSERT INTO schema_version VALUES (99, TIMESTAMP '2030-01-01 00:00:00', '9.0.0')",
        )
        .unwrap();
    }

    /// `rollcall sample --evolve-from FROM --days DAYS --seed SEED --out OUT` (OUT in the temp
    /// dir); returns OUT and its `truth.json`.
    pub fn evolve(
        &self,
        from: &Path,
        days: i64,
        seed: u64,
        out: &str,
    ) -> (PathBuf, serde_json::Value) {
        let out = self.path(out);
        self.ok(&[
            "sample",
            "--evolve-from",
            from.to_str().unwrap(),
            "--days",
            &days.to_string(),
            "--seed",
            &seed.to_string(),
            "--out",
            out.to_str().unwrap(),
        ]);
        let truth = serde_json::from_str(&read(&out.join("truth.json"))).expect("truth.json");
        (out, truth)
    }

    /// Ingests a folder's `users.csv` and `devices.csv` as of [`truth::DEFAULT_AS_OF`], with
    /// `extra` flags (a label…); returns what it printed.
    pub fn ingest_folder(&self, dir: &Path, extra: &[&str]) -> String {
        let users = dir.join("users.csv");
        let devices = dir.join("devices.csv");
        let mut args = vec![
            "ingest",
            "--users",
            users.to_str().unwrap(),
            "--devices",
            devices.to_str().unwrap(),
            "--as-of",
            truth::DEFAULT_AS_OF,
            "--quiet",
        ];
        args.extend_from_slice(extra);
        self.ok(&args)
    }
}

/// Emails of `users --format json` rows.
pub fn emails(v: &serde_json::Value) -> Vec<String> {
    v["users"]
        .as_array()
        .expect("users array")
        .iter()
        .map(|u| u["email"].as_str().unwrap().to_string())
        .collect()
}

pub fn read(p: &Path) -> String {
    std::fs::read_to_string(p).unwrap()
}

/// The Content-Security-Policy of a page, HTML escapes decoded.
pub fn csp_of(html: &str) -> String {
    let start = html
        .find("http-equiv=\"Content-Security-Policy\"")
        .expect("a CSP meta tag");
    let tag = &html[start..start + html[start..].find('>').unwrap()];
    let content = tag.split("content=\"").nth(1).expect("content attribute");
    let content = &content[..content.find('"').expect("closing quote")];
    content
        .replace("&#x27;", "'")
        .replace("&#39;", "'")
        .replace("&#x2f;", "/")
        .replace("&#x2F;", "/")
        .replace("&quot;", "\"")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&amp;", "&")
}

pub fn sha256_hex(bytes: &[u8]) -> String {
    use sha2::{Digest, Sha256};
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// A sample organisation written and ingested by the binary, with the generator's own truth.
pub fn sample_org(users: u64, seed: u64) -> (Env, Vec<UserTruth>) {
    let env = Env::new();
    env.sample(users, seed);
    (env, truth::sample(users, seed))
}
