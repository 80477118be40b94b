//! The benchmark's HTML summary: the scenarios side by side, each linked to its run's report
//! (a relative link: the reports sit in one directory, which can move as a whole).

use std::fmt::Write;

use pipegen_observe::chart::escape;

use super::{BenchResult, ScenarioResult};
use crate::html::{Cell, int, num, page_head, serde_name as name, table, text};

fn link(scenario: &ScenarioResult) -> String {
    match scenario.report.as_ref().and_then(|p| p.file_name()) {
        Some(file) => {
            let file = file.to_string_lossy();
            format!(r#"<a href="{0}">{0}</a>"#, escape(&file))
        }
        None => "n/a".to_owned(),
    }
}

pub(crate) fn render(result: &BenchResult) -> String {
    let mut out = String::new();
    let status = name(result.status);
    page_head(&mut out, &format!("pipegen benchmark {}", result.bench_id));
    let _ = writeln!(
        out,
        "<h1>pipegen benchmark <code>{}</code>: <span class=\"{status}\">{status}</span></h1>",
        escape(&result.bench_id)
    );
    let _ = writeln!(
        out,
        "<p class=\"note\">Started {}, finished {}. A latency target is held against the run's end-to-end p99 when its results can be timed (missed when none came back), else its publish p99.</p>",
        escape(&result.started_at),
        escape(&result.finished_at)
    );

    let _ = writeln!(out, "<h2>Scenarios</h2>");
    table(
        &mut out,
        "scenarios",
        &[
            "scenario",
            "verdict",
            "duration (s)",
            "base rate (msg/s)",
            "planned",
            "sent",
            "acked",
            "failed",
            "achieved (msg/s)",
            "consumed",
            "target (ms)",
            "judged on",
            "p99 (ms)",
        ],
        result.scenarios.iter().enumerate().map(|(i, s)| {
            let path = |field: &str| format!("/scenarios/{i}/{field}");
            vec![
                text(&s.name),
                text(name(s.verdict)),
                num(path("duration_s"), Some(s.duration_s), 0),
                num(path("base_rate"), s.base_rate, 1),
                int(path("planned"), s.planned),
                int(path("sent"), s.sent),
                int(path("acked"), s.acked),
                int(path("failed"), s.failed),
                num(path("achieved_rate"), s.achieved_rate, 1),
                int(path("consumed"), s.consumed),
                num(path("latency_target_ms"), s.latency_target_ms, 3),
                text(s.judged_on.as_deref().unwrap_or("n/a")),
                num(path("judged_p99_ms"), s.judged_p99_ms, 3),
            ]
        }),
    );

    let _ = writeln!(out, "<h2>Latency</h2>");
    let percentiles = |i: usize, key: &str, p: Option<&pipegen_loadgen::metrics::Percentiles>| -> Vec<Cell> {
        // A scenario that did not run cites its null object.
        let path = |field: &str| match p {
            Some(_) => format!("/scenarios/{i}/{key}/{field}"),
            None => format!("/scenarios/{i}/{key}"),
        };
        vec![
            int(path("count"), p.map(|p| p.count)),
            num(path("p50"), p.and_then(|p| p.p50), 3),
            num(path("p99"), p.and_then(|p| p.p99), 3),
            num(path("p999"), p.and_then(|p| p.p999), 3),
            num(path("max"), p.and_then(|p| p.max), 3),
        ]
    };
    table(
        &mut out,
        "latency",
        &["scenario", "latency (ms)", "count", "p50", "p99", "p99.9", "max"],
        result.scenarios.iter().enumerate().flat_map(|(i, s)| {
            [
                ("publish", "publish_ms", s.publish_ms.as_ref()),
                ("end to end", "end_to_end_ms", s.end_to_end_ms.as_ref()),
            ]
            .map(|(label, key, p)| {
                let mut cells = vec![text(&s.name), text(label)];
                cells.extend(percentiles(i, key, p));
                cells
            })
        }),
    );

    let _ = writeln!(
        out,
        "<h2>Runs</h2>\n<table id=\"runs\"><tr><th>scenario</th><th>run</th><th>report</th><th>why not passed</th></tr>"
    );
    for s in &result.scenarios {
        let _ = writeln!(
            out,
            "<tr><td class=\"text\">{}</td><td class=\"text\">{}</td><td class=\"text\">{}</td><td class=\"text\">{}</td></tr>",
            escape(&s.name),
            escape(s.run_id.as_deref().unwrap_or("n/a")),
            link(s),
            escape(s.reason.as_deref().unwrap_or("")),
        );
    }
    out.push_str("</table>\n</body></html>\n");
    out
}
