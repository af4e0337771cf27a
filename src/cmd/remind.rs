//! `rollcall remind preview|send`: setup reminders for Pending users (see [`crate::remind`]).

use std::io::{BufRead, IsTerminal};

use anyhow::{anyhow, Result};

use super::Ctx;
use crate::cli::{
    DeliveryArgs, MessageArgs, RemindCommand, RemindPreviewArgs, RemindSendArgs, SmtpTlsArg, Via,
};
use crate::error::Failure;
use crate::read::ReadRequest;
use crate::remind::{self, Composer, Decision, Delivery, Recipient, SendOptions, SmtpTls};
use crate::report::Templates;
use crate::store::Store;

/// A send to more recipients than this asks first (or needs `--yes`).
const ASK_ABOVE: usize = 50;

pub(super) fn run(ctx: &Ctx, c: RemindCommand) -> Result<()> {
    match c {
        RemindCommand::Preview(a) => preview(ctx, a),
        RemindCommand::Send(a) => send(ctx, a),
    }
}

fn composer(m: &MessageArgs) -> Result<Composer> {
    Composer::new(
        &Templates::new(m.templates.clone())?,
        &m.sender.org,
        &m.sender.from,
    )
}

fn preview(ctx: &Ctx, a: RemindPreviewArgs) -> Result<()> {
    let composer = composer(&a.message)?;
    let reader = ctx.reader(&ReadRequest {
        snapshot: a.snapshot,
        ..ReadRequest::default()
    })?;
    let r = Recipient::of(&reader.detail(&a.email)?);
    if !r.pending() {
        return Err(Failure::Usage(format!(
            "{}: no reminder to preview: {}",
            r.email,
            r.not_pending()
        ))
        .into());
    }
    let m = composer.compose(&r, remind::now()?)?;
    super::emit(None, &String::from_utf8_lossy(&m.formatted()))
}

fn send(ctx: &Ctx, a: RemindSendArgs) -> Result<()> {
    let composer = composer(&a.message)?;
    let opts = SendOptions {
        min_interval: crate::bounds::parse_wait(&a.min_interval)
            .map_err(|e| Failure::Usage(format!("--min-interval {e}")))?,
        interval_text: a.min_interval.trim().to_string(),
        force: a.force,
    };
    let wait =
        crate::bounds::parse_wait(&a.wait).map_err(|e| Failure::Usage(format!("--wait {e}")))?;
    let filtering = !super::filter_pairs(&a.filters).is_empty();
    if a.emails.is_empty() != filtering {
        return Err(Failure::Usage(
            "name the users by EMAIL, or select them with filters (e.g. --status pending), not both"
                .into(),
        )
        .into());
    }
    let (reader, filters) = ctx.filtered(&a.filters)?;
    let recipients = if filtering {
        remind::recipients(&reader, &filters)?
    } else {
        let mut seen = std::collections::HashSet::new();
        let mut out = Vec::new();
        for email in &a.emails {
            let r = Recipient::of(&reader.detail(email)?);
            if seen.insert(r.email_key.clone()) {
                out.push(r);
            }
        }
        out
    };
    let snapshot = reader.scope().snapshot.id;
    // The plan, from the log as it is now: what --dry-run shows and what the question counts.
    let now = remind::now()?;
    let mut to_send = 0usize;
    let mut plan = Vec::new();
    for r in &recipients {
        let last = if r.pending() {
            reader.store().last_reminded(&r.email_key)?
        } else {
            None
        };
        let d = remind::decide(r, last, now, &opts);
        to_send += usize::from(d == Decision::Send);
        plan.push(match d {
            Decision::Send => format!("would send {} ({})", r.email, r.stage.name()),
            Decision::Skip(why) => format!("would skip {}: {why}", r.email),
        });
    }
    drop(reader);
    if a.dry_run {
        plan.push(format!(
            "dry run: {to_send} of {} would be sent; nothing written or logged",
            recipients.len()
        ));
        return super::emit(None, &(plan.join("\n") + "\n"));
    }
    if to_send > ASK_ABOVE && !a.yes && !confirm(to_send)? {
        return Err(Failure::Usage(format!(
            "{to_send} reminders to send: more than {ASK_ABOVE} need --yes (or a yes on a terminal); nothing sent"
        ))
        .into());
    }
    let delivery = delivery(&a.delivery)?;
    if delivery.exposes_password() {
        note!("warning: --smtp-tls: the SMTP password may cross the network unencrypted");
    }
    let (mut channel, place) = delivery.channel()?;
    let store = Store::open_writer(&ctx.db, ctx.sql.clone(), wait, &mut |pid| {
        let who = pid.map(|p| format!(" (PID {p})")).unwrap_or_default();
        note!("waiting for another process{who} to close the database");
    })?;
    let tally = remind::send(
        &store,
        snapshot,
        &recipients,
        &composer,
        channel.as_mut(),
        &opts,
        &mut |attempt| {
            // Each line as it happens, so a long send shows its progress.
            let _ = super::emit(None, &(attempt.line + "\n"));
        },
    )?;
    drop(store);
    super::emit(
        None,
        &format!(
            "{} sent, {} skipped, {} failed ({place})\n",
            tally.sent, tally.skipped, tally.failed,
        ),
    )?;
    if tally.failed > 0 {
        return Err(anyhow!(
            "{} of {} reminders failed (logged in reminder_log; the others were sent)",
            tally.failed,
            tally.sent + tally.failed
        ));
    }
    Ok(())
}

/// The delivery the flags name (`remind send`, `serve`).
pub(super) fn delivery(a: &DeliveryArgs) -> Result<Delivery> {
    Ok(match a.via {
        Via::Outbox => Delivery::Outbox(a.outbox.clone()),
        Via::Sendmail => Delivery::Sendmail(a.sendmail.clone()),
        Via::Smtp => Delivery::Smtp {
            url: a.smtp_url.clone().ok_or_else(|| {
                Failure::Usage("--via smtp needs --smtp-url smtp://HOST[:PORT]".into())
            })?,
            tls: match a.smtp_tls {
                SmtpTlsArg::Required => SmtpTls::Required,
                SmtpTlsArg::Opportunistic => SmtpTls::Opportunistic,
                SmtpTlsArg::None => SmtpTls::None,
            },
        },
    })
}

/// Asks on a terminal; anywhere else the answer is no (`--yes` is the way to say yes).
fn confirm(n: usize) -> Result<bool> {
    let stdin = std::io::stdin();
    if !stdin.is_terminal() {
        return Ok(false);
    }
    crate::util::stderr_line(&format!("Send {n} reminders? [y/N] "));
    let mut line = String::new();
    stdin.lock().read_line(&mut line)?;
    Ok(matches!(line.trim(), "y" | "Y" | "yes" | "YES" | "Yes"))
}
