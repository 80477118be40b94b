//! `pipegen run --engine flink` on a real Flink 2.1 cluster and a real broker (tansu): the SQL
//! goes through the SQL Gateway's REST API (testkit's stand-in, which executes on the cluster:
//! no real gateway can run here), the load through librdkafka, the job is watched through
//! Flink's REST API, and cleanup cancels the run's job and no other.

mod common;
mod flink_common;

use std::time::Duration;

use common::Scratch;
use flink_common::{jobs_named, on_clusters, outside_job, project};
use pipegen_config::{ProducerConfig, SecurityConfig};
use pipegen_flink::{FlinkRest, cancel_jobs};
use pipegen_kafka::{KafkaAdmin, producer_properties};
use pipegen_testkit::{Flink, SqlGatewayBridge, Tansu};
use serde_json::Value;

/// Scrapes `/metrics` on `port` every half second from when it opens until it closes.
fn scrape_while_served(port: u16) -> std::thread::JoinHandle<Vec<String>> {
    std::thread::spawn(move || {
        let started = std::time::Instant::now();
        let mut scrapes = Vec::new();
        loop {
            match std::net::TcpStream::connect(("127.0.0.1", port)) {
                Ok(mut stream) => {
                    use std::io::{Read, Write};
                    let _ = write!(stream, "GET /metrics HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n");
                    let mut response = String::new();
                    let _ = stream.read_to_string(&mut response);
                    scrapes.push(response);
                }
                Err(_) if !scrapes.is_empty() || started.elapsed() > Duration::from_secs(180) => return scrapes,
                Err(_) => {}
            }
            std::thread::sleep(Duration::from_millis(500));
        }
    })
}

#[test]
fn the_default_project_runs_on_flink_with_the_job_table_from_flink() {
    let flink = Flink::shared();
    let rest = FlinkRest::new(&flink.url(), Duration::from_secs(10));
    let gateway = SqlGatewayBridge::start(flink);
    let broker = Tansu::start();
    let servers = broker.bootstrap_servers();
    let outside = outside_job(flink, &rest);
    let seen_by_flink = servers.replace("127.0.0.1", "localhost");

    let s = Scratch::new();
    project(&s);
    let metrics_port = pipegen_testkit::free_port();
    let scrapes = scrape_while_served(metrics_port);
    let url = flink.url();
    s.run_with_env(
        &on_clusters(
            &servers,
            &url,
            &gateway.url,
            &[
                "run",
                "--engine",
                "flink",
                "--duration",
                "6s",
                "--message-rate",
                "200",
                "--seed",
                "5",
                "-q",
            ],
        ),
        &[
            ("PIPEGEN_KAFKA__TOPICS__NAMING", "per-run"),
            // The brokers under another name, as a cluster on another network would reach them.
            ("PIPEGEN_FLINK__BOOTSTRAP_SERVERS", &seen_by_flink),
            ("PIPEGEN_MONITORING__PROMETHEUS_PORT", &metrics_port.to_string()),
        ],
    )
    .expect(0);
    let result = s.newest_result("demo");
    assert_eq!(result["status"], "succeeded", "{result:#}");
    assert_eq!(result["backends"]["engine"], "flink");
    let statements = gateway.statements();
    let tables: Vec<&String> = statements.iter().filter(|s| s.contains("CREATE TABLE")).collect();
    assert_eq!(tables.len(), 2, "{statements:?}");
    assert!(
        tables
            .iter()
            .all(|t| t.contains(&format!("'{seen_by_flink}'")) && !t.contains(&servers) && !t.contains("${")),
        "the cluster's address in the DDL: {tables:?}"
    );
    assert_eq!(result["producer"]["acked"], 1200);

    let jobs = result["jobs"].as_array().unwrap();
    assert_eq!(jobs.len(), 1, "{jobs:?}");
    let job = &jobs[0];
    let id = job["id"].as_str().unwrap();
    assert_eq!(id.len(), 32, "Flink's job id: {job}");
    assert_eq!(job["status"], "CANCELED", "cancelled at the end of the run: {job}");
    assert!(job["name"].as_str().unwrap().contains("order_stats"), "{job}");
    assert_eq!(
        job["records_in"], 1200,
        "the Flink source read every record produced: {job}"
    );
    let consumed = result["consumer"]["consumed"].as_u64().unwrap();
    assert!(
        consumed >= 5,
        "windows fired on Flink and their rows came back: {consumed}"
    );
    assert_eq!(job["records_out"].as_u64().unwrap(), consumed, "{job}");
    assert!(job["watermark_ms"].is_i64(), "{job}");
    assert_eq!(job["late_records_dropped"], 0, "the window operator's count: {job}");
    assert!(job["open_windows"].is_null(), "unmeasured is null: {job}");
    assert_eq!(job["restarts"], 0, "{job}");
    assert!(job["uptime_ms"].as_u64().is_some_and(|u| u > 0), "{job}");
    assert!(job["checkpoints"]["completed"].is_u64(), "{job}");

    // One operator row per vertex Flink runs: the source read every record, the window's
    // vertex wrote what came back, each ran at the session's parallelism.
    let operators = job["operators"].as_array().unwrap();
    assert!(operators.len() >= 2, "{operators:#?}");
    assert!(operators.iter().all(|o| o["parallelism"] == 1), "{operators:#?}");
    let source = operators
        .iter()
        .find(|o| o["name"].as_str().unwrap().starts_with("Source:"))
        .unwrap();
    assert_eq!(source["records_in"], 1200, "{source}");
    let window = operators
        .iter()
        .find(|o| o["name"].as_str().unwrap().contains("GlobalWindowAggregate"))
        .unwrap();
    assert_eq!(window["late_records_dropped"], 0, "{window}");
    assert_eq!(
        window["state_bytes"].is_u64(),
        job["checkpoints"]["last_duration_ms"].is_u64(),
        "a vertex's share of the last checkpoint, when there is one: {job}"
    );
    assert!(
        window["busy"].as_f64().is_some_and(|b| (0.0..=1.0).contains(&b))
            && window["backpressure"]
                .as_f64()
                .is_some_and(|b| (0.0..=1.0).contains(&b)),
        "Flink's busy and back-pressured time, as shares: {window}"
    );

    // The live frames follow the job second by second, from the same samples.
    let frames = result["frames"].as_array().unwrap();
    let live: Vec<&Value> = frames
        .iter()
        .filter_map(|f| f["jobs"].as_array().and_then(|j| j.first()))
        .collect();
    assert_eq!(live.len(), frames.len(), "the job is in every frame");
    assert!(live.iter().all(|j| j["name"] == job["name"]), "{live:#?}");
    let read: u64 = live.iter().filter_map(|j| j["records_in"].as_u64()).sum();
    let last_total = live.iter().rev().find_map(|j| j["records_in_total"].as_u64());
    assert_eq!(Some(read), last_total, "per-second counts add up to the total");
    assert!(read > 0 && read <= 1200, "{read}");
    assert!(
        live.iter().any(|j| j["busy"].is_f64() && j["backpressure"].is_f64()),
        "busy and backpressure in the frames: {live:#?}"
    );
    assert!(live.iter().all(|j| j["restarts"] == 0 || j["restarts"].is_null()));

    // Prometheus saw the Flink job under its name, with what only Flink measures.
    let scrapes = scrapes.join().unwrap();
    let labelled = format!("{{job_name=\"{}\"}}", job["name"].as_str().unwrap());
    let last = scrapes.iter().rev().find(|s| s.contains("pipegen_job_busy_ratio"));
    let last = last.unwrap_or_else(|| panic!("no scrape with the job's busy time: {scrapes:#?}"));
    for series in [
        "pipegen_job_records_in_total",
        "pipegen_job_busy_ratio",
        "pipegen_job_backpressure_ratio",
        "pipegen_job_restarts_total",
    ] {
        assert!(last.contains(&format!("{series}{labelled}")), "{series}: {last}");
    }

    assert_eq!(rest.job(id).unwrap().summary.state, "CANCELED");
    assert_eq!(
        rest.job(&outside).unwrap().summary.state,
        "RUNNING",
        "a job outside the run keeps running"
    );
    assert_eq!(gateway.open_sessions(), 0, "the run's session is closed");
    let admin = KafkaAdmin::new(
        &producer_properties(&servers, &ProducerConfig::default(), &SecurityConfig::default()),
        Duration::from_secs(10),
    )
    .unwrap();
    assert!(admin.topics().unwrap().is_empty(), "the run's topics are deleted");

    let html = std::fs::read_dir(s.path().join("demo/reports"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.extension().is_some_and(|e| e == "html"))
        .unwrap();
    let html = std::fs::read_to_string(html).unwrap();
    assert!(html.contains(id), "the report's job table");
    assert!(
        html.contains("GlobalWindowAggregate") && html.contains(r#"data-json="/jobs/0/operators/0/busy""#),
        "the report's operator table"
    );
    cancel_jobs(&rest, &[outside], Duration::from_secs(30));
}

#[test]
fn a_statement_flink_rejects_is_named_at_its_line_and_nothing_keeps_running() {
    let flink = Flink::shared();
    let rest = FlinkRest::new(&flink.url(), Duration::from_secs(10));
    let gateway = SqlGatewayBridge::start(flink);
    let broker = Tansu::start();
    let s = Scratch::new();
    project(&s);
    // A sink of its own name: the cluster is shared with the other tests.
    s.edit("demo/sql/02_sink.sql", "`order_stats`", "`stats_refused`");
    s.edit("demo/sql/03_pipeline.sql", "`order_stats`", "`stats_refused`");
    s.write(
        "demo/sql/04_more.sql",
        "-- a second job, then one Flink cannot plan\nINSERT INTO `stats_refused`\nSELECT window_start, window_end, category, COUNT(*), SUM(quantity), SUM(amount)\nFROM TABLE(TUMBLE(TABLE `orders`, DESCRIPTOR(event_time), INTERVAL '1' SECOND))\nGROUP BY window_start, window_end, category;\n\nINSERT INTO `stats_refused`\nSELECT window_start, window_end, category, COUNT(*), SUM(quantity), SUM(category)\nFROM TABLE(TUMBLE(TABLE `orders`, DESCRIPTOR(event_time), INTERVAL '1' SECOND))\nGROUP BY window_start, window_end, category;\n",
    );
    let (servers, url) = (broker.bootstrap_servers(), flink.url());
    let out = s
        .run(&on_clusters(
            &servers,
            &url,
            &gateway.url,
            &["run", "--engine", "flink", "--duration", "3s"],
        ))
        .expect(2);
    assert!(
        out.stderr.contains("error: demo/sql/04_more.sql:7") && out.stderr.contains("Cannot apply 'SUM'"),
        "{}",
        out.stderr
    );
    // The jobs the earlier statements started were cancelled.
    let started = jobs_named(&rest, "stats_refused");
    assert_eq!(
        started.len(),
        2,
        "03_pipeline.sql's and 04_more.sql's first: {started:?}"
    );
    assert!(started.iter().all(|j| j.state == "CANCELED"), "{started:?}");
}

#[test]
fn flink_needs_its_address_and_a_kafka_cluster() {
    let s = Scratch::new();
    project(&s);
    let out = s
        .run(&["--project-dir", "demo", "run", "--engine", "flink", "--duration", "1s"])
        .expect(2);
    assert!(
        out.stderr.contains("--flink-url") && out.stderr.contains("bootstrap_servers"),
        "{}",
        out.stderr
    );
    // A watermark interval that would stop every window on Flink.
    let out = s
        .run_with_env(
            &["--project-dir", "demo", "run", "--engine", "flink", "--duration", "1s"],
            &[("PIPEGEN_FLINK__WATERMARK_INTERVAL", "0ms")],
        )
        .expect(2);
    assert!(
        out.stderr.contains("flink.watermark_interval is 0") && out.stderr.contains("100ms or more"),
        "{}",
        out.stderr
    );

    // A cluster that does not answer fails the run, named, before any load is produced.
    let dead = format!("http://127.0.0.1:{}", pipegen_testkit::free_port());
    let broker = Tansu::start();
    let out = s
        .run(&[
            "--project-dir",
            "demo",
            "--flink-url",
            &dead,
            "--bootstrap-servers",
            &broker.bootstrap_servers(),
            "run",
            "--engine",
            "flink",
            "--duration",
            "1s",
        ])
        .expect(1);
    assert!(
        out.stderr.contains(&format!("Flink at {dead} is not reachable")),
        "{}",
        out.stderr
    );

    // The plan names both addresses, the gateway's derived from the JobManager's.
    let out = s
        .run(&[
            "--project-dir",
            "demo",
            "--flink-url",
            "http://flink.example:8081",
            "run",
            "--engine",
            "flink",
            "--dry-run",
        ])
        .expect(0);
    assert!(
        out.stdout.contains(
            "engine:          flink (REST API http://flink.example:8081, SQL Gateway http://flink.example:8083)"
        ),
        "{}",
        out.stdout
    );
}

/// The run's arguments against this cluster, broker and gateway.
fn flink_run_args<'a>(servers: &'a str, flink: &'a str, gateway: &'a str, duration: &'a str) -> Vec<&'a str> {
    on_clusters(
        servers,
        flink,
        gateway,
        &[
            "run",
            "--engine",
            "flink",
            "--duration",
            duration,
            "--message-rate",
            "50",
        ],
    )
}

#[test]
fn a_job_failing_on_the_cluster_fails_the_run_with_flinks_root_exception() {
    let flink = Flink::shared();
    let gateway = SqlGatewayBridge::start(flink);
    let broker = Tansu::start();
    let s = Scratch::new();
    project(&s);
    s.edit("demo/sql/02_sink.sql", "`order_stats`", "`stats_failing`");
    s.write(
        "demo/sql/03_pipeline.sql",
        "SET 'restart-strategy.type' = 'none';\n\nINSERT INTO `stats_failing`\nSELECT window_start, window_end, category, COUNT(*), SUM(quantity / (quantity - quantity)), SUM(amount)\nFROM TABLE(TUMBLE(TABLE `orders`, DESCRIPTOR(event_time), INTERVAL '1' SECOND))\nGROUP BY window_start, window_end, category;\n",
    );
    let (servers, url) = (broker.bootstrap_servers(), flink.url());
    let out = s.run(&flink_run_args(&servers, &url, &gateway.url, "20s")).expect(1);
    let result = s.newest_result("demo");
    assert_eq!(result["status"], "failed", "{}", out.all());
    let error = result["error"].as_str().unwrap();
    assert!(
        error.contains("sql/03_pipeline.sql:3") && error.contains("ArithmeticException"),
        "{error}"
    );
    assert_eq!(result["jobs"][0]["status"], "FAILED", "{}", result["jobs"]);
}

#[test]
fn ctrl_c_cancels_the_runs_job() {
    let flink = Flink::shared();
    let rest = FlinkRest::new(&flink.url(), Duration::from_secs(10));
    let gateway = SqlGatewayBridge::start(flink);
    let broker = Tansu::start();
    let s = Scratch::new();
    project(&s);
    s.edit("demo/sql/02_sink.sql", "`order_stats`", "`stats_interrupted`");
    s.edit("demo/sql/03_pipeline.sql", "`order_stats`", "`stats_interrupted`");
    let (servers, url) = (broker.bootstrap_servers(), flink.url());
    let mut child = s.spawn(&flink_run_args(&servers, &url, &gateway.url, "5m"));
    let started = std::time::Instant::now();
    let job = loop {
        let running = rest
            .jobs()
            .unwrap()
            .into_iter()
            .find(|j| j.name.ends_with("stats_interrupted") && j.state == "RUNNING");
        if let Some(job) = running {
            break job.id;
        }
        assert!(started.elapsed() < Duration::from_secs(60), "the run's job never ran");
        std::thread::sleep(Duration::from_millis(500));
    };
    std::thread::sleep(Duration::from_secs(2));
    let signalled = std::process::Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(signalled.success());
    let status = child.wait().unwrap();
    assert_eq!(status.code(), Some(130), "an interrupted run: 128 + SIGINT");
    let result = s.newest_result("demo");
    assert_eq!(result["status"], "interrupted");
    assert_eq!(result["jobs"][0]["id"], job.as_str());
    assert_eq!(rest.job(&job).unwrap().summary.state, "CANCELED");
}

/// `bench --find-max` on Flink: each step a run of its own job, the engine's backlog judged
/// from what the job read (Flink commits no offsets without checkpoints), and the vertices'
/// busy and back-pressured shares kept per step from Flink's REST API.
#[test]
fn find_max_steps_run_on_flink_and_keep_each_vertexs_load() {
    let flink = Flink::shared();
    let gateway = SqlGatewayBridge::start(flink);
    let broker = Tansu::start();
    let servers = broker.bootstrap_servers();
    let s = Scratch::new();
    project(&s);
    s.write(
        "find-max.yaml",
        "benchmark:\n  find_max:\n    start_rate: 100\n    max_rate: 200\n    step_duration: 10s\n    warmup: 4s\n    precision: 50%\n",
    );
    let url = flink.url();
    let mut args = vec!["--config", "find-max.yaml"];
    args.extend(on_clusters(&servers, &url, &gateway.url, &["bench", "--find-max"]));
    let out = s
        .run_with_env(
            &args,
            &[
                ("PIPEGEN_KAFKA__TOPICS__NAMING", "per-run"),
                ("PIPEGEN_ENGINE", "flink"),
            ],
        )
        .expect(0);
    let path = out
        .stdout
        .lines()
        .find_map(|l| l.strip_prefix("result: "))
        .map(|p| s.path().join(p.trim()))
        .unwrap_or_else(|| panic!("{}", out.stdout));
    let result: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    assert_eq!(result["engine"], "flink", "{result:#}");
    // How much this machine's Flink takes varies with what else runs: 200 msg/s may hold
    // (the search reaches its maximum) or break (it bisects, to 150), and with the other
    // tests loading the machine even 100 msg/s may break (it ramps down).
    let steps = result["steps"].as_array().unwrap();
    match result["status"].as_str().unwrap() {
        "reached_max_rate" => assert_eq!(result["max_sustained_rate"], 200.0),
        "found" => {
            let rate = |key: &str| result[key].as_f64().unwrap_or_else(|| panic!("{key}: {result:#}"));
            assert!(rate("max_sustained_rate") < rate("lowest_broken_rate"), "{result:#}");
            assert!(result["broke_on"].is_string(), "{result:#}");
            // The strained vertices are those of the lowest broken step, at least half busy
            // or back-pressured.
            let broken = steps
                .iter()
                .filter(|s| s["held"] == false)
                .min_by(|a, b| a["rate"].as_f64().unwrap().total_cmp(&b["rate"].as_f64().unwrap()))
                .unwrap();
            let strained: Vec<&Value> = broken["vertices"]
                .as_array()
                .unwrap()
                .iter()
                .filter(|v| v["busy"].as_f64().unwrap() >= 0.5 || v["backpressure"].as_f64().unwrap_or(0.0) >= 0.5)
                .collect();
            assert_eq!(
                result["strained_vertices"].as_array().unwrap().len(),
                strained.len(),
                "{result:#}"
            );
        }
        other => panic!("{other}: {result:#}"),
    }
    assert!(steps.len() >= 2, "{result:#}");
    for step in steps {
        let topics = step["topics"].as_array().unwrap();
        assert!(
            topics
                .iter()
                .any(|t| t["topic"] == "(engine intake)" && t["growth_per_s"].is_number()),
            "the engine's backlog measured from the job's intake: {step:#}"
        );
        assert!(
            topics
                .iter()
                .all(|t| t["role"] != "source" || t["topic"] == "(engine intake)"),
            "no consumer group's lag judged on Flink: {step:#}"
        );
        let vertices = step["vertices"].as_array().unwrap();
        assert!(!vertices.is_empty(), "{step:#}");
        assert!(
            vertices
                .iter()
                .all(|v| v["busy"].as_f64().is_some_and(|b| (0.0..=1.0).contains(&b)))
        );
    }
}
