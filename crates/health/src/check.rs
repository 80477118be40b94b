//! `pipegen check`: the health of each configured part, with what it says about itself —
//! Kafka's brokers and topics, the registry's subjects, Flink's task managers, slots and
//! running jobs (and, verbose, each job's vertices: parallelism, busy and backpressured time,
//! the last checkpoint), the SQL Gateway's version, and whether the project's recorded
//! deployment still runs. A part is unhealthy when it does not answer or cannot run anything.

use std::path::Path;
use std::time::{Duration, Instant};

use pipegen_config::{Config, Engine, Secret};
use pipegen_flink::{FlinkRest, JobSample, SqlGateway, default_gateway_url, sample_job};
use pipegen_kafka::{ClientProperties, KafkaAdmin, consumer_properties};
use pipegen_project::{DeploymentRecord, RECORD_PATH, read_deployment};
use pipegen_registry::RegistryClient;
use serde_json::{Value, json};

/// What to check; absent parts are not configured.
#[derive(Debug, Clone, Default)]
pub struct Targets {
    /// Kafka client properties (bootstrap servers and security).
    pub kafka: Option<ClientProperties>,
    pub registry: Option<String>,
    /// Basic-auth credentials for the registry (the password redacted in Debug output).
    pub registry_auth: Option<(String, Secret)>,
    pub flink: Option<String>,
    pub sql_gateway: Option<String>,
    /// The project's recorded deployment (`pipegen deploy`), or why it cannot be read.
    pub deployment: Option<Result<DeploymentRecord, String>>,
}

impl Targets {
    /// The parts a configuration names. The SQL Gateway is checked when it is configured, or
    /// when the engine is Flink (then at its default address next to `flink_url`).
    pub fn from_config(config: &Config) -> Self {
        let kafka = config.bootstrap_servers.as_deref().map(|servers| {
            consumer_properties(servers, &config.kafka.consumer, &config.kafka.security, "pipegen-check")
        });
        let sql_gateway = config.sql_gateway_url.clone().or_else(|| {
            (config.engine == Engine::Flink)
                .then(|| config.flink_url.as_deref().map(default_gateway_url))
                .flatten()
        });
        Self {
            kafka,
            registry: config.schema_registry_url.clone(),
            registry_auth: config
                .schema_registry
                .username
                .clone()
                .zip(config.schema_registry.password.clone()),
            flink: config.flink_url.clone(),
            sql_gateway,
            deployment: None,
        }
    }

    /// Also checks the deployment recorded in the project at `root`, if there is one.
    pub fn with_deployment_of(mut self, root: &Path) -> Self {
        self.deployment = read_deployment(root).map_err(|d| d.message).transpose();
        self
    }
}

/// One part's health.
#[derive(Debug, Clone, PartialEq)]
pub struct PartHealth {
    pub part: &'static str,
    pub target: String,
    pub healthy: bool,
    /// One line: what it said about itself, or why it is unhealthy.
    pub summary: String,
    /// The figures behind the summary, as the JSON output shows them.
    pub details: Value,
    /// Further lines for the text output (jobs; with `verbose`, their vertices).
    pub lines: Vec<String>,
    pub elapsed: Duration,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Report {
    pub parts: Vec<PartHealth>,
}

impl Report {
    pub fn healthy(&self) -> bool {
        self.parts.iter().all(|p| p.healthy)
    }

    pub fn to_json(&self) -> Value {
        json!({
            "healthy": self.healthy(),
            "parts": self.parts.iter().map(|p| {
                let mut part = json!({
                    "part": p.part,
                    "target": p.target,
                    "healthy": p.healthy,
                    "summary": p.summary,
                    "elapsed_ms": p.elapsed.as_millis() as u64,
                });
                if let (Some(out), Some(details)) = (part.as_object_mut(), p.details.as_object()) {
                    out.extend(details.clone());
                }
                part
            }).collect::<Vec<_>>(),
        })
    }

    pub fn to_text(&self) -> String {
        let mut out = String::new();
        for p in &self.parts {
            let mark = if p.healthy { "ok  " } else { "FAIL" };
            out.push_str(&format!("{mark} {:<16} {}  {}\n", p.part, p.target, p.summary));
            for line in &p.lines {
                out.push_str(&format!("       {line}\n"));
            }
        }
        if self.parts.is_empty() {
            out.push_str("nothing external is configured: runs use the embedded stack\n");
        }
        out
    }
}

/// Checks every configured part, one after another, each within `timeout`.
pub fn check(targets: &Targets, timeout: Duration, verbose: bool) -> Report {
    let mut parts = Vec::new();
    if let Some(kafka) = &targets.kafka {
        parts.push(kafka_health(kafka, timeout));
    }
    if let Some(url) = &targets.registry {
        parts.push(registry_health(url, targets.registry_auth.as_ref(), timeout));
    }
    if let Some(url) = &targets.flink {
        parts.push(flink_health(url, timeout, verbose));
    }
    if let Some(url) = &targets.sql_gateway {
        parts.push(gateway_health(url, timeout));
    }
    match &targets.deployment {
        Some(Ok(record)) => parts.push(deployment_health(record, timeout)),
        Some(Err(e)) => parts.push(unhealthy(
            "deployment",
            RECORD_PATH.to_owned(),
            e.clone(),
            Instant::now(),
        )),
        None => {}
    }
    Report { parts }
}

/// The language model `init --describe` uses: whether its server answers and has the model
/// (Ollama's `/api/tags`, an OpenAI-compatible API's `/models`).
pub fn model_health(model: &dyn pipegen_ai::ChatModel) -> PartHealth {
    let started = Instant::now();
    let target = pipegen_config::redact_url_credentials(&model.endpoint());
    match model.probe() {
        Ok(summary) => PartHealth {
            part: "AI model",
            target,
            healthy: true,
            details: json!({"model": model.model()}),
            summary,
            lines: Vec::new(),
            elapsed: started.elapsed(),
        },
        Err(e) => unhealthy(
            "AI model",
            target,
            pipegen_config::redact_url_credentials(&e.to_string()),
            started,
        ),
    }
}

/// Whether the recorded deployment's jobs still run (Flink may have failed, or someone
/// cancelled, one since `pipegen deploy`).
fn deployment_health(record: &DeploymentRecord, timeout: Duration) -> PartHealth {
    let started = Instant::now();
    let rest = FlinkRest::new(&record.flink_url, timeout);
    let mut jobs = Vec::new();
    let mut lines = Vec::new();
    let mut running = 0;
    for job in &record.jobs {
        let state = match rest.job(&job.job_id) {
            Ok(detail) => detail.summary.state,
            Err(pipegen_flink::RestError::Refused { status: 404, .. }) => {
                pipegen_flink::JobState::Other("not on the cluster".to_owned())
            }
            Err(e) => return unhealthy("deployment", record.flink_url.clone(), e.to_string(), started),
        };
        running += usize::from(state == pipegen_flink::JobState::Running);
        lines.push(format!("job {} ({}:{}): {state}", job.job_id, job.file, job.line));
        jobs.push(json!({"id": job.job_id, "file": job.file, "line": job.line, "state": state.as_str()}));
    }
    PartHealth {
        part: "deployment",
        target: record.flink_url.clone(),
        healthy: running == record.jobs.len(),
        summary: format!(
            "{running} of {} running, deployed {}",
            plural(record.jobs.len(), "job"),
            record.deployed_at
        ),
        details: json!({"deployed_at": record.deployed_at, "jobs": jobs}),
        lines,
        elapsed: started.elapsed(),
    }
}

fn kafka_health(properties: &ClientProperties, timeout: Duration) -> PartHealth {
    let started = Instant::now();
    let target = properties.get("bootstrap.servers").unwrap_or_default().to_owned();
    let outcome = KafkaAdmin::new(properties, timeout).and_then(|admin| Ok((admin.brokers()?, admin.topics()?)));
    match outcome {
        Ok((brokers, topics)) => PartHealth {
            part: "Kafka",
            healthy: !brokers.is_empty(),
            summary: format!(
                "{} ({}), {}",
                plural(brokers.len(), "broker"),
                brokers.join(", "),
                plural(topics.len(), "topic")
            ),
            details: json!({"brokers": brokers, "topics": topics.len()}),
            target,
            lines: Vec::new(),
            elapsed: started.elapsed(),
        },
        Err(e) => unhealthy("Kafka", target, e.to_string(), started),
    }
}

fn registry_health(url: &str, auth: Option<&(String, Secret)>, timeout: Duration) -> PartHealth {
    let started = Instant::now();
    let mut client = RegistryClient::new(url, timeout);
    if let Some((user, password)) = auth {
        client = client.with_basic_auth(user, password.expose());
    }
    match client.subjects() {
        Ok(subjects) => PartHealth {
            part: "Schema registry",
            target: url.to_owned(),
            healthy: true,
            summary: plural(subjects.len(), "subject"),
            details: json!({"subjects": subjects.len()}),
            lines: Vec::new(),
            elapsed: started.elapsed(),
        },
        Err(e) => unhealthy("Schema registry", url.to_owned(), e.to_string(), started),
    }
}

fn flink_health(url: &str, timeout: Duration, verbose: bool) -> PartHealth {
    let started = Instant::now();
    let rest = FlinkRest::new(url, timeout);
    let overview = match rest.overview() {
        Ok(overview) => overview,
        Err(e) => return unhealthy("Flink", url.to_owned(), e.to_string(), started),
    };
    let mut jobs = Vec::new();
    let mut lines = Vec::new();
    let mut troubled = Vec::new();
    let listed = rest.jobs().unwrap_or_default();
    for job in listed.iter().filter(|j| !j.state.is_terminal()) {
        let Ok(mut sample) = sample_job(&rest, &job.id) else {
            continue;
        };
        if verbose {
            sample.read_checkpoint_shares(&rest);
        }
        if matches!(
            sample.state,
            pipegen_flink::JobState::Restarting | pipegen_flink::JobState::Failing
        ) {
            troubled.push(format!("job {} is {}", sample.id, sample.state));
        }
        lines.push(job_line(&sample));
        if verbose {
            lines.extend(vertex_lines(&sample));
        }
        jobs.push(job_json(&sample, verbose));
    }
    let mut summary = format!(
        "Flink {}: {}, {} slots ({} free), {}",
        overview.version,
        plural(overview.taskmanagers as usize, "task manager"),
        overview.slots_total,
        overview.slots_available,
        plural(overview.jobs_running as usize, "running job")
    );
    let healthy = overview.taskmanagers > 0 && troubled.is_empty();
    if overview.taskmanagers == 0 {
        summary.push_str("; no task manager is registered, so no job can run (start one)");
    }
    for trouble in &troubled {
        summary.push_str(&format!("; {trouble}"));
    }
    PartHealth {
        part: "Flink",
        target: url.to_owned(),
        healthy,
        summary,
        details: json!({
            "version": overview.version,
            "taskmanagers": overview.taskmanagers,
            "slots_total": overview.slots_total,
            "slots_available": overview.slots_available,
            "jobs_running": overview.jobs_running,
            "jobs": jobs,
        }),
        lines,
        elapsed: started.elapsed(),
    }
}

fn gateway_health(url: &str, timeout: Duration) -> PartHealth {
    let started = Instant::now();
    match SqlGateway::connect(url, timeout).and_then(|g| Ok((g.api_version().to_owned(), g.info()?))) {
        Ok((api, (product, version))) => PartHealth {
            part: "SQL Gateway",
            target: url.to_owned(),
            healthy: true,
            summary: format!("{product} {version}, REST API {api}"),
            details: json!({"product": product, "version": version, "api_version": api}),
            lines: Vec::new(),
            elapsed: started.elapsed(),
        },
        Err(e) => unhealthy("SQL Gateway", url.to_owned(), e.to_string(), started),
    }
}

fn unhealthy(part: &'static str, target: String, error: String, started: Instant) -> PartHealth {
    PartHealth {
        part,
        target,
        healthy: false,
        summary: error.clone(),
        details: json!({"error": error}),
        lines: Vec::new(),
        elapsed: started.elapsed(),
    }
}

fn parallelism(sample: &JobSample) -> u64 {
    sample.vertices.iter().map(|v| v.parallelism).max().unwrap_or(0)
}

fn job_line(sample: &JobSample) -> String {
    let uptime = sample
        .uptime_ms
        .map_or("n/a".to_owned(), |ms| format!("{}s", ms / 1000));
    format!(
        "job {} {} {}, parallelism {}, up {uptime}, restarts {}",
        sample.id,
        sample.name,
        sample.state,
        parallelism(sample),
        optional(sample.restarts)
    )
}

fn vertex_lines(sample: &JobSample) -> Vec<String> {
    let ms = |v: Option<f64>| v.map_or("n/a".to_owned(), |v| format!("{v:.0} ms/s"));
    let mut lines: Vec<String> = sample
        .vertices
        .iter()
        .map(|v| {
            format!(
                "  vertex {} parallelism {}: in {}, out {}, busy {}, backpressured {}, idle {}, late dropped {}, state {} bytes",
                v.name,
                v.parallelism,
                optional(v.records_in),
                optional(v.records_out),
                ms(v.busy_ms_per_second),
                ms(v.backpressured_ms_per_second),
                ms(v.idle_ms_per_second),
                optional(v.late_records_dropped),
                optional(v.state_bytes)
            )
        })
        .collect();
    lines.push(match &sample.last_checkpoint {
        Some(c) => format!(
            "  last checkpoint #{}: {} ms, {} bytes ({} completed, {} failed)",
            c.id, c.duration_ms, c.checkpointed_size, sample.checkpoints_completed, sample.checkpoints_failed
        ),
        None => "  last checkpoint: n/a (none completed)".to_owned(),
    });
    lines
}

fn job_json(sample: &JobSample, verbose: bool) -> Value {
    let mut job = json!({
        "id": sample.id,
        "name": sample.name,
        "state": sample.state,
        "parallelism": parallelism(sample),
        "uptime_ms": sample.uptime_ms,
        "restarts": sample.restarts,
    });
    if verbose && let Some(out) = job.as_object_mut() {
        out.insert(
            "vertices".into(),
            sample
                .vertices
                .iter()
                .map(|v| {
                    json!({
                        "id": v.id,
                        "name": v.name,
                        "parallelism": v.parallelism,
                        "records_in": v.records_in,
                        "records_out": v.records_out,
                        "busy_ms_per_second": v.busy_ms_per_second,
                        "backpressured_ms_per_second": v.backpressured_ms_per_second,
                        "idle_ms_per_second": v.idle_ms_per_second,
                        "watermark_ms": v.watermark_ms,
                        "late_records_dropped": v.late_records_dropped,
                        "state_bytes": v.state_bytes,
                    })
                })
                .collect(),
        );
        out.insert(
            "last_checkpoint".into(),
            sample.last_checkpoint.as_ref().map_or(Value::Null, |c| {
                json!({"id": c.id, "duration_ms": c.duration_ms, "state_size": c.state_size, "checkpointed_size": c.checkpointed_size})
            }),
        );
        out.insert("checkpoints_completed".into(), sample.checkpoints_completed.into());
        out.insert("checkpoints_failed".into(), sample.checkpoints_failed.into());
    }
    job
}

fn optional(n: Option<u64>) -> String {
    n.map_or("n/a".to_owned(), |n| n.to_string())
}

fn plural(n: usize, what: &str) -> String {
    format!("{n} {what}{}", if n == 1 { "" } else { "s" })
}
