//! The JSON result of a run (DESIGN.md's contract): what was planned, sent, consumed and
//! measured, with "n/a" (null) wherever something was not measured.

use std::collections::BTreeMap;

use pipegen_loadgen::metrics::{Percentiles, ProducerTotals};
use pipegen_observe::{LiveFrame, PhaseBand};
use serde::Serialize;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    Succeeded,
    Failed,
    Interrupted,
}

#[derive(Debug, Clone, Serialize)]
pub struct Backends {
    pub log: String,
    pub engine: String,
    pub schema_registry: String,
    /// The Kafka client settings the run produced with (librdkafka's keys, secrets redacted).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub log_client_config: Option<BTreeMap<String, String>>,
}

#[derive(Debug, Clone, Serialize)]
pub struct ConsumerSummary {
    pub consumed: u64,
    pub expected: Option<u64>,
    pub bytes: u64,
}

#[derive(Debug, Clone, Serialize)]
pub struct Latency {
    pub publish: Percentiles,
    pub publish_delay: Percentiles,
    pub end_to_end: Percentiles,
    /// Which end-to-end definition applies to this run.
    pub end_to_end_definition: String,
    /// Whether some result the run reads can be timed end to end (an empty `end_to_end` then
    /// means no result came back, not that none could be timed).
    pub end_to_end_timed: bool,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct TimelineRow {
    pub t_s: u64,
    pub target_rate: Option<u64>,
    pub sent: u64,
    pub acked: u64,
    pub failed: u64,
    pub consumed: u64,
}

#[derive(Debug, Clone, Serialize)]
pub struct TopicRow {
    pub name: String,
    /// `source` (the load generator feeds it) or `sink` (the pipeline writes it).
    pub role: String,
    pub partitions: u32,
    pub end_offsets: Vec<u64>,
    /// Records not yet read by the pipeline (sources) or by the run (sinks); `None` when not
    /// measured.
    pub lag: Option<u64>,
}

#[derive(Debug, Clone, Serialize)]
pub struct JobRow {
    pub id: String,
    pub name: String,
    pub status: pipegen_flink::JobState,
    pub records_in: Option<u64>,
    /// `None` where the engine did not report it (a Flink job before its first metrics).
    pub records_out: Option<u64>,
    /// On Flink, what its window operators reported (`None` for a job without one).
    pub late_records_dropped: Option<u64>,
    /// Epoch milliseconds; `None` before the first watermark or for jobs without event time.
    pub watermark_ms: Option<i64>,
    /// `None` where not measured (Flink does not report it).
    pub open_windows: Option<u64>,
    /// On Flink, the state of the last completed checkpoint (`None` without checkpoints).
    pub state_bytes: Option<u64>,
    /// How long the job ran; `None` where the engine does not say (the embedded engine).
    pub uptime_ms: Option<u64>,
    /// Restarts after failures; `None` where the engine does not restart jobs.
    pub restarts: Option<u64>,
    /// `None` for engines without checkpoints (the embedded one).
    pub checkpoints: Option<CheckpointSummary>,
    /// The tables its lookup joins read (the embedded engine's; Flink's REST API does not
    /// report them, so a Flink job has none here).
    pub lookups: Vec<LookupRow>,
    /// The embedded engine's stateful operators (windows, aggregates, joins, Top-N), or every
    /// vertex Flink runs the job as.
    pub operators: Vec<OperatorRow>,
}

/// A lookup join's table: its lookups over the run and how long the database took to answer.
#[derive(Debug, Clone, Serialize)]
pub struct LookupRow {
    pub table: String,
    /// Keys asked of the database.
    pub lookups: u64,
    /// Rows whose key the cache answered; `None` for a table without a cache.
    pub cache_hits: Option<u64>,
    /// Rows whose key the cache did not hold; `None` for a table without a cache.
    pub cache_misses: Option<u64>,
    /// Hits over hits and misses; `None` without a cache or before the first key.
    pub cache_hit_ratio: Option<f64>,
    /// Each lookup's answer time, in milliseconds.
    pub latency_ms: Percentiles,
}

impl LookupRow {
    pub fn of(lookup: &pipegen_engine::LookupSnapshot) -> Self {
        let keys = lookup.cache_hits + lookup.cache_misses;
        Self {
            table: lookup.table.clone(),
            lookups: lookup.lookups,
            cache_hits: lookup.cached.then_some(lookup.cache_hits),
            cache_misses: lookup.cached.then_some(lookup.cache_misses),
            cache_hit_ratio: (lookup.cached && keys > 0).then(|| lookup.cache_hits as f64 / keys as f64),
            latency_ms: Percentiles::of(&lookup.latency_micros),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CheckpointSummary {
    pub completed: u64,
    pub failed: u64,
    /// The last completed checkpoint's; `None` before the first one completed.
    pub last_duration_ms: Option<u64>,
    /// The full state the last completed checkpoint held.
    pub last_state_bytes: Option<u64>,
}

/// One operator of a job; what its engine does not report is `None`.
#[derive(Debug, Clone, Serialize)]
pub struct OperatorRow {
    pub name: String,
    /// Parallel instances (Flink's vertex parallelism).
    pub parallelism: Option<u64>,
    pub records_in: Option<u64>,
    pub records_out: Option<u64>,
    pub state_bytes: Option<u64>,
    pub late_records_dropped: Option<u64>,
    /// The lowest input watermark over the instances, epoch milliseconds.
    pub watermark_ms: Option<i64>,
    /// Share of time (0 to 1) the busiest instance was busy, averaged over the run's
    /// samples while the job ran.
    pub busy: Option<f64>,
    /// Share of time the most back-pressured instance was back-pressured, averaged likewise.
    pub backpressure: Option<f64>,
}

/// The rate plan the load followed.
#[derive(Debug, Clone, Serialize)]
pub struct RatePlanSummary {
    /// Messages per second outside the pattern's windows; `None` at `max`.
    pub base_rate: Option<f64>,
    pub phases: Vec<PlannedPhase>,
    /// The spikes and dips, as the charts shade them.
    pub bands: Vec<PhaseBand>,
}

#[derive(Debug, Clone, Serialize)]
pub struct PlannedPhase {
    pub start_s: f64,
    pub end_s: f64,
    pub rate: Option<f64>,
    /// What set the rate: `base`, a multiplier such as `300%`, or `point`.
    pub origin: String,
}

/// How long the run took to get going, in milliseconds.
#[derive(Debug, Clone, Serialize)]
pub struct Timings {
    /// From the start of the `pipegen` process to the first record in the log.
    pub startup_ms: Option<f64>,
    /// Starting the stack, provisioning and deploying the SQL.
    pub deploy_ms: f64,
}

#[derive(Debug, Clone, Serialize)]
pub struct Environment {
    pub pipegen_version: String,
    pub os: String,
    pub arch: String,
    pub cpus: usize,
}

#[derive(Debug, Clone, Serialize)]
pub struct RunResult {
    pub run_id: String,
    pub started_at: String,
    pub finished_at: String,
    pub status: Status,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    pub backends: Backends,
    pub config: serde_json::Value,
    /// The dimension tables the run filled (`dimensions` in the config).
    pub dimensions: Vec<crate::dimensions::DimensionRow>,
    pub producer: ProducerTotals,
    pub consumer: ConsumerSummary,
    pub latency_ms: Latency,
    pub timeline: Vec<TimelineRow>,
    pub rate_plan: RatePlanSummary,
    /// The live model, one frame per second (what the dashboard and Prometheus showed).
    pub frames: Vec<LiveFrame>,
    pub topics: Vec<TopicRow>,
    pub jobs: Vec<JobRow>,
    pub errors: BTreeMap<String, u64>,
    pub timings: Timings,
    pub environment: Environment,
}

/// A small failed run whose texts need escaping, for tests of what reads results.
#[cfg(test)]
pub(crate) fn sample_result() -> RunResult {
    RunResult {
        run_id: "r1".into(),
        started_at: "2026-01-01T00:00:00.000Z".into(),
        finished_at: "2026-01-01T00:00:02.000Z".into(),
        status: Status::Failed,
        error: Some("job <script>alert(1)</script> failed".into()),
        backends: Backends {
            log: "embedded".into(),
            engine: "embedded".into(),
            schema_registry: "embedded".into(),
            log_client_config: None,
        },
        config: serde_json::json!({"kafka": {"security": {"password": "[redacted]"}}}),
        dimensions: Vec::new(),
        producer: ProducerTotals {
            planned: Some(20),
            sent: 20,
            following: 0,
            acked: 19,
            failed: 1,
            retried: None,
            bytes: 400,
            target_rate: Some(10.0),
            achieved_rate: None,
        },
        consumer: ConsumerSummary {
            consumed: 0,
            expected: None,
            bytes: 0,
        },
        latency_ms: Latency {
            publish: Percentiles::default(),
            publish_delay: Percentiles::default(),
            end_to_end: Percentiles::default(),
            end_to_end_definition: "n/a: nothing to time".into(),
            end_to_end_timed: false,
        },
        timeline: (0..2)
            .map(|t| TimelineRow {
                t_s: t,
                target_rate: Some(10),
                sent: 10,
                acked: 10 - t,
                failed: t,
                consumed: 0,
            })
            .collect(),
        rate_plan: RatePlanSummary {
            base_rate: Some(10.0),
            phases: vec![PlannedPhase {
                start_s: 0.0,
                end_s: 2.0,
                rate: Some(10.0),
                origin: "base".into(),
            }],
            bands: vec![],
        },
        frames: vec![],
        topics: vec![],
        jobs: vec![],
        errors: BTreeMap::from([("log append".to_string(), 1)]),
        timings: Timings {
            startup_ms: None,
            deploy_ms: 1.5,
        },
        environment: Environment {
            pipegen_version: "test".into(),
            os: "linux".into(),
            arch: "x86_64".into(),
            cpus: 2,
        },
    }
}
