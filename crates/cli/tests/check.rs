//! `pipegen check` against a real Kafka-protocol broker (tansu) and a real Flink 2.1 cluster
//! running a job; the SQL Gateway (which cannot run here) is checked at a dead address.

mod common;

use std::io::{BufRead, BufReader};
use std::time::Duration;

use common::Scratch;
use pipegen_flink::{FlinkRest, cancel_jobs};
use pipegen_testkit::{Flink, Tansu, free_port};
use serde_json::Value;

/// A job of its own on the shared cluster: datagen into blackhole at parallelism 2.
fn start_job(flink: &Flink) -> String {
    let rest = FlinkRest::new(&flink.url(), Duration::from_secs(10));
    let jar = rest.upload_jar(flink.sql_runner_jar()).unwrap();
    let statements = [
        "SET 'parallelism.default' = '2'",
        "CREATE TABLE ticks (n BIGINT) WITH ('connector' = 'datagen', 'rows-per-second' = '10')",
        "CREATE TABLE drain (n BIGINT) WITH ('connector' = 'blackhole')",
        "INSERT INTO drain SELECT n FROM ticks",
    ]
    .map(str::to_owned);
    let job = rest.run_jar(&jar, &statements).unwrap();
    rest.delete_jar(&jar).unwrap();
    job
}

fn part<'a>(report: &'a Value, name: &str) -> &'a Value {
    report["parts"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["part"] == name)
        .unwrap_or_else(|| panic!("no {name} in {report}"))
}

#[test]
fn reports_the_broker_and_the_cluster_with_its_jobs() {
    let flink = Flink::shared();
    let broker = Tansu::start();
    let job = start_job(flink);
    let registry = pipegen_registry::EmbeddedRegistry::start("127.0.0.1:0".parse().unwrap()).unwrap();
    pipegen_registry::RegistryClient::new(&registry.url(), Duration::from_secs(5))
        .register(
            "clicks-value",
            r#"{"type": "record", "name": "Click", "fields": [{"name": "n", "type": "long"}]}"#,
        )
        .unwrap();
    let s = Scratch::new();
    let servers = broker.bootstrap_servers();
    let url = flink.url();

    let out = s
        .run(&[
            "check",
            "--json",
            "--verbose",
            "--bootstrap-servers",
            &servers,
            "--schema-registry-url",
            &registry.url(),
            "--flink-url",
            &url,
        ])
        .expect(0);
    let report: Value = serde_json::from_str(out.stdout.trim()).unwrap();
    assert_eq!(report["healthy"], true, "{report}");
    assert_eq!(part(&report, "Schema registry")["subjects"], 1, "{report}");
    let kafka = part(&report, "Kafka");
    assert_eq!(kafka["brokers"].as_array().unwrap().len(), 1, "{kafka}");
    assert!(kafka["brokers"][0].as_str().unwrap().ends_with(&servers), "{kafka}");
    let cluster = part(&report, "Flink");
    assert_eq!(cluster["version"], "2.1.0");
    assert_eq!(cluster["taskmanagers"], 1);
    assert_eq!(cluster["slots_total"], 4);
    let ours = cluster["jobs"]
        .as_array()
        .unwrap()
        .iter()
        .find(|j| j["id"] == job.as_str())
        .unwrap_or_else(|| panic!("job {job} not listed: {cluster}"));
    assert_eq!(ours["state"], "RUNNING");
    assert_eq!(ours["parallelism"], 2);
    let vertices = ours["vertices"].as_array().expect("--verbose lists the vertices");
    assert!(vertices.iter().all(|v| v["parallelism"] == 2), "{ours}");
    assert!(ours.get("last_checkpoint").is_some(), "{ours}");

    // The text form, with a dead SQL Gateway: unhealthy, exit 1, its address named.
    let gateway = format!("http://127.0.0.1:{}", free_port());
    let out = s
        .run(&[
            "check",
            "-v",
            "--bootstrap-servers",
            &servers,
            "--flink-url",
            &url,
            "--sql-gateway-url",
            &gateway,
        ])
        .expect(1);
    assert!(
        out.stdout.contains("ok   Flink") && out.stdout.contains("4 slots"),
        "{}",
        out.all()
    );
    assert!(
        out.stdout.contains(&format!("job {job}")) && out.stdout.contains("vertex "),
        "{}",
        out.stdout
    );
    let line = out.stdout.lines().find(|l| l.starts_with("FAIL SQL Gateway"));
    assert!(
        line.is_some_and(|l| l.contains(&gateway) && l.contains("not reachable")),
        "{}",
        out.stdout
    );
    assert!(
        out.stderr.contains("1 of 3 parts unhealthy: SQL Gateway"),
        "{}",
        out.stderr
    );

    cancel_jobs(
        &FlinkRest::new(&url, Duration::from_secs(10)),
        &[job],
        Duration::from_secs(30),
    );
}

#[test]
fn watch_refreshes_until_stopped() {
    let flink = Flink::shared();
    let s = Scratch::new();
    let mut child = s.spawn(&[
        "check",
        "--watch",
        "--interval",
        "1s",
        "--json",
        "--flink-url",
        &flink.url(),
    ]);
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    for _ in 0..2 {
        let line = lines.next().expect("a refresh").unwrap();
        let report: Value = serde_json::from_str(&line).unwrap();
        assert_eq!(part(&report, "Flink")["taskmanagers"], 1, "{report}");
    }
    child.kill().unwrap();
    child.wait().unwrap();
}
