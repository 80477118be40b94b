//! Where an INSERT's rows go: Flink's `blackhole` and `print` connectors, and the collector
//! behind bare queries.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use datafusion::arrow::record_batch::RecordBatch;

use crate::changes::{Changes, RowKind};
use crate::error::EngineError;

pub trait TableSink: Send {
    /// Writes rows; `kinds` is `None` when every row is an insertion.
    fn write(&mut self, batch: &RecordBatch, kinds: Option<&[RowKind]>) -> Result<(), EngineError>;

    /// Whether the sink takes updates and deletions (Flink's changelog modes): an
    /// append-only sink refuses a query whose result changes.
    fn accepts_updates(&self) -> bool {
        true
    }

    /// What to do when the sink is append-only and the query's result changes.
    fn append_only_hint(&self) -> String {
        "write them to an 'upsert-kafka' table with a PRIMARY KEY, or to 'print'".to_owned()
    }

    /// Called once before the first row: whether the query's result updates (retractions
    /// follow insertions) or only grows.
    fn begin(&mut self, _updating: bool) {}

    /// The bytes the sink keeps in memory (counted against the engine's memory budget).
    fn held_bytes(&self) -> usize {
        0
    }

    /// The input ended: flush what is buffered.
    fn finish(&mut self) -> Result<(), EngineError> {
        Ok(())
    }
}

/// Flink's `blackhole`: takes everything, keeps nothing.
pub struct Blackhole;

impl TableSink for Blackhole {
    fn write(&mut self, _batch: &RecordBatch, _kinds: Option<&[RowKind]>) -> Result<(), EngineError> {
        Ok(())
    }
}

/// Flink's `print`: `+I[a, b, c]` (or `-U`, `+U`, `-D`) per row on standard output, values
/// formatted as Flink's SQL client shows them; `print-identifier` prefixes each line with
/// `identifier> `.
pub struct Print {
    prefix: String,
}

impl Print {
    pub fn new(identifier: Option<&str>) -> Self {
        Self {
            prefix: identifier.map(|id| format!("{id}> ")).unwrap_or_default(),
        }
    }
}

impl TableSink for Print {
    fn write(&mut self, batch: &RecordBatch, kinds: Option<&[RowKind]>) -> Result<(), EngineError> {
        use std::io::Write;
        let rows = crate::render::flink_text(std::slice::from_ref(batch))?;
        let mut out = std::io::stdout().lock();
        for (row, values) in rows.into_iter().enumerate() {
            let fields: Vec<String> = values.into_iter().map(|v| v.unwrap_or_else(|| "NULL".into())).collect();
            let kind = kinds.map_or(RowKind::Insert, |k| k[row]);
            // A closed stdout (a pager quit) ends printing, not the pipeline.
            let _ = writeln!(out, "{}{}[{}]", self.prefix, kind.short(), fields.join(", "));
        }
        Ok(())
    }
}

/// Keeps every change, for bare queries and tests.
#[derive(Clone, Default)]
pub struct Collect(pub Arc<Mutex<Vec<Changes>>>, Arc<AtomicUsize>);

impl TableSink for Collect {
    fn held_bytes(&self) -> usize {
        self.1.load(Ordering::Relaxed)
    }

    fn write(&mut self, batch: &RecordBatch, kinds: Option<&[RowKind]>) -> Result<(), EngineError> {
        if batch.num_rows() > 0 {
            // Batches may share buffers with their source: counting each whole errs high.
            self.1.fetch_add(batch.get_array_memory_size(), Ordering::Relaxed);
            self.0
                .lock()
                .map_err(|_| EngineError::Invalid("collector poisoned".into()))?
                .push(Changes::new(batch.clone(), kinds.map(<[RowKind]>::to_vec)));
        }
        Ok(())
    }
}
