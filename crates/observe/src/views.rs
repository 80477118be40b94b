//! The charts drawn from a run's frames, grouped into the views a user can pick
//! (`dashboard.metrics`, `pipegen dashboard --metrics latency`).

use std::collections::BTreeSet;
use std::fmt;
use std::str::FromStr;

use crate::chart::{Band, LineChart, Series, Unit};
use crate::frame::{IntervalPercentiles, LiveFrame, PhaseBand};

/// A group of charts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum View {
    Throughput,
    Latency,
    Lag,
    Engine,
    Errors,
    Resources,
}

impl View {
    pub const ALL: [View; 6] = [
        View::Throughput,
        View::Latency,
        View::Lag,
        View::Engine,
        View::Errors,
        View::Resources,
    ];

    pub fn name(self) -> &'static str {
        match self {
            View::Throughput => "throughput",
            View::Latency => "latency",
            View::Lag => "lag",
            View::Engine => "engine",
            View::Errors => "errors",
            View::Resources => "resources",
        }
    }

    /// The views named in a list; every view when the list is empty.
    pub fn parse_list(names: &[String]) -> Result<Vec<View>, UnknownView> {
        if names.iter().all(|n| n.trim().is_empty()) {
            return Ok(View::ALL.to_vec());
        }
        let views: BTreeSet<View> = names
            .iter()
            .filter(|n| !n.trim().is_empty())
            .map(|n| n.parse())
            .collect::<Result<_, _>>()?;
        Ok(views.into_iter().collect())
    }
}

impl fmt::Display for View {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A view name that does not exist.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown metrics view `{0}`; the views are throughput, latency, lag, engine, errors, resources")]
pub struct UnknownView(pub String);

impl FromStr for View {
    type Err = UnknownView;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let name = text.trim().to_ascii_lowercase();
        View::ALL
            .into_iter()
            .find(|v| v.name() == name)
            .ok_or_else(|| UnknownView(text.trim().to_string()))
    }
}

/// Phase bands as chart bands.
pub fn bands(phases: &[PhaseBand]) -> Vec<Band> {
    phases
        .iter()
        .map(|p| Band {
            start: p.start_s,
            end: p.end_s,
            label: p.label.clone(),
        })
        .collect()
}

fn per_second<F: Fn(&LiveFrame) -> Option<f64>>(frames: &[LiveFrame], value: F) -> Vec<(f64, Option<f64>)> {
    frames.iter().map(|f| (f.t_s as f64, value(f))).collect()
}

fn percentile_series(frames: &[LiveFrame], measure: fn(&LiveFrame) -> &IntervalPercentiles) -> [Series; 3] {
    [
        Series::new("p50", per_second(frames, |f| measure(f).p50)),
        Series::new("p99", per_second(frames, |f| measure(f).p99)),
        Series::new("p99.9", per_second(frames, |f| measure(f).p999)),
    ]
}

fn with_all(mut chart: LineChart, series: impl IntoIterator<Item = Series>) -> LineChart {
    chart.series.extend(series);
    chart
}

/// Every chart of the chosen views, in page order.
pub fn charts(frames: &[LiveFrame], phases: &[PhaseBand], planned_s: u64, views: &[View]) -> Vec<LineChart> {
    let span = planned_s as f64;
    let mut charts = Vec::new();
    for view in views {
        match view {
            View::Throughput => {
                charts.push(
                    LineChart::new("rate", "Produce rate: target vs achieved", Unit::PerSecond)
                        .series(Series::new("target", per_second(frames, |f| f.target_rate.map(|r| r as f64))).dashed())
                        .series(Series::new("achieved", per_second(frames, |f| Some(f.sent as f64))))
                        .series(Series::new("acked", per_second(frames, |f| Some(f.acked as f64))))
                        .bands(bands(phases))
                        .x_span(span),
                );
                charts.push(
                    LineChart::new("consume", "Consume rate (result records read)", Unit::PerSecond)
                        .series(Series::new("consumed", per_second(frames, |f| Some(f.consumed as f64))))
                        .bands(bands(phases))
                        .x_span(span),
                );
            }
            View::Latency => {
                for (id, title, measure) in [
                    (
                        "latency-publish",
                        "Publish latency (intended send to acknowledgement)",
                        (|f: &LiveFrame| &f.latency_ms.publish) as fn(&LiveFrame) -> &IntervalPercentiles,
                    ),
                    ("latency-end-to-end", "End-to-end latency", |f: &LiveFrame| {
                        &f.latency_ms.end_to_end
                    }),
                    (
                        "publish-delay",
                        "Publish delay (actual send - intended send)",
                        |f: &LiveFrame| &f.latency_ms.publish_delay,
                    ),
                ] {
                    charts.push(with_all(
                        LineChart::new(id, title, Unit::Milliseconds)
                            .bands(bands(phases))
                            .x_span(span),
                        percentile_series(frames, measure),
                    ));
                }
            }
            View::Lag => {
                let topics: BTreeSet<&str> = frames
                    .iter()
                    .flat_map(|f| f.lag.iter().map(|l| l.topic.as_str()))
                    .collect();
                let series = topics.into_iter().map(|topic| {
                    Series::new(
                        topic,
                        per_second(frames, |f| {
                            f.lag
                                .iter()
                                .find(|l| l.topic == topic)
                                .and_then(|l| l.lag.map(|v| v as f64))
                        }),
                    )
                });
                charts.push(with_all(
                    LineChart::new("lag", "Lag per topic (records not yet read)", Unit::Records)
                        .x_span(span)
                        .empty_note("n/a: no topic position measured"),
                    series,
                ));
            }
            View::Engine => {
                let jobs: BTreeSet<&str> = frames
                    .iter()
                    .flat_map(|f| f.jobs.iter().map(|j| j.counters.name.as_str()))
                    .collect();
                let job_value = |f: &LiveFrame, job: &str, pick: fn(&crate::frame::JobFrame) -> Option<f64>| {
                    f.jobs.iter().find(|j| j.counters.name == job).and_then(pick)
                };
                let mut series = Vec::new();
                for job in &jobs {
                    series.push(Series::new(
                        format!("{job} in"),
                        per_second(frames, |f| job_value(f, job, |j| j.records_in.map(|v| v as f64))),
                    ));
                    series.push(Series::new(
                        format!("{job} out"),
                        per_second(frames, |f| job_value(f, job, |j| j.records_out.map(|v| v as f64))),
                    ));
                }
                charts.push(with_all(
                    LineChart::new("engine", "Engine records in / out", Unit::PerSecond)
                        .bands(bands(phases))
                        .x_span(span)
                        .empty_note("n/a: no job running"),
                    series,
                ));
                let mut health = Vec::new();
                for job in &jobs {
                    health.push(Series::new(
                        format!("{job} busy %"),
                        per_second(frames, |f| job_value(f, job, |j| j.counters.busy.map(|b| b * 100.0))),
                    ));
                    health.push(Series::new(
                        format!("{job} backpressure %"),
                        per_second(frames, |f| {
                            job_value(f, job, |j| j.counters.backpressure.map(|b| b * 100.0))
                        }),
                    ));
                }
                charts.push(with_all(
                    LineChart::new("backpressure", "Busy and backpressure", Unit::Percent)
                        .x_span(span)
                        .empty_note("n/a: not measured (the embedded engine has no busy or backpressure signal)"),
                    health,
                ));
                let checkpoints = jobs.iter().map(|job| {
                    Series::new(
                        format!("{job} last checkpoint"),
                        per_second(frames, |f| job_value(f, job, |j| j.counters.last_checkpoint_ms)),
                    )
                });
                charts.push(with_all(
                    LineChart::new("checkpoints", "Checkpoint duration", Unit::Milliseconds)
                        .x_span(span)
                        .empty_note("n/a: no checkpoint completed (the embedded engine takes none)"),
                    checkpoints,
                ));
            }
            View::Errors => {
                let kinds: BTreeSet<&str> = frames
                    .iter()
                    .flat_map(|f| f.errors.keys().map(String::as_str))
                    .collect();
                let mut series = vec![Series::new(
                    "failed sends",
                    per_second(frames, |f| Some(f.failed as f64)),
                )];
                series.extend(kinds.into_iter().map(|kind| {
                    Series::new(
                        kind,
                        per_second(frames, |f| Some(f.errors.get(kind).copied().unwrap_or(0) as f64)),
                    )
                }));
                charts.push(with_all(
                    LineChart::new(
                        "errors",
                        "Errors (failed sends per second; errors so far by kind)",
                        Unit::Records,
                    )
                    .bands(bands(phases))
                    .x_span(span),
                    series,
                ));
            }
            View::Resources => {
                charts.push(
                    LineChart::new("cpu", "pipegen CPU (% of one core)", Unit::Percent)
                        .series(Series::new("cpu", per_second(frames, |f| f.resources.cpu_percent)))
                        .x_span(span)
                        .empty_note("n/a: /proc is not available here"),
                );
                charts.push(
                    LineChart::new("memory", "pipegen resident memory", Unit::Bytes)
                        .series(Series::new(
                            "rss",
                            per_second(frames, |f| f.resources.rss_bytes.map(|b| b as f64)),
                        ))
                        .x_span(span)
                        .empty_note("n/a: /proc is not available here"),
                );
            }
        }
    }
    charts
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn views_parse_by_name_and_refuse_unknown_ones_with_the_list() {
        assert_eq!(View::parse_list(&[]).unwrap(), View::ALL.to_vec());
        assert_eq!(
            View::parse_list(&["Latency".into(), "throughput".into()]).unwrap(),
            vec![View::Throughput, View::Latency]
        );
        let error = View::parse_list(&["latncy".into()]).unwrap_err();
        assert!(error.to_string().contains("`latncy`") && error.to_string().contains("resources"));
    }
}
