//! Per-job counters, updated by the running operators and read at any time by whoever watches
//! (the run's metrics model, the dashboard, tests).

use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};

use crate::watermark::NO_WATERMARK;

#[derive(Debug)]
pub struct JobMetrics {
    /// Whether `records_in` is counted (jobs whose source rows pass through pipegen's own
    /// operators); plain DataFusion plans count their output only.
    pub counts_input: std::sync::atomic::AtomicBool,
    pub records_in: AtomicU64,
    pub records_out: AtomicU64,
    pub late_records_dropped: AtomicU64,
    /// The operator's event-time watermark, epoch milliseconds (`i64::MIN` before the first).
    pub watermark_ms: AtomicI64,
    pub state_bytes: AtomicU64,
    pub open_windows: AtomicU64,
    /// The first failure of any of the job's tasks, as soon as it happens.
    failure: std::sync::Mutex<Option<String>>,
}

impl Default for JobMetrics {
    fn default() -> Self {
        Self {
            counts_input: std::sync::atomic::AtomicBool::new(false),
            records_in: AtomicU64::new(0),
            records_out: AtomicU64::new(0),
            late_records_dropped: AtomicU64::new(0),
            watermark_ms: AtomicI64::new(NO_WATERMARK),
            state_bytes: AtomicU64::new(0),
            open_windows: AtomicU64::new(0),
            failure: std::sync::Mutex::new(None),
        }
    }
}

/// The counters at one moment.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct JobSnapshot {
    /// `None` when the job does not count its input.
    pub records_in: Option<u64>,
    pub records_out: u64,
    pub late_records_dropped: u64,
    /// `None` before the first watermark.
    pub watermark_ms: Option<i64>,
    pub state_bytes: u64,
    pub open_windows: u64,
}

impl JobMetrics {
    pub fn snapshot(&self) -> JobSnapshot {
        let watermark = self.watermark_ms.load(Ordering::Relaxed);
        JobSnapshot {
            records_in: self
                .counts_input
                .load(Ordering::Relaxed)
                .then(|| self.records_in.load(Ordering::Relaxed)),
            records_out: self.records_out.load(Ordering::Relaxed),
            late_records_dropped: self.late_records_dropped.load(Ordering::Relaxed),
            watermark_ms: (watermark != NO_WATERMARK).then_some(watermark),
            state_bytes: self.state_bytes.load(Ordering::Relaxed),
            open_windows: self.open_windows.load(Ordering::Relaxed),
        }
    }

    /// Why the job failed, once it has.
    pub fn failure(&self) -> Option<String> {
        self.failure.lock().ok().and_then(|f| f.clone())
    }

    pub(crate) fn fail(&self, error: &impl std::fmt::Display) {
        if let Ok(mut failure) = self.failure.lock() {
            failure.get_or_insert_with(|| error.to_string());
        }
    }

    pub(crate) fn add(counter: &AtomicU64, n: usize) {
        counter.fetch_add(n as u64, Ordering::Relaxed);
    }
}
