//! `rollcall query`: ad-hoc and saved SQL over the documented views, on a read-only connection,
//! bounded in time (`--timeout`) and memory (`--memory-limit`), its rows printed as DuckDB hands
//! them over so a result of any size streams through in bounded memory.

use std::io::{BufWriter, Write};
use std::time::Duration;

use anyhow::{Context, Result};

use super::snapshots::print_grid;
use super::Ctx;
use crate::bounds::{self, Stopwatch, Unclocked};
use crate::cli::{ListFormat, QueryArgs};
use crate::error::Failure;
use crate::output::{self, Cell, CsvOut, Grid};
use crate::read::Reader;
use crate::store::{Batch, TimedOut};

/// A table is fitted to its widest cells, so it is held before printing: at most this many rows
/// (the rest are counted, not kept). CSV and JSON stream every row.
const TABLE_ROWS: usize = 10_000;

pub(super) fn run(ctx: &Ctx, a: QueryArgs) -> Result<()> {
    if a.list {
        let saved = ctx.sql.saved()?;
        let grid = Grid {
            headers: ["name", "description", "source"].map(String::from).to_vec(),
            rows: saved
                .values()
                .map(|q| {
                    vec![
                        Cell::Text(q.name.clone()),
                        Cell::Text(q.description()),
                        Cell::Text(q.origin.clone()),
                    ]
                })
                .collect(),
        };
        return print_grid(&grid, a.format, "saved query", a.raw);
    }
    let (sql, origin) = if let Some(text) = &a.sql {
        (text.clone(), "query".to_string())
    } else if let Some(file) = &a.file {
        (
            std::fs::read_to_string(file).with_context(|| format!("--file {}", file.display()))?,
            file.display().to_string(),
        )
    } else if let Some(name) = &a.saved {
        let saved = ctx.sql.saved()?;
        let q = saved.get(name).ok_or_else(|| {
            Failure::Usage(format!(
                "--saved {name}: no such saved query (have: {})",
                saved.keys().cloned().collect::<Vec<_>>().join(", ")
            ))
        })?;
        (q.sql.clone(), format!("saved query {name}"))
    } else {
        unreachable!("clap requires one source")
    };
    let limits = Limits::of(&a)?;
    let request = super::request(a.snapshot, a.as_of.as_deref(), a.window_days)?;
    let reader = Reader::open_for_query(&ctx.db, &ctx.sql, &request, limits.memory)?;
    let statement = sql.trim().trim_end_matches(';').trim();

    let clock = Stopwatch::start();
    let stdout = Unclocked::new(std::io::stdout().lock(), &clock);
    let mut out = Rows::new(a.format, a.raw, BufWriter::with_capacity(1 << 16, stdout));
    let result = reader
        .adhoc(statement, limits.timeout, &clock, |grid| out.add(grid))
        .and_then(|headers| out.finish(&headers));
    match result {
        Ok(()) => Ok(()),
        // `| head`: the reader has what it wanted.
        Err(e) if closed_pipe(&e) => Ok(()),
        Err(e) => {
            let shown = out.stopped();
            if shown.as_ref().is_err_and(|e| !closed_pipe(e)) {
                return shown;
            }
            Err(explain(e, &origin, &limits))
        }
    }
}

/// What bounds the query, with the words its errors use.
struct Limits {
    timeout: Duration,
    timeout_flag: String,
    memory: Option<u64>,
    memory_text: String,
}

impl Limits {
    fn of(a: &QueryArgs) -> Result<Limits> {
        let timeout = bounds::parse_duration(&a.timeout)
            .map_err(|e| Failure::Usage(format!("--timeout {e}")))?;
        let (memory, memory_text) = match &a.memory_limit {
            Some(text) => {
                let bytes = bounds::parse_memory(text)
                    .map_err(|e| Failure::Usage(format!("--memory-limit {e}")))?;
                (Some(bytes), format!("--memory-limit {}", text.trim()))
            }
            None => match bounds::default_memory_limit() {
                Some(bytes) => (
                    Some(bytes),
                    format!(
                        "the default --memory-limit of {} (half this machine's memory)",
                        crate::util::bytes(bytes)
                    ),
                ),
                None => (None, "DuckDB's default memory limit".to_string()),
            },
        };
        Ok(Limits {
            timeout,
            timeout_flag: format!("--timeout {}", a.timeout.trim()),
            memory,
            memory_text,
        })
    }
}

/// The rows being printed, in the chosen format.
enum Rows<W: Write> {
    /// Up to [`TABLE_ROWS`] rows held, and how many more there were.
    Table {
        grid: Grid,
        more: u64,
    },
    Csv {
        out: Box<CsvOut<W>>,
        header: bool,
    },
    /// A JSON array of objects, written row by row exactly as a pretty-printed whole would be.
    Json {
        out: W,
        rows: u64,
    },
}

impl<W: Write> Rows<W> {
    fn new(format: ListFormat, raw: bool, w: W) -> Rows<W> {
        match format {
            // Tables print at the end, through `emit`.
            ListFormat::Table => Rows::Table {
                grid: Grid::default(),
                more: 0,
            },
            ListFormat::Csv => Rows::Csv {
                out: Box::new(CsvOut::new(w, raw)),
                header: false,
            },
            ListFormat::Json => Rows::Json { out: w, rows: 0 },
        }
    }

    /// One batch of rows, printed at once (flushed, so a slow query shows rows as they come).
    fn add(&mut self, batch: Batch<'_>) -> Result<()> {
        match self {
            Rows::Table { grid, more } => {
                // Rows past a full table are counted, never converted.
                let room = TABLE_ROWS.saturating_sub(grid.rows.len());
                let head = batch.grid(room);
                if grid.headers.is_empty() {
                    grid.headers = head.headers;
                }
                grid.rows.extend(head.rows);
                *more += batch.len().saturating_sub(room) as u64;
            }
            Rows::Csv { out, header } => {
                if !std::mem::replace(header, true) {
                    out.header(batch.headers().iter().map(String::as_str))?;
                }
                batch.csv(out)?;
                out.flush()?;
            }
            Rows::Json { out, rows } => {
                let batch = batch.grid(batch.len());
                for row in &batch.rows {
                    let object: serde_json::Map<String, serde_json::Value> = batch
                        .headers
                        .iter()
                        .zip(row)
                        .map(|(h, c)| (h.clone(), c.json()))
                        .collect();
                    let text = serde_json::to_string_pretty(&object)?;
                    out.write_all(if *rows == 0 { b"[\n" } else { b",\n" })?;
                    for (i, line) in text.lines().enumerate() {
                        if i > 0 {
                            out.write_all(b"\n")?;
                        }
                        out.write_all(b"  ")?;
                        out.write_all(line.as_bytes())?;
                    }
                    *rows += 1;
                }
                out.flush()?;
            }
        }
        Ok(())
    }

    /// The end of a complete result; `headers` name its columns even when it has no rows.
    fn finish(&mut self, headers: &[String]) -> Result<()> {
        match self {
            Rows::Table { grid, more } => {
                if grid.headers.is_empty() {
                    grid.headers = headers.to_vec();
                }
                let shown = grid.rows.len() as u64;
                let count = if *more == 0 {
                    format!(
                        "{} row{}",
                        crate::util::thousands(shown),
                        if shown == 1 { "" } else { "s" }
                    )
                } else {
                    format!(
                        "the first {} of {} rows: a table shows at most {}; --format csv or json prints them all",
                        crate::util::thousands(shown),
                        crate::util::thousands(shown + *more),
                        crate::util::thousands(TABLE_ROWS as u64)
                    )
                };
                let text = format!("{}{count}\n", output::table(grid, output::terminal_width()));
                super::emit(None, &text)
            }
            Rows::Csv { out, header } => {
                if !std::mem::replace(header, true) {
                    out.header(headers.iter().map(String::as_str))?;
                }
                Ok(out.flush()?)
            }
            Rows::Json { out, rows } => {
                out.write_all(if *rows == 0 { b"[]\n" } else { b"\n]\n" })?;
                Ok(out.flush()?)
            }
        }
    }

    /// The query failed or was stopped: a table shows the rows it got; CSV and JSON already
    /// printed theirs and stay as they are (a JSON array left open, so no reader mistakes it
    /// for a whole result).
    fn stopped(&mut self) -> Result<()> {
        match self {
            Rows::Table { grid, more } if !grid.rows.is_empty() => {
                let got = grid.rows.len() as u64 + *more;
                let text = format!(
                    "{}{} row{} before the query stopped\n",
                    output::table(grid, output::terminal_width()),
                    crate::util::thousands(got),
                    if got == 1 { "" } else { "s" }
                );
                super::emit(None, &text)
            }
            Rows::Table { .. } => Ok(()),
            Rows::Csv { out, .. } => Ok(out.flush()?),
            Rows::Json { out, .. } => Ok(out.flush()?),
        }
    }
}

/// Whether an error is a closed standard output (the reader went away, as `| head` does).
fn closed_pipe(e: &anyhow::Error) -> bool {
    e.chain().any(|c| {
        c.downcast_ref::<std::io::Error>()
            .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
    })
}

/// One line: a time or memory limit says which and what to do; refused writes say so plainly;
/// other DuckDB errors keep their position.
fn explain(e: anyhow::Error, origin: &str, limits: &Limits) -> anyhow::Error {
    if e.downcast_ref::<TimedOut>().is_some() {
        return Failure::Usage(format!(
            "{origin}: stopped after {} ({}); the database was not changed",
            bounds::show_duration(limits.timeout),
            limits.timeout_flag
        ))
        .into();
    }
    let msg = format!("{e:#}");
    if msg.contains("Out of Memory")
        || msg.contains("bad_alloc")
        || msg.contains("memory allocation")
    {
        // DuckDB's first sentence says what it could not allocate; its advice (SET …) does
        // not apply to rollcall, whose settings are locked.
        let what = msg
            .split("Possible solutions")
            .next()
            .unwrap_or(&msg)
            .trim();
        return Failure::Usage(format!(
            "{origin}: out of memory under {}: {what}; the database was not changed (narrow the query, or raise --memory-limit)",
            limits.memory_text
        ))
        .into();
    }
    if msg.contains("configuration has been locked") {
        return Failure::Usage(format!(
            "{origin}: refused: rollcall query's settings cannot be changed from SQL (use --memory-limit or --timeout) ({})",
            msg.replace("\"\"", "\"")
        ))
        .into();
    }
    if msg.contains("read-only mode") || msg.contains("read-only") {
        return Failure::Usage(format!(
            "{origin}: refused: rollcall query is read-only and the database was not changed ({msg})"
        ))
        .into();
    }
    Failure::Usage(format!("{origin}: {msg}")).into()
}
