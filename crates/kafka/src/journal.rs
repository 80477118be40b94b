//! A journal on a compacted one-partition topic: records appended one at a time, each
//! acknowledged by the cluster before the call returns, and read back in order from the
//! beginning. The embedded schema registry keeps its schemas in one (`_schemas`, as
//! Confluent's registry does).
//!
//! The end is found by offset, never by the partition's reported end offset (tansu's memory
//! storage understates it): a reader asks for the records through an offset it appended.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::message::Message;
use rdkafka::producer::{FutureProducer, FutureRecord};
use rdkafka::{Offset, TopicPartitionList};

use crate::admin::{KafkaAdmin, TopicPlan};
use crate::client_config::ClientProperties;
use crate::error::KafkaError;

/// One record of the journal; `value` is `None` for a tombstone.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JournalRecord {
    pub offset: i64,
    pub key: Vec<u8>,
    pub value: Option<Vec<u8>>,
}

pub struct TopicJournal {
    servers: String,
    topic: String,
    producer: FutureProducer,
    consumer: BaseConsumer,
    timeout: Duration,
    /// The offset the next record read will have at least.
    next: i64,
}

impl TopicJournal {
    /// Opens the journal on `topic`, creating it when the cluster has none (one partition,
    /// `cleanup.policy=compact`, replicated up to three times as the brokers allow). Every
    /// call waits at most `timeout`.
    pub fn open(
        admin: &KafkaAdmin,
        producer: &ClientProperties,
        consumer: &ClientProperties,
        topic: &str,
        timeout: Duration,
    ) -> Result<Self, KafkaError> {
        let servers = producer.get("bootstrap.servers").unwrap_or_default().to_owned();
        let fail = |action: &str, reason: &dyn ToString| KafkaError::new(&servers, action, reason.to_string());
        match admin.partitions_if_exists(topic)? {
            Some(1) => {}
            Some(n) => {
                return Err(fail(
                    &format!("using `{topic}` to keep schemas"),
                    &format!("it has {n} partitions, and a schema journal must have exactly one"),
                ));
            }
            None => {
                let replication = admin.brokers()?.len().clamp(1, 3) as u16;
                let plan = TopicPlan {
                    name: topic.to_owned(),
                    partitions: 1,
                    replication_factor: replication,
                    config: BTreeMap::from([("cleanup.policy".to_owned(), "compact".to_owned())]),
                };
                if let Err(e) = admin.create_topics(&[plan]) {
                    // Another process may have created it in the meantime.
                    if admin.partitions_if_exists(topic)?.is_none() {
                        return Err(e);
                    }
                }
            }
        }
        let mut producer_config = producer.to_client_config();
        producer_config
            .set("acks", "all")
            .set("linger.ms", "0")
            .set("message.timeout.ms", timeout.as_millis().max(1).to_string());
        let producer: FutureProducer = producer_config
            .create()
            .map_err(|e| fail("creating the schema journal's producer", &producer.scrub(e)))?;
        let mut consumer_config = consumer.to_client_config();
        consumer_config
            .set("enable.auto.commit", "false")
            .set("fetch.wait.max.ms", "50")
            .set("fetch.min.bytes", "1");
        let consumer: BaseConsumer = consumer_config
            .create()
            .map_err(|e| fail("creating the schema journal's consumer", &consumer.scrub(e)))?;
        let mut assignment = TopicPartitionList::new();
        assignment
            .add_partition_offset(topic, 0, Offset::Beginning)
            .map_err(|e| fail(&format!("assigning `{topic}`"), &e))?;
        consumer
            .assign(&assignment)
            .map_err(|e| fail(&format!("assigning `{topic}`"), &e))?;
        Ok(Self {
            servers,
            topic: topic.to_owned(),
            producer,
            consumer,
            timeout,
            next: 0,
        })
    }

    pub fn topic(&self) -> &str {
        &self.topic
    }

    /// Appends a record; returns its offset once the cluster acknowledged it.
    pub fn append(&mut self, key: &[u8], value: Option<&[u8]>) -> Result<i64, KafkaError> {
        let mut record: FutureRecord<'_, [u8], [u8]> = FutureRecord::to(&self.topic).partition(0).key(key);
        if let Some(value) = value {
            record = record.payload(value);
        }
        let delivery = self
            .producer
            .send_result(record)
            .map_err(|(e, _)| KafkaError::new(&self.servers, format!("appending to `{}`", self.topic), e))?;
        match crate::admin::block_on(delivery) {
            Ok(Ok(delivered)) => Ok(delivered.offset),
            Ok(Err((e, _))) => Err(KafkaError::new(
                &self.servers,
                format!("appending to `{}`", self.topic),
                e,
            )),
            Err(_) => Err(KafkaError::new(
                &self.servers,
                format!("appending to `{}`", self.topic),
                "the producer went away",
            )),
        }
    }

    /// The records not read yet, up to and including `offset`; fails when they do not all
    /// arrive within the timeout.
    pub fn read_through(&mut self, offset: i64) -> Result<Vec<JournalRecord>, KafkaError> {
        let started = Instant::now();
        let mut out = Vec::new();
        while self.next <= offset {
            if started.elapsed() >= self.timeout {
                return Err(KafkaError::new(
                    &self.servers,
                    format!("reading `{}`", self.topic),
                    format!(
                        "offset {offset} did not arrive within {:?} (read up to {})",
                        self.timeout,
                        self.next - 1
                    ),
                ));
            }
            match self.consumer.poll(Duration::from_millis(100)) {
                Some(Ok(message)) => {
                    self.next = self.next.max(message.offset() + 1);
                    out.push(JournalRecord {
                        offset: message.offset(),
                        key: message.key().map(<[u8]>::to_vec).unwrap_or_default(),
                        value: message.payload().map(<[u8]>::to_vec),
                    });
                }
                Some(Err(error)) => tracing::debug!(%error, topic = %self.topic, "schema journal read"),
                None => {}
            }
        }
        Ok(out)
    }
}
