//! The server's history routes: `/api/diff` and `/api/trend` (the CLI's `diff` and `trend` as
//! JSON, the diff's users a page at a time) and the `/diff` page, which compares any two
//! snapshots picked on it and draws the trend chart. Every read goes through the pool under
//! the query timeout, as the other routes' do.

use anyhow::Result;
use serde::Serialize;

use super::params::{Params, View};
use super::pool::Shared;
use super::reply::Reply;
use crate::error::Failure;
use crate::read::{self, Change, Counts, Diff, DiffRequest, DiffSide, ReadRequest, Side};

/// The most changed users one page of `/api/diff` or `/diff` holds.
const PAGE_MAX: u64 = 1000;

fn usage(message: String) -> anyhow::Error {
    Failure::Usage(message).into()
}

/// The diff a request asks for: `from`, `to` (defaults as the CLI's), `side`, `transition`, the
/// filters and `window-days`; `snapshot` and `as-of` do not apply (each side is at its own).
fn compute(shared: &Shared, p: &Params, view: &View) -> Result<Diff> {
    for key in ["snapshot", "as-of"] {
        if p.one(key).is_some() {
            return Err(usage(format!(
                "{key}: a diff compares from and to, each at its own as-of"
            )));
        }
    }
    let id = |key: &str| -> Result<Option<i64>> {
        Ok(p.number(key, i64::MAX as u64)?.map(|n| n as i64))
    };
    let (from, to) = (id("from")?, id("to")?);
    let side = match p.one("side").unwrap_or("to") {
        "to" => Side::To,
        "from" => Side::From,
        other => {
            return Err(usage(format!(
                "side={}: expected to or from",
                crate::util::echo(other)
            )))
        }
    };
    let transitions = p
        .list("transition")
        .iter()
        .filter(|t| !t.trim().is_empty())
        .map(|t| read::transition(t))
        .collect::<Result<Vec<_>>>()?;
    let window_days = view.request.window_days;
    let (request, other) = shared.read(
        &ReadRequest {
            snapshot: None,
            as_of: None,
            window_days,
        },
        |r, _| r.diff_scopes(from, to, side, window_days),
    )?;
    shared.read(&request, |r, _| {
        r.check(&view.filters)?;
        r.diff(
            &other,
            &DiffRequest {
                side,
                filters: view.filters.clone(),
                transitions,
            },
        )
    })
}

fn page_of(p: &Params) -> Result<(u64, u64)> {
    Ok((
        p.number("offset", i64::MAX as u64)?.unwrap_or(0),
        p.number("limit", PAGE_MAX)?.unwrap_or(200),
    ))
}

#[derive(Serialize)]
struct DiffJson<'a> {
    from: &'a DiffSide,
    to: &'a DiffSide,
    filters: &'a str,
    side: Side,
    counts: &'a Counts,
    /// Every changed user; `users` holds `limit` of them from `offset`.
    total: usize,
    offset: u64,
    limit: u64,
    users: &'a [Change],
}

fn slice(users: &[Change], offset: u64, limit: u64) -> &[Change] {
    let start = (offset as usize).min(users.len());
    let end = start.saturating_add(limit as usize).min(users.len());
    &users[start..end]
}

/// `GET /api/diff?from=&to=&side=&transition=…&offset=&limit=` and the filters.
pub(super) fn diff_json(shared: &Shared, p: &Params, view: &View) -> Result<Reply> {
    let d = compute(shared, p, view)?;
    let (offset, limit) = page_of(p)?;
    Ok(Reply::json(&DiffJson {
        from: &d.from,
        to: &d.to,
        filters: &d.filters,
        side: d.side,
        counts: &d.counts,
        total: d.users.len(),
        offset,
        limit,
        users: slice(&d.users, offset, limit),
    }))
}

/// `GET /api/trend?` and the filters: every snapshot's funnel and facets.
pub(super) fn trend_json(shared: &Shared, p: &Params, view: &View) -> Result<Reply> {
    if p.one("snapshot").is_some() || p.one("as-of").is_some() {
        return Err(usage(
            "the trend reads every snapshot, each at its own as-of: snapshot and as-of do not apply"
                .into(),
        ));
    }
    let t = trend(shared, view)?;
    Ok(Reply::json(&t))
}

fn trend(shared: &Shared, view: &View) -> Result<read::Trend> {
    let window_days = view.request.window_days;
    shared.session(|lease, _| {
        let reader = lease.reader(&ReadRequest {
            snapshot: None,
            as_of: None,
            window_days,
        })?;
        reader.check(&view.filters)?;
        // The trend rescopes the session once per snapshot; the connection then goes back.
        let sibling = reader.sibling(&ReadRequest {
            snapshot: None,
            as_of: None,
            window_days,
        })?;
        lease.restore(reader);
        read::trend(sibling, &view.filters, window_days, None)
    })
}

/// `GET /diff?…`: the page (no script): the two snapshots and the side picked in a form, the
/// counts, a page of the changed users with links to the next, and the trend chart.
pub(super) fn diff_page(shared: &Shared, p: &Params, view: &View, query: &str) -> Result<Reply> {
    let d = compute(shared, p, view)?;
    let (offset, limit) = page_of(p)?;
    let total = d.users.len();
    let snapshots = shared.session(|lease, _| lease.store()?.snapshots())?;
    let chart = crate::chart::trend_chart(&trend(shared, view)?);
    // The query as given, without its paging, for the page links.
    let rest: Vec<&str> = query
        .split('&')
        .filter(|kv| {
            let k = kv.split('=').next().unwrap_or_default();
            !kv.is_empty() && k != "offset" && k != "limit"
        })
        .collect();
    let link = |at: u64| {
        let mut parts = rest.clone();
        let paging = format!("offset={at}&limit={limit}");
        parts.push(&paging);
        format!("/diff?{}", parts.join("&"))
    };
    let prev = (offset > 0).then(|| link(offset.saturating_sub(limit)));
    let next = (offset + limit < total as u64).then(|| link(offset + limit));
    let hidden: Vec<(String, String)> = p
        .pairs()
        .iter()
        .filter(|(k, _)| {
            !matches!(
                k.as_str(),
                "from" | "to" | "side" | "search" | "offset" | "limit"
            )
        })
        .cloned()
        .collect();
    let (from_id, to_id) = (d.from.snapshot.id, d.to.snapshot.id);
    let side = d.side;
    let search = view.filters.search.clone();
    let mut d = d;
    d.users = slice(&d.users, offset, limit).to_vec();
    let mut changes = crate::report::Changes::of(d);
    // `of` counted the page; the page says how many changed in all.
    changes.total = total;
    let page = crate::report::side_page(
        crate::report::SidePage::Diff(Box::new(crate::report::DiffPage {
            snapshots: &snapshots,
            from: from_id,
            to: to_id,
            side,
            search,
            hidden,
            changes,
            trend: chart,
            offset,
            total,
            prev,
            next,
        })),
        &shared.title,
        &shared.templates,
    )?;
    Ok(super::routes::html_reply(page))
}
