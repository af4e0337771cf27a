//! The data contract: which headers name which field, and how each raw cell becomes a typed value.
//! Pure functions, no I/O; ingest applies them row by row and turns every `Err` into a reject.

use chrono::{DateTime, NaiveDate, NaiveDateTime, NaiveTime, TimeZone, Utc};

use crate::email::{self, Email};

/// A field of the users or devices export.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum Field {
    Name,
    Email,
    Scim,
    License,
    LicenseActivated,
    AppSetupCompleted,
    DataAdded,
    LastUsed,
    RemindersSent,
    Status,
    DeviceName,
    Platform,
    EnpassVersion,
    HubAuthenticated,
}

impl Field {
    /// How many fields there are, for tables indexed by `field as usize`.
    pub(crate) const COUNT: usize = Field::HubAuthenticated as usize + 1;

    /// The console's header for the field, for messages.
    pub(crate) fn title(self) -> &'static str {
        match self {
            Field::Name => "Name",
            Field::Email => "Email",
            Field::Scim => "SCIM Provisioned",
            Field::License => "License",
            Field::LicenseActivated => "Activated License",
            Field::AppSetupCompleted => "Completed App Setup",
            Field::DataAdded => "Added Data in App",
            Field::LastUsed => "Last Used",
            Field::RemindersSent => "Reminders Sent",
            Field::Status => "Status",
            Field::DeviceName => "Device Name",
            Field::Platform => "Platform",
            Field::EnpassVersion => "Enpass Version",
            Field::HubAuthenticated => "Enpass Hub Authenticated",
        }
    }
}

/// Which export a file is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    Users,
    Devices,
}

impl Kind {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Kind::Users => "users",
            Kind::Devices => "devices",
        }
    }

    /// (field, accepted headers, already normalised by [`normalize_header`]).
    pub(crate) fn fields(self) -> &'static [(Field, &'static [&'static str])] {
        match self {
            Kind::Users => &[
                (Field::Name, &["name", "fullname", "displayname"]),
                (Field::Email, &["email", "emailaddress", "useremail"]),
                (
                    Field::Scim,
                    &["scim", "scimprovisioned", "provisionedviascim"],
                ),
                (Field::License, &["license", "licensestatus"]),
                (
                    Field::LicenseActivated,
                    &["activatedlicense", "licenseactivated"],
                ),
                (
                    Field::AppSetupCompleted,
                    &["completedappsetup", "appsetupcompleted"],
                ),
                (Field::DataAdded, &["addeddatainapp", "dataadded"]),
                (Field::LastUsed, &["lastused"]),
                (Field::RemindersSent, &["reminderssent", "remindercount"]),
                (Field::Status, &["status"]),
            ],
            Kind::Devices => &[
                (Field::Email, &["useremail", "email", "user"]),
                (Field::DeviceName, &["devicename", "device"]),
                (Field::Platform, &["platform", "os"]),
                (Field::EnpassVersion, &["enpassversion", "version"]),
                (Field::LastUsed, &["lastused"]),
                (
                    Field::HubAuthenticated,
                    &["enpasshubauthenticated", "hubauthenticated"],
                ),
            ],
        }
    }

    /// Headers that other consoles use for a field but that are not accepted as it, because
    /// they may mean something else (`Last Login` is a sign-in, not a use of Enpass): a file
    /// that has one where the field is missing gets a warning naming both.
    pub(crate) fn near_misses(self, field: Field) -> &'static [&'static str] {
        match (self, field) {
            (_, Field::LastUsed) => &[
                "lastlogin",
                "lastlogintime",
                "lastsignin",
                "lastseen",
                "lastactive",
                "lastactivity",
                "lastaccess",
                "lastaccessed",
                "lastuse",
                "lastusedat",
                "lastusedon",
            ],
            (Kind::Users, Field::Name) => {
                &["firstname", "lastname", "givenname", "surname", "username"]
            }
            (Kind::Users, Field::Scim) => &["provisioned", "provisioning", "scimstatus", "source"],
            (Kind::Users, Field::License) => {
                &["licence", "licencestatus", "licensed", "seat", "plan"]
            }
            (Kind::Users, Field::RemindersSent) => &["reminders", "invitessent", "invitations"],
            (Kind::Users, Field::Status) => &["userstatus", "accountstatus", "state"],
            (Kind::Devices, Field::HubAuthenticated) => &["hub", "hubauth", "hubstatus"],
            (Kind::Devices, Field::EnpassVersion) => &["appversion", "clientversion"],
            (Kind::Devices, Field::Platform) => &["operatingsystem", "ostype"],
            _ => &[],
        }
    }

    pub(crate) fn field_for_header(self, header: &str) -> Option<Field> {
        let key = normalize_header(header);
        self.fields()
            .iter()
            .find(|(_, aliases)| aliases.contains(&key.as_str()))
            .map(|(f, _)| *f)
    }
}

/// Headers match case-insensitively, ignoring spaces, `_` and `-`, and any bracketed or
/// parenthesised suffixes (`Email Address [Required]`, `Last Used (UTC)`).
pub(crate) fn normalize_header(header: &str) -> String {
    let mut h = header.trim_start_matches('\u{feff}').trim();
    while let Some(open) = match h.chars().last() {
        Some(']') => h.rfind('['),
        Some(')') => h.rfind('('),
        _ => None,
    } {
        if open == 0 {
            break;
        }
        h = h[..open].trim_end();
    }
    h.chars()
        .filter(|c| !c.is_whitespace() && *c != '_' && *c != '-')
        .flat_map(char::to_lowercase)
        .collect()
}

/// Why a cell was refused; becomes the `reason` column of the rejects table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum RejectReason {
    MissingEmail,
    BadEmail,
    BadDate,
    BadBoolean,
    BadInteger,
    BadValue,
    FieldCount,
    RecordTooLong,
    DuplicateEmail,
    UnknownUser,
}

impl RejectReason {
    pub(crate) fn code(self) -> &'static str {
        match self {
            RejectReason::MissingEmail => "missing-email",
            RejectReason::BadEmail => "bad-email",
            RejectReason::BadDate => "bad-date",
            RejectReason::BadBoolean => "bad-boolean",
            RejectReason::BadInteger => "bad-integer",
            RejectReason::BadValue => "bad-value",
            RejectReason::FieldCount => "field-count",
            RejectReason::RecordTooLong => "record-too-long",
            RejectReason::DuplicateEmail => "duplicate-email",
            RejectReason::UnknownUser => "unknown-user",
        }
    }
}

/// A refused cell: the reason and a sentence for humans.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct CellError {
    pub(crate) reason: RejectReason,
    pub(crate) detail: String,
}

impl CellError {
    fn new(reason: RejectReason, detail: String) -> Self {
        CellError { reason, detail }
    }
}

/// An address checked against the email rules (`ingest::email`), as a cell error when refused.
pub(crate) fn parse_email(raw: &str) -> Result<Email<'_>, CellError> {
    email::parse(raw).map_err(|p| match p {
        email::Problem::Empty => {
            CellError::new(RejectReason::MissingEmail, "email is empty".into())
        }
        email::Problem::Bad(why) => CellError::new(
            RejectReason::BadEmail,
            format!("malformed email '{}': {why}", crate::util::echo(raw.trim())),
        ),
    })
}

/// yes/no, y/n, true/false, 1/0 in any case; blank is false.
pub(crate) fn parse_bool(raw: &str) -> Result<bool, CellError> {
    const FALSE: [&str; 5] = ["", "no", "n", "false", "0"];
    const TRUE: [&str; 4] = ["yes", "y", "true", "1"];
    let text = raw.trim();
    // No lower-casing copy: this runs on several cells of every row.
    if FALSE.iter().any(|w| text.eq_ignore_ascii_case(w)) {
        Ok(false)
    } else if TRUE.iter().any(|w| text.eq_ignore_ascii_case(w)) {
        Ok(true)
    } else {
        Err(CellError::new(
            RejectReason::BadBoolean,
            format!("'{text}' is not a boolean (yes/no, y/n, true/false, 1/0)"),
        ))
    }
}

/// Parses timestamps: the ISO 8601 forms of the contract, Unix epoch milliseconds, then each
/// `--date-format` layout.
#[derive(Debug, Clone, Default)]
pub(crate) struct TimestampParser {
    extra_formats: Vec<String>,
}

/// What Last Used says for "never", in any case: blank, `-`, an en or em dash, `Never`,
/// `Never logged in` (Google Workspace), `Never signed in`, `N/A`, `null`, `none`.
const NEVER: [&str; 9] = [
    "-",
    "\u{2013}",
    "\u{2014}",
    "never",
    "never logged in",
    "never signed in",
    "n/a",
    "null",
    "none",
];

impl TimestampParser {
    /// Checks each layout first: one that chrono cannot read, that has no date or time field at
    /// all, or that names a time zone (`%Z`, which chrono parses but cannot resolve, so the time
    /// would silently be read as UTC) is refused naming the flag.
    pub(crate) fn new(extra_formats: Vec<String>) -> Result<Self, String> {
        use chrono::format::{Fixed, Item, StrftimeItems};
        for fmt in &extra_formats {
            let items: Vec<Item<'_>> = StrftimeItems::new(fmt).collect();
            let flag = format!("--date-format '{}'", crate::util::echo(fmt));
            if items.iter().any(|i| matches!(i, Item::Error)) {
                return Err(format!(
                    "{flag}: not a valid layout (chrono strftime syntax, such as '%d/%m/%Y %H:%M')"
                ));
            }
            if items
                .iter()
                .any(|i| matches!(i, Item::Fixed(Fixed::TimezoneName)))
            {
                return Err(format!(
                    "{flag}: %Z names a time zone (PST, CET…), which rollcall cannot resolve without a time-zone database; use %z for a numeric offset (-08:00) or give the times in UTC"
                ));
            }
            if !items
                .iter()
                .any(|i| matches!(i, Item::Numeric(..) | Item::Fixed(..)))
            {
                return Err(format!(
                    "{flag}: has no date or time field (%Y, %m, %d, %H, …)"
                ));
            }
        }
        Ok(TimestampParser { extra_formats })
    }

    fn hint(&self) -> &'static str {
        if self.extra_formats.is_empty() {
            " (use --date-format for other layouts)"
        } else {
            ""
        }
    }

    /// `Err` for anything unrecognised.
    pub(crate) fn parse(&self, raw: &str) -> Result<DateTime<Utc>, CellError> {
        let text = raw.trim();
        if let Some(ts) = parse_iso(text) {
            return Ok(ts);
        }
        // Thirteen digits: Unix epoch milliseconds (2001-09-09 to 2286-11-20), as API exports
        // write them. Other integers are not guessed at.
        if text.len() == 13 && text.bytes().all(|b| b.is_ascii_digit()) {
            if let Some(ts) = text.parse().ok().and_then(DateTime::from_timestamp_millis) {
                return Ok(ts);
            }
        }
        for fmt in &self.extra_formats {
            if let Some(ts) = parse_with_format(text, fmt) {
                return Ok(ts);
            }
        }
        Err(CellError::new(
            RejectReason::BadDate,
            format!(
                "'{}' is not an ISO 8601 date or timestamp{}",
                crate::util::echo(text),
                self.hint()
            ),
        ))
    }

    /// Last Used: blank or one of the [`NEVER`] words mean never.
    pub(crate) fn parse_last_used(&self, raw: &str) -> Result<Option<DateTime<Utc>>, CellError> {
        let text = raw.trim();
        if text.is_empty() || NEVER.iter().any(|w| text.eq_ignore_ascii_case(w)) {
            return Ok(None);
        }
        self.parse(text).map(Some)
    }

    /// Stage columns: a boolean, or the timestamp the stage happened (which means done).
    pub(crate) fn parse_stage(
        &self,
        raw: &str,
    ) -> Result<(bool, Option<DateTime<Utc>>), CellError> {
        let text = raw.trim();
        if let Ok(b) = parse_bool(text) {
            return Ok((b, None));
        }
        match self.parse(text) {
            Ok(ts) => Ok((true, Some(ts))),
            Err(_) => Err(CellError::new(
                RejectReason::BadDate,
                format!(
                    "'{}' is neither a boolean nor an ISO 8601 timestamp{}",
                    crate::util::echo(text),
                    self.hint()
                ),
            )),
        }
    }
}

fn parse_with_format(text: &str, fmt: &str) -> Option<DateTime<Utc>> {
    if let Ok(dt) = DateTime::parse_from_str(text, fmt) {
        return Some(dt.with_timezone(&Utc));
    }
    if let Ok(ndt) = NaiveDateTime::parse_from_str(text, fmt) {
        return Some(Utc.from_utc_datetime(&ndt));
    }
    NaiveDate::parse_from_str(text, fmt)
        .ok()
        .map(|d| Utc.from_utc_datetime(&d.and_time(NaiveTime::MIN)))
}

/// The contract's ISO forms: `2026-11-20`, `2026-11-20T09:00:00Z`, `2026-11-20T14:30:00+05:30`,
/// `2026-11-20 09:00[:00]`, with optional fractional seconds. No offset means UTC.
/// Hand-written because it runs on millions of cells per ingest.
pub(crate) fn parse_iso(text: &str) -> Option<DateTime<Utc>> {
    let b = text.as_bytes();
    if b.len() < 10 || b[4] != b'-' || b[7] != b'-' {
        return None;
    }
    let year = digits(&b[0..4])? as i32;
    let month = digits(&b[5..7])?;
    let day = digits(&b[8..10])?;
    let date = NaiveDate::from_ymd_opt(year, month, day)?;
    if b.len() == 10 {
        return Some(Utc.from_utc_datetime(&date.and_time(NaiveTime::MIN)));
    }
    if b[10] != b'T' && b[10] != b't' && b[10] != b' ' {
        return None;
    }
    let rest = &b[11..];
    if rest.len() < 5 || rest[2] != b':' {
        return None;
    }
    let hour = digits(&rest[0..2])?;
    let minute = digits(&rest[3..5])?;
    let mut i = 5;
    let mut second = 0;
    let mut nanos = 0u32;
    if rest.len() >= 8 && rest[5] == b':' {
        second = digits(&rest[6..8])?;
        i = 8;
        if i < rest.len() && (rest[i] == b'.' || rest[i] == b',') {
            i += 1;
            let start = i;
            while i < rest.len() && rest[i].is_ascii_digit() {
                i += 1;
            }
            let frac = &rest[start..i];
            if frac.is_empty() || frac.len() > 9 {
                return None;
            }
            nanos = digits(frac)? * 10u32.pow(9 - frac.len() as u32);
        }
    }
    let time = NaiveTime::from_hms_nano_opt(hour, minute, second, nanos)?;
    let naive = date.and_time(time);
    let offset_secs: i64 = match &rest[i..] {
        [] | [b'Z'] | [b'z'] => 0,
        [sign @ (b'+' | b'-'), oh1, oh2, b':', om1, om2]
        | [sign @ (b'+' | b'-'), oh1, oh2, om1, om2] => {
            let oh = digits(&[*oh1, *oh2])? as i64;
            let om = digits(&[*om1, *om2])? as i64;
            if oh > 23 || om > 59 {
                return None;
            }
            let s = oh * 3600 + om * 60;
            if *sign == b'-' {
                -s
            } else {
                s
            }
        }
        [sign @ (b'+' | b'-'), oh1, oh2] => {
            let oh = digits(&[*oh1, *oh2])? as i64;
            if oh > 23 {
                return None;
            }
            if *sign == b'-' {
                -oh * 3600
            } else {
                oh * 3600
            }
        }
        _ => return None,
    };
    Some(Utc.from_utc_datetime(&(naive - chrono::Duration::seconds(offset_secs))))
}

fn digits(b: &[u8]) -> Option<u32> {
    let mut n: u32 = 0;
    for &c in b {
        if !c.is_ascii_digit() {
            return None;
        }
        n = n * 10 + u32::from(c - b'0');
    }
    Some(n)
}

/// A non-negative integer; blank is 0.
pub(crate) fn parse_count(raw: &str) -> Result<i32, CellError> {
    let text = raw.trim();
    if text.is_empty() {
        return Ok(0);
    }
    text.parse::<i32>().ok().filter(|n| *n >= 0).ok_or_else(|| {
        CellError::new(
            RejectReason::BadInteger,
            format!("'{text}' is not a whole number ≥ 0"),
        )
    })
}

/// License: Assigned / Unassigned, or a boolean.
pub(crate) fn parse_license(raw: &str) -> Result<bool, CellError> {
    let text = raw.trim();
    if text.eq_ignore_ascii_case("assigned") {
        return Ok(true);
    }
    if text.eq_ignore_ascii_case("unassigned") {
        return Ok(false);
    }
    parse_bool(text).map_err(|_| {
        CellError::new(
            RejectReason::BadValue,
            format!("'{text}' is not a license state (Assigned/Unassigned or a boolean)"),
        )
    })
}

/// Status: optional; the console's wording or the slugs.
pub(crate) fn parse_status(raw: &str) -> Result<Option<crate::domain::Status>, CellError> {
    let text = raw.trim();
    if text.is_empty() {
        return Ok(None);
    }
    crate::domain::Status::parse(text).map(Some).ok_or_else(|| {
        CellError::new(
            RejectReason::BadValue,
            format!("'{text}' is not a status (No License, Pending User Action, Using Enpass)"),
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ts(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    #[test]
    fn every_header_alias_maps_to_its_field() {
        let users = [
            ("Name", Field::Name),
            ("Full Name", Field::Name),
            ("display_name", Field::Name),
            ("Email", Field::Email),
            ("Email Address", Field::Email),
            ("USER-EMAIL", Field::Email),
            ("SCIM", Field::Scim),
            ("SCIM Provisioned", Field::Scim),
            ("Provisioned via SCIM", Field::Scim),
            ("License", Field::License),
            ("License Status", Field::License),
            ("Activated License", Field::LicenseActivated),
            ("License Activated", Field::LicenseActivated),
            ("Completed App Setup", Field::AppSetupCompleted),
            ("App Setup Completed", Field::AppSetupCompleted),
            ("Added Data in App", Field::DataAdded),
            ("Data Added", Field::DataAdded),
            ("Last Used", Field::LastUsed),
            ("Reminders Sent", Field::RemindersSent),
            ("Reminder Count", Field::RemindersSent),
            ("Status", Field::Status),
        ];
        for (h, f) in users {
            assert_eq!(Kind::Users.field_for_header(h), Some(f), "users header {h}");
        }
        let devices = [
            ("User Email", Field::Email),
            ("Email", Field::Email),
            ("User", Field::Email),
            ("Device Name", Field::DeviceName),
            ("Device", Field::DeviceName),
            ("Platform", Field::Platform),
            ("OS", Field::Platform),
            ("Enpass Version", Field::EnpassVersion),
            ("Version", Field::EnpassVersion),
            ("Last Used", Field::LastUsed),
            ("Enpass Hub Authenticated", Field::HubAuthenticated),
            ("hub_authenticated", Field::HubAuthenticated),
        ];
        for (h, f) in devices {
            assert_eq!(
                Kind::Devices.field_for_header(h),
                Some(f),
                "devices header {h}"
            );
        }
        assert_eq!(Kind::Users.field_for_header("Department"), None);
        assert_eq!(
            Kind::Users.field_for_header("\u{feff}Name"),
            Some(Field::Name)
        );
    }

    #[test]
    fn field_count_covers_every_field() {
        for kind in [Kind::Users, Kind::Devices] {
            for (f, _) in kind.fields() {
                assert!((*f as usize) < Field::COUNT, "{f:?}");
            }
        }
    }

    #[test]
    fn booleans_in_every_form() {
        for t in ["yes", "Y", "TRUE", "true", "1", " Yes "] {
            assert_eq!(parse_bool(t), Ok(true), "{t}");
        }
        for f in ["no", "N", "False", "0", "", "  "] {
            assert_eq!(parse_bool(f), Ok(false), "{f}");
        }
        for bad in ["2", "maybe", "tru", "on"] {
            assert_eq!(
                parse_bool(bad).unwrap_err().reason,
                RejectReason::BadBoolean
            );
        }
    }

    #[test]
    fn timestamps_in_every_contract_form() {
        let p = TimestampParser::default();
        let cases = [
            ("2026-11-20", "2026-11-20T00:00:00Z"),
            ("2026-11-20T09:00:00Z", "2026-11-20T09:00:00Z"),
            ("2026-11-20T14:30:00+05:30", "2026-11-20T09:00:00Z"),
            ("2026-11-20T04:00:00-05:00", "2026-11-20T09:00:00Z"),
            ("2026-11-20 09:00", "2026-11-20T09:00:00Z"),
            ("2026-11-20 09:00:00", "2026-11-20T09:00:00Z"),
            ("2026-11-20T09:00:00", "2026-11-20T09:00:00Z"),
            ("2026-11-20T09:00:00.250Z", "2026-11-20T09:00:00.25Z"),
        ];
        for (input, want) in cases {
            assert_eq!(p.parse(input), Ok(ts(want)), "{input}");
        }
        for bad in [
            "2026-13-01",
            "2026-02-30",
            "20/11/2026",
            "2026-11-20T25:00",
            "yesterday",
            "2026-11-20Tx",
        ] {
            assert_eq!(
                p.parse(bad).unwrap_err().reason,
                RejectReason::BadDate,
                "{bad}"
            );
        }
    }

    #[test]
    fn date_format_adds_layouts() {
        let p = TimestampParser::new(vec!["%d/%m/%Y".into(), "%d/%m/%Y %H:%M".into()]).unwrap();
        assert_eq!(p.parse("20/11/2026"), Ok(ts("2026-11-20T00:00:00Z")));
        assert_eq!(p.parse("20/11/2026 09:30"), Ok(ts("2026-11-20T09:30:00Z")));
        assert_eq!(p.parse("2026-11-20"), Ok(ts("2026-11-20T00:00:00Z")));
    }

    #[test]
    fn last_used_never_forms() {
        let p = TimestampParser::default();
        for never in ["", "Never", "NEVER", "-", " "] {
            assert_eq!(p.parse_last_used(never), Ok(None), "{never:?}");
        }
    }

    #[test]
    fn stage_is_bool_or_timestamp() {
        let p = TimestampParser::default();
        assert_eq!(p.parse_stage("Yes"), Ok((true, None)));
        assert_eq!(p.parse_stage(""), Ok((false, None)));
        assert_eq!(
            p.parse_stage("2026-10-01"),
            Ok((true, Some(ts("2026-10-01T00:00:00Z"))))
        );
        assert!(p.parse_stage("soon").is_err());
    }

    #[test]
    fn emails() {
        let e = parse_email("  Zoë.Ångström@Example.COM ").unwrap();
        assert_eq!(e.display, "Zoë.Ångström@Example.COM");
        assert_eq!(e.key, "zoë.ångström@example.com");
        let ascii = parse_email(" Ann.Lee@Example.com").unwrap();
        assert_eq!(
            (ascii.display, ascii.key.as_ref()),
            ("Ann.Lee@Example.com", "ann.lee@example.com")
        );
        // Already a key: borrowed, not copied.
        assert!(matches!(
            parse_email("ann@example.com").unwrap().key,
            std::borrow::Cow::Borrowed("ann@example.com")
        ));
        for (bad, reason) in [
            ("", RejectReason::MissingEmail),
            ("   ", RejectReason::MissingEmail),
            ("no-at.example.com", RejectReason::BadEmail),
            ("a@b@example.com", RejectReason::BadEmail),
            ("@example.com", RejectReason::BadEmail),
            ("a@localhost", RejectReason::BadEmail),
            ("a b@example.com", RejectReason::BadEmail),
            ("a\tb@example.com", RejectReason::BadEmail),
            ("a\u{b}b@example.com", RejectReason::BadEmail),
            ("a\u{c}b@example.com", RejectReason::BadEmail),
            ("zoë\u{a0}x@example.com", RejectReason::BadEmail),
            ("a@.com", RejectReason::BadEmail),
        ] {
            assert_eq!(parse_email(bad).unwrap_err().reason, reason, "{bad:?}");
        }
    }

    #[test]
    fn counts_licenses_statuses() {
        assert_eq!(parse_count(""), Ok(0));
        assert_eq!(parse_count(" 3 "), Ok(3));
        assert_eq!(
            parse_count("-1").unwrap_err().reason,
            RejectReason::BadInteger
        );
        assert_eq!(
            parse_count("2.5").unwrap_err().reason,
            RejectReason::BadInteger
        );
        assert_eq!(parse_license("Assigned"), Ok(true));
        assert_eq!(parse_license("unassigned"), Ok(false));
        assert_eq!(parse_license("yes"), Ok(true));
        assert_eq!(
            parse_license("maybe").unwrap_err().reason,
            RejectReason::BadValue
        );
        assert_eq!(parse_status(""), Ok(None));
        assert!(parse_status("Active").is_err());
    }
}
