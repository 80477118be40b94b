//! The embedded registry over HTTP, speaking Confluent's REST API, on its own thread.
//!
//! Without a journal it lives as long as the process; with one ([`EmbeddedRegistry::start_with_journal`])
//! it replays the journal before it serves, catches up with it before every change, and
//! answers a change only once the journal acknowledged it.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, Request, State};
use axum::http::{Method, StatusCode, Uri, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde_json::{Value, json};

use crate::journal::{JournalError, JournalTransport, Record};
use crate::store::{Compatibility, Deleted, RegistryStore, StoreError};
use pipegen_http_guard::Guard;

/// Confluent's content type; plain `application/json` is accepted on requests too.
pub const CONTENT_TYPE: &str = "application/vnd.schemaregistry.v1+json";

/// The request body types Confluent's registry accepts.
const ACCEPTED_BODIES: [&str; 4] = [
    CONTENT_TYPE,
    "application/vnd.schemaregistry+json",
    "application/json",
    "application/octet-stream",
];

struct Inner {
    store: RegistryStore,
    journal: Option<Box<dyn JournalTransport>>,
}

type Shared = Arc<Mutex<Inner>>;

fn store_failure(e: JournalError) -> StoreError {
    match e {
        JournalError::Failed(reason) => {
            StoreError::new(500, 50001, format!("Error in the backend data store: {reason}"))
        }
        JournalError::TimedOut(reason) => StoreError::new(
            500,
            50002,
            format!("The backend data store did not answer in time: {reason}"),
        ),
    }
}

impl Inner {
    fn apply_raw(&mut self, raws: &[crate::journal::RawRecord]) {
        for raw in raws {
            match Record::decode(raw) {
                Ok(Some(record)) => self.store.apply(&record),
                Ok(None) => {}
                Err(reason) => tracing::warn!("skipping a schema journal record: {reason}"),
            }
        }
    }

    /// Reads what the journal holds that this registry has not seen yet (its own NOOP
    /// record marks the end, as Confluent's registry finds it).
    fn sync(&mut self) -> Result<(), JournalError> {
        let Some(journal) = self.journal.as_mut() else {
            return Ok(());
        };
        let position = journal.append(&Record::Noop.encode())?;
        let raws = journal.read_through(position)?;
        self.apply_raw(&raws);
        Ok(())
    }

    /// Journals a change (acknowledged), then applies it as the journal holds it.
    fn write(&mut self, records: &[Record]) -> Result<(), JournalError> {
        if records.is_empty() {
            return Ok(());
        }
        let Some(journal) = self.journal.as_mut() else {
            self.store.commit(records);
            return Ok(());
        };
        let mut last = 0;
        for record in records {
            last = journal.append(&record.encode())?;
        }
        match journal.read_through(last) {
            Ok(raws) => self.apply_raw(&raws),
            Err(e) => {
                // Acknowledged, so it is kept; the next catch-up reads it back.
                tracing::warn!("a schema change was journaled but not read back yet: {e}");
                self.store.commit(records);
            }
        }
        Ok(())
    }

    fn mutate<T>(
        &mut self,
        change: impl FnOnce(&RegistryStore) -> Result<(T, Vec<Record>), StoreError>,
    ) -> Result<T, StoreError> {
        self.sync().map_err(store_failure)?;
        let (value, records) = change(&self.store)?;
        self.write(&records).map_err(store_failure)?;
        Ok(value)
    }
}

/// A running embedded registry. Dropping it stops the server.
pub struct EmbeddedRegistry {
    address: SocketAddr,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl EmbeddedRegistry {
    /// Serves on `bind` (use `127.0.0.1:0` for a free loopback port), keeping schemas in memory.
    pub fn start(bind: SocketAddr) -> std::io::Result<Self> {
        Self::serve(bind, None)
    }

    /// Serves on `bind`, keeping schemas in `journal`: what it holds is replayed first, so
    /// ids and versions continue where an earlier registry on it left them.
    pub fn start_with_journal(bind: SocketAddr, journal: Box<dyn JournalTransport>) -> std::io::Result<Self> {
        Self::serve(bind, Some(journal))
    }

    fn serve(bind: SocketAddr, journal: Option<Box<dyn JournalTransport>>) -> std::io::Result<Self> {
        let mut inner = Inner {
            store: RegistryStore::default(),
            journal,
        };
        inner
            .sync()
            .map_err(|e| std::io::Error::other(format!("reading the schemas kept before: {e}")))?;
        let listener = std::net::TcpListener::bind(bind)?;
        listener.set_nonblocking(true)?;
        let address = listener.local_addr()?;
        let (shutdown, stopped) = tokio::sync::oneshot::channel::<()>();
        let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
        let app = router(Arc::new(Mutex::new(inner)), Guard::new(address));
        let thread = std::thread::Builder::new()
            .name("pipegen-registry".into())
            .spawn(move || {
                runtime.block_on(async move {
                    let Ok(listener) = tokio::net::TcpListener::from_std(listener) else {
                        return;
                    };
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

fn router(store: Shared, guard: Guard) -> Router {
    Router::new()
        .route("/", get(|| async { reply(StatusCode::OK, json!({})) }))
        .route("/subjects", get(subjects))
        .route("/subjects/{subject}", post(lookup).delete(delete_subject))
        .route("/subjects/{subject}/versions", get(versions).post(register))
        .route(
            "/subjects/{subject}/versions/{version}",
            get(version).delete(delete_version),
        )
        .route("/subjects/{subject}/versions/{version}/schema", get(version_schema))
        .route(
            "/subjects/{subject}/versions/{version}/referencedby",
            get(referenced_by),
        )
        .route(
            "/schemas/types",
            get(|| async { reply(StatusCode::OK, json!(["AVRO"])) }),
        )
        .route("/schemas/ids/{id}", get(schema_by_id))
        .route("/schemas/ids/{id}/schema", get(raw_schema_by_id))
        .route("/schemas/ids/{id}/subjects", get(subjects_of_id))
        .route("/schemas/ids/{id}/versions", get(versions_of_id))
        .route("/compatibility/subjects/{subject}/versions", post(compatibility_all))
        .route(
            "/compatibility/subjects/{subject}/versions/{version}",
            post(compatibility),
        )
        .route("/config", get(config).put(set_config).delete(delete_config))
        .route(
            "/config/{subject}",
            get(subject_config)
                .put(set_subject_config)
                .delete(delete_subject_config),
        )
        .route("/mode", get(mode).put(set_mode))
        .route(
            "/mode/{subject}",
            get(subject_mode).put(set_mode).delete(delete_subject_mode),
        )
        .route("/contexts", get(|| async { reply(StatusCode::OK, json!(["."])) }))
        .fallback(|| async { error(StatusCode::NOT_FOUND, 404, "HTTP 404 Not Found") })
        .method_not_allowed_fallback(|| async {
            error(StatusCode::METHOD_NOT_ALLOWED, 405, "HTTP 405 Method Not Allowed")
        })
        .with_state(store)
        .layer(axum::middleware::from_fn_with_state(Arc::new(guard), guarded))
}

/// The Host, Origin and content-type checks, before any route.
async fn guarded(State(guard): State<Arc<Guard>>, request: Request, next: Next) -> Response {
    if let Err((status, message)) = guard.check(request.method(), request.headers(), "schema registry") {
        return error(status, u32::from(status.as_u16()), &message);
    }
    if matches!(*request.method(), Method::POST | Method::PUT)
        && let Some(kind) = request.headers().get(header::CONTENT_TYPE)
    {
        let kind = kind.to_str().unwrap_or("").to_ascii_lowercase();
        let essence = kind.split(';').next().unwrap_or("").trim().to_owned();
        if !ACCEPTED_BODIES.contains(&essence.as_str()) {
            return error(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                415,
                &format!("HTTP 415 Unsupported Media Type: send {CONTENT_TYPE} or application/json"),
            );
        }
    }
    next.run(request).await
}

fn reply(status: StatusCode, body: Value) -> Response {
    (status, [(header::CONTENT_TYPE, CONTENT_TYPE)], body.to_string()).into_response()
}

fn error(status: StatusCode, code: u32, message: &str) -> Response {
    reply(status, json!({ "error_code": code, "message": message }))
}

fn failure(e: StoreError) -> Response {
    let status = StatusCode::from_u16(e.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    error(status, e.code, &e.message)
}

fn outcome(result: Result<Value, StoreError>) -> Response {
    result.map_or_else(failure, |body| reply(StatusCode::OK, body))
}

/// Whether the query string sets `name=true`.
fn flag(uri: &Uri, name: &str) -> bool {
    uri.query()
        .into_iter()
        .flat_map(|q| q.split('&'))
        .filter_map(|pair| pair.split_once('='))
        .any(|(key, value)| key == name && value.eq_ignore_ascii_case("true"))
}

fn deleted(uri: &Uri) -> Deleted {
    if flag(uri, "deleted") {
        Deleted::Include
    } else {
        Deleted::Exclude
    }
}

fn bad_request(message: String) -> StoreError {
    StoreError::new(400, 400, message)
}

/// The `schema` of a request body (only AVRO: other schema types are refused clearly).
fn schema_of(body: &Bytes) -> Result<String, StoreError> {
    let invalid = |message: String| StoreError::new(422, 42201, message);
    let value: Value =
        serde_json::from_slice(body).map_err(|e| bad_request(format!("The request body is not JSON: {e}")))?;
    if let Some(kind) = value.get("schemaType").and_then(Value::as_str)
        && kind != "AVRO"
    {
        return Err(invalid(format!(
            "Invalid schema type {kind}: the embedded registry holds AVRO schemas only"
        )));
    }
    if value
        .get("references")
        .and_then(Value::as_array)
        .is_some_and(|r| !r.is_empty())
    {
        return Err(invalid(
            "Invalid schema: the embedded registry does not resolve schema references".into(),
        ));
    }
    value
        .get("schema")
        .and_then(Value::as_str)
        .map(str::to_owned)
        .ok_or_else(|| invalid("Invalid schema: the request body has no \"schema\"".into()))
}

fn lock(store: &Shared) -> std::sync::MutexGuard<'_, Inner> {
    store.lock().unwrap_or_else(|p| p.into_inner())
}

/// Runs `f` on the registry off the server's thread (a journal may block on the network).
async fn blocking(store: Shared, f: impl FnOnce(&mut Inner) -> Result<Value, StoreError> + Send + 'static) -> Response {
    match tokio::task::spawn_blocking(move || f(&mut lock(&store))).await {
        Ok(result) => outcome(result),
        Err(_) => failure(StoreError::new(500, 50001, "Error in the schema registry")),
    }
}

/// The value of a query parameter, percent-decoded.
fn param(uri: &Uri, name: &str) -> Option<String> {
    let raw = uri
        .query()?
        .split('&')
        .filter_map(|pair| pair.split_once('='))
        .find_map(|(key, value)| (key == name).then_some(value))?;
    let bytes = raw.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = bytes
            .get(i + 1..i + 3)
            .and_then(|h| std::str::from_utf8(h).ok())
            .and_then(|h| u8::from_str_radix(h, 16).ok());
        match (bytes[i], hex) {
            (b'%', Some(byte)) => {
                out.push(byte);
                i += 3;
            }
            (b'+', _) => {
                out.push(b' ');
                i += 1;
            }
            (byte, _) => {
                out.push(byte);
                i += 1;
            }
        }
    }
    Some(String::from_utf8_lossy(&out).into_owned())
}

async fn subjects(State(store): State<Shared>, uri: Uri) -> Response {
    // Confluent's name is deletedOnly; its Python client sends deleted_only.
    let deleted_only = flag(&uri, "deletedOnly") || flag(&uri, "deleted_only");
    let prefix = param(&uri, "subjectPrefix");
    let offset = param(&uri, "offset")
        .as_deref()
        .and_then(|o| o.parse::<usize>().ok())
        .unwrap_or(0);
    let limit = param(&uri, "limit")
        .as_deref()
        .and_then(|l| l.parse::<usize>().ok())
        .unwrap_or(usize::MAX);
    let inner = lock(&store);
    let mut subjects = inner
        .store
        .subjects(if deleted_only { Deleted::Include } else { deleted(&uri) });
    if deleted_only {
        let live = inner.store.subjects(Deleted::Exclude);
        subjects.retain(|s| !live.contains(s));
    }
    if let Some(prefix) = prefix.filter(|p| !p.is_empty() && p != ":*:") {
        subjects.retain(|s| s.starts_with(&prefix));
    }
    let page: Vec<String> = subjects.into_iter().skip(offset).take(limit).collect();
    outcome(Ok(json!(page)))
}

async fn versions(State(store): State<Shared>, Path(subject): Path<String>, uri: Uri) -> Response {
    outcome(lock(&store).store.versions(&subject, deleted(&uri)).map(|v| json!(v)))
}

async fn register(State(store): State<Shared>, Path(subject): Path<String>, body: Bytes) -> Response {
    let schema = match schema_of(&body) {
        Ok(schema) => schema,
        Err(e) => return failure(e),
    };
    blocking(store, move |inner| {
        inner
            .mutate(|s| {
                let registration = s.register(&subject, &schema)?;
                Ok((registration.id, registration.records))
            })
            .map(|id| json!({ "id": id }))
    })
    .await
}

async fn version(State(store): State<Shared>, Path((subject, version)): Path<(String, String)>, uri: Uri) -> Response {
    outcome(
        lock(&store)
            .store
            .version(&subject, &version, deleted(&uri))
            .map(|v| json!(v)),
    )
}

async fn version_schema(
    State(store): State<Shared>,
    Path((subject, version)): Path<(String, String)>,
    uri: Uri,
) -> Response {
    match lock(&store).store.version(&subject, &version, deleted(&uri)) {
        Ok(v) => (StatusCode::OK, [(header::CONTENT_TYPE, CONTENT_TYPE)], v.schema).into_response(),
        Err(e) => failure(e),
    }
}

async fn referenced_by(State(store): State<Shared>, Path((subject, version)): Path<(String, String)>) -> Response {
    // No schema here references another, so none is referenced by any.
    outcome(
        lock(&store)
            .store
            .version(&subject, &version, Deleted::Include)
            .map(|_| json!([])),
    )
}

async fn delete_version(
    State(store): State<Shared>,
    Path((subject, version)): Path<(String, String)>,
    uri: Uri,
) -> Response {
    let permanent = flag(&uri, "permanent");
    blocking(store, move |inner| {
        inner
            .mutate(|s| s.delete_version(&subject, &version, permanent))
            .map(|v| json!(v))
    })
    .await
}

async fn lookup(State(store): State<Shared>, Path(subject): Path<String>, uri: Uri, body: Bytes) -> Response {
    outcome(
        schema_of(&body)
            .and_then(|schema| lock(&store).store.lookup(&subject, &schema, deleted(&uri)))
            .map(|v| json!(v)),
    )
}

async fn delete_subject(State(store): State<Shared>, Path(subject): Path<String>, uri: Uri) -> Response {
    let permanent = flag(&uri, "permanent");
    blocking(store, move |inner| {
        inner
            .mutate(|s| s.delete_subject(&subject, permanent))
            .map(|v| json!(v))
    })
    .await
}

fn id_of(id: &str) -> Result<u32, StoreError> {
    id.parse().map_err(|_| StoreError::new(404, 40403, "Schema not found"))
}

/// The schema with this id; one this registry has not seen may have been registered by
/// another process on the same journal since, so it catches up once before saying no.
async fn with_id(store: Shared, id: String, f: fn(&RegistryStore, u32) -> Result<Value, StoreError>) -> Response {
    blocking(store, move |inner| {
        let id = id_of(&id)?;
        match f(&inner.store, id) {
            Err(e) if e.code == 40403 && inner.journal.is_some() => {
                inner.sync().map_err(store_failure)?;
                f(&inner.store, id)
            }
            other => other,
        }
    })
    .await
}

async fn schema_by_id(State(store): State<Shared>, Path(id): Path<String>) -> Response {
    with_id(store, id, |s, id| {
        s.schema_by_id(id).map(|text| json!({ "schema": text }))
    })
    .await
}

async fn raw_schema_by_id(State(store): State<Shared>, Path(id): Path<String>) -> Response {
    let found = id_of(&id).and_then(|id| lock(&store).store.schema_by_id(id).map(str::to_owned));
    match found {
        Ok(text) => (StatusCode::OK, [(header::CONTENT_TYPE, CONTENT_TYPE)], text).into_response(),
        Err(e) => failure(e),
    }
}

async fn subjects_of_id(State(store): State<Shared>, Path(id): Path<String>, uri: Uri) -> Response {
    let deleted = deleted(&uri);
    outcome(id_of(&id).and_then(|id| {
        let uses = lock(&store).store.uses_of(id, deleted)?;
        let mut subjects: Vec<String> = uses.into_iter().map(|(s, _)| s).collect();
        subjects.dedup();
        Ok(json!(subjects))
    }))
}

async fn versions_of_id(State(store): State<Shared>, Path(id): Path<String>, uri: Uri) -> Response {
    let deleted = deleted(&uri);
    outcome(id_of(&id).and_then(|id| {
        let uses = lock(&store).store.uses_of(id, deleted)?;
        Ok(json!(
            uses.into_iter()
                .map(|(subject, version)| json!({ "subject": subject, "version": version }))
                .collect::<Vec<_>>()
        ))
    }))
}

fn compatibility_answer(problems: Vec<String>, verbose: bool) -> Value {
    if verbose {
        json!({ "is_compatible": problems.is_empty(), "messages": problems })
    } else {
        json!({ "is_compatible": problems.is_empty() })
    }
}

async fn compatibility(
    State(store): State<Shared>,
    Path((subject, version)): Path<(String, String)>,
    uri: Uri,
    body: Bytes,
) -> Response {
    let verbose = flag(&uri, "verbose");
    let result = schema_of(&body).and_then(|schema| lock(&store).store.check_version(&subject, &version, &schema));
    outcome(result.map(|problems| compatibility_answer(problems, verbose)))
}

async fn compatibility_all(
    State(store): State<Shared>,
    Path(subject): Path<String>,
    uri: Uri,
    body: Bytes,
) -> Response {
    let verbose = flag(&uri, "verbose");
    let result = schema_of(&body).and_then(|schema| lock(&store).store.check_subject(&subject, &schema));
    outcome(result.map(|problems| compatibility_answer(problems, verbose)))
}

async fn config(State(store): State<Shared>) -> Response {
    reply(
        StatusCode::OK,
        json!({ "compatibilityLevel": lock(&store).store.compatibility() }),
    )
}

fn level_of(body: &Bytes) -> Result<Compatibility, StoreError> {
    let value: Value =
        serde_json::from_slice(body).map_err(|e| bad_request(format!("The request body is not JSON: {e}")))?;
    value
        .get("compatibility")
        .or_else(|| value.get("compatibilityLevel"))
        .cloned()
        .and_then(|v| serde_json::from_value(v).ok())
        .ok_or_else(|| StoreError::new(422, 42203, "Invalid compatibility level"))
}

async fn set_config(State(store): State<Shared>, body: Bytes) -> Response {
    let level = match level_of(&body) {
        Ok(level) => level,
        Err(e) => return failure(e),
    };
    blocking(store, move |inner| {
        inner
            .mutate(|s| Ok(((), s.set_compatibility(None, level))))
            .map(|()| json!({ "compatibility": level }))
    })
    .await
}

async fn delete_config(State(store): State<Shared>) -> Response {
    blocking(store, |inner| {
        inner
            .mutate(|s| s.delete_compatibility(None))
            .map(|old| json!({ "compatibilityLevel": old }))
    })
    .await
}

async fn subject_config(State(store): State<Shared>, Path(subject): Path<String>, uri: Uri) -> Response {
    let inner = lock(&store);
    let level = match inner.store.subject_compatibility(&subject) {
        Some(level) => level,
        None if flag(&uri, "defaultToGlobal") => inner.store.compatibility(),
        None => {
            return failure(StoreError::new(
                404,
                40408,
                format!("Subject '{subject}' does not have subject-level compatibility configured"),
            ));
        }
    };
    reply(StatusCode::OK, json!({ "compatibilityLevel": level }))
}

async fn set_subject_config(State(store): State<Shared>, Path(subject): Path<String>, body: Bytes) -> Response {
    let level = match level_of(&body) {
        Ok(level) => level,
        Err(e) => return failure(e),
    };
    blocking(store, move |inner| {
        inner
            .mutate(|s| Ok(((), s.set_compatibility(Some(&subject), level))))
            .map(|()| json!({ "compatibility": level }))
    })
    .await
}

async fn delete_subject_config(State(store): State<Shared>, Path(subject): Path<String>) -> Response {
    blocking(store, move |inner| {
        inner
            .mutate(|s| s.delete_compatibility(Some(&subject)))
            .map(|old| json!({ "compatibilityLevel": old }))
    })
    .await
}

/// The embedded registry is always READWRITE.
async fn mode() -> Response {
    reply(StatusCode::OK, json!({ "mode": "READWRITE" }))
}

async fn subject_mode(Path(subject): Path<String>, uri: Uri) -> Response {
    if flag(&uri, "defaultToGlobal") {
        return mode().await;
    }
    error(
        StatusCode::NOT_FOUND,
        40409,
        &format!("Subject '{subject}' does not have subject-level mode configured"),
    )
}

async fn set_mode(body: Bytes) -> Response {
    let requested = serde_json::from_slice::<Value>(&body)
        .ok()
        .and_then(|v| v.get("mode").and_then(Value::as_str).map(str::to_owned));
    match requested.as_deref() {
        Some("READWRITE") => reply(StatusCode::OK, json!({ "mode": "READWRITE" })),
        Some("READONLY" | "READONLY_OVERRIDE" | "IMPORT") => error(
            StatusCode::UNPROCESSABLE_ENTITY,
            42205,
            "The embedded registry is always in READWRITE mode",
        ),
        _ => error(StatusCode::UNPROCESSABLE_ENTITY, 42204, "Invalid mode"),
    }
}

async fn delete_subject_mode(Path(subject): Path<String>) -> Response {
    error(
        StatusCode::NOT_FOUND,
        40409,
        &format!("Subject '{subject}' does not have subject-level mode configured"),
    )
}
