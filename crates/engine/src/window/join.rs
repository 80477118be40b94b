//! Window joins (Flink's WindowJoin): two windowed inputs joined on `window_start`,
//! `window_end` and keys. Each side's rows wait in their window until the watermark (the
//! slower input's) passes its end; then the window's rows are joined once, outer sides padded
//! with NULLs: the result is append-only, and a window's state goes when it fires.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use datafusion::arrow::array::{Array, ArrayRef, BooleanArray, RecordBatch, RecordBatchOptions, UInt32Array};
use datafusion::arrow::compute::{concat_batches, take};
use datafusion::arrow::datatypes::SchemaRef;
use datafusion::arrow::row::{RowConverter, SortField};
use datafusion::common::JoinType;
use datafusion::physical_expr::PhysicalExpr;
use datafusion::physical_expr::expressions::Column;
use datafusion::physical_plan::joins::HashJoinExec;
use datafusion::physical_plan::joins::utils::JoinFilter;

use super::{WINDOW_END, WINDOW_START};
use crate::changes::Changes;
use crate::error::EngineError;
use crate::metrics::JobMetrics;
use crate::operator::Operator;
use crate::operator::merge::epoch_millis;

/// One input of the join.
struct Side {
    schema: SchemaRef,
    /// The equality keys, window bounds included (they route rows to instances).
    keys: Vec<Arc<dyn PhysicalExpr>>,
    window_start: usize,
    window_end: usize,
    outer: bool,
    watermark: i64,
}

pub struct WindowJoin {
    sides: [Side; 2],
    filter: Option<JoinFilter>,
    join_schema: SchemaRef,
    /// Buffered rows of both sides by window (end, start).
    windows: BTreeMap<(i64, i64), [Vec<RecordBatch>; 2]>,
    fired_through: i64,
    bytes: usize,
    metrics: Arc<JobMetrics>,
}

/// The column of `schema` an equality key reads, when it is a plain column.
fn key_column(expr: &Arc<dyn PhysicalExpr>) -> Option<(&str, usize)> {
    expr.downcast_ref::<Column>().map(|c| (c.name(), c.index()))
}

impl WindowJoin {
    /// The window join `join` plans, if it joins both inputs on `window_start` and
    /// `window_end` (Flink's condition for a window join); `None` for another join.
    pub fn of(join: &HashJoinExec, metrics: &Arc<JobMetrics>) -> Result<Option<Self>, EngineError> {
        let bound = |side: usize, name: &str| {
            join.on().iter().find_map(|pair| {
                let (left, right) = (key_column(&pair.0)?, key_column(&pair.1)?);
                let (this, other) = if side == 0 { (left, right) } else { (right, left) };
                (this.0 == name && other.0 == name).then_some(this.1)
            })
        };
        let (Some(left_start), Some(left_end), Some(right_start), Some(right_end)) = (
            bound(0, WINDOW_START),
            bound(0, WINDOW_END),
            bound(1, WINDOW_START),
            bound(1, WINDOW_END),
        ) else {
            return Ok(None);
        };
        let (left_outer, right_outer) = match join.join_type() {
            JoinType::Inner => (false, false),
            JoinType::Left => (true, false),
            JoinType::Right => (false, true),
            JoinType::Full => (true, true),
            other => return Err(EngineError::unsupported(format!("{other} window joins"))),
        };
        let side = |plan: &Arc<dyn datafusion::physical_plan::ExecutionPlan>,
                    keys: Vec<Arc<dyn PhysicalExpr>>,
                    (window_start, window_end): (usize, usize),
                    outer: bool| Side {
            schema: plan.schema(),
            keys,
            window_start,
            window_end,
            outer,
            watermark: i64::MIN,
        };
        Ok(Some(Self {
            sides: [
                side(
                    join.left(),
                    join.on().iter().map(|(l, _)| l.clone()).collect(),
                    (left_start, left_end),
                    left_outer,
                ),
                side(
                    join.right(),
                    join.on().iter().map(|(_, r)| r.clone()).collect(),
                    (right_start, right_end),
                    right_outer,
                ),
            ],
            filter: join.filter().cloned(),
            join_schema: join.join_schema().clone(),
            windows: BTreeMap::new(),
            fired_through: i64::MIN,
            bytes: 0,
            metrics: metrics.clone(),
        }))
    }

    /// The join's columns, both inputs' side by side (before the plan's projection).
    pub fn schema(&self) -> SchemaRef {
        self.join_schema.clone()
    }

    /// Joins one window's rows of both sides.
    fn join_window(&self, rows: [RecordBatch; 2]) -> Result<RecordBatch, EngineError> {
        let keys = |side: usize| -> Result<datafusion::arrow::row::Rows, EngineError> {
            let batch = &rows[side];
            let columns = self.sides[side]
                .keys
                .iter()
                .map(|e| Ok(e.evaluate(batch)?.into_array(batch.num_rows())?))
                .collect::<Result<Vec<ArrayRef>, EngineError>>()?;
            let fields = columns.iter().map(|c| SortField::new(c.data_type().clone())).collect();
            Ok(RowConverter::new(fields)?.convert_columns(&columns)?)
        };
        // A NULL key matches nothing, as SQL's equality.
        let has_null_key = |side: usize| -> Result<Vec<bool>, EngineError> {
            let batch = &rows[side];
            let mut nulls = vec![false; batch.num_rows()];
            for expr in &self.sides[side].keys {
                let column = expr.evaluate(batch)?.into_array(batch.num_rows())?;
                for (row, null) in nulls.iter_mut().enumerate() {
                    *null |= column.is_null(row);
                }
            }
            Ok(nulls)
        };
        let (left_keys, right_keys) = (keys(0)?, keys(1)?);
        let (left_nulls, right_nulls) = (has_null_key(0)?, has_null_key(1)?);
        let mut by_key: HashMap<&[u8], Vec<u32>> = HashMap::new();
        for (row, null) in right_nulls.iter().enumerate() {
            if !null {
                by_key.entry(right_keys.row(row).data()).or_default().push(row as u32);
            }
        }
        let (mut left_pairs, mut right_pairs) = (Vec::new(), Vec::new());
        for (row, null) in left_nulls.iter().enumerate() {
            if *null {
                continue;
            }
            for right in by_key.get(left_keys.row(row).data()).into_iter().flatten() {
                left_pairs.push(Some(row as u32));
                right_pairs.push(Some(*right));
            }
        }
        let candidates = self.assemble(&rows, &left_pairs, &right_pairs)?;
        let passed = self.passes(&candidates)?;
        let mut matched = [vec![false; rows[0].num_rows()], vec![false; rows[1].num_rows()]];
        let (mut left_out, mut right_out) = (Vec::new(), Vec::new());
        for (pair, pass) in passed.iter().enumerate() {
            if pass == Some(true) {
                let (l, r) = (left_pairs[pair].expect("paired"), right_pairs[pair].expect("paired"));
                matched[0][l as usize] = true;
                matched[1][r as usize] = true;
                left_out.push(Some(l));
                right_out.push(Some(r));
            }
        }
        for (side, matched) in matched.iter().enumerate() {
            if !self.sides[side].outer {
                continue;
            }
            for (row, was_matched) in matched.iter().enumerate() {
                if !was_matched {
                    let (this, other) = if side == 0 {
                        (&mut left_out, &mut right_out)
                    } else {
                        (&mut right_out, &mut left_out)
                    };
                    this.push(Some(row as u32));
                    other.push(None);
                }
            }
        }
        self.assemble(&rows, &left_out, &right_out)
    }

    /// Rows of the join's full width: each side's row at its index, NULLs where `None`.
    fn assemble(
        &self,
        rows: &[RecordBatch; 2],
        left: &[Option<u32>],
        right: &[Option<u32>],
    ) -> Result<RecordBatch, EngineError> {
        let mut columns = Vec::with_capacity(self.join_schema.fields().len());
        for (batch, indices) in [(&rows[0], left), (&rows[1], right)] {
            let indices = UInt32Array::from(indices.to_vec());
            for column in batch.columns() {
                columns.push(take(column.as_ref(), &indices, None)?);
            }
        }
        let options = RecordBatchOptions::new().with_row_count(Some(left.len()));
        Ok(RecordBatch::try_new_with_options(
            self.join_schema.clone(),
            columns,
            &options,
        )?)
    }

    /// Which joined rows pass the join's non-equality conditions (NULL is not true).
    fn passes(&self, joined: &RecordBatch) -> Result<BooleanArray, EngineError> {
        Ok(crate::changelog::join::passes(
            self.filter.as_ref(),
            joined,
            self.sides[0].schema.fields().len(),
        )?)
    }
}

impl Operator for WindowJoin {
    fn name(&self) -> &'static str {
        "WindowJoin"
    }

    fn key_exprs(&self, input: usize) -> &[Arc<dyn PhysicalExpr>] {
        &self.sides[input].keys
    }

    fn on_changes(&mut self, input: usize, changes: Changes, _out: &mut Vec<Changes>) -> Result<(), EngineError> {
        let rows = changes.rows;
        let side = &self.sides[input];
        let starts = epoch_millis(rows.column(side.window_start))?;
        let ends = epoch_millis(rows.column(side.window_end))?;
        let mut by_window: BTreeMap<(i64, i64), Vec<u32>> = BTreeMap::new();
        let mut late = 0;
        for row in 0..rows.num_rows() {
            let (Some(start), Some(end)) = (starts[row], ends[row]) else {
                continue;
            };
            // A window that has fired joins no more rows, as in Flink.
            if end - 1 <= self.fired_through {
                late += 1;
                continue;
            }
            by_window.entry((end, start)).or_default().push(row as u32);
        }
        JobMetrics::add(&self.metrics.late_records_dropped, late);
        for (window, indices) in by_window {
            let part = datafusion::arrow::compute::take_record_batch(&rows, &UInt32Array::from(indices))?;
            self.bytes += part.get_array_memory_size();
            self.windows.entry(window).or_default()[input].push(part);
        }
        Ok(())
    }

    fn on_watermark(&mut self, input: usize, watermark: i64, out: &mut Vec<Changes>) -> Result<(), EngineError> {
        self.sides[input].watermark = self.sides[input].watermark.max(watermark);
        let combined = self.sides[0].watermark.min(self.sides[1].watermark);
        if combined <= self.fired_through {
            return Ok(());
        }
        self.fired_through = combined;
        while let Some(entry) = self.windows.first_entry() {
            let (end, _) = *entry.key();
            if end - 1 > combined {
                break;
            }
            let [left, right] = entry.remove();
            self.bytes -= left
                .iter()
                .chain(&right)
                .map(RecordBatch::get_array_memory_size)
                .sum::<usize>();
            let rows = [
                concat_batches(&self.sides[0].schema, &left)?,
                concat_batches(&self.sides[1].schema, &right)?,
            ];
            out.push(Changes::inserts(self.join_window(rows)?));
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
