//! The run's result, from what it measured: the producer's report, the readers' counts and
//! latencies, the topics' last offsets, the jobs' rows, and the loss budget applied.

use std::sync::atomic::Ordering;
use std::time::Duration;

use pipegen_config::Rate;
use pipegen_loadgen::metrics::Percentiles;

use crate::backends::{LogBackend, RegistryBackend};
use crate::dimensions::DimensionRow;
use crate::drain::Drained;
use crate::live::phase_bands;
use crate::load::{Consumers, Producers, SinkConsumer};
use crate::pipeline::Pipeline;
use crate::request::RunRequest;
use crate::result::{
    Backends, ConsumerSummary, Environment, Latency, PlannedPhase, RatePlanSummary, RunResult, Status, TimelineRow,
    Timings,
};
use crate::topic_watch::{TopicWatch, topic_rows};

/// The longest the result waits for a last reading of the topics' offsets.
const FINAL_READING: Duration = Duration::from_secs(3);

/// What the result is made from.
pub(crate) struct Measured<'a> {
    pub request: &'a RunRequest<'a>,
    pub run_id: &'a str,
    pub started_at: chrono::DateTime<chrono::Utc>,
    pub log: &'a LogBackend,
    pub registry: &'a RegistryBackend,
    pub dimensions: Vec<DimensionRow>,
    pub pipeline: &'a Pipeline<'a>,
    pub producers: &'a Producers,
    pub consumers: &'a Consumers,
    pub topics: TopicWatch,
    pub frames: Vec<pipegen_observe::LiveFrame>,
    pub deploy_time: Duration,
}

pub(crate) fn collect(m: Measured<'_>, drained: Drained) -> RunResult {
    let config = &m.request.config.config;
    let Drained {
        mut status,
        mut error,
        jobs,
        mut errors,
    } = drained;
    let (plan, recorder) = (&m.producers.plan, &m.producers.recorder);
    let report = recorder.report(plan);
    judge_losses(&m, &report.totals, &mut status, &mut error);
    for (kind, count) in &report.errors {
        *errors.entry(kind.clone()).or_default() += count;
    }
    let consumers = &m.consumers.list;
    let mut end_to_end = hdrhistogram::Histogram::<u64>::new_with_bounds(1, 3_600_000_000, 3).expect("valid bounds");
    for consumer in consumers {
        if let Ok(h) = consumer.metrics.end_to_end.lock() {
            let _ = end_to_end.add(&*h);
        }
    }
    let topics = topic_rows(&m.topics.settle(FINAL_READING), m.pipeline, consumers);
    RunResult {
        run_id: m.run_id.to_owned(),
        started_at: m.started_at.to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
        finished_at: chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
        status,
        error,
        backends: Backends {
            log: m.log.name().into(),
            engine: match config.engine {
                pipegen_config::Engine::Embedded => "embedded".into(),
                pipegen_config::Engine::Flink => "flink".into(),
            },
            schema_registry: m.registry.name().into(),
            log_client_config: m.log.client_config(),
        },
        config: m.request.config.redacted_json(),
        dimensions: m.dimensions,
        producer: report.totals.clone(),
        consumer: ConsumerSummary {
            consumed: m.consumers.consumed(),
            expected: config.run.expected_messages,
            bytes: consumers.iter().map(|c| c.metrics.bytes.load(Ordering::Relaxed)).sum(),
        },
        latency_ms: Latency {
            publish: report.latency_ms.publish.clone(),
            publish_delay: report.latency_ms.publish_delay.clone(),
            end_to_end: Percentiles::of(&end_to_end),
            end_to_end_definition: if m.consumers.definitions.is_empty() {
                "n/a: the pipeline writes no Kafka table the run can read".into()
            } else {
                m.consumers.definitions.join("; ")
            },
            end_to_end_timed: consumers.iter().any(|c| c.timed),
        },
        timeline: timeline(&report.timeline, consumers),
        rate_plan: rate_plan(plan),
        frames: m.frames,
        topics,
        jobs,
        errors,
        timings: Timings {
            startup_ms: recorder
                .first_ack()
                .map(|first| first.saturating_duration_since(m.request.process_started).as_secs_f64() * 1000.0),
            deploy_ms: m.deploy_time.as_secs_f64() * 1000.0,
        },
        environment: Environment {
            pipegen_version: m.request.version.clone(),
            os: std::env::consts::OS.into(),
            arch: std::env::consts::ARCH.into(),
            cpus: std::thread::available_parallelism().map_or(1, |n| n.get()),
        },
    }
}

/// Undelivered records: named in a failed run's error, and failing a run that lost more
/// than `run.loss_budget` allows.
fn judge_losses(
    m: &Measured<'_>,
    produced: &pipegen_loadgen::metrics::ProducerTotals,
    status: &mut Status,
    error: &mut Option<String>,
) {
    let config = &m.request.config.config;
    let (sent, failed) = (produced.sent, produced.failed);
    if *status != Status::Succeeded
        && failed > 0
        && let Some(error) = error
    {
        error.push_str(&format!("; {failed} of {sent} messages sent were not delivered"));
    }
    let budget = config.run.loss_budget;
    if *status == Status::Succeeded && !budget.allows(failed, sent) {
        *status = Status::Failed;
        let silent = m.topics.silent_for();
        let why = match m.log.lost_after() {
            Some(_) if silent >= config.kafka.timeout.as_std() => format!(
                "; the Kafka cluster at {} has not answered for {}",
                m.log.bootstrap_servers(),
                pipegen_config::Duration(Duration::from_secs(silent.as_secs()))
            ),
            _ => String::new(),
        };
        *error = Some(format!(
            "{failed} of {sent} messages sent were not delivered (run.loss_budget: {budget}){why}"
        ));
    }
}

/// Per second: what was planned, sent, acknowledged, failed and read back.
fn timeline(produced: &[pipegen_loadgen::metrics::TimelineEntry], consumers: &[SinkConsumer]) -> Vec<TimelineRow> {
    let consumed_per_second = sum_per_second(consumers.iter().map(|c| c.metrics.per_second()));
    let mut timeline: Vec<TimelineRow> = produced
        .iter()
        .map(|row| TimelineRow {
            t_s: row.t_s,
            target_rate: row.target_rate,
            sent: row.sent,
            acked: row.acked,
            failed: row.failed,
            consumed: consumed_per_second.get(row.t_s as usize).copied().unwrap_or(0),
        })
        .collect();
    for (second, consumed) in consumed_per_second.iter().enumerate().skip(timeline.len()) {
        timeline.push(TimelineRow {
            t_s: second as u64,
            target_rate: Some(0),
            sent: 0,
            acked: 0,
            failed: 0,
            consumed: *consumed,
        });
    }
    timeline
}

fn rate_plan(plan: &pipegen_loadgen::plan::RatePlan) -> RatePlanSummary {
    let rate = |r: Rate| match r {
        Rate::PerSecond(r) => Some(r),
        Rate::Max => None,
    };
    RatePlanSummary {
        base_rate: rate(plan.base),
        phases: plan
            .phases
            .iter()
            .map(|p| PlannedPhase {
                start_s: p.start.as_secs_f64(),
                end_s: p.end.as_secs_f64(),
                rate: rate(p.rate),
                origin: p.origin.clone(),
            })
            .collect(),
        bands: phase_bands(plan),
    }
}

fn sum_per_second(series: impl Iterator<Item = Vec<u64>>) -> Vec<u64> {
    let mut total: Vec<u64> = Vec::new();
    for s in series {
        if s.len() > total.len() {
            total.resize(s.len(), 0);
        }
        for (i, v) in s.into_iter().enumerate() {
            total[i] += v;
        }
    }
    total
}
