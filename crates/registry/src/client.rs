//! A client for Confluent-compatible schema registries (Confluent, Karapace, Apicurio's ccompat
//! API, and pipegen's embedded one), strictly to Confluent's documented REST API.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Duration;

use base64::Engine as _;
use serde_json::{Value, json};

use crate::server::CONTENT_TYPE;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RegistryError {
    /// The registry answered with an error (Confluent's `error_code` and message).
    #[error("schema registry: {message} (HTTP {status}, error {code})")]
    Refused { status: u16, code: u32, message: String },
    #[error("schema registry at {url} is not reachable: {reason}")]
    Unreachable { url: String, reason: String },
    #[error("schema registry at {url} answered with something that is not its API: {reason}")]
    Protocol { url: String, reason: String },
}

impl RegistryError {
    pub fn is_incompatible(&self) -> bool {
        matches!(self, RegistryError::Refused { status: 409, .. })
    }

    pub fn is_not_found(&self) -> bool {
        matches!(self, RegistryError::Refused { status: 404, .. })
    }
}

pub struct RegistryClient {
    base: String,
    agent: ureq::Agent,
    /// `Basic ...`, never logged.
    authorization: Option<String>,
    by_id: Mutex<HashMap<u32, String>>,
}

impl RegistryClient {
    pub fn new(base_url: &str, timeout: Duration) -> Self {
        let agent = ureq::Agent::config_builder()
            .timeout_global(Some(timeout))
            .http_status_as_error(false)
            .build()
            .new_agent();
        Self {
            base: base_url.trim_end_matches('/').to_owned(),
            agent,
            authorization: None,
            by_id: Mutex::new(HashMap::new()),
        }
    }

    /// HTTP basic authentication.
    pub fn with_basic_auth(mut self, username: &str, password: &str) -> Self {
        let token = base64::engine::general_purpose::STANDARD.encode(format!("{username}:{password}"));
        self.authorization = Some(format!("Basic {token}"));
        self
    }

    fn call(&self, method: &str, path: &str, body: Option<Value>) -> Result<Value, RegistryError> {
        let url = format!("{}{path}", self.base);
        let unreachable = |e: ureq::Error| RegistryError::Unreachable {
            url: self.base.clone(),
            reason: e.to_string(),
        };
        let mut request = ureq::http::Request::builder()
            .method(method)
            .uri(&url)
            .header("Accept", CONTENT_TYPE);
        if let Some(auth) = &self.authorization {
            request = request.header("Authorization", auth);
        }
        let mut response = match body {
            Some(body) => {
                let request = request
                    .header("Content-Type", CONTENT_TYPE)
                    .body(body.to_string())
                    .map_err(|e| RegistryError::Protocol {
                        url: url.clone(),
                        reason: e.to_string(),
                    })?;
                self.agent.run(request).map_err(unreachable)?
            }
            None => {
                let request = request.body(()).map_err(|e| RegistryError::Protocol {
                    url: url.clone(),
                    reason: e.to_string(),
                })?;
                self.agent.run(request).map_err(unreachable)?
            }
        };
        let status = response.status().as_u16();
        let text = response.body_mut().read_to_string().map_err(unreachable)?;
        let value: Value = serde_json::from_str(&text)
            .or_else(|_| {
                if (200..300).contains(&status) {
                    Ok(Value::String(text.clone()))
                } else {
                    Err(())
                }
            })
            .map_err(|()| RegistryError::Protocol {
                url: url.clone(),
                reason: format!("HTTP {status}: {text}"),
            })?;
        if (200..300).contains(&status) {
            return Ok(value);
        }
        Err(RegistryError::Refused {
            status,
            code: value
                .get("error_code")
                .and_then(Value::as_u64)
                .unwrap_or(u64::from(status)) as u32,
            message: value
                .get("message")
                .and_then(Value::as_str)
                .unwrap_or("no message")
                .to_owned(),
        })
    }

    fn protocol(&self, what: &str) -> RegistryError {
        RegistryError::Protocol {
            url: self.base.clone(),
            reason: format!("the answer has no {what}"),
        }
    }

    pub fn subjects(&self) -> Result<Vec<String>, RegistryError> {
        serde_json::from_value(self.call("GET", "/subjects", None)?).map_err(|_| self.protocol("list of subjects"))
    }

    /// Registers an AVRO schema under a subject; returns its id.
    pub fn register(&self, subject: &str, schema: &str) -> Result<u32, RegistryError> {
        let answer = self.call(
            "POST",
            &format!("/subjects/{}/versions", encode(subject)),
            Some(json!({ "schema": schema })),
        )?;
        let id = answer
            .get("id")
            .and_then(Value::as_u64)
            .ok_or_else(|| self.protocol("id"))? as u32;
        self.by_id
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert(id, schema.to_owned());
        Ok(id)
    }

    /// The schema with this id (cached: ids never change meaning).
    pub fn schema(&self, id: u32) -> Result<String, RegistryError> {
        if let Some(schema) = self.by_id.lock().unwrap_or_else(|p| p.into_inner()).get(&id) {
            return Ok(schema.clone());
        }
        let answer = self.call("GET", &format!("/schemas/ids/{id}"), None)?;
        let schema = answer
            .get("schema")
            .and_then(Value::as_str)
            .ok_or_else(|| self.protocol("schema"))?
            .to_owned();
        self.by_id
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert(id, schema.clone());
        Ok(schema)
    }

    /// The (version, id) under which the subject holds this schema.
    pub fn lookup(&self, subject: &str, schema: &str) -> Result<(u32, u32), RegistryError> {
        let answer = self.call(
            "POST",
            &format!("/subjects/{}", encode(subject)),
            Some(json!({ "schema": schema })),
        )?;
        let field = |name: &str| {
            answer
                .get(name)
                .and_then(Value::as_u64)
                .map(|v| v as u32)
                .ok_or_else(|| self.protocol(name))
        };
        Ok((field("version")?, field("id")?))
    }

    /// Whether the schema may be registered under the subject; an unknown subject accepts anything.
    pub fn is_compatible(&self, subject: &str, schema: &str) -> Result<bool, RegistryError> {
        let path = format!("/compatibility/subjects/{}/versions/latest", encode(subject));
        match self.call("POST", &path, Some(json!({ "schema": schema }))) {
            Ok(answer) => answer
                .get("is_compatible")
                .and_then(Value::as_bool)
                .ok_or_else(|| self.protocol("is_compatible")),
            Err(e) if e.is_not_found() => Ok(true),
            Err(e) => Err(e),
        }
    }

    /// Deletes a subject so that nothing of it is left: soft first, then permanently, as
    /// Confluent requires for a hard delete (a subject soft-deleted already is only made
    /// permanent). Returns the versions it had.
    pub fn delete_subject(&self, subject: &str) -> Result<Vec<u32>, RegistryError> {
        let path = format!("/subjects/{}", encode(subject));
        let versions = |value: Value| -> Result<Vec<u32>, RegistryError> {
            serde_json::from_value(value).map_err(|_| self.protocol("list of versions"))
        };
        let soft = match self.call("DELETE", &path, None) {
            Ok(value) => Some(versions(value)?),
            // 40404: soft-deleted before.
            Err(RegistryError::Refused { code: 40404, .. }) => None,
            Err(e) => return Err(e),
        };
        match self.call("DELETE", &format!("{path}?permanent=true"), None) {
            Ok(value) => versions(value),
            // A registry whose delete is permanent already has nothing left to delete.
            Err(RegistryError::Refused { code: 40401, .. }) if soft.is_some() => Ok(soft.unwrap_or_default()),
            Err(e) => Err(e),
        }
    }
}

/// Percent-encodes a subject for a URL path.
fn encode(subject: &str) -> String {
    subject
        .bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => (b as char).to_string(),
            other => format!("%{other:02X}"),
        })
        .collect()
}
