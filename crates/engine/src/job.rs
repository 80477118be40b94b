//! A running INSERT (or query): its tasks and its counters.

use std::sync::Arc;

use tokio::task::JoinHandle;

use crate::error::EngineError;
use crate::metrics::{JobMetrics, JobSnapshot};

/// What an INSERT did, once it ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct InsertOutcome {
    pub rows_out: u64,
    pub late_records_dropped: u64,
}

pub struct Job {
    /// `INSERT INTO <target>`, or `query` for a bare SELECT.
    pub name: String,
    pub metrics: Arc<JobMetrics>,
    pub(crate) tasks: Vec<JoinHandle<Result<(), EngineError>>>,
}

impl Job {
    pub fn snapshot(&self) -> JobSnapshot {
        self.metrics.snapshot()
    }

    /// The job's stateful operators and their counters.
    pub fn operators(&self) -> Vec<crate::metrics::OperatorSnapshot> {
        self.metrics.operators()
    }

    /// Whether every task has ended (bounded input consumed, or failed).
    pub fn is_finished(&self) -> bool {
        self.tasks.iter().all(JoinHandle::is_finished)
    }

    /// Why the job failed, as soon as one of its tasks has.
    pub fn failure(&self) -> Option<String> {
        self.metrics.failure()
    }

    /// Waits for the end of the input; the first failure of any task is the job's.
    pub async fn wait(self) -> Result<InsertOutcome, EngineError> {
        let mut first_error = None;
        for task in self.tasks {
            let result = match task.await {
                Ok(result) => result,
                // Cancelled on purpose: the run ended it.
                Err(e) if e.is_cancelled() => Ok(()),
                Err(e) => Err(EngineError::Invalid(format!("the job stopped: {e}"))),
            };
            if let Err(e) = result {
                first_error.get_or_insert(e);
            }
        }
        if let Some(e) = first_error {
            return Err(e);
        }
        let snapshot = self.metrics.snapshot();
        Ok(InsertOutcome {
            rows_out: snapshot.records_out,
            late_records_dropped: snapshot.late_records_dropped,
        })
    }

    /// Stops the job now (cancellation: a run's end, Ctrl-C).
    pub fn cancel(&self) {
        for task in &self.tasks {
            task.abort();
        }
    }
}
