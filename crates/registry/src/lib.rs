//! The schema registry seam: an embedded registry ([`EmbeddedRegistry`]) that serves
//! Confluent's REST API on 127.0.0.1 for runs without a registry, and a client
//! ([`RegistryClient`]) for any Confluent-compatible one, tested against the embedded one.
//! Compatibility rules (BACKWARD by default, as Confluent's) are checked with apache-avro's
//! reader/writer schema resolution.

mod client;
mod server;
mod store;

pub use client::{RegistryClient, RegistryError};
pub use server::{CONTENT_TYPE, EmbeddedRegistry};
pub use store::{Compatibility, RegistryStore, StoreError, SubjectVersion};

/// Confluent's default subject naming (TopicNameStrategy): `<topic>-value` / `<topic>-key`.
pub fn topic_subject(topic: &str, is_key: bool) -> String {
    format!("{topic}-{}", if is_key { "key" } else { "value" })
}
