//! Latency over the last interval: the difference between two cumulative HdrHistograms, so
//! each frame's percentiles come from exactly the values recorded in between.

use hdrhistogram::Histogram;

use crate::frame::IntervalPercentiles;

/// Remembers the previous cumulative histogram of one measure.
#[derive(Default)]
pub struct IntervalHistogram {
    previous: Option<Histogram<u64>>,
}

impl IntervalHistogram {
    /// The percentiles (ms) of the microsecond values recorded since the last call.
    pub fn advance(&mut self, cumulative: &Histogram<u64>) -> IntervalPercentiles {
        let mut interval = cumulative.clone();
        if let Some(previous) = &self.previous {
            // A histogram only grows, so every previous count is still there.
            if interval.subtract(previous).is_err() {
                interval.reset();
            }
        }
        self.previous = Some(cumulative.clone());
        percentiles(&interval)
    }
}

/// Milliseconds from a histogram of microseconds.
pub fn percentiles(h: &Histogram<u64>) -> IntervalPercentiles {
    if h.is_empty() {
        return IntervalPercentiles::default();
    }
    let ms = |micros: u64| Some(micros as f64 / 1000.0);
    IntervalPercentiles {
        count: h.len(),
        p50: ms(h.value_at_quantile(0.50)),
        p99: ms(h.value_at_quantile(0.99)),
        p999: ms(h.value_at_quantile(0.999)),
        max: ms(h.max()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn histogram(values: &[u64]) -> Histogram<u64> {
        let mut h = Histogram::new_with_bounds(1, 3_600_000_000, 3).unwrap();
        for v in values {
            h.record(*v).unwrap();
        }
        h
    }

    #[test]
    fn each_interval_holds_only_what_was_recorded_since_the_last() {
        let mut interval = IntervalHistogram::default();
        let first = interval.advance(&histogram(&[1000, 2000]));
        assert_eq!(first.count, 2);
        assert_eq!(first.max, Some(2.0));
        // The cumulative histogram gains one value: the interval holds it alone.
        let second = interval.advance(&histogram(&[1000, 2000, 1500]));
        assert_eq!(second.count, 1);
        assert_eq!(second.p50, Some(1.5));
        let third = interval.advance(&histogram(&[1000, 2000, 1500]));
        assert_eq!(third, IntervalPercentiles::default(), "nothing new: n/a");
    }
}
