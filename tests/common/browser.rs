//! A small WebDriver client for Debian's chromium + chromedriver, over std sockets.
//!
//! Why not a crate: every well-kept WebDriver/CDP crate pulls `url`/`idna`, whose proc-macro
//! dependencies switch on extra `syn` features. Cargo then builds DuckDB's build script with a
//! different feature set for `cargo test` than for `cargo run`, and the bundled C++ (~40 min on
//! 2 cores) compiles twice. The WebDriver protocol is JSON over HTTP, so this stays small.
#![allow(dead_code)]

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{json, Value};

pub const CHROMIUM: &str = "/usr/bin/chromium";
pub const CHROMEDRIVER: &str = "/usr/bin/chromedriver";

/// One HTTP/1.1 exchange on 127.0.0.1 with `Connection: close`: (status, headers, body).
pub fn http(
    port: u16,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: Option<&[u8]>,
) -> (u16, Vec<(String, String)>, Vec<u8>) {
    let mut s = TcpStream::connect(("127.0.0.1", port)).expect("connect to 127.0.0.1");
    s.set_read_timeout(Some(Duration::from_secs(120))).unwrap();
    let mut req = format!("{method} {path} HTTP/1.1\r\nConnection: close\r\n");
    if !headers.iter().any(|(k, _)| k.eq_ignore_ascii_case("host")) {
        req.push_str(&format!("Host: 127.0.0.1:{port}\r\n"));
    }
    for (k, v) in headers {
        req.push_str(&format!("{k}: {v}\r\n"));
    }
    if let Some(b) = body {
        req.push_str(&format!(
            "Content-Type: application/json\r\nContent-Length: {}\r\n",
            b.len()
        ));
    }
    req.push_str("\r\n");
    s.write_all(req.as_bytes()).unwrap();
    if let Some(b) = body {
        s.write_all(b).unwrap();
    }
    let mut raw = Vec::new();
    s.read_to_end(&mut raw).expect("read response");
    let split = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .expect("header end");
    let head = String::from_utf8_lossy(&raw[..split]).into_owned();
    let mut body = raw[split + 4..].to_vec();
    let mut lines = head.lines();
    let status: u16 = lines
        .next()
        .unwrap()
        .split_whitespace()
        .nth(1)
        .unwrap()
        .parse()
        .unwrap();
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_string()))
        .collect();
    if headers
        .iter()
        .any(|(k, v)| k == "transfer-encoding" && v.contains("chunked"))
    {
        body = dechunk(&body);
    }
    (status, headers, body)
}

fn dechunk(mut b: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    loop {
        let Some(eol) = b.windows(2).position(|w| w == b"\r\n") else {
            break;
        };
        let size =
            usize::from_str_radix(String::from_utf8_lossy(&b[..eol]).trim(), 16).unwrap_or(0);
        if size == 0 {
            break;
        }
        out.extend_from_slice(&b[eol + 2..eol + 2 + size]);
        b = &b[eol + 2 + size + 2..];
    }
    out
}

pub fn base64_decode(text: &str) -> Vec<u8> {
    let val = |c: u8| -> Option<u32> {
        Some(match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'+' => 62,
            b'/' => 63,
            _ => return None,
        } as u32)
    };
    let digits: Vec<u32> = text.bytes().filter_map(val).collect();
    let mut out = Vec::with_capacity(digits.len() * 3 / 4);
    for chunk in digits.chunks(4) {
        let n = chunk
            .iter()
            .enumerate()
            .fold(0u32, |acc, (i, d)| acc | (d << (18 - 6 * i)));
        let bytes = [(n >> 16) as u8, (n >> 8) as u8, n as u8];
        out.extend_from_slice(&bytes[..chunk.len().saturating_sub(1)]);
    }
    out
}

/// Whether the browser is here. Under CI a missing browser is a failure, elsewhere a skip.
pub fn available() -> bool {
    let here = Path::new(CHROMIUM).exists() && Path::new(CHROMEDRIVER).exists();
    if !here {
        assert!(
            std::env::var("CI").is_err(),
            "CI: {CHROMIUM} and {CHROMEDRIVER} are required (apt-get install chromium chromium-driver)"
        );
        eprintln!("skipping: {CHROMIUM} or {CHROMEDRIVER} missing (apt-get install chromium chromium-driver)");
    }
    here
}

/// A chromedriver process with one headless Chromium session.
pub struct Browser {
    driver: Child,
    port: u16,
    session: String,
    _profile: tempfile::TempDir,
    pub downloads: PathBuf,
}

impl Browser {
    /// Starts chromedriver and a session; `mobile` emulates a 390×844 phone.
    pub fn launch(width: u32, height: u32, mobile: bool) -> Browser {
        let profile = tempfile::tempdir().unwrap();
        let downloads = profile.path().join("downloads");
        std::fs::create_dir_all(&downloads).unwrap();
        let port = TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let driver = Command::new(CHROMEDRIVER)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start chromedriver");
        let deadline = Instant::now() + Duration::from_secs(20);
        while TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(Instant::now() < deadline, "chromedriver did not start");
            std::thread::sleep(Duration::from_millis(50));
        }
        let mut args = vec![
            "--headless".to_string(),
            "--no-sandbox".into(),
            "--disable-gpu".into(),
            "--no-first-run".into(),
            "--disable-background-networking".into(),
            "--disable-component-update".into(),
            "--disable-sync".into(),
            format!(
                "--user-data-dir={}",
                profile.path().join("chrome").display()
            ),
            format!("--window-size={width},{height}"),
        ];
        if mobile {
            args.push("--hide-scrollbars".into());
        }
        let mut chrome = json!({
            "binary": CHROMIUM,
            "args": args,
            "prefs": {
                "download.default_directory": downloads.display().to_string(),
                "download.prompt_for_download": false,
            },
        });
        if mobile {
            chrome["mobileEmulation"] = json!({"deviceMetrics": {"width": width, "height": height, "pixelRatio": 2.0, "touch": true}});
        }
        let caps = json!({"capabilities": {"alwaysMatch": {
            "browserName": "chrome",
            "goog:chromeOptions": chrome,
            "goog:loggingPrefs": {"browser": "ALL", "performance": "ALL"},
            "unhandledPromptBehavior": "ignore",
        }}});
        let mut b = Browser {
            driver,
            port,
            session: String::new(),
            _profile: profile,
            downloads,
        };
        let v = b.call("POST", "/session", Some(caps)).expect("new session");
        b.session = v["sessionId"].as_str().expect("session id").to_string();
        b
    }

    fn call(&self, method: &str, path: &str, body: Option<Value>) -> Result<Value, Value> {
        let bytes = body.map(|b| serde_json::to_vec(&b).unwrap());
        let (status, _, resp) = http(self.port, method, path, &[], bytes.as_deref());
        let v: Value = serde_json::from_slice(&resp).unwrap_or(Value::Null);
        if status == 200 {
            Ok(v["value"].clone())
        } else {
            Err(v["value"].clone())
        }
    }

    fn s(&self, path: &str) -> String {
        format!("/session/{}{path}", self.session)
    }

    pub fn goto(&self, url: &str) {
        self.call("POST", &self.s("/url"), Some(json!({"url": url})))
            .expect("navigate");
    }

    /// Runs `body` as a function body (use `return`); panics on a script error.
    pub fn js(&self, body: &str) -> Value {
        self.call(
            "POST",
            &self.s("/execute/sync"),
            Some(json!({"script": body, "args": []})),
        )
        .unwrap_or_else(|e| panic!("script failed: {e}\n{body}"))
    }

    /// Like `js`, but returns the error instead of panicking (an open alert makes scripts fail).
    pub fn try_js(&self, body: &str) -> Result<Value, Value> {
        self.call(
            "POST",
            &self.s("/execute/sync"),
            Some(json!({"script": body, "args": []})),
        )
    }

    /// Polls `cond` (a JS expression) until true.
    pub fn wait_for(&self, cond: &str, what: &str) {
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            if self.js(&format!("return !!({cond});")) == Value::Bool(true) {
                return;
            }
            assert!(Instant::now() < deadline, "timed out waiting for {what}");
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    pub fn url(&self) -> String {
        self.call("GET", &self.s("/url"), None)
            .unwrap()
            .as_str()
            .unwrap()
            .to_string()
    }

    pub fn find(&self, css: &str) -> String {
        let v = self
            .call(
                "POST",
                &self.s("/element"),
                Some(json!({"using": "css selector", "value": css})),
            )
            .unwrap_or_else(|e| panic!("no element {css}: {e}"));
        v.as_object()
            .unwrap()
            .values()
            .next()
            .unwrap()
            .as_str()
            .unwrap()
            .to_string()
    }

    pub fn click(&self, css: &str) {
        let el = self.find(css);
        self.call(
            "POST",
            &self.s(&format!("/element/{el}/click")),
            Some(json!({})),
        )
        .unwrap_or_else(|e| panic!("click {css}: {e}"));
    }

    /// Types text into an element, as a user would (key events included).
    pub fn type_into(&self, css: &str, text: &str) {
        let el = self.find(css);
        self.call(
            "POST",
            &self.s(&format!("/element/{el}/value")),
            Some(json!({"text": text})),
        )
        .unwrap_or_else(|e| panic!("type into {css}: {e}"));
    }

    pub fn clear(&self, css: &str) {
        let el = self.find(css);
        self.call(
            "POST",
            &self.s(&format!("/element/{el}/clear")),
            Some(json!({})),
        )
        .unwrap();
    }

    /// Presses keys on the focused element (WebDriver key codes, e.g. "\u{E007}" for Enter).
    pub fn keys(&self, keys: &str) {
        let actions: Vec<Value> = keys
            .chars()
            .flat_map(|c| {
                [
                    json!({"type": "keyDown", "value": c.to_string()}),
                    json!({"type": "keyUp", "value": c.to_string()}),
                ]
            })
            .collect();
        self.call(
            "POST",
            &self.s("/actions"),
            Some(json!({"actions": [{"type": "key", "id": "kb", "actions": actions}]})),
        )
        .expect("key actions");
    }

    pub fn screenshot(&self, path: &Path) {
        let v = self
            .call("GET", &self.s("/screenshot"), None)
            .expect("screenshot");
        std::fs::write(path, base64_decode(v.as_str().unwrap())).unwrap();
    }

    pub fn print_pdf(&self) -> Vec<u8> {
        let v = self
            .call("POST", &self.s("/print"), Some(json!({})))
            .expect("print");
        base64_decode(v.as_str().unwrap())
    }

    /// The text of an open alert/confirm/prompt, if one is open.
    pub fn alert(&self) -> Option<String> {
        self.call("GET", &self.s("/alert/text"), None)
            .ok()
            .and_then(|v| v.as_str().map(String::from))
    }

    /// Drains a log ("browser" or "performance").
    pub fn log(&self, kind: &str) -> Vec<Value> {
        self.call("POST", &self.s("/se/log"), Some(json!({"type": kind})))
            .map(|v| v.as_array().cloned().unwrap_or_default())
            .unwrap_or_default()
    }

    /// Console errors, uncaught exceptions and CSP violations since the last call.
    pub fn errors(&self) -> Vec<String> {
        self.log("browser")
            .into_iter()
            .filter(|e| e["level"] == "SEVERE")
            .map(|e| e["message"].as_str().unwrap_or("").to_string())
            .collect()
    }

    /// URLs of every network request the page started since the last call.
    pub fn requests(&self) -> Vec<String> {
        self.log("performance")
            .into_iter()
            .filter_map(|e| serde_json::from_str::<Value>(e["message"].as_str()?).ok())
            .filter(|m| m["message"]["method"] == "Network.requestWillBeSent")
            .filter_map(|m| {
                m["message"]["params"]["request"]["url"]
                    .as_str()
                    .map(String::from)
            })
            .collect()
    }

    /// A Chrome DevTools command through chromedriver.
    pub fn cdp(&self, cmd: &str, params: Value) -> Value {
        self.call(
            "POST",
            &self.s("/goog/cdp/execute"),
            Some(json!({"cmd": cmd, "params": params})),
        )
        .unwrap_or_else(|e| panic!("cdp {cmd}: {e}"))
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        if !self.session.is_empty() {
            let _ = self.call("DELETE", &format!("/session/{}", self.session), None);
        }
        let _ = self.driver.kill();
        let _ = self.driver.wait();
    }
}
