//! The embedded registry keeping its schemas in a real Kafka-protocol broker's `_schemas`
//! topic (tansu on a free loopback port), in Confluent's record format: registries started
//! one after the other on the broker continue each other's ids, versions and deletes.

use std::time::Duration;

use pipegen_config::{Config, ConsumerConfig, ProducerConfig, SecurityConfig};
use pipegen_kafka::{KafkaAdmin, TopicReader, consumer_properties, producer_properties};
use pipegen_registry::{EmbeddedRegistry, RegistryClient};
use pipegen_run::schema_journal::KafkaSchemaJournal;
use pipegen_testkit::Tansu;

const V1: &str = r#"{"type":"record","name":"Order","fields":[{"name":"id","type":"long"}]}"#;
const V2: &str = r#"{"type":"record","name":"Order","fields":[{"name":"id","type":"long"},{"name":"note","type":"string","default":""}]}"#;
const OTHER: &str = r#"{"type":"record","name":"Click","fields":[{"name":"url","type":"string"}]}"#;

fn registry(config: &Config) -> (EmbeddedRegistry, RegistryClient) {
    let servers = config.bootstrap_servers.as_deref().unwrap();
    let journal = KafkaSchemaJournal::open(config, servers).expect("the journal opens");
    let registry = EmbeddedRegistry::start_with_journal("127.0.0.1:0".parse().unwrap(), Box::new(journal)).unwrap();
    let client = RegistryClient::new(&registry.url(), Duration::from_secs(20));
    (registry, client)
}

#[test]
fn registries_in_sequence_on_one_broker_keep_ids_versions_and_deletes() {
    let broker = Tansu::start();
    let config = Config {
        bootstrap_servers: Some(broker.bootstrap_servers()),
        ..Config::default()
    };

    let (first, second) = {
        let (_registry, client) = registry(&config);
        let first = client.register("orders-value", V1).unwrap();
        let second = client.register("orders-value", V2).unwrap();
        client.register("scratch-value", OTHER).unwrap();
        client.delete_subject("scratch-value").unwrap();
        (first, second)
    };

    let (registry, client) = registry(&config);
    assert_eq!(
        client.register("orders-value", V1).unwrap(),
        first,
        "the same schema, the same id"
    );
    assert_eq!(client.schema(second).unwrap(), V2, "an old id means the same schema");
    assert_eq!(client.lookup("orders-value", V2).unwrap(), (2, second));
    assert_eq!(
        client.subjects().unwrap(),
        ["orders-value"],
        "a deleted subject is not resurrected"
    );
    let third = client.register("clicks-value", OTHER).unwrap();
    assert!(third > second, "a new schema gets an id no earlier run gave: {third}");
    drop(registry);

    // What is on the topic is what Confluent's registry writes there.
    let properties = producer_properties(
        config.bootstrap_servers.as_deref().unwrap(),
        &ProducerConfig::default(),
        &SecurityConfig::default(),
    );
    let admin = KafkaAdmin::new(&properties, Duration::from_secs(20)).unwrap();
    assert_eq!(admin.partitions("_schemas").unwrap(), 1);
    let reader = consumer_properties(
        config.bootstrap_servers.as_deref().unwrap(),
        &ConsumerConfig::default(),
        &SecurityConfig::default(),
        "test-reader",
    );
    let records = TopicReader::new(&reader, "_schemas", 1).unwrap().read(
        usize::MAX,
        Duration::from_secs(2),
        Duration::from_secs(20),
    );
    let keys: Vec<String> = records
        .iter()
        .map(|r| String::from_utf8_lossy(r.key.as_deref().unwrap_or_default()).into_owned())
        .collect();
    assert!(
        keys.contains(&r#"{"keytype":"SCHEMA","subject":"orders-value","version":2,"magic":1}"#.to_owned()),
        "{keys:#?}"
    );
    assert!(
        keys.contains(&r#"{"keytype":"DELETE_SUBJECT","subject":"scratch-value","magic":0}"#.to_owned()),
        "{keys:#?}"
    );
    let value: serde_json::Value = records
        .iter()
        .find(|r| r.key.as_deref() == Some(br#"{"keytype":"SCHEMA","subject":"orders-value","version":1,"magic":1}"#))
        .map(|r| serde_json::from_slice(&r.value).unwrap())
        .unwrap();
    assert_eq!(
        value,
        serde_json::json!({"subject": "orders-value", "version": 1, "id": first, "schema": V1, "deleted": false})
    );
    // The permanent delete left tombstones (empty values) for the scratch subject's version.
    assert!(
        records.iter().any(|r| r.key.as_deref()
            == Some(br#"{"keytype":"SCHEMA","subject":"scratch-value","version":1,"magic":1}"#)
            && r.value.is_empty()),
        "{keys:#?}"
    );
}

#[test]
fn a_broker_that_is_down_is_a_clear_error_within_the_timeout() {
    let port = pipegen_testkit::free_port();
    let mut config = Config {
        bootstrap_servers: Some(format!("127.0.0.1:{port}")),
        ..Config::default()
    };
    config.kafka.timeout = "2s".parse().unwrap();
    let started = std::time::Instant::now();
    let err = KafkaSchemaJournal::open(&config, &format!("127.0.0.1:{port}"))
        .err()
        .expect("no broker");
    assert!(started.elapsed() < Duration::from_secs(15), "{:?}", started.elapsed());
    assert!(err.to_string().contains(&format!("127.0.0.1:{port}")), "{err}");
}
