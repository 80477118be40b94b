//! The load generator's sink into the log seam: records go to the partition Kafka's default
//! partitioner picks, stamped with their intended send time (the record timestamp), and are
//! acknowledged when the log holds them. A batch's keys and values are copied once into one
//! shared buffer that every record slices, so the log holds no allocation per record for them.

use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::BytesMut;
use pipegen_loadgen::metrics::Recorder;
use pipegen_loadgen::sink::{OutRecord, Sink, SinkError};
use pipegen_log::{Log, Record};

pub struct LogSink {
    log: Arc<dyn Log>,
    topic: String,
    linger: Duration,
}

impl LogSink {
    pub fn new(log: Arc<dyn Log>, topic: &str, linger: Duration) -> Self {
        Self {
            log,
            topic: topic.to_string(),
            linger,
        }
    }
}

impl Sink for LogSink {
    fn send(&mut self, batch: &[OutRecord<'_>], recorder: &Arc<Recorder>) -> Result<(), SinkError> {
        let size: usize = batch.iter().map(|r| r.value.len() + r.key.map_or(0, <[u8]>::len)).sum();
        let mut buffer = BytesMut::with_capacity(size);
        let mut spans = Vec::with_capacity(batch.len());
        for record in batch {
            let key = record.key.map(|key| {
                let start = buffer.len();
                buffer.extend_from_slice(key);
                start..buffer.len()
            });
            let start = buffer.len();
            buffer.extend_from_slice(record.value);
            spans.push((key, start..buffer.len()));
        }
        let shared = buffer.freeze();
        let records = batch
            .iter()
            .zip(spans)
            .map(|(r, (key, value))| {
                Record::new(
                    key.map(|k| shared.slice(k)),
                    shared.slice(value),
                    r.event_micros.div_euclid(1000),
                )
            })
            .collect();
        match self.log.append(&self.topic, records) {
            Ok(()) => {
                let now = Instant::now();
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

    fn linger(&self) -> Duration {
        self.linger
    }
}
