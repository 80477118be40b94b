//! IN and EXISTS subqueries (semi joins), NOT EXISTS (anti joins), and INTERSECT and EXCEPT
//! (distinct: semi and anti joins of the distinct rows, NULLs equal), as Flink runs them: a row
//! of the side the query returns appears once some row of the other side has its key (semi),
//! or while none has (anti: `+I` at once, `-D` when the first partner arrives). Over append-only
//! inputs a semi join's result only grows. An input that updates sends retractions: a shown
//! row taken back leaves the result if it was in it, and a key's last partner taken back turns
//! its rows around (semi `-D`, anti `+I`). Only equality conditions; NOT IN's NULL rules are
//! not run.

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
    /// Rows of the shown side waiting for a partner (semi) or shown without one (anti); every
    /// shown row when an input updates.
    waiting: HashMap<Box<[u8]>, Vec<OwnedRow>>,
    bytes: usize,
    /// An input updates (sends retractions).
    retracting: bool,
}

/// Whether a plan's rows are distinct: an aggregation without aggregates (DISTINCT), as
/// INTERSECT and EXCEPT are planned.
pub(crate) fn is_distinct(plan: &Arc<dyn datafusion::physical_plan::ExecutionPlan>) -> bool {
    let mut node = plan;
    while crate::plan_nodes::is_exchange(node) {
        node = node.children()[0];
    }
    node.downcast_ref::<datafusion::physical_plan::aggregates::AggregateExec>()
        .is_some_and(|aggregate| aggregate.aggr_expr().is_empty())
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
        // Set operations join with NULLs equal; INTERSECT and EXCEPT join distinct rows, the
        // ALL forms would count duplicates: not a semi join.
        let nulls_equal = join.null_equality() == NullEquality::NullEqualsNull;
        let shown_plan = if shown == 0 { join.left() } else { join.right() };
        if nulls_equal && !is_distinct(shown_plan) {
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
        let [left, right] = super::keys::join_keys(join)?;
        Ok(Some(Self {
            shown,
            anti,
            keys: [left, right],
            rows_codec: RowCodec::new(shown_plan.schema())?,
            nulls_equal,
            partners: HashMap::new(),
            waiting: HashMap::new(),
            bytes: 0,
            retracting: false,
        }))
    }

    /// The join of inputs that update: every shown row is kept, for retractions to find.
    pub fn over_updating_inputs(mut self) -> Self {
        self.retracting = true;
        self
    }

    /// Whether its result takes rows back (anti joins, and joins of updating inputs).
    pub fn is_updating(&self) -> bool {
        self.anti || self.retracting
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

    /// Changes of either side when an input updates: every shown row kept, partners counted
    /// both ways.
    fn retracting_rows(
        &mut self,
        input: usize,
        changes: &Changes,
        out: &mut Vec<(OwnedRow, RowKind)>,
    ) -> Result<(), EngineError> {
        let batch = &changes.rows;
        let keys = self.keys[input].encode(&self.keys[input].columns(batch)?, batch.num_rows())?;
        let rows = (input == self.shown)
            .then(|| self.rows_codec.encode(batch))
            .transpose()?;
        for row in 0..batch.num_rows() {
            let never = keys.nulls[row] && !self.nulls_equal;
            let key = keys.key(row);
            let retraction = changes.kind(row).is_retraction();
            let matched = !never && self.partners.get(key).is_some_and(|n| *n > 0);
            if let Some(rows) = &rows {
                let owned = rows.row(row).owned();
                let shown = matched != self.anti;
                if retraction {
                    let bucket = self.waiting.get_mut(key);
                    let position = bucket
                        .as_ref()
                        .and_then(|b| b.iter().position(|r| r.row() == owned.row()));
                    let (Some(bucket), Some(position)) = (bucket, position) else {
                        continue;
                    };
                    let gone = bucket.remove(position);
                    self.bytes -= key.len() + gone.as_ref().len() + 32;
                    if bucket.is_empty() {
                        self.waiting.remove(key);
                    }
                    if shown {
                        out.push((owned, RowKind::Delete));
                    }
                } else {
                    if shown {
                        out.push((owned.clone(), RowKind::Insert));
                    }
                    self.keep(key, owned);
                }
                continue;
            }
            if never {
                continue;
            }
            let count = self.partners.entry(key.into()).or_default();
            let before = *count;
            *count = if retraction {
                count.saturating_sub(1)
            } else {
                *count + 1
            };
            let after = *count;
            if after == 0 {
                self.partners.remove(key);
            }
            // The key gains its first partner or loses its last: its rows turn around.
            if (before == 0) != (after == 0) {
                let now_matched = after > 0;
                let kind = if now_matched != self.anti {
                    RowKind::Insert
                } else {
                    RowKind::Delete
                };
                for shown in self.waiting.get(key).into_iter().flatten() {
                    out.push((shown.clone(), kind));
                }
            }
        }
        Ok(())
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
        if self.retracting {
            self.retracting_rows(input, &changes, &mut emitted)?;
        } else if input == self.shown {
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
        out.push(Changes::new(rows, self.is_updating().then_some(kinds)));
        Ok(())
    }

    fn state_bytes(&self) -> usize {
        self.bytes
    }
}
