//! HTTP services: the schema registry, Flink's REST API and its SQL Gateway.

use std::time::{Duration, Instant};

use serde_json::Value;

use crate::Probe;

/// `GET /subjects` (Confluent REST API).
pub fn probe_registry(url: &str, timeout: Duration) -> Probe {
    probe_json("Schema registry", url, "/subjects", timeout, |body| match body {
        Value::Array(subjects) if subjects.len() == 1 => Ok("1 subject".to_owned()),
        Value::Array(subjects) => Ok(format!("{} subjects", subjects.len())),
        _ => Err("GET /subjects did not return a list; is this a Confluent-compatible registry?".into()),
    })
}

/// `GET /overview` (Flink REST API).
pub fn probe_flink(url: &str, timeout: Duration) -> Probe {
    probe_json("Flink", url, "/overview", timeout, |body| {
        let field = |name: &str| body.get(name).and_then(Value::as_u64);
        match (field("taskmanagers"), field("slots-total"), field("jobs-running")) {
            (Some(tms), Some(slots), Some(running)) => {
                let version = body
                    .get("flink-version")
                    .and_then(Value::as_str)
                    .unwrap_or("unknown version");
                Ok(format!(
                    "Flink {version}: {tms} task managers, {slots} slots, {running} running jobs"
                ))
            }
            _ => Err("GET /overview did not look like Flink's; is this the JobManager's REST address?".into()),
        }
    })
}

/// `GET /v1/info` (Flink SQL Gateway REST API).
pub fn probe_sql_gateway(url: &str, timeout: Duration) -> Probe {
    probe_json("SQL Gateway", url, "/v1/info", timeout, |body| {
        match (
            body.get("productName").and_then(Value::as_str),
            body.get("version").and_then(Value::as_str),
        ) {
            (Some(product), Some(version)) => Ok(format!("{product} {version}")),
            _ => Err("GET /v1/info did not look like Flink's SQL Gateway".into()),
        }
    })
}

fn probe_json(
    part: &'static str,
    base: &str,
    path: &str,
    timeout: Duration,
    describe: impl FnOnce(&Value) -> Result<String, String>,
) -> Probe {
    let started = Instant::now();
    let url = format!("{}{path}", base.trim_end_matches('/'));
    let outcome = get_json(&url, timeout).and_then(|body| describe(&body));
    Probe {
        part,
        target: base.to_owned(),
        outcome,
        elapsed: started.elapsed(),
    }
}

fn get_json(url: &str, timeout: Duration) -> Result<Value, String> {
    let agent = ureq::Agent::config_builder()
        .timeout_global(Some(timeout))
        .http_status_as_error(false)
        .build()
        .new_agent();
    let mut response = agent.get(url).call().map_err(|e| format!("GET {url}: {e}"))?;
    let status = response.status();
    if !status.is_success() {
        return Err(format!("GET {url}: HTTP {}", status.as_u16()));
    }
    let text = response
        .body_mut()
        .read_to_string()
        .map_err(|e| format!("GET {url}: {e}"))?;
    serde_json::from_str(&text).map_err(|_| format!("GET {url}: the answer is not JSON"))
}
