//! Flink's `avro-confluent` format: magic byte 0, the writer schema's 4-byte registry id, then
//! the AVRO datum; and the plain `avro` format, the datum alone in the table's own schema. Decoded and encoded by `arrow-avro` straight between bytes and Arrow
//! columns; writer schemas are fetched from the registry by id (and cached), and a sink
//! registers its table's schema under its subject, as Flink does.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use arrow::array::{ArrayRef, new_null_array};
use arrow::compute::{cast, concat_batches};
use arrow::datatypes::SchemaRef;
use arrow::record_batch::RecordBatch;
use arrow_avro::reader::{Decoder, ReaderBuilder};
use arrow_avro::schema::{AvroSchema, Fingerprint, FingerprintAlgorithm, FingerprintStrategy, SchemaStore};
use arrow_avro::writer::format::{AvroBinaryFormat, AvroSoeFormat};
use arrow_avro::writer::{Encoder, WriterBuilder};
use bytes::Bytes;
use pipegen_registry::RegistryClient;

use crate::{FormatError, ValueDecoder, ValueEncoder};

const REGISTRY_TIMEOUT: Duration = Duration::from_secs(10);

fn avro_error(e: impl std::fmt::Display) -> FormatError {
    FormatError::Invalid(format!("AVRO: {e}"))
}

/// Decodes `avro-confluent` values, each in the writer schema its id names in the registry.
pub struct ConfluentDecoder {
    schema: SchemaRef,
    registry: RegistryClient,
    url: String,
    writer_schemas: HashMap<u32, AvroSchema>,
    decoders: HashMap<u32, Decoder>,
}

impl ConfluentDecoder {
    /// Rows of `schema`, from values whose writer schemas the registry at `url` holds.
    pub fn new(schema: SchemaRef, url: &str) -> Self {
        Self {
            schema,
            registry: RegistryClient::new(url, REGISTRY_TIMEOUT),
            url: url.to_string(),
            writer_schemas: HashMap::new(),
            decoders: HashMap::new(),
        }
    }

    /// Knows the writer schema with this id without asking the registry (a schema known
    /// ahead, or a decoder fed without a registry, as the fuzz targets do).
    pub fn with_writer_schema(mut self, id: u32, schema: &str) -> Self {
        self.writer_schemas
            .insert(id, AvroSchema::new(plain_uuid_strings(schema)));
        self
    }

    fn decoder_for(&mut self, id: u32) -> Result<&mut Decoder, FormatError> {
        if !self.decoders.contains_key(&id) {
            if !self.writer_schemas.contains_key(&id) {
                let text = self.registry.schema(id).map_err(|e| {
                    FormatError::Invalid(format!("schema id {id} is not in the registry at {}: {e}", self.url))
                })?;
                self.writer_schemas
                    .insert(id, AvroSchema::new(plain_uuid_strings(&text)));
            }
            let mut store = SchemaStore::new_with_type(FingerprintAlgorithm::Id);
            store
                .set(Fingerprint::Id(id), self.writer_schemas[&id].clone())
                .map_err(avro_error)?;
            let decoder = ReaderBuilder::new()
                .with_writer_schema_store(store)
                .with_batch_size(65_536)
                .build_decoder()
                .map_err(avro_error)?;
            self.decoders.insert(id, decoder);
        }
        Ok(self.decoders.get_mut(&id).expect("inserted above"))
    }
}

/// The decoded columns, by name, in the table's types.
fn conform(schema: &SchemaRef, batch: &RecordBatch) -> Result<RecordBatch, FormatError> {
    let columns = schema
        .fields()
        .iter()
        .map(|field| match batch.column_by_name(field.name()) {
            Some(column) => cast(column, field.data_type()).map_err(|e| {
                FormatError::Invalid(format!(
                    "AVRO field `{}` does not fit the column's type: {e}",
                    field.name()
                ))
            }),
            None if field.is_nullable() => Ok(new_null_array(field.data_type(), batch.num_rows())),
            None => Err(FormatError::Invalid(format!(
                "the records' AVRO schema has no field `{}`, and the column is NOT NULL",
                field.name()
            ))),
        })
        .collect::<Result<Vec<ArrayRef>, _>>()?;
    Ok(RecordBatch::try_new(schema.clone(), columns)?)
}

/// The schema with `{"type": "string", "logicalType": "uuid"}` as a plain string: on the wire it
/// is one, and Flink reads it as STRING (arrow-avro would decode it into 16 bytes).
fn plain_uuid_strings(schema: &str) -> String {
    fn walk(value: &mut serde_json::Value) {
        match value {
            serde_json::Value::Object(map) => {
                if map.get("type").and_then(|t| t.as_str()) == Some("string")
                    && map.get("logicalType").and_then(|t| t.as_str()) == Some("uuid")
                {
                    map.remove("logicalType");
                }
                map.values_mut().for_each(walk);
            }
            serde_json::Value::Array(items) => items.iter_mut().for_each(walk),
            _ => {}
        }
    }
    match serde_json::from_str::<serde_json::Value>(schema) {
        Ok(mut value) => {
            walk(&mut value);
            value.to_string()
        }
        Err(_) => schema.to_string(),
    }
}

fn schema_id(value: &[u8]) -> Result<u32, FormatError> {
    match value {
        [0, a, b, c, d, ..] => Ok(u32::from_be_bytes([*a, *b, *c, *d])),
        _ => Err(FormatError::Invalid(
            "a record is not in the Confluent wire format (magic byte 0, then a 4-byte schema id)".into(),
        )),
    }
}

impl ValueDecoder for ConfluentDecoder {
    fn decode(&mut self, values: &[&[u8]]) -> Result<RecordBatch, FormatError> {
        let mut batches = Vec::new();
        let mut index = 0;
        while index < values.len() {
            // A run of records written with one schema decodes as one batch.
            let id = schema_id(values[index])?;
            let decoder = self.decoder_for(id)?;
            while index < values.len() && schema_id(values[index])? == id {
                let value = values[index];
                let consumed = decoder.decode(value).map_err(avro_error)?;
                if consumed != value.len() {
                    return Err(FormatError::Invalid(format!(
                        "a record with schema id {id} does not decode with that schema ({consumed} of {} bytes read)",
                        value.len()
                    )));
                }
                index += 1;
            }
            if let Some(batch) = decoder.flush().map_err(avro_error)? {
                batches.push(conform(&self.schema, &batch)?);
            }
        }
        Ok(concat_batches(&self.schema, &batches)?)
    }
}

pub struct ConfluentEncoder {
    encoder: Encoder,
}

impl ConfluentEncoder {
    /// Registers the table's schema under `subject` and encodes with its id.
    pub fn new(schema: SchemaRef, url: &str, subject: &str) -> Result<Self, FormatError> {
        let avro = AvroSchema::try_from(schema.as_ref()).map_err(avro_error)?;
        let id = RegistryClient::new(url, REGISTRY_TIMEOUT)
            .register(subject, &avro.json_string)
            .map_err(|e| FormatError::Invalid(format!("registering `{subject}` at {url}: {e}")))?;
        let encoder = WriterBuilder::new(Arc::unwrap_or_clone(schema))
            .with_fingerprint_strategy(FingerprintStrategy::Id(id))
            .build_encoder::<AvroSoeFormat>()
            .map_err(avro_error)?;
        Ok(Self { encoder })
    }
}

impl ValueEncoder for ConfluentEncoder {
    fn encode(&mut self, batch: &RecordBatch) -> Result<Vec<Bytes>, FormatError> {
        self.encoder.encode(batch).map_err(avro_error)?;
        Ok(self.encoder.flush().iter().collect())
    }
}

/// Flink's `avro` format: the AVRO datum alone, in the schema derived from the table's
/// columns (field order and types decide the bytes; names do not).
pub struct PlainDecoder {
    schema: SchemaRef,
    decoder: Decoder,
    framed: Vec<u8>,
}

/// The id under which the table's own schema is stored for the decoder (never on the wire).
const TABLE_SCHEMA: u32 = 0;

impl PlainDecoder {
    pub fn new(schema: SchemaRef) -> Result<Self, FormatError> {
        let avro = AvroSchema::try_from(schema.as_ref()).map_err(avro_error)?;
        let mut store = SchemaStore::new_with_type(FingerprintAlgorithm::Id);
        store.set(Fingerprint::Id(TABLE_SCHEMA), avro).map_err(avro_error)?;
        let decoder = ReaderBuilder::new()
            .with_writer_schema_store(store)
            .with_batch_size(65_536)
            .build_decoder()
            .map_err(avro_error)?;
        Ok(Self {
            schema,
            decoder,
            framed: Vec::new(),
        })
    }
}

impl ValueDecoder for PlainDecoder {
    fn decode(&mut self, values: &[&[u8]]) -> Result<RecordBatch, FormatError> {
        for value in values {
            // The streaming decoder reads framed records: frame each with the table schema's id.
            self.framed.clear();
            self.framed.push(0);
            self.framed.extend_from_slice(&TABLE_SCHEMA.to_be_bytes());
            self.framed.extend_from_slice(value);
            let consumed = self.decoder.decode(&self.framed).map_err(avro_error)?;
            if consumed != self.framed.len() {
                return Err(FormatError::Invalid(format!(
                    "a record does not decode with the table's AVRO schema ({} of {} bytes read)",
                    consumed.saturating_sub(5),
                    value.len()
                )));
            }
        }
        match self.decoder.flush().map_err(avro_error)? {
            Some(batch) => conform(&self.schema, &batch),
            None => Ok(RecordBatch::new_empty(self.schema.clone())),
        }
    }
}

pub struct PlainEncoder {
    encoder: Encoder,
}

impl PlainEncoder {
    pub fn new(schema: SchemaRef) -> Result<Self, FormatError> {
        let encoder = WriterBuilder::new(Arc::unwrap_or_clone(schema))
            .build_encoder::<AvroBinaryFormat>()
            .map_err(avro_error)?;
        Ok(Self { encoder })
    }
}

impl ValueEncoder for PlainEncoder {
    fn encode(&mut self, batch: &RecordBatch) -> Result<Vec<Bytes>, FormatError> {
        self.encoder.encode(batch).map_err(avro_error)?;
        Ok(self.encoder.flush().iter().collect())
    }
}
