//! Record values as Arrow rows and back, for the Kafka connectors: Flink's `json`, `csv`,
//! `raw`, `avro` and `avro-confluent` formats.
//!
//! Its own crate so that the decoders build (and are fuzzed) without the engine: they see
//! bytes from the wire, and every malformed value is a [`FormatError`], never a panic.

mod avro;
mod csv;
mod json;
mod raw;

use arrow::datatypes::SchemaRef;
use arrow::error::ArrowError;
use arrow::record_batch::RecordBatch;
use bytes::Bytes;
use pipegen_sql::{ColumnKind, CreateTable, RowField, TimestampMapping, flink_avro_schema};

pub use avro::ConfluentDecoder;

/// Why values could not be decoded or encoded, or a table's format not be set up.
#[derive(Debug, thiserror::Error)]
pub enum FormatError {
    /// A format the embedded engine does not run; Flink does.
    #[error("the embedded engine does not run {0} yet")]
    Unsupported(String),
    #[error("{0}")]
    Invalid(String),
    #[error(transparent)]
    Arrow(#[from] ArrowError),
}

/// Turns record values into rows of the table's physical columns.
pub trait ValueDecoder: Send {
    /// One row per value, in order; an error for a value that is not in the format.
    fn decode(&mut self, values: &[&[u8]]) -> Result<RecordBatch, FormatError>;
}

/// Turns rows into record values, one per row.
pub trait ValueEncoder: Send {
    /// One value per row, in order.
    fn encode(&mut self, batch: &RecordBatch) -> Result<Vec<Bytes>, FormatError>;
}

/// The non-empty lines of a text writer's output, one record value each.
fn lines(text: &[u8]) -> Vec<Bytes> {
    text.split(|b| *b == b'\n')
        .filter(|line| !line.is_empty())
        .map(Bytes::copy_from_slice)
        .collect()
}

fn format_of(table: &CreateTable) -> Result<&str, FormatError> {
    table
        .format()
        .ok_or_else(|| FormatError::Invalid(format!("table `{}` has no 'format' (or 'value.format')", table.name)))
}

/// Options of the value format: `format`'s own prefix, or `value.`-prefixed with key formats.
fn format_option<'a>(table: &'a CreateTable, format: &str, key: &str) -> Option<&'a str> {
    table
        .option(&format!("{format}.{key}"))
        .or_else(|| table.option(&format!("value.{format}.{key}")))
}

/// The decoder of record values: the table's `format` (or `value.format`) over `schema`.
pub fn decoder(table: &CreateTable, schema: SchemaRef) -> Result<Box<dyn ValueDecoder>, FormatError> {
    let format = format_of(table)?;
    Ok(match format {
        "json" => Box::new(json::JsonDecoder::new(
            schema,
            format_option(table, "json", "ignore-parse-errors") == Some("true"),
        )?),
        "csv" => Box::new(csv::CsvDecoder::new(schema, csv::delimiter(table)?)),
        "raw" => Box::new(raw::RawDecoder::new(schema)?),
        "avro-confluent" => Box::new(avro::ConfluentDecoder::new(schema, registry_url(table, format)?)),
        "avro" => Box::new(avro::PlainDecoder::new(with_flink_avro_schema(
            table,
            schema,
            format_option(table, format, LEGACY_MAPPING),
        )?)?),
        other => return Err(unsupported_format(other)),
    })
}

/// The encoder of record values: the table's `format` (or `value.format`) over `schema`; an
/// `avro-confluent` one registers its schema under the topic's value subject.
pub fn encoder(table: &CreateTable, schema: SchemaRef, topic: &str) -> Result<Box<dyn ValueEncoder>, FormatError> {
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
                with_flink_avro_schema(table, schema, format_option(table, format, LEGACY_MAPPING))?,
                registry_url(table, format)?,
                &subject,
            )?)
        }
        "avro" => Box::new(avro::PlainEncoder::new(with_flink_avro_schema(
            table,
            schema,
            format_option(table, format, LEGACY_MAPPING),
        )?)?),
        other => return Err(unsupported_format(other)),
    })
}

/// The encoder of record keys: `key.format` over the key columns (`key.`-prefixed options).
pub fn key_encoder(table: &CreateTable, schema: SchemaRef, topic: &str) -> Result<Box<dyn ValueEncoder>, FormatError> {
    let format = table.option("key.format").ok_or_else(|| {
        FormatError::Invalid(format!(
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
            let legacy = table.option(&format!("key.avro-confluent.{LEGACY_MAPPING}"));
            Box::new(avro::ConfluentEncoder::new(
                with_flink_avro_schema(table, schema, legacy)?,
                url,
                &subject,
            )?)
        }
        other => return Err(unsupported_format(other)),
    })
}

/// The decoder of record keys: `key.format` over the key columns (`key.`-prefixed options).
pub fn key_decoder(table: &CreateTable, schema: SchemaRef) -> Result<Box<dyn ValueDecoder>, FormatError> {
    let format = table.option("key.format").ok_or_else(|| {
        FormatError::Invalid(format!(
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

fn key_registry_url(table: &CreateTable) -> Result<&str, FormatError> {
    table.option("key.avro-confluent.url").ok_or_else(|| {
        FormatError::Invalid(format!(
            "table `{}`: the avro-confluent key format needs 'key.avro-confluent.url'",
            table.name
        ))
    })
}

fn registry_url<'a>(table: &'a CreateTable, format: &str) -> Result<&'a str, FormatError> {
    format_option(table, format, "url").ok_or_else(|| {
        FormatError::Invalid(format!(
            "table `{}`: the avro-confluent format needs 'avro-confluent.url'",
            table.name
        ))
    })
}

/// Flink's option choosing how timestamps map to AVRO (`true` unless set to `false`).
const LEGACY_MAPPING: &str = "timestamp_mapping.legacy";

/// `schema` carrying the AVRO schema Flink derives from the table's columns of that name (in
/// `avro.schema`, which arrow-avro reads and writes by): what an avro-confluent table
/// registers and its datums are written in, so that Flink and pipegen share subjects.
fn with_flink_avro_schema(
    table: &CreateTable,
    schema: SchemaRef,
    legacy_option: Option<&str>,
) -> Result<SchemaRef, FormatError> {
    let columns = schema
        .fields()
        .iter()
        .map(|field| match table.column(field.name()).map(|c| &c.kind) {
            Some(ColumnKind::Physical(ty)) => Ok(RowField {
                name: field.name().clone(),
                data_type: ty.clone(),
                comment: None,
            }),
            _ => Err(FormatError::Invalid(format!(
                "table `{}` has no physical column `{}`",
                table.name,
                field.name()
            ))),
        })
        .collect::<Result<Vec<_>, _>>()?;
    let mapping = match legacy_option.map(str::trim) {
        Some(value) if value.eq_ignore_ascii_case("false") => TimestampMapping::Current,
        _ => TimestampMapping::Legacy,
    };
    let json = flink_avro_schema(&columns, mapping)
        .map_err(|e| FormatError::Invalid(format!("table `{}`: {}", table.name, e.message)))?;
    let mut metadata = schema.metadata().clone();
    metadata.insert(arrow_avro::schema::SCHEMA_METADATA_KEY.to_owned(), json);
    Ok(std::sync::Arc::new(schema.as_ref().clone().with_metadata(metadata)))
}

fn unsupported_format(format: &str) -> FormatError {
    FormatError::Unsupported(format!(
        "the '{format}' format on Kafka tables (json, csv, raw, avro and avro-confluent run)"
    ))
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use arrow::array::{Array, ArrayRef, AsArray, Int64Array, StringArray};
    use arrow::datatypes::{DataType, Field, Int64Type, Schema};

    use super::*;

    fn table(options: &str) -> CreateTable {
        let sql = format!("CREATE TABLE t (id BIGINT, name STRING) WITH ('connector' = 'kafka', {options})");
        let file = pipegen_sql::parse_file(std::path::Path::new("t.sql"), &sql).unwrap();
        match file.statements.into_iter().next().unwrap().kind {
            pipegen_sql::Statement::CreateTable(table) => *table,
            other => panic!("not a table: {other:?}"),
        }
    }

    fn schema() -> SchemaRef {
        Arc::new(Schema::new(vec![
            Field::new("id", DataType::Int64, false),
            Field::new("name", DataType::Utf8, true),
        ]))
    }

    fn batch() -> RecordBatch {
        let columns: Vec<ArrayRef> = vec![
            Arc::new(Int64Array::from(vec![1, -7])),
            Arc::new(StringArray::from(vec![Some("a;b"), None])),
        ];
        RecordBatch::try_new(schema(), columns).unwrap()
    }

    fn round_trip(options: &str) -> RecordBatch {
        let table = table(options);
        let values = encoder(&table, schema(), "t").unwrap().encode(&batch()).unwrap();
        assert_eq!(values.len(), 2);
        let values: Vec<&[u8]> = values.iter().map(|v| v.as_ref()).collect();
        decoder(&table, schema()).unwrap().decode(&values).unwrap()
    }

    #[test]
    fn json_csv_and_avro_values_read_back_as_written() {
        for options in [
            "'format' = 'json'",
            "'format' = 'avro'",
            "'value.format' = 'csv', 'value.csv.field-delimiter' = ';'",
        ] {
            let decoded = round_trip(options);
            assert_eq!(
                decoded.column(0).as_primitive::<Int64Type>().values(),
                &[1, -7],
                "{options}"
            );
            assert_eq!(decoded.column(1).as_string::<i32>().value(0), "a;b", "{options}");
        }
    }

    #[test]
    fn confluent_values_decode_with_a_writer_schema_given_up_front() {
        let writer = r#"{"type": "record", "name": "r", "fields": [
            {"name": "name", "type": ["null", "string"]}, {"name": "id", "type": "long"}]}"#;
        let mut decoder = ConfluentDecoder::new(schema(), "http://127.0.0.1:9").with_writer_schema(3, writer);
        // id 3, then name = union branch 1 "x", id = 21 (zigzag 42).
        let value = [0, 0, 0, 0, 3, 2, 2, b'x', 42];
        let decoded = decoder.decode(&[value.as_slice()]).unwrap();
        assert_eq!(decoded.column(0).as_primitive::<Int64Type>().value(0), 21);
        assert_eq!(decoded.column(1).as_string::<i32>().value(0), "x");
        let error = decoder.decode(&[b"{}".as_slice()]).unwrap_err().to_string();
        assert!(error.contains("Confluent wire format"), "{error}");
        let error = decoder.decode(&[&value[..7]]).unwrap_err().to_string();
        assert!(error.contains("AVRO") || error.contains("does not decode"), "{error}");
    }

    #[test]
    fn bad_values_and_formats_are_errors() {
        let raw = Arc::new(Schema::new(vec![Field::new("line", DataType::Utf8, true)]));
        let error = decoder(&table("'format' = 'raw'"), raw.clone())
            .unwrap()
            .decode(&[b"\xff".as_slice()])
            .unwrap_err();
        assert!(error.to_string().contains("not UTF-8"), "{error}");
        let error = decoder(&table("'format' = 'json'"), schema())
            .unwrap()
            .decode(&[b"{\"id\": ".as_slice()])
            .unwrap_err();
        assert!(error.to_string().contains("not JSON"), "{error}");
        let lenient = decoder(
            &table("'format' = 'json', 'json.ignore-parse-errors' = 'true'"),
            schema(),
        )
        .unwrap()
        .decode(&[
            b"{\"id\": ".as_slice(),
            b"{\"id\": 5}",
            b"{\"id\": 6} {\"id\": 7}",
            b"{\"id\":",
            b"8}",
        ])
        .unwrap();
        // No value swallows the next: only the one whole object is a row.
        assert_eq!(lenient.num_rows(), 1);
        assert_eq!(lenient.column(0).as_primitive::<Int64Type>().value(0), 5);
        assert!(matches!(
            decoder(&table("'format' = 'protobuf'"), schema()),
            Err(FormatError::Unsupported(_))
        ));
        assert!(matches!(
            decoder(&table("'format' = 'raw'"), schema()),
            Err(FormatError::Invalid(_))
        ));
        assert!(lenient.column(1).is_null(0));
    }
}
