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
use pipegen_flink::{DeployError, GatewayError, SqlFile, SqlGateway, Substitutions, deploy, session_properties};
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
    /// The API versions this gateway speaks (`/api_versions`); none: a gateway without it.
    versions: Vec<&'static str>,
    sessions: HashMap<String, SessionState>,
    next: u32,
    /// Every statement submitted, as received.
    statements: Vec<String>,
}

impl Double {
    /// Flink answers a path of a version it does not speak with 404 Not found.
    fn unsupported(&self, version: &str) -> Option<Response> {
        (!self.versions.iter().any(|v| v.eq_ignore_ascii_case(version))).then(|| {
            json_reply(
                StatusCode::NOT_FOUND,
                json!({"errors": [format!("Not found: /{version}")]}),
            )
        })
    }
}

type Shared = Arc<Mutex<Double>>;

fn json_reply(status: StatusCode, body: Value) -> Response {
    (status, [("content-type", "application/json")], body.to_string()).into_response()
}

/// Flink's SessionManager throws for an unknown handle; the REST layer answers it as an
/// internal error.
fn missing_session(id: &str) -> Response {
    json_reply(
        StatusCode::INTERNAL_SERVER_ERROR,
        json!({"errors": ["Internal server error.", format!("<Exception on server side:\norg.apache.flink.table.gateway.api.utils.SqlGatewayException: Session '{id}' does not exist.\n\tat org.apache.flink.table.gateway.service.session.SessionManagerImpl.getSession(SessionManagerImpl.java:136)\n>")]}),
    )
}

async fn open_session(State(d): State<Shared>, Path(v): Path<String>, body: String) -> Response {
    let body: Value = serde_json::from_str(&body).unwrap_or_default();
    let properties: BTreeMap<String, String> = serde_json::from_value(body["properties"].clone()).unwrap_or_default();
    let mut d = d.lock().unwrap();
    if let Some(refused) = d.unsupported(&v) {
        return refused;
    }
    d.next += 1;
    let handle = format!("session-{}", d.next);
    d.sessions.insert(handle.clone(), (properties, HashMap::new()));
    json_reply(StatusCode::OK, json!({"sessionHandle": handle}))
}

async fn close_session(State(d): State<Shared>, Path((v, s)): Path<(String, String)>) -> Response {
    let mut d = d.lock().unwrap();
    if let Some(refused) = d.unsupported(&v) {
        return refused;
    }
    match d.sessions.remove(&s) {
        Some(_) => json_reply(StatusCode::OK, json!({"status": "CLOSED"})),
        None => missing_session(&s),
    }
}

async fn submit(State(d): State<Shared>, Path((v, s)): Path<(String, String)>, body: String) -> Response {
    let body: Value = serde_json::from_str(&body).unwrap_or_default();
    let mut d = d.lock().unwrap();
    if let Some(refused) = d.unsupported(&v) {
        return refused;
    }
    let statement = body["statement"].as_str().unwrap_or("").to_owned();
    d.statements.push(statement.clone());
    d.next += 1;
    let handle = format!("op-{}", d.next);
    let Some((_, ops)) = d.sessions.get_mut(&s) else {
        return missing_session(&s);
    };
    ops.insert(
        handle.clone(),
        Operation {
            statement,
            ..Operation::default()
        },
    );
    json_reply(StatusCode::OK, json!({"operationHandle": handle}))
}

fn failing(statement: &str) -> bool {
    statement.contains("missing")
}

async fn status(State(d): State<Shared>, Path((v, s, o)): Path<(String, String, String)>) -> Response {
    let mut d = d.lock().unwrap();
    if let Some(refused) = d.unsupported(&v) {
        return refused;
    }
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
    if let Some(refused) = d.unsupported(&v) {
        return refused;
    }
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
    // A job's id: the operation handle's number, so each INSERT gets its own.
    let job = format!(
        "{:032x}",
        o.trim_start_matches("op-").parse::<u128>().unwrap_or(0) + 0x6f1a_0000
    );
    let page = if (statement.starts_with("INSERT") || statement.starts_with("EXECUTE STATEMENT SET"))
        && op.result_fetches == 1
    {
        // The job is still being submitted: the gateway says NOT_READY and points at the
        // same page.
        json!({"resultType": "NOT_READY", "nextResultUri": next(token)})
    } else if statement.starts_with("INSERT") || statement.starts_with("EXECUTE STATEMENT SET") {
        json!({"resultType": "EOS", "isQueryResult": false, "jobID": job, "resultKind": "SUCCESS_WITH_CONTENT",
               "results": {"columns": [{"name": "job id", "logicalType": {"type": "VARCHAR", "nullable": false}}], "rowFormat": "JSON",
                           "data": [{"kind": "INSERT", "fields": [job]}]}})
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

async fn close_operation(State(d): State<Shared>, Path((v, s, o)): Path<(String, String, String)>) -> Response {
    let mut d = d.lock().unwrap();
    if let Some(refused) = d.unsupported(&v) {
        return refused;
    }
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
    start_speaking(&["V1", "V2", "V3", "V4"])
}

/// A gateway offering `versions` (an empty list: one from before `/api_versions`, v1 only).
fn start_speaking(versions: &[&'static str]) -> Running {
    let state: Shared = Arc::new(Mutex::new(Double {
        versions: if versions.is_empty() {
            vec!["V1"]
        } else {
            versions.to_vec()
        },
        ..Double::default()
    }));
    let offered: Vec<&'static str> = versions.to_vec();
    let mut app = Router::new();
    if !offered.is_empty() {
        // Flink 2.1 answers `{"versions": [...]}`.
        app = app.route(
            "/api_versions",
            get(move || {
                let offered = offered.clone();
                async move { json_reply(StatusCode::OK, json!({ "versions": offered })) }
            }),
        );
    }
    let app = app
        .route(
            "/{v}/info",
            get(|State(d): State<Shared>, Path(v): Path<String>| async move {
                if let Some(refused) = d.lock().unwrap().unsupported(&v) {
                    return refused;
                }
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
    let job = insert.job_id.expect("the INSERT's job id, after NOT_READY");
    assert_eq!(insert.rows, [("INSERT".to_owned(), vec![json!(job)])]);

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
    assert!(
        running.state.lock().unwrap().sessions.is_empty(),
        "the session is closed"
    );
    let err = gateway.execute(&session, "SELECT 1").unwrap_err();
    assert_eq!(
        err,
        GatewayError::SessionClosed {
            session: session.0.clone()
        }
    );
    assert!(err.to_string().contains("closed or expired"), "{err}");
    gateway
        .close_session(&session)
        .expect("closing a closed session is not an error");
}

#[test]
fn older_gateways_are_spoken_to_in_their_version() {
    let running = start_speaking(&["V1", "V2"]);
    let v2 = gateway(&running);
    assert_eq!(v2.api_version(), "v2");
    let session = v2.open_session("pipegen", &BTreeMap::new()).unwrap();
    v2.execute(&session, "CREATE TABLE t (a INT)").unwrap();
    v2.close_session(&session).unwrap();

    // Before Flink 1.17 there was no /api_versions: v1.
    let running = start_speaking(&[]);
    let v1 = gateway(&running);
    assert_eq!(v1.api_version(), "v1");
    assert_eq!(v1.info().unwrap().1, "2.1.0");
    let session = v1.open_session("pipegen", &BTreeMap::new()).unwrap();
    assert!(v1.execute(&session, "INSERT INTO s SELECT 1").unwrap().job_id.is_some());
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

#[test]
fn deploys_files_in_order_with_the_clusters_addresses_and_names_the_failing_line() {
    let running = start();
    let gateway = gateway(&running);
    let session = gateway.open_session("pipegen-run", &BTreeMap::new()).unwrap();
    let files = [
        SqlFile {
            shown: "sql/01_tables.sql",
            text: "-- the input\nCREATE TABLE clicks (a INT) WITH (\n  'connector' = 'kafka',\n  'topic' = 'clicks',\n  'properties.bootstrap.servers' = '${BOOTSTRAP_SERVERS}');\n\nINSERT INTO out SELECT * FROM clicks;\n",
        },
        SqlFile {
            shown: "sql/02_jobs.sql",
            text: "EXECUTE STATEMENT SET BEGIN\nINSERT INTO a SELECT 1;\nINSERT INTO b SELECT 2;\nEND;\n\n\nINSERT INTO c\nSELECT * FROM missing;\nINSERT INTO never SELECT 1;\n",
        },
    ];
    let substitutions = Substitutions {
        // The brokers as the TaskManagers reach them, not as pipegen does.
        placeholders: BTreeMap::from([("BOOTSTRAP_SERVERS".to_owned(), "kafka-internal:29092".to_owned())]),
        topics: BTreeMap::from([("clicks".to_owned(), "clicks-run7".to_owned())]),
    };
    let mut started = Vec::new();
    let err = deploy(&gateway, &session, &files, &substitutions, &mut started).unwrap_err();
    assert_eq!(
        err,
        DeployError::Statement {
            file: "sql/02_jobs.sql".into(),
            line: 7,
            statement: "INSERT INTO c".into(),
            message: "org.apache.flink.table.api.ValidationException: Object 'missing' not found".into(),
        }
    );
    assert!(
        err.to_string()
            .starts_with("sql/02_jobs.sql:7: Flink rejected `INSERT INTO c`"),
        "{err}"
    );
    let lines: Vec<(&str, usize)> = started.iter().map(|j| (j.file.as_str(), j.line)).collect();
    assert_eq!(
        lines,
        [("sql/01_tables.sql", 7), ("sql/02_jobs.sql", 1)],
        "the jobs started before the failure, for cleanup"
    );
    assert_ne!(started[0].job_id, started[1].job_id);

    let received = running.state.lock().unwrap().statements.clone();
    assert_eq!(received.len(), 4, "nothing after the failing statement: {received:?}");
    assert!(
        received[0].contains("'kafka-internal:29092'") && received[0].contains("'topic' = 'clicks-run7'"),
        "{}",
        received[0]
    );
    assert!(received.iter().all(|s| !s.contains("${")));
    assert!(received[2].starts_with("EXECUTE STATEMENT SET BEGIN") && received[2].ends_with("END"));
}
