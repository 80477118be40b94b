//! The run's HTML report, from its JSON result alone. Number cells cite JSON Pointers such as
//! `/latency_ms/publish/p99`, and every chart carries its points as data attributes (see
//! `pipegen_observe::chart`): a reader can check the report against the result.

use std::fmt::Write;

use pipegen_loadgen::metrics::Percentiles;
use pipegen_observe::View;
use pipegen_observe::chart::{LineChart, Series, Unit, escape};
use pipegen_observe::views::{bands, charts};

use super::{Cell, int, num, page_head, table, text};
use crate::result::RunResult;

fn latency_row(name: &str, key: &str, p: &Percentiles) -> Vec<Cell> {
    let path = |field: &str| format!("/latency_ms/{key}/{field}");
    vec![
        text(name),
        int(path("count"), Some(p.count)),
        num(path("p50"), p.p50, 3),
        num(path("p90"), p.p90, 3),
        num(path("p99"), p.p99, 3),
        num(path("p999"), p.p999, 3),
        num(path("max"), p.max, 3),
    ]
}

fn status_name(result: &RunResult) -> String {
    serde_json::to_value(result.status)
        .ok()
        .and_then(|v| v.as_str().map(str::to_string))
        .unwrap_or_default()
}

/// The charts drawn from the per-second timeline.
fn timeline_charts(result: &RunResult, planned_s: f64) -> Vec<LineChart> {
    let timeline = &result.timeline;
    let per_second = |f: &dyn Fn(&crate::result::TimelineRow) -> Option<f64>| {
        timeline.iter().map(|r| (r.t_s as f64, f(r))).collect::<Vec<_>>()
    };
    let phases = bands(&result.rate_plan.bands);
    vec![
        LineChart::new("rate-plan", "Rate plan vs achieved", Unit::PerSecond)
            .series(Series::new("target", per_second(&|r| r.target_rate.map(|t| t as f64))).dashed())
            .series(Series::new("achieved", per_second(&|r| Some(r.sent as f64))))
            .bands(phases.clone())
            .x_span(planned_s),
        LineChart::new("throughput", "Throughput", Unit::PerSecond)
            .series(Series::new("sent", per_second(&|r| Some(r.sent as f64))))
            .series(Series::new("acked", per_second(&|r| Some(r.acked as f64))))
            .series(Series::new("consumed", per_second(&|r| Some(r.consumed as f64))))
            .bands(phases)
            .x_span(planned_s),
    ]
}

fn chart_grid(out: &mut String, charts: impl IntoIterator<Item = LineChart>) {
    out.push_str("<div class=\"charts\">\n");
    for chart in charts {
        out.push_str(&chart.to_svg());
        out.push('\n');
    }
    out.push_str("</div>\n");
}

pub fn render(result: &RunResult) -> String {
    let mut out = String::new();
    let status = status_name(result);
    page_head(&mut out, &format!("pipegen run {}", result.run_id));
    let _ = writeln!(
        out,
        "<h1>pipegen run <code>{id}</code>: <span class=\"{status}\">{status}</span></h1>",
        id = escape(&result.run_id),
    );

    let _ = writeln!(out, "<h2>Summary</h2>");
    let mut summary = vec![vec![text("status"), text(&status)]];
    if let Some(error) = &result.error {
        summary.push(vec![text("error"), text(error)]);
    }
    let p = &result.producer;
    let c = &result.consumer;
    summary.extend([
        vec![text("started"), text(&result.started_at)],
        vec![text("finished"), text(&result.finished_at)],
        vec![text("log"), text(&result.backends.log)],
        vec![text("engine"), text(&result.backends.engine)],
        vec![text("schema registry"), text(&result.backends.schema_registry)],
        vec![text("planned messages"), int("/producer/planned", p.planned)],
        vec![text("sent"), int("/producer/sent", Some(p.sent))],
        vec![text("acked"), int("/producer/acked", Some(p.acked))],
        vec![text("failed"), int("/producer/failed", Some(p.failed))],
        vec![text("retried requests"), int("/producer/retried", p.retried)],
        vec![text("bytes produced"), int("/producer/bytes", Some(p.bytes))],
        vec![
            text("target rate (msg/s)"),
            num("/producer/target_rate", p.target_rate, 1),
        ],
        vec![
            text("achieved rate (msg/s)"),
            num("/producer/achieved_rate", p.achieved_rate, 1),
        ],
        vec![text("consumed"), int("/consumer/consumed", Some(c.consumed))],
        vec![text("expected"), int("/consumer/expected", c.expected)],
        vec![text("bytes consumed"), int("/consumer/bytes", Some(c.bytes))],
        vec![
            text("startup: process start to first record (ms)"),
            num("/timings/startup_ms", result.timings.startup_ms, 3),
        ],
        vec![
            text("stack start and deploy (ms)"),
            num("/timings/deploy_ms", Some(result.timings.deploy_ms), 3),
        ],
    ]);
    table(&mut out, "summary", &["", "value"], summary);

    let planned_s = result.rate_plan.phases.last().map_or(0.0, |p| p.end_s);
    let _ = writeln!(out, "<h2>Rate plan and throughput</h2>");
    table(
        &mut out,
        "rate-plan",
        &["phase from (s)", "to (s)", "rate (msg/s)", "set by"],
        result.rate_plan.phases.iter().enumerate().map(|(i, phase)| {
            let path = |field: &str| format!("/rate_plan/phases/{i}/{field}");
            vec![
                num(path("start_s"), Some(phase.start_s), 3),
                num(path("end_s"), Some(phase.end_s), 3),
                num(path("rate"), phase.rate, 1),
                text(&phase.origin),
            ]
        }),
    );
    chart_grid(&mut out, timeline_charts(result, planned_s));

    let latency = &result.latency_ms;
    let _ = writeln!(out, "<h2>Latency (ms)</h2>");
    table(
        &mut out,
        "latency",
        &["measure", "count", "p50", "p90", "p99", "p99.9", "max"],
        [
            latency_row("publish", "publish", &latency.publish),
            latency_row("publish delay", "publish_delay", &latency.publish_delay),
            latency_row("end to end", "end_to_end", &latency.end_to_end),
        ],
    );
    let _ = writeln!(
        out,
        "<p class=\"note\">Latencies count from each record's intended send time. End to end: {}. \
         The charts below show each second's percentiles from HdrHistogram interval data.</p>",
        escape(&latency.end_to_end_definition)
    );
    let phases = &result.rate_plan.bands;
    let frame_charts = |views: &[View]| charts(&result.frames, phases, planned_s as u64, views);
    chart_grid(&mut out, frame_charts(&[View::Latency]));

    let _ = writeln!(out, "<h2>Topics</h2>");
    table(
        &mut out,
        "topics",
        &["topic", "role", "partitions", "end offsets", "lag"],
        result.topics.iter().enumerate().map(|(i, topic)| {
            let offsets: Vec<String> = topic.end_offsets.iter().map(u64::to_string).collect();
            vec![
                text(&topic.name),
                text(&topic.role),
                int(format!("/topics/{i}/partitions"), Some(topic.partitions.into())),
                Cell {
                    text: offsets.join(", "),
                    path: Some(format!("/topics/{i}/end_offsets")),
                },
                int(format!("/topics/{i}/lag"), topic.lag),
            ]
        }),
    );
    chart_grid(&mut out, frame_charts(&[View::Lag]));

    let _ = writeln!(out, "<h2>Jobs</h2>");
    table(
        &mut out,
        "jobs",
        &[
            "job",
            "name",
            "status",
            "records in",
            "records out",
            "late dropped",
            "open windows",
            "state bytes",
            "restarts",
            "checkpoints",
            "failed checkpoints",
            "last checkpoint (ms)",
        ],
        result.jobs.iter().enumerate().map(|(i, job)| {
            let path = |field: &str| format!("/jobs/{i}/{field}");
            let checkpoints = job.checkpoints.as_ref();
            // Without checkpoints the cells cite the null object itself.
            let checkpoint_path = |field: &str| match checkpoints {
                Some(_) => path(&format!("checkpoints/{field}")),
                None => path("checkpoints"),
            };
            vec![
                text(&job.id),
                text(&job.name),
                text(job.status.as_str()),
                int(path("records_in"), job.records_in),
                int(path("records_out"), job.records_out),
                int(path("late_records_dropped"), job.late_records_dropped),
                int(path("open_windows"), job.open_windows),
                int(path("state_bytes"), job.state_bytes),
                int(path("restarts"), job.restarts),
                int(checkpoint_path("completed"), checkpoints.map(|c| c.completed)),
                int(checkpoint_path("failed"), checkpoints.map(|c| c.failed)),
                int(
                    checkpoint_path("last_duration_ms"),
                    checkpoints.and_then(|c| c.last_duration_ms),
                ),
            ]
        }),
    );
    let operators: Vec<Vec<Cell>> = result
        .jobs
        .iter()
        .enumerate()
        .flat_map(|(i, job)| {
            job.operators.iter().enumerate().map(move |(j, operator)| {
                let path = |field: &str| format!("/jobs/{i}/operators/{j}/{field}");
                vec![
                    text(&job.id),
                    text(&operator.name),
                    int(path("parallelism"), operator.parallelism),
                    int(path("records_in"), operator.records_in),
                    int(path("records_out"), operator.records_out),
                    int(path("state_bytes"), operator.state_bytes),
                    int(path("late_records_dropped"), operator.late_records_dropped),
                    num(path("busy"), operator.busy, 3),
                    num(path("backpressure"), operator.backpressure, 3),
                ]
            })
        })
        .collect();
    if !operators.is_empty() {
        table(
            &mut out,
            "operators",
            &[
                "job",
                "operator",
                "parallelism",
                "records in",
                "records out",
                "state bytes",
                "late dropped",
                "busy (share of time)",
                "backpressured (share of time)",
            ],
            operators,
        );
    }
    let lookups: Vec<Vec<Cell>> = result
        .jobs
        .iter()
        .enumerate()
        .flat_map(|(i, job)| {
            job.lookups.iter().enumerate().map(move |(j, lookup)| {
                let path = |field: &str| format!("/jobs/{i}/lookups/{j}/{field}");
                let latency = &lookup.latency_ms;
                vec![
                    text(&job.id),
                    text(&lookup.table),
                    int(path("lookups"), Some(lookup.lookups)),
                    int(path("cache_hits"), lookup.cache_hits),
                    int(path("cache_misses"), lookup.cache_misses),
                    num(path("cache_hit_ratio"), lookup.cache_hit_ratio, 3),
                    num(path("latency_ms/p50"), latency.p50, 3),
                    num(path("latency_ms/p99"), latency.p99, 3),
                    num(path("latency_ms/max"), latency.max, 3),
                ]
            })
        })
        .collect();
    if !lookups.is_empty() {
        let _ = writeln!(
            out,
            "<p>Lookup joins: the keys each asked of its table's database, what its cache answered, \
             and how long each lookup took the database to answer.</p>"
        );
        table(
            &mut out,
            "lookups",
            &[
                "job",
                "table",
                "lookups",
                "cache hits",
                "cache misses",
                "hit ratio",
                "p50 (ms)",
                "p99 (ms)",
                "max (ms)",
            ],
            lookups,
        );
    }
    chart_grid(&mut out, frame_charts(&[View::Engine]));

    let _ = writeln!(out, "<h2>Errors</h2>");
    if result.errors.is_empty() {
        let _ = writeln!(out, "<p id=\"no-errors\">No errors.</p>");
    } else {
        table(
            &mut out,
            "errors",
            &["error", "count", "first seen (s)"],
            result.errors.iter().map(|(kind, count)| {
                // The first second whose frame counts this kind; n/a for errors found at the end.
                let first = result.frames.iter().position(|f| f.errors.contains_key(kind));
                vec![
                    text(kind),
                    Cell {
                        text: count.to_string(),
                        path: Some(format!("/errors/{}", kind.replace('~', "~0").replace('/', "~1"))),
                    },
                    match first {
                        Some(index) => int(format!("/frames/{index}/t_s"), Some(result.frames[index].t_s)),
                        None => text("n/a"),
                    },
                ]
            }),
        );
    }
    chart_grid(&mut out, frame_charts(&[View::Errors, View::Resources]));

    let _ = writeln!(out, "<h2>Timeline</h2><details><summary>One row per second</summary>");
    table(
        &mut out,
        "timeline",
        &["second", "target", "sent", "acked", "failed", "consumed"],
        result.timeline.iter().enumerate().map(|(i, r)| {
            let path = |field: &str| format!("/timeline/{i}/{field}");
            vec![
                int(path("t_s"), Some(r.t_s)),
                int(path("target_rate"), r.target_rate),
                int(path("sent"), Some(r.sent)),
                int(path("acked"), Some(r.acked)),
                int(path("failed"), Some(r.failed)),
                int(path("consumed"), Some(r.consumed)),
            ]
        }),
    );
    out.push_str("</details>\n");

    let config = serde_json::to_string_pretty(&result.config).unwrap_or_default();
    let env = &result.environment;
    let _ = writeln!(
        out,
        "<h2>Configuration</h2><details><summary>The effective configuration, merged from every layer (secrets redacted)</summary>\
         <pre id=\"config\">{}</pre></details>\n<h2>Environment</h2>",
        escape(&config)
    );
    table(
        &mut out,
        "environment",
        &["", "value"],
        [
            vec![text("pipegen"), text(&env.pipegen_version)],
            vec![text("system"), text(format!("{} {}", env.os, env.arch))],
            vec![text("CPUs"), int("/environment/cpus", Some(env.cpus as u64))],
        ],
    );
    out.push_str("</body></html>\n");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn result() -> RunResult {
        crate::result::sample_result()
    }

    #[test]
    fn unmeasured_values_read_na_and_every_number_names_its_json_value() {
        let html = render(&result());
        assert!(html.contains(r#"<td data-json="/producer/achieved_rate">n/a</td>"#));
        assert!(html.contains(r#"<td data-json="/latency_ms/publish/p99">n/a</td>"#));
        assert!(html.contains(r#"<td data-json="/timings/startup_ms">n/a</td>"#));
        assert!(html.contains(r#"<td data-json="/producer/acked">19</td>"#));
        assert!(html.contains(r#"<td data-json="/errors/log append">1</td>"#));
        // The error counted at the end has no frame to date it.
        assert!(html.contains(
            r#"<td class="text">log append</td><td data-json="/errors/log append">1</td><td class="text">n/a</td>"#
        ));
    }

    #[test]
    fn text_from_the_run_is_escaped_and_nothing_loads_from_elsewhere() {
        let html = render(&result());
        assert!(!html.contains("<script"), "escaped: {html}");
        assert!(html.contains("job &lt;script&gt;alert(1)&lt;/script&gt; failed"));
        assert!(!html.contains("http://") && !html.contains("https://") && !html.contains(" src="));
        assert!(html.contains("[redacted]"));
        assert_eq!(html.matches("<svg").count(), html.matches("</svg>").count());
    }
}
