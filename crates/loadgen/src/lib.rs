//! pipegen's load generator: realistic records from any AVRO schema, encoded as the source
//! table's format reads them, sent on an open-loop schedule, measured without coordinated
//! omission.
//!
//! - [`plan`]: the rate plan (base rate, duration, cap, traffic patterns) and every message's
//!   intended send time.
//! - [`RecordGenerator`]: values for every AVRO type, realistic by default (field names decide:
//!   emails, names, cities, prices, bounded `*_id` keys...), tunable with `arg.properties`
//!   hints, deterministic for a seed; encoded straight into bytes as avro-confluent, avro,
//!   json, csv or raw.
//! - [`driver::drive`]: the open-loop sender into a [`sink::Sink`], recording into one
//!   [`metrics::Recorder`]: per-second timeline, publish latency and publish delay histograms.

mod compile;
mod consistent;
pub mod driver;
pub mod follow;
mod generate;
mod hints;
pub mod metrics;
mod node;
pub mod out;
pub mod plan;
mod references;
mod seconds;
mod seed;
mod semantic;
pub mod sink;
mod time;

use rand::SeedableRng;
use rand::rngs::Xoshiro256PlusPlus;

use crate::compile::Compiler;
use crate::generate::Ctx;
use crate::node::{Kind, Node};
use crate::out::{AvroOut, CsvOut, JsonOut, KeyTee, Out};
use crate::semantic::Pools;

pub use crate::follow::{FollowSpec, Leads};
pub use crate::references::References;
pub use crate::seed::table_seed;

/// A schema or hint the generator cannot work with.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct GeneratorError {
    pub message: String,
    pub hint: String,
}

/// The wire format of a source table (its `format` option).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// Magic byte 0, the 4-byte big-endian schema id, then the AVRO datum.
    AvroConfluent {
        schema_id: u32,
    },
    /// The AVRO datum alone.
    Avro,
    Json,
    Csv,
    /// The single column's bytes.
    Raw,
}

impl Format {
    /// The format for a Flink `format` option; `avro-confluent` needs the registered schema id.
    pub fn from_flink(name: &str, schema_id: Option<u32>) -> Result<Format, GeneratorError> {
        match name {
            "avro-confluent" => Ok(Format::AvroConfluent {
                schema_id: schema_id.unwrap_or(0),
            }),
            "avro" => Ok(Format::Avro),
            "json" => Ok(Format::Json),
            "csv" => Ok(Format::Csv),
            "raw" => Ok(Format::Raw),
            other => Err(GeneratorError {
                message: format!("the load generator cannot write format '{other}'"),
                hint: "use avro-confluent, avro, json, csv or raw for tables pipegen produces into".into(),
            }),
        }
    }
}

#[derive(Debug, Clone, Default)]
pub struct GeneratorOptions {
    pub seed: u64,
    /// The top-level field whose value becomes the record key (partitioning by key).
    pub key_field: Option<String>,
    /// The tables the schema's fields may reference (`references` hints).
    pub references: References,
    /// The seed of values held still per key (`per` hints): the same for every table of a
    /// run, so that tables agree on them.
    pub shared_seed: u64,
    /// A top-level field whose value the caller gives for each record ([`RecordGenerator::next_given`]).
    pub given_field: Option<String>,
}

/// Produces records for one schema, one at a time, into buffers the caller reuses.
pub struct RecordGenerator {
    fields: Vec<node::Field>,
    ctx: Ctx,
    format: Format,
    key_index: Option<usize>,
    /// The field this table's records follow another's by, when one does.
    follows: Option<FollowSpec>,
    /// The field followers carry, and the followers.
    led_index: Option<usize>,
    followers: Vec<follow::FollowerLink>,
    /// Per top-level field, whether its value's text is kept (the record key, the field
    /// followers carry, a key other fields are drawn `per`), and that text for the record
    /// just written.
    capture: Vec<bool>,
    captured: Vec<Vec<u8>>,
    shared_seed: u64,
    /// Which records get a follower and when: a stream of its own, so that values do not
    /// shift when a follower is added.
    follow_rng: Xoshiro256PlusPlus,
}

impl RecordGenerator {
    pub fn new(schema_json: &str, format: Format, options: GeneratorOptions) -> Result<Self, GeneratorError> {
        let schema: serde_json::Value = serde_json::from_str(schema_json).map_err(|e| GeneratorError {
            message: format!("the schema is not JSON: {e}"),
            hint: "check it with `pipegen validate`".into(),
        })?;
        // Pools and values draw from separate streams, so adding a pool does not shift every
        // value; pools from the run's shared seed, so that its tables share them.
        let pools = Pools::new(options.shared_seed ^ 0x5eed_9001);
        let mut compiler = Compiler::new(pools, &schema, options.references.clone());
        compiler.given = options.given_field.clone();
        let root: Node = compiler.compile(&schema, "record", false, Default::default())?;
        let Kind::Record { fields } = root.kind else {
            return Err(GeneratorError {
                message: "the schema's top level is not a record".into(),
                hint: "records are what Kafka tables hold: wrap the fields in a record".into(),
            });
        };
        if let Some(given) = &options.given_field
            && !fields.iter().any(|f| &f.name == given)
        {
            return Err(GeneratorError {
                message: format!("the schema has no field `{given}`"),
                hint: format!(
                    "fields: {}",
                    fields.iter().map(|f| f.name.as_str()).collect::<Vec<_>>().join(", ")
                ),
            });
        }
        if format == Format::Raw && fields.len() != 1 {
            return Err(GeneratorError {
                message: format!(
                    "the raw format holds one column, but the schema has {} fields",
                    fields.len()
                ),
                hint: "use json, csv or avro for records with several fields".into(),
            });
        }
        let key_index = match &options.key_field {
            None => None,
            Some(name) => Some(
                fields
                    .iter()
                    .position(|f| &f.name == name)
                    .ok_or_else(|| GeneratorError {
                        message: format!("the key field `{name}` is not a field of the schema"),
                        hint: format!(
                            "fields: {}",
                            fields.iter().map(|f| f.name.as_str()).collect::<Vec<_>>().join(", ")
                        ),
                    })?,
            ),
        };
        let ctx = Ctx::new(Xoshiro256PlusPlus::seed_from_u64(options.seed), compiler.counters);
        let mut capture = vec![false; fields.len()];
        for index in key_index.iter().copied().chain(fields.iter().filter_map(|f| f.per)) {
            capture[index] = true;
        }
        Ok(Self {
            captured: vec![Vec::new(); fields.len()],
            capture,
            shared_seed: options.shared_seed,
            fields,
            ctx,
            format,
            key_index,
            follows: compiler.follows,
            led_index: None,
            followers: Vec::new(),
            follow_rng: Xoshiro256PlusPlus::seed_from_u64(options.seed ^ 0xf0_110e),
        })
    }

    /// Writes the next record with the given field's value `given` (its text).
    pub fn next_given(&mut self, given: &str, event_micros: i64, key: &mut Vec<u8>, value: &mut Vec<u8>) {
        self.ctx.given.clear();
        self.ctx.given.push_str(given);
        self.next_record(event_micros, key, value);
    }

    pub fn format(&self) -> Format {
        self.format
    }

    /// Writes the next record: its key (when a key field is set; `key` is left empty
    /// otherwise) and its value, both replacing the buffers' contents. `event_micros`, the
    /// intended send time, becomes the record's event time.
    pub fn next_record(&mut self, event_micros: i64, key: &mut Vec<u8>, value: &mut Vec<u8>) {
        key.clear();
        value.clear();
        self.ctx.event_micros = event_micros;
        match self.format {
            Format::AvroConfluent { schema_id } => {
                value.push(0);
                value.extend_from_slice(&schema_id.to_be_bytes());
                self.write_record(&mut AvroOut::new(value), key);
            }
            Format::Avro => self.write_record(&mut AvroOut::new(value), key),
            Format::Json => self.write_record(&mut JsonOut::new(value), key),
            Format::Csv => self.write_record(&mut CsvOut::new(value), key),
            Format::Raw => self.write_raw(value, key),
        }
    }

    /// Writes one record into any writer (tests and other encoders use this).
    pub fn write_to<O: Out>(&mut self, event_micros: i64, out: &mut O) {
        self.ctx.event_micros = event_micros;
        let mut unused = Vec::new();
        self.write_record(out, &mut unused);
    }

    fn write_record<O: Out>(&mut self, out: &mut O, key: &mut Vec<u8>) {
        out.begin_record(self.fields.len());
        for (index, field) in self.fields.iter().enumerate() {
            out.field(&field.name);
            // A value held still per key draws from that key's own generator.
            let own_rng = field
                .per
                .map(|key| consistent::rng(self.shared_seed, &field.name, &self.captured[key]));
            let saved = own_rng.map(|rng| std::mem::replace(&mut self.ctx.rng, rng));
            if self.capture[index] {
                let text = &mut self.captured[index];
                text.clear();
                generate::write(&field.node, &mut self.ctx, &mut KeyTee { inner: out, key: text });
            } else {
                generate::write(&field.node, &mut self.ctx, out);
            }
            if let Some(saved) = saved {
                self.ctx.rng = saved;
            }
        }
        out.end_record();
        if let Some(index) = self.key_index {
            key.extend_from_slice(&self.captured[index]);
        }
    }

    /// The single column as bytes: text for strings and numbers, the bytes themselves for bytes.
    fn write_raw(&mut self, value: &mut Vec<u8>, key: &mut Vec<u8>) {
        let mut text = Vec::new();
        let mut discarded = Vec::new();
        let mut sink = CsvOut::new(&mut discarded);
        let mut tee = KeyTee {
            inner: &mut sink,
            key: &mut text,
        };
        generate::write(&self.fields[0].node, &mut self.ctx, &mut tee);
        value.extend_from_slice(&text);
        if self.capture[0] {
            self.captured[0].clone_from(&text);
        }
        if self.key_index.is_some() {
            key.extend_from_slice(&text);
        }
    }
}
