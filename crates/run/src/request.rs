//! What a run is asked to do, and what it gives back.

use std::path::PathBuf;
use std::time::Instant;

use pipegen_config::ResolvedConfig;
use pipegen_loadgen::metrics::Percentiles;
use pipegen_loadgen::plan::RatePlan;
use pipegen_project::Project;

use crate::interrupt::Interruption;
use crate::live::DashboardRequest;
use crate::progress::ProgressStyle;
use crate::result::RunResult;

pub struct RunRequest<'a> {
    pub project: &'a Project,
    pub config: &'a ResolvedConfig,
    pub plan: RatePlan,
    pub progress: ProgressStyle,
    pub version: String,
    /// When the process started, for the startup time.
    pub process_started: Instant,
    /// Serve the live dashboard during the run.
    pub dashboard: Option<DashboardRequest>,
    /// SIGINT or SIGTERM, listened for by the caller (a benchmark's outlives its runs); the
    /// run ends as interrupted once one arrives.
    pub interruption: Interruption,
    /// A step of a capacity search rather than a run of its own: see [`Step`].
    pub step: Option<Step>,
}

/// A run as one step of a capacity search: it ends with its load, without waiting for the
/// pipeline to drain (what the pipeline has not processed by then shows as lag), and measures
/// its latency over the seconds from `judged_from` to the load's end alone, past the warmup.
#[derive(Debug, Clone, Copy)]
pub struct Step {
    pub judged_from: std::time::Duration,
}

pub struct RunOutcome {
    pub result: RunResult,
    pub json_path: PathBuf,
    pub html_path: PathBuf,
    /// A step's latency over its judged seconds; `None` for a run, or a step that ended early.
    pub judged: Option<JudgedLatency>,
}

/// Latency percentiles over a step's judged seconds (HdrHistogram: the histograms at the
/// load's end minus those at the warmup's end).
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize)]
pub struct JudgedLatency {
    pub publish: Percentiles,
    pub publish_delay: Percentiles,
    /// `None` when the run times no results.
    pub end_to_end: Option<Percentiles>,
}
