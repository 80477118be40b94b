//! Where a Kafka table's columns live in a record, as Flink lays them out: key columns
//! ('key.fields', or an upsert-kafka table's PRIMARY KEY) in the record key by 'key.format';
//! the value holding every physical column ('value.fields-include' = 'ALL', the default) or
//! all but the key columns ('EXCEPT_KEY').

use datafusion::arrow::array::UInt32Array;
use datafusion::arrow::compute::take;
use datafusion::arrow::datatypes::SchemaRef;
use datafusion::arrow::record_batch::RecordBatch;
use pipegen_sql::CreateTable;

use crate::error::EngineError;
use pipegen_formats::{self as formats, ValueDecoder};

pub struct RecordLayout {
    /// Positions of the key columns among the physical ones, in key order.
    pub key_columns: Vec<usize>,
    /// Positions of the columns the value holds.
    pub value_columns: Vec<usize>,
}

impl RecordLayout {
    pub fn of(table: &CreateTable, physical: &SchemaRef) -> Result<Self, EngineError> {
        let key_names: Vec<String> = if table.connector() == Some("upsert-kafka") {
            table.primary_key.clone().ok_or_else(|| {
                EngineError::Invalid(format!(
                    "'upsert-kafka' table `{}` needs a PRIMARY KEY (...) NOT ENFORCED: its key is the record key",
                    table.name
                ))
            })?
        } else {
            match table.option("key.fields") {
                Some(fields) => fields.split(';').map(|f| f.trim().to_string()).collect(),
                None if table.option("key.format").is_some() => {
                    return Err(EngineError::Invalid(format!(
                        "table `{}` sets 'key.format' but no 'key.fields'",
                        table.name
                    )));
                }
                None => Vec::new(),
            }
        };
        let key_columns = key_names
            .iter()
            .map(|name| {
                physical.index_of(name).map_err(|_| {
                    EngineError::Invalid(format!(
                        "table `{}`: the key column `{name}` is not one of its physical columns",
                        table.name
                    ))
                })
            })
            .collect::<Result<Vec<_>, _>>()?;
        let value_columns: Vec<usize> = match table.option("value.fields-include") {
            None | Some("ALL") => (0..physical.fields().len()).collect(),
            Some("EXCEPT_KEY") => (0..physical.fields().len())
                .filter(|c| !key_columns.contains(c))
                .collect(),
            Some(other) => {
                return Err(EngineError::Invalid(format!(
                    "table `{}`: 'value.fields-include' = '{other}' (ALL or EXCEPT_KEY)",
                    table.name
                )));
            }
        };
        Ok(Self {
            key_columns,
            value_columns,
        })
    }

    /// Where a column that is not only in the key sits among the value's columns.
    fn in_value(&self, column: usize) -> usize {
        self.value_columns
            .iter()
            .position(|c| *c == column)
            .expect("every physical column is in the key or the value")
    }

    /// Whether some column is found only in the record key.
    pub fn reads_key(&self) -> bool {
        self.key_columns.iter().any(|c| !self.value_columns.contains(c))
    }
}

/// Decodes records into rows of a Kafka table's physical columns: values by the value format
/// and, when the value leaves key columns out, keys by the key format.
pub struct RowDecoder {
    physical: SchemaRef,
    layout: RecordLayout,
    value: Box<dyn ValueDecoder>,
    key: Option<Box<dyn ValueDecoder>>,
}

impl RowDecoder {
    pub fn new(table: &CreateTable, physical: SchemaRef) -> Result<Self, EngineError> {
        let layout = RecordLayout::of(table, &physical)?;
        let value = formats::decoder(table, std::sync::Arc::new(physical.project(&layout.value_columns)?))?;
        // An upsert table's deletions (tombstones) carry their key only.
        let key = if layout.reads_key() || table.connector() == Some("upsert-kafka") {
            let key_schema = std::sync::Arc::new(physical.project(&layout.key_columns)?);
            Some(formats::key_decoder(table, key_schema)?)
        } else {
            None
        };
        Ok(Self {
            physical,
            layout,
            value,
            key,
        })
    }

    /// One row per record of an upsert table, tombstones (`deleted`) included: key columns from
    /// every key, the other columns from the values (NULL for a tombstone).
    pub fn decode_upserts(
        &mut self,
        keys: &[&[u8]],
        values: &[&[u8]],
        deleted: &[bool],
    ) -> Result<RecordBatch, EngineError> {
        let key_decoder = self
            .key
            .as_mut()
            .ok_or_else(|| EngineError::Invalid("an upsert table needs a 'key.format'".into()))?;
        let decoded_keys = key_decoder.decode(keys)?;
        let present: Vec<&[u8]> = values
            .iter()
            .zip(deleted)
            .filter(|(_, deleted)| !**deleted)
            .map(|(value, _)| *value)
            .collect();
        let decoded_values = self.value.decode(&present)?;
        if decoded_keys.num_rows() != keys.len() || decoded_values.num_rows() != present.len() {
            return Err(EngineError::Invalid(
                "a record key or value did not parse (an upsert table cannot skip records)".into(),
            ));
        }
        // Each row's place among the decoded values; none for a tombstone.
        let mut next = 0u32;
        let places: UInt32Array = deleted
            .iter()
            .map(|deleted| {
                (!deleted).then(|| {
                    next += 1;
                    next - 1
                })
            })
            .collect();
        let columns = (0..self.physical.fields().len())
            .map(
                |column| match self.layout.key_columns.iter().position(|c| *c == column) {
                    Some(in_key) => Ok(decoded_keys.column(in_key).clone()),
                    None => Ok(take(
                        decoded_values.column(self.layout.in_value(column)),
                        &places,
                        None,
                    )?),
                },
            )
            .collect::<Result<Vec<_>, EngineError>>()?;
        Ok(RecordBatch::try_new(self.physical.clone(), columns)?)
    }

    /// One row per record; `keys` are read only when the layout needs them.
    pub fn decode(&mut self, keys: &[&[u8]], values: &[&[u8]]) -> Result<RecordBatch, EngineError> {
        let decoded_values = self.value.decode(values)?;
        let Some(key_decoder) = self.key.as_mut().filter(|_| self.layout.reads_key()) else {
            return Ok(decoded_values);
        };
        let decoded_keys = key_decoder.decode(keys)?;
        if decoded_keys.num_rows() != decoded_values.num_rows() {
            return Err(EngineError::Invalid(format!(
                "{} record keys but {} values decoded: a key or value did not parse",
                decoded_keys.num_rows(),
                decoded_values.num_rows()
            )));
        }
        let columns = (0..self.physical.fields().len())
            .map(
                |column| match self.layout.key_columns.iter().position(|c| *c == column) {
                    Some(in_key) if !self.layout.value_columns.contains(&column) => decoded_keys.column(in_key).clone(),
                    _ => decoded_values.column(self.layout.in_value(column)).clone(),
                },
            )
            .collect();
        Ok(RecordBatch::try_new(self.physical.clone(), columns)?)
    }
}
