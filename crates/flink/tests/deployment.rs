//! A deployment from SQL files to running jobs and back, on a real Flink 2.1 cluster and a real
//! broker (tansu). The SQL Gateway cannot run here: testkit's stand-in speaks its documented
//! REST API and executes each INSERT on the real cluster (see `SqlGatewayBridge`).

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use pipegen_config::{ConsumerConfig, ProducerConfig, SecurityConfig};
use pipegen_flink::{
    Cluster, DeployError, Deployment, DeploymentError, FlinkRest, SqlFile, Substitutions, cancel_jobs, job_failure,
};
use pipegen_kafka::{KafkaAdmin, TopicPlan, TopicReader, consumer_properties, producer_properties};
use pipegen_testkit::{Flink, SqlGatewayBridge, Tansu};
use rdkafka::producer::{BaseProducer, BaseRecord, Producer};
use serde_json::{Value, json};

fn cluster(flink: &Flink, bridge: &SqlGatewayBridge) -> Cluster {
    Cluster {
        flink_url: flink.url(),
        gateway_url: bridge.url.clone(),
        timeout: Duration::from_secs(30),
    }
}

fn state(rest: &FlinkRest, job: &str) -> String {
    rest.job(job).unwrap().summary.state.to_string()
}

/// A job started outside any run: datagen into blackhole.
fn outside_job(flink: &Flink, rest: &FlinkRest) -> String {
    let jar = rest.upload_jar(flink.sql_runner_jar()).unwrap();
    let job = rest
        .run_jar(
            &jar,
            &[
                "CREATE TABLE o_in (n BIGINT) WITH ('connector' = 'datagen', 'rows-per-second' = '5')".to_owned(),
                "CREATE TABLE o_out (n BIGINT) WITH ('connector' = 'blackhole')".to_owned(),
                "INSERT INTO o_out SELECT n FROM o_in".to_owned(),
            ],
        )
        .unwrap();
    rest.delete_jar(&jar).unwrap();
    job
}

const TABLES: &str = "-- what the run produces and reads back
CREATE TABLE clicks (
  `user` STRING,
  ts BIGINT,
  rt AS TO_TIMESTAMP_LTZ(ts, 3),
  WATERMARK FOR rt AS rt
) WITH (
  'connector' = 'kafka',
  'topic' = 'clicks',
  'properties.bootstrap.servers' = '${BOOTSTRAP_SERVERS}',
  'properties.group.id' = 'pipegen-${RUN_ID}',
  'scan.startup.mode' = 'earliest-offset',
  'format' = 'json'
);

CREATE TABLE counts (window_start TIMESTAMP(3), `user` STRING, clicks BIGINT) WITH (
  'connector' = 'kafka',
  'topic' = 'counts',
  'properties.bootstrap.servers' = '${BOOTSTRAP_SERVERS}',
  'format' = 'json'
);
";

const WINDOW: &str = "SET 'pipeline.auto-watermark-interval' = '100 ms';

INSERT INTO counts
SELECT window_start, `user`, COUNT(*)
FROM TABLE(TUMBLE(TABLE clicks, DESCRIPTOR(rt), INTERVAL '10' SECOND))
GROUP BY window_start, window_end, `user`;
";

#[test]
fn sql_files_run_on_the_cluster_are_watched_and_only_their_jobs_cancelled() {
    let flink = Flink::shared();
    let rest = FlinkRest::new(&flink.url(), Duration::from_secs(10));
    let bridge = SqlGatewayBridge::start(flink);
    let broker = Tansu::start();
    let servers = broker.bootstrap_servers();
    let properties = consumer_properties(&servers, &ConsumerConfig::default(), &SecurityConfig::default(), "t");
    let admin = KafkaAdmin::new(&properties, Duration::from_secs(10)).unwrap();
    // The run's own topic names, as `kafka.topics.naming: per-run` gives them.
    let topics = BTreeMap::from([
        ("clicks".to_owned(), "clicks-run42".to_owned()),
        ("counts".to_owned(), "counts-run42".to_owned()),
    ]);
    admin
        .create_topics(
            &topics
                .values()
                .map(|name| TopicPlan {
                    name: name.clone(),
                    partitions: 1,
                    replication_factor: 1,
                    config: Default::default(),
                })
                .collect::<Vec<_>>(),
        )
        .unwrap();
    let producer: BaseProducer = producer_properties(&servers, &ProducerConfig::default(), &SecurityConfig::default())
        .to_client_config()
        .create()
        .unwrap();
    let base_ms: i64 = 1_700_000_000_000;
    for i in 0..120i64 {
        let value = json!({"user": format!("u{}", i % 2), "ts": base_ms + i * 250}).to_string();
        producer
            .send(BaseRecord::<str, str>::to("clicks-run42").payload(&value))
            .unwrap();
    }
    let late = json!({"user": "late", "ts": base_ms + 60_000}).to_string();
    producer
        .send(BaseRecord::<str, str>::to("clicks-run42").payload(&late))
        .unwrap();
    producer.flush(Duration::from_secs(10)).unwrap();

    let outside = outside_job(flink, &rest);
    let substitutions = Substitutions {
        placeholders: BTreeMap::from([
            ("BOOTSTRAP_SERVERS".to_owned(), servers.clone()),
            ("RUN_ID".to_owned(), "run42".to_owned()),
        ]),
        topics,
    };
    let files = [
        SqlFile {
            shown: "sql/01_tables.sql",
            text: TABLES,
        },
        SqlFile {
            shown: "sql/02_window.sql",
            text: WINDOW,
        },
    ];
    let properties = BTreeMap::from([("parallelism.default".to_owned(), "1".to_owned())]);
    let mut deployment = Deployment::start(
        &cluster(flink, &bridge),
        "pipegen-run42",
        &properties,
        &files,
        &substitutions,
    )
    .unwrap();
    assert_eq!(bridge.open_sessions(), 0, "the session is closed after deploying");
    let jobs = deployment.jobs().to_vec();
    assert_eq!(jobs.len(), 1);
    assert_eq!((jobs[0].file.as_str(), jobs[0].line), ("sql/02_window.sql", 3));

    // 120 clicks of 2 users over 30 s: 3 windows each, 20 clicks per window.
    let started = Instant::now();
    let sample = loop {
        let (job, sample) = deployment.sample().remove(0);
        let sample = sample.unwrap();
        assert_eq!(job_failure(&job, &sample), None);
        if sample.records_out() == Some(6) && sample.records_in() == Some(121) {
            break sample;
        }
        assert!(started.elapsed() < Duration::from_secs(90), "{sample:#?}");
        std::thread::sleep(Duration::from_secs(1));
    };
    assert_eq!(sample.state, pipegen_flink::JobState::Running);
    let reader = TopicReader::new(&properties_for(&servers), "counts-run42", 1).unwrap();
    let rows = reader.read(6, Duration::from_secs(10), Duration::from_secs(30));
    let counts: Vec<i64> = rows
        .iter()
        .map(|r| {
            serde_json::from_slice::<Value>(&r.value).unwrap()["clicks"]
                .as_i64()
                .unwrap()
        })
        .collect();
    assert_eq!(counts, [20; 6], "written to the run's own topic");

    let cancelled = deployment.cancel();
    assert_eq!(cancelled.len(), 1);
    assert_eq!(cancelled[0].outcome, Ok(pipegen_flink::JobState::Canceled));
    assert_eq!(state(&rest, &outside), "RUNNING", "a job outside the run keeps running");
    drop(deployment);
    assert_eq!(
        state(&rest, &outside),
        "RUNNING",
        "dropping after cleanup cancels nothing more"
    );
    cancel_jobs(&rest, &[outside], Duration::from_secs(30));
}

fn properties_for(servers: &str) -> pipegen_kafka::ClientProperties {
    consumer_properties(servers, &ConsumerConfig::default(), &SecurityConfig::default(), "t")
}

#[test]
fn a_failing_statement_names_its_line_and_cancels_what_the_run_started() {
    let flink = Flink::shared();
    let rest = FlinkRest::new(&flink.url(), Duration::from_secs(10));
    let bridge = SqlGatewayBridge::start(flink);
    let files = [SqlFile {
        shown: "sql/01_jobs.sql",
        text: "CREATE TABLE g (n BIGINT) WITH ('connector' = 'datagen', 'rows-per-second' = '5');
CREATE TABLE b (n BIGINT) WITH ('connector' = 'blackhole');
INSERT INTO b SELECT n FROM g;

INSERT INTO b
SELECT n FROM missing_table;
",
    }];
    let err = Deployment::start(
        &cluster(flink, &bridge),
        "pipegen-fail",
        &BTreeMap::new(),
        &files,
        &Substitutions::default(),
    )
    .err()
    .expect("the second INSERT fails");
    let DeploymentError::Deploy { error, cancelled } = &err else {
        panic!("{err}")
    };
    assert!(
        matches!(error, DeployError::Statement { file, line: 5, message, .. } if file == "sql/01_jobs.sql" && message.contains("missing_table")),
        "{error}"
    );
    assert!(
        err.to_string()
            .starts_with("sql/01_jobs.sql:5: Flink rejected `INSERT INTO b`"),
        "{err}"
    );
    assert_eq!(cancelled.len(), 1, "the first INSERT's job");
    assert_eq!(cancelled[0].outcome, Ok(pipegen_flink::JobState::Canceled));
    assert_eq!(state(&rest, &cancelled[0].job_id), "CANCELED");
}

#[test]
fn a_dropped_deployment_cancels_its_jobs() {
    let flink = Flink::shared();
    let rest = FlinkRest::new(&flink.url(), Duration::from_secs(10));
    let bridge = SqlGatewayBridge::start(flink);
    let files = [SqlFile {
        shown: "sql/01.sql",
        text: "CREATE TABLE g2 (n BIGINT) WITH ('connector' = 'datagen');\nCREATE TABLE b2 (n BIGINT) WITH ('connector' = 'blackhole');\nINSERT INTO b2 SELECT n FROM g2;\n",
    }];
    let job = {
        let deployment = Deployment::start(
            &cluster(flink, &bridge),
            "pipegen-drop",
            &BTreeMap::new(),
            &files,
            &Substitutions::default(),
        )
        .unwrap();
        deployment.jobs()[0].job_id.clone()
        // An early return or a panic drops the deployment here.
    };
    assert_eq!(state(&rest, &job), "CANCELED");
}
