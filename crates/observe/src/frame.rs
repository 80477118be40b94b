//! The live model: one frame per second of a run, built from the same counters and
//! histograms as the JSON result. Every field that was not measured is `None` (JSON `null`,
//! shown "n/a"), never a guess.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// What happened during one second of a run, `[t_s, t_s + 1)`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct LiveFrame {
    pub t_s: u64,
    pub planned_s: u64,
    /// The traffic phase of this second: `base`, `spike`, `dip`, or `draining` after the load.
    pub phase: String,
    /// Messages the plan meant for this second; `None` at rate `max`.
    pub target_rate: Option<u64>,
    /// Sent in this second: the achieved produce rate.
    pub sent: u64,
    pub acked: u64,
    pub failed: u64,
    /// Result records read in this second: the consume rate.
    pub consumed: u64,
    pub sent_total: u64,
    pub acked_total: u64,
    pub failed_total: u64,
    pub consumed_total: u64,
    pub latency_ms: FrameLatency,
    pub lag: Vec<TopicLag>,
    pub jobs: Vec<JobFrame>,
    /// Errors so far, by kind.
    pub errors: BTreeMap<String, u64>,
    pub resources: Resources,
}

/// Latency of what was recorded since the previous frame, from HdrHistogram interval data.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct FrameLatency {
    pub publish: IntervalPercentiles,
    pub publish_delay: IntervalPercentiles,
    pub end_to_end: IntervalPercentiles,
}

/// Milliseconds; every figure `None` when nothing was recorded in the interval.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct IntervalPercentiles {
    pub count: u64,
    pub p50: Option<f64>,
    pub p99: Option<f64>,
    pub p999: Option<f64>,
    pub max: Option<f64>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TopicLag {
    pub topic: String,
    /// Records written but not yet read; `None` when nobody's position is known.
    pub lag: Option<u64>,
}

/// One job in this second: what its engine reports now, and the growth of its counters since
/// the previous second.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct JobFrame {
    #[serde(flatten)]
    pub counters: JobCounters,
    /// Read in this second; `None` when the job does not count its input.
    pub records_in: Option<u64>,
    /// Written in this second; `None` before the engine first reported it.
    pub records_out: Option<u64>,
}

/// One job's counters since it started, and its health now, as its engine reports them.
/// Every figure the engine does not report is `None`: the embedded engine has no busy,
/// backpressure, checkpoint or restart figure, Flink's REST API no open-window count.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct JobCounters {
    pub name: String,
    pub records_in_total: Option<u64>,
    pub records_out_total: Option<u64>,
    pub late_records_dropped: Option<u64>,
    /// Epoch milliseconds; `None` before the first watermark.
    pub watermark_ms: Option<i64>,
    /// The job's state: the engine's own count, or on Flink the last completed checkpoint's size.
    pub state_bytes: Option<u64>,
    /// Share of time (0 to 1) the busiest task of the job was busy.
    pub busy: Option<f64>,
    /// Share of time (0 to 1) the most back-pressured task of the job was back-pressured.
    pub backpressure: Option<f64>,
    /// Duration of the last completed checkpoint.
    pub last_checkpoint_ms: Option<f64>,
    /// Times the job restarted since it was submitted.
    pub restarts: Option<u64>,
    /// The tables its lookup joins read (the embedded engine's; Flink's REST API does not
    /// report them).
    #[serde(default)]
    pub lookups: Vec<LookupCounters>,
}

/// A lookup join's table in a job: its lookups since the job started, and how long the
/// database took to answer them.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct LookupCounters {
    pub table: String,
    /// Keys asked of the database.
    pub lookups_total: u64,
    /// Rows whose key the cache answered; `None` for a table without a cache.
    pub cache_hits_total: Option<u64>,
    /// Rows whose key the cache did not hold; `None` for a table without a cache.
    pub cache_misses_total: Option<u64>,
    /// Each lookup's answer time since the job started (every figure `None` before the first).
    pub latency_ms: IntervalPercentiles,
}

/// The pipegen process itself.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Resources {
    /// CPU time used in this second, in percent of one core; `None` where `/proc` is missing.
    pub cpu_percent: Option<f64>,
    /// User and system CPU time since the process started.
    pub cpu_seconds_total: Option<f64>,
    pub rss_bytes: Option<u64>,
}

/// A stretch of the rate plan drawn as a shaded band (a spike or a dip).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PhaseBand {
    pub start_s: f64,
    pub end_s: f64,
    /// What the pattern said, e.g. `300%`.
    pub label: String,
}
