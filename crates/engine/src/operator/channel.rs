//! A table whose rows are pushed by the engine itself: the seam between pipegen's stateful
//! operators and the DataFusion plans around them.

use std::sync::{Arc, Mutex};

use datafusion::arrow::datatypes::SchemaRef;
use datafusion::arrow::record_batch::RecordBatch;
use datafusion::error::{DataFusionError, Result};
use datafusion::execution::TaskContext;
use datafusion::physical_plan::SendableRecordBatchStream;
use datafusion::physical_plan::stream::RecordBatchStreamAdapter;
use datafusion::physical_plan::streaming::PartitionStream;
use tokio::sync::mpsc;

/// Batches in flight between an operator and the plan reading from it.
const CAPACITY: usize = 8;

/// One partition whose batches come from a channel; it can be executed once.
#[derive(Debug)]
pub struct ChannelPartition {
    schema: SchemaRef,
    receiver: Mutex<Option<mpsc::Receiver<Result<RecordBatch>>>>,
}

impl ChannelPartition {
    pub fn new(schema: SchemaRef) -> (mpsc::Sender<Result<RecordBatch>>, Arc<Self>) {
        let (sender, receiver) = mpsc::channel(CAPACITY);
        let partition = Arc::new(Self {
            schema,
            receiver: Mutex::new(Some(receiver)),
        });
        (sender, partition)
    }
}

impl PartitionStream for ChannelPartition {
    fn schema(&self) -> &SchemaRef {
        &self.schema
    }

    fn execute(&self, _ctx: Arc<TaskContext>) -> SendableRecordBatchStream {
        let receiver = self.receiver.lock().map(|mut r| r.take()).unwrap_or(None);
        let stream = futures::stream::unfold(receiver, |receiver| async move {
            match receiver {
                Some(mut receiver) => receiver.recv().await.map(|batch| (batch, Some(receiver))),
                None => Some((
                    Err(DataFusionError::Internal("a channel table was read twice".into())),
                    None,
                )),
            }
        });
        Box::pin(RecordBatchStreamAdapter::new(self.schema.clone(), stream))
    }
}
