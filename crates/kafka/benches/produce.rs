//! Producing 1,000,000 records of about 100 bytes to a Kafka-protocol broker (tansu) on
//! loopback at max rate, with librdkafka's defaults and with the performance guide's
//! high-throughput settings (batch_size 65536, linger_ms 10, lz4, acks 1). Side by side, in one
//! run on one broker: pipegen's producer path (generator, open-loop sender, metrics, sink), a
//! bare loop on the same crate with no pipegen layers, and confluent-kafka from Python.
//!
//! Run with `bash scripts/bench-kafka.sh` (it starts nothing by hand: it installs the broker and
//! the Python client, and this program starts the broker on a free loopback port).

use std::sync::Arc;
use std::sync::atomic::AtomicBool;
use std::time::{Duration, Instant};

use pipegen_config::{Acks, Compression, ProducerConfig, Rate, SecurityConfig};
use pipegen_kafka::{ClientProperties, KafkaAdmin, KafkaSink, TopicPlan, producer_properties};
use pipegen_loadgen::driver::drive;
use pipegen_loadgen::metrics::Recorder;
use pipegen_loadgen::plan::RatePlan;
use pipegen_loadgen::{Format, GeneratorOptions, RecordGenerator};
use rdkafka::producer::{BaseRecord, DefaultProducerContext, Producer, ThreadedProducer};

const COUNT: u64 = 1_000_000;
const SIZE: usize = 100;
/// One 100-character string column, sent as raw bytes: a 100-byte record.
const SCHEMA: &str =
    r#"{"type":"record","name":"R","fields":[{"name":"line","type":"string","arg.properties":{"length":100}}]}"#;

fn tuned() -> ProducerConfig {
    ProducerConfig {
        batch_size: 65_536,
        linger_ms: 10,
        compression_type: Compression::Lz4,
        acks: Acks::Leader,
        ..ProducerConfig::default()
    }
}

/// librdkafka's own defaults for the keys pipegen sets (what a user gets without tuning).
fn librdkafka_defaults() -> ProducerConfig {
    ProducerConfig {
        batch_size: 1_000_000,
        linger_ms: 5,
        compression_type: Compression::None,
        acks: Acks::All,
        ..ProducerConfig::default()
    }
}

fn pipegen(properties: &ClientProperties, topic: &str) -> f64 {
    let plan = RatePlan::new(Rate::Max, Duration::from_secs(600), Some(COUNT), None).unwrap();
    let recorder = Arc::new(Recorder::new(Instant::now(), plan.duration));
    let mut sink = KafkaSink::new(properties, topic, recorder.clone(), Default::default()).unwrap();
    let mut generator = RecordGenerator::new(SCHEMA, Format::Raw, GeneratorOptions::default()).unwrap();
    let started = Instant::now();
    // The time of the last acknowledgement, as the other producers are timed (the sink's flush
    // also waits for librdkafka's next statistics report, which is not producing).
    let all_acked = {
        let recorder = recorder.clone();
        std::thread::spawn(move || {
            while recorder.acked_total() + recorder.failed_total() < COUNT {
                std::thread::sleep(Duration::from_micros(200));
            }
            Instant::now()
        })
    };
    drive(
        &plan,
        &mut generator,
        &mut sink,
        &recorder,
        &AtomicBool::new(false),
        Duration::from_secs(300),
    )
    .unwrap();
    let elapsed = all_acked
        .join()
        .expect("the watcher ends")
        .duration_since(started)
        .as_secs_f64();
    let report = recorder.report(&plan);
    assert_eq!(
        report.totals.acked, COUNT,
        "every record acknowledged: {:?}",
        report.errors
    );
    COUNT as f64 / elapsed
}

fn bare_loop(properties: &ClientProperties, topic: &str) -> f64 {
    let producer: ThreadedProducer<DefaultProducerContext> = properties.to_client_config().create().unwrap();
    let payload = [b'x'; SIZE];
    let started = Instant::now();
    for _ in 0..COUNT {
        let mut record = BaseRecord::<(), [u8]>::to(topic).payload(&payload);
        loop {
            match producer.send(record) {
                Ok(()) => break,
                Err((_, returned)) => {
                    record = returned;
                    producer.poll(Duration::from_millis(1));
                }
            }
        }
    }
    producer.flush(Duration::from_secs(300)).unwrap();
    COUNT as f64 / started.elapsed().as_secs_f64()
}

fn python(servers: &str, topic: &str, producer: &ProducerConfig) -> Option<f64> {
    let python = std::env::var("PIPEGEN_BENCH_PYTHON").ok()?;
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/benches/produce_python.py");
    let props = producer_properties(servers, producer, &SecurityConfig::default());
    let mut command = std::process::Command::new(python);
    command
        .arg(script)
        .arg(servers)
        .arg(topic)
        .arg(COUNT.to_string())
        .arg(SIZE.to_string());
    for key in ["batch.size", "linger.ms", "compression.type", "acks"] {
        command.arg(format!("{key}={}", props.get(key).unwrap_or_default()));
    }
    let output = command.output().ok()?;
    String::from_utf8_lossy(&output.stdout).trim().parse().ok()
}

fn main() {
    if !std::env::args().any(|a| a == "--bench") {
        return;
    }
    let broker = pipegen_testkit::Tansu::start();
    let servers = broker.bootstrap_servers();
    let admin = KafkaAdmin::new(
        &producer_properties(&servers, &ProducerConfig::default(), &SecurityConfig::default()),
        Duration::from_secs(20),
    )
    .unwrap();
    let mut topic_number = 0;
    let mut fresh_topic = || {
        topic_number += 1;
        let name = format!("bench-{topic_number}");
        admin
            .create_topics(&[TopicPlan {
                name: name.clone(),
                partitions: 1,
                replication_factor: 1,
                config: Default::default(),
            }])
            .unwrap();
        name
    };
    println!("1,000,000 records of {SIZE} bytes to tansu on loopback, one partition, max rate\n");
    println!(
        "{:<34} {:>14} {:>10} {:>12}",
        "producer", "records/s", "MB/s", "vs bare loop"
    );
    for (label, config) in [
        ("librdkafka defaults", librdkafka_defaults()),
        ("high-throughput (guide)", tuned()),
    ] {
        let properties = producer_properties(&servers, &config, &SecurityConfig::default());
        let bare = bare_loop(&properties, &fresh_topic());
        let ours = pipegen(&properties, &fresh_topic());
        let py = python(&servers, &fresh_topic(), &config);
        let row = |name: String, rate: f64| {
            println!(
                "{name:<34} {rate:>14.0} {:>10.1} {:>11.1}%",
                rate * SIZE as f64 / 1e6,
                rate / bare * 100.0
            );
        };
        println!("-- {label}");
        row("  bare rdkafka loop".into(), bare);
        row("  pipegen producer path".into(), ours);
        match py {
            Some(rate) => row("  confluent-kafka (Python)".into(), rate),
            None => println!("  confluent-kafka (Python)          n/a (set PIPEGEN_BENCH_PYTHON)"),
        }
    }
}
