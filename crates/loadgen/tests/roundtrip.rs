//! Every generated record, decoded by independent readers (the apache-avro reader, serde_json,
//! the csv crate), is what was generated, and validates against its schema.

use apache_avro::Schema;
use apache_avro::types::Value as Avro;
use pipegen_loadgen::out::Out;
use pipegen_loadgen::{Format, GeneratorOptions, RecordGenerator};
use serde_json::Value as Json;

/// Builds apache-avro values from the generator's calls, independently of the AVRO writer.
#[derive(Default)]
struct ValueOut {
    stack: Vec<Frame>,
    /// The union branch announced for the next value.
    pending: Option<u32>,
    done: Option<Avro>,
}

#[derive(Default)]
struct Frame {
    values: Vec<Avro>,
    names: Vec<String>,
    branch: Option<u32>,
}

fn wrap(v: Avro, branch: Option<u32>) -> Avro {
    match branch {
        Some(index) => Avro::Union(index, Box::new(v)),
        None => v,
    }
}

impl ValueOut {
    fn add(&mut self, v: Avro) {
        match self.stack.last_mut() {
            Some(frame) => frame.values.push(v),
            None => self.done = Some(v),
        }
    }
    fn push(&mut self, v: Avro) {
        let v = wrap(v, self.pending.take());
        self.add(v);
    }
    fn open(&mut self) {
        let branch = self.pending.take();
        self.stack.push(Frame {
            branch,
            ..Frame::default()
        });
    }
    fn close(&mut self, build: impl FnOnce(Vec<String>, Vec<Avro>) -> Avro) {
        let frame = self.stack.pop().unwrap();
        let v = wrap(build(frame.names, frame.values), frame.branch);
        self.add(v);
    }
}

fn minimal_be(v: i128) -> Vec<u8> {
    let bytes = v.to_be_bytes();
    let mut i = 0;
    while i < 15 && ((bytes[i] == 0 && bytes[i + 1] < 0x80) || (bytes[i] == 0xff && bytes[i + 1] >= 0x80)) {
        i += 1;
    }
    bytes[i..].to_vec()
}

impl Out for ValueOut {
    fn null(&mut self) {
        self.push(Avro::Null)
    }
    fn boolean(&mut self, v: bool) {
        self.push(Avro::Boolean(v))
    }
    fn int(&mut self, v: i32) {
        self.push(Avro::Int(v))
    }
    fn long(&mut self, v: i64) {
        self.push(Avro::Long(v))
    }
    fn float(&mut self, v: f32) {
        self.push(Avro::Float(v))
    }
    fn double(&mut self, v: f64) {
        self.push(Avro::Double(v))
    }
    fn bytes(&mut self, v: &[u8]) {
        self.push(Avro::Bytes(v.to_vec()))
    }
    fn string(&mut self, v: &str) {
        self.push(Avro::String(v.to_owned()))
    }
    fn enum_symbol(&mut self, index: usize, symbol: &str) {
        self.push(Avro::Enum(index as u32, symbol.to_owned()))
    }
    fn fixed(&mut self, v: &[u8]) {
        self.push(Avro::Fixed(v.len(), v.to_vec()))
    }
    fn decimal(&mut self, unscaled: i128, _scale: u32, fixed_size: Option<usize>) {
        // Built as a Decimal directly: apache-avro's resolve() rejects byte strings that could
        // hold more digits than the precision, which its own reader accepts.
        let bytes = match fixed_size {
            None => minimal_be(unscaled),
            Some(size) => unscaled.to_be_bytes()[16 - size.min(16)..].to_vec(),
        };
        self.push(Avro::Decimal(apache_avro::Decimal::from(bytes)))
    }
    fn uuid(&mut self, v: &str) {
        self.push(Avro::Uuid(v.parse().expect("a valid UUID")))
    }
    fn date(&mut self, days: i32) {
        self.push(Avro::Date(days))
    }
    fn time_millis(&mut self, millis: i32) {
        self.push(Avro::TimeMillis(millis))
    }
    fn time_micros(&mut self, micros: i64) {
        self.push(Avro::TimeMicros(micros))
    }
    fn timestamp_millis(&mut self, millis: i64, local: bool) {
        self.push(if local {
            Avro::LocalTimestampMillis(millis)
        } else {
            Avro::TimestampMillis(millis)
        })
    }
    fn timestamp_micros(&mut self, micros: i64, local: bool) {
        self.push(if local {
            Avro::LocalTimestampMicros(micros)
        } else {
            Avro::TimestampMicros(micros)
        })
    }
    fn duration(&mut self, months: u32, days: u32, millis: u32) {
        let mut raw = [0u8; 12];
        for (i, p) in [months, days, millis].into_iter().enumerate() {
            raw[i * 4..i * 4 + 4].copy_from_slice(&p.to_le_bytes());
        }
        self.push(Avro::Duration(apache_avro::Duration::from(raw)))
    }
    fn begin_record(&mut self, _fields: usize) {
        self.open()
    }
    fn field(&mut self, name: &str) {
        self.stack.last_mut().unwrap().names.push(name.to_owned());
    }
    fn end_record(&mut self) {
        self.close(|names, values| Avro::Record(names.into_iter().zip(values).collect()))
    }
    fn begin_array(&mut self, _len: usize) {
        self.open()
    }
    fn end_array(&mut self) {
        self.close(|_, values| Avro::Array(values))
    }
    fn begin_map(&mut self, _len: usize) {
        self.open()
    }
    fn map_key(&mut self, key: &str) {
        self.stack.last_mut().unwrap().names.push(key.to_owned());
    }
    fn end_map(&mut self) {
        self.close(|names, values| Avro::Map(names.into_iter().zip(values).collect()))
    }
    fn union_branch(&mut self, index: usize) {
        self.pending = Some(index as u32);
    }
}

const EVENT_MICROS: i64 = 1_709_284_502_120_123;

/// Generates `n` records both ways and checks the AVRO bytes decode to the built values.
fn check_avro_round_trip(schema_json: &str, seed: u64, n: usize) {
    let schema = Schema::parse_str(schema_json).unwrap_or_else(|e| panic!("{e}\n{schema_json}"));
    let options = GeneratorOptions {
        seed,
        key_field: None,
        ..Default::default()
    };
    let mut by_value = RecordGenerator::new(schema_json, Format::Avro, options.clone()).unwrap();
    let mut by_bytes = RecordGenerator::new(schema_json, Format::Avro, options).unwrap();
    let (mut key, mut bytes) = (Vec::new(), Vec::new());
    for i in 0..n {
        let mut built = ValueOut::default();
        by_value.write_to(EVENT_MICROS + i as i64, &mut built);
        // Built with logical values directly (no resolve(): it rejects decimals its own reader accepts).
        let expected = built.done.unwrap();
        assert!(
            expected.validate(&schema),
            "{expected:?} does not validate against {schema_json}"
        );
        by_bytes.next_record(EVENT_MICROS + i as i64, &mut key, &mut bytes);
        let decoded = apache_avro::from_avro_datum(&schema, &mut bytes.as_slice(), None).unwrap();
        assert_eq!(decoded, expected, "record {i} of {schema_json}");
    }
}

const EVERYTHING: &str = r#"{
  "type": "record", "name": "Everything", "namespace": "t",
  "fields": [
    {"name": "order_id", "type": "string"},
    {"name": "customer_id", "type": "long"},
    {"name": "email", "type": "string"},
    {"name": "flag", "type": "boolean"},
    {"name": "n", "type": "int"},
    {"name": "ratio", "type": "float"},
    {"name": "price", "type": "double"},
    {"name": "blob", "type": "bytes"},
    {"name": "status", "type": {"type": "enum", "name": "Status", "symbols": ["A", "B", "C"]}},
    {"name": "tags", "type": {"type": "array", "items": "string"}},
    {"name": "attrs", "type": {"type": "map", "values": "long"}},
    {"name": "maybe", "type": ["null", "string"], "default": null},
    {"name": "either", "type": ["int", "string", {"type": "record", "name": "Inner", "fields": [{"name": "x", "type": "int"}]}]},
    {"name": "hash", "type": {"type": "fixed", "name": "Md5", "size": 16}},
    {"name": "amount", "type": {"type": "bytes", "logicalType": "decimal", "precision": 10, "scale": 2}},
    {"name": "big", "type": {"type": "fixed", "name": "Dec", "size": 9, "logicalType": "decimal", "precision": 20, "scale": 4}},
    {"name": "id", "type": {"type": "string", "logicalType": "uuid"}},
    {"name": "day", "type": {"type": "int", "logicalType": "date"}},
    {"name": "t_ms", "type": {"type": "int", "logicalType": "time-millis"}},
    {"name": "t_us", "type": {"type": "long", "logicalType": "time-micros"}},
    {"name": "event_time", "type": {"type": "long", "logicalType": "timestamp-millis"}},
    {"name": "ts_us", "type": {"type": "long", "logicalType": "timestamp-micros"}},
    {"name": "local_ms", "type": {"type": "long", "logicalType": "local-timestamp-millis"}},
    {"name": "local_us", "type": {"type": "long", "logicalType": "local-timestamp-micros"}},
    {"name": "wait", "type": {"type": "fixed", "name": "Dur", "size": 12, "logicalType": "duration"}},
    {"name": "nested", "type": {"type": "record", "name": "Addr", "fields": [
      {"name": "city", "type": "string"}, {"name": "zip", "type": ["null", "string"]}]}},
    {"name": "again", "type": ["null", "Addr"]}
  ]
}"#;

#[test]
fn every_avro_type_round_trips_through_the_reference_reader() {
    check_avro_round_trip(EVERYTHING, 7, 500);
}

#[test]
fn avro_confluent_frames_the_datum_with_the_schema_id() {
    let schema = Schema::parse_str(EVERYTHING).unwrap();
    let mut generator = RecordGenerator::new(
        EVERYTHING,
        Format::AvroConfluent { schema_id: 42 },
        GeneratorOptions::default(),
    )
    .unwrap();
    let (mut key, mut value) = (Vec::new(), Vec::new());
    generator.next_record(EVENT_MICROS, &mut key, &mut value);
    assert_eq!(&value[..5], &[0, 0, 0, 0, 42]);
    let decoded = apache_avro::from_avro_datum(&schema, &mut &value[5..], None).unwrap();
    assert!(decoded.validate(&schema));
}

#[test]
fn the_same_seed_gives_the_same_records() {
    let records = |seed| {
        let mut g = RecordGenerator::new(
            EVERYTHING,
            Format::Json,
            GeneratorOptions {
                seed,
                key_field: None,
                ..Default::default()
            },
        )
        .unwrap();
        (0..50)
            .map(|i| {
                let (mut k, mut v) = (Vec::new(), Vec::new());
                g.next_record(EVENT_MICROS + i, &mut k, &mut v);
                v
            })
            .collect::<Vec<_>>()
    };
    assert_eq!(records(1), records(1));
    assert_ne!(records(1), records(2));
}

fn json_records(schema: &str, n: usize, options: GeneratorOptions) -> Vec<(Vec<u8>, Json)> {
    let mut g = RecordGenerator::new(schema, Format::Json, options).unwrap();
    (0..n)
        .map(|i| {
            let (mut k, mut v) = (Vec::new(), Vec::new());
            g.next_record(EVENT_MICROS + i as i64 * 1000, &mut k, &mut v);
            let json = serde_json::from_slice(&v).unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&v)));
            (k, json)
        })
        .collect()
}

#[test]
fn json_is_what_flinks_json_format_reads() {
    let records = json_records(EVERYTHING, 200, GeneratorOptions::default());
    let (_, first) = &records[0];
    assert_eq!(first["event_time"], "2024-03-01 09:15:02.120");
    assert_eq!(first["ts_us"], "2024-03-01 09:15:02.120123");
    assert_eq!(first["local_ms"], "2024-03-01 09:15:02.120Z");
    assert_eq!(first["day"], "2024-03-01");
    assert_eq!(first["t_ms"], "09:15:02");
    assert!(first["amount"].is_number(), "decimals are numbers: {first}");
    assert!(first["status"].is_string() && first["nested"].is_object() && first["tags"].is_array());
    let uuid = first["id"].as_str().unwrap();
    assert_eq!((uuid.len(), &uuid[14..15]), (36, "4"), "{uuid}");
    for (_, record) in &records {
        let amount = record["amount"].as_f64().unwrap();
        assert!(
            (amount * 100.0 - (amount * 100.0).round()).abs() < 1e-6,
            "two decimals: {amount}"
        );
        assert!(record["maybe"].is_null() || record["maybe"].is_string());
    }
    assert!(
        records.iter().any(|(_, r)| r["maybe"].is_null()),
        "nullable fields are sometimes null"
    );
    assert!(records.iter().any(|(_, r)| r["maybe"].is_string()), "and sometimes not");
}

#[test]
fn csv_rows_have_one_cell_per_field() {
    let schema = r#"{"type":"record","name":"R","fields":[
        {"name":"customer_name","type":"string"},{"name":"note","type":["null","string"]},
        {"name":"amount","type":"double"},{"name":"event_time","type":{"type":"long","logicalType":"timestamp-millis"}},
        {"name":"tags","type":{"type":"array","items":"string"}}]}"#;
    let mut g = RecordGenerator::new(schema, Format::Csv, GeneratorOptions::default()).unwrap();
    let mut text = Vec::new();
    for i in 0..100 {
        let (mut k, mut v) = (Vec::new(), Vec::new());
        g.next_record(EVENT_MICROS + i, &mut k, &mut v);
        text.extend_from_slice(&v);
        text.push(b'\n');
    }
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .from_reader(text.as_slice());
    let mut rows = 0;
    for row in reader.records() {
        let row = row.unwrap();
        assert_eq!(row.len(), 5, "{row:?}");
        assert!(row[3].starts_with("2024-03-01 09:15:02."), "{row:?}");
        assert!(serde_json::from_str::<Json>(&row[4]).unwrap().is_array());
        rows += 1;
    }
    assert_eq!(rows, 100);
}

#[test]
fn realistic_by_default() {
    let schema = r#"{"type":"record","name":"Order","fields":[
        {"name":"order_id","type":"long"},{"name":"customer_id","type":"string"},{"name":"email","type":"string"},
        {"name":"city","type":"string"},{"name":"ip_address","type":"string"},{"name":"price","type":"double"},
        {"name":"quantity","type":"int"},{"name":"status","type":"string"},{"name":"currency","type":"string"},
        {"name":"page_url","type":"string"}]}"#;
    let records = json_records(schema, 2000, GeneratorOptions::default());
    let mut customers = std::collections::HashSet::new();
    for (i, (_, r)) in records.iter().enumerate() {
        assert_eq!(r["order_id"], i as i64 + 1, "an event's own id counts up");
        assert!(r["email"].as_str().unwrap().contains('@'));
        let ip: Vec<&str> = r["ip_address"].as_str().unwrap().split('.').collect();
        assert_eq!(ip.len(), 4);
        let q = r["quantity"].as_i64().unwrap();
        assert!((1..=10).contains(&q));
        let price = r["price"].as_f64().unwrap();
        assert!((1.0..=1000.0).contains(&price));
        assert!(["PENDING", "CONFIRMED", "SHIPPED", "DELIVERED", "CANCELLED"].contains(&r["status"].as_str().unwrap()));
        assert_eq!(r["currency"].as_str().unwrap().len(), 3);
        assert!(r["page_url"].as_str().unwrap().starts_with("https://"));
        customers.insert(r["customer_id"].as_str().unwrap().to_owned());
    }
    assert!(
        customers.len() <= 1000 && customers.len() > 500,
        "keys from a bounded space: {}",
        customers.len()
    );
    assert!(customers.iter().all(|c| c.starts_with("C-")));
}

#[test]
fn hints_tune_the_data() {
    let schema = r#"{"type":"record","name":"R","fields":[
        {"name":"age","type":{"type":"int","arg.properties":{"range":{"min":30,"max":40}}}},
        {"name":"color","type":"string","arg.properties":{"options":["red","green"]}},
        {"name":"seq","type":"long","arg.properties":{"iteration":{"start":100,"step":5}}},
        {"name":"never","type":["null","string"],"arg.properties":{"null_probability":0.0}},
        {"name":"always","type":["null","string"],"arg.properties":{"null_probability":1.0}},
        {"name":"code","type":"string","arg.properties":{"length":{"min":4,"max":5}}},
        {"name":"hot","type":"long","arg.properties":{"key_space":100,"distribution":"zipf"}},
        {"name":"items","type":{"type":"array","items":"int"},"arg.properties":{"length":2}}]}"#;
    let records = json_records(schema, 3000, GeneratorOptions::default());
    let mut hot_ones = 0;
    for (i, (_, r)) in records.iter().enumerate() {
        assert!((30..40).contains(&r["age"].as_i64().unwrap()));
        assert!(["red", "green"].contains(&r["color"].as_str().unwrap()));
        assert_eq!(r["seq"], 100 + 5 * i as i64);
        assert!(r["never"].is_string() && r["always"].is_null());
        assert_eq!(r["code"].as_str().unwrap().len(), 4);
        let hot = r["hot"].as_i64().unwrap();
        assert!((1..=100).contains(&hot));
        hot_ones += i32::from(hot == 1);
        assert_eq!(r["items"].as_array().unwrap().len(), 2);
    }
    assert!(hot_ones > 300, "zipf makes key 1 hot: {hot_ones} of 3000");
}

#[test]
fn bad_hints_are_explained() {
    let with = |props: &str| {
        let schema = format!(
            r#"{{"type":"record","name":"R","fields":[{{"name":"a","type":"string","arg.properties":{props}}}]}}"#
        );
        RecordGenerator::new(&schema, Format::Json, GeneratorOptions::default())
            .err()
            .unwrap()
    };
    assert!(with(r#"{"regex":"[a-z]+"}"#).message.contains("regex"));
    assert!(with(r#"{"option":["a"]}"#).hint.contains("did you mean `options`?"));
    assert!(with(r#"{"range":{"min":5,"max":1}}"#).message.contains("min < max"));
    assert!(with(r#"{"null_probability":2}"#).message.contains("0 to 1"));
}

#[test]
fn key_field_becomes_the_record_key() {
    let schema = r#"{"type":"record","name":"R","fields":[{"name":"user_id","type":"long"},{"name":"customer_id","type":"string"}]}"#;
    let records = json_records(
        schema,
        20,
        GeneratorOptions {
            seed: 3,
            key_field: Some("customer_id".into()),
            ..Default::default()
        },
    );
    for (key, record) in records {
        assert_eq!(String::from_utf8(key).unwrap(), record["customer_id"].as_str().unwrap());
    }
    let err = RecordGenerator::new(
        schema,
        Format::Json,
        GeneratorOptions {
            seed: 0,
            key_field: Some("nope".into()),
            ..Default::default()
        },
    )
    .err()
    .unwrap();
    assert!(err.hint.contains("user_id, customer_id"));
}

#[test]
fn raw_format_is_the_single_column() {
    let schema = r#"{"type":"record","name":"R","fields":[{"name":"line","type":"string","arg.properties":{"options":["hello"]}}]}"#;
    let mut g = RecordGenerator::new(schema, Format::Raw, GeneratorOptions::default()).unwrap();
    let (mut k, mut v) = (Vec::new(), Vec::new());
    g.next_record(0, &mut k, &mut v);
    assert_eq!(v, b"hello");
    assert!(RecordGenerator::new(EVERYTHING, Format::Raw, GeneratorOptions::default()).is_err());
}

mod random_schemas {
    use proptest::prelude::*;

    fn primitive() -> impl Strategy<Value = String> {
        prop::sample::select(vec![
            r#""null""#,
            r#""boolean""#,
            r#""int""#,
            r#""long""#,
            r#""float""#,
            r#""double""#,
            r#""bytes""#,
            r#""string""#,
            r#"{"type":"string","logicalType":"uuid"}"#,
            r#"{"type":"int","logicalType":"date"}"#,
            r#"{"type":"int","logicalType":"time-millis"}"#,
            r#"{"type":"long","logicalType":"time-micros"}"#,
            r#"{"type":"long","logicalType":"timestamp-millis"}"#,
            r#"{"type":"long","logicalType":"timestamp-micros"}"#,
            r#"{"type":"long","logicalType":"local-timestamp-millis"}"#,
            r#"{"type":"bytes","logicalType":"decimal","precision":12,"scale":3}"#,
        ])
        .prop_map(str::to_owned)
    }

    /// Nested types; named types get unique names from a counter in the shape.
    fn any_type() -> impl Strategy<Value = String> {
        primitive().prop_recursive(3, 24, 4, |inner| {
            prop_oneof![
                inner.clone().prop_map(|t| format!(r#"{{"type":"array","items":{t}}}"#)),
                inner.clone().prop_map(|t| format!(r#"{{"type":"map","values":{t}}}"#)),
                inner
                    .clone()
                    .prop_filter("a union holds neither null twice nor a union", |t| t != r#""null""#
                        && !t.starts_with('['))
                    .prop_map(|t| format!(r#"["null",{t}]"#)),
                prop::collection::vec(inner, 1..4).prop_map(|types| {
                    let fields: Vec<String> = types
                        .iter()
                        .enumerate()
                        .map(|(i, t)| format!(r#"{{"name":"f{i}","type":{t}}}"#))
                        .collect();
                    format!(r#"{{"type":"record","name":"NAME","fields":[{}]}}"#, fields.join(","))
                }),
            ]
        })
    }

    fn name_records(mut schema: String) -> String {
        let mut n = 0;
        while let Some(at) = schema.find("\"NAME\"") {
            schema.replace_range(at..at + 6, &format!("\"R{n}\""));
            n += 1;
        }
        schema
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]
        #[test]
        fn generated_records_validate_and_decode_back(types in prop::collection::vec(any_type(), 1..6), seed in 0u64..1000) {
            let fields: Vec<String> = types.iter().enumerate().map(|(i, t)| format!(r#"{{"name":"field_{i}","type":{t}}}"#)).collect();
            let schema = name_records(format!(r#"{{"type":"record","name":"Top","fields":[{}]}}"#, fields.join(",")));
            super::check_avro_round_trip(&schema, seed, 10);
            let _ = super::json_records(&schema, 5, pipegen_loadgen::GeneratorOptions { seed, key_field: None, ..Default::default() });
        }
    }
}
