//! The embedded log: Kafka's model in process, for runs on one machine with nothing installed.
//!
//! Topics have partitions; records get offsets; keyed records go to the partition Kafka's
//! default partitioner would choose (murmur2), keyless ones round-robin; records carry a
//! timestamp and headers and are shared (`Arc`, `Bytes`), never copied, between producers and
//! consumers. Retention trims each partition by size and age, so memory stays bounded; what it
//! removes is counted, and a consumer that falls behind it is told so, not silently skipped.
//! Consumer groups commit offsets, from which lag follows.

mod murmur2;
mod record;
mod seam;
mod topic;

use std::collections::BTreeMap;
use std::sync::{Arc, RwLock};
use std::time::Duration;

pub use murmur2::{murmur2, partition_for_key};
pub use record::{Fetched, Record};
pub use seam::Log;
pub use topic::{OffsetOutOfRange, PartitionOffsets, Retention, TopicSpec};

use topic::Topic;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LogError {
    #[error("topic `{0}` already exists")]
    TopicExists(String),
    #[error("topic `{0}` does not exist")]
    UnknownTopic(String),
    #[error("topic `{topic}` has no partition {partition} (it has {partitions})")]
    UnknownPartition {
        topic: String,
        partition: u32,
        partitions: u32,
    },
    #[error("a topic needs at least one partition")]
    NoPartitions,
    /// The log could not be reached or refused the request (an external log: Kafka).
    #[error("{0}")]
    Unavailable(String),
    #[error(
        "offset {} of `{topic}` partition {partition} is out of range: records {}..{} are held (retention removed the older ones)",
        .range.offset, .range.start, .range.end
    )]
    OffsetOutOfRange {
        topic: String,
        partition: u32,
        range: OffsetOutOfRange,
    },
}

/// All topics, and the consumer groups' committed offsets.
#[derive(Default)]
pub struct EmbeddedLog {
    topics: RwLock<BTreeMap<String, Arc<Topic>>>,
    /// (group, topic, partition) → the next offset the group will read.
    committed: RwLock<BTreeMap<(String, String, u32), u64>>,
}

/// Where a produced record went.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Appended {
    pub partition: u32,
    pub offset: u64,
}

impl EmbeddedLog {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn create_topic(&self, spec: TopicSpec) -> Result<(), LogError> {
        if spec.partitions == 0 {
            return Err(LogError::NoPartitions);
        }
        let mut topics = self.topics.write().unwrap_or_else(|p| p.into_inner());
        if topics.contains_key(&spec.name) {
            return Err(LogError::TopicExists(spec.name));
        }
        topics.insert(spec.name.clone(), Arc::new(Topic::new(spec)));
        Ok(())
    }

    pub fn delete_topic(&self, name: &str) -> Result<(), LogError> {
        let removed = self.topics.write().unwrap_or_else(|p| p.into_inner()).remove(name);
        removed
            .map(|_| ())
            .ok_or_else(|| LogError::UnknownTopic(name.to_owned()))?;
        self.committed
            .write()
            .unwrap_or_else(|p| p.into_inner())
            .retain(|(_, topic, _), _| topic != name);
        Ok(())
    }

    pub fn topics(&self) -> Vec<TopicSpec> {
        self.topics
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .values()
            .map(|t| t.spec.clone())
            .collect()
    }

    fn topic(&self, name: &str) -> Result<Arc<Topic>, LogError> {
        self.topics
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .get(name)
            .cloned()
            .ok_or_else(|| LogError::UnknownTopic(name.to_owned()))
    }

    fn check_partition(topic: &Topic, partition: u32) -> Result<(), LogError> {
        if partition < topic.spec.partitions {
            Ok(())
        } else {
            Err(LogError::UnknownPartition {
                topic: topic.spec.name.clone(),
                partition,
                partitions: topic.spec.partitions,
            })
        }
    }

    /// Appends a record where Kafka's default partitioner would put it.
    pub fn produce(&self, topic: &str, record: Record) -> Result<Appended, LogError> {
        let topic = self.topic(topic)?;
        let partition = match &record.key {
            Some(key) => partition_for_key(key, topic.spec.partitions),
            None => {
                let n = topic.next_partition.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                (n % u64::from(topic.spec.partitions)) as u32
            }
        };
        let offset = topic.append(partition, [record]);
        Ok(Appended { partition, offset })
    }

    /// Appends records where Kafka's default partitioner would put each, one lock per partition
    /// touched; records of one partition keep their order.
    pub fn produce_all(&self, topic: &str, records: Vec<Record>) -> Result<(), LogError> {
        let topic = self.topic(topic)?;
        let partitions = topic.spec.partitions;
        let mut by_partition: Vec<Vec<Record>> = (0..partitions).map(|_| Vec::new()).collect();
        for record in records {
            let partition = match &record.key {
                Some(key) => partition_for_key(key, partitions),
                None => {
                    let n = topic.next_partition.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                    (n % u64::from(partitions)) as u32
                }
            };
            by_partition[partition as usize].push(record);
        }
        for (partition, records) in by_partition.into_iter().enumerate() {
            if !records.is_empty() {
                topic.append(partition as u32, records);
            }
        }
        Ok(())
    }

    /// Appends records to one partition, in order; returns the first one's offset.
    pub fn produce_to(&self, topic: &str, partition: u32, records: Vec<Record>) -> Result<u64, LogError> {
        let topic = self.topic(topic)?;
        Self::check_partition(&topic, partition)?;
        Ok(topic.append(partition, records))
    }

    /// Up to `max` records of a partition from `offset`, waiting up to `wait` for data.
    pub fn fetch(
        &self,
        topic: &str,
        partition: u32,
        offset: u64,
        max: usize,
        wait: Duration,
    ) -> Result<Vec<Fetched>, LogError> {
        let t = self.topic(topic)?;
        Self::check_partition(&t, partition)?;
        t.fetch(partition, offset, max, wait)
            .map_err(|range| LogError::OffsetOutOfRange {
                topic: topic.to_owned(),
                partition,
                range,
            })
    }

    pub fn offsets(&self, topic: &str) -> Result<Vec<PartitionOffsets>, LogError> {
        Ok(self.topic(topic)?.offsets())
    }

    pub fn commit(&self, group: &str, topic: &str, partition: u32, next_offset: u64) -> Result<(), LogError> {
        let t = self.topic(topic)?;
        Self::check_partition(&t, partition)?;
        self.committed
            .write()
            .unwrap_or_else(|p| p.into_inner())
            .insert((group.to_owned(), topic.to_owned(), partition), next_offset);
        Ok(())
    }

    pub fn committed(&self, group: &str, topic: &str, partition: u32) -> Option<u64> {
        self.committed
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .get(&(group.to_owned(), topic.to_owned(), partition))
            .copied()
    }

    /// Per partition: the end offset minus the group's committed offset (all of the held
    /// records when it committed nothing).
    pub fn lag(&self, group: &str, topic: &str) -> Result<Vec<(u32, u64)>, LogError> {
        Ok(self
            .offsets(topic)?
            .into_iter()
            .map(|o| {
                let committed = self
                    .committed(group, topic, o.partition)
                    .unwrap_or(o.start)
                    .max(o.start);
                (o.partition, o.end.saturating_sub(committed))
            })
            .collect())
    }
}
