//! A language-model server for tests of `init --describe`, since no model that writes Flink
//! SQL can run here: it speaks each provider's documented wire protocol and answers from a
//! script instead of a model.
//!
//! - OpenAI chat completions: `POST /v1/chat/completions` with a bearer key, answered as one
//!   `chat.completion` object or, with `"stream": true`, as server-sent events of
//!   `chat.completion.chunk` objects ending in `data: [DONE]`; `response_format` of type
//!   `json_schema` or `json_object` (a server may refuse schemas, HTTP 400); errors as
//!   `{"error": {"message", "type", "param", "code"}}` (401 for a wrong key, quoting part of it
//!   as OpenAI does; 404 for an unknown model; 429 with `Retry-After`); `GET /v1/models`.
//! - Ollama: `POST /api/chat`, streamed by default as newline-delimited JSON objects, the last
//!   with `"done": true`, `done_reason` and `eval_count`; `format` with a JSON schema; errors
//!   as `{"error": "..."}` (404 for a model it has not pulled); `GET /api/tags`.

use std::collections::VecDeque;
use std::convert::Infallible;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde_json::{Value, json};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Protocol {
    OpenAi,
    Ollama,
}

/// One scripted reply to a chat request.
#[derive(Debug, Clone)]
pub enum Scripted {
    /// The model's answer, streamed in small chunks when the request streams.
    Answer(String),
    /// An answer that stops at the model's length limit (`finish_reason`/`done_reason` "length").
    CutOff(String),
    /// The stream breaks off after this text, without its end marker.
    Broken(String),
    /// An HTTP error in the provider's error body, with `Retry-After` (seconds) when given.
    Error {
        status: u16,
        message: String,
        retry_after: Option<u64>,
    },
}

/// What a request looked like, for assertions.
#[derive(Debug, Clone)]
pub struct Received {
    pub path: String,
    pub authorization: Option<String>,
    pub body: Value,
}

struct Script {
    api_key: Option<String>,
    models: Vec<String>,
    json_schema_supported: bool,
    chunk_delay: Duration,
    replies: VecDeque<Scripted>,
    received: Vec<Received>,
}

type Shared = Arc<Mutex<Script>>;

pub struct LlmServer {
    /// The base URL a client is configured with: `http://127.0.0.1:PORT/v1` for OpenAI,
    /// `http://127.0.0.1:PORT` for Ollama.
    pub url: String,
    state: Shared,
    _runtime: tokio::runtime::Runtime,
}

/// How to start a server.
pub struct LlmOptions {
    pub protocol: Protocol,
    /// The models the server has.
    pub models: Vec<String>,
    /// OpenAI: the key requests must bear.
    pub api_key: Option<String>,
    /// OpenAI: whether `response_format` may carry a JSON schema.
    pub json_schema_supported: bool,
    /// The pause between two streamed chunks.
    pub chunk_delay: Duration,
}

impl LlmOptions {
    pub fn new(protocol: Protocol, model: &str) -> Self {
        Self {
            protocol,
            models: vec![model.to_owned()],
            api_key: None,
            json_schema_supported: true,
            chunk_delay: Duration::from_millis(1),
        }
    }
}

impl LlmServer {
    pub fn start(options: LlmOptions, replies: Vec<Scripted>) -> LlmServer {
        let state: Shared = Arc::new(Mutex::new(Script {
            api_key: options.api_key,
            models: options.models,
            json_schema_supported: options.json_schema_supported,
            chunk_delay: options.chunk_delay,
            replies: replies.into(),
            received: Vec::new(),
        }));
        let app = match options.protocol {
            Protocol::OpenAi => Router::new()
                .route("/v1/chat/completions", post(openai_chat))
                .route("/v1/models", get(openai_models)),
            Protocol::Ollama => Router::new()
                .route("/api/chat", post(ollama_chat))
                .route("/api/tags", get(ollama_tags)),
        }
        .with_state(state.clone());
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .expect("a runtime for the model server");
        let listener = runtime
            .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
            .expect("a loopback port");
        let address = listener.local_addr().expect("the bound address");
        runtime.spawn(async move { axum::serve(listener, app).await });
        let url = match options.protocol {
            Protocol::OpenAi => format!("http://{address}/v1"),
            Protocol::Ollama => format!("http://{address}"),
        };
        LlmServer {
            url,
            state,
            _runtime: runtime,
        }
    }

    /// Every request so far, in order.
    pub fn received(&self) -> Vec<Received> {
        self.state.lock().expect("the script").received.clone()
    }

    /// Replies not yet given.
    pub fn unused(&self) -> usize {
        self.state.lock().expect("the script").replies.len()
    }
}

fn record(state: &Shared, path: &str, headers: &HeaderMap, body: Value) {
    let authorization = headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    state.lock().expect("the script").received.push(Received {
        path: path.to_owned(),
        authorization,
        body,
    });
}

fn json_reply(status: u16, body: Value) -> Response {
    (
        StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR),
        [("content-type", "application/json")],
        body.to_string(),
    )
        .into_response()
}

fn openai_error(status: u16, message: &str, kind: &str, code: Option<&str>) -> Response {
    json_reply(
        status,
        json!({"error": {"message": message, "type": kind, "param": null, "code": code}}),
    )
}

/// OpenAI's answer to a wrong key quotes its first and last characters.
fn masked(key: &str) -> String {
    let chars: Vec<char> = key.chars().collect();
    if chars.len() < 8 {
        return "***".to_owned();
    }
    let head: String = chars[..3].iter().collect();
    let tail: String = chars[chars.len() - 4..].iter().collect();
    format!("{head}***{tail}")
}

/// The refusal a request without the right key gets, if any.
fn openai_refusal(script: &Script, headers: &HeaderMap) -> Option<Response> {
    let key = script.api_key.as_ref()?;
    let given = headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "));
    match given {
        Some(given) if given == key => None,
        Some(given) => Some(openai_error(
            401,
            &format!(
                "Incorrect API key provided: {}. You can find your API key in your account settings.",
                masked(given)
            ),
            "invalid_request_error",
            Some("invalid_api_key"),
        )),
        None => Some(openai_error(
            401,
            "You didn't provide an API key. You need to provide your API key in an Authorization header using Bearer auth.",
            "invalid_request_error",
            None,
        )),
    }
}

async fn openai_models(State(state): State<Shared>, headers: HeaderMap) -> Response {
    record(&state, "/v1/models", &headers, Value::Null);
    let script = state.lock().expect("the script");
    if let Some(refused) = openai_refusal(&script, &headers) {
        return refused;
    }
    let data: Vec<Value> = script
        .models
        .iter()
        .map(|id| json!({"id": id, "object": "model", "created": 1_700_000_000, "owned_by": "pipegen-test"}))
        .collect();
    json_reply(200, json!({"object": "list", "data": data}))
}

async fn openai_chat(State(state): State<Shared>, headers: HeaderMap, body: String) -> Response {
    let Ok(request) = serde_json::from_str::<Value>(&body) else {
        return openai_error(
            400,
            "We could not parse the JSON body of your request.",
            "invalid_request_error",
            None,
        );
    };
    record(&state, "/v1/chat/completions", &headers, request.clone());
    let (reply, delay) = {
        let mut script = state.lock().expect("the script");
        if let Some(refused) = openai_refusal(&script, &headers) {
            return refused;
        }
        let model = request.get("model").and_then(Value::as_str).unwrap_or_default();
        if !script.models.iter().any(|m| m == model) {
            return openai_error(
                404,
                &format!("The model `{model}` does not exist or you do not have access to it."),
                "invalid_request_error",
                Some("model_not_found"),
            );
        }
        if !request.get("messages").is_some_and(Value::is_array) {
            return openai_error(400, "'messages' is a required property", "invalid_request_error", None);
        }
        let format = request.pointer("/response_format/type").and_then(Value::as_str);
        if format == Some("json_schema") && !script.json_schema_supported {
            return json_reply(
                400,
                json!({"error": {"message": "response_format of type json_schema is not supported by this model", "type": "invalid_request_error", "param": "response_format", "code": null}}),
            );
        }
        match script.replies.pop_front() {
            Some(reply) => (reply, script.chunk_delay),
            None => return openai_error(500, "the test script has no reply left", "server_error", None),
        }
    };
    let model = request
        .get("model")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_owned();
    let streaming = request.get("stream").and_then(Value::as_bool).unwrap_or(false);
    let (content, finish, ends) = match reply {
        Scripted::Error {
            status,
            message,
            retry_after,
        } => {
            let mut response = openai_error(status, &message, "requests", None);
            if let Some(seconds) = retry_after
                && let Ok(value) = seconds.to_string().parse()
            {
                response.headers_mut().insert("retry-after", value);
            }
            return response;
        }
        Scripted::Answer(text) => (text, "stop", true),
        Scripted::CutOff(text) => (text, "length", true),
        Scripted::Broken(text) => (text, "stop", false),
    };
    if !streaming {
        return json_reply(
            200,
            json!({
                "id": "chatcmpl-test", "object": "chat.completion", "created": 1_700_000_000, "model": model,
                "choices": [{"index": 0, "message": {"role": "assistant", "content": content}, "finish_reason": finish}],
                "usage": {"prompt_tokens": 10, "completion_tokens": pieces(&content).len(), "total_tokens": 10 + pieces(&content).len()},
            }),
        );
    }
    let chunk = |delta: Value, finish: Option<&str>| {
        let event = json!({
            "id": "chatcmpl-test", "object": "chat.completion.chunk", "created": 1_700_000_000, "model": model,
            "choices": [{"index": 0, "delta": delta, "finish_reason": finish}],
        });
        format!("data: {event}\n\n")
    };
    let mut events = vec![chunk(json!({"role": "assistant", "content": ""}), None)];
    events.extend(pieces(&content).into_iter().map(|p| chunk(json!({"content": p}), None)));
    if ends {
        events.push(chunk(json!({}), Some(finish)));
        events.push("data: [DONE]\n\n".to_owned());
    }
    streamed("text/event-stream", events, delay)
}

async fn ollama_tags(State(state): State<Shared>, headers: HeaderMap) -> Response {
    record(&state, "/api/tags", &headers, Value::Null);
    let script = state.lock().expect("the script");
    let models: Vec<Value> = script
        .models
        .iter()
        .map(|name| {
            let tagged = if name.contains(':') { name.clone() } else { format!("{name}:latest") };
            json!({"name": tagged, "model": tagged, "modified_at": "2026-01-01T00:00:00Z", "size": 2_019_393_189u64,
                   "digest": "a80c4f17acd5", "details": {"format": "gguf", "family": "llama", "parameter_size": "3.2B", "quantization_level": "Q4_K_M"}})
        })
        .collect();
    json_reply(200, json!({"models": models}))
}

async fn ollama_chat(State(state): State<Shared>, headers: HeaderMap, body: String) -> Response {
    let Ok(request) = serde_json::from_str::<Value>(&body) else {
        return json_reply(400, json!({"error": "invalid character in request body"}));
    };
    record(&state, "/api/chat", &headers, request.clone());
    let model = request
        .get("model")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_owned();
    let (reply, delay) = {
        let mut script = state.lock().expect("the script");
        let known = script
            .models
            .iter()
            .any(|m| *m == model || format!("{m}:latest") == model || m.strip_suffix(":latest") == Some(&model));
        if !known {
            return json_reply(
                404,
                json!({"error": format!("model \"{model}\" not found, try pulling it first")}),
            );
        }
        match script.replies.pop_front() {
            Some(reply) => (reply, script.chunk_delay),
            None => return json_reply(500, json!({"error": "the test script has no reply left"})),
        }
    };
    // Ollama streams unless the request says `"stream": false`.
    let streaming = request.get("stream").and_then(Value::as_bool).unwrap_or(true);
    let (content, reason, ends) = match reply {
        Scripted::Error { status, message, .. } => return json_reply(status, json!({"error": message})),
        Scripted::Answer(text) => (text, "stop", true),
        Scripted::CutOff(text) => (text, "length", true),
        Scripted::Broken(text) => (text, "stop", false),
    };
    let parts = pieces(&content);
    let last = |content: &str| {
        json!({"model": model, "created_at": "2026-01-01T00:00:01Z", "message": {"role": "assistant", "content": content},
               "done": true, "done_reason": reason, "total_duration": 5_000_000u64, "load_duration": 1_000_000u64,
               "prompt_eval_count": 10, "prompt_eval_duration": 1_000_000u64, "eval_count": parts.len(), "eval_duration": 3_000_000u64})
    };
    if !streaming {
        return json_reply(200, last(&content));
    }
    let mut lines: Vec<String> = parts
        .iter()
        .map(|p| {
            json!({"model": model, "created_at": "2026-01-01T00:00:00Z", "message": {"role": "assistant", "content": p}, "done": false})
                .to_string()
                + "\n"
        })
        .collect();
    if ends {
        lines.push(last("").to_string() + "\n");
    }
    streamed("application/x-ndjson", lines, delay)
}

/// Text cut into token-sized pieces (on character boundaries).
fn pieces(text: &str) -> Vec<String> {
    let chars: Vec<char> = text.chars().collect();
    chars.chunks(6).map(|c| c.iter().collect()).collect()
}

/// A body written piece by piece, `delay` apart, as a model server flushes tokens.
fn streamed(content_type: &'static str, pieces: Vec<String>, delay: Duration) -> Response {
    let stream = futures::stream::unfold(pieces.into_iter(), move |mut rest| async move {
        let piece = rest.next()?;
        tokio::time::sleep(delay).await;
        Some((Ok::<_, Infallible>(bytes::Bytes::from(piece)), rest))
    });
    (
        StatusCode::OK,
        [("content-type", content_type), ("cache-control", "no-cache")],
        Body::from_stream(stream),
    )
        .into_response()
}
