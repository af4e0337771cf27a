//! The preview server: tiny_http on 127.0.0.1 only, a fixed set of GET routes, each calling
//! the read layer as the CLI does (query parameters become the same filter pairs as flags).
//! Every request opens the database read-only afresh, so a new ingest shows up on reload.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::PathBuf;

use anyhow::{Context, Result};
use tiny_http::{Header, Method, Request, Response, Server};

use crate::domain::{Dimension, FilterSet, DEFAULT_COLUMNS};
use crate::export;
use crate::read::{self, Listing, ReadRequest, Reader, Sort};
use crate::report::{self, Templates};
use crate::sql::Sql;

pub(crate) struct ServerConfig {
    pub(crate) db: PathBuf,
    pub(crate) sql: Sql,
    pub(crate) templates: Templates,
    /// The snapshot, as-of and window given on the command line.
    pub(crate) request: ReadRequest,
    /// The filters given on the command line, as (key, value) pairs: the server's fixed scope,
    /// which query parameters narrow further for the API.
    pub(crate) scope: Vec<(String, String)>,
    pub(crate) title: String,
    pub(crate) port: u16,
}

pub(crate) fn serve(cfg: ServerConfig) -> Result<()> {
    let server = Server::http(("127.0.0.1", cfg.port))
        .map_err(|e| anyhow::anyhow!("cannot listen on 127.0.0.1:{}: {e}", cfg.port))?;
    let port = server
        .server_addr()
        .to_ip()
        .map(|a| a.port())
        .unwrap_or(cfg.port);
    // Best effort: with standard output closed the server still serves.
    let mut out = std::io::stdout();
    writeln!(out, "serving http://127.0.0.1:{port}/ (Ctrl-C to stop)")
        .and_then(|_| out.flush())
        .ok();
    for request in server.incoming_requests() {
        handle(&cfg, port, request);
    }
    Ok(())
}

struct Reply {
    status: u16,
    content_type: &'static str,
    body: Vec<u8>,
}

impl Reply {
    fn text(status: u16, body: &str) -> Reply {
        Reply {
            status,
            content_type: "text/plain; charset=utf-8",
            body: format!("{body}\n").into_bytes(),
        }
    }

    fn json(value: &impl serde::Serialize) -> Reply {
        Reply {
            status: 200,
            content_type: "application/json",
            body: (serde_json::to_string_pretty(value).unwrap_or_default() + "\n").into_bytes(),
        }
    }
}

fn handle(cfg: &ServerConfig, port: u16, request: Request) {
    let reply = route(cfg, port, &request).unwrap_or_else(|e| {
        let status = match crate::error::exit_code(&e) {
            crate::error::EXIT_BAD_INPUT => 400,
            crate::error::EXIT_BUSY => 503,
            _ => 500,
        };
        Reply::text(status, &format!("{e:#}"))
    });
    let head = *request.method() == Method::Head;
    let mut response = Response::from_data(if head { Vec::new() } else { reply.body })
        .with_status_code(reply.status)
        .with_header(header("Content-Type", reply.content_type))
        .with_header(header("X-Content-Type-Options", "nosniff"))
        .with_header(header("Referrer-Policy", "no-referrer"))
        .with_header(header("Cache-Control", "no-store"))
        .with_header(header("X-Frame-Options", "DENY"));
    if reply.content_type.starts_with("text/html") {
        response = response.with_header(header("Cross-Origin-Resource-Policy", "same-origin"));
    }
    let _ = request.respond(response);
}

fn header(k: &str, v: &str) -> Header {
    Header::from_bytes(k.as_bytes(), v.as_bytes()).expect("static header")
}

fn route(cfg: &ServerConfig, port: u16, req: &Request) -> Result<Reply> {
    if !matches!(req.method(), Method::Get | Method::Head) {
        return Ok(Reply::text(405, "only GET and HEAD are served"));
    }
    // DNS rebinding: a page on another site that resolves to 127.0.0.1 sends its own Host.
    let host_ok = req
        .headers()
        .iter()
        .find(|h| h.field.equiv("Host"))
        .is_none_or(|h| {
            let v = h.value.as_str();
            v == format!("127.0.0.1:{port}") || v == format!("localhost:{port}")
        });
    if !host_ok {
        return Ok(Reply::text(421, "unexpected Host header"));
    }
    let (path, query) = req.url().split_once('?').unwrap_or((req.url(), ""));
    let params = parse_query(query);
    match path {
        "/" | "/index.html" => {
            let (reader, filters) = open(cfg, &params)?;
            let snapshots = read::snapshots(&cfg.db, &cfg.sql)?;
            Ok(Reply {
                status: 200,
                content_type: "text/html; charset=utf-8",
                body: report::console(&reader, &filters, &cfg.title, &cfg.templates, snapshots)?
                    .into_bytes(),
            })
        }
        "/users.csv" | "/manifest.json" => {
            let (reader, filters) = open(cfg, &BTreeMap::new())?;
            let mut csv = Vec::new();
            let exported = export::write(
                &reader,
                &report::export_spec(&filters),
                &mut csv,
                "users.csv",
            )?;
            if path == "/users.csv" {
                return Ok(Reply {
                    status: 200,
                    content_type: "text/csv; charset=utf-8",
                    body: csv,
                });
            }
            Ok(Reply::json(&exported.manifest))
        }
        "/api/users" => {
            let (reader, filters) = open(cfg, &params)?;
            let listing = Listing {
                columns: read::resolve_columns(&list(&params, "columns"), DEFAULT_COLUMNS)?,
                sort: Sort::parse(
                    params
                        .get("sort")
                        .and_then(|v| v.first())
                        .map(String::as_str),
                )?,
                filters,
            };
            let limit = number(&params, "limit")?.or(Some(50));
            let offset = number(&params, "offset")?.unwrap_or(0);
            let page = reader.page(&listing, limit, offset)?;
            Ok(Reply::json(&read::users_json(
                &page,
                reader.scope(),
                &listing,
            )))
        }
        "/api/summary" => {
            let (reader, filters) = open(cfg, &params)?;
            Ok(Reply::json(&reader.summary(&filters)?))
        }
        "/api/user" => {
            let (reader, _) = open(cfg, &BTreeMap::new())?;
            let email = params
                .get("email")
                .and_then(|v| v.first())
                .cloned()
                .unwrap_or_default();
            match reader.detail(&email) {
                Ok(d) => Ok(Reply::json(&d)),
                Err(e) => Ok(Reply::text(404, &format!("{e:#}"))),
            }
        }
        "/snapshots" => {
            let store = crate::store::Store::open(
                &cfg.db,
                crate::store::Access::ReadOnly,
                cfg.sql.clone(),
            )?;
            let mut list = Vec::new();
            for info in store.snapshots()?.into_iter().rev() {
                let inputs = store.inputs(info.id)?;
                list.push(report::SnapshotEntry { info, inputs });
            }
            Ok(Reply {
                status: 200,
                content_type: "text/html; charset=utf-8",
                body: report::side_page(
                    report::SidePage::Snapshots(&list),
                    &cfg.title,
                    &cfg.templates,
                )?
                .into_bytes(),
            })
        }
        "/rejects" => {
            let mut request = cfg.request.clone();
            if let Some(id) = number(&params, "snapshot")? {
                request.snapshot = Some(id as i64);
            }
            let reader = Reader::open(&cfg.db, &cfg.sql, &request)?;
            let rejects = reader.rejects()?;
            Ok(Reply {
                status: 200,
                content_type: "text/html; charset=utf-8",
                body: report::side_page(
                    report::SidePage::Rejects {
                        snapshot: &reader.scope().snapshot,
                        rejects: &rejects,
                    },
                    &cfg.title,
                    &cfg.templates,
                )?
                .into_bytes(),
            })
        }
        "/healthz" => Ok(Reply::text(200, "ok")),
        _ => Ok(Reply::text(404, "not found")),
    }
}

/// The URL parameters that are filters, with the flags' names.
fn filter_keys() -> impl Iterator<Item = &'static str> {
    Dimension::ALL
        .into_iter()
        .map(Dimension::name)
        .chain(["filter", "search"])
}

/// Opens the database for one request; query parameters add to the server's own filters,
/// through the same pairs as the command line's flags.
fn open(cfg: &ServerConfig, params: &BTreeMap<String, Vec<String>>) -> Result<(Reader, FilterSet)> {
    let mut pairs: Vec<(&str, String)> = cfg
        .scope
        .iter()
        .map(|(k, v)| (k.as_str(), v.clone()))
        .collect();
    for key in filter_keys() {
        if key == "search" {
            if let Some(s) = params.get(key).and_then(|v| v.first()) {
                pairs.retain(|(k, _)| *k != "search");
                pairs.push((key, s.clone()));
            }
        } else {
            pairs.extend(list(params, key).into_iter().map(|v| (key, v)));
        }
    }
    let filters = FilterSet::from_pairs(pairs.iter().map(|(k, v)| (*k, v.as_str())))
        .map_err(crate::error::Failure::Usage)?;
    let reader = Reader::open(&cfg.db, &cfg.sql, &cfg.request)?;
    reader.check(&filters).context("filter")?;
    Ok((reader, filters))
}

/// Every value of a repeated or comma-separated parameter.
fn list(params: &BTreeMap<String, Vec<String>>, key: &str) -> Vec<String> {
    params
        .get(key)
        .into_iter()
        .flatten()
        .flat_map(|v| v.split(','))
        .map(str::trim)
        .filter(|v| !v.is_empty())
        .map(String::from)
        .collect()
}

fn number(params: &BTreeMap<String, Vec<String>>, key: &str) -> Result<Option<u64>> {
    match params.get(key).and_then(|v| v.first()) {
        None => Ok(None),
        Some(v) => v.parse().map(Some).map_err(|_| {
            crate::error::Failure::Usage(format!("{key}={v}: expected a whole number")).into()
        }),
    }
}

/// `a=1&b=x%20y&a=2` → {a: [1, 2], b: ["x y"]}.
pub(crate) fn parse_query(query: &str) -> BTreeMap<String, Vec<String>> {
    let mut out: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for pair in query.split('&').filter(|p| !p.is_empty()) {
        let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
        out.entry(percent_decode(k))
            .or_default()
            .push(percent_decode(v));
    }
    out
}

fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < bytes.len() && s.is_char_boundary(i + 3) => {
                match u8::from_str_radix(&s[i + 1..i + 3], 16) {
                    Ok(b) => {
                        out.push(b);
                        i += 2;
                    }
                    Err(_) => out.push(b'%'),
                }
            }
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn query_strings_decode() {
        let q =
            parse_query("status=pending&status=no-license&search=zo%C3%AB+%C3%A5&x=%zz&limit=5");
        assert_eq!(q["status"], vec!["pending", "no-license"]);
        assert_eq!(q["search"], vec!["zoë å"]);
        assert_eq!(q["x"], vec!["%zz"]);
        assert_eq!(list(&q, "status"), vec!["pending", "no-license"]);
        assert_eq!(number(&q, "limit").unwrap(), Some(5));
    }
}
