//! INTERSECT ALL and EXCEPT ALL: each row value appears as many times as SQL says, from the
//! counts of its copies on both sides (`min(left, right)` for INTERSECT ALL, `left - right`
//! when positive for EXCEPT ALL; NULLs equal, as in set operations). A change on either
//! side emits the copies it adds (`+I`) or takes away (`-D`); Flink's result is updating too.

use std::collections::HashMap;
use std::sync::Arc;

use datafusion::arrow::datatypes::SchemaRef;
use datafusion::arrow::row::OwnedRow;
use datafusion::common::{JoinType, NullEquality};
use datafusion::physical_expr::PhysicalExpr;
use datafusion::physical_plan::joins::HashJoinExec;

use super::keys::{KeyEncoder, RowCodec};
use crate::changes::{Changes, RowKind};
use crate::error::EngineError;
use crate::operator::Operator;

/// One row value's copies on each side, and the row to show.
struct Copies {
    counts: [u64; 2],
    row: Option<OwnedRow>,
}

pub struct SetOperationAll {
    intersect: bool,
    keys: [KeyEncoder; 2],
    rows_codec: RowCodec,
    values: HashMap<Box<[u8]>, Copies>,
    bytes: usize,
}

impl SetOperationAll {
    /// The INTERSECT ALL or EXCEPT ALL a join plans (a semi or anti join of all columns, NULLs
    /// equal, over rows not made distinct); `None` for another join.
    pub fn of(join: &HashJoinExec) -> Result<Option<Self>, EngineError> {
        let intersect = match join.join_type() {
            JoinType::LeftSemi => true,
            JoinType::LeftAnti => false,
            _ => return Ok(None),
        };
        if join.null_equality() != NullEquality::NullEqualsNull || super::semi::is_distinct(join.left()) {
            return Ok(None);
        }
        Ok(Some(Self {
            intersect,
            keys: super::keys::join_keys(join)?,
            rows_codec: RowCodec::new(join.left().schema())?,
            values: HashMap::new(),
            bytes: 0,
        }))
    }

    pub fn schema(&self) -> SchemaRef {
        self.rows_codec.schema().clone()
    }

    fn shown(&self, counts: [u64; 2]) -> u64 {
        if self.intersect {
            counts[0].min(counts[1])
        } else {
            counts[0].saturating_sub(counts[1])
        }
    }
}

impl Operator for SetOperationAll {
    fn name(&self) -> &'static str {
        "Join"
    }

    fn key_exprs(&self, input: usize) -> &[Arc<dyn PhysicalExpr>] {
        self.keys[input].exprs()
    }

    fn on_changes(&mut self, input: usize, changes: Changes, out: &mut Vec<Changes>) -> Result<(), EngineError> {
        let batch = &changes.rows;
        let keys = self.keys[input].encode(&self.keys[input].columns(batch)?, batch.num_rows())?;
        let rows = (input == 0).then(|| self.rows_codec.encode(batch)).transpose()?;
        let mut emitted: Vec<(OwnedRow, RowKind)> = Vec::new();
        for row in 0..batch.num_rows() {
            let key = keys.key(row);
            let retraction = changes.kind(row).is_retraction();
            if !self.values.contains_key(key) {
                self.bytes += key.len() + 48;
                self.values.insert(
                    key.into(),
                    Copies {
                        counts: [0, 0],
                        row: None,
                    },
                );
            }
            let copies = self.values.get_mut(key).expect("inserted above");
            let before = copies.counts;
            copies.counts[input] = if retraction {
                copies.counts[input].saturating_sub(1)
            } else {
                copies.counts[input] + 1
            };
            let after = copies.counts;
            if let Some(rows) = &rows
                && copies.row.is_none()
            {
                let owned = rows.row(row).owned();
                self.bytes += owned.as_ref().len();
                copies.row = Some(owned);
            }
            let (was, is) = (self.shown(before), self.shown(after));
            if was != is {
                let copies = &self.values[key];
                let shown = copies.row.clone().expect("a shown value has a left row");
                let kind = if is > was { RowKind::Insert } else { RowKind::Delete };
                for _ in 0..was.abs_diff(is) {
                    emitted.push((shown.clone(), kind));
                }
            }
            if after == [0, 0] {
                let gone = self.values.remove(key).expect("present");
                self.bytes -= key.len() + 48 + gone.row.map_or(0, |r| r.as_ref().len());
            }
        }
        if emitted.is_empty() {
            return Ok(());
        }
        out.push(self.rows_codec.changes(emitted)?);
        Ok(())
    }

    fn state_bytes(&self) -> usize {
        self.bytes
    }
}
