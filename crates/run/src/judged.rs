//! A capacity step's judged seconds: the latency histograms as they stand when the warmup
//! ends are kept, and taken from those at the load's end, which leaves exactly what was
//! recorded in between (HdrHistogram subtracts bucket by bucket).

use std::time::Duration;

use hdrhistogram::Histogram;
use pipegen_loadgen::metrics::Percentiles;

use crate::request::JudgedLatency;

/// The cumulative histograms at one moment.
#[derive(Clone)]
pub(crate) struct Histograms<'a> {
    pub publish: &'a Histogram<u64>,
    pub publish_delay: &'a Histogram<u64>,
    pub end_to_end: Option<&'a Histogram<u64>>,
}

struct Mark {
    publish: Histogram<u64>,
    publish_delay: Histogram<u64>,
    end_to_end: Option<Histogram<u64>>,
}

pub(crate) struct JudgedWindow {
    /// The first judged second, and the one after the last.
    from_s: u64,
    to_s: u64,
    mark: Option<Mark>,
    latency: Option<JudgedLatency>,
}

impl JudgedWindow {
    pub(crate) fn new(from: Duration, to: Duration) -> Self {
        Self {
            from_s: from.as_secs(),
            to_s: to.as_secs().max(from.as_secs() + 1),
            mark: None,
            latency: None,
        }
    }

    /// Told the cumulative histograms once second `t_s` has ended.
    pub(crate) fn observe(&mut self, t_s: u64, now: Histograms<'_>) {
        let ended = t_s + 1;
        if ended == self.from_s {
            self.mark = Some(Mark {
                publish: now.publish.clone(),
                publish_delay: now.publish_delay.clone(),
                end_to_end: now.end_to_end.cloned(),
            });
        }
        if ended == self.to_s && (self.mark.is_some() || self.from_s == 0) {
            let mark = self.mark.as_ref();
            self.latency = Some(JudgedLatency {
                publish: since(now.publish, mark.map(|m| &m.publish)),
                publish_delay: since(now.publish_delay, mark.map(|m| &m.publish_delay)),
                end_to_end: now
                    .end_to_end
                    .map(|h| since(h, mark.and_then(|m| m.end_to_end.as_ref()))),
            });
        }
    }

    /// The judged seconds' latency, once the last of them has ended.
    pub(crate) fn latency(&self) -> Option<JudgedLatency> {
        self.latency.clone()
    }
}

/// What `now` recorded after `mark`.
fn since(now: &Histogram<u64>, mark: Option<&Histogram<u64>>) -> Percentiles {
    let mut window = now.clone();
    if let Some(mark) = mark
        && window.subtract(mark).is_err()
    {
        // Cannot happen for a cumulative histogram and an earlier copy of it; an empty
        // window (n/a) is the honest answer if it did.
        window.reset();
    }
    Percentiles::of(&window)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn histogram(values: &[u64]) -> Histogram<u64> {
        let mut h = Histogram::<u64>::new_with_bounds(1, 3_600_000_000, 3).unwrap();
        for v in values {
            h.record(*v).unwrap();
        }
        h
    }

    #[test]
    fn only_what_was_recorded_between_the_warmup_and_the_load_end_counts() {
        let mut window = JudgedWindow::new(Duration::from_secs(2), Duration::from_secs(4));
        // A slow warmup: 5 s publish delays in the first two seconds.
        let warm = histogram(&[5_000_000; 100]);
        fn h(values: &Histogram<u64>) -> Histograms<'_> {
            Histograms {
                publish: values,
                publish_delay: values,
                end_to_end: None,
            }
        }
        window.observe(0, h(&warm));
        window.observe(1, h(&warm));
        assert!(window.latency().is_none());
        let mut steady = warm.clone();
        for _ in 0..200 {
            steady.record(1_000).unwrap();
        }
        window.observe(2, h(&steady));
        window.observe(3, h(&steady));
        let latency = window.latency().unwrap();
        assert_eq!(latency.publish_delay.count, 200);
        let p99 = latency.publish_delay.p99.unwrap();
        assert!((0.99..=1.01).contains(&p99), "{p99} ms");
        assert!(latency.end_to_end.is_none());
    }

    #[test]
    fn a_step_that_ends_before_its_load_has_no_judged_latency() {
        let mut window = JudgedWindow::new(Duration::from_secs(1), Duration::from_secs(5));
        let h = histogram(&[1_000]);
        for t in 0..3 {
            window.observe(
                t,
                Histograms {
                    publish: &h,
                    publish_delay: &h,
                    end_to_end: Some(&h),
                },
            );
        }
        assert!(window.latency().is_none());
    }
}
