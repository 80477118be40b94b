//! JSON as Flink's `json` format reads it: TIMESTAMP as `yyyy-MM-dd HH:mm:ss.SSS`, TIMESTAMP_LTZ
//! with a trailing `Z`, DATE as `yyyy-MM-dd`, TIME as `HH:mm:ss`, DECIMAL as a number, bytes as
//! base64, nullable unions as the plain value or null.

use base64::Engine as _;

use super::Out;
use crate::time;

pub struct JsonOut<'a> {
    buf: &'a mut Vec<u8>,
    /// For each open container: whether an element was written (a comma is due).
    open: Vec<bool>,
}

impl<'a> JsonOut<'a> {
    pub fn new(buf: &'a mut Vec<u8>) -> Self {
        Self { buf, open: Vec::new() }
    }

    /// Continues a document whose open containers are `open` (see [`JsonOut::into_open`]).
    pub(crate) fn resume(buf: &'a mut Vec<u8>, open: Vec<bool>) -> Self {
        Self { buf, open }
    }

    pub(crate) fn into_open(self) -> Vec<bool> {
        self.open
    }

    /// Before a value: a comma after the previous array element (objects place theirs with the key).
    fn before_value(&mut self) {
        if let Some(written) = self.open.last_mut() {
            if *written {
                self.buf.push(b',');
            }
            *written = true;
        }
    }

    fn raw(&mut self, text: &str) {
        self.before_value();
        self.buf.extend_from_slice(text.as_bytes());
    }

    fn quoted(&mut self, text: &str) {
        self.before_value();
        write_json_string(self.buf, text);
    }

    fn quoted_with(&mut self, render: impl FnOnce(&mut Vec<u8>)) {
        self.before_value();
        self.buf.push(b'"');
        render(self.buf);
        self.buf.push(b'"');
    }

    fn key(&mut self, key: &str) {
        if let Some(written) = self.open.last_mut() {
            if *written {
                self.buf.push(b',');
            }
            *written = false; // the value after the key adds no comma
        }
        write_json_string(self.buf, key);
        self.buf.push(b':');
    }

    fn open(&mut self, bracket: u8) {
        self.before_value();
        self.buf.push(bracket);
        self.open.push(false);
    }

    fn close(&mut self, bracket: u8) {
        self.open.pop();
        self.buf.push(bracket);
    }
}

pub(crate) fn write_json_string(buf: &mut Vec<u8>, text: &str) {
    buf.push(b'"');
    for c in text.chars() {
        match c {
            '"' => buf.extend_from_slice(b"\\\""),
            '\\' => buf.extend_from_slice(b"\\\\"),
            '\n' => buf.extend_from_slice(b"\\n"),
            '\r' => buf.extend_from_slice(b"\\r"),
            '\t' => buf.extend_from_slice(b"\\t"),
            c if (c as u32) < 0x20 => buf.extend_from_slice(format!("\\u{:04x}", c as u32).as_bytes()),
            c => {
                let mut utf8 = [0u8; 4];
                buf.extend_from_slice(c.encode_utf8(&mut utf8).as_bytes());
            }
        }
    }
    buf.push(b'"');
}

/// `unscaled × 10^-scale` as decimal text: 12345, 2 → `123.45`.
pub(crate) fn decimal_text(unscaled: i128, scale: u32) -> String {
    let digits = unscaled.unsigned_abs().to_string();
    let scale = scale as usize;
    let sign = if unscaled < 0 { "-" } else { "" };
    if scale == 0 {
        return format!("{sign}{digits}");
    }
    let padded = format!("{digits:0>width$}", width = scale + 1);
    let (int, frac) = padded.split_at(padded.len() - scale);
    format!("{sign}{int}.{frac}")
}

fn float_text(v: f64) -> String {
    if v.is_finite() {
        v.to_string()
    } else {
        "null".to_owned()
    }
}

impl Out for JsonOut<'_> {
    fn null(&mut self) {
        self.raw("null");
    }
    fn boolean(&mut self, v: bool) {
        self.raw(if v { "true" } else { "false" });
    }
    fn int(&mut self, v: i32) {
        self.raw(&v.to_string());
    }
    fn long(&mut self, v: i64) {
        self.raw(&v.to_string());
    }
    fn float(&mut self, v: f32) {
        self.raw(&float_text(f64::from(v)));
    }
    fn double(&mut self, v: f64) {
        self.raw(&float_text(v));
    }
    fn bytes(&mut self, v: &[u8]) {
        self.quoted(&base64::engine::general_purpose::STANDARD.encode(v));
    }
    fn string(&mut self, v: &str) {
        self.quoted(v);
    }
    fn enum_symbol(&mut self, _index: usize, symbol: &str) {
        self.quoted(symbol);
    }
    fn fixed(&mut self, v: &[u8]) {
        self.bytes(v);
    }
    fn decimal(&mut self, unscaled: i128, scale: u32, _fixed_size: Option<usize>) {
        self.raw(&decimal_text(unscaled, scale));
    }
    fn uuid(&mut self, v: &str) {
        self.quoted(v);
    }
    fn date(&mut self, days: i32) {
        self.quoted_with(|b| time::write_date(b, i64::from(days)));
    }
    fn time_millis(&mut self, millis: i32) {
        self.quoted_with(|b| time::write_time_of_day(b, i64::from(millis), 1000, 0));
    }
    fn time_micros(&mut self, micros: i64) {
        self.quoted_with(|b| time::write_time_of_day(b, micros, 1_000_000, 0));
    }
    fn timestamp_millis(&mut self, millis: i64, local: bool) {
        self.quoted_with(|b| {
            time::write_timestamp(b, millis, 1000, 3);
            if local {
                b.push(b'Z');
            }
        });
    }
    fn timestamp_micros(&mut self, micros: i64, local: bool) {
        self.quoted_with(|b| {
            time::write_timestamp(b, micros, 1_000_000, 6);
            if local {
                b.push(b'Z');
            }
        });
    }
    fn duration(&mut self, months: u32, days: u32, millis: u32) {
        let mut raw = Vec::with_capacity(12);
        for part in [months, days, millis] {
            raw.extend_from_slice(&part.to_le_bytes());
        }
        self.bytes(&raw);
    }
    fn begin_record(&mut self, _fields: usize) {
        self.open(b'{');
    }
    fn field(&mut self, name: &str) {
        self.key(name);
    }
    fn end_record(&mut self) {
        self.close(b'}');
    }
    fn begin_array(&mut self, _len: usize) {
        self.open(b'[');
    }
    fn end_array(&mut self) {
        self.close(b']');
    }
    fn begin_map(&mut self, _len: usize) {
        self.open(b'{');
    }
    fn map_key(&mut self, key: &str) {
        self.key(key);
    }
    fn end_map(&mut self) {
        self.close(b'}');
    }
    fn union_branch(&mut self, _index: usize) {}
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decimals_keep_their_scale() {
        assert_eq!(decimal_text(12345, 2), "123.45");
        assert_eq!(decimal_text(5, 2), "0.05");
        assert_eq!(decimal_text(-5, 2), "-0.05");
        assert_eq!(decimal_text(-123, 0), "-123");
    }

    #[test]
    fn writes_nested_json() {
        let mut buf = Vec::new();
        let mut out = JsonOut::new(&mut buf);
        out.begin_record(3);
        out.field("a");
        out.string("x\"y");
        out.field("b");
        out.begin_array(2);
        out.int(1);
        out.null();
        out.end_array();
        out.field("c");
        out.begin_map(1);
        out.map_key("k");
        out.timestamp_millis(1_709_284_502_120, false);
        out.end_map();
        out.end_record();
        assert_eq!(
            String::from_utf8(buf).unwrap(),
            r#"{"a":"x\"y","b":[1,null],"c":{"k":"2024-03-01 09:15:02.120"}}"#
        );
    }
}
