//! Reading `.avsc` files.

use std::path::{Path, PathBuf};

use apache_avro::Schema;
use pipegen_diag::{Position, did_you_mean};
use serde_json::Value;

use crate::error::SchemaError;
use crate::shape;

const AVRO_TYPES: &[&str] = &[
    "null", "boolean", "int", "long", "float", "double", "bytes", "string", "record", "enum", "array", "map", "fixed",
];

/// A parsed schema Flink can declare, the text it came from and the file it was read from.
#[derive(Debug, Clone)]
pub struct AvroSchema {
    schema: Schema,
    text: String,
    path: PathBuf,
}

impl AvroSchema {
    /// As named in messages.
    pub fn path(&self) -> &Path {
        &self.path
    }

    pub fn schema(&self) -> &Schema {
        &self.schema
    }

    pub fn text(&self) -> &str {
        &self.text
    }

    /// `com.example.UserEvent` for a named type, the type name otherwise.
    pub fn full_name(&self) -> String {
        match &self.schema {
            Schema::Record(r) => r.name.fullname(None),
            Schema::Enum(e) => e.name.fullname(None),
            Schema::Fixed(f) => f.name.fullname(None),
            other => format!("{other:?}"),
        }
    }

    /// `UserEvent`.
    pub fn short_name(&self) -> &str {
        match &self.schema {
            Schema::Record(r) => &r.name.name,
            _ => "input",
        }
    }
}

/// Reads and parses the AVRO schema in the file at `path` (bounded, see [`pipegen_diag::input`]).
pub fn read_schema(path: &Path) -> Result<AvroSchema, SchemaError> {
    let text = pipegen_diag::input::read_text(path, pipegen_diag::input::SCHEMA)?;
    parse_schema(path, &text)
}

/// Parses an AVRO schema: first as JSON (so syntax errors get their line and column), then
/// with `apache-avro`, whose complaints are traced back to the place in the file they concern,
/// then for what Flink needs of it: no recursive types, bounded nesting, records with fields,
/// enums with symbols, decimals within DECIMAL(1..38).
pub fn parse_schema(path: &Path, text: &str) -> Result<AvroSchema, SchemaError> {
    let json: Value = serde_json::from_str(text).map_err(|e| {
        SchemaError::new(path, format!("this is not valid JSON: {e}"))
            .at(Some(Position::new(e.line(), e.column().max(1))), text)
            .with_hint("an .avsc file is one JSON document: check commas, quotes and brackets near this place")
    })?;
    if let Some(name) = find_invalid_name(&json) {
        return Err(SchemaError::new(path, format!("\"{name}\" is not a valid AVRO name"))
            .at(find_quoted(text, name), text)
            .with_hint("names are letters, digits and _, starting with a letter or _; dots separate a namespace"));
    }
    if let Some(problem) = find_unknown_type(&json) {
        let suggestion = did_you_mean(&problem, AVRO_TYPES.iter().copied());
        let hint = match suggestion {
            Some(s) => format!("did you mean \"{s}\"?"),
            None => format!(
                "AVRO types: {}, or the name of a type defined earlier",
                AVRO_TYPES.join(", ")
            ),
        };
        let position = find_quoted(text, &problem);
        // Only an error when apache-avro agrees (a named type defined elsewhere is fine).
        if Schema::parse(&json).is_err() {
            return Err(SchemaError::new(path, format!("unknown type \"{problem}\""))
                .at(position, text)
                .with_hint(hint));
        }
    }
    let schema = Schema::parse(&json).map_err(|e| {
        let message = e.to_string();
        let position = locate_in_text(text, &message);
        SchemaError::new(path, format!("this is not a valid AVRO schema: {message}"))
            .at(position, text)
            .with_hint("see the AVRO specification for the shape of records, enums, arrays, maps, unions and fixed")
    })?;
    if let Schema::Record(record) = &schema {
        for field in &record.fields {
            if !is_identifier(&field.name) {
                return Err(
                    SchemaError::new(path, format!("field name \"{}\" is not a valid identifier", field.name))
                        .at(find_quoted(text, &field.name), text)
                        .with_hint("use letters, digits and _ and start with a letter or _"),
                );
            }
        }
    } else {
        return Err(SchemaError::new(path, "the top-level schema must be a record")
            .at(Some(Position::new(1, 1)), text)
            .with_hint("wrap the fields in {\"type\": \"record\", \"name\": \"...\", \"fields\": [...]}"));
    }
    shape::check(&json).map_err(|problem| {
        SchemaError::new(path, problem.message)
            .at(problem.near.and_then(|word| find_quoted(text, &word)), text)
            .with_hint(problem.hint)
    })?;
    Ok(AvroSchema {
        schema,
        text: text.to_owned(),
        path: path.to_path_buf(),
    })
}

fn is_identifier(name: &str) -> bool {
    let mut chars = name.chars();
    chars.next().is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// The first name of a record, enum or fixed (or one of its aliases) that AVRO's name rule
/// refuses: apache-avro panics on those instead of returning an error.
fn find_invalid_name(value: &Value) -> Option<&str> {
    match value {
        Value::Object(map) => {
            if matches!(
                map.get("type").and_then(Value::as_str),
                Some("record" | "enum" | "fixed")
            ) {
                let name = map.get("name").and_then(Value::as_str);
                // apache-avro reads aliases only when every one is a string.
                let aliases: Vec<&str> = map
                    .get("aliases")
                    .and_then(Value::as_array)
                    .and_then(|items| items.iter().map(Value::as_str).collect::<Option<_>>())
                    .unwrap_or_default();
                if let Some(bad) = name.into_iter().chain(aliases).find(|n| !is_full_name(n)) {
                    return Some(bad);
                }
            }
            map.values().find_map(find_invalid_name)
        }
        Value::Array(items) => items.iter().find_map(find_invalid_name),
        _ => None,
    }
}

/// `Name`, `a.b.Name` or `.Name`, as apache-avro's name pattern accepts them.
fn is_full_name(name: &str) -> bool {
    // An empty namespace is written `.Name`; `.a.Name` is not a name.
    let segments: Vec<&str> = name.split('.').collect();
    segments
        .iter()
        .enumerate()
        .all(|(i, segment)| is_identifier(segment) || (i == 0 && segment.is_empty() && segments.len() == 2))
}

/// A `"type": "<name>"` whose name is neither an AVRO type nor defined anywhere in the document.
fn find_unknown_type(json: &Value) -> Option<String> {
    let mut defined = Vec::new();
    collect_names(json, &mut defined);
    let mut used = Vec::new();
    collect_type_refs(json, &mut used);
    used.into_iter().find(|name| {
        !AVRO_TYPES.contains(&name.as_str()) && !defined.iter().any(|d| d == name || d.ends_with(&format!(".{name}")))
    })
}

fn collect_names(value: &Value, out: &mut Vec<String>) {
    match value {
        Value::Object(map) => {
            if let (Some(Value::String(_)), Some(Value::String(name))) = (map.get("type"), map.get("name")) {
                match map.get("namespace").and_then(Value::as_str) {
                    Some(ns) if !name.contains('.') => out.push(format!("{ns}.{name}")),
                    _ => out.push(name.clone()),
                }
            }
            map.values().for_each(|v| collect_names(v, out));
        }
        Value::Array(items) => items.iter().for_each(|v| collect_names(v, out)),
        _ => {}
    }
}

fn collect_type_refs(value: &Value, out: &mut Vec<String>) {
    match value {
        Value::String(name) => out.push(name.clone()),
        Value::Array(branches) => branches.iter().for_each(|v| collect_type_refs(v, out)),
        Value::Object(map) => {
            if let Some(t) = map.get("type") {
                collect_type_refs(t, out);
            }
            for key in ["items", "values"] {
                if let Some(v) = map.get(key) {
                    collect_type_refs(v, out);
                }
            }
            if let Some(Value::Array(fields)) = map.get("fields") {
                for field in fields {
                    if let Some(t) = field.get("type") {
                        collect_type_refs(t, out);
                    }
                }
            }
        }
        _ => {}
    }
}

/// The position of the first `"word"` in the text.
pub(crate) fn find_quoted(text: &str, word: &str) -> Option<Position> {
    text.find(&format!("\"{word}\""))
        .map(|offset| Position::of_offset(text, offset + 1))
}

/// apache-avro names the offending name or value in its message; find it in the file.
fn locate_in_text(text: &str, message: &str) -> Option<Position> {
    let mut candidates: Vec<&str> = Vec::new();
    for quote in ['`', '"', '\''] {
        let mut parts = message.split(quote);
        parts.next();
        while let (Some(inside), Some(_)) = (parts.next(), parts.next()) {
            candidates.push(inside);
        }
    }
    candidates
        .into_iter()
        .filter(|c| !c.is_empty() && c.len() < 80)
        .find_map(|c| find_quoted(text, c.trim_matches('"')))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<AvroSchema, SchemaError> {
        parse_schema(Path::new("schemas/input.avsc"), text)
    }

    #[test]
    fn names_avro_refuses_are_errors_not_panics() {
        // Found by the avsc fuzz target: apache-avro unwraps its name check.
        for (text, bad) in [
            (
                r#"{"type":"record","name":"Ever+thing","fields":[{"name":"x","type":"long"}]}"#,
                "Ever+thing",
            ),
            (
                r#"{"type":"record","name":"R","fields":[{"name":"s","type":{"type":"enum","name":"S t","symbols":["A"]}}]}"#,
                "S t",
            ),
            (
                r#"{"type":"record","name":"R","fields":[{"name":"f","type":{"type":"fixed","name":"1x","size":2}}]}"#,
                "1x",
            ),
            (
                r#"{"type":"record","name":"R","aliases":["ok","no-way"],"fields":[{"name":"x","type":"long"}]}"#,
                "no-way",
            ),
        ] {
            let error = parse(text).unwrap_err();
            assert!(
                error.message.contains(&format!("\"{bad}\" is not a valid AVRO name")),
                "{error:?}"
            );
        }
        assert!(
            parse(r#"{"type":"record","name":"a.R","aliases":["b.Q",".P"],"fields":[{"name":"x","type":"long"}]}"#)
                .is_ok()
        );
    }

    #[test]
    fn reads_a_record() {
        let s =
            parse(r#"{"type":"record","name":"E","namespace":"a.b","fields":[{"name":"x","type":"long"}]}"#).unwrap();
        assert_eq!(s.full_name(), "a.b.E");
        assert_eq!(s.short_name(), "E");
    }

    #[test]
    fn json_errors_have_line_and_column() {
        let err = parse("{\n  \"type\": \"record\",\n  \"name\": \"E\"\n  \"fields\": []\n}").unwrap_err();
        assert_eq!(err.position.unwrap().line, 4, "{err:?}");
        assert!(err.message.contains("not valid JSON"));
    }

    #[test]
    fn unknown_types_point_at_their_line_and_suggest() {
        let err = parse(
            "{\"type\": \"record\", \"name\": \"E\",\n \"fields\": [\n  {\"name\": \"a\", \"type\": \"strin\"}\n]}",
        )
        .unwrap_err();
        assert_eq!(err.position.unwrap().line, 3, "{err:?}");
        assert_eq!(err.hint.as_deref(), Some("did you mean \"string\"?"));
        assert_eq!(
            err.source_line.as_deref(),
            Some("  {\"name\": \"a\", \"type\": \"strin\"}")
        );
    }

    #[test]
    fn named_types_defined_earlier_are_fine() {
        let text = r#"{"type":"record","name":"E","fields":[
            {"name":"home","type":{"type":"record","name":"Addr","fields":[{"name":"zip","type":"string"}]}},
            {"name":"work","type":"Addr"}]}"#;
        parse(text).unwrap();
    }

    #[test]
    fn rejects_what_avro_rejects_and_non_records() {
        assert!(parse(r#"{"type":"record","name":"E"}"#).is_err());
        assert!(parse(r#"{"type":"enum","name":"E","symbols":["A","A"]}"#).is_err());
        let err = parse(r#""string""#).unwrap_err();
        assert!(err.message.contains("must be a record"));
        let err = parse(r#"{"type":"record","name":"E","fields":[{"name":"a","type":["null","null"]}]}"#).unwrap_err();
        assert!(err.message.contains("not a valid AVRO schema"), "{err:?}");
    }

    #[test]
    fn recursive_records_are_refused_with_their_field_path() {
        let err = parse(
            "{\"type\": \"record\", \"name\": \"Node\", \"namespace\": \"a.b\", \"fields\": [\n  {\"name\": \"value\", \"type\": \"long\"},\n  {\"name\": \"next\", \"type\": [\"null\", \"Node\"]}\n]}",
        )
        .unwrap_err();
        assert!(
            err.message
                .contains("record `Node` contains itself through `Node.next`")
                && err.message.contains("cannot be recursive"),
            "{err:?}"
        );
        assert_eq!(err.position.map(|p| p.line), Some(3));
        assert!(err.hint.is_some());
        // Through another record, an array, a full name or an alias.
        for fields in [
            r#"{"name":"kids","type":{"type":"array","items":{"type":"record","name":"Kid","fields":[{"name":"up","type":"T"}]}}}"#,
            r#"{"name":"self","type":["null","x.T"]}"#,
            r#"{"name":"self","type":["null","Old"]}"#,
        ] {
            let text =
                format!(r#"{{"type":"record","name":"T","namespace":"x","aliases":["Old"],"fields":[{fields}]}}"#);
            let err = parse(&text).unwrap_err();
            assert!(err.message.contains("record `T` contains itself"), "{fields}: {err:?}");
        }
        // A reference resolves in its enclosing namespace first: here to x.Node, not to itself.
        parse(
            r#"{"type":"record","name":"Node","fields":[
            {"name":"a","type":{"type":"record","name":"Node","namespace":"x","fields":[{"name":"v","type":"int"}]}},
            {"name":"b","type":{"type":"record","name":"W","namespace":"x","fields":[{"name":"n","type":"Node"}]}}]}"#,
        )
        .unwrap();
        // A named type used twice side by side is not recursion.
        parse(
            r#"{"type":"record","name":"E","fields":[
            {"name":"home","type":{"type":"record","name":"Addr","fields":[{"name":"zip","type":"string"}]}},
            {"name":"work","type":["null","Addr"]}]}"#,
        )
        .unwrap();
    }

    /// `{"type":"record","name":"R<depth>","fields":[{"name":"f","type": <inner>}]}`, `depth` deep.
    fn nested_records(depth: usize) -> String {
        let mut text = r#""long""#.to_owned();
        for level in (0..depth).rev() {
            text = format!(r#"{{"type":"record","name":"R{level}","fields":[{{"name":"f{level}","type":{text}}}]}}"#);
        }
        text
    }

    #[test]
    fn nesting_is_bounded_in_depth_and_in_size() {
        parse(&nested_records(shape::MAX_DEPTH)).unwrap();
        let err = parse(&nested_records(shape::MAX_DEPTH + 1)).unwrap_err();
        assert!(err.message.contains("more than 32 levels deep"), "{err:?}");
        // Deeper than the JSON reader goes: refused, not a stack overflow.
        assert!(parse(&nested_records(10_000)).is_err());
        // Shallow but deep through references: each record holds the one before.
        let mut fields = vec![
            r#"{"name":"r0","type":{"type":"record","name":"R0","fields":[{"name":"x","type":"int"}]}}"#.to_owned(),
        ];
        for i in 1..40 {
            fields.push(format!(
                r#"{{"name":"r{i}","type":{{"type":"record","name":"R{i}","fields":[{{"name":"x","type":"R{}"}}]}}}}"#,
                i - 1
            ));
        }
        let err = parse(&format!(
            r#"{{"type":"record","name":"E","fields":[{}]}}"#,
            fields.join(",")
        ))
        .unwrap_err();
        assert!(err.message.contains("levels deep"), "{err:?}");
        // Shallow and small on disk, but each record holds two of the one before: 2^30 types.
        let mut fields = vec![
            r#"{"name":"r0","type":{"type":"record","name":"R0","fields":[{"name":"x","type":"int"}]}}"#.to_owned(),
        ];
        for i in 1..30 {
            fields.push(format!(
                r#"{{"name":"r{i}","type":["null",{{"type":"record","name":"R{i}","fields":[{{"name":"a","type":"R{p}"}},{{"name":"b","type":["null","R{p}"]}}]}}]}}"#,
                p = i - 1
            ));
        }
        let err = parse(&format!(
            r#"{{"type":"record","name":"E","fields":[{}]}}"#,
            fields.join(",")
        ))
        .unwrap_err();
        assert!(err.message.contains("expands to more than"), "{err:?}");
    }

    #[test]
    fn what_flink_cannot_declare_is_refused() {
        let err = parse(r#"{"type":"record","name":"Empty","fields":[]}"#).unwrap_err();
        assert!(err.message.contains("record `Empty` has no fields"), "{err:?}");
        let err = parse(
            r#"{"type":"record","name":"E","fields":[{"name":"inner","type":{"type":"record","name":"I","fields":[]}}]}"#,
        )
        .unwrap_err();
        assert!(err.message.contains("record `I` has no fields"), "{err:?}");
        let err = parse(
            r#"{"type":"record","name":"E","fields":[{"name":"color","type":{"type":"enum","name":"Color","symbols":[]}}]}"#,
        )
        .unwrap_err();
        assert!(err.message.contains("enum `Color` has no symbols"), "{err:?}");
        for (decimal, expected) in [
            (r#""precision":0"#, "decimal precision 0 is outside"),
            (r#""precision":39,"scale":2"#, "decimal precision 39 is outside"),
            (
                r#""precision":4,"scale":5"#,
                "decimal scale 5 is larger than its precision 4",
            ),
            (r#""scale":2"#, "needs an integer \"precision\""),
            (r#""precision":4,"scale":-1"#, "\"scale\" must be an integer"),
        ] {
            let text = format!(
                "{{\"type\":\"record\",\"name\":\"E\",\"fields\":[\n{{\"name\":\"amount\",\"type\":{{\"type\":\"bytes\",\"logicalType\":\"decimal\",{decimal}}}}}]}}"
            );
            let err = parse(&text).unwrap_err();
            assert!(
                err.message.contains(expected) && err.message.contains("`E.amount`"),
                "{decimal}: {err:?}"
            );
            assert_eq!(err.position.map(|p| p.line), Some(2), "{decimal}");
            assert!(err.hint.as_deref().unwrap().contains("1 to 38"), "{decimal}");
        }
        parse(r#"{"type":"record","name":"E","fields":[{"name":"a","type":{"type":"fixed","name":"D","size":16,"logicalType":"decimal","precision":38,"scale":38}}]}"#).unwrap();
    }

    #[test]
    fn read_schema_names_what_the_path_is() {
        let err = read_schema(Path::new("/dev/zero")).unwrap_err();
        assert!(err.message.starts_with("/dev/zero is larger than 16 MiB"), "{err:?}");
        let err = read_schema(Path::new("")).unwrap_err();
        assert_eq!(err.message, "the file name is empty");
        let err = read_schema(Path::new("/")).unwrap_err();
        assert_eq!(err.message, "/ is a directory, not a file");
    }
}
