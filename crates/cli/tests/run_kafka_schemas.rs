//! Runs on a real Kafka-protocol broker (tansu) without an external registry: the embedded
//! registry keeps its schemas in the cluster's `_schemas` topic, so a run over topics an
//! earlier run kept decodes their records with the schemas their ids name, and cleanup
//! deletes (soft, then permanently) exactly the subjects a run registered.

mod common;

use std::io::{Read, Write};
use std::time::Duration;

use common::Scratch;
use pipegen_config::{ConsumerConfig, SecurityConfig};
use pipegen_kafka::{TopicReader, consumer_properties};
use pipegen_testkit::Tansu;

/// The keys of every record on the broker's `_schemas` topic.
fn journal_keys(servers: &str) -> Vec<String> {
    let properties = consumer_properties(servers, &ConsumerConfig::default(), &SecurityConfig::default(), "test");
    TopicReader::new(&properties, "_schemas", 1)
        .unwrap()
        .read(usize::MAX, Duration::from_secs(2), Duration::from_secs(20))
        .into_iter()
        .map(|r| String::from_utf8_lossy(r.key.as_deref().unwrap_or_default()).into_owned())
        .collect()
}

fn pass_through_project(s: &Scratch) {
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
}

#[test]
fn a_second_run_over_kept_topics_decodes_the_first_runs_records() {
    let broker = Tansu::start();
    let servers = broker.bootstrap_servers();
    let s = Scratch::new();
    pass_through_project(&s);
    let run = |cleanup: &str| {
        s.run(&[
            "--project-dir",
            "shop",
            "--bootstrap-servers",
            &servers,
            "run",
            "--messages",
            "300",
            "--message-rate",
            "300",
            "--seed",
            "5",
            &format!("--cleanup={cleanup}"),
            "-q",
        ])
        .expect(0)
    };
    run("false");
    let first = s.newest_result("shop");
    assert_eq!(first["status"], "succeeded", "{first:#}");
    assert_eq!(first["backends"]["schema_registry"], "embedded");

    // The source schema evolves compatibly: in a registry that forgot the first run, the new
    // schema would get the first run's id, and its records would decode with the wrong schema.
    s.edit(
        "shop/schemas/input.avsc",
        r#""doc": "When the order was placed."}"#,
        r#""doc": "When the order was placed."},
    {"name": "channel", "type": ["null", "string"], "default": null}"#,
    );
    std::thread::sleep(Duration::from_millis(1100)); // a report of its own (names are per second)
    run("true");
    let second = s.newest_result("shop");
    assert_eq!(second["status"], "succeeded", "{second:#}");
    let job = &second["jobs"][0];
    assert_eq!(
        job["records_out"], 600,
        "the engine decoded the kept records and the new ones: {job}"
    );
    assert_eq!(second["errors"], serde_json::json!({}), "{second:#}");

    let keys = journal_keys(&servers);
    let versions: Vec<&String> = keys
        .iter()
        .filter(|k| k.starts_with(r#"{"keytype":"SCHEMA","subject":"shop-orders-value""#))
        .collect();
    assert!(
        versions.iter().any(|k| k.contains(r#""version":2"#)),
        "the evolved schema is version 2 of the kept subject: {keys:#?}"
    );
    assert!(
        !keys.iter().any(|k| k.contains("DELETE_SUBJECT")),
        "the second run registered no subject of its own, so it deleted none: {keys:#?}"
    );
}

#[test]
fn cleanup_deletes_the_subjects_a_run_registered_for_good() {
    let broker = Tansu::start();
    let servers = broker.bootstrap_servers();
    let s = Scratch::new();
    s.quick_project("demo");
    s.run(&[
        "--project-dir",
        "demo",
        "--bootstrap-servers",
        &servers,
        "run",
        "--duration",
        "2s",
        "--message-rate",
        "100",
        "-q",
    ])
    .expect(0);
    let keys = journal_keys(&servers);
    assert!(
        keys.contains(&r#"{"keytype":"DELETE_SUBJECT","subject":"demo-orders-value","magic":0}"#.to_owned()),
        "soft-deleted: {keys:#?}"
    );
    // And then permanently: a registry started later sees no trace of it.
    let journal =
        pipegen_run::schema_journal::KafkaSchemaJournal::open(&pipegen_config::Config::default(), &servers).unwrap();
    let registry =
        pipegen_registry::EmbeddedRegistry::start_with_journal("127.0.0.1:0".parse().unwrap(), Box::new(journal))
            .unwrap();
    let address = registry.address();
    let mut stream = std::net::TcpStream::connect(address).unwrap();
    write!(
        stream,
        "GET /subjects?deleted=true HTTP/1.1\r\nHost: {address}\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut answer = String::new();
    stream.read_to_string(&mut answer).unwrap();
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    assert!(
        answer.ends_with("\r\n\r\n[]"),
        "no subject, not even a soft-deleted one: {answer}"
    );
}
