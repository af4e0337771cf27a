//! A request's head as the front reads it off a client's socket, before anything else sees it:
//! the size limits while it arrives ([`Scanner`]), the parse ([`parse`]), the checks that need
//! nothing but the head ([`check`]: version, `Host`, method, no body) and the one guard of
//! state-changing routes ([`guard_state_change`]). Pure functions over bytes, so every limit
//! and refusal is unit-tested without a socket.

use std::net::IpAddr;

/// The longest request line (method, target, version): a longer one is 414.
pub(super) const MAX_REQUEST_LINE: usize = 8 * 1024;
/// The most bytes of header lines after the request line: more is 431.
pub(super) const MAX_HEADER_BYTES: usize = 16 * 1024;
/// The most header lines: more is 431.
const MAX_HEADER_COUNT: usize = 100;
/// Empty lines tolerated before the request line (RFC 9112 §2.2 asks for at least one).
const MAX_LEADING_EMPTY: usize = 8;

/// Why the front answers a request itself instead of handing it on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Refusal {
    pub(super) status: u16,
    pub(super) message: String,
    /// The methods a 405's `Allow` names.
    pub(super) allow: Option<&'static str>,
}

impl Refusal {
    pub(super) fn new(status: u16, message: impl Into<String>) -> Refusal {
        Refusal {
            status,
            message: message.into(),
            allow: None,
        }
    }

    fn method(allow: &'static str, message: String) -> Refusal {
        Refusal {
            status: 405,
            message,
            allow: Some(allow),
        }
    }
}

/// Watches the bytes of a head arrive: says when the head is complete, or refuses it as soon
/// as a limit is passed, so at most `MAX_REQUEST_LINE + MAX_HEADER_BYTES` (plus one read) is
/// ever held. Remembers how far it has looked, so a client trickling one byte at a time costs
/// linear work, not quadratic.
#[derive(Debug, Default)]
pub(super) struct Scanner {
    /// Where the request line starts (after tolerated empty lines), once known.
    start: Option<usize>,
    /// The end of the request line (just past its `\n`), once seen.
    line_end: Option<usize>,
    /// Bytes before this offset hold no end of the head.
    looked: usize,
}

/// What the bytes so far amount to.
#[derive(Debug, PartialEq, Eq)]
pub(super) enum Scan {
    More,
    /// The head is the first this many bytes (through its empty line).
    Complete(usize),
    Refuse(Refusal),
}

impl Scanner {
    /// The longest prefix worth reading before a decision is certain.
    pub(super) const MAX_HEAD: usize =
        MAX_LEADING_EMPTY * 2 + MAX_REQUEST_LINE + MAX_HEADER_BYTES + 4;

    pub(super) fn scan(&mut self, buf: &[u8]) -> Scan {
        let start = match self.start {
            Some(s) => s,
            None => {
                let s = buf
                    .iter()
                    .position(|&b| b != b'\r' && b != b'\n')
                    .unwrap_or(buf.len());
                if s > MAX_LEADING_EMPTY * 2 {
                    return Scan::Refuse(Refusal::new(
                        400,
                        "a request starts with its request line",
                    ));
                }
                if s == buf.len() {
                    return Scan::More;
                }
                self.start = Some(s);
                self.looked = s;
                s
            }
        };
        let line_end = match self.line_end {
            Some(e) => e,
            None => match buf[self.looked..].iter().position(|&b| b == b'\n') {
                None => {
                    self.looked = buf.len();
                    if buf.len() - start > MAX_REQUEST_LINE {
                        return Scan::Refuse(too_long_line());
                    }
                    return Scan::More;
                }
                Some(i) => {
                    let e = self.looked + i + 1;
                    if e - start > MAX_REQUEST_LINE + 2 {
                        return Scan::Refuse(too_long_line());
                    }
                    self.line_end = Some(e);
                    self.looked = e;
                    e
                }
            },
        };
        // The head ends at the first empty line after the request line: "\n\n" or "\n\r\n",
        // counting the request line's own "\n".
        let from = self.looked.max(line_end) - 1;
        let mut i = from;
        while i < buf.len() {
            if buf[i] == b'\n' {
                if buf.get(i + 1) == Some(&b'\n') {
                    return self.complete(line_end, i + 2);
                }
                if buf.get(i + 1) == Some(&b'\r') && buf.get(i + 2) == Some(&b'\n') {
                    return self.complete(line_end, i + 3);
                }
                if i + 2 >= buf.len() {
                    // Maybe an empty line whose bytes have not all arrived: look again here.
                    break;
                }
            }
            i += 1;
        }
        self.looked = i.max(line_end);
        if buf.len() - line_end > MAX_HEADER_BYTES {
            return Scan::Refuse(too_many_headers());
        }
        Scan::More
    }

    fn complete(&self, line_end: usize, end: usize) -> Scan {
        if end - line_end > MAX_HEADER_BYTES {
            return Scan::Refuse(too_many_headers());
        }
        Scan::Complete(end)
    }
}

fn too_long_line() -> Refusal {
    Refusal::new(
        414,
        format!("the request line is longer than {MAX_REQUEST_LINE} bytes"),
    )
}

fn too_many_headers() -> Refusal {
    Refusal::new(
        431,
        format!(
            "the request's headers are longer than {MAX_HEADER_BYTES} bytes or more than {MAX_HEADER_COUNT} lines"
        ),
    )
}

/// A parsed request head.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Head {
    pub(super) method: String,
    /// The request target as sent (origin form: a path and maybe `?query`), never decoded here.
    pub(super) target: String,
    pub(super) headers: Vec<(String, String)>,
}

impl Head {
    /// The value of a header that may appear once (names compare case-insensitively).
    pub(super) fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    fn count(&self, name: &str) -> usize {
        self.headers
            .iter()
            .filter(|(k, _)| k.eq_ignore_ascii_case(name))
            .count()
    }

    /// The target's path: everything before `?`.
    pub(super) fn path(&self) -> &str {
        self.target.split('?').next().unwrap_or_default()
    }
}

fn is_tchar(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b)
}

/// Parses a complete head (as [`Scanner`] delimited it). Only printable ASCII is accepted
/// anywhere in it: browsers percent-encode everything else.
pub(super) fn parse(bytes: &[u8]) -> Result<Head, Refusal> {
    let bad = |what: &str| Refusal::new(400, format!("malformed request: {what}"));
    let text = std::str::from_utf8(bytes).map_err(|_| bad("not ASCII"))?;
    let mut lines = text
        .trim_start_matches(['\r', '\n'])
        .split('\n')
        .map(|l| l.strip_suffix('\r').unwrap_or(l));
    let request_line = lines.next().unwrap_or_default();
    let parts: Vec<&str> = request_line.split(' ').collect();
    let [method, target, version] = parts[..] else {
        return Err(bad("the request line is not METHOD TARGET VERSION"));
    };
    if method.is_empty() || !method.bytes().all(is_tchar) {
        return Err(bad("the method"));
    }
    if version != "HTTP/1.1" {
        if version.starts_with("HTTP/") {
            return Err(Refusal::new(
                505,
                format!("{version} is not served: use HTTP/1.1"),
            ));
        }
        return Err(bad("the version"));
    }
    if !target.starts_with('/') {
        return Err(bad("the target must be a path starting with /"));
    }
    if !target.bytes().all(|b| (0x21..=0x7e).contains(&b)) {
        return Err(bad("the target holds a byte that must be percent-encoded"));
    }
    let mut headers = Vec::new();
    for line in lines {
        if line.is_empty() {
            break;
        }
        if headers.len() == MAX_HEADER_COUNT {
            return Err(too_many_headers());
        }
        if line.starts_with([' ', '\t']) {
            return Err(bad("a folded header line"));
        }
        let (name, value) = line
            .split_once(':')
            .ok_or_else(|| bad("a header line without ':'"))?;
        if name.is_empty() || !name.bytes().all(is_tchar) {
            return Err(bad("a header name"));
        }
        let value = value.trim_matches([' ', '\t']);
        if !value
            .bytes()
            .all(|b| b == b'\t' || (0x20..=0x7e).contains(&b))
        {
            return Err(bad("a header value holds a control or non-ASCII byte"));
        }
        headers.push((name.to_string(), value.to_string()));
    }
    Ok(Head {
        method: method.to_string(),
        target: target.to_string(),
        headers,
    })
}

/// The addresses a request may name in its `Host` (and a state-changing request in its
/// `Origin`): this server's port on `localhost`, the loopback addresses or the bound address;
/// bound to every interface, any IP address. A DNS name other than `localhost` is refused
/// (421), which defeats DNS rebinding: a web page whose name an attacker points at 127.0.0.1
/// still sends its own name.
#[derive(Debug, Clone)]
pub(super) struct Site {
    port: u16,
    bind: IpAddr,
}

impl Site {
    pub(super) fn new(bind: IpAddr, port: u16) -> Site {
        Site { port, bind }
    }

    pub(super) fn host_ok(&self, host: &str) -> bool {
        let host = host.to_ascii_lowercase();
        // "name", "name:port", "[v6]" or "[v6]:port".
        let (name, port) = match host.strip_prefix('[') {
            Some(rest) => match rest.split_once(']') {
                Some((v6, "")) => (v6, None),
                Some((v6, after)) => match after.strip_prefix(':') {
                    Some(p) => (v6, Some(p)),
                    None => return false,
                },
                None => return false,
            },
            None => match host.split_once(':') {
                Some((n, p)) => (n, Some(p)),
                None => (host.as_str(), None),
            },
        };
        // Plain digits as a browser writes them: no sign, no leading zero.
        let port = match port {
            None => 80,
            Some(p) if p.bytes().all(|b| b.is_ascii_digit()) && !p.starts_with('0') => {
                match p.parse::<u16>() {
                    Ok(p) => p,
                    Err(_) => return false,
                }
            }
            Some(_) => return false,
        };
        if port != self.port {
            return false;
        }
        if name == "localhost" {
            return true;
        }
        let ip = if host.starts_with('[') {
            name.parse::<std::net::Ipv6Addr>().map(IpAddr::V6)
        } else {
            name.parse::<std::net::Ipv4Addr>().map(IpAddr::V4)
        };
        let Ok(ip) = ip else {
            return false;
        };
        ip.is_loopback() || ip == self.bind || self.bind.is_unspecified()
    }

    /// Whether `Origin` is this server's (`http://` and an accepted host).
    pub(super) fn origin_ok(&self, origin: &str) -> bool {
        origin
            .strip_prefix("http://")
            .is_some_and(|host| !host.contains('/') && self.host_ok(host))
    }
}

/// Routes that change state (the console's actions, `actions.rs`): POST only, behind
/// [`guard_state_change`].
pub(super) const STATE_CHANGING: &[&str] = &["/api/remind", "/api/worklist/mark"];

/// What the front forwards: the checked head, rewritten to the few headers the handlers use.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Forward {
    pub(super) bytes: Vec<u8>,
    pub(super) method: String,
    pub(super) target: String,
}

/// Everything decided from the head alone, in order: `Host` (400 when missing or repeated,
/// 421 when foreign), the method (405 naming `Allow`), and no request body on a read (400;
/// a body would be a second request smuggled past these checks).
pub(super) fn check(head: &Head, site: &Site) -> Result<Forward, Refusal> {
    if head.count("host") != 1 {
        return Err(Refusal::new(400, "a request needs exactly one Host header"));
    }
    let host = head.header("host").unwrap_or_default();
    if !site.host_ok(host) {
        return Err(Refusal::new(
            421,
            format!(
                "this server answers to localhost:{0} and 127.0.0.1:{0}, not to Host '{1}'",
                site.port,
                crate::util::echo(host)
            ),
        ));
    }
    let path = head.path();
    let changes_state = STATE_CHANGING.contains(&path);
    match (head.method.as_str(), changes_state) {
        ("GET" | "HEAD", false) => {
            if head.header("transfer-encoding").is_some()
                || head.header("content-length").is_some_and(|v| v != "0")
            {
                return Err(Refusal::new(400, "a GET or HEAD request has no body"));
            }
        }
        (_, true) => guard_state_change(head, site)?,
        (other, false) => {
            return Err(Refusal::method(
                "GET, HEAD",
                format!(
                    "{} is not served here: only GET and HEAD",
                    crate::util::echo(other)
                ),
            ))
        }
    }
    let mut out = format!(
        "{} {} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n",
        head.method, head.target
    );
    for name in ["Origin", "Sec-Fetch-Site"] {
        if let Some(v) = head.header(name) {
            out.push_str(&format!("{name}: {v}\r\n"));
        }
    }
    out.push_str("\r\n");
    Ok(Forward {
        bytes: out.into_bytes(),
        method: head.method.clone(),
        target: head.target.clone(),
    })
}

/// The one guard of every state-changing route: POST only (405 otherwise), refused with 403
/// when the browser says the request comes from another site (`Sec-Fetch-Site: cross-site` or
/// `same-site`) or its `Origin` is not this server (a page elsewhere posting a form or a
/// no-cors `fetch()`). A client that sends neither header is not a browser acting for a web
/// page, and is let through. No body is accepted: the actions take their values from the query
/// string, where every value has its cap.
pub(super) fn guard_state_change(head: &Head, site: &Site) -> Result<(), Refusal> {
    if head.method != "POST" {
        return Err(Refusal::method(
            "POST",
            format!("{} changes state: only POST", head.path()),
        ));
    }
    if let Some(fetch_site) = head.header("sec-fetch-site") {
        if !matches!(
            fetch_site.to_ascii_lowercase().as_str(),
            "same-origin" | "none"
        ) {
            return Err(Refusal::new(
                403,
                format!(
                    "refused: a request from another site (Sec-Fetch-Site: {})",
                    crate::util::echo(fetch_site)
                ),
            ));
        }
    }
    if let Some(origin) = head.header("origin") {
        if !site.origin_ok(origin) {
            return Err(Refusal::new(
                403,
                format!(
                    "refused: a request from another origin ({})",
                    crate::util::echo(origin)
                ),
            ));
        }
    }
    if head.header("transfer-encoding").is_some()
        || head.header("content-length").is_some_and(|v| v != "0")
    {
        return Err(Refusal::new(
            413,
            "no request body is accepted: the values go in the query string",
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scan_all(bytes: &[u8]) -> Scan {
        Scanner::default().scan(bytes)
    }

    /// Feeds the bytes one at a time, as a trickling client would.
    fn scan_trickled(bytes: &[u8]) -> Scan {
        let mut s = Scanner::default();
        for n in 1..=bytes.len() {
            match s.scan(&bytes[..n]) {
                Scan::More => {}
                other => return other,
            }
        }
        Scan::More
    }

    #[test]
    fn heads_complete_at_their_empty_line() {
        for (text, end) in [
            ("GET / HTTP/1.1\r\nHost: a\r\n\r\n", 27),
            ("GET / HTTP/1.1\r\n\r\nrest", 18),
            ("GET / HTTP/1.1\nHost: a\n\nrest", 24),
            ("\r\nGET / HTTP/1.1\r\nHost: a\r\n\r\n", 29),
        ] {
            assert_eq!(scan_all(text.as_bytes()), Scan::Complete(end), "{text:?}");
            assert_eq!(
                scan_trickled(text.as_bytes()),
                Scan::Complete(end),
                "{text:?}"
            );
        }
        assert_eq!(scan_all(b"GET / HTTP/1.1\r\nHost: a\r\n"), Scan::More);
        assert_eq!(scan_all(b"GET / HTT"), Scan::More);
        assert_eq!(scan_all(b""), Scan::More);
    }

    #[test]
    fn limits_refuse_as_soon_as_they_are_passed() {
        let long_line = format!("GET /{} HTTP/1.1\r\n\r\n", "a".repeat(MAX_REQUEST_LINE));
        assert_eq!(status(scan_all(long_line.as_bytes())), 414);
        // Without a newline yet: refused once the line alone is too long.
        let partial = "a".repeat(MAX_REQUEST_LINE + 1);
        assert_eq!(status(scan_all(partial.as_bytes())), 414);
        let big = format!(
            "GET / HTTP/1.1\r\nX: {}\r\n\r\n",
            "a".repeat(MAX_HEADER_BYTES)
        );
        assert_eq!(status(scan_all(big.as_bytes())), 431);
        let partial = format!("GET / HTTP/1.1\r\nX: {}", "a".repeat(MAX_HEADER_BYTES));
        assert_eq!(status(scan_all(partial.as_bytes())), 431);
        assert_eq!(status(scan_trickled(partial.as_bytes())), 431);
        let just_fits = format!(
            "GET / HTTP/1.1\r\nX: {}\r\n\r\n",
            "a".repeat(MAX_HEADER_BYTES - 7)
        );
        assert!(matches!(scan_all(just_fits.as_bytes()), Scan::Complete(_)));
        assert_eq!(status(scan_all(&[b'\n'; 40])), 400);
        const { assert!(Scanner::MAX_HEAD < 32 * 1024) };
    }

    fn status(s: Scan) -> u16 {
        match s {
            Scan::Refuse(r) => r.status,
            other => panic!("expected a refusal, got {other:?}"),
        }
    }

    fn head(text: &str) -> Head {
        parse(text.as_bytes()).unwrap()
    }

    #[test]
    fn parse_reads_method_target_and_headers() {
        let h = head("GET /api/users?x=%41 HTTP/1.1\r\nHost: localhost:8080\r\nX-Empty:\r\nOrigin:  http://a \r\n\r\n");
        assert_eq!(h.method, "GET");
        assert_eq!(h.target, "/api/users?x=%41");
        assert_eq!(h.path(), "/api/users");
        assert_eq!(h.header("HOST"), Some("localhost:8080"));
        assert_eq!(h.header("x-empty"), Some(""));
        assert_eq!(h.header("origin"), Some("http://a"));
        for (text, code) in [
            ("GET / HTTP/1.0\r\n\r\n", 505),
            ("GET / HTTP/2.0\r\n\r\n", 505),
            ("GET / FTP\r\n\r\n", 400),
            ("GET  / HTTP/1.1\r\n\r\n", 400),
            ("GET http://evil/ HTTP/1.1\r\n\r\n", 400),
            ("GET * HTTP/1.1\r\n\r\n", 400),
            ("G(T / HTTP/1.1\r\n\r\n", 400),
            ("GET /a\u{e9} HTTP/1.1\r\n\r\n", 400),
            ("GET / HTTP/1.1\r\nHost: a\r\n folded\r\n\r\n", 400),
            ("GET / HTTP/1.1\r\nNo colon\r\n\r\n", 400),
            ("GET / HTTP/1.1\r\nBad Name: x\r\n\r\n", 400),
            ("GET / HTTP/1.1\r\nX: a\u{1}b\r\n\r\n", 400),
        ] {
            assert_eq!(parse(text.as_bytes()).unwrap_err().status, code, "{text:?}");
        }
        let many: String = (0..=MAX_HEADER_COUNT)
            .map(|i| format!("X{i}: a\r\n"))
            .collect();
        assert_eq!(
            parse(format!("GET / HTTP/1.1\r\n{many}\r\n").as_bytes())
                .unwrap_err()
                .status,
            431
        );
    }

    fn local() -> Site {
        Site::new("127.0.0.1".parse().unwrap(), 8080)
    }

    #[test]
    fn hosts_are_this_server_by_address_or_localhost() {
        let site = local();
        for ok in [
            "127.0.0.1:8080",
            "localhost:8080",
            "LOCALHOST:8080",
            "[::1]:8080",
        ] {
            assert!(site.host_ok(ok), "{ok}");
        }
        for bad in [
            "evil.example",
            "evil.example:8080",
            "127.0.0.1:8081",
            "127.0.0.1",
            "localhost",
            "localhost:08080",
            "localhost:+8080",
            "localhost.:8080",
            "10.0.0.1:8080",
            "127.0.0.1:8080:8080",
            "[::1]",
            "",
        ] {
            assert!(!site.host_ok(bad), "{bad}");
        }
        let on_80 = Site::new("127.0.0.1".parse().unwrap(), 80);
        assert!(on_80.host_ok("localhost") && on_80.host_ok("127.0.0.1"));
        let everywhere = Site::new("0.0.0.0".parse().unwrap(), 8080);
        assert!(everywhere.host_ok("192.168.1.5:8080"));
        assert!(!everywhere.host_ok("evil.example:8080"));
        let lan = Site::new("192.168.1.5".parse().unwrap(), 8080);
        assert!(lan.host_ok("192.168.1.5:8080") && lan.host_ok("localhost:8080"));
        assert!(!lan.host_ok("192.168.1.6:8080"));
    }

    #[test]
    fn check_orders_host_method_and_body() {
        let site = local();
        let c = |text: &str| check(&head(text), &site);
        let f = c("GET /api/users?a=1 HTTP/1.1\r\nHost: localhost:8080\r\nCookie: x\r\nOrigin: http://localhost:8080\r\n\r\n").unwrap();
        assert_eq!(
            String::from_utf8(f.bytes).unwrap(),
            "GET /api/users?a=1 HTTP/1.1\r\nHost: localhost:8080\r\nConnection: close\r\nOrigin: http://localhost:8080\r\n\r\n",
            "only the headers the handlers use are forwarded"
        );
        let refused = |text: &str| c(text).unwrap_err();
        assert_eq!(refused("GET / HTTP/1.1\r\n\r\n").status, 400);
        assert_eq!(
            refused("GET / HTTP/1.1\r\nHost: localhost:8080\r\nHost: localhost:8080\r\n\r\n")
                .status,
            400
        );
        assert_eq!(
            refused("GET / HTTP/1.1\r\nHost: evil.example:8080\r\n\r\n").status,
            421
        );
        // The Host is checked first: a foreign site learns nothing, not even the methods.
        assert_eq!(
            refused("DELETE / HTTP/1.1\r\nHost: evil.example:8080\r\n\r\n").status,
            421
        );
        for method in ["POST", "PUT", "DELETE", "OPTIONS", "TRACE", "PATCH"] {
            let r = refused(&format!(
                "{method} / HTTP/1.1\r\nHost: localhost:8080\r\n\r\n"
            ));
            assert_eq!((r.status, r.allow), (405, Some("GET, HEAD")), "{method}");
        }
        assert_eq!(
            refused("GET / HTTP/1.1\r\nHost: localhost:8080\r\nContent-Length: 5\r\n\r\n").status,
            400
        );
        assert_eq!(
            refused("GET / HTTP/1.1\r\nHost: localhost:8080\r\nTransfer-Encoding: chunked\r\n\r\n")
                .status,
            400
        );
        assert!(c("HEAD / HTTP/1.1\r\nHost: localhost:8080\r\nContent-Length: 0\r\n\r\n").is_ok());
    }

    #[test]
    fn the_state_change_guard_refuses_other_sites() {
        let site = local();
        let g = |text: &str| guard_state_change(&head(text), &site).map_err(|r| r.status);
        let post = "POST /api/remind HTTP/1.1\r\nHost: localhost:8080\r\n";
        assert_eq!(
            g(&format!("{post}\r\n")),
            Ok(()),
            "no browser headers: a script, not a page"
        );
        assert_eq!(
            g(&format!(
                "{post}Sec-Fetch-Site: same-origin\r\nOrigin: http://localhost:8080\r\n\r\n"
            )),
            Ok(())
        );
        assert_eq!(g(&format!("{post}Sec-Fetch-Site: none\r\n\r\n")), Ok(()));
        assert_eq!(
            g(&format!("{post}Origin: http://127.0.0.1:8080\r\n\r\n")),
            Ok(())
        );
        for refused in [
            "Sec-Fetch-Site: cross-site\r\n",
            "Sec-Fetch-Site: same-site\r\n",
            "Sec-Fetch-Site: CROSS-SITE\r\n",
            "Sec-Fetch-Site: same-origin\r\nOrigin: https://evil.example\r\n",
            "Origin: null\r\n",
            "Origin: http://evil.example\r\n",
            "Origin: http://localhost:8081\r\n",
            "Origin: https://localhost:8080\r\n",
            "Origin: http://localhost:8080/x\r\n",
            "Sec-Fetch-Site: cross-site\r\nOrigin: http://localhost:8080\r\n",
        ] {
            assert_eq!(g(&format!("{post}{refused}\r\n")), Err(403), "{refused:?}");
        }
        let get = "GET /api/remind HTTP/1.1\r\nHost: localhost:8080\r\n\r\n";
        let r = guard_state_change(&head(get), &site).unwrap_err();
        assert_eq!(
            (r.status, r.allow),
            (405, Some("POST")),
            "state changes are POST only"
        );
        assert_eq!(g(&format!("{post}Content-Length: 3\r\n\r\n")), Err(413));
    }
}
