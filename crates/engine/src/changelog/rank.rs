//! Top-N and deduplication (Flink's Rank and Deduplicate): `ROW_NUMBER() OVER (PARTITION BY
//! ... ORDER BY ...)` under a filter `rn <= N` (or `rn < N`, or `rn = 1`). Each partition keeps
//! its best N rows; a row that enters them shifts the rest down. When the query shows the rank,
//! every rank whose row changed emits `-U` (old row) and `+U` (new row), and a rank filled for
//! the first time `+I`; without the rank, the entering row is `+I` and the row pushed out `-D`.
//! Ties keep arrival order, except for a single row ordered descending (keeping the last row),
//! where the newer row wins as in Flink's deduplication.
//!
//! Over an input that updates (Flink's RetractableTopNFunction), every row of a partition is
//! kept, since a retraction may bring a row below the top N back into it: each change emits
//! what it changed in the partition's top N, `-D` for rows (or ranks) that left it and `+I`
//! for those that entered.

use std::collections::HashMap;
use std::sync::Arc;

use datafusion::arrow::array::{ArrayRef, RecordBatch, UInt64Array};
use datafusion::arrow::compute::cast;
use datafusion::arrow::datatypes::SchemaRef;
use datafusion::arrow::row::{OwnedRow, RowConverter, Rows, SortField};
use datafusion::common::ScalarValue;
use datafusion::error::DataFusionError;
use datafusion::logical_expr::Operator;
use datafusion::physical_expr::expressions::{BinaryExpr, Column, Literal};
use datafusion::physical_expr::{PhysicalExpr, PhysicalSortExpr};

use super::keys::{EncodedKeys, KeyEncoder, RowCodec};
use crate::changes::{Changes, RowKind};
use crate::error::EngineError;

pub struct TopN {
    partition: KeyEncoder,
    order: Vec<PhysicalSortExpr>,
    order_rows: RowConverter,
    rows_codec: RowCodec,
    limit: usize,
    /// Whether the query's output shows the rank.
    rank_shown: bool,
    /// A tie goes before the rows it ties with (keep-last deduplication).
    newer_first: bool,
    output: SchemaRef,
    partitions: HashMap<Box<[u8]>, Vec<Ranked>>,
    bytes: usize,
    /// The input updates: partitions keep all their rows.
    retracting: bool,
}

/// A kept row and its sort key.
type Ranked = (Box<[u8]>, OwnedRow);

fn ranked_bytes((key, row): &Ranked) -> usize {
    key.len() + row.as_ref().len()
}

/// The N of `rank <= N`, `rank < N + 1`, `rank = 1` (either way round).
pub fn rank_bound(expr: &Arc<dyn PhysicalExpr>, rank_column: usize) -> Result<Option<usize>, EngineError> {
    let Some(binary) = expr.downcast_ref::<BinaryExpr>() else {
        return Ok(None);
    };
    let is_rank = |e: &Arc<dyn PhysicalExpr>| e.downcast_ref::<Column>().is_some_and(|c| c.index() == rank_column);
    let literal = |e: &Arc<dyn PhysicalExpr>| {
        e.downcast_ref::<Literal>()
            .and_then(|l| l.value().cast_to(&datafusion::arrow::datatypes::DataType::Int64).ok())
            .and_then(|v| match v {
                ScalarValue::Int64(Some(n)) => Some(n),
                _ => None,
            })
    };
    let (op, n) = if is_rank(binary.left()) {
        match literal(binary.right()) {
            Some(n) => (*binary.op(), n),
            None => return Ok(None),
        }
    } else if is_rank(binary.right()) {
        match (literal(binary.left()), binary.op().swap()) {
            (Some(n), Some(op)) => (op, n),
            _ => return Ok(None),
        }
    } else {
        return Ok(None);
    };
    let bound = match op {
        Operator::LtEq => n,
        Operator::Lt => n - 1,
        Operator::Eq if n == 1 => 1,
        _ => {
            return Err(EngineError::unsupported(
                "a ROW_NUMBER filter other than `rn <= N`, `rn < N` or `rn = 1`",
            ));
        }
    };
    if bound < 1 {
        return Err(EngineError::Invalid(format!(
            "the ROW_NUMBER filter keeps no row (at most {bound})"
        )));
    }
    Ok(Some(bound as usize))
}

impl TopN {
    pub fn new(
        input: SchemaRef,
        partition_by: Vec<Arc<dyn PhysicalExpr>>,
        order: Vec<PhysicalSortExpr>,
        limit: usize,
        rank_shown: bool,
        newer_first: bool,
        output: SchemaRef,
    ) -> Result<Self, EngineError> {
        let partition_types = partition_by
            .iter()
            .map(|e| e.data_type(&input))
            .collect::<Result<Vec<_>, _>>()?;
        let order_fields = order
            .iter()
            .map(|s| Ok(SortField::new_with_options(s.expr.data_type(&input)?, s.options)))
            .collect::<Result<Vec<_>, DataFusionError>>()?;
        Ok(Self {
            partition: KeyEncoder::new(partition_by, partition_types)?,
            order,
            order_rows: RowConverter::new(order_fields)?,
            rows_codec: RowCodec::new(input)?,
            limit,
            rank_shown,
            newer_first,
            output,
            partitions: HashMap::new(),
            bytes: 0,
            retracting: false,
        })
    }

    /// The Top-N of an input that updates.
    pub fn over_updating_input(mut self) -> Self {
        self.retracting = true;
        self
    }

    /// A batch's partition keys, sort keys and rows, as bytes.
    fn encode(&self, batch: &RecordBatch) -> Result<(EncodedKeys, Rows, Rows), DataFusionError> {
        let partition_columns = self.partition.columns(batch)?;
        let partitions = self.partition.encode(&partition_columns, batch.num_rows())?;
        let order_columns = self
            .order
            .iter()
            .map(|s| s.expr.evaluate(batch)?.into_array(batch.num_rows()))
            .collect::<Result<Vec<ArrayRef>, _>>()?;
        let order = self.order_rows.convert_columns(&order_columns)?;
        Ok((partitions, order, self.rows_codec.encode(batch)?))
    }

    /// Ranks changes of an updating input: each row's change applied to its partition's
    /// rows, and the difference in the partition's top N emitted.
    fn process_retracting(&mut self, changes: &Changes) -> Result<Changes, DataFusionError> {
        let rows = changes.rows.num_rows();
        let (partitions, order, encoded) = self.encode(&changes.rows)?;
        let limit = self.limit;
        let rank_shown = self.rank_shown;
        let mut emitted: Vec<(OwnedRow, u64, RowKind)> = Vec::new();
        for row in 0..rows {
            let sort_key = order.row(row);
            let top = self.partitions.entry(partitions.key(row).into()).or_default();
            let before: Vec<Ranked> = top.iter().take(limit).cloned().collect();
            let entry: Ranked = (sort_key.data().into(), encoded.row(row).owned());
            if changes.kind(row).is_retraction() {
                let Some(position) = top.iter().position(|r| *r == entry) else {
                    continue;
                };
                let gone = top.remove(position);
                self.bytes -= ranked_bytes(&gone);
            } else {
                let position = top.partition_point(|(key, _)| key.as_ref() <= sort_key.data());
                self.bytes += ranked_bytes(&entry);
                top.insert(position, entry);
            }
            let after = &top[..top.len().min(limit)];
            // A row's rank shows when the query shows it: then a moved row changed too.
            let same = |a: &Ranked, i: usize, b: &[Ranked]| {
                if rank_shown {
                    b.get(i).is_some_and(|x| x.1 == a.1)
                } else {
                    b.iter().any(|x| x.1 == a.1)
                }
            };
            for (i, old) in before.iter().enumerate() {
                if !same(old, i, after) {
                    emitted.push((old.1.clone(), i as u64 + 1, RowKind::Delete));
                }
            }
            for (i, new) in after.iter().enumerate() {
                if !same(new, i, &before) {
                    emitted.push((new.1.clone(), i as u64 + 1, RowKind::Insert));
                }
            }
        }
        self.emit(emitted)
    }

    fn emit(&self, emitted: Vec<(OwnedRow, u64, RowKind)>) -> Result<Changes, DataFusionError> {
        let mut columns = self.rows_codec.decode(emitted.iter().map(|(r, _, _)| r.row()))?;
        let ranks: ArrayRef = std::sync::Arc::new(UInt64Array::from_iter_values(emitted.iter().map(|(_, r, _)| *r)));
        let rank_type = self.output.field(self.output.fields().len() - 1).data_type();
        columns.push(cast(&ranks, rank_type)?);
        Ok(Changes::new(
            RecordBatch::try_new(self.output.clone(), columns)?,
            Some(emitted.into_iter().map(|(_, _, kind)| kind).collect()),
        ))
    }

    /// The PARTITION BY expressions (none for a global Top-N).
    pub fn key_exprs(&self) -> &[Arc<dyn PhysicalExpr>] {
        self.partition.exprs()
    }

    /// The state's size: the kept rows and their sort keys.
    pub fn state_bytes(&self) -> usize {
        self.bytes
    }

    /// Ranks a batch of insertions; returns the changes to the partitions' top rows.
    pub fn process(&mut self, changes: &Changes) -> Result<Changes, DataFusionError> {
        let rows = changes.rows.num_rows();
        let (partitions, order, encoded) = self.encode(&changes.rows)?;

        let mut emitted: Vec<(OwnedRow, u64, RowKind)> = Vec::new();
        for row in 0..rows {
            let sort_key = order.row(row);
            let top = self.partitions.entry(partitions.key(row).into()).or_default();
            let position = if self.newer_first {
                top.partition_point(|(key, _)| key.as_ref() < sort_key.data())
            } else {
                top.partition_point(|(key, _)| key.as_ref() <= sort_key.data())
            };
            if position >= self.limit {
                continue;
            }
            let before: Vec<OwnedRow> = if self.rank_shown {
                top[position..].iter().map(|(_, r)| r.clone()).collect()
            } else {
                Vec::new()
            };
            let entry: Ranked = (sort_key.data().into(), encoded.row(row).owned());
            self.bytes += ranked_bytes(&entry);
            top.insert(position, entry);
            let pushed_out = (top.len() > self.limit).then(|| top.pop().expect("longer than the limit"));
            if let Some(out) = &pushed_out {
                self.bytes -= ranked_bytes(out);
            }
            if self.rank_shown {
                for (offset, (_, now)) in top[position..].iter().enumerate() {
                    let rank = (position + offset + 1) as u64;
                    match before.get(offset) {
                        Some(old) => {
                            emitted.push((old.clone(), rank, RowKind::UpdateBefore));
                            emitted.push((now.clone(), rank, RowKind::UpdateAfter));
                        }
                        None => emitted.push((now.clone(), rank, RowKind::Insert)),
                    }
                }
            } else {
                emitted.push((encoded.row(row).owned(), (position + 1) as u64, RowKind::Insert));
                if let Some((_, out)) = pushed_out {
                    emitted.push((out, (self.limit + 1) as u64, RowKind::Delete));
                }
            }
        }
        self.emit(emitted)
    }
}

impl crate::operator::Operator for TopN {
    fn name(&self) -> &'static str {
        "Rank"
    }

    fn key_exprs(&self, _input: usize) -> &[Arc<dyn PhysicalExpr>] {
        TopN::key_exprs(self)
    }

    fn on_changes(&mut self, _input: usize, changes: Changes, out: &mut Vec<Changes>) -> Result<(), EngineError> {
        let ranked = if self.retracting {
            self.process_retracting(&changes)?
        } else {
            self.process(&changes)?
        };
        out.push(ranked);
        Ok(())
    }

    fn state_bytes(&self) -> usize {
        TopN::state_bytes(self)
    }
}
