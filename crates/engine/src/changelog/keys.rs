//! Rows as bytes, for state: group and join keys that hash and compare as their values do, and
//! whole rows kept between batches and turned back into columns when they are emitted.

use std::sync::Arc;

use datafusion::arrow::array::{ArrayRef, RecordBatch};
use datafusion::arrow::datatypes::{DataType, SchemaRef};
use datafusion::arrow::row::{OwnedRow, Row, RowConverter, Rows, SortField};
use datafusion::error::DataFusionError;
use datafusion::physical_expr::PhysicalExpr;

/// Evaluates key expressions and encodes each row's key.
pub struct KeyEncoder {
    exprs: Vec<Arc<dyn PhysicalExpr>>,
    converter: Option<RowConverter>,
}

impl KeyEncoder {
    pub fn new(exprs: Vec<Arc<dyn PhysicalExpr>>, types: Vec<DataType>) -> Result<Self, DataFusionError> {
        let converter = if types.is_empty() {
            None
        } else {
            Some(RowConverter::new(types.into_iter().map(SortField::new).collect())?)
        };
        Ok(Self { exprs, converter })
    }

    /// A key of `exprs` over `plan`'s rows.
    pub fn over(
        plan: &Arc<dyn datafusion::physical_plan::ExecutionPlan>,
        exprs: Vec<Arc<dyn PhysicalExpr>>,
    ) -> Result<Self, DataFusionError> {
        let schema = plan.schema();
        let types = exprs
            .iter()
            .map(|e| e.data_type(&schema))
            .collect::<Result<Vec<_>, _>>()?;
        Self::new(exprs, types)
    }

    /// The expressions the key is computed from.
    pub fn exprs(&self) -> &[Arc<dyn PhysicalExpr>] {
        &self.exprs
    }

    /// The key columns of a batch.
    pub fn columns(&self, batch: &RecordBatch) -> Result<Vec<ArrayRef>, DataFusionError> {
        self.exprs
            .iter()
            .map(|e| e.evaluate(batch)?.into_array(batch.num_rows()))
            .collect()
    }

    /// Each row's key (empty bytes for every row without key columns) and whether any of its
    /// key columns is NULL.
    pub fn encode(&self, columns: &[ArrayRef], num_rows: usize) -> Result<EncodedKeys, DataFusionError> {
        let rows = match &self.converter {
            Some(converter) => Some(converter.convert_columns(columns)?),
            None => None,
        };
        let nulls = (0..num_rows)
            .map(|row| columns.iter().any(|c| c.is_null(row)))
            .collect();
        Ok(EncodedKeys { rows, nulls })
    }
}

/// Both sides' keys of a join: its equality conditions' left and right expressions.
pub fn join_keys(join: &datafusion::physical_plan::joins::HashJoinExec) -> Result<[KeyEncoder; 2], DataFusionError> {
    Ok([
        KeyEncoder::over(join.left(), join.on().iter().map(|(l, _)| l.clone()).collect())?,
        KeyEncoder::over(join.right(), join.on().iter().map(|(_, r)| r.clone()).collect())?,
    ])
}

pub struct EncodedKeys {
    rows: Option<Rows>,
    pub nulls: Vec<bool>,
}

impl EncodedKeys {
    pub fn key(&self, row: usize) -> &[u8] {
        self.rows.as_ref().map_or(&[], |rows| rows.row(row).data())
    }
}

/// Whole rows of one schema, kept as bytes.
pub struct RowCodec {
    converter: RowConverter,
    schema: SchemaRef,
}

impl RowCodec {
    pub fn new(schema: SchemaRef) -> Result<Self, DataFusionError> {
        let fields = schema
            .fields()
            .iter()
            .map(|f| SortField::new(f.data_type().clone()))
            .collect();
        Ok(Self {
            converter: RowConverter::new(fields)?,
            schema,
        })
    }

    pub fn encode(&self, batch: &RecordBatch) -> Result<Rows, DataFusionError> {
        Ok(self.converter.convert_columns(batch.columns())?)
    }

    pub fn decode<'a>(&self, rows: impl IntoIterator<Item = Row<'a>>) -> Result<Vec<ArrayRef>, DataFusionError> {
        Ok(self.converter.convert_rows(rows)?)
    }

    pub fn schema(&self) -> &SchemaRef {
        &self.schema
    }

    /// Columns of `rows` in order, NULL where a row is `None` (an outer join's padding).
    pub fn decode_padded<'a>(
        &self,
        rows: impl IntoIterator<Item = Option<&'a OwnedRow>>,
    ) -> Result<Vec<ArrayRef>, DataFusionError> {
        let rows: Vec<Option<&OwnedRow>> = rows.into_iter().collect();
        let decoded = self.decode(rows.iter().flatten().map(|r| r.row()))?;
        if decoded.first().is_none_or(|c| c.len() == rows.len()) {
            return Ok(decoded);
        }
        let mut next = 0u32;
        let spread: datafusion::arrow::array::UInt32Array = rows
            .iter()
            .map(|row| {
                row.map(|_| {
                    next += 1;
                    next - 1
                })
            })
            .collect();
        Ok(datafusion::arrow::compute::take_arrays(&decoded, &spread, None)?)
    }

    /// Kept rows emitted with their kinds, as changes of this schema.
    pub fn changes(
        &self,
        emitted: Vec<(OwnedRow, crate::changes::RowKind)>,
    ) -> Result<crate::changes::Changes, DataFusionError> {
        let columns = self.decode(emitted.iter().map(|(row, _)| row.row()))?;
        let rows = RecordBatch::try_new(self.schema.clone(), columns)?;
        Ok(crate::changes::Changes::new(
            rows,
            Some(emitted.into_iter().map(|(_, kind)| kind).collect()),
        ))
    }
}
