//! Flink's `datagen` connector: random or sequence values per column, bounded by
//! `number-of-rows` or a sequence's end, paced by `rows-per-second`. Batches are built column by
//! column, so generating costs a few nanoseconds a row.

use std::sync::Arc;
use std::time::{Duration, Instant};

use datafusion::arrow::array::{
    ArrayRef, BooleanArray, Float32Array, Float64Array, Int8Array, Int16Array, Int32Array, Int64Array, StringArray,
    TimestampMillisecondArray,
};
use datafusion::arrow::datatypes::{DataType, SchemaRef, TimeUnit};
use datafusion::arrow::record_batch::RecordBatch;
use datafusion::execution::TaskContext;
use datafusion::physical_plan::SendableRecordBatchStream;
use datafusion::physical_plan::stream::RecordBatchStreamAdapter;
use datafusion::physical_plan::streaming::PartitionStream;
use pipegen_sql::CreateTable;
use rand::rngs::Xoshiro256PlusPlus;
use rand::{RngExt, SeedableRng};

use crate::error::EngineError;

const BATCH_ROWS: usize = 8192;
/// Above this rate the source is not paced at all.
const UNPACED_RATE: f64 = 1e8;

#[derive(Debug, Clone)]
enum ColumnGen {
    Sequence { start: i64 },
    Random { min: f64, max: f64, length: usize },
}

/// What a `datagen` table generates.
#[derive(Debug, Clone)]
pub struct DatagenSpec {
    rows_per_second: f64,
    total: Option<u64>,
    columns: Vec<ColumnGen>,
}

fn option_f64(table: &CreateTable, key: &str) -> Result<Option<f64>, EngineError> {
    table
        .option(key)
        .map(|v| {
            v.trim()
                .parse::<f64>()
                .map_err(|_| EngineError::Invalid(format!("table `{}`: '{key}' = '{v}' is not a number", table.name)))
        })
        .transpose()
}

impl DatagenSpec {
    /// Reads the options of a datagen table whose physical columns are `schema`'s.
    pub fn from_table(table: &CreateTable, schema: &SchemaRef) -> Result<Self, EngineError> {
        let mut total = option_f64(table, "number-of-rows")?.map(|n| n as u64);
        let mut columns = Vec::new();
        for field in schema.fields() {
            let key = |k: &str| format!("fields.{}.{k}", field.name());
            let kind = table.option(&key("kind")).unwrap_or("random");
            let column = match kind {
                "sequence" => {
                    let start = option_f64(table, &key("start"))?
                        .ok_or_else(|| EngineError::Invalid(format!("{} needs a start", key("kind"))))?
                        as i64;
                    let end = option_f64(table, &key("end"))?
                        .ok_or_else(|| EngineError::Invalid(format!("{} needs an end", key("kind"))))?
                        as i64;
                    let length = (end - start + 1).max(0) as u64;
                    total = Some(total.map_or(length, |t| t.min(length)));
                    ColumnGen::Sequence { start }
                }
                "random" => {
                    let (default_min, default_max) = default_range(field.data_type());
                    ColumnGen::Random {
                        min: option_f64(table, &key("min"))?.unwrap_or(default_min),
                        max: option_f64(table, &key("max"))?.unwrap_or(default_max),
                        length: option_f64(table, &key("length"))?.unwrap_or(100.0) as usize,
                    }
                }
                other => {
                    return Err(EngineError::Invalid(format!(
                        "table `{}`: unknown {} '{other}'",
                        table.name,
                        key("kind")
                    )));
                }
            };
            columns.push(column);
        }
        Ok(Self {
            rows_per_second: option_f64(table, "rows-per-second")?.unwrap_or(10_000.0),
            total,
            columns,
        })
    }
}

fn default_range(ty: &DataType) -> (f64, f64) {
    match ty {
        DataType::Int8 => (i8::MIN as f64, i8::MAX as f64),
        DataType::Int16 => (i16::MIN as f64, i16::MAX as f64),
        DataType::Int32 => (i32::MIN as f64, i32::MAX as f64),
        DataType::Int64 => (i64::MIN as f64, i64::MAX as f64),
        _ => (0.0, 1.0),
    }
}

/// One partition of a datagen table: rows `index` with `index % partitions == partition`.
#[derive(Debug)]
pub struct DatagenPartition {
    pub schema: SchemaRef,
    pub spec: DatagenSpec,
    pub partition: u64,
    pub partitions: u64,
}

struct State {
    rng: Xoshiro256PlusPlus,
    /// The next global row index this partition produces.
    next_row: u64,
    produced: u64,
    started: Instant,
}

impl PartitionStream for DatagenPartition {
    fn schema(&self) -> &SchemaRef {
        &self.schema
    }

    fn execute(&self, _ctx: Arc<TaskContext>) -> SendableRecordBatchStream {
        let schema = self.schema.clone();
        let spec = self.spec.clone();
        let (partition, partitions) = (self.partition, self.partitions.max(1));
        let state = State {
            rng: Xoshiro256PlusPlus::seed_from_u64(0x0da7_a9e0 ^ partition),
            next_row: partition,
            produced: 0,
            started: Instant::now(),
        };
        let stream = futures::stream::unfold(state, move |mut state| {
            let schema = schema.clone();
            let spec = spec.clone();
            async move {
                let remaining = spec
                    .total
                    .map(|t| t.saturating_sub(state.next_row).div_ceil(partitions));
                let rows = remaining.map_or(BATCH_ROWS, |r| (r as usize).min(BATCH_ROWS));
                if rows == 0 {
                    return None;
                }
                let rate = spec.rows_per_second / partitions as f64;
                if rate < UNPACED_RATE {
                    // Absolute schedule: this batch is due when the rows before it are.
                    let due = state.started + Duration::from_secs_f64(state.produced as f64 / rate);
                    let now = Instant::now();
                    if due > now {
                        tokio::time::sleep(due - now).await;
                    }
                }
                let indices: Vec<u64> = (0..rows as u64).map(|i| state.next_row + i * partitions).collect();
                let batch = generate(&schema, &spec, &indices, &mut state.rng);
                state.next_row += rows as u64 * partitions;
                state.produced += rows as u64;
                Some((
                    batch.map_err(|e| datafusion::error::DataFusionError::External(Box::new(e))),
                    state,
                ))
            }
        });
        Box::pin(RecordBatchStreamAdapter::new(self.schema.clone(), stream))
    }
}

fn generate(
    schema: &SchemaRef,
    spec: &DatagenSpec,
    indices: &[u64],
    rng: &mut Xoshiro256PlusPlus,
) -> Result<RecordBatch, EngineError> {
    let columns: Vec<ArrayRef> = schema
        .fields()
        .iter()
        .zip(&spec.columns)
        .map(|(field, column)| column_values(field.data_type(), column, indices, rng))
        .collect::<Result<_, _>>()?;
    RecordBatch::try_new(schema.clone(), columns).map_err(|e| EngineError::Invalid(e.to_string()))
}

fn column_values(
    ty: &DataType,
    column: &ColumnGen,
    indices: &[u64],
    rng: &mut Xoshiro256PlusPlus,
) -> Result<ArrayRef, EngineError> {
    let ints = |rng: &mut Xoshiro256PlusPlus| -> Vec<i64> {
        match column {
            ColumnGen::Sequence { start, .. } => indices.iter().map(|i| start + *i as i64).collect(),
            ColumnGen::Random { min, max, .. } => {
                let (lo, hi) = (*min as i64, *max as i64);
                indices
                    .iter()
                    .map(|_| if lo >= hi { lo } else { rng.random_range(lo..=hi) })
                    .collect()
            }
        }
    };
    let reals = |rng: &mut Xoshiro256PlusPlus| -> Vec<f64> {
        match column {
            ColumnGen::Sequence { start, .. } => indices.iter().map(|i| (start + *i as i64) as f64).collect(),
            ColumnGen::Random { min, max, .. } => indices
                .iter()
                .map(|_| if min >= max { *min } else { rng.random_range(*min..*max) })
                .collect(),
        }
    };
    Ok(match ty {
        DataType::Int64 => Arc::new(Int64Array::from(ints(rng))),
        DataType::Int32 => Arc::new(Int32Array::from_iter_values(ints(rng).into_iter().map(|v| v as i32))),
        DataType::Int16 => Arc::new(Int16Array::from_iter_values(ints(rng).into_iter().map(|v| v as i16))),
        DataType::Int8 => Arc::new(Int8Array::from_iter_values(ints(rng).into_iter().map(|v| v as i8))),
        DataType::Float64 => Arc::new(Float64Array::from(reals(rng))),
        DataType::Float32 => Arc::new(Float32Array::from_iter_values(reals(rng).into_iter().map(|v| v as f32))),
        DataType::Boolean => Arc::new(BooleanArray::from_iter(
            indices.iter().map(|_| Some(rng.random::<bool>())),
        )),
        DataType::Utf8 => {
            let length = match column {
                ColumnGen::Random { length, .. } => *length,
                ColumnGen::Sequence { .. } => 0,
            };
            match column {
                ColumnGen::Sequence { start, .. } => Arc::new(StringArray::from_iter_values(
                    indices.iter().map(|i| (start + *i as i64).to_string()),
                )),
                ColumnGen::Random { .. } => Arc::new(StringArray::from_iter_values(indices.iter().map(|_| {
                    (0..length)
                        .map(|_| char::from(b'a' + rng.random_range(0..26u8)))
                        .collect::<String>()
                }))),
            }
        }
        DataType::Timestamp(TimeUnit::Millisecond, tz) => {
            let now = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| d.as_millis() as i64);
            Arc::new(TimestampMillisecondArray::from(vec![now; indices.len()]).with_timezone_opt(tz.clone()))
        }
        other => return Err(EngineError::unsupported(format!("datagen columns of type {other}"))),
    })
}
