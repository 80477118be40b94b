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
}
