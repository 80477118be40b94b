//! `PIPEGEN_*` environment variables: `PIPEGEN_KAFKA__PRODUCER__LINGER_MS=10` sets
//! `kafka.producer.linger_ms` (a double underscore separates levels).

use crate::path::KeyPath;

const PREFIX: &str = "PIPEGEN_";

/// Variables with the prefix that belong to other features, not to the config tree.
const NOT_CONFIG: &[&str] = &[
    "PIPEGEN_LOG",
    "PIPEGEN_OLLAMA_",
    "PIPEGEN_OPENAI_",
    "PIPEGEN_LLM_",
    "PIPEGEN_MOCK_",
];

/// The original tool's variables for the language model, and the `ai` key each sets. A
/// provider's variables apply when `ai.provider` names it, or when it is not set (then the
/// first variable's provider is chosen, Ollama's before OpenAI's: a local model keeps the
/// description on the machine).
const PROVIDER_VARIABLES: &[(&str, &str, &str)] = &[
    ("ollama", "PIPEGEN_OLLAMA_MODEL", "model"),
    ("ollama", "PIPEGEN_OLLAMA_URL", "url"),
    ("openai", "PIPEGEN_OPENAI_API_KEY", "api_key"),
    ("openai", "PIPEGEN_OPENAI_MODEL", "model"),
    ("openai", "PIPEGEN_OPENAI_BASE_URL", "url"),
];

/// The `ai` settings the provider variables in `env` make, given the provider the other
/// layers chose (if any): (variable, key, value), the provider first when it is implied.
pub fn provider_settings<'e>(env: &'e [(String, String)], chosen: Option<&str>) -> Vec<(&'e str, KeyPath, String)> {
    let set = |provider: &str| -> Vec<(&'e str, KeyPath, String)> {
        PROVIDER_VARIABLES
            .iter()
            .filter(|(p, _, _)| *p == provider)
            .filter_map(|(_, variable, key)| {
                env.iter()
                    .find(|(name, value)| name == variable && !value.is_empty())
                    .map(|(name, value)| (name.as_str(), KeyPath::parse(&format!("ai.{key}")), value.clone()))
            })
            .collect()
    };
    if let Some(provider) = chosen {
        return set(provider);
    }
    for provider in ["ollama", "openai"] {
        let found = set(provider);
        if let Some((variable, _, _)) = found.first() {
            let mut settings = vec![(*variable, KeyPath::parse("ai.provider"), provider.to_owned())];
            settings.extend(found);
            return settings;
        }
    }
    Vec::new()
}

/// The config key a variable sets, or `None` when the variable is not a config variable.
pub fn key_of(variable: &str) -> Option<KeyPath> {
    let rest = variable.strip_prefix(PREFIX)?;
    if rest.is_empty() || NOT_CONFIG.iter().any(|p| variable.starts_with(p)) {
        return None;
    }
    Some(rest.split("__").map(str::to_ascii_lowercase).collect())
}

/// The variable that sets `key` (for hints).
pub fn variable_for(key: &KeyPath) -> String {
    let upper: Vec<String> = key.segments().iter().map(|s| s.to_ascii_uppercase()).collect();
    format!("{PREFIX}{}", upper.join("__"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn maps_variables_to_keys_and_back() {
        let key = key_of("PIPEGEN_KAFKA__PRODUCER__LINGER_MS").unwrap();
        assert_eq!(key.to_string(), "kafka.producer.linger_ms");
        assert_eq!(variable_for(&key), "PIPEGEN_KAFKA__PRODUCER__LINGER_MS");
        assert_eq!(
            key_of("PIPEGEN_BOOTSTRAP_SERVERS").unwrap().to_string(),
            "bootstrap_servers"
        );
        assert_eq!(key_of("PIPEGEN_OPENAI_API_KEY"), None);
        assert_eq!(key_of("HOME"), None);
    }

    fn env(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
    }

    fn shown(settings: Vec<(&str, KeyPath, String)>) -> Vec<String> {
        settings
            .into_iter()
            .map(|(v, k, value)| format!("{v}:{k}={value}"))
            .collect()
    }

    #[test]
    fn provider_variables_choose_a_provider_unless_one_is_chosen() {
        let both = env(&[
            ("PIPEGEN_OPENAI_MODEL", "gpt-x"),
            ("PIPEGEN_OLLAMA_MODEL", "llama3.2"),
            ("PIPEGEN_OPENAI_API_KEY", "sk-1"),
        ]);
        assert_eq!(
            shown(provider_settings(&both, None)),
            [
                "PIPEGEN_OLLAMA_MODEL:ai.provider=ollama",
                "PIPEGEN_OLLAMA_MODEL:ai.model=llama3.2"
            ]
        );
        assert_eq!(
            shown(provider_settings(&both, Some("openai"))),
            [
                "PIPEGEN_OPENAI_API_KEY:ai.api_key=sk-1",
                "PIPEGEN_OPENAI_MODEL:ai.model=gpt-x"
            ]
        );
        assert!(provider_settings(&env(&[("PIPEGEN_OLLAMA_MODEL", "")]), None).is_empty());
    }
}
