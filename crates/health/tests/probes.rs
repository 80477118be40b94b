//! Probes against real servers on loopback.

use std::time::Duration;

use pipegen_health::{probe_flink, probe_kafka, probe_registry};
use pipegen_testkit::{Tansu, free_port};

#[test]
fn kafka_probe_reaches_a_real_broker() {
    let broker = Tansu::start();
    let probe = probe_kafka(&broker.bootstrap_servers(), Duration::from_secs(5));
    let detail = probe.outcome.expect("tansu answers ApiVersions");
    assert!(detail.contains("answered ApiVersions"), "{detail}");
    let apis: usize = detail
        .split('(')
        .nth(1)
        .and_then(|s| s.split_whitespace().next())
        .and_then(|n| n.parse().ok())
        .unwrap();
    assert!(
        apis >= 10,
        "a broker lists at least produce, fetch, metadata...: {detail}"
    );
}

#[test]
fn kafka_probe_tries_every_bootstrap_server() {
    let broker = Tansu::start();
    let dead = format!("127.0.0.1:{}", free_port());
    let probe = probe_kafka(
        &format!("{dead},{}", broker.bootstrap_servers()),
        Duration::from_secs(5),
    );
    assert!(probe.is_ok(), "{probe:?}");
}

#[test]
fn a_kafka_broker_is_not_mistaken_for_an_http_service() {
    let broker = Tansu::start();
    let url = format!("http://{}", broker.bootstrap_servers());
    for probe in [
        probe_flink(&url, Duration::from_secs(2)),
        probe_registry(&url, Duration::from_secs(2)),
    ] {
        let error = probe.outcome.unwrap_err();
        assert!(error.contains(&url), "{error}");
    }
}

#[test]
fn http_probes_fail_clearly_on_a_closed_port() {
    let url = format!("http://127.0.0.1:{}", free_port());
    let probe = probe_registry(&url, Duration::from_secs(2));
    let error = probe.outcome.unwrap_err();
    assert!(error.contains("/subjects"), "{error}");
}
