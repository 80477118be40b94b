//! `ORDER BY` the rowtime ascending on a stream (Flink's RowTimeSort): rows wait until the
//! watermark passes their time, then leave in time order, rows of one time ordered by the
//! query's further sort keys (ties in arrival order). A row at or before the last time
//! emitted is late and dropped, as in Flink; rows leave as the watermark moves between rows
//! (each row's `met`), so a batch's later rows meet the earlier rows' watermark. The result
//! is append-only.

use std::collections::BTreeMap;
use std::sync::Arc;

use datafusion::arrow::array::{ArrayRef, RecordBatch};
use datafusion::arrow::datatypes::SchemaRef;
use datafusion::arrow::row::{OwnedRow, RowConverter, SortField};
use datafusion::physical_expr::PhysicalSortExpr;

use super::keys::RowCodec;
use crate::changes::Changes;
use crate::error::EngineError;
use crate::metrics::JobMetrics;
use crate::operator::Operator;
use crate::operator::merge::epoch_millis;

pub struct TemporalSort {
    time_index: usize,
    /// The sort keys after the rowtime.
    then_by: Vec<PhysicalSortExpr>,
    then_by_rows: RowConverter,
    rows_codec: RowCodec,
    /// Waiting rows by time: their further sort key and the row, in arrival order.
    waiting: BTreeMap<i64, Vec<(OwnedRow, OwnedRow)>>,
    /// The last time emitted (Flink's `lastTriggeringTs`).
    emitted_through: i64,
    watermark: i64,
    bytes: usize,
    metrics: Arc<JobMetrics>,
}

impl TemporalSort {
    pub fn new(
        input: SchemaRef,
        time_index: usize,
        then_by: Vec<PhysicalSortExpr>,
        metrics: Arc<JobMetrics>,
    ) -> Result<Self, EngineError> {
        let fields = then_by
            .iter()
            .map(|s| Ok(SortField::new_with_options(s.expr.data_type(&input)?, s.options)))
            .collect::<Result<Vec<_>, EngineError>>()?;
        Ok(Self {
            time_index,
            then_by,
            then_by_rows: RowConverter::new(fields)?,
            rows_codec: RowCodec::new(input)?,
            waiting: BTreeMap::new(),
            emitted_through: i64::MIN,
            watermark: i64::MIN,
            bytes: 0,
            metrics,
        })
    }
}

impl Operator for TemporalSort {
    fn name(&self) -> &'static str {
        "TemporalSort"
    }

    fn on_changes(&mut self, _input: usize, changes: Changes, out: &mut Vec<Changes>) -> Result<(), EngineError> {
        let batch = &changes.rows;
        let rows = batch.num_rows();
        let times = epoch_millis(batch.column(self.time_index))?;
        let keys: Vec<ArrayRef> = self
            .then_by
            .iter()
            .map(|s| Ok(s.expr.evaluate(batch)?.into_array(rows)?))
            .collect::<Result<_, EngineError>>()?;
        let keys = self.then_by_rows.convert_columns(&keys)?;
        let encoded = self.rows_codec.encode(batch)?;
        let mut late = 0;
        // What the batch's rows let go, gathered into one output batch.
        let mut ready = Vec::new();
        for (row, time) in times.into_iter().enumerate() {
            if let Some(met) = changes.met.as_ref().map(|met| met[row])
                && met > self.watermark
            {
                self.advance(met, &mut ready);
            }
            match time {
                Some(time) if time > self.emitted_through => {
                    let entry = (keys.row(row).owned(), encoded.row(row).owned());
                    self.bytes += entry.0.as_ref().len() + entry.1.as_ref().len();
                    self.waiting.entry(time).or_default().push(entry);
                }
                _ => late += 1,
            }
        }
        JobMetrics::add(&self.metrics.late_records_dropped, late);
        self.emit(ready, out)
    }

    fn on_watermark(&mut self, _input: usize, watermark: i64, out: &mut Vec<Changes>) -> Result<(), EngineError> {
        let mut ready = Vec::new();
        self.advance(watermark, &mut ready);
        self.emit(ready, out)
    }

    fn state_bytes(&self) -> usize {
        self.bytes
    }
}

impl TemporalSort {
    /// Lets go (into `ready`) the rows the watermark has passed, in order.
    fn advance(&mut self, watermark: i64, ready: &mut Vec<OwnedRow>) {
        self.watermark = self.watermark.max(watermark);
        while let Some(entry) = self.waiting.first_entry() {
            if *entry.key() > watermark {
                break;
            }
            let (time, mut rows) = entry.remove_entry();
            rows.sort_by(|a, b| a.0.cmp(&b.0));
            for (key, row) in rows {
                self.bytes -= key.as_ref().len() + row.as_ref().len();
                ready.push(row);
            }
            self.emitted_through = time;
        }
    }

    /// The rows let go, as one batch.
    fn emit(&self, ready: Vec<OwnedRow>, out: &mut Vec<Changes>) -> Result<(), EngineError> {
        if !ready.is_empty() {
            let columns = self.rows_codec.decode(ready.iter().map(OwnedRow::row))?;
            let schema = self.rows_codec.schema().clone();
            out.push(Changes::inserts(RecordBatch::try_new(schema, columns)?));
        }
        Ok(())
    }
}
