//! `monitoring/`: a Prometheus scrape configuration for the endpoint `pipegen run` serves when
//! `monitoring.prometheus_port` is set, and a Grafana dashboard over the metrics it exports.

use serde_json::{Value, json};

use crate::name::ProjectName;

/// The port the config template suggests for `monitoring.prometheus_port`.
pub const PROMETHEUS_PORT: u16 = 9249;

pub fn prometheus_yml(name: &ProjectName) -> String {
    format!(
        r#"# Prometheus scraping pipegen while a run goes.
# 1. In .pipegen.yaml set `monitoring.prometheus_port: {PROMETHEUS_PORT}`: `pipegen run` then serves
#    /metrics on 127.0.0.1:{PROMETHEUS_PORT} for as long as the run lasts.
# 2. prometheus --config.file=monitoring/prometheus.yml
# 3. In Grafana, add this Prometheus as a data source and import monitoring/grafana-dashboard.json.
global:
  scrape_interval: 1s         # pipegen updates its metrics once per second
  evaluation_interval: 5s

scrape_configs:
  - job_name: pipegen
    metrics_path: /metrics
    static_configs:
      - targets: ["127.0.0.1:{PROMETHEUS_PORT}"]
        labels:
          project: {name}
"#,
        name = name.kebab()
    )
}

/// One Prometheus query of a panel.
fn target(ref_id: &str, expr: &str, legend: &str) -> Value {
    json!({
        "refId": ref_id,
        "datasource": {"type": "prometheus", "uid": "${datasource}"},
        "expr": expr,
        "legendFormat": legend,
        "range": true
    })
}

/// A time-series panel at grid cell (`x`, `y`), half the dashboard wide.
fn panel(id: u32, title: &str, description: &str, unit: &str, x: u32, y: u32, targets: Vec<Value>) -> Value {
    json!({
        "id": id,
        "type": "timeseries",
        "title": title,
        "description": description,
        "datasource": {"type": "prometheus", "uid": "${datasource}"},
        "gridPos": {"h": 8, "w": 12, "x": x, "y": y},
        "fieldConfig": {"defaults": {"unit": unit}, "overrides": []},
        "options": {
            "legend": {"displayMode": "list", "placement": "bottom", "showLegend": true},
            "tooltip": {"mode": "multi", "sort": "none"}
        },
        "targets": targets
    })
}

fn quantiles(metric: &str, who: &str) -> Vec<Value> {
    [("A", "0.5", "p50"), ("B", "0.99", "p99"), ("C", "0.999", "p99.9")]
        .iter()
        .map(|(ref_id, q, name)| {
            target(
                ref_id,
                &format!("histogram_quantile({q}, sum by (le) (rate({metric}_bucket[10s])))"),
                &format!("{who} {name}"),
            )
        })
        .collect()
}

pub fn grafana_dashboard(name: &ProjectName) -> String {
    let uid: String = format!("pipegen-{}", name.kebab()).chars().take(40).collect();
    let panels = vec![
        panel(
            1,
            "Throughput",
            "Records per second: the rate plan's target, what was sent and acknowledged, and the result records read back.",
            "ops",
            0,
            0,
            vec![
                target("A", "pipegen_target_rate", "target"),
                target("B", "rate(pipegen_records_sent_total[10s])", "sent"),
                target("C", "rate(pipegen_records_acked_total[10s])", "acked"),
                target("D", "rate(pipegen_records_consumed_total[10s])", "consumed"),
            ],
        ),
        panel(
            2,
            "Publish latency",
            "From each record's intended send time to its acknowledgement.",
            "s",
            12,
            0,
            quantiles("pipegen_publish_latency_seconds", "publish"),
        ),
        panel(
            3,
            "End-to-end latency",
            "From the input's intended send time (or the window end) to the result being read.",
            "s",
            0,
            8,
            quantiles("pipegen_end_to_end_latency_seconds", "end to end"),
        ),
        panel(
            4,
            "Publish delay",
            "How late the producer sent, against the rate plan.",
            "s",
            12,
            8,
            quantiles("pipegen_publish_delay_seconds", "delay"),
        ),
        panel(
            5,
            "Memory",
            "Resident memory of the pipegen process.",
            "bytes",
            0,
            16,
            vec![target("A", "pipegen_process_resident_memory_bytes", "resident")],
        ),
        panel(
            6,
            "CPU",
            "CPU time of the pipegen process per second (1 = one core).",
            "percentunit",
            12,
            16,
            vec![target("A", "rate(pipegen_process_cpu_seconds_total[10s])", "cpu")],
        ),
        panel(
            7,
            "Lag per topic",
            "Records written and not yet read.",
            "short",
            0,
            24,
            vec![target("A", "pipegen_topic_lag_records", "{{topic}}")],
        ),
        panel(
            8,
            "Job records in / out",
            "Records each job reads and writes per second.",
            "ops",
            12,
            24,
            vec![
                target("A", "rate(pipegen_job_records_in_total[10s])", "{{job_name}} in"),
                target("B", "rate(pipegen_job_records_out_total[10s])", "{{job_name}} out"),
            ],
        ),
        panel(
            9,
            "Checkpoint duration",
            "The last completed checkpoint of each job. Flink runs only: the embedded engine takes no checkpoints, so this panel stays empty there.",
            "s",
            0,
            32,
            vec![target(
                "A",
                "pipegen_job_last_checkpoint_duration_seconds",
                "{{job_name}}",
            )],
        ),
        panel(
            10,
            "Errors",
            "Failed sends and errors by kind, per second.",
            "short",
            12,
            32,
            vec![
                target("A", "rate(pipegen_records_failed_total[10s])", "failed sends"),
                target("B", "sum by (kind) (rate(pipegen_errors_total[10s]))", "{{kind}}"),
            ],
        ),
        panel(
            11,
            "Busy and backpressure",
            "Share of time the busiest task of each job was busy, and the most back-pressured one was back-pressured. Flink runs only: the embedded engine has no such signal, so this panel stays empty there.",
            "percentunit",
            0,
            40,
            vec![
                target("A", "pipegen_job_busy_ratio", "{{job_name}} busy"),
                target("B", "pipegen_job_backpressure_ratio", "{{job_name}} backpressured"),
            ],
        ),
        panel(
            12,
            "Job restarts",
            "Times each job restarted after a failure. Flink runs only.",
            "short",
            12,
            40,
            vec![target("A", "pipegen_job_restarts_total", "{{job_name}}")],
        ),
    ];
    let dashboard = json!({
        "uid": uid,
        "title": format!("pipegen: {}", name.as_str()),
        "description": "Live metrics of `pipegen run` (monitoring.prometheus_port), scraped by monitoring/prometheus.yml.",
        "tags": ["pipegen", "kafka", "flink"],
        "timezone": "browser",
        "editable": true,
        "graphTooltip": 1,
        "schemaVersion": 39,
        "version": 1,
        "refresh": "5s",
        "time": {"from": "now-15m", "to": "now"},
        "annotations": {"list": []},
        "templating": {"list": [{
            "name": "datasource",
            "label": "Prometheus",
            "type": "datasource",
            "query": "prometheus",
            "hide": 0,
            "refresh": 1,
            "options": [],
            "regex": ""
        }]},
        "panels": panels
    });
    let mut text = serde_json::to_string_pretty(&dashboard).expect("a JSON value serialises");
    text.push('\n');
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_dashboard_is_json_with_unique_panel_ids_on_a_24_column_grid() {
        let name = ProjectName::parse("shop-orders").unwrap();
        let dashboard: Value = serde_json::from_str(&grafana_dashboard(&name)).unwrap();
        assert_eq!(dashboard["uid"], "pipegen-shop-orders");
        let panels = dashboard["panels"].as_array().unwrap();
        let mut ids: Vec<u64> = panels.iter().map(|p| p["id"].as_u64().unwrap()).collect();
        ids.dedup();
        assert_eq!(ids.len(), panels.len());
        for panel in panels {
            let grid = &panel["gridPos"];
            assert!(
                grid["x"].as_u64().unwrap() + grid["w"].as_u64().unwrap() <= 24,
                "{panel}"
            );
            assert!(!panel["targets"].as_array().unwrap().is_empty());
        }
        assert!(prometheus_yml(&name).contains("127.0.0.1:9249"));
    }
}
