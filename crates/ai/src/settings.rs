//! The model the configuration names (the `ai` section, or the original tool's variables),
//! or why there is none.

use pipegen_config::{AiProvider, KeyPath, ResolvedConfig};
use pipegen_diag::Diagnostic;

use crate::ollama::Ollama;
use crate::openai::OpenAi;
use crate::provider::ChatModel;

pub const DEFAULT_OLLAMA_URL: &str = "http://localhost:11434";
pub const DEFAULT_OPENAI_URL: &str = "https://api.openai.com/v1";

/// How to configure a provider, for `--describe` without one.
pub const HOW_TO_CONFIGURE: &str = "configure a model: for Ollama, `export PIPEGEN_OLLAMA_MODEL=llama3.2` (and PIPEGEN_OLLAMA_URL if it is not on http://localhost:11434); for an OpenAI-compatible API, `export PIPEGEN_OPENAI_API_KEY=...` and `PIPEGEN_OPENAI_MODEL=...` (PIPEGEN_OPENAI_BASE_URL for another server); or in .pipegen.yaml / ~/.pipegen.yaml: `ai:` with `provider: ollama|openai`, `model:`, `url:`, `api_key: ${YOUR_VARIABLE}`";

/// The configured model, `None` when no provider is configured, or an error at the key that
/// is missing.
pub fn configured_model(resolved: &ResolvedConfig) -> Result<Option<Box<dyn ChatModel>>, Box<Diagnostic>> {
    let ai = &resolved.config.ai;
    let Some(provider) = ai.provider else {
        return Ok(None);
    };
    let Some(model) = ai.model.as_deref().filter(|m| !m.trim().is_empty()) else {
        let variable = match provider {
            AiProvider::Ollama => "PIPEGEN_OLLAMA_MODEL",
            AiProvider::Openai => "PIPEGEN_OPENAI_MODEL",
        };
        return Err(Box::new(resolved.error_at(
            &KeyPath::parse("ai.provider"),
            format!("ai.provider is {}, but no model is set", provider.as_str()),
            format!("set ai.model, or {variable}"),
        )));
    };
    let timeout = ai.timeout.as_std();
    if timeout.is_zero() {
        return Err(Box::new(resolved.error_at(
            &KeyPath::parse("ai.timeout"),
            "ai.timeout must be longer than 0s",
            "e.g. `timeout: 5m`",
        )));
    }
    Ok(Some(match provider {
        AiProvider::Ollama => Box::new(Ollama::new(
            ai.url.as_deref().unwrap_or(DEFAULT_OLLAMA_URL),
            model,
            timeout,
        )),
        AiProvider::Openai => Box::new(OpenAi::new(
            ai.url.as_deref().unwrap_or(DEFAULT_OPENAI_URL),
            model,
            ai.api_key.clone(),
            timeout,
        )),
    }))
}
