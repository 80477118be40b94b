//! Against a real Flink 2.1 cluster (with the Kafka SQL connector) and a real Kafka-protocol
//! broker (tansu), both on loopback: SQL is submitted through the REST API's /jars endpoints
//! (the project's SQL runner: no SQL Gateway can run here), then watched, failed and cancelled
//! through the REST API as a run does. One cluster serves every test of this file.

use std::path::Path;
use std::time::{Duration, Instant};

use pipegen_config::{ConsumerConfig, ProducerConfig, SecurityConfig};
use pipegen_flink::{FlinkRest, JobSample, cancel_jobs, sample_job};
use pipegen_kafka::{KafkaAdmin, TopicPlan, TopicReader, consumer_properties, producer_properties};
use pipegen_testkit::{Flink, Tansu};
use rdkafka::producer::{BaseProducer, BaseRecord, Producer};
use serde_json::{Value, json};

fn rest(flink: &Flink) -> FlinkRest {
    FlinkRest::new(&flink.url(), Duration::from_secs(10))
}

/// Starts the statements as one job through the SQL runner; returns the job id.
fn submit(rest: &FlinkRest, runner: &Path, statements: &[String]) -> String {
    let jar = rest.upload_jar(runner).expect("the SQL runner uploads");
    let job = rest.run_jar(&jar, statements).expect("the SQL runner starts a job");
    rest.delete_jar(&jar).expect("the uploaded jar is removed");
    job
}

/// Samples the job until `done` holds, at most `limit`.
fn sample_until(rest: &FlinkRest, job: &str, limit: Duration, done: impl Fn(&JobSample) -> bool) -> JobSample {
    let started = Instant::now();
    loop {
        let sample = sample_job(rest, job).expect("the job can be sampled");
        if done(&sample) {
            return sample;
        }
        assert!(started.elapsed() < limit, "after {limit:?}: {sample:#?}");
        std::thread::sleep(Duration::from_millis(500));
    }
}

/// What a datagen source emitted (it reads nothing, so its records in stay 0).
fn generated(sample: &JobSample) -> Option<u64> {
    sample.vertices.iter().find(|v| v.is_source)?.records_out
}

fn datagen_to_blackhole(name: &str) -> Vec<String> {
    vec![
        format!("CREATE TABLE {name}_in (n BIGINT) WITH ('connector' = 'datagen', 'rows-per-second' = '20')"),
        format!("CREATE TABLE {name}_out (n BIGINT) WITH ('connector' = 'blackhole')"),
        format!("INSERT INTO {name}_out SELECT n FROM {name}_in"),
    ]
}

#[test]
fn a_windowed_kafka_pipeline_runs_on_the_cluster_and_is_monitored() {
    let flink = Flink::shared();
    let rest = rest(flink);
    let broker = Tansu::start();
    let servers = broker.bootstrap_servers();
    let properties = consumer_properties(
        &servers,
        &ConsumerConfig::default(),
        &SecurityConfig::default(),
        "pipegen-test",
    );
    let admin = KafkaAdmin::new(&properties, Duration::from_secs(10)).unwrap();
    admin
        .create_topics(&["clicks", "counts"].map(|name| TopicPlan {
            name: name.into(),
            partitions: 1,
            replication_factor: 1,
            config: Default::default(),
        }))
        .unwrap();

    // 300 clicks of 3 users, 100 ms apart: 30 s of event time, three 10 s windows per user;
    // then one click a minute later whose watermark closes them.
    let base_ms: i64 = 1_700_000_000_000;
    let produced = 300;
    let producer: BaseProducer = producer_properties(&servers, &ProducerConfig::default(), &SecurityConfig::default())
        .to_client_config()
        .create()
        .unwrap();
    let send = |user: &str, ts: i64| {
        let value = json!({"user": user, "ts": ts}).to_string();
        producer
            .send(BaseRecord::<str, str>::to("clicks").key(user).payload(&value))
            .unwrap();
    };
    for i in 0..produced {
        send(&format!("u{}", i % 3), base_ms + i * 100);
    }
    send("late", base_ms + 60_000);
    producer.flush(Duration::from_secs(10)).unwrap();

    let kafka = format!("'connector' = 'kafka', 'properties.bootstrap.servers' = '{servers}', 'format' = 'json'");
    let statements = vec![
        "SET 'pipeline.auto-watermark-interval' = '100 ms'".to_owned(),
        "SET 'execution.checkpointing.interval' = '1 s'".to_owned(),
        format!(
            "CREATE TABLE clicks (`user` STRING, ts BIGINT, rt AS TO_TIMESTAMP_LTZ(ts, 3), WATERMARK FOR rt AS rt) \
             WITH ({kafka}, 'topic' = 'clicks', 'properties.group.id' = 'pipegen-flink-test', 'scan.startup.mode' = 'earliest-offset')"
        ),
        format!(
            "CREATE TABLE counts (window_start TIMESTAMP(3), window_end TIMESTAMP(3), `user` STRING, clicks BIGINT) \
             WITH ({kafka}, 'topic' = 'counts')"
        ),
        "INSERT INTO counts SELECT window_start, window_end, `user`, COUNT(*) \
         FROM TABLE(TUMBLE(TABLE clicks, DESCRIPTOR(rt), INTERVAL '10' SECOND)) \
         GROUP BY window_start, window_end, `user`"
            .to_owned(),
    ];
    let job = submit(&rest, flink.sql_runner_jar(), &statements);

    // 3 users x 3 windows; the late click's window stays open.
    let windows = 9;
    let sample = sample_until(&rest, &job, Duration::from_secs(90), |s| {
        s.records_in() == Some(produced as u64 + 1) && s.records_out() == Some(windows) && s.last_checkpoint.is_some()
    });
    assert_eq!(sample.state, pipegen_flink::JobState::Running);
    assert!(sample.uptime_ms.is_some_and(|u| u > 0), "{sample:?}");
    assert_eq!(sample.restarts, Some(0));
    assert!(sample.vertices.len() >= 2, "source and window vertices: {sample:#?}");
    let source = sample.vertices.iter().find(|v| v.is_source).unwrap();
    assert!(source.name.contains("clicks"), "{}", source.name);
    assert_eq!(
        source.records_in,
        Some(produced as u64 + 1),
        "what was produced, read once"
    );
    let window = sample
        .vertices
        .iter()
        .find(|v| v.name.contains("WindowAggregate") && !v.is_source);
    let window = window.expect("a window vertex");
    assert!(
        window.watermark_ms.is_some_and(|w| w >= base_ms + 30_000),
        "the window's watermark passed the last window: {window:?}"
    );
    // Flink does not time a source's busy time (NaN: not reported); every other vertex's it does.
    for v in sample.vertices.iter().filter(|v| !v.is_source) {
        let (busy, idle, pressured) = (
            v.busy_ms_per_second,
            v.idle_ms_per_second,
            v.backpressured_ms_per_second,
        );
        assert!(
            [busy, idle, pressured]
                .iter()
                .all(|m| m.is_some_and(|ms| (0.0..=1000.0).contains(&ms))),
            "busy/idle/backpressured in ms per second: {v:?}"
        );
    }
    let checkpoint = sample.last_checkpoint.clone().unwrap();
    assert!(checkpoint.id >= 1 && sample.checkpoints_completed >= 1, "{sample:?}");
    assert!(
        sample.vertices.iter().all(|v| v.state_bytes.is_none()),
        "read on demand only"
    );
    let mut sample = sample;
    sample.read_checkpoint_shares(&rest);
    let by_vertex: Vec<u64> = sample.vertices.iter().filter_map(|v| v.state_bytes).collect();
    assert_eq!(
        by_vertex.len(),
        sample.vertices.len(),
        "every vertex's share: {sample:#?}"
    );
    assert_eq!(
        by_vertex.iter().sum::<u64>(),
        checkpoint.state_size,
        "the vertices' shares add up to the checkpoint"
    );
    assert!(
        checkpoint.state_size > 0,
        "the source's offsets at least: {checkpoint:?}"
    );

    // A click for a window that has fired: the window operator drops it and says so (once
    // the source's local pre-aggregation hands it on, at the next checkpoint at the latest).
    assert_eq!(sample.late_records_dropped(), Some(0), "{sample:#?}");
    send("u0", base_ms + 5_000);
    producer.flush(Duration::from_secs(10)).unwrap();
    let sample = sample_until(&rest, &job, Duration::from_secs(60), |s| {
        s.records_in() == Some(produced as u64 + 2) && s.late_records_dropped() == Some(1)
    });
    assert_eq!(sample.records_out(), Some(windows), "no window fired again");

    // What the job wrote to Kafka: every click counted once, per user and window.
    let reader = TopicReader::new(&properties, "counts", 1).unwrap();
    let rows: Vec<Value> = reader
        .read(windows as usize, Duration::from_secs(10), Duration::from_secs(30))
        .iter()
        .map(|r| serde_json::from_slice(&r.value).unwrap())
        .collect();
    assert_eq!(rows.len(), windows as usize, "{rows:?}");
    let total: i64 = rows.iter().map(|r| r["clicks"].as_i64().unwrap()).sum();
    assert_eq!(total, produced);
    assert!(rows.iter().all(|r| r["clicks"] == 33 || r["clicks"] == 34), "{rows:?}");

    let cancelled = cancel_jobs(&rest, std::slice::from_ref(&job), Duration::from_secs(30));
    assert_eq!(cancelled[0].outcome, Ok(pipegen_flink::JobState::Canceled));
}

#[test]
fn cleanup_cancels_the_runs_jobs_and_no_other() {
    let flink = Flink::shared();
    let rest = rest(flink);
    let outside = submit(&rest, flink.sql_runner_jar(), &datagen_to_blackhole("outside"));
    let ours = submit(&rest, flink.sql_runner_jar(), &datagen_to_blackhole("ours"));
    for job in [&outside, &ours] {
        sample_until(&rest, job, Duration::from_secs(60), |s| {
            generated(s).is_some_and(|n| n > 0)
        });
    }

    let cancelled = cancel_jobs(&rest, std::slice::from_ref(&ours), Duration::from_secs(30));
    assert_eq!(cancelled.len(), 1);
    assert_eq!(cancelled[0].outcome, Ok(pipegen_flink::JobState::Canceled));
    // Still running, and still moving records, a few seconds later.
    let before = generated(&sample_job(&rest, &outside).unwrap()).unwrap();
    let after = sample_until(&rest, &outside, Duration::from_secs(30), |s| {
        generated(s).is_some_and(|n| n > before)
    });
    assert_eq!(after.state, pipegen_flink::JobState::Running);
    // Cancelling again is harmless: the job has ended.
    assert_eq!(
        cancel_jobs(&rest, std::slice::from_ref(&ours), Duration::from_secs(5))[0].outcome,
        Ok(pipegen_flink::JobState::Canceled)
    );

    cancel_jobs(&rest, &[outside], Duration::from_secs(30));
}

#[test]
fn a_failing_job_reports_flinks_root_exception() {
    let flink = Flink::shared();
    let rest = rest(flink);
    let statements = vec![
        "SET 'restart-strategy.type' = 'none'".to_owned(),
        "CREATE TABLE numbers (n INT) WITH ('connector' = 'datagen', 'rows-per-second' = '5')".to_owned(),
        "CREATE TABLE quotients (q INT) WITH ('connector' = 'blackhole')".to_owned(),
        "INSERT INTO quotients SELECT n / (n - n) FROM numbers".to_owned(),
    ];
    let job = submit(&rest, flink.sql_runner_jar(), &statements);
    let sample = sample_until(&rest, &job, Duration::from_secs(60), JobSample::failed);
    let exception = sample.root_exception.expect("Flink's root exception");
    assert!(exception.contains("ArithmeticException"), "{exception}");
}

#[test]
fn a_refused_jar_run_carries_flinks_reason() {
    let flink = Flink::shared();
    let rest = rest(flink);
    let jar = rest.upload_jar(flink.sql_runner_jar()).unwrap();
    let err = rest
        .run_jar(&jar, &["INSERT INTO nowhere SELECT 1".to_owned()])
        .unwrap_err();
    rest.delete_jar(&jar).unwrap();
    assert!(err.to_string().contains("nowhere"), "{err}");
    let err = rest.job("00000000000000000000000000000000").unwrap_err();
    assert!(
        matches!(err, pipegen_flink::RestError::Refused { status: 404, .. }),
        "{err}"
    );
}
