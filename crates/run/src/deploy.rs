//! `pipegen deploy` and `pipegen clean`: the project's pipeline put on the configured Kafka
//! and Flink clusters to stay (its topics created, its source schemas registered, its SQL
//! running as Flink jobs), recorded in the project, and later removed — exactly what the
//! deployment made, never a topic, subject or job that was there before or belongs to someone
//! else.
//!
//! A deployment either completes or leaves nothing behind: a statement Flink refuses, or a job
//! that fails as it starts, cancels the jobs and deletes the topics and subjects made so far.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use pipegen_config::Config;
use pipegen_diag::Diagnostic;
use pipegen_flink::{FlinkRest, JobSample, JobState, RestError, StartedJob, job_failure, sample_job};
use pipegen_kafka::{KafkaAdmin, TopicLedger, TopicPlan, producer_properties};
use pipegen_project::{DeployedJob, DeploymentRecord, Project, RECORD_PATH, read_deployment};
use pipegen_sql::Statement;

use crate::backends::{RegistryBackend, TopicNeed};
use crate::error::RunError;
use crate::flink_jobs::start_on_flink;
use crate::pipeline::{Pipeline, load_sql};
use crate::reports::write_atomically;

pub struct DeployOutcome {
    pub record: DeploymentRecord,
    pub record_path: PathBuf,
}

/// How long the jobs get to reach RUNNING before the deployment counts as failed.
const START_WAIT: Duration = Duration::from_secs(60);

/// The deployment recorded in the project at `root`, if it has one.
pub fn read_record(root: &Path) -> Result<Option<DeploymentRecord>, RunError> {
    read_deployment(root).map_err(|d| RunError::Input(vec![*d]))
}

fn write_record(root: &Path, record: &DeploymentRecord) -> Result<PathBuf, RunError> {
    let path = root.join(RECORD_PATH);
    let dir = path.parent().unwrap_or(root).to_path_buf();
    let json = serde_json::to_string_pretty(record).map_err(|e| RunError::Io(e.to_string()))?;
    write_atomically(&dir, "deployment.json", json.as_bytes())
}

/// A deployment needs clusters that outlive pipegen: Kafka, and Flink for the SQL.
fn preflight(config: &Config) -> Result<(String, String), RunError> {
    let mut problems = Vec::new();
    if config.bootstrap_servers.is_none() {
        problems.push(
            Diagnostic::error("deploy puts the pipeline on a Kafka cluster, and none is set").with_hint(
                "set bootstrap_servers (or --bootstrap-servers); the embedded stack lives only as long as `pipegen run`",
            ),
        );
    }
    if config.flink_url.is_none() {
        problems.push(
            Diagnostic::error("deploy runs the SQL on Flink, and no Flink cluster is set").with_hint(
                "set flink_url (or --flink-url http://HOST:8081); the embedded engine runs only inside `pipegen run`",
            ),
        );
    }
    problems.extend(crate::flink_jobs::flink_setting_problems(config));
    match (&config.bootstrap_servers, &config.flink_url) {
        (Some(servers), Some(flink)) if problems.is_empty() => Ok((servers.clone(), flink.clone())),
        _ => Err(RunError::Input(problems)),
    }
}

/// What `pipegen deploy` would do, found out by reading only (`deploy --dry-run`).
#[derive(Debug, Clone)]
pub struct DeployPlan {
    pub flink_url: String,
    pub gateway_url: String,
    /// The session properties the `flink` section gives.
    pub session_properties: BTreeMap<String, String>,
    pub topics_to_create: Vec<String>,
    pub topics_existing: Vec<String>,
    /// The source topics whose value schema would be registered.
    pub schemas_to_register: Vec<String>,
    /// Each statement that would start a job: `file:line` and its first line.
    pub jobs: Vec<(String, String)>,
    /// The deployment the project has already, which a deploy would refuse to replace.
    pub existing: Option<DeploymentRecord>,
}

/// Checks what a deployment needs and reads what is there, creating and starting nothing.
pub fn plan(project: &Project, config: &Config) -> Result<DeployPlan, RunError> {
    let (servers, flink_url) = preflight(config)?;
    let existing = read_record(&project.root)?;
    let (values, _) = placeholders(project, config, &servers, chrono::Utc::now());
    let files = load_sql(project, &values).map_err(registry_hint)?;
    let pipeline = Pipeline::analyse(project, &files).map_err(RunError::Input)?;
    let present = KafkaAdmin::new(
        &producer_properties(&servers, &config.kafka.producer, &config.kafka.security),
        config.kafka.timeout.as_std(),
    )
    .and_then(|admin| admin.topics())
    .map_err(|e| RunError::Unavailable(e.to_string()))?;
    let (topics_existing, topics_to_create) = pipeline.topics.iter().cloned().partition(|t| present.contains(t));
    FlinkRest::new(&flink_url, config.kafka.timeout.as_std())
        .overview()
        .map_err(|e| RunError::Unavailable(format!("{e} (flink_url)")))?;
    let jobs = files
        .iter()
        .flat_map(|file| {
            file.statements
                .iter()
                .filter(|st| matches!(st.kind, Statement::Insert(_) | Statement::StatementSet(_)))
                .map(move |st| {
                    (
                        format!("{}:{}", file.shown.display(), st.position.line),
                        st.text.lines().next().unwrap_or_default().trim().to_owned(),
                    )
                })
        })
        .collect();
    Ok(DeployPlan {
        gateway_url: config
            .sql_gateway_url
            .clone()
            .unwrap_or_else(|| pipegen_flink::default_gateway_url(&flink_url)),
        flink_url,
        session_properties: pipegen_flink::session_properties(&config.flink),
        topics_to_create,
        topics_existing,
        schemas_to_register: match config.schema_registry_url {
            Some(_) => pipeline
                .fed
                .iter()
                .filter(|f| f.table.format() == Some("avro-confluent"))
                .map(|f| f.topic.clone())
                .collect(),
            None => Vec::new(),
        },
        jobs,
        existing,
    })
}

/// The placeholders a deployment fills, and the run id it stands under.
fn placeholders<'a>(
    project: &Project,
    config: &Config,
    servers: &str,
    at: chrono::DateTime<chrono::Utc>,
) -> (BTreeMap<&'a str, String>, String) {
    let id = format!("deploy-{}", at.format("%Y%m%d-%H%M%S"));
    let mut values = BTreeMap::from([
        ("BOOTSTRAP_SERVERS", servers.to_owned()),
        ("PROJECT_DIR", project.root.display().to_string()),
        ("RUN_ID", id.clone()),
    ]);
    // The embedded registry dies with the process: a deployment's SQL can only name a real one.
    if let Some(url) = &config.schema_registry_url {
        values.insert("SCHEMA_REGISTRY_URL", url.clone());
    }
    (values, id)
}

/// SQL naming `${SCHEMA_REGISTRY_URL}` without a registry configured, said for a deployment.
fn registry_hint(mut problems: Vec<Diagnostic>) -> RunError {
    for problem in &mut problems {
        if problem.message.contains("${SCHEMA_REGISTRY_URL}") {
            problem.hint =
                Some("a deployment needs a schema registry that outlives pipegen: set schema_registry_url".into());
        }
    }
    RunError::Input(problems)
}

/// Deploys the project: topics, source schemas, SQL; waits until every job runs; records it.
pub fn deploy(project: &Project, config: &Config) -> Result<DeployOutcome, RunError> {
    let (servers, flink_url) = preflight(config)?;
    if let Some(record) = read_record(&project.root)? {
        return Err(RunError::Input(vec![
            Diagnostic::error(format!(
                "this project is already deployed: {} job(s) on {} since {}",
                record.jobs.len(),
                record.flink_url,
                record.deployed_at
            ))
            .with_hint(format!(
                "`pipegen clean` removes that deployment first ({})",
                RECORD_PATH
            )),
        ]));
    }
    let deployed_at = chrono::Utc::now();
    let registry_url = config.schema_registry_url.clone();
    let (values, id) = placeholders(project, config, &servers, deployed_at);
    let files = load_sql(project, &values).map_err(registry_hint)?;
    let pipeline = Pipeline::analyse(project, &files).map_err(RunError::Input)?;

    let admin = KafkaAdmin::new(
        &producer_properties(&servers, &config.kafka.producer, &config.kafka.security),
        config.kafka.timeout.as_std(),
    )
    .map_err(|e| RunError::Unavailable(e.to_string()))?;
    let mut ledger = TopicLedger::default();
    let mut registry = None;
    let session = format!("pipegen-{id}");
    let what = What {
        project,
        config,
        pipeline: &pipeline,
        values: &values,
        session: &session,
    };
    let made = make(&what, &admin, &mut ledger, &mut registry);
    let (jobs, subjects_existing) = match made {
        Ok(made) => made,
        Err(e) => {
            // Nothing half-made stays: the jobs were cancelled already; topics and subjects go.
            if let Some(registry) = &registry
                && let Err(e) = registry.cleanup()
            {
                tracing::warn!("could not delete the deployment's subjects: {e}");
            }
            if let Err(e) = ledger.cleanup(&admin) {
                tracing::warn!("could not delete the deployment's topics: {e}");
            }
            return Err(e);
        }
    };
    let created = ledger.created().to_vec();
    let record = DeploymentRecord {
        deployed_at: deployed_at.to_rfc3339(),
        flink_url,
        bootstrap_servers: servers,
        schema_registry_url: registry_url,
        jobs: jobs
            .into_iter()
            .map(|j| DeployedJob {
                job_id: j.job_id,
                // Relative to the project, wherever pipegen is run from later.
                file: std::path::Path::new(&j.file)
                    .strip_prefix(&project.root)
                    .map_or_else(|_| j.file.clone(), |p| p.display().to_string()),
                line: j.line,
                statement: j.statement,
            })
            .collect(),
        topics_existing: pipeline
            .topics
            .iter()
            .filter(|t| !created.contains(t))
            .cloned()
            .collect(),
        topics_created: created,
        subjects_existing,
        subjects_registered: registry.as_ref().map(RegistryBackend::created).unwrap_or_default(),
    };
    let record_path = write_record(&project.root, &record)?;
    Ok(DeployOutcome { record, record_path })
}

/// What a deployment puts on the clusters.
struct What<'a> {
    project: &'a Project,
    config: &'a Config,
    pipeline: &'a Pipeline<'a>,
    /// The placeholders' values.
    values: &'a BTreeMap<&'a str, String>,
    /// The SQL Gateway session's name.
    session: &'a str,
}

/// Creates the topics the SQL names (as it names them), registers the source schemas the SQL
/// reads from a registry, starts the SQL on Flink and waits until every job runs. What it made
/// is in `ledger` and `registry` for the caller to undo on failure; a job failing cancels all.
fn make(
    what: &What<'_>,
    admin: &KafkaAdmin,
    ledger: &mut TopicLedger,
    registry: &mut Option<RegistryBackend>,
) -> Result<(Vec<StartedJob>, Vec<String>), RunError> {
    let What {
        project,
        config,
        pipeline,
        values,
        session,
    } = *what;
    let plans: Vec<TopicPlan> = pipeline
        .topics
        .iter()
        .map(|topic| {
            let need = TopicNeed::from_config(&config.kafka.topics, topic, topic.clone());
            TopicPlan {
                name: need.name,
                partitions: need.partitions,
                replication_factor: need.replication_factor,
                config: need.config.into_iter().collect(),
            }
        })
        .collect();
    ledger
        .ensure(admin, &plans)
        .map_err(|e| RunError::Unavailable(e.to_string()))?;

    let mut subjects_existing = Vec::new();
    if config.schema_registry_url.is_some() {
        let registry = registry.insert(RegistryBackend::open(config)?);
        let ours: Vec<String> = pipeline
            .topics
            .iter()
            .flat_map(|t| [format!("{t}-key"), format!("{t}-value")])
            .collect();
        subjects_existing = registry.existing().filter(|s| ours.contains(s)).cloned().collect();
        registry.add_topics(pipeline.topics.iter().cloned());
        for fed in pipeline
            .fed
            .iter()
            .filter(|f| f.table.format() == Some("avro-confluent"))
        {
            registry.register_value(&fed.topic, fed.schema.schema.text())?;
        }
    }

    let deployment = start_on_flink(config, project, values, &BTreeMap::new(), session)?;
    let rest = FlinkRest::new(
        config.flink_url.as_deref().unwrap_or_default(),
        config.kafka.timeout.as_std(),
    );
    // On failure the deployment is dropped here, which cancels its jobs.
    wait_until_running(&rest, deployment.jobs())?;
    Ok((deployment.detach(), subjects_existing))
}

/// Waits until every job runs; a job that fails (or ends) first is the deployment's failure.
fn wait_until_running(rest: &FlinkRest, jobs: &[StartedJob]) -> Result<(), RunError> {
    let deadline = Instant::now() + START_WAIT;
    loop {
        let samples: Vec<(&StartedJob, Option<JobSample>)> = jobs
            .iter()
            .map(|job| (job, sample_job(rest, &job.job_id).ok()))
            .collect();
        for (job, sample) in &samples {
            if let Some(sample) = sample {
                if let Some(failure) = job_failure(job, sample) {
                    return Err(RunError::Unavailable(failure));
                }
                if sample.state.is_terminal() {
                    return Err(RunError::Unavailable(format!(
                        "Flink job {} ({}:{}) ended as it started: {}",
                        job.job_id, job.file, job.line, sample.state
                    )));
                }
            }
        }
        if samples
            .iter()
            .all(|(_, s)| s.as_ref().is_some_and(|s| s.state == JobState::Running))
        {
            return Ok(());
        }
        if Instant::now() > deadline {
            return Err(RunError::Unavailable(format!(
                "the deployment's jobs were not all running after {}s",
                START_WAIT.as_secs()
            )));
        }
        std::thread::sleep(Duration::from_millis(500));
    }
}

/// What `clean` did, item by item.
#[derive(Debug, Default)]
pub struct CleanOutcome {
    /// Each job with what became of it (`CANCELED`, or how it had ended already).
    pub jobs: Vec<(String, String)>,
    pub topics_deleted: Vec<String>,
    pub subjects_deleted: Vec<String>,
    /// What could not be removed; the record keeps it for the next `clean`.
    pub problems: Vec<String>,
}

/// Removes the deployment recorded in the project at `root` (see the module notes); `None`
/// when there is none. The project's SQL is not read: a project broken since it was deployed
/// can still be cleaned.
pub fn clean(root: &Path, config: &Config) -> Result<Option<CleanOutcome>, RunError> {
    let Some(mut record) = read_record(root)? else {
        return Ok(None);
    };
    let timeout = config.kafka.timeout.as_std();
    let mut outcome = CleanOutcome::default();

    let rest = FlinkRest::new(&record.flink_url, timeout);
    let mut remaining_jobs = Vec::new();
    for job in std::mem::take(&mut record.jobs) {
        match end_job(&rest, &job.job_id) {
            Ok(state) => outcome.jobs.push((job.job_id.clone(), state)),
            Err(e) => {
                outcome.problems.push(format!("Flink job {}: {e}", job.job_id));
                remaining_jobs.push(job);
            }
        }
    }
    record.jobs = remaining_jobs;

    // Topics and subjects only once the jobs are gone: a running job would fail on them, or
    // register its subjects again.
    if record.jobs.is_empty() {
        let subjects = match record.schema_registry_url.clone() {
            Some(url) => delete_subjects(&record, config, &url),
            None => Ok(Vec::new()),
        };
        match subjects {
            Ok(deleted) => {
                outcome.subjects_deleted = deleted;
                record.subjects_registered.clear();
                record.schema_registry_url = None;
            }
            Err(e) => outcome.problems.push(e),
        }
        match delete_topics(&record, config) {
            Ok(deleted) => {
                outcome.topics_deleted = deleted;
                record.topics_created.clear();
            }
            Err(e) => outcome.problems.push(e),
        }
    }
    if outcome.problems.is_empty() {
        std::fs::remove_file(root.join(RECORD_PATH))
            .map_err(|e| RunError::Io(format!("cannot remove {RECORD_PATH}: {e}")))?;
    } else {
        write_record(root, &record)?;
    }
    Ok(Some(outcome))
}

/// Cancels a job that still runs; one that ended already (or that the cluster no longer
/// knows) is reported as it is.
fn end_job(rest: &FlinkRest, job: &str) -> Result<String, String> {
    let state = match rest.job(job) {
        Ok(detail) => detail.summary.state,
        Err(RestError::Refused { status: 404, .. }) => return Ok("not on the cluster any more".into()),
        Err(e) => return Err(e.to_string()),
    };
    if state.is_terminal() {
        return Ok(format!("had ended: {state}"));
    }
    let cancelled = pipegen_flink::cancel_jobs(rest, &[job.to_owned()], Duration::from_secs(60));
    match cancelled.into_iter().next().map(|c| c.outcome) {
        Some(Ok(state)) => Ok(state.to_string()),
        Some(Err(e)) => Err(e.to_string()),
        None => Err("not cancelled".into()),
    }
}

fn delete_topics(record: &DeploymentRecord, config: &Config) -> Result<Vec<String>, String> {
    let admin = KafkaAdmin::new(
        &producer_properties(
            &record.bootstrap_servers,
            &config.kafka.producer,
            &config.kafka.security,
        ),
        config.kafka.timeout.as_std(),
    )
    .map_err(|e| e.to_string())?;
    let existing = admin.topics().map_err(|e| e.to_string())?;
    let ours: Vec<&str> = record
        .topics_created
        .iter()
        .filter(|t| existing.contains(t))
        .map(String::as_str)
        .collect();
    admin.delete_topics(&ours).map_err(|e| e.to_string())?;
    Ok(ours.into_iter().map(str::to_owned).collect())
}

fn delete_subjects(record: &DeploymentRecord, config: &Config, url: &str) -> Result<Vec<String>, String> {
    let mut client = pipegen_registry::RegistryClient::new(url, config.kafka.timeout.as_std());
    if let (Some(user), Some(password)) = (&config.schema_registry.username, &config.schema_registry.password) {
        client = client.with_basic_auth(user, password.expose());
    }
    let topics = record.topics_created.iter().chain(&record.topics_existing);
    let ours: Vec<String> = topics
        .flat_map(|t| [format!("{t}-key"), format!("{t}-value")])
        .chain(record.subjects_registered.iter().cloned())
        .filter(|s| !record.subjects_existing.contains(s))
        .collect();
    let present = client.subjects().map_err(|e| format!("schema registry: {e}"))?;
    let mut deleted = Vec::new();
    for subject in present.into_iter().filter(|s| ours.contains(s)) {
        client
            .delete_subject(&subject)
            .map_err(|e| format!("deleting subject `{subject}`: {e}"))?;
        deleted.push(subject);
    }
    Ok(deleted)
}
