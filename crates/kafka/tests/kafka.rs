//! Against a real Kafka-protocol broker (tansu) on a free loopback port.
//! tansu's memory storage reports a partition's latest offset as the last batch's base offset
//! + 1, so tests that read latest offsets produce one record per batch.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::AtomicBool;
use std::time::{Duration, Instant};

use pipegen_config::{ConsumerConfig, ProducerConfig, Rate, SecurityConfig};
use pipegen_kafka::{KafkaAdmin, KafkaSink, TopicPlan, TopicReader, consumer_properties, producer_properties};
use pipegen_loadgen::driver::drive;
use pipegen_loadgen::metrics::Recorder;
use pipegen_loadgen::plan::RatePlan;
use pipegen_loadgen::sink::{MemorySink, OutRecord, Sink, SinkError};
use pipegen_loadgen::{Format, GeneratorOptions, RecordGenerator};
use pipegen_registry::{EmbeddedRegistry, RegistryClient, topic_subject};
use pipegen_testkit::Tansu;

const TIMEOUT: Duration = Duration::from_secs(20);

const SCHEMA: &str = r#"{"type":"record","name":"Order","namespace":"shop","fields":[
    {"name":"order_id","type":"long"},{"name":"customer_id","type":"string"},{"name":"email","type":"string"},
    {"name":"amount","type":{"type":"bytes","logicalType":"decimal","precision":10,"scale":2}},
    {"name":"coupon","type":["null","string"],"default":null},
    {"name":"event_time","type":{"type":"long","logicalType":"timestamp-millis"}}]}"#;

fn admin(broker: &Tansu) -> KafkaAdmin {
    let properties = producer_properties(
        &broker.bootstrap_servers(),
        &ProducerConfig::default(),
        &SecurityConfig::default(),
    );
    KafkaAdmin::new(&properties, TIMEOUT).unwrap()
}

fn topic(name: &str, partitions: u32) -> TopicPlan {
    TopicPlan {
        name: name.into(),
        partitions,
        replication_factor: 1,
        config: BTreeMap::from([("retention.ms".to_owned(), "3600000".to_owned())]),
    }
}

#[test]
fn creates_describes_and_deletes_topics() {
    let broker = Tansu::start();
    let admin = admin(&broker);
    assert!(!admin.brokers().unwrap().is_empty());
    admin.create_topics(&[topic("orders", 3), topic("stats", 1)]).unwrap();
    assert_eq!(admin.partitions("orders").unwrap(), 3);
    let mut topics = admin.topics().unwrap();
    topics.sort();
    assert_eq!(topics, ["orders", "stats"]);
    assert!(
        admin
            .create_topics(&[topic("orders", 3)])
            .unwrap_err()
            .to_string()
            .contains("orders")
    );
    admin.delete_topics(&["orders"]).unwrap();
    assert_eq!(admin.topics().unwrap(), ["stats"]);
    assert!(admin.partitions("orders").is_err());
}

/// Sends to Kafka and keeps a copy of every record, to compare with what is read back.
struct Tee {
    kafka: KafkaSink,
    copy: MemorySink,
}

impl Sink for Tee {
    fn send(&mut self, batch: &[OutRecord<'_>], recorder: &Arc<Recorder>) -> Result<(), SinkError> {
        self.copy.records.extend(
            batch
                .iter()
                .map(|r| (r.key.map(<[u8]>::to_vec), r.value.to_vec(), r.event_micros)),
        );
        self.kafka.send(batch, recorder)
    }
    fn flush(&mut self, timeout: Duration) -> Result<(), SinkError> {
        self.kafka.flush(timeout)
    }
}

#[test]
fn produces_100k_avro_confluent_records_and_reads_every_one_back() {
    let broker = Tansu::start();
    let servers = broker.bootstrap_servers();
    admin(&broker).create_topics(&[topic("orders", 3)]).unwrap();
    let registry = EmbeddedRegistry::start("127.0.0.1:0".parse().unwrap()).unwrap();
    let client = RegistryClient::new(&registry.url(), TIMEOUT);
    let schema_id = client.register(&topic_subject("orders", false), SCHEMA).unwrap();

    let plan = RatePlan::new(Rate::Max, Duration::from_secs(120), Some(100_000), None).unwrap();
    let recorder = Arc::new(Recorder::new(Instant::now(), plan.duration));
    let producer = ProducerConfig {
        linger_ms: 10,
        batch_size: 65_536,
        ..ProducerConfig::default()
    };
    let properties = producer_properties(&servers, &producer, &SecurityConfig::default());
    let mut sink = Tee {
        kafka: KafkaSink::new(&properties, "orders", recorder.clone(), Default::default()).unwrap(),
        copy: MemorySink::new(true),
    };
    let options = GeneratorOptions {
        seed: 11,
        key_field: Some("customer_id".into()),
        ..Default::default()
    };
    let mut generator = RecordGenerator::new(SCHEMA, Format::AvroConfluent { schema_id }, options).unwrap();
    drive(
        &plan,
        &mut generator,
        &mut sink,
        &recorder,
        &AtomicBool::new(false),
        TIMEOUT,
    )
    .unwrap();
    let report = recorder.report(&plan);
    assert_eq!(
        (report.totals.sent, report.totals.acked, report.totals.failed),
        (100_000, 100_000, 0),
        "{:?}",
        report.errors
    );
    assert_eq!(report.latency_ms.publish.count, 100_000);

    let reader = TopicReader::new(
        &consumer_properties(
            &servers,
            &ConsumerConfig::default(),
            &SecurityConfig::default(),
            "check",
        ),
        "orders",
        3,
    )
    .unwrap();
    let consumed = reader.read(100_000, Duration::from_secs(10), Duration::from_secs(120));
    assert_eq!(consumed.len(), 100_000);

    let mut sent: Vec<(Option<Vec<u8>>, Vec<u8>)> = sink.copy.records.into_iter().map(|(k, v, _)| (k, v)).collect();
    let mut read: Vec<(Option<Vec<u8>>, Vec<u8>)> = consumed.iter().map(|c| (c.key.clone(), c.value.clone())).collect();
    sent.sort();
    read.sort();
    assert!(sent == read, "what was read back differs from what was produced");

    let writer = apache_avro::Schema::parse_str(&client.schema(schema_id).unwrap()).unwrap();
    for c in consumed.iter().take(1000) {
        assert_eq!(
            &c.value[..5],
            &[
                0,
                (schema_id >> 24) as u8,
                (schema_id >> 16) as u8,
                (schema_id >> 8) as u8,
                schema_id as u8
            ]
        );
        let value = apache_avro::from_avro_datum(&writer, &mut &c.value[5..], None).unwrap();
        assert!(value.validate(&writer));
        assert!(c.timestamp_ms.is_some());
    }
    // Keyed by customer: one key, one partition.
    let mut partition_of = BTreeMap::new();
    for c in &consumed {
        let previous = partition_of.insert(c.key.clone(), c.partition);
        assert!(previous.is_none_or(|p| p == c.partition), "a key moved partitions");
    }
}

#[test]
fn consumer_group_lag_follows_commits() {
    use rdkafka::consumer::{BaseConsumer, CommitMode, Consumer};
    let broker = Tansu::start();
    let servers = broker.bootstrap_servers();
    let admin = admin(&broker);
    admin.create_topics(&[topic("events", 1)]).unwrap();

    // One record per batch, so the broker's latest offset is exact (see the note above).
    let mut producer = ProducerConfig {
        linger_ms: 0,
        ..ProducerConfig::default()
    };
    producer.properties.0.insert("batch.num.messages".into(), "1".into());
    let properties = producer_properties(&servers, &producer, &SecurityConfig::default());
    let plan = RatePlan::new(Rate::PerSecond(200.0), Duration::from_millis(100), None, None).unwrap();
    let recorder = Arc::new(Recorder::new(Instant::now(), plan.duration));
    let mut sink = KafkaSink::new(&properties, "events", recorder.clone(), Default::default()).unwrap();
    let mut generator = RecordGenerator::new(SCHEMA, Format::Json, GeneratorOptions::default()).unwrap();
    drive(
        &plan,
        &mut generator,
        &mut sink,
        &recorder,
        &AtomicBool::new(false),
        TIMEOUT,
    )
    .unwrap();
    assert_eq!(recorder.report(&plan).totals.acked, 20);

    assert_eq!(
        admin.lag("readers", "events").unwrap(),
        [(0, 20)],
        "nothing committed: everything is lag"
    );
    let consumer: BaseConsumer = consumer_properties(
        &servers,
        &ConsumerConfig::default(),
        &SecurityConfig::default(),
        "readers",
    )
    .to_client_config()
    .create()
    .unwrap();
    let mut done = rdkafka::TopicPartitionList::new();
    done.add_partition_offset("events", 0, rdkafka::Offset::Offset(15))
        .unwrap();
    consumer.commit(&done, CommitMode::Sync).unwrap();
    assert_eq!(admin.lag("readers", "events").unwrap(), [(0, 5)]);
}

#[test]
fn a_broker_that_is_down_is_named_within_the_timeout() {
    let port = pipegen_testkit::free_port();
    let properties = producer_properties(
        &format!("127.0.0.1:{port}"),
        &ProducerConfig::default(),
        &SecurityConfig::default(),
    );
    let admin = KafkaAdmin::new(&properties, Duration::from_secs(3)).unwrap();
    let started = Instant::now();
    let err = admin.topics().unwrap_err();
    assert!(err.to_string().contains(&format!("127.0.0.1:{port}")), "{err}");
    assert!(started.elapsed() < Duration::from_secs(10));
}

#[test]
fn per_run_topics_and_cleanup_touch_only_what_the_run_created() {
    use pipegen_config::TopicNaming;
    use pipegen_kafka::{TopicLedger, run_topic_name};
    let broker = Tansu::start();
    let admin = admin(&broker);
    admin.create_topics(&[topic("shared", 1)]).unwrap();

    let mut first = TopicLedger::default();
    let mut second = TopicLedger::default();
    let a = run_topic_name("orders", TopicNaming::PerRun, "run-a");
    let b = run_topic_name("orders", TopicNaming::PerRun, "run-b");
    assert_eq!(
        first.ensure(&admin, &[topic(&a, 3), topic("shared", 1)]).unwrap(),
        std::slice::from_ref(&a)
    );
    assert_eq!(
        second.ensure(&admin, &[topic(&b, 3)]).unwrap(),
        std::slice::from_ref(&b)
    );
    let mut topics = admin.topics().unwrap();
    topics.sort();
    assert_eq!(
        topics,
        [a.clone(), b.clone(), "shared".to_owned()],
        "two runs on one cluster do not collide"
    );

    assert_eq!(first.cleanup(&admin).unwrap(), [a]);
    let mut topics = admin.topics().unwrap();
    topics.sort();
    assert_eq!(
        topics,
        [b, "shared".to_owned()],
        "the other run's topic and the pre-existing one stay"
    );
    second.cleanup(&admin).unwrap();
    assert_eq!(admin.topics().unwrap(), ["shared"]);
}

#[test]
fn the_log_seam_on_kafka_reads_appends_commits_and_measures_lag() {
    use bytes::Bytes;
    use pipegen_kafka::KafkaLog;
    use pipegen_log::{Log, LogError, Record, partition_for_key};

    let broker = Tansu::start();
    let servers = broker.bootstrap_servers();
    let admin = admin(&broker);
    admin.create_topics(&[topic("seam", 3)]).unwrap();
    let producer = producer_properties(&servers, &ProducerConfig::default(), &SecurityConfig::default());
    let consumer = consumer_properties(
        &servers,
        &ConsumerConfig::default(),
        &SecurityConfig::default(),
        "pipegen-seam",
    );
    let log = KafkaLog::new(KafkaAdmin::new(&producer, TIMEOUT).unwrap(), &producer, &consumer).unwrap();

    let missing = log.offsets("missing");
    assert!(matches!(missing, Err(LogError::UnknownTopic(_))), "{missing:?}");
    let offsets = log.offsets("seam").unwrap();
    assert_eq!(offsets.len(), 3);

    // Keyed records, a header, and a tombstone (an empty value: a null value on Kafka).
    let records: Vec<Record> = (0..300)
        .map(|i| {
            let mut record = Record::new(
                Some(Bytes::from(format!("key-{}", i % 17))),
                if i == 299 {
                    Bytes::new()
                } else {
                    Bytes::from(format!("value-{i}"))
                },
                1_700_000_000_000 + i,
            );
            record.headers.push(("n".into(), Bytes::from(i.to_string())));
            record
        })
        .collect();
    log.append("seam", records.clone()).unwrap();

    // Every record comes back once, in the partition Kafka's Java partitioner picks, in order.
    let mut read = Vec::new();
    let started = Instant::now();
    let mut positions = [0u64; 3];
    while read.len() < records.len() && started.elapsed() < TIMEOUT {
        for partition in 0..3u32 {
            let fetched = log.read("seam", partition, positions[partition as usize], 64).unwrap();
            if let Some(last) = fetched.last() {
                positions[partition as usize] = last.offset + 1;
            }
            read.extend(fetched);
        }
        std::thread::sleep(Duration::from_millis(5));
    }
    assert_eq!(read.len(), records.len());
    for fetched in &read {
        let n: i64 = std::str::from_utf8(&fetched.record.headers[0].1)
            .unwrap()
            .parse()
            .unwrap();
        let sent = &records[n as usize];
        assert_eq!(fetched.record.as_ref(), sent, "record {n}");
        assert_eq!(
            fetched.partition,
            partition_for_key(sent.key.as_ref().unwrap(), 3),
            "record {n}"
        );
    }
    for partition in 0..3 {
        let offsets: Vec<u64> = read
            .iter()
            .filter(|f| f.partition == partition)
            .map(|f| f.offset)
            .collect();
        assert!(
            offsets.windows(2).all(|w| w[0] < w[1]),
            "partition {partition}: {offsets:?}"
        );
    }

    // Reading again from an earlier offset seeks back.
    let again = read_until(&log, "seam", read[0].partition, read[0].offset, 1);
    assert_eq!(again[0].record, read[0].record);

    // Group commits show as lag (tansu's memory storage understates latest offsets when a
    // batch holds several records, so only the committed side is checked exactly).
    let partition = read[0].partition;
    let before: u64 = log.lag("seam-readers", "seam").unwrap().iter().map(|(_, l)| l).sum();
    log.commit("seam-readers", "seam", partition, 1).unwrap();
    let started = Instant::now();
    loop {
        let after: u64 = log.lag("seam-readers", "seam").unwrap().iter().map(|(_, l)| l).sum();
        if after + 1 == before {
            break;
        }
        assert!(
            started.elapsed() < TIMEOUT,
            "lag stays {after} (was {before}) after a commit"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// Reads until at least `n` records came back from `offset` (or the timeout passed).
fn read_until(
    log: &dyn pipegen_log::Log,
    topic: &str,
    partition: u32,
    offset: u64,
    n: usize,
) -> Vec<pipegen_log::Fetched> {
    let started = Instant::now();
    loop {
        let fetched = log.read(topic, partition, offset, n).unwrap();
        if fetched.len() >= n || started.elapsed() > TIMEOUT {
            return fetched;
        }
        std::thread::sleep(Duration::from_millis(5));
    }
}

#[test]
fn produces_and_reads_back_over_tls_and_names_a_plaintext_mismatch() {
    use pipegen_config::SecurityProtocol;
    let broker = pipegen_testkit::TlsBroker::start();
    let servers = broker.bootstrap_servers();
    let security = SecurityConfig {
        security_protocol: SecurityProtocol::Ssl,
        ssl_ca_location: Some(broker.ca.clone()),
        ..SecurityConfig::default()
    };
    let properties = producer_properties(&servers, &ProducerConfig::default(), &security);
    assert_eq!(properties.get("security.protocol"), Some("ssl"));
    let admin = KafkaAdmin::new(&properties, TIMEOUT).unwrap();
    admin.create_topics(&[topic("secure", 2)]).unwrap();

    let plan = RatePlan::new(Rate::PerSecond(1000.0), Duration::from_secs(1), None, None).unwrap();
    let recorder = Arc::new(Recorder::new(Instant::now(), plan.duration));
    let mut sink = KafkaSink::new(&properties, "secure", recorder.clone(), Default::default()).unwrap();
    let mut generator = RecordGenerator::new(SCHEMA, Format::Json, GeneratorOptions::default()).unwrap();
    drive(
        &plan,
        &mut generator,
        &mut sink,
        &recorder,
        &AtomicBool::new(false),
        TIMEOUT,
    )
    .unwrap();
    assert_eq!(recorder.report(&plan).totals.acked, 1000);
    let consumer = consumer_properties(&servers, &ConsumerConfig::default(), &security, "secure-readers");
    let read = TopicReader::new(&consumer, "secure", 2)
        .unwrap()
        .read(1000, Duration::from_secs(5), TIMEOUT);
    assert_eq!(read.len(), 1000, "every record read back over TLS");

    // A client speaking plaintext to the TLS port gets nowhere, and is told where it failed.
    let plaintext = producer_properties(&servers, &ProducerConfig::default(), &SecurityConfig::default());
    let error = KafkaAdmin::new(&plaintext, Duration::from_secs(3))
        .unwrap()
        .topics()
        .unwrap_err();
    assert!(error.to_string().contains(&servers), "{error}");
}
