//! pipegen's embedded streaming engine: the Flink SQL a user writes for Flink, run in process on
//! Apache DataFusion. Tables become sources and sinks; queries are planned by DataFusion from
//! the same sqlparser AST the front end produces (with Flink's function names rewritten), and
//! batches stream from source to sink. What needs event time (window table functions and their
//! aggregations, watermarks, late rows) runs in pipegen's own operators between DataFusion
//! plan fragments.
//!
//! Runs today: projection, filter and scalar functions; TUMBLE, HOP, CUMULATE and SESSION
//! windows with any DataFusion aggregate, HAVING, per-partition watermarks and Flink's lateness
//! rules; non-windowed GROUP BY, regular and interval joins, Top-N and deduplication as
//! changelogs (`changelog`); the `kafka`, `upsert-kafka`, `filesystem`, `datagen`, `blackhole`
//! and `print` connectors. Everything else is refused at deploy time, naming the construct,
//! with the hint to use `--engine flink`.

mod changelog;
mod changes;
mod connectors;
mod engine;
mod error;
mod event_time;
mod functions;
mod graph;
mod grouping_sets;
mod hints;
mod java_format;
mod job;
mod legacy_windows;
mod lookup;
mod metrics;
mod operator;
mod options;
mod pattern;
mod placeholder;
mod plan_nodes;
mod printer;
pub mod render;
mod result_types;
mod scalar_subquery;
mod sink;
mod translate;
mod types;
mod versioned;
mod views;
mod watermark;
mod window;

pub use changes::{Changes, RowKind};
pub use connectors::jdbc_owned::OwnedTable;
pub use engine::Engine;
pub use error::EngineError;
pub use job::{InsertOutcome, Job};
pub use metrics::{JobMetrics, JobSnapshot, LookupSnapshot, OperatorSnapshot};
pub use pipegen_formats::ValueDecoder;
pub use printer::{ResultFormat, ResultPrinter};
pub use sink::TableSink;
pub use types::arrow_type;

/// A decoder of a Kafka table's record values into its physical columns (what a consumer of the
/// table's topic reads).
pub fn table_decoder(table: &pipegen_sql::CreateTable) -> Result<Box<dyn ValueDecoder>, EngineError> {
    let (physical, _) = connectors::kafka::columns(table)?;
    Ok(pipegen_formats::decoder(table, physical)?)
}
