//! `pipegen deploy` and `pipegen clean` on a real Flink 2.1 cluster and a real broker (tansu),
//! the SQL through the SQL Gateway's stand-in: the pipeline stays on the clusters after pipegen
//! exits, and `clean` takes off exactly what the deployment made.

mod common;
mod flink_common;

use std::time::Duration;

use common::Scratch;
use flink_common::{jobs_named, on_clusters, outside_job, project};
use pipegen_config::{ProducerConfig, SecurityConfig};
use pipegen_flink::{FlinkRest, cancel_jobs};
use pipegen_kafka::{KafkaAdmin, TopicPlan, producer_properties};
use pipegen_testkit::{Flink, SqlGatewayBridge, Tansu};
use serde_json::Value;

fn admin(servers: &str) -> KafkaAdmin {
    KafkaAdmin::new(
        &producer_properties(servers, &ProducerConfig::default(), &SecurityConfig::default()),
        Duration::from_secs(10),
    )
    .unwrap()
}

fn args<'a>(servers: &'a str, flink: &'a str, gateway: &'a str, command: &'a str) -> Vec<&'a str> {
    on_clusters(servers, flink, gateway, &[command])
}

fn state(rest: &FlinkRest, job: &str) -> String {
    rest.job(job).unwrap().summary.state.to_string()
}

#[test]
fn deploy_leaves_the_pipeline_running_and_clean_takes_exactly_it_off() {
    let flink = Flink::shared();
    let rest = FlinkRest::new(&flink.url(), Duration::from_secs(10));
    let gateway = SqlGatewayBridge::start(flink);
    let broker = Tansu::start();
    let servers = broker.bootstrap_servers();
    let admin = admin(&servers);
    // A topic that was there before: the deployment uses it and never deletes it.
    admin
        .create_topics(&[TopicPlan {
            name: "demo-orders".into(),
            partitions: 1,
            replication_factor: 1,
            config: Default::default(),
        }])
        .unwrap();
    let outside = outside_job(flink, &rest);
    let s = Scratch::new();
    project(&s);
    s.edit("demo/sql/02_sink.sql", "`order_stats`", "`stats_deployed`");
    s.edit("demo/sql/03_pipeline.sql", "`order_stats`", "`stats_deployed`");
    let (url, gateway_url) = (flink.url(), gateway.url.clone());

    // First what it would do, touching nothing.
    let out = s
        .run(&[&args(&servers, &url, &gateway_url, "deploy")[..], &["--dry-run"]].concat())
        .expect(0);
    for line in [
        "create topic demo-order-stats",
        "use the existing topic demo-orders (never deleted)",
        "start a job for demo/sql/03_pipeline.sql:3  INSERT INTO `stats_deployed`",
        "parallelism.default = 1",
        "Nothing was created or started.",
    ] {
        assert!(out.stdout.contains(line), "{line:?} not in\n{}", out.stdout);
    }
    assert_eq!(admin.topics().unwrap(), ["demo-orders"]);
    assert!(!s.path().join("demo/.pipegen").exists());

    let out = s.run(&args(&servers, &url, &gateway_url, "deploy")).expect(0);
    let record: Value = serde_json::from_str(&s.read("demo/.pipegen/deployment.json")).unwrap();
    let jobs = record["jobs"].as_array().unwrap();
    assert_eq!(jobs.len(), 1, "{record:#}");
    let job = jobs[0]["job_id"].as_str().unwrap().to_owned();
    assert_eq!(jobs[0]["file"], "sql/03_pipeline.sql");
    assert_eq!(jobs[0]["line"], 3, "the INSERT's line, after the file's comments");
    assert_eq!(jobs[0]["statement"], "INSERT INTO `stats_deployed`");
    assert!(out.stdout.contains(&job), "{}", out.stdout);
    assert_eq!(record["topics_created"], serde_json::json!(["demo-order-stats"]));
    assert_eq!(record["topics_existing"], serde_json::json!(["demo-orders"]));
    // pipegen has exited; the job keeps running.
    std::thread::sleep(Duration::from_secs(2));
    assert_eq!(state(&rest, &job), "RUNNING");
    let topics = admin.topics().unwrap();
    assert!(topics.contains(&"demo-order-stats".to_owned()), "{topics:?}");
    assert_eq!(gateway.open_sessions(), 0, "the session is closed");

    let out = s.run(&args(&servers, &url, &gateway_url, "deploy")).expect(2);
    assert!(
        out.stderr.contains("already deployed") && out.stderr.contains("pipegen clean"),
        "{}",
        out.stderr
    );
    let check = |code: i32| {
        let out = s.run(&[&args(&servers, &url, &gateway_url, "check")[..], &["--json"]].concat());
        let report: Value = serde_json::from_str(out.expect(code).stdout.trim()).unwrap();
        let parts = report["parts"].as_array().unwrap().clone();
        parts
            .into_iter()
            .find(|p| p["part"] == "deployment")
            .expect("a deployment part")
    };
    let part = check(0);
    assert_eq!(part["healthy"], true, "{part:#}");
    assert_eq!(part["jobs"][0]["id"], job.as_str());
    assert_eq!(part["jobs"][0]["state"], "RUNNING");

    let out = s.run(&args(&servers, &url, &gateway_url, "clean")).expect(0);
    assert!(out.stdout.contains(&format!("job {job}: CANCELED")), "{}", out.stdout);
    assert_eq!(state(&rest, &job), "CANCELED");
    assert_eq!(
        state(&rest, &outside),
        "RUNNING",
        "a job outside the deployment keeps running"
    );
    let topics = admin.topics().unwrap();
    assert_eq!(
        topics,
        ["demo-orders"],
        "the deployment's topic deleted, the older one kept"
    );
    assert!(!s.path().join("demo/.pipegen/deployment.json").exists());

    let out = s.run(&args(&servers, &url, &gateway_url, "clean")).expect(0);
    assert!(out.stdout.contains("nothing to clean"), "{}", out.stdout);

    // A deployed job cancelled behind pipegen's back: check says so, clean still cleans.
    s.run(&args(&servers, &url, &gateway_url, "deploy")).expect(0);
    let record: Value = serde_json::from_str(&s.read("demo/.pipegen/deployment.json")).unwrap();
    let again = record["jobs"][0]["job_id"].as_str().unwrap().to_owned();
    cancel_jobs(&rest, std::slice::from_ref(&again), Duration::from_secs(30));
    let part = check(1);
    assert_eq!(part["healthy"], false, "{part:#}");
    assert_eq!(part["jobs"][0]["state"], "CANCELED");
    let out = s.run(&args(&servers, &url, &gateway_url, "clean")).expect(0);
    assert!(
        out.stdout.contains(&format!("job {again}: had ended: CANCELED")),
        "{}",
        out.stdout
    );
    assert_eq!(admin.topics().unwrap(), ["demo-orders"]);
    cancel_jobs(&rest, &[outside], Duration::from_secs(30));
}

#[test]
fn a_deployment_that_cannot_complete_leaves_nothing_behind() {
    let flink = Flink::shared();
    let rest = FlinkRest::new(&flink.url(), Duration::from_secs(10));
    let gateway = SqlGatewayBridge::start(flink);
    let broker = Tansu::start();
    let servers = broker.bootstrap_servers();
    let s = Scratch::new();
    project(&s);

    let out = s.run(&["--project-dir", "demo", "deploy"]).expect(2);
    assert!(
        out.stderr.contains("bootstrap_servers") && out.stderr.contains("flink_url"),
        "{}",
        out.stderr
    );

    // A first job starts, then Flink refuses the next statement (a type error, which only
    // Flink's planner finds: `validate` would stop an unknown function before anything ran).
    s.edit("demo/sql/02_sink.sql", "`order_stats`", "`stats_undeployed`");
    s.edit("demo/sql/03_pipeline.sql", "`order_stats`", "`stats_undeployed`");
    s.write(
        "demo/sql/04_more.sql",
        "INSERT INTO `stats_undeployed`\nSELECT window_start, window_end, category, COUNT(*), SUM(quantity), SUM(category)\nFROM TABLE(TUMBLE(TABLE `orders`, DESCRIPTOR(event_time), INTERVAL '1' SECOND))\nGROUP BY window_start, window_end, category;\n",
    );
    let (url, gateway_url) = (flink.url(), gateway.url.clone());
    let out = s.run(&args(&servers, &url, &gateway_url, "deploy")).expect(2);
    assert!(
        out.stderr.contains("demo/sql/04_more.sql:1:") && out.stderr.contains("Cannot apply 'SUM'"),
        "{}",
        out.stderr
    );
    let started = jobs_named(&rest, "stats_undeployed");
    assert_eq!(started.len(), 1, "03_pipeline.sql's job: {started:?}");
    assert_eq!(started[0].state, pipegen_flink::JobState::Canceled);
    assert!(
        admin(&servers).topics().unwrap().is_empty(),
        "the topics it created are gone"
    );
    assert!(!s.path().join("demo/.pipegen").exists(), "no record");
}

#[test]
fn schemas_registered_for_a_deployment_that_fails_are_deleted_with_it() {
    let flink = Flink::shared();
    let gateway = SqlGatewayBridge::start(flink);
    let broker = Tansu::start();
    let servers = broker.bootstrap_servers();
    let registry = pipegen_registry::EmbeddedRegistry::start("127.0.0.1:0".parse().unwrap()).unwrap();
    let client = pipegen_registry::RegistryClient::new(&registry.url(), Duration::from_secs(10));
    // A subject that was there before the deployment: never touched.
    client.register("someone-else-value", r#""string""#).unwrap();
    let s = Scratch::new();
    // The scaffold as generated: avro-confluent, whose format jar this Flink lacks, so the
    // INSERT is refused after the source schema was registered.
    s.quick_project("demo");
    s.edit("demo/sql/02_sink.sql", "`order_stats`", "`stats_unregistered`");
    s.edit("demo/sql/03_pipeline.sql", "`order_stats`", "`stats_unregistered`");
    let (url, gateway_url, registry_url) = (flink.url(), gateway.url.clone(), registry.url());
    let mut command = args(&servers, &url, &gateway_url, "deploy");
    command.splice(0..0, ["--schema-registry-url", registry_url.as_str()]);
    let out = s.run(&command).expect(2);
    assert!(out.stderr.contains("avro-confluent"), "Flink's reason: {}", out.stderr);
    assert_eq!(
        client.subjects().unwrap(),
        ["someone-else-value"],
        "the deployment's subject went with it"
    );
    // Deleted for good (soft, then permanently, as Confluent's registry asks): its id is
    // gone, but it was taken, so the next schema gets the one after it.
    assert!(client.schema(2).is_err(), "the source's schema is deleted for good");
    let next = client
        .register("probe-value", r#"{"type":"record","name":"Probe","fields":[]}"#)
        .unwrap();
    assert_eq!(next, 3, "the deployment registered the source's schema as id 2");
    assert!(admin(&servers).topics().unwrap().is_empty());
    assert!(!s.path().join("demo/.pipegen").exists());
}
