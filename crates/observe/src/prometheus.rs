//! The Prometheus endpoint: the live frames' numbers at `/metrics` on 127.0.0.1, in the
//! OpenMetrics text format with conventional names, units and types.
//!
//! The format is written by `prometheus-client`, the Prometheus project's own Rust client,
//! rather than by hand: its encoder gets escaping, `_total` suffixes, units, `# EOF` and
//! histogram buckets right, and it follows the specification as it evolves. Latency
//! histograms are exported from the run's HdrHistograms through its `EncodeMetric` trait, so
//! every bucket count is a count of measured values (at HdrHistogram's 3 significant digits,
//! which also bound the `_sum`). Metrics that were not measured are absent, never zero.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use axum::Router;
use axum::http::header;
use axum::response::IntoResponse;
use axum::routing::get;
use hdrhistogram::Histogram;
use prometheus_client::encoding::{EncodeMetric, MetricEncoder, NoLabelSet};
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::{MetricType, TypedMetric};
use prometheus_client::registry::{Registry, Unit};
use std::sync::atomic::AtomicU64;

use crate::error::ObserveError;
use crate::frame::LiveFrame;
use crate::server::Server;

/// The content type of the OpenMetrics text format.
pub const CONTENT_TYPE: &str = "application/openmetrics-text; version=1.0.0; charset=utf-8";

/// Series exported only once they have a value: errors by kind (once one happens), and what
/// only some engines measure (Flink's checkpoints, busy and back-pressured time, restarts; the
/// embedded engine has none of them). A dashboard may chart them and shows "No data" until
/// then, rather than a made-up zero.
pub const EXPORTED_ONCE_MEASURED: &[&str] = &[
    "pipegen_errors_total",
    "pipegen_job_last_checkpoint_duration_seconds",
    "pipegen_job_busy_ratio",
    "pipegen_job_backpressure_ratio",
    "pipegen_job_restarts_total",
    "pipegen_lookups_total",
    "pipegen_lookup_cache_hits_total",
    "pipegen_lookup_cache_misses_total",
    "pipegen_lookup_latency_seconds",
];

/// The label naming a pipeline job. Not `job`: Prometheus sets that one to the scrape job and
/// would rename pipegen's to `exported_job`.
const JOB_LABEL: &str = "job_name";

/// Upper bounds (seconds) of the latency histogram buckets.
const LATENCY_BUCKETS: [f64; 16] = [
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0,
];

type Labels = Vec<(String, String)>;

/// A gauge that is absent until it has a value.
#[derive(Debug, Clone, Default)]
struct OptionalGauge(Arc<Mutex<Option<f64>>>);

impl OptionalGauge {
    fn set(&self, value: Option<f64>) {
        if let Ok(mut v) = self.0.lock() {
            *v = value;
        }
    }
}

impl TypedMetric for OptionalGauge {
    const TYPE: MetricType = MetricType::Gauge;
}

impl EncodeMetric for OptionalGauge {
    fn encode(&self, mut encoder: MetricEncoder) -> Result<(), std::fmt::Error> {
        match self.0.lock().ok().and_then(|v| *v) {
            Some(value) => encoder.encode_gauge(&value),
            None => Ok(()),
        }
    }

    fn metric_type(&self) -> MetricType {
        MetricType::Gauge
    }

    fn is_empty(&self) -> bool {
        self.0.lock().map(|v| v.is_none()).unwrap_or(true)
    }
}

/// A histogram of seconds read from a cumulative HdrHistogram of microseconds.
#[derive(Debug, Clone, Default)]
struct HdrSeconds(Arc<Mutex<Option<Histogram<u64>>>>);

impl HdrSeconds {
    fn set(&self, histogram: &Histogram<u64>) {
        if let Ok(mut h) = self.0.lock() {
            *h = Some(histogram.clone());
        }
    }
}

/// Per-bucket counts (not cumulative) and the sum in seconds of a microsecond histogram.
fn buckets(h: &Histogram<u64>) -> (Vec<(f64, u64)>, f64) {
    let mut counts = vec![0u64; LATENCY_BUCKETS.len() + 1];
    let mut sum = 0.0;
    for v in h.iter_recorded() {
        let seconds = h.highest_equivalent(v.value_iterated_to()) as f64 / 1e6;
        let count = v.count_at_value();
        sum += seconds * count as f64;
        let index = LATENCY_BUCKETS
            .iter()
            .position(|bound| seconds <= *bound)
            .unwrap_or(LATENCY_BUCKETS.len());
        counts[index] += count;
    }
    let bounds = LATENCY_BUCKETS.iter().copied().chain([f64::MAX]);
    (bounds.zip(counts).collect(), sum)
}

impl TypedMetric for HdrSeconds {
    const TYPE: MetricType = MetricType::Histogram;
}

impl EncodeMetric for HdrSeconds {
    fn encode(&self, mut encoder: MetricEncoder) -> Result<(), std::fmt::Error> {
        let Ok(guard) = self.0.lock() else { return Ok(()) };
        let Some(h) = guard.as_ref() else { return Ok(()) };
        let (buckets, sum) = buckets(h);
        encoder.encode_histogram::<NoLabelSet>(sum, h.len(), &buckets, None)
    }

    fn metric_type(&self) -> MetricType {
        MetricType::Histogram
    }

    fn is_empty(&self) -> bool {
        self.0.lock().map(|h| h.is_none()).unwrap_or(true)
    }
}

/// The cumulative latency histograms (microseconds) behind a frame.
pub struct CumulativeLatency<'a> {
    pub publish: &'a Histogram<u64>,
    pub publish_delay: &'a Histogram<u64>,
    /// `None` when the run cannot time its results.
    pub end_to_end: Option<&'a Histogram<u64>>,
}

#[derive(Default)]
struct Metrics {
    sent: Counter,
    acked: Counter,
    failed: Counter,
    consumed: Counter,
    target_rate: OptionalGauge,
    achieved_rate: Gauge,
    consume_rate: Gauge,
    publish: HdrSeconds,
    publish_delay: HdrSeconds,
    end_to_end: HdrSeconds,
    lag: Family<Labels, OptionalGauge>,
    job_in: Family<Labels, Counter>,
    job_out: Family<Labels, Counter>,
    job_late: Family<Labels, Counter>,
    job_state: Family<Labels, OptionalGauge>,
    job_watermark: Family<Labels, OptionalGauge>,
    job_checkpoint: Family<Labels, OptionalGauge>,
    job_busy: Family<Labels, OptionalGauge>,
    job_backpressure: Family<Labels, OptionalGauge>,
    job_restarts: Family<Labels, Counter>,
    lookups: Family<Labels, Counter>,
    lookup_hits: Family<Labels, Counter>,
    lookup_misses: Family<Labels, Counter>,
    lookup_latency: Family<Labels, OptionalGauge>,
    errors: Family<Labels, Counter>,
    cpu: Counter<f64, AtomicU64>,
    memory: OptionalGauge,
}

fn registry(m: &Metrics) -> Registry {
    let mut r = Registry::with_prefix("pipegen");
    r.register("records_sent", "Records handed to the log", m.sent.clone());
    r.register("records_acked", "Records the log acknowledged", m.acked.clone());
    r.register("records_failed", "Records the log refused or lost", m.failed.clone());
    r.register(
        "records_consumed",
        "Result records the run read back",
        m.consumed.clone(),
    );
    r.register(
        "target_rate",
        "Records per second the rate plan meant for the last second",
        m.target_rate.clone(),
    );
    r.register(
        "achieved_rate",
        "Records sent in the last second",
        m.achieved_rate.clone(),
    );
    r.register(
        "consume_rate",
        "Result records read in the last second",
        m.consume_rate.clone(),
    );
    r.register_with_unit(
        "publish_latency",
        "Intended send time to acknowledgement",
        Unit::Seconds,
        m.publish.clone(),
    );
    r.register_with_unit(
        "publish_delay",
        "Actual send time minus intended send time",
        Unit::Seconds,
        m.publish_delay.clone(),
    );
    r.register_with_unit(
        "end_to_end_latency",
        "Result read time minus the input's intended send time (or window end)",
        Unit::Seconds,
        m.end_to_end.clone(),
    );
    r.register(
        "topic_lag_records",
        "Records written to a topic and not yet read",
        m.lag.clone(),
    );
    r.register("job_records_in", "Records a job read", m.job_in.clone());
    r.register("job_records_out", "Records a job wrote", m.job_out.clone());
    r.register(
        "job_late_records_dropped",
        "Late records a job dropped",
        m.job_late.clone(),
    );
    r.register_with_unit(
        "job_state",
        "Bytes of state a job holds",
        Unit::Bytes,
        m.job_state.clone(),
    );
    r.register_with_unit(
        "job_watermark_timestamp",
        "A job's event-time watermark, as Unix time",
        Unit::Seconds,
        m.job_watermark.clone(),
    );
    r.register_with_unit(
        "job_last_checkpoint_duration",
        "Duration of a job's last completed checkpoint (engines with checkpoints only)",
        Unit::Seconds,
        m.job_checkpoint.clone(),
    );
    r.register(
        "job_busy_ratio",
        "Share of time the busiest task of a job was busy (Flink only)",
        m.job_busy.clone(),
    );
    r.register(
        "job_backpressure_ratio",
        "Share of time the most back-pressured task of a job was back-pressured (Flink only)",
        m.job_backpressure.clone(),
    );
    r.register(
        "job_restarts",
        "Times a job restarted (Flink only)",
        m.job_restarts.clone(),
    );
    r.register(
        "lookups",
        "Keys a job's lookup join asked of its table's database",
        m.lookups.clone(),
    );
    r.register(
        "lookup_cache_hits",
        "Keys a lookup join's cache answered (tables with a cache only)",
        m.lookup_hits.clone(),
    );
    r.register(
        "lookup_cache_misses",
        "Keys a lookup join's cache did not hold (tables with a cache only)",
        m.lookup_misses.clone(),
    );
    r.register_with_unit(
        "lookup_latency",
        "How long a lookup join's database took to answer, by quantile since the job started",
        Unit::Seconds,
        m.lookup_latency.clone(),
    );
    r.register("errors", "Errors by kind", m.errors.clone());
    r.register_with_unit(
        "process_cpu",
        "User and system CPU time of the pipegen process",
        Unit::Seconds,
        m.cpu.clone(),
    );
    r.register_with_unit(
        "process_resident_memory",
        "Resident memory of the pipegen process",
        Unit::Bytes,
        m.memory.clone(),
    );
    r
}

fn raise_to(counter: &Counter, total: u64) {
    let now = counter.get();
    if total > now {
        counter.inc_by(total - now);
    }
}

fn label(key: &str, value: &str) -> Labels {
    vec![(key.to_string(), value.to_string())]
}

/// The registry and the metrics it encodes, updated once per frame.
pub struct Exporter {
    metrics: Metrics,
    registry: Registry,
}

impl Default for Exporter {
    fn default() -> Self {
        Self::new()
    }
}

impl Exporter {
    pub fn new() -> Self {
        let metrics = Metrics::default();
        let registry = registry(&metrics);
        Self { metrics, registry }
    }

    /// Brings every metric to what `frame` and the cumulative histograms say.
    pub fn update(&self, frame: &LiveFrame, latency: &CumulativeLatency<'_>) {
        let m = &self.metrics;
        raise_to(&m.sent, frame.sent_total);
        raise_to(&m.acked, frame.acked_total);
        raise_to(&m.failed, frame.failed_total);
        raise_to(&m.consumed, frame.consumed_total);
        m.target_rate.set(frame.target_rate.map(|r| r as f64));
        m.achieved_rate.set(frame.sent as i64);
        m.consume_rate.set(frame.consumed as i64);
        m.publish.set(latency.publish);
        m.publish_delay.set(latency.publish_delay);
        if let Some(end_to_end) = latency.end_to_end {
            m.end_to_end.set(end_to_end);
        }
        for lag in &frame.lag {
            m.lag
                .get_or_create(&label("topic", &lag.topic))
                .set(lag.lag.map(|l| l as f64));
        }
        for job in frame.jobs.iter().map(|j| &j.counters) {
            let labels = label(JOB_LABEL, &job.name);
            let counters = [
                (&m.job_in, job.records_in_total),
                (&m.job_out, job.records_out_total),
                (&m.job_late, job.late_records_dropped),
                (&m.job_restarts, job.restarts),
            ];
            for (family, total) in counters {
                if let Some(total) = total {
                    raise_to(&family.get_or_create(&labels), total);
                }
            }
            let gauges = [
                (&m.job_state, job.state_bytes.map(|b| b as f64)),
                (&m.job_watermark, job.watermark_ms.map(|w| w as f64 / 1000.0)),
                (&m.job_checkpoint, job.last_checkpoint_ms.map(|ms| ms / 1000.0)),
                (&m.job_busy, job.busy),
                (&m.job_backpressure, job.backpressure),
            ];
            for (family, value) in gauges {
                // Created once measured; a value unmeasured again is absent rather than stale.
                if value.is_some() || family.get(&labels).is_some() {
                    family.get_or_create(&labels).set(value);
                }
            }
        }
        for job in frame.jobs.iter().map(|j| &j.counters) {
            for table in &job.lookups {
                let labels = vec![
                    (JOB_LABEL.to_string(), job.name.clone()),
                    ("table".to_string(), table.table.clone()),
                ];
                raise_to(&m.lookups.get_or_create(&labels), table.lookups_total);
                if let (Some(hits), Some(misses)) = (table.cache_hits_total, table.cache_misses_total) {
                    raise_to(&m.lookup_hits.get_or_create(&labels), hits);
                    raise_to(&m.lookup_misses.get_or_create(&labels), misses);
                }
                let latency = &table.latency_ms;
                for (quantile, ms) in [("0.5", latency.p50), ("0.99", latency.p99), ("1", latency.max)] {
                    let mut labels = labels.clone();
                    labels.push(("quantile".to_string(), quantile.to_string()));
                    if ms.is_some() || m.lookup_latency.get(&labels).is_some() {
                        m.lookup_latency.get_or_create(&labels).set(ms.map(|ms| ms / 1000.0));
                    }
                }
            }
        }
        for (kind, count) in &frame.errors {
            raise_to(&m.errors.get_or_create(&label("kind", kind)), *count);
        }
        if let Some(total) = frame.resources.cpu_seconds_total {
            let now = m.cpu.get();
            if total > now {
                m.cpu.inc_by(total - now);
            }
        }
        m.memory.set(frame.resources.rss_bytes.map(|b| b as f64));
    }

    /// The exposition text.
    pub fn encode(&self) -> String {
        let mut text = String::new();
        // Writing to a String cannot fail.
        let _ = prometheus_client::encoding::text::encode(&mut text, &self.registry);
        text
    }
}

/// `/metrics` on 127.0.0.1 while a run goes.
pub struct PrometheusEndpoint {
    exporter: Arc<Exporter>,
    server: Server,
}

impl PrometheusEndpoint {
    pub async fn start(port: u16) -> Result<Self, ObserveError> {
        let exporter = Arc::new(Exporter::new());
        let serving = exporter.clone();
        let router = Router::new().route(
            "/metrics",
            get(move || {
                let exporter = serving.clone();
                async move { ([(header::CONTENT_TYPE, CONTENT_TYPE)], exporter.encode()).into_response() }
            }),
        );
        let server = Server::start("Prometheus endpoint", "127.0.0.1", port, router).await?;
        Ok(Self { exporter, server })
    }

    pub fn address(&self) -> SocketAddr {
        self.server.address()
    }

    pub fn update(&self, frame: &LiveFrame, latency: &CumulativeLatency<'_>) {
        self.exporter.update(frame, latency);
    }

    pub async fn stop(self) {
        self.server.stop().await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hdr_buckets_count_every_value_once_in_the_first_bucket_that_holds_it() {
        let mut h = Histogram::<u64>::new_with_bounds(1, 3_600_000_000, 3).unwrap();
        h.record_n(800, 3).unwrap(); // 0.8 ms
        h.record(20_000).unwrap(); // 20 ms
        h.record(90_000_000).unwrap(); // 90 s: past the last bound
        let (buckets, sum) = buckets(&h);
        let count = |bound: f64| buckets.iter().find(|(b, _)| *b == bound).unwrap().1;
        assert_eq!(count(0.001), 3);
        assert_eq!(count(0.025), 1);
        assert_eq!(count(f64::MAX), 1);
        assert_eq!(buckets.iter().map(|(_, c)| c).sum::<u64>(), 5);
        assert!((sum - (0.0024 + 0.02 + 90.0)).abs() < 90.0 * 0.001, "{sum}");
    }

    #[test]
    fn unmeasured_metrics_are_absent_and_counters_follow_the_totals() {
        let exporter = Exporter::new();
        let text = exporter.encode();
        assert!(text.contains("pipegen_records_sent_total 0"), "{text}");
        assert!(!text.contains("pipegen_target_rate "), "no value yet: {text}");
        assert!(!text.contains("pipegen_end_to_end_latency_seconds_count"), "{text}");
        assert!(text.ends_with("# EOF\n"));
    }

    #[test]
    fn lookups_are_counted_per_job_and_table_and_a_table_without_cache_has_no_hit_series() {
        let frame: LiveFrame = serde_json::from_str(
            r#"{
            "t_s": 3, "planned_s": 10, "phase": "base", "target_rate": 100,
            "sent": 100, "acked": 100, "failed": 0, "consumed": 100,
            "sent_total": 400, "acked_total": 400, "failed_total": 0, "consumed_total": 400,
            "latency_ms": {
                "publish": {"count": 0, "p50": null, "p99": null, "p999": null, "max": null},
                "publish_delay": {"count": 0, "p50": null, "p99": null, "p999": null, "max": null},
                "end_to_end": {"count": 0, "p50": null, "p99": null, "p999": null, "max": null}
            },
            "lag": [],
            "jobs": [{
                "name": "enrich", "records_in": 100, "records_out": 100,
                "records_in_total": 400, "records_out_total": 400, "late_records_dropped": null,
                "watermark_ms": null, "state_bytes": null, "busy": null, "backpressure": null,
                "last_checkpoint_ms": null, "restarts": null,
                "lookups": [
                    {"table": "customers", "lookups_total": 80, "cache_hits_total": 320, "cache_misses_total": 80,
                     "latency_ms": {"count": 80, "p50": 0.4, "p99": 2.5, "p999": 2.5, "max": 3.0}},
                    {"table": "products", "lookups_total": 400, "cache_hits_total": null, "cache_misses_total": null,
                     "latency_ms": {"count": 400, "p50": 0.3, "p99": 1.0, "p999": 1.0, "max": 1.5}}
                ]
            }],
            "errors": {},
            "resources": {"cpu_percent": null, "cpu_seconds_total": null, "rss_bytes": null}
        }"#,
        )
        .unwrap();
        let exporter = Exporter::new();
        let empty = Histogram::<u64>::new(3).unwrap();
        exporter.update(
            &frame,
            &CumulativeLatency {
                publish: &empty,
                publish_delay: &empty,
                end_to_end: None,
            },
        );
        let text = exporter.encode();
        assert!(
            text.contains("pipegen_lookups_total{job_name=\"enrich\",table=\"customers\"} 80"),
            "{text}"
        );
        assert!(
            text.contains("pipegen_lookup_cache_hits_total{job_name=\"enrich\",table=\"customers\"} 320"),
            "{text}"
        );
        assert!(
            !text.contains("pipegen_lookup_cache_hits_total{job_name=\"enrich\",table=\"products\"}"),
            "{text}"
        );
        assert!(
            text.contains(
                "pipegen_lookup_latency_seconds{job_name=\"enrich\",table=\"customers\",quantile=\"0.99\"} 0.0025"
            ),
            "{text}"
        );
    }
}
