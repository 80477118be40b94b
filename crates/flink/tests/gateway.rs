//! The SQL Gateway client against a test double of Flink's documented SQL Gateway REST API (the
//! gateway jar is not obtainable here; the shapes follow Flink 2.1's API and the project's
//! component notes): sessions, statements, status polling, NOT_READY, paging by nextResultUri,
//! errors with Flink's body, closed sessions.

use std::collections::{BTreeMap, HashMap};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get, post};
use pipegen_config::FlinkConfig;
use pipegen_flink::{GatewayError, SqlGateway, session_properties};
use serde_json::{Value, json};

#[derive(Default)]
struct Operation {
    statement: String,
    status_polls: u32,
    result_fetches: u32,
}

/// A session's properties and its open operations.
type SessionState = (BTreeMap<String, String>, HashMap<String, Operation>);

#[derive(Default)]
struct Double {
    sessions: HashMap<String, SessionState>,
    next: u32,
}

type Shared = Arc<Mutex<Double>>;

fn json_reply(status: StatusCode, body: Value) -> Response {
    (status, [("content-type", "application/json")], body.to_string()).into_response()
}

fn missing_session(id: &str) -> Response {
    json_reply(
        StatusCode::NOT_FOUND,
        json!({"errors": [format!("Session '{id}' does not exist.")]}),
    )
}

async fn open_session(State(d): State<Shared>, body: String) -> Response {
    let body: Value = serde_json::from_str(&body).unwrap_or_default();
    let properties: BTreeMap<String, String> = serde_json::from_value(body["properties"].clone()).unwrap_or_default();
    let mut d = d.lock().unwrap();
    d.next += 1;
    let handle = format!("session-{}", d.next);
    d.sessions.insert(handle.clone(), (properties, HashMap::new()));
    json_reply(StatusCode::OK, json!({"sessionHandle": handle}))
}

async fn close_session(State(d): State<Shared>, Path((_v, s)): Path<(String, String)>) -> Response {
    match d.lock().unwrap().sessions.remove(&s) {
        Some(_) => json_reply(StatusCode::OK, json!({"status": "CLOSED"})),
        None => missing_session(&s),
    }
}

async fn submit(State(d): State<Shared>, Path((_v, s)): Path<(String, String)>, body: String) -> Response {
    let body: Value = serde_json::from_str(&body).unwrap_or_default();
    let mut d = d.lock().unwrap();
    d.next += 1;
    let handle = format!("op-{}", d.next);
    let Some((_, ops)) = d.sessions.get_mut(&s) else {
        return missing_session(&s);
    };
    ops.insert(
        handle.clone(),
        Operation {
            statement: body["statement"].as_str().unwrap_or("").to_owned(),
            ..Operation::default()
        },
    );
    json_reply(StatusCode::OK, json!({"operationHandle": handle}))
}

fn failing(statement: &str) -> bool {
    statement.contains("missing")
}

async fn status(State(d): State<Shared>, Path((_v, s, o)): Path<(String, String, String)>) -> Response {
    let mut d = d.lock().unwrap();
    let Some((_, ops)) = d.sessions.get_mut(&s) else {
        return missing_session(&s);
    };
    let Some(op) = ops.get_mut(&o) else {
        return json_reply(StatusCode::NOT_FOUND, json!({"errors": ["no such operation"]}));
    };
    op.status_polls += 1;
    let status = if op.status_polls < 3 {
        "RUNNING"
    } else if failing(&op.statement) {
        "ERROR"
    } else {
        "FINISHED"
    };
    json_reply(StatusCode::OK, json!({"status": status}))
}

async fn result(State(d): State<Shared>, Path((v, s, o, token)): Path<(String, String, String, u32)>) -> Response {
    let mut d = d.lock().unwrap();
    let Some((_, ops)) = d.sessions.get_mut(&s) else {
        return missing_session(&s);
    };
    let Some(op) = ops.get_mut(&o) else {
        return json_reply(StatusCode::NOT_FOUND, json!({"errors": ["no such operation"]}));
    };
    if failing(&op.statement) {
        return json_reply(
            StatusCode::INTERNAL_SERVER_ERROR,
            json!({"errors": ["Internal server error.", "<Exception on server side:\norg.apache.flink.table.gateway.api.utils.SqlGatewayException: Failed to fetchResults.\n\tat org.apache.flink...\nCaused by: org.apache.flink.table.api.ValidationException: Object 'missing' not found\n\tat org.apache.flink...\n>"]}),
        );
    }
    op.result_fetches += 1;
    let next = |n: u32| format!("/{v}/sessions/{s}/operations/{o}/result/{n}?rowFormat=JSON");
    let statement = op.statement.to_ascii_uppercase();
    let page = if statement.starts_with("INSERT") {
        json!({"resultType": "PAYLOAD", "isQueryResult": false, "jobID": "6f1a2b3c4d5e6f708192a3b4c5d6e7f8", "resultKind": "SUCCESS_WITH_CONTENT",
               "results": {"columns": [{"name": "job id", "logicalType": {"type": "VARCHAR", "nullable": false}}], "rowFormat": "JSON",
                           "data": [{"kind": "INSERT", "fields": ["6f1a2b3c4d5e6f708192a3b4c5d6e7f8"]}]}})
    } else if statement.starts_with("SELECT") {
        match (token, op.result_fetches) {
            (0, 1) => json!({"resultType": "NOT_READY", "nextResultUri": next(0)}),
            (0, _) => json!({"resultType": "PAYLOAD", "isQueryResult": true, "resultKind": "SUCCESS_WITH_CONTENT",
                             "results": {"columns": [{"name": "k"}, {"name": "cnt"}], "rowFormat": "JSON",
                                         "data": [{"kind": "INSERT", "fields": ["a", 1]}, {"kind": "INSERT", "fields": ["b", 2]}]},
                             "nextResultUri": next(1)}),
            (1, _) => json!({"resultType": "PAYLOAD", "isQueryResult": true,
                             "results": {"columns": [{"name": "k"}, {"name": "cnt"}], "rowFormat": "JSON",
                                         "data": [{"kind": "UPDATE_BEFORE", "fields": ["a", 1]}, {"kind": "UPDATE_AFTER", "fields": ["a", 3]}]},
                             "nextResultUri": next(2)}),
            _ => json!({"resultType": "EOS", "results": {"columns": [], "data": []}}),
        }
    } else if token == 0 {
        json!({"resultType": "PAYLOAD", "resultKind": "SUCCESS", "results": {"columns": [{"name": "result"}], "rowFormat": "JSON",
               "data": [{"kind": "INSERT", "fields": ["OK"]}]}, "nextResultUri": next(1)})
    } else {
        json!({"resultType": "EOS", "results": {"columns": [], "data": []}})
    };
    json_reply(StatusCode::OK, page)
}

async fn close_operation(State(d): State<Shared>, Path((_v, s, o)): Path<(String, String, String)>) -> Response {
    let mut d = d.lock().unwrap();
    let Some((_, ops)) = d.sessions.get_mut(&s) else {
        return missing_session(&s);
    };
    ops.remove(&o);
    json_reply(StatusCode::OK, json!({"status": "CLOSED"}))
}

struct Running {
    address: SocketAddr,
    state: Shared,
    _runtime: tokio::runtime::Runtime,
}

fn start() -> Running {
    let state: Shared = Arc::default();
    let app = Router::new()
        .route(
            "/api_versions",
            get(|| async { json_reply(StatusCode::OK, json!(["V1", "V2", "V3", "V4"])) }),
        )
        .route(
            "/{v}/info",
            get(|| async {
                json_reply(
                    StatusCode::OK,
                    json!({"productName": "Apache Flink", "version": "2.1.0"}),
                )
            }),
        )
        .route("/{v}/sessions", post(open_session))
        .route("/{v}/sessions/{s}", delete(close_session))
        .route("/{v}/sessions/{s}/statements", post(submit))
        .route("/{v}/sessions/{s}/operations/{o}/status", get(status))
        .route("/{v}/sessions/{s}/operations/{o}/result/{token}", get(result))
        .route("/{v}/sessions/{s}/operations/{o}/close", delete(close_operation))
        .with_state(state.clone());
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    let listener = runtime.block_on(tokio::net::TcpListener::bind("127.0.0.1:0")).unwrap();
    let address = listener.local_addr().unwrap();
    runtime.spawn(async move { axum::serve(listener, app).await });
    Running {
        address,
        state,
        _runtime: runtime,
    }
}

fn gateway(running: &Running) -> SqlGateway {
    SqlGateway::connect(&format!("http://{}", running.address), Duration::from_secs(5)).unwrap()
}

#[test]
fn runs_statements_in_one_session_with_the_flink_settings() {
    let running = start();
    let gateway = gateway(&running);
    assert_eq!(gateway.api_version(), "v4");
    assert_eq!(gateway.info().unwrap(), ("Apache Flink".to_owned(), "2.1.0".to_owned()));

    let flink = FlinkConfig {
        parallelism: 4,
        ..FlinkConfig::default()
    };
    let session = gateway
        .open_session("pipegen-run-1", &session_properties(&flink))
        .unwrap();
    {
        let state = running.state.lock().unwrap();
        let (properties, _) = &state.sessions[&session.0];
        assert_eq!(properties.get("parallelism.default").map(String::as_str), Some("4"));
    }
    let set = gateway
        .execute(&session, "SET 'pipeline.auto-watermark-interval' = '0 ms'")
        .unwrap();
    assert_eq!(set.rows, [("INSERT".to_owned(), vec![json!("OK")])]);
    gateway
        .execute(&session, "CREATE TABLE t (a INT) WITH ('connector' = 'datagen')")
        .unwrap();
    let insert = gateway.execute(&session, "INSERT INTO s SELECT * FROM t").unwrap();
    assert_eq!(insert.job_id.as_deref(), Some("6f1a2b3c4d5e6f708192a3b4c5d6e7f8"));

    let query = gateway
        .execute(&session, "SELECT k, COUNT(*) AS cnt FROM t GROUP BY k")
        .unwrap();
    assert_eq!(query.columns, ["k", "cnt"]);
    let kinds: Vec<&str> = query.rows.iter().map(|(k, _)| k.as_str()).collect();
    assert_eq!(
        kinds,
        ["INSERT", "INSERT", "UPDATE_BEFORE", "UPDATE_AFTER"],
        "NOT_READY waited out, every page read"
    );
    assert!(
        running.state.lock().unwrap().sessions[&session.0].1.is_empty(),
        "every operation closed"
    );

    gateway.close_session(&session).unwrap();
    let err = gateway.execute(&session, "SELECT 1").unwrap_err();
    assert!(
        matches!(&err, GatewayError::Refused { status: 404, message, .. } if message.contains("does not exist")),
        "{err}"
    );
}

#[test]
fn a_failing_statement_reports_flinks_root_cause() {
    let running = start();
    let gateway = gateway(&running);
    let session = gateway.open_session("pipegen", &BTreeMap::new()).unwrap();
    let err = gateway
        .execute(&session, "INSERT INTO sink SELECT * FROM missing")
        .unwrap_err();
    assert_eq!(
        err,
        GatewayError::Statement {
            message: "org.apache.flink.table.api.ValidationException: Object 'missing' not found".into()
        }
    );
}

#[test]
fn an_unreachable_gateway_is_named() {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let url = format!("http://127.0.0.1:{port}");
    let err = SqlGateway::connect(&url, Duration::from_secs(2)).err().unwrap();
    assert!(
        err.to_string().contains(&url) && err.to_string().contains("not reachable"),
        "{err}"
    );
}
