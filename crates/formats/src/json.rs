//! Flink's `json` format: one JSON object per record, fields by column name.

use arrow::compute::concat_batches;
use arrow::datatypes::SchemaRef;
use arrow::json::reader::{Decoder, ReaderBuilder};
use arrow::json::writer::{LineDelimited, WriterBuilder};
use arrow::record_batch::RecordBatch;
use bytes::Bytes;

use crate::{FormatError, ValueDecoder, ValueEncoder};

pub struct JsonDecoder {
    schema: SchemaRef,
    ignore_parse_errors: bool,
    decoder: Decoder,
}

/// Rows the decoder holds before a flush; `decode` flushes at this size on its own.
const BATCH_ROWS: usize = 8192;

fn build(schema: &SchemaRef) -> Result<Decoder, FormatError> {
    Ok(ReaderBuilder::new(schema.clone())
        .with_batch_size(BATCH_ROWS)
        .build_decoder()?)
}

impl JsonDecoder {
    pub fn new(schema: SchemaRef, ignore_parse_errors: bool) -> Result<Self, FormatError> {
        Ok(Self {
            decoder: build(&schema)?,
            schema,
            ignore_parse_errors,
        })
    }

    fn decode_one(&mut self, value: &[u8]) -> Result<(), FormatError> {
        // Values share the decoder's stream: checked alone first, a truncated value cannot
        // swallow the next one, two objects cannot pass for one record, and a bad value
        // never reaches the decoder (rebuilding it would lose the good rows it holds).
        let mut values = serde_json::Deserializer::from_slice(value).into_iter::<serde::de::IgnoredAny>();
        match (values.next(), values.next()) {
            (None, _) => return Ok(()), // empty: no row, as before
            (Some(Err(e)), _) => return Err(FormatError::Invalid(e.to_string())),
            (Some(Ok(_)), Some(_)) => {
                return Err(FormatError::Invalid(
                    "the value holds more than one JSON document".into(),
                ));
            }
            (Some(Ok(_)), None) => {}
        }
        if let Err(e) = self.decoder.decode(value).and_then(|_| self.decoder.decode(b"\n")) {
            // The decoder may hold half a row now: start afresh.
            self.decoder = build(&self.schema)?;
            return Err(e.into());
        }
        Ok(())
    }
}

impl ValueDecoder for JsonDecoder {
    fn decode(&mut self, values: &[&[u8]]) -> Result<RecordBatch, FormatError> {
        let mut batches = Vec::new();
        for (index, value) in values.iter().enumerate() {
            if index > 0
                && index % BATCH_ROWS == 0
                && let Some(batch) = self.decoder.flush()?
            {
                batches.push(batch);
            }
            if let Err(e) = self.decode_one(value)
                && !self.ignore_parse_errors
            {
                return Err(FormatError::Invalid(format!(
                    "a record is not JSON of the table's columns: {e} (record: {})",
                    String::from_utf8_lossy(&value[..value.len().min(200)])
                )));
            }
        }
        if let Some(batch) = self.decoder.flush()? {
            batches.push(batch);
        }
        Ok(concat_batches(&self.schema, &batches)?)
    }
}

pub struct JsonEncoder;

impl ValueEncoder for JsonEncoder {
    fn encode(&mut self, batch: &RecordBatch) -> Result<Vec<Bytes>, FormatError> {
        let mut writer = WriterBuilder::new()
            .with_explicit_nulls(true)
            .build::<_, LineDelimited>(Vec::new());
        writer.write(batch)?;
        writer.finish()?;
        let text = writer.into_inner();
        Ok(super::lines(&text))
    }
}
