//! Where generated values go: one trait, one writer per wire format.
//!
//! The generator walks the schema once per record and calls these methods in order; a writer
//! turns the calls into bytes directly, so no value tree is built per record.

mod avro;
mod csv;
mod json;
mod tee;

pub use avro::AvroOut;
pub use csv::CsvOut;
pub use json::JsonOut;
pub use tee::KeyTee;

/// Receives one record's values, in schema order.
pub trait Out {
    fn null(&mut self);
    fn boolean(&mut self, v: bool);
    fn int(&mut self, v: i32);
    fn long(&mut self, v: i64);
    fn float(&mut self, v: f32);
    fn double(&mut self, v: f64);
    fn bytes(&mut self, v: &[u8]);
    fn string(&mut self, v: &str);
    fn enum_symbol(&mut self, index: usize, symbol: &str);
    fn fixed(&mut self, v: &[u8]);
    /// `unscaled × 10^-scale`; in AVRO as bytes, or as `fixed` of that size.
    fn decimal(&mut self, unscaled: i128, scale: u32, fixed_size: Option<usize>);
    fn uuid(&mut self, v: &str);
    /// Days since the epoch.
    fn date(&mut self, days: i32);
    fn time_millis(&mut self, millis: i32);
    fn time_micros(&mut self, micros: i64);
    /// Since the epoch; `local` is AVRO's local-timestamp (Flink's TIMESTAMP_LTZ).
    fn timestamp_millis(&mut self, millis: i64, local: bool);
    fn timestamp_micros(&mut self, micros: i64, local: bool);
    fn duration(&mut self, months: u32, days: u32, millis: u32);
    fn begin_record(&mut self, fields: usize);
    fn field(&mut self, name: &str);
    fn end_record(&mut self);
    fn begin_array(&mut self, len: usize);
    fn end_array(&mut self);
    fn begin_map(&mut self, len: usize);
    fn map_key(&mut self, key: &str);
    fn end_map(&mut self);
    /// Which branch of a union the next value takes.
    fn union_branch(&mut self, index: usize);
}
