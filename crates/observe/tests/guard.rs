//! The dashboard and the Prometheus endpoint answer only requests that name them by their own
//! address, so a page on another site whose name was rebound to 127.0.0.1 (DNS rebinding)
//! cannot read `/api/frames`; state-changing requests from other origins are refused.

use pipegen_observe::{Dashboard, DashboardOptions, PrometheusEndpoint, View};

fn send(method: &str, url: &str, headers: &[(&str, &str)]) -> (u16, String) {
    let agent: ureq::Agent = ureq::Agent::config_builder().http_status_as_error(false).build().into();
    let mut request = ureq::http::Request::builder().method(method).uri(url);
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    let mut response = agent.run(request.body(()).unwrap()).expect("the server answers");
    (
        response.status().as_u16(),
        response.body_mut().read_to_string().unwrap(),
    )
}

async fn call(method: &'static str, url: String, headers: Vec<(&'static str, String)>) -> (u16, String) {
    tokio::task::spawn_blocking(move || {
        let headers: Vec<(&str, &str)> = headers.iter().map(|(k, v)| (*k, v.as_str())).collect();
        send(method, &url, &headers)
    })
    .await
    .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rebound_name_cannot_read_the_dashboard() {
    let dashboard = Dashboard::start(DashboardOptions {
        bind_address: "127.0.0.1".into(),
        port: 0,
        views: vec![View::Throughput],
        title: "pipegen run test".into(),
        planned_s: 4,
        phases: vec![],
    })
    .await
    .unwrap();
    let url = dashboard.url();
    let frames = format!("{url}api/frames");
    let port = url.trim_end_matches('/').rsplit(':').next().unwrap().to_owned();

    let (status, body) = call("GET", frames.clone(), vec![("host", format!("rebound.example:{port}"))]).await;
    assert_eq!(status, 403, "{body}");
    assert!(body.contains("Host") && body.contains("rebound.example"), "{body}");
    assert_eq!(
        call("GET", frames.clone(), vec![("host", "rebound.example".into())])
            .await
            .0,
        403
    );
    for host in [format!("127.0.0.1:{port}"), format!("localhost:{port}")] {
        let (status, body) = call("GET", frames.clone(), vec![("host", host.clone())]).await;
        assert_eq!(status, 200, "{host}: {body}");
        assert!(body.contains("\"frames\""), "{body}");
    }
    // The page's own requests (no Origin on a same-origin GET, or its own).
    let (status, _) = call(
        "GET",
        frames.clone(),
        vec![("origin", url.trim_end_matches('/').to_owned())],
    )
    .await;
    assert_eq!(status, 200);
    // A state-changing request from another origin, or with a body a browser posts freely.
    let (status, body) = call(
        "POST",
        frames.clone(),
        vec![("origin", "http://attacker.example".into())],
    )
    .await;
    assert_eq!(status, 403, "{body}");
    assert!(body.contains("origin"), "{body}");
    let (status, _) = call("POST", frames.clone(), vec![("content-type", "text/plain".into())]).await;
    assert_eq!(status, 415);
    dashboard.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_prometheus_endpoint_checks_the_host_too() {
    let endpoint = PrometheusEndpoint::start(0).await.unwrap();
    let address = endpoint.address();
    let metrics = format!("http://{address}/metrics");
    assert_eq!(call("GET", metrics.clone(), vec![]).await.0, 200);
    let (status, _) = call(
        "GET",
        metrics,
        vec![("host", format!("rebound.example:{}", address.port()))],
    )
    .await;
    assert_eq!(status, 403);
}
