//! Flink's `raw` format: the record value is the table's single column, as UTF-8 text or bytes.

use std::sync::Arc;

use arrow::array::{Array, AsArray, BinaryArray, StringArray};
use arrow::datatypes::{DataType, SchemaRef};
use arrow::record_batch::RecordBatch;
use bytes::Bytes;

use crate::{FormatError, ValueDecoder, ValueEncoder};

fn single_column(schema: &SchemaRef) -> Result<DataType, FormatError> {
    match schema.fields().as_ref() {
        [field] if matches!(field.data_type(), DataType::Utf8 | DataType::Binary) => Ok(field.data_type().clone()),
        _ => Err(FormatError::Invalid(
            "the raw format needs exactly one physical column, of type STRING or BYTES".into(),
        )),
    }
}

pub struct RawDecoder {
    schema: SchemaRef,
    text: bool,
}

impl RawDecoder {
    pub fn new(schema: SchemaRef) -> Result<Self, FormatError> {
        let text = single_column(&schema)? == DataType::Utf8;
        Ok(Self { schema, text })
    }
}

impl ValueDecoder for RawDecoder {
    fn decode(&mut self, values: &[&[u8]]) -> Result<RecordBatch, FormatError> {
        let column: Arc<dyn Array> = if self.text {
            let texts = values
                .iter()
                .map(|v| {
                    std::str::from_utf8(v).map_err(|e| FormatError::Invalid(format!("a raw record is not UTF-8: {e}")))
                })
                .collect::<Result<Vec<_>, _>>()?;
            Arc::new(StringArray::from(texts))
        } else {
            Arc::new(BinaryArray::from_iter_values(values.iter()))
        };
        Ok(RecordBatch::try_new(self.schema.clone(), vec![column])?)
    }
}

pub struct RawEncoder {
    text: bool,
}

impl RawEncoder {
    pub fn new(schema: SchemaRef) -> Result<Self, FormatError> {
        Ok(Self {
            text: single_column(&schema)? == DataType::Utf8,
        })
    }
}

impl ValueEncoder for RawEncoder {
    fn encode(&mut self, batch: &RecordBatch) -> Result<Vec<Bytes>, FormatError> {
        let column = batch.column(0);
        Ok(if self.text {
            column
                .as_string::<i32>()
                .iter()
                .map(|v| Bytes::copy_from_slice(v.unwrap_or_default().as_bytes()))
                .collect()
        } else {
            column
                .as_binary::<i32>()
                .iter()
                .map(|v| Bytes::copy_from_slice(v.unwrap_or_default()))
                .collect()
        })
    }
}
