//! An upsert-kafka table read as a changelog, as Flink's ChangelogNormalize does it: the
//! latest row of every key is kept, so that a record for a new key is `+I`, a record for a
//! known key is `-U` (the row it replaces) then `+U`, a tombstone is `-D` of the key's row
//! (nothing when the key is unknown), and a record equal to the key's row changes nothing.

use std::collections::HashMap;
use std::sync::Arc;

use datafusion::arrow::array::RecordBatch;
use datafusion::arrow::datatypes::SchemaRef;
use datafusion::arrow::row::{OwnedRow, RowConverter, SortField};
use datafusion::error::DataFusionError;

use super::keys::RowCodec;
use crate::changes::{Changes, RowKind};
use crate::error::EngineError;
use crate::operator::Operator;

pub struct UpsertNormalize {
    /// Positions of the PRIMARY KEY columns in the source's rows.
    key_columns: Vec<usize>,
    keys: RowConverter,
    rows: RowCodec,
    latest: HashMap<Vec<u8>, OwnedRow>,
    bytes: usize,
    /// The columns the plan reads (the scan's projection), in its order.
    projection: Option<Vec<usize>>,
    output: SchemaRef,
}

impl UpsertNormalize {
    pub fn new(
        source: SchemaRef,
        key_columns: Vec<usize>,
        projection: Option<Vec<usize>>,
    ) -> Result<Self, DataFusionError> {
        let keys = RowConverter::new(
            key_columns
                .iter()
                .map(|c| SortField::new(source.field(*c).data_type().clone()))
                .collect(),
        )?;
        let output = match &projection {
            Some(columns) => Arc::new(source.project(columns)?),
            None => source.clone(),
        };
        Ok(Self {
            key_columns,
            keys,
            rows: RowCodec::new(source)?,
            latest: HashMap::new(),
            bytes: 0,
            projection,
            output,
        })
    }

    pub fn schema(&self) -> SchemaRef {
        self.output.clone()
    }

    /// The changes a batch of source rows makes; `deleted` flags the tombstones.
    pub fn process(&mut self, batch: &RecordBatch, deleted: &[bool]) -> Result<Changes, DataFusionError> {
        let key_columns: Vec<_> = self.key_columns.iter().map(|c| batch.column(*c).clone()).collect();
        let keys = self.keys.convert_columns(&key_columns)?;
        let rows = self.rows.encode(batch)?;
        let mut out: Vec<(OwnedRow, RowKind)> = Vec::new();
        for (index, deleted) in deleted.iter().enumerate() {
            let key = keys.row(index).data().to_vec();
            if *deleted {
                if let Some(old) = self.latest.remove(&key) {
                    self.bytes -= key.len() + old.as_ref().len();
                    out.push((old, RowKind::Delete));
                }
                continue;
            }
            let row = rows.row(index).owned();
            match self.latest.get_mut(&key) {
                Some(old) if old.as_ref() == row.as_ref() => {}
                Some(old) => {
                    self.bytes = self.bytes + row.as_ref().len() - old.as_ref().len();
                    let before = std::mem::replace(old, row.clone());
                    out.push((before, RowKind::UpdateBefore));
                    out.push((row, RowKind::UpdateAfter));
                }
                None => {
                    self.bytes += key.len() + row.as_ref().len();
                    self.latest.insert(key, row.clone());
                    out.push((row, RowKind::Insert));
                }
            }
        }
        let columns = self.rows.decode(out.iter().map(|(row, _)| row.row()))?;
        let rows = RecordBatch::try_new(self.rows.schema().clone(), columns)?;
        let rows = match &self.projection {
            Some(columns) => rows.project(columns)?,
            None => rows,
        };
        Ok(Changes::new(
            rows,
            Some(out.into_iter().map(|(_, kind)| kind).collect()),
        ))
    }
}

/// Flink's ChangelogNormalize over an upsert source's `+U` / `-D` rows.
impl Operator for UpsertNormalize {
    fn name(&self) -> &'static str {
        "ChangelogNormalize"
    }

    fn on_changes(&mut self, _input: usize, changes: Changes, out: &mut Vec<Changes>) -> Result<(), EngineError> {
        let deleted: Vec<bool> = (0..changes.rows.num_rows())
            .map(|row| changes.kind(row) == RowKind::Delete)
            .collect();
        out.push(self.process(&changes.rows, &deleted)?);
        Ok(())
    }

    fn state_bytes(&self) -> usize {
        self.bytes
    }
}
