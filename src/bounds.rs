//! What bounds an analyst's ad-hoc query: a time budget (`--timeout`, measured by a
//! [`Stopwatch`] that stops while the output waits for a slow reader) and a memory limit
//! (`--memory-limit`, by default half the machine's memory). Parsing and measuring only: the
//! store enforces both.

use std::io::{self, Write};
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Parses `60s`, `5m`, `1500ms`, `1h` or `2.5s` (a number and a unit: ms, s, m, h); zero is
/// refused. The error says what was expected.
pub(crate) fn parse_duration(text: &str) -> Result<Duration, String> {
    let t = text.trim();
    let split = t
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(t.len());
    let (number, unit) = t.split_at(split);
    let value: f64 = number.parse().map_err(|_| expected_duration(text))?;
    let seconds = match unit.trim() {
        "ms" => value / 1000.0,
        "s" => value,
        "m" | "min" => value * 60.0,
        "h" => value * 3600.0,
        _ => return Err(expected_duration(text)),
    };
    let d = Duration::try_from_secs_f64(seconds).map_err(|_| expected_duration(text))?;
    if d.is_zero() {
        return Err(format!("'{text}': must be more than zero"));
    }
    Ok(d)
}

/// Parses a wait (`ingest --wait`): a duration as [`parse_duration`] reads it, or zero (`0`,
/// `0s`, `0ms`) for "do not wait".
pub(crate) fn parse_wait(text: &str) -> Result<Duration, String> {
    if matches!(text.trim(), "0" | "0s" | "0ms") {
        return Ok(Duration::ZERO);
    }
    parse_duration(text).map_err(|e| format!("{e} (or 0 not to wait)"))
}

fn expected_duration(text: &str) -> String {
    format!("'{text}': expected a duration such as 60s, 5m or 1500ms")
}

/// A duration as a person reads it: `60 s`, `1.5 s`, `250 ms`, `300 s`.
pub(crate) fn show_duration(d: Duration) -> String {
    let ms = d.as_millis();
    if ms < 1000 {
        format!("{ms} ms")
    } else if ms.is_multiple_of(1000) {
        format!("{} s", ms / 1000)
    } else {
        format!("{:.1} s", d.as_secs_f64())
    }
}

/// Parses `--memory-limit` (a size, see [`crate::util::parse_size`]), refusing one too small for
/// DuckDB to run a query in.
pub(crate) fn parse_memory(text: &str) -> Result<u64, String> {
    let bytes = crate::util::parse_size(text)?;
    if bytes < MIN_MEMORY {
        return Err(format!(
            "'{text}': DuckDB needs at least {} to run a query",
            crate::util::bytes(MIN_MEMORY)
        ));
    }
    Ok(bytes)
}

/// Below this, DuckDB cannot set up a read session.
const MIN_MEMORY: u64 = 32 * 1024 * 1024;

/// The default memory limit of `query`: half of what this machine (or its control group) has,
/// so a query can never take the memory everything else needs. `None` when neither can be read
/// (DuckDB's own default, 80% of RAM, then applies).
pub(crate) fn default_memory_limit() -> Option<u64> {
    let total = std::fs::read_to_string("/proc/meminfo")
        .ok()
        .and_then(|text| meminfo_total(&text));
    // cgroup v2, then v1 (whose "no limit" is a huge number, which `min` sets aside).
    let cgroup = [
        "/sys/fs/cgroup/memory.max",
        "/sys/fs/cgroup/memory/memory.limit_in_bytes",
    ]
    .iter()
    .find_map(|p| std::fs::read_to_string(p).ok())
    .and_then(|t| t.trim().parse::<u64>().ok());
    let available = match (total, cgroup) {
        (Some(t), Some(c)) => t.min(c),
        (t, c) => t.or(c)?,
    };
    Some((available / 2).max(MIN_MEMORY))
}

/// `MemTotal` of /proc/meminfo, in bytes.
fn meminfo_total(text: &str) -> Option<u64> {
    let line = text.lines().find(|l| l.starts_with("MemTotal:"))?;
    let kib: u64 = line
        .trim_start_matches("MemTotal:")
        .trim()
        .trim_end_matches("kB")
        .trim()
        .parse()
        .ok()?;
    Some(kib * 1024)
}

/// Elapsed time that stops while output waits: time spent blocked writing to a slow reader
/// (`| less`) does not count against `--timeout`, the query's own work does.
#[derive(Debug)]
pub(crate) struct Stopwatch {
    started: Instant,
    state: Mutex<Paused>,
}

#[derive(Debug, Default)]
struct Paused {
    total: Duration,
    since: Option<Instant>,
}

impl Stopwatch {
    pub(crate) fn start() -> Stopwatch {
        Stopwatch {
            started: Instant::now(),
            state: Mutex::new(Paused::default()),
        }
    }

    /// Time since the start, less the time paused.
    pub(crate) fn elapsed(&self) -> Duration {
        let now = Instant::now();
        let state = self.state.lock().unwrap_or_else(|e| e.into_inner());
        let paused = state.total + state.since.map_or(Duration::ZERO, |s| now - s);
        (now - self.started).saturating_sub(paused)
    }

    fn pause(&self) {
        let mut state = self.state.lock().unwrap_or_else(|e| e.into_inner());
        state.since.get_or_insert_with(Instant::now);
    }

    fn resume(&self) {
        let mut state = self.state.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(since) = state.since.take() {
            state.total += since.elapsed();
        }
    }
}

/// A writer whose writes do not count on the stopwatch: the time they block is the reader's.
pub(crate) struct Unclocked<'a, W> {
    inner: W,
    clock: &'a Stopwatch,
}

impl<'a, W: Write> Unclocked<'a, W> {
    pub(crate) fn new(inner: W, clock: &'a Stopwatch) -> Self {
        Unclocked { inner, clock }
    }
}

impl<W: Write> Write for Unclocked<'_, W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.clock.pause();
        let r = self.inner.write(buf);
        self.clock.resume();
        r
    }

    fn flush(&mut self) -> io::Result<()> {
        self.clock.pause();
        let r = self.inner.flush();
        self.clock.resume();
        r
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations() {
        let ms = Duration::from_millis;
        for (text, want) in [
            ("60s", ms(60_000)),
            ("5m", ms(300_000)),
            ("1500ms", ms(1500)),
            ("1h", ms(3_600_000)),
            ("2.5s", ms(2500)),
            (" 10 s ", ms(10_000)),
        ] {
            assert_eq!(parse_duration(text), Ok(want), "{text}");
        }
        for bad in ["60", "s", "-1s", "5x", "", "0s", "1e3s"] {
            assert!(parse_duration(bad).is_err(), "{bad}");
        }
        assert_eq!(show_duration(ms(60_000)), "60 s");
        assert_eq!(show_duration(ms(3000)), "3 s");
        assert_eq!(show_duration(ms(1500)), "1.5 s");
        assert_eq!(show_duration(ms(250)), "250 ms");
    }

    #[test]
    fn waits() {
        for zero in ["0", "0s", " 0ms "] {
            assert_eq!(parse_wait(zero), Ok(Duration::ZERO), "{zero}");
        }
        assert_eq!(parse_wait("30s"), Ok(Duration::from_secs(30)));
        assert_eq!(parse_wait("2m"), Ok(Duration::from_secs(120)));
        assert_eq!(
            parse_wait("soon"),
            Err("'soon': expected a duration such as 60s, 5m or 1500ms (or 0 not to wait)".into())
        );
        assert!(parse_wait("-1s").is_err());
    }

    #[test]
    fn memory_limits() {
        assert_eq!(parse_memory("4GiB"), Ok(4 << 30));
        assert!(parse_memory("1MB")
            .unwrap_err()
            .contains("DuckDB needs at least 32 MiB"));
        assert!(parse_memory("2").is_err());
    }

    #[test]
    fn meminfo() {
        let text = "MemTotal:       24576000 kB\nMemFree:         1000 kB\n";
        assert_eq!(meminfo_total(text), Some(24_576_000 * 1024));
        assert_eq!(meminfo_total("nothing"), None);
    }

    #[test]
    fn stopwatch_stops_while_writing_blocks() {
        struct Slow;
        impl Write for Slow {
            fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
                std::thread::sleep(Duration::from_millis(200));
                Ok(buf.len())
            }
            fn flush(&mut self) -> io::Result<()> {
                Ok(())
            }
        }
        let clock = Stopwatch::start();
        Unclocked::new(Slow, &clock).write_all(b"x").unwrap();
        assert!(
            clock.elapsed() < Duration::from_millis(100),
            "{:?}",
            clock.elapsed()
        );
    }
}
