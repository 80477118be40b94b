//! `MATCH_RECOGNIZE` on event time, as Flink runs it. DataFusion cannot plan the clause: the
//! engine plans it here ([`plan`]), registers its matches as a table the query scans, and
//! the operator graph reads the matches where the plan scans that table:
//!
//! ```text
//! source partitions --merge (watermarks)--> [view's filter] --> Match (keyed by PARTITION
//!     BY: rows wait for the watermark, then run through the pattern's automaton) --> one row
//!     per match --> [the rest of the query] --> sink
//! ```

pub mod expr;
pub mod nfa;
pub mod operator;
pub mod plan;

use std::sync::Arc;

use datafusion::arrow::datatypes::SchemaRef;
use datafusion::physical_plan::streaming::{PartitionStream, StreamingTableExec};

use crate::error::EngineError;
use crate::event_time::SourceRows;
use crate::metrics::JobMetrics;
use crate::operator::{MessageStream, Operator};
use crate::placeholder::Placeholders;
use operator::MatchRecognize;
use plan::MatchSpec;

/// One MATCH_RECOGNIZE's matches: its input's rows and what runs over them.
pub struct MatchedRows {
    pub source: SourceRows,
    pub spec: Arc<MatchSpec>,
    /// `flink.parallelism`: the operator's instances when it has PARTITION BY keys.
    pub parallelism: usize,
}

impl MatchedRows {
    pub fn schema(&self) -> SchemaRef {
        self.spec.output.clone()
    }

    /// One row per match.
    pub fn stream(self, metrics: &Arc<JobMetrics>) -> Result<MessageStream, EngineError> {
        let instances = if self.spec.partition.is_empty() {
            1
        } else {
            self.parallelism.max(1)
        };
        let operators = (0..instances)
            .map(|_| Ok(Box::new(MatchRecognize::new(self.spec.clone(), metrics.clone())?) as Box<dyn Operator>))
            .collect::<Result<Vec<_>, EngineError>>()?;
        Ok(crate::operator::run(
            vec![self.source.stream(metrics)],
            operators,
            metrics,
        ))
    }
}

/// The MATCH_RECOGNIZE clauses of a query, each read where the plan scans its table.
pub struct MatchedTables(Placeholders<MatchedRows>);

impl Default for MatchedTables {
    fn default() -> Self {
        Self(Placeholders::new("MATCH_RECOGNIZE matches"))
    }
}

impl MatchedTables {
    /// Registers one clause's matches; returns the partition its table is to be made of.
    pub fn register(&mut self, rows: MatchedRows) -> Arc<dyn PartitionStream> {
        self.0.register(rows.schema(), rows).0
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Whether `scan` reads a clause's matches.
    pub fn scans(&self, scan: &StreamingTableExec) -> bool {
        self.0.scanned(scan).is_some()
    }

    /// The matches `scan` reads; each clause's are read once.
    pub fn take(&self, scan: &StreamingTableExec) -> Result<MatchedRows, EngineError> {
        self.0.take(
            scan,
            "a MATCH_RECOGNIZE read twice in one query (a view over it used twice)",
        )
    }
}
