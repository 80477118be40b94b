//! Deduplication keeping the first row by event time (`ROW_NUMBER() OVER (PARTITION BY ...
//! ORDER BY rowtime ASC)` under `rn = 1`), as Flink 2.1's RowTimeDeduplicateKeepFirstRowFunction
//! runs it: a row older than the watermark it meets is late and dropped; of the rest, each key
//! keeps its earliest row (the first to arrive on a tie) until the watermark passes that row's
//! time, and emits it then, once: the result only grows. So a key whose true first row came
//! late keeps a later one, and rows after the emitted one are ignored.

use std::collections::{BTreeSet, HashMap};
use std::sync::Arc;

use datafusion::arrow::array::{ArrayRef, RecordBatch, UInt64Array};
use datafusion::arrow::compute::cast;
use datafusion::arrow::datatypes::SchemaRef;
use datafusion::arrow::row::OwnedRow;
use datafusion::physical_expr::PhysicalExpr;

use super::keys::{KeyEncoder, RowCodec};
use crate::changes::Changes;
use crate::error::EngineError;
use crate::operator::merge::epoch_millis;

pub struct RowtimeFirst {
    partition: KeyEncoder,
    /// The rowtime column in the input.
    time_index: usize,
    rows_codec: RowCodec,
    output: SchemaRef,
    keys: HashMap<Box<[u8]>, Kept>,
    /// Keys waiting for the watermark, by their row's time.
    pending: BTreeSet<(i64, Box<[u8]>)>,
    bytes: usize,
}

enum Kept {
    /// The earliest row so far, and its time.
    Waiting(i64, OwnedRow),
    /// Emitted: later rows of the key are ignored.
    Emitted,
}

impl RowtimeFirst {
    pub fn new(
        input: SchemaRef,
        partition_by: Vec<Arc<dyn PhysicalExpr>>,
        time_index: usize,
        output: SchemaRef,
    ) -> Result<Self, EngineError> {
        let types = partition_by
            .iter()
            .map(|e| e.data_type(&input))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Self {
            partition: KeyEncoder::new(partition_by, types)?,
            time_index,
            rows_codec: RowCodec::new(input)?,
            output,
            keys: HashMap::new(),
            pending: BTreeSet::new(),
            bytes: 0,
        })
    }

    fn keep(&mut self, changes: &Changes) -> Result<(), EngineError> {
        let batch = &changes.rows;
        let rows = batch.num_rows();
        let Some(met) = &changes.met else {
            return Err(EngineError::Invalid(
                "a deduplication on event time got rows without their watermark; please report this".into(),
            ));
        };
        let times = epoch_millis(batch.column(self.time_index))?;
        let columns = self.partition.columns(batch)?;
        let keys = self.partition.encode(&columns, rows)?;
        let encoded = self.rows_codec.encode(batch)?;
        for row in 0..rows {
            // Flink drops a row whose time is behind the watermark (strictly).
            let Some(time) = times[row].filter(|t| *t >= met[row]) else {
                continue;
            };
            let key = keys.key(row);
            match self.keys.get_mut(key) {
                Some(Kept::Emitted) => {}
                Some(Kept::Waiting(kept, row_kept)) => {
                    if time < *kept {
                        self.pending.remove(&(*kept, Box::from(key)));
                        self.pending.insert((time, key.into()));
                        self.bytes = self.bytes - row_kept.as_ref().len() + encoded.row(row).as_ref().len();
                        *kept = time;
                        *row_kept = encoded.row(row).owned();
                    }
                }
                None => {
                    self.bytes += 2 * key.len() + encoded.row(row).as_ref().len() + 48;
                    self.keys
                        .insert(key.into(), Kept::Waiting(time, encoded.row(row).owned()));
                    self.pending.insert((time, key.into()));
                }
            }
        }
        Ok(())
    }

    /// The rows whose time the watermark reached, each with rank 1.
    fn fire(&mut self, watermark: i64) -> Result<Option<Changes>, EngineError> {
        let mut emitted = Vec::new();
        while let Some((time, _)) = self.pending.first()
            && *time <= watermark
        {
            let (_, key) = self.pending.pop_first().expect("a first entry");
            if let Some(Kept::Waiting(_, row)) = self.keys.insert(key, Kept::Emitted) {
                self.bytes -= row.as_ref().len();
                emitted.push(row);
            }
        }
        if emitted.is_empty() {
            return Ok(None);
        }
        let mut columns = self.rows_codec.decode(emitted.iter().map(OwnedRow::row))?;
        let ranks: ArrayRef = Arc::new(UInt64Array::from_iter_values(emitted.iter().map(|_| 1)));
        let rank_type = self.output.field(self.output.fields().len() - 1).data_type();
        columns.push(cast(&ranks, rank_type)?);
        Ok(Some(Changes::inserts(RecordBatch::try_new(
            self.output.clone(),
            columns,
        )?)))
    }
}

impl crate::operator::Operator for RowtimeFirst {
    fn name(&self) -> &'static str {
        "RowTimeDeduplicate"
    }

    fn key_exprs(&self, _input: usize) -> &[Arc<dyn PhysicalExpr>] {
        self.partition.exprs()
    }

    fn on_changes(&mut self, _input: usize, changes: Changes, _out: &mut Vec<Changes>) -> Result<(), EngineError> {
        self.keep(&changes)
    }

    fn on_watermark(&mut self, _input: usize, watermark: i64, out: &mut Vec<Changes>) -> Result<(), EngineError> {
        out.extend(self.fire(watermark)?);
        Ok(())
    }

    fn state_bytes(&self) -> usize {
        self.bytes
    }
}
