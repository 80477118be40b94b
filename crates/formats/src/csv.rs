//! Flink's `csv` format: one line per record, columns in declared order, no header.

use std::io::Cursor;

use arrow::compute::concat_batches;
use arrow::csv::{ReaderBuilder, WriterBuilder};
use arrow::datatypes::SchemaRef;
use arrow::record_batch::RecordBatch;
use bytes::Bytes;
use pipegen_sql::CreateTable;

use super::{ValueDecoder, ValueEncoder, format_option};
use crate::FormatError;

pub fn delimiter(table: &CreateTable) -> Result<u8, FormatError> {
    match format_option(table, "csv", "field-delimiter") {
        None => Ok(b','),
        Some("\\t") => Ok(b'\t'),
        Some(d) if d.len() == 1 => Ok(d.as_bytes()[0]),
        Some(other) => Err(FormatError::Invalid(format!(
            "table `{}`: 'csv.field-delimiter' = '{other}' is not one character",
            table.name
        ))),
    }
}

pub struct CsvDecoder {
    schema: SchemaRef,
    delimiter: u8,
    buffer: Vec<u8>,
}

impl CsvDecoder {
    pub fn new(schema: SchemaRef, delimiter: u8) -> Self {
        Self {
            schema,
            delimiter,
            buffer: Vec::new(),
        }
    }
}

impl ValueDecoder for CsvDecoder {
    fn decode(&mut self, values: &[&[u8]]) -> Result<RecordBatch, FormatError> {
        self.buffer.clear();
        for value in values {
            self.buffer
                .extend_from_slice(value.strip_suffix(b"\n").unwrap_or(value));
            self.buffer.push(b'\n');
        }
        let reader = ReaderBuilder::new(self.schema.clone())
            .with_header(false)
            .with_delimiter(self.delimiter)
            .with_batch_size(values.len().max(1))
            .build(Cursor::new(&self.buffer))?;
        let batches = reader.collect::<Result<Vec<_>, _>>()?;
        Ok(concat_batches(&self.schema, &batches)?)
    }
}

pub struct CsvEncoder {
    delimiter: u8,
}

impl CsvEncoder {
    pub fn new(delimiter: u8) -> Self {
        Self { delimiter }
    }
}

impl ValueEncoder for CsvEncoder {
    fn encode(&mut self, batch: &RecordBatch) -> Result<Vec<Bytes>, FormatError> {
        let mut writer = WriterBuilder::new()
            .with_header(false)
            .with_delimiter(self.delimiter)
            .build(Vec::new());
        writer.write(batch)?;
        let text = writer.into_inner();
        Ok(super::lines(&text))
    }
}
