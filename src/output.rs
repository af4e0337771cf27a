//! Rendering plain rows to the terminal and to files: fitted tables, CSV with the
//! formula-injection guard, JSON. Knows nothing of DuckDB; callers hand it `Cell`s.

use std::io::{self, Write};

use chrono::{DateTime, Utc};
use serde_json::Value as Json;

/// One value of a result, typed enough to print as a table, CSV or JSON.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Cell {
    Null,
    Bool(bool),
    Int(i64),
    Float(f64),
    /// Text: a value a person or an export wrote, which the CSV formula guard inspects.
    Text(String),
    Time(DateTime<Utc>),
    /// A value of another type (a decimal, a date, an interval, a list…) in DuckDB's own
    /// rendering. It is not text, so the CSV formula guard leaves it alone; JSON gets it as a
    /// string, as DuckDB shows it.
    Other(String),
}

impl Cell {
    /// The text a table or CSV shows; NULL is empty.
    pub(crate) fn text(&self) -> String {
        match self {
            Cell::Null => String::new(),
            Cell::Bool(b) => if *b { "yes" } else { "no" }.to_string(),
            Cell::Int(i) => i.to_string(),
            Cell::Float(f) => f.to_string(),
            Cell::Text(s) | Cell::Other(s) => s.clone(),
            Cell::Time(t) => crate::util::iso(t),
        }
    }

    /// The cell as one CSV field: text is what the formula guard inspects, the rest never is.
    pub(crate) fn field(&self) -> (String, Kind) {
        let kind = match self {
            Cell::Text(_) => Kind::Text,
            _ => Kind::Value,
        };
        (self.text(), kind)
    }

    /// Tables show times to the minute: seconds are noise at a glance.
    fn table_text(&self) -> String {
        match self {
            Cell::Time(t) => t.format("%Y-%m-%d %H:%M").to_string(),
            Cell::Null => "-".into(),
            other => other.text(),
        }
    }

    pub(crate) fn json(&self) -> Json {
        match self {
            Cell::Null => Json::Null,
            Cell::Bool(b) => Json::Bool(*b),
            Cell::Int(i) => Json::from(*i),
            Cell::Float(f) => serde_json::Number::from_f64(*f).map_or(Json::Null, Json::Number),
            Cell::Text(s) | Cell::Other(s) => Json::String(s.clone()),
            Cell::Time(t) => Json::String(crate::util::iso(t)),
        }
    }
}

/// A result: headers and rows of cells.
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct Grid {
    pub(crate) headers: Vec<String>,
    pub(crate) rows: Vec<Vec<Cell>>,
}

impl Grid {
    /// Where each of `names` is, or an error naming the query that lacks one: readers pick
    /// cells by column name, never by position.
    pub(crate) fn columns<const N: usize>(
        &self,
        names: [&str; N],
        query: &str,
    ) -> anyhow::Result<[usize; N]> {
        let mut at = [0; N];
        for (slot, name) in at.iter_mut().zip(names) {
            *slot = self
                .headers
                .iter()
                .position(|h| h == name)
                .ok_or_else(|| anyhow::anyhow!("queries/{query} returns no column {name}"))?;
        }
        Ok(at)
    }
}

/// The width a table written to `out` fits: unlimited for a file (`-o`), else the terminal's.
pub(crate) fn width_for(out: Option<&std::path::Path>) -> Option<usize> {
    if out.is_some() {
        None
    } else {
        terminal_width()
    }
}

/// The width tables fit: the terminal's, else `$COLUMNS`, else unlimited (pipes get whole values).
pub(crate) fn terminal_width() -> Option<usize> {
    use std::io::IsTerminal;
    if let Ok(c) = std::env::var("COLUMNS") {
        if let Ok(n) = c.trim().parse::<usize>() {
            return Some(n.max(20));
        }
    }
    if io::stdout().is_terminal() {
        return terminal_size::terminal_size().map(|(w, _)| w.0 as usize);
    }
    None
}

/// The columns `s` takes on a terminal: two for CJK and emoji, none for combining marks
/// (Unicode's East Asian Width, as terminals follow it). Ambiguous characters (`…`, `─`) count
/// one, as in every non-CJK locale.
pub(crate) fn width(s: &str) -> usize {
    unicode_width::UnicodeWidthStr::width(s)
}

/// `s` cut to at most `max` columns, ending in `…` when cut. A two-column character that does
/// not fit whole is left out, so the result may be a column short; the caller pads.
fn truncate(s: &str, max: usize) -> String {
    if width(s) <= max {
        return s.to_string();
    }
    let budget = max.saturating_sub(1);
    let mut out = String::new();
    let mut used = 0;
    for c in s.chars() {
        let w = unicode_width::UnicodeWidthChar::width(c).unwrap_or(0);
        if used + w > budget {
            break;
        }
        used += w;
        out.push(c);
    }
    out.push('…');
    out
}

/// A cell's text on one line with nothing that moves the cursor: newlines and tabs become
/// spaces, and other control characters (an ESC from an export could recolour or rewrite the
/// terminal) become U+FFFD.
fn one_line(text: &str) -> String {
    text.chars()
        .map(|c| match c {
            '\n' | '\r' | '\t' => ' ',
            c if c.is_control() => '\u{FFFD}',
            c => c,
        })
        .collect()
}

/// Renders a fitted table: columns shrink (widest first, with an ellipsis) until the line fits.
pub(crate) fn table(grid: &Grid, max_width: Option<usize>) -> String {
    let texts: Vec<Vec<String>> = grid
        .rows
        .iter()
        .map(|r| r.iter().map(|c| one_line(&c.table_text())).collect())
        .collect();
    let headers: Vec<String> = grid.headers.iter().map(|h| one_line(h)).collect();
    let mut widths: Vec<usize> = headers.iter().map(|h| width(h)).collect();
    for row in &texts {
        for (i, t) in row.iter().enumerate() {
            widths[i] = widths[i].max(width(t));
        }
    }
    if let Some(max) = max_width {
        let sep = 2 * widths.len().saturating_sub(1);
        while widths.iter().sum::<usize>() + sep > max {
            let (i, w) = widths
                .iter()
                .enumerate()
                .max_by_key(|(_, w)| **w)
                .map(|(i, w)| (i, *w))
                .unwrap_or((0, 0));
            if w <= 4 {
                break;
            }
            widths[i] = w - 1;
        }
    }
    let mut out = String::new();
    let line = |cells: &[String], out: &mut String| {
        let parts: Vec<String> = cells
            .iter()
            .zip(&widths)
            .map(|(c, w)| {
                let t = truncate(c, *w);
                let pad = w - width(&t);
                format!("{t}{}", " ".repeat(pad))
            })
            .collect();
        out.push_str(parts.join("  ").trim_end());
        out.push('\n');
    };
    line(&headers, &mut out);
    let rule: Vec<String> = widths.iter().map(|w| "─".repeat(*w)).collect();
    out.push_str(&rule.join("  "));
    out.push('\n');
    for row in &texts {
        line(row, &mut out);
    }
    out
}

/// OWASP "CSV Injection": a cell a spreadsheet could read as a formula gets a leading `'`.
/// Covers `= + - @`, TAB, CR, LF and the full-width `＝ ＋ － ＠`.
pub(crate) fn guard_cell(text: &str) -> std::borrow::Cow<'_, str> {
    match text.chars().next() {
        Some(
            '=' | '+' | '-' | '@' | '\t' | '\r' | '\n' | '\u{FF1D}' | '\u{FF0B}' | '\u{FF0D}'
            | '\u{FF20}',
        ) => std::borrow::Cow::Owned(format!("'{text}")),
        _ => std::borrow::Cow::Borrowed(text),
    }
}

/// What a CSV field holds, which decides whether the formula guard looks at it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    /// Text (names, emails, labels, headers): guarded unless raw.
    Text,
    /// A number, boolean, timestamp or other typed value: never guarded, so `-5` stays `-5`.
    Value,
}

/// Writes CSV rows; text fields are guarded unless `raw`.
pub(crate) struct CsvOut<W: Write> {
    w: csv::Writer<W>,
    raw: bool,
}

impl<W: Write> CsvOut<W> {
    pub(crate) fn new(inner: W, raw: bool) -> Self {
        CsvOut {
            w: csv::WriterBuilder::new()
                .terminator(csv::Terminator::Any(b'\n'))
                .from_writer(inner),
            raw,
        }
    }

    /// A header line: every name is text.
    pub(crate) fn header<'a>(
        &mut self,
        names: impl IntoIterator<Item = &'a str>,
    ) -> io::Result<()> {
        self.row(names.into_iter().map(|n| (n, Kind::Text)))
    }

    pub(crate) fn row<'a>(
        &mut self,
        fields: impl IntoIterator<Item = (&'a str, Kind)>,
    ) -> io::Result<()> {
        for (c, kind) in fields {
            let field = if self.raw || kind == Kind::Value {
                std::borrow::Cow::Borrowed(c)
            } else {
                guard_cell(c)
            };
            self.w.write_field(field.as_bytes()).map_err(io_error)?;
        }
        self.w.write_record(None::<&[u8]>).map_err(io_error)
    }

    /// Writes a row of cells: text guarded (unless raw), other values as they are.
    pub(crate) fn cells(&mut self, cells: &[Cell]) -> io::Result<()> {
        let fields: Vec<(String, Kind)> = cells.iter().map(Cell::field).collect();
        self.row(fields.iter().map(|(t, k)| (t.as_str(), *k)))
    }

    /// Writes what is buffered through to the inner writer.
    pub(crate) fn flush(&mut self) -> io::Result<()> {
        self.w.flush()
    }

    pub(crate) fn finish(self) -> io::Result<W> {
        self.w
            .into_inner()
            .map_err(|e| io::Error::other(e.to_string()))
    }
}

/// The writer's own error as it is (a closed pipe stays `BrokenPipe`), others wrapped.
fn io_error(e: csv::Error) -> io::Error {
    if !e.is_io_error() {
        return io::Error::other(e);
    }
    match e.into_kind() {
        csv::ErrorKind::Io(e) => e,
        other => io::Error::other(format!("{other:?}")),
    }
}

/// A whole grid as CSV, text cells guarded unless `raw`.
pub(crate) fn csv_string(grid: &Grid, raw: bool) -> io::Result<String> {
    let mut out = CsvOut::new(Vec::new(), raw);
    out.header(grid.headers.iter().map(String::as_str))?;
    for r in &grid.rows {
        out.cells(r)?;
    }
    Ok(String::from_utf8(out.finish()?).expect("csv of UTF-8 is UTF-8"))
}

/// A grid as a JSON array of objects keyed by header.
pub(crate) fn json_rows(grid: &Grid) -> Json {
    Json::Array(
        grid.rows
            .iter()
            .map(|r| {
                Json::Object(
                    grid.headers
                        .iter()
                        .zip(r)
                        .map(|(h, c)| (h.clone(), c.json()))
                        .collect(),
                )
            })
            .collect(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn guard_every_dangerous_prefix() {
        for bad in [
            "=1+1", "+1", "-1", "@SUM(A1)", "\tx", "\rx", "\nx", "＝1", "＋1", "－1", "＠x",
        ] {
            assert_eq!(guard_cell(bad), format!("'{bad}"), "{bad:?}");
        }
        for ok in ["Zoë", "1-2", "a=b", "", " =x"] {
            assert_eq!(guard_cell(ok), ok, "{ok:?}");
        }
    }

    #[test]
    fn table_fits_width_with_ellipsis() {
        let grid = Grid {
            headers: vec!["name".into(), "email".into()],
            rows: vec![vec![
                Cell::Text("A very long name indeed".into()),
                Cell::Text("someone@example.com".into()),
            ]],
        };
        let t = table(&grid, Some(30));
        for line in t.lines() {
            assert!(width(line) <= 30, "{line:?} is {} wide", width(line));
        }
        assert!(t.contains('…'));
        let wide = table(&grid, None);
        assert!(wide.contains("A very long name indeed"));
    }

    #[test]
    fn wide_characters_take_two_columns_and_columns_stay_aligned() {
        assert_eq!(width("李小龍"), 6);
        assert_eq!(width("👩🏽‍💻"), 2);
        assert_eq!(width("Zoë"), 3);
        let grid = Grid {
            headers: vec!["name".into(), "email".into()],
            rows: vec![
                vec![
                    Cell::Text("李小龍".into()),
                    Cell::Text("li@example.com".into()),
                ],
                vec![
                    Cell::Text("Dee 🎉".into()),
                    Cell::Text("dee@example.com".into()),
                ],
                vec![
                    Cell::Text("Ann".into()),
                    Cell::Text("ann@example.com".into()),
                ],
            ],
        };
        let t = table(&grid, None);
        let at: Vec<usize> = t
            .lines()
            .filter(|l| !l.starts_with('─'))
            .map(|l| width(&l[..l.rfind("  ").unwrap() + 2]))
            .collect();
        assert!(at.iter().all(|&a| a == at[0]), "{t}");
        // Cut to fit: a wide character that does not fit whole is left out, never split.
        assert_eq!(truncate("李小龍李小龍", 6), "李小…");
        assert_eq!(truncate("李小龍李小龍", 5), "李小…");
        assert_eq!(one_line("a\x1b[31mb\nc"), "a\u{FFFD}[31mb c");
    }

    #[test]
    fn csv_quotes_and_guards() {
        let grid = Grid {
            headers: vec!["name".into()],
            rows: vec![
                vec![Cell::Text("=HYPERLINK(\"x\")".into())],
                vec![Cell::Text("Smith, Jo".into())],
            ],
        };
        assert_eq!(
            csv_string(&grid, false).unwrap(),
            "name\n\"'=HYPERLINK(\"\"x\"\")\"\n\"Smith, Jo\"\n"
        );
    }

    #[test]
    fn csv_guards_text_cells_only() {
        let grid = Grid {
            headers: vec![
                "n".into(),
                "f".into(),
                "t".into(),
                "other".into(),
                "b".into(),
            ],
            rows: vec![vec![
                Cell::Int(-5),
                Cell::Float(-0.5),
                Cell::Text("-5".into()),
                Cell::Other("-1 day".into()),
                Cell::Bool(false),
            ]],
        };
        assert_eq!(
            csv_string(&grid, false).unwrap(),
            "n,f,t,other,b\n-5,-0.5,'-5,-1 day,no\n"
        );
        let mut raw = CsvOut::new(Vec::new(), true);
        raw.cells(&grid.rows[0]).unwrap();
        assert_eq!(raw.finish().unwrap(), b"-5,-0.5,-5,-1 day,no\n");
    }
}
