//! A URL's query string as the routes use it: decoded strictly, every name known to its route,
//! every value under a length cap before any work is done, and turned into the library's
//! values (a [`ReadRequest`], a [`FilterSet`] within the server's own scope, numbers, a sort).
//! A wrong value is a 400 that names the parameter and the values it takes.

use anyhow::Result;

use crate::domain::{Dimension, FilterSet};
use crate::error::Failure;
use crate::read::ReadRequest;

/// The most parameters one request may carry.
const MAX_PARAMS: usize = 64;

/// Parameters every route takes: which snapshot, at which instant, and the filters.
pub(super) const COMMON: &[&str] = &[
    "snapshot",
    "as-of",
    "window-days",
    "license",
    "status",
    "activity",
    "hub",
    "scim",
    "reminders",
    "filter",
    "search",
];

/// The longest value of a parameter, in characters: checked before anything else looks at it.
fn cap(key: &str) -> usize {
    match key {
        // RFC 3696 errata: no address is longer.
        "email" => crate::read::MAX_EMAIL,
        "search" => 200,
        "note" => super::actions::NOTE_MAX,
        // Every transition, comma-separated.
        "transition" => 400,
        "filter" | "as-of" => 100,
        "columns" => 400,
        "sort" => 64,
        _ => 24,
    }
}

fn usage(message: String) -> anyhow::Error {
    Failure::Usage(message).into()
}

/// The decoded parameters of one request, in order.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub(super) struct Params(Vec<(String, String)>);

impl Params {
    /// Decodes `a=1&b=x%20y` (`+` is a space), refusing names the route does not take
    /// (`COMMON` and `extra`), values over their cap, and bad percent-encoding or UTF-8.
    pub(super) fn parse(query: &str, extra: &[&str]) -> Result<Params> {
        let mut out = Vec::new();
        for pair in query.split('&').filter(|p| !p.is_empty()) {
            if out.len() == MAX_PARAMS {
                return Err(usage(format!("more than {MAX_PARAMS} parameters")));
            }
            let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
            // Raw length first: a value is never decoded if its encoding is already too long.
            let key = decode(k, 32).map_err(|e| usage(format!("a parameter name {e}")))?;
            if !COMMON.contains(&key.as_str()) && !extra.contains(&key.as_str()) {
                let mut known: Vec<&str> = COMMON.to_vec();
                known.extend(extra);
                return Err(usage(format!(
                    "unknown parameter '{}': expected one of {}",
                    crate::util::echo(&key),
                    known.join(", ")
                )));
            }
            let max = cap(&key);
            let value = decode(v, max).map_err(|e| usage(format!("{key}: {e}")))?;
            out.push((key, value));
        }
        Ok(Params(out))
    }

    /// Every parameter, decoded, in order.
    pub(super) fn pairs(&self) -> &[(String, String)] {
        &self.0
    }

    /// Every value of a parameter, in order, as given (`list` also splits at commas).
    pub(super) fn all(&self, key: &str) -> Vec<&str> {
        self.0
            .iter()
            .filter(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
            .collect()
    }

    /// The first value of a parameter.
    pub(super) fn one(&self, key: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }

    /// Every value of a repeated or comma-separated parameter.
    pub(super) fn list(&self, key: &str) -> Vec<String> {
        self.0
            .iter()
            .filter(|(k, _)| k == key)
            .flat_map(|(_, v)| v.split(','))
            .map(str::trim)
            .filter(|v| !v.is_empty())
            .map(String::from)
            .collect()
    }

    /// A whole number from 0 to `max` (`None` when absent). 2^63, 2^64 or `abc` are 400s.
    pub(super) fn number(&self, key: &str, max: u64) -> Result<Option<u64>> {
        let Some(v) = self.one(key) else {
            return Ok(None);
        };
        let n = v
            .parse::<u64>()
            .ok()
            .filter(|n| *n <= max && v.bytes().all(|b| b.is_ascii_digit()));
        n.map(Some).ok_or_else(|| {
            usage(format!(
                "{key}={}: expected a whole number from 0 to {max}",
                crate::util::echo(v)
            ))
        })
    }
}

/// Percent-decodes one name or value of at most `max` characters.
fn decode(raw: &str, max: usize) -> Result<String, String> {
    // Each character takes at most 4 bytes, each byte at most 3 characters ("%E2").
    if raw.len() > max * 12 {
        return Err(format!("longer than {max} characters"));
    }
    let bytes = raw.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' => {
                let hex = bytes
                    .get(i + 1..i + 3)
                    .and_then(|h| std::str::from_utf8(h).ok())
                    .and_then(|h| u8::from_str_radix(h, 16).ok())
                    .ok_or("a '%' not followed by two hex digits")?;
                out.push(hex);
                i += 2;
            }
            b => out.push(b),
        }
        i += 1;
    }
    let text = String::from_utf8(out).map_err(|_| "not UTF-8 once decoded".to_string())?;
    let chars = text.chars().count();
    if chars > max {
        return Err(format!("{chars} characters: at most {max}"));
    }
    Ok(text)
}

/// The server's fixed scope: what its command line chose.
#[derive(Debug, Clone)]
pub(super) struct Scope {
    /// Snapshot, as-of and window from the command line: defaults a request may change.
    pub(super) request: ReadRequest,
    /// The command line's filters: a request narrows them, never widens them.
    pub(super) filters: FilterSet,
}

/// What a request reads: its snapshot, instant and window, and its filters within the scope.
#[derive(Debug, Clone)]
pub(super) struct View {
    pub(super) request: ReadRequest,
    pub(super) filters: FilterSet,
}

/// The request's snapshot, as-of and window (each defaulting to the command line's) and its
/// filters added to the scope's. A dimension the scope restricts may only be narrowed to some
/// of its values (`status=using` on a server started with `--status pending` is a 400); custom
/// filters add up (AND); a scope with a search takes no other.
pub(super) fn view(p: &Params, scope: &Scope) -> Result<View> {
    let mut request = scope.request.clone();
    if let Some(n) = p.number("snapshot", i64::MAX as u64)? {
        request.snapshot = Some(n as i64);
    }
    if let Some(t) = p.one("as-of") {
        request.as_of = Some(crate::ingest::parse_iso(t.trim()).ok_or_else(|| {
            usage(format!(
                "as-of={}: expected an ISO 8601 date or timestamp such as 2026-11-26 or 2026-11-26T12:00:00Z",
                crate::util::echo(t)
            ))
        })?);
    }
    if p.one("window-days").is_some() {
        let w = p.number("window-days", 36_500)?.unwrap_or_default();
        if w == 0 {
            return Err(usage(
                "window-days=0: expected a whole number from 1 to 36500".into(),
            ));
        }
        request.window_days = w as i64;
    }

    let mut filters = scope.filters.clone();
    let mut asked = FilterSet::default();
    for dim in Dimension::ALL {
        for v in p.list(dim.name()) {
            asked.add(dim, dim.parse_value(&v).map_err(usage)?);
        }
    }
    for (dim, values) in &asked.dimensions {
        let allowed = scope.filters.values_of(*dim);
        if let Some(outside) = values
            .iter()
            .find(|v| !allowed.is_empty() && !allowed.contains(v))
        {
            return Err(usage(format!(
                "{dim}={outside} is outside this server's scope ({dim}={}); it serves {}",
                allowed.join("|"),
                scope.filters.describe()
            )));
        }
        filters.dimensions.retain(|(d, _)| d != dim);
        for v in values {
            filters.add(*dim, v);
        }
    }
    for name in p.list("filter") {
        filters.add_custom(&name);
    }
    if let Some(q) = p.one("search").filter(|q| !q.is_empty()) {
        match &scope.filters.search {
            Some(fixed) if fixed != q => {
                return Err(usage(format!(
                    "search: this server is started with --search \"{fixed}\" and takes no other search"
                )))
            }
            _ => filters.search = Some(q.to_string()),
        }
    }
    Ok(View { request, filters })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(q: &str) -> Params {
        Params::parse(q, &["limit", "email"]).unwrap()
    }

    fn refused(q: &str) -> String {
        format!("{:#}", Params::parse(q, &["limit", "email"]).unwrap_err())
    }

    #[test]
    fn query_strings_decode_strictly() {
        let q = parse("status=pending&status=no-license&search=zo%C3%AB+%C3%A5&limit=5&email=");
        assert_eq!(q.list("status"), vec!["pending", "no-license"]);
        assert_eq!(q.one("search"), Some("zoë å"));
        assert_eq!(q.one("email"), Some(""));
        assert_eq!(q.number("limit", 1000).unwrap(), Some(5));
        assert_eq!(
            parse("status=pending,,using").list("status"),
            vec!["pending", "using"]
        );
        assert!(refused("x=1").contains("unknown parameter 'x'"));
        assert!(refused("x=1").contains("snapshot, as-of"));
        assert!(refused("search=%zz").contains("two hex digits"));
        assert!(refused("search=%").contains("two hex digits"));
        assert!(refused("search=%FF").contains("not UTF-8"));
        assert!(refused(&format!("search={}", "a".repeat(201))).contains("at most 200"));
        assert!(refused(&format!("email={}", "a".repeat(321))).contains("at most 320"));
        // A value far over its cap is refused before it is decoded.
        assert!(refused(&format!("email={}", "%41".repeat(100_000))).contains("longer than 320"));
        let many: Vec<String> = (0..65).map(|_| "status=using".to_string()).collect();
        assert!(refused(&many.join("&")).contains("more than 64"));
    }

    #[test]
    fn numbers_are_bounded() {
        for bad in [
            "abc",
            "-1",
            "+1",
            "1.5",
            "1001",
            "9223372036854775808",
            "18446744073709551616",
            " 1",
        ] {
            let e = parse(&format!("limit={bad}"))
                .number("limit", 1000)
                .unwrap_err();
            assert!(format!("{e}").contains("from 0 to 1000"), "{bad}: {e}");
            assert_eq!(crate::error::exit_code(&e), 2);
        }
        assert_eq!(parse("").number("limit", 1000).unwrap(), None);
    }

    fn scope(pairs: &[(&str, &str)]) -> Scope {
        Scope {
            request: ReadRequest::default(),
            filters: FilterSet::from_pairs(pairs.iter().copied()).unwrap(),
        }
    }

    #[test]
    fn requests_narrow_the_scope() {
        let s = scope(&[("status", "pending"), ("status", "using")]);
        let v = view(&parse("status=using&activity=never&filter=x"), &s).unwrap();
        assert_eq!(
            v.filters.describe(),
            "status=using, activity=never, filter=x"
        );
        let v = view(&parse(""), &s).unwrap();
        assert_eq!(v.filters.describe(), "status=pending|using");
        let e = format!("{:#}", view(&parse("status=no-license"), &s).unwrap_err());
        assert!(
            e.contains("outside this server's scope (status=pending|using)"),
            "{e}"
        );
        let e = format!("{:#}", view(&parse("status=actve"), &s).unwrap_err());
        assert!(e.contains("no-license, pending, using"), "{e}");

        let searching = scope(&[("search", "acme")]);
        assert!(view(&parse("search=acme"), &searching).is_ok());
        assert!(view(&parse("search=zed"), &searching).is_err());

        let v = view(
            &parse("snapshot=2&as-of=2026-01-02&window-days=7"),
            &scope(&[]),
        )
        .unwrap();
        assert_eq!(v.request.snapshot, Some(2));
        assert_eq!(v.request.window_days, 7);
        assert!(v.request.as_of.is_some());
        for bad in [
            "snapshot=x",
            "as-of=yesterday",
            "window-days=0",
            "window-days=36501",
        ] {
            assert!(view(&parse(bad), &scope(&[])).is_err(), "{bad}");
        }
    }
}
