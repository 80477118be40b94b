//! DEFINE conditions and MEASURES of a MATCH_RECOGNIZE, evaluated over a match. Each pattern
//! reference in an expression (`A.price`, `LAST(B.price, 1)`, `FIRST(W.ts)`, `AVG(W.temp)`,
//! `MATCH_ROWTIME()`) becomes a column of a one-row batch, its value found in the match; the
//! rest of the expression is DataFusion's, planned as the engine plans any expression.

use std::sync::Arc;

use datafusion::arrow::array::{RecordBatch, RecordBatchOptions, new_empty_array};
use datafusion::arrow::datatypes::{DataType, SchemaRef};
use datafusion::physical_expr::PhysicalExpr;
use datafusion::physical_expr::aggregate::AggregateFunctionExpr;
use datafusion::scalar::ScalarValue;

use super::nfa::Mapped;
use crate::error::EngineError;

/// One input row, its columns' values.
pub type Row = Arc<[ScalarValue]>;

/// Which rows of a match a reference reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    /// The rows mapped to one variable.
    Var(usize),
    /// Every row of the match (an unqualified column).
    All,
}

/// A value a pattern expression reads from the match.
#[derive(Debug, Clone)]
pub enum Reference {
    /// A column of one row of the scope: counted `offset` rows back from its last row
    /// (`A.price` is the last, `LAST(B.price, 1)` the one before), or on from its first.
    Navigate {
        scope: Scope,
        column: usize,
        from_last: bool,
        offset: usize,
        data_type: DataType,
    },
    /// An aggregate of a column over the scope's rows.
    Aggregate {
        scope: Scope,
        column: usize,
        function: Arc<AggregateFunctionExpr>,
        data_type: DataType,
        /// The aggregate's input: the column alone, as `v`.
        argument: SchemaRef,
    },
}

/// The rows an expression sees: a match's rows in order, and in a DEFINE condition the
/// candidate row, as the newest row of the variable being defined.
pub struct MatchView<'a> {
    pub rows: &'a [Mapped<Row>],
    pub candidate: Option<(usize, &'a Row)>,
}

impl MatchView<'_> {
    fn rows_of(&self, scope: Scope) -> impl DoubleEndedIterator<Item = &Row> + '_ {
        let of = move |var: usize| match scope {
            Scope::Var(v) => v == var,
            Scope::All => true,
        };
        self.rows
            .iter()
            .filter(move |m| of(m.var))
            .map(|m| &m.row)
            .chain(self.candidate.filter(|(var, _)| of(*var)).map(|(_, row)| row))
    }
}

impl Reference {
    fn value(&self, view: &MatchView) -> Result<ScalarValue, EngineError> {
        match self {
            Reference::Navigate {
                scope,
                column,
                from_last,
                offset,
                data_type,
            } => {
                let row = if *from_last {
                    view.rows_of(*scope).rev().nth(*offset)
                } else {
                    view.rows_of(*scope).nth(*offset)
                };
                Ok(match row {
                    Some(row) => row[*column].clone(),
                    None => ScalarValue::try_from(data_type)?,
                })
            }
            Reference::Aggregate {
                scope,
                column,
                function,
                argument,
                ..
            } => {
                // Row by row, as Flink accumulates: a whole-array update would sum floating
                // point values in another order (and round otherwise).
                let mut accumulator = function.create_accumulator()?;
                let arguments = function.expressions();
                let mut empty = true;
                for row in view.rows_of(*scope) {
                    let value = RecordBatch::try_new(argument.clone(), vec![row[*column].to_array_of_size(1)?])?;
                    let values = arguments
                        .iter()
                        .map(|e| Ok(e.evaluate(&value)?.into_array(1)?))
                        .collect::<Result<Vec<_>, EngineError>>()?;
                    accumulator.update_batch(&values)?;
                    empty = false;
                }
                if empty {
                    let values = arguments
                        .iter()
                        .map(|e| Ok(new_empty_array(&e.data_type(argument)?)))
                        .collect::<Result<Vec<_>, EngineError>>()?;
                    accumulator.update_batch(&values)?;
                }
                Ok(accumulator.evaluate()?)
            }
        }
    }
}

/// An expression over pattern references: `expr` reads the references' values as the
/// columns of `schema`.
#[derive(Debug, Clone)]
pub struct Compiled {
    pub references: Vec<Reference>,
    pub schema: SchemaRef,
    pub expr: Arc<dyn PhysicalExpr>,
}

impl Compiled {
    pub fn evaluate(&self, view: &MatchView) -> Result<ScalarValue, EngineError> {
        let columns = self
            .references
            .iter()
            .map(|r| Ok(r.value(view)?.to_array_of_size(1)?))
            .collect::<Result<Vec<_>, EngineError>>()?;
        let options = RecordBatchOptions::new().with_row_count(Some(1));
        let batch = RecordBatch::try_new_with_options(self.schema.clone(), columns, &options)?;
        let value = self.expr.evaluate(&batch)?.into_array(1)?;
        Ok(ScalarValue::try_from_array(&value, 0)?)
    }

    /// Whether a condition holds (NULL does not).
    pub fn holds(&self, view: &MatchView) -> Result<bool, EngineError> {
        Ok(matches!(self.evaluate(view)?, ScalarValue::Boolean(Some(true))))
    }
}
