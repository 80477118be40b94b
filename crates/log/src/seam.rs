//! The log seam: what a pipeline's parts (the engine's Kafka connector, the run's producer and
//! consumers) need from a log, whichever log it is.

use crate::{EmbeddedLog, Fetched, LogError, PartitionOffsets, Record};

pub trait Log: Send + Sync {
    /// Each partition's held range of offsets.
    fn offsets(&self, topic: &str) -> Result<Vec<PartitionOffsets>, LogError>;

    /// Up to `max` records of a partition from `offset`, without waiting: an empty answer
    /// means nothing new yet.
    fn read(&self, topic: &str, partition: u32, offset: u64, max: usize) -> Result<Vec<Fetched>, LogError>;

    /// Appends records, each to the partition Kafka's default partitioner would choose.
    fn append(&self, topic: &str, records: Vec<Record>) -> Result<(), LogError>;

    /// Records that `group` will read `partition` from `next_offset` on.
    fn commit(&self, group: &str, topic: &str, partition: u32, next_offset: u64) -> Result<(), LogError>;

    /// Per partition, the records `group` has not read yet.
    fn lag(&self, group: &str, topic: &str) -> Result<Vec<(u32, u64)>, LogError>;
}

impl Log for EmbeddedLog {
    fn offsets(&self, topic: &str) -> Result<Vec<PartitionOffsets>, LogError> {
        EmbeddedLog::offsets(self, topic)
    }

    fn read(&self, topic: &str, partition: u32, offset: u64, max: usize) -> Result<Vec<Fetched>, LogError> {
        self.fetch(topic, partition, offset, max, std::time::Duration::ZERO)
    }

    fn append(&self, topic: &str, records: Vec<Record>) -> Result<(), LogError> {
        self.produce_all(topic, records)
    }

    fn commit(&self, group: &str, topic: &str, partition: u32, next_offset: u64) -> Result<(), LogError> {
        EmbeddedLog::commit(self, group, topic, partition, next_offset)
    }

    fn lag(&self, group: &str, topic: &str) -> Result<Vec<(u32, u64)>, LogError> {
        EmbeddedLog::lag(self, group, topic)
    }
}
