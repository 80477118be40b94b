//! A GROUP BY without a window (Flink's GroupAggregate): one set of DataFusion accumulators
//! per group, kept for as long as the job runs (or `table.exec.state.ttl`); after each batch
//! every group it touched emits its change: `+I` for a new group, `-U` old / `+U` new for a
//! changed one, nothing when the result did not change, `-D` when retractions emptied it.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use datafusion::arrow::array::{Array, RecordBatch, UInt32Array};
use datafusion::arrow::compute::{cast, take_arrays};
use datafusion::arrow::datatypes::SchemaRef;
use datafusion::common::ScalarValue;
use datafusion::error::DataFusionError;
use datafusion::logical_expr::Accumulator;
use datafusion::physical_expr::PhysicalExpr;
use datafusion::physical_expr::aggregate::AggregateFunctionExpr;
use datafusion::physical_plan::aggregates::AggregateExec;

use super::StateConfig;
use super::keys::KeyEncoder;
use crate::changes::{Changes, RowKind};
use crate::error::EngineError;
use crate::operator::Operator;

struct Group {
    key: Vec<ScalarValue>,
    accumulators: Vec<Box<dyn Accumulator>>,
    /// Insertions minus retractions: at zero the group is gone.
    rows: i64,
    /// The row last emitted for the group.
    emitted: Option<Vec<ScalarValue>>,
    touched: Instant,
    /// The group's share of the state, as last measured.
    bytes: usize,
}

pub struct GroupAggregate {
    keys: KeyEncoder,
    aggregates: Vec<Arc<AggregateFunctionExpr>>,
    filters: Vec<Option<Arc<dyn PhysicalExpr>>>,
    /// The input retracts rows: accumulators must take them back.
    retracting: bool,
    output: SchemaRef,
    groups: HashMap<Box<[u8]>, Group>,
    ttl: Option<Duration>,
    batches_since_purge: usize,
    bytes: usize,
}

/// Batches between sweeps of expired groups.
const PURGE_EVERY: usize = 256;

impl GroupAggregate {
    /// From the aggregate that reads the input (a single one, or the partial half of a
    /// partial/final pair), producing `output`.
    pub fn new(
        aggregate: &AggregateExec,
        output: SchemaRef,
        retracting: bool,
        config: StateConfig,
    ) -> Result<Self, EngineError> {
        if aggregate.group_expr().has_grouping_set() {
            return Err(EngineError::unsupported("GROUPING SETS, CUBE or ROLLUP"));
        }
        let input = aggregate.input().schema();
        let exprs: Vec<Arc<dyn PhysicalExpr>> = aggregate.group_expr().expr().iter().map(|(e, _)| e.clone()).collect();
        let types = exprs
            .iter()
            .map(|e| e.data_type(&input))
            .collect::<Result<Vec<_>, _>>()?;
        let this = Self {
            keys: KeyEncoder::new(exprs, types)?,
            aggregates: aggregate.aggr_expr().to_vec(),
            filters: aggregate.filter_expr().to_vec(),
            retracting,
            output,
            groups: HashMap::new(),
            ttl: config.ttl,
            batches_since_purge: 0,
            bytes: 0,
        };
        // Refuse at deploy time what cannot take retractions back.
        this.accumulators()?;
        Ok(this)
    }

    fn accumulators(&self) -> Result<Vec<Box<dyn Accumulator>>, EngineError> {
        self.aggregates
            .iter()
            .map(|aggregate| {
                if !self.retracting {
                    return Ok(aggregate.create_accumulator()?);
                }
                let accumulator = aggregate.create_sliding_accumulator()?;
                if !accumulator.supports_retract_batch() || aggregate.is_distinct() {
                    return Err(EngineError::unsupported(format!(
                        "`{}` over an updating input (it cannot take rows back)",
                        aggregate.name()
                    )));
                }
                Ok(accumulator)
            })
            .collect()
    }

    /// The GROUP BY expressions (none for a global aggregate).
    pub fn key_exprs(&self) -> &[Arc<dyn PhysicalExpr>] {
        self.keys.exprs()
    }

    /// The state's size: keys and accumulators.
    pub fn state_bytes(&self) -> usize {
        self.bytes
    }

    /// Folds a batch of changes in; returns the groups' changes.
    pub fn process(&mut self, changes: &Changes, now: Instant) -> Result<Changes, DataFusionError> {
        let batch = &changes.rows;
        let rows = batch.num_rows();
        let key_columns = self.keys.columns(batch)?;
        let keys = self.keys.encode(&key_columns, rows)?;

        // The groups this batch touches, in first-touch order, and each row's bucket:
        // (group, retraction or not).
        let mut touched: Vec<Box<[u8]>> = Vec::new();
        let mut first_rows = Vec::new();
        let mut index: HashMap<&[u8], usize> = HashMap::new();
        let mut buckets = Vec::with_capacity(rows);
        for row in 0..rows {
            let key = keys.key(row);
            let group = *index.entry(key).or_insert_with(|| {
                touched.push(key.into());
                first_rows.push(row);
                touched.len() - 1
            });
            buckets.push(group * 2 + usize::from(changes.kind(row).is_retraction()));
        }
        let ttl = self.ttl;
        let expired = |g: &Group| ttl.is_some_and(|ttl| now.duration_since(g.touched) > ttl);
        for (key, first_row) in touched.iter().zip(&first_rows) {
            let first_row = *first_row;
            if self.groups.get(key.as_ref()).is_none_or(expired) {
                // A new group, or one whose state expired: it starts over, as in Flink.
                let key_values = key_columns
                    .iter()
                    .map(|c| ScalarValue::try_from_array(c, first_row))
                    .collect::<Result<Vec<_>, _>>()?;
                let accumulators = self
                    .accumulators()
                    .map_err(|e| DataFusionError::External(Box::new(e)))?;
                if let Some(old) = self.groups.get(key.as_ref()) {
                    self.bytes -= old.bytes;
                }
                self.groups.insert(
                    key.clone(),
                    Group {
                        key: key_values,
                        accumulators,
                        rows: 0,
                        emitted: None,
                        touched: now,
                        bytes: 0,
                    },
                );
            }
        }

        // Rows sorted by bucket, so each group's slice of an argument is contiguous.
        let bucket_count = touched.len() * 2;
        let mut starts = vec![0usize; bucket_count + 1];
        for b in &buckets {
            starts[b + 1] += 1;
        }
        for b in 0..bucket_count {
            starts[b + 1] += starts[b];
        }
        let mut order = vec![0u32; rows];
        let mut next = starts.clone();
        for (row, b) in buckets.iter().enumerate() {
            order[next[*b]] = row as u32;
            next[*b] += 1;
        }
        for (position, key) in touched.iter().enumerate() {
            let group = self.groups.get_mut(key.as_ref()).expect("created above");
            let inserted = (starts[position * 2 + 1] - starts[position * 2]) as i64;
            let retracted = (starts[position * 2 + 2] - starts[position * 2 + 1]) as i64;
            group.rows += inserted - retracted;
            group.touched = now;
        }
        for (a, aggregate) in self.aggregates.iter().enumerate() {
            let arguments = aggregate
                .expressions()
                .iter()
                .map(|e| e.evaluate(batch)?.into_array(rows))
                .collect::<Result<Vec<_>, _>>()?;
            let mask = match &self.filters[a] {
                Some(filter) => {
                    let mask = filter.evaluate(batch)?.into_array(rows)?;
                    Some(datafusion::common::cast::as_boolean_array(&mask)?.clone())
                }
                None => None,
            };
            let passes = |row: u32| {
                mask.as_ref()
                    .is_none_or(|m| m.is_valid(row as usize) && m.value(row as usize))
            };
            for (position, key) in touched.iter().enumerate() {
                let group = self.groups.get_mut(key.as_ref()).expect("created above");
                for retraction in [false, true] {
                    let bucket = position * 2 + usize::from(retraction);
                    let selected: Vec<u32> = order[starts[bucket]..starts[bucket + 1]]
                        .iter()
                        .copied()
                        .filter(|r| passes(*r))
                        .collect();
                    if selected.is_empty() {
                        continue;
                    }
                    let values = take_arrays(&arguments, &UInt32Array::from(selected), None)?;
                    let accumulator = &mut group.accumulators[a];
                    if retraction {
                        accumulator.retract_batch(&values)?;
                    } else {
                        accumulator.update_batch(&values)?;
                    }
                }
            }
        }

        let mut out_rows: Vec<Vec<ScalarValue>> = Vec::new();
        let mut kinds = Vec::new();
        for key in &touched {
            let group = self.groups.get_mut(key.as_ref()).expect("created above");
            if group.rows <= 0 {
                if let Some(last) = group.emitted.take() {
                    out_rows.push(last);
                    kinds.push(RowKind::Delete);
                }
                self.bytes -= group.bytes;
                self.groups.remove(key.as_ref());
                continue;
            }
            let size = key.len() + group.accumulators.iter().map(|a| a.size()).sum::<usize>();
            self.bytes = self.bytes + size - group.bytes;
            group.bytes = size;
            let mut row = group.key.clone();
            for accumulator in &mut group.accumulators {
                row.push(accumulator.evaluate()?);
            }
            match group.emitted.replace(row.clone()) {
                None => {
                    out_rows.push(row);
                    kinds.push(RowKind::Insert);
                }
                Some(last) if last != row => {
                    out_rows.push(last);
                    kinds.push(RowKind::UpdateBefore);
                    out_rows.push(row);
                    kinds.push(RowKind::UpdateAfter);
                }
                Some(_) => {}
            }
        }
        self.purge_expired(now);
        Ok(Changes::new(rows_to_batch(&self.output, &out_rows)?, Some(kinds)))
    }

    fn purge_expired(&mut self, now: Instant) {
        let Some(ttl) = self.ttl else { return };
        self.batches_since_purge += 1;
        if self.batches_since_purge >= PURGE_EVERY {
            self.batches_since_purge = 0;
            self.groups.retain(|_, g| now.duration_since(g.touched) <= ttl);
            self.bytes = self.groups.values().map(|g| g.bytes).sum();
        }
    }
}

/// Rows of values as a batch of `schema`, each column cast to its declared type.
pub fn rows_to_batch(schema: &SchemaRef, rows: &[Vec<ScalarValue>]) -> Result<RecordBatch, DataFusionError> {
    if rows.is_empty() {
        return Ok(RecordBatch::new_empty(schema.clone()));
    }
    let columns = schema
        .fields()
        .iter()
        .enumerate()
        .map(|(i, field)| {
            let array = ScalarValue::iter_to_array(rows.iter().map(|r| r[i].clone()))?;
            if array.data_type() == field.data_type() {
                Ok(array)
            } else {
                Ok(cast(&array, field.data_type())?)
            }
        })
        .collect::<Result<Vec<_>, DataFusionError>>()?;
    Ok(crate::operator::step::batch_of(schema, columns, rows.len())?)
}

impl Operator for GroupAggregate {
    fn name(&self) -> &'static str {
        "GroupAggregate"
    }

    fn key_exprs(&self, _input: usize) -> &[Arc<dyn PhysicalExpr>] {
        GroupAggregate::key_exprs(self)
    }

    fn on_changes(&mut self, _input: usize, changes: Changes, out: &mut Vec<Changes>) -> Result<(), EngineError> {
        out.push(self.process(&changes, Instant::now())?);
        Ok(())
    }

    fn state_bytes(&self) -> usize {
        GroupAggregate::state_bytes(self)
    }
}
