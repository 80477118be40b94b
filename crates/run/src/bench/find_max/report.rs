//! The capacity search's HTML page: the verdict, where each criterion broke first, and each
//! step's rate against its latency, achieved rate and lag growth (charts over the rate), with
//! a link to every step's own run report.

use std::collections::BTreeSet;
use std::fmt::Write;

use pipegen_observe::chart::{LineChart, Series, Unit, escape};

use super::{FindMaxResult, StepJudgement, StepRow};
use crate::html::{num, page_head, serde_name as name, table, text};

fn link(step: &StepRow) -> String {
    match step.report.file_name() {
        Some(file) => format!(r#"<a href="{0}">{0}</a>"#, escape(&file.to_string_lossy())),
        None => "n/a".to_owned(),
    }
}

/// A chart whose x axis is the steps' rates (`rates`), a series per `(name, values)`.
fn chart(id: &str, title: &str, unit: Unit, rates: &[f64], series: Vec<(String, Vec<Option<f64>>)>) -> String {
    let mut chart = LineChart::new(id, title, unit)
        .x_axis(Unit::PerSecond, "the step's rate")
        .empty_note("n/a: not measured");
    for (label, values) in series {
        chart = chart.series(Series::new(label, rates.iter().copied().zip(values).collect()));
    }
    chart.to_svg()
}

/// `value` of each step.
fn each(steps: &[&StepRow], value: impl Fn(&StepJudgement) -> Option<f64>) -> Vec<Option<f64>> {
    steps.iter().map(|s| value(&s.judgement)).collect()
}

pub(crate) fn render(result: &FindMaxResult) -> String {
    let mut out = String::new();
    let status = name(result.status);
    page_head(&mut out, &format!("pipegen find-max {}", result.search_id));
    let rate = |r: Option<f64>| r.map_or("n/a".to_owned(), |r| format!("{r:.0} msg/s"));
    let _ = writeln!(
        out,
        "<h1>pipegen find-max <code>{}</code>: <span class=\"{status}\">{status}</span></h1>",
        escape(&result.search_id)
    );
    let _ = writeln!(
        out,
        "<p id=\"verdict\">Highest sustained rate: <strong data-json=\"/max_sustained_rate\">{}</strong>; lowest broken: <span data-json=\"/lowest_broken_rate\">{}</span>; fell behind first: <span data-json=\"/broke_on\">{}</span> (engine {}, log {}).</p>",
        escape(&rate(result.max_sustained_rate)),
        escape(&rate(result.lowest_broken_rate)),
        escape(&result.broke_on.map_or("n/a".to_owned(), name)),
        escape(&result.engine),
        escape(&result.log),
    );
    if let Some(error) = &result.error {
        let _ = writeln!(out, "<p class=\"failed\">{}</p>", escape(error));
    }
    let s = &result.settings;
    let _ = writeln!(
        out,
        "<p class=\"note\">Started {}, finished {}. Steps of {} (the first {} not judged), ramped ×{} from {} msg/s up to {} msg/s, then bisected to within {}; the highest rate that held ran {} more time(s) to confirm it. Criteria over each step's judged seconds: publish delay p99 under {}; end-to-end p99 {}; each topic's lag growing by at most {} of the rate per second; no failed delivery.</p>",
        escape(&result.started_at),
        escape(&result.finished_at),
        s.step_duration,
        s.warmup,
        s.ramp_factor,
        s.start_rate,
        s.max_rate,
        s.precision,
        s.confirmations,
        s.publish_delay_p99,
        s.end_to_end_p99
            .map_or("not judged".to_owned(), |d| format!("under {d}")),
        s.lag_growth,
    );

    let _ = writeln!(out, "<h2>Where each criterion broke first</h2>");
    table(
        &mut out,
        "first-broken",
        &["criterion", "rate (msg/s)", "side", "why"],
        result.first_broken.iter().enumerate().map(|(i, f)| {
            vec![
                text(name(f.criterion)),
                num(format!("/first_broken/{i}/rate"), Some(f.rate), 0),
                text(name(f.side)),
                text(&f.detail),
            ]
        }),
    );
    if !result.strained_vertices.is_empty() {
        let _ = writeln!(out, "<h2>Strained vertices at the lowest broken rate</h2>");
        table(
            &mut out,
            "strained-vertices",
            &["job", "vertex", "busy", "back-pressured"],
            result.strained_vertices.iter().enumerate().map(|(i, v)| {
                vec![
                    text(&v.job),
                    text(&v.vertex),
                    num(format!("/strained_vertices/{i}/busy"), v.busy, 2),
                    num(format!("/strained_vertices/{i}/backpressure"), v.backpressure, 2),
                ]
            }),
        );
    }

    let mut by_rate: Vec<&StepRow> = result.steps.iter().collect();
    by_rate.sort_by(|a, b| a.rate.total_cmp(&b.rate));
    let topics: BTreeSet<&str> = by_rate
        .iter()
        .flat_map(|s| s.judgement.topics.iter().map(|t| t.topic.as_str()))
        .collect();
    let rates: Vec<f64> = by_rate.iter().map(|s| s.rate).collect();
    let _ = writeln!(out, "<h2>Steps by rate</h2>\n<div class=\"charts\">");
    out.push_str(&chart(
        "step-latency",
        "p99 latency over the judged seconds",
        Unit::Milliseconds,
        &rates,
        vec![
            ("publish delay".into(), each(&by_rate, |j| j.publish_delay_p99_ms)),
            ("publish".into(), each(&by_rate, |j| j.publish_p99_ms)),
            ("end to end".into(), each(&by_rate, |j| j.end_to_end_p99_ms)),
        ],
    ));
    out.push_str(&chart(
        "step-throughput",
        "achieved against target",
        Unit::PerSecond,
        &rates,
        vec![
            ("target".into(), each(&by_rate, |j| j.target_rate)),
            ("achieved".into(), each(&by_rate, |j| j.achieved_rate)),
        ],
    ));
    let growth = topics
        .iter()
        .map(|topic| {
            // A backlog that shrank is drawn at zero (the chart counts growth; the JSON keeps
            // the signed slope).
            let values = each(&by_rate, |j| {
                j.topics
                    .iter()
                    .find(|t| t.topic == *topic)
                    .and_then(|t| t.growth_per_s)
                    .map(|g| g.max(0.0))
            });
            (format!("lag growth {topic}"), values)
        })
        .collect();
    out.push_str(&chart(
        "step-lag-growth",
        "lag growth per second",
        Unit::PerSecond,
        &rates,
        growth,
    ));
    out.push_str("</div>\n");

    let _ = writeln!(out, "<h2>Steps in the order they ran</h2>");
    let _ = writeln!(
        out,
        "<table id=\"steps\"><tr><th>#</th><th>rate (msg/s)</th><th>held</th><th>achieved (msg/s)</th><th>publish delay p99 (ms)</th><th>end-to-end p99 (ms)</th><th>broken</th><th>report</th></tr>"
    );
    let cell = |path: String, value: Option<f64>, decimals: usize| {
        format!(
            "<td data-json=\"{}\">{}</td>",
            escape(&path),
            value.map_or("n/a".to_owned(), |v| format!("{v:.decimals$}"))
        )
    };
    for (i, step) in result.steps.iter().enumerate() {
        let j = &step.judgement;
        let broken: Vec<String> = j
            .broken
            .iter()
            .map(|b| format!("{} ({})", b.detail, name(b.side)))
            .collect();
        let _ = writeln!(
            out,
            "<tr><td>{}</td>{}<td class=\"text\">{}</td>{}{}{}<td class=\"text\">{}</td><td class=\"text\">{}</td></tr>",
            i + 1,
            cell(format!("/steps/{i}/rate"), Some(step.rate), 0),
            match (j.held, step.confirming) {
                (true, false) => "held",
                (true, true) => "held again (confirming)",
                (false, false) => "broke",
                (false, true) => "broke (confirming a rate that held)",
            },
            cell(format!("/steps/{i}/achieved_rate"), j.achieved_rate, 1),
            cell(format!("/steps/{i}/publish_delay_p99_ms"), j.publish_delay_p99_ms, 3),
            cell(format!("/steps/{i}/end_to_end_p99_ms"), j.end_to_end_p99_ms, 3),
            escape(&broken.join("; ")),
            link(step),
        );
    }
    out.push_str("</table>\n</body></html>\n");
    out
}
