//! Small helpers shared by several layers: hashing, timestamps, number formatting, parallel
//! loops, phase timings and a standard-error writer that never panics.

use sha2::{Digest, Sha256};
use std::io::Read;
use std::path::Path;

pub(crate) fn sha256_hex(bytes: &[u8]) -> String {
    hex(&Sha256::digest(bytes))
}

/// A writer that hashes and counts what passes through it, so a manifest's SHA-256 of a file
/// just written costs no second read of it.
pub(crate) struct HashingWriter<W> {
    inner: W,
    hasher: Sha256,
    bytes: u64,
}

impl<W: std::io::Write> HashingWriter<W> {
    pub(crate) fn new(inner: W) -> Self {
        HashingWriter {
            inner,
            hasher: Sha256::new(),
            bytes: 0,
        }
    }

    /// (bytes written, SHA-256 hex) and the inner writer.
    pub(crate) fn finish(self) -> (u64, String, W) {
        (self.bytes, hex(&self.hasher.finalize()), self.inner)
    }
}

impl<W: std::io::Write> std::io::Write for HashingWriter<W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.hasher.update(&buf[..n]);
        self.bytes += n as u64;
        Ok(n)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.inner.flush()
    }
}

/// Hashes a file in chunks, so exports of any size are hashed in constant memory.
pub(crate) fn sha256_file(path: &Path) -> std::io::Result<String> {
    let mut f = std::fs::File::open(path)?;
    let mut h = Sha256::new();
    let mut buf = vec![0u8; 1 << 16];
    loop {
        let n = f.read(&mut buf)?;
        if n == 0 {
            break;
        }
        h.update(&buf[..n]);
    }
    Ok(hex(&h.finalize()))
}

fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write;
    bytes.iter().fold(String::with_capacity(64), |mut s, b| {
        let _ = write!(s, "{b:02x}");
        s
    })
}

/// Timestamps everywhere in output: RFC 3339 in UTC with a `Z`, seconds precision unless finer is stored.
pub(crate) fn iso(t: &chrono::DateTime<chrono::Utc>) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true)
}

/// Appends the same text as [`iso`] for a UTC timestamp in microseconds. Whole seconds (the
/// common case) take a fast path, because exports format millions of them.
pub(crate) fn push_iso_micros(us: i64, out: &mut String) {
    if us.rem_euclid(1_000_000) != 0 {
        if let Some(t) = chrono::DateTime::<chrono::Utc>::from_timestamp_micros(us) {
            out.push_str(&iso(&t));
        }
        return;
    }
    let secs = us.div_euclid(1_000_000);
    let days = secs.div_euclid(86_400);
    let rem = secs.rem_euclid(86_400);
    // Howard Hinnant's civil_from_days.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    if !(0..=9999).contains(&year) {
        if let Some(t) = chrono::DateTime::<chrono::Utc>::from_timestamp_micros(us) {
            out.push_str(&iso(&t));
        }
        return;
    }
    let mut b = *b"0000-00-00T00:00:00Z";
    let put = |b: &mut [u8; 20], at: usize, v: i64, width: usize| {
        let mut v = v;
        for i in (0..width).rev() {
            b[at + i] = b'0' + (v % 10) as u8;
            v /= 10;
        }
    };
    put(&mut b, 0, year, 4);
    put(&mut b, 5, month, 2);
    put(&mut b, 8, day, 2);
    put(&mut b, 11, rem / 3600, 2);
    put(&mut b, 14, rem % 3600 / 60, 2);
    put(&mut b, 17, rem % 60, 2);
    out.push_str(std::str::from_utf8(&b).expect("ascii"));
}

pub(crate) fn ser_ts<S: serde::Serializer>(
    t: &chrono::DateTime<chrono::Utc>,
    s: S,
) -> Result<S::Ok, S::Error> {
    s.serialize_str(&iso(t))
}

/// The longest a value from an input file or a command line is echoed in an error, a notice or a
/// reject's detail; a longer one is cut and its full length stated.
pub(crate) const ECHO_MAX: usize = 100;

/// A value as messages echo it: at most [`ECHO_MAX`] characters, control and invisible
/// characters written as `\u{…}` escapes so a message stays one visible line.
pub(crate) fn echo(text: &str) -> String {
    let mut out = String::new();
    for (count, c) in text.chars().enumerate() {
        if count == ECHO_MAX {
            let total = text.chars().count();
            out.push_str(&format!("… ({total} characters)"));
            return out;
        }
        if c.is_control() || crate::email::invisible(c) {
            out.push_str(&format!("\\u{{{:04X}}}", c as u32));
        } else {
            out.push(c);
        }
    }
    out
}

/// Writes a line to standard error. With stderr closed (`2>&-`, a pipe whose reader left) the
/// line is dropped: a status line is not worth a panic.
pub fn stderr_line(text: &str) {
    use std::io::Write;
    let _ = writeln!(std::io::stderr().lock(), "{text}");
}

/// Phase timings on stderr when `ROLLCALL_TIMINGS` is set: how bench/ finds where time goes.
pub(crate) struct Timer {
    start: std::time::Instant,
    on: bool,
}

impl Timer {
    pub(crate) fn start() -> Timer {
        Timer {
            start: std::time::Instant::now(),
            on: std::env::var_os("ROLLCALL_TIMINGS").is_some(),
        }
    }

    pub(crate) fn lap(&self, what: &str) {
        if self.on {
            stderr_line(&format!(
                "timing: {what}: {:.3} s",
                self.start.elapsed().as_secs_f64()
            ));
        }
    }
}

/// A size for messages: "512 bytes", "1 MiB", "1.5 GiB".
pub(crate) fn bytes(n: u64) -> String {
    const UNITS: [&str; 4] = ["KiB", "MiB", "GiB", "TiB"];
    if n < 1024 {
        return format!("{n} bytes");
    }
    let mut v = n as f64 / 1024.0;
    let mut unit = 0;
    while v >= 1024.0 && unit < UNITS.len() - 1 {
        v /= 1024.0;
        unit += 1;
    }
    let text = format!("{v:.1}");
    format!("{} {}", text.trim_end_matches(".0"), UNITS[unit])
}

/// Parses a size as DuckDB writes them: a number and a unit, `2GB`, `512MiB`, `1.5 GB` (B, KB,
/// MB, GB, TB in powers of 1000; KiB, MiB, GiB, TiB in powers of 1024; any case). The error
/// says what was expected.
pub(crate) fn parse_size(text: &str) -> Result<u64, String> {
    let t = text.trim();
    let split = t
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(t.len());
    let (number, unit) = t.split_at(split);
    let expected = || {
        format!(
            "'{}': expected a size such as 2GB, 512MB or 4GiB",
            echo(text)
        )
    };
    let value: f64 = number.parse().map_err(|_| expected())?;
    let scale: f64 = match unit.trim().to_ascii_lowercase().as_str() {
        "b" => 1.0,
        "kb" => 1e3,
        "mb" => 1e6,
        "gb" => 1e9,
        "tb" => 1e12,
        "kib" => 1024.0,
        "mib" => 1024.0 * 1024.0,
        "gib" => 1024.0 * 1024.0 * 1024.0,
        "tib" => 1024.0 * 1024.0 * 1024.0 * 1024.0,
        _ => return Err(expected()),
    };
    let bytes = value * scale;
    if !bytes.is_finite() || bytes >= u64::MAX as f64 {
        return Err(expected());
    }
    Ok(bytes as u64)
}

/// 2340 -> "2,340", as count lines print numbers.
pub(crate) fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// Runs `f` on each item on up to `threads` threads; the results come back in item order.
/// Items are claimed one at a time, so uneven items still keep every thread busy.
pub(crate) fn run_parallel<T: Sync, R: Send>(
    items: &[T],
    threads: usize,
    f: impl Fn(&T) -> R + Sync,
) -> Vec<R> {
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::{Mutex, PoisonError};
    if threads <= 1 || items.len() <= 1 {
        return items.iter().map(f).collect();
    }
    let next = AtomicUsize::new(0);
    let slots: Vec<Mutex<Option<R>>> = items.iter().map(|_| Mutex::new(None)).collect();
    std::thread::scope(|s| {
        for _ in 0..threads.min(items.len()) {
            s.spawn(|| loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                let Some(item) = items.get(i) else { break };
                let r = f(item);
                *slots[i].lock().unwrap_or_else(PoisonError::into_inner) = Some(r);
            });
        }
    });
    slots
        .into_iter()
        .map(|m| {
            m.into_inner()
                .unwrap_or_else(PoisonError::into_inner)
                .expect("every item ran")
        })
        .collect()
}

/// Runs `f` on each item in place, on up to `threads` threads.
pub(crate) fn run_parallel_mut<T: Send>(
    items: &mut [T],
    threads: usize,
    f: impl Fn(&mut T) + Sync,
) {
    use std::sync::{Mutex, PoisonError};
    let cells: Vec<Mutex<&mut T>> = items.iter_mut().map(Mutex::new).collect();
    run_parallel(&cells, threads, |cell| {
        f(&mut cell.lock().unwrap_or_else(PoisonError::into_inner))
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashing_writer_hashes_and_counts_what_it_passes_on() {
        use std::io::Write;
        let mut w = HashingWriter::new(Vec::new());
        w.write_all(b"name,email\n").unwrap();
        w.write_all("Zoë,z@example.com\n".as_bytes()).unwrap();
        let (bytes, sha, inner) = w.finish();
        assert_eq!(inner, "name,email\nZoë,z@example.com\n".as_bytes());
        assert_eq!(bytes, 30);
        // From `printf 'name,email\nZoë,z@example.com\n' | sha256sum`.
        assert_eq!(
            sha,
            "66ad7377d677d294d829e10286fe4f897a0625d1f9a062ab3c696c5fe5d74171"
        );
    }

    #[test]
    fn run_parallel_keeps_item_order_and_runs_each_once() {
        let items: Vec<u64> = (0..100).collect();
        let ran = std::sync::atomic::AtomicUsize::new(0);
        let out = run_parallel(&items, 3, |n| {
            ran.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            // Uneven work, so threads finish out of order.
            std::thread::sleep(std::time::Duration::from_micros((n % 7) * 50));
            n * n
        });
        assert_eq!(ran.into_inner(), 100);
        assert_eq!(out, (0..100).map(|n| n * n).collect::<Vec<u64>>());
        let mut v: Vec<u64> = (0..10).collect();
        run_parallel_mut(&mut v, 4, |n| *n += 100);
        assert_eq!(v, (100..110).collect::<Vec<u64>>());
    }

    #[test]
    fn sha256_known_vector() {
        assert_eq!(
            sha256_hex(b"abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }

    #[test]
    fn fast_iso_matches_chrono() {
        for us in [
            0i64,
            1_764_158_400_000_000,
            951_782_400_000_000,
            1_000_250_000,
            -86_400_000_000,
            253_402_300_799_000_000,
        ] {
            let mut s = String::new();
            push_iso_micros(us, &mut s);
            let t = chrono::DateTime::<chrono::Utc>::from_timestamp_micros(us).unwrap();
            assert_eq!(s, iso(&t), "{us}");
        }
    }

    #[test]
    fn echoes_are_short_and_visible() {
        assert_eq!(echo("ann\u{200b}@x.com\n"), "ann\\u{200B}@x.com\\u{000A}");
        let long = "é".repeat(5000);
        let e = echo(&long);
        assert!(
            e.ends_with("… (5000 characters)") && e.chars().count() < 130,
            "{e}"
        );
        assert_eq!(echo("plain"), "plain");
    }

    #[test]
    fn sizes_print_and_parse() {
        assert_eq!(bytes(512), "512 bytes");
        assert_eq!(bytes(1 << 20), "1 MiB");
        assert_eq!(bytes(3 << 29), "1.5 GiB");
        assert_eq!(parse_size("1GiB"), Ok(1 << 30));
        assert_eq!(parse_size("500 MB"), Ok(500_000_000));
        assert_eq!(parse_size("2GB"), Ok(2_000_000_000));
        assert_eq!(parse_size("512MiB"), Ok(512 * 1024 * 1024));
        assert_eq!(parse_size("1.5 gb"), Ok(1_500_000_000));
        for bad in ["2048", "GB", "-1GB", "2XB", "", "lots"] {
            assert!(parse_size(bad).is_err(), "{bad}");
        }
        assert_eq!(bytes(2_000_000_000), "1.9 GiB");
        assert!(parse_size("5 parsecs")
            .unwrap_err()
            .contains("expected a size such as 2GB"));
    }

    #[test]
    fn thousands_separators() {
        assert_eq!(thousands(0), "0");
        assert_eq!(thousands(999), "999");
        assert_eq!(thousands(2340), "2,340");
        assert_eq!(thousands(1_000_000), "1,000,000");
    }
}
