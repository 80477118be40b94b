//! A topic: partitions, each an append-only sequence of records with offsets, trimmed from
//! the front by retention (size and age).

use std::collections::VecDeque;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, Instant};

use crate::record::{Fetched, Record};

/// How much a partition keeps. `None` keeps everything on that axis.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Retention {
    pub bytes_per_partition: Option<u64>,
    pub time: Option<Duration>,
}

impl Default for Retention {
    /// Bounded by default: an embedded log must not grow without limit while a load test runs.
    fn default() -> Self {
        Self {
            bytes_per_partition: Some(256 << 20),
            time: None,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TopicSpec {
    pub name: String,
    pub partitions: u32,
    pub retention: Retention,
}

impl TopicSpec {
    pub fn new(name: impl Into<String>, partitions: u32) -> Self {
        Self {
            name: name.into(),
            partitions,
            retention: Retention::default(),
        }
    }
}

struct Entry {
    record: Arc<Record>,
    appended: Instant,
    size: u64,
}

#[derive(Default)]
struct PartitionLog {
    /// Offset of the first record still held.
    start_offset: u64,
    entries: VecDeque<Entry>,
    bytes: u64,
}

impl PartitionLog {
    fn end_offset(&self) -> u64 {
        self.start_offset + self.entries.len() as u64
    }
}

pub(crate) struct Partition {
    log: Mutex<PartitionLog>,
    appended: Condvar,
    /// Records retention removed, for reporting a producer that outruns it.
    pub(crate) evicted: AtomicU64,
}

/// Offsets of one partition.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PartitionOffsets {
    pub partition: u32,
    /// The earliest offset still readable.
    pub start: u64,
    /// The offset the next record gets (the high watermark).
    pub end: u64,
    /// What the partition holds, where the log says (Kafka's protocol does not).
    pub bytes: Option<u64>,
    /// Records removed by retention so far.
    pub evicted: u64,
}

pub(crate) struct Topic {
    pub spec: TopicSpec,
    pub partitions: Vec<Partition>,
    /// For keyless records: round-robin over partitions.
    pub next_partition: AtomicU64,
}

impl Topic {
    pub fn new(spec: TopicSpec) -> Self {
        let partitions = (0..spec.partitions)
            .map(|_| Partition {
                log: Mutex::new(PartitionLog::default()),
                appended: Condvar::new(),
                evicted: AtomicU64::new(0),
            })
            .collect();
        Self {
            spec,
            partitions,
            next_partition: AtomicU64::new(0),
        }
    }

    /// Appends records to one partition; returns the offset of the first.
    pub fn append(&self, partition: u32, records: impl IntoIterator<Item = Record>) -> u64 {
        let p = &self.partitions[partition as usize];
        let now = Instant::now();
        let mut log = p.log.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        let first = log.end_offset();
        for record in records {
            let size = record.size();
            log.bytes += size;
            log.entries.push_back(Entry {
                record: Arc::new(record),
                appended: now,
                size,
            });
        }
        let evicted = self.enforce_retention(&mut log, now);
        drop(log);
        if evicted > 0 {
            p.evicted.fetch_add(evicted, Ordering::Relaxed);
        }
        p.appended.notify_all();
        first
    }

    fn enforce_retention(&self, log: &mut PartitionLog, now: Instant) -> u64 {
        let retention = self.spec.retention;
        let mut evicted = 0;
        // The newest record always stays, so the end offset is always readable.
        while log.entries.len() > 1 {
            let front = &log.entries[0];
            let over_size = retention.bytes_per_partition.is_some_and(|limit| log.bytes > limit);
            let too_old = retention
                .time
                .is_some_and(|age| now.duration_since(front.appended) > age);
            if !(over_size || too_old) {
                break;
            }
            log.bytes -= front.size;
            log.entries.pop_front();
            log.start_offset += 1;
            evicted += 1;
        }
        evicted
    }

    /// Up to `max` records from `offset`, waiting up to `wait` for the first one to arrive.
    pub fn fetch(
        &self,
        partition: u32,
        offset: u64,
        max: usize,
        wait: Duration,
    ) -> Result<Vec<Fetched>, OffsetOutOfRange> {
        let p = &self.partitions[partition as usize];
        let deadline = Instant::now() + wait;
        let mut log = p.log.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        loop {
            if offset < log.start_offset || offset > log.end_offset() {
                return Err(OffsetOutOfRange {
                    offset,
                    start: log.start_offset,
                    end: log.end_offset(),
                });
            }
            if offset < log.end_offset() {
                let skip = (offset - log.start_offset) as usize;
                return Ok(log
                    .entries
                    .iter()
                    .skip(skip)
                    .take(max)
                    .enumerate()
                    .map(|(i, e)| Fetched {
                        partition,
                        offset: offset + i as u64,
                        record: e.record.clone(),
                    })
                    .collect());
            }
            let now = Instant::now();
            if now >= deadline {
                return Ok(Vec::new());
            }
            log = p
                .appended
                .wait_timeout(log, deadline - now)
                .map(|(guard, _)| guard)
                .unwrap_or_else(|poisoned| poisoned.into_inner().0);
        }
    }

    pub fn offsets(&self) -> Vec<PartitionOffsets> {
        self.partitions
            .iter()
            .enumerate()
            .map(|(i, p)| {
                let log = p.log.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
                PartitionOffsets {
                    partition: i as u32,
                    start: log.start_offset,
                    end: log.end_offset(),
                    bytes: Some(log.bytes),
                    evicted: p.evicted.load(Ordering::Relaxed),
                }
            })
            .collect()
    }
}

/// A fetch below what retention kept, or past the end.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OffsetOutOfRange {
    pub offset: u64,
    pub start: u64,
    pub end: u64,
}
