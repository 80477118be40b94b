//! A client for Flink's SQL Gateway REST API (v1 to v4 paths): one session per run with
//! properties from the `flink` section, each statement submitted and polled until it finishes,
//! results paged through `nextResultUri`, the job id of every INSERT captured, Flink's own
//! error text returned on failure.

use std::collections::BTreeMap;
use std::thread::sleep;
use std::time::{Duration, Instant};

use serde_json::{Value, json};

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum GatewayError {
    #[error("Flink SQL Gateway at {url} is not reachable: {reason}")]
    Unreachable { url: String, reason: String },
    #[error("Flink SQL Gateway answered {status} to {request}: {message}")]
    Refused {
        request: String,
        status: u16,
        message: String,
    },
    /// The statement failed in Flink; `message` is Flink's root cause.
    #[error("Flink rejected the statement: {message}")]
    Statement { message: String },
    #[error("the statement was still {status} after {waited:?}")]
    Timeout { status: String, waited: Duration },
    #[error("Flink SQL Gateway at {url} answered something that is not its API: {reason}")]
    Protocol { url: String, reason: String },
    /// The gateway no longer knows the session (closed, or expired after its idle timeout).
    #[error(
        "the SQL Gateway session {session} is closed or expired (sql-gateway.session.idle-timeout); open a new session"
    )]
    SessionClosed { session: String },
}

/// The rows a statement returned and the job it started, if any.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct StatementResult {
    pub columns: Vec<String>,
    /// `(kind, fields)`: kind is Flink's row kind (INSERT, UPDATE_BEFORE, UPDATE_AFTER, DELETE).
    pub rows: Vec<(String, Vec<Value>)>,
    pub job_id: Option<String>,
}

pub struct SqlGateway {
    base: String,
    /// `v1` .. `v4`: the newest the gateway speaks.
    version: String,
    agent: ureq::Agent,
    /// How long one statement may take before it is reported as timed out.
    pub statement_timeout: Duration,
}

/// The SQL Gateway's address when only the JobManager's is configured: same host, the
/// gateway's default REST port (`sql-gateway.endpoint.rest.port`, 8083).
pub fn default_gateway_url(flink_url: &str) -> String {
    let trimmed = flink_url.trim_end_matches('/');
    let (scheme, rest) = trimmed.split_once("://").unwrap_or(("http", trimmed));
    let authority = rest.split('/').next().unwrap_or(rest);
    // A bracketed IPv6 host keeps its colons; the port is what follows the last `]` or `:`.
    let host = match authority.rfind(']') {
        Some(end) => &authority[..=end],
        None => authority.rsplit_once(':').map_or(authority, |(host, _)| host),
    };
    format!("{scheme}://{host}:8083")
}

/// An open session; closed explicitly with [`SqlGateway::close_session`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Session(pub String);

impl SqlGateway {
    /// Connects and picks the newest API version the gateway offers.
    pub fn connect(base_url: &str, timeout: Duration) -> Result<Self, GatewayError> {
        let agent = ureq::Agent::config_builder()
            .timeout_global(Some(timeout))
            .http_status_as_error(false)
            .build()
            .new_agent();
        let mut gateway = Self {
            base: base_url.trim_end_matches('/').to_owned(),
            version: "v1".to_owned(),
            agent,
            statement_timeout: Duration::from_secs(300),
        };
        // Gateways before the versioned API (Flink 1.16) have no /api_versions: they speak v1.
        let versions = match gateway.call("GET", "/api_versions", None) {
            Err(GatewayError::Refused { status: 404, .. }) => return Ok(gateway),
            other => other?,
        };
        let list = versions.get("versions").unwrap_or(&versions);
        if let Some(newest) = list
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(Value::as_str)
            .filter_map(|v| {
                v.to_ascii_lowercase()
                    .strip_prefix('v')
                    .and_then(|n| n.parse::<u32>().ok())
            })
            .filter(|n| (1..=4).contains(n))
            .max()
        {
            gateway.version = format!("v{newest}");
        }
        Ok(gateway)
    }

    /// The gateway's address, as given.
    pub fn url(&self) -> &str {
        &self.base
    }

    pub fn api_version(&self) -> &str {
        &self.version
    }

    fn call(&self, method: &str, path: &str, body: Option<Value>) -> Result<Value, GatewayError> {
        let url = format!("{}{path}", self.base);
        let request = format!("{method} {path}");
        let unreachable = |e: ureq::Error| GatewayError::Unreachable {
            url: self.base.clone(),
            reason: e.to_string(),
        };
        let builder = ureq::http::Request::builder()
            .method(method)
            .uri(&url)
            .header("Content-Type", "application/json");
        let protocol = |e: ureq::http::Error| GatewayError::Protocol {
            url: self.base.clone(),
            reason: e.to_string(),
        };
        let mut response = match body {
            Some(body) => self.agent.run(builder.body(body.to_string()).map_err(protocol)?),
            None => self.agent.run(builder.body(()).map_err(protocol)?),
        }
        .map_err(unreachable)?;
        let status = response.status().as_u16();
        let text = response.body_mut().read_to_string().map_err(unreachable)?;
        let value: Value = serde_json::from_str(&text).unwrap_or(Value::String(text));
        if (200..300).contains(&status) {
            Ok(value)
        } else if let Some(session) = closed_session(path, &value) {
            Err(GatewayError::SessionClosed { session })
        } else {
            Err(GatewayError::Refused {
                request,
                status,
                message: flink_error(&value),
            })
        }
    }

    fn path(&self, rest: &str) -> String {
        format!("/{}{rest}", self.version)
    }

    /// `GET /info`: product and version.
    pub fn info(&self) -> Result<(String, String), GatewayError> {
        let info = self.call("GET", &self.path("/info"), None)?;
        let field = |k: &str| info.get(k).and_then(Value::as_str).unwrap_or("unknown").to_owned();
        Ok((field("productName"), field("version")))
    }

    pub fn open_session(&self, name: &str, properties: &BTreeMap<String, String>) -> Result<Session, GatewayError> {
        let answer = self.call(
            "POST",
            &self.path("/sessions"),
            Some(json!({ "sessionName": name, "properties": properties })),
        )?;
        answer
            .get("sessionHandle")
            .and_then(Value::as_str)
            .map(|h| Session(h.to_owned()))
            .ok_or_else(|| self.protocol("no sessionHandle"))
    }

    /// Closes the session; one already closed (or expired) counts as closed.
    pub fn close_session(&self, session: &Session) -> Result<(), GatewayError> {
        match self.call("DELETE", &self.path(&format!("/sessions/{}", session.0)), None) {
            Ok(_) | Err(GatewayError::SessionClosed { .. }) => Ok(()),
            Err(e) => Err(e),
        }
    }

    fn protocol(&self, reason: &str) -> GatewayError {
        GatewayError::Protocol {
            url: self.base.clone(),
            reason: reason.to_owned(),
        }
    }

    /// Submits a statement, waits for it, and reads all of its result.
    pub fn execute(&self, session: &Session, statement: &str) -> Result<StatementResult, GatewayError> {
        let answer = self.call(
            "POST",
            &self.path(&format!("/sessions/{}/statements", session.0)),
            Some(json!({ "statement": statement })),
        )?;
        let operation = answer
            .get("operationHandle")
            .and_then(Value::as_str)
            .ok_or_else(|| self.protocol("no operationHandle"))?
            .to_owned();
        let operation_path = format!("/sessions/{}/operations/{operation}", session.0);
        let outcome = self.wait(&operation_path).and_then(|()| self.results(&operation_path));
        // Closing frees the gateway's memory; a failure to close does not change the outcome.
        let _ = self.call("DELETE", &self.path(&format!("{operation_path}/close")), None);
        outcome
    }

    /// Polls the status with backoff until FINISHED, ERROR or the timeout.
    fn wait(&self, operation_path: &str) -> Result<(), GatewayError> {
        let started = Instant::now();
        let mut pause = Duration::from_millis(10);
        loop {
            let status = self.call("GET", &self.path(&format!("{operation_path}/status")), None)?;
            let status = status
                .get("status")
                .and_then(Value::as_str)
                .unwrap_or("UNKNOWN")
                .to_owned();
            match status.as_str() {
                "FINISHED" => return Ok(()),
                "ERROR" => {
                    // The error text comes with the result call.
                    return match self.call(
                        "GET",
                        &self.path(&format!("{operation_path}/result/0?rowFormat=JSON")),
                        None,
                    ) {
                        Err(GatewayError::Refused { message, .. }) => Err(GatewayError::Statement { message }),
                        Err(other) => Err(other),
                        Ok(_) => Err(GatewayError::Statement {
                            message: "the operation failed without an error message".into(),
                        }),
                    };
                }
                "CANCELED" | "CLOSED" | "TIMEOUT" => {
                    return Err(GatewayError::Statement {
                        message: format!("the operation ended {status}"),
                    });
                }
                _ if started.elapsed() > self.statement_timeout => {
                    return Err(GatewayError::Timeout {
                        status,
                        waited: started.elapsed(),
                    });
                }
                _ => {
                    sleep(pause);
                    pause = (pause * 2).min(Duration::from_millis(500));
                }
            }
        }
    }

    /// Reads result pages, following `nextResultUri`, waiting out NOT_READY, until EOS.
    fn results(&self, operation_path: &str) -> Result<StatementResult, GatewayError> {
        let mut result = StatementResult::default();
        let mut next = Some(self.path(&format!("{operation_path}/result/0?rowFormat=JSON")));
        let started = Instant::now();
        let mut pause = Duration::from_millis(10);
        while let Some(path) = next.take() {
            let page = self.call("GET", &path, None)?;
            if let Some(job) = page.get("jobID").and_then(Value::as_str) {
                result.job_id = Some(job.to_owned());
            }
            let kind = page.get("resultType").and_then(Value::as_str).unwrap_or("EOS");
            if let Some(results) = page.get("results") {
                if result.columns.is_empty()
                    && let Some(columns) = results.get("columns").and_then(Value::as_array)
                {
                    result.columns = columns
                        .iter()
                        .filter_map(|c| c.get("name").and_then(Value::as_str).map(str::to_owned))
                        .collect();
                }
                for row in results.get("data").and_then(Value::as_array).into_iter().flatten() {
                    let kind = row.get("kind").and_then(Value::as_str).unwrap_or("INSERT").to_owned();
                    let fields = row.get("fields").and_then(Value::as_array).cloned().unwrap_or_default();
                    result.rows.push((kind, fields));
                }
            }
            let next_uri = page.get("nextResultUri").and_then(Value::as_str).map(|uri| {
                // The gateway answers with an absolute path.
                uri.strip_prefix(&self.base).unwrap_or(uri).to_owned()
            });
            match kind {
                "EOS" => break,
                "NOT_READY" => {
                    if started.elapsed() > self.statement_timeout {
                        return Err(GatewayError::Timeout {
                            status: "NOT_READY".into(),
                            waited: started.elapsed(),
                        });
                    }
                    sleep(pause);
                    pause = (pause * 2).min(Duration::from_millis(500));
                    next = next_uri.or(Some(path));
                }
                _ => next = next_uri,
            }
        }
        // An INSERT's one row is its job id when the page did not carry jobID.
        if result.job_id.is_none() && result.columns == ["job id"] {
            result.job_id = result
                .rows
                .first()
                .and_then(|(_, f)| f.first())
                .and_then(Value::as_str)
                .map(str::to_owned);
        }
        Ok(result)
    }
}

/// Flink answers a request for an unknown session with `Session '<handle>' does not exist.` (as
/// an internal error, HTTP 500, in its error body).
fn closed_session(path: &str, body: &Value) -> Option<String> {
    let session = path.split("/sessions/").nth(1)?.split('/').next()?;
    let text = body.to_string();
    text.contains(&format!("Session '{session}' does not exist"))
        .then(|| session.to_owned())
}

/// Flink's error bodies are `{"errors": ["Internal server error.", "<details>"]}`: the last
/// entry holds the cause; its last `Caused by:` line is what a user needs first.
pub(crate) fn flink_error(body: &Value) -> String {
    let text = match body.get("errors").and_then(Value::as_array) {
        Some(errors) => errors
            .iter()
            .filter_map(Value::as_str)
            .next_back()
            .unwrap_or("unknown error")
            .to_owned(),
        None => body.as_str().map(str::to_owned).unwrap_or_else(|| body.to_string()),
    };
    let root = text
        .lines()
        .filter_map(|l| l.trim().strip_prefix("Caused by: "))
        .next_back()
        .map(str::to_owned)
        .unwrap_or_else(|| text.lines().next().unwrap_or_default().to_owned());
    root.trim().to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_gateway_address_follows_the_jobmanagers_host() {
        assert_eq!(
            default_gateway_url("http://flink.example:8081"),
            "http://flink.example:8083"
        );
        assert_eq!(
            default_gateway_url("https://flink.example/"),
            "https://flink.example:8083"
        );
        assert_eq!(default_gateway_url("http://[::1]:8081"), "http://[::1]:8083");
        assert_eq!(default_gateway_url("127.0.0.1:8081"), "http://127.0.0.1:8083");
    }

    #[test]
    fn a_missing_session_is_named() {
        let body = json!({"errors": ["Internal server error.", "<Exception on server side:\norg.apache.flink.table.gateway.api.utils.SqlGatewayException: Session 'abc' does not exist.\n>"]});
        assert_eq!(closed_session("/v2/sessions/abc/statements", &body), Some("abc".into()));
        assert_eq!(
            closed_session(
                "/v2/sessions/abc/statements",
                &json!({"errors": ["Table x does not exist"]})
            ),
            None
        );
        assert_eq!(closed_session("/v2/info", &body), None);
    }

    #[test]
    fn root_causes_come_first() {
        let body = json!({"errors": ["Internal server error.", "<Exception on server side:\norg.apache.flink...SqlExecutionException: Failed\n\tat x\nCaused by: org.apache.flink.table.api.ValidationException: Object 'ordrs' not found\n\tat y"]});
        assert_eq!(
            flink_error(&body),
            "org.apache.flink.table.api.ValidationException: Object 'ordrs' not found"
        );
    }
}
