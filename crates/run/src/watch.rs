//! The run's watch: every quarter second the jobs are read, the live views fed, the progress
//! line drawn, and the rules for when the run is over applied: a signal, a lost topic or
//! cluster, a failed job, the pipeline timeout, or (once the load has ended) every result in.

use std::time::{Duration, Instant};

use pipegen_loadgen::metrics::Recorder;
use pipegen_loadgen::plan::RatePlan;

use crate::backends::LogBackend;
use crate::interrupt::Interruption;
use crate::jobs::RunningJobs;
use crate::live::{LiveFeed, Sources, phase_at, target_at};
use crate::load::{Consumers, Producers, SinkConsumer};
use crate::pipeline::Pipeline;
use crate::progress::{Progress, Snapshot};
use crate::request::RunRequest;
use crate::result::Status;
use crate::topic_watch::TopicWatch;

/// After the load ends, results count as complete once nothing new has arrived for this long.
const QUIET: Duration = Duration::from_secs(3);
/// A capacity step ends this long after its load: past the live feed's settling of the last
/// second, so that second is framed and judged.
const STEP_END: Duration = Duration::from_millis(600);

/// What the watch looks at.
pub(crate) struct Watched<'a> {
    pub request: &'a RunRequest<'a>,
    pub log: &'a LogBackend,
    pub pipeline: &'a Pipeline<'a>,
    pub consumers: &'a Consumers,
    pub producers: &'a Producers,
    pub topics: &'a TopicWatch,
    pub start: Instant,
}

/// Watches until the run is over; how it ended, and why when it did not succeed.
pub(crate) async fn watch(
    w: &Watched<'_>,
    jobs: &mut dyn RunningJobs,
    live: &mut LiveFeed,
    interrupted: &Interruption,
) -> (Status, Option<String>) {
    let (plan, recorder) = (&*w.producers.plan, &*w.producers.recorder);
    let mut progress = Progress::new(w.request.progress);
    let mut ticker = tokio::time::interval(Duration::from_millis(250));
    let mut last_activity = (0u64, Instant::now());
    let mut producing_ended: Option<Instant> = None;
    let mut last_shown = Duration::ZERO;
    let ending = loop {
        ticker.tick().await;
        let elapsed = w.start.elapsed();
        let consumed = w.consumers.consumed();
        jobs.poll();
        let activity = consumed + jobs.records_out();
        if activity != last_activity.0 {
            last_activity = (activity, Instant::now());
        }
        let sources = Sources {
            plan,
            recorder,
            consumers: &w.consumers.list,
            jobs: &*jobs,
            topics: w.topics,
            pipeline: w.pipeline,
        };
        live.tick(&sources, elapsed);
        if elapsed >= last_shown + Duration::from_secs(1) {
            last_shown = Duration::from_secs(elapsed.as_secs());
            let expected = w.request.config.config.run.expected_messages;
            progress.show(&snapshot(plan, recorder, &w.consumers.list, elapsed, expected));
        }
        if producing_ended.is_none() && w.producers.all_finished() {
            producing_ended = Some(Instant::now());
        }
        let state = State {
            elapsed,
            consumed,
            producing_ended,
            quiet_since: last_activity.1,
        };
        if let Some(ending) = over(w, &*jobs, interrupted, &state) {
            break ending;
        }
    };
    progress.finish();
    ending
}

/// Where the run stands at one tick.
struct State {
    elapsed: Duration,
    consumed: u64,
    /// When every sender had ended.
    producing_ended: Option<Instant>,
    /// When the results last grew.
    quiet_since: Instant,
}

/// The rules for when the run is over, in order; `None` while it goes on.
fn over(
    w: &Watched<'_>,
    jobs: &dyn RunningJobs,
    interrupted: &Interruption,
    s: &State,
) -> Option<(Status, Option<String>)> {
    let config = &w.request.config.config;
    if let Some(signal) = interrupted.signal() {
        return Some((Status::Interrupted, Some(format!("interrupted ({})", signal.name()))));
    }
    if let Some(fault) = w.topics.fault() {
        return Some((Status::Failed, Some(fault.to_string())));
    }
    if let Some(limit) = w.log.lost_after()
        && w.topics.silent_for() >= limit
    {
        return Some((
            Status::Failed,
            Some(format!(
                "the Kafka cluster at {} has not answered for {} (3 x kafka.timeout): the run stopped with what it had measured",
                w.log.bootstrap_servers(),
                pipegen_config::Duration(limit)
            )),
        ));
    }
    if let Some(failure) = jobs.failure() {
        return Some((Status::Failed, Some(failure)));
    }
    // The pipeline gets `pipeline_timeout` once the load has ended (or should have).
    let timeout = config.run.pipeline_timeout.as_std();
    let timed_out = match s.producing_ended {
        Some(ended) => ended.elapsed() >= timeout,
        None => s.elapsed >= w.producers.plan.duration + timeout,
    };
    let expected = config.run.expected_messages;
    if timed_out {
        let message = match expected {
            Some(n) if s.consumed < n => format!(
                "pipeline timeout ({}) reached with {} of the {n} expected messages consumed",
                config.run.pipeline_timeout, s.consumed
            ),
            _ => format!("pipeline timeout ({}) reached", config.run.pipeline_timeout),
        };
        return Some((Status::Failed, Some(message)));
    }
    let ended = s.producing_ended?;
    if w.request.step.is_some() {
        // A capacity step ends with its load, once its last second is framed: what the
        // pipeline has not processed by then is its lag, not something to wait for.
        return (s.elapsed >= w.producers.plan.duration + STEP_END).then_some((Status::Succeeded, None));
    }
    if let Some(n) = expected {
        return (s.consumed >= n).then_some((Status::Succeeded, None));
    }
    let quiet = s.quiet_since.max(ended).elapsed() >= QUIET;
    let pipeline = w.pipeline;
    let accounted = pipeline.pass_through
        && !pipeline.sinks.is_empty()
        && !pipeline.fed.is_empty()
        && s.consumed >= w.producers.recorder.acked_total();
    (jobs.all_finished() || quiet || accounted).then_some((Status::Succeeded, None))
}

/// The progress line's figures.
fn snapshot(
    plan: &RatePlan,
    recorder: &Recorder,
    consumers: &[SinkConsumer],
    elapsed: Duration,
    expected: Option<u64>,
) -> Snapshot {
    let second = Duration::from_secs(elapsed.as_secs().saturating_sub(1));
    let mut p99 = None;
    for consumer in consumers {
        if let Ok(h) = consumer.metrics.end_to_end.lock()
            && !h.is_empty()
        {
            let value = h.value_at_quantile(0.99) as f64 / 1000.0;
            p99 = Some(p99.map_or(value, |p: f64| p.max(value)));
        }
    }
    Snapshot {
        elapsed,
        planned: plan.duration,
        phase: phase_at(plan, second),
        target_rate: target_at(plan, recorder.paced_streams(), second),
        achieved_rate: recorder.sent_in_second(second.as_secs() as usize),
        sent: recorder.sent_total(),
        consumed: consumers
            .iter()
            .map(|c| c.metrics.consumed.load(std::sync::atomic::Ordering::Relaxed))
            .sum(),
        expected,
        end_to_end_p99_ms: p99,
        errors: recorder.failed_total(),
    }
}
