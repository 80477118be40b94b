//! One model of what the producer did: per-second counts and latency histograms, recorded from
//! the intended send time so a stalled sender or sink shows in the percentiles.

use std::collections::BTreeMap;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use hdrhistogram::Histogram;
use serde::Serialize;

use crate::plan::RatePlan;
use crate::seconds::{Second, Seconds};

/// Seconds kept after the plan ends, for late acknowledgements.
const DRAIN_SECONDS: usize = 120;
/// Histograms hold 1 µs to 1 hour at 3 significant digits.
const MAX_MICROS: u64 = 3_600_000_000;

/// Shared by the sender and whatever thread reports deliveries.
pub struct Recorder {
    start: Instant,
    seconds: Seconds,
    /// Acknowledgement − intended send.
    publish: Mutex<Histogram<u64>>,
    /// Actual send − intended send.
    publish_delay: Mutex<Histogram<u64>>,
    errors: Mutex<BTreeMap<String, u64>>,
    last_send: Mutex<Option<Instant>>,
    first_ack: std::sync::OnceLock<Instant>,
    /// Produce requests the client repeated (a log that never retries leaves it unset).
    retried: std::sync::OnceLock<AtomicU64>,
    /// How many senders follow the rate plan, each all of it (one per generated table that
    /// follows no other): the plan's targets are per sender.
    paced_streams: AtomicU64,
    /// Records sent because they follow another's, not on the plan.
    following: AtomicU64,
}

fn histogram() -> Histogram<u64> {
    Histogram::new_with_bounds(1, MAX_MICROS, 3).expect("valid histogram bounds")
}

fn micros_between(earlier: Instant, later: Instant) -> u64 {
    later
        .saturating_duration_since(earlier)
        .as_micros()
        .clamp(1, u128::from(MAX_MICROS)) as u64
}

impl Recorder {
    pub fn new(start: Instant, planned: Duration) -> Self {
        let last = usize::try_from(planned.as_secs())
            .unwrap_or(usize::MAX)
            .saturating_add(DRAIN_SECONDS);
        Self {
            start,
            seconds: Seconds::new(last),
            publish: Mutex::new(histogram()),
            publish_delay: Mutex::new(histogram()),
            errors: Mutex::new(BTreeMap::new()),
            last_send: Mutex::new(None),
            first_ack: std::sync::OnceLock::new(),
            retried: std::sync::OnceLock::new(),
            paced_streams: AtomicU64::new(1),
            following: AtomicU64::new(0),
        }
    }

    /// Sets how many senders follow the plan (the targets are the plan's times this).
    pub fn set_paced_streams(&self, streams: u64) {
        self.paced_streams.store(streams, Ordering::Relaxed);
    }

    pub fn paced_streams(&self) -> u64 {
        self.paced_streams.load(Ordering::Relaxed)
    }

    pub fn start(&self) -> Instant {
        self.start
    }

    /// Runs `f` on the counters of the second of the run `at` falls in.
    fn in_second(&self, at: Instant, f: impl FnOnce(&Second)) {
        let index = at.saturating_duration_since(self.start).as_secs();
        self.seconds.with(usize::try_from(index).unwrap_or(usize::MAX), f);
    }

    /// A batch of the plan's records handed to the sink at `at`: each record's intended send
    /// time and size.
    pub fn sent(&self, at: Instant, records: impl IntoIterator<Item = (Instant, usize)>) {
        self.count_sent(at, records);
        if let Ok(mut last) = self.last_send.lock() {
            *last = Some(at);
        }
    }

    /// A batch of records that follow other streams' (see [`crate::follow`]): counted as sent,
    /// but not in the plan's achieved rate, which they would dilute as they go on after it.
    pub fn sent_following(&self, at: Instant, records: impl IntoIterator<Item = (Instant, usize)>) {
        let count = self.count_sent(at, records);
        self.following.fetch_add(count, Ordering::Relaxed);
    }

    fn count_sent(&self, at: Instant, records: impl IntoIterator<Item = (Instant, usize)>) -> u64 {
        let (mut count, mut bytes) = (0u64, 0u64);
        if let Ok(mut h) = self.publish_delay.lock() {
            for (intended, size) in records {
                h.saturating_record(micros_between(intended, at));
                count += 1;
                bytes += size as u64;
            }
        }
        self.in_second(at, |second| {
            second.sent.fetch_add(count, Ordering::Relaxed);
            second.bytes.fetch_add(bytes, Ordering::Relaxed);
        });
        count
    }

    pub fn acked(&self, at: Instant, intended: Instant) {
        self.first_ack.get_or_init(|| at);
        self.in_second(at, |s| {
            s.acked.fetch_add(1, Ordering::Relaxed);
        });
        if let Ok(mut h) = self.publish.lock() {
            h.saturating_record(micros_between(intended, at));
        }
    }

    /// The client's running count of repeated send attempts, as it last reported it.
    pub fn retried(&self, total: u64) {
        self.retried
            .get_or_init(AtomicU64::default)
            .fetch_max(total, Ordering::Relaxed);
    }

    /// When the log first acknowledged a record (the end of a run's startup).
    pub fn first_ack(&self) -> Option<Instant> {
        self.first_ack.get().copied()
    }

    pub fn failed(&self, at: Instant, kind: &str) {
        self.in_second(at, |s| {
            s.failed.fetch_add(1, Ordering::Relaxed);
        });
        if let Ok(mut errors) = self.errors.lock() {
            *errors.entry(kind.to_owned()).or_default() += 1;
        }
    }

    fn total(&self, counter: fn(&Second) -> &AtomicU64) -> u64 {
        self.seconds.total(counter)
    }

    pub fn sent_total(&self) -> u64 {
        self.total(|s| &s.sent)
    }

    pub fn acked_total(&self) -> u64 {
        self.total(|s| &s.acked)
    }

    pub fn failed_total(&self) -> u64 {
        self.total(|s| &s.failed)
    }

    /// Records sent during second `index` of the run (0 outside it).
    pub fn sent_in_second(&self, index: usize) -> u64 {
        self.seconds.get(index, |s| s.sent.load(Ordering::Relaxed)).unwrap_or(0)
    }

    /// Counts of second `index` of the run (zeros outside it).
    pub fn second_counts(&self, index: usize) -> SecondCounts {
        self.seconds
            .get(index, |s| SecondCounts {
                sent: s.sent.load(Ordering::Relaxed),
                acked: s.acked.load(Ordering::Relaxed),
                failed: s.failed.load(Ordering::Relaxed),
            })
            .unwrap_or_default()
    }

    /// Copies of the cumulative latency histograms (microseconds), for interval views.
    pub fn latency_histograms(&self) -> LatencyHistograms {
        let copy = |h: &Mutex<Histogram<u64>>| h.lock().map(|h| h.clone()).unwrap_or_else(|_| histogram());
        LatencyHistograms {
            publish: copy(&self.publish),
            publish_delay: copy(&self.publish_delay),
        }
    }

    /// Errors so far, by kind.
    pub fn errors(&self) -> BTreeMap<String, u64> {
        self.errors.lock().map(|e| e.clone()).unwrap_or_default()
    }

    /// What has been measured so far, against the plan.
    pub fn report(&self, plan: &RatePlan) -> ProducerReport {
        let totals = |f: fn(&Second) -> &AtomicU64| self.seconds.total(f);
        let sent = totals(|s| &s.sent);
        let streams = self.paced_streams();
        let following = self.following.load(Ordering::Relaxed);
        // Every second up to the plan's end, or to now if the run stopped before it.
        let reached = Instant::now()
            .saturating_duration_since(self.start)
            .min(plan.duration)
            .as_secs();
        let shown_seconds = self.seconds.last_active().map_or(0, |l| l as u64 + 1).max(reached);
        let timeline = (0..shown_seconds)
            .map(|i| {
                let from = Duration::from_secs(i);
                let target = if from < plan.duration {
                    plan.planned_between(from, (from + Duration::from_secs(1)).min(plan.duration))
                        .map(|n| n * streams)
                } else {
                    Some(0)
                };
                let count = |f: fn(&Second) -> &AtomicU64| {
                    let index = usize::try_from(i).unwrap_or(usize::MAX);
                    self.seconds.get(index, |s| f(s).load(Ordering::Relaxed)).unwrap_or(0)
                };
                TimelineEntry {
                    t_s: i,
                    target_rate: target,
                    sent: count(|s| &s.sent),
                    acked: count(|s| &s.acked),
                    failed: count(|s| &s.failed),
                    bytes: count(|s| &s.bytes),
                }
            })
            .collect();
        let elapsed = self
            .last_send
            .lock()
            .ok()
            .and_then(|l| *l)
            .map(|l| l.saturating_duration_since(self.start).as_secs_f64())
            .unwrap_or(0.0);
        ProducerReport {
            totals: ProducerTotals {
                planned: plan.planned_total().map(|n| n * streams),
                sent,
                following,
                acked: totals(|s| &s.acked),
                failed: totals(|s| &s.failed),
                retried: self.retried.get().map(|r| r.load(Ordering::Relaxed)),
                bytes: totals(|s| &s.bytes),
                target_rate: match plan.base {
                    pipegen_config::Rate::PerSecond(r) => Some(r * streams as f64),
                    pipegen_config::Rate::Max => None,
                },
                achieved_rate: (elapsed > 0.0).then(|| sent.saturating_sub(following) as f64 / elapsed),
            },
            latency_ms: LatencyReport {
                publish: self
                    .publish
                    .lock()
                    .ok()
                    .map(|h| Percentiles::of(&h))
                    .unwrap_or_default(),
                publish_delay: self
                    .publish_delay
                    .lock()
                    .ok()
                    .map(|h| Percentiles::of(&h))
                    .unwrap_or_default(),
            },
            errors: self.errors.lock().map(|e| e.clone()).unwrap_or_default(),
            timeline,
        }
    }
}

/// What the producer did within one second.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SecondCounts {
    pub sent: u64,
    pub acked: u64,
    pub failed: u64,
}

/// Cumulative latency histograms, in microseconds.
#[derive(Debug, Clone)]
pub struct LatencyHistograms {
    /// Acknowledgement − intended send.
    pub publish: Histogram<u64>,
    /// Actual send − intended send.
    pub publish_delay: Histogram<u64>,
}

/// The producer's totals against its plan (the `producer` object of a run's JSON result).
#[derive(Debug, Clone, Serialize)]
pub struct ProducerTotals {
    /// `None` when the rate is `max` with no message cap.
    pub planned: Option<u64>,
    pub sent: u64,
    /// Of `sent`, the records that followed another table's (`follows` hints): sent as
    /// their leaders came due, not planned.
    pub following: u64,
    pub acked: u64,
    pub failed: u64,
    /// Produce requests the client sent again after a broker error or timeout (librdkafka's
    /// count; a request carries a batch of records, each still counted once in `acked` or
    /// `failed`); `None` where the log never retries (the embedded one).
    pub retried: Option<u64>,
    pub bytes: u64,
    pub target_rate: Option<f64>,
    /// The plan's records sent per second, from the start to the last of them; `None` before
    /// anything was sent.
    pub achieved_rate: Option<f64>,
}

#[derive(Debug, Clone, Serialize)]
pub struct ProducerReport {
    #[serde(flatten)]
    pub totals: ProducerTotals,
    pub latency_ms: LatencyReport,
    pub errors: BTreeMap<String, u64>,
    pub timeline: Vec<TimelineEntry>,
}

#[derive(Debug, Clone, Serialize)]
pub struct LatencyReport {
    pub publish: Percentiles,
    pub publish_delay: Percentiles,
}

/// Milliseconds; every figure `None` (n/a) when nothing was recorded.
#[derive(Debug, Clone, Default, Serialize, PartialEq)]
pub struct Percentiles {
    pub count: u64,
    pub p50: Option<f64>,
    pub p90: Option<f64>,
    pub p99: Option<f64>,
    pub p999: Option<f64>,
    pub max: Option<f64>,
}

impl Percentiles {
    /// The percentiles of a histogram of microseconds, in milliseconds.
    pub fn of(h: &Histogram<u64>) -> Self {
        if h.is_empty() {
            return Self::default();
        }
        let ms = |micros: u64| Some(micros as f64 / 1000.0);
        Self {
            count: h.len(),
            p50: ms(h.value_at_quantile(0.50)),
            p90: ms(h.value_at_quantile(0.90)),
            p99: ms(h.value_at_quantile(0.99)),
            p999: ms(h.value_at_quantile(0.999)),
            max: ms(h.max()),
        }
    }
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct TimelineEntry {
    pub t_s: u64,
    /// Messages the plan meant for this second (`None` at `max`).
    pub target_rate: Option<u64>,
    pub sent: u64,
    pub acked: u64,
    pub failed: u64,
    pub bytes: u64,
}
