//! `embedded.read_rate_limit`: the embedded engine's reads capped at a number of records per
//! second, all its Kafka tables together, so a pipeline can be rehearsed on an engine slower
//! than this machine (and a capacity search finds that limit). The cap is a token bucket in
//! front of the log: a read is granted at most the records the bucket holds, and none when it
//! is empty (the engine's reader then polls again, as when a partition has nothing new), so
//! no thread ever sleeps in it.

use std::sync::{Arc, Mutex};
use std::time::Instant;

use pipegen_log::{Fetched, Log, LogError, PartitionOffsets, Record};

/// A log whose reads are rate-limited; everything else passes through.
pub(crate) struct RateLimitedReads {
    log: Arc<dyn Log>,
    bucket: Mutex<Bucket>,
}

struct Bucket {
    per_second: f64,
    /// At most this many records at once: a tenth of a second's worth (at least one), so the
    /// cap holds within each second and not only on average.
    burst: f64,
    tokens: f64,
    refilled: Instant,
}

impl Bucket {
    fn take(&mut self, wanted: usize, now: Instant) -> usize {
        let elapsed = now.saturating_duration_since(self.refilled).as_secs_f64();
        self.tokens = (self.tokens + elapsed * self.per_second).min(self.burst);
        self.refilled = now;
        let granted = (self.tokens.floor() as usize).min(wanted);
        self.tokens -= granted as f64;
        granted
    }

    fn give_back(&mut self, unused: usize) {
        self.tokens = (self.tokens + unused as f64).min(self.burst);
    }
}

impl RateLimitedReads {
    pub(crate) fn new(log: Arc<dyn Log>, per_second: f64) -> Self {
        let burst = (per_second / 10.0).max(1.0);
        Self {
            log,
            bucket: Mutex::new(Bucket {
                per_second,
                burst,
                tokens: burst,
                refilled: Instant::now(),
            }),
        }
    }
}

impl Log for RateLimitedReads {
    fn offsets(&self, topic: &str) -> Result<Vec<PartitionOffsets>, LogError> {
        self.log.offsets(topic)
    }

    fn read(&self, topic: &str, partition: u32, offset: u64, max: usize) -> Result<Vec<Fetched>, LogError> {
        let granted = match self.bucket.lock() {
            Ok(mut bucket) => bucket.take(max, Instant::now()),
            Err(_) => max,
        };
        if granted == 0 {
            return Ok(Vec::new());
        }
        let records = self.log.read(topic, partition, offset, granted)?;
        if records.len() < granted
            && let Ok(mut bucket) = self.bucket.lock()
        {
            bucket.give_back(granted - records.len());
        }
        Ok(records)
    }

    fn append(&self, topic: &str, records: Vec<Record>) -> Result<(), LogError> {
        self.log.append(topic, records)
    }

    fn commit(&self, group: &str, topic: &str, partition: u32, next_offset: u64) -> Result<(), LogError> {
        self.log.commit(group, topic, partition, next_offset)
    }

    fn lag(&self, group: &str, topic: &str) -> Result<Vec<(u32, u64)>, LogError> {
        self.log.lag(group, topic)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use pipegen_log::{EmbeddedLog, TopicSpec};
    use std::time::Duration;

    #[test]
    fn reads_over_a_second_stay_at_the_cap_while_writes_pass() {
        let log = Arc::new(EmbeddedLog::new());
        log.create_topic(TopicSpec::new("t", 1)).unwrap();
        let limited = RateLimitedReads::new(log.clone(), 1000.0);
        let records: Vec<Record> = (0..5000)
            .map(|i| Record::new(None, bytes::Bytes::from(format!("{i}")), 0))
            .collect();
        limited.append("t", records).unwrap();
        assert_eq!(log.offsets("t").unwrap()[0].end, 5000, "writes are not limited");
        let started = Instant::now();
        let mut offset = 0;
        while started.elapsed() < Duration::from_secs(1) {
            offset += limited.read("t", 0, offset, 500).unwrap().len() as u64;
            std::thread::sleep(Duration::from_millis(2));
        }
        // One second at 1000/s, plus the first tenth of a second's burst.
        assert!((900..=1150).contains(&offset), "{offset} records read in one second");
    }

    #[test]
    fn tokens_a_short_read_did_not_use_are_given_back() {
        let now = Instant::now();
        let mut bucket = Bucket {
            per_second: 100.0,
            burst: 10.0,
            tokens: 10.0,
            refilled: now,
        };
        assert_eq!(bucket.take(50, now), 10);
        assert_eq!(bucket.take(50, now), 0);
        bucket.give_back(4);
        assert_eq!(bucket.take(50, now), 4);
        assert_eq!(bucket.take(50, now + Duration::from_millis(50)), 5);
    }
}
