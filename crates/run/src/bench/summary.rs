//! The benchmark's JSON result: one row per scenario with what its run measured, its latency
//! target and the verdict, and where the run's own reports are.

use std::path::PathBuf;
use std::time::Duration;

use pipegen_loadgen::metrics::Percentiles;
use serde::Serialize;

use crate::result::{RunResult, Status};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum BenchStatus {
    /// Every scenario ran and met its target.
    Passed,
    Failed,
    Interrupted,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    /// The run succeeded and met its latency target (or had none).
    Passed,
    /// The run succeeded; its p99 latency is above the target, or no result came back to time.
    MissedTarget,
    /// The run failed.
    Failed,
    Interrupted,
    /// An earlier scenario failed to start, or the benchmark was interrupted first.
    NotRun,
}

#[derive(Debug, Clone, Serialize)]
pub struct BenchResult {
    pub bench_id: String,
    pub started_at: String,
    pub finished_at: String,
    pub status: BenchStatus,
    pub scenarios: Vec<ScenarioResult>,
}

#[derive(Debug, Clone, Serialize)]
pub struct ScenarioResult {
    pub name: String,
    pub verdict: Verdict,
    /// Why the verdict is not `passed`: the run's error, or the target it missed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// The load as planned.
    pub duration_s: f64,
    pub base_rate: Option<f64>,
    pub messages: Option<u64>,
    pub traffic_pattern: Option<String>,
    /// What the run measured; `None` for a scenario that did not run.
    pub run_id: Option<String>,
    pub planned: Option<u64>,
    pub sent: Option<u64>,
    pub acked: Option<u64>,
    pub failed: Option<u64>,
    pub achieved_rate: Option<f64>,
    pub consumed: Option<u64>,
    pub publish_ms: Option<Percentiles>,
    pub end_to_end_ms: Option<Percentiles>,
    pub latency_target_ms: Option<f64>,
    /// Which latency the target was held against: `end_to_end p99` when the pipeline's
    /// results can be timed, `publish p99` otherwise.
    pub judged_on: Option<String>,
    pub judged_p99_ms: Option<f64>,
    /// The run's own JSON result and HTML report.
    pub result: Option<PathBuf>,
    pub report: Option<PathBuf>,
}

/// The latency a target is held against, and its p99: end to end when the pipeline's results
/// can be timed (its p99 `None` when none came back: a target then cannot be met), else
/// publish; `None` when neither applies.
pub fn judged_latency(result: &RunResult) -> Option<(&'static str, Option<f64>)> {
    let latency = &result.latency_ms;
    if latency.end_to_end_timed {
        Some(("end_to_end p99", latency.end_to_end.p99))
    } else if latency.publish.count > 0 {
        Some(("publish p99", latency.publish.p99))
    } else {
        None
    }
}

/// Why a run missed its target, in words.
pub fn missed_reason(result: &RunResult, target: Duration) -> String {
    let target = pipegen_config::Duration(target);
    match judged_latency(result) {
        Some((on, Some(p99))) => format!("{on} {p99:.3} ms is above the {target} target"),
        Some((_, None)) => format!("no result came back to time against the {target} target"),
        None => format!("nothing was measured to hold against the {target} target"),
    }
}

/// A run's verdict against its scenario's latency target.
pub fn verdict(result: &RunResult, target: Option<Duration>) -> Verdict {
    match result.status {
        Status::Failed => Verdict::Failed,
        Status::Interrupted => Verdict::Interrupted,
        Status::Succeeded => match target {
            None => Verdict::Passed,
            Some(target) => match judged_latency(result).and_then(|(_, p99)| p99) {
                Some(p99) if p99 <= target.as_secs_f64() * 1000.0 => Verdict::Passed,
                // Above the target, or nothing measured to hold it against.
                _ => Verdict::MissedTarget,
            },
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::result::sample_result;

    fn succeeded(publish_p99: Option<f64>, end_to_end_p99: Option<f64>) -> RunResult {
        let mut result = sample_result();
        result.status = Status::Succeeded;
        let percentiles = |p99: Option<f64>| Percentiles {
            count: u64::from(p99.is_some()),
            p99,
            ..Percentiles::default()
        };
        result.latency_ms.publish = percentiles(publish_p99);
        result.latency_ms.end_to_end = percentiles(end_to_end_p99);
        result.latency_ms.end_to_end_timed = end_to_end_p99.is_some();
        result
    }

    #[test]
    fn a_target_is_held_against_end_to_end_when_timed_else_publish() {
        let target = Some(Duration::from_millis(10));
        assert_eq!(verdict(&succeeded(Some(50.0), Some(8.0)), target), Verdict::Passed);
        assert_eq!(
            verdict(&succeeded(Some(1.0), Some(12.0)), target),
            Verdict::MissedTarget
        );
        assert_eq!(verdict(&succeeded(Some(9.0), None), target), Verdict::Passed);
        assert_eq!(
            judged_latency(&succeeded(Some(9.0), None)),
            Some(("publish p99", Some(9.0)))
        );
        assert_eq!(
            verdict(&succeeded(None, None), target),
            Verdict::MissedTarget,
            "nothing measured cannot meet a target"
        );
        assert_eq!(verdict(&succeeded(None, None), None), Verdict::Passed, "no target");
        let mut nothing_back = succeeded(Some(1.0), None);
        nothing_back.latency_ms.end_to_end_timed = true;
        assert_eq!(
            judged_latency(&nothing_back),
            Some(("end_to_end p99", None)),
            "timeable results that never came back are not judged on publish"
        );
        assert_eq!(verdict(&nothing_back, target), Verdict::MissedTarget);
        assert_eq!(verdict(&sample_result(), None), Verdict::Failed);
    }
}
