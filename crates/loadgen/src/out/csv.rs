//! CSV as Flink's `csv` format reads it: one line per record, top-level fields as cells, null as
//! an empty cell, timestamps in the SQL layout. Nested values (records, arrays, maps) are
//! written as JSON text in one quoted cell.

use super::Out;
use super::json::{JsonOut, decimal_text};
use crate::time;

pub struct CsvOut<'a> {
    buf: &'a mut Vec<u8>,
    /// 0 outside the record, 1 at its fields, more inside nested values.
    depth: usize,
    cells: usize,
    nested: Vec<u8>,
    nested_open: Vec<bool>,
}

impl<'a> CsvOut<'a> {
    pub fn new(buf: &'a mut Vec<u8>) -> Self {
        Self {
            buf,
            depth: 0,
            cells: 0,
            nested: Vec::new(),
            nested_open: Vec::new(),
        }
    }

    fn cell(&mut self, text: &str) {
        if self.depth > 1 {
            let text = text.to_owned();
            self.in_json(|j| j.string(&text));
            return;
        }
        let needs_quotes = text.contains([',', '"', '\n', '\r']) || text.starts_with(' ') || text.ends_with(' ');
        if needs_quotes {
            self.buf.push(b'"');
            self.buf.extend_from_slice(text.replace('"', "\"\"").as_bytes());
            self.buf.push(b'"');
        } else {
            self.buf.extend_from_slice(text.as_bytes());
        }
    }

    /// A scalar: a cell at the top, a JSON value inside a nested one.
    fn scalar(&mut self, text: String, json: impl FnOnce(&mut JsonOut)) {
        if self.depth > 1 {
            self.in_json(json)
        } else {
            self.cell(&text)
        }
    }

    fn in_json(&mut self, write: impl FnOnce(&mut JsonOut)) {
        let mut json = JsonOut::resume(&mut self.nested, std::mem::take(&mut self.nested_open));
        write(&mut json);
        self.nested_open = json.into_open();
    }

    fn open_nested(&mut self, write: impl FnOnce(&mut JsonOut)) {
        if self.depth == 1 {
            self.nested.clear();
        }
        self.depth += 1;
        self.in_json(write);
    }

    fn close_nested(&mut self, write: impl FnOnce(&mut JsonOut)) {
        self.in_json(write);
        self.depth -= 1;
        if self.depth == 1 {
            let text = String::from_utf8_lossy(&self.nested).into_owned();
            self.cell(&text);
        }
    }

    fn text_of(render: impl FnOnce(&mut Vec<u8>)) -> String {
        let mut out = Vec::new();
        render(&mut out);
        String::from_utf8_lossy(&out).into_owned()
    }
}

impl Out for CsvOut<'_> {
    fn null(&mut self) {
        if self.depth > 1 {
            self.in_json(|j| j.null());
        }
    }
    fn boolean(&mut self, v: bool) {
        self.scalar(v.to_string(), |j| j.boolean(v));
    }
    fn int(&mut self, v: i32) {
        self.scalar(v.to_string(), |j| j.int(v));
    }
    fn long(&mut self, v: i64) {
        self.scalar(v.to_string(), |j| j.long(v));
    }
    fn float(&mut self, v: f32) {
        self.scalar(v.to_string(), |j| j.float(v));
    }
    fn double(&mut self, v: f64) {
        self.scalar(v.to_string(), |j| j.double(v));
    }
    fn bytes(&mut self, v: &[u8]) {
        use base64::Engine as _;
        self.scalar(base64::engine::general_purpose::STANDARD.encode(v), |j| j.bytes(v));
    }
    fn string(&mut self, v: &str) {
        self.cell(v);
    }
    fn enum_symbol(&mut self, _index: usize, symbol: &str) {
        self.cell(symbol);
    }
    fn fixed(&mut self, v: &[u8]) {
        self.bytes(v);
    }
    fn decimal(&mut self, unscaled: i128, scale: u32, fixed_size: Option<usize>) {
        self.scalar(decimal_text(unscaled, scale), |j| {
            j.decimal(unscaled, scale, fixed_size)
        });
    }
    fn uuid(&mut self, v: &str) {
        self.cell(v);
    }
    fn date(&mut self, days: i32) {
        self.scalar(Self::text_of(|b| time::write_date(b, i64::from(days))), |j| {
            j.date(days)
        });
    }
    fn time_millis(&mut self, millis: i32) {
        self.scalar(
            Self::text_of(|b| time::write_time_of_day(b, i64::from(millis), 1000, 0)),
            |j| j.time_millis(millis),
        );
    }
    fn time_micros(&mut self, micros: i64) {
        self.scalar(
            Self::text_of(|b| time::write_time_of_day(b, micros, 1_000_000, 0)),
            |j| j.time_micros(micros),
        );
    }
    fn timestamp_millis(&mut self, millis: i64, local: bool) {
        let text = Self::text_of(|b| {
            time::write_timestamp(b, millis, 1000, 3);
            if local {
                b.push(b'Z');
            }
        });
        self.scalar(text, |j| j.timestamp_millis(millis, local));
    }
    fn timestamp_micros(&mut self, micros: i64, local: bool) {
        let text = Self::text_of(|b| {
            time::write_timestamp(b, micros, 1_000_000, 6);
            if local {
                b.push(b'Z');
            }
        });
        self.scalar(text, |j| j.timestamp_micros(micros, local));
    }
    fn duration(&mut self, months: u32, days: u32, millis: u32) {
        if self.depth > 1 {
            self.in_json(|j| j.duration(months, days, millis));
        } else {
            self.cell(&format!("P{months}M{days}DT{millis}ms"));
        }
    }
    fn begin_record(&mut self, fields: usize) {
        if self.depth == 0 {
            self.depth = 1;
            self.cells = 0;
        } else {
            self.open_nested(|j| j.begin_record(fields));
        }
    }
    fn field(&mut self, name: &str) {
        if self.depth == 1 {
            if self.cells > 0 {
                self.buf.push(b',');
            }
            self.cells += 1;
        } else {
            let name = name.to_owned();
            self.in_json(|j| j.field(&name));
        }
    }
    fn end_record(&mut self) {
        if self.depth == 1 {
            self.depth = 0;
        } else {
            self.close_nested(|j| j.end_record());
        }
    }
    fn begin_array(&mut self, len: usize) {
        self.open_nested(|j| j.begin_array(len));
    }
    fn end_array(&mut self) {
        self.close_nested(|j| j.end_array());
    }
    fn begin_map(&mut self, len: usize) {
        self.open_nested(|j| j.begin_map(len));
    }
    fn map_key(&mut self, key: &str) {
        let key = key.to_owned();
        self.in_json(|j| j.map_key(&key));
    }
    fn end_map(&mut self) {
        self.close_nested(|j| j.end_map());
    }
    fn union_branch(&mut self, _index: usize) {}
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flat_cells_quoting_nulls_and_nested_json() {
        let mut buf = Vec::new();
        let mut out = CsvOut::new(&mut buf);
        out.begin_record(5);
        out.field("a");
        out.string("Smith, \"J\"");
        out.field("b");
        out.null();
        out.field("c");
        out.decimal(12345, 2, None);
        out.field("d");
        out.begin_array(2);
        out.string("x");
        out.int(2);
        out.end_array();
        out.field("e");
        out.timestamp_millis(1_709_284_502_120, false);
        out.end_record();
        assert_eq!(
            String::from_utf8(buf).unwrap(),
            r#""Smith, ""J""",,123.45,"[""x"",2]",2024-03-01 09:15:02.120"#
        );
    }
}
