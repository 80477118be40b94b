//! A deployment from SQL files to running jobs and back, on a real Flink 2.1 cluster and a real
//! broker (tansu). The SQL Gateway cannot run here, so a double speaks its documented REST API
//! (sessions, statements, operation status, results, errors) and executes on the real cluster:
//! a session's SET and CREATE statements are kept, and each INSERT is run with them through the
//! project's SQL runner (`/jars/upload`, `/jars/{id}/run`), answering with the real job id or
//! Flink's real error.

use std::collections::{BTreeMap, HashMap};
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::Router;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get, post};
use pipegen_config::{ConsumerConfig, ProducerConfig, SecurityConfig};
use pipegen_flink::{
    Cluster, DeployError, Deployment, DeploymentError, FlinkRest, SqlFile, Substitutions, cancel_jobs, job_failure,
};
use pipegen_kafka::{KafkaAdmin, TopicPlan, TopicReader, consumer_properties, producer_properties};
use pipegen_testkit::{Flink, Tansu};
use rdkafka::producer::{BaseProducer, BaseRecord, Producer};
use serde_json::{Value, json};

/// One operation's outcome: a job id, `OK`, or Flink's error text.
type Outcome = Result<Option<String>, String>;

struct Bridge {
    rest: Arc<FlinkRest>,
    runner: PathBuf,
    /// Per session: the statements every later INSERT runs after.
    sessions: HashMap<String, Vec<String>>,
    operations: HashMap<String, Outcome>,
    next: u32,
}

type Shared = Arc<Mutex<Bridge>>;

fn reply(status: StatusCode, body: Value) -> Response {
    (status, [("content-type", "application/json")], body.to_string()).into_response()
}

fn flink_error(text: &str) -> Response {
    reply(
        StatusCode::INTERNAL_SERVER_ERROR,
        json!({"errors": ["Internal server error.", format!("<Exception on server side:\norg.apache.flink.table.gateway.service.utils.SqlExecutionException: Failed to execute the operation.\nCaused by: {text}\n>")]}),
    )
}

async fn open_session(State(b): State<Shared>) -> Response {
    let mut b = b.lock().unwrap();
    b.next += 1;
    let handle = format!("session-{}", b.next);
    b.sessions.insert(handle.clone(), Vec::new());
    reply(StatusCode::OK, json!({"sessionHandle": handle}))
}

async fn close_session(State(b): State<Shared>, Path((_v, s)): Path<(String, String)>) -> Response {
    match b.lock().unwrap().sessions.remove(&s) {
        Some(_) => reply(StatusCode::OK, json!({"status": "CLOSED"})),
        None => flink_error(&format!("Session '{s}' does not exist.")),
    }
}

async fn submit(State(b): State<Shared>, Path((_v, s)): Path<(String, String)>, body: String) -> Response {
    let statement = serde_json::from_str::<Value>(&body).unwrap()["statement"]
        .as_str()
        .unwrap()
        .to_owned();
    let upper = statement.trim_start().to_ascii_uppercase();
    let (rest, runner, mut program) = {
        let b = b.lock().unwrap();
        let Some(before) = b.sessions.get(&s) else {
            return flink_error(&format!("Session '{s}' does not exist."));
        };
        (b.rest.clone(), b.runner.clone(), before.clone())
    };
    let outcome = if upper.starts_with("INSERT") || upper.starts_with("EXECUTE STATEMENT SET") {
        program.push(statement);
        tokio::task::spawn_blocking(move || {
            let jar = rest.upload_jar(&runner).map_err(|e| e.to_string())?;
            let job = rest.run_jar(&jar, &program);
            let _ = rest.delete_jar(&jar);
            match job {
                Ok(id) => Ok(Some(id)),
                Err(pipegen_flink::RestError::Refused { message, .. }) => Err(message),
                Err(e) => Err(e.to_string()),
            }
        })
        .await
        .unwrap()
    } else {
        if let Some(kept) = b.lock().unwrap().sessions.get_mut(&s) {
            kept.push(statement);
        }
        Ok(None)
    };
    let mut b = b.lock().unwrap();
    b.next += 1;
    let handle = format!("op-{}", b.next);
    b.operations.insert(handle.clone(), outcome);
    reply(StatusCode::OK, json!({"operationHandle": handle}))
}

async fn status(State(b): State<Shared>, Path((_v, _s, o)): Path<(String, String, String)>) -> Response {
    match b.lock().unwrap().operations.get(&o) {
        Some(Ok(_)) => reply(StatusCode::OK, json!({"status": "FINISHED"})),
        Some(Err(_)) => reply(StatusCode::OK, json!({"status": "ERROR"})),
        None => reply(StatusCode::NOT_FOUND, json!({"errors": ["no such operation"]})),
    }
}

async fn result(State(b): State<Shared>, Path((_v, _s, o, _t)): Path<(String, String, String, u32)>) -> Response {
    match b.lock().unwrap().operations.get(&o) {
        Some(Ok(Some(job))) => reply(
            StatusCode::OK,
            json!({"resultType": "EOS", "jobID": job, "results": {"columns": [{"name": "job id"}], "data": [{"kind": "INSERT", "fields": [job]}]}}),
        ),
        Some(Ok(None)) => reply(
            StatusCode::OK,
            json!({"resultType": "EOS", "results": {"columns": [{"name": "result"}], "data": [{"kind": "INSERT", "fields": ["OK"]}]}}),
        ),
        Some(Err(text)) => flink_error(text),
        None => reply(StatusCode::NOT_FOUND, json!({"errors": ["no such operation"]})),
    }
}

async fn close_operation(State(b): State<Shared>, Path((_v, _s, o)): Path<(String, String, String)>) -> Response {
    b.lock().unwrap().operations.remove(&o);
    reply(StatusCode::OK, json!({"status": "CLOSED"}))
}

struct Running {
    url: String,
    state: Shared,
    _runtime: tokio::runtime::Runtime,
}

fn start_bridge(flink: &Flink) -> Running {
    let state: Shared = Arc::new(Mutex::new(Bridge {
        rest: Arc::new(FlinkRest::new(&flink.url(), Duration::from_secs(30))),
        runner: flink.sql_runner_jar().to_owned(),
        sessions: HashMap::new(),
        operations: HashMap::new(),
        next: 0,
    }));
    let app = Router::new()
        .route(
            "/api_versions",
            get(|| async { reply(StatusCode::OK, json!({"versions": ["V1", "V2"]})) }),
        )
        .route(
            "/{v}/info",
            get(|| async {
                reply(
                    StatusCode::OK,
                    json!({"productName": "Apache Flink", "version": "2.1.0"}),
                )
            }),
        )
        .route("/{v}/sessions", post(open_session))
        .route("/{v}/sessions/{s}", delete(close_session))
        .route("/{v}/sessions/{s}/statements", post(submit))
        .route("/{v}/sessions/{s}/operations/{o}/status", get(status))
        .route("/{v}/sessions/{s}/operations/{o}/result/{t}", get(result))
        .route("/{v}/sessions/{s}/operations/{o}/close", delete(close_operation))
        .with_state(state.clone());
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let listener = runtime.block_on(tokio::net::TcpListener::bind("127.0.0.1:0")).unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    runtime.spawn(async move { axum::serve(listener, app).await });
    Running {
        url,
        state,
        _runtime: runtime,
    }
}

fn cluster(flink: &Flink, bridge: &Running) -> Cluster {
    Cluster {
        flink_url: flink.url(),
        gateway_url: bridge.url.clone(),
        timeout: Duration::from_secs(30),
    }
}

fn state(rest: &FlinkRest, job: &str) -> String {
    rest.job(job).unwrap().summary.state
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
    let bridge = start_bridge(flink);
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
    assert!(
        bridge.state.lock().unwrap().sessions.is_empty(),
        "the session is closed after deploying"
    );
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
    assert_eq!(sample.state, "RUNNING");
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
    assert_eq!(cancelled[0].outcome, Ok("CANCELED".to_owned()));
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
    let bridge = start_bridge(flink);
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
    assert_eq!(cancelled[0].outcome, Ok("CANCELED".to_owned()));
    assert_eq!(state(&rest, &cancelled[0].job_id), "CANCELED");
}

#[test]
fn a_dropped_deployment_cancels_its_jobs() {
    let flink = Flink::shared();
    let rest = FlinkRest::new(&flink.url(), Duration::from_secs(10));
    let bridge = start_bridge(flink);
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
