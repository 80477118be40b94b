//! The HTTP both providers share: one agent with the configured timeout, a bearer key that
//! only ever goes into a header, rate limits waited out as the server asks, and replies read
//! line by line as they stream.

use std::io::{BufRead, BufReader, Read};
use std::time::{Duration, Instant};

use pipegen_config::Secret;
use serde_json::Value;
use ureq::http::Response;

use crate::error::ProviderError;

/// The most an answer may hold: a project is a few kilobytes; a server sending more is broken.
const MAX_ANSWER_BYTES: u64 = 8 * 1024 * 1024;
/// How often a 429 is waited out before giving up, and the longest wait taken.
const RATE_LIMIT_RETRIES: u32 = 3;
const LONGEST_RETRY_WAIT: Duration = Duration::from_secs(60);

pub(crate) struct Http {
    agent: ureq::Agent,
    api_key: Option<Secret>,
    timeout: Duration,
}

pub(crate) type Reply = Response<ureq::Body>;

impl Http {
    pub fn new(timeout: Duration, api_key: Option<Secret>) -> Self {
        let agent = ureq::Agent::config_builder()
            .timeout_global(Some(timeout))
            .timeout_connect(Some(timeout.min(Duration::from_secs(10))))
            .http_status_as_error(false)
            .build()
            .new_agent();
        Self {
            agent,
            api_key: api_key.filter(|k| !k.expose().is_empty()),
            timeout,
        }
    }

    pub fn get(&self, url: &str) -> Result<Reply, ProviderError> {
        let mut request = self.agent.get(url);
        if let Some(key) = &self.api_key {
            request = request.header("Authorization", format!("Bearer {}", key.expose()));
        }
        request.call().map_err(|e| self.transport(url, e))
    }

    /// POSTs `body`, waiting out HTTP 429 as `Retry-After` asks (bounded); any other status
    /// comes back to the caller.
    pub fn post(&self, url: &str, body: &Value) -> Result<Reply, ProviderError> {
        let text = body.to_string();
        let mut attempt = 0;
        loop {
            let mut request = self.agent.post(url).header("Content-Type", "application/json");
            if let Some(key) = &self.api_key {
                request = request.header("Authorization", format!("Bearer {}", key.expose()));
            }
            let reply = request.send(text.as_str()).map_err(|e| self.transport(url, e))?;
            if reply.status().as_u16() != 429 {
                return Ok(reply);
            }
            let retry_after = retry_after(&reply);
            attempt += 1;
            match retry_after {
                Some(wait) if attempt <= RATE_LIMIT_RETRIES && wait <= LONGEST_RETRY_WAIT => std::thread::sleep(wait),
                None if attempt <= RATE_LIMIT_RETRIES => std::thread::sleep(Duration::from_secs(1 << attempt)),
                _ => {
                    return Err(ProviderError::RateLimited {
                        url: url.to_owned(),
                        retry_after,
                    });
                }
            }
        }
    }

    fn transport(&self, url: &str, error: ureq::Error) -> ProviderError {
        match error {
            ureq::Error::Timeout(_) => ProviderError::Timeout {
                url: url.to_owned(),
                after: self.timeout,
            },
            ureq::Error::Io(e) if e.kind() == std::io::ErrorKind::TimedOut => ProviderError::Timeout {
                url: url.to_owned(),
                after: self.timeout,
            },
            other => ProviderError::Unreachable {
                url: url.to_owned(),
                reason: self.redact(&other.to_string()),
            },
        }
    }

    /// A server's text with the key taken out (some servers quote what they were sent).
    pub fn redact(&self, text: &str) -> String {
        match &self.api_key {
            Some(key) => text.replace(key.expose(), pipegen_config::REDACTED),
            None => text.to_owned(),
        }
    }

    /// The error a non-success reply stands for, its message taken from the body as the
    /// server wrote it: OpenAI's `{"error": {"message": ...}}`, Ollama's `{"error": "..."}`.
    pub fn refusal(&self, url: &str, reply: Reply) -> ProviderError {
        let status = reply.status().as_u16();
        if status == 401 || status == 403 {
            return ProviderError::Unauthorized {
                url: url.to_owned(),
                status,
            };
        }
        let body = read_capped(reply.into_body().into_reader(), 64 * 1024).unwrap_or_default();
        let message = serde_json::from_str::<Value>(&body)
            .ok()
            .and_then(|v| {
                let error = v.get("error")?;
                error
                    .get("message")
                    .and_then(Value::as_str)
                    .or_else(|| error.as_str())
                    .map(str::to_owned)
            })
            .unwrap_or_else(|| body.chars().take(300).collect());
        ProviderError::Refused {
            url: url.to_owned(),
            status,
            message: self.redact(message.trim()),
        }
    }

    /// Reads the reply's lines as they arrive, calling `line` for each (without its line
    /// ending), until it says stop or the body ends.
    pub fn each_line(
        &self,
        url: &str,
        reply: Reply,
        mut line: impl FnMut(&str) -> Result<Flow, ProviderError>,
    ) -> Result<(), ProviderError> {
        let reader = reply.into_body().into_with_config().limit(MAX_ANSWER_BYTES).reader();
        let mut reader = BufReader::new(reader);
        let mut buffer = String::new();
        loop {
            buffer.clear();
            let read = reader.read_line(&mut buffer).map_err(|e| self.body_error(url, e))?;
            if read == 0 {
                return Ok(());
            }
            if line(buffer.trim_end_matches(['\n', '\r']))? == Flow::Stop {
                return Ok(());
            }
        }
    }

    /// The whole body, for replies that do not stream.
    pub fn text(&self, url: &str, reply: Reply) -> Result<String, ProviderError> {
        read_capped(
            reply.into_body().into_with_config().limit(MAX_ANSWER_BYTES).reader(),
            MAX_ANSWER_BYTES,
        )
        .map_err(|e| self.body_error(url, e))
    }

    fn body_error(&self, url: &str, error: std::io::Error) -> ProviderError {
        let timed_out = error.kind() == std::io::ErrorKind::TimedOut
            || error
                .get_ref()
                .and_then(|inner| inner.downcast_ref::<ureq::Error>())
                .is_some_and(|e| matches!(e, ureq::Error::Timeout(_)));
        if timed_out {
            ProviderError::Timeout {
                url: url.to_owned(),
                after: self.timeout,
            }
        } else {
            ProviderError::Malformed {
                url: url.to_owned(),
                reason: format!("reading the answer failed: {}", self.redact(&error.to_string())),
            }
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Flow {
    More,
    Stop,
}

/// `Retry-After` in seconds (the form the APIs send; an HTTP date is not waited for).
fn retry_after(reply: &Reply) -> Option<Duration> {
    reply
        .headers()
        .get("retry-after")?
        .to_str()
        .ok()?
        .trim()
        .parse::<f64>()
        .ok()
        .filter(|s| s.is_finite() && *s >= 0.0)
        .map(Duration::from_secs_f64)
}

fn read_capped(reader: impl Read, limit: u64) -> std::io::Result<String> {
    let mut text = String::new();
    reader.take(limit).read_to_string(&mut text)?;
    Ok(text)
}

/// Counts elapsed time from the start of an answer.
pub(crate) struct Clock(Instant);

impl Clock {
    pub fn start() -> Self {
        Self(Instant::now())
    }

    pub fn elapsed(&self) -> Duration {
        self.0.elapsed()
    }
}

/// The base URL without its trailing slash.
pub(crate) fn base(url: &str) -> String {
    url.trim_end_matches('/').to_owned()
}
