//! The jobs a run watches, whichever engine runs them: the embedded engine's, in this process,
//! or Flink's, through its REST API. The run's phases see both through [`RunningJobs`].

use std::collections::BTreeMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use pipegen_config::Config;
use pipegen_diag::Diagnostic;
use pipegen_engine::{Engine, EngineError, Job};
use pipegen_flink::JobState;
use pipegen_log::Log;
use pipegen_observe::{JobCounters, LookupCounters};

use crate::error::RunError;
use crate::flink_jobs::FlinkJobs;
use crate::pipeline::RunSql;
use crate::result::{JobRow, LookupRow, OperatorRow};

/// The longest a job may take to stop once told to.
const STOP_TIMEOUT: Duration = Duration::from_secs(10);

/// What stopping the jobs gave.
#[derive(Default)]
pub(crate) struct Finished {
    /// One row per job, as it ended.
    pub rows: Vec<JobRow>,
    /// Problems met stopping them, by kind.
    pub errors: BTreeMap<String, u64>,
    /// The first job that failed, and why.
    pub failure: Option<String>,
}

/// A deployed pipeline's jobs, as the run watches and stops them.
pub(crate) trait RunningJobs {
    /// Takes a fresh reading where readings are taken (Flink's REST API, at most once a second).
    fn poll(&mut self) {}

    /// Rows the jobs' sinks wrote so far.
    fn records_out(&self) -> u64;

    /// The first job that failed, and why.
    fn failure(&self) -> Option<String>;

    /// Every job ended by itself (its sources were bounded).
    fn all_finished(&self) -> bool;

    /// Each job's figures, for the live frames.
    fn counters(&self) -> Vec<JobCounters>;

    /// Stops the jobs and reports them.
    fn finish(self: Box<Self>) -> Pin<Box<dyn Future<Output = Finished>>>;
}

/// The embedded engine and the jobs it runs for the project's INSERTs.
pub(crate) struct EmbeddedJobs {
    engine: Engine,
    jobs: Vec<Job>,
}

impl EmbeddedJobs {
    /// Deploys every statement of `files` on a new engine over `log`; a statement the engine
    /// refuses cancels the jobs started before it, and is reported at its file and line.
    pub(crate) async fn deploy(config: &Config, files: &[RunSql], log: Arc<dyn Log>) -> Result<Self, RunError> {
        let log = match config.embedded.read_rate_limit {
            Some(pipegen_config::Rate::PerSecond(cap)) => {
                Arc::new(crate::read_limit::RateLimitedReads::new(log, cap)) as Arc<dyn Log>
            }
            Some(pipegen_config::Rate::Max) | None => log,
        };
        let mut engine = Engine::new(config.flink.parallelism.max(1) as usize)
            .with_log(log)
            .with_memory_budget(config.embedded.memory_budget.bytes());
        let mut jobs: Vec<Job> = Vec::new();
        for file in files {
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
        Ok(Self { engine, jobs })
    }

    pub(crate) fn len(&self) -> usize {
        self.jobs.len()
    }
}

impl RunningJobs for EmbeddedJobs {
    fn records_out(&self) -> u64 {
        self.jobs.iter().map(|j| j.snapshot().records_out).sum()
    }

    fn failure(&self) -> Option<String> {
        self.jobs
            .iter()
            .find_map(|j| j.failure().map(|f| format!("{} failed: {f}", j.name)))
    }

    fn all_finished(&self) -> bool {
        !self.jobs.is_empty() && self.jobs.iter().all(Job::is_finished)
    }

    fn counters(&self) -> Vec<JobCounters> {
        self.jobs
            .iter()
            .map(|job| {
                let snapshot = job.snapshot();
                JobCounters {
                    name: job.name.clone(),
                    records_in_total: snapshot.records_in,
                    records_out_total: Some(snapshot.records_out),
                    late_records_dropped: Some(snapshot.late_records_dropped),
                    watermark_ms: snapshot.watermark_ms,
                    state_bytes: Some(snapshot.state_bytes),
                    lookups: job.metrics.lookups().iter().map(lookup_counters).collect(),
                    // The embedded engine has no busy or backpressure signal, takes no
                    // checkpoints and never restarts a job.
                    ..JobCounters::default()
                }
            })
            .collect()
    }

    fn finish(self: Box<Self>) -> Pin<Box<dyn Future<Output = Finished>>> {
        Box::pin(async move {
            let mut finished = Finished::default();
            for (index, job) in self.jobs.into_iter().enumerate() {
                let ended_by_itself = job.is_finished();
                job.cancel();
                let (snapshot, operators) = (job.snapshot(), job.operators());
                let lookups = job.metrics.lookups().iter().map(LookupRow::of).collect();
                let name = job.name.clone();
                let outcome = match tokio::time::timeout(STOP_TIMEOUT, job.wait()).await {
                    Ok(outcome) => outcome,
                    Err(_) => Err(EngineError::Invalid(format!(
                        "did not stop within {}s of being cancelled",
                        STOP_TIMEOUT.as_secs()
                    ))),
                };
                let status = match (&outcome, ended_by_itself) {
                    (Err(e), _) => {
                        *finished.errors.entry(format!("{name}: {e}")).or_default() += 1;
                        finished.failure.get_or_insert_with(|| format!("{name} failed: {e}"));
                        JobState::Failed
                    }
                    (Ok(_), true) => JobState::Finished,
                    (Ok(_), false) => JobState::Canceled,
                };
                finished.rows.push(JobRow {
                    id: format!("embedded-{}", index + 1),
                    name,
                    status,
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
            // A producer that outran retention is reported, never hidden.
            let lost = self.engine.lost_to_retention();
            if lost > 0 {
                finished.errors.insert(
                    "records removed by retention before the pipeline read them (raise kafka.topics.config retention.bytes)"
                        .into(),
                    lost,
                );
            }
            finished
        })
    }
}

impl RunningJobs for FlinkJobs {
    fn poll(&mut self) {
        FlinkJobs::poll(self);
    }

    fn records_out(&self) -> u64 {
        FlinkJobs::records_out(self)
    }

    fn failure(&self) -> Option<String> {
        FlinkJobs::failure(self)
    }

    fn all_finished(&self) -> bool {
        FlinkJobs::all_finished(self)
    }

    fn counters(&self) -> Vec<JobCounters> {
        FlinkJobs::counters(self)
    }

    fn finish(self: Box<Self>) -> Pin<Box<dyn Future<Output = Finished>>> {
        let (rows, errors, failure) = FlinkJobs::finish(*self);
        Box::pin(std::future::ready(Finished { rows, errors, failure }))
    }
}

/// A lookup table's counters as a frame shows them.
fn lookup_counters(lookup: &pipegen_engine::LookupSnapshot) -> LookupCounters {
    LookupCounters {
        table: lookup.table.clone(),
        lookups_total: lookup.lookups,
        cache_hits_total: lookup.cached.then_some(lookup.cache_hits),
        cache_misses_total: lookup.cached.then_some(lookup.cache_misses),
        latency_ms: pipegen_observe::interval::percentiles(&lookup.latency_micros),
    }
}

/// A statement the embedded engine refuses, at its file and line.
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
