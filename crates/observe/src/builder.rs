//! Builds each second's frame from cumulative measurements: counts per second as given,
//! latency from the histograms' growth since the previous frame, job rates from the growth
//! of their counters, CPU and memory sampled now.

use std::collections::{BTreeMap, HashMap};

use hdrhistogram::Histogram;

use crate::frame::{FrameLatency, JobCounters, JobFrame, LiveFrame, TopicLag};
use crate::interval::IntervalHistogram;
use crate::resources::ResourceSampler;

/// What the run measured, read once per second.
pub struct Sample<'a> {
    /// The second the frame covers.
    pub t_s: u64,
    pub planned_s: u64,
    pub phase: &'a str,
    pub target_rate: Option<u64>,
    /// Counts within second `t_s`.
    pub sent: u64,
    pub acked: u64,
    pub failed: u64,
    pub consumed: u64,
    pub sent_total: u64,
    pub acked_total: u64,
    pub failed_total: u64,
    pub consumed_total: u64,
    /// Cumulative histograms of microseconds.
    pub publish: &'a Histogram<u64>,
    pub publish_delay: &'a Histogram<u64>,
    /// `None` when the run cannot time its results.
    pub end_to_end: Option<&'a Histogram<u64>>,
    pub lag: Vec<TopicLag>,
    pub jobs: Vec<JobCounters>,
    pub errors: BTreeMap<String, u64>,
}

/// Keeps what one frame needs of the previous one.
#[derive(Default)]
pub struct FrameBuilder {
    publish: IntervalHistogram,
    publish_delay: IntervalHistogram,
    end_to_end: IntervalHistogram,
    jobs: HashMap<String, (Option<u64>, Option<u64>)>,
    resources: ResourceSampler,
}

/// Growth of a counter since the previous frame; `None` while the counter is unreported. A
/// counter reported for the first time grew from zero.
fn growth(now: Option<u64>, before: Option<u64>) -> Option<u64> {
    now.map(|now| now.saturating_sub(before.unwrap_or(0)))
}

impl FrameBuilder {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn build(&mut self, sample: Sample<'_>) -> LiveFrame {
        let jobs = sample
            .jobs
            .into_iter()
            .map(|job| {
                let (in_before, out_before) = self
                    .jobs
                    .insert(job.name.clone(), (job.records_in_total, job.records_out_total))
                    .unwrap_or_default();
                JobFrame {
                    records_in: growth(job.records_in_total, in_before),
                    records_out: growth(job.records_out_total, out_before),
                    counters: job,
                }
            })
            .collect();
        LiveFrame {
            t_s: sample.t_s,
            planned_s: sample.planned_s,
            phase: sample.phase.to_string(),
            target_rate: sample.target_rate,
            sent: sample.sent,
            acked: sample.acked,
            failed: sample.failed,
            consumed: sample.consumed,
            sent_total: sample.sent_total,
            acked_total: sample.acked_total,
            failed_total: sample.failed_total,
            consumed_total: sample.consumed_total,
            latency_ms: FrameLatency {
                publish: self.publish.advance(sample.publish),
                publish_delay: self.publish_delay.advance(sample.publish_delay),
                end_to_end: sample
                    .end_to_end
                    .map(|h| self.end_to_end.advance(h))
                    .unwrap_or_default(),
            },
            lag: sample.lag,
            jobs,
            errors: sample.errors,
            resources: self.resources.sample(),
        }
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

    fn sample<'a>(t_s: u64, h: &'a Histogram<u64>, out_total: u64) -> Sample<'a> {
        Sample {
            t_s,
            planned_s: 10,
            phase: "base",
            target_rate: Some(100),
            sent: 100,
            acked: 100,
            failed: 0,
            consumed: 7,
            sent_total: 100 * (t_s + 1),
            acked_total: 100 * (t_s + 1),
            failed_total: 0,
            consumed_total: 7 * (t_s + 1),
            publish: h,
            publish_delay: h,
            end_to_end: None,
            lag: vec![],
            jobs: vec![JobCounters {
                name: "job".into(),
                records_out_total: Some(out_total),
                ..JobCounters::default()
            }],
            errors: BTreeMap::new(),
        }
    }

    #[test]
    fn job_rates_are_the_growth_of_their_counters_and_unmeasured_stays_none() {
        let mut builder = FrameBuilder::new();
        let h = histogram(&[1500]);
        let first = builder.build(sample(0, &h, 40));
        assert_eq!(first.jobs[0].records_out, Some(40));
        assert_eq!(first.jobs[0].records_in, None, "a job that does not count its input");
        assert_eq!(first.jobs[0].counters.backpressure, None);
        assert_eq!(first.latency_ms.publish.count, 1);
        assert_eq!(first.latency_ms.end_to_end.p99, None, "no result timing: n/a");
        let second = builder.build(sample(1, &h, 100));
        assert_eq!(second.jobs[0].records_out, Some(60));
        assert_eq!(second.latency_ms.publish.count, 0, "nothing new recorded");
    }
}
