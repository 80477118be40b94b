//! The log seam on Apache Kafka (any Kafka-protocol cluster) through librdkafka: admin
//! (topics, offsets, lag), the load generator's sink with delivery reports, a reader, and a
//! journal on a compacted topic (where the embedded schema registry keeps its schemas).
//! Every `kafka.producer`, `kafka.consumer` and `kafka.security` key maps to its librdkafka
//! property; `properties` pass through verbatim; secrets never reach a log.

mod admin;
mod client_config;
mod consumer;
mod error;
mod journal;
mod ledger;
mod log;
mod producer;

pub use admin::{KafkaAdmin, PartitionOffsets, TopicPlan};
pub use client_config::{ClientProperties, consumer_properties, producer_properties};
pub use consumer::{Consumed, TopicReader};
pub use error::KafkaError;
pub use journal::{JournalRecord, TopicJournal};
pub use ledger::{TopicLedger, run_topic_name};
pub use log::KafkaLog;
pub use producer::KafkaSink;
