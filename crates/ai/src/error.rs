//! What can go wrong talking to a model, and generating a project with one. No message here
//! carries an API key: servers' own error texts have it replaced before they are kept.

use std::path::PathBuf;
use std::time::Duration;

use pipegen_diag::Diagnostic;
use pipegen_project::scaffold::InitError;

#[derive(Debug, thiserror::Error)]
pub enum ProviderError {
    #[error("cannot reach {url}: {reason}")]
    Unreachable { url: String, reason: String },

    #[error("{url} did not finish answering within {}s", after.as_secs())]
    Timeout { url: String, after: Duration },

    /// The server's own text is not shown: it may quote part of the key.
    #[error("{url} refused the API key (HTTP {status})")]
    Unauthorized { url: String, status: u16 },

    #[error("{url} kept answering HTTP 429 (rate limited){}", retry_after.map(|d| format!("; it asked to wait {}s", d.as_secs())).unwrap_or_default())]
    RateLimited { url: String, retry_after: Option<Duration> },

    #[error("model `{model}` is not on {url}{}", if available.is_empty() { String::new() } else { format!(" (it has: {})", available.join(", ")) })]
    ModelMissing {
        model: String,
        url: String,
        available: Vec<String>,
    },

    #[error("{url} answered HTTP {status}: {message}")]
    Refused { url: String, status: u16, message: String },

    #[error("{url} answered outside its protocol: {reason}")]
    Malformed { url: String, reason: String },
}

impl ProviderError {
    pub fn hint(&self) -> String {
        match self {
            ProviderError::Unreachable { .. } => {
                "start the server (`ollama serve`, or your OpenAI-compatible server), or set ai.url to where it listens".into()
            }
            ProviderError::Timeout { .. } => {
                "a local model on a CPU can be slow: raise ai.timeout (e.g. `ai:` then `  timeout: 10m`), or use a smaller model".into()
            }
            ProviderError::Unauthorized { .. } => {
                "check the key in PIPEGEN_OPENAI_API_KEY or ai.api_key (write `api_key: ${YOUR_VARIABLE}` to keep it out of the file)".into()
            }
            ProviderError::RateLimited { .. } => "wait a little and try again, or use another model or account".into(),
            ProviderError::ModelMissing { model, .. } => {
                format!("pull it (`ollama pull {model}`), or set ai.model (PIPEGEN_OLLAMA_MODEL / PIPEGEN_OPENAI_MODEL) to one the server has")
            }
            ProviderError::Refused { .. } => "check ai.model and ai.url; the server's message says what it refused".into(),
            ProviderError::Malformed { .. } => {
                "ai.url must be the server's base: Ollama's (http://localhost:11434) or an OpenAI-compatible API's, ending in /v1".into()
            }
        }
    }
}

impl From<&ProviderError> for Diagnostic {
    /// A URL's password (`http://user:pass@host`) is not shown.
    fn from(error: &ProviderError) -> Self {
        Diagnostic::error(pipegen_config::redact_url_credentials(&error.to_string())).with_hint(error.hint())
    }
}

#[derive(Debug, thiserror::Error)]
pub enum GenerateError {
    #[error(transparent)]
    Provider(#[from] ProviderError),

    /// Every round's draft had problems; the last round's are kept.
    #[error("the model's project still had {} after {rounds} round{}", count(findings.len()), if *rounds == 1 { "" } else { "s" })]
    StillInvalid {
        rounds: u32,
        findings: Vec<Diagnostic>,
        kept: Option<PathBuf>,
    },

    #[error(transparent)]
    Init(#[from] InitError),

    #[error("cannot keep the draft in {path}: {source}")]
    KeepDraft { path: PathBuf, source: std::io::Error },

    #[error("cannot stage the draft for validation: {0}")]
    Staging(std::io::Error),
}

fn count(n: usize) -> String {
    format!("{n} problem{}", if n == 1 { "" } else { "s" })
}

impl GenerateError {
    /// The error, then each finding that was still open, for the terminal.
    pub fn diagnostics(&self) -> Vec<Diagnostic> {
        match self {
            GenerateError::Provider(e) => vec![Diagnostic::from(e)],
            GenerateError::StillInvalid { findings, kept, .. } => {
                let mut out = findings.clone();
                let hint = match kept {
                    Some(dir) => format!(
                        "nothing was written; the last draft is in {} to look at. Try a more specific --describe, a larger model, or more ai.max_repair_rounds",
                        dir.display()
                    ),
                    None => "nothing was written; pass --keep-draft DIR to look at the last draft, try a more specific --describe, a larger model, or more ai.max_repair_rounds".into(),
                };
                out.push(Diagnostic::error(self.to_string()).with_hint(hint));
                out
            }
            GenerateError::Init(e) => vec![Diagnostic::from(e)],
            GenerateError::KeepDraft { .. } | GenerateError::Staging(_) => {
                vec![Diagnostic::error(self.to_string()).with_hint("check permissions and free space")]
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_password_in_the_server_url_is_not_shown() {
        let error = ProviderError::Unreachable {
            url: "http://proxy:hunter2@models.internal:8080/v1/chat/completions".into(),
            reason: "connection refused".into(),
        };
        let shown = Diagnostic::from(&error).to_string();
        assert!(!shown.contains("hunter2"), "{shown}");
        assert!(
            shown.contains("http://proxy:<redacted>@models.internal:8080"),
            "{shown}"
        );
    }
}
