//! pipegen's Flink SQL front end, shared by `validate`, the embedded engine and the Flink
//! backend.
//!
//! - [`split_statements`] cuts a file into statements (strings, quoted identifiers, comments
//!   and statement sets understood), never panicking on any input.
//! - [`FlinkDialect`] teaches `sqlparser` what Flink adds to queries (window table functions'
//!   `TABLE t` arguments, temporal joins, MATCH_RECOGNIZE); [`parse_file`] reads the statements
//!   Flink shapes its own way (CREATE TABLE with computed, metadata and watermark columns and
//!   WITH options; CREATE VIEW; SET; statement sets; INSERT) into a typed model ([`Statement`]).
//! - [`analysis`] answers what a query reads, which windows it opens and what it produces.
//!
//! - [`flink_functions`] lists the functions Flink has built in.
//!
//! It checks syntax and shape, not semantics: whether a column exists or a function is known is
//! for `validate` (with the catalog) and the engines to decide.

pub mod analysis;
mod avro_schema;
mod dialect;
mod error;
mod functions;
mod hints;
mod interval;
mod json_syntax;
mod limits;
mod match_syntax;
mod model;
mod parse;
mod placeholder;
mod split;
mod topics;
mod types;
mod window_shape;

pub use analysis::{
    GroupWindow, NameReference, WindowKind, WindowTvf, column_references, function_references, is_pass_through,
    legacy_group_windows, output_columns, referenced_tables, select_aliases, single_source, table_references,
    temporal_tables, window_tvfs,
};
pub use avro_schema::{AvroSchemaError, TimestampMapping, flink_avro_schema};
pub use dialect::{FlinkDialect, PARTITION_BY, TABLE_ARGUMENT};
pub use error::SqlError;
pub use functions::{flink_functions, is_flink_function};
pub use hints::{Hint, HintFinding, HintOptions, HintTarget, JOIN_HINTS, QUERY_HINTS, check_hints};
pub use interval::interval_millis;
pub use json_syntax::{ON_EMPTY, ON_ERROR};
pub use match_syntax::{WITHIN_SYMBOL, within};
pub use model::{
    Column, ColumnKind, CreateTable, CreateView, Insert, ParsedStatement, SqlFile, Statement, TableOption, Watermark,
};
pub use parse::{object_name, parse_file, parse_file_all};
pub use placeholder::{Unfilled, environment_value, fill_placeholders, placeholders};
pub use split::{RawStatement, SplitError, split_statements};
pub use topics::{is_kafka, rename_topic, rename_topics_in_text};
pub use types::{FlinkType, RowField, TypeKind};
pub use window_shape::WindowShape;
