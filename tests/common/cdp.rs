//! A minimal Chrome DevTools Protocol client over `--remote-debugging-pipe` (std only), shared
//! by the browser tests (which reach it through [`super::probe`]). Headless Chromium is spoken
//! to on a pipe: commands in on fd 3, replies and events out on fd 4, each message
//! NUL-terminated JSON; no WebDriver, no WebSocket, no network port. Why not a crate: the
//! WebDriver/CDP crates pull `url`/`idna`, whose proc-macro dependencies switch on extra `syn`
//! features; Cargo then builds DuckDB's build script differently for `cargo test` than for
//! `cargo run`, compiling the bundled C++ twice.

use std::io::{BufRead, BufReader, PipeWriter, Write};
use std::os::fd::AsRawFd;
use std::os::unix::process::CommandExt;
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use serde_json::{json, Value};

use super::process::{spawn, Running};

pub const CHROMIUM: &str = "/usr/bin/chromium";
/// The longest one DevTools command may take.
const CALL_TIMEOUT: Duration = Duration::from_secs(30);

extern "C" {
    fn dup2(old: i32, new: i32) -> i32;
    fn fcntl(fd: i32, cmd: i32, ...) -> i32;
}
const F_DUPFD: i32 = 0;

/// One headless Chromium with a new profile; closed (or killed) on drop.
pub struct Chrome {
    child: Running,
    to_chrome: Mutex<PipeWriter>,
    from_chrome: Mutex<Receiver<Value>>,
    next_id: AtomicU64,
    events: Mutex<Vec<Value>>,
    _profile: tempfile::TempDir,
}

/// Launches Chromium; a test that needs it fails when it is missing (it never skips silently:
/// such tests are `#[ignore]`d, and running them without Chromium is an error).
pub fn launch() -> Chrome {
    assert!(
        Path::new(CHROMIUM).exists(),
        "{CHROMIUM} is missing, and this test needs it: apt-get install chromium \
         (or run the tests without --ignored)"
    );
    let profile = tempfile::tempdir().expect("profile dir");
    let (cmd_r, cmd_w) = std::io::pipe().expect("pipe");
    let (evt_r, evt_w) = std::io::pipe().expect("pipe");
    let (r, w) = (cmd_r.as_raw_fd(), evt_w.as_raw_fd());
    let mut command = Command::new(CHROMIUM);
    command
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
        ])
        .arg(format!("--user-data-dir={}", profile.path().display()))
        .args(["--remote-debugging-pipe", "about:blank"])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    // SAFETY: only async-signal-safe calls between fork and exec. The pipe ends are first
    // copied above fd 10, so placing them on 3 and 4 cannot overwrite one with the other.
    unsafe {
        command.pre_exec(move || {
            let (r2, w2) = (fcntl(r, F_DUPFD, 10), fcntl(w, F_DUPFD, 10));
            if r2 < 0 || w2 < 0 || dup2(r2, 3) < 0 || dup2(w2, 4) < 0 {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        });
    }
    let child = spawn("Chromium", &mut command);
    drop((cmd_r, evt_w));
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let mut reader = BufReader::new(evt_r);
        let mut buf = Vec::new();
        while matches!(reader.read_until(0, &mut buf), Ok(n) if n > 0) {
            if buf.last() == Some(&0) {
                buf.pop();
            }
            if let Ok(v) = serde_json::from_slice::<Value>(&buf) {
                if tx.send(v).is_err() {
                    break;
                }
            }
            buf.clear();
        }
    });
    let chrome = Chrome {
        child,
        to_chrome: Mutex::new(cmd_w),
        from_chrome: Mutex::new(rx),
        next_id: AtomicU64::new(1),
        events: Mutex::new(Vec::new()),
        _profile: profile,
    };
    let version = chrome
        .call(None, "Browser.getVersion", json!({}))
        .expect("Chromium answers on the pipe");
    assert!(
        version["product"]
            .as_str()
            .is_some_and(|p| p.contains("Chrom")),
        "{version}"
    );
    chrome
}

impl Chrome {
    fn send(&self, session: Option<&str>, method: &str, params: Value) -> u64 {
        let id = self.next_id.fetch_add(1, Ordering::SeqCst);
        let mut msg = json!({"id": id, "method": method, "params": params});
        if let Some(s) = session {
            msg["sessionId"] = json!(s);
        }
        let mut bytes = serde_json::to_vec(&msg).unwrap();
        bytes.push(0);
        let mut w = self.to_chrome.lock().unwrap();
        w.write_all(&bytes).expect("write to Chromium");
        w.flush().expect("write to Chromium");
        id
    }

    fn on_event(&self, msg: Value) {
        // A dialog blocks the page (and every later evaluation) until handled: dismiss it
        // at once; the test sees it in the recorded events.
        if msg["method"] == "Page.javascriptDialogOpening" {
            if let Some(s) = msg["sessionId"].as_str() {
                self.send(
                    Some(s),
                    "Page.handleJavaScriptDialog",
                    json!({"accept": false}),
                );
            }
        }
        self.events.lock().unwrap().push(msg);
    }

    /// Sends a command (to a page when `session` is given) and waits for its reply,
    /// recording every event that arrives meanwhile.
    pub fn call(
        &self,
        session: Option<&str>,
        method: &str,
        params: Value,
    ) -> Result<Value, String> {
        let id = self.send(session, method, params);
        let deadline = Instant::now() + CALL_TIMEOUT;
        let rx = self.from_chrome.lock().unwrap();
        loop {
            match rx.recv_timeout(deadline.saturating_duration_since(Instant::now())) {
                Ok(msg) if msg["id"].as_u64() == Some(id) => {
                    return match msg.get("error") {
                        Some(e) => Err(format!("{method}: {e}")),
                        None => Ok(msg["result"].clone()),
                    };
                }
                Ok(msg) if msg.get("method").is_some() => self.on_event(msg),
                Ok(_) => {}
                Err(RecvTimeoutError::Timeout) => {
                    return Err(format!("{method}: no reply within {CALL_TIMEOUT:?}"))
                }
                Err(RecvTimeoutError::Disconnected) => {
                    return Err(format!("{method}: Chromium closed the pipe"))
                }
            }
        }
    }

    /// Records the events that arrive within `d`.
    pub fn pump(&self, d: Duration) {
        let deadline = Instant::now() + d;
        let rx = self.from_chrome.lock().unwrap();
        while let Ok(msg) = rx.recv_timeout(deadline.saturating_duration_since(Instant::now())) {
            if msg.get("method").is_some() {
                self.on_event(msg);
            }
        }
    }

    /// Removes and returns the recorded events of one page.
    pub fn take_events(&self, session: &str) -> Vec<Value> {
        let mut all = self.events.lock().unwrap();
        let (mine, rest): (Vec<Value>, Vec<Value>) =
            all.drain(..).partition(|e| e["sessionId"] == session);
        *all = rest;
        mine
    }
}

impl Drop for Chrome {
    fn drop(&mut self) {
        self.send(None, "Browser.close", json!({}));
        let deadline = Instant::now() + Duration::from_secs(5);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        // Dropping `child` kills and reaps what did not close.
    }
}

/// Standard base64, as DevTools sends screenshots and PDFs.
pub fn base64(text: &str) -> Vec<u8> {
    let mut out = Vec::with_capacity(text.len() / 4 * 3);
    let (mut acc, mut bits) = (0u32, 0u32);
    for c in text.bytes() {
        let v = match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'+' => 62,
            b'/' => 63,
            b'=' => break,
            _ => continue,
        };
        acc = (acc << 6) | u32::from(v);
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
            acc &= (1 << bits) - 1;
        }
    }
    out
}
