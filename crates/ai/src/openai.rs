//! OpenAI's chat-completions API, as OpenAI, vLLM, llama.cpp's server and LM Studio serve it:
//! `POST {base}/chat/completions` streamed as server-sent events (`data: {chunk}` lines, then
//! `data: [DONE]`), structured output through `response_format` with a JSON schema (strict), or
//! `json_object` where a server refuses schemas; `GET {base}/models` for the probe.

use std::cell::Cell;
use std::time::Duration;

use pipegen_config::Secret;
use serde_json::{Value, json};

use crate::error::ProviderError;
use crate::http::{Clock, Flow, Http, base};
use crate::provider::{Answer, ChatModel, Message, Progress};

pub struct OpenAi {
    base: String,
    model: String,
    http: Http,
    /// Set once the server refused a JSON schema: later requests ask for `json_object`.
    schema_refused: Cell<bool>,
}

impl OpenAi {
    pub fn new(base_url: &str, model: &str, api_key: Option<Secret>, timeout: Duration) -> Self {
        Self {
            base: base(base_url),
            model: model.to_owned(),
            http: Http::new(timeout, api_key),
            schema_refused: Cell::new(false),
        }
    }

    fn request(&self, messages: &[Message], schema: &Value) -> Value {
        let response_format = if self.schema_refused.get() {
            json!({"type": "json_object"})
        } else {
            json!({
                "type": "json_schema",
                "json_schema": {"name": "pipegen_project", "strict": true, "schema": schema},
            })
        };
        json!({
            "model": self.model,
            "messages": messages.iter().map(Message::to_json).collect::<Vec<_>>(),
            "stream": true,
            "temperature": 0.2,
            "response_format": response_format,
        })
    }
}

impl ChatModel for OpenAi {
    fn describe(&self) -> String {
        format!("OpenAI-compatible model {} at {}", self.model, self.base)
    }

    fn endpoint(&self) -> String {
        self.base.clone()
    }

    fn model(&self) -> String {
        self.model.clone()
    }

    fn chat(
        &self,
        messages: &[Message],
        schema: &Value,
        progress: &mut dyn FnMut(Progress),
    ) -> Result<Answer, ProviderError> {
        let url = format!("{}/chat/completions", self.base);
        let clock = Clock::start();
        let mut reply = self.http.post(&url, &self.request(messages, schema))?;
        if reply.status().as_u16() == 400 && !self.schema_refused.get() {
            let refusal = self.http.refusal(&url, reply);
            if !mentions_response_format(&refusal) {
                return Err(refusal);
            }
            // A server without JSON-schema output (older vLLM, some local servers): ask for a
            // JSON object; the schema is in the prompt, and the parse is as strict.
            self.schema_refused.set(true);
            reply = self.http.post(&url, &self.request(messages, schema))?;
        }
        if reply.status().as_u16() == 404 {
            return Err(match self.http.refusal(&url, reply) {
                ProviderError::Refused { message, .. } if message.contains("model") => ProviderError::ModelMissing {
                    model: self.model.clone(),
                    url: self.base.clone(),
                    available: Vec::new(),
                },
                other => other,
            });
        }
        if !reply.status().is_success() {
            return Err(self.http.refusal(&url, reply));
        }
        let event_stream = reply
            .headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.starts_with("text/event-stream"));
        if !event_stream {
            // A server that does not stream answers one completion object.
            let text = self.http.text(&url, reply)?;
            return whole_completion(&url, &text, &self.http);
        }
        let mut answer = Answer {
            content: String::new(),
            tokens: 0,
            truncated: false,
        };
        let mut done = false;
        let mut usage = None;
        self.http.each_line(&url, reply, |line| {
            let Some(data) = line.strip_prefix("data:") else {
                // Blank lines end events; `:` comments and `event:`/`id:` fields carry nothing here.
                return Ok(Flow::More);
            };
            let data = data.trim();
            if data == "[DONE]" {
                done = true;
                return Ok(Flow::Stop);
            }
            let chunk: Value = serde_json::from_str(data).map_err(|e| ProviderError::Malformed {
                url: url.clone(),
                reason: format!("a streamed event is not JSON ({e})"),
            })?;
            if let Some(error) = chunk.get("error") {
                return Err(ProviderError::Refused {
                    url: url.clone(),
                    status: 200,
                    message: self.http.redact(
                        error
                            .get("message")
                            .and_then(Value::as_str)
                            .unwrap_or("an error in the stream"),
                    ),
                });
            }
            if let Some(tokens) = chunk.pointer("/usage/completion_tokens").and_then(Value::as_u64) {
                usage = Some(tokens);
            }
            let Some(choice) = chunk.pointer("/choices/0") else {
                return Ok(Flow::More);
            };
            if let Some(piece) = choice.pointer("/delta/content").and_then(Value::as_str)
                && !piece.is_empty()
            {
                answer.content.push_str(piece);
                answer.tokens += 1;
                progress(Progress {
                    elapsed: clock.elapsed(),
                    tokens: answer.tokens,
                });
            }
            if choice.get("finish_reason").and_then(Value::as_str) == Some("length") {
                answer.truncated = true;
            }
            Ok(Flow::More)
        })?;
        if !done {
            return Err(ProviderError::Malformed {
                url,
                reason: "the stream ended before `data: [DONE]`".into(),
            });
        }
        if let Some(tokens) = usage {
            answer.tokens = tokens;
        }
        Ok(answer)
    }

    fn probe(&self) -> Result<String, ProviderError> {
        let url = format!("{}/models", self.base);
        let reply = self.http.get(&url)?;
        if !reply.status().is_success() {
            return Err(self.http.refusal(&url, reply));
        }
        let text = self.http.text(&url, reply)?;
        let models: Vec<String> = serde_json::from_str::<Value>(&text)
            .ok()
            .and_then(|v| {
                v.get("data")?.as_array().map(|list| {
                    list.iter()
                        .filter_map(|m| m.get("id")?.as_str().map(str::to_owned))
                        .collect()
                })
            })
            .ok_or_else(|| ProviderError::Malformed {
                url: url.clone(),
                reason: "the model list is not `{\"data\": [{\"id\": ...}]}`".into(),
            })?;
        if models.contains(&self.model) {
            Ok(format!("model {} available ({} models)", self.model, models.len()))
        } else {
            Err(ProviderError::ModelMissing {
                model: self.model.clone(),
                url: self.base.clone(),
                available: models.into_iter().take(10).collect(),
            })
        }
    }
}

fn mentions_response_format(error: &ProviderError) -> bool {
    matches!(error, ProviderError::Refused { message, .. }
        if ["response_format", "json_schema", "structured"].iter().any(|w| message.contains(w)))
}

/// A non-streamed `chat.completion` object.
fn whole_completion(url: &str, text: &str, http: &Http) -> Result<Answer, ProviderError> {
    let malformed = |reason: &str| ProviderError::Malformed {
        url: url.to_owned(),
        reason: reason.to_owned(),
    };
    let value: Value = serde_json::from_str(text).map_err(|_| malformed("the answer is not JSON"))?;
    if let Some(error) = value.get("error") {
        return Err(ProviderError::Refused {
            url: url.to_owned(),
            status: 200,
            message: http.redact(error.get("message").and_then(Value::as_str).unwrap_or("an error")),
        });
    }
    let choice = value
        .pointer("/choices/0")
        .ok_or_else(|| malformed("the answer has no choices"))?;
    let content = choice
        .pointer("/message/content")
        .and_then(Value::as_str)
        .ok_or_else(|| malformed("the answer's message has no content"))?;
    Ok(Answer {
        content: content.to_owned(),
        tokens: value
            .pointer("/usage/completion_tokens")
            .and_then(Value::as_u64)
            .unwrap_or(0),
        truncated: choice.get("finish_reason").and_then(Value::as_str) == Some("length"),
    })
}
