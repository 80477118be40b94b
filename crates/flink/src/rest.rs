//! A client for Flink's REST API (the JobManager's, port 8081 by default): the cluster's
//! overview, jobs and their vertices, metrics, checkpoints and exceptions, cancelling one job,
//! and submitting a jar (`/jars/upload`, `/jars/{id}/run`).

use std::collections::BTreeMap;
use std::path::Path;
use std::time::Duration;

use serde_json::{Value, json};

use crate::job_state::JobState;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RestError {
    #[error("Flink at {url} is not reachable: {reason}")]
    Unreachable { url: String, reason: String },
    /// Flink answered with an error status; `message` is its root cause.
    #[error("Flink answered {status} to {request}: {message}")]
    Refused {
        request: String,
        status: u16,
        message: String,
    },
    #[error("Flink at {url} answered {request} with something that is not its REST API: {reason}")]
    Protocol {
        url: String,
        request: String,
        reason: String,
    },
    #[error("cannot read {path}: {reason}")]
    Jar { path: String, reason: String },
}

/// `GET /overview`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Overview {
    pub version: String,
    pub taskmanagers: u64,
    pub slots_total: u64,
    pub slots_available: u64,
    pub jobs_running: u64,
    pub jobs_finished: u64,
    pub jobs_cancelled: u64,
    pub jobs_failed: u64,
}

/// One entry of `GET /jobs/overview`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JobSummary {
    pub id: String,
    pub name: String,
    pub state: JobState,
    /// Milliseconds since the epoch.
    pub start_time: i64,
    pub duration_ms: u64,
}

/// `GET /jobs/{id}`: the job and its vertices (chained operators run as one vertex).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JobDetail {
    pub summary: JobSummary,
    pub vertices: Vec<Vertex>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Vertex {
    pub id: String,
    pub name: String,
    pub parallelism: u64,
    pub status: String,
    /// The vertices feeding this one (from the job's plan); none for a source.
    pub inputs: Vec<String>,
}

/// An aggregated subtask metric of a vertex (`/subtasks/metrics?get=`).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Aggregate {
    pub min: f64,
    pub max: f64,
    pub avg: f64,
    pub sum: f64,
}

/// The latest completed checkpoint and the counts (`GET /jobs/{id}/checkpoints`).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Checkpoints {
    pub completed: u64,
    pub failed: u64,
    pub in_progress: u64,
    pub last: Option<CompletedCheckpoint>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CompletedCheckpoint {
    pub id: u64,
    pub duration_ms: u64,
    /// The full state size.
    pub state_size: u64,
    /// What this checkpoint wrote (less than the state with incremental checkpoints).
    pub checkpointed_size: u64,
}

pub struct FlinkRest {
    base: String,
    agent: ureq::Agent,
    /// For jar uploads and runs: running a jar's main class plans and submits its job before
    /// Flink answers, which takes far longer than a read on a busy cluster.
    submit_agent: ureq::Agent,
}

/// The least time a jar upload or run is given.
const SUBMIT_TIMEOUT: Duration = Duration::from_secs(180);

fn agent(timeout: Duration) -> ureq::Agent {
    ureq::Agent::config_builder()
        .timeout_global(Some(timeout))
        .http_status_as_error(false)
        .build()
        .new_agent()
}

impl FlinkRest {
    pub fn new(url: &str, timeout: Duration) -> Self {
        let submit_agent = agent(timeout.max(SUBMIT_TIMEOUT));
        let agent = agent(timeout);
        let base = url.trim_end_matches('/');
        let base = if base.contains("://") {
            base.to_owned()
        } else {
            format!("http://{base}")
        };
        Self {
            base,
            agent,
            submit_agent,
        }
    }

    pub fn url(&self) -> &str {
        &self.base
    }

    fn request(&self, method: &str, path: &str, body: Option<Value>) -> Result<Value, RestError> {
        self.request_with(&self.agent, method, path, body)
    }

    fn request_with(
        &self,
        agent: &ureq::Agent,
        method: &str,
        path: &str,
        body: Option<Value>,
    ) -> Result<Value, RestError> {
        let builder = ureq::http::Request::builder()
            .method(method)
            .uri(format!("{}{path}", self.base))
            .header("Content-Type", "application/json");
        let request = match body {
            Some(body) => builder.body(body.to_string()).map(|r| agent.run(r)),
            None => builder.body(()).map(|r| agent.run(r)),
        }
        .map_err(|e| self.protocol(method, path, &e.to_string()))?;
        self.answer(method, path, request)
    }

    fn answer(
        &self,
        method: &str,
        path: &str,
        response: Result<ureq::http::Response<ureq::Body>, ureq::Error>,
    ) -> Result<Value, RestError> {
        let unreachable = |e: ureq::Error| RestError::Unreachable {
            url: self.base.clone(),
            reason: e.to_string(),
        };
        let mut response = response.map_err(unreachable)?;
        let status = response.status().as_u16();
        let text = response.body_mut().read_to_string().map_err(unreachable)?;
        let value = if text.trim().is_empty() {
            Value::Null
        } else {
            serde_json::from_str(&text).unwrap_or(Value::String(text))
        };
        if (200..300).contains(&status) {
            Ok(value)
        } else {
            Err(RestError::Refused {
                request: format!("{method} {path}"),
                status,
                message: crate::gateway::flink_error(&value),
            })
        }
    }

    fn get(&self, path: &str) -> Result<Value, RestError> {
        self.request("GET", path, None)
    }

    fn protocol(&self, method: &str, path: &str, reason: &str) -> RestError {
        RestError::Protocol {
            url: self.base.clone(),
            request: format!("{method} {path}"),
            reason: reason.to_owned(),
        }
    }

    pub fn overview(&self) -> Result<Overview, RestError> {
        let body = self.get("/overview")?;
        let n = |key: &str| {
            body.get(key)
                .and_then(Value::as_u64)
                .ok_or_else(|| self.protocol("GET", "/overview", &format!("no `{key}`")))
        };
        Ok(Overview {
            version: body
                .get("flink-version")
                .and_then(Value::as_str)
                .unwrap_or("unknown")
                .to_owned(),
            taskmanagers: n("taskmanagers")?,
            slots_total: n("slots-total")?,
            slots_available: n("slots-available")?,
            jobs_running: n("jobs-running")?,
            jobs_finished: n("jobs-finished").unwrap_or(0),
            jobs_cancelled: n("jobs-cancelled").unwrap_or(0),
            jobs_failed: n("jobs-failed").unwrap_or(0),
        })
    }

    /// One key of the JobManager's effective configuration (`GET /jobmanager/config`); `None`
    /// when it is not set there. Only the key asked for is kept: the rest may hold secrets.
    pub fn config_value(&self, key: &str) -> Result<Option<String>, RestError> {
        let body = self.get("/jobmanager/config")?;
        Ok(body
            .as_array()
            .into_iter()
            .flatten()
            .find(|entry| entry.get("key").and_then(Value::as_str) == Some(key))
            .and_then(|entry| entry.get("value").and_then(Value::as_str))
            .map(str::to_owned))
    }

    /// Every job the cluster knows (running and recently ended).
    pub fn jobs(&self) -> Result<Vec<JobSummary>, RestError> {
        let body = self.get("/jobs/overview")?;
        let jobs = body
            .get("jobs")
            .and_then(Value::as_array)
            .ok_or_else(|| self.protocol("GET", "/jobs/overview", "no `jobs` list"))?;
        Ok(jobs.iter().map(|job| summary(job, "jid")).collect())
    }

    pub fn job(&self, id: &str) -> Result<JobDetail, RestError> {
        let path = format!("/jobs/{id}");
        let body = self.get(&path)?;
        if body.get("jid").is_none() {
            return Err(self.protocol("GET", &path, "no `jid`"));
        }
        let mut inputs: BTreeMap<String, Vec<String>> = BTreeMap::new();
        for node in body
            .get("plan")
            .and_then(|p| p.get("nodes"))
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            let feeding = node.get("inputs").and_then(Value::as_array).into_iter().flatten();
            inputs.insert(text(node, "id"), feeding.map(|i| text(i, "id")).collect());
        }
        let vertices = body
            .get("vertices")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .map(|v| Vertex {
                id: text(v, "id"),
                name: text(v, "name"),
                parallelism: v.get("parallelism").and_then(Value::as_u64).unwrap_or(0),
                status: text(v, "status"),
                inputs: inputs.get(&text(v, "id")).cloned().unwrap_or_default(),
            })
            .collect();
        Ok(JobDetail {
            summary: summary(&body, "jid"),
            vertices,
        })
    }

    /// Aggregates over a vertex's subtasks of the metrics it has that `wanted` selects by id; a
    /// metric whose value is NaN (not measured) is absent from the map.
    pub fn vertex_metrics(
        &self,
        job: &str,
        vertex: &str,
        wanted: impl Fn(&str) -> bool,
    ) -> Result<BTreeMap<String, Aggregate>, RestError> {
        let base = format!("/jobs/{job}/vertices/{vertex}/subtasks/metrics");
        // Flink answers nothing at all when one of the names asked for is unknown, so ask
        // only for those the vertex has.
        let available = self.get(&base)?;
        let present: Vec<&str> = available
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|m| m.get("id").and_then(Value::as_str))
            .filter(|name| wanted(name))
            .collect();
        if present.is_empty() {
            return Ok(BTreeMap::new());
        }
        let body = self.get(&format!("{base}?get={}", present.join(",")))?;
        let mut out = BTreeMap::new();
        for metric in body.as_array().into_iter().flatten() {
            let number = |k: &str| metric.get(k).and_then(Value::as_f64);
            if let (Some(id), Some(min), Some(max), Some(avg), Some(sum)) = (
                metric.get("id").and_then(Value::as_str),
                number("min"),
                number("max"),
                number("avg"),
                number("sum"),
            ) {
                out.insert(id.to_owned(), Aggregate { min, max, avg, sum });
            }
        }
        Ok(out)
    }

    /// Job-level metrics (e.g. `numRestarts`, `uptime`), as numbers.
    pub fn job_metrics(&self, job: &str, names: &[&str]) -> Result<BTreeMap<String, f64>, RestError> {
        let path = format!("/jobs/{job}/metrics?get={}", names.join(","));
        let body = self.get(&path)?;
        Ok(body
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|m| {
                let id = m.get("id")?.as_str()?;
                let value = m.get("value")?.as_str()?.parse::<f64>().ok()?;
                Some((id.to_owned(), value))
            })
            .collect())
    }

    pub fn checkpoints(&self, job: &str) -> Result<Checkpoints, RestError> {
        let path = format!("/jobs/{job}/checkpoints");
        let body = match self.get(&path) {
            Ok(body) => body,
            // A job without checkpointing answers "Checkpointing is not enabled" (404 in 2.x).
            Err(RestError::Refused { status: 404, .. }) => return Ok(Checkpoints::default()),
            Err(e) => return Err(e),
        };
        let counts = body.get("counts");
        let count = |k: &str| counts.and_then(|c| c.get(k)).and_then(Value::as_u64).unwrap_or(0);
        let last = body
            .get("latest")
            .and_then(|l| l.get("completed"))
            .filter(|c| !c.is_null())
            .map(|c| {
                let n = |k: &str| c.get(k).and_then(Value::as_u64).unwrap_or(0);
                CompletedCheckpoint {
                    id: n("id"),
                    duration_ms: n("end_to_end_duration"),
                    state_size: n("state_size"),
                    checkpointed_size: c
                        .get("checkpointed_size")
                        .and_then(Value::as_u64)
                        .unwrap_or_else(|| n("state_size")),
                }
            });
        Ok(Checkpoints {
            completed: count("completed"),
            failed: count("failed"),
            in_progress: count("in_progress"),
            last,
        })
    }

    /// Each vertex's share of a completed checkpoint (`GET /jobs/{id}/checkpoints/details/{cid}`):
    /// the full state it held, by vertex id.
    pub fn checkpoint_state_by_vertex(&self, job: &str, checkpoint: u64) -> Result<BTreeMap<String, u64>, RestError> {
        let body = self.get(&format!("/jobs/{job}/checkpoints/details/{checkpoint}"))?;
        Ok(body
            .get("tasks")
            .and_then(Value::as_object)
            .into_iter()
            .flatten()
            .filter_map(|(vertex, task)| {
                let size = task.get("state_size").or_else(|| task.get("checkpointed_size"));
                size.and_then(Value::as_u64).map(|size| (vertex.clone(), size))
            })
            .collect())
    }

    /// The most recent exception of the job (the one that failed it, for a failed job): its
    /// first line, e.g. `java.lang.ArithmeticException: / by zero`.
    pub fn root_exception(&self, job: &str) -> Result<Option<String>, RestError> {
        let body = self.get(&format!("/jobs/{job}/exceptions?maxExceptions=1"))?;
        // Flink 1.x had `root-exception`; 2.x has only the history, newest first.
        let trace = body.get("root-exception").and_then(Value::as_str).or_else(|| {
            body.get("exceptionHistory")
                .and_then(|h| h.get("entries"))
                .and_then(Value::as_array)
                .and_then(|e| e.first())
                .and_then(|e| e.get("stacktrace"))
                .and_then(Value::as_str)
        });
        Ok(trace.map(root_cause))
    }

    /// Cancels exactly this job (`PATCH /jobs/{id}?mode=cancel`); an already ended job is
    /// left as it is.
    pub fn cancel(&self, job: &str) -> Result<(), RestError> {
        match self.request("PATCH", &format!("/jobs/{job}?mode=cancel"), None) {
            Ok(_) => Ok(()),
            Err(e) => match self.job(job) {
                Ok(detail) if detail.summary.state.is_terminal() => Ok(()),
                _ => Err(e),
            },
        }
    }

    /// Uploads a jar (`POST /jars/upload`) and returns its id on the cluster.
    pub fn upload_jar(&self, jar: &Path) -> Result<String, RestError> {
        use ureq::unversioned::multipart::{Form, Part};
        let jar_error = |e: std::io::Error| RestError::Jar {
            path: jar.display().to_string(),
            reason: e.to_string(),
        };
        let part = Part::file(jar)
            .map_err(jar_error)?
            .mime_str("application/x-java-archive")
            .map_err(|e| self.protocol("POST", "/jars/upload", &e.to_string()))?;
        let form = Form::new().part("jarfile", part);
        let response = self.submit_agent.post(format!("{}/jars/upload", self.base)).send(form);
        let body = self.answer("POST", "/jars/upload", response)?;
        body.get("filename")
            .and_then(Value::as_str)
            .and_then(|f| f.rsplit('/').next())
            .map(str::to_owned)
            .ok_or_else(|| self.protocol("POST", "/jars/upload", "no `filename`"))
    }

    /// Runs an uploaded jar's main class with these arguments; returns the job it started.
    pub fn run_jar(&self, jar_id: &str, args: &[String]) -> Result<String, RestError> {
        let path = format!("/jars/{jar_id}/run");
        let body = self.request_with(
            &self.submit_agent,
            "POST",
            &path,
            Some(json!({ "programArgsList": args })),
        )?;
        body.get("jobid")
            .and_then(Value::as_str)
            .map(str::to_owned)
            .ok_or_else(|| self.protocol("POST", &path, "no `jobid`"))
    }

    pub fn delete_jar(&self, jar_id: &str) -> Result<(), RestError> {
        self.request("DELETE", &format!("/jars/{jar_id}"), None).map(|_| ())
    }
}

fn text(v: &Value, key: &str) -> String {
    v.get(key).and_then(Value::as_str).unwrap_or_default().to_owned()
}

fn summary(job: &Value, id_key: &str) -> JobSummary {
    JobSummary {
        id: text(job, id_key),
        name: text(job, "name"),
        state: JobState::parse(job.get("state").and_then(Value::as_str).unwrap_or("UNKNOWN")),
        start_time: job.get("start-time").and_then(Value::as_i64).unwrap_or(0),
        duration_ms: job.get("duration").and_then(Value::as_u64).unwrap_or(0),
    }
}

/// A Java stack trace's innermost cause: the last `Caused by:` line, else the first line.
fn root_cause(trace: &str) -> String {
    trace
        .lines()
        .filter_map(|l| l.trim().strip_prefix("Caused by: "))
        .next_back()
        .unwrap_or_else(|| trace.lines().next().unwrap_or_default())
        .trim()
        .to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_innermost_cause_names_the_failure() {
        let trace = "org.apache.flink.runtime.JobException: Recovery is suppressed\n\tat a\nCaused by: java.lang.RuntimeException: wrapped\n\tat b\nCaused by: java.lang.ArithmeticException: / by zero\n\tat c";
        assert_eq!(root_cause(trace), "java.lang.ArithmeticException: / by zero");
        assert_eq!(
            root_cause("java.io.IOException: gone\n\tat x"),
            "java.io.IOException: gone"
        );
    }
}
