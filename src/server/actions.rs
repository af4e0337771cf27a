//! The console's actions over HTTP: a pending user's Email Preview and Send Reminder ("remind
//! selected" from the list), a user's Assign License (the worklist), and the worklist's own
//! page and downloads. Reads go through the pool as every route's do; each change goes
//! through [`Connections::write`](super::pool::Connections::write) and the same library calls
//! as `rollcall remind send` and `rollcall licenses mark`, so the log and the worklist are the
//! ones the CLI writes. The routes that change state are POST only, behind the cross-site
//! guard (`head::guard_state_change`), and take their values from the query string: no
//! request body is read.

use std::time::Duration;

use anyhow::Result;
use serde::Serialize;

use super::params::{Params, View};
use super::pool::Shared;
use super::reply::Reply;
use crate::domain::FilterSet;
use crate::error::Failure;
use crate::licenses::Action;
use crate::read::{Detail, Reader};
use crate::remind::{self, Composer, Delivery, Recipient, SendOptions};

/// What the console's actions are made with: `serve`'s `--org`, `--from`, `--templates`,
/// `--via` and its options, `--min-interval`.
pub(crate) struct Actions {
    pub(crate) composer: Composer,
    pub(crate) delivery: Delivery,
    pub(crate) send: SendOptions,
}

/// The most users one Send Reminder names: a larger send is the CLI's (`remind send`, which
/// asks before it sends more than 50). The console's selection is capped at it (the page
/// learns it from `report::PageData`).
pub(crate) const REMIND_MAX: usize = 50;
/// The longest a worklist note may be, in characters.
pub(super) const NOTE_MAX: usize = 500;
/// How long a change waits for the requests still reading the database, and for another
/// process holding it.
const WRITE_WAIT: Duration = Duration::from_secs(10);

fn usage(message: String) -> anyhow::Error {
    Failure::Usage(message).into()
}

/// The user `email` names, who must be among the users the view shows (404 otherwise, as
/// `/api/user` answers).
pub(super) fn in_view(r: &Reader, view: &View, email: &str) -> Result<Detail> {
    let d = r.detail(email)?;
    if view.filters != FilterSet::default() && !r.selects(&view.filters, email)? {
        return Err(Failure::NotFound {
            message: format!(
                "{} is not among the users this view shows ({})",
                d.email,
                view.filters.describe()
            ),
            suggestions: Vec::new(),
        }
        .into());
    }
    Ok(d)
}

/// The `email` values of a request (each may be a comma-free address; repeated for several).
fn emails(p: &Params, max: usize) -> Result<Vec<String>> {
    let list: Vec<String> = p
        .all("email")
        .into_iter()
        .map(|e| e.trim().to_string())
        .filter(|e| !e.is_empty())
        .collect();
    if list.is_empty() {
        return Err(usage("email: required (email=ADDRESS)".into()));
    }
    if list.len() > max {
        return Err(usage(format!(
            "{} users named: at most {max} at once here (`rollcall remind send` sends to more)",
            list.len()
        )));
    }
    Ok(list)
}

fn boolean(p: &Params, key: &str) -> Result<bool> {
    match p.one(key) {
        None | Some("0") | Some("false") => Ok(false),
        Some("1") | Some("true") | Some("") => Ok(true),
        Some(other) => Err(usage(format!(
            "{key}={}: expected 1 or 0",
            crate::util::echo(other)
        ))),
    }
}

#[derive(Serialize)]
struct Preview {
    email: String,
    stage: &'static str,
    reminders_sent: i64,
    from: String,
    to: String,
    #[serde(flatten)]
    parts: remind::Parts,
    /// The whole message as `remind preview` prints it (and as a send would deliver it, with
    /// that moment's Date and Message-ID).
    raw: String,
}

/// `GET /api/remind/preview?email=`: the reminder a pending user would be sent now.
pub(super) fn preview(shared: &Shared, p: &Params, view: &View) -> Result<Reply> {
    let email = emails(p, 1)?.remove(0);
    let d = shared.read(&view.request, |r, _| {
        r.check(&view.filters)?;
        in_view(r, view, &email)
    })?;
    let r = Recipient::of(&d);
    if !r.pending() {
        return Err(usage(format!(
            "{}: no reminder to preview: {}",
            r.email,
            r.not_pending()
        )));
    }
    let composer = &shared.actions.composer;
    let message = composer.compose(&r, remind::now()?)?;
    let to = match &d.name {
        Some(n) if !n.trim().is_empty() => format!("{n} <{}>", d.email),
        _ => d.email.clone(),
    };
    Ok(Reply::json(&Preview {
        stage: r.stage.name(),
        reminders_sent: d.reminders_sent,
        from: composer.from(),
        to,
        parts: composer.parts(&r)?,
        raw: String::from_utf8_lossy(&message.formatted()).into_owned(),
        email: d.email,
    }))
}

#[derive(Serialize)]
struct Sent {
    snapshot: i64,
    /// Where the messages went, in words ("outbox: DIR", "via smtp://…").
    via: String,
    sent: u64,
    skipped: u64,
    failed: u64,
    results: Vec<remind::Attempt>,
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    status: Option<u16>,
}

/// `POST /api/remind?email=…[&email=…][&force=1]`: sends the named users their reminder as
/// `remind send EMAIL…` does (pending only, `--min-interval` unless forced, every attempt
/// logged). 200 when none failed; 502 with the same account when any did.
pub(super) fn remind(shared: &Shared, p: &Params, view: &View) -> Result<Reply> {
    let wanted = emails(p, REMIND_MAX)?;
    let mut opts = shared.actions.send.clone();
    opts.force = boolean(p, "force")?;
    let (snapshot, recipients) = shared.read(&view.request, |r, _| {
        r.check(&view.filters)?;
        let mut seen = std::collections::HashSet::new();
        let mut out = Vec::new();
        for email in &wanted {
            let rc = Recipient::of(&in_view(r, view, email)?);
            if seen.insert(rc.email_key.clone()) {
                out.push(rc);
            }
        }
        Ok((r.scope().snapshot.id, out))
    })?;
    let (mut channel, via) = shared.actions.delivery.channel()?;
    let mut results = Vec::new();
    let tally = shared.connections.write(WRITE_WAIT, |store| {
        remind::send(
            store,
            snapshot,
            &recipients,
            &shared.actions.composer,
            channel.as_mut(),
            &opts,
            &mut |attempt| results.push(attempt),
        )
    })?;
    let failed = tally.failed > 0;
    let status = if failed { 502 } else { 200 };
    let mut reply = Reply::json(&Sent {
        snapshot,
        via,
        sent: tally.sent,
        skipped: tally.skipped,
        failed: tally.failed,
        results,
        error: failed.then(|| {
            format!(
                "{} of {} reminders failed (logged in reminder_log; the others were sent)",
                tally.failed,
                tally.sent + tally.failed
            )
        }),
        status: failed.then_some(status),
    });
    reply.status = status;
    Ok(reply)
}

#[derive(Serialize)]
struct Marked {
    snapshot: i64,
    action: &'static str,
    marked: Vec<String>,
    /// Every decision is open until a later snapshot shows the change.
    state: &'static str,
}

/// `POST /api/worklist/mark?email=…&action=assign|reclaim[&note=TEXT]`: records the decision
/// as `licenses mark` does (all named users or none; an assign only for a user without a
/// license, a reclaim only for one with).
pub(super) fn mark(shared: &Shared, p: &Params, view: &View) -> Result<Reply> {
    let wanted = emails(p, REMIND_MAX)?;
    let action = match p.one("action").unwrap_or("assign") {
        "assign" => Action::Assign,
        "reclaim" => Action::Reclaim,
        other => {
            return Err(usage(format!(
                "action={}: expected assign or reclaim",
                crate::util::echo(other)
            )))
        }
    };
    let note = p.one("note").map(str::trim).filter(|n| !n.is_empty());
    if note.is_some_and(|n| n.chars().count() > NOTE_MAX) {
        return Err(usage(format!("note: longer than {NOTE_MAX} characters")));
    }
    let (snapshot, marks) = shared.read(&view.request, |r, _| {
        r.check(&view.filters)?;
        for email in &wanted {
            in_view(r, view, email)?;
        }
        let marks = r.plan_marks(&wanted, action, note, remind::now()?)?;
        Ok((r.scope().snapshot.id, marks))
    })?;
    shared
        .connections
        .write(WRITE_WAIT, |store| store.record_marks(&marks))?;
    Ok(Reply::json(&Marked {
        snapshot,
        action: action.name(),
        marked: marks.into_iter().map(|m| m.email).collect(),
        state: "open",
    }))
}

/// Every worklist decision with its state, without the join key (as `licenses list` shows).
fn decisions(shared: &Shared, view: &View) -> Result<crate::output::Grid> {
    let mut g = shared.read(&view.request, |r, _| r.license_decisions())?;
    if let Some(i) = g.headers.iter().position(|h| h == "email_key") {
        g.headers.remove(i);
        for row in &mut g.rows {
            row.remove(i);
        }
    }
    Ok(g)
}

fn open_count(g: &crate::output::Grid) -> usize {
    let state = g.headers.iter().position(|h| h == "state");
    g.rows
        .iter()
        .filter(|r| state.is_some_and(|i| r[i].text() == "open"))
        .count()
}

/// `GET /api/worklist`: every decision, open or done, as `licenses list --format json`.
pub(super) fn worklist(shared: &Shared, view: &View) -> Result<Reply> {
    let g = decisions(shared, view)?;
    Ok(Reply::json(&serde_json::json!({
        "total": g.rows.len(),
        "open": open_count(&g),
        "decisions": crate::output::json_rows(&g),
    })))
}

/// `GET /worklist.csv`: the decisions as `licenses list --format csv` writes them (text cells
/// formula-guarded).
pub(super) fn worklist_csv(shared: &Shared, view: &View) -> Result<Reply> {
    let g = decisions(shared, view)?;
    Ok(Reply::new(
        200,
        "text/csv; charset=utf-8",
        crate::output::csv_string(&g, false)?.into_bytes(),
    )
    .with_header(
        "Content-Disposition",
        "attachment; filename=\"rollcall-license-worklist.csv\"".to_string(),
    ))
}

/// `GET /licenses-todo.csv?[FILTERS][&reclaim-after=90d]`: whom to assign a license to and
/// whom to reclaim one from, as `licenses todo --format csv` writes it.
pub(super) fn todo_csv(shared: &Shared, p: &Params, view: &View) -> Result<Reply> {
    let text = p.one("reclaim-after").unwrap_or("90d");
    let days =
        crate::licenses::parse_days(text).map_err(|e| usage(format!("reclaim-after {e}")))?;
    let (snapshot, g) = shared.read(&view.request, |r, _| {
        r.check(&view.filters)?;
        Ok((r.scope().snapshot.id, r.license_todo(&view.filters, days)?))
    })?;
    let name = crate::export::download_name(snapshot, &view.filters, "csv").replacen(
        "rollcall-",
        "rollcall-licenses-todo-",
        1,
    );
    Ok(Reply::new(
        200,
        "text/csv; charset=utf-8",
        crate::output::csv_string(&g, false)?.into_bytes(),
    )
    .with_header(
        "Content-Disposition",
        format!("attachment; filename=\"{name}\""),
    ))
}

/// `GET /worklist`: the decisions as a page (no script), with the two downloads.
pub(super) fn worklist_page(shared: &Shared, view: &View) -> Result<Reply> {
    let g = decisions(shared, view)?;
    let open = open_count(&g);
    let rows: Vec<Vec<String>> = g
        .rows
        .iter()
        .map(|r| r.iter().map(|c| c.text()).collect())
        .collect();
    let page = crate::report::side_page(
        crate::report::SidePage::Worklist {
            headers: &g.headers,
            rows: &rows,
            open,
        },
        &shared.title,
        &shared.templates,
    )?;
    Ok(super::routes::html_reply(page))
}
