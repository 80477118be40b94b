//! A regular join of two streams (Flink's Join): each side's rows are kept by join key; a row
//! arriving on one side joins every kept row of the other side with its key that passes the
//! join's other conditions. Inner joins of append-only inputs append. An outer side's row
//! without a match is emitted padded with NULLs, and taken back (`-D`) when its first match
//! arrives, before the joined row (`+I`), as Flink does. Rows expire after
//! `table.exec.state.ttl` when it is set; interval conditions are join conditions like any
//! other.
//!
//! An input that updates (an aggregation, an outer join) sends retractions: a retracted row
//! leaves its side's state and takes back (`-D`) every joined row it made; an outer row whose
//! last match is taken back is padded again (`+I`), as Flink's join does.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use datafusion::arrow::array::{ArrayRef, BooleanArray, RecordBatch, UInt32Array, new_null_array};
use datafusion::arrow::compute::{concat_batches, take_arrays};
use datafusion::arrow::datatypes::SchemaRef;
use datafusion::arrow::row::OwnedRow;
use datafusion::common::{JoinSide, JoinType, NullEquality};
use datafusion::error::DataFusionError;
use datafusion::physical_plan::ExecutionPlan;
use datafusion::physical_plan::joins::HashJoinExec;
use datafusion::physical_plan::joins::utils::JoinFilter;

use super::StateConfig;
use super::interval::IntervalBounds;
use super::keys::{KeyEncoder, RowCodec};
use crate::changes::{Changes, RowKind};
use crate::error::EngineError;
use crate::operator::Operator;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Side {
    Left,
    Right,
}

impl Side {
    /// The side of the join's input `input` (0 is the left).
    pub fn of(input: usize) -> Side {
        if input == 0 { Side::Left } else { Side::Right }
    }

    pub fn index(self) -> usize {
        match self {
            Side::Left => 0,
            Side::Right => 1,
        }
    }

    fn other(self) -> Side {
        match self {
            Side::Left => Side::Right,
            Side::Right => Side::Left,
        }
    }
}

struct Stored {
    row: OwnedRow,
    /// The row's time, in interval joins.
    time: i64,
    /// Rows of the other side this row joined (an outer row is padded while it has none).
    matches: u32,
    touched: Instant,
}

struct SideState {
    keys: KeyEncoder,
    rows_codec: RowCodec,
    rows: HashMap<Box<[u8]>, Vec<Stored>>,
    /// Rows of this side appear even without a match (the preserved side of an outer join).
    outer: bool,
    /// Bytes of the rows and keys held.
    bytes: usize,
}

pub struct StreamJoin {
    sides: [SideState; 2],
    filter: Option<JoinFilter>,
    join_schema: SchemaRef,
    projection: Option<Vec<usize>>,
    output: SchemaRef,
    nulls_equal: bool,
    ttl: Option<Duration>,
    batches_since_purge: usize,
    interval: Option<Interval>,
    /// An input updates: its retractions take joined rows back.
    retracting: bool,
}

/// Which rows of a join's full width (the left side's `left_width` columns, then the right
/// side's) pass its non-equality conditions; NULL is not true.
pub(crate) fn passes(
    filter: Option<&JoinFilter>,
    joined: &RecordBatch,
    left_width: usize,
) -> Result<BooleanArray, DataFusionError> {
    let Some(filter) = filter else {
        return Ok(BooleanArray::from(vec![true; joined.num_rows()]));
    };
    let columns: Vec<ArrayRef> = filter
        .column_indices()
        .iter()
        .map(|c| match c.side {
            JoinSide::Left => Ok(joined.column(c.index).clone()),
            JoinSide::Right => Ok(joined.column(left_width + c.index).clone()),
            JoinSide::None => Err(DataFusionError::NotImplemented("mark joins".into())),
        })
        .collect::<Result<_, _>>()?;
    let options = datafusion::arrow::array::RecordBatchOptions::new().with_row_count(Some(joined.num_rows()));
    let intermediate = RecordBatch::try_new_with_options(filter.schema().clone(), columns, &options)?;
    let mask = filter
        .expression()
        .evaluate(&intermediate)?
        .into_array(intermediate.num_rows())?;
    let mask = datafusion::common::cast::as_boolean_array(&mask)?;
    Ok(mask.iter().map(|v| Some(v == Some(true))).collect())
}

/// One output row of a retracting join: the left and the right row (`None` padded), and its
/// kind.
type Joined = (Option<OwnedRow>, Option<OwnedRow>, RowKind);

/// An interval join's time bookkeeping.
struct Interval {
    bounds: IntervalBounds,
    delay_ms: i64,
    /// Each side's watermark: the minimum over its source partitions of the largest time seen
    /// less the out-of-orderness (the merge of the side's partitions computes it).
    watermarks: [i64; 2],
    batches_since_sweep: usize,
}

/// Batches between sweeps of the rows an interval join no longer needs.
const SWEEP_EVERY: usize = 4;

/// Batches between sweeps of expired rows.
const PURGE_EVERY: usize = 256;

impl StreamJoin {
    pub fn new(join: &HashJoinExec, config: StateConfig) -> Result<Self, EngineError> {
        let (left_outer, right_outer) = match join.join_type() {
            JoinType::Inner => (false, false),
            JoinType::Left => (true, false),
            JoinType::Right => (false, true),
            JoinType::Full => (true, true),
            other => {
                return Err(EngineError::unsupported(format!(
                    "{other} joins (IN and EXISTS subqueries)"
                )));
            }
        };
        let side = |plan: &std::sync::Arc<dyn datafusion::physical_plan::ExecutionPlan>,
                    exprs: Vec<std::sync::Arc<dyn datafusion::physical_expr::PhysicalExpr>>,
                    outer: bool|
         -> Result<SideState, EngineError> {
            let schema = plan.schema();
            let types = exprs
                .iter()
                .map(|e| e.data_type(&schema))
                .collect::<Result<Vec<_>, _>>()?;
            Ok(SideState {
                keys: KeyEncoder::new(exprs, types)?,
                rows_codec: RowCodec::new(schema)?,
                rows: HashMap::new(),
                outer,
                bytes: 0,
            })
        };
        let left = side(
            join.left(),
            join.on().iter().map(|(l, _)| l.clone()).collect(),
            left_outer,
        )?;
        let right = side(
            join.right(),
            join.on().iter().map(|(_, r)| r.clone()).collect(),
            right_outer,
        )?;
        Ok(Self {
            sides: [left, right],
            filter: join.filter().cloned(),
            join_schema: join.join_schema().clone(),
            projection: join.projection.as_ref().map(|p| p.to_vec()),
            output: join.schema(),
            nulls_equal: join.null_equality() == NullEquality::NullEqualsNull,
            ttl: config.ttl,
            batches_since_purge: 0,
            interval: join
                .filter()
                .and_then(IntervalBounds::of)
                .zip(config.watermark_delay_ms)
                .map(|(bounds, delay_ms)| Interval {
                    bounds,
                    delay_ms,
                    watermarks: [i64::MIN; 2],
                    batches_since_sweep: 0,
                }),
            retracting: false,
        })
    }

    /// The join of inputs that update (retract rows); interval joins take append-only
    /// inputs, as in Flink.
    pub fn over_updating_inputs(mut self) -> Result<Self, EngineError> {
        if self.interval.is_some() {
            return Err(EngineError::unsupported(
                "an interval join over an updating input (an aggregation, an outer join or a Top-N)",
            ));
        }
        self.retracting = true;
        Ok(self)
    }

    pub fn schema(&self) -> SchemaRef {
        self.output.clone()
    }

    /// Regular outer joins take padded rows back: their output updates. An interval join
    /// pads a row only once no partner can come (the watermark passed it), as Flink does:
    /// its output only grows.
    pub fn is_updating(&self) -> bool {
        self.retracting || (self.interval.is_none() && self.sides.iter().any(|s| s.outer))
    }

    /// The state's size: both sides' rows and keys.
    /// The expressions one side's join key is computed from.
    pub fn key_exprs(&self, side: Side) -> &[std::sync::Arc<dyn datafusion::physical_expr::PhysicalExpr>] {
        self.sides[side.index()].keys.exprs()
    }

    /// The operator's name, as Flink names it.
    pub fn operator_name(&self) -> &'static str {
        if self.interval.is_some() {
            "IntervalJoin"
        } else {
            "Join"
        }
    }

    pub fn state_bytes(&self) -> usize {
        self.sides.iter().map(|s| s.bytes).sum()
    }

    /// Where an interval join's side gets its watermark: its time column, less the sources'
    /// out-of-orderness. `None` for a regular join, which needs none.
    pub fn event_time(&self, side: Side) -> Option<(usize, i64)> {
        self.interval.as_ref().map(|interval| {
            let column = match side {
                Side::Left => interval.bounds.left_time,
                Side::Right => interval.bounds.right_time,
            };
            (column, interval.delay_ms)
        })
    }

    /// `side`'s watermark moved: rows of the other side it can no longer meet may go.
    /// Returns the outer rows that leave without a partner, padded.
    pub fn advance(&mut self, side: Side, watermark: i64) -> Result<Option<RecordBatch>, DataFusionError> {
        let Some(interval) = &mut self.interval else {
            return Ok(None);
        };
        interval.watermarks[side.index()] = watermark;
        interval.batches_since_sweep = SWEEP_EVERY;
        self.sweep_passed()
    }

    /// Joins a batch of `side`'s rows (insertions) with the other side's kept rows and keeps
    /// them; returns the join's changes.
    pub fn process(&mut self, side: Side, batch: &RecordBatch, now: Instant) -> Result<Changes, DataFusionError> {
        let (this, other) = (side.index(), 1 - side.index());
        let rows = batch.num_rows();
        let key_columns = self.sides[this].keys.columns(batch)?;
        let keys = self.sides[this].keys.encode(&key_columns, rows)?;
        let ttl = self.ttl;
        let live = |s: &Stored| ttl.is_none_or(|ttl| now.duration_since(s.touched) <= ttl);

        // Every pair of this batch's row and a kept row of the other side with its key.
        let mut pairs: Vec<(u32, usize)> = Vec::new();
        for row in 0..rows {
            if keys.nulls[row] && !self.nulls_equal {
                continue;
            }
            if let Some(kept) = self.sides[other].rows.get(keys.key(row)) {
                pairs.extend(
                    kept.iter()
                        .enumerate()
                        .filter(|(_, s)| live(s))
                        .map(|(j, _)| (row as u32, j)),
                );
            }
        }
        let this_columns = take_arrays(
            batch.columns(),
            &UInt32Array::from_iter_values(pairs.iter().map(|p| p.0)),
            None,
        )?;
        let other_columns = {
            let state = &self.sides[other];
            state.rows_codec.decode(
                pairs
                    .iter()
                    .map(|(row, j)| state.rows[keys.key(*row as usize)][*j].row.row()),
            )?
        };
        let joined = self.assemble(side, this_columns, other_columns)?;
        let passed = self.passes(&joined)?;
        let joined = datafusion::arrow::compute::filter_record_batch(&joined, &passed)?;

        // Padded rows of the other side that just found their first match are taken back
        // (an interval join has not padded them yet).
        let interval_join = self.interval.is_some();
        let mut first_matches: Vec<(u32, usize)> = Vec::new();
        let mut matches_per_row = vec![0u32; rows];
        for (p, (row, j)) in pairs.iter().enumerate() {
            if !passed.value(p) {
                continue;
            }
            matches_per_row[*row as usize] += 1;
            let state = &mut self.sides[other];
            let outer = state.outer;
            let stored = &mut state.rows.get_mut(keys.key(*row as usize)).expect("paired")[*j];
            if stored.matches == 0 && outer && !interval_join {
                first_matches.push((*row, *j));
            }
            stored.matches += 1;
            stored.touched = now;
        }
        let retracted = {
            let state = &self.sides[other];
            let other_columns = state.rows_codec.decode(
                first_matches
                    .iter()
                    .map(|(row, j)| state.rows[keys.key(*row as usize)][*j].row.row()),
            )?;
            let nulls = self.null_columns(side, first_matches.len());
            self.assemble(side, nulls, other_columns)?
        };
        // A regular join pads an unmatched row at once; an interval join when it leaves, or
        // at once when its NULL key can never match.
        let unmatched: Vec<u32> = (0..rows as u32)
            .filter(|r| {
                matches_per_row[*r as usize] == 0
                    && self.sides[this].outer
                    && (!interval_join || (keys.nulls[*r as usize] && !self.nulls_equal))
            })
            .collect();
        let padded = {
            let nulls = self.null_columns(side.other(), unmatched.len());
            let this_columns = take_arrays(batch.columns(), &UInt32Array::from(unmatched), None)?;
            self.assemble(side, this_columns, nulls)?
        };

        // Keep this batch's rows (a NULL key never matches: only an outer row keeps it, and it
        // has been emitted already).
        let encoded = self.sides[this].rows_codec.encode(batch)?;
        let times = match &mut self.interval {
            Some(interval) => {
                let column = match side {
                    Side::Left => interval.bounds.left_time,
                    Side::Right => interval.bounds.right_time,
                };
                crate::operator::merge::epoch_millis(batch.column(column))?
            }
            None => Vec::new(),
        };
        let state = &mut self.sides[this];
        for (row, matches) in matches_per_row.into_iter().enumerate() {
            if keys.nulls[row] && !self.nulls_equal {
                continue;
            }
            let stored = Stored {
                row: encoded.row(row).owned(),
                time: times.get(row).copied().flatten().unwrap_or(i64::MAX),
                matches,
                touched: now,
            };
            state.bytes += stored_bytes(keys.key(row), &stored);
            state.rows.entry(keys.key(row).into()).or_default().push(stored);
        }
        self.purge_expired(now);
        let left = self.sweep_passed()?;

        let mut kinds = vec![RowKind::Delete; retracted.num_rows()];
        let left = left.unwrap_or_else(|| RecordBatch::new_empty(self.join_schema.clone()));
        kinds.resize(
            retracted.num_rows() + joined.num_rows() + padded.num_rows() + left.num_rows(),
            RowKind::Insert,
        );
        let all = concat_batches(&self.join_schema, [&retracted, &joined, &padded, &left])?;
        let rows = match &self.projection {
            Some(columns) => all.project(columns)?,
            None => all,
        };
        Ok(Changes::new(rows, self.is_updating().then_some(kinds)))
    }

    /// Joins changes of `side` one row at a time, in order: insertions as [`Self::process`]
    /// does, retractions taking back what their row made.
    pub fn process_changes(&mut self, side: Side, changes: &Changes, now: Instant) -> Result<Changes, DataFusionError> {
        let (this, other) = (side.index(), 1 - side.index());
        let batch = &changes.rows;
        let rows = batch.num_rows();
        let key_columns = self.sides[this].keys.columns(batch)?;
        let keys = self.sides[this].keys.encode(&key_columns, rows)?;
        let encoded = self.sides[this].rows_codec.encode(batch)?;
        let mut out: Vec<Joined> = Vec::new();
        // Orients a pair of this side's row and the other side's as (left, right).
        let pair = |mine: Option<OwnedRow>, theirs: Option<OwnedRow>, kind: RowKind| match side {
            Side::Left => (mine, theirs, kind),
            Side::Right => (theirs, mine, kind),
        };
        for row in 0..rows {
            let key = keys.key(row);
            let owned = encoded.row(row).owned();
            let can_match = !keys.nulls[row] || self.nulls_equal;
            let matched = if can_match {
                self.partners(side, batch, row, key, now)?
            } else {
                Vec::new()
            };
            let other_outer = self.sides[other].outer;
            let this_outer = self.sides[this].outer;
            if changes.kind(row).is_retraction() {
                let state = &mut self.sides[this];
                let Some(bucket) = state.rows.get_mut(key) else {
                    continue;
                };
                let Some(position) = bucket.iter().position(|s| s.row.row() == owned.row()) else {
                    continue;
                };
                let gone = bucket.remove(position);
                state.bytes -= stored_bytes(key, &gone);
                if bucket.is_empty() {
                    state.rows.remove(key);
                }
                for j in &matched {
                    let partner = &mut self.sides[other].rows.get_mut(key).expect("matched")[*j];
                    out.push(pair(Some(owned.clone()), Some(partner.row.clone()), RowKind::Delete));
                    partner.matches -= 1;
                    if partner.matches == 0 && other_outer {
                        out.push(pair(None, Some(partner.row.clone()), RowKind::Insert));
                    }
                }
                if matched.is_empty() && this_outer {
                    out.push(pair(Some(owned), None, RowKind::Delete));
                }
            } else {
                for j in &matched {
                    let partner = &mut self.sides[other].rows.get_mut(key).expect("matched")[*j];
                    if partner.matches == 0 && other_outer {
                        out.push(pair(None, Some(partner.row.clone()), RowKind::Delete));
                    }
                    partner.matches += 1;
                    partner.touched = now;
                    out.push(pair(Some(owned.clone()), Some(partner.row.clone()), RowKind::Insert));
                }
                if matched.is_empty() && this_outer {
                    out.push(pair(Some(owned.clone()), None, RowKind::Insert));
                }
                let stored = Stored {
                    row: owned,
                    time: i64::MAX,
                    matches: matched.len() as u32,
                    touched: now,
                };
                let state = &mut self.sides[this];
                state.bytes += stored_bytes(key, &stored);
                state.rows.entry(key.into()).or_default().push(stored);
            }
        }
        self.purge_expired(now);
        self.joined_changes(out)
    }

    /// The kept rows of the other side that row `row` of `side`'s batch joins (by position in
    /// its key's bucket), through the join's other conditions.
    fn partners(
        &self,
        side: Side,
        batch: &RecordBatch,
        row: usize,
        key: &[u8],
        now: Instant,
    ) -> Result<Vec<usize>, DataFusionError> {
        let ttl = self.ttl;
        let Some(kept) = self.sides[1 - side.index()].rows.get(key) else {
            return Ok(Vec::new());
        };
        let live: Vec<usize> = (0..kept.len())
            .filter(|j| ttl.is_none_or(|ttl| now.duration_since(kept[*j].touched) <= ttl))
            .collect();
        if live.is_empty() || self.filter.is_none() {
            return Ok(live);
        }
        let this_columns = take_arrays(batch.columns(), &UInt32Array::from(vec![row as u32; live.len()]), None)?;
        let other_columns = self.sides[1 - side.index()]
            .rows_codec
            .decode(live.iter().map(|j| kept[*j].row.row()))?;
        let joined = self.assemble(side, this_columns, other_columns)?;
        let passed = self.passes(&joined)?;
        Ok(live
            .into_iter()
            .enumerate()
            .filter(|(p, _)| passed.value(*p))
            .map(|(_, j)| j)
            .collect())
    }

    /// A retracting join's output rows as changes in the query's columns.
    fn joined_changes(&self, out: Vec<Joined>) -> Result<Changes, DataFusionError> {
        let mut columns = self.sides[0]
            .rows_codec
            .decode_padded(out.iter().map(|j| j.0.as_ref()))?;
        columns.extend(
            self.sides[1]
                .rows_codec
                .decode_padded(out.iter().map(|j| j.1.as_ref()))?,
        );
        let options = datafusion::arrow::array::RecordBatchOptions::new().with_row_count(Some(out.len()));
        let all = RecordBatch::try_new_with_options(self.join_schema.clone(), columns, &options)?;
        let rows = match &self.projection {
            Some(columns) => all.project(columns)?,
            None => all,
        };
        Ok(Changes::new(
            rows,
            Some(out.into_iter().map(|(_, _, kind)| kind).collect()),
        ))
    }

    /// Which joined pairs pass the join's non-equality conditions.
    fn passes(&self, joined: &RecordBatch) -> Result<BooleanArray, DataFusionError> {
        let left_width = self.sides[0].rows_codec.schema().fields().len();
        passes(self.filter.as_ref(), joined, left_width)
    }

    fn null_columns(&self, side: Side, rows: usize) -> Vec<ArrayRef> {
        self.sides[side.index()]
            .rows_codec
            .schema()
            .fields()
            .iter()
            .map(|f| new_null_array(f.data_type(), rows))
            .collect()
    }

    /// A batch of the join's full width from `this` side's columns and the other side's.
    fn assemble(
        &self,
        this: Side,
        this_columns: Vec<ArrayRef>,
        other_columns: Vec<ArrayRef>,
    ) -> Result<RecordBatch, DataFusionError> {
        let columns = match this {
            Side::Left => [this_columns, other_columns].concat(),
            Side::Right => [other_columns, this_columns].concat(),
        };
        let options = datafusion::arrow::array::RecordBatchOptions::new()
            .with_row_count(Some(columns.first().map_or(0, |c| c.len())));
        Ok(RecordBatch::try_new_with_options(
            self.join_schema.clone(),
            columns,
            &options,
        )?)
    }

    /// Drops the rows of an interval join that no row still to come can match; returns the
    /// outer rows among them that never matched, padded with NULLs (in the join's columns).
    fn sweep_passed(&mut self) -> Result<Option<RecordBatch>, DataFusionError> {
        let Some(interval) = &mut self.interval else {
            return Ok(None);
        };
        interval.batches_since_sweep += 1;
        if interval.batches_since_sweep < SWEEP_EVERY {
            return Ok(None);
        }
        interval.batches_since_sweep = 0;
        let mut lonely: [Vec<OwnedRow>; 2] = [Vec::new(), Vec::new()];
        for (index, state) in self.sides.iter_mut().enumerate() {
            let watermark = interval.watermarks[1 - index];
            if watermark == i64::MIN {
                continue;
            }
            let bounds = interval.bounds;
            let outer = state.outer;
            let mut freed = 0;
            state.rows.retain(|key, rows| {
                rows.retain(|s| {
                    // The end of input lets every row go.
                    let keep = watermark < i64::MAX && bounds.still_needed(index == 0, s.time, watermark);
                    if !keep {
                        freed += stored_bytes(key, s);
                        if outer && s.matches == 0 {
                            lonely[index].push(s.row.clone());
                        }
                    }
                    keep
                });
                !rows.is_empty()
            });
            state.bytes -= freed;
        }
        let mut padded = Vec::new();
        for side in [Side::Left, Side::Right] {
            let rows = &lonely[side.index()];
            if rows.is_empty() {
                continue;
            }
            let columns = self.sides[side.index()]
                .rows_codec
                .decode(rows.iter().map(OwnedRow::row))?;
            let nulls = self.null_columns(side.other(), rows.len());
            padded.push(self.assemble(side, columns, nulls)?);
        }
        if padded.is_empty() {
            return Ok(None);
        }
        Ok(Some(concat_batches(&self.join_schema, &padded)?))
    }

    fn purge_expired(&mut self, now: Instant) {
        let Some(ttl) = self.ttl else { return };
        self.batches_since_purge += 1;
        if self.batches_since_purge < PURGE_EVERY {
            return;
        }
        self.batches_since_purge = 0;
        for state in &mut self.sides {
            state.rows.retain(|_, rows| {
                rows.retain(|s| now.duration_since(s.touched) <= ttl);
                !rows.is_empty()
            });
            state.bytes = state
                .rows
                .iter()
                .flat_map(|(key, rows)| rows.iter().map(|s| stored_bytes(key, s)))
                .sum();
        }
    }
}

impl Operator for StreamJoin {
    fn name(&self) -> &'static str {
        self.operator_name()
    }

    fn key_exprs(&self, input: usize) -> &[std::sync::Arc<dyn datafusion::physical_expr::PhysicalExpr>] {
        StreamJoin::key_exprs(self, Side::of(input))
    }

    fn on_changes(&mut self, input: usize, changes: Changes, out: &mut Vec<Changes>) -> Result<(), EngineError> {
        let joined = if self.retracting {
            self.process_changes(Side::of(input), &changes, Instant::now())?
        } else {
            self.process(Side::of(input), &changes.rows, Instant::now())?
        };
        out.push(joined);
        Ok(())
    }

    fn on_watermark(&mut self, input: usize, watermark: i64, out: &mut Vec<Changes>) -> Result<(), EngineError> {
        if let Some(padded) = self.advance(Side::of(input), watermark)? {
            let rows = match &self.projection {
                Some(columns) => padded.project(columns)?,
                None => padded,
            };
            out.push(Changes::inserts(rows));
        }
        Ok(())
    }

    fn state_bytes(&self) -> usize {
        StreamJoin::state_bytes(self)
    }
}

fn stored_bytes(key: &[u8], stored: &Stored) -> usize {
    key.len() + stored.row.as_ref().len() + std::mem::size_of::<Stored>()
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;
    use std::time::Duration;

    use datafusion::arrow::array::Int64Array;
    use datafusion::arrow::datatypes::{DataType, Field, Schema};
    use datafusion::common::tree_node::{TreeNode, TreeNodeRecursion};
    use datafusion::prelude::{SessionConfig, SessionContext};

    use super::*;

    #[tokio::test]
    async fn rows_idle_past_the_ttl_no_longer_join() {
        let ctx = SessionContext::new_with_config(SessionConfig::new().with_target_partitions(1));
        let schema = Arc::new(Schema::new(vec![
            Field::new("k", DataType::Int64, false),
            Field::new("v", DataType::Int64, false),
        ]));
        let row = RecordBatch::try_new(
            schema,
            vec![
                Arc::new(Int64Array::from(vec![1])),
                Arc::new(Int64Array::from(vec![10])),
            ],
        )
        .unwrap();
        ctx.register_batch("a", row.clone()).unwrap();
        ctx.register_batch("b", row.clone()).unwrap();
        let plan = ctx
            .sql("SELECT * FROM a JOIN b ON a.k = b.k")
            .await
            .unwrap()
            .create_physical_plan()
            .await
            .unwrap();
        let mut found = None;
        plan.apply(|node| {
            if node.is::<HashJoinExec>() {
                found = Some(node.clone());
                return Ok(TreeNodeRecursion::Stop);
            }
            Ok(TreeNodeRecursion::Continue)
        })
        .unwrap();
        let node = found.expect("an equi-join plans as a hash join");
        let config = StateConfig {
            ttl: Some(Duration::from_secs(10)),
            ..StateConfig::default()
        };
        let mut join = StreamJoin::new(node.downcast_ref::<HashJoinExec>().unwrap(), config).unwrap();
        let start = Instant::now();
        let joined = |c: Changes| c.rows.num_rows();
        assert_eq!(joined(join.process(Side::Left, &row, start).unwrap()), 0);
        // Within the TTL: joins, and the match refreshes the left row.
        assert_eq!(
            joined(join.process(Side::Right, &row, start + Duration::from_secs(5)).unwrap()),
            1
        );
        assert_eq!(
            joined(
                join.process(Side::Right, &row, start + Duration::from_secs(14))
                    .unwrap()
            ),
            1
        );
        // 11 s after the left row was last touched: expired, nothing joins it.
        assert_eq!(
            joined(
                join.process(Side::Right, &row, start + Duration::from_secs(25))
                    .unwrap()
            ),
            0
        );
    }
}
