//! Copies a scalar value's text to a key buffer while passing every call on: how the record
//! key (a field's value) is captured without drawing the value twice.

use super::Out;
use super::json::decimal_text;

pub struct KeyTee<'a, O: Out> {
    pub inner: &'a mut O,
    pub key: &'a mut Vec<u8>,
}

impl<O: Out> KeyTee<'_, O> {
    fn text(&mut self, text: &str) {
        self.key.extend_from_slice(text.as_bytes());
    }
}

impl<O: Out> Out for KeyTee<'_, O> {
    fn null(&mut self) {
        self.inner.null();
    }
    fn boolean(&mut self, v: bool) {
        self.text(if v { "true" } else { "false" });
        self.inner.boolean(v);
    }
    fn int(&mut self, v: i32) {
        self.text(&v.to_string());
        self.inner.int(v);
    }
    fn long(&mut self, v: i64) {
        self.text(&v.to_string());
        self.inner.long(v);
    }
    fn float(&mut self, v: f32) {
        self.text(&v.to_string());
        self.inner.float(v);
    }
    fn double(&mut self, v: f64) {
        self.text(&v.to_string());
        self.inner.double(v);
    }
    fn bytes(&mut self, v: &[u8]) {
        self.key.extend_from_slice(v);
        self.inner.bytes(v);
    }
    fn string(&mut self, v: &str) {
        self.text(v);
        self.inner.string(v);
    }
    fn enum_symbol(&mut self, index: usize, symbol: &str) {
        self.text(symbol);
        self.inner.enum_symbol(index, symbol);
    }
    fn fixed(&mut self, v: &[u8]) {
        self.key.extend_from_slice(v);
        self.inner.fixed(v);
    }
    fn decimal(&mut self, unscaled: i128, scale: u32, fixed_size: Option<usize>) {
        self.text(&decimal_text(unscaled, scale));
        self.inner.decimal(unscaled, scale, fixed_size);
    }
    fn uuid(&mut self, v: &str) {
        self.text(v);
        self.inner.uuid(v);
    }
    fn date(&mut self, days: i32) {
        self.text(&days.to_string());
        self.inner.date(days);
    }
    fn time_millis(&mut self, millis: i32) {
        self.inner.time_millis(millis);
    }
    fn time_micros(&mut self, micros: i64) {
        self.inner.time_micros(micros);
    }
    fn timestamp_millis(&mut self, millis: i64, local: bool) {
        self.text(&millis.to_string());
        self.inner.timestamp_millis(millis, local);
    }
    fn timestamp_micros(&mut self, micros: i64, local: bool) {
        self.text(&micros.to_string());
        self.inner.timestamp_micros(micros, local);
    }
    fn duration(&mut self, months: u32, days: u32, millis: u32) {
        self.inner.duration(months, days, millis);
    }
    fn begin_record(&mut self, fields: usize) {
        self.inner.begin_record(fields);
    }
    fn field(&mut self, name: &str) {
        self.inner.field(name);
    }
    fn end_record(&mut self) {
        self.inner.end_record();
    }
    fn begin_array(&mut self, len: usize) {
        self.inner.begin_array(len);
    }
    fn end_array(&mut self) {
        self.inner.end_array();
    }
    fn begin_map(&mut self, len: usize) {
        self.inner.begin_map(len);
    }
    fn map_key(&mut self, key: &str) {
        self.inner.map_key(key);
    }
    fn end_map(&mut self) {
        self.inner.end_map();
    }
    fn union_branch(&mut self, index: usize) {
        self.inner.union_branch(index);
    }
}
