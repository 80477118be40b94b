//! The dashboard and the Prometheus endpoint over real HTTP on 127.0.0.1.

use std::collections::BTreeMap;

use pipegen_observe::frame::{FrameLatency, IntervalPercentiles, Resources};
use pipegen_observe::{Dashboard, DashboardOptions, Finished, LiveFrame, PhaseBand, PrometheusEndpoint, View};

fn frame(t_s: u64, sent: u64) -> LiveFrame {
    LiveFrame {
        t_s,
        planned_s: 4,
        phase: "base".into(),
        target_rate: Some(100),
        sent,
        acked: sent,
        failed: 0,
        consumed: 3,
        sent_total: sent * (t_s + 1),
        acked_total: sent * (t_s + 1),
        failed_total: 0,
        consumed_total: 3 * (t_s + 1),
        latency_ms: FrameLatency {
            publish: IntervalPercentiles {
                count: sent,
                p50: Some(1.0),
                p99: Some(2.0),
                p999: Some(3.0),
                max: Some(4.0),
            },
            ..FrameLatency::default()
        },
        lag: vec![],
        jobs: vec![],
        errors: BTreeMap::new(),
        resources: Resources::default(),
    }
}

fn get(url: &str) -> (u16, BTreeMap<String, String>, String) {
    let agent: ureq::Agent = ureq::Agent::config_builder().http_status_as_error(false).build().into();
    let mut response = agent.get(url).call().expect("the server answers");
    let headers = response
        .headers()
        .iter()
        .map(|(k, v)| (k.as_str().to_string(), v.to_str().unwrap_or("").to_string()))
        .collect();
    let status = response.status().as_u16();
    (status, headers, response.body_mut().read_to_string().unwrap())
}

async fn fetch(url: String) -> (u16, BTreeMap<String, String>, String) {
    tokio::task::spawn_blocking(move || get(&url)).await.unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_dashboard_serves_its_page_frames_charts_and_result_on_loopback() {
    let dashboard = Dashboard::start(DashboardOptions {
        bind_address: "127.0.0.1".into(),
        port: 0,
        views: vec![View::Throughput],
        title: "pipegen run test".into(),
        planned_s: 4,
        phases: vec![PhaseBand {
            start_s: 1.0,
            end_s: 2.0,
            label: "300%".into(),
        }],
    })
    .await
    .unwrap();
    let url = dashboard.url();
    assert!(url.starts_with("http://127.0.0.1:"), "{url}");
    dashboard.push(&frame(0, 100));
    dashboard.push(&frame(1, 300));

    let (status, headers, page) = fetch(url.clone()).await;
    assert_eq!(status, 200);
    assert!(page.contains("/assets/dashboard.js"));
    assert!(headers["content-security-policy"].contains("default-src 'none'"));
    assert!(
        !headers.keys().any(|k| k.starts_with("access-control-")),
        "no CORS headers: {headers:?}"
    );
    let (status, _, script) = fetch(format!("{url}assets/dashboard.js")).await;
    assert_eq!(status, 200);
    assert!(script.contains("EventSource"));

    let (_, _, body) = fetch(format!("{url}api/frames")).await;
    let snapshot: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(snapshot["frames"].as_array().unwrap().len(), 2);
    assert_eq!(snapshot["views"], serde_json::json!(["throughput"]));
    let rate = snapshot["charts"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["id"] == "rate")
        .unwrap();
    assert!(
        rate["svg"]
            .as_str()
            .unwrap()
            .contains(r#"data-series="achieved" data-x="0 1" data-y="100 300""#)
    );

    let (status, _, _) = fetch(format!("{url}api/result")).await;
    assert_eq!(status, 404, "no result before the run ends");
    dashboard.finish(
        serde_json::json!({"status": "succeeded"}),
        Finished {
            status: "succeeded".into(),
            error: None,
        },
    );
    let (status, _, body) = fetch(format!("{url}api/result")).await;
    assert_eq!((status, body.as_str()), (200, r#"{"status":"succeeded"}"#));
    dashboard.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_taken_port_is_a_clear_error_with_a_hint() {
    let first = PrometheusEndpoint::start(0).await.unwrap();
    let port = first.address().port();
    let error = match PrometheusEndpoint::start(port).await {
        Ok(_) => panic!("two servers on one port"),
        Err(e) => e,
    };
    assert!(error.to_string().contains(&format!("127.0.0.1:{port}")), "{error}");
    assert!(error.hint().contains("free port"), "{}", error.hint());
    let (status, headers, text) = fetch(format!("http://{}/metrics", first.address())).await;
    assert_eq!(status, 200);
    assert!(headers["content-type"].starts_with("application/openmetrics-text"));
    assert!(text.contains("# TYPE pipegen_records_sent counter"), "{text}");
    first.stop().await;
}
