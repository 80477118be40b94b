//! The project a model must answer with: a typed JSON object, parsed strictly (every field
//! present, no other field, each of its type). It holds contents by role, never a file name:
//! pipegen decides where each part goes.

use serde::Deserialize;
use serde_json::{Value, json};

use pipegen_project::scaffold::DraftFiles;

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Draft {
    /// What the pipeline does, in a sentence or two.
    pub description: String,
    /// AVRO schema of the input records, as JSON text (null when the user gave theirs).
    pub input_schema: Option<String>,
    /// AVRO schema of the output records, as JSON text, or null.
    pub output_schema: Option<String>,
    pub sql: DraftSql,
    pub optimization_notes: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DraftSql {
    /// `CREATE TABLE` of the source.
    pub source_table: String,
    /// `CREATE TABLE` of the sink.
    pub sink_table: String,
    /// `INSERT INTO sink SELECT ... FROM source`.
    pub pipeline: String,
}

/// Why an answer is not a draft, said so the model can fix it.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum DraftError {
    #[error("the answer is not one JSON object: {0}")]
    NotJson(String),
    #[error("the answer does not follow the schema at `{path}`: {message}")]
    Shape { path: String, message: String },
    #[error("`{0}` is empty")]
    Empty(&'static str),
    #[error("the answer was cut off at the model's length limit, so its JSON is incomplete")]
    Truncated,
}

/// Parses an answer. Only whitespace may surround the object: nothing is cut out of or patched
/// into what the model wrote.
pub fn parse(text: &str) -> Result<Draft, DraftError> {
    let mut deserializer = serde_json::Deserializer::from_str(text);
    let draft: Draft = serde_path_to_error::deserialize(&mut deserializer).map_err(|e| {
        let inner = e.inner();
        if inner.is_syntax() || inner.is_eof() {
            DraftError::NotJson(inner.to_string())
        } else {
            let path = e.path().to_string();
            DraftError::Shape {
                path: if path == "." { "(top)".into() } else { path },
                message: inner.to_string(),
            }
        }
    })?;
    deserializer.end().map_err(|e| DraftError::NotJson(e.to_string()))?;
    for (field, text) in [
        ("sql.source_table", &draft.sql.source_table),
        ("sql.sink_table", &draft.sql.sink_table),
        ("sql.pipeline", &draft.sql.pipeline),
        ("description", &draft.description),
    ] {
        if text.trim().is_empty() {
            return Err(DraftError::Empty(field));
        }
    }
    Ok(draft)
}

impl Draft {
    /// The draft's parts in their roles. `input_schema` stands in when the user gave one (the
    /// model's is not used then) and when the model gave none.
    pub fn files(&self, given_schema: Option<&str>) -> DraftFiles {
        let line_ended = |text: &str| {
            let mut text = text.trim().to_owned();
            text.push('\n');
            text
        };
        DraftFiles {
            summary: self.description.trim().to_owned(),
            input_schema: given_schema
                .map(str::to_owned)
                .or_else(|| self.input_schema.as_deref().map(line_ended))
                .unwrap_or_default(),
            output_schema: self
                .output_schema
                .as_deref()
                .filter(|s| !s.trim().is_empty())
                .map(line_ended),
            source_sql: line_ended(&self.sql.source_table),
            sink_sql: line_ended(&self.sql.sink_table),
            pipeline_sql: line_ended(&self.sql.pipeline),
            notes: self
                .optimization_notes
                .iter()
                .map(|n| n.trim())
                .filter(|n| !n.is_empty())
                .map(|n| format!("Note: {n}"))
                .collect(),
        }
    }
}

/// The JSON schema of [`Draft`], in the strict form OpenAI's structured output takes (every
/// property required, no other allowed, null spelled as a type); Ollama takes it as `format`.
pub fn json_schema() -> Value {
    let text = |description: &str| json!({"type": "string", "description": description});
    let nullable = |description: &str| json!({"type": ["string", "null"], "description": description});
    json!({
        "type": "object",
        "additionalProperties": false,
        "required": ["description", "input_schema", "output_schema", "sql", "optimization_notes"],
        "properties": {
            "description": text("What the pipeline does, in one or two sentences."),
            "input_schema": nullable("AVRO schema of the input records as JSON text (a record); null when the user's schema is given."),
            "output_schema": nullable("AVRO schema of the sink's records as JSON text, or null."),
            "sql": {
                "type": "object",
                "additionalProperties": false,
                "required": ["source_table", "sink_table", "pipeline"],
                "properties": {
                    "source_table": text("Flink SQL: the CREATE TABLE statement of the source."),
                    "sink_table": text("Flink SQL: the CREATE TABLE statement of the sink."),
                    "pipeline": text("Flink SQL: the INSERT INTO sink SELECT ... FROM source statement."),
                },
            },
            "optimization_notes": {
                "type": "array",
                "items": {"type": "string"},
                "description": "Short notes on tuning (parallelism, state, watermarks) for the README.",
            },
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const GOOD: &str = r#"{"description":"d","input_schema":null,"output_schema":null,
        "sql":{"source_table":"CREATE TABLE a (x INT)","sink_table":"CREATE TABLE b (x INT)","pipeline":"INSERT INTO b SELECT x FROM a"},
        "optimization_notes":[" keep it small ",""]}"#;

    #[test]
    fn a_whole_object_parses_and_lands_in_roles() {
        let draft = parse(GOOD).unwrap();
        let files = draft.files(Some("{\"type\": \"record\"}\n"));
        assert_eq!(files.source_sql, "CREATE TABLE a (x INT)\n");
        assert_eq!(files.input_schema, "{\"type\": \"record\"}\n");
        assert_eq!(files.notes, ["Note: keep it small"]);
    }

    #[test]
    fn anything_beyond_the_contract_is_refused_with_its_place() {
        let with_path = GOOD.replace(
            r#""description":"d","#,
            r#""description":"d","file_name":"../../etc/x","#,
        );
        assert!(
            matches!(parse(&with_path), Err(DraftError::Shape { ref message, .. }) if message.contains("unknown field `file_name`")),
            "{:?}",
            parse(&with_path)
        );
        let missing = GOOD.replace(r#","pipeline":"INSERT INTO b SELECT x FROM a""#, "");
        assert_eq!(
            parse(&missing),
            Err(DraftError::Shape {
                path: "sql".into(),
                message: "missing field `pipeline` at line 2 column 93".into()
            })
        );
        assert!(matches!(
            parse(&format!("```json\n{GOOD}\n```")),
            Err(DraftError::NotJson(_))
        ));
        assert!(matches!(
            parse(&format!("{GOOD} trailing")),
            Err(DraftError::NotJson(_))
        ));
        assert!(matches!(parse(r#"{"description": "#), Err(DraftError::NotJson(_))));
        let empty = GOOD.replace("INSERT INTO b SELECT x FROM a", "  ");
        assert_eq!(parse(&empty), Err(DraftError::Empty("sql.pipeline")));
        // An empty string stays an empty string: nothing is "repaired" into the text.
        let notes = GOOD.replace(r#"[" keep it small ",""]"#, r#"[""]"#);
        assert!(parse(&notes).unwrap().files(None).notes.is_empty());
    }
}
