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

/// The longest random string a column may ask for: a row is held in memory whole.
const MAX_STRING_LENGTH: f64 = 1_048_576.0;

fn invalid(table: &CreateTable, key: &str, value: &str, why: &str) -> EngineError {
    EngineError::Invalid(format!("table `{}`: '{key}' = '{value}' {why}", table.name))
}

/// A whole, non-negative count option (`number-of-rows`, `fields.f.length`).
fn option_count(table: &CreateTable, key: &str, at_most: f64) -> Result<Option<f64>, EngineError> {
    let Some(value) = option_f64(table, key)? else {
        return Ok(None);
    };
    let text = table.option(key).unwrap_or_default();
    if !(value >= 0.0 && value.fract() == 0.0) {
        return Err(invalid(table, key, text, "must be a whole number, 0 or more"));
    }
    if value > at_most {
        return Err(invalid(table, key, text, &format!("is too large: at most {at_most}")));
    }
    Ok(Some(value))
}

/// A sequence bound: a whole number, read exactly (a BIGINT's extremes do not survive an f64).
fn option_i64(table: &CreateTable, key: &str) -> Result<Option<i64>, EngineError> {
    table
        .option(key)
        .map(|v| {
            v.trim()
                .parse::<i64>()
                .map_err(|_| invalid(table, key, v, "is not a whole number in BIGINT's range"))
        })
        .transpose()
}

/// A finite bound (`fields.f.min`, `.start`, ...): NaN and infinities generate nothing real.
fn option_finite(table: &CreateTable, key: &str) -> Result<Option<f64>, EngineError> {
    let value = option_f64(table, key)?;
    if let Some(v) = value
        && !v.is_finite()
    {
        return Err(invalid(
            table,
            key,
            table.option(key).unwrap_or_default(),
            "is not a finite number",
        ));
    }
    Ok(value)
}

impl DatagenSpec {
    /// Reads the options of a datagen table whose physical columns are `schema`'s.
    pub fn from_table(table: &CreateTable, schema: &SchemaRef) -> Result<Self, EngineError> {
        let mut total = option_count(table, "number-of-rows", u64::MAX as f64)?.map(|n| n as u64);
        let mut columns = Vec::new();
        for field in schema.fields() {
            let key = |k: &str| format!("fields.{}.{k}", field.name());
            let kind = table.option(&key("kind")).unwrap_or("random");
            let column = match kind {
                "sequence" => {
                    let start = option_i64(table, &key("start"))?
                        .ok_or_else(|| EngineError::Invalid(format!("{} needs a start", key("kind"))))?;
                    let end = option_i64(table, &key("end"))?
                        .ok_or_else(|| EngineError::Invalid(format!("{} needs an end", key("kind"))))?;
                    // In i128: `end - start` of two extreme i64 values does not fit an i64.
                    let length = (i128::from(end) - i128::from(start) + 1).clamp(0, i128::from(u64::MAX)) as u64;
                    total = Some(total.map_or(length, |t| t.min(length)));
                    ColumnGen::Sequence { start }
                }
                "random" => {
                    let (default_min, default_max) = default_range(field.data_type());
                    let min = option_finite(table, &key("min"))?.unwrap_or(default_min);
                    let max = option_finite(table, &key("max"))?.unwrap_or(default_max);
                    if min > max {
                        return Err(EngineError::Invalid(format!(
                            "table `{}`: '{}' ({min}) is above '{}' ({max})",
                            table.name,
                            key("min"),
                            key("max")
                        )));
                    }
                    ColumnGen::Random {
                        min,
                        max,
                        length: option_count(table, &key("length"), MAX_STRING_LENGTH)?.unwrap_or(100.0) as usize,
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
        let rows_per_second = option_f64(table, "rows-per-second")?.unwrap_or(10_000.0);
        if !(rows_per_second.is_finite() && rows_per_second > 0.0) {
            return Err(invalid(
                table,
                "rows-per-second",
                table.option("rows-per-second").unwrap_or_default(),
                "must be a number above 0",
            ));
        }
        Ok(Self {
            rows_per_second,
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
                // Between the bounds without computing `max - min`, which overflows for
                // bounds such as ±1e308.
                .map(|_| {
                    if min >= max {
                        *min
                    } else {
                        let u: f64 = rng.random();
                        (min * (1.0 - u) + max * u).clamp(*min, *max)
                    }
                })
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
