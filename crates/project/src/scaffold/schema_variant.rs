//! `init --input-schema F.avsc`: the user's schema drives the source table, and the pipeline
//! reads the table it declared (a windowed count when the schema has an event time, a
//! pass-through copy otherwise).

use std::path::Path;

use pipegen_diag::Diagnostic;
use pipegen_schema::SchemaError;
use pipegen_schema::avro::AvroSchema;
use pipegen_schema::flink::FlinkColumn;

use super::ddl::{ColumnSpec, TableSpec, kafka_options, quote_ident};
use super::{Blueprint, InitError, SinkSql};
use crate::name::{ProjectName, snake_case};

pub(crate) fn blueprint(name: &ProjectName, schema_path: &Path) -> Result<Blueprint, InitError> {
    let schema = pipegen_schema::avro::read_schema(schema_path).map_err(input_error)?;
    let text = schema.text().to_owned();
    let table = snake_case(schema.short_name());
    let topic = format!("{}-{}", name.kebab(), table.replace('_', "-"));
    let source = kafka_source_table(
        name,
        &table,
        &topic,
        &schema,
        vec![
            format!(
                "Source: records of {} (schemas/input.avsc), produced by `pipegen run`.",
                schema.full_name()
            ),
            "Columns follow Flink's AVRO type mapping of the schema.".to_owned(),
        ],
    )?;
    let (sink, pipeline_sql, summary) = derived_pipeline(name, &source);
    Ok(Blueprint {
        origin: format!("from the AVRO schema {}", schema_path.display()),
        schema_json: text,
        source,
        source_topic: Some(topic),
        sink,
        pipeline_sql,
        pipeline_summary: summary,
        data: None,
        extra: Vec::new(),
        config: String::new(),
        notes: Vec::new(),
    })
}

pub(crate) fn input_error(e: SchemaError) -> InitError {
    InitError::Input(Box::new(Diagnostic::from(&e)))
}

/// The Kafka source table for an AVRO schema, with a watermark on its event time if it has one.
pub(crate) fn kafka_source_table(
    name: &ProjectName,
    table: &str,
    topic: &str,
    schema: &AvroSchema,
    comment: Vec<String>,
) -> Result<TableSpec, InitError> {
    let columns = pipegen_schema::flink::flink_columns(schema).map_err(input_error)?;
    let watermark = pipegen_schema::flink::event_time_candidates(&columns)
        .first()
        .map(|c| (c.name.clone(), "INTERVAL '5' SECOND".to_owned()));
    Ok(TableSpec {
        name: table.to_owned(),
        comment,
        columns: columns.iter().map(column_spec).collect(),
        watermark,
        options: kafka_options(topic, Some(&format!("pipegen-{}", name.kebab()))),
    })
}

fn column_spec(column: &FlinkColumn) -> ColumnSpec {
    ColumnSpec::physical(&column.name, &column.data_type, !column.nullable)
}

/// A sink and a pipeline that fit any source: per-window counts with an event time, a
/// column-for-column copy without.
pub(crate) fn derived_pipeline(name: &ProjectName, source: &TableSpec) -> (SinkSql, String, String) {
    let sink_table = format!("{}_out", source.name);
    let topic = format!("{}-{}", name.kebab(), sink_table.replace('_', "-"));
    let sink_options = kafka_options(&topic, None);
    let (columns, comment, pipeline, summary) = match &source.watermark {
        Some((time_column, _)) => (
            vec![
                ColumnSpec::physical("window_start", "TIMESTAMP(3)", true),
                ColumnSpec::physical("window_end", "TIMESTAMP(3)", true),
                ColumnSpec::physical("event_count", "BIGINT", true),
            ],
            format!(
                "Sink: events per 10-second window of `{}`, written to `{topic}`.",
                source.name
            ),
            format!(
                "-- Pipeline: count events per 10-second tumbling window of event time `{time}`.\n\
                 INSERT INTO {sink}\n\
                 SELECT window_start, window_end, COUNT(*) AS event_count\n\
                 FROM TABLE(TUMBLE(TABLE {source}, DESCRIPTOR({time}), INTERVAL '10' SECOND))\n\
                 GROUP BY window_start, window_end;\n",
                time = quote_ident(time_column),
                sink = quote_ident(&sink_table),
                source = quote_ident(&source.name),
            ),
            format!(
                "Counts `{}` events per 10-second tumbling window of their event time `{time_column}`.",
                source.name
            ),
        ),
        None => {
            let physical: Vec<ColumnSpec> = source
                .columns
                .iter()
                .filter(|c| c.computed.is_none())
                .cloned()
                .collect();
            let column_list = physical
                .iter()
                .map(|c| quote_ident(&c.name))
                .collect::<Vec<_>>()
                .join(", ");
            let pipeline = format!(
                "-- Pipeline: copy every record (no event-time column was found for windows).\n\
                 INSERT INTO {sink}\nSELECT {column_list}\nFROM {source};\n",
                sink = quote_ident(&sink_table),
                source = quote_ident(&source.name),
            );
            (
                physical,
                format!("Sink: every `{}` record, copied to `{topic}`.", source.name),
                pipeline,
                format!("Copies every `{}` record to the sink, column for column.", source.name),
            )
        }
    };
    let sink = TableSpec {
        name: sink_table.clone(),
        comment: vec![comment],
        columns,
        watermark: None,
        options: sink_options,
    };
    (
        SinkSql {
            table: sink_table,
            topic,
            sql: sink.render(),
        },
        pipeline,
        summary,
    )
}
