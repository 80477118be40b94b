//! Event time as Flink tracks it: each source partition's watermark is the largest value of the
//! table's watermark expression seen there; the operator's watermark is the minimum across
//! partitions. Lateness is judged per row against the watermark before that row, as Flink does
//! with `pipeline.auto-watermark-interval` = 0, so results do not depend on batch boundaries.

/// No watermark yet: nothing has fired and nothing is late.
pub const NO_WATERMARK: i64 = i64::MIN;

#[derive(Debug, Clone)]
pub struct WatermarkTracker {
    partitions: Vec<i64>,
    current: i64,
}

impl WatermarkTracker {
    pub fn new(partitions: usize) -> Self {
        Self {
            partitions: vec![NO_WATERMARK; partitions.max(1)],
            current: NO_WATERMARK,
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
        let was_lowest = *seen == self.current;
        *seen = value;
        if self.partitions.len() == 1 {
            self.current = value;
        } else if was_lowest {
            self.current = self.partitions.iter().copied().min().unwrap_or(NO_WATERMARK);
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
}
