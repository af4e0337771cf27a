//! The one browser probe: a tab of headless Chromium ([`super::cdp`]) that records every console
//! error, exception, log error, network request and dialog, with the actions the browser tests
//! take on a page (evaluate, wait, click, type, toggle a filter, read the CSV, screenshot,
//! print) and the final check that the page stayed clean and offline.

use std::cell::RefCell;
use std::collections::BTreeSet;
use std::path::Path;
use std::time::{Duration, Instant};

use serde_json::{json, Value};

use super::cdp::{self, Chrome};
use super::WAIT;

/// The `file://` URL of a local page.
pub fn file_url(p: &Path) -> String {
    let p = p.canonicalize().unwrap();
    let s = p.to_str().unwrap();
    assert!(
        s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"/._-".contains(&b)),
        "temp path needs no URL escaping: {s}"
    );
    format!("file://{s}")
}

/// Every number in a text, with thousands separators removed ("1,234 of 5,000" → [1234, 5000]).
pub fn numbers(text: &str) -> Vec<u64> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let chars: Vec<char> = text.chars().collect();
    for (i, c) in chars.iter().enumerate() {
        if c.is_ascii_digit() {
            cur.push(*c);
        } else if matches!(c, ',' | '\u{a0}' | '\u{202f}' | '\u{2009}')
            && !cur.is_empty()
            && chars.get(i + 1).is_some_and(|n| n.is_ascii_digit())
        {
            // a thousands separator
        } else if !cur.is_empty() {
            out.push(cur.parse().unwrap());
            cur.clear();
        }
    }
    if !cur.is_empty() {
        out.push(cur.parse().unwrap());
    }
    out
}

/// A JavaScript string literal of `s`.
pub fn js_str(s: &str) -> String {
    serde_json::to_string(s).unwrap()
}

/// One tab that records every console error, exception, log error, network request and dialog.
pub struct Probe<'a> {
    chrome: &'a Chrome,
    session: String,
    problems: RefCell<Vec<String>>,
    requests: RefCell<Vec<String>>,
    dialogs: RefCell<Vec<String>>,
}

impl<'a> Probe<'a> {
    /// Opens `url` in a new tab with every domain enabled first, and waits until the page says
    /// it is interactive.
    pub fn open(chrome: &'a Chrome, url: &str) -> Probe<'a> {
        let target = chrome
            .call(None, "Target.createTarget", json!({"url": "about:blank"}))
            .expect("new tab");
        let attached = chrome
            .call(
                None,
                "Target.attachToTarget",
                json!({"targetId": target["targetId"], "flatten": true}),
            )
            .expect("attach to the tab");
        let probe = Probe {
            chrome,
            session: attached["sessionId"]
                .as_str()
                .expect("session id")
                .to_string(),
            problems: RefCell::new(Vec::new()),
            requests: RefCell::new(Vec::new()),
            dialogs: RefCell::new(Vec::new()),
        };
        for domain in ["Page", "Runtime", "Log", "Network"] {
            probe.call(&format!("{domain}.enable"), json!({}));
        }
        let nav = probe.call("Page.navigate", json!({ "url": url }));
        assert!(nav.get("errorText").is_none(), "navigating to {url}: {nav}");
        probe.wait_ready();
        probe
    }

    /// A DevTools command on this tab; panics on a protocol error.
    pub fn call(&self, method: &str, params: Value) -> Value {
        let r = self.chrome.call(Some(&self.session), method, params);
        self.collect();
        r.unwrap_or_else(|e| panic!("{e}"))
    }

    /// Files this tab's recorded events under problems, requests and dialogs.
    fn collect(&self) {
        for e in self.chrome.take_events(&self.session) {
            let p = &e["params"];
            match e["method"].as_str().unwrap_or("") {
                "Runtime.consoleAPICalled" if p["type"] == "error" || p["type"] == "assert" => {
                    let args: Vec<String> = p["args"]
                        .as_array()
                        .into_iter()
                        .flatten()
                        .map(|a| match &a["value"] {
                            Value::Null => a["description"].as_str().unwrap_or("?").to_string(),
                            other => other.to_string(),
                        })
                        .collect();
                    self.problems.borrow_mut().push(format!(
                        "console.{}: {}",
                        p["type"].as_str().unwrap_or("?"),
                        args.join(" ")
                    ));
                }
                "Runtime.exceptionThrown" => {
                    let d = &p["exceptionDetails"];
                    self.problems.borrow_mut().push(format!(
                        "uncaught exception at {}:{}: {} {}",
                        d["url"], d["lineNumber"], d["text"], d["exception"]["description"]
                    ));
                }
                "Log.entryAdded" if p["entry"]["level"] == "error" => {
                    let en = &p["entry"];
                    self.problems.borrow_mut().push(format!(
                        "log error ({}): {} {}",
                        en["source"], en["text"], en["url"]
                    ));
                }
                "Network.requestWillBeSent" => {
                    let url = p["request"]["url"].as_str().unwrap_or("").to_string();
                    self.requests.borrow_mut().push(url);
                }
                "Page.javascriptDialogOpening" => {
                    self.dialogs
                        .borrow_mut()
                        .push(format!("{}: {}", p["type"], p["message"]));
                }
                _ => {}
            }
        }
    }

    fn wait_ready(&self) {
        // The old document may still answer (or be torn down) right after Page.navigate.
        let deadline = Instant::now() + WAIT;
        loop {
            let body = "return !!(document.body && document.body.dataset.ready === '1' && window.rollcall)";
            if self.try_eval(body) == Ok(json!(true)) {
                return;
            }
            if Instant::now() > deadline {
                panic!(
                    "the page never set body.dataset.ready = '1' within {WAIT:?}; last: {:?}; problems: {:?}",
                    self.try_eval("return document.readyState + ' ' + location.href"),
                    self.problems.borrow()
                );
            }
            std::thread::sleep(Duration::from_millis(25));
        }
    }

    /// Runs `body` as an async function in the page; its JSON result, or the exception.
    pub fn try_eval(&self, body: &str) -> Result<Value, String> {
        let r = self.chrome.call(
            Some(&self.session),
            "Runtime.evaluate",
            json!({
                "expression": format!("(async () => {{ {body} }})()"),
                "returnByValue": true,
                "awaitPromise": true,
                "userGesture": true,
            }),
        );
        self.collect();
        let r = r?;
        if let Some(ex) = r.get("exceptionDetails") {
            return Err(format!("{} {}", ex["text"], ex["exception"]["description"]));
        }
        Ok(r["result"]["value"].clone())
    }

    pub fn eval(&self, body: &str) -> Value {
        self.try_eval(body)
            .unwrap_or_else(|e| panic!("JavaScript failed in `{body}`: {e}"))
    }

    pub fn eval_str(&self, body: &str) -> String {
        match self.eval(body) {
            Value::String(s) => s,
            other => panic!("`{body}` gave {other}, not a string"),
        }
    }

    /// Polls `body` until it returns `want`, for at most WAIT.
    pub fn wait_for(&self, what: &str, body: &str, want: &Value) -> Value {
        let deadline = Instant::now() + WAIT;
        loop {
            let got = self.eval(body);
            if &got == want || (got.is_number() && got.as_f64() == want.as_f64()) {
                return got;
            }
            if Instant::now() > deadline {
                panic!(
                    "{what}: waited {WAIT:?} for {want}, last saw {got}\nstate: {}\nproblems: {:?}",
                    self.state(),
                    self.problems.borrow()
                );
            }
            std::thread::sleep(Duration::from_millis(25));
        }
    }

    /// A description of the page's state for failure messages.
    fn state(&self) -> String {
        self.eval(
            "return JSON.stringify({hash: location.hash, count: (document.getElementById('count')||{}).textContent, \
             search: (document.getElementById('search')||{}).value, \
             checked: [...document.querySelectorAll('input[type=checkbox]:checked')].map(e => e.id), \
             visible: window.rollcall && window.rollcall.visibleCount()})",
        )
        .to_string()
    }

    /// Waits until the page shows `want` users, then checks `#count` says "`want` of `total`".
    pub fn expect_count(&self, what: &str, want: u64, total: u64) {
        self.wait_for(what, "return window.rollcall.visibleCount()", &json!(want));
        let text = self.eval_str("return document.getElementById('count').textContent");
        let n = numbers(&text);
        assert!(
            n.len() >= 2 && n[0] == want && n[1] == total,
            "{what}: #count reads {text:?}, expected \"{want} of {total} users\""
        );
    }

    /// A real mouse click in the middle of the element, after checking nothing covers it there.
    pub fn click(&self, selector: &str) {
        let r = self.eval(&format!(
            "const el = document.querySelector({s});
             if (!el) return 'missing';
             el.scrollIntoView({{block: 'center', inline: 'center'}});
             await new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)));
             const b = el.getBoundingClientRect();
             if (b.width === 0 || b.height === 0) return 'invisible';
             const x = b.x + b.width / 2, y = b.y + b.height / 2;
             const hit = document.elementFromPoint(x, y);
             if (!hit || !(el === hit || el.contains(hit) || (hit.htmlFor && hit.htmlFor === el.id)))
                 return 'covered by ' + (hit ? hit.outerHTML.slice(0, 160) : 'nothing');
             return [x, y];",
            s = js_str(selector)
        ));
        let Some((x, y)) = r
            .as_array()
            .map(|a| (a[0].as_f64().unwrap(), a[1].as_f64().unwrap()))
        else {
            panic!("cannot click {selector}: {r}");
        };
        for (kind, buttons) in [("mouseMoved", 0), ("mousePressed", 1), ("mouseReleased", 0)] {
            let mut ev = json!({"type": kind, "x": x, "y": y, "buttons": buttons});
            if kind != "mouseMoved" {
                ev["button"] = json!("left");
                ev["clickCount"] = json!(1);
            }
            self.call("Input.dispatchMouseEvent", ev);
        }
    }

    /// Real key events for ASCII, text insertion for the rest (as an IME would).
    pub fn type_text(&self, text: &str) {
        for c in text.chars() {
            let s = c.to_string();
            if c.is_ascii_graphic() || c == ' ' {
                self.call(
                    "Input.dispatchKeyEvent",
                    json!({"type": "keyDown", "key": s, "text": s, "unmodifiedText": s}),
                );
                self.call("Input.dispatchKeyEvent", json!({"type": "keyUp", "key": s}));
            } else {
                self.call("Input.insertText", json!({ "text": s }));
            }
        }
    }

    pub fn press_escape(&self) {
        for kind in ["rawKeyDown", "keyUp"] {
            self.call(
                "Input.dispatchKeyEvent",
                json!({"type": kind, "key": "Escape", "code": "Escape", "windowsVirtualKeyCode": 27}),
            );
        }
    }

    /// Clicks a filter checkbox with the mouse (its label when the box itself is visually
    /// hidden) and checks that it toggled.
    pub fn toggle(&self, id: &str) {
        let sel = format!("#{id}");
        let before = self.eval(&format!(
            "const e = document.querySelector({}); return e ? e.checked : null",
            js_str(&sel)
        ));
        assert!(
            before.is_boolean(),
            "no checkbox {sel} on the page; state {}",
            self.state()
        );
        let target = self.eval_str(&format!(
            "const e = document.querySelector({s});
             const b = e.getBoundingClientRect();
             if (b.width >= 4 && b.height >= 4 && getComputedStyle(e).opacity !== '0') return {s};
             const l = document.querySelector('label[for=' + JSON.stringify(e.id) + ']') || e.closest('label');
             if (!l) return {s};
             if (!l.id) l.id = 'lbl-' + e.id;
             return '#' + l.id;",
            s = js_str(&sel)
        ));
        self.click(&target);
        self.wait_for(
            &format!("{sel} toggles when clicked"),
            &format!("return document.querySelector({}).checked", js_str(&sel)),
            &json!(!before.as_bool().unwrap()),
        );
    }

    /// Unchecks every filter and empties the search box, then waits for all `total` users.
    pub fn reset(&self, total: u64) {
        for id in self.checked() {
            self.toggle(&id);
        }
        self.set_search("");
        self.expect_count("after reset", total, total);
    }

    /// Types into #search with real key events (after emptying it).
    pub fn set_search(&self, text: &str) {
        self.eval(
            "const s = document.getElementById('search');
             if (s.value !== '') { s.value = ''; s.dispatchEvent(new Event('input', {bubbles: true})); }
             s.focus(); return true",
        );
        self.type_text(text);
        assert_eq!(
            self.eval_str("return document.getElementById('search').value"),
            text
        );
    }

    pub fn checked(&self) -> BTreeSet<String> {
        let v = self.eval(
            "return [...document.querySelectorAll('input[type=checkbox][id^=\"f-\"]:checked')].map(e => e.id)",
        );
        v.as_array()
            .unwrap()
            .iter()
            .map(|s| s.as_str().unwrap().to_string())
            .collect()
    }

    pub fn hash(&self) -> String {
        self.eval_str("return location.hash")
    }

    pub fn rendered_emails(&self) -> Vec<String> {
        let v = self.eval(
            "return [...document.querySelectorAll('#users-table [data-email]')].map(e => e.dataset.email.toLowerCase())",
        );
        v.as_array()
            .unwrap()
            .iter()
            .map(|s| s.as_str().unwrap().to_string())
            .collect()
    }

    pub fn csv_text(&self) -> String {
        self.eval_str("return await window.rollcall.csvText()")
    }

    pub fn set_viewport(&self, width: u32, height: u32, scale: f64, mobile: bool) {
        self.call(
            "Emulation.setDeviceMetricsOverride",
            json!({"width": width, "height": height, "deviceScaleFactor": scale, "mobile": mobile}),
        );
        self.eval("await new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r))); return true");
    }

    pub fn screenshot_png(&self) -> Vec<u8> {
        let r = self.call("Page.captureScreenshot", json!({"format": "png"}));
        cdp::base64(r["data"].as_str().expect("screenshot data"))
    }

    pub fn pdf(&self) -> Vec<u8> {
        let r = self.call("Page.printToPDF", json!({}));
        cdp::base64(r["data"].as_str().expect("PDF data"))
    }

    /// Every URL this tab has requested so far.
    pub fn requests(&self) -> Vec<String> {
        self.collect();
        self.requests.borrow().clone()
    }

    /// Nothing was logged as an error, no dialog opened and no request left `allowed`.
    pub fn assert_clean(&self, allowed: &dyn Fn(&str) -> bool) {
        self.chrome.pump(Duration::from_millis(200));
        self.collect();
        let problems = self.problems.borrow().clone();
        assert!(
            problems.is_empty(),
            "the page logged errors:\n{}",
            problems.join("\n")
        );
        let dialogs = self.dialogs.borrow().clone();
        assert!(
            dialogs.is_empty(),
            "the page opened JavaScript dialogs: {dialogs:?}"
        );
        let requests = self.requests.borrow().clone();
        assert!(
            !requests.is_empty(),
            "the document request itself should have been seen"
        );
        let bad: Vec<&String> = requests.iter().filter(|u| !allowed(u)).collect();
        assert!(bad.is_empty(), "the page made network requests: {bad:?}");
    }
}

/// Only the document itself, data: and blob: URLs.
pub fn offline(doc: &str) -> impl Fn(&str) -> bool + '_ {
    move |u: &str| {
        u.split('#').next() == Some(doc) || u.starts_with("data:") || u.starts_with("blob:")
    }
}
