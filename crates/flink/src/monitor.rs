//! What a job is doing, read from Flink's REST API: one [`JobSample`] per job and call (a run
//! takes one each second). Every figure is what Flink reported; one Flink did not report is
//! `None`, never a guess.

use crate::job_state::JobState;
use crate::rest::{Aggregate, CompletedCheckpoint, FlinkRest, RestError};

/// Per-subtask metrics read for every vertex.
const VERTEX_METRICS: &[&str] = &[
    "numRecordsIn",
    "numRecordsOut",
    "numRecordsInPerSecond",
    "numRecordsOutPerSecond",
    "busyTimeMsPerSecond",
    "backPressuredTimeMsPerSecond",
    "idleTimeMsPerSecond",
    "currentInputWatermark",
];

/// Window operators count the records they dropped as late under this name, prefixed with
/// the operator's (`GlobalWindowAggregate[5].numLateRecordsDropped`); a vertex chains several.
const LATE_DROPPED_SUFFIX: &str = ".numLateRecordsDropped";

/// Flink reports "no watermark yet" as Long.MIN_VALUE.
const NO_WATERMARK: f64 = -9.2e18;

#[derive(Debug, Clone, PartialEq)]
pub struct VertexSample {
    pub id: String,
    pub name: String,
    pub parallelism: u64,
    pub status: String,
    /// Records the vertex took in: from Kafka for a source, from upstream otherwise.
    pub records_in: Option<u64>,
    /// Records the vertex emitted: to Kafka (or another sink) for a sink.
    pub records_out: Option<u64>,
    pub records_in_per_second: Option<f64>,
    pub records_out_per_second: Option<f64>,
    /// Milliseconds per second, the busiest subtask's (the one that limits the vertex).
    pub busy_ms_per_second: Option<f64>,
    pub backpressured_ms_per_second: Option<f64>,
    /// The least idle subtask's.
    pub idle_ms_per_second: Option<f64>,
    /// The lowest input watermark over the subtasks, in epoch milliseconds.
    pub watermark_ms: Option<i64>,
    /// Late records the vertex's window operators dropped; `None` for a vertex without one.
    pub late_records_dropped: Option<u64>,
    /// The state the vertex held in the last completed checkpoint; `None` without one, or
    /// until [`JobSample::read_checkpoint_shares`] read it.
    pub state_bytes: Option<u64>,
    pub is_source: bool,
    pub is_sink: bool,
}

#[derive(Debug, Clone, PartialEq)]
pub struct JobSample {
    pub id: String,
    pub name: String,
    pub state: JobState,
    pub uptime_ms: Option<u64>,
    pub restarts: Option<u64>,
    pub vertices: Vec<VertexSample>,
    pub checkpoints_completed: u64,
    pub checkpoints_failed: u64,
    pub last_checkpoint: Option<CompletedCheckpoint>,
    /// Flink's root exception, for a job that failed (or is restarting after a failure).
    pub root_exception: Option<String>,
}

impl JobSample {
    /// Records the job's sources read (None when no source reported yet).
    pub fn records_in(&self) -> Option<u64> {
        sum(self.vertices.iter().filter(|v| v.is_source).map(|v| v.records_in))
    }

    /// Records the job's sinks wrote.
    pub fn records_out(&self) -> Option<u64> {
        sum(self.vertices.iter().filter(|v| v.is_sink).map(|v| v.records_out))
    }

    /// Late records the job's window operators dropped (None when it has none).
    pub fn late_records_dropped(&self) -> Option<u64> {
        sum(self.vertices.iter().map(|v| v.late_records_dropped))
    }

    /// Whether the job failed (Flink gave up on it).
    pub fn failed(&self) -> bool {
        self.state == JobState::Failed
    }

    pub fn is_terminal(&self) -> bool {
        self.state.is_terminal()
    }

    /// Reads each vertex's share of the last completed checkpoint into `state_bytes` (one
    /// more call, so only where it is shown: a run's final rows, `check --verbose`).
    pub fn read_checkpoint_shares(&mut self, rest: &FlinkRest) {
        if let Some(last) = &self.last_checkpoint
            && let Ok(by_vertex) = rest.checkpoint_state_by_vertex(&self.id, last.id)
        {
            for vertex in &mut self.vertices {
                vertex.state_bytes = by_vertex.get(&vertex.id).copied();
            }
        }
    }
}

fn sum(values: impl Iterator<Item = Option<u64>>) -> Option<u64> {
    values.fold(None, |acc, v| match (acc, v) {
        (None, v) => v,
        (Some(a), Some(v)) => Some(a + v),
        (a, None) => a,
    })
}

/// The key of how often the JobManager refreshes the metrics its REST API serves.
pub const METRICS_REFRESH_KEY: &str = "metrics.fetcher.update-interval";

/// How often the cluster refreshes the metrics its REST API serves (Flink's default, 10 s,
/// when the key is unset): job figures sampled more often than this move in steps.
/// `None` when the cluster does not say or says something unreadable.
pub fn metrics_refresh(rest: &FlinkRest) -> Option<std::time::Duration> {
    match rest.config_value(METRICS_REFRESH_KEY) {
        Ok(Some(value)) => parse_flink_duration(&value),
        Ok(None) => Some(std::time::Duration::from_secs(10)),
        Err(_) => None,
    }
}

/// Flink's duration syntax: a number with an optional unit (milliseconds without one).
fn parse_flink_duration(text: &str) -> Option<std::time::Duration> {
    let text = text.trim();
    let split = text.find(|c: char| !c.is_ascii_digit()).unwrap_or(text.len());
    let (number, unit) = text.split_at(split);
    let number: u64 = number.parse().ok()?;
    let millis = match unit.trim().to_ascii_lowercase().as_str() {
        "" | "ms" | "milli" | "millis" | "millisecond" | "milliseconds" => number,
        "s" | "sec" | "secs" | "second" | "seconds" => number.checked_mul(1000)?,
        "min" | "m" | "minute" | "minutes" => number.checked_mul(60_000)?,
        "h" | "hour" | "hours" => number.checked_mul(3_600_000)?,
        _ => return None,
    };
    Some(std::time::Duration::from_millis(millis))
}

/// Reads one job's status, vertices, metrics and checkpoints.
pub fn sample_job(rest: &FlinkRest, job: &str) -> Result<JobSample, RestError> {
    let detail = rest.job(job)?;
    let consumed: std::collections::BTreeSet<&str> = detail
        .vertices
        .iter()
        .flat_map(|v| v.inputs.iter().map(String::as_str))
        .collect();
    let running = !detail.summary.state.is_terminal();
    let mut vertices = Vec::with_capacity(detail.vertices.len());
    for vertex in &detail.vertices {
        // Metrics of a vertex that has not started (or a job already gone) are simply absent.
        let metrics = rest
            .vertex_metrics(job, &vertex.id, |id| {
                VERTEX_METRICS.contains(&id) || id.ends_with(LATE_DROPPED_SUFFIX)
            })
            .unwrap_or_default();
        let get = |name: &str| metrics.get(name).copied();
        let count = |a: Option<Aggregate>| a.map(|a| a.sum.max(0.0) as u64);
        vertices.push(VertexSample {
            id: vertex.id.clone(),
            name: vertex.name.clone(),
            parallelism: vertex.parallelism,
            status: vertex.status.clone(),
            records_in: count(get("numRecordsIn")),
            records_out: count(get("numRecordsOut")),
            records_in_per_second: get("numRecordsInPerSecond").map(|a| a.sum),
            records_out_per_second: get("numRecordsOutPerSecond").map(|a| a.sum),
            busy_ms_per_second: get("busyTimeMsPerSecond").filter(|_| running).map(|a| a.max),
            backpressured_ms_per_second: get("backPressuredTimeMsPerSecond").filter(|_| running).map(|a| a.max),
            idle_ms_per_second: get("idleTimeMsPerSecond").filter(|_| running).map(|a| a.min),
            watermark_ms: get("currentInputWatermark")
                .filter(|a| a.min > NO_WATERMARK)
                .map(|a| a.min as i64),
            late_records_dropped: sum(metrics
                .iter()
                .filter(|(id, _)| id.ends_with(LATE_DROPPED_SUFFIX))
                .map(|(_, a)| count(Some(*a)))),
            state_bytes: None,
            is_source: vertex.inputs.is_empty(),
            is_sink: !consumed.contains(vertex.id.as_str()),
        });
    }
    let metrics = rest.job_metrics(job, &["uptime", "numRestarts"]).unwrap_or_default();
    let checkpoints = rest.checkpoints(job).unwrap_or_default();
    let state = detail.summary.state.clone();
    let root_exception = if state.is_troubled() {
        rest.root_exception(job)?
    } else {
        None
    };
    Ok(JobSample {
        id: detail.summary.id,
        name: detail.summary.name,
        state,
        // Flink's uptime gauge is 0 once a job ended; its duration is then the time it ran.
        uptime_ms: metrics
            .get("uptime")
            .map(|&u| u as u64)
            .filter(|&u| u > 0)
            .or((!running).then_some(detail.summary.duration_ms)),
        restarts: metrics.get("numRestarts").map(|&n| n as u64),
        vertices,
        checkpoints_completed: checkpoints.completed,
        checkpoints_failed: checkpoints.failed,
        last_checkpoint: checkpoints.last,
        root_exception,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flink_durations_read_with_and_without_units() {
        let ms = |t: &str| parse_flink_duration(t).map(|d| d.as_millis());
        assert_eq!(ms("1000"), Some(1000));
        assert_eq!(ms("1 s"), Some(1000));
        assert_eq!(ms("10s"), Some(10_000));
        assert_eq!(ms("500 ms"), Some(500));
        assert_eq!(ms("2 min"), Some(120_000));
        assert_eq!(ms("fast"), None);
        assert_eq!(ms("1 fortnight"), None);
    }

    #[test]
    fn sums_skip_what_was_not_reported() {
        assert_eq!(sum([None, None].into_iter()), None);
        assert_eq!(sum([Some(2), None, Some(3)].into_iter()), Some(5));
    }
}
