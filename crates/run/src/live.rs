//! The run's live feed: once per completed second it reads the recorder, the sink consumers
//! and the jobs (the same sources as the progress line and the result), builds that second's
//! frame, keeps it for the JSON result and hands it to the dashboard and the Prometheus
//! endpoint when they are on.

use std::sync::atomic::Ordering;
use std::time::Duration;

use pipegen_config::Rate;
use pipegen_diag::Diagnostic;
use pipegen_loadgen::metrics::Recorder;
use pipegen_loadgen::plan::RatePlan;
use pipegen_observe::frame::TopicLag;
use pipegen_observe::{
    CumulativeLatency, Dashboard, DashboardOptions, Finished, FrameBuilder, LiveFile, LiveFrame, LiveLine, PhaseBand,
    PrometheusEndpoint, Sample, View,
};

use crate::error::RunError;
use crate::jobs::RunningJobs;
use crate::judged::{Histograms, JudgedWindow};
use crate::load::SinkConsumer;
use crate::pipeline::Pipeline;
use crate::result::RunResult;
use crate::topic_watch::{TopicWatch, topic_rows};

/// A second is framed this long after it ends, so the counts that belong to it (bucketed by
/// when they happened, added a moment later) are all in.
const SETTLE: Duration = Duration::from_millis(200);
/// Open pages get this long to receive the `finished` event before the server stops.
const LAST_WORDS: Duration = Duration::from_millis(500);

/// `run --dashboard`: serve the live dashboard during the run.
#[derive(Debug, Clone)]
pub struct DashboardRequest {
    pub views: Vec<View>,
}

/// The traffic phase at `second`, as the progress line and the frames name it.
pub(crate) fn phase_at(plan: &RatePlan, second: Duration) -> &'static str {
    match (plan.rate_at(second), plan.base) {
        _ if second >= plan.duration => "draining",
        (Rate::PerSecond(now), Rate::PerSecond(base)) if now > base => "spike",
        (Rate::PerSecond(now), Rate::PerSecond(base)) if now < base => "dip",
        _ => "base",
    }
}

/// Messages the plan meant for the second starting at `second` (`None` at `max`).
/// What the plan asks of the second starting at `second`, over all `streams` that follow it.
pub(crate) fn target_at(plan: &RatePlan, streams: u64, second: Duration) -> Option<u64> {
    if second < plan.duration {
        plan.planned_between(second, (second + Duration::from_secs(1)).min(plan.duration))
            .map(|n| n * streams)
    } else {
        Some(0)
    }
}

/// The plan's spikes and dips, for shading charts.
pub fn phase_bands(plan: &RatePlan) -> Vec<PhaseBand> {
    plan.phases
        .iter()
        .filter(|p| p.rate != plan.base)
        .map(|p| PhaseBand {
            start_s: p.start.as_secs_f64(),
            end_s: p.end.as_secs_f64(),
            label: match p.rate {
                _ if p.origin.ends_with('%') => p.origin.clone(),
                Rate::PerSecond(r) => format!("{r}/s"),
                Rate::Max => "max".into(),
            },
        })
        .collect()
}

/// Everything a tick reads.
pub(crate) struct Sources<'a> {
    pub plan: &'a RatePlan,
    pub recorder: &'a Recorder,
    pub consumers: &'a [SinkConsumer],
    /// The pipeline's jobs, on whichever engine runs them.
    pub jobs: &'a dyn RunningJobs,
    /// The topics' offsets and lag, as last read.
    pub topics: &'a TopicWatch,
    pub pipeline: &'a Pipeline<'a>,
}

pub(crate) struct LiveFeed {
    /// The frames as they come, for `pipegen dashboard` in another terminal.
    file: LiveFile,
    builder: FrameBuilder,
    frames: Vec<LiveFrame>,
    next_second: u64,
    dashboard: Option<Dashboard>,
    prometheus: Option<PrometheusEndpoint>,
    /// A capacity step's judged seconds.
    judged: Option<JudgedWindow>,
}

impl LiveFeed {
    /// Starts the servers the configuration and the request ask for.
    pub(crate) async fn start(
        config: &pipegen_config::Config,
        dashboard: Option<&DashboardRequest>,
        plan: &RatePlan,
        run_id: &str,
        reports_dir: &std::path::Path,
    ) -> Result<Self, RunError> {
        // A taken port is the user's to change: the hint names the setting.
        let unavailable = |setting: &'static str| {
            move |e: pipegen_observe::ObserveError| {
                RunError::Input(vec![
                    Diagnostic::error(e.to_string()).with_hint(format!("{} ({setting})", e.hint())),
                ])
            }
        };
        let prometheus = match config.monitoring.prometheus_port {
            Some(port) => {
                let endpoint = PrometheusEndpoint::start(port)
                    .await
                    .map_err(unavailable("monitoring.prometheus_port"))?;
                eprintln!("prometheus: http://{}/metrics", endpoint.address());
                Some(endpoint)
            }
            None => None,
        };
        let dashboard = match dashboard {
            Some(request) => {
                let dashboard = Dashboard::start(DashboardOptions {
                    bind_address: config.dashboard.bind_address.clone(),
                    port: config.dashboard.port,
                    views: request.views.clone(),
                    title: format!("pipegen run {run_id}"),
                    planned_s: plan.duration.as_secs(),
                    phases: phase_bands(plan),
                })
                .await
                .map_err(unavailable("--dashboard-port or dashboard.port"))?;
                eprintln!("dashboard: {}", dashboard.url());
                let loopback = config
                    .dashboard
                    .bind_address
                    .parse::<std::net::IpAddr>()
                    .map_or(config.dashboard.bind_address == "localhost", |ip| ip.is_loopback());
                if !loopback {
                    eprintln!(
                        "warning: the dashboard listens on {}, reachable from other machines (dashboard.bind_address)",
                        config.dashboard.bind_address
                    );
                }
                Some(dashboard)
            }
            None => None,
        };
        let file = LiveFile::create(
            reports_dir,
            &LiveLine::Start {
                run_id: run_id.to_owned(),
                planned_s: plan.duration.as_secs(),
                phases: phase_bands(plan),
                pid: Some(std::process::id()),
            },
        );
        Ok(Self {
            file,
            builder: FrameBuilder::new(),
            frames: Vec::new(),
            next_second: 0,
            dashboard,
            prometheus,
            judged: None,
        })
    }

    /// Measures latency over the seconds from `from` to `to` alone (a capacity step's).
    pub(crate) fn judge(&mut self, from: Duration, to: Duration) {
        self.judged = Some(JudgedWindow::new(from, to));
    }

    /// The judged seconds' latency, once they have all ended.
    pub(crate) fn judged_latency(&self) -> Option<crate::request::JudgedLatency> {
        self.judged.as_ref().and_then(JudgedWindow::latency)
    }

    /// Frames every second that has ended (and settled) since the last tick.
    pub(crate) fn tick(&mut self, sources: &Sources<'_>, elapsed: Duration) {
        while elapsed >= Duration::from_secs(self.next_second + 1) + SETTLE {
            let frame = self.frame(sources, self.next_second);
            self.file.write(&LiveLine::Frame {
                frame: Box::new(frame.clone()),
            });
            self.next_second += 1;
            self.frames.push(frame);
        }
    }

    fn frame(&mut self, s: &Sources<'_>, t_s: u64) -> LiveFrame {
        let second = Duration::from_secs(t_s);
        let counts = s.recorder.second_counts(t_s as usize);
        let latency = s.recorder.latency_histograms();
        let timed: Vec<_> = s.consumers.iter().filter(|c| c.timed).collect();
        let end_to_end = (!timed.is_empty()).then(|| {
            let mut merged =
                hdrhistogram::Histogram::<u64>::new_with_bounds(1, 3_600_000_000, 3).expect("valid bounds");
            for consumer in &timed {
                if let Ok(h) = consumer.metrics.end_to_end.lock() {
                    let _ = merged.add(&*h);
                }
            }
            merged
        });
        let topics = topic_rows(&s.topics.fresh(), s.pipeline, s.consumers);
        let consumed = |f: &dyn Fn(&SinkConsumer) -> u64| s.consumers.iter().map(f).sum::<u64>();
        let frame = self.builder.build(Sample {
            t_s,
            planned_s: s.plan.duration.as_secs(),
            phase: phase_at(s.plan, second),
            target_rate: target_at(s.plan, s.recorder.paced_streams(), second),
            sent: counts.sent,
            acked: counts.acked,
            failed: counts.failed,
            consumed: consumed(&|c| c.metrics.consumed_in_second(t_s as usize)),
            sent_total: s.recorder.sent_total(),
            acked_total: s.recorder.acked_total(),
            failed_total: s.recorder.failed_total(),
            consumed_total: consumed(&|c| c.metrics.consumed.load(Ordering::Relaxed)),
            publish: &latency.publish,
            publish_delay: &latency.publish_delay,
            end_to_end: end_to_end.as_ref(),
            lag: topics
                .into_iter()
                .map(|t| TopicLag {
                    topic: t.name,
                    lag: t.lag,
                })
                .collect(),
            jobs: s.jobs.counters(),
            errors: s.recorder.errors(),
        });
        if let Some(judged) = &mut self.judged {
            judged.observe(
                t_s,
                Histograms {
                    publish: &latency.publish,
                    publish_delay: &latency.publish_delay,
                    end_to_end: end_to_end.as_ref(),
                },
            );
        }
        if let Some(prometheus) = &self.prometheus {
            prometheus.update(
                &frame,
                &CumulativeLatency {
                    publish: &latency.publish,
                    publish_delay: &latency.publish_delay,
                    end_to_end: end_to_end.as_ref(),
                },
            );
        }
        if let Some(dashboard) = &self.dashboard {
            dashboard.push(&frame);
        }
        frame
    }

    pub(crate) fn frames(&self) -> Vec<LiveFrame> {
        self.frames.clone()
    }

    /// Hands the result to open pages, then stops the servers: they live as long as the run.
    pub(crate) async fn finish(self, result: Option<(&RunResult, &std::path::Path)>) {
        let status = |result: &RunResult| {
            serde_json::to_value(result.status)
                .ok()
                .and_then(|v| v.as_str().map(str::to_string))
                .unwrap_or_default()
        };
        self.file.finish(&match result {
            Some((result, path)) => LiveLine::Finished {
                status: status(result),
                error: result.error.clone(),
                result: Some(path.to_path_buf()),
            },
            None => LiveLine::Finished {
                status: "failed".into(),
                error: Some("the run stopped before its result was written".into()),
                result: None,
            },
        });
        if let Some(dashboard) = self.dashboard {
            if let Some((result, _)) = result {
                let status = status(result);
                dashboard.finish(
                    serde_json::to_value(result).unwrap_or_default(),
                    Finished {
                        status,
                        error: result.error.clone(),
                    },
                );
                tokio::time::sleep(LAST_WORDS).await;
            }
            dashboard.stop().await;
        }
        if let Some(prometheus) = self.prometheus {
            prometheus.stop().await;
        }
    }
}
