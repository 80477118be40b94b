//! What a run is asked to do, and what it gives back.

use std::path::PathBuf;
use std::time::Instant;

use pipegen_config::ResolvedConfig;
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
}

pub struct RunOutcome {
    pub result: RunResult,
    pub json_path: PathBuf,
    pub html_path: PathBuf,
}
