//! Setup reminders (`rollcall remind`): who gets one (Pending users, not reminded within the
//! minimum interval), what it says (minijinja templates under `report-templates/email/`, one
//! set per stage), the message itself (built by lettre: RFC 5322 headers, RFC 2047 names,
//! multipart/alternative, a Message-ID), where it goes (the outbox: one `.eml` per message) and
//! the `reminder_log` row each attempt leaves. Nothing here knows about flags.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{anyhow, Context, Result};
use chrono::{DateTime, Utc};
use lettre::message::{Mailbox, MultiPart, SinglePart};
use lettre::{Address, Message};

use crate::domain::{self, FilterSet};
use crate::error::Failure;
use crate::output::Cell;
use crate::read::{Detail, Reader};
use crate::report::Templates;
use crate::store::{LogEntry, Store};

/// The one channel so far: `.eml` files in a folder.
pub(crate) const OUTBOX: &str = "outbox";
pub(crate) const SENDMAIL: &str = "sendmail";
pub(crate) const SMTP: &str = "smtp";
/// The environment variables an SMTP server's credentials come from (never the command line,
/// where other users of the machine can read them).
pub(crate) const SMTP_USER_VAR: &str = "ROLLCALL_SMTP_USER";
pub(crate) const SMTP_PASSWORD_VAR: &str = "ROLLCALL_SMTP_PASSWORD";

/// How `--via smtp` protects the connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum SmtpTls {
    /// STARTTLS, or no delivery at all.
    Required,
    /// STARTTLS when the server offers it, plain text otherwise.
    Opportunistic,
    /// Plain text always (a trusted local relay).
    None,
}

/// Test-only: the instant rollcall takes as now (ISO 8601), so a preview's Date and Message-ID
/// and the log's times are the same on every run.
const TEST_NOW: &str = "ROLLCALL_TEST_NOW";
/// Test-only: abort the process (as a kill would) right after this many messages were sent
/// and logged, so a test can re-run an interrupted bulk send.
const TEST_STOP_AFTER: &str = "ROLLCALL_TEST_STOP_AFTER_SENDS";

/// The pending stage a reminder is about: the first one the user has not done.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Stage {
    Activate,
    Setup,
    Data,
}

impl Stage {
    /// The template set's name, and the log's `stage`.
    pub(crate) fn name(self) -> &'static str {
        match self {
            Stage::Activate => "activate",
            Stage::Setup => "setup",
            Stage::Data => "data",
        }
    }

    /// The first stage not known to be done. A stage the export did not carry (NULL) counts as
    /// not done; a Pending user with every stage done (the export's Status said so) gets the
    /// last one's reminder.
    pub(crate) fn next(activated: Option<bool>, setup: Option<bool>, data: Option<bool>) -> Stage {
        [
            (activated, Stage::Activate),
            (setup, Stage::Setup),
            (data, Stage::Data),
        ]
        .into_iter()
        .find(|(done, _)| *done != Some(true))
        .map_or(Stage::Data, |(_, s)| s)
    }
}

/// A user a reminder may go to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Recipient {
    pub(crate) name: Option<String>,
    pub(crate) email: String,
    pub(crate) email_key: String,
    pub(crate) status: String,
    pub(crate) stage: Stage,
}

impl Recipient {
    pub(crate) fn of(d: &Detail) -> Recipient {
        let done = |i: usize| d.stages.get(i).and_then(|s| s.done);
        Recipient {
            name: d.name.clone(),
            email: d.email.clone(),
            email_key: crate::email::key(&d.email),
            status: d.status.clone(),
            stage: Stage::next(done(0), done(1), done(2)),
        }
    }

    pub(crate) fn pending(&self) -> bool {
        self.status == "pending"
    }

    /// Why a user who is not Pending gets no reminder.
    pub(crate) fn not_pending(&self) -> String {
        format!(
            "status is {}, not Pending User Action",
            domain::status_label(&self.status)
        )
    }
}

/// The users of the reader's snapshot that `filters` select, by email key.
pub(crate) fn recipients(reader: &Reader, filters: &FilterSet) -> Result<Vec<Recipient>> {
    let s = reader.sql().fill(
        "remind/candidates.sql",
        &[("where", &crate::read::predicate(reader.sql(), filters)?)],
    )?;
    let g = reader.store().grid(&s)?;
    let [name, email, key, status, act, setup, data] = g.columns(
        [
            "name",
            "email",
            "email_key",
            "status",
            "license_activated",
            "app_setup_completed",
            "data_added",
        ],
        "remind/candidates.sql",
    )?;
    let flag = |c: &Cell| match c {
        Cell::Bool(b) => Some(*b),
        _ => None,
    };
    Ok(g.rows
        .iter()
        .map(|r| Recipient {
            name: match &r[name] {
                Cell::Null => None,
                c => Some(c.text()),
            },
            email: r[email].text(),
            email_key: r[key].text(),
            status: r[status].text(),
            stage: Stage::next(flag(&r[act]), flag(&r[setup]), flag(&r[data])),
        })
        .collect())
}

/// Now, or `ROLLCALL_TEST_NOW` in the tests.
pub(crate) fn now() -> Result<DateTime<Utc>> {
    match std::env::var(TEST_NOW) {
        Ok(t) => crate::ingest::parse_iso(t.trim())
            .ok_or_else(|| anyhow!("{TEST_NOW} '{t}': not an ISO 8601 timestamp")),
        Err(_) => Ok(Utc::now()),
    }
}

/// Renders and builds messages: the templates in force, the organisation and the sender.
pub(crate) struct Composer {
    env: minijinja::Environment<'static>,
    org: String,
    from: Mailbox,
}

impl Composer {
    /// `from` is a mailbox (`it@example.com` or `IT <it@example.com>`); a wrong one is a usage
    /// error.
    pub(crate) fn new(templates: &Templates, org: &str, from: &str) -> Result<Composer> {
        let from: Mailbox = from
            .parse()
            .map_err(|e| Failure::Usage(format!("--from '{from}': not an email address ({e})")))?;
        Ok(Composer {
            env: templates.email_environment(),
            org: org.to_string(),
            from,
        })
    }

    fn render(&self, file: &str, ctx: &minijinja::Value) -> Result<String> {
        self.env
            .get_template(file)
            .and_then(|t| t.render(ctx))
            .map_err(|e| anyhow!("report-templates/{file}: {e:#}"))
    }

    /// What the reminder for `r` says: its subject and both bodies, rendered from the stage's
    /// templates.
    pub(crate) fn parts(&self, r: &Recipient) -> Result<Parts> {
        let stage = r.stage.name();
        let mut ctx = minijinja::context! {
            name => greeting(r.name.as_deref(), &r.email),
            email => r.email,
            org => self.org,
            stage => stage,
        };
        // A subject is one line, whatever the template's line breaks.
        let subject = self
            .render(&format!("email/{stage}.subject.j2"), &ctx)?
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ");
        ctx = minijinja::context! { subject => subject, ..ctx };
        let text = self.render(&format!("email/{stage}.txt.j2"), &ctx)?;
        let html = self.render(&format!("email/{stage}.html.j2"), &ctx)?;
        Ok(Parts {
            subject,
            text,
            html,
        })
    }

    /// The sender, as the From header shows it.
    pub(crate) fn from(&self) -> String {
        self.from.to_string()
    }

    /// The reminder for `r` about their next stage, dated `at`.
    pub(crate) fn compose(&self, r: &Recipient, at: DateTime<Utc>) -> Result<Message> {
        let stage = r.stage.name();
        let Parts {
            subject,
            text,
            html,
        } = self.parts(r)?;
        let address: Address = r
            .email
            .parse()
            .with_context(|| format!("{}: not an address a message can go to", r.email))?;
        let name = r.name.clone().filter(|n| !n.trim().is_empty());
        // The Message-ID and boundary derive from the user, stage and instant: unique per
        // message, and the same on every run of a preview at a fixed ROLLCALL_TEST_NOW.
        let micros = at.timestamp_micros();
        let hash =
            crate::util::sha256_hex(format!("{}\n{stage}\n{micros}", r.email_key).as_bytes());
        let message_id = format!(
            "<rollcall.{micros}.{}@{}>",
            &hash[..16],
            self.from.email.domain()
        );
        Message::builder()
            .from(self.from.clone())
            .to(Mailbox::new(name, address))
            .subject(subject)
            .date(at.into())
            .message_id(Some(message_id))
            .multipart(
                MultiPart::alternative()
                    .boundary(format!("rollcall-{}", &hash[16..40]))
                    .singlepart(SinglePart::plain(text))
                    .singlepart(SinglePart::html(html)),
            )
            .context("building the message")
    }
}

/// A reminder's words, before they become a message.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub(crate) struct Parts {
    pub(crate) subject: String,
    pub(crate) text: String,
    pub(crate) html: String,
}

/// How a reminder greets its user: their name, or their address's local part when the export
/// has no name.
pub(crate) fn greeting(name: Option<&str>, email: &str) -> String {
    match name {
        Some(n) if !n.trim().is_empty() => n.to_string(),
        _ => email.split('@').next().unwrap_or_default().to_string(),
    }
}

/// The Message-ID header's value.
pub(crate) fn message_id(m: &Message) -> Option<String> {
    m.headers()
        .get_raw("Message-ID")
        .map(|v| v.trim().to_string())
}

/// Where messages go.
pub(crate) trait Channel {
    fn name(&self) -> &'static str;
    /// Delivers one message; returns where it went.
    fn deliver(&mut self, r: &Recipient, m: &Message, at: DateTime<Utc>) -> Result<String>;
}

/// Where messages go, as configured (the CLI's `remind send` and `serve` build it from their
/// flags); [`channel`](Delivery::channel) makes the channel for one send.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Delivery {
    Outbox(PathBuf),
    Sendmail(PathBuf),
    Smtp { url: String, tls: SmtpTls },
}

impl Delivery {
    /// Whether credentials would cross the network in plain text (SMTP with credentials set
    /// and STARTTLS not required): the caller warns.
    pub(crate) fn exposes_password(&self) -> bool {
        matches!(self, Delivery::Smtp { tls, .. } if *tls != SmtpTls::Required)
            && std::env::var_os(SMTP_USER_VAR).is_some()
            && std::env::var_os(SMTP_PASSWORD_VAR).is_some()
    }

    /// The channel, and where it delivers in words ("outbox: DIR", "via URL").
    pub(crate) fn channel(&self) -> Result<(Box<dyn Channel + Send>, String)> {
        Ok(match self {
            Delivery::Outbox(dir) => (
                Box::new(Outbox { dir: dir.clone() }),
                format!("outbox: {}", dir.display()),
            ),
            Delivery::Sendmail(program) => (
                Box::new(Sendmail {
                    program: program.clone(),
                }),
                format!("via {} -t -i", program.display()),
            ),
            Delivery::Smtp { url, tls } => (Box::new(Smtp::new(url, *tls)?), format!("via {url}")),
        })
    }
}

/// `--via outbox`: one `.eml` file per message.
pub(crate) struct Outbox {
    pub(crate) dir: PathBuf,
}

impl Outbox {
    /// The file a message goes to: its instant, the user and the stage, so names sort by time
    /// and never collide.
    pub(crate) fn file(&self, r: &Recipient, at: DateTime<Utc>) -> PathBuf {
        let who: String = r
            .email_key
            .chars()
            .map(|c| {
                if c.is_alphanumeric() || "@.-_+".contains(c) {
                    c
                } else {
                    '_'
                }
            })
            .collect();
        self.dir.join(format!(
            "{}-{who}-{}.eml",
            at.format("%Y%m%dT%H%M%S%6fZ"),
            r.stage.name()
        ))
    }
}

impl Channel for Outbox {
    fn name(&self) -> &'static str {
        OUTBOX
    }

    fn deliver(&mut self, r: &Recipient, m: &Message, at: DateTime<Utc>) -> Result<String> {
        // Two messages to one user in the same microsecond (a forced resend under a fixed
        // clock) get ".2.eml", ".3.eml"…: a message never replaces another (anything else in
        // the way is a failed delivery).
        let first = self.file(r, at);
        let mut path = first.clone();
        let mut n = 1;
        while path.is_file() && n < 1000 {
            n += 1;
            path = first.with_extension(format!("{n}.eml"));
        }
        write_new(&path, &m.formatted()).with_context(|| format!("writing {}", path.display()))?;
        Ok(path.display().to_string())
    }
}

/// `--via sendmail`: each message piped to the local MTA, `PROGRAM -t -i` (the recipients from
/// the message's own headers; `-i`: a line holding a lone dot is text, not the end). A non-zero
/// exit is a failed delivery, with the first line the program wrote to standard error.
pub(crate) struct Sendmail {
    pub(crate) program: PathBuf,
}

impl Channel for Sendmail {
    fn name(&self) -> &'static str {
        SENDMAIL
    }

    fn deliver(&mut self, _: &Recipient, m: &Message, _: DateTime<Utc>) -> Result<String> {
        use std::process::{Command, Stdio};
        let shown = format!("{} -t -i", self.program.display());
        let mut child = Command::new(&self.program)
            .args(["-t", "-i"])
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .with_context(|| format!("running {shown}"))?;
        // A program that exits without reading closes the pipe: its exit status says why.
        let written = child
            .stdin
            .take()
            .expect("stdin is piped")
            .write_all(&m.formatted());
        let out = child
            .wait_with_output()
            .with_context(|| format!("waiting for {shown}"))?;
        if !out.status.success() {
            let said = String::from_utf8_lossy(&out.stderr);
            let said = said.lines().find(|l| !l.trim().is_empty()).unwrap_or("");
            return Err(anyhow!(
                "{shown} failed ({}){}",
                out.status,
                if said.is_empty() {
                    String::new()
                } else {
                    format!(": {}", crate::util::echo(said))
                }
            ));
        }
        written.with_context(|| format!("writing the message to {shown}"))?;
        Ok(shown)
    }
}

/// `--via smtp`: each message sent to an SMTP server (`smtp://host[:port]`, port 25 by default)
/// with lettre's client, STARTTLS as `--smtp-tls` says (rustls, Mozilla's roots), credentials
/// from [`SMTP_USER_VAR`] and [`SMTP_PASSWORD_VAR`] when both are set. A refusal (a 5xx for the
/// recipient, a connection that fails) is a failed delivery with the server's words.
pub(crate) struct Smtp {
    transport: lettre::SmtpTransport,
    shown: String,
}

impl Smtp {
    pub(crate) fn new(url: &str, tls: SmtpTls) -> Result<Smtp> {
        use lettre::transport::smtp::authentication::Credentials;
        use lettre::transport::smtp::client::{Tls, TlsParameters};
        let bad = || {
            Failure::Usage(format!(
                "--smtp-url {}: expected smtp://HOST or smtp://HOST:PORT",
                crate::util::echo(url)
            ))
        };
        let rest = url.strip_prefix("smtp://").ok_or_else(bad)?;
        let rest = rest.trim_end_matches('/');
        let (host, port) = match rest.rsplit_once(':') {
            Some((h, p)) if !h.is_empty() => (h, p.parse::<u16>().map_err(|_| bad())?),
            None if !rest.is_empty() => (rest, 25),
            _ => return Err(bad().into()),
        };
        let host = host.trim_start_matches('[').trim_end_matches(']');
        if host.is_empty() || host.contains(['/', '@', '?', '#']) {
            return Err(bad().into());
        }
        let params =
            || TlsParameters::new(host.to_string()).with_context(|| format!("TLS for {host}"));
        let tls = match tls {
            SmtpTls::Required => Tls::Required(params()?),
            SmtpTls::Opportunistic => Tls::Opportunistic(params()?),
            SmtpTls::None => Tls::None,
        };
        let mut builder = lettre::SmtpTransport::builder_dangerous(host)
            .port(port)
            .tls(tls)
            .timeout(Some(Duration::from_secs(30)));
        if let (Ok(user), Ok(password)) = (
            std::env::var(SMTP_USER_VAR),
            std::env::var(SMTP_PASSWORD_VAR),
        ) {
            builder = builder.credentials(Credentials::new(user, password));
        }
        Ok(Smtp {
            transport: builder.build(),
            shown: format!("smtp://{host}:{port}"),
        })
    }
}

impl Channel for Smtp {
    fn name(&self) -> &'static str {
        SMTP
    }

    fn deliver(&mut self, _: &Recipient, m: &Message, _: DateTime<Utc>) -> Result<String> {
        use lettre::Transport;
        let response = self
            .transport
            .send(m)
            .map_err(|e| anyhow!("{}: {}", self.shown, crate::util::echo(&e.to_string())))?;
        let said: Vec<&str> = response.message().collect();
        Ok(format!(
            "{} ({} {})",
            self.shown,
            response.code(),
            crate::util::echo(&said.join(" "))
        ))
    }
}

/// Writes a new file whole or not at all (a temporary name, synced, renamed into place): a
/// kill never leaves half a message in the outbox.
fn write_new(path: &Path, bytes: &[u8]) -> Result<()> {
    if path.exists() {
        return Err(anyhow!("it already exists"));
    }
    let dir = path.parent().unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir)?;
    let mut tmp = tempfile::NamedTempFile::new_in(dir)?;
    tmp.write_all(bytes)?;
    tmp.as_file().sync_all()?;
    tmp.persist(path).map_err(|e| e.error)?;
    Ok(())
}

/// What became of one recipient of a send, as it happens.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub(crate) struct Attempt {
    pub(crate) email: String,
    /// sent | skipped | failed, as `reminder_log.outcome`.
    pub(crate) outcome: &'static str,
    /// What `remind send` prints of it.
    pub(crate) line: String,
}

impl Attempt {
    fn of(r: &Recipient, outcome: &'static str, line: String) -> Attempt {
        Attempt {
            email: r.email.clone(),
            outcome,
            line,
        }
    }
}

/// How a send decides and behaves.
#[derive(Debug, Clone)]
pub(crate) struct SendOptions {
    pub(crate) min_interval: Duration,
    /// `--min-interval` as given, for the skip reason.
    pub(crate) interval_text: String,
    pub(crate) force: bool,
}

/// What happens to one recipient.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Decision {
    Send,
    Skip(String),
}

/// Pending users not reminded within the interval (or any, with `force`) get a reminder.
pub(crate) fn decide(
    r: &Recipient,
    last: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
    opts: &SendOptions,
) -> Decision {
    if !r.pending() {
        return Decision::Skip(r.not_pending());
    }
    match last {
        Some(t)
            if !opts.force
                && now.signed_duration_since(t).to_std().unwrap_or_default()
                    < opts.min_interval =>
        {
            Decision::Skip(format!(
                "reminded {}, within --min-interval {} (--force sends anyway)",
                t.format("%Y-%m-%d %H:%M:%S UTC"),
                opts.interval_text
            ))
        }
        _ => Decision::Send,
    }
}

/// What a send did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Tally {
    pub(crate) sent: u64,
    pub(crate) failed: u64,
    pub(crate) skipped: u64,
}

/// Sends to `recipients` through `channel`, logging every attempt in the database of `store`
/// (open for writing), and reporting each as a line through `say`.
///
/// The order makes a killed run safe to repeat: the interval is checked against the log just
/// before each message, the message is delivered, then its `sent` row is committed before the
/// next one. A re-run skips everyone whose send was logged. The one window left is a kill
/// between a delivery and its commit: that user's message exists and is not logged, so a re-run
/// sends them a second one.
pub(crate) fn send(
    store: &Store,
    snapshot_id: i64,
    recipients: &[Recipient],
    composer: &Composer,
    channel: &mut dyn Channel,
    opts: &SendOptions,
    say: &mut dyn FnMut(Attempt),
) -> Result<Tally> {
    let stop_after: Option<u64> = std::env::var(TEST_STOP_AFTER)
        .ok()
        .and_then(|v| v.parse().ok());
    let mut tally = Tally::default();
    let via = channel.name();
    let entry = |r: &Recipient, at, outcome, reason: Option<String>| LogEntry {
        email_key: r.email_key.clone(),
        email: r.email.clone(),
        snapshot_id,
        stage: r.pending().then(|| r.stage.name()),
        at,
        channel: via,
        message_id: None,
        destination: None,
        outcome,
        reason,
    };
    // Those who are not Pending are skipped together, in one commit.
    let at = now()?;
    let mut skips = Vec::new();
    for r in recipients.iter().filter(|r| !r.pending()) {
        let reason = r.not_pending();
        say(Attempt::of(
            r,
            "skipped",
            format!("skipped {}: {reason}", r.email),
        ));
        skips.push(entry(r, at, "skipped", Some(reason)));
    }
    tally.skipped += skips.len() as u64;
    store.log_reminders(&skips)?;
    for r in recipients.iter().filter(|r| r.pending()) {
        let at = now()?;
        if let Decision::Skip(reason) = decide(r, store.last_reminded(&r.email_key)?, at, opts) {
            say(Attempt::of(
                r,
                "skipped",
                format!("skipped {}: {reason}", r.email),
            ));
            store.log_reminders(&[entry(r, at, "skipped", Some(reason))])?;
            tally.skipped += 1;
            continue;
        }
        let mut e = entry(r, at, "sent", None);
        let delivered = composer.compose(r, at).and_then(|m| {
            e.message_id = message_id(&m);
            channel.deliver(r, &m, at)
        });
        match delivered {
            Ok(destination) => {
                say(Attempt::of(
                    r,
                    "sent",
                    format!("sent    {} ({}): {destination}", r.email, r.stage.name()),
                ));
                e.destination = Some(destination);
                tally.sent += 1;
            }
            Err(err) => {
                let reason = crate::store::one_line(&format!("{err:#}"));
                say(Attempt::of(
                    r,
                    "failed",
                    format!("failed  {}: {reason}", r.email),
                ));
                e.outcome = "failed";
                e.reason = Some(reason);
                tally.failed += 1;
            }
        }
        store.log_reminders(&[e])?;
        if stop_after.is_some_and(|n| tally.sent >= n) {
            std::process::abort();
        }
    }
    Ok(tally)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_next_stage_is_the_first_not_done() {
        assert_eq!(
            Stage::next(Some(false), Some(false), Some(false)),
            Stage::Activate
        );
        assert_eq!(
            Stage::next(Some(true), Some(false), Some(false)),
            Stage::Setup
        );
        assert_eq!(Stage::next(Some(true), Some(true), None), Stage::Data);
        assert_eq!(Stage::next(None, None, None), Stage::Activate);
        assert_eq!(Stage::next(Some(true), Some(true), Some(true)), Stage::Data);
    }

    fn pending() -> Recipient {
        Recipient {
            name: None,
            email: "a@example.com".into(),
            email_key: "a@example.com".into(),
            status: "pending".into(),
            stage: Stage::Activate,
        }
    }

    #[test]
    fn the_interval_skips_unless_forced() {
        let now: DateTime<Utc> = "2027-01-02T00:00:00Z".parse().unwrap();
        let day = SendOptions {
            min_interval: Duration::from_secs(86_400),
            interval_text: "24h".into(),
            force: false,
        };
        let hour_ago = Some(now - chrono::Duration::hours(1));
        assert!(matches!(
            decide(&pending(), hour_ago, now, &day),
            Decision::Skip(_)
        ));
        let forced = SendOptions {
            force: true,
            ..day.clone()
        };
        assert_eq!(decide(&pending(), hour_ago, now, &forced), Decision::Send);
        let two_days = Some(now - chrono::Duration::hours(48));
        assert_eq!(decide(&pending(), two_days, now, &day), Decision::Send);
        let using = Recipient {
            status: "using".into(),
            ..pending()
        };
        assert_eq!(
            decide(&using, None, now, &forced),
            Decision::Skip("status is Using Enpass, not Pending User Action".into())
        );
    }
}
