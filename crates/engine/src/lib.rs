//! pipegen's embedded streaming engine: the Flink SQL a user writes for Flink, run in process on
//! Apache DataFusion. Tables become sources and sinks, queries are planned by DataFusion from
//! the same sqlparser AST the front end produces (with Flink's function names rewritten), and
//! batches stream from source to sink.
//!
//! This is the first slice: stateless pipelines (projection, filter, scalar functions, computed
//! columns) from `datagen` into `blackhole` or `print`. Windows, aggregations, joins, the Kafka
//! and filesystem connectors and event time come next; until then they are refused at deploy
//! time with the construct named and the hint to use `--engine flink`.

mod connectors;
mod engine;
mod error;
mod translate;
mod types;

pub use engine::{Engine, InsertOutcome};
pub use error::EngineError;
pub use types::arrow_type;
