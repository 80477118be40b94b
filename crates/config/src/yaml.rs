//! Reading a YAML config file into positioned entries.
//!
//! The file becomes a flat list of leaves (`kafka.producer.linger_ms = 10`, with the line it was
//! written on), which is what layering merges and what errors point back to.

use std::borrow::Cow;

use pipegen_diag::Position;
use saphyr::{LoadableYamlNode, MarkedYaml, Scalar, YamlData};
use saphyr_parser::Event;
use serde_json::Value;

use crate::path::KeyPath;

/// One value set by a layer.
#[derive(Debug, Clone, PartialEq)]
pub struct Leaf {
    pub path: KeyPath,
    pub value: Value,
    pub position: Option<Position>,
}

/// Everything a file says: its leaves, and where every node (also inside lists) starts, so
/// that an error found later at `benchmark.scenarios.1.rate` can still point at its line.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct YamlDocument {
    pub leaves: Vec<Leaf>,
    pub positions: Vec<(KeyPath, Position)>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct YamlError {
    pub message: String,
    pub position: Option<Position>,
    pub hint: Option<String>,
}

/// Far deeper than any config (`benchmark.scenarios.0.traffic_pattern` is four); a tree much
/// deeper would overflow the stack as it is built, walked and dropped.
const MAX_NESTING: usize = 64;

pub fn parse_document(text: &str) -> Result<YamlDocument, YamlError> {
    check_nesting(text)?;
    let docs = MarkedYaml::load_from_str(text).map_err(|e| YamlError {
        message: format!("this is not valid YAML: {}", e.info()),
        position: Some(Position::new(e.marker().line(), e.marker().col() + 1)),
        hint: Some("check the indentation and that every `key: value` has a space after the colon".into()),
    })?;
    let mut document = YamlDocument::default();
    if let Some(second) = docs.get(1) {
        // A second document would be silently ignored: say so instead.
        return Err(YamlError {
            message: "a config file holds one YAML document, but this starts a second".into(),
            position: Some(document_start(text, second)),
            hint: Some("remove the `---` line and merge the two parts, or keep each in its own file".into()),
        });
    }
    let Some(root) = docs.into_iter().next() else {
        return Ok(document); // an empty file sets nothing
    };
    match &root.data {
        YamlData::Mapping(_) => flatten(&root, &mut KeyPath::root(), &mut document, true)?,
        YamlData::Value(Scalar::Null) => {}
        _ => {
            return Err(YamlError {
                message: "the top level of a config file must be a mapping of keys".into(),
                position: Some(position_of(&root)),
                hint: Some("start with a key such as `kafka:` or `run:`".into()),
            });
        }
    }
    Ok(document)
}

/// Where a document after the first begins: its `---` line when there is one.
fn document_start(text: &str, document: &MarkedYaml<'_>) -> Position {
    let at = position_of(document);
    let marker = text
        .lines()
        .enumerate()
        .take(at.line)
        .filter(|(_, line)| line.trim_end() == "---" || line.starts_with("--- "))
        .last();
    match marker {
        Some((index, _)) => Position::new(index + 1, 1),
        None => at,
    }
}

/// Refuses nesting deeper than [`MAX_NESTING`] from the parser's events, before any tree exists.
fn check_nesting(text: &str) -> Result<(), YamlError> {
    let mut depth = 0usize;
    for event in saphyr_parser::Parser::new_from_str(text) {
        // A syntax error is reported by the loader, with its own message.
        let Ok((event, span)) = event else {
            return Ok(());
        };
        match event {
            Event::SequenceStart(..) | Event::MappingStart(..) => depth += 1,
            Event::SequenceEnd | Event::MappingEnd => depth = depth.saturating_sub(1),
            _ => {}
        }
        if depth > MAX_NESTING {
            return Err(YamlError {
                message: format!("values nest more than {MAX_NESTING} levels deep here"),
                position: Some(Position::new(span.start.line(), span.start.col() + 1)),
                hint: Some("a pipegen config nests a few levels (`kafka.producer.linger_ms`): check that this is the file you meant".into()),
            });
        }
    }
    Ok(())
}

fn position_of(node: &MarkedYaml<'_>) -> Position {
    Position::new(node.span.start.line(), node.span.start.col() + 1)
}

fn flatten(
    node: &MarkedYaml<'_>,
    path: &mut KeyPath,
    out: &mut YamlDocument,
    record_leaves: bool,
) -> Result<(), YamlError> {
    let position = position_of(node);
    match &node.data {
        YamlData::Mapping(map) => {
            for (key, child) in map {
                let name = key_name(key)?;
                path.push(name);
                // A key's own line is where users look, not where its value starts.
                out.positions.push((path.clone(), position_of(key)));
                flatten(child, path, out, record_leaves)?;
                path.pop();
            }
            if map.is_empty() && record_leaves && !path.is_root() {
                out.leaves.push(Leaf {
                    path: path.clone(),
                    value: Value::Object(Default::default()),
                    position: Some(position),
                });
            }
        }
        YamlData::Sequence(items) => {
            // Lists are replaced whole by a later layer, never merged item by item.
            for (index, item) in items.iter().enumerate() {
                path.push(index.to_string());
                out.positions.push((path.clone(), position_of(item)));
                flatten(item, path, out, false)?;
                path.pop();
            }
            if record_leaves {
                out.leaves.push(Leaf {
                    path: path.clone(),
                    value: to_json(node)?,
                    position: Some(position),
                });
            }
        }
        _ => {
            if record_leaves {
                out.leaves.push(Leaf {
                    path: path.clone(),
                    value: to_json(node)?,
                    position: Some(position),
                });
            }
        }
    }
    Ok(())
}

fn key_name(key: &MarkedYaml<'_>) -> Result<String, YamlError> {
    match scalar_of(key) {
        Some(Scalar::String(s)) => Ok(s.into_owned()),
        Some(Scalar::Integer(i)) => Ok(i.to_string()),
        Some(Scalar::Boolean(b)) => Ok(b.to_string()),
        _ => Err(YamlError {
            message: "a key must be a plain word".into(),
            position: Some(position_of(key)),
            hint: None,
        }),
    }
}

fn scalar_of<'a>(node: &'a MarkedYaml<'_>) -> Option<Scalar<'a>> {
    match &node.data {
        YamlData::Value(scalar) => Some(match scalar {
            Scalar::String(s) => Scalar::String(Cow::Borrowed(s.as_ref())),
            Scalar::Null => Scalar::Null,
            Scalar::Boolean(b) => Scalar::Boolean(*b),
            Scalar::Integer(i) => Scalar::Integer(*i),
            Scalar::FloatingPoint(f) => Scalar::FloatingPoint(*f),
        }),
        YamlData::Representation(raw, style, tag) => {
            Scalar::parse_from_cow_and_metadata(Cow::Borrowed(raw.as_ref()), *style, tag.as_ref())
        }
        YamlData::Tagged(_, inner) => scalar_of(inner),
        _ => None,
    }
}

/// Converts a node to JSON with YAML 1.2 core-schema scalars (`10` is a number, `"10"` a string).
fn to_json(node: &MarkedYaml<'_>) -> Result<Value, YamlError> {
    match &node.data {
        YamlData::Sequence(items) => items.iter().map(to_json).collect::<Result<_, _>>().map(Value::Array),
        YamlData::Mapping(map) => {
            let mut object = serde_json::Map::new();
            for (key, value) in map {
                object.insert(key_name(key)?, to_json(value)?);
            }
            Ok(Value::Object(object))
        }
        YamlData::Tagged(_, inner) => to_json(inner),
        YamlData::Alias(_) => Err(YamlError {
            message: "YAML aliases (`*name`) are not supported in pipegen config".into(),
            position: Some(position_of(node)),
            hint: Some("write the value out in full".into()),
        }),
        _ => match scalar_of(node) {
            Some(Scalar::Null) => Ok(Value::Null),
            Some(Scalar::Boolean(b)) => Ok(Value::Bool(b)),
            Some(Scalar::Integer(i)) => Ok(Value::from(i)),
            Some(Scalar::FloatingPoint(f)) => serde_json::Number::from_f64(f.into_inner())
                .map(Value::Number)
                .ok_or_else(|| YamlError {
                    message: format!("`{}` is not a finite number", f.into_inner()),
                    position: Some(position_of(node)),
                    hint: Some("write a number such as 1000, or quote the text if it is meant as text".into()),
                }),
            Some(Scalar::String(s)) => Ok(Value::String(s.into_owned())),
            None => Err(YamlError {
                message: "this value could not be read".into(),
                position: Some(position_of(node)),
                hint: None,
            }),
        },
    }
}

/// Reads one scalar as a config file would (for environment variables and flags):
/// `10` is a number, `true` a boolean, anything unparsable a string.
pub fn parse_scalar(text: &str) -> Value {
    match Scalar::parse_from_cow(Cow::Borrowed(text)) {
        Scalar::Null => Value::Null,
        Scalar::Boolean(b) => Value::Bool(b),
        Scalar::Integer(i) => Value::from(i),
        Scalar::FloatingPoint(f) => {
            serde_json::Number::from_f64(f.into_inner()).map_or_else(|| Value::String(text.to_owned()), Value::Number)
        }
        Scalar::String(s) => Value::String(s.into_owned()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flattens_with_key_positions() {
        let doc =
            parse_document("kafka:\n  producer:\n    linger_ms: 10\n    acks: \"1\"\nrun:\n  duration: 5m\n").unwrap();
        let leaves: Vec<_> = doc
            .leaves
            .iter()
            .map(|l| (l.path.to_string(), l.value.clone(), l.position.unwrap().line))
            .collect();
        assert_eq!(
            leaves,
            vec![
                ("kafka.producer.linger_ms".into(), Value::from(10), 3),
                ("kafka.producer.acks".into(), Value::from("1"), 4),
                ("run.duration".into(), Value::from("5m"), 6),
            ]
        );
    }

    #[test]
    fn lists_are_single_leaves_with_item_positions() {
        let doc = parse_document("flink:\n  jvm_args:\n    - -XX:+UseG1GC\n    - -Xss1m\n").unwrap();
        assert_eq!(doc.leaves.len(), 1);
        assert_eq!(doc.leaves[0].value, serde_json::json!(["-XX:+UseG1GC", "-Xss1m"]));
        let item = doc
            .positions
            .iter()
            .find(|(p, _)| p.to_string() == "flink.jvm_args.1")
            .unwrap();
        assert_eq!(item.1.line, 4);
    }

    #[test]
    fn empty_file_sets_nothing_and_bad_yaml_has_a_line() {
        assert!(parse_document("").unwrap().leaves.is_empty());
        assert!(parse_document("# only a comment\n").unwrap().leaves.is_empty());
        let err = parse_document("run:\n  duration: 5m\n bad: [\n").unwrap_err();
        assert!(err.position.unwrap().line >= 3, "{err:?}");
        let err = parse_document("- a\n- b\n").unwrap_err();
        assert!(err.message.contains("mapping"));
    }

    #[test]
    fn a_second_document_is_an_error_at_its_marker() {
        let err = parse_document("run:\n  duration: 5m\n---\nrun:\n  duration: 6m\n").unwrap_err();
        assert!(err.message.contains("second"), "{err:?}");
        assert_eq!(err.position.unwrap().line, 3);
        // A lone `---` before the only document starts it: that is one document.
        assert!(parse_document("---\nrun:\n  duration: 5m\n").is_ok());
    }

    #[test]
    fn non_finite_numbers_are_refused_where_written() {
        for text in ["run:\n  message_rate: .nan\n", "run:\n  message_rate: -.inf\n"] {
            let err = parse_document(text).unwrap_err();
            assert!(err.message.contains("not a finite number"), "{err:?}");
            assert_eq!(err.position.unwrap().line, 2);
        }
    }

    #[test]
    fn deep_nesting_is_refused_before_it_is_built() {
        let deep: String = (0..5000).map(|i| format!("{}a:\n", " ".repeat(i))).collect();
        let err = parse_document(&deep).unwrap_err();
        assert!(err.message.contains("more than 64 levels deep"), "{err:?}");
        assert_eq!(err.position.map(|p| p.line), Some(65));
        let ok: String = (0..MAX_NESTING).map(|i| format!("{}a:\n", " ".repeat(i))).collect();
        parse_document(&(ok + &" ".repeat(MAX_NESTING) + "b: 1\n")).unwrap_err(); // one too deep
        let ok: String = (0..MAX_NESTING - 1).map(|i| format!("{}a:\n", " ".repeat(i))).collect();
        parse_document(&(ok + &" ".repeat(MAX_NESTING - 1) + "b: 1\n")).unwrap();
    }

    #[test]
    fn duplicate_keys_are_an_error() {
        assert!(parse_document("run:\n  duration: 5m\n  duration: 6m\n").is_err());
    }

    #[test]
    fn scalars_resolve_like_yaml() {
        assert_eq!(parse_scalar("10"), Value::from(10));
        assert_eq!(parse_scalar("true"), Value::Bool(true));
        assert_eq!(parse_scalar("localhost:9092"), Value::from("localhost:9092"));
        assert_eq!(parse_scalar("1.5"), Value::from(1.5));
    }
}
