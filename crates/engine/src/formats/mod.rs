//! Record values as Arrow rows and back, for the Kafka connectors: Flink's `json`, `csv`,
//! `raw` and `avro-confluent` formats.

mod avro;
mod csv;
mod json;
mod raw;

use bytes::Bytes;
use datafusion::arrow::datatypes::SchemaRef;
use datafusion::arrow::record_batch::RecordBatch;
use pipegen_sql::CreateTable;

use crate::error::EngineError;

/// Turns record values into rows of the table's physical columns.
pub trait ValueDecoder: Send {
    fn decode(&mut self, values: &[&[u8]]) -> Result<RecordBatch, EngineError>;
}

/// Turns rows into record values, one per row.
pub trait ValueEncoder: Send {
    fn encode(&mut self, batch: &RecordBatch) -> Result<Vec<Bytes>, EngineError>;
}

/// The non-empty lines of a text writer's output, one record value each.
fn lines(text: &[u8]) -> Vec<Bytes> {
    text.split(|b| *b == b'\n')
        .filter(|line| !line.is_empty())
        .map(Bytes::copy_from_slice)
        .collect()
}

fn format_of(table: &CreateTable) -> Result<&str, EngineError> {
    table
        .format()
        .ok_or_else(|| EngineError::Invalid(format!("table `{}` has no 'format' (or 'value.format')", table.name)))
}

/// Options of the value format: `format`'s own prefix, or `value.`-prefixed with key formats.
fn format_option<'a>(table: &'a CreateTable, format: &str, key: &str) -> Option<&'a str> {
    table
        .option(&format!("{format}.{key}"))
        .or_else(|| table.option(&format!("value.{format}.{key}")))
}

pub fn decoder(table: &CreateTable, schema: SchemaRef) -> Result<Box<dyn ValueDecoder>, EngineError> {
    let format = format_of(table)?;
    Ok(match format {
        "json" => Box::new(json::JsonDecoder::new(
            schema,
            format_option(table, "json", "ignore-parse-errors") == Some("true"),
        )?),
        "csv" => Box::new(csv::CsvDecoder::new(schema, csv::delimiter(table)?)),
        "raw" => Box::new(raw::RawDecoder::new(schema)?),
        "avro-confluent" => Box::new(avro::ConfluentDecoder::new(schema, registry_url(table, format)?)),
        "avro" => Box::new(avro::PlainDecoder::new(schema)?),
        other => return Err(unsupported_format(other)),
    })
}

pub fn encoder(table: &CreateTable, schema: SchemaRef, topic: &str) -> Result<Box<dyn ValueEncoder>, EngineError> {
    let format = format_of(table)?;
    Ok(match format {
        "json" => Box::new(json::JsonEncoder),
        "csv" => Box::new(csv::CsvEncoder::new(csv::delimiter(table)?)),
        "raw" => Box::new(raw::RawEncoder::new(schema)?),
        "avro-confluent" => {
            let subject = format_option(table, format, "subject")
                .map(str::to_string)
                .unwrap_or_else(|| format!("{topic}-value"));
            Box::new(avro::ConfluentEncoder::new(
                schema,
                registry_url(table, format)?,
                &subject,
            )?)
        }
        "avro" => Box::new(avro::PlainEncoder::new(schema)?),
        other => return Err(unsupported_format(other)),
    })
}

/// The encoder of record keys: `key.format` over the key columns (`key.`-prefixed options).
pub fn key_encoder(table: &CreateTable, schema: SchemaRef, topic: &str) -> Result<Box<dyn ValueEncoder>, EngineError> {
    let format = table.option("key.format").ok_or_else(|| {
        EngineError::Invalid(format!(
            "table `{}` writes record keys but has no 'key.format'",
            table.name
        ))
    })?;
    Ok(match format {
        "json" => Box::new(json::JsonEncoder),
        "csv" => Box::new(csv::CsvEncoder::new(b',')),
        "raw" => Box::new(raw::RawEncoder::new(schema)?),
        "avro-confluent" => {
            let url = key_registry_url(table)?;
            let subject = table
                .option("key.avro-confluent.subject")
                .map(str::to_string)
                .unwrap_or_else(|| format!("{topic}-key"));
            Box::new(avro::ConfluentEncoder::new(schema, url, &subject)?)
        }
        other => return Err(unsupported_format(other)),
    })
}

/// The decoder of record keys: `key.format` over the key columns (`key.`-prefixed options).
pub fn key_decoder(table: &CreateTable, schema: SchemaRef) -> Result<Box<dyn ValueDecoder>, EngineError> {
    let format = table.option("key.format").ok_or_else(|| {
        EngineError::Invalid(format!(
            "table `{}` reads columns from record keys but has no 'key.format'",
            table.name
        ))
    })?;
    Ok(match format {
        "json" => Box::new(json::JsonDecoder::new(
            schema,
            table.option("key.json.ignore-parse-errors") == Some("true"),
        )?),
        "csv" => Box::new(csv::CsvDecoder::new(schema, b',')),
        "raw" => Box::new(raw::RawDecoder::new(schema)?),
        "avro-confluent" => {
            let url = key_registry_url(table)?;
            Box::new(avro::ConfluentDecoder::new(schema, url))
        }
        other => return Err(unsupported_format(other)),
    })
}

fn key_registry_url(table: &CreateTable) -> Result<&str, EngineError> {
    table.option("key.avro-confluent.url").ok_or_else(|| {
        EngineError::Invalid(format!(
            "table `{}`: the avro-confluent key format needs 'key.avro-confluent.url'",
            table.name
        ))
    })
}

fn registry_url<'a>(table: &'a CreateTable, format: &str) -> Result<&'a str, EngineError> {
    format_option(table, format, "url").ok_or_else(|| {
        EngineError::Invalid(format!(
            "table `{}`: the avro-confluent format needs 'avro-confluent.url'",
            table.name
        ))
    })
}

fn unsupported_format(format: &str) -> EngineError {
    EngineError::unsupported(format!(
        "the '{format}' format on Kafka tables (json, csv, raw, avro and avro-confluent run)"
    ))
}
