//! What the model is told: the contract of a pipegen project and an example that validates,
//! the user's description, their input (a schema kept verbatim, or a CSV file's inferred
//! columns with sampled values) and domain; then, round after round, what pipegen's validator
//! found in its draft.

use std::fmt::Write as _;

use pipegen_diag::Diagnostic;
use pipegen_project::scaffold::{self, Grounding};
use pipegen_schema::csv::ColumnKind;

use crate::draft::DraftError;

/// The rules every answer must follow, with the default template as a worked example.
pub fn system() -> String {
    let example = scaffold::example();
    format!(
        r#"You design streaming pipelines for pipegen: Apache Flink SQL (Flink 2.1) over Kafka topics with AVRO records.
Answer with exactly one JSON object that follows the given JSON schema, and nothing else: no prose, no Markdown fences.

The object holds a project's parts by role; pipegen names and writes the files itself:
- "input_schema": the AVRO schema (JSON text of one record) of the records `pipegen run` generates into the source topic. Use AVRO types Flink's avro-confluent format maps: string, int, long, double, boolean, enums, bytes with logicalType decimal, long with logicalType timestamp-millis for event times, unions ["null", T] with "default": null for optional fields.
- "sql.source_table": one CREATE TABLE for the source. Its physical columns must be the AVRO fields, same names and order, with Flink's types (string -> STRING, long -> BIGINT, int -> INT, double -> DOUBLE, boolean -> BOOLEAN, enum -> STRING, decimal(p,s) -> DECIMAL(p, s), timestamp-millis -> TIMESTAMP(3)), NOT NULL unless the field is a union with null. Declare a WATERMARK on the event-time column when the pipeline uses time windows. Options: 'connector' = 'kafka', 'topic' = '<a kebab-case name>', 'properties.bootstrap.servers' = '${{BOOTSTRAP_SERVERS}}', 'properties.group.id' = '<a name>', 'scan.startup.mode' = 'earliest-offset', 'format' = 'avro-confluent', 'avro-confluent.url' = '${{SCHEMA_REGISTRY_URL}}'.
- "sql.sink_table": one CREATE TABLE for the sink, the same Kafka options without the group id and startup mode (a result that updates needs 'connector' = 'upsert-kafka' with a PRIMARY KEY ... NOT ENFORCED, 'key.format' and 'value.format' instead of 'format'). Column types must be what the query produces (COUNT(*) is BIGINT NOT NULL, window_start and window_end are TIMESTAMP(3) NOT NULL, SUM of DECIMAL(p, s) is DECIMAL(38, s)).
- "sql.pipeline": one INSERT INTO the sink SELECT ... FROM the source. Use only columns the tables declare, Flink's built-in functions, and window table functions such as TUMBLE(TABLE t, DESCRIPTOR(ts), INTERVAL '10' SECOND).
- "output_schema": the AVRO schema of the sink's records, or null.
- "description": one or two sentences; "optimization_notes": a few short notes on tuning (parallelism, state size, watermark delay).
Back-quote identifiers that are SQL keywords. Write ${{BOOTSTRAP_SERVERS}}, ${{SCHEMA_REGISTRY_URL}} and ${{PROJECT_DIR}} literally: pipegen fills them in.

An example project that pipegen accepts (order events counted per category and window):
input_schema:
{schema}
sql.source_table:
{source}
sql.sink_table:
{sink}
sql.pipeline:
{pipeline}"#,
        schema = example.input_schema.trim(),
        source = example.source_sql.trim(),
        sink = example.sink_sql.trim(),
        pipeline = example.pipeline_sql.trim(),
    )
}

/// The user's request, with what pipegen knows of their input.
pub fn user(description: &str, domain: Option<&str>, grounding: Option<&Grounding>) -> String {
    let mut out = format!("Build this pipeline: {}\n", description.trim());
    if let Some(domain) = domain.filter(|d| !d.trim().is_empty()) {
        let _ = writeln!(
            out,
            "Domain: {} (use its usual entities, field names and value ranges).",
            domain.trim()
        );
    }
    let Some(grounding) = grounding else {
        return out;
    };
    let _ = writeln!(
        out,
        "\nThe input is given ({}). Set \"input_schema\" to null: pipegen uses this schema verbatim:\n{}",
        grounding.origin(),
        grounding.input_schema().trim()
    );
    if let Some(profile) = grounding.csv_profile() {
        let _ = writeln!(
            out,
            "\nThe CSV file's columns ({} rows read), with sampled values:",
            profile.rows
        );
        for column in &profile.columns {
            let _ = writeln!(
                out,
                "- {} ({}{}): {}",
                column.name,
                kind_name(column.kind),
                if column.nullable { ", has empty values" } else { "" },
                column.samples.join(", ")
            );
        }
        let _ = writeln!(
            out,
            "pipegen copies the file to data/ and reads it with the source table below (a bounded filesystem source): keep it as the source table, exactly."
        );
    } else {
        let _ = writeln!(
            out,
            "\nThe source table pipegen derives from it (keep its columns; you may change the topic, group id and watermark):"
        );
    }
    let _ = writeln!(out, "{}", grounding.source_sql().trim());
    out
}

fn kind_name(kind: ColumnKind) -> &'static str {
    match kind {
        ColumnKind::Boolean => "boolean",
        ColumnKind::Int => "integer",
        ColumnKind::Long => "long integer",
        ColumnKind::Double => "decimal number",
        ColumnKind::Date => "date",
        ColumnKind::SqlTimestamp | ColumnKind::IsoTimestamp(_) => "timestamp",
        ColumnKind::EpochMillis => "epoch milliseconds",
        ColumnKind::String => "text",
    }
}

/// What to fix, after a draft that did not parse.
pub fn unparsable(error: &DraftError) -> String {
    format!(
        "Your answer could not be used: {error}.\nAnswer again with the whole project as one JSON object that follows the schema exactly (the fields description, input_schema, output_schema, sql with source_table, sink_table and pipeline, and optimization_notes; no other field)."
    )
}

/// What to fix, after a draft pipegen's validator found problems in.
pub fn findings(findings: &[Diagnostic]) -> String {
    let mut out = String::from(
        "pipegen validated your project and found these problems (files: sql/01_source.sql is sql.source_table, sql/02_sink.sql is sql.sink_table, sql/03_pipeline.sql is sql.pipeline, schemas/input.avsc is input_schema):\n",
    );
    for finding in findings {
        let _ = writeln!(out, "- {finding}");
    }
    out.push_str("Fix every one of them and answer again with the whole corrected project as one JSON object.");
    out
}
