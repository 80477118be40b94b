//! The load generator's sink on Kafka: asynchronous sends whose delivery reports feed the
//! acked and failed counts and the publish latency of the one metrics model.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use pipegen_loadgen::metrics::Recorder;
use pipegen_loadgen::sink::{OutRecord, Sink, SinkError};
use rdkafka::ClientContext;
use rdkafka::error::{KafkaError as RdKafkaError, RDKafkaErrorCode};
use rdkafka::producer::{BaseRecord, DeliveryResult, Producer, ProducerContext, ThreadedProducer};
use rdkafka::statistics::Statistics;

use crate::client_config::ClientProperties;
use crate::error::KafkaError;

/// Delivery reports go straight into the recorder.
/// How often librdkafka reports its statistics (the retry count comes from them).
const STATS_INTERVAL_MS: u64 = 500;
/// How often a flush looks whether the run stopped.
const FLUSH_SLICE: Duration = Duration::from_millis(250);
/// How long a flush goes on once the run stopped.
const STOP_GRACE: Duration = Duration::from_secs(2);

struct Deliveries {
    recorder: Arc<Recorder>,
    /// Statistics reports received so far.
    stats_seen: AtomicU64,
}

impl ClientContext for Deliveries {
    /// librdkafka's statistics: the brokers' retried requests, and a tick `flush` waits for.
    fn stats(&self, statistics: Statistics) {
        let retried: u64 = statistics.brokers.values().map(|b| b.txretries).sum();
        self.recorder.retried(retried);
        self.stats_seen.fetch_add(1, Ordering::Release);
    }
}

impl ProducerContext for Deliveries {
    /// The intended send time travels with each message, as nanoseconds after the recorder's
    /// start (a plain integer: no allocation per message).
    type DeliveryOpaque = usize;

    fn delivery(&self, result: &DeliveryResult<'_>, intended_nanos: Self::DeliveryOpaque) {
        let now = Instant::now();
        match result {
            Ok(_) => self
                .recorder
                .acked(now, self.recorder.start() + Duration::from_nanos(intended_nanos as u64)),
            Err((error, _)) => self.recorder.failed(now, &error_kind(error)),
        }
    }
}

fn error_kind(error: &RdKafkaError) -> String {
    match error.rdkafka_error_code() {
        Some(code) => format!("{code:?}"),
        None => error.to_string(),
    }
}

pub struct KafkaSink {
    servers: String,
    topic: String,
    producer: ThreadedProducer<Deliveries>,
    start: Instant,
    /// Set when the run stops: a send waiting for room in a full queue (a cluster that does
    /// not answer) gives up instead of waiting for librdkafka's delivery timeout.
    stop: Arc<AtomicBool>,
}

impl KafkaSink {
    /// A producer for `topic`, reporting deliveries into `recorder`, until `stop` is set.
    pub fn new(
        properties: &ClientProperties,
        topic: &str,
        recorder: Arc<Recorder>,
        stop: Arc<AtomicBool>,
    ) -> Result<Self, KafkaError> {
        let servers = properties.get("bootstrap.servers").unwrap_or_default().to_owned();
        tracing::debug!(topic, config = ?properties, "creating Kafka producer");
        let start = recorder.start();
        let mut config = properties.to_client_config();
        if properties.get("statistics.interval.ms").is_none() {
            config.set("statistics.interval.ms", STATS_INTERVAL_MS.to_string());
        }
        let producer = config
            .create_with_context(Deliveries {
                recorder,
                stats_seen: AtomicU64::new(0),
            })
            .map_err(|e| KafkaError::new(&servers, "creating the producer", properties.scrub(e)))?;
        Ok(Self {
            servers,
            topic: topic.to_owned(),
            producer,
            start,
            stop,
        })
    }
}

impl Sink for KafkaSink {
    fn send(&mut self, batch: &[OutRecord<'_>], recorder: &Arc<Recorder>) -> Result<(), SinkError> {
        for (index, record) in batch.iter().enumerate() {
            let intended_nanos = record.intended.saturating_duration_since(self.start).as_nanos() as usize;
            let mut message = BaseRecord::with_opaque_to(&self.topic, intended_nanos)
                .payload(record.value)
                // The intended send time, which is also what a consumer times end-to-end
                // latency from (no per-record header: it cost an allocation per record).
                .timestamp(record.event_micros.div_euclid(1000));
            if let Some(key) = record.key {
                message = message.key(key);
            }
            // A full local queue is backpressure: wait for room (it shows as publish delay),
            // never drop the message.
            loop {
                match self.producer.send(message) {
                    Ok(()) => break,
                    Err((RdKafkaError::MessageProduction(RDKafkaErrorCode::QueueFull), _))
                        if self.stop.load(Ordering::Relaxed) =>
                    {
                        // The run is over: what is still unsent fails, so that every record
                        // counted as sent has an outcome.
                        let now = Instant::now();
                        for _ in index..batch.len() {
                            recorder.failed(now, "not sent: the run stopped while the producer queue was full");
                        }
                        return Ok(());
                    }
                    Err((RdKafkaError::MessageProduction(RDKafkaErrorCode::QueueFull), returned)) => {
                        message = returned;
                        self.producer.poll(Duration::from_millis(1));
                    }
                    Err((error, _)) => {
                        return Err(SinkError(format!(
                            "Kafka at {}: producing to `{}` failed: {error}",
                            self.servers, self.topic
                        )));
                    }
                }
            }
        }
        Ok(())
    }

    /// Waits for every record's outcome until `timeout` passes or the run stops (whichever
    /// is first): a slow cluster gets its time, a run that ended does not wait on it.
    fn flush(&mut self, timeout: Duration) -> Result<(), SinkError> {
        let started = Instant::now();
        let mut deadline = started + timeout;
        let mut stopping = false;
        let flushed = loop {
            if !stopping && self.stop.load(Ordering::Relaxed) {
                // What is in flight to a cluster that answers still lands in a moment.
                stopping = true;
                deadline = deadline.min(Instant::now() + STOP_GRACE);
            }
            let slice = deadline.saturating_duration_since(Instant::now()).min(FLUSH_SLICE);
            match self.producer.flush(slice) {
                Ok(()) => break Ok(()),
                Err(e) if Instant::now() >= deadline => {
                    break Err(SinkError(format!(
                        "Kafka at {}: {} messages still undelivered after {:?}: {e}",
                        self.servers,
                        self.producer.in_flight_count(),
                        started.elapsed()
                    )));
                }
                Err(_) => {}
            }
        };
        // One more statistics report, so that the retry count covers the whole run.
        let context = self.producer.context();
        let seen = context.stats_seen.load(Ordering::Acquire);
        let deadline = Instant::now() + Duration::from_millis(3 * STATS_INTERVAL_MS);
        while context.stats_seen.load(Ordering::Acquire) == seen && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(10));
        }
        flushed
    }
}
