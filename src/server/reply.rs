//! What the server answers, whoever answers: a [`Reply`] (status, type, body, extra headers),
//! the headers every response carries ([`common_headers`]), JSON errors
//! (`{"error": …, "status": …}`), and the mapping from the library's errors to statuses.
//! The front writes its own refusals with [`Reply::to_http`]; the workers hand replies to
//! tiny_http with [`Reply::into_response`].

use std::time::Duration;

use serde::Serialize;
use tiny_http::{Header, Response};

use crate::error::{self, Failure};

/// How long a 503 asks the client to wait before trying again.
pub(super) const RETRY_AFTER: Duration = Duration::from_secs(2);

#[derive(Debug, Clone)]
pub(super) struct Reply {
    pub(super) status: u16,
    pub(super) content_type: &'static str,
    pub(super) body: Vec<u8>,
    /// Beyond [`common_headers`]: `Allow`, `Retry-After`, `Content-Disposition`.
    pub(super) headers: Vec<(&'static str, String)>,
    /// The page's own policy (its inline script's hash), when it differs from the server's.
    pub(super) csp: Option<String>,
}

#[derive(Serialize)]
struct ErrorBody<'a> {
    error: &'a str,
    status: u16,
    #[serde(skip_serializing_if = "Option::is_none")]
    suggestions: Option<&'a [String]>,
}

impl Reply {
    pub(super) fn new(status: u16, content_type: &'static str, body: Vec<u8>) -> Reply {
        Reply {
            status,
            content_type,
            body,
            headers: Vec::new(),
            csp: None,
        }
    }

    /// A value as compact JSON.
    pub(super) fn json(value: &impl Serialize) -> Reply {
        let mut body = serde_json::to_vec(value).unwrap_or_else(|e| {
            format!("{{\"error\":\"cannot serialize the answer: {e}\",\"status\":500}}")
                .into_bytes()
        });
        body.push(b'\n');
        Reply::new(200, "application/json", body)
    }

    pub(super) fn text(status: u16, text: &str) -> Reply {
        Reply::new(
            status,
            "text/plain; charset=utf-8",
            format!("{text}\n").into_bytes(),
        )
    }

    /// `{"error": message, "status": status}`; a 503 says when to retry.
    pub(super) fn error(status: u16, message: &str) -> Reply {
        Reply::error_with(status, message, None)
    }

    fn error_with(status: u16, message: &str, suggestions: Option<&[String]>) -> Reply {
        let mut r = Reply::json(&ErrorBody {
            error: message,
            status,
            suggestions,
        });
        r.status = status;
        if status == 503 {
            r.headers
                .push(("Retry-After", RETRY_AFTER.as_secs().to_string()));
        }
        r
    }

    pub(super) fn with_header(mut self, name: &'static str, value: String) -> Reply {
        self.headers.push((name, value));
        self
    }

    /// The reply's headers after the common ones.
    fn all_headers(&self, csp: &str) -> Vec<(&'static str, String)> {
        let mut h = common_headers(self.csp.as_deref().unwrap_or(csp));
        h.push(("Content-Type", self.content_type.to_string()));
        h.extend(self.headers.iter().cloned());
        h
    }

    /// The whole response as bytes, for the front, which answers refusals itself.
    pub(super) fn to_http(&self, csp: &str) -> Vec<u8> {
        let mut bytes = self.head(
            csp,
            &format!("Content-Length: {}\r\nConnection: close", self.body.len()),
        );
        bytes.extend_from_slice(&self.body);
        bytes
    }

    /// The status line and headers, `framing` last (how the body is delimited).
    pub(super) fn head(&self, csp: &str, framing: &str) -> Vec<u8> {
        let mut out = format!("HTTP/1.1 {} {}\r\n", self.status, reason(self.status));
        for (k, v) in self.all_headers(csp) {
            out.push_str(&format!("{k}: {v}\r\n"));
        }
        out.push_str(framing);
        out.push_str("\r\n\r\n");
        out.into_bytes()
    }

    /// As a tiny_http response with the body in memory.
    pub(super) fn into_response(self, csp: &str) -> Response<std::io::Cursor<Vec<u8>>> {
        let headers = self.all_headers(csp);
        let mut r = Response::from_data(self.body).with_status_code(self.status);
        for (k, v) in headers {
            r.add_header(header(k, &v));
        }
        r
    }
}

fn header(name: &str, value: &str) -> Header {
    // Every value is ours (fixed text, numbers, sanitized file names): never invalid.
    Header::from_bytes(name.as_bytes(), value.as_bytes())
        .unwrap_or_else(|_| Header::from_bytes(name.as_bytes(), &b"invalid"[..]).expect("ASCII"))
}

/// The headers on every response, the front's refusals included: the report's
/// Content-Security-Policy (no network, no framing), no MIME sniffing, no Referer leaving the
/// page, nothing cached, not embeddable by another origin.
pub(super) fn common_headers(csp: &str) -> Vec<(&'static str, String)> {
    vec![
        (
            "Content-Security-Policy",
            format!("{csp}; frame-ancestors 'none'"),
        ),
        ("X-Content-Type-Options", "nosniff".into()),
        ("Referrer-Policy", "no-referrer".into()),
        ("Cache-Control", "no-store".into()),
        ("X-Frame-Options", "DENY".into()),
        ("Cross-Origin-Resource-Policy", "same-origin".into()),
    ]
}

/// The reason phrase of the statuses the server uses.
fn reason(status: u16) -> &'static str {
    match status {
        200 => "OK",
        400 => "Bad Request",
        403 => "Forbidden",
        404 => "Not Found",
        405 => "Method Not Allowed",
        408 => "Request Timeout",
        413 => "Content Too Large",
        414 => "URI Too Long",
        421 => "Misdirected Request",
        431 => "Request Header Fields Too Large",
        500 => "Internal Server Error",
        502 => "Bad Gateway",
        503 => "Service Unavailable",
        505 => "HTTP Version Not Supported",
        _ => "",
    }
}

/// A request whose queries passed `--query-timeout` and were stopped.
#[derive(Debug, thiserror::Error)]
#[error("the request took longer than --query-timeout ({}) and was stopped; narrow the filters, or try again", crate::bounds::show_duration(*.0))]
pub(super) struct QueryTimedOut(pub(super) Duration);

/// The database cannot be read just now: another process is writing it (or waits to).
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub(super) struct Unavailable(pub(super) String);

/// An error from the library as the reply the client gets: a bad value is 400 with the
/// library's message (which names the valid values), an unknown user 404 with suggestions, a
/// stopped or locked-out query 503 with `Retry-After`, anything else 500.
pub(super) fn from_error(e: &anyhow::Error) -> Reply {
    let message = format!("{e:#}");
    for cause in e.chain() {
        if let Some(Failure::NotFound {
            message,
            suggestions,
        }) = cause.downcast_ref::<Failure>()
        {
            return Reply::error_with(404, message, Some(suggestions));
        }
        if cause.is::<QueryTimedOut>() || cause.is::<Unavailable>() {
            return Reply::error(503, &cause.to_string());
        }
    }
    // Past `--memory-limit` with nothing left to spill, DuckDB stops the query: the server is
    // busy, not broken, and the same request may pass once others end.
    if message.contains("Out of Memory Error") {
        return Reply::error(503, &message);
    }
    match error::exit_code(e) {
        error::EXIT_BAD_INPUT => Reply::error(400, &message),
        error::EXIT_BUSY => Reply::error(503, &message),
        _ => Reply::error(500, &message),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_are_json_with_their_status() {
        let r = Reply::error(400, "limit=x: expected a whole number");
        assert_eq!(r.status, 400);
        assert_eq!(r.content_type, "application/json");
        let v: serde_json::Value = serde_json::from_slice(&r.body).unwrap();
        assert_eq!(
            v,
            serde_json::json!({"error": "limit=x: expected a whole number", "status": 400})
        );
        let r = Reply::error(503, "busy");
        assert_eq!(r.headers, vec![("Retry-After", "2".to_string())]);

        let e: anyhow::Error = Failure::NotFound {
            message: "no user".into(),
            suggestions: vec!["a@example.com".into()],
        }
        .into();
        let r = from_error(&e.context("looking up"));
        assert_eq!(r.status, 404);
        let v: serde_json::Value = serde_json::from_slice(&r.body).unwrap();
        assert_eq!(v["suggestions"], serde_json::json!(["a@example.com"]));
        assert_eq!(from_error(&Failure::Usage("bad".into()).into()).status, 400);
        assert_eq!(
            from_error(&QueryTimedOut(Duration::from_secs(1)).into()).status,
            503
        );
        assert_eq!(from_error(&anyhow::anyhow!("disk on fire")).status, 500);
    }

    #[test]
    fn refusals_carry_every_common_header() {
        let text = String::from_utf8(
            Reply::error(405, "no")
                .with_header("Allow", "GET, HEAD".into())
                .to_http("default-src 'none'"),
        )
        .unwrap();
        assert!(
            text.starts_with("HTTP/1.1 405 Method Not Allowed\r\n"),
            "{text}"
        );
        for h in [
            "Content-Security-Policy: default-src 'none'; frame-ancestors 'none'\r\n",
            "X-Content-Type-Options: nosniff\r\n",
            "Referrer-Policy: no-referrer\r\n",
            "Cache-Control: no-store\r\n",
            "Allow: GET, HEAD\r\n",
            "Connection: close\r\n",
            "Content-Type: application/json\r\n",
        ] {
            assert!(text.contains(h), "{h:?} in {text}");
        }
        assert!(text.ends_with("\"status\":405}\n"), "{text}");
    }
}
