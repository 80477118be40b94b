//! IN and EXISTS subqueries (semi joins) and NOT EXISTS (anti joins) over append-only inputs,
//! as Flink runs them: a row of the side the query returns appears once some row of the other
//! side has its key (semi: the result only grows), or while none has (anti: `+I` at once, `-D`
//! when the first partner arrives). Only equality conditions; NOT IN's NULL rules are not run.

use std::collections::HashMap;
use std::sync::Arc;

use datafusion::arrow::array::RecordBatch;
use datafusion::arrow::datatypes::SchemaRef;
use datafusion::arrow::row::OwnedRow;
use datafusion::common::{JoinType, NullEquality};
use datafusion::physical_expr::PhysicalExpr;
use datafusion::physical_plan::joins::HashJoinExec;

use super::keys::{KeyEncoder, RowCodec};
use crate::changes::{Changes, RowKind};
use crate::error::EngineError;

pub struct SemiJoin {
    /// The input whose rows the join returns (0 left, 1 right).
    shown: usize,
    anti: bool,
    keys: [KeyEncoder; 2],
    rows_codec: RowCodec,
    nulls_equal: bool,
    /// Rows of the other side seen per key.
    partners: HashMap<Box<[u8]>, u64>,
    /// Rows of the shown side waiting for a partner (semi) or shown without one (anti).
    waiting: HashMap<Box<[u8]>, Vec<OwnedRow>>,
    bytes: usize,
}

impl SemiJoin {
    /// The semi or anti join of `join`; `None` for another join type.
    pub fn of(join: &HashJoinExec) -> Result<Option<Self>, EngineError> {
        let (shown, anti) = match join.join_type() {
            JoinType::LeftSemi => (0, false),
            JoinType::RightSemi => (1, false),
            JoinType::LeftAnti => (0, true),
            JoinType::RightAnti => (1, true),
            _ => return Ok(None),
        };
        // Set operations join with NULLs equal, and ALL counts duplicates: not a semi join.
        if join.null_equality() == NullEquality::NullEqualsNull {
            return Err(EngineError::unsupported("INTERSECT ALL or EXCEPT ALL"));
        }
        if join.null_aware {
            return Err(EngineError::unsupported("NOT IN (a subquery) (its NULL rules)"));
        }
        if join.filter().is_some() {
            return Err(EngineError::unsupported(
                "an IN or EXISTS subquery correlated by more than equalities",
            ));
        }
        let encoder = |plan: &Arc<dyn datafusion::physical_plan::ExecutionPlan>,
                       exprs: Vec<Arc<dyn PhysicalExpr>>|
         -> Result<KeyEncoder, EngineError> {
            let schema = plan.schema();
            let types = exprs
                .iter()
                .map(|e| e.data_type(&schema))
                .collect::<Result<Vec<_>, _>>()?;
            Ok(KeyEncoder::new(exprs, types)?)
        };
        let left = encoder(join.left(), join.on().iter().map(|(l, _)| l.clone()).collect())?;
        let right = encoder(join.right(), join.on().iter().map(|(_, r)| r.clone()).collect())?;
        let shown_plan = if shown == 0 { join.left() } else { join.right() };
        Ok(Some(Self {
            shown,
            anti,
            keys: [left, right],
            rows_codec: RowCodec::new(shown_plan.schema())?,
            nulls_equal: false,
            partners: HashMap::new(),
            waiting: HashMap::new(),
            bytes: 0,
        }))
    }

    /// Whether its result takes rows back (anti joins).
    pub fn is_updating(&self) -> bool {
        self.anti
    }

    pub fn schema(&self) -> SchemaRef {
        self.rows_codec.schema().clone()
    }

    fn shown_rows(&mut self, batch: &RecordBatch, out: &mut Vec<(OwnedRow, RowKind)>) -> Result<(), EngineError> {
        let keys = self.keys[self.shown].encode(&self.keys[self.shown].columns(batch)?, batch.num_rows())?;
        let rows = self.rows_codec.encode(batch)?;
        for row in 0..batch.num_rows() {
            let never = keys.nulls[row] && !self.nulls_equal;
            let key = keys.key(row);
            let matched = !never && self.partners.get(key).is_some_and(|n| *n > 0);
            match (self.anti, matched) {
                (false, true) => out.push((rows.row(row).owned(), RowKind::Insert)),
                (true, false) => {
                    out.push((rows.row(row).owned(), RowKind::Insert));
                    if !never {
                        self.keep(key, rows.row(row).owned());
                    }
                }
                (false, false) if !never => self.keep(key, rows.row(row).owned()),
                _ => {}
            }
        }
        Ok(())
    }

    fn keep(&mut self, key: &[u8], row: OwnedRow) {
        self.bytes += key.len() + row.as_ref().len() + 32;
        self.waiting.entry(key.into()).or_default().push(row);
    }

    fn partner_rows(&mut self, batch: &RecordBatch, out: &mut Vec<(OwnedRow, RowKind)>) -> Result<(), EngineError> {
        let other = 1 - self.shown;
        let keys = self.keys[other].encode(&self.keys[other].columns(batch)?, batch.num_rows())?;
        for row in 0..batch.num_rows() {
            if keys.nulls[row] && !self.nulls_equal {
                continue;
            }
            let key = keys.key(row);
            let count = self.partners.entry(key.into()).or_default();
            if *count == 0 {
                self.bytes += key.len() + 16;
            }
            *count += 1;
            if *count == 1
                && let Some(rows) = self.waiting.remove(key)
            {
                let kind = if self.anti { RowKind::Delete } else { RowKind::Insert };
                for row in rows {
                    self.bytes -= key.len() + row.as_ref().len() + 32;
                    out.push((row, kind));
                }
            }
        }
        Ok(())
    }
}

impl crate::operator::Operator for SemiJoin {
    fn name(&self) -> &'static str {
        "Join"
    }

    fn key_exprs(&self, input: usize) -> &[Arc<dyn PhysicalExpr>] {
        self.keys[input].exprs()
    }

    fn on_changes(&mut self, input: usize, changes: Changes, out: &mut Vec<Changes>) -> Result<(), EngineError> {
        let mut emitted = Vec::new();
        if input == self.shown {
            self.shown_rows(&changes.rows, &mut emitted)?;
        } else {
            self.partner_rows(&changes.rows, &mut emitted)?;
        }
        if emitted.is_empty() {
            return Ok(());
        }
        let columns = self.rows_codec.decode(emitted.iter().map(|(row, _)| row.row()))?;
        let rows = RecordBatch::try_new(self.schema(), columns)?;
        let kinds = emitted.into_iter().map(|(_, kind)| kind).collect();
        out.push(Changes::new(rows, self.anti.then_some(kinds)));
        Ok(())
    }

    fn state_bytes(&self) -> usize {
        self.bytes
    }
}
