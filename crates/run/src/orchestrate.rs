//! A run from start to end: the stack opened, the run's phases in order (provision, deploy,
//! load, watch, drain, collect), what it created cleaned up, and the reports written.

use std::collections::BTreeMap;
use std::time::Instant;

use crate::backends::{Created, LogBackend, RegistryBackend};
use crate::collect::{Measured, collect};
use crate::dimensions::OwnedDimensions;
use crate::drain::drain;
use crate::error::RunError;
use crate::flink_jobs::FlinkJobs;
use crate::interrupt::Interruption;
use crate::jobs::{EmbeddedJobs, RunningJobs};
use crate::live::LiveFeed;
use crate::load::{Consumers, Producers};
use crate::provision::provision;
use crate::reports::write_report;
use crate::request::{RunOutcome, RunRequest};
use crate::result::RunResult;
use crate::topic_watch::TopicWatch;
use crate::watch::{Watched, watch};

/// Runs the project; the report is written whatever the outcome once the pipeline started.
pub fn run(request: RunRequest<'_>) -> Result<RunOutcome, RunError> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(|e| RunError::Io(format!("cannot start the runtime: {e}")))?;
    runtime.block_on(execute(request))
}

fn run_id(now: &chrono::DateTime<chrono::Utc>) -> String {
    let salt = std::process::id() ^ now.timestamp_subsec_nanos();
    format!("{}-{:04x}", now.format("%Y%m%d-%H%M%S"), salt & 0xffff)
}

async fn execute(request: RunRequest<'_>) -> Result<RunOutcome, RunError> {
    let config = &request.config.config;
    crate::flink_jobs::preflight(config)?;
    // From here on a signal ends the run cleanly: what it created is removed, the report written.
    let interrupted = request.interruption.clone();
    let started_at = chrono::Utc::now();
    let run_id = run_id(&started_at);
    // The views' servers first: a taken port stops the run before it creates anything.
    let reports_dir = request.project.root.join(&config.run.reports_dir);
    crate::reports::check_writable(&reports_dir)?;
    let mut live = LiveFeed::start(config, request.dashboard.as_ref(), &request.plan, &run_id, &reports_dir).await?;
    if let Some(step) = &request.step {
        live.judge(step.judged_from, request.plan.duration);
    }
    let backends =
        LogBackend::open(config, &run_id).and_then(|log| RegistryBackend::open(config).map(|registry| (log, registry)));
    let (mut log, mut registry) = match backends {
        Ok(backends) => backends,
        Err(e) => {
            live.finish(None).await;
            return Err(e);
        }
    };
    let mut dimensions = OwnedDimensions::default();
    let outcome = run_pipeline(
        &request,
        Created {
            log: &mut log,
            registry: &mut registry,
            dimensions: &mut dimensions,
        },
        &interrupted,
        started_at,
        &run_id,
        &mut live,
    )
    .await;

    let mut cleanup_errors = BTreeMap::new();
    if config.run.cleanup {
        for error in dimensions.remove().await {
            cleanup_errors.insert(error, 1);
        }
        match log.cleanup() {
            Ok(topics) if !topics.is_empty() => tracing::info!(?topics, "deleted the topics this run created"),
            Ok(_) => {}
            Err(e) => {
                cleanup_errors.insert(format!("cleanup: {e}"), 1);
            }
        }
        match registry.cleanup() {
            Ok(subjects) if !subjects.is_empty() => {
                tracing::info!(?subjects, "deleted the subjects this run registered");
            }
            Ok(_) => {}
            Err(e) => {
                cleanup_errors.insert(format!("cleanup: {e}"), 1);
            }
        }
    }
    let mut result = match outcome {
        Ok(result) => result,
        Err(e) => {
            live.finish(None).await;
            return Err(e);
        }
    };
    result.errors.extend(cleanup_errors);
    let written = write_reports(&request, result, started_at).map(|mut outcome| {
        outcome.judged = live.judged_latency();
        outcome
    });
    live.finish(written.as_ref().ok().map(|w| (&w.result, w.json_path.as_path())))
        .await;
    written
}

/// The run's phases, from deploying the SQL to the result; what they create is the caller's
/// to clean up.
async fn run_pipeline(
    request: &RunRequest<'_>,
    mut created: Created<'_>,
    interrupted: &Interruption,
    started_at: chrono::DateTime<chrono::Utc>,
    run_id: &str,
    live: &mut LiveFeed,
) -> Result<RunResult, RunError> {
    let config = &request.config.config;
    let deploy_started = Instant::now();
    let provisioned = provision(request, &mut created, run_id, started_at).await?;
    let pipeline = &provisioned.pipeline;
    let shared_log = created.log.shared();

    let mut jobs: Box<dyn RunningJobs> = match config.engine {
        pipegen_config::Engine::Flink => Box::new(FlinkJobs::deploy(
            config,
            request.project,
            &provisioned.values,
            &provisioned.declared,
            run_id,
        )?),
        pipegen_config::Engine::Embedded => {
            let jobs = EmbeddedJobs::deploy(config, &provisioned.files, shared_log.clone()).await?;
            tracing::info!(jobs = jobs.len(), "pipeline deployed");
            Box::new(jobs)
        }
    };
    let deploy_time = deploy_started.elapsed();

    let start = Instant::now();
    let mut consumers = Consumers::start(pipeline, provisioned.sink_starts, &shared_log, start);
    let mut producers = Producers::start(
        &request.plan,
        provisioned.generators,
        created.log,
        start,
        config.run.pipeline_timeout.as_std(),
    )?;
    let topics = TopicWatch::start(shared_log, crate::topic_watch::watched_topics(pipeline));
    let watched = Watched {
        request,
        log: created.log,
        pipeline,
        consumers: &consumers,
        producers: &producers,
        topics: &topics,
        start,
    };
    let ending = watch(&watched, jobs.as_mut(), live, interrupted).await;

    let drained = drain(ending, created.log, &mut producers, jobs, &mut consumers).await;
    let measured = Measured {
        request,
        run_id,
        started_at,
        log: created.log,
        registry: created.registry,
        dimensions: created.dimensions.rows(),
        pipeline,
        producers: &producers,
        consumers: &consumers,
        topics,
        frames: live.frames(),
        deploy_time,
    };
    Ok(collect(measured, drained))
}

/// Writes the JSON result and the HTML report, each whole or not at all.
fn write_reports(
    request: &RunRequest<'_>,
    result: RunResult,
    started_at: chrono::DateTime<chrono::Utc>,
) -> Result<RunOutcome, RunError> {
    let config = &request.config.config;
    let reports_dir = request.project.root.join(&config.run.reports_dir);
    let stem = format!("pipegen-execution-report-{}", started_at.format("%Y%m%d-%H%M%S"));
    let (json_path, html_path) = write_report(&reports_dir, &stem, &result, &crate::html::render(&result))?;
    Ok(RunOutcome {
        result,
        json_path,
        html_path,
        judged: None,
    })
}
