//! `pipegen run` while the Kafka cluster misbehaves under it (a real tansu broker): restarted
//! with its data kept, restarted with its data lost, a topic deleted by another client, the
//! broker gone for good. Each run ends within its deadlines, never crashes, accounts for every
//! record it sent, says what happened in a written report and removes what it created.

mod common;

use std::path::Path;
use std::process::Child;
use std::time::{Duration, Instant};

use common::Scratch;
use pipegen_config::{ProducerConfig, SecurityConfig};
use pipegen_kafka::{KafkaAdmin, producer_properties};
use pipegen_testkit::{ObjectStore, Tansu};

fn admin(servers: &str) -> KafkaAdmin {
    let properties = producer_properties(servers, &ProducerConfig::default(), &SecurityConfig::default());
    KafkaAdmin::new(&properties, Duration::from_secs(20)).unwrap()
}

/// Starts the default project's run on `servers`, and returns once its topics exist.
fn start_run(s: &Scratch, servers: &str, duration: &str) -> Child {
    s.run(&["init", "demo"]).expect(0);
    spawn_run(s, servers, duration, "2000", &[])
}

/// Starts a run of the project `demo` (with `env` set) and returns once its topics exist.
fn spawn_run(s: &Scratch, servers: &str, duration: &str, rate: &str, env: &[(&str, &str)]) -> Child {
    let child = s
        .command(&["--project-dir", "demo", "--bootstrap-servers", servers])
        .args(["run", "--duration", duration, "--message-rate", rate, "-q"])
        .envs(env.iter().copied())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let admin = admin(servers);
    let started = Instant::now();
    while !admin.topics().unwrap_or_default().iter().any(|t| t == "demo-orders") {
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "the run never created its topics"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    child
}

/// Waits for the run to end, at most `limit`; returns its exit code (`None`: killed by a
/// signal, such as the SIGSEGV librdkafka died of) and what it wrote on stderr.
fn finish(mut child: Child, limit: Duration) -> (Option<i32>, String) {
    let started = Instant::now();
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            let mut stderr = String::new();
            if let Some(mut pipe) = child.stderr.take() {
                let _ = std::io::Read::read_to_string(&mut pipe, &mut stderr);
            }
            return (status.code(), stderr);
        }
        if started.elapsed() > limit {
            let _ = child.kill();
            panic!("the run was still going {limit:?} after the fault");
        }
        std::thread::sleep(Duration::from_millis(200));
    }
}

/// What every run under a fault must hold: a report, every record sent with its outcome, no
/// live file left behind.
fn check_accounted(s: &Scratch) -> serde_json::Value {
    let result = s.newest_result("demo");
    let producer = &result["producer"];
    let sent = producer["sent"].as_u64().unwrap();
    assert!(sent > 0, "{producer}");
    assert_eq!(
        producer["acked"].as_u64().unwrap() + producer["failed"].as_u64().unwrap(),
        sent,
        "every record sent has its outcome: {producer}"
    );
    let reports = s.path().join("demo/reports");
    assert!(live_files(&reports).is_empty(), "the live file is removed");
    result
}

fn live_files(dir: &Path) -> Vec<String> {
    std::fs::read_dir(dir)
        .map(|entries| {
            entries
                .filter_map(Result::ok)
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .filter(|name| name.starts_with(".pipegen-live-"))
                .collect()
        })
        .unwrap_or_default()
}

#[test]
fn a_broker_restarted_on_its_data_mid_run_is_ridden_out() {
    let store = ObjectStore::start();
    let mut broker = Tansu::start_on(&store);
    let servers = broker.bootstrap_servers();
    let s = Scratch::new();
    let child = start_run(&s, &servers, "12s");
    std::thread::sleep(Duration::from_secs(3));
    broker.kill();
    std::thread::sleep(Duration::from_secs(2));
    broker.restart();
    let (code, stderr) = finish(child, Duration::from_secs(120));
    let result = check_accounted(&s);
    assert_eq!(code, Some(0), "{stderr}\n{:#}", result["errors"]);
    assert_eq!(result["status"], "succeeded", "{result:#}");
    assert_eq!(result["producer"]["failed"], 0, "the broker came back in time");
    assert!(
        result["jobs"][0]["records_in"].as_u64().unwrap() > 0,
        "the pipeline read from the broker"
    );
    assert!(
        !admin(&servers).topics().unwrap().iter().any(|t| t.starts_with("demo-")),
        "the run's topics are gone"
    );
}

#[test]
fn a_broker_restarted_without_its_data_fails_the_run_with_the_reason() {
    // Memory storage: the restarted broker has lost every topic, and the producer's metadata
    // requests make the source again. librdkafka used to crash here (SIGSEGV) on the leader
    // tags of the restarted broker's fetch responses.
    let mut broker = Tansu::start();
    let servers = broker.bootstrap_servers();
    let s = Scratch::new();
    let child = start_run(&s, &servers, "20s");
    std::thread::sleep(Duration::from_secs(4));
    broker.kill();
    std::thread::sleep(Duration::from_secs(3));
    broker.restart();
    let (code, stderr) = finish(child, Duration::from_secs(120));
    assert_eq!(code, Some(1), "a failed run, not a crash: {stderr}");
    let result = check_accounted(&s);
    assert_eq!(result["status"], "failed", "{result:#}");
    let error = result["error"].as_str().unwrap();
    assert!(
        error.contains("demo-") && (error.contains("deleted") || error.contains("went back")),
        "the report says the topics were lost: {error}"
    );
}

#[test]
fn a_topic_deleted_under_the_run_fails_it_with_the_reason() {
    let broker = Tansu::start();
    let servers = broker.bootstrap_servers();
    let s = Scratch::new();
    let child = start_run(&s, &servers, "20s");
    std::thread::sleep(Duration::from_secs(3));
    admin(&servers).delete_topics(&["demo-orders"]).unwrap();
    let deleted = Instant::now();
    let (code, stderr) = finish(child, Duration::from_secs(90));
    assert_eq!(code, Some(1), "a failed run, not a crash: {stderr}");
    assert!(deleted.elapsed() < Duration::from_secs(60), "{:?}", deleted.elapsed());
    let result = check_accounted(&s);
    assert_eq!(result["status"], "failed", "{result:#}");
    let error = result["error"].as_str().unwrap();
    assert!(error.contains("`demo-orders`"), "{error}");
    assert!(
        !admin(&servers).topics().unwrap().iter().any(|t| t.starts_with("demo-")),
        "the run's topics are gone, the one made again by its producer too"
    );
}

#[test]
fn a_broker_gone_for_good_fails_the_run_within_its_deadlines() {
    let mut broker = Tansu::start();
    let servers = broker.bootstrap_servers();
    let s = Scratch::new();
    let child = start_run(&s, &servers, "10s");
    std::thread::sleep(Duration::from_secs(3));
    broker.kill();
    let killed = Instant::now();
    let (code, stderr) = finish(child, Duration::from_secs(120));
    let ended = killed.elapsed();
    assert_eq!(code, Some(1), "{stderr}");
    // The cluster counts as lost after 3 x kafka.timeout (30 s) without an answer; then the
    // producer's last flush (2 s) and cleanup's requests (kafka.timeout each): well under the
    // 5 minute pipeline timeout.
    assert!(ended < Duration::from_secs(75), "ended {ended:?} after the broker died");
    let result = check_accounted(&s);
    assert_eq!(result["status"], "failed", "{result:#}");
    let error = result["error"].as_str().unwrap();
    assert!(
        error.contains(&format!("the Kafka cluster at {servers} has not answered"))
            && error.contains("messages sent were not delivered"),
        "the report says what happened: {error}"
    );
    assert!(result["producer"]["failed"].as_u64().unwrap() > 0);
}

#[test]
fn undelivered_records_fail_the_run_unless_the_loss_budget_allows_them() {
    // A broker down for 4 s while records may wait only 1.5 s for it: some expire
    // undelivered, and the cluster answers again well before the run ends.
    let store = ObjectStore::start();
    let mut broker = Tansu::start_on(&store);
    let servers = broker.bootstrap_servers();
    let s = Scratch::new();
    s.run(&["init", "demo"]).expect(0);
    s.edit(
        "demo/.pipegen.yaml",
        "kafka:\n  producer:\n",
        "kafka:\n  producer:\n    properties:\n      message.timeout.ms: \"1500\"\n",
    );
    for (budget, code, status) in [("0", 1, "failed"), ("100%", 0, "succeeded")] {
        let child = spawn_run(&s, &servers, "10s", "500", &[("PIPEGEN_RUN__LOSS_BUDGET", budget)]);
        std::thread::sleep(Duration::from_secs(2));
        broker.kill();
        std::thread::sleep(Duration::from_secs(4));
        broker.restart();
        let (exit, stderr) = finish(child, Duration::from_secs(120));
        let result = check_accounted(&s);
        let failed = result["producer"]["failed"].as_u64().unwrap();
        assert!(
            failed > 0,
            "records expired during the outage: {:#}",
            result["producer"]
        );
        assert_eq!(result["status"], status, "loss budget {budget}: {stderr}");
        assert_eq!(exit, Some(code), "{stderr}");
        if code == 1 {
            let error = result["error"].as_str().unwrap();
            assert!(
                error.contains(&format!("{failed} of ")) && error.contains("run.loss_budget: 0"),
                "{error}"
            );
        }
        // The next run starts a second later, so its report has a name of its own.
        std::thread::sleep(Duration::from_secs(1));
    }
}
