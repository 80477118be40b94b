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

/// A section's table: a header row, then one row per entry, every cell escaped.
fn table(out: &mut String, heading: &str, headers: &[&str], rows: impl IntoIterator<Item = Vec<String>>) {
    let cells = |tag: &str, values: &[String]| {
        values
            .iter()
            .map(|v| format!("<{tag}>{}</{tag}>", escape(v)))
            .collect::<String>()
    };
    let headers: Vec<String> = headers.iter().map(|h| h.to_string()).collect();
    let _ = writeln!(out, "<h2>{heading}</h2><table><tr>{}</tr>", cells("th", &headers));
    for row in rows {
        let _ = writeln!(out, "<tr>{}</tr>", cells("td", &row));
    }
    let _ = writeln!(out, "</table>");
}

fn latency_row(name: &str, p: &Percentiles) -> Vec<String> {
    vec![
        name.to_string(),
        p.count.to_string(),
        ms(p.p50),
        ms(p.p90),
        ms(p.p99),
        ms(p.p999),
        ms(p.max),
    ]
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

    let latency = &result.latency_ms;
    table(
        &mut out,
        "Latency (ms)",
        &["measure", "count", "p50", "p90", "p99", "p99.9", "max"],
        [
            latency_row("publish", &latency.publish),
            latency_row("publish delay", &latency.publish_delay),
            latency_row("end to end", &latency.end_to_end),
        ],
    );
    let _ = writeln!(out, "<p>End to end: {}.</p>", escape(&latency.end_to_end_definition));
    table(
        &mut out,
        "Timeline",
        &["second", "target", "sent", "acked", "failed", "consumed"],
        result.timeline.iter().map(|row| {
            vec![
                row.t_s.to_string(),
                or_na(row.target_rate),
                row.sent.to_string(),
                row.acked.to_string(),
                row.failed.to_string(),
                row.consumed.to_string(),
            ]
        }),
    );
    table(
        &mut out,
        "Topics",
        &["topic", "role", "partitions", "end offsets", "lag"],
        result.topics.iter().map(|topic| {
            let offsets: Vec<String> = topic.end_offsets.iter().map(u64::to_string).collect();
            vec![
                topic.name.clone(),
                topic.role.clone(),
                topic.partitions.to_string(),
                offsets.join(", "),
                or_na(topic.lag),
            ]
        }),
    );
    table(
        &mut out,
        "Jobs",
        &[
            "job",
            "name",
            "status",
            "records in",
            "records out",
            "late dropped",
            "open windows",
            "state bytes",
        ],
        result.jobs.iter().map(|job| {
            vec![
                job.id.clone(),
                job.name.clone(),
                job.status.clone(),
                or_na(job.records_in),
                job.records_out.to_string(),
                job.late_records_dropped.to_string(),
                job.open_windows.to_string(),
                job.state_bytes.to_string(),
            ]
        }),
    );
    if !result.errors.is_empty() {
        table(
            &mut out,
            "Errors",
            &["error", "count"],
            result
                .errors
                .iter()
                .map(|(error, count)| vec![error.clone(), count.to_string()]),
        );
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
