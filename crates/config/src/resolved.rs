//! The merged configuration and where each of its values came from.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use serde_json::Value;

use crate::origin::Origin;
use crate::path::KeyPath;
use crate::schema::Config;
use crate::secret::{REDACTED, is_secret_key, redact_url_credentials};

#[derive(Debug, Clone)]
pub struct ResolvedConfig {
    pub config: Config,
    /// Only the keys some layer set; everything else is a default.
    origins: BTreeMap<KeyPath, Origin>,
}

impl ResolvedConfig {
    pub(crate) fn new(config: Config, origins: BTreeMap<KeyPath, Origin>) -> Self {
        Self { config, origins }
    }

    /// The built-in defaults, as if no file, variable or flag set anything.
    pub fn defaults() -> Self {
        Self::new(Config::default(), BTreeMap::new())
    }

    /// Where the value at `path` came from (the layer that set it or an enclosing key).
    pub fn origin(&self, path: &KeyPath) -> Origin {
        self.origins
            .iter()
            .filter(|(set, _)| path.starts_with(set))
            .max_by_key(|(set, _)| set.segments().len())
            .map(|(_, origin)| origin.clone())
            .unwrap_or_else(Origin::default_value)
    }

    /// An error about the value at `path`, at the file and line that set it.
    pub fn error_at(
        &self,
        path: &KeyPath,
        message: impl Into<String>,
        hint: impl Into<String>,
    ) -> pipegen_diag::Diagnostic {
        let origin = self.origin(path);
        let mut diagnostic = pipegen_diag::Diagnostic::error(message).with_hint(hint);
        if let Some(file) = origin.source.file() {
            diagnostic = diagnostic.in_file(file);
            if let Some(position) = origin.position {
                diagnostic = diagnostic.at(position);
            }
        }
        diagnostic
    }

    /// The effective configuration as JSON with every secret replaced by `<redacted>`, also in
    /// free-form client properties (`sasl.password`, `basic.auth.user.info`, ...).
    pub fn redacted_json(&self) -> Value {
        let mut value = serde_json::to_value(&self.config).unwrap_or(Value::Null);
        redact(&mut value);
        value
    }

    /// `config show`: the effective configuration as YAML, each value followed by its origin.
    pub fn render_with_origins(&self) -> String {
        let mut out =
            String::from("# Effective configuration (secrets redacted). Right: where each value came from.\n");
        if let Value::Object(map) = self.redacted_json() {
            self.render_object(&map, &mut KeyPath::root(), 0, &mut out);
        }
        out
    }

    fn render_object(&self, map: &serde_json::Map<String, Value>, path: &mut KeyPath, depth: usize, out: &mut String) {
        for (key, value) in map {
            path.push(key.clone());
            let indent = "  ".repeat(depth);
            match value {
                Value::Object(children) if !children.is_empty() => {
                    let _ = writeln!(out, "{indent}{}:", yaml_key(key));
                    self.render_object(children, path, depth + 1, out);
                }
                _ => {
                    let line = format!("{indent}{}: {}", yaml_key(key), yaml_scalar(value));
                    let _ = writeln!(out, "{line:<56} # {}", self.origin(path));
                }
            }
            path.pop();
        }
    }
}

fn redact(value: &mut Value) {
    match value {
        Value::Object(map) => {
            for (key, child) in map.iter_mut() {
                if is_secret_key(key) && child.is_string() {
                    *child = Value::String(REDACTED.to_owned());
                } else {
                    redact(child);
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(redact),
        Value::String(text) if text.contains('@') => *text = redact_url_credentials(text),
        _ => {}
    }
}

fn yaml_key(key: &str) -> String {
    if key
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'))
    {
        key.to_owned()
    } else {
        Value::String(key.to_owned()).to_string()
    }
}

fn yaml_scalar(value: &Value) -> String {
    match value {
        Value::Null => "~".to_owned(),
        Value::String(s) if needs_quotes(s) => Value::String(s.clone()).to_string(),
        Value::String(s) => s.clone(),
        Value::Array(items) => format!("[{}]", items.iter().map(yaml_scalar).collect::<Vec<_>>().join(", ")),
        Value::Object(map) if map.is_empty() => "{}".to_owned(),
        other => other.to_string(),
    }
}

/// Quotes what YAML would otherwise read as another type or as syntax.
fn needs_quotes(s: &str) -> bool {
    s.is_empty()
        || !matches!(crate::yaml::parse_scalar(s), Value::String(_))
        || s.starts_with(|c: char| "!&*[]{}|>'\"%@`#,?:-".contains(c) || c.is_whitespace())
        || s.contains(": ")
        || s.contains(" #")
        || s.ends_with(char::is_whitespace)
}
