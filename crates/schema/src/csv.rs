//! Inferring a CSV file's columns by streaming its rows once.

use std::io::{BufReader, Read};
use std::path::Path;

use pipegen_diag::input;

use serde_json::{Value, json};

use crate::error::CsvError;
use crate::flink::{FlinkColumn, event_time_rank};

/// What a column holds. Widening goes int → long → double; anything mixed with text is text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ColumnKind {
    Boolean,
    /// Fits in 32 bits.
    Int,
    /// Needs 64 bits.
    Long,
    Double,
    /// `yyyy-MM-dd`.
    Date,
    /// `yyyy-MM-dd HH:mm:ss[.fraction]`: the layout Flink's csv format reads as TIMESTAMP.
    SqlTimestamp,
    /// ISO 8601 with `T`, optionally a fraction and a zone, uniform across the column.
    IsoTimestamp(IsoShape),
    /// Milliseconds since the epoch: a 13-digit integer column whose name says it is a time.
    EpochMillis,
    String,
}

/// The exact ISO layout of a column, so Flink can parse it with one pattern.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IsoShape {
    /// Digits after the seconds (0 when there is no fraction).
    pub fraction_digits: u8,
    pub zone: IsoZone,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IsoZone {
    None,
    /// `Z`.
    Utc,
    /// `+02:00`.
    Offset,
}

#[derive(Debug, Clone, PartialEq)]
pub struct CsvColumn {
    /// A valid AVRO and Flink identifier derived from the header.
    pub name: String,
    /// The header cell as written.
    pub header: String,
    pub kind: ColumnKind,
    pub nullable: bool,
    /// A few values, for messages and docs.
    pub samples: Vec<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct CsvInference {
    pub columns: Vec<CsvColumn>,
    /// Data rows read (the header excluded).
    pub rows: u64,
    /// How much of the file was read when it is longer than the sample inference reads
    /// (the rows after it were not looked at).
    pub sampled: Option<u64>,
}

/// A quoted field that runs this long where the sample ends is taken for an unclosed quote.
const MAX_QUOTED_FIELD: u64 = 1024 * 1024;

/// Reads the file once, row by row: all of it, or its first [`input::CSV_SAMPLE`] bytes
/// when it is longer (then the inference says so in [`CsvInference::sampled`]).
pub fn infer_csv(path: &Path) -> Result<CsvInference, CsvError> {
    infer_sample(path, input::CSV_SAMPLE.limit)
}

fn infer_sample(path: &Path, limit: u64) -> Result<CsvInference, CsvError> {
    let (file, metadata) = input::open_regular(path)?;
    let sampled = (metadata.len() > limit).then_some(limit);
    infer_from(path, BufReader::new(file).take(limit), sampled)
}

/// Infers the columns of CSV text read whole from `input`; `path` names it in errors.
pub fn infer_csv_from_reader(path: &Path, input: impl Read) -> Result<CsvInference, CsvError> {
    infer_from(path, input, None)
}

/// `sampled`: the input is the first that many bytes of a longer file.
fn infer_from(path: &Path, input: impl Read, sampled: Option<u64>) -> Result<CsvInference, CsvError> {
    let fail = |message: String, line: Option<u64>, hint: &str| CsvError {
        path: path.to_path_buf(),
        message,
        line,
        hint: Some(hint.to_owned()),
    };
    let mut reader = ::csv::ReaderBuilder::new()
        .has_headers(true)
        // Row lengths are checked here, so that a row cut by the end of the sample is not one.
        .flexible(true)
        .from_reader(QuoteTracker::new(input));
    let headers = reader
        .byte_headers()
        .map_err(|e| {
            fail(
                format!("cannot read the header: {e}"),
                Some(1),
                "the first line must name the columns",
            )
        })?
        .clone();
    let headers = text_fields(&headers).map_err(|_| {
        fail(
            "the header is not valid UTF-8".into(),
            Some(1),
            "save the file as UTF-8 text",
        )
    })?;
    if headers.is_empty() || headers.iter().all(|h| h.trim().is_empty()) {
        return Err(fail(
            "the file is empty".into(),
            Some(1),
            "the first line must name the columns, e.g. id,name,amount",
        ));
    }
    let names = column_names(headers.iter().map(String::as_str));
    let mut columns: Vec<ColumnState> = names.iter().map(|_| ColumnState::default()).collect();
    // One row behind the reader: the last row of a sample may be cut short, and is dropped.
    let mut pending = ::csv::ByteRecord::new();
    let mut next = ::csv::ByteRecord::new();
    let mut have_pending = false;
    let mut rows = 0u64;
    loop {
        let more = reader.read_byte_record(&mut next).map_err(|e| {
            let line = e.position().map(|p| p.line());
            fail(e.to_string(), line, "check the file's quoting near this line")
        })?;
        // An unclosed quote swallows the rest into the last row: say so before judging that row.
        if !more && let Some((message, line)) = unclosed_quote(reader.get_ref(), sampled) {
            return Err(fail(
                message,
                Some(line),
                "close the quoted field with `\"`; inside a quoted field, write a quote as two (`\"\"`)",
            ));
        }
        if have_pending && (more || sampled.is_none() || reader.get_ref().ended_a_row()) {
            observe_row(&pending, &headers, &mut columns).map_err(|(message, line)| {
                fail(
                    message,
                    line,
                    "every row needs one field per header column; quote fields that contain commas",
                )
            })?;
            rows += 1;
        }
        if !more {
            break;
        }
        std::mem::swap(&mut pending, &mut next);
        have_pending = true;
    }
    if rows == 0 {
        return Err(match sampled {
            Some(limit) => fail(
                format!("the first {} hold no complete row", input::shown_size(limit)),
                Some(1),
                "a CSV file has a header line and data rows, each ended by a line break",
            ),
            None => fail(
                "the file has a header but no data rows".into(),
                Some(1),
                "types are inferred from the data: add at least one row",
            ),
        });
    }
    let columns = names
        .into_iter()
        .zip(headers.iter())
        .zip(columns)
        .map(|((name, header), state)| state.finish(name, header))
        .collect();
    Ok(CsvInference { columns, rows, sampled })
}

/// The quoted field still open where the reading ended, as a message and its line: at the end of
/// the file, or far back where a sample ends.
fn unclosed_quote<R>(quotes: &QuoteTracker<R>, sampled: Option<u64>) -> Option<(String, u64)> {
    let (line, offset) = quotes.open_quote()?;
    let message = match sampled {
        None => format!("the quote opened on line {line} is never closed"),
        Some(limit) if limit - offset > MAX_QUOTED_FIELD => format!(
            "the quote opened on line {line} is not closed within {}",
            input::shown_size(MAX_QUOTED_FIELD)
        ),
        Some(_) => return None,
    };
    Some((format!("{message}: the rest of the file would be one field"), line))
}

/// Feeds one data row to the column states; a wrong field count or bad UTF-8 is an error at
/// the row's line.
fn observe_row(
    record: &::csv::ByteRecord,
    headers: &[String],
    columns: &mut [ColumnState],
) -> Result<(), (String, Option<u64>)> {
    let line = record.position().map(|p| p.line());
    if record.len() != headers.len() {
        return Err((
            format!(
                "this row has {} fields but the header has {}",
                record.len(),
                headers.len()
            ),
            line,
        ));
    }
    let fields = text_fields(record).map_err(|_| ("this row is not valid UTF-8".to_owned(), line))?;
    for (state, value) in columns.iter_mut().zip(&fields) {
        state.observe(value);
    }
    Ok(())
}

fn text_fields(record: &::csv::ByteRecord) -> Result<Vec<String>, std::str::Utf8Error> {
    record
        .iter()
        .map(|field| std::str::from_utf8(field).map(str::to_owned))
        .collect()
}

/// Follows the file's quoting as the CSV parser reads it (RFC 4180 as the `csv` crate reads
/// it: a quote opens a field only at its start, `""` inside is a quote), because the parser
/// takes an unclosed quote for a field that runs to the end of the file.
struct QuoteTracker<R> {
    inner: R,
    state: QuoteState,
    line: u64,
    offset: u64,
    /// Line and byte offset of the quote that opened the current quoted field.
    opened: (u64, u64),
    last: Option<u8>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum QuoteState {
    FieldStart,
    Unquoted,
    Quoted,
    /// A quote inside a quoted field: the field's end, or the first of `""`.
    QuoteInQuoted,
}

impl<R> QuoteTracker<R> {
    fn new(inner: R) -> Self {
        Self {
            inner,
            state: QuoteState::FieldStart,
            line: 1,
            offset: 0,
            opened: (1, 0),
            last: None,
        }
    }

    fn track(&mut self, bytes: &[u8]) {
        use QuoteState::*;
        for &b in bytes {
            let ends_field = matches!(b, b',' | b'\n' | b'\r');
            self.state = match (self.state, b) {
                (FieldStart, b'"') => {
                    self.opened = (self.line, self.offset);
                    Quoted
                }
                (Quoted, b'"') => QuoteInQuoted,
                (Quoted, _) => Quoted,
                (QuoteInQuoted, b'"') => Quoted,
                (_, _) if ends_field => FieldStart,
                (_, _) => Unquoted,
            };
            if b == b'\n' {
                self.line += 1;
            }
            self.offset += 1;
        }
        if let Some(&b) = bytes.last() {
            self.last = Some(b);
        }
    }

    /// Where the quoted field still open at the end of what was read began.
    fn open_quote(&self) -> Option<(u64, u64)> {
        (self.state == QuoteState::Quoted).then_some(self.opened)
    }

    /// Whether what was read ends with a whole row (its line break included).
    fn ended_a_row(&self) -> bool {
        self.state == QuoteState::FieldStart && matches!(self.last, Some(b'\n' | b'\r'))
    }
}

impl<R: Read> Read for QuoteTracker<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.track(&buf[..n]);
        Ok(n)
    }
}

#[derive(Debug, Default)]
struct ColumnState {
    kind: Option<ColumnKind>,
    nullable: bool,
    all_13_digits: bool,
    seen: u64,
    samples: Vec<String>,
}

impl ColumnState {
    fn observe(&mut self, raw: &str) {
        let value = raw.trim();
        if value.is_empty() {
            self.nullable = true;
            return;
        }
        let kind = classify(value);
        let thirteen = value.len() == 13 && value.bytes().all(|b| b.is_ascii_digit());
        self.all_13_digits = if self.seen == 0 {
            thirteen
        } else {
            self.all_13_digits && thirteen
        };
        self.seen += 1;
        if self.samples.len() < 3 && !self.samples.iter().any(|s| s == value) {
            self.samples.push(value.to_owned());
        }
        self.kind = Some(match self.kind {
            None => kind,
            Some(current) => widen(current, kind),
        });
    }

    fn finish(self, name: String, header: &str) -> CsvColumn {
        let kind = match self.kind {
            None => ColumnKind::String, // empty everywhere: nothing says otherwise
            Some(ColumnKind::Long) if self.all_13_digits && names_a_time(&name) => ColumnKind::EpochMillis,
            Some(kind) => kind,
        };
        CsvColumn {
            name,
            header: header.to_owned(),
            kind,
            nullable: self.nullable || self.kind.is_none(),
            samples: self.samples,
        }
    }
}

fn names_a_time(name: &str) -> bool {
    name.ends_with("_ms")
        || name.ends_with("_millis")
        || name.starts_with("epoch")
        || name.contains("timestamp")
        || name == "ts"
        || name.ends_with("_ts")
        || name.ends_with("_time")
        || name.ends_with("_at")
}

fn classify(value: &str) -> ColumnKind {
    if value.eq_ignore_ascii_case("true") || value.eq_ignore_ascii_case("false") {
        return ColumnKind::Boolean;
    }
    if let Ok(n) = value.parse::<i64>() {
        return if i32::try_from(n).is_ok() {
            ColumnKind::Int
        } else {
            ColumnKind::Long
        };
    }
    let numeric = value.bytes().any(|b| b.is_ascii_digit())
        && value
            .bytes()
            .all(|b| b.is_ascii_digit() || matches!(b, b'.' | b'-' | b'+' | b'e' | b'E'));
    if numeric && value.parse::<f64>().is_ok_and(f64::is_finite) {
        return ColumnKind::Double;
    }
    if let Some(kind) = classify_time(value) {
        return kind;
    }
    ColumnKind::String
}

fn classify_time(value: &str) -> Option<ColumnKind> {
    let bytes = value.as_bytes();
    if !is_date(bytes.get(..10)?) {
        return None;
    }
    if bytes.len() == 10 {
        return Some(ColumnKind::Date);
    }
    let separator = bytes[10];
    let rest = &bytes[11..];
    if rest.len() < 8 || !is_time(&rest[..8]) {
        return None;
    }
    let mut tail = &rest[8..];
    let mut fraction_digits = 0u8;
    if let Some(after_dot) = tail.strip_prefix(b".") {
        let digits = after_dot.iter().take_while(|b| b.is_ascii_digit()).count();
        if digits == 0 || digits > 9 {
            return None;
        }
        fraction_digits = digits as u8;
        tail = &after_dot[digits..];
    }
    match separator {
        b' ' if tail.is_empty() => Some(ColumnKind::SqlTimestamp),
        b'T' => {
            let zone = match tail {
                [] => IsoZone::None,
                [b'Z'] => IsoZone::Utc,
                [sign, h1, h2, b':', m1, m2]
                    if matches!(sign, b'+' | b'-') && [h1, h2, m1, m2].iter().all(|b| b.is_ascii_digit()) =>
                {
                    IsoZone::Offset
                }
                _ => return None,
            };
            Some(ColumnKind::IsoTimestamp(IsoShape { fraction_digits, zone }))
        }
        _ => None,
    }
}

fn digits(bytes: &[u8]) -> Option<u32> {
    bytes
        .iter()
        .try_fold(0u32, |n, b| b.is_ascii_digit().then(|| n * 10 + u32::from(b - b'0')))
}

fn is_date(b: &[u8]) -> bool {
    b.len() == 10
        && b[4] == b'-'
        && b[7] == b'-'
        && digits(&b[..4]).is_some()
        && digits(&b[5..7]).is_some_and(|m| (1..=12).contains(&m))
        && digits(&b[8..10]).is_some_and(|d| (1..=31).contains(&d))
}

fn is_time(b: &[u8]) -> bool {
    b[2] == b':'
        && b[5] == b':'
        && digits(&b[..2]).is_some_and(|h| h < 24)
        && digits(&b[3..5]).is_some_and(|m| m < 60)
        && digits(&b[6..8]).is_some_and(|s| s < 61)
}

fn widen(a: ColumnKind, b: ColumnKind) -> ColumnKind {
    use ColumnKind::*;
    match (a, b) {
        _ if a == b => a,
        (Int, Long) | (Long, Int) => Long,
        (Int | Long | Double, Int | Long | Double) => Double,
        (SqlTimestamp, SqlTimestamp) => SqlTimestamp,
        (IsoTimestamp(x), IsoTimestamp(y)) if x.zone == y.zone => {
            // Flink parses with one pattern: the same fraction length everywhere, or text.
            if x.fraction_digits == y.fraction_digits {
                a
            } else {
                String
            }
        }
        _ => String,
    }
}

/// Header cells to identifiers: lower case, `_` for anything else, no leading digit, unique.
fn column_names<'a>(headers: impl Iterator<Item = &'a str>) -> Vec<String> {
    let mut names: Vec<String> = Vec::new();
    for (index, header) in headers.enumerate() {
        let mut name: String = header
            .trim()
            .chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() {
                    c.to_ascii_lowercase()
                } else {
                    '_'
                }
            })
            .collect();
        name = name.trim_matches('_').to_owned();
        if name.is_empty() {
            name = format!("col_{}", index + 1);
        } else if name.starts_with(|c: char| c.is_ascii_digit()) {
            name.insert(0, '_');
        }
        let base = name.clone();
        let mut n = 2;
        while names.contains(&name) {
            name = format!("{base}_{n}");
            n += 1;
        }
        names.push(name);
    }
    names
}

/// An AVRO record with one field per column; empty cells make a field `["null", T]`.
pub fn avro_schema(inference: &CsvInference, record_name: &str, namespace: &str) -> Value {
    let fields: Vec<Value> = inference
        .columns
        .iter()
        .map(|c| {
            let t = match c.kind {
                ColumnKind::Boolean => json!("boolean"),
                ColumnKind::Int => json!("int"),
                ColumnKind::Long => json!("long"),
                ColumnKind::Double => json!("double"),
                ColumnKind::Date => json!({"type": "int", "logicalType": "date"}),
                ColumnKind::SqlTimestamp | ColumnKind::IsoTimestamp(_) | ColumnKind::EpochMillis => {
                    json!({"type": "long", "logicalType": "timestamp-millis"})
                }
                ColumnKind::String => json!("string"),
            };
            let mut field = json!({"name": c.name});
            if c.nullable {
                field["type"] = json!(["null", t]);
                field["default"] = Value::Null;
            } else {
                field["type"] = t;
            }
            if c.header != c.name {
                field["doc"] = json!(format!("CSV column \"{}\"", c.header));
            }
            field
        })
        .collect();
    json!({"type": "record", "name": record_name, "namespace": namespace, "fields": fields})
}

/// How Flink's `csv` format declares the columns, and which one carries event time.
#[derive(Debug, Clone, PartialEq)]
pub struct CsvTableShape {
    pub physical: Vec<FlinkColumn>,
    pub event_time: Option<EventTimeColumn>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct EventTimeColumn {
    pub name: String,
    /// A computed column's expression, when the file's text needs converting first.
    pub expr: Option<String>,
}

pub fn flink_csv_table(inference: &CsvInference) -> CsvTableShape {
    let physical = inference
        .columns
        .iter()
        .map(|c| FlinkColumn {
            name: c.name.clone(),
            data_type: match c.kind {
                ColumnKind::Boolean => "BOOLEAN",
                ColumnKind::Int => "INT",
                ColumnKind::Long | ColumnKind::EpochMillis => "BIGINT",
                ColumnKind::Double => "DOUBLE",
                ColumnKind::Date => "DATE",
                // Flink's csv format reads `yyyy-MM-dd HH:mm:ss[.fff]` as TIMESTAMP directly.
                ColumnKind::SqlTimestamp => "TIMESTAMP(3)",
                // ISO text is read as STRING and converted by a computed column.
                ColumnKind::IsoTimestamp(_) | ColumnKind::String => "STRING",
            }
            .to_owned(),
            nullable: c.nullable,
        })
        .collect();
    let event_time = inference
        .columns
        .iter()
        .filter(|c| {
            !c.nullable
                && matches!(
                    c.kind,
                    ColumnKind::SqlTimestamp | ColumnKind::IsoTimestamp(_) | ColumnKind::EpochMillis
                )
        })
        .min_by_key(|c| event_time_rank(&c.name))
        .map(|c| match c.kind {
            ColumnKind::SqlTimestamp => EventTimeColumn {
                name: c.name.clone(),
                expr: None,
            },
            ColumnKind::EpochMillis => EventTimeColumn {
                name: format!("{}_ts", c.name),
                expr: Some(format!("TO_TIMESTAMP_LTZ(`{}`, 3)", c.name)),
            },
            ColumnKind::IsoTimestamp(shape) => EventTimeColumn {
                name: format!("{}_ts", c.name),
                expr: Some(format!("TO_TIMESTAMP(`{}`, '{}')", c.name, iso_pattern(shape))),
            },
            _ => unreachable!("filtered to time kinds above"),
        });
    CsvTableShape { physical, event_time }
}

/// A Flink `TO_TIMESTAMP` pattern (quotes doubled for a SQL literal).
fn iso_pattern(shape: IsoShape) -> String {
    let mut pattern = "yyyy-MM-dd''T''HH:mm:ss".to_owned();
    if shape.fraction_digits > 0 {
        pattern.push('.');
        pattern.push_str(&"S".repeat(usize::from(shape.fraction_digits)));
    }
    match shape.zone {
        IsoZone::None => {}
        IsoZone::Utc => pattern.push_str("''Z''"),
        IsoZone::Offset => pattern.push_str("XXX"),
    }
    pattern
}

#[cfg(test)]
mod tests {
    use super::*;

    fn infer(text: &str) -> Result<CsvInference, CsvError> {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("in.csv");
        std::fs::write(&path, text).unwrap();
        infer_csv(&path)
    }

    fn kinds(inference: &CsvInference) -> Vec<(&str, ColumnKind, bool)> {
        inference
            .columns
            .iter()
            .map(|c| (c.name.as_str(), c.kind, c.nullable))
            .collect()
    }

    #[test]
    fn infers_every_kind() {
        let text = "ID,Customer Name,amount,big,flag,day,at_time,created_ms,iso,note\n\
            1,\"Smith, Jane\",1.5,9007199254740993,true,2024-03-01,2024-03-01 09:15:02.120,1709284502120,2024-03-01T09:15:02Z,\"two\nlines\"\n\
            2,Bob,,2147483648,FALSE,2024-03-02,2024-03-02 10:00:00,1709370000000,2024-03-02T10:00:00Z,\n";
        let inference = infer(text).unwrap();
        assert_eq!(inference.rows, 2);
        use ColumnKind::*;
        assert_eq!(
            kinds(&inference),
            vec![
                ("id", Int, false),
                ("customer_name", String, false),
                ("amount", Double, true),
                ("big", Long, false),
                ("flag", Boolean, false),
                ("day", Date, false),
                ("at_time", SqlTimestamp, false),
                ("created_ms", EpochMillis, false),
                (
                    "iso",
                    IsoTimestamp(IsoShape {
                        fraction_digits: 0,
                        zone: IsoZone::Utc
                    }),
                    false
                ),
                ("note", String, true),
            ]
        );
        assert_eq!(inference.columns[1].header, "Customer Name");
    }

    #[test]
    fn widens_and_falls_back_to_text() {
        let inference = infer("a,b,c,d,e\n1,1,2024-01-01,x,true\n3000000000,2.5,2024-01-01 00:00:00,1,1\n").unwrap();
        use ColumnKind::*;
        assert_eq!(
            kinds(&inference),
            vec![
                ("a", Long, false),
                ("b", Double, false),
                ("c", String, false),
                ("d", String, false),
                ("e", String, false)
            ]
        );
        // A 13-digit column without a time-like name stays a number.
        let inference = infer("account\n1709284502120\n").unwrap();
        assert_eq!(inference.columns[0].kind, Long);
    }

    #[test]
    fn names_are_identifiers_and_unique() {
        let inference = infer("1st,a b,a_b,,Ünit\n1,2,3,4,5\n").unwrap();
        let names: Vec<&str> = inference.columns.iter().map(|c| c.name.as_str()).collect();
        assert_eq!(names, ["_1st", "a_b", "a_b_2", "col_4", "nit"]);
    }

    #[test]
    fn errors_name_the_line() {
        let err = infer("a,b\n1,2\n3,4,5\n").unwrap_err();
        assert_eq!(err.line, Some(3), "{err:?}");
        assert!(
            err.message.contains("3 fields") && err.message.contains("has 2"),
            "{err:?}"
        );
        assert!(infer("").unwrap_err().message.contains("empty"));
        assert!(infer("a,b\n").unwrap_err().message.contains("no data rows"));
    }

    #[test]
    fn an_unclosed_quote_is_an_error_at_its_line() {
        let err = infer("a,b\n1,2\n3,\"x\n4,5\n6,7\n").unwrap_err();
        assert_eq!(err.line, Some(3), "{err:?}");
        assert!(
            err.message.contains("the quote opened on line 3 is never closed"),
            "{err:?}"
        );
        assert!(err.hint.as_deref().unwrap().contains("\"\""), "{err:?}");
        let err = infer("a,\"b\n1,2\n").unwrap_err();
        assert_eq!(err.line, Some(1), "{err:?}");
        // Quotes that close, doubled quotes, and quotes inside unquoted fields are fine.
        let inference = infer("a,b\n\"x \"\"y\"\"\nz\",2\n5 \"inch,3\n").unwrap();
        assert_eq!(inference.rows, 2);
    }

    fn infer_in_part(text: &str, limit: u64) -> Result<CsvInference, CsvError> {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("in.csv");
        std::fs::write(&path, text).unwrap();
        infer_sample(&path, limit)
    }

    #[test]
    fn a_long_file_is_sampled_and_says_so() {
        let text = "id,word\n1,a\n2,b\n3,ccccccccc\n";
        let whole = infer_in_part(text, 1024).unwrap();
        assert_eq!((whole.rows, whole.sampled), (3, None));
        // The sample ends inside row 3: it is left out rather than read short.
        let cut = infer_in_part(text, 20).unwrap();
        assert_eq!((cut.rows, cut.sampled), (2, Some(20)));
        // The sample ends right after a row: it counts.
        let cut = infer_in_part(text, 16).unwrap();
        assert_eq!((cut.rows, cut.sampled), (2, Some(16)));
        let err = infer_in_part("id,word\n1,a\n", 4).unwrap_err();
        assert!(err.message.contains("hold no complete row"), "{err:?}");
        // A quote open far longer than any field where the sample ends is taken as unclosed.
        let long = format!("a,b\n1,\"{}\n", "x".repeat(2 * 1024 * 1024));
        let err = infer_in_part(&long, 2 * 1024 * 1024).unwrap_err();
        assert_eq!(err.line, Some(2), "{err:?}");
        assert!(err.message.contains("is not closed within 1 MiB"), "{err:?}");
    }

    #[test]
    fn only_regular_files_are_read() {
        let err = infer_csv(Path::new("/dev/zero")).unwrap_err();
        assert_eq!(err.message, "/dev/zero is a character device, not a regular file");
        let err = infer_csv(Path::new("")).unwrap_err();
        assert_eq!(err.message, "the file name is empty");
        assert!(
            infer_csv(Path::new("/nonexistent.csv"))
                .unwrap_err()
                .message
                .contains("does not exist")
        );
    }

    #[test]
    fn avro_schema_parses_and_nullable_fields_default_to_null() {
        let inference = infer("id,when,amount\n1,2024-03-01 09:15:02,\n2,2024-03-01 09:15:03,2.5\n").unwrap();
        let schema = avro_schema(&inference, "Sales", "demo.csv");
        let parsed = apache_avro::Schema::parse(&schema).unwrap();
        let mut record = apache_avro::types::Record::new(&parsed).unwrap();
        record.put("id", 1i32);
        record.put("when", apache_avro::types::Value::TimestampMillis(1_709_284_502_000));
        record.put(
            "amount",
            apache_avro::types::Value::Union(1, Box::new(apache_avro::types::Value::Double(2.5))),
        );
        assert!(apache_avro::to_avro_datum(&parsed, record).is_ok());
        assert_eq!(schema["fields"][2]["type"], json!(["null", "double"]));
    }

    #[test]
    fn flink_shape_picks_an_event_time() {
        let inference = infer("order_id,created_ms,note\n1,1709284502120,x\n").unwrap();
        let shape = flink_csv_table(&inference);
        assert_eq!(shape.physical[1].data_type, "BIGINT");
        assert_eq!(
            shape.event_time,
            Some(EventTimeColumn {
                name: "created_ms_ts".into(),
                expr: Some("TO_TIMESTAMP_LTZ(`created_ms`, 3)".into())
            })
        );
        let inference = infer("ts\n2024-03-01T09:15:02.120+02:00\n").unwrap();
        let shape = flink_csv_table(&inference);
        assert_eq!(
            shape.event_time.unwrap().expr.unwrap(),
            "TO_TIMESTAMP(`ts`, 'yyyy-MM-dd''T''HH:mm:ss.SSSXXX')"
        );
    }

    proptest::proptest! {
        #[test]
        fn never_panics_and_its_schema_always_parses(text in "[a-z0-9,\"\\n .:TZ-]{0,200}") {
            if let Ok(inference) = infer(&text) {
                let schema = avro_schema(&inference, "R", "p");
                proptest::prop_assert!(apache_avro::Schema::parse(&schema).is_ok(), "{}", schema);
                let _ = flink_csv_table(&inference);
            }
        }

        #[test]
        fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(proptest::num::u8::ANY, 0..300)) {
            let dir = tempfile::tempdir().unwrap();
            let path = dir.path().join("in.csv");
            std::fs::write(&path, &bytes).unwrap();
            let _ = infer_csv(&path);
        }
    }
}
