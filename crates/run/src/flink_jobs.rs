//! The run's jobs on Apache Flink (`--engine flink`): the project's SQL deployed through the SQL
//! Gateway (placeholders filled, topics renamed for the run, the `flink` section as session
//! properties), the jobs sampled each second through the REST API, a failed job failing the run
//! with Flink's root exception, and exactly these jobs cancelled when the run ends — also on
//! failure, timeout, Ctrl-C, or an early return (the deployment cancels them when dropped).

use std::collections::{BTreeMap, HashMap};
use std::time::{Duration, Instant};

use pipegen_config::{Config, Engine};
use pipegen_diag::Diagnostic;
use pipegen_flink::{
    Cluster, Deployment, DeploymentError, JobSample, JobState, SqlFile, StartedJob, Substitutions, VertexSample,
    default_gateway_url, job_failure, session_properties,
};
use pipegen_observe::JobCounters;
use pipegen_project::Project;

use crate::error::RunError;
use crate::result::{CheckpointSummary, JobRow, OperatorRow};

const SAMPLE_EVERY: Duration = Duration::from_secs(1);

/// A run on Flink needs the cluster's address and a Kafka cluster both sides reach.
pub(crate) fn preflight(config: &Config) -> Result<(), RunError> {
    if config.engine != Engine::Flink {
        return Ok(());
    }
    let mut problems = Vec::new();
    if config.flink_url.is_none() {
        problems.push(
            Diagnostic::error("--engine flink needs the JobManager's REST address, and none is set")
                .with_hint("set flink_url in .pipegen.yaml or pass --flink-url http://HOST:8081"),
        );
    }
    if config.bootstrap_servers.is_none() {
        problems.push(
            Diagnostic::error("--engine flink reads and writes Kafka topics, and no Kafka cluster is set")
                .with_hint("set bootstrap_servers (or --bootstrap-servers) to brokers both pipegen and Flink reach"),
        );
    }
    problems.extend(flink_setting_problems(config));
    if problems.is_empty() {
        Ok(())
    } else {
        Err(RunError::Input(problems))
    }
}

/// Settings Flink takes but that would make the project's jobs silently useless there.
pub(crate) fn flink_setting_problems(config: &Config) -> Vec<Diagnostic> {
    let mut problems = Vec::new();
    // Flink's Kafka source emits watermarks only periodically: every 0 ms is never, and no
    // window would ever fire. (Flink's older sources emit one per record at 0 ms instead.)
    if config.flink.watermark_interval.is_some_and(|d| d.as_std().is_zero()) {
        problems.push(
            Diagnostic::error("flink.watermark_interval is 0: Flink's Kafka source then emits no watermark at all")
                .with_hint(
                    "event-time windows would never fire on Flink: set it to 100ms or more (Flink's default is 200ms)",
                ),
        );
    }
    problems
}

pub(crate) struct FlinkJobs {
    deployment: Deployment,
    /// The JobManager's REST API, for what the per-second samples leave out.
    rest: pipegen_flink::FlinkRest,
    samples: Vec<Option<JobSample>>,
    /// Busy and back-pressured time of each vertex (by id) over the samples taken while it ran.
    load: HashMap<String, VertexLoad>,
    last_sampled: Option<Instant>,
}

/// Sums of a vertex's per-second busy and back-pressured milliseconds, for run means.
#[derive(Debug, Default, Clone, Copy)]
struct VertexLoad {
    busy_ms: f64,
    busy_samples: u32,
    backpressured_ms: f64,
    backpressured_samples: u32,
}

impl VertexLoad {
    fn add(&mut self, vertex: &VertexSample) {
        if let Some(ms) = vertex.busy_ms_per_second {
            self.busy_ms += ms;
            self.busy_samples += 1;
        }
        if let Some(ms) = vertex.backpressured_ms_per_second {
            self.backpressured_ms += ms;
            self.backpressured_samples += 1;
        }
    }

    /// Mean shares of time (0 to 1).
    fn busy(&self) -> Option<f64> {
        (self.busy_samples > 0).then(|| self.busy_ms / f64::from(self.busy_samples) / 1000.0)
    }

    fn backpressure(&self) -> Option<f64> {
        (self.backpressured_samples > 0).then(|| self.backpressured_ms / f64::from(self.backpressured_samples) / 1000.0)
    }
}

impl FlinkJobs {
    /// Deploys every SQL file of the project. `placeholders` are the values the run fills in;
    /// `topics` maps each run topic to the name the SQL declares.
    pub(crate) fn deploy(
        config: &Config,
        project: &Project,
        placeholders: &BTreeMap<&str, String>,
        topics: &BTreeMap<String, String>,
        run_id: &str,
    ) -> Result<Self, RunError> {
        let deployment = start_on_flink(config, project, placeholders, topics, &format!("pipegen-{run_id}"))?;
        // The jobs are sampled each second; a cluster refreshing its REST metrics less often
        // shows the same figures for several seconds, then a jump. Say so rather than smooth it.
        let rest = pipegen_flink::FlinkRest::new(
            config.flink_url.as_deref().unwrap_or_default(),
            config.kafka.timeout.as_std(),
        );
        if let Some(refresh) = pipegen_flink::metrics_refresh(&rest).filter(|r| *r > SAMPLE_EVERY) {
            eprintln!(
                "note: Flink refreshes the job metrics its REST API serves every {} s ({}); the live job \
                 figures change in steps of that. Set it to 1 s in the cluster's config.yaml for per-second figures.",
                refresh.as_secs_f64(),
                pipegen_flink::METRICS_REFRESH_KEY,
            );
        }
        let samples = vec![None; deployment.jobs().len()];
        tracing::info!(jobs = ?deployment.jobs(), "deployed on Flink");
        Ok(Self {
            deployment,
            rest,
            samples,
            load: HashMap::new(),
            last_sampled: None,
        })
    }

    /// Samples every job, at most once per second (the REST calls block: off the runtime's
    /// async path).
    pub(crate) fn poll(&mut self) {
        if self.last_sampled.is_some_and(|t| t.elapsed() < SAMPLE_EVERY) {
            return;
        }
        self.last_sampled = Some(Instant::now());
        let sampled = tokio::task::block_in_place(|| self.deployment.sample());
        for (slot, (job, sample)) in self.samples.iter_mut().zip(sampled) {
            match sample {
                Ok(sample) => {
                    if sample.state == JobState::Running {
                        for vertex in &sample.vertices {
                            self.load.entry(vertex.id.clone()).or_default().add(vertex);
                        }
                    }
                    *slot = Some(sample);
                }
                Err(e) => tracing::debug!(job = %job.job_id, "cannot sample the Flink job: {e}"),
            }
        }
    }

    /// Each job's figures as last sampled, for the live frames.
    pub(crate) fn counters(&self) -> Vec<JobCounters> {
        let names = self.names();
        self.samples
            .iter()
            .zip(names)
            .map(|(sample, name)| {
                let Some(s) = sample else {
                    return JobCounters {
                        name,
                        ..JobCounters::default()
                    };
                };
                let max_share = |pick: fn(&VertexSample) -> Option<f64>| {
                    s.vertices
                        .iter()
                        .filter_map(pick)
                        .reduce(f64::max)
                        .map(|ms| ms / 1000.0)
                };
                JobCounters {
                    name,
                    records_in_total: s.records_in(),
                    records_out_total: s.records_out(),
                    late_records_dropped: s.late_records_dropped(),
                    watermark_ms: watermark(s),
                    state_bytes: s.last_checkpoint.as_ref().map(|c| c.state_size),
                    busy: max_share(|v| v.busy_ms_per_second),
                    backpressure: max_share(|v| v.backpressured_ms_per_second),
                    last_checkpoint_ms: s.last_checkpoint.as_ref().map(|c| c.duration_ms as f64),
                    restarts: s.restarts,
                    // Flink's REST API does not report its lookup joins' tables.
                    lookups: Vec::new(),
                }
            })
            .collect()
    }

    /// The jobs' names as Flink gives them (`file:line` before the first sample), with the
    /// statement's place added where two jobs of the run share one (two INSERTs into one
    /// table): frames and charts tell jobs apart by name.
    fn names(&self) -> Vec<String> {
        let flink_names: Vec<Option<&str>> = self
            .samples
            .iter()
            .map(|s| s.as_ref().map(|s| s.name.as_str()))
            .collect();
        self.deployment
            .jobs()
            .iter()
            .zip(&flink_names)
            .map(|(job, name)| match name {
                Some(name) if flink_names.iter().filter(|n| **n == Some(*name)).count() > 1 => {
                    format!("{name} ({}:{})", job.file, job.line)
                }
                Some(name) => (*name).to_owned(),
                None => format!("{}:{}", job.file, job.line),
            })
            .collect()
    }

    /// What the jobs' sinks wrote so far.
    pub(crate) fn records_out(&self) -> u64 {
        self.samples.iter().flatten().filter_map(JobSample::records_out).sum()
    }

    /// The first failed job, with Flink's root exception.
    pub(crate) fn failure(&self) -> Option<String> {
        self.deployment
            .jobs()
            .iter()
            .zip(&self.samples)
            .find_map(|(job, sample)| sample.as_ref().and_then(|s| job_failure(job, s)))
    }

    /// Every job ended by itself (bounded sources).
    pub(crate) fn all_finished(&self) -> bool {
        !self.samples.is_empty()
            && self
                .samples
                .iter()
                .all(|s| s.as_ref().is_some_and(JobSample::is_terminal))
    }

    /// A last sample, then the jobs cancelled: one row per job as Flink reported it, errors
    /// cancelling, and the failure of a job that failed since the last sample.
    pub(crate) fn finish(mut self) -> (Vec<JobRow>, BTreeMap<String, u64>, Option<String>) {
        self.last_sampled = None;
        self.poll();
        let rest = &self.rest;
        tokio::task::block_in_place(|| {
            for sample in self.samples.iter_mut().flatten() {
                sample.read_checkpoint_shares(rest);
            }
        });
        let failure = self.failure();
        let mut errors = BTreeMap::new();
        let ended: BTreeMap<String, JobState> = tokio::task::block_in_place(|| self.deployment.cancel())
            .into_iter()
            .filter_map(|c| match c.outcome {
                Ok(state) => Some((c.job_id, state)),
                Err(e) => {
                    *errors
                        .entry(format!("cancelling Flink job {}: {e}", c.job_id))
                        .or_default() += 1;
                    None
                }
            })
            .collect();
        let rows = self
            .deployment
            .jobs()
            .iter()
            .zip(&self.samples)
            .zip(self.names())
            .map(|((job, sample), name)| row(job, name, sample.as_ref(), ended.get(&job.job_id), &self.load))
            .collect();
        (rows, errors, failure)
    }
}

/// The lowest watermark over the job's vertices.
fn watermark(sample: &JobSample) -> Option<i64> {
    sample.vertices.iter().filter_map(|v| v.watermark_ms).min()
}

/// The project's SQL on the Flink cluster `config` names, in one SQL Gateway session called
/// `session`: `placeholders` filled (with the addresses the cluster sees, where the `flink`
/// section gives them), topics renamed (`topics`: the name used, by the name declared). The
/// cluster is checked first: jobs that cannot be watched or cancelled must not be started.
/// A statement Flink refuses cancels the jobs started before it.
pub(crate) fn start_on_flink(
    config: &Config,
    project: &Project,
    placeholders: &BTreeMap<&str, String>,
    topics: &BTreeMap<String, String>,
    session: &str,
) -> Result<Deployment, RunError> {
    let flink_url = config.flink_url.clone().unwrap_or_default();
    let cluster = Cluster {
        gateway_url: config
            .sql_gateway_url
            .clone()
            .unwrap_or_else(|| default_gateway_url(&flink_url)),
        flink_url,
        timeout: config.kafka.timeout.as_std(),
    };
    let overview = pipegen_flink::FlinkRest::new(&cluster.flink_url, cluster.timeout)
        .overview()
        .map_err(|e| RunError::Unavailable(format!("{e} (flink_url)")))?;
    if overview.taskmanagers == 0 {
        return Err(RunError::Unavailable(format!(
            "Flink at {} has no task manager registered, so no job can run",
            cluster.flink_url
        )));
    }
    // The project's paths are as messages show them already.
    let shown: Vec<String> = project.sql_files.iter().map(|f| f.path.display().to_string()).collect();
    let files: Vec<SqlFile<'_>> = project
        .sql_files
        .iter()
        .zip(&shown)
        .map(|(f, shown)| SqlFile { shown, text: &f.text })
        .collect();
    let mut placeholders: BTreeMap<String, String> =
        placeholders.iter().map(|(k, v)| ((*k).to_owned(), v.clone())).collect();
    // The addresses the cluster sees, where they differ from pipegen's.
    for (name, seen) in [
        ("BOOTSTRAP_SERVERS", &config.flink.bootstrap_servers),
        ("SCHEMA_REGISTRY_URL", &config.flink.schema_registry_url),
    ] {
        if let Some(seen) = seen {
            placeholders.insert(name.to_owned(), seen.clone());
        }
    }
    let substitutions = Substitutions {
        placeholders,
        topics: topics
            .iter()
            .map(|(run, declared)| (declared.clone(), run.clone()))
            .collect(),
    };
    Deployment::start(
        &cluster,
        session,
        &session_properties(&config.flink),
        &files,
        &substitutions,
    )
    .map_err(|e| match e {
        DeploymentError::Deploy { error, .. } => {
            RunError::Input(vec![Diagnostic::error(error.to_string()).with_hint(
                "the statement as Flink saw it is above; `pipegen validate` names most problems",
            )])
        }
        DeploymentError::Gateway(e) => RunError::Unavailable(e.to_string()),
    })
}

/// The job's row: its figures as last sampled, its state when it ended, and one operator row
/// per vertex with the run's mean busy and back-pressured time.
fn row(
    job: &StartedJob,
    name: String,
    sample: Option<&JobSample>,
    ended: Option<&JobState>,
    load: &HashMap<String, VertexLoad>,
) -> JobRow {
    let state = ended
        .cloned()
        .or_else(|| sample.map(|s| s.state.clone()))
        .unwrap_or_else(|| JobState::Other("UNKNOWN".into()));
    JobRow {
        id: job.job_id.clone(),
        name,
        status: state,
        records_in: sample.and_then(JobSample::records_in),
        records_out: sample.and_then(JobSample::records_out),
        late_records_dropped: sample.and_then(JobSample::late_records_dropped),
        // Flink's REST API does not count open windows.
        open_windows: None,
        watermark_ms: sample.and_then(watermark),
        // The state the last completed checkpoint held, when checkpointing is on.
        state_bytes: sample.and_then(|s| s.last_checkpoint.as_ref().map(|c| c.state_size)),
        uptime_ms: sample.and_then(|s| s.uptime_ms),
        restarts: sample.and_then(|s| s.restarts),
        checkpoints: sample.map(|s| CheckpointSummary {
            completed: s.checkpoints_completed,
            failed: s.checkpoints_failed,
            last_duration_ms: s.last_checkpoint.as_ref().map(|c| c.duration_ms),
            last_state_bytes: s.last_checkpoint.as_ref().map(|c| c.state_size),
        }),
        // Flink's REST API does not report its lookup joins' tables.
        lookups: Vec::new(),
        operators: sample
            .map(|s| s.vertices.as_slice())
            .unwrap_or_default()
            .iter()
            .map(|v| {
                let load = load.get(&v.id).copied().unwrap_or_default();
                OperatorRow {
                    name: v.name.clone(),
                    parallelism: Some(v.parallelism),
                    records_in: v.records_in,
                    records_out: v.records_out,
                    // What the vertex held in the last completed checkpoint.
                    state_bytes: v.state_bytes,
                    late_records_dropped: v.late_records_dropped,
                    watermark_ms: v.watermark_ms,
                    busy: load.busy(),
                    backpressure: load.backpressure(),
                }
            })
            .collect(),
    }
}
