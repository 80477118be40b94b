//! Ollama's API: `POST /api/chat` streamed as newline-delimited JSON (one object per chunk,
//! the last with `"done": true` and the token count `eval_count`), structured output by
//! passing the JSON schema as `format`; `GET /api/tags` for the probe.

use std::time::Duration;

use serde_json::{Value, json};

use crate::error::ProviderError;
use crate::http::{Clock, Flow, Http, base};
use crate::provider::{Answer, ChatModel, Message, Progress};

pub struct Ollama {
    base: String,
    model: String,
    http: Http,
}

impl Ollama {
    pub fn new(url: &str, model: &str, timeout: Duration) -> Self {
        Self {
            base: base(url),
            model: model.to_owned(),
            http: Http::new(timeout, None),
        }
    }

    fn missing(&self, available: Vec<String>) -> ProviderError {
        ProviderError::ModelMissing {
            model: self.model.clone(),
            url: self.base.clone(),
            available,
        }
    }
}

impl ChatModel for Ollama {
    fn describe(&self) -> String {
        format!("Ollama model {} at {}", self.model, self.base)
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
        let url = format!("{}/api/chat", self.base);
        let clock = Clock::start();
        let body = json!({
            "model": self.model,
            "messages": messages.iter().map(Message::to_json).collect::<Vec<_>>(),
            "stream": true,
            "format": schema,
            "options": {"temperature": 0.2},
        });
        let reply = self.http.post(&url, &body)?;
        if !reply.status().is_success() {
            return Err(match self.http.refusal(&url, reply) {
                ProviderError::Refused {
                    status: 404, message, ..
                } if message.contains("not found") => self.missing(Vec::new()),
                other => other,
            });
        }
        let mut answer = Answer {
            content: String::new(),
            tokens: 0,
            truncated: false,
        };
        let mut done = false;
        self.http.each_line(&url, reply, |line| {
            if line.trim().is_empty() {
                return Ok(Flow::More);
            }
            let chunk: Value = serde_json::from_str(line).map_err(|e| ProviderError::Malformed {
                url: url.clone(),
                reason: format!("a streamed line is not JSON ({e})"),
            })?;
            if let Some(error) = chunk.get("error").and_then(Value::as_str) {
                return Err(ProviderError::Refused {
                    url: url.clone(),
                    status: 200,
                    message: error.to_owned(),
                });
            }
            if let Some(piece) = chunk.pointer("/message/content").and_then(Value::as_str)
                && !piece.is_empty()
            {
                answer.content.push_str(piece);
                answer.tokens += 1;
            }
            if chunk.get("done").and_then(Value::as_bool) == Some(true) {
                done = true;
                if let Some(count) = chunk.get("eval_count").and_then(Value::as_u64) {
                    answer.tokens = count;
                }
                answer.truncated = chunk.get("done_reason").and_then(Value::as_str) == Some("length");
            }
            progress(Progress {
                elapsed: clock.elapsed(),
                tokens: answer.tokens,
            });
            Ok(if done { Flow::Stop } else { Flow::More })
        })?;
        if !done {
            return Err(ProviderError::Malformed {
                url,
                reason: "the stream ended before a line with \"done\": true".into(),
            });
        }
        Ok(answer)
    }

    fn probe(&self) -> Result<String, ProviderError> {
        let url = format!("{}/api/tags", self.base);
        let reply = self.http.get(&url)?;
        if !reply.status().is_success() {
            return Err(self.http.refusal(&url, reply));
        }
        let text = self.http.text(&url, reply)?;
        let models: Vec<String> = serde_json::from_str::<Value>(&text)
            .ok()
            .and_then(|v| {
                v.get("models")?.as_array().map(|list| {
                    list.iter()
                        .filter_map(|m| m.get("name").or_else(|| m.get("model"))?.as_str().map(str::to_owned))
                        .collect()
                })
            })
            .ok_or_else(|| ProviderError::Malformed {
                url: url.clone(),
                reason: "the model list is not `{\"models\": [{\"name\": ...}]}`".into(),
            })?;
        // `llama3.2` names the `latest` tag, as `ollama run` takes it.
        let wanted = |name: &str| name == self.model || name.strip_suffix(":latest") == Some(self.model.as_str());
        if models.iter().any(|m| wanted(m)) {
            Ok(format!("model {} available ({} models)", self.model, models.len()))
        } else {
            Err(self.missing(models.into_iter().take(10).collect()))
        }
    }
}
