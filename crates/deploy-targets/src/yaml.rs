//! YAML out of typed values: serde gives a JSON tree, the workspace's YAML library (saphyr)
//! emits it, so quoting (`"1"`, `"on"`, `"8gb"`) and block strings are its business, not ours.

use std::borrow::Cow;

use saphyr::{LoadableYamlNode, Mapping, Scalar, ScalarStyle, Yaml, YamlEmitter};
use serde::Serialize;
use serde_json::Value;

/// One YAML document for `value`.
pub fn document<T: Serialize + ?Sized>(value: &T) -> Result<String, String> {
    documents(std::slice::from_ref(&to_json(value)?))
}

/// Several YAML documents (`---` between them) in one text.
pub fn documents(values: &[Value]) -> Result<String, String> {
    let mut out = String::new();
    for value in values {
        let yaml = to_yaml(value);
        let mut text = String::new();
        let mut emitter = YamlEmitter::new(&mut text);
        // Multi-line strings (SQL, Flink's config) as literal blocks people can read.
        emitter.multiline(true);
        emitter.dump(&yaml).map_err(|e| format!("cannot write YAML: {e}"))?;
        out.push_str(&text);
        if !out.ends_with('\n') {
            out.push('\n');
        }
    }
    Ok(out)
}

/// A flat map as a YAML mapping without the document marker (Flink's `config.yaml` lines).
pub fn mapping_body(value: &Value) -> Result<String, String> {
    let text = documents(std::slice::from_ref(value))?;
    Ok(text.strip_prefix("---\n").unwrap_or(&text).to_owned())
}

pub fn to_json<T: Serialize + ?Sized>(value: &T) -> Result<Value, String> {
    serde_json::to_value(value).map_err(|e| format!("cannot serialize: {e}"))
}

fn to_yaml(value: &Value) -> Yaml<'static> {
    match value {
        Value::Null => Yaml::Value(Scalar::Null),
        Value::Bool(b) => Yaml::Value(Scalar::Boolean(*b)),
        Value::Number(n) => match n.as_i64() {
            Some(i) => Yaml::Value(Scalar::Integer(i)),
            None => Yaml::Value(Scalar::FloatingPoint(n.as_f64().unwrap_or(f64::NAN).into())),
        },
        // Plain, these would be booleans or numbers to YAML 1.1 readers (kubectl's): quoted.
        Value::String(s) if reads_otherwise_in_yaml_1_1(s) => {
            Yaml::Representation(Cow::Owned(s.clone()), ScalarStyle::DoubleQuoted, None)
        }
        Value::String(s) => Yaml::Value(Scalar::String(Cow::Owned(s.clone()))),
        Value::Array(items) => Yaml::Sequence(items.iter().map(to_yaml).collect()),
        Value::Object(map) => {
            let mut mapping = Mapping::new();
            for (key, child) in map {
                mapping.insert(Yaml::Value(Scalar::String(Cow::Owned(key.clone()))), to_yaml(child));
            }
            Yaml::Mapping(mapping)
        }
    }
}

/// Strings the emitter leaves plain that YAML 1.1 takes for another type: `y`/`n` (booleans)
/// and numbers with `_` separators. Only characters that need no escaping in double quotes.
fn reads_otherwise_in_yaml_1_1(s: &str) -> bool {
    matches!(s, "y" | "Y" | "n" | "N")
        || (s.contains('_')
            && s.chars()
                .all(|c| c.is_ascii_digit() || matches!(c, '_' | '.' | '-' | '+'))
            && s.replace('_', "").parse::<f64>().is_ok())
}

/// Reads YAML documents back as JSON trees (what tests and `--apply` checks read).
pub fn parse_documents(text: &str) -> Result<Vec<Value>, String> {
    let docs = Yaml::load_from_str(text).map_err(|e| e.to_string())?;
    docs.iter().map(from_yaml).collect()
}

fn from_yaml(yaml: &Yaml) -> Result<Value, String> {
    Ok(match yaml {
        Yaml::Value(Scalar::Null) => Value::Null,
        Yaml::Value(Scalar::Boolean(b)) => Value::Bool(*b),
        Yaml::Value(Scalar::Integer(i)) => Value::from(*i),
        Yaml::Value(Scalar::FloatingPoint(f)) => Value::from(f.into_inner()),
        Yaml::Value(Scalar::String(s)) => Value::String(s.to_string()),
        Yaml::Sequence(items) => Value::Array(items.iter().map(from_yaml).collect::<Result<_, _>>()?),
        Yaml::Mapping(map) => {
            let mut object = serde_json::Map::new();
            for (key, child) in map {
                let key = match key {
                    Yaml::Value(Scalar::String(s)) => s.to_string(),
                    Yaml::Value(other) => from_yaml(&Yaml::Value(other.clone()))?.to_string(),
                    _ => return Err("a mapping key that is not a scalar".into()),
                };
                object.insert(key, from_yaml(child)?);
            }
            Value::Object(object)
        }
        other => return Err(format!("unexpected YAML node {other:?}")),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn values_that_look_like_other_types_stay_strings_and_round_trip() {
        let value = json!({
            "acks": "1", "flag": "on", "size": "8gb", "empty": "", "n": 3, "f": 0.4,
            "sql": "SELECT 1;\nSELECT 2;\n", "list": ["a: b", "-x", "y", "N", "1_000"], "nothing": null, "yes": true
        });
        let text = documents(std::slice::from_ref(&value)).unwrap();
        assert!(text.contains("sql: |\n"), "{text}");
        for quoted in ["\"y\"", "\"N\"", "\"1_000\""] {
            assert!(text.contains(quoted), "{quoted} in {text}");
        }
        assert_eq!(parse_documents(&text).unwrap(), vec![value]);
    }

    #[test]
    fn several_documents_in_one_text() {
        let text = documents(&[json!({"a": 1}), json!({"b": 2})]).unwrap();
        assert_eq!(parse_documents(&text).unwrap(), vec![json!({"a": 1}), json!({"b": 2})]);
    }
}
