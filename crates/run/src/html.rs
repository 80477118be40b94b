//! The plain HTML report: one self-contained file (no script, no stylesheet link, no network
//! request) holding the JSON result's numbers as tables. The rich report with charts builds
//! on the same result.

use std::fmt::Write;

use pipegen_loadgen::metrics::Percentiles;

use crate::result::RunResult;

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

fn or_na<T: std::fmt::Display>(value: Option<T>) -> String {
    value.map_or("n/a".to_string(), |v| v.to_string())
}

fn ms(value: Option<f64>) -> String {
    value.map_or("n/a".to_string(), |v| format!("{v:.3}"))
}

fn rate(value: Option<f64>) -> String {
    value.map_or("n/a".to_string(), |v| format!("{v:.1}"))
}

fn latency_row(out: &mut String, name: &str, p: &Percentiles) {
    let _ = writeln!(
        out,
        "<tr><td>{name}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
        p.count,
        ms(p.p50),
        ms(p.p90),
        ms(p.p99),
        ms(p.p999),
        ms(p.max)
    );
}

pub fn render(result: &RunResult) -> String {
    let mut out = String::new();
    let _ = write!(
        out,
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>pipegen run {id}</title>\
         <style>body{{font-family:system-ui,sans-serif;margin:2em;color:#222}}table{{border-collapse:collapse;margin:0.5em 0 1.5em}}\
         td,th{{border:1px solid #ccc;padding:0.25em 0.6em;text-align:right}}th{{background:#f3f3f3}}td:first-child,th:first-child{{text-align:left}}\
         .failed{{color:#b00}}.succeeded{{color:#080}}.interrupted{{color:#a60}}pre{{background:#f7f7f7;padding:1em;overflow:auto}}</style></head><body>\n",
        id = escape(&result.run_id)
    );
    let status = serde_json::to_value(result.status)
        .ok()
        .and_then(|v| v.as_str().map(str::to_string))
        .unwrap_or_default();
    let _ = writeln!(out, "<h1>pipegen run <code>{}</code></h1>", escape(&result.run_id));
    let _ = writeln!(out, "<h2>Summary</h2><table>");
    let _ = writeln!(out, "<tr><td>status</td><td class=\"{status}\">{status}</td></tr>");
    if let Some(error) = &result.error {
        let _ = writeln!(
            out,
            "<tr><td>error</td><td class=\"failed\">{}</td></tr>",
            escape(error)
        );
    }
    for (name, value) in [
        ("started", result.started_at.clone()),
        ("finished", result.finished_at.clone()),
        ("log", result.backends.log.clone()),
        ("engine", result.backends.engine.clone()),
        ("schema registry", result.backends.schema_registry.clone()),
    ] {
        let _ = writeln!(out, "<tr><td>{name}</td><td>{}</td></tr>", escape(&value));
    }
    let p = &result.producer;
    let c = &result.consumer;
    for (name, value) in [
        ("planned messages", or_na(p.planned)),
        ("sent", p.sent.to_string()),
        ("acked", p.acked.to_string()),
        ("failed", p.failed.to_string()),
        ("bytes produced", p.bytes.to_string()),
        ("target rate (msg/s)", rate(p.target_rate)),
        ("achieved rate (msg/s)", rate(p.achieved_rate)),
        ("consumed", c.consumed.to_string()),
        (
            "startup: process start to first record (ms)",
            ms(result.timings.startup_ms),
        ),
        (
            "stack start and deploy (ms)",
            format!("{:.3}", result.timings.deploy_ms),
        ),
        ("expected", or_na(c.expected)),
        ("bytes consumed", c.bytes.to_string()),
    ] {
        let _ = writeln!(out, "<tr><td>{name}</td><td>{value}</td></tr>");
    }
    let _ = writeln!(out, "</table>");

    let _ = writeln!(
        out,
        "<h2>Latency (ms)</h2><table><tr><th>measure</th><th>count</th><th>p50</th><th>p90</th><th>p99</th><th>p99.9</th><th>max</th></tr>"
    );
    latency_row(&mut out, "publish", &result.latency_ms.publish);
    latency_row(&mut out, "publish delay", &result.latency_ms.publish_delay);
    latency_row(&mut out, "end to end", &result.latency_ms.end_to_end);
    let _ = writeln!(
        out,
        "</table><p>End to end: {}.</p>",
        escape(&result.latency_ms.end_to_end_definition)
    );

    let _ = writeln!(
        out,
        "<h2>Timeline</h2><table><tr><th>second</th><th>target</th><th>sent</th><th>acked</th><th>failed</th><th>consumed</th></tr>"
    );
    for row in &result.timeline {
        let _ = writeln!(
            out,
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            row.t_s,
            or_na(row.target_rate),
            row.sent,
            row.acked,
            row.failed,
            row.consumed
        );
    }
    let _ = writeln!(out, "</table>");

    let _ = writeln!(
        out,
        "<h2>Topics</h2><table><tr><th>topic</th><th>role</th><th>partitions</th><th>end offsets</th><th>lag</th></tr>"
    );
    for topic in &result.topics {
        let offsets: Vec<String> = topic.end_offsets.iter().map(u64::to_string).collect();
        let _ = writeln!(
            out,
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            escape(&topic.name),
            topic.role,
            topic.partitions,
            offsets.join(", "),
            or_na(topic.lag)
        );
    }
    let _ = writeln!(out, "</table>");

    let _ = writeln!(
        out,
        "<h2>Jobs</h2><table><tr><th>job</th><th>name</th><th>status</th><th>records in</th><th>records out</th><th>late dropped</th><th>open windows</th><th>state bytes</th></tr>"
    );
    for job in &result.jobs {
        let _ = writeln!(
            out,
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            escape(&job.id),
            escape(&job.name),
            escape(&job.status),
            or_na(job.records_in),
            job.records_out,
            job.late_records_dropped,
            job.open_windows,
            job.state_bytes
        );
    }
    let _ = writeln!(out, "</table>");

    if !result.errors.is_empty() {
        let _ = writeln!(out, "<h2>Errors</h2><table><tr><th>error</th><th>count</th></tr>");
        for (error, count) in &result.errors {
            let _ = writeln!(out, "<tr><td>{}</td><td>{count}</td></tr>", escape(error));
        }
        let _ = writeln!(out, "</table>");
    }

    let config = serde_json::to_string_pretty(&result.config).unwrap_or_default();
    let env = &result.environment;
    let _ = writeln!(
        out,
        "<h2>Configuration (secrets redacted)</h2><pre>{}</pre>\n<h2>Environment</h2><table>\
         <tr><td>pipegen</td><td>{}</td></tr><tr><td>system</td><td>{} {}</td></tr><tr><td>CPUs</td><td>{}</td></tr></table>\n</body></html>",
        escape(&config),
        escape(&env.pipegen_version),
        escape(&env.os),
        escape(&env.arch),
        env.cpus
    );
    out
}
