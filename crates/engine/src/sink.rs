//! Where an INSERT's rows go: Flink's `blackhole` and `print` connectors, and the collector
//! behind bare queries.

use std::sync::{Arc, Mutex};

use datafusion::arrow::record_batch::RecordBatch;
use datafusion::arrow::util::display::{ArrayFormatter, FormatOptions};

use crate::error::EngineError;

pub trait TableSink: Send {
    fn write(&mut self, batch: &RecordBatch) -> Result<(), EngineError>;

    /// The input ended: flush what is buffered.
    fn finish(&mut self) -> Result<(), EngineError> {
        Ok(())
    }
}

/// Flink's `blackhole`: takes everything, keeps nothing.
pub struct Blackhole;

impl TableSink for Blackhole {
    fn write(&mut self, _batch: &RecordBatch) -> Result<(), EngineError> {
        Ok(())
    }
}

/// Flink's `print`: `+I[a, b, c]` per row on standard output.
pub struct Print;

impl TableSink for Print {
    fn write(&mut self, batch: &RecordBatch) -> Result<(), EngineError> {
        use std::io::Write;
        let options = FormatOptions::default().with_null("NULL");
        let formatters = batch
            .columns()
            .iter()
            .map(|c| ArrayFormatter::try_new(c.as_ref(), &options))
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| EngineError::Invalid(e.to_string()))?;
        let mut out = std::io::stdout().lock();
        for row in 0..batch.num_rows() {
            let fields: Vec<String> = formatters.iter().map(|f| f.value(row).to_string()).collect();
            // A closed stdout (a pager quit) ends printing, not the pipeline.
            let _ = writeln!(out, "+I[{}]", fields.join(", "));
        }
        Ok(())
    }
}

/// Keeps every batch, for bare queries and tests.
#[derive(Clone, Default)]
pub struct Collect(pub Arc<Mutex<Vec<RecordBatch>>>);

impl TableSink for Collect {
    fn write(&mut self, batch: &RecordBatch) -> Result<(), EngineError> {
        if batch.num_rows() > 0 {
            self.0
                .lock()
                .map_err(|_| EngineError::Invalid("collector poisoned".into()))?
                .push(batch.clone());
        }
        Ok(())
    }
}
