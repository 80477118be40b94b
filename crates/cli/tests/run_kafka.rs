//! `pipegen run` against a real Kafka-protocol broker (tansu, started on a free loopback port):
//! the load generator produces through librdkafka, the embedded engine reads and writes the
//! cluster, the run reads the results back, and cleanup removes exactly what the run created.

mod common;

use std::time::{Duration, Instant};

use common::Scratch;
use pipegen_config::{ProducerConfig, SecurityConfig};
use pipegen_kafka::{KafkaAdmin, TopicPlan, producer_properties};
use pipegen_testkit::Tansu;

fn admin(broker: &Tansu) -> KafkaAdmin {
    let properties = producer_properties(
        &broker.bootstrap_servers(),
        &ProducerConfig::default(),
        &SecurityConfig::default(),
    );
    KafkaAdmin::new(&properties, Duration::from_secs(20)).unwrap()
}

#[test]
fn the_default_project_runs_on_kafka_with_per_run_topics_and_cleans_up() {
    let broker = Tansu::start();
    let servers = broker.bootstrap_servers();
    let admin = admin(&broker);
    // A topic that was there before the run: used by nobody here, and never deleted.
    admin
        .create_topics(&[TopicPlan {
            name: "someone-elses".into(),
            partitions: 1,
            replication_factor: 1,
            config: Default::default(),
        }])
        .unwrap();

    let s = Scratch::new();
    s.quick_project("demo");
    s.run_with_env(
        &[
            "--project-dir",
            "demo",
            "--bootstrap-servers",
            &servers,
            "run",
            "--duration",
            "6s",
            "--message-rate",
            "400",
            "--seed",
            "3",
            "-q",
        ],
        &[("PIPEGEN_KAFKA__TOPICS__NAMING", "per-run")],
    )
    .expect(0);
    let result = s.newest_result("demo");
    let run_id = result["run_id"].as_str().unwrap();

    assert_eq!(result["status"], "succeeded", "{result:#}");
    assert_eq!(result["backends"]["log"], "kafka");
    assert_eq!(result["backends"]["engine"], "embedded");
    let client = &result["backends"]["log_client_config"];
    assert_eq!(client["bootstrap.servers"], servers.as_str());
    assert_eq!(client["partitioner"], "murmur2_random");
    let producer = &result["producer"];
    assert_eq!(producer["sent"], 2400);
    assert_eq!(producer["acked"], 2400, "every record acknowledged by the broker");
    assert_eq!(producer["failed"], 0);
    assert!(
        producer["retried"].is_u64(),
        "librdkafka's retry count is measured: {producer}"
    );
    let publish = &result["latency_ms"]["publish"];
    assert_eq!(publish["count"], 2400, "publish latency from delivery reports");

    let job = &result["jobs"][0];
    assert_eq!(
        job["records_in"], 2400,
        "the engine read every record from the broker: {job}"
    );
    let consumed = result["consumer"]["consumed"].as_u64().unwrap();
    assert!(consumed >= 5, "windows fired and their rows came back: {consumed}");
    assert_eq!(job["records_out"].as_u64().unwrap(), consumed);

    let topics = result["topics"].as_array().unwrap();
    assert!(!topics.is_empty());
    for topic in topics {
        let name = topic["name"].as_str().unwrap();
        assert!(name.ends_with(run_id), "per-run topic names carry the run id: {name}");
    }
    let source = topics.iter().find(|t| t["role"] == "source").unwrap();
    assert_eq!(source["partitions"], 3);

    // Cleanup deleted the run's topics, and only those.
    assert_eq!(admin.topics().unwrap(), ["someone-elses"]);
}

#[test]
fn a_pass_through_pipeline_on_kafka_accounts_for_every_record_and_can_keep_its_topics() {
    let broker = Tansu::start();
    let servers = broker.bootstrap_servers();
    let s = Scratch::new();
    s.run(&["init", "shop"]).expect(0);
    s.write(
        "shop/sql/02_sink.sql",
        "CREATE TABLE `copies` (`order_id` STRING, `category` STRING, `event_time` TIMESTAMP(3)) WITH (
           'connector' = 'kafka', 'topic' = 'shop-copies',
           'properties.bootstrap.servers' = '${BOOTSTRAP_SERVERS}', 'format' = 'json');\n",
    );
    s.write(
        "shop/sql/03_pipeline.sql",
        "INSERT INTO `copies` SELECT order_id, category, event_time FROM `orders`;\n",
    );
    s.run(&[
        "--project-dir",
        "shop",
        "--bootstrap-servers",
        &servers,
        "run",
        "--duration",
        "3s",
        "--message-rate",
        "500",
        "--cleanup=false",
        "-q",
    ])
    .expect(0);
    let result = s.newest_result("shop");
    assert_eq!(result["status"], "succeeded", "{result:#}");
    assert_eq!(result["producer"]["acked"], 1500);
    assert_eq!(result["consumer"]["consumed"], 1500, "every input is accounted for");
    assert_eq!(result["latency_ms"]["end_to_end"]["count"], 1500);

    // --cleanup=false keeps the topics, under the names the SQL gives them (naming: fixed).
    let mut topics = admin(&broker).topics().unwrap();
    topics.sort();
    let mut declared: Vec<String> = result["topics"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["name"].as_str().unwrap().to_owned())
        .collect();
    declared.sort();
    assert!(declared.contains(&"shop-copies".to_owned()), "{declared:?}");
    assert_eq!(topics, declared);

    // A second run over the kept topics (every one exists: nothing to create) runs, and
    // counts only what it caused, not the first run's results.
    s.run(&[
        "--project-dir",
        "shop",
        "--bootstrap-servers",
        &servers,
        "run",
        "--duration",
        "3s",
        "--message-rate",
        "500",
        "-q",
    ])
    .expect(0);
    let again = s.newest_result("shop");
    assert_eq!(again["status"], "succeeded", "{again:#}");
    assert_eq!(again["producer"]["acked"], 1500);
    let consumed = again["consumer"]["consumed"].as_u64().unwrap();
    assert!(consumed >= 1500, "{again:#}");
    assert_eq!(
        again["latency_ms"]["end_to_end"]["count"].as_u64().unwrap(),
        consumed,
        "every result read is one this run's pipeline wrote"
    );
}

#[test]
fn a_broker_that_is_down_is_one_clear_error_within_the_timeout() {
    let port = pipegen_testkit::free_port();
    let s = Scratch::new();
    s.run(&["init", "demo"]).expect(0);
    let servers = format!("127.0.0.1:{port}");
    let started = Instant::now();
    let out = s
        .run_with_env(
            &[
                "--project-dir",
                "demo",
                "--bootstrap-servers",
                &servers,
                "run",
                "--duration",
                "2s",
            ],
            &[("PIPEGEN_KAFKA__TIMEOUT", "3s")],
        )
        .expect(1);
    assert!(out.stderr.contains(&servers), "names the address: {}", out.stderr);
    assert!(
        started.elapsed() < Duration::from_secs(15),
        "gave up after {:?}",
        started.elapsed()
    );
    assert!(
        !s.path().join("demo/reports").exists(),
        "nothing ran, so no report: {:?}",
        std::fs::read_dir(s.path().join("demo")).unwrap().collect::<Vec<_>>()
    );
}

#[test]
fn an_external_registry_keeps_its_subjects_and_refuses_an_incompatible_schema() {
    use pipegen_registry::{EmbeddedRegistry, RegistryClient};
    let broker = Tansu::start();
    let servers = broker.bootstrap_servers();
    let registry = EmbeddedRegistry::start("127.0.0.1:0".parse().unwrap()).unwrap();
    let client = RegistryClient::new(&registry.url(), Duration::from_secs(10));
    let other = r#"{"type":"record","name":"Other","fields":[{"name":"x","type":"int"}]}"#;
    client.register("someone-elses-value", other).unwrap();

    let s = Scratch::new();
    s.run(&["init", "demo"]).expect(0);
    let args = |url: &str| {
        vec![
            "--project-dir".to_owned(),
            "demo".into(),
            "--bootstrap-servers".into(),
            servers.clone(),
            "--schema-registry-url".into(),
            url.into(),
            "run".into(),
            "--duration".into(),
            "2s".into(),
            "--message-rate".into(),
            "100".into(),
            "-q".into(),
        ]
    };
    let url = registry.url();
    let run = |extra: &[(&str, &str)]| {
        let args = args(&url);
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        s.run_with_env(&args, extra)
    };
    run(&[("PIPEGEN_KAFKA__TOPICS__NAMING", "per-run")]).expect(0);
    let result = s.newest_result("demo");
    assert_eq!(result["backends"]["schema_registry"], "http");
    assert_eq!(result["producer"]["acked"], 200);
    assert_eq!(
        client.subjects().unwrap(),
        ["someone-elses-value"],
        "the run's subjects are deleted, the other one kept"
    );

    // The record-name strategy registers the value schema under the record's full name.
    run(&[
        ("PIPEGEN_KAFKA__TOPICS__NAMING", "per-run"),
        ("PIPEGEN_SCHEMA_REGISTRY__SUBJECT_STRATEGY", "record-name"),
        ("PIPEGEN_RUN__CLEANUP", "false"),
    ])
    .expect(0);
    let subjects = client.subjects().unwrap();
    assert!(subjects.contains(&"demo.events.OrderEvent".to_owned()), "{subjects:?}");
    client.delete_subject("demo.events.OrderEvent").unwrap();

    // A subject holding a schema the project's cannot evolve from: refused before producing.
    client.register("demo-orders-value", other).unwrap();
    let out = run(&[]).expect(2);
    assert!(out.stderr.contains("not compatible"), "{}", out.stderr);
    assert!(out.stderr.contains("demo-orders-value"), "{}", out.stderr);
    let mut subjects: Vec<String> = client
        .subjects()
        .unwrap()
        .into_iter()
        .filter(|s| !s.starts_with("demo-order-stats-"))
        .collect();
    subjects.sort();
    assert_eq!(subjects, ["demo-orders-value", "someone-elses-value"]);
    assert!(
        !admin(&broker)
            .topics()
            .unwrap()
            .iter()
            .any(|t| t == "demo-orders" || t == "demo-order-stats"),
        "the refused run removed the topics it had created"
    );
}

#[test]
fn sigint_stops_the_run_cleans_up_and_reports_interrupted() {
    stop_mid_run("INT", 130);
}

#[test]
fn sigterm_stops_the_run_cleans_up_and_reports_interrupted() {
    stop_mid_run("TERM", 143);
}

/// Sends `signal` to a run a few seconds in: it stops within its deadlines, exits with the
/// shell's code for the signal, removes its topics and live file, and reports why it stopped.
fn stop_mid_run(signal: &str, code: i32) {
    let broker = Tansu::start();
    let servers = broker.bootstrap_servers();
    let s = Scratch::new();
    s.run(&["init", "demo"]).expect(0);
    let mut child = s
        .command(&["--project-dir", "demo", "--bootstrap-servers", &servers])
        .args(["run", "--duration", "60s", "--message-rate", "200", "-q"])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let admin = admin(&broker);
    let started = Instant::now();
    while admin.topics().unwrap().is_empty() {
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "the run never created its topics"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    std::thread::sleep(Duration::from_secs(3));
    let signalled = std::process::Command::new("kill")
        .args([&format!("-{signal}"), &child.id().to_string()])
        .status()
        .unwrap();
    assert!(signalled.success());
    let stopping = Instant::now();
    let status = child.wait().unwrap();
    assert!(
        stopping.elapsed() < Duration::from_secs(20),
        "stopped {:?} after SIG{signal}",
        stopping.elapsed()
    );
    assert_eq!(status.code(), Some(code), "128 + the signal's number");

    let result = s.newest_result("demo");
    assert_eq!(result["status"], "interrupted", "{result:#}");
    assert_eq!(result["error"], format!("interrupted (SIG{signal})").as_str());
    let producer = &result["producer"];
    let sent = producer["sent"].as_u64().unwrap();
    assert!(sent > 0 && sent < 12_000, "production stopped early: {producer}");
    assert_eq!(
        producer["acked"].as_u64().unwrap() + producer["failed"].as_u64().unwrap(),
        sent,
        "flushed: every record sent has its outcome: {producer}"
    );
    assert!(admin.topics().unwrap().is_empty(), "the run's topics are gone");
    let live_files: Vec<_> = std::fs::read_dir(s.path().join("demo/reports"))
        .unwrap()
        .filter_map(Result::ok)
        .filter(|e| e.file_name().to_string_lossy().starts_with(".pipegen-live-"))
        .collect();
    assert!(live_files.is_empty(), "the live file is removed: {live_files:?}");
}
