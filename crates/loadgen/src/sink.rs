//! Where records go: the seam the embedded log and Kafka plug into.

use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::metrics::Recorder;

/// One record as a sink receives it.
#[derive(Debug, Clone, Copy)]
pub struct OutRecord<'a> {
    pub key: Option<&'a [u8]>,
    pub value: &'a [u8],
    /// The intended send time, on the sender's clock (for latency).
    pub intended: Instant,
    /// The intended send time as wall-clock microseconds: the record timestamp, from which a
    /// consumer can measure end-to-end latency.
    pub event_micros: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct SinkError(pub String);

pub trait Sink: Send {
    /// Takes a batch. Each record's outcome reaches `recorder` (`acked` or `failed`), now or
    /// later and from any thread; returning `Err` means the sink cannot go on.
    fn send(&mut self, batch: &[OutRecord<'_>], recorder: &Arc<Recorder>) -> Result<(), SinkError>;

    /// Waits until every record sent so far has an outcome, or `timeout` passes.
    fn flush(&mut self, timeout: Duration) -> Result<(), SinkError>;

    /// How long the sender may hold a batch's first record for the records due after it: a
    /// sink that batches on its own (librdkafka's `linger.ms`) says zero; one that takes each
    /// batch as it comes says how long its batches may gather, since a batch per record costs
    /// the sink (and whoever reads from it) far more than the record.
    fn linger(&self) -> Duration {
        Duration::ZERO
    }
}

/// Keeps records in memory (or only counts them) and acknowledges each on arrival: for tests
/// and for measuring the generator alone.
#[derive(Debug, Default)]
pub struct MemorySink {
    keep: bool,
    pub records: Vec<(Option<Vec<u8>>, Vec<u8>, i64)>,
    pub count: u64,
}

impl MemorySink {
    /// `keep`: hold the records (key, value, event time); otherwise count them only.
    pub fn new(keep: bool) -> Self {
        Self {
            keep,
            ..Self::default()
        }
    }
}

impl Sink for MemorySink {
    fn send(&mut self, batch: &[OutRecord<'_>], recorder: &Arc<Recorder>) -> Result<(), SinkError> {
        let now = Instant::now();
        for record in batch {
            if self.keep {
                self.records.push((
                    record.key.map(<[u8]>::to_vec),
                    record.value.to_vec(),
                    record.event_micros,
                ));
            }
            recorder.acked(now, record.intended);
        }
        self.count += batch.len() as u64;
        Ok(())
    }

    fn flush(&mut self, _timeout: Duration) -> Result<(), SinkError> {
        Ok(())
    }
}
