//! The run's steps, in order, and the rules for when it is over.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use pipegen_config::{Rate, ResolvedConfig};
use pipegen_diag::Diagnostic;
use pipegen_engine::{Engine, EngineError, Job};
use pipegen_loadgen::driver::{drive, follow};
use pipegen_loadgen::metrics::{Percentiles, Recorder};
use pipegen_loadgen::plan::RatePlan;
use pipegen_loadgen::{Format, GeneratorOptions, RecordGenerator, References};
use pipegen_project::Project;

use crate::backends::{LogBackend, RegistryBackend, TopicNeed};
use crate::consume::{ConsumerMetrics, EndToEnd, consume, start_positions};
use crate::dimensions::OwnedDimensions;
use crate::flink_jobs::FlinkJobs;
use crate::followers::Generated;
use crate::interrupt::Interruption;
use crate::live::{DashboardRequest, LiveFeed, Sources, phase_at, phase_bands, target_at};
use crate::pipeline::{Pipeline, RunSql, load_sql, rename_topics};
use crate::progress::{Progress, ProgressStyle, Snapshot};
use crate::reports::write_report;
use crate::result::{
    Backends, ConsumerSummary, Environment, JobRow, Latency, LookupRow, OperatorRow, PlannedPhase, RatePlanSummary,
    RunResult, Status, TimelineRow, Timings, TopicRow,
};
use crate::topic_watch::{Readings, TopicWatch};

/// After the load ends, results count as complete once nothing new has arrived for this long.
const QUIET: Duration = Duration::from_secs(3);
/// The longest a job or a result reader may take to stop once told to.
const STOP_TIMEOUT: Duration = Duration::from_secs(10);
/// The longest the result waits for a last reading of the topics' offsets.
const FINAL_READING: Duration = Duration::from_secs(3);

/// A task reading one sink topic, and what it measured.
pub(crate) struct SinkConsumer {
    pub(crate) topic: String,
    pub(crate) metrics: Arc<ConsumerMetrics>,
    /// Whether its records say when their input happened (end-to-end latency).
    pub(crate) timed: bool,
    task: tokio::task::JoinHandle<Result<(), String>>,
}

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

#[derive(Debug, thiserror::Error)]
pub enum RunError {
    /// The project cannot run as it is (exit 2): nothing was started.
    #[error("the project cannot run")]
    Input(Vec<Diagnostic>),
    /// A backend this slice does not drive yet.
    #[error("{0}")]
    NotAvailable(String),
    /// A service the run needs did not answer or refused (exit 1).
    #[error("{0}")]
    Unavailable(String),
    #[error("{0}")]
    Io(String),
}

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

fn engine_diagnostic(error: &EngineError, file: &RunSql, statement_position: pipegen_diag::Position) -> Diagnostic {
    let (message, at) = match error {
        EngineError::Unsupported { at, .. } => (error.to_string(), at.unwrap_or(statement_position)),
        other => (other.to_string(), statement_position),
    };
    let diagnostic = Diagnostic::error(message).in_file(&file.shown).at_in(at, &file.text);
    match error.hint() {
        Some(hint) => diagnostic.with_hint(hint),
        None => diagnostic.with_hint("check the statement against Flink SQL; `pipegen validate` names most problems"),
    }
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
    let written = write_reports(&request, result, started_at);
    live.finish(written.as_ref().ok().map(|w| (&w.result, w.json_path.as_path())))
        .await;
    written
}

/// What a run creates outside itself, which the caller cleans up.
struct Created<'b> {
    log: &'b mut LogBackend,
    registry: &'b mut RegistryBackend,
    dimensions: &'b mut OwnedDimensions,
}

/// Everything from deploying the SQL to the result; what it creates is the caller's to clean up.
async fn run_pipeline(
    request: &RunRequest<'_>,
    created: Created<'_>,
    interrupted: &Interruption,
    started_at: chrono::DateTime<chrono::Utc>,
    run_id: &str,
    live: &mut LiveFeed,
) -> Result<RunResult, RunError> {
    let config = &request.config.config;
    let Created {
        log,
        registry,
        dimensions,
    } = created;
    let deploy_started = Instant::now();
    let shared_log = log.shared();

    // The SQL, with what the stack's addresses are.
    let values = BTreeMap::from([
        ("BOOTSTRAP_SERVERS", log.bootstrap_servers()),
        ("SCHEMA_REGISTRY_URL", registry.url().to_owned()),
        ("PROJECT_DIR", request.project.root.display().to_string()),
        ("RUN_ID", run_id.to_owned()),
    ]);
    let mut files = load_sql(request.project, &values).map_err(RunError::Input)?;
    let declared = rename_topics(&mut files, |topic| log.topic_name(topic, run_id));
    let pipeline = Pipeline::analyse(request.project, &files).map_err(RunError::Input)?;

    // Provision: topics, and the schemas the generator writes with.
    let needs: Vec<TopicNeed> = pipeline
        .topics
        .iter()
        .map(|topic| {
            let declared = declared.get(topic).map_or(topic.as_str(), String::as_str);
            TopicNeed::from_config(&config.kafka.topics, declared, topic.clone())
        })
        .collect();
    log.provision(&needs)?;
    // Where the run's reading of each result topic starts, before anything can write there.
    let mut sink_starts = BTreeMap::new();
    for sink in &pipeline.sinks {
        let positions = start_positions(shared_log.as_ref(), &sink.topic)
            .map_err(|e| RunError::Unavailable(format!("reading the offsets of `{}`: {e}", sink.topic)))?;
        sink_starts.insert(sink.topic.clone(), positions);
    }
    registry.add_topics(pipeline.topics.iter().cloned());
    let references = referable_tables(request.project, &pipeline, config);
    let run_seed = config.run.seed.unwrap_or_else(|| started_at.timestamp_micros() as u64);
    dimensions
        .fill(request.config, request.project, &files, &references, run_seed)
        .await?;
    let mut generators = Vec::new();
    for fed in &pipeline.fed {
        // As validated when the project was loaded, not read again.
        let schema_text = fed.schema.schema.text();
        let format = fed.table.format().unwrap_or("json");
        let schema_id = if format == "avro-confluent" {
            Some(registry.register_value(&fed.topic, schema_text)?)
        } else {
            None
        };
        let format = Format::from_flink(format, schema_id).map_err(|e| {
            RunError::Input(vec![
                Diagnostic::error(format!("table `{}`: {}", fed.table.name, e.message)).with_hint(e.hint),
            ])
        })?;
        let generator = RecordGenerator::new(
            schema_text,
            format,
            GeneratorOptions {
                seed: pipegen_loadgen::table_seed(run_seed, &fed.table.name),
                shared_seed: run_seed,
                key_field: config.run.key_field.clone(),
                references: references.clone(),
                given_field: None,
            },
        )
        .map_err(|e| {
            RunError::Input(vec![
                Diagnostic::error(format!("{}: {}", fed.schema.path.display(), e.message)).with_hint(e.hint),
            ])
        })?;
        generators.push(Generated {
            table: fed.table.name.clone(),
            topic: fed.topic.clone(),
            schema: fed.schema.path.clone(),
            generator,
            leads: None,
        });
    }
    crate::followers::pair(&mut generators)?;

    // Deploy.
    let mut engine = Engine::new(config.flink.parallelism.max(1) as usize)
        .with_log(shared_log.clone())
        .with_memory_budget(config.embedded.memory_budget.bytes());
    let mut jobs: Vec<Job> = Vec::new();
    let mut flink = match config.engine {
        pipegen_config::Engine::Flink => Some(FlinkJobs::deploy(config, request.project, &values, &declared, run_id)?),
        pipegen_config::Engine::Embedded => None,
    };
    for file in files.iter().filter(|_| flink.is_none()) {
        for statement in &file.statements {
            match engine.deploy(statement).await {
                Ok(started) => jobs.extend(started),
                Err(e) => {
                    for job in &jobs {
                        job.cancel();
                    }
                    return Err(RunError::Input(vec![engine_diagnostic(&e, file, statement.position)]));
                }
            }
        }
    }
    let deploy_time = deploy_started.elapsed();
    tracing::info!(?deploy_time, jobs = jobs.len(), "pipeline deployed");

    // Consume every sink topic.
    let start = Instant::now();
    let stop_consuming = Arc::new(AtomicBool::new(false));
    let event_time_columns: Vec<String> = pipeline
        .fed
        .iter()
        .filter_map(|f| f.table.watermark.as_ref().map(|w| w.column.clone()))
        .collect();
    let mut consumers = Vec::new();
    let mut definitions = Vec::new();
    for sink in &pipeline.sinks {
        let metrics = Arc::new(ConsumerMetrics::new(start));
        // Latency from event times means something only for the records this run produced.
        let end_to_end = if pipeline.fed.is_empty() {
            EndToEnd::NotMeasured
        } else {
            EndToEnd::for_table(&sink.table, &event_time_columns)
        };
        definitions.push(end_to_end.definition());
        let timed = end_to_end != EndToEnd::NotMeasured;
        let decoder = pipegen_engine::table_decoder(&sink.table).ok();
        let positions = sink_starts.remove(&sink.topic).unwrap_or_default();
        let task = tokio::spawn(consume(
            shared_log.clone(),
            sink.topic.clone(),
            positions,
            decoder,
            end_to_end,
            metrics.clone(),
            stop_consuming.clone(),
        ));
        consumers.push(SinkConsumer {
            topic: sink.topic.clone(),
            metrics,
            timed,
            task,
        });
    }

    // Produce.
    let plan = Arc::new(request.plan.clone());
    let recorder = Arc::new(Recorder::new(start, plan.duration));
    recorder.set_paced_streams(generators.iter().filter(|g| g.leads.is_none()).count().max(1) as u64);
    let stop_producing = Arc::new(AtomicBool::new(false));
    let mut producers = Vec::new();
    for Generated {
        topic,
        mut generator,
        leads,
        ..
    } in generators
    {
        let (plan, recorder, stop) = (plan.clone(), recorder.clone(), stop_producing.clone());
        // The flush waits for every record's outcome as long as the run goes on; the run's
        // own rules (its timeout, a lost cluster, a signal) stop it.
        let flush_timeout = config.run.pipeline_timeout.as_std();
        let mut sink = log.load_sink(&topic, recorder.clone(), stop.clone())?;
        // A follower is sent as its leads come due, a leader on the plan's schedule; a
        // leader's end (its generator dropped with the thread) ends its followers.
        let send = move || match leads {
            Some(leads) => follow(leads, &mut generator, sink.as_mut(), &recorder, &stop, flush_timeout),
            None => drive(&plan, &mut generator, sink.as_mut(), &recorder, &stop, flush_timeout),
        };
        producers.push(
            std::thread::Builder::new()
                .name(format!("pipegen-produce-{topic}"))
                .spawn(send)
                .map_err(|e| RunError::Io(format!("cannot start the producer: {e}")))?,
        );
    }

    // Watch until the results are in.
    let topic_watch = TopicWatch::start(shared_log.clone(), watched_topics(&pipeline));
    let mut progress = Progress::new(request.progress);
    let timeout = config.run.pipeline_timeout.as_std();
    let expected = config.run.expected_messages;
    let mut ticker = tokio::time::interval(Duration::from_millis(250));
    let mut last_activity = (0u64, Instant::now());
    let mut producing_ended: Option<Instant> = None;
    let mut last_shown = Duration::ZERO;
    let (status, error) = loop {
        ticker.tick().await;
        let elapsed = start.elapsed();
        let consumed: u64 = consumers
            .iter()
            .map(|c| c.metrics.consumed.load(Ordering::Relaxed))
            .sum();
        if let Some(flink) = &mut flink {
            flink.poll();
        }
        let out: u64 = jobs.iter().map(|j| j.snapshot().records_out).sum::<u64>()
            + flink.as_ref().map_or(0, FlinkJobs::records_out);
        let activity = consumed + out;
        if activity != last_activity.0 {
            last_activity = (activity, Instant::now());
        }
        let sources = Sources {
            plan: &plan,
            recorder: &recorder,
            consumers: &consumers,
            jobs: &jobs,
            flink: flink.as_ref(),
            topics: &topic_watch,
            pipeline: &pipeline,
        };
        live.tick(&sources, elapsed);
        if elapsed >= last_shown + Duration::from_secs(1) {
            last_shown = Duration::from_secs(elapsed.as_secs());
            progress.show(&snapshot(&plan, &recorder, &consumers, elapsed, expected));
        }
        if let Some(signal) = interrupted.signal() {
            break (Status::Interrupted, Some(format!("interrupted ({})", signal.name())));
        }
        if let Some(fault) = topic_watch.fault() {
            break (Status::Failed, Some(fault.to_string()));
        }
        if let Some(limit) = log.lost_after()
            && topic_watch.silent_for() >= limit
        {
            break (
                Status::Failed,
                Some(format!(
                    "the Kafka cluster at {} has not answered for {} (3 x kafka.timeout): the run stopped with what it had measured",
                    log.bootstrap_servers(),
                    pipegen_config::Duration(limit)
                )),
            );
        }
        if let Some((job, failure)) = jobs.iter().find_map(|j| j.failure().map(|f| (j, f))) {
            break (Status::Failed, Some(format!("{} failed: {failure}", job.name)));
        }
        if let Some(failure) = flink.as_ref().and_then(FlinkJobs::failure) {
            break (Status::Failed, Some(failure));
        }
        if producers.iter().all(|p| p.is_finished()) && producing_ended.is_none() {
            producing_ended = Some(Instant::now());
        }
        // The pipeline gets `pipeline_timeout` once the load has ended (or should have).
        let timed_out = match producing_ended {
            Some(ended) => ended.elapsed() >= timeout,
            None => elapsed >= plan.duration + timeout,
        };
        if timed_out {
            let message = match expected {
                Some(n) if consumed < n => format!(
                    "pipeline timeout ({}) reached with {consumed} of the {n} expected messages consumed",
                    config.run.pipeline_timeout
                ),
                _ => format!("pipeline timeout ({}) reached", config.run.pipeline_timeout),
            };
            break (Status::Failed, Some(message));
        }
        let Some(ended) = producing_ended else { continue };
        if let Some(n) = expected {
            if consumed >= n {
                break (Status::Succeeded, None);
            }
            continue;
        }
        let all_jobs_done = (!jobs.is_empty() && jobs.iter().all(Job::is_finished))
            || flink.as_ref().is_some_and(FlinkJobs::all_finished);
        let quiet = last_activity.1.max(ended).elapsed() >= QUIET;
        let accounted = pipeline.pass_through && !pipeline.sinks.is_empty() && consumed >= recorder.acked_total();
        if all_jobs_done || quiet || (accounted && !pipeline.fed.is_empty()) {
            break (Status::Succeeded, None);
        }
    };

    // Stop: producers first (flushing), then the pipeline, then the consumers.
    stop_producing.store(true, Ordering::SeqCst);
    if status != Status::Succeeded {
        // Writes still waiting for the cluster's acknowledgement give up now: a run that
        // failed or was interrupted ends within its deadlines, not the writes' own.
        log.stop_waiting();
    }
    let mut errors: BTreeMap<String, u64> = BTreeMap::new();
    for producer in producers {
        if let Ok(Err(e)) = producer.join() {
            *errors.entry(format!("producer: {e}")).or_default() += 1;
        }
    }
    let mut job_rows = Vec::new();
    let mut status = status;
    let mut error = error;
    for (index, job) in jobs.into_iter().enumerate() {
        let finished = job.is_finished();
        job.cancel();
        let snapshot = job.snapshot();
        let operators = job.operators();
        let lookups = job.metrics.lookups().iter().map(LookupRow::of).collect();
        let name = job.name.clone();
        let outcome = match tokio::time::timeout(STOP_TIMEOUT, job.wait()).await {
            Ok(outcome) => outcome,
            Err(_) => Err(EngineError::Invalid(format!(
                "did not stop within {}s of being cancelled",
                STOP_TIMEOUT.as_secs()
            ))),
        };
        let job_status = match (&outcome, finished) {
            (Err(e), _) => {
                *errors.entry(format!("{name}: {e}")).or_default() += 1;
                // A job that fails while the run stops for another reason (a lost topic, a
                // timeout) fails because of it: the first reason stays the run's.
                if status == Status::Succeeded || (status == Status::Failed && error.is_none()) {
                    error = Some(format!("{name} failed: {e}"));
                }
                if status != Status::Interrupted {
                    status = Status::Failed;
                }
                "FAILED"
            }
            (Ok(_), true) => "FINISHED",
            (Ok(_), false) => "CANCELED",
        };
        job_rows.push(JobRow {
            id: format!("embedded-{}", index + 1),
            name,
            status: job_status.to_string(),
            records_in: snapshot.records_in,
            records_out: Some(snapshot.records_out),
            late_records_dropped: Some(snapshot.late_records_dropped),
            watermark_ms: snapshot.watermark_ms,
            open_windows: Some(snapshot.open_windows),
            state_bytes: Some(snapshot.state_bytes),
            uptime_ms: None,
            restarts: None,
            checkpoints: None,
            lookups,
            operators: operators
                .into_iter()
                .map(|o| OperatorRow {
                    name: o.name,
                    parallelism: None,
                    records_in: Some(o.records_in),
                    records_out: Some(o.records_out),
                    state_bytes: Some(o.state_bytes),
                    late_records_dropped: None,
                    watermark_ms: None,
                    busy: None,
                    backpressure: None,
                })
                .collect(),
        });
    }
    if let Some(flink) = flink.take() {
        let (rows, cancel_errors, failure) = flink.finish();
        job_rows.extend(rows);
        errors.extend(cancel_errors);
        if let Some(failure) = failure.filter(|_| status == Status::Succeeded) {
            (status, error) = (Status::Failed, Some(failure));
        }
    }
    stop_consuming.store(true, Ordering::SeqCst);
    for consumer in &mut consumers {
        match tokio::time::timeout(STOP_TIMEOUT, &mut consumer.task).await {
            Ok(Ok(Ok(()))) | Ok(Err(_)) => {}
            Ok(Ok(Err(e))) => *errors.entry(format!("consuming {}: {e}", consumer.topic)).or_default() += 1,
            Err(_) => {
                consumer.task.abort();
                *errors
                    .entry(format!(
                        "consuming {}: did not stop within {}s",
                        consumer.topic,
                        STOP_TIMEOUT.as_secs()
                    ))
                    .or_default() += 1;
            }
        }
    }
    progress.finish();
    // A producer that outran retention is reported, never hidden.
    let lost_by_pipeline = engine.lost_to_retention();
    if lost_by_pipeline > 0 {
        errors.insert(
            "records removed by retention before the pipeline read them (raise kafka.topics.config retention.bytes)"
                .into(),
            lost_by_pipeline,
        );
    }
    let lost_by_run: u64 = consumers.iter().map(|c| c.metrics.lost.load(Ordering::Relaxed)).sum();
    if lost_by_run > 0 {
        errors.insert(
            "result records removed by retention before the run read them".into(),
            lost_by_run,
        );
    }

    // The result.
    let report = recorder.report(&plan);
    let (sent, failed) = (report.totals.sent, report.totals.failed);
    if status != Status::Succeeded
        && failed > 0
        && let Some(error) = &mut error
    {
        error.push_str(&format!("; {failed} of {sent} messages sent were not delivered"));
    }
    let budget = config.run.loss_budget;
    if status == Status::Succeeded && !budget.allows(failed, sent) {
        status = Status::Failed;
        let silent = topic_watch.silent_for();
        let why = match log.lost_after() {
            Some(_) if silent >= config.kafka.timeout.as_std() => format!(
                "; the Kafka cluster at {} has not answered for {}",
                log.bootstrap_servers(),
                pipegen_config::Duration(Duration::from_secs(silent.as_secs()))
            ),
            _ => String::new(),
        };
        error = Some(format!(
            "{failed} of {sent} messages sent were not delivered (run.loss_budget: {budget}){why}"
        ));
    }
    for (kind, count) in &report.errors {
        *errors.entry(kind.clone()).or_default() += count;
    }
    let consumed_per_second = sum_per_second(consumers.iter().map(|c| c.metrics.per_second()));
    let mut timeline: Vec<TimelineRow> = report
        .timeline
        .iter()
        .map(|row| TimelineRow {
            t_s: row.t_s,
            target_rate: row.target_rate,
            sent: row.sent,
            acked: row.acked,
            failed: row.failed,
            consumed: consumed_per_second.get(row.t_s as usize).copied().unwrap_or(0),
        })
        .collect();
    for (second, consumed) in consumed_per_second.iter().enumerate().skip(timeline.len()) {
        timeline.push(TimelineRow {
            t_s: second as u64,
            target_rate: Some(0),
            sent: 0,
            acked: 0,
            failed: 0,
            consumed: *consumed,
        });
    }
    let mut end_to_end = hdrhistogram::Histogram::<u64>::new_with_bounds(1, 3_600_000_000, 3).expect("valid bounds");
    for consumer in &consumers {
        if let Ok(h) = consumer.metrics.end_to_end.lock() {
            let _ = end_to_end.add(&*h);
        }
    }
    definitions.dedup();
    let topics = topic_rows(&topic_watch.settle(FINAL_READING), &pipeline, &consumers);
    drop(topic_watch);
    let result = RunResult {
        run_id: run_id.to_owned(),
        started_at: started_at.to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
        finished_at: chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
        status,
        error,
        backends: Backends {
            log: log.name().into(),
            engine: match config.engine {
                pipegen_config::Engine::Embedded => "embedded".into(),
                pipegen_config::Engine::Flink => "flink".into(),
            },
            schema_registry: registry.name().into(),
            log_client_config: log.client_config(),
        },
        config: request.config.redacted_json(),
        dimensions: dimensions.rows(),
        producer: report.totals.clone(),
        consumer: ConsumerSummary {
            consumed: consumers
                .iter()
                .map(|c| c.metrics.consumed.load(Ordering::Relaxed))
                .sum(),
            expected,
            bytes: consumers.iter().map(|c| c.metrics.bytes.load(Ordering::Relaxed)).sum(),
        },
        latency_ms: Latency {
            publish: report.latency_ms.publish.clone(),
            publish_delay: report.latency_ms.publish_delay.clone(),
            end_to_end: Percentiles::of(&end_to_end),
            end_to_end_definition: if definitions.is_empty() {
                "n/a: the pipeline writes no Kafka table the run can read".into()
            } else {
                definitions.join("; ")
            },
            end_to_end_timed: consumers.iter().any(|c| c.timed),
        },
        timeline,
        rate_plan: RatePlanSummary {
            base_rate: match plan.base {
                Rate::PerSecond(r) => Some(r),
                Rate::Max => None,
            },
            phases: plan
                .phases
                .iter()
                .map(|p| PlannedPhase {
                    start_s: p.start.as_secs_f64(),
                    end_s: p.end.as_secs_f64(),
                    rate: match p.rate {
                        Rate::PerSecond(r) => Some(r),
                        Rate::Max => None,
                    },
                    origin: p.origin.clone(),
                })
                .collect(),
            bands: phase_bands(&plan),
        },
        frames: live.frames(),
        topics,
        jobs: job_rows,
        errors,
        timings: Timings {
            startup_ms: recorder
                .first_ack()
                .map(|first| first.saturating_duration_since(request.process_started).as_secs_f64() * 1000.0),
            deploy_ms: deploy_time.as_secs_f64() * 1000.0,
        },
        environment: Environment {
            pipegen_version: request.version.clone(),
            os: std::env::consts::OS.into(),
            arch: std::env::consts::ARCH.into(),
            cpus: std::thread::available_parallelism().map_or(1, |n| n.get()),
        },
    };
    Ok(result)
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
    })
}

fn snapshot(
    plan: &RatePlan,
    recorder: &Recorder,
    consumers: &[SinkConsumer],
    elapsed: Duration,
    expected: Option<u64>,
) -> Snapshot {
    let second = Duration::from_secs(elapsed.as_secs().saturating_sub(1));
    let target = target_at(plan, recorder.paced_streams(), second);
    let phase = phase_at(plan, second);
    let mut p99 = None;
    for consumer in consumers {
        if let Ok(h) = consumer.metrics.end_to_end.lock()
            && !h.is_empty()
        {
            let value = h.value_at_quantile(0.99) as f64 / 1000.0;
            p99 = Some(p99.map_or(value, |p: f64| p.max(value)));
        }
    }
    Snapshot {
        elapsed,
        planned: plan.duration,
        phase,
        target_rate: target,
        achieved_rate: recorder.sent_in_second(second.as_secs() as usize),
        sent: recorder.sent_total(),
        consumed: consumers
            .iter()
            .map(|c| c.metrics.consumed.load(Ordering::Relaxed))
            .sum(),
        expected,
        end_to_end_p99_ms: p99,
        errors: recorder.failed_total(),
    }
}

fn sum_per_second(series: impl Iterator<Item = Vec<u64>>) -> Vec<u64> {
    let mut total: Vec<u64> = Vec::new();
    for s in series {
        if s.len() > total.len() {
            total.resize(s.len(), 0);
        }
        for (i, v) in s.into_iter().enumerate() {
            total[i] += v;
        }
    }
    total
}

pub(crate) fn topic_rows(readings: &Readings, pipeline: &Pipeline<'_>, consumers: &[SinkConsumer]) -> Vec<TopicRow> {
    pipeline
        .topics
        .iter()
        .filter_map(|topic| {
            let reading = readings.topics.get(topic)?;
            let offsets = &reading.offsets;
            let end: u64 = offsets.iter().map(|o| o.end).sum();
            let consumer = consumers.iter().find(|c| &c.topic == topic);
            let fed = pipeline.fed.iter().find(|f| &f.topic == topic);
            let lag = match (consumer, fed) {
                (Some(consumer), _) => Some(end.saturating_sub(consumer.metrics.consumed.load(Ordering::Relaxed))),
                (None, Some(_)) => reading.group_lag,
                (None, None) => None,
            };
            Some(TopicRow {
                name: topic.clone(),
                role: if fed.is_some() {
                    "source".into()
                } else if consumer.is_some() {
                    "sink".into()
                } else {
                    "other".into()
                },
                partitions: offsets.len() as u32,
                end_offsets: offsets.iter().map(|o| o.end).collect(),
                lag,
            })
        })
        .collect()
}

/// The topics whose offsets the run watches, each with the consumer group whose lag counts
/// (the one the SQL names for a source the run feeds).
fn watched_topics(pipeline: &Pipeline<'_>) -> Vec<(String, Option<String>)> {
    pipeline
        .topics
        .iter()
        .map(|topic| {
            let group = pipeline
                .fed
                .iter()
                .find(|f| &f.topic == topic)
                .and_then(|f| f.table.option("properties.group.id"))
                .map(str::to_owned);
            (topic.clone(), group)
        })
        .collect()
}

/// The tables a generated field may reference (`"references": "table.field"`): the tables the
/// run generates, and any other table with a schema of its own under `schemas/` (a dimension
/// table whose keys that schema's hints describe).
fn referable_tables(project: &Project, pipeline: &Pipeline<'_>, config: &pipegen_config::Config) -> References {
    let mut references = References::default();
    for schema in &project.schemas {
        if let Some(table) = schema.path.file_stem().and_then(|s| s.to_str()) {
            // A dimension table the run fills holds the rows its config says.
            let rows = config.dimensions.get(table).and_then(|d| d.rows);
            references.add_table(table, schema.schema.text(), rows);
        }
    }
    for fed in &pipeline.fed {
        references.add_table(&fed.table.name, fed.schema.schema.text(), None);
    }
    references
}
