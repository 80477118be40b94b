//! The embedded registry over HTTP, speaking Confluent's REST API, on its own thread.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde_json::{Value, json};

use crate::store::{Compatibility, RegistryStore, StoreError};

/// Confluent's content type; plain `application/json` is accepted on requests too.
pub const CONTENT_TYPE: &str = "application/vnd.schemaregistry.v1+json";

type Shared = Arc<Mutex<RegistryStore>>;

/// A running embedded registry. Dropping it stops the server.
pub struct EmbeddedRegistry {
    address: SocketAddr,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl EmbeddedRegistry {
    /// Serves on `bind` (use `127.0.0.1:0` for a free loopback port).
    pub fn start(bind: SocketAddr) -> std::io::Result<Self> {
        let listener = std::net::TcpListener::bind(bind)?;
        listener.set_nonblocking(true)?;
        let address = listener.local_addr()?;
        let (shutdown, stopped) = tokio::sync::oneshot::channel::<()>();
        let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
        let thread = std::thread::Builder::new()
            .name("pipegen-registry".into())
            .spawn(move || {
                runtime.block_on(async move {
                    let Ok(listener) = tokio::net::TcpListener::from_std(listener) else {
                        return;
                    };
                    let app = router(Arc::new(Mutex::new(RegistryStore::default())));
                    let _ = axum::serve(listener, app)
                        .with_graceful_shutdown(async {
                            let _ = stopped.await;
                        })
                        .await;
                });
            })?;
        Ok(Self {
            address,
            shutdown: Some(shutdown),
            thread: Some(thread),
        })
    }

    pub fn address(&self) -> SocketAddr {
        self.address
    }

    pub fn url(&self) -> String {
        format!("http://{}", self.address)
    }
}

impl Drop for EmbeddedRegistry {
    fn drop(&mut self) {
        if let Some(shutdown) = self.shutdown.take() {
            let _ = shutdown.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

fn router(store: Shared) -> Router {
    Router::new()
        .route("/", get(|| async { reply(StatusCode::OK, json!({})) }))
        .route("/subjects", get(subjects))
        .route("/subjects/{subject}", post(lookup).delete(delete_subject))
        .route("/subjects/{subject}/versions", get(versions).post(register))
        .route("/subjects/{subject}/versions/{version}", get(version))
        .route("/subjects/{subject}/versions/{version}/schema", get(version_schema))
        .route("/schemas/ids/{id}", get(schema_by_id))
        .route(
            "/compatibility/subjects/{subject}/versions/{version}",
            post(compatibility),
        )
        .route("/config", get(config).put(set_config))
        .route("/config/{subject}", get(subject_config).put(set_subject_config))
        .with_state(store)
}

fn reply(status: StatusCode, body: Value) -> Response {
    (status, [(header::CONTENT_TYPE, CONTENT_TYPE)], body.to_string()).into_response()
}

fn failure(e: StoreError) -> Response {
    let status = StatusCode::from_u16(e.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    reply(status, json!({ "error_code": e.code, "message": e.message }))
}

fn outcome(result: Result<Value, StoreError>) -> Response {
    result.map_or_else(failure, |body| reply(StatusCode::OK, body))
}

/// The `schema` of a request body (only AVRO: other schema types are refused clearly).
fn schema_of(body: &Bytes) -> Result<String, StoreError> {
    let unprocessable = |message: String| StoreError {
        status: 422,
        code: 42201,
        message,
    };
    let value: Value = serde_json::from_slice(body).map_err(|e| unprocessable(format!("Invalid request body: {e}")))?;
    if let Some(kind) = value.get("schemaType").and_then(Value::as_str)
        && kind != "AVRO"
    {
        return Err(unprocessable(format!(
            "Schema type {kind} is not supported by the embedded registry (AVRO only)"
        )));
    }
    value
        .get("schema")
        .and_then(Value::as_str)
        .map(str::to_owned)
        .ok_or_else(|| unprocessable("The request body has no \"schema\"".into()))
}

fn with_store<T>(store: &Shared, f: impl FnOnce(&mut RegistryStore) -> T) -> T {
    f(&mut store.lock().unwrap_or_else(|p| p.into_inner()))
}

async fn subjects(State(store): State<Shared>) -> Response {
    outcome(Ok(json!(with_store(&store, |s| s.subjects()))))
}

async fn versions(State(store): State<Shared>, Path(subject): Path<String>) -> Response {
    outcome(with_store(&store, |s| s.versions(&subject)).map(|v| json!(v)))
}

async fn register(State(store): State<Shared>, Path(subject): Path<String>, body: Bytes) -> Response {
    outcome(
        schema_of(&body)
            .and_then(|schema| with_store(&store, |s| s.register(&subject, &schema)))
            .map(|id| json!({ "id": id })),
    )
}

async fn version(State(store): State<Shared>, Path((subject, version)): Path<(String, String)>) -> Response {
    outcome(with_store(&store, |s| s.version(&subject, &version)).map(|v| json!(v)))
}

async fn version_schema(State(store): State<Shared>, Path((subject, version)): Path<(String, String)>) -> Response {
    match with_store(&store, |s| s.version(&subject, &version)) {
        Ok(v) => (StatusCode::OK, [(header::CONTENT_TYPE, CONTENT_TYPE)], v.schema).into_response(),
        Err(e) => failure(e),
    }
}

async fn lookup(State(store): State<Shared>, Path(subject): Path<String>, body: Bytes) -> Response {
    outcome(
        schema_of(&body)
            .and_then(|schema| with_store(&store, |s| s.lookup(&subject, &schema)))
            .map(|v| json!(v)),
    )
}

async fn delete_subject(State(store): State<Shared>, Path(subject): Path<String>) -> Response {
    outcome(with_store(&store, |s| s.delete_subject(&subject)).map(|v| json!(v)))
}

async fn schema_by_id(State(store): State<Shared>, Path(id): Path<String>) -> Response {
    let id: u32 = id.parse().unwrap_or(0);
    outcome(with_store(&store, |s| {
        s.schema_by_id(id).map(|text| json!({ "schema": text }))
    }))
}

async fn compatibility(
    State(store): State<Shared>,
    Path((subject, _version)): Path<(String, String)>,
    body: Bytes,
) -> Response {
    let result = schema_of(&body).and_then(|schema| with_store(&store, |s| s.check(&subject, &schema)));
    outcome(result.map(|problems| json!({ "is_compatible": problems.is_empty(), "messages": problems })))
}

async fn config(State(store): State<Shared>) -> Response {
    reply(
        StatusCode::OK,
        json!({ "compatibilityLevel": with_store(&store, |s| s.compatibility) }),
    )
}

fn level_of(body: &Bytes) -> Result<Compatibility, StoreError> {
    serde_json::from_slice::<Value>(body)
        .ok()
        .and_then(|v| v.get("compatibility").cloned())
        .and_then(|v| serde_json::from_value(v).ok())
        .ok_or_else(|| StoreError {
            status: 422,
            code: 42203,
            message: "Invalid compatibility level".into(),
        })
}

async fn set_config(State(store): State<Shared>, body: Bytes) -> Response {
    outcome(level_of(&body).map(|level| {
        with_store(&store, |s| s.compatibility = level);
        json!({ "compatibility": level })
    }))
}

async fn subject_config(State(store): State<Shared>, Path(subject): Path<String>) -> Response {
    reply(
        StatusCode::OK,
        json!({ "compatibilityLevel": with_store(&store, |s| s.compatibility_of(&subject)) }),
    )
}

async fn set_subject_config(State(store): State<Shared>, Path(subject): Path<String>, body: Bytes) -> Response {
    outcome(level_of(&body).map(|level| {
        with_store(&store, |s| s.set_subject_compatibility(&subject, level));
        json!({ "compatibility": level })
    }))
}
