//! Event time as Flink tracks it: each source partition's watermark is the largest value of the
//! table's watermark expression seen there; the operator's watermark is the minimum across
//! partitions. Lateness is judged per row against the watermark before that row, as Flink does
//! with `pipeline.auto-watermark-interval` = 0, so results do not depend on batch boundaries.
//! With `table.exec.source.idle-timeout`, a partition that has sent nothing for that long is
//! idle and holds nothing back until it sends again; the watermark never goes back.

use std::time::{Duration, Instant};

/// No watermark yet: nothing has fired and nothing is late.
pub const NO_WATERMARK: i64 = i64::MIN;

#[derive(Debug, Clone)]
pub struct WatermarkTracker {
    partitions: Vec<i64>,
    current: i64,
    idle_timeout: Option<Duration>,
    idle: Vec<bool>,
    last_active: Vec<Instant>,
}

impl WatermarkTracker {
    pub fn new(partitions: usize) -> Self {
        let partitions = partitions.max(1);
        Self {
            partitions: vec![NO_WATERMARK; partitions],
            current: NO_WATERMARK,
            idle_timeout: None,
            idle: vec![false; partitions],
            last_active: vec![Instant::now(); partitions],
        }
    }

    /// Partitions silent for `timeout` stop holding the watermark back.
    pub fn with_idle_timeout(mut self, timeout: Option<Duration>) -> Self {
        self.idle_timeout = timeout;
        self
    }

    /// `partition` sent rows at `now`: it is active again.
    pub fn touch(&mut self, partition: usize, now: Instant) {
        self.last_active[partition] = now;
        if std::mem::take(&mut self.idle[partition]) {
            self.recompute();
        }
    }

    /// Marks the partitions silent past the idle timeout; returns whether the watermark moved.
    pub fn check_idle(&mut self, now: Instant) -> bool {
        let Some(timeout) = self.idle_timeout else {
            return false;
        };
        let mut changed = false;
        for partition in 0..self.partitions.len() {
            if !self.idle[partition] && now.duration_since(self.last_active[partition]) >= timeout {
                self.idle[partition] = true;
                changed = true;
            }
        }
        let before = self.current;
        if changed {
            self.recompute();
        }
        self.current != before
    }

    /// The minimum over active partitions; never below the watermark already reached.
    fn recompute(&mut self) {
        let lowest = self
            .partitions
            .iter()
            .zip(&self.idle)
            .filter(|(_, idle)| !**idle)
            .map(|(value, _)| *value)
            .min();
        if let Some(lowest) = lowest {
            self.current = self.current.max(lowest);
        }
    }

    /// The watermark now.
    pub fn current(&self) -> i64 {
        self.current
    }

    /// A row on `partition` whose watermark expression is `value`.
    #[inline]
    pub fn observe(&mut self, partition: usize, value: i64) {
        let seen = &mut self.partitions[partition];
        if value <= *seen {
            return;
        }
        let was_lowest = *seen <= self.current;
        *seen = value;
        if self.partitions.len() == 1 {
            self.current = value;
        } else if was_lowest {
            self.recompute();
        }
    }

    /// End of a bounded input: the watermark moves to the end of time, firing everything.
    pub fn finish(&mut self) {
        self.partitions.fill(i64::MAX);
        self.current = i64::MAX;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_slowest_partition_holds_the_watermark() {
        let mut tracker = WatermarkTracker::new(2);
        tracker.observe(0, 100);
        assert_eq!(tracker.current(), NO_WATERMARK, "partition 1 has not spoken");
        tracker.observe(1, 50);
        assert_eq!(tracker.current(), 50);
        tracker.observe(1, 40);
        assert_eq!(tracker.current(), 50, "watermarks never go back");
        tracker.observe(1, 150);
        assert_eq!(tracker.current(), 100);
        tracker.finish();
        assert_eq!(tracker.current(), i64::MAX);
    }

    #[test]
    fn an_idle_partition_stops_holding_the_watermark_back() {
        let start = Instant::now();
        let mut tracker = WatermarkTracker::new(2).with_idle_timeout(Some(Duration::from_millis(100)));
        tracker.touch(0, start);
        tracker.touch(1, start);
        tracker.observe(0, 100);
        assert_eq!(tracker.current(), NO_WATERMARK);
        assert!(!tracker.check_idle(start + Duration::from_millis(50)));
        tracker.touch(0, start + Duration::from_millis(150));
        assert!(
            tracker.check_idle(start + Duration::from_millis(150)),
            "partition 1 went idle"
        );
        assert_eq!(tracker.current(), 100);
        // Back with an older watermark: active again, but the watermark does not go back.
        tracker.touch(1, start + Duration::from_millis(200));
        tracker.observe(1, 20);
        assert_eq!(tracker.current(), 100);
        tracker.observe(1, 300);
        tracker.observe(0, 400);
        assert_eq!(tracker.current(), 300);
    }
}
