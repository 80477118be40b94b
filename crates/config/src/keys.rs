//! Which keys exist: derived from the defaults, so the schema is written once.

use serde_json::Value;

use crate::path::KeyPath;
use crate::schema::Config;

/// Keys the original PipeGen read, and where their meaning lives now.
const LEGACY_KEYS: &[(&str, &str)] = &[
    ("kafka_config", "kafka.topics (partitions, replication_factor, config)"),
    ("producer_config", "kafka.producer"),
    ("consumer_config", "kafka.consumer"),
    ("default_message_rate", "run.message_rate"),
    ("default_duration", "run.duration"),
    ("cleanup_on_exit", "run.cleanup"),
    ("flink_sql_gateway_url", "sql_gateway_url"),
    ("topic_prefix", "kafka.topics.naming"),
    (
        "local_mode",
        "leave bootstrap_servers unset to run on the embedded stack",
    ),
];

/// Keys a per-topic override (`kafka.topics.<name>`) may hold.
const TOPIC_OVERRIDE_KEYS: &[&str] = &["partitions", "replication_factor", "config"];

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnknownKey {
    /// The path up to and including the unknown segment.
    pub path: KeyPath,
    pub suggestion: Option<String>,
    pub hint: Option<String>,
}

/// The tree of known keys.
pub struct KeyCatalogue {
    defaults: Value,
}

impl Default for KeyCatalogue {
    fn default() -> Self {
        Self::new()
    }
}

impl KeyCatalogue {
    pub fn new() -> Self {
        let defaults = serde_json::to_value(Config::default()).unwrap_or(Value::Null);
        Self { defaults }
    }

    /// Checks a leaf path a layer sets. Empty mappings in the defaults (`properties`, `config`)
    /// are open: any key below them is the user's.
    pub fn check(&self, path: &KeyPath) -> Result<(), UnknownKey> {
        let segments = path.segments();
        let mut node = &self.defaults;
        for (depth, segment) in segments.iter().enumerate() {
            let Value::Object(children) = node else {
                return Ok(()); // below a leaf such as a list: serde checks the shape
            };
            if children.is_empty() {
                return Ok(()); // an open map
            }
            if let Some(child) = children.get(segment) {
                node = child;
                continue;
            }
            let here: KeyPath = segments[..=depth].iter().cloned().collect();
            if is_topic_override(&segments[..depth]) && depth + 1 < segments.len() {
                return check_topic_override(&here, &segments[depth + 1..]);
            }
            return Err(unknown(here, children.keys().map(String::as_str)));
        }
        Ok(())
    }

    /// Whether `path` is a section of known keys (`run`, `kafka.producer`), which only a
    /// mapping can set.
    pub fn is_section(&self, path: &KeyPath) -> bool {
        !path.is_root() && !self.children(path).is_empty()
    }

    /// The known keys directly below `path` (for listing and suggestions).
    pub fn children(&self, path: &KeyPath) -> Vec<String> {
        let mut node = &self.defaults;
        for segment in path.segments() {
            match node.get(segment) {
                Some(child) => node = child,
                None => return Vec::new(),
            }
        }
        match node {
            Value::Object(map) => map.keys().cloned().collect(),
            _ => Vec::new(),
        }
    }
}

fn is_topic_override(parent: &[String]) -> bool {
    parent == ["kafka", "topics"]
}

fn check_topic_override(topic: &KeyPath, rest: &[String]) -> Result<(), UnknownKey> {
    let key = &rest[0];
    let allowed = match key.as_str() {
        "config" => true, // open map of topic configs
        "partitions" | "replication_factor" => rest.len() == 1,
        _ => false,
    };
    if allowed {
        return Ok(());
    }
    let mut here = topic.clone();
    here.push(key.clone());
    Err(unknown(here, TOPIC_OVERRIDE_KEYS.iter().copied()))
}

fn unknown<'a>(path: KeyPath, candidates: impl IntoIterator<Item = &'a str>) -> UnknownKey {
    let word = path.last().unwrap_or_default().to_owned();
    let candidates: Vec<&str> = candidates.into_iter().collect();
    let suggestion = pipegen_diag::did_you_mean(&word, candidates.iter().copied()).map(str::to_owned);
    let legacy = LEGACY_KEYS
        .iter()
        .find(|(old, _)| path.segments().len() == 1 && *old == word)
        .map(|(old, new)| format!("`{old}` is the original PipeGen's key; pipegen uses {new}"));
    let hint = legacy.or_else(|| {
        suggestion.is_none().then(|| {
            let parent = path.parent().filter(|p| !p.is_root());
            let place = parent.map_or("at the top level".to_owned(), |p| format!("under `{p}`"));
            format!("valid keys {place}: {}", candidates.join(", "))
        })
    });
    UnknownKey { path, suggestion, hint }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(dotted: &str) -> Result<(), UnknownKey> {
        KeyCatalogue::new().check(&KeyPath::parse(dotted))
    }

    #[test]
    fn known_and_open_keys_pass() {
        for ok in [
            "kafka.producer.linger_ms",
            "kafka.producer.properties.queue.buffering.max.ms",
            "kafka.topics.config.retention.ms",
            "kafka.topics.input.partitions",
            "kafka.topics.orders.config.cleanup.policy",
            "flink.memory.managed.fraction",
            "flink.state.rocksdb.block_cache_size",
            "benchmark.scenarios",
            "bootstrap_servers",
        ] {
            assert_eq!(check(ok), Ok(()), "{ok}");
        }
    }

    #[test]
    fn sections_are_known_as_sections() {
        let keys = KeyCatalogue::new();
        assert!(keys.is_section(&KeyPath::parse("run")));
        assert!(keys.is_section(&KeyPath::parse("kafka.producer")));
        assert!(!keys.is_section(&KeyPath::parse("run.duration")));
        assert!(!keys.is_section(&KeyPath::parse("kafka.producer.properties")));
    }

    #[test]
    fn typos_get_the_nearest_key() {
        let err = check("kafka.producer.linger_m").unwrap_err();
        assert_eq!(err.path.to_string(), "kafka.producer.linger_m");
        assert_eq!(err.suggestion.as_deref(), Some("linger_ms"));

        let err = check("kafka.topics.input.partitons").unwrap_err();
        assert_eq!(err.suggestion.as_deref(), Some("partitions"));

        let err = check("flink.paralelism").unwrap_err();
        assert_eq!(err.suggestion.as_deref(), Some("parallelism"));
    }

    #[test]
    fn unrelated_keys_list_the_valid_ones_and_legacy_keys_say_where_they_went() {
        let err = check("kafka.producer.zebra").unwrap_err();
        assert!(err.hint.unwrap().contains("batch_size"));
        let err = check("kafka_config.partitions").unwrap_err();
        assert!(err.hint.unwrap().contains("kafka.topics"));
    }
}
