//! One step judged: its criteria held against what the run measured over the step's judged
//! seconds (past the warmup, up to the load's end), and for each broken one the side that fell
//! behind: the generator (behind its own schedule), the log (failing or slow to acknowledge),
//! the engine (its sources' backlog growing, or the results late) or the sink (the results'
//! backlog growing).

use serde::Serialize;

use pipegen_config::FindMaxConfig;
use pipegen_observe::LiveFrame;

use crate::request::JudgedLatency;
use crate::result::RunResult;

/// A criterion a step must hold.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Criterion {
    FailedDeliveries,
    PublishDelayP99,
    LagGrowth,
    EndToEndP99,
}

/// The part of the pipeline that fell behind.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Side {
    Generator,
    Log,
    Engine,
    Sink,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Broken {
    pub criterion: Criterion,
    pub side: Side,
    /// What was measured against what the criterion allows.
    pub detail: String,
}

/// The row of [`TopicGrowth`] that stands for the engine's own backlog on Flink.
pub const ENGINE_INTAKE: &str = "(engine intake)";

/// A topic's backlog over the judged seconds.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TopicGrowth {
    pub topic: String,
    pub role: String,
    /// Records per second (least squares over the judged seconds); `None` when fewer than
    /// three seconds measured the lag.
    pub growth_per_s: Option<f64>,
    /// The lag at the last judged second.
    pub last_lag: Option<u64>,
}

/// A step's figures over its judged seconds and how it was judged.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StepJudgement {
    pub held: bool,
    pub judged_seconds: u64,
    /// Sent per second over the judged seconds (every stream).
    pub achieved_rate: Option<f64>,
    /// Planned per second over the judged seconds (every paced stream).
    pub target_rate: Option<f64>,
    pub failed: u64,
    pub publish_p99_ms: Option<f64>,
    pub publish_delay_p99_ms: Option<f64>,
    pub end_to_end_p99_ms: Option<f64>,
    pub topics: Vec<TopicGrowth>,
    pub broken: Vec<Broken>,
}

/// Judges a step whose load lasted `duration_s` seconds, the first `warmup_s` not judged.
pub fn judge(
    result: &RunResult,
    latency: Option<&JudgedLatency>,
    criteria: &FindMaxConfig,
    warmup_s: u64,
    duration_s: u64,
) -> StepJudgement {
    let frames: Vec<&LiveFrame> = result
        .frames
        .iter()
        .filter(|f| f.t_s >= warmup_s && f.t_s < duration_s)
        .collect();
    let seconds = frames.len() as u64;
    let per_second = |total: u64| (seconds > 0).then(|| total as f64 / seconds as f64);
    let achieved_rate = per_second(frames.iter().map(|f| f.sent).sum());
    let target_rate = frames
        .iter()
        .map(|f| f.target_rate)
        .sum::<Option<u64>>()
        .and_then(per_second);
    let failed: u64 = frames.iter().map(|f| f.failed).sum::<u64>().max(result.producer.failed);
    // Flink commits its sources' offsets on checkpoints (or never, without them), so their
    // consumer groups' lag says nothing of now: there the engine's backlog is what was
    // acknowledged minus what its jobs read from Kafka.
    let on_flink = result.backends.engine == "flink";
    let mut topics = topic_growth(result, &frames, on_flink);
    if on_flink {
        topics.push(engine_intake(&frames));
    }
    let p99 = |p: &pipegen_loadgen::metrics::Percentiles| p.p99;
    let publish_p99_ms = latency.and_then(|l| p99(&l.publish));
    let publish_delay_p99_ms = latency.and_then(|l| p99(&l.publish_delay));
    let end_to_end_p99_ms = latency.and_then(|l| l.end_to_end.as_ref()).and_then(p99);

    let mut broken = Vec::new();
    if failed > 0 {
        broken.push(Broken {
            criterion: Criterion::FailedDeliveries,
            side: Side::Log,
            detail: format!("{failed} messages were not delivered"),
        });
    }
    let delay_bound = criteria.publish_delay_p99.as_std().as_secs_f64() * 1000.0;
    match publish_delay_p99_ms {
        Some(delay) if delay > delay_bound => {
            // The log is the one behind when it is slow to acknowledge what was sent on time.
            let acknowledging = publish_p99_ms.map_or(0.0, |p| (p - delay).max(0.0));
            let side = if acknowledging > delay_bound {
                Side::Log
            } else {
                Side::Generator
            };
            broken.push(Broken {
                criterion: Criterion::PublishDelayP99,
                side,
                detail: format!(
                    "publish delay p99 {delay:.1} ms over {delay_bound:.1} ms (publish p99 {})",
                    publish_p99_ms.map_or("n/a".into(), |p| format!("{p:.1} ms"))
                ),
            });
        }
        Some(_) => {}
        None => broken.push(Broken {
            criterion: Criterion::PublishDelayP99,
            side: Side::Generator,
            detail: "nothing was sent in the judged seconds".into(),
        }),
    }
    let allowed = target_rate.or(achieved_rate).unwrap_or(0.0) * criteria.lag_growth.fraction();
    for topic in &topics {
        if let Some(growth) = topic.growth_per_s
            && growth > allowed
        {
            broken.push(Broken {
                criterion: Criterion::LagGrowth,
                side: if topic.role == "sink" { Side::Sink } else { Side::Engine },
                detail: format!(
                    "{}: lag grew by {growth:.0} records/s (allowed {allowed:.0}, {} of the rate), to {}",
                    if topic.topic == ENGINE_INTAKE {
                        "the engine's jobs (acknowledged minus read from Kafka)".to_owned()
                    } else {
                        format!("{} topic `{}`", topic.role, topic.topic)
                    },
                    criteria.lag_growth,
                    topic.last_lag.map_or("n/a".into(), |l| l.to_string())
                ),
            });
        }
    }
    if let Some(bound) = criteria.end_to_end_p99 {
        let bound = bound.as_std().as_secs_f64() * 1000.0;
        let side = if broken.iter().any(|b| b.side == Side::Sink) {
            Side::Sink
        } else {
            Side::Engine
        };
        match end_to_end_p99_ms {
            Some(p99) if p99 > bound => broken.push(Broken {
                criterion: Criterion::EndToEndP99,
                side,
                detail: format!("end-to-end p99 {p99:.1} ms over {bound:.1} ms"),
            }),
            Some(_) => {}
            None => broken.push(Broken {
                criterion: Criterion::EndToEndP99,
                side,
                detail: "no result came back in the judged seconds to time".into(),
            }),
        }
    }
    StepJudgement {
        held: broken.is_empty(),
        judged_seconds: seconds,
        achieved_rate,
        target_rate,
        failed,
        publish_p99_ms,
        publish_delay_p99_ms,
        end_to_end_p99_ms,
        topics,
        broken,
    }
}

/// Each source and sink topic's lag trend over the frames (sinks only, `without_sources`).
fn topic_growth(result: &RunResult, frames: &[&LiveFrame], without_sources: bool) -> Vec<TopicGrowth> {
    result
        .topics
        .iter()
        .filter(|t| (t.role == "source" && !without_sources) || t.role == "sink")
        .map(|topic| {
            let points: Vec<(f64, f64)> = frames
                .iter()
                .filter_map(|f| {
                    let lag = f.lag.iter().find(|l| l.topic == topic.name)?.lag?;
                    Some((f.t_s as f64, lag as f64))
                })
                .collect();
            TopicGrowth {
                topic: topic.name.clone(),
                role: topic.role.clone(),
                growth_per_s: slope(&points),
                last_lag: frames
                    .iter()
                    .rev()
                    .find_map(|f| f.lag.iter().find(|l| l.topic == topic.name)?.lag),
            }
        })
        .collect()
}

/// What the sources were sent and acknowledged but the jobs have not read, as a trend (the
/// `engine` row): every second where each job reported its records in.
fn engine_intake(frames: &[&LiveFrame]) -> TopicGrowth {
    let backlog = |f: &LiveFrame| {
        let read: Option<u64> = f.jobs.iter().map(|j| j.counters.records_in_total).sum();
        read.filter(|_| !f.jobs.is_empty())
            .map(|read| f.acked_total.saturating_sub(read))
    };
    let points: Vec<(f64, f64)> = frames
        .iter()
        .filter_map(|f| backlog(f).map(|b| (f.t_s as f64, b as f64)))
        .collect();
    TopicGrowth {
        topic: ENGINE_INTAKE.into(),
        role: "source".into(),
        growth_per_s: slope(&points),
        last_lag: frames.iter().rev().find_map(|f| backlog(f)),
    }
}

/// The least-squares slope of `points`; `None` under three points.
fn slope(points: &[(f64, f64)]) -> Option<f64> {
    if points.len() < 3 {
        return None;
    }
    let n = points.len() as f64;
    let mean_x = points.iter().map(|p| p.0).sum::<f64>() / n;
    let mean_y = points.iter().map(|p| p.1).sum::<f64>() / n;
    let covariance: f64 = points.iter().map(|p| (p.0 - mean_x) * (p.1 - mean_y)).sum();
    let variance: f64 = points.iter().map(|p| (p.0 - mean_x).powi(2)).sum();
    (variance > 0.0).then(|| covariance / variance)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::result::{TopicRow, sample_result};
    use pipegen_loadgen::metrics::Percentiles;
    use pipegen_observe::frame::TopicLag;

    fn frame(t_s: u64, sent: u64, source_lag: u64) -> LiveFrame {
        LiveFrame {
            t_s,
            target_rate: Some(1000),
            sent,
            lag: vec![TopicLag {
                topic: "orders".into(),
                lag: Some(source_lag),
            }],
            ..LiveFrame::default()
        }
    }

    fn result(frames: Vec<LiveFrame>) -> RunResult {
        let mut result = sample_result();
        result.producer.failed = 0;
        result.frames = frames;
        result.topics = vec![TopicRow {
            name: "orders".into(),
            role: "source".into(),
            partitions: 1,
            end_offsets: vec![0],
            lag: None,
        }];
        result
    }

    fn latency(delay_p99: f64, publish_p99: f64) -> JudgedLatency {
        let p = |p99| Percentiles {
            count: 100,
            p99: Some(p99),
            ..Percentiles::default()
        };
        JudgedLatency {
            publish: p(publish_p99),
            publish_delay: p(delay_p99),
            end_to_end: None,
        }
    }

    #[test]
    fn a_step_that_keeps_up_holds_and_one_whose_backlog_grows_breaks_on_the_engine() {
        let criteria = FindMaxConfig::default();
        // Lag jitters around 50 records: not growing. The warmup's backlog is not judged.
        let steady: Vec<LiveFrame> = (0..10)
            .map(|t| frame(t, 1000, if t < 3 { 5000 } else { 40 + (t % 3) * 10 }))
            .collect();
        let held = judge(&result(steady), Some(&latency(3.0, 4.0)), &criteria, 3, 10);
        assert!(held.held, "{:?}", held.broken);
        assert_eq!(held.judged_seconds, 7);
        assert_eq!(held.achieved_rate, Some(1000.0));

        // The engine reads 800 of every 1000 a second: the backlog grows by 200/s.
        let behind: Vec<LiveFrame> = (0..10).map(|t| frame(t, 1000, t * 200)).collect();
        let broke = judge(&result(behind), Some(&latency(3.0, 4.0)), &criteria, 3, 10);
        assert!(!broke.held);
        assert_eq!(broke.broken.len(), 1);
        assert_eq!(
            (broke.broken[0].criterion, broke.broken[0].side),
            (Criterion::LagGrowth, Side::Engine)
        );
        assert!((broke.topics[0].growth_per_s.unwrap() - 200.0).abs() < 1e-6);
    }

    #[test]
    fn a_late_generator_and_a_slow_log_are_told_apart() {
        let criteria = FindMaxConfig::default();
        let frames: Vec<LiveFrame> = (0..10).map(|t| frame(t, 1000, 10)).collect();
        let late = judge(&result(frames.clone()), Some(&latency(250.0, 260.0)), &criteria, 3, 10);
        assert_eq!(late.broken[0].side, Side::Generator);
        let slow_log = judge(&result(frames.clone()), Some(&latency(150.0, 900.0)), &criteria, 3, 10);
        assert_eq!(slow_log.broken[0].side, Side::Log);
        let mut failing = result(frames);
        failing.frames[5].failed = 3;
        let failed = judge(&failing, Some(&latency(1.0, 2.0)), &criteria, 3, 10);
        assert_eq!(failed.broken[0].criterion, Criterion::FailedDeliveries);
        assert_eq!(failed.failed, 3);
    }

    #[test]
    fn an_end_to_end_bound_is_judged_only_when_set_and_then_needs_results() {
        let mut criteria = FindMaxConfig::default();
        let frames: Vec<LiveFrame> = (0..10).map(|t| frame(t, 1000, 10)).collect();
        let untimed = judge(&result(frames.clone()), Some(&latency(1.0, 2.0)), &criteria, 3, 10);
        assert!(untimed.held);
        criteria.end_to_end_p99 = Some(pipegen_config::Duration::from_millis(500));
        let no_results = judge(&result(frames), Some(&latency(1.0, 2.0)), &criteria, 3, 10);
        assert_eq!(no_results.broken[0].criterion, Criterion::EndToEndP99);
    }

    #[test]
    fn on_flink_the_engines_backlog_is_what_its_jobs_have_not_read() {
        use pipegen_observe::{JobCounters, frame::JobFrame};
        let frames: Vec<LiveFrame> = (0..10)
            .map(|t| {
                let mut f = frame(t, 1000, 999_999);
                f.acked_total = (t + 1) * 1000;
                f.jobs = vec![JobFrame {
                    counters: JobCounters {
                        name: "job".into(),
                        // The job reads 700 a second.
                        records_in_total: Some((t + 1) * 700),
                        ..JobCounters::default()
                    },
                    records_in: None,
                    records_out: None,
                }];
                f
            })
            .collect();
        let mut on_flink = result(frames);
        on_flink.backends.engine = "flink".into();
        let judged = judge(&on_flink, Some(&latency(1.0, 2.0)), &FindMaxConfig::default(), 3, 10);
        // The source's consumer group (committed on checkpoints) is not judged there.
        assert_eq!(judged.topics.len(), 1);
        assert_eq!(judged.topics[0].topic, ENGINE_INTAKE);
        assert!((judged.topics[0].growth_per_s.unwrap() - 300.0).abs() < 1e-6);
        assert_eq!(judged.broken[0].side, Side::Engine);
        assert!(
            judged.broken[0].detail.starts_with("the engine's jobs"),
            "{}",
            judged.broken[0].detail
        );
    }

    #[test]
    fn the_slope_is_least_squares() {
        assert_eq!(slope(&[(0.0, 1.0), (1.0, 3.0), (2.0, 5.0)]), Some(2.0));
        assert_eq!(slope(&[(0.0, 1.0), (1.0, 3.0)]), None);
    }
}
