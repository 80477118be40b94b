//! Window Top-N and window deduplication (Flink's WindowRank and WindowDeduplicate):
//! `ROW_NUMBER() OVER (PARTITION BY window_start, window_end, ... ORDER BY ...)` under a
//! filter `rn <= N` (or `rn = 1`), over a window aggregation or straight over a window TVF.
//! A window's rows wait until the watermark passes its end; then each partition's best N rows
//! are emitted once, with their rank: the result is append-only. Ties keep arrival order,
//! except for a single row ordered descending (keep-last deduplication), where the later row
//! wins as in Flink.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use datafusion::arrow::array::{ArrayRef, RecordBatch, UInt32Array, UInt64Array};
use datafusion::arrow::compute::{cast, concat_batches, take_record_batch};
use datafusion::arrow::datatypes::SchemaRef;
use datafusion::arrow::row::{RowConverter, SortField};
use datafusion::physical_expr::{PhysicalExpr, PhysicalSortExpr};

use crate::changes::Changes;
use crate::error::EngineError;
use crate::metrics::JobMetrics;
use crate::operator::Operator;
use crate::operator::merge::epoch_millis;

/// What a window rank needs from the planned `ROW_NUMBER`.
#[derive(Clone)]
pub struct RankShape {
    /// The PARTITION BY expressions, `window_start` and `window_end` among them.
    pub partition_by: Vec<Arc<dyn PhysicalExpr>>,
    pub window_start: Arc<dyn PhysicalExpr>,
    pub window_end: Arc<dyn PhysicalExpr>,
    pub order: Vec<PhysicalSortExpr>,
    pub limit: usize,
    /// The input's columns and then the rank.
    pub output: SchemaRef,
}

pub struct WindowRank {
    shape: RankShape,
    input: SchemaRef,
    partitions: RowConverter,
    order: RowConverter,
    /// Buffered rows by window (end, start): firing walks them in end order.
    windows: BTreeMap<(i64, i64), Vec<RecordBatch>>,
    watermark: i64,
    bytes: usize,
    metrics: Arc<JobMetrics>,
}

impl WindowRank {
    pub fn new(shape: RankShape, input: SchemaRef, metrics: Arc<JobMetrics>) -> Result<Self, EngineError> {
        let partition_fields = shape
            .partition_by
            .iter()
            .map(|e| Ok(SortField::new(e.data_type(&input)?)))
            .collect::<Result<Vec<_>, EngineError>>()?;
        let order_fields = shape
            .order
            .iter()
            .map(|s| Ok(SortField::new_with_options(s.expr.data_type(&input)?, s.options)))
            .collect::<Result<Vec<_>, EngineError>>()?;
        Ok(Self {
            partitions: RowConverter::new(partition_fields)?,
            order: RowConverter::new(order_fields)?,
            shape,
            input,
            windows: BTreeMap::new(),
            watermark: i64::MIN,
            bytes: 0,
            metrics,
        })
    }

    /// A single row ordered descending keeps the latest of its ties (keep-last deduplication).
    fn newer_first(&self) -> bool {
        self.shape.limit == 1 && self.shape.order.len() == 1 && self.shape.order[0].options.descending
    }

    /// Ranks one window's rows: each partition's best `limit` rows, with their rank.
    fn rank(&self, rows: &RecordBatch) -> Result<RecordBatch, EngineError> {
        let count = rows.num_rows();
        let evaluate = |exprs: Vec<&Arc<dyn PhysicalExpr>>| -> Result<Vec<ArrayRef>, EngineError> {
            exprs
                .into_iter()
                .map(|e| Ok(e.evaluate(rows)?.into_array(count)?))
                .collect()
        };
        let partitions = self
            .partitions
            .convert_columns(&evaluate(self.shape.partition_by.iter().collect())?)?;
        let order = self
            .order
            .convert_columns(&evaluate(self.shape.order.iter().map(|s| &s.expr).collect())?)?;

        let mut groups: HashMap<&[u8], Vec<u32>> = HashMap::new();
        let mut first_seen: Vec<&[u8]> = Vec::new();
        for row in 0..count {
            let key = partitions.row(row).data();
            let group = groups.entry(key).or_insert_with(|| {
                first_seen.push(key);
                Vec::new()
            });
            group.push(row as u32);
        }
        let newer_first = self.newer_first();
        let mut taken: Vec<u32> = Vec::new();
        let mut ranks: Vec<u64> = Vec::new();
        for key in first_seen {
            let mut group = groups.remove(key).expect("seen above");
            // Stable: ties stay in arrival order (or the reverse, for keep-last).
            group.sort_by(|a, b| {
                let by_order = order.row(*a as usize).cmp(&order.row(*b as usize));
                if newer_first { by_order.then(b.cmp(a)) } else { by_order }
            });
            for (rank, row) in group.into_iter().take(self.shape.limit).enumerate() {
                taken.push(row);
                ranks.push(rank as u64 + 1);
            }
        }
        let kept = take_record_batch(rows, &UInt32Array::from(taken))?;
        let mut columns = kept.columns().to_vec();
        let rank_type = self
            .shape
            .output
            .field(self.shape.output.fields().len() - 1)
            .data_type();
        columns.push(cast(&(Arc::new(UInt64Array::from(ranks)) as ArrayRef), rank_type)?);
        Ok(RecordBatch::try_new(self.shape.output.clone(), columns)?)
    }
}

impl Operator for WindowRank {
    fn name(&self) -> &'static str {
        "WindowRank"
    }

    fn key_exprs(&self, _input: usize) -> &[Arc<dyn PhysicalExpr>] {
        &self.shape.partition_by
    }

    fn on_changes(&mut self, _input: usize, changes: Changes, _out: &mut Vec<Changes>) -> Result<(), EngineError> {
        if changes
            .kinds
            .as_ref()
            .is_some_and(|kinds| kinds.iter().any(|k| k.is_retraction()))
        {
            return Err(EngineError::Invalid(
                "a window Top-N received retractions; please report this".into(),
            ));
        }
        let rows = changes.rows;
        let count = rows.num_rows();
        let bound = |expr: &Arc<dyn PhysicalExpr>| -> Result<Vec<Option<i64>>, EngineError> {
            Ok(epoch_millis(&expr.evaluate(&rows)?.into_array(count)?)?)
        };
        let starts = bound(&self.shape.window_start)?;
        let ends = bound(&self.shape.window_end)?;
        let mut by_window: BTreeMap<(i64, i64), Vec<u32>> = BTreeMap::new();
        let mut late = 0;
        for row in 0..count {
            let (Some(start), Some(end)) = (starts[row], ends[row]) else {
                continue;
            };
            // A window that has fired takes no more rows, as in Flink.
            if end - 1 <= self.watermark {
                late += 1;
                continue;
            }
            by_window.entry((end, start)).or_default().push(row as u32);
        }
        JobMetrics::add(&self.metrics.late_records_dropped, late);
        for (window, indices) in by_window {
            let part = if indices.len() == count {
                rows.clone()
            } else {
                take_record_batch(&rows, &UInt32Array::from(indices))?
            };
            self.bytes += part.get_array_memory_size();
            self.windows.entry(window).or_default().push(part);
        }
        Ok(())
    }

    fn on_watermark(&mut self, _input: usize, watermark: i64, out: &mut Vec<Changes>) -> Result<(), EngineError> {
        self.watermark = self.watermark.max(watermark);
        while let Some(entry) = self.windows.first_entry() {
            let (end, _) = *entry.key();
            if end - 1 > watermark {
                break;
            }
            let batches = entry.remove();
            self.bytes -= batches.iter().map(RecordBatch::get_array_memory_size).sum::<usize>();
            let rows = concat_batches(&self.input, &batches)?;
            out.push(Changes::inserts(self.rank(&rows)?));
        }
        Ok(())
    }

    fn state_bytes(&self) -> usize {
        self.bytes
    }

    fn open_windows(&self) -> usize {
        self.windows.len()
    }
}
