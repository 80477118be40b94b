//! Connector options Flink requires at deploy time.

use pipegen_diag::{Diagnostic, did_you_mean};

use super::catalog::DeclaredTable;
use super::finding_at;

/// Formats Flink ships (and pipegen can read or write where it must).
const FORMATS: &[&str] = &[
    "avro-confluent",
    "avro",
    "json",
    "csv",
    "raw",
    "debezium-json",
    "debezium-avro-confluent",
    "canal-json",
    "maxwell-json",
    "ogg-json",
    "protobuf",
    "parquet",
    "orc",
];

const CONNECTORS: &[&str] = &[
    "kafka",
    "upsert-kafka",
    "filesystem",
    "datagen",
    "print",
    "blackhole",
    "jdbc",
];

/// The values of Flink's `lookup.cache` option.
const LOOKUP_CACHES: &[&str] = &["NONE", "PARTIAL", "FULL"];

pub(crate) fn check(declared: &DeclaredTable<'_>, findings: &mut Vec<Diagnostic>) {
    let table = declared.table;
    let name = &table.name;
    let mut report = |message: String, hint: String| {
        findings.push(finding_at(declared.file, declared.position, message).with_hint(hint));
    };
    let Some(connector) = table.connector() else {
        report(
            format!("table `{name}` has no 'connector' option"),
            "add WITH ('connector' = 'kafka', ...) or another connector".into(),
        );
        return;
    };
    let has = |key: &str| table.option(key).is_some();
    match connector {
        "kafka" | "upsert-kafka" => {
            if !has("topic") && !has("topic-pattern") {
                report(
                    format!("Kafka table `{name}` names no topic"),
                    "add 'topic' = '...'".into(),
                );
            }
            if !has("properties.bootstrap.servers") {
                report(
                    format!("Kafka table `{name}` has no 'properties.bootstrap.servers'"),
                    "add 'properties.bootstrap.servers' = '${BOOTSTRAP_SERVERS}' (pipegen fills it in)".into(),
                );
            }
            let upsert = connector == "upsert-kafka";
            if upsert {
                if !has("key.format") || !has("value.format") {
                    report(
                        format!("upsert-kafka table `{name}` needs 'key.format' and 'value.format'"),
                        "e.g. 'key.format' = 'json', 'value.format' = 'json'".into(),
                    );
                }
                if table.primary_key.is_none() {
                    report(
                        format!("upsert-kafka table `{name}` has no PRIMARY KEY"),
                        "add PRIMARY KEY (...) NOT ENFORCED: it becomes the Kafka record key".into(),
                    );
                }
            } else if table.format().is_none() {
                report(
                    format!("Kafka table `{name}` names no format"),
                    "add 'format' = 'avro-confluent' (or json, csv, avro, raw)".into(),
                );
            }
        }
        "filesystem" => {
            if !has("path") {
                report(
                    format!("filesystem table `{name}` has no 'path'"),
                    "add 'path' = '${PROJECT_DIR}/data/...'".into(),
                );
            }
            if table.format().is_none() {
                report(
                    format!("filesystem table `{name}` names no format"),
                    "add 'format' = 'csv' (or json)".into(),
                );
            }
        }
        "jdbc" => {
            for key in ["url", "table-name"] {
                if !has(key) {
                    report(
                        format!("jdbc table `{name}` has no '{key}'"),
                        match key {
                            "url" => "add 'url' = 'jdbc:postgresql://host:5432/database'".into(),
                            _ => "add 'table-name' = '...' (the table in the database)".into(),
                        },
                    );
                }
            }
            if let Some(cache) = table.option("lookup.cache")
                && !LOOKUP_CACHES.iter().any(|c| c.eq_ignore_ascii_case(cache.trim()))
            {
                report(
                    format!("jdbc table `{name}` sets 'lookup.cache' = '{cache}', which Flink does not know"),
                    format!("'lookup.cache' takes {}", LOOKUP_CACHES.join(", ")),
                );
            }
        }
        "datagen" | "print" | "blackhole" => {}
        other => {
            let hint = match did_you_mean(other, CONNECTORS.iter().copied()) {
                Some(s) => format!("did you mean '{s}'?"),
                None => "pipegen's embedded engine runs kafka, upsert-kafka, filesystem, datagen, print, blackhole and jdbc (PostgreSQL: scans, lookups and sinks); other connectors need --engine flink".into(),
            };
            findings.push(
                finding_at(
                    declared.file,
                    declared.position,
                    format!("table `{name}` uses connector '{other}'"),
                )
                .with_hint(hint)
                .into_warning(),
            );
        }
    }
    for key in ["format", "key.format", "value.format"] {
        let Some(format) = table.option(key) else {
            continue;
        };
        if !FORMATS.contains(&format) {
            let hint = match did_you_mean(format, FORMATS.iter().copied()) {
                Some(s) => format!("did you mean '{s}'?"),
                None => format!("formats: {}", FORMATS.join(", ")),
            };
            findings.push(
                finding_at(
                    declared.file,
                    declared.position,
                    format!("table `{name}`: unknown {key} '{format}'"),
                )
                .with_hint(hint),
            );
        } else if format == "avro-confluent" {
            let prefix = key.strip_suffix("format").unwrap_or("");
            let url_key = format!("{prefix}avro-confluent.url");
            if !has(&url_key) {
                findings.push(
                    finding_at(
                        declared.file,
                        declared.position,
                        format!("table `{name}` uses avro-confluent without '{url_key}'"),
                    )
                    .with_hint(format!(
                        "add '{url_key}' = '${{SCHEMA_REGISTRY_URL}}' (pipegen fills it in)"
                    )),
                );
            }
        }
    }
}
