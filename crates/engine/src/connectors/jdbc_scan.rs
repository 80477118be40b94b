//! A jdbc table read whole, as Flink's jdbc connector scans it: a bounded source of the rows
//! the table holds when the job starts, read by one query. (Flink's `scan.partition.*` options
//! split the same rows among parallel readers, so they change no result.)

use std::sync::Arc;

use datafusion::arrow::datatypes::SchemaRef;
use datafusion::error::DataFusionError;
use datafusion::execution::{SendableRecordBatchStream, TaskContext};
use datafusion::physical_plan::stream::RecordBatchStreamAdapter;
use datafusion::physical_plan::streaming::PartitionStream;
use futures::StreamExt;

use crate::connectors::jdbc::JdbcTable;

/// Rows per batch of a scan.
const BATCH_ROWS: usize = 8192;

#[derive(Debug)]
pub struct JdbcScan {
    table: JdbcTable,
}

impl JdbcScan {
    pub fn new(table: JdbcTable) -> Self {
        Self { table }
    }
}

impl PartitionStream for JdbcScan {
    fn schema(&self) -> &SchemaRef {
        &self.table.schema
    }

    fn execute(&self, _ctx: Arc<TaskContext>) -> SendableRecordBatchStream {
        let table = self.table.clone();
        let batches = futures::stream::once(async move { table.scan(BATCH_ROWS).await })
            .map(|scanned| match scanned {
                Ok(batches) => futures::stream::iter(batches.into_iter().map(Ok)).boxed(),
                Err(e) => futures::stream::iter([Err(DataFusionError::External(Box::new(e)))]).boxed(),
            })
            .flatten();
        Box::pin(RecordBatchStreamAdapter::new(self.table.schema.clone(), batches))
    }
}
