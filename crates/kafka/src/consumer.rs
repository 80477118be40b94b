//! Reading a topic back: every partition assigned from the earliest offset (no group join, so
//! no rebalance wait), until the expected count or a quiet period.

use std::time::{Duration, Instant};

use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::message::Message;
use rdkafka::{Offset, TopicPartitionList};

use crate::client_config::ClientProperties;
use crate::error::KafkaError;

/// One record read back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Consumed {
    pub partition: i32,
    pub offset: i64,
    pub key: Option<Vec<u8>>,
    pub value: Vec<u8>,
    pub timestamp_ms: Option<i64>,
}

pub struct TopicReader {
    consumer: BaseConsumer,
}

impl TopicReader {
    pub fn new(properties: &ClientProperties, topic: &str, partitions: u32) -> Result<Self, KafkaError> {
        let servers = properties.get("bootstrap.servers").unwrap_or_default().to_owned();
        let consumer: BaseConsumer = properties
            .to_client_config()
            .create()
            .map_err(|e| KafkaError::new(&servers, "creating the consumer", properties.scrub(e)))?;
        let mut assignment = TopicPartitionList::new();
        for partition in 0..partitions as i32 {
            assignment
                .add_partition_offset(topic, partition, Offset::Beginning)
                .map_err(|e| KafkaError::new(&servers, format!("assigning `{topic}`"), e))?;
        }
        consumer
            .assign(&assignment)
            .map_err(|e| KafkaError::new(&servers, format!("assigning `{topic}`"), e))?;
        Ok(Self { consumer })
    }

    /// Reads until `expected` records arrived, or nothing came for `quiet`, or `limit` passed.
    pub fn read(&self, expected: usize, quiet: Duration, limit: Duration) -> Vec<Consumed> {
        let started = Instant::now();
        let mut last = Instant::now();
        let mut out = Vec::with_capacity(expected.min(1 << 16));
        while out.len() < expected && last.elapsed() < quiet && started.elapsed() < limit {
            match self.consumer.poll(Duration::from_millis(100)) {
                Some(Ok(message)) => {
                    last = Instant::now();
                    out.push(Consumed {
                        partition: message.partition(),
                        offset: message.offset(),
                        key: message.key().map(<[u8]>::to_vec),
                        value: message.payload().map(<[u8]>::to_vec).unwrap_or_default(),
                        timestamp_ms: message.timestamp().to_millis(),
                    });
                }
                Some(Err(error)) => tracing::warn!(%error, "consumer error"),
                None => {}
            }
        }
        out
    }
}
