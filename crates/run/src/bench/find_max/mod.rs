//! `pipegen bench --find-max`: the highest rate the pipeline sustains. Each step is a full run
//! of the project at one rate (its own JSON result and HTML report) that ends with its load;
//! its seconds past the warmup are judged against the criteria of `benchmark.find_max`, and
//! the rates follow a ramp then a bisection (see `search`). The search's result names the
//! highest rate that held, the step where each criterion broke first and which side fell
//! behind there, and keeps every step for the chart of rate against latency and lag.

mod judge;
mod report;
mod search;

use std::path::PathBuf;
use std::time::Instant;

use serde::Serialize;

use pipegen_config::{BenchmarkScenario, Rate, ResolvedConfig};
use pipegen_project::Project;

pub use judge::{Broken, Criterion, Side, StepJudgement, TopicGrowth, judge};
use search::{Ended, Search};

use crate::error::RunError;
use crate::interrupt::Interruption;
use crate::progress::ProgressStyle;
use crate::reports::write_report;
use crate::request::{RunRequest, Step};
use crate::result::{RunResult, Status};

pub struct FindMaxRequest<'a> {
    pub project: &'a Project,
    pub config: &'a ResolvedConfig,
    pub progress: ProgressStyle,
    pub version: String,
    pub process_started: Instant,
    /// SIGINT or SIGTERM, listened for as long as the search lasts (between its steps too).
    pub interruption: Interruption,
}

/// How the search ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SearchStatus {
    /// The highest held and the lowest broken rate lie within the precision.
    Found,
    /// Every step held up to `max_rate`: the limit lies above it.
    ReachedMaxRate,
    /// Even the lowest rate tried broke.
    NothingHeld,
    /// The step limit ran out before the rates were bracketed.
    Unfinished,
    Interrupted,
    /// A step could not run; `error` says why.
    Failed,
}

/// One step: its rate, its run and how it was judged.
#[derive(Debug, Clone, Serialize)]
pub struct StepRow {
    pub rate: f64,
    /// A rerun of a rate that held, to confirm it.
    pub confirming: bool,
    pub run_id: String,
    pub run_status: Status,
    #[serde(flatten)]
    pub judgement: StepJudgement,
    /// On Flink, each vertex's busy and back-pressured share of the step.
    pub vertices: Vec<VertexLoad>,
    pub result: PathBuf,
    pub report: PathBuf,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct VertexLoad {
    pub job: String,
    pub vertex: String,
    pub busy: Option<f64>,
    pub backpressure: Option<f64>,
}

/// A criterion, and the lowest rate at which it broke.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FirstBroken {
    pub criterion: Criterion,
    pub rate: f64,
    pub side: Side,
    pub detail: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct FindMaxResult {
    pub search_id: String,
    pub started_at: String,
    pub finished_at: String,
    pub status: SearchStatus,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// The `benchmark.find_max` settings the search used.
    pub settings: pipegen_config::FindMaxConfig,
    pub engine: String,
    pub log: String,
    /// The highest rate a step held at (messages per second, every stream together).
    pub max_sustained_rate: Option<f64>,
    /// The lowest rate a step broke at.
    pub lowest_broken_rate: Option<f64>,
    /// The side that fell behind first at the lowest broken rate.
    pub broke_on: Option<Side>,
    pub first_broken: Vec<FirstBroken>,
    /// On Flink, the vertices busy or back-pressured at least half the time at the lowest
    /// broken rate, busiest first.
    pub strained_vertices: Vec<VertexLoad>,
    /// In the order they ran.
    pub steps: Vec<StepRow>,
}

pub struct FindMaxOutcome {
    pub result: FindMaxResult,
    pub json_path: PathBuf,
    pub html_path: PathBuf,
}

/// What the caller is told as the search goes.
pub enum StepEvent<'a> {
    Starting { index: usize, rate: f64, confirming: bool },
    Judged(&'a StepRow),
}

/// Runs the search. A first step that cannot run is the caller's error (nothing ran); a later
/// one ends the search as failed, with what the steps before it found.
pub fn find_max(
    request: FindMaxRequest<'_>,
    mut on_step: impl FnMut(StepEvent<'_>),
) -> Result<FindMaxOutcome, RunError> {
    let started_at = chrono::Utc::now();
    let settings = request.config.config.benchmark.find_max.clone();
    let rate = |r: Rate| match r {
        Rate::PerSecond(r) => r,
        Rate::Max => f64::MAX,
    };
    let mut search = Search::new(
        rate(settings.start_rate),
        rate(settings.max_rate),
        settings.ramp_factor,
        settings.precision.fraction(),
        settings.confirmations,
    );
    let mut steps: Vec<StepRow> = Vec::new();
    let mut backends = (String::new(), String::new());
    let mut error = None;
    let status = loop {
        if request.interruption.is_set() {
            break SearchStatus::Interrupted;
        }
        let rate = match search.next() {
            Ok(rate) => rate,
            Err(Ended::Bracketed) => break SearchStatus::Found,
            Err(Ended::ReachedMax) => break SearchStatus::ReachedMaxRate,
            Err(Ended::NothingHeld) => break SearchStatus::NothingHeld,
            Err(Ended::TooManySteps) => break SearchStatus::Unfinished,
        };
        let confirming = search.confirming(rate);
        on_step(StepEvent::Starting {
            index: steps.len(),
            rate,
            confirming,
        });
        let step = match run_step(&request, &settings, rate, steps.is_empty()) {
            Ok(step) => step,
            Err(e) if steps.is_empty() => return Err(e),
            Err(e) => {
                error = Some(e.to_string());
                break SearchStatus::Failed;
            }
        };
        let (mut row, result) = step;
        row.confirming = confirming;
        backends = (result.backends.engine.clone(), result.backends.log.clone());
        on_step(StepEvent::Judged(&row));
        match row.run_status {
            Status::Interrupted => {
                steps.push(row);
                break SearchStatus::Interrupted;
            }
            Status::Failed => {
                error = Some(format!(
                    "the step at {rate} msg/s failed: {}",
                    result.error.as_deref().unwrap_or("see its report")
                ));
                steps.push(row);
                break SearchStatus::Failed;
            }
            Status::Succeeded => {}
        }
        search.record(rate, row.judgement.held);
        steps.push(row);
    };
    let breaking = steps
        .iter()
        .filter(|s| !s.judgement.held && s.run_status == Status::Succeeded)
        .min_by(|a, b| a.rate.total_cmp(&b.rate));
    let result = FindMaxResult {
        search_id: started_at.format("%Y%m%d-%H%M%S").to_string(),
        started_at: started_at.to_rfc3339(),
        finished_at: chrono::Utc::now().to_rfc3339(),
        status,
        error,
        settings,
        engine: backends.0,
        log: backends.1,
        max_sustained_rate: search.held(),
        lowest_broken_rate: search.broken(),
        broke_on: breaking.and_then(|s| s.judgement.broken.first()).map(|b| b.side),
        first_broken: first_broken(&steps),
        strained_vertices: breaking
            .map(|s| {
                s.vertices
                    .iter()
                    .filter(|v| v.busy.unwrap_or(0.0) >= 0.5 || v.backpressure.unwrap_or(0.0) >= 0.5)
                    .cloned()
                    .collect()
            })
            .unwrap_or_default(),
        steps,
    };
    let reports_dir = request.project.root.join(&request.config.config.run.reports_dir);
    let (json_path, html_path) = write_report(
        &reports_dir,
        &format!("pipegen-find-max-{}", result.search_id),
        &result,
        &report::render(&result),
    )?;
    Ok(FindMaxOutcome {
        result,
        json_path,
        html_path,
    })
}

/// One step: the project run at `rate` for the step's duration, judged past its warmup.
fn run_step(
    request: &FindMaxRequest<'_>,
    settings: &pipegen_config::FindMaxConfig,
    rate: f64,
    first: bool,
) -> Result<(StepRow, RunResult), RunError> {
    let scenario = BenchmarkScenario {
        name: format!("find-max step at {rate} msg/s"),
        rate: Some(Rate::PerSecond(rate)),
        duration: Some(settings.step_duration),
        ..BenchmarkScenario::default()
    };
    let planned = super::scenario::plan_scenario(request.config, &scenario).map_err(|e| {
        RunError::Input(vec![
            pipegen_diag::Diagnostic::error(format!("the find-max step at {rate} msg/s: {}", e.message))
                .with_hint(e.hint),
        ])
    })?;
    let warmup = settings.warmup.as_std();
    let outcome = crate::run(RunRequest {
        project: request.project,
        config: &planned.config,
        plan: planned.plan.clone(),
        progress: request.progress,
        version: request.version.clone(),
        // A later step's startup counts from its own start, not the process's.
        process_started: if first { request.process_started } else { Instant::now() },
        dashboard: None,
        interruption: request.interruption.clone(),
        step: Some(Step { judged_from: warmup }),
    })?;
    let result = outcome.result;
    let judgement = judge(
        &result,
        outcome.judged.as_ref(),
        settings,
        warmup.as_secs(),
        planned.plan.duration.as_secs(),
    );
    let vertices = result
        .jobs
        .iter()
        .flat_map(|job| {
            job.operators.iter().map(|op| VertexLoad {
                job: job.name.clone(),
                vertex: op.name.clone(),
                busy: op.busy,
                backpressure: op.backpressure,
            })
        })
        .filter(|v| v.busy.is_some() || v.backpressure.is_some())
        .collect();
    let row = StepRow {
        rate,
        confirming: false,
        run_id: result.run_id.clone(),
        run_status: result.status,
        judgement,
        vertices,
        result: outcome.json_path,
        report: outcome.html_path,
    };
    Ok((row, result))
}

/// For each criterion that broke, the lowest rate it broke at.
fn first_broken(steps: &[StepRow]) -> Vec<FirstBroken> {
    let mut first: Vec<FirstBroken> = Vec::new();
    for step in steps.iter().filter(|s| s.run_status == Status::Succeeded) {
        for broken in &step.judgement.broken {
            match first.iter_mut().find(|f| f.criterion == broken.criterion) {
                Some(known) if known.rate <= step.rate => {}
                Some(known) => {
                    *known = FirstBroken {
                        criterion: broken.criterion,
                        rate: step.rate,
                        side: broken.side,
                        detail: broken.detail.clone(),
                    }
                }
                None => first.push(FirstBroken {
                    criterion: broken.criterion,
                    rate: step.rate,
                    side: broken.side,
                    detail: broken.detail.clone(),
                }),
            }
        }
    }
    first.sort_by(|a, b| a.rate.total_cmp(&b.rate).then(a.criterion.cmp(&b.criterion)));
    first
}
