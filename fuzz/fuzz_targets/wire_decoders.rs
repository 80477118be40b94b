//! Record values off the wire through every format's decoder, and what decodes back through
//! its encoder. The first byte picks the format; the rest is values, each a length byte then
//! that many bytes.
//!
//! avro-confluent values name their writer schema by id; the decoder is given ids 1 (the
//! example's UserEvent schema, as a producer registers it) and 2 (the table's own schema, as
//! pipegen registers it) up front, and every framed value's id is mapped onto one of them, so
//! no registry is asked.
#![no_main]

use std::sync::{Arc, LazyLock};

use arrow::datatypes::{DataType, Field, Fields, Schema, SchemaRef, TimeUnit};
use libfuzzer_sys::fuzz_target;
use pipegen_formats::{ConfluentDecoder, ValueDecoder};
use pipegen_sql::{CreateTable, Statement};

const USER_EVENT: &str = include_str!("../../examples/user-event.avsc");

/// Never contacted: every id the values name is known to the decoder.
const NO_REGISTRY: &str = "http://127.0.0.1:9";

/// The UserEvent columns as the scaffold's source table declares them (CSV: the flat ones).
fn columns(nested: bool) -> SchemaRef {
    let mut fields = vec![
        Field::new("event_id", DataType::Utf8, false),
        Field::new("user_id", DataType::Int64, false),
        Field::new("session_id", DataType::Utf8, true),
        Field::new("action", DataType::Utf8, true),
        Field::new("page_url", DataType::Utf8, true),
        Field::new("price", DataType::Decimal128(12, 2), true),
    ];
    if nested {
        fields.push(Field::new(
            "tags",
            DataType::List(Arc::new(Field::new("item", DataType::Utf8, true))),
            true,
        ));
        let entries = Field::new(
            "entries",
            DataType::Struct(Fields::from(vec![
                Field::new("key", DataType::Utf8, false),
                Field::new("value", DataType::Utf8, true),
            ])),
            false,
        );
        fields.push(Field::new("attributes", DataType::Map(Arc::new(entries), false), true));
        fields.push(Field::new(
            "device",
            DataType::Struct(Fields::from(vec![
                Field::new("os", DataType::Utf8, true),
                Field::new("browser", DataType::Utf8, true),
                Field::new("screen_width", DataType::Int32, true),
            ])),
            true,
        ));
    }
    fields.push(Field::new("signup_date", DataType::Date32, true));
    fields.push(Field::new("ts", DataType::Timestamp(TimeUnit::Millisecond, None), true));
    Arc::new(Schema::new(fields))
}

/// The same columns in Flink's DDL (the avro formats derive their schema from the table).
fn ddl(nested: bool) -> String {
    let nested = if nested {
        "tags ARRAY<STRING>, attributes MAP<STRING, STRING>, \
         device ROW<os STRING, browser STRING, screen_width INT>, "
    } else {
        ""
    };
    format!(
        "event_id STRING NOT NULL, user_id BIGINT NOT NULL, session_id STRING, action STRING, \
         page_url STRING, price DECIMAL(12, 2), {nested}signup_date DATE, ts TIMESTAMP(3)"
    )
}

fn table(columns: &str, options: &str) -> CreateTable {
    let sql = format!("CREATE TABLE t ({columns}) WITH ('connector' = 'kafka', 'topic' = 't', {options})");
    let file = pipegen_sql::parse_file(std::path::Path::new("fuzz.sql"), &sql).expect("the fuzz table parses");
    match file.statements.into_iter().next().map(|s| s.kind) {
        Some(Statement::CreateTable(table)) => *table,
        _ => unreachable!("one CREATE TABLE"),
    }
}

struct Format {
    table: CreateTable,
    schema: SchemaRef,
}

static FORMATS: LazyLock<Vec<Format>> = LazyLock::new(|| {
    let raw_text = Arc::new(Schema::new(vec![Field::new("line", DataType::Utf8, true)]));
    let raw_bytes = Arc::new(Schema::new(vec![Field::new("data", DataType::Binary, true)]));
    let format = |columns: &str, options: &str, schema: SchemaRef| Format {
        table: table(columns, options),
        schema,
    };
    let (nested, flat) = (ddl(true), ddl(false));
    vec![
        format(&nested, "'format' = 'json'", columns(true)),
        format(
            &nested,
            "'format' = 'json', 'json.ignore-parse-errors' = 'true'",
            columns(true),
        ),
        format(&flat, "'format' = 'csv'", columns(false)),
        format(
            &flat,
            "'value.format' = 'csv', 'value.csv.field-delimiter' = ';'",
            columns(false),
        ),
        format("line STRING", "'format' = 'raw'", raw_text),
        format("data BYTES", "'format' = 'raw'", raw_bytes),
        format(&nested, "'format' = 'avro'", columns(true)),
        format(
            &nested,
            "'format' = 'avro-confluent', 'avro-confluent.url' = 'http://127.0.0.1:9'",
            columns(true),
        ),
    ]
});

/// The table's schema as pipegen's avro-confluent sink registers it.
static TABLE_SCHEMA: LazyLock<String> = LazyLock::new(|| {
    arrow_avro::schema::AvroSchema::try_from(columns(true).as_ref())
        .expect("the table has an AVRO schema")
        .json_string
});

fn values(mut data: &[u8]) -> Vec<Vec<u8>> {
    let mut values = Vec::new();
    while let Some((&len, rest)) = data.split_first() {
        let len = usize::from(len).min(rest.len());
        values.push(rest[..len].to_vec());
        data = &rest[len..];
    }
    values
}

fuzz_target!(|data: &[u8]| {
    let Some((&selector, data)) = data.split_first() else {
        return;
    };
    let format = &FORMATS[usize::from(selector) % FORMATS.len()];
    let mut values = values(data);
    let confluent = format.table.format() == Some("avro-confluent");
    let mut decoder: Box<dyn ValueDecoder> = if confluent {
        for value in &mut values {
            if value.len() >= 5 && value[0] == 0 {
                let id = 1 + u32::from(value[4] & 1);
                value[1..5].copy_from_slice(&id.to_be_bytes());
            }
        }
        Box::new(
            ConfluentDecoder::new(format.schema.clone(), NO_REGISTRY)
                .with_writer_schema(1, USER_EVENT)
                .with_writer_schema(2, &TABLE_SCHEMA),
        )
    } else {
        pipegen_formats::decoder(&format.table, format.schema.clone()).expect("the fuzz table's format builds")
    };
    let slices: Vec<&[u8]> = values.iter().map(Vec::as_slice).collect();
    let Ok(batch) = decoder.decode(&slices) else { return };
    if confluent {
        return; // its encoder registers the schema: no registry here
    }
    let mut encoder =
        pipegen_formats::encoder(&format.table, format.schema.clone(), "t").expect("the fuzz table's format builds");
    let Ok(encoded) = encoder.encode(&batch) else { return };
    let slices: Vec<&[u8]> = encoded.iter().map(|b| b.as_ref()).collect();
    let _ = pipegen_formats::decoder(&format.table, format.schema.clone())
        .expect("the fuzz table's format builds")
        .decode(&slices);
});
