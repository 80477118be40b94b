//! The load generator's sink into the log seam: records go to the partition Kafka's default
//! partitioner picks, stamped with their intended send time (the record timestamp and the
//! `pipegen-intended-us` header), and are acknowledged when the log holds them.

use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

use bytes::Bytes;
use pipegen_loadgen::metrics::Recorder;
use pipegen_loadgen::sink::{INTENDED_TIME_HEADER, OutRecord, Sink, SinkError};
use pipegen_log::{Log, Record};

pub struct LogSink {
    log: Arc<dyn Log>,
    topic: String,
    /// When the first record reached the log (the run's startup time ends there).
    first_append: Arc<OnceLock<Instant>>,
}

impl LogSink {
    pub fn new(log: Arc<dyn Log>, topic: &str, first_append: Arc<OnceLock<Instant>>) -> Self {
        Self {
            log,
            topic: topic.to_string(),
            first_append,
        }
    }
}

impl Sink for LogSink {
    fn send(&mut self, batch: &[OutRecord<'_>], recorder: &Arc<Recorder>) -> Result<(), SinkError> {
        let records = batch
            .iter()
            .map(|r| {
                let mut record = Record::new(
                    r.key.map(Bytes::copy_from_slice),
                    Bytes::copy_from_slice(r.value),
                    r.event_micros.div_euclid(1000),
                );
                record.headers.push((
                    INTENDED_TIME_HEADER.to_string(),
                    Bytes::copy_from_slice(&r.event_micros.to_be_bytes()),
                ));
                record
            })
            .collect();
        match self.log.append(&self.topic, records) {
            Ok(()) => {
                let now = Instant::now();
                self.first_append.get_or_init(|| now);
                for record in batch {
                    recorder.acked(now, record.intended);
                }
                Ok(())
            }
            Err(e) => {
                let now = Instant::now();
                for _ in batch {
                    recorder.failed(now, "log append");
                }
                Err(SinkError(e.to_string()))
            }
        }
    }

    fn flush(&mut self, _timeout: Duration) -> Result<(), SinkError> {
        Ok(())
    }
}
