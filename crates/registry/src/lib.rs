//! The schema registry seam: an embedded registry ([`EmbeddedRegistry`]) that serves
//! Confluent's REST API on 127.0.0.1 for runs without a registry, and a client
//! ([`RegistryClient`]) for any Confluent-compatible one, tested against the embedded one.
//! Compatibility rules (BACKWARD by default, as Confluent's) are checked with apache-avro's
//! reader/writer schema resolution. Given a [`JournalTransport`] (on a Kafka cluster: the
//! `_schemas` topic, as Confluent's registry keeps it), the embedded registry keeps what it
//! registers there, so schema ids mean the same schema in every run on that cluster.
//!
//! The server answers only requests addressed to it by its own address (`Host`), refuses
//! state-changing requests from other origins and bodies a browser could post cross-origin.

mod client;
pub mod journal;
mod server;
mod store;

pub use client::{RegistryClient, RegistryError};
pub use journal::{JournalError, JournalTransport, MemoryJournal, RawRecord, SCHEMAS_TOPIC};
pub use server::{CONTENT_TYPE, EmbeddedRegistry};
pub use store::{Compatibility, Deleted, Registration, RegistryStore, StoreError, SubjectVersion};

/// Confluent's default subject naming (TopicNameStrategy): `<topic>-value` / `<topic>-key`.
pub fn topic_subject(topic: &str, is_key: bool) -> String {
    format!("{topic}-{}", if is_key { "key" } else { "value" })
}
