//! Reading an export file: encoding, format detection (CSV with its delimiter, JSON array, NDJSON)
//! and iteration over records with their source line numbers and verbatim text.
//! Knows nothing of fields or the database; ingest gives the records meaning.

use std::borrow::Cow;
use std::fs;
use std::io::Read;
use std::path::Path;

use serde_json::value::RawValue;
use serde_json::Value;

use crate::error::InputError;

/// A text encoding the user can name with `--encoding`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum, Default)]
pub(crate) enum Encoding {
    #[default]
    #[value(name = "utf-8")]
    Utf8,
    #[value(name = "latin-1", alias = "latin1", alias = "iso-8859-1")]
    Latin1,
    #[value(name = "utf-16", alias = "utf16")]
    Utf16,
}

/// The layout detected from the content.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Format {
    Csv(u8),
    JsonArray,
    Ndjson,
}

impl Format {
    pub(crate) fn describe(self) -> &'static str {
        match self {
            Format::Csv(b',') => "csv (comma)",
            Format::Csv(b';') => "csv (semicolon)",
            Format::Csv(b'\t') => "csv (tab)",
            Format::Csv(_) => "csv",
            Format::JsonArray => "json",
            Format::Ndjson => "ndjson",
        }
    }
}

/// A file read whole and decoded to UTF-8, with its identity for provenance.
pub(crate) struct SourceFile {
    pub(crate) path: String,
    pub(crate) size: u64,
    pub(crate) sha256: String,
    pub(crate) text: String,
    pub(crate) format: Format,
}

impl SourceFile {
    /// Reads and decodes `path`, at most `max_bytes` of it (a device such as /dev/zero, or a
    /// file larger than that, is refused rather than read without bound). Every failure is one
    /// line naming the file.
    pub(crate) fn read(
        path: &Path,
        encoding: Encoding,
        max_bytes: u64,
    ) -> Result<SourceFile, InputError> {
        let shown = path.display().to_string();
        let err = |msg: String| InputError::new(&shown, msg);
        let meta = fs::metadata(path).map_err(|e| match e.kind() {
            std::io::ErrorKind::NotFound => err("no such file".into()),
            _ => err(format!("cannot read: {e}")),
        })?;
        if meta.is_dir() {
            return Err(err("is a directory, expected a CSV or JSON file".into()));
        }
        let bytes = read_at_most(path, meta.len(), max_bytes)
            .map_err(|e| err(format!("cannot read: {e}")))?;
        if bytes.len() as u64 > max_bytes {
            return Err(err(format!(
                "is larger than {} (--max-input-size); pass a larger --max-input-size to read it",
                crate::util::bytes(max_bytes)
            )));
        }
        if bytes.iter().all(|b| b.is_ascii_whitespace()) {
            return Err(err("is empty".into()));
        }
        let sha256 = crate::util::sha256_hex(&bytes);
        let size = bytes.len() as u64;
        let mut text = decode(bytes, encoding).map_err(err)?;
        // One rule wherever it is: a NUL never belongs in a text export, so the file is refused
        // (a value holding one would otherwise be stored, and break every tool downstream).
        if text.as_bytes().contains(&0) {
            let at = text.as_bytes().iter().position(|b| *b == 0).unwrap_or(0);
            let (line, col) = line_col(&text.as_bytes()[..at]);
            return Err(err(format!(
                "line {line}, column {col}: a NUL byte; a text export holds none (is this a binary file?)"
            )));
        }
        // Old Mac exports end lines with a bare CR. The CSV reader splits records on it but
        // counts lines by LF only, so every reject would say line 1: read such a file as LF.
        // (The SHA-256 above is of the file as given.)
        if !text.contains('\n') && text.contains('\r') {
            text = text.replace('\r', "\n");
        }
        let format = detect_format(&text);
        Ok(SourceFile {
            path: shown,
            size,
            sha256,
            text,
            format,
        })
    }

    /// The file name without its folders, as provenance and rejects show it.
    pub(crate) fn name(&self) -> String {
        Path::new(&self.path)
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| self.path.clone())
    }
}

/// Reads up to `max + 1` bytes, growing the buffer by fixed steps rather than doubling it, so a
/// device that never ends (/dev/zero) costs at most `max` and one step of memory.
fn read_at_most(path: &Path, size_hint: u64, max: u64) -> std::io::Result<Vec<u8>> {
    const STEP: usize = 8 << 20;
    let limit = max.saturating_add(1);
    let mut file = fs::File::open(path)?.take(limit);
    if size_hint > 0 {
        // A regular file: one allocation of its size (plus the probe for more).
        let mut bytes = Vec::with_capacity(size_hint.min(limit) as usize + 1);
        file.read_to_end(&mut bytes)?;
        return Ok(bytes);
    }
    let mut bytes = Vec::new();
    loop {
        if bytes.len() == bytes.capacity() {
            bytes.reserve_exact(STEP);
        }
        let len = bytes.len();
        let spare = bytes.capacity() - len;
        bytes.resize(len + spare, 0);
        let n = file.read(&mut bytes[len..])?;
        bytes.truncate(len + n);
        if n == 0 {
            return Ok(bytes);
        }
    }
}

fn looks_utf16(bytes: &[u8]) -> bool {
    if bytes.starts_with(&[0xFF, 0xFE]) || bytes.starts_with(&[0xFE, 0xFF]) {
        return true;
    }
    let head = &bytes[..bytes.len().min(4096)];
    let zeros_odd = head.iter().skip(1).step_by(2).filter(|b| **b == 0).count();
    let zeros_even = head.iter().step_by(2).filter(|b| **b == 0).count();
    let pairs = head.len() / 2;
    pairs > 0 && (zeros_odd * 10 > pairs * 8 || zeros_even * 10 > pairs * 8)
}

fn decode(bytes: Vec<u8>, encoding: Encoding) -> Result<String, String> {
    match encoding {
        Encoding::Utf8 => {
            if looks_utf16(&bytes) {
                return Err("looks like UTF-16, not UTF-8; pass --encoding utf-16".into());
            }
            match String::from_utf8(bytes) {
                Ok(mut s) => {
                    if s.starts_with('\u{feff}') {
                        s.drain(..3);
                    }
                    Ok(s)
                }
                Err(e) => {
                    let at = e.utf8_error().valid_up_to();
                    let bytes = e.as_bytes();
                    let (line, col) = line_col(&bytes[..at]);
                    Err(format!(
                        "line {line}, column {col}: not valid UTF-8 (byte 0x{:02X}); if the file is Latin-1 or UTF-16, pass --encoding latin-1 or --encoding utf-16",
                        bytes[at]
                    ))
                }
            }
        }
        Encoding::Latin1 => {
            let (text, _) = encoding_rs::WINDOWS_1252.decode_without_bom_handling(&bytes);
            Ok(text.into_owned())
        }
        Encoding::Utf16 => {
            let enc = if bytes.starts_with(&[0xFE, 0xFF]) {
                encoding_rs::UTF_16BE
            } else if bytes.starts_with(&[0xFF, 0xFE]) {
                encoding_rs::UTF_16LE
            } else if bytes.len() > 1 && bytes[0] == 0 {
                encoding_rs::UTF_16BE
            } else {
                encoding_rs::UTF_16LE
            };
            let (text, _, had_errors) = enc.decode(&bytes);
            if had_errors {
                return Err("is not valid UTF-16 (pass the right --encoding)".into());
            }
            Ok(text.trim_start_matches('\u{feff}').to_string())
        }
    }
}

fn line_col(prefix: &[u8]) -> (usize, usize) {
    let line = prefix.iter().filter(|b| **b == b'\n').count() + 1;
    let line_start = prefix
        .iter()
        .rposition(|b| *b == b'\n')
        .map_or(0, |p| p + 1);
    let col = String::from_utf8_lossy(&prefix[line_start..])
        .chars()
        .count()
        + 1;
    (line, col)
}

/// JSON starts with `[` (array) or `{` (one object per line); anything else is CSV,
/// delimited by whichever of `,` `;` TAB is most common outside quotes in the header line.
pub(crate) fn detect_format(text: &str) -> Format {
    match text.trim_start().as_bytes().first() {
        Some(b'[') => return Format::JsonArray,
        Some(b'{') => return Format::Ndjson,
        _ => {}
    }
    let mut counts = [0usize; 3];
    let mut quoted = false;
    for b in text.bytes() {
        match b {
            b'"' => quoted = !quoted,
            b'\n' if !quoted => break,
            b',' if !quoted => counts[0] += 1,
            b';' if !quoted => counts[1] += 1,
            b'\t' if !quoted => counts[2] += 1,
            _ => {}
        }
    }
    let delims = [b',', b';', b'\t'];
    let best = (0..3).max_by_key(|i| (counts[*i], 3 - i)).unwrap_or(0);
    Format::Csv(delims[best])
}

/// One record: its line in the file (the header is line 1), its verbatim text, and its cells
/// indexed like `Table::headers`.
pub(crate) struct Record<'a> {
    pub(crate) line: u64,
    /// Where `raw` starts in the decoded file, so a row's text can be found again later.
    pub(crate) start: usize,
    pub(crate) raw: &'a str,
    cells: Cells<'a>,
    /// Set when the record cannot be read as cells at all: (reason code, detail).
    pub(crate) unreadable: Option<(&'static str, String)>,
    /// Set when the record has a nested JSON value in a column: (column index, detail).
    pub(crate) bad_cell: Option<(usize, String)>,
}

/// A CSV record is borrowed as the reader produced it (no per-row copy); a JSON record is
/// laid out by header, `None` where the object lacks the key.
enum Cells<'a> {
    Csv(&'a csv::StringRecord),
    Json(Vec<Option<Cow<'a, str>>>),
}

impl Record<'_> {
    /// The text of column `i`, or `None` where the record has no such cell.
    pub(crate) fn cell(&self, i: usize) -> Option<&str> {
        match &self.cells {
            Cells::Csv(r) => r.get(i),
            Cells::Json(v) => v.get(i).and_then(|c| c.as_deref()),
        }
    }

    /// How many cells the record has (for CSV, the field count to check against the header).
    pub(crate) fn width(&self) -> usize {
        match &self.cells {
            Cells::Csv(r) => r.len(),
            Cells::Json(v) => v.len(),
        }
    }
}

/// The headers of a file and a way to walk its records.
pub(crate) struct Table<'a> {
    pub(crate) headers: Vec<String>,
    source: &'a SourceFile,
    json_records: Vec<JsonRecord<'a>>,
    /// Where the first CSV record after the header starts.
    data_start: usize,
}

/// A contiguous run of a table's records: those that start at a byte in `start..end`.
/// Parts cut at line ends can be read on separate threads; `Table::for_each_in` says whether a
/// cut fell inside a quoted field, so the caller can re-read from the true record start.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Part {
    pub(crate) start: usize,
    pub(crate) end: usize,
    /// Line ends before `start`, so lines count from the top of the file.
    lines_before: u64,
}

/// The longest record (or header) read: a longer one is a `record-too-long` reject (the header:
/// the file is refused), so no single row can exhaust memory or flood messages.
pub(crate) const MAX_RECORD_BYTES: usize = 1 << 20;
/// The most columns a header may have.
pub(crate) const MAX_COLUMNS: usize = 1000;

/// The smallest part: a file under twice this is read as one part, as threads would cost more
/// than they save.
const MIN_PART_BYTES: usize = 1 << 20;

struct JsonRecord<'a> {
    line: u64,
    raw: &'a str,
    parsed: Result<serde_json::Map<String, Value>, String>,
}

impl<'a> Table<'a> {
    pub(crate) fn open(source: &'a SourceFile) -> Result<Table<'a>, InputError> {
        match source.format {
            Format::Csv(delim) => {
                // Checked on the raw first line before the reader splits it: a 50 MB line of
                // commas would otherwise become 50 million header strings.
                let first = source.text.split('\n').next().unwrap_or_default();
                if first.len() > MAX_RECORD_BYTES {
                    return Err(InputError::new(
                        &source.path,
                        format!(
                            "the header line is {} long; a header has at most {}",
                            crate::util::bytes(first.len() as u64),
                            crate::util::bytes(MAX_RECORD_BYTES as u64)
                        ),
                    ));
                }
                let columns = first.bytes().filter(|b| *b == delim).count() + 1;
                if columns > MAX_COLUMNS {
                    return Err(InputError::new(
                        &source.path,
                        format!(
                            "the header has {columns} columns; an export has at most {MAX_COLUMNS}"
                        ),
                    ));
                }
                let mut rdr = csv_reader(&source.text, delim);
                let mut rec = csv::StringRecord::new();
                let has = rdr.read_record(&mut rec).map_err(|e| {
                    InputError::new(&source.path, format!("cannot read the header: {e}"))
                })?;
                if !has {
                    return Err(InputError::new(&source.path, "is empty".into()));
                }
                Ok(Table {
                    headers: rec.iter().map(|h| h.trim().to_string()).collect(),
                    source,
                    json_records: Vec::new(),
                    data_start: rdr.position().byte() as usize,
                })
            }
            Format::JsonArray | Format::Ndjson => {
                let json_records = json_records(source)?;
                let mut headers: Vec<String> = Vec::new();
                for r in &json_records {
                    if let Ok(map) = &r.parsed {
                        for k in map.keys() {
                            if !headers.iter().any(|h| h == k) {
                                if headers.len() == MAX_COLUMNS {
                                    return Err(InputError::new(
                                        &source.path,
                                        format!(
                                            "line {}: the records have more than {MAX_COLUMNS} different keys",
                                            r.line
                                        ),
                                    ));
                                }
                                headers.push(k.clone());
                            }
                        }
                    }
                }
                Ok(Table {
                    headers,
                    source,
                    json_records,
                    data_start: 0,
                })
            }
        }
    }

    /// JSON records are keyed, so they have no field count to check.
    pub(crate) fn is_json(&self) -> bool {
        !matches!(self.source.format, Format::Csv(_))
    }

    /// All the records as one part.
    pub(crate) fn whole(&self) -> Part {
        Part {
            start: self.data_start,
            end: self.source.text.len(),
            lines_before: count_newlines(&self.source.text.as_bytes()[..self.data_start]),
        }
    }

    /// The records of `part` from byte `from` on, where `from` (in the part or past it) is
    /// where a record really starts: for re-reading a part whose cut fell inside a field.
    pub(crate) fn resume(&self, part: &Part, from: usize) -> Part {
        Part {
            start: from,
            end: part.end,
            lines_before: part.lines_before
                + count_newlines(&self.source.text.as_bytes()[part.start..from]),
        }
    }

    /// Cuts a CSV table into about `n` parts at line ends; JSON and small files stay whole.
    /// A cut may fall inside a quoted field: `for_each_in` detects that (see `Part`).
    pub(crate) fn parts(&self, n: usize) -> Vec<Part> {
        self.parts_of_at_least(n, MIN_PART_BYTES)
    }

    /// As `parts`, with parts of at least `min_bytes` (tests cut small files finely).
    pub(crate) fn parts_of_at_least(&self, n: usize, min_bytes: usize) -> Vec<Part> {
        let text = self.source.text.as_bytes();
        let len = text.len() - self.data_start;
        let min_bytes = min_bytes.max(1);
        if self.is_json() || n < 2 || len < 2 * min_bytes {
            return vec![self.whole()];
        }
        let n = n.min(len / min_bytes);
        let mut cuts = vec![self.data_start];
        for k in 1..n {
            let target = self.data_start + len * k / n;
            let Some(nl) = text[target..].iter().position(|b| *b == b'\n') else {
                break;
            };
            // Past blank lines too, so that a part starts where its first record does.
            let cut = target
                + nl
                + text[target + nl..]
                    .iter()
                    .take_while(|b| matches!(b, b'\r' | b'\n'))
                    .count();
            if cut > *cuts.last().expect("starts with data_start") && cut < text.len() {
                cuts.push(cut);
            }
        }
        cuts.push(text.len());
        let mut lines_before = count_newlines(&text[..self.data_start]);
        cuts.windows(2)
            .map(|w| {
                let part = Part {
                    start: w[0],
                    end: w[1],
                    lines_before,
                };
                lines_before += count_newlines(&text[w[0]..w[1]]);
                part
            })
            .collect()
    }

    /// Calls `f` for each record that starts in `part`, in file order, and returns where the
    /// first record after the part starts. That equals `part.end` unless the cut at `part.end`
    /// fell inside a record (a quoted field holding a line end): the record was then read whole
    /// here, and the next part must be re-read from the returned offset.
    pub(crate) fn for_each_in<E>(
        &self,
        part: &Part,
        mut f: impl FnMut(Record<'_>) -> Result<(), E>,
    ) -> Result<usize, E>
    where
        E: From<InputError>,
    {
        match self.source.format {
            Format::Csv(delim) => {
                // The reader runs on to the end of the file, so a record straddling the cut is
                // read whole; it stops at the first record that starts at or past the cut.
                let text = &self.source.text[part.start..];
                let mut rdr = csv_reader(text, delim);
                let mut rec = csv::StringRecord::new();
                loop {
                    // The reader's only errors are invalid UTF-8 and I/O, neither possible over a
                    // decoded string; the line here is as near as the reader can say.
                    let ok = rdr.read_record(&mut rec).map_err(|e| {
                        let line = e.position().map_or(0, |p| p.line()) + part.lines_before;
                        InputError::new(&self.source.path, format!("line {line}: {e}"))
                    })?;
                    if !ok {
                        return Ok(self.source.text.len());
                    }
                    let pos = rec.position().expect("csv records carry a position");
                    let end = (rdr.position().byte() as usize).min(text.len());
                    // The reader's record position includes the line ends it skipped first (the
                    // LF of a CRLF, blank lines), and its line is where those began.
                    let from = pos.byte() as usize;
                    let (skipped, skipped_lines) = text.as_bytes()[from..end]
                        .iter()
                        .take_while(|b| matches!(b, b'\r' | b'\n'))
                        .fold((0, 0), |(n, l), b| (n + 1, l + u64::from(*b == b'\n')));
                    let start = from + skipped;
                    if part.start + start >= part.end {
                        return Ok(part.start + start);
                    }
                    let line = pos.line() + part.lines_before + skipped_lines;
                    f(Record {
                        line,
                        start: part.start + start,
                        raw: text[start..end].trim_end_matches(['\r', '\n']),
                        cells: Cells::Csv(&rec),
                        unreadable: None,
                        bad_cell: None,
                    })?;
                }
            }
            Format::JsonArray | Format::Ndjson => {
                // JSON is parsed whole in `open` and never cut, but a part still means the
                // records that start in it.
                for r in &self.json_records {
                    let start = r.raw.as_ptr() as usize - self.source.text.as_ptr() as usize;
                    if start < part.start {
                        continue;
                    }
                    if start >= part.end {
                        return Ok(start);
                    }
                    let mut cells = vec![None; self.headers.len()];
                    let mut unreadable = None;
                    let mut bad_cell = None;
                    match &r.parsed {
                        Err(msg) => unreadable = Some(("bad-json", msg.clone())),
                        Ok(map) => {
                            for (k, v) in map {
                                let idx = self
                                    .headers
                                    .iter()
                                    .position(|h| h == k)
                                    .expect("headers hold every key");
                                cells[idx] = Some(match v {
                                    Value::Null => Cow::Borrowed(""),
                                    Value::String(s) => Cow::Borrowed(s.as_str()),
                                    Value::Bool(b) => {
                                        Cow::Borrowed(if *b { "true" } else { "false" })
                                    }
                                    Value::Number(n) => Cow::Owned(n.to_string()),
                                    Value::Array(_) | Value::Object(_) => {
                                        bad_cell.get_or_insert((
                                            idx,
                                            format!("'{k}' holds a nested JSON value, expected text, a number or a boolean"),
                                        ));
                                        Cow::Borrowed("")
                                    }
                                });
                            }
                        }
                    }
                    f(Record {
                        line: r.line,
                        start,
                        raw: r.raw,
                        cells: Cells::Json(cells),
                        unreadable,
                        bad_cell,
                    })?;
                }
                Ok(self.source.text.len())
            }
        }
    }
}

fn csv_reader(text: &str, delim: u8) -> csv::Reader<&[u8]> {
    csv::ReaderBuilder::new()
        .delimiter(delim)
        .has_headers(false)
        .flexible(true)
        .from_reader(text.as_bytes())
}

fn json_records(source: &SourceFile) -> Result<Vec<JsonRecord<'_>>, InputError> {
    let text = source.text.as_str();
    let base = text.as_ptr() as usize;
    let mut line_of = LineCounter::new(text);
    let object = |raw: &str| -> Result<serde_json::Map<String, Value>, String> {
        match serde_json::from_str::<Value>(raw) {
            Ok(Value::Object(m)) => Ok(m),
            Ok(_) => Err("not a JSON object".into()),
            Err(e) => Err(format!("invalid JSON: {e}")),
        }
    };
    match source.format {
        Format::JsonArray => {
            let items: Vec<&RawValue> = serde_json::from_str(text).map_err(|e| {
                InputError::new(
                    &source.path,
                    format!(
                        "line {}, column {}: invalid JSON: {e}",
                        e.line(),
                        e.column()
                    )
                    .replace(&format!(" at line {} column {}", e.line(), e.column()), ""),
                )
            })?;
            Ok(items
                .into_iter()
                .map(|raw| {
                    let s = raw.get();
                    JsonRecord {
                        line: line_of.at(s.as_ptr() as usize - base),
                        raw: s,
                        parsed: object(s),
                    }
                })
                .collect())
        }
        _ => {
            let mut out = Vec::new();
            for (i, line) in text.split('\n').enumerate() {
                let trimmed = line.trim();
                if !trimmed.is_empty() {
                    out.push(JsonRecord {
                        line: i as u64 + 1,
                        raw: line.trim_end_matches('\r'),
                        parsed: object(trimmed),
                    });
                }
            }
            Ok(out)
        }
    }
}

fn count_newlines(bytes: &[u8]) -> u64 {
    bytes.iter().filter(|b| **b == b'\n').count() as u64
}

/// Turns ascending byte offsets into 1-based line numbers in one pass.
struct LineCounter<'a> {
    text: &'a [u8],
    pos: usize,
    line: u64,
}

impl<'a> LineCounter<'a> {
    fn new(text: &'a str) -> Self {
        LineCounter {
            text: text.as_bytes(),
            pos: 0,
            line: 1,
        }
    }

    fn at(&mut self, offset: usize) -> u64 {
        let upto = offset.min(self.text.len());
        if upto > self.pos {
            self.line += self.text[self.pos..upto]
                .iter()
                .filter(|b| **b == b'\n')
                .count() as u64;
            self.pos = upto;
        }
        self.line
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn detects_delimiters_and_json() {
        assert_eq!(detect_format("a,b;c\n"), Format::Csv(b','));
        assert_eq!(detect_format("a;b;c\n1,5;2;3"), Format::Csv(b';'));
        assert_eq!(detect_format("a\tb\n"), Format::Csv(b'\t'));
        assert_eq!(detect_format("\"x;y\",b\n"), Format::Csv(b','));
        assert_eq!(detect_format("  [ {\"a\":1} ]"), Format::JsonArray);
        assert_eq!(detect_format("{\"a\":1}\n{\"a\":2}"), Format::Ndjson);
    }

    #[test]
    fn utf16_and_latin1_decode() {
        let text = "Name,Email\nZoë,z@example.com\n";
        let mut le = vec![0xFF, 0xFE];
        for u in text.encode_utf16() {
            le.extend_from_slice(&u.to_le_bytes());
        }
        assert!(decode(le.clone(), Encoding::Utf8)
            .unwrap_err()
            .contains("--encoding utf-16"));
        assert_eq!(decode(le, Encoding::Utf16).unwrap(), text);
        let latin1 = b"Name,Email\nZo\xEB,z@example.com\n".to_vec();
        let err = decode(latin1.clone(), Encoding::Utf8).unwrap_err();
        assert!(err.starts_with("line 2, column 3:"), "{err}");
        assert!(err.contains("--encoding latin-1"), "{err}");
        assert_eq!(decode(latin1, Encoding::Latin1).unwrap(), text);
    }

    #[test]
    fn a_nul_anywhere_refuses_the_file_in_every_encoding() {
        let dir = tempfile::tempdir().unwrap();
        let text = format!("Name,Email\n{}Ann\0,a@x.com\n", "B,b@x.com\n".repeat(2000));
        let mut utf16 = vec![0xFF, 0xFE];
        for u in text.encode_utf16() {
            utf16.extend_from_slice(&u.to_le_bytes());
        }
        for (bytes, encoding) in [
            (text.clone().into_bytes(), Encoding::Utf8),
            (text.clone().into_bytes(), Encoding::Latin1),
            (utf16, Encoding::Utf16),
        ] {
            let path = dir.path().join("nul.csv");
            std::fs::write(&path, bytes).unwrap();
            let err = SourceFile::read(&path, encoding, u64::MAX)
                .err()
                .unwrap()
                .to_string();
            assert!(
                err.ends_with("nul.csv: line 2002, column 4: a NUL byte; a text export holds none (is this a binary file?)"),
                "{encoding:?}: {err}"
            );
        }
    }

    #[test]
    fn bom_is_stripped() {
        let with_bom = [&[0xEF, 0xBB, 0xBF][..], b"Name\n"].concat();
        assert_eq!(decode(with_bom, Encoding::Utf8).unwrap(), "Name\n");
    }

    #[test]
    fn line_counter_is_monotonic() {
        let mut lc = LineCounter::new("a\nb\n\nc");
        assert_eq!(lc.at(0), 1);
        assert_eq!(lc.at(2), 2);
        assert_eq!(lc.at(5), 4);
    }
}
