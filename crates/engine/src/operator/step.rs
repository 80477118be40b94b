//! Stateless plan steps (filters and projections) that pipegen runs itself, batch by batch,
//! where DataFusion's own operators cannot: between a window and its aggregation (so the
//! watermark stays in step with the rows), and over changelogs (so each row keeps its kind
//! and the watermark it met).

use std::sync::Arc;

use datafusion::arrow::array::{Array, ArrayRef, RecordBatch};
use datafusion::arrow::compute::filter_record_batch;
use datafusion::arrow::datatypes::SchemaRef;
use datafusion::physical_expr::PhysicalExpr;
use datafusion::physical_plan::ExecutionPlan;
use datafusion::physical_plan::filter::FilterExec;
use datafusion::physical_plan::projection::ProjectionExec;

use super::Operator;
use crate::changes::Changes;
use crate::error::EngineError;

pub enum Step {
    Project(Vec<usize>),
    Filter {
        predicate: Arc<dyn PhysicalExpr>,
        projection: Option<Vec<usize>>,
    },
    Exprs {
        exprs: Vec<Arc<dyn PhysicalExpr>>,
        schema: SchemaRef,
    },
}

impl Step {
    pub fn filter(filter: &FilterExec) -> Self {
        Step::Filter {
            predicate: filter.predicate().clone(),
            projection: filter.projection().as_ref().map(|p| p.iter().copied().collect()),
        }
    }

    pub fn projection(projection: &ProjectionExec) -> Self {
        Step::Exprs {
            exprs: projection.expr().iter().map(|p| p.expr.clone()).collect(),
            schema: projection.schema(),
        }
    }

    /// The columns the step produces from `input`'s.
    pub fn schema(&self, input: &SchemaRef) -> SchemaRef {
        let project = |columns: &[usize]| Arc::new(input.project(columns).expect("the plan's own columns"));
        match self {
            Step::Project(columns) => project(columns),
            Step::Filter {
                projection: Some(columns),
                ..
            } => project(columns),
            Step::Filter { projection: None, .. } => input.clone(),
            Step::Exprs { schema, .. } => schema.clone(),
        }
    }

    /// The step over a changelog: a filtered-out row takes its kind (and its watermark) with
    /// it, so a retraction whose row no longer passes is dropped exactly as its insertion was.
    pub fn apply_changes(&self, changes: Changes) -> Result<Changes, EngineError> {
        let Changes {
            rows: batch,
            kinds,
            met,
        } = changes;
        match self {
            Step::Project(columns) => Ok(Changes {
                rows: batch.project(columns)?,
                kinds,
                met,
            }),
            Step::Filter { predicate, projection } => {
                let mask = predicate.evaluate(&batch)?.into_array(batch.num_rows())?;
                let mask = datafusion::common::cast::as_boolean_array(&mask)?;
                let kept = filter_record_batch(&batch, mask)?;
                let passes = |row: usize| mask.is_valid(row) && mask.value(row);
                let rows = match projection {
                    Some(columns) => kept.project(columns)?,
                    None => kept,
                };
                Ok(Changes {
                    rows,
                    kinds: kinds.map(|kinds| kept_of(kinds, passes)),
                    met: met.map(|met| kept_of(met, passes)),
                })
            }
            Step::Exprs { exprs, schema } => {
                let columns = exprs
                    .iter()
                    .map(|e| e.evaluate(&batch)?.into_array(batch.num_rows()))
                    .collect::<Result<Vec<_>, _>>()?;
                Ok(Changes {
                    rows: batch_of(schema, columns, batch.num_rows())?,
                    kinds,
                    met,
                })
            }
        }
    }
}

/// The values of the rows that `passes`.
fn kept_of<T>(values: Vec<T>, passes: impl Fn(usize) -> bool) -> Vec<T> {
    values
        .into_iter()
        .enumerate()
        .filter(|(row, _)| passes(*row))
        .map(|(_, value)| value)
        .collect()
}

/// A step is an operator without state.
/// The column of the steps' input that column `index` of their output is (steps in the
/// order they apply); `None` when it is computed.
pub fn source_column(steps: &[Step], _input: &SchemaRef, index: usize) -> Option<usize> {
    let mut index = index;
    for step in steps.iter().rev() {
        index = match step {
            Step::Project(columns) => *columns.get(index)?,
            Step::Filter {
                projection: Some(columns),
                ..
            } => *columns.get(index)?,
            Step::Filter { projection: None, .. } => index,
            Step::Exprs { exprs, .. } => exprs
                .get(index)?
                .downcast_ref::<datafusion::physical_expr::expressions::Column>()?
                .index(),
        };
    }
    Some(index)
}

impl Operator for Step {
    fn name(&self) -> &'static str {
        "Calc"
    }

    fn on_changes(&mut self, _input: usize, changes: Changes, out: &mut Vec<Changes>) -> Result<(), EngineError> {
        out.push(self.apply_changes(changes)?);
        Ok(())
    }

    fn is_stateful(&self) -> bool {
        false
    }
}

/// A batch of `rows` rows: also one with no columns (`COUNT(*)` over a subquery needs none of
/// its columns, only how many rows changed), which Arrow builds only when told the count.
pub(crate) fn batch_of(
    schema: &SchemaRef,
    columns: Vec<ArrayRef>,
    rows: usize,
) -> Result<RecordBatch, datafusion::arrow::error::ArrowError> {
    let options = datafusion::arrow::record_batch::RecordBatchOptions::new().with_row_count(Some(rows));
    RecordBatch::try_new_with_options(schema.clone(), columns, &options)
}
