//! A stand-in for Flink's SQL Gateway, which cannot run here (its jar is in no reachable
//! registry), that executes on a real cluster: it speaks the gateway's documented REST API
//! (`/api_versions`, `/{v}/info`, sessions, statements, operation status, results, close) and
//! keeps each session's SET and CREATE statements; an INSERT or STATEMENT SET runs, after them,
//! through the project's SQL runner (`/jars/upload`, `/jars/{id}/run`), answered with the
//! cluster's real job id, or with Flink's real error as the gateway reports a failed statement.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get, post};
use serde_json::{Value, json};

use crate::Flink;

/// One operation's outcome: a job id, `OK`, or Flink's error text.
type Outcome = Result<Option<String>, String>;

struct Bridge {
    flink_url: String,
    runner: PathBuf,
    /// Per session: the statements every later INSERT runs after.
    sessions: HashMap<String, Vec<String>>,
    /// `None` while the operation runs (the real gateway answers a submission at once and
    /// reports RUNNING until the job is submitted).
    operations: HashMap<String, Option<Outcome>>,
    /// Every statement received, in order.
    received: Vec<String>,
    next: u32,
}

type Shared = Arc<Mutex<Bridge>>;

pub struct SqlGatewayBridge {
    pub url: String,
    state: Shared,
    _runtime: tokio::runtime::Runtime,
}

impl SqlGatewayBridge {
    pub fn start(flink: &Flink) -> SqlGatewayBridge {
        let state: Shared = Arc::new(Mutex::new(Bridge {
            flink_url: flink.url(),
            runner: flink.sql_runner_jar().to_owned(),
            sessions: HashMap::new(),
            operations: HashMap::new(),
            received: Vec::new(),
            next: 0,
        }));
        let app = Router::new()
            .route(
                "/api_versions",
                get(|| async { reply(StatusCode::OK, json!({"versions": ["V1", "V2"]})) }),
            )
            .route(
                "/{v}/info",
                get(|| async {
                    reply(
                        StatusCode::OK,
                        json!({"productName": "Apache Flink", "version": "2.1.0"}),
                    )
                }),
            )
            .route("/{v}/sessions", post(open_session))
            .route("/{v}/sessions/{s}", delete(close_session))
            .route("/{v}/sessions/{s}/statements", post(submit))
            .route("/{v}/sessions/{s}/operations/{o}/status", get(status))
            .route("/{v}/sessions/{s}/operations/{o}/result/{t}", get(result))
            .route("/{v}/sessions/{s}/operations/{o}/close", delete(close_operation))
            .with_state(state.clone());
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .expect("a runtime for the SQL Gateway stand-in");
        let listener = runtime
            .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
            .expect("a loopback port");
        let url = format!("http://{}", listener.local_addr().expect("the bound address"));
        runtime.spawn(async move { axum::serve(listener, app).await });
        SqlGatewayBridge {
            url,
            state,
            _runtime: runtime,
        }
    }

    /// Every statement received, in order.
    pub fn statements(&self) -> Vec<String> {
        self.state.lock().expect("the bridge's state").received.clone()
    }

    /// How many sessions are open.
    pub fn open_sessions(&self) -> usize {
        self.state.lock().expect("the bridge's state").sessions.len()
    }
}

fn reply(status: StatusCode, body: Value) -> Response {
    (status, [("content-type", "application/json")], body.to_string()).into_response()
}

fn flink_error(text: &str) -> Response {
    reply(
        StatusCode::INTERNAL_SERVER_ERROR,
        json!({"errors": ["Internal server error.", format!("<Exception on server side:\norg.apache.flink.table.gateway.service.utils.SqlExecutionException: Failed to execute the operation.\nCaused by: {text}\n>")]}),
    )
}

async fn open_session(State(b): State<Shared>) -> Response {
    let mut b = b.lock().expect("the bridge's state");
    b.next += 1;
    let handle = format!("session-{}", b.next);
    b.sessions.insert(handle.clone(), Vec::new());
    reply(StatusCode::OK, json!({"sessionHandle": handle}))
}

async fn close_session(State(b): State<Shared>, Path((_v, s)): Path<(String, String)>) -> Response {
    match b.lock().expect("the bridge's state").sessions.remove(&s) {
        Some(_) => reply(StatusCode::OK, json!({"status": "CLOSED"})),
        None => flink_error(&format!("Session '{s}' does not exist.")),
    }
}

async fn submit(State(b): State<Shared>, Path((_v, s)): Path<(String, String)>, body: String) -> Response {
    let statement = serde_json::from_str::<Value>(&body).unwrap_or_default()["statement"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    let upper = statement.trim_start().to_ascii_uppercase();
    let (flink_url, runner, mut program) = {
        let mut b = b.lock().expect("the bridge's state");
        b.received.push(statement.clone());
        let Some(before) = b.sessions.get(&s) else {
            return flink_error(&format!("Session '{s}' does not exist."));
        };
        (b.flink_url.clone(), b.runner.clone(), before.clone())
    };
    let runs_a_job = upper.starts_with("INSERT") || upper.starts_with("EXECUTE STATEMENT SET");
    let handle = {
        let mut bridge = b.lock().expect("the bridge's state");
        bridge.next += 1;
        let handle = format!("op-{}", bridge.next);
        if !runs_a_job && let Some(kept) = bridge.sessions.get_mut(&s) {
            kept.push(statement.clone());
        }
        let outcome = (!runs_a_job).then_some(Ok(None));
        bridge.operations.insert(handle.clone(), outcome);
        handle
    };
    if runs_a_job {
        program.push(statement);
        let (state, operation) = (b.clone(), handle.clone());
        tokio::task::spawn_blocking(move || {
            let outcome = run_on_cluster(&flink_url, &runner, &program);
            if let Some(slot) = state.lock().expect("the bridge's state").operations.get_mut(&operation) {
                *slot = Some(outcome);
            }
        });
    }
    reply(StatusCode::OK, json!({"operationHandle": handle}))
}

async fn status(State(b): State<Shared>, Path((_v, _s, o)): Path<(String, String, String)>) -> Response {
    match b.lock().expect("the bridge's state").operations.get(&o) {
        Some(None) => reply(StatusCode::OK, json!({"status": "RUNNING"})),
        Some(Some(Ok(_))) => reply(StatusCode::OK, json!({"status": "FINISHED"})),
        Some(Some(Err(_))) => reply(StatusCode::OK, json!({"status": "ERROR"})),
        None => reply(StatusCode::NOT_FOUND, json!({"errors": ["no such operation"]})),
    }
}

async fn result(State(b): State<Shared>, Path((_v, _s, o, _t)): Path<(String, String, String, u32)>) -> Response {
    match b.lock().expect("the bridge's state").operations.get(&o) {
        Some(None) => reply(
            StatusCode::OK,
            json!({"resultType": "NOT_READY", "results": {"columns": [], "data": []}}),
        ),
        Some(Some(Ok(Some(job)))) => reply(
            StatusCode::OK,
            json!({"resultType": "EOS", "jobID": job, "results": {"columns": [{"name": "job id"}], "data": [{"kind": "INSERT", "fields": [job]}]}}),
        ),
        Some(Some(Ok(None))) => reply(
            StatusCode::OK,
            json!({"resultType": "EOS", "results": {"columns": [{"name": "result"}], "data": [{"kind": "INSERT", "fields": ["OK"]}]}}),
        ),
        Some(Some(Err(text))) => flink_error(text),
        None => reply(StatusCode::NOT_FOUND, json!({"errors": ["no such operation"]})),
    }
}

async fn close_operation(State(b): State<Shared>, Path((_v, _s, o)): Path<(String, String, String)>) -> Response {
    b.lock().expect("the bridge's state").operations.remove(&o);
    reply(StatusCode::OK, json!({"status": "CLOSED"}))
}

/// Uploads the SQL runner, runs it with the statements, removes it: the job id, or Flink's
/// error (the innermost `Caused by:` of its answer).
fn run_on_cluster(flink_url: &str, runner: &std::path::Path, statements: &[String]) -> Result<Option<String>, String> {
    use ureq::unversioned::multipart::{Form, Part};
    let agent = ureq::Agent::config_builder()
        .timeout_global(Some(Duration::from_secs(180)))
        .http_status_as_error(false)
        .build()
        .new_agent();
    let part = Part::file(runner)
        .map_err(|e| e.to_string())?
        .mime_str("application/x-java-archive")
        .map_err(|e| e.to_string())?;
    let uploaded = answer(
        agent
            .post(format!("{flink_url}/jars/upload"))
            .send(Form::new().part("jarfile", part)),
    )?;
    let jar = uploaded["filename"]
        .as_str()
        .and_then(|f| f.rsplit('/').next())
        .ok_or("the upload named no file")?
        .to_owned();
    let ran = answer(
        agent
            .post(format!("{flink_url}/jars/{jar}/run"))
            .header("Content-Type", "application/json")
            .send(json!({ "programArgsList": statements }).to_string()),
    );
    let _ = agent.delete(format!("{flink_url}/jars/{jar}")).call();
    Ok(ran?["jobid"].as_str().map(str::to_owned))
}

fn answer(response: Result<ureq::http::Response<ureq::Body>, ureq::Error>) -> Result<Value, String> {
    let mut response = response.map_err(|e| e.to_string())?;
    let ok = response.status().is_success();
    let text = response.body_mut().read_to_string().map_err(|e| e.to_string())?;
    let body: Value = serde_json::from_str(&text).unwrap_or(Value::String(text));
    if ok {
        return Ok(body);
    }
    let trace = body["errors"]
        .as_array()
        .and_then(|e| e.last())
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_owned();
    Err(trace
        .lines()
        .filter_map(|l| l.trim().strip_prefix("Caused by: "))
        .next_back()
        .unwrap_or(&trace)
        .to_owned())
}
