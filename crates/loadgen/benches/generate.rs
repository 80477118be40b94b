//! Generate + encode one 10-field record (strings, longs, a double, a timestamp, an enum, a
//! nullable field), per format, on one core. Goal: 1,000,000 records/s as avro-confluent.
//! The apache-avro row encodes an already-built value with the reference library, for scale.

use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use pipegen_loadgen::{Format, GeneratorOptions, RecordGenerator};

const SCHEMA: &str = r#"{
  "type": "record", "name": "ClickEvent", "namespace": "bench",
  "fields": [
    {"name": "event_id", "type": "long"},
    {"name": "user_id", "type": "long"},
    {"name": "session_id", "type": "string"},
    {"name": "email", "type": "string"},
    {"name": "city", "type": "string"},
    {"name": "page_url", "type": "string"},
    {"name": "price", "type": "double"},
    {"name": "action", "type": {"type": "enum", "name": "Action", "symbols": ["VIEW", "CLICK", "ADD_TO_CART", "PURCHASE"]}},
    {"name": "coupon", "type": ["null", "string"], "default": null},
    {"name": "event_time", "type": {"type": "long", "logicalType": "timestamp-millis"}}
  ]
}"#;

fn generate(c: &mut Criterion) {
    let mut group = c.benchmark_group("generate_and_encode_10_fields");
    group.throughput(Throughput::Elements(1));
    for (name, format) in [
        ("avro-confluent", Format::AvroConfluent { schema_id: 1 }),
        ("avro", Format::Avro),
        ("json", Format::Json),
        ("csv", Format::Csv),
    ] {
        let mut generator = RecordGenerator::new(SCHEMA, format, GeneratorOptions::default()).unwrap();
        let (mut key, mut value) = (Vec::with_capacity(64), Vec::with_capacity(512));
        let mut t = 1_709_284_502_000_000i64;
        group.bench_function(name, |b| {
            b.iter(|| {
                t += 20;
                generator.next_record(t, &mut key, &mut value);
                black_box(value.len());
            })
        });
    }

    let schema = apache_avro::Schema::parse_str(SCHEMA).unwrap();
    let mut generator = RecordGenerator::new(SCHEMA, Format::Avro, GeneratorOptions::default()).unwrap();
    let (mut key, mut bytes) = (Vec::new(), Vec::new());
    generator.next_record(1_709_284_502_000_000, &mut key, &mut bytes);
    let record = apache_avro::from_avro_datum(&schema, &mut bytes.as_slice(), None).unwrap();
    group.bench_function("apache-avro encode of a prebuilt value (reference)", |b| {
        b.iter(|| black_box(apache_avro::to_avro_datum(&schema, record.clone()).unwrap().len()))
    });
    group.finish();
}

criterion_group!(benches, generate);
criterion_main!(benches);
