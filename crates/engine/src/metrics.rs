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
    /// What the job's sink holds in memory (a bare query's collected result).
    pub(crate) result_bytes: AtomicU64,
    /// Set when the job held more than the engine's memory budget and was stopped.
    over_budget: std::sync::OnceLock<(u64, u64)>,
    /// The first failure of any of the job's tasks, as soon as it happens.
    failure: std::sync::Mutex<Option<String>>,
    /// pipegen's own stateful operators in the job, in the order they were planned.
    operators: std::sync::Mutex<Vec<std::sync::Arc<OperatorMetrics>>>,
    /// The job's lookup joins' tables.
    lookups: std::sync::Mutex<Vec<std::sync::Arc<LookupMetrics>>>,
}

/// One stateful operator's counters (all its keyed instances together).
#[derive(Debug)]
pub struct OperatorMetrics {
    pub name: String,
    pub records_in: AtomicU64,
    pub records_out: AtomicU64,
    pub state_bytes: AtomicU64,
}

impl OperatorMetrics {
    pub(crate) fn new(name: &str) -> Self {
        Self {
            name: name.to_owned(),
            records_in: AtomicU64::new(0),
            records_out: AtomicU64::new(0),
            state_bytes: AtomicU64::new(0),
        }
    }

    /// Counts a batch through the operator, and the change of its state.
    pub(crate) fn record(&self, rows_in: usize, rows_out: usize, state_before: usize, state_after: usize) {
        self.records_in.fetch_add(rows_in as u64, Ordering::Relaxed);
        self.records_out.fetch_add(rows_out as u64, Ordering::Relaxed);
        if state_after >= state_before {
            self.state_bytes
                .fetch_add((state_after - state_before) as u64, Ordering::Relaxed);
        } else {
            self.state_bytes
                .fetch_sub((state_before - state_after) as u64, Ordering::Relaxed);
        }
    }
}

/// An operator's counters at one moment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OperatorSnapshot {
    pub name: String,
    pub records_in: u64,
    pub records_out: u64,
    pub state_bytes: u64,
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
            result_bytes: AtomicU64::new(0),
            over_budget: std::sync::OnceLock::new(),
            failure: std::sync::Mutex::new(None),
            operators: std::sync::Mutex::new(Vec::new()),
            lookups: std::sync::Mutex::new(Vec::new()),
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

    /// Counters for a new operator of this job, named as Flink names its operators.
    pub(crate) fn operator(&self, name: &str) -> std::sync::Arc<OperatorMetrics> {
        let operator = std::sync::Arc::new(OperatorMetrics::new(name));
        self.register(operator.clone());
        operator
    }

    /// The counters of a lookup join's table, made for a job about to start.
    pub(crate) fn lookup(&self, table: &str, cached: bool) -> std::sync::Arc<LookupMetrics> {
        let metrics = std::sync::Arc::new(LookupMetrics::new(table, cached));
        if let Ok(mut lookups) = self.lookups.lock() {
            lookups.push(metrics.clone());
        }
        metrics
    }

    /// The job's lookup tables' counters now.
    pub fn lookups(&self) -> Vec<LookupSnapshot> {
        self.lookups
            .lock()
            .map(|lookups| lookups.iter().map(|l| l.snapshot()).collect())
            .unwrap_or_default()
    }

    /// Reports an operator's counters made before the job started.
    pub(crate) fn register(&self, operator: std::sync::Arc<OperatorMetrics>) {
        if let Ok(mut operators) = self.operators.lock() {
            operators.push(operator);
        }
    }

    /// Every operator's counters now.
    pub fn operators(&self) -> Vec<OperatorSnapshot> {
        self.operators
            .lock()
            .map(|operators| {
                operators
                    .iter()
                    .map(|o| OperatorSnapshot {
                        name: o.name.clone(),
                        records_in: o.records_in.load(Ordering::Relaxed),
                        records_out: o.records_out.load(Ordering::Relaxed),
                        state_bytes: o.state_bytes.load(Ordering::Relaxed),
                    })
                    .collect()
            })
            .unwrap_or_default()
    }

    /// The memory the job holds: its operators' state (windows report theirs both per job and
    /// per operator, so the larger of the two) and its sink's buffered result.
    pub fn held_bytes(&self) -> u64 {
        let operators: u64 = self
            .operators
            .lock()
            .map(|o| o.iter().map(|o| o.state_bytes.load(Ordering::Relaxed)).sum())
            .unwrap_or(0);
        operators.max(self.state_bytes.load(Ordering::Relaxed)) + self.result_bytes.load(Ordering::Relaxed)
    }

    /// Records that the job held `held` bytes, over `budget`.
    pub(crate) fn exceeded_budget(&self, held: u64, budget: u64) {
        let _ = self.over_budget.set((held, budget));
    }

    /// `(held, budget)` when the job was stopped for holding more than the budget.
    pub fn over_budget(&self) -> Option<(u64, u64)> {
        self.over_budget.get().copied()
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

/// A lookup table's counters, for the run's report.
#[derive(Debug)]
pub struct LookupMetrics {
    /// The table's name in the SQL.
    pub table: String,
    /// Whether the table has a cache (hits and misses are counted only then).
    pub cached: bool,
    /// Keys asked of the database.
    pub lookups: AtomicU64,
    /// Rows whose key the cache answered (as Flink counts its cache's calls).
    pub cache_hits: AtomicU64,
    /// Rows whose key the cache did not hold (the key then asked of the database).
    pub cache_misses: AtomicU64,
    /// How long each lookup took the database to answer, in microseconds.
    latency_micros: std::sync::Mutex<hdrhistogram::Histogram<u64>>,
}

/// The longest lookup the histogram tells apart (longer ones count as this long).
const LONGEST_LOOKUP_MICROS: u64 = 600_000_000;

/// A lookup table's counters at one moment.
#[derive(Debug, Clone, PartialEq)]
pub struct LookupSnapshot {
    pub table: String,
    pub cached: bool,
    pub lookups: u64,
    pub cache_hits: u64,
    pub cache_misses: u64,
    /// Each lookup's answer time, in microseconds.
    pub latency_micros: hdrhistogram::Histogram<u64>,
}

impl LookupMetrics {
    pub(crate) fn new(table: &str, cached: bool) -> Self {
        Self {
            table: table.to_owned(),
            cached,
            lookups: AtomicU64::new(0),
            cache_hits: AtomicU64::new(0),
            cache_misses: AtomicU64::new(0),
            latency_micros: std::sync::Mutex::new(
                hdrhistogram::Histogram::new_with_bounds(1, LONGEST_LOOKUP_MICROS, 3).expect("valid bounds"),
            ),
        }
    }

    /// Counts one lookup that took `took`.
    pub(crate) fn record(&self, took: std::time::Duration) {
        self.lookups.fetch_add(1, Ordering::Relaxed);
        let micros = (took.as_micros() as u64).clamp(1, LONGEST_LOOKUP_MICROS);
        if let Ok(mut histogram) = self.latency_micros.lock() {
            histogram.saturating_record(micros);
        }
    }

    pub fn snapshot(&self) -> LookupSnapshot {
        LookupSnapshot {
            table: self.table.clone(),
            cached: self.cached,
            lookups: self.lookups.load(Ordering::Relaxed),
            cache_hits: self.cache_hits.load(Ordering::Relaxed),
            cache_misses: self.cache_misses.load(Ordering::Relaxed),
            latency_micros: self
                .latency_micros
                .lock()
                .map(|h| h.clone())
                .unwrap_or_else(|_| hdrhistogram::Histogram::new(3).expect("valid")),
        }
    }
}
