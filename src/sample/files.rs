//! Writing the generated users and devices as the console's CSV exports, by hand and fast:
//! RFC 4180 quoting and hand-formatted UTC timestamps.

use std::io::{self, Write};

use super::generator::{GenDevice, GenUser, DAY, HOUR};
use super::to_datetime;

pub(super) fn write_user_row(w: &mut impl Write, u: &GenUser) -> io::Result<()> {
    write_field(w, &u.name)?;
    w.write_all(b",")?;
    write_field(w, &u.email)?;
    w.write_all(if u.scim { b",Yes," } else { b",No," })?;
    write_time(w, u.last_used, u.never_as_word)?;
    w.write_all(if u.licensed {
        b",Assigned,"
    } else {
        b",Unassigned,"
    })?;
    w.write_all(u.status_column.as_bytes())?;
    for stage in [u.activated, u.setup, u.data_added] {
        w.write_all(b",")?;
        write_time(w, stage, false)?;
    }
    writeln!(w, ",{}", u.reminders)
}

pub(super) fn write_device_row(w: &mut impl Write, d: &GenDevice) -> io::Result<()> {
    write_field(w, &d.email)?;
    w.write_all(b",")?;
    write_field(w, &d.name)?;
    w.write_all(b",")?;
    w.write_all(d.platform.as_bytes())?;
    w.write_all(b",")?;
    w.write_all(d.version.as_bytes())?;
    w.write_all(b",")?;
    write_time(w, d.last_used, d.never_as_word)?;
    w.write_all(if d.hub { b",Yes\n" } else { b",No\n" })
}

/// RFC 4180: quote only when needed, doubling embedded quotes.
pub(super) fn write_field(w: &mut impl Write, s: &str) -> io::Result<()> {
    if !s.bytes().any(|b| matches!(b, b',' | b'"' | b'\n' | b'\r')) {
        return w.write_all(s.as_bytes());
    }
    w.write_all(b"\"")?;
    let mut parts = s.split('"');
    if let Some(first) = parts.next() {
        w.write_all(first.as_bytes())?;
    }
    for part in parts {
        w.write_all(b"\"\"")?;
        w.write_all(part.as_bytes())?;
    }
    w.write_all(b"\"")
}

pub(super) fn write_time(
    w: &mut impl Write,
    t: Option<i64>,
    never_as_word: bool,
) -> io::Result<()> {
    match t {
        Some(secs) => {
            let mut buf = [0u8; 20];
            match format_utc(secs, &mut buf) {
                Some(text) => w.write_all(text),
                None => write!(w, "{}", to_datetime(secs).format("%Y-%m-%dT%H:%M:%SZ")),
            }
        }
        None if never_as_word => w.write_all(b"Never"),
        None => Ok(()),
    }
}

/// `YYYY-MM-DDTHH:MM:SSZ` by hand, because chrono's formatter dominates the run time otherwise.
/// `None` outside years 0..=9999, which have no four-digit form.
pub(super) fn format_utc(secs: i64, buf: &mut [u8; 20]) -> Option<&[u8]> {
    let (days, sod) = (secs.div_euclid(DAY), secs.rem_euclid(DAY));
    let (year, month, day) = civil_from_days(days);
    if !(0..=9999).contains(&year) {
        return None;
    }
    let digits = |buf: &mut [u8], mut v: i64| {
        for b in buf.iter_mut().rev() {
            *b = b'0' + (v % 10) as u8;
            v /= 10;
        }
    };
    digits(&mut buf[0..4], year);
    buf[4] = b'-';
    digits(&mut buf[5..7], month);
    buf[7] = b'-';
    digits(&mut buf[8..10], day);
    buf[10] = b'T';
    digits(&mut buf[11..13], sod / HOUR);
    buf[13] = b':';
    digits(&mut buf[14..16], sod % HOUR / 60);
    buf[16] = b':';
    digits(&mut buf[17..19], sod % 60);
    buf[19] = b'Z';
    Some(&buf[..])
}

/// Howard Hinnant's `civil_from_days`: days since 1970-01-01 to proleptic Gregorian
/// (year, month, day).
pub(super) fn civil_from_days(days: i64) -> (i64, i64, i64) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
}
