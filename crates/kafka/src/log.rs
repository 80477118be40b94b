//! The log seam on Kafka: what the embedded engine and the run's consumers ask of a log
//! (offsets, reads from an offset without waiting, appends, group commits, lag), answered by a
//! real cluster, so that a pipeline runs unchanged on the embedded log or on Kafka.
//!
//! Reads keep one assigned consumer per partition, positioned where the last read ended, so a
//! reader that goes on from there costs no seek; librdkafka fetches ahead in the background and
//! a read takes what has arrived. Appends wait for the cluster's acknowledgement of every record
//! of the batch, so a sink's write is done when the call returns, or failed with the reason.
//! An empty value stands for a tombstone (a null value on Kafka), as on the embedded log.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use bytes::Bytes;
use pipegen_log::{Fetched, Log, LogError, OffsetOutOfRange, PartitionOffsets, Record};
use rdkafka::consumer::{BaseConsumer, CommitMode, Consumer};
use rdkafka::error::{KafkaError as RdKafkaError, RDKafkaErrorCode};
use rdkafka::message::{Header, Headers, Message, OwnedHeaders};
use rdkafka::producer::{BaseRecord, DeliveryResult, Producer, ProducerContext, ThreadedProducer};
use rdkafka::{ClientContext, Offset, TopicPartitionList};

use crate::admin::KafkaAdmin;
use crate::client_config::ClientProperties;
use crate::error::KafkaError;

/// What each partition's reader fetches ahead, at most, in kilobytes.
const READ_AHEAD_KB: u32 = 8 * 1024;

/// How long an append waits for the cluster to acknowledge its records.
const APPEND_TIMEOUT: Duration = Duration::from_secs(60);
/// How often a waiting append looks whether the run stopped waiting.
const STOP_CHECK: Duration = Duration::from_millis(100);

pub struct KafkaLog {
    servers: String,
    admin: KafkaAdmin,
    /// Consumer settings (security, fetch tuning) every reader and committer starts from.
    consumer_properties: ClientProperties,
    producer: ThreadedProducer<BatchDeliveries>,
    readers: Mutex<HashMap<(String, u32), SharedReader>>,
    committers: Mutex<HashMap<String, Arc<BaseConsumer>>>,
    /// Set when whoever writes through this log stops waiting for acknowledgements.
    stopped: AtomicBool,
}

type SharedReader = Arc<Mutex<PartitionReader>>;

struct PartitionReader {
    consumer: BaseConsumer,
    /// The offset the consumer's next record has; `None` before the first assignment.
    next: Option<u64>,
}

impl KafkaLog {
    /// `producer` carries the producer tuning (acks, batching, compression) appends use;
    /// `consumer` the fetch tuning of reads. Nothing connects until the first call.
    pub fn new(
        admin: KafkaAdmin,
        producer: &ClientProperties,
        consumer: &ClientProperties,
    ) -> Result<Self, KafkaError> {
        let servers = producer.get("bootstrap.servers").unwrap_or_default().to_owned();
        let producer = producer
            .to_client_config()
            .create_with_context(BatchDeliveries)
            .map_err(|e| KafkaError::new(&servers, "creating the producer", producer.scrub(e)))?;
        Ok(Self {
            servers,
            admin,
            consumer_properties: consumer.clone(),
            producer,
            readers: Mutex::default(),
            committers: Mutex::default(),
            stopped: AtomicBool::new(false),
        })
    }

    /// Appends waiting for the cluster's acknowledgement stop waiting, now and from now on
    /// (failing with what is still unacknowledged): the run is ending.
    pub fn stop_waiting(&self) {
        self.stopped.store(true, Ordering::SeqCst);
    }

    fn unavailable(&self, action: &str, reason: impl ToString) -> LogError {
        LogError::Unavailable(KafkaError::new(&self.servers, action, reason).to_string())
    }

    fn reader(&self, topic: &str, partition: u32) -> Result<SharedReader, LogError> {
        let mut readers = lock(&self.readers);
        if let Some(reader) = readers.get(&(topic.to_owned(), partition)) {
            return Ok(reader.clone());
        }
        let mut config = self.consumer_properties.to_client_config();
        // A position outside the held range is reported (retention removed records), never
        // silently moved.
        config.set("auto.offset.reset", "error");
        // librdkafka prefetches up to 64 MB per consumer by default; with one consumer per
        // partition that adds up, so each holds less ahead unless the user says otherwise.
        if self.consumer_properties.get("queued.max.messages.kbytes").is_none() {
            config.set("queued.max.messages.kbytes", READ_AHEAD_KB.to_string());
        }
        let consumer: BaseConsumer = config.create().map_err(|e| {
            self.unavailable(
                &format!("creating a reader of `{topic}`"),
                self.consumer_properties.scrub(e),
            )
        })?;
        let reader = Arc::new(Mutex::new(PartitionReader { consumer, next: None }));
        readers.insert((topic.to_owned(), partition), reader.clone());
        Ok(reader)
    }

    fn committer(&self, group: &str) -> Result<Arc<BaseConsumer>, LogError> {
        let mut committers = lock(&self.committers);
        if let Some(committer) = committers.get(group) {
            return Ok(committer.clone());
        }
        let mut config = self.consumer_properties.to_client_config();
        config.set("group.id", group).set("enable.auto.commit", "false");
        let consumer: BaseConsumer = config.create().map_err(|e| {
            self.unavailable(
                &format!("creating a committer for group `{group}`"),
                self.consumer_properties.scrub(e),
            )
        })?;
        let consumer = Arc::new(consumer);
        committers.insert(group.to_owned(), consumer.clone());
        Ok(consumer)
    }

    fn out_of_range(&self, topic: &str, partition: u32, offset: u64) -> LogError {
        match self.offsets(topic) {
            Ok(offsets) => {
                let held = offsets.iter().find(|o| o.partition == partition);
                LogError::OffsetOutOfRange {
                    topic: topic.to_owned(),
                    partition,
                    range: OffsetOutOfRange {
                        offset,
                        start: held.map_or(0, |o| o.start),
                        end: held.map_or(0, |o| o.end),
                    },
                }
            }
            Err(e) => e,
        }
    }
}

impl Log for KafkaLog {
    fn offsets(&self, topic: &str) -> Result<Vec<PartitionOffsets>, LogError> {
        let offsets = self
            .admin
            .offsets_if_exists(topic)
            .map_err(|e| LogError::Unavailable(e.to_string()))?
            .ok_or_else(|| LogError::UnknownTopic(topic.to_owned()))?;
        Ok(offsets
            .into_iter()
            .map(|o| PartitionOffsets {
                partition: o.partition as u32,
                start: o.earliest.max(0) as u64,
                end: o.latest.max(0) as u64,
                bytes: None,
                // Offsets start at 0: what lies below the earliest held one was removed.
                evicted: o.earliest.max(0) as u64,
            })
            .collect())
    }

    fn read(&self, topic: &str, partition: u32, offset: u64, max: usize) -> Result<Vec<Fetched>, LogError> {
        let reader = self.reader(topic, partition)?;
        let mut reader = lock(&reader);
        if reader.next != Some(offset) {
            let mut assignment = TopicPartitionList::new();
            assignment
                .add_partition_offset(topic, partition as i32, Offset::Offset(offset as i64))
                .and_then(|()| reader.consumer.assign(&assignment))
                .map_err(|e| self.unavailable(&format!("reading `{topic}` partition {partition}"), e))?;
            reader.next = Some(offset);
        }
        let mut fetched = Vec::new();
        while fetched.len() < max {
            match reader.consumer.poll(Duration::ZERO) {
                None => break,
                Some(Ok(message)) => fetched.push(Fetched {
                    partition,
                    offset: message.offset() as u64,
                    record: Arc::new(Record {
                        key: message.key().map(Bytes::copy_from_slice),
                        value: message.payload().map(Bytes::copy_from_slice).unwrap_or_default(),
                        timestamp_ms: message.timestamp().to_millis().unwrap_or_default(),
                        headers: message.headers().map_or_else(Vec::new, |headers| {
                            headers
                                .iter()
                                .map(|h| {
                                    (
                                        h.key.to_owned(),
                                        h.value.map(Bytes::copy_from_slice).unwrap_or_default(),
                                    )
                                })
                                .collect()
                        }),
                    }),
                }),
                Some(Err(error)) if is_out_of_range(&error) => {
                    reader.next = None;
                    return Err(self.out_of_range(topic, partition, offset));
                }
                // Transient fetch trouble (a broker restarting): librdkafka retries; the
                // reader tries again on its next call.
                Some(Err(error)) => {
                    tracing::debug!(%error, topic, partition, "fetch error");
                    break;
                }
            }
        }
        if let Some(last) = fetched.last() {
            reader.next = Some(last.offset + 1);
        }
        Ok(fetched)
    }

    fn append(&self, topic: &str, records: Vec<Record>) -> Result<(), LogError> {
        if records.is_empty() {
            return Ok(());
        }
        let batch = Arc::new(Batch::new(records.len()));
        for record in &records {
            let headers = record
                .headers
                .iter()
                .fold(OwnedHeaders::new(), |headers, (key, value)| {
                    headers.insert(Header {
                        key,
                        value: Some(value.as_ref()),
                    })
                });
            let mut message = BaseRecord::with_opaque_to(topic, batch.clone())
                .timestamp(record.timestamp_ms)
                .headers(headers);
            if !record.value.is_empty() {
                message = message.payload(record.value.as_ref());
            }
            if let Some(key) = &record.key {
                message = message.key(key.as_ref());
            }
            loop {
                match self.producer.send(message) {
                    Ok(()) => break,
                    Err((RdKafkaError::MessageProduction(RDKafkaErrorCode::QueueFull), returned)) => {
                        message = returned;
                        std::thread::sleep(Duration::from_millis(1));
                    }
                    Err((error, returned)) => {
                        batch.done(Some(error.to_string()));
                        drop(returned);
                        break;
                    }
                }
            }
        }
        batch
            .wait(APPEND_TIMEOUT, &self.stopped)
            .map_err(|reason| self.unavailable(&format!("writing to `{topic}`"), reason))
    }

    fn commit(&self, group: &str, topic: &str, partition: u32, next_offset: u64) -> Result<(), LogError> {
        let committer = self.committer(group)?;
        let mut offsets = TopicPartitionList::new();
        offsets
            .add_partition_offset(topic, partition as i32, Offset::Offset(next_offset as i64))
            .and_then(|()| committer.commit(&offsets, CommitMode::Async))
            .map_err(|e| self.unavailable(&format!("committing for group `{group}`"), e))
    }

    fn lag(&self, group: &str, topic: &str) -> Result<Vec<(u32, u64)>, LogError> {
        Ok(self
            .admin
            .lag(group, topic)
            .map_err(|e| LogError::Unavailable(e.to_string()))?
            .into_iter()
            .map(|(partition, lag)| (partition as u32, lag.max(0) as u64))
            .collect())
    }
}

fn is_out_of_range(error: &RdKafkaError) -> bool {
    matches!(
        error.rdkafka_error_code(),
        Some(RDKafkaErrorCode::OffsetOutOfRange | RDKafkaErrorCode::AutoOffsetReset)
    )
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// The records of one append still waiting for the cluster, and the first failure among them.
struct Batch {
    state: Mutex<(usize, Option<String>)>,
    settled: Condvar,
}

impl Batch {
    fn new(records: usize) -> Self {
        Self {
            state: Mutex::new((records, None)),
            settled: Condvar::new(),
        }
    }

    fn done(&self, failure: Option<String>) {
        let mut state = lock(&self.state);
        state.0 = state.0.saturating_sub(1);
        if state.1.is_none() {
            state.1 = failure;
        }
        if state.0 == 0 {
            self.settled.notify_all();
        }
    }

    /// Waits until every record has its outcome, `timeout` passes or `stopped` is set.
    fn wait(&self, timeout: Duration, stopped: &AtomicBool) -> Result<(), String> {
        let deadline = Instant::now() + timeout;
        let mut state = lock(&self.state);
        while state.0 > 0 {
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return Err(format!(
                    "{} records not acknowledged within {}s",
                    state.0,
                    timeout.as_secs()
                ));
            }
            if stopped.load(Ordering::SeqCst) {
                return Err(format!("{} records not acknowledged when the run stopped", state.0));
            }
            state = self
                .settled
                .wait_timeout(state, left.min(STOP_CHECK))
                .unwrap_or_else(|poisoned| poisoned.into_inner())
                .0;
        }
        match state.1.take() {
            Some(failure) => Err(failure),
            None => Ok(()),
        }
    }
}

struct BatchDeliveries;

impl ClientContext for BatchDeliveries {}

impl ProducerContext for BatchDeliveries {
    type DeliveryOpaque = Arc<Batch>;

    fn delivery(&self, result: &DeliveryResult<'_>, batch: Self::DeliveryOpaque) {
        batch.done(result.as_ref().err().map(|(error, _)| error.to_string()));
    }
}

impl Drop for KafkaLog {
    fn drop(&mut self) {
        // Whatever an append gave up waiting for still gets its chance to go out.
        let _ = self.producer.flush(Duration::from_secs(5));
    }
}
