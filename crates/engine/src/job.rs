//! A running INSERT (or query): its tasks and its counters.

use std::sync::Arc;

use std::time::Duration;

use tokio::task::{AbortHandle, JoinHandle};

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
    /// Stops the job when it holds more memory than the budget.
    watchdog: Option<JoinHandle<()>>,
}

/// How often a job's memory is compared with the budget.
const MEMORY_CHECK_INTERVAL: Duration = Duration::from_millis(50);

impl Job {
    /// A job of `tasks`, stopped with [`EngineError::OverBudget`] once its operators' state and
    /// buffered results hold more than `memory_budget` bytes.
    pub(crate) fn new(
        name: String,
        metrics: Arc<JobMetrics>,
        tasks: Vec<JoinHandle<Result<(), EngineError>>>,
        memory_budget: Option<u64>,
    ) -> Self {
        let watchdog = memory_budget.map(|budget| {
            let aborts: Vec<AbortHandle> = tasks.iter().map(JoinHandle::abort_handle).collect();
            tokio::spawn(watch_memory(metrics.clone(), aborts, budget))
        });
        Self {
            name,
            metrics,
            tasks,
            watchdog,
        }
    }

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
    pub async fn wait(mut self) -> Result<InsertOutcome, EngineError> {
        let mut first_error = None;
        for task in std::mem::take(&mut self.tasks) {
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
        if let Some((held, budget)) = self.metrics.over_budget() {
            return Err(EngineError::OverBudget { held, budget });
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

impl Drop for Job {
    fn drop(&mut self) {
        if let Some(watchdog) = &self.watchdog {
            watchdog.abort();
        }
    }
}

async fn watch_memory(metrics: Arc<JobMetrics>, tasks: Vec<AbortHandle>, budget: u64) {
    let mut tick = tokio::time::interval(MEMORY_CHECK_INTERVAL);
    loop {
        tick.tick().await;
        if tasks.iter().all(AbortHandle::is_finished) {
            return;
        }
        let held = metrics.held_bytes();
        if held > budget {
            metrics.exceeded_budget(held, budget);
            metrics.fail(&EngineError::OverBudget { held, budget });
            for task in &tasks {
                task.abort();
            }
            return;
        }
    }
}
