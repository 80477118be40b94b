//! Flink's `kafka` connector over the log seam: one source partition per topic partition
//! (so watermarks are per partition, as Flink's are), values decoded by the table's format,
//! METADATA columns from the records; and a sink appending encoded rows.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use bytes::Bytes;
use datafusion::arrow::array::{
    ArrayRef, BinaryBuilder, Int32Array, Int64Array, MapBuilder, MapFieldNames, RecordBatch, StringArray,
    StringBuilder, TimestampMillisecondArray,
};
use datafusion::arrow::compute::cast;
use datafusion::arrow::datatypes::{DataType, Field, Schema, SchemaRef};
use datafusion::error::DataFusionError;
use datafusion::execution::TaskContext;
use datafusion::physical_plan::SendableRecordBatchStream;
use datafusion::physical_plan::stream::RecordBatchStreamAdapter;
use datafusion::physical_plan::streaming::PartitionStream;
use futures::{StreamExt, TryStreamExt};
use pipegen_log::{Fetched, Log, LogError, Record};
use pipegen_sql::{ColumnKind, CreateTable};

use crate::changes::{Changes, RowKind};
use crate::connectors::record_layout::{RecordLayout, RowDecoder};
use crate::error::EngineError;
use crate::operator::merge::PartitionStream as ChangeStream;
use crate::operator::source::ChangelogSource;
use crate::sink::TableSink;
use crate::types::arrow_type;
use pipegen_formats::{self as formats, ValueEncoder};

/// Records decoded per batch at most.
const MAX_RECORDS: usize = 8192;
/// How long an idle partition waits before looking again.
const IDLE_POLL: Duration = Duration::from_millis(2);

/// A METADATA column a Kafka source fills.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Metadata {
    Timestamp,
    TimestampType,
    Partition,
    Offset,
    Topic,
    Headers,
    LeaderEpoch,
}

/// What a Kafka table reads: the topic, where to start, where to stop.
#[derive(Clone)]
struct Scan {
    log: Arc<dyn Log>,
    topic: String,
    table: CreateTable,
    physical: SchemaRef,
    /// The partition stream's columns: the physical ones, then the METADATA ones.
    output: SchemaRef,
    metadata: Vec<Metadata>,
    from_latest: bool,
    bounded: bool,
    /// Records retention removed before this table's readers got to them.
    lost: Arc<AtomicU64>,
}

impl std::fmt::Debug for Scan {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Scan").field("topic", &self.topic).finish()
    }
}

pub fn topic(table: &CreateTable) -> Result<&str, EngineError> {
    let topic = table
        .topic()
        .ok_or_else(|| EngineError::Invalid(format!("Kafka table `{}` has no 'topic'", table.name)))?;
    if topic.contains(';') || table.option("topic-pattern").is_some() {
        return Err(EngineError::unsupported("Kafka tables over several topics"));
    }
    Ok(topic)
}

/// The physical columns and, after them, the METADATA columns a Kafka table declares.
pub fn columns(table: &CreateTable) -> Result<(SchemaRef, SchemaRef), EngineError> {
    let mut physical = Vec::new();
    let mut metadata = Vec::new();
    for column in &table.columns {
        match &column.kind {
            ColumnKind::Physical(ty) => physical.push(Field::new(&column.name, arrow_type(ty)?, ty.nullable)),
            ColumnKind::Metadata { ty, .. } => metadata.push(Field::new(&column.name, arrow_type(ty)?, true)),
            ColumnKind::Computed(_) => {}
        }
    }
    let physical = Arc::new(Schema::new(physical.clone()));
    let output = Arc::new(Schema::new(
        [physical.fields().iter().map(|f| f.as_ref().clone()).collect(), metadata].concat(),
    ));
    Ok((physical, output))
}

fn metadata_kinds(table: &CreateTable) -> Result<Vec<Metadata>, EngineError> {
    table
        .columns
        .iter()
        .filter_map(|c| match &c.kind {
            ColumnKind::Metadata { key, .. } => Some(match key.as_deref().unwrap_or(&c.name) {
                "timestamp" => Ok(Metadata::Timestamp),
                "timestamp-type" => Ok(Metadata::TimestampType),
                "partition" => Ok(Metadata::Partition),
                "offset" => Ok(Metadata::Offset),
                "topic" => Ok(Metadata::Topic),
                "headers" => Ok(Metadata::Headers),
                "leader-epoch" => Ok(Metadata::LeaderEpoch),
                other => Err(EngineError::unsupported(format!("the Kafka metadata '{other}'"))),
            }),
            _ => None,
        })
        .collect()
}

/// One source partition per topic partition; `lost` counts what retention removed unread.
pub fn source_partitions(
    table: &CreateTable,
    log: Arc<dyn Log>,
    lost: Arc<AtomicU64>,
) -> Result<Vec<Arc<dyn PartitionStream>>, EngineError> {
    let (physical, output) = columns(table)?;
    let (scan, partitions) = Scan::new(table, log, lost, physical, output)?;
    Ok(partitions
        .into_iter()
        .map(|partition| {
            Arc::new(KafkaPartition {
                scan: scan.clone(),
                partition,
            }) as Arc<dyn PartitionStream>
        })
        .collect())
}

impl Scan {
    /// The scan of a Kafka table and its topic's partitions.
    fn new(
        table: &CreateTable,
        log: Arc<dyn Log>,
        lost: Arc<AtomicU64>,
        physical: SchemaRef,
        output: SchemaRef,
    ) -> Result<(Self, Vec<u32>), EngineError> {
        let topic = topic(table)?.to_string();
        let partitions = log.offsets(&topic).map_err(|e| match e {
            LogError::UnknownTopic(_) => EngineError::Invalid(format!(
                "table `{}` reads topic `{topic}`, which does not exist",
                table.name
            )),
            other => EngineError::Invalid(other.to_string()),
        })?;
        // Fail at deploy time on a format the engine cannot read.
        RowDecoder::new(table, physical.clone())?;
        let from_latest = match table.option("scan.startup.mode") {
            None | Some("earliest-offset" | "group-offsets") => false,
            Some("latest-offset") => true,
            Some(other) => return Err(EngineError::unsupported(format!("'scan.startup.mode' = '{other}'"))),
        };
        let bounded = match table.option("scan.bounded.mode") {
            None | Some("unbounded") => false,
            Some("latest-offset") => true,
            Some(other) => return Err(EngineError::unsupported(format!("'scan.bounded.mode' = '{other}'"))),
        };
        let scan = Scan {
            log,
            topic,
            table: table.clone(),
            physical,
            output,
            metadata: metadata_kinds(table)?,
            from_latest,
            bounded,
            lost,
        };
        Ok((scan, partitions.iter().map(|p| p.partition).collect()))
    }
}

/// An upsert-kafka table read as a changelog: every partition's rows as upserts (`+U`), its
/// tombstones as deletions (`-D`), for ChangelogNormalize to turn into a full changelog.
#[derive(Clone, Debug)]
pub struct UpsertSource {
    scan: Scan,
    partitions: Vec<u32>,
    key_columns: Vec<usize>,
}

impl UpsertSource {
    pub fn new(table: &CreateTable, log: Arc<dyn Log>, lost: Arc<AtomicU64>) -> Result<Self, EngineError> {
        let (physical, output) = columns(table)?;
        let key_columns = RecordLayout::of(table, &physical)?.key_columns;
        // A deletion has a key only: every other column may be NULL in the source's rows.
        let nullable = |schema: &SchemaRef| -> SchemaRef {
            let fields: Vec<Field> = schema
                .fields()
                .iter()
                .enumerate()
                .map(|(i, f)| {
                    let field = f.as_ref().clone();
                    if key_columns.contains(&i) {
                        field
                    } else {
                        field.with_nullable(true)
                    }
                })
                .collect();
            Arc::new(Schema::new(fields))
        };
        let (physical, output) = (nullable(&physical), nullable(&output));
        let (scan, partitions) = Scan::new(table, log, lost, physical, output)?;
        Ok(Self {
            scan,
            partitions,
            key_columns,
        })
    }
}

impl ChangelogSource for UpsertSource {
    fn table(&self) -> &str {
        &self.scan.table.name
    }

    /// The source's columns: physical, then METADATA ones.
    fn schema(&self) -> SchemaRef {
        self.scan.output.clone()
    }

    fn key_columns(&self) -> &[usize] {
        &self.key_columns
    }

    fn upserts(&self) -> ChangeStream {
        let streams = self.partitions.iter().map(|&partition| {
            partition_rows(self.scan.clone(), partition, true)
                .map(|rows| {
                    let (rows, deleted) = rows?;
                    let kinds = deleted
                        .iter()
                        .map(|d| if *d { RowKind::Delete } else { RowKind::UpdateAfter })
                        .collect();
                    Ok(Changes::new(rows, Some(kinds)))
                })
                .boxed()
        });
        futures::stream::select_all(streams).boxed()
    }
}

#[derive(Debug)]
pub struct KafkaPartition {
    scan: Scan,
    partition: u32,
}

struct Cursor {
    decoder: RowDecoder,
    offset: Option<u64>,
    end: Option<u64>,
}

impl PartitionStream for KafkaPartition {
    fn schema(&self) -> &SchemaRef {
        &self.scan.output
    }

    fn execute(&self, _ctx: Arc<TaskContext>) -> SendableRecordBatchStream {
        let rows = partition_rows(self.scan.clone(), self.partition, false).map_ok(|(batch, _)| batch);
        Box::pin(RecordBatchStreamAdapter::new(self.scan.output.clone(), rows))
    }
}

/// A partition's rows as they arrive (with deletion flags when `deletions`), until the end of
/// a bounded scan.
fn partition_rows(
    scan: Scan,
    partition: u32,
    deletions: bool,
) -> impl futures::Stream<Item = Result<(RecordBatch, Vec<bool>), DataFusionError>> + Send + 'static {
    let cursor = RowDecoder::new(&scan.table, scan.physical.clone()).map(|decoder| Cursor {
        decoder,
        offset: None,
        end: None,
    });
    futures::stream::unfold(Some(cursor), move |state| {
        let scan = scan.clone();
        async move {
            let mut cursor = match state? {
                Ok(cursor) => cursor,
                Err(e) => return Some((Err(external(e)), None)),
            };
            match next_batch(&scan, partition, &mut cursor, deletions).await {
                Ok(Some(rows)) => Some((Ok(rows), Some(Ok(cursor)))),
                Ok(None) => None,
                Err(e) => Some((Err(external(e)), None)),
            }
        }
    })
}

fn external(e: EngineError) -> DataFusionError {
    DataFusionError::External(Box::new(e))
}

/// The next batch of rows, waiting while the partition has none; `None` at the end of a
/// bounded scan. With `deletions`, tombstones (empty values) are rows too, flagged `true`.
async fn next_batch(
    scan: &Scan,
    partition: u32,
    cursor: &mut Cursor,
    deletions: bool,
) -> Result<Option<(RecordBatch, Vec<bool>)>, EngineError> {
    let Some(records) = next_records(scan, partition, cursor).await? else {
        return Ok(None);
    };
    let values: Vec<&[u8]> = records.iter().map(|r| r.record.value.as_ref()).collect();
    let keys: Vec<&[u8]> = records
        .iter()
        .map(|r| r.record.key.as_ref().map_or(&[][..], |k| k.as_ref()))
        .collect();
    let context = |e: EngineError| {
        EngineError::Invalid(format!(
            "topic `{}` partition {partition}, offsets {}..={}: {e}",
            scan.topic,
            records[0].offset,
            records[records.len() - 1].offset
        ))
    };
    let (decoded, deleted) = if deletions {
        let deleted: Vec<bool> = values.iter().map(|v| v.is_empty()).collect();
        let rows = cursor
            .decoder
            .decode_upserts(&keys, &values, &deleted)
            .map_err(context)?;
        (rows, deleted)
    } else {
        (cursor.decoder.decode(&keys, &values).map_err(context)?, Vec::new())
    };
    Ok(Some((with_metadata(scan, partition, decoded, &records)?, deleted)))
}

/// The next records of a partition, waiting while it has none; `None` at the end of a bounded
/// scan.
async fn next_records(scan: &Scan, partition: u32, cursor: &mut Cursor) -> Result<Option<Vec<Fetched>>, EngineError> {
    let log_error = |e: LogError| EngineError::Invalid(e.to_string());
    if cursor.offset.is_none() {
        let offsets = scan.log.offsets(&scan.topic).map_err(log_error)?;
        let here = offsets.iter().find(|o| o.partition == partition).copied();
        let (start, end) = here.map_or((0, 0), |o| (o.start, o.end));
        cursor.offset = Some(if scan.from_latest { end } else { start });
        cursor.end = scan.bounded.then_some(end);
    }
    loop {
        let offset = cursor.offset.unwrap_or_default();
        if cursor.end.is_some_and(|end| offset >= end) {
            return Ok(None);
        }
        let mut records = match scan.log.read(&scan.topic, partition, offset, MAX_RECORDS) {
            Ok(records) => records,
            // Retention removed records before this consumer read them: go on from the
            // oldest held one (the log counts what it removed).
            Err(LogError::OffsetOutOfRange { range, .. }) if range.offset < range.start => {
                scan.lost.fetch_add(range.start - range.offset, Ordering::Relaxed);
                cursor.offset = Some(range.start);
                continue;
            }
            Err(e) => return Err(log_error(e)),
        };
        if let Some(end) = cursor.end {
            records.retain(|r| r.offset < end);
        }
        let Some(last) = records.last() else {
            tokio::time::sleep(IDLE_POLL).await;
            continue;
        };
        cursor.offset = Some(last.offset + 1);
        if let Some(group) = scan.table.option("properties.group.id") {
            // Committed as read (Flink commits on checkpoints): lag shows what is unread.
            scan.log
                .commit(group, &scan.topic, partition, last.offset + 1)
                .map_err(log_error)?;
        }
        return Ok(Some(records));
    }
}

fn with_metadata(
    scan: &Scan,
    partition: u32,
    decoded: RecordBatch,
    records: &[Fetched],
) -> Result<RecordBatch, EngineError> {
    if scan.metadata.is_empty() {
        return Ok(decoded);
    }
    if decoded.num_rows() != records.len() {
        return Err(EngineError::Invalid(
            "METADATA columns need every record decoded (parse errors cannot be ignored here)".into(),
        ));
    }
    let mut columns = decoded.columns().to_vec();
    let width = scan.physical.fields().len();
    for (index, kind) in scan.metadata.iter().enumerate() {
        let ty: &DataType = scan.output.field(width + index).data_type();
        let column: ArrayRef = match kind {
            Metadata::Timestamp => Arc::new(TimestampMillisecondArray::from_iter_values(
                records.iter().map(|r| r.record.timestamp_ms),
            )),
            Metadata::Partition => Arc::new(Int32Array::from(vec![partition as i32; records.len()])),
            Metadata::Offset => Arc::new(Int64Array::from_iter_values(records.iter().map(|r| r.offset as i64))),
            // The log keeps the producer's create time.
            Metadata::TimestampType => Arc::new(StringArray::from(vec!["CreateTime"; records.len()])),
            Metadata::Topic => Arc::new(StringArray::from(vec![scan.topic.as_str(); records.len()])),
            Metadata::LeaderEpoch => Arc::new(Int32Array::new_null(records.len())),
            Metadata::Headers => headers(records, ty)?,
        };
        columns.push(cast(&column, ty)?);
    }
    Ok(RecordBatch::try_new(scan.output.clone(), columns)?)
}

/// Each record's headers as `MAP<STRING, BYTES>`, built with the declared map's field names.
fn headers(records: &[Fetched], ty: &DataType) -> Result<ArrayRef, EngineError> {
    let DataType::Map(entries, _) = ty else {
        return Err(EngineError::Invalid(format!(
            "the 'headers' metadata column is MAP<STRING, BYTES>, not {ty}"
        )));
    };
    let DataType::Struct(fields) = entries.data_type() else {
        return Err(EngineError::Invalid(format!("unexpected map type {ty}")));
    };
    let names = MapFieldNames {
        entry: entries.name().clone(),
        key: fields[0].name().clone(),
        value: fields[1].name().clone(),
    };
    let mut builder = MapBuilder::new(Some(names), StringBuilder::new(), BinaryBuilder::new());
    for fetched in records {
        for (key, value) in &fetched.record.headers {
            builder.keys().append_value(key);
            builder.values().append_value(value);
        }
        builder.append(true)?;
    }
    Ok(Arc::new(builder.finish()))
}

/// Writes an INSERT's rows to the table's topic: `kafka` appends (keys from 'key.fields'
/// when a 'key.format' is set); `upsert-kafka` writes each row under its PRIMARY KEY, a deletion
/// as a tombstone (an empty value in the embedded log), and skips `-U` rows as Flink does (the
/// `+U` that follows overwrites the key).
pub struct KafkaSink {
    log: Arc<dyn Log>,
    topic: String,
    upsert: bool,
    key: Option<(Vec<usize>, Box<dyn ValueEncoder>)>,
    /// The columns the value holds ('value.fields-include').
    value_columns: Vec<usize>,
    encoder: Box<dyn ValueEncoder>,
}

impl KafkaSink {
    pub fn new(table: &CreateTable, schema: SchemaRef, log: Arc<dyn Log>) -> Result<Self, EngineError> {
        let topic = topic(table)?.to_string();
        let upsert = table.connector() == Some("upsert-kafka");
        let RecordLayout {
            key_columns,
            value_columns,
        } = RecordLayout::of(table, &schema)?;
        let key = if key_columns.is_empty() {
            None
        } else {
            let key_schema = Arc::new(schema.project(&key_columns)?);
            Some((key_columns.clone(), formats::key_encoder(table, key_schema, &topic)?))
        };
        let encoder = formats::encoder(table, Arc::new(schema.project(&value_columns)?), &topic)?;
        Ok(Self {
            log,
            topic,
            upsert,
            key,
            value_columns,
            encoder,
        })
    }
}

impl TableSink for KafkaSink {
    fn write(&mut self, batch: &RecordBatch, kinds: Option<&[RowKind]>) -> Result<(), EngineError> {
        let values = self.encoder.encode(&batch.project(&self.value_columns)?)?;
        let keys = match &mut self.key {
            Some((columns, encoder)) => Some(encoder.encode(&batch.project(columns)?)?),
            None => None,
        };
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_millis() as i64);
        let mut records = Vec::with_capacity(values.len());
        for (row, value) in values.into_iter().enumerate() {
            let key = keys.as_ref().map(|k| k[row].clone());
            match kinds.map_or(RowKind::Insert, |k| k[row]) {
                RowKind::Insert | RowKind::UpdateAfter => records.push(Record::new(key, value, now)),
                RowKind::UpdateBefore => {}
                RowKind::Delete => records.push(Record::new(key, Bytes::new(), now)),
            }
        }
        self.log
            .append(&self.topic, records)
            .map_err(|e| EngineError::Invalid(format!("writing to `{}`: {e}", self.topic)))
    }

    fn accepts_updates(&self) -> bool {
        self.upsert
    }
}
