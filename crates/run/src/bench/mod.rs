//! `pipegen bench`: the `benchmark` section's scenarios, each a full run of the project (its
//! own JSON result and HTML report), one after the other, then a side-by-side summary with
//! each scenario's latency held against its target, written as JSON and HTML.

pub mod find_max;
mod report;
mod scenario;
mod summary;

use std::path::PathBuf;
use std::time::Instant;

use pipegen_project::Project;

pub use scenario::{ScenarioRun, plan_scenarios};
pub use summary::{BenchResult, BenchStatus, ScenarioResult, Verdict, judged_latency, missed_reason, verdict};

use crate::error::RunError;
use crate::interrupt::Interruption;
use crate::progress::ProgressStyle;
use crate::reports::write_report;
use crate::request::RunRequest;
use crate::result::RunResult;

pub struct BenchRequest<'a> {
    pub project: &'a Project,
    pub scenarios: Vec<ScenarioRun>,
    pub progress: ProgressStyle,
    pub version: String,
    pub process_started: Instant,
    /// SIGINT or SIGTERM, listened for as long as the benchmark lasts (between its runs too).
    pub interruption: Interruption,
}

pub struct BenchOutcome {
    pub result: BenchResult,
    pub json_path: PathBuf,
    pub html_path: PathBuf,
}

/// Runs every scenario in order. `on_start` is told before each one (index, count). A run that
/// cannot start stops the benchmark: before the first scenario that is the caller's error
/// (nothing ran, e.g. SQL that does not plan); later, the scenario is marked failed and the
/// rest not run. So is everything after an interrupted scenario.
pub fn bench(
    request: BenchRequest<'_>,
    mut on_start: impl FnMut(&ScenarioRun, usize, usize),
) -> Result<BenchOutcome, RunError> {
    let started_at = chrono::Utc::now();
    let count = request.scenarios.len();
    let interrupted = request.interruption.clone();
    let mut rows = Vec::with_capacity(count);
    let mut stopped = false;
    // Ctrl-C while no scenario ran: the benchmark counts as interrupted all the same.
    let mut interrupted_between = false;
    let mut reports_dir = None;
    for (index, scenario) in request.scenarios.iter().enumerate() {
        reports_dir.get_or_insert_with(|| request.project.root.join(&scenario.config.config.run.reports_dir));
        if interrupted.is_set() && !stopped {
            stopped = true;
            interrupted_between = true;
        }
        if stopped {
            let mut skipped = row(scenario, Verdict::NotRun, None, None);
            skipped.reason = Some("the benchmark stopped before this scenario".into());
            rows.push(skipped);
            continue;
        }
        on_start(scenario, index, count);
        let outcome = crate::run(RunRequest {
            project: request.project,
            config: &scenario.config,
            plan: scenario.plan.clone(),
            progress: request.progress,
            version: request.version.clone(),
            // A later scenario's startup counts from its own start, not the process's.
            process_started: if index == 0 {
                request.process_started
            } else {
                Instant::now()
            },
            dashboard: None,
            interruption: interrupted.clone(),
            step: None,
        });
        match outcome {
            Ok(outcome) => {
                let verdict = verdict(&outcome.result, scenario.latency_target);
                stopped = verdict == Verdict::Interrupted;
                let paths = (outcome.json_path, outcome.html_path);
                rows.push(row(scenario, verdict, Some(&outcome.result), Some(paths)));
            }
            Err(e) if index == 0 => return Err(e),
            Err(e) => {
                let mut failed = row(scenario, Verdict::Failed, None, None);
                failed.reason = Some(describe(&e));
                rows.push(failed);
                stopped = true;
            }
        }
    }
    let status = if interrupted_between || rows.iter().any(|r| r.verdict == Verdict::Interrupted) {
        BenchStatus::Interrupted
    } else if rows.iter().all(|r| r.verdict == Verdict::Passed) {
        BenchStatus::Passed
    } else {
        BenchStatus::Failed
    };
    let result = BenchResult {
        bench_id: started_at.format("%Y%m%d-%H%M%S").to_string(),
        started_at: started_at.to_rfc3339(),
        finished_at: chrono::Utc::now().to_rfc3339(),
        status,
        scenarios: rows,
    };
    let reports_dir = reports_dir.unwrap_or_else(|| request.project.root.join("reports"));
    let (json_path, html_path) = write_report(
        &reports_dir,
        &format!("pipegen-benchmark-{}", result.bench_id),
        &result,
        &report::render(&result),
    )?;
    Ok(BenchOutcome {
        result,
        json_path,
        html_path,
    })
}

fn describe(error: &RunError) -> String {
    match error {
        RunError::Input(diagnostics) => diagnostics
            .iter()
            .map(|d| d.message.clone())
            .collect::<Vec<_>>()
            .join("; "),
        other => other.to_string(),
    }
}

fn row(
    scenario: &ScenarioRun,
    verdict: Verdict,
    result: Option<&RunResult>,
    paths: Option<(PathBuf, PathBuf)>,
) -> ScenarioResult {
    let plan = &scenario.plan;
    let judged = result.and_then(judged_latency);
    ScenarioResult {
        name: scenario.name.clone(),
        verdict,
        reason: match (verdict, result, scenario.latency_target) {
            (Verdict::MissedTarget, Some(result), Some(target)) => Some(missed_reason(result, target)),
            (_, Some(result), _) => result.error.clone(),
            _ => None,
        },
        duration_s: plan.duration.as_secs_f64(),
        base_rate: match plan.base {
            pipegen_config::Rate::PerSecond(r) => Some(r),
            pipegen_config::Rate::Max => None,
        },
        messages: plan.messages,
        traffic_pattern: scenario.config.config.run.traffic_pattern.clone(),
        run_id: result.map(|r| r.run_id.clone()),
        planned: result.and_then(|r| r.producer.planned),
        sent: result.map(|r| r.producer.sent),
        acked: result.map(|r| r.producer.acked),
        failed: result.map(|r| r.producer.failed),
        achieved_rate: result.and_then(|r| r.producer.achieved_rate),
        consumed: result.map(|r| r.consumer.consumed),
        publish_ms: result.map(|r| r.latency_ms.publish.clone()),
        end_to_end_ms: result.map(|r| r.latency_ms.end_to_end.clone()),
        latency_target_ms: scenario.latency_target.map(|t| t.as_secs_f64() * 1000.0),
        judged_on: judged.map(|(on, _)| on.to_owned()),
        judged_p99_ms: judged.and_then(|(_, p99)| p99),
        result: paths.as_ref().map(|(json, _)| json.clone()),
        report: paths.map(|(_, html)| html),
    }
}
