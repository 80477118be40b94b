//! The schema side of a pipegen project.
//!
//! - [`avro`]: reads `.avsc` files with the reference implementation (`apache-avro`), with
//!   errors that point at the line of the file and suggest the nearest valid type, and refuses
//!   what Flink cannot declare (recursive or too deeply nested types, empty records and enums,
//!   decimals outside DECIMAL(1..38)).
//! - [`flink`]: maps AVRO to Flink SQL column types the way Flink's own avro format does.
//! - [`csv`]: streams a CSV file and infers its columns, an AVRO schema for it, and how Flink's
//!   `csv` format should declare them.
//!
//! It does not generate data or encode records; that is the load generator's job.

pub mod avro;
pub mod csv;
mod error;
pub mod flink;
mod shape;

pub use error::{CsvError, SchemaError};
