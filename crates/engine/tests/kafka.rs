//! Kafka tables over the embedded log, with the embedded schema registry: the load
//! generator's avro-confluent records in, a tumbling window over them, avro-confluent rows out
//! (their schema registered by the sink, as Flink's does), read back through the engine.

mod common;

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;

use bytes::Bytes;
use common::{text_rows, ts};
use pipegen_engine::Engine;
use pipegen_loadgen::{Format, GeneratorOptions, RecordGenerator};
use pipegen_log::{EmbeddedLog, Record, TopicSpec};
use pipegen_registry::{EmbeddedRegistry, RegistryClient};
use pipegen_sql::{Statement, parse_file};

const SCHEMA: &str = r#"{"type": "record", "name": "Order", "fields": [
  {"name": "order_id", "type": {"type": "string", "logicalType": "uuid"}},
  {"name": "category", "type": {"type": "enum", "name": "Category", "symbols": ["BOOKS", "TOYS"]}},
  {"name": "quantity", "type": "int"},
  {"name": "amount", "type": {"type": "bytes", "logicalType": "decimal", "precision": 10, "scale": 2}},
  {"name": "event_time", "type": {"type": "long", "logicalType": "timestamp-millis"}}
]}"#;

const RECORDS: i64 = 20_000;

#[test]
fn avro_confluent_in_windows_out() {
    let registry = EmbeddedRegistry::start("127.0.0.1:0".parse().unwrap()).unwrap();
    let url = registry.url();
    let schema_id = RegistryClient::new(&url, std::time::Duration::from_secs(5))
        .register("orders-value", SCHEMA)
        .unwrap();
    let log = Arc::new(EmbeddedLog::new());
    log.create_topic(TopicSpec::new("orders", 3)).unwrap();
    log.create_topic(TopicSpec::new("stats", 1)).unwrap();

    // 20,000 orders, 1 ms apart in event time, spread over three partitions in order.
    let mut generator = RecordGenerator::new(
        SCHEMA,
        Format::AvroConfluent { schema_id },
        GeneratorOptions {
            seed: 7,
            key_field: None,
            ..Default::default()
        },
    )
    .unwrap();
    let start_ms = 1_700_000_000_000i64;
    let mut per_window: BTreeMap<i64, i64> = BTreeMap::new();
    let (mut key, mut value) = (Vec::new(), Vec::new());
    for i in 0..RECORDS {
        let event_ms = start_ms + i;
        generator.next_record(event_ms * 1000, &mut key, &mut value);
        log.produce_to(
            "orders",
            (i % 3) as u32,
            vec![Record::new(None, Bytes::from(value.clone()), event_ms)],
        )
        .unwrap();
        *per_window.entry(event_ms - event_ms.rem_euclid(5_000)).or_default() += 1;
    }

    let sql = format!(
        "CREATE TABLE orders (
           order_id STRING, category STRING, quantity INT, amount DECIMAL(10, 2),
           event_time TIMESTAMP(3), `partition` INT METADATA VIRTUAL,
           WATERMARK FOR event_time AS event_time - INTERVAL '1' SECOND
         ) WITH ('connector' = 'kafka', 'topic' = 'orders', 'properties.bootstrap.servers' = 'embedded',
                 'scan.bounded.mode' = 'latest-offset',
                 'format' = 'avro-confluent', 'avro-confluent.url' = '{url}');
         CREATE TABLE stats (
           window_start TIMESTAMP(3) NOT NULL, window_end TIMESTAMP(3) NOT NULL,
           order_count BIGINT NOT NULL, total_quantity INT, total_amount DECIMAL(38, 2), partitions BIGINT
         ) WITH ('connector' = 'kafka', 'topic' = 'stats', 'properties.bootstrap.servers' = 'embedded',
                 'scan.bounded.mode' = 'latest-offset',
                 'format' = 'avro-confluent', 'avro-confluent.url' = '{url}');
         INSERT INTO stats
         SELECT window_start, window_end, COUNT(*), SUM(quantity), SUM(amount), COUNT(DISTINCT `partition`)
         FROM TABLE(TUMBLE(TABLE orders, DESCRIPTOR(event_time), INTERVAL '5' SECOND))
         GROUP BY window_start, window_end;
         SELECT window_start, order_count, partitions FROM stats;"
    );
    let file = parse_file(Path::new("kafka.sql"), &sql).unwrap();
    let (outcome, rows) = common::runtime().block_on(async {
        let mut engine = Engine::new(1).with_log(log.clone());
        let mut outcome = Vec::new();
        let mut rows = Vec::new();
        for statement in &file.statements {
            if matches!(statement.kind, Statement::Query(_)) {
                // The sink's topic exists now: declare it again so the engine reads it.
                let mut reader = Engine::new(1).with_log(log.clone());
                reader.execute(&file.statements[1]).await.unwrap();
                rows =
                    text_rows(&pipegen_engine::render::materialize(&reader.query(statement).await.unwrap()).unwrap());
            } else {
                outcome.extend(engine.execute(statement).await.unwrap());
            }
        }
        (outcome, rows)
    });
    assert_eq!(outcome[0].late_records_dropped, 0, "each partition is in order");
    let mut rows = rows;
    rows.sort();
    let expected: Vec<String> = per_window
        .iter()
        .map(|(start, count)| format!("{} | {count} | 3", ts(*start)))
        .collect();
    assert_eq!(rows, expected);
    let subjects = RegistryClient::new(&url, std::time::Duration::from_secs(5))
        .subjects()
        .unwrap();
    assert!(subjects.contains(&"stats-value".to_string()), "{subjects:?}");
    // The sink registers the schema Flink's avro-confluent format derives from the table
    // (AvroSchemaConverter.convertToSchema, legacy timestamp mapping: Flink 2.1's default),
    // as Avro's Java library prints it: so Flink and pipegen can write to one subject.
    let flink_derived = concat!(
        r#"{"type":"record","name":"record","namespace":"org.apache.flink.avro.generated","fields":["#,
        r#"{"name":"window_start","type":{"type":"long","logicalType":"timestamp-millis"}},"#,
        r#"{"name":"window_end","type":{"type":"long","logicalType":"timestamp-millis"}},"#,
        r#"{"name":"order_count","type":"long"},"#,
        r#"{"name":"total_quantity","type":["null","int"],"default":null},"#,
        r#"{"name":"total_amount","type":["null",{"type":"bytes","logicalType":"decimal","precision":38,"scale":2}],"default":null},"#,
        r#"{"name":"partitions","type":["null","long"],"default":null}]}"#
    );
    let client = RegistryClient::new(&url, std::time::Duration::from_secs(5));
    let (_, id) = client.lookup("stats-value", flink_derived).unwrap();
    let registered: serde_json::Value = serde_json::from_str(&client.schema(id).unwrap()).unwrap();
    assert_eq!(
        registered,
        serde_json::from_str::<serde_json::Value>(flink_derived).unwrap()
    );
}

/// Every record of a topic, partition by partition, as (key, value) text.
fn topic_records(log: &EmbeddedLog, topic: &str) -> Vec<(String, String)> {
    let mut records = Vec::new();
    for partition in log.offsets(topic).unwrap() {
        for fetched in log
            .fetch(
                topic,
                partition.partition,
                partition.start,
                usize::MAX,
                std::time::Duration::ZERO,
            )
            .unwrap()
        {
            let text = |b: &[u8]| String::from_utf8(b.to_vec()).unwrap();
            let key = fetched.record.key.as_deref().map(text).unwrap_or_default();
            records.push((key, text(&fetched.record.value)));
        }
    }
    records
}

/// What an upsert topic holds once compacted: the last value per key, tombstones removing it.
fn compacted(records: &[(String, String)]) -> BTreeMap<String, String> {
    let mut table = BTreeMap::new();
    for (key, value) in records {
        if value.is_empty() {
            table.remove(key);
        } else {
            table.insert(key.clone(), value.clone());
        }
    }
    table
}

#[test]
fn upsert_kafka_takes_updates_and_append_only_tables_refuse_them() {
    let log = Arc::new(EmbeddedLog::new());
    log.create_topic(TopicSpec::new("clicks", 3)).unwrap();
    for topic in ["totals", "top", "keyed", "appended"] {
        log.create_topic(TopicSpec::new(topic, 2)).unwrap();
    }
    // 30,000 clicks by 7 users, in several batches per partition (so results update).
    let mut counts: BTreeMap<String, i64> = BTreeMap::new();
    let mut by_user: BTreeMap<String, Vec<i64>> = BTreeMap::new();
    for i in 0..30_000i64 {
        let user = format!("u{}", (i * 31) % 7);
        let score = (i * 7_919) % 100_003;
        *counts.entry(user.clone()).or_default() += 1;
        by_user.entry(user.clone()).or_default().push(score);
        let value = format!(r#"{{"user":"{user}","id":{i},"score":{score}}}"#);
        log.produce_to("clicks", (i % 3) as u32, vec![Record::new(None, Bytes::from(value), i)])
            .unwrap();
    }
    let tables = "CREATE TABLE clicks (`user` STRING, id BIGINT, score BIGINT)
           WITH ('connector' = 'kafka', 'topic' = 'clicks', 'scan.bounded.mode' = 'latest-offset', 'format' = 'json');
         CREATE TABLE totals (`user` STRING, clicks BIGINT, PRIMARY KEY (`user`) NOT ENFORCED)
           WITH ('connector' = 'upsert-kafka', 'topic' = 'totals', 'key.format' = 'json', 'value.format' = 'json');
         CREATE TABLE top (`user` STRING, id BIGINT, score BIGINT, PRIMARY KEY (`user`, id) NOT ENFORCED)
           WITH ('connector' = 'upsert-kafka', 'topic' = 'top', 'key.format' = 'json', 'value.format' = 'json',
                 'value.fields-include' = 'EXCEPT_KEY');
         CREATE TABLE keyed (`user` STRING, id BIGINT)
           WITH ('connector' = 'kafka', 'topic' = 'keyed', 'format' = 'json',
                 'key.format' = 'json', 'key.fields' = 'user');
         CREATE TABLE appended (`user` STRING, clicks BIGINT)
           WITH ('connector' = 'kafka', 'topic' = 'appended', 'format' = 'json');";
    let sql = format!(
        "{tables}
         INSERT INTO totals SELECT `user`, COUNT(*) FROM clicks GROUP BY `user`;
         INSERT INTO top SELECT `user`, id, score FROM (
           SELECT *, ROW_NUMBER() OVER (PARTITION BY `user` ORDER BY score DESC) AS rn FROM clicks
         ) WHERE rn <= 2;
         INSERT INTO keyed SELECT `user`, id FROM clicks WHERE id < 3;
         INSERT INTO appended SELECT `user`, COUNT(*) FROM clicks GROUP BY `user`;"
    );
    let file = parse_file(Path::new("upsert.sql"), &sql).unwrap();
    let refused = common::runtime().block_on(async {
        let mut engine = Engine::new(1).with_log(log.clone());
        let (inserts, declarations): (Vec<_>, Vec<_>) = file
            .statements
            .iter()
            .partition(|s| matches!(s.kind, Statement::Insert(_)));
        for statement in declarations {
            engine.execute(statement).await.unwrap();
        }
        engine.execute(inserts[0]).await.unwrap();
        engine.execute(inserts[1]).await.unwrap();
        engine.execute(inserts[2]).await.unwrap();
        engine.execute(inserts[3]).await.unwrap_err()
    });

    let totals = topic_records(&log, "totals");
    assert!(
        totals.len() > counts.len(),
        "counts were updated: {} records",
        totals.len()
    );
    let expected: BTreeMap<String, String> = counts
        .iter()
        .map(|(user, n)| {
            (
                format!(r#"{{"user":"{user}"}}"#),
                format!(r#"{{"user":"{user}","clicks":{n}}}"#),
            )
        })
        .collect();
    assert_eq!(compacted(&totals), expected);

    let top = topic_records(&log, "top");
    assert!(
        top.iter().any(|(_, v)| v.is_empty()),
        "rows pushed out of the top 2 are deleted"
    );
    let mut expected = BTreeMap::new();
    for (user, scores) in &by_user {
        let mut ranked: Vec<(i64, i64)> = scores.iter().enumerate().map(|(i, s)| (*s, i as i64)).collect();
        ranked.sort_by_key(|r| std::cmp::Reverse(r.0));
        for (score, _) in ranked.iter().take(2) {
            // Ids are recovered from the score: scores are unique.
            let id = (0..30_000i64).find(|i| (i * 7_919) % 100_003 == *score).unwrap();
            expected.insert(
                format!(r#"{{"user":"{user}","id":{id}}}"#),
                format!(r#"{{"score":{score}}}"#),
            );
        }
    }
    assert_eq!(compacted(&top), expected);

    let mut keyed = topic_records(&log, "keyed");
    keyed.sort();
    let expected: Vec<(String, String)> = [(0, "u0"), (1, "u3"), (2, "u6")]
        .into_iter()
        .map(|(id, user)| {
            (
                format!(r#"{{"user":"{user}"}}"#),
                format!(r#"{{"user":"{user}","id":{id}}}"#),
            )
        })
        .collect();
    assert_eq!(keyed, expected, "an append-only table keyed by 'key.fields'");

    let message = refused.to_string();
    assert!(
        message.contains("append-only") && message.contains("upsert-kafka"),
        "{message}"
    );
    assert!(
        topic_records(&log, "appended").is_empty(),
        "nothing written before the refusal"
    );
}

#[test]
fn an_idle_partition_holds_windows_back_until_its_idle_timeout() {
    for (setting, fired) in [("", 0), ("SET 'table.exec.source.idle-timeout' = '100 ms';", 4)] {
        let log = Arc::new(EmbeddedLog::new());
        log.create_topic(TopicSpec::new("events", 2)).unwrap();
        log.create_topic(TopicSpec::new("counts", 1)).unwrap();
        // Five seconds of events, every one in partition 0; partition 1 stays silent.
        for i in 0..50i64 {
            let value = format!(r#"{{"id":{i},"ms":{}}}"#, 1_700_000_000_000i64 + i * 100);
            log.produce_to("events", 0, vec![Record::new(None, Bytes::from(value), i)])
                .unwrap();
        }
        let sql = format!(
            "CREATE TABLE events (id BIGINT, ms BIGINT, ts AS TO_TIMESTAMP_LTZ(ms, 3), WATERMARK FOR ts AS ts)
               WITH ('connector' = 'kafka', 'topic' = 'events', 'format' = 'json');
             CREATE TABLE counts (ws TIMESTAMP(3), c BIGINT)
               WITH ('connector' = 'kafka', 'topic' = 'counts', 'format' = 'json');
             {setting}
             INSERT INTO counts SELECT window_start, COUNT(*)
             FROM TABLE(TUMBLE(TABLE events, DESCRIPTOR(ts), INTERVAL '1' SECOND)) GROUP BY window_start, window_end;"
        );
        let file = parse_file(Path::new("idle.sql"), &sql).unwrap();
        common::runtime().block_on(async {
            let mut engine = Engine::new(1).with_log(log.clone());
            let (insert, setup) = file.statements.split_last().unwrap();
            for statement in setup {
                engine.execute(statement).await.unwrap();
            }
            let jobs = engine.deploy(insert).await.unwrap();
            tokio::time::sleep(std::time::Duration::from_millis(1_500)).await;
            assert_eq!(jobs[0].failure(), None);
            jobs[0].cancel();
        });
        // The watermark reached the last event (4.9 s in): the windows up to 4 s fired.
        let counts = topic_records(&log, "counts");
        assert_eq!(counts.len(), fired, "with {setting:?}: {counts:?}");
        assert!(counts.iter().all(|(_, v)| v.contains(r#""c":10"#)), "{counts:?}");
    }
}

#[test]
fn sources_read_key_columns_and_record_metadata() {
    let log = Arc::new(EmbeddedLog::new());
    log.create_topic(TopicSpec::new("events", 2)).unwrap();
    for i in 0..6i64 {
        let mut record = Record::new(
            Some(Bytes::from(format!(r#"{{"device":"d{}"}}"#, i % 3))),
            Bytes::from(format!(r#"{{"reading":{}}}"#, i * 10)),
            1_700_000_000_000 + i,
        );
        record.headers.push(("trace".into(), Bytes::from(format!("t{i}"))));
        log.produce_all("events", vec![record]).unwrap();
    }
    let sql = "CREATE TABLE events (
           device STRING, reading INT,
           headers MAP<STRING, BYTES> METADATA,
           src STRING METADATA FROM 'topic' VIRTUAL,
           ts_type STRING METADATA FROM 'timestamp-type' VIRTUAL,
           ts TIMESTAMP_LTZ(3) METADATA FROM 'timestamp'
         ) WITH ('connector' = 'kafka', 'topic' = 'events', 'scan.bounded.mode' = 'latest-offset',
                 'key.format' = 'json', 'key.fields' = 'device',
                 'value.format' = 'json', 'value.fields-include' = 'EXCEPT_KEY');
         SELECT device, reading, CAST(headers['trace'] AS STRING), src, ts_type, ts FROM events";
    let file = parse_file(Path::new("keys.sql"), sql).unwrap();
    let rows = common::runtime().block_on(async {
        let mut engine = Engine::new(1).with_log(log.clone());
        engine.execute(&file.statements[0]).await.unwrap();
        text_rows(&pipegen_engine::render::materialize(&engine.query(&file.statements[1]).await.unwrap()).unwrap())
    });
    let mut rows = rows;
    rows.sort();
    // TIMESTAMP_LTZ shows as UTC.
    let mut expected: Vec<String> = (0..6i64)
        .map(|i| {
            format!(
                "d{} | {} | t{i} | events | CreateTime | {}Z",
                i % 3,
                i * 10,
                ts(1_700_000_000_000 + i)
            )
        })
        .collect();
    expected.sort();
    assert_eq!(rows, expected, "key columns from keys, value columns from values");
}

#[test]
fn upsert_kafka_tables_read_as_changelogs_of_their_keys() {
    let log = Arc::new(EmbeddedLog::new());
    log.create_topic(TopicSpec::new("accounts", 3)).unwrap();
    // 3,000 upserts over 40 accounts in 4 regions, some re-sent unchanged, some deleted.
    let mut latest: BTreeMap<i64, (String, i64)> = BTreeMap::new();
    for i in 0..3_000i64 {
        let id = (i * 17) % 40;
        let key = Bytes::from(format!(r#"{{"id":{id}}}"#));
        let value = if i % 11 == 5 {
            latest.remove(&id);
            Bytes::new()
        } else {
            let region = format!("r{}", (i / 7) % 4);
            let balance = if i % 13 == 0 {
                latest.get(&id).map_or(i, |(_, b)| *b) // the same row again, at times
            } else {
                (i * 31) % 1_000
            };
            latest.insert(id, (region.clone(), balance));
            Bytes::from(format!(r#"{{"id":{id},"region":"{region}","balance":{balance}}}"#))
        };
        log.produce_all("accounts", vec![Record::new(Some(key), value, i)])
            .unwrap();
    }
    let sql = "CREATE TABLE accounts (id BIGINT, region STRING, balance BIGINT, PRIMARY KEY (id) NOT ENFORCED)
           WITH ('connector' = 'upsert-kafka', 'topic' = 'accounts', 'scan.bounded.mode' = 'latest-offset',
                 'key.format' = 'json', 'value.format' = 'json');
         SELECT id, region, balance FROM accounts WHERE balance >= 0;
         SELECT region, COUNT(*), SUM(balance) FROM accounts GROUP BY region;
         SELECT window_start, COUNT(*) FROM TABLE(TUMBLE(TABLE accounts, DESCRIPTOR(ts), INTERVAL '1' SECOND))
           GROUP BY window_start";
    let file = parse_file(Path::new("upsert_source.sql"), sql).unwrap();
    let (rows, totals, changelog, window) = common::runtime().block_on(async {
        let mut engine = Engine::new(1).with_log(log.clone());
        engine.execute(&file.statements[0]).await.unwrap();
        let changes = engine.query(&file.statements[1]).await.unwrap();
        let rows = text_rows(&pipegen_engine::render::materialize(&changes).unwrap());
        let changelog = pipegen_engine::render::changelog(&changes).unwrap();
        let totals = engine.query(&file.statements[2]).await.unwrap();
        let totals = text_rows(&pipegen_engine::render::materialize(&totals).unwrap());
        let window = engine.query(&file.statements[3]).await.unwrap_err();
        (rows, totals, changelog, window)
    });

    let mut rows = rows;
    rows.sort();
    let mut expected: Vec<String> = latest
        .iter()
        .map(|(id, (region, balance))| format!("{id} | {region} | {balance}"))
        .collect();
    expected.sort();
    assert_eq!(
        rows, expected,
        "the table folds to each key's latest row, deleted keys gone"
    );

    let mut by_region: BTreeMap<&str, (i64, i64)> = BTreeMap::new();
    for (region, balance) in latest.values() {
        let entry = by_region.entry(region).or_default();
        entry.0 += 1;
        entry.1 += balance;
    }
    let mut totals = totals;
    totals.sort();
    let expected: Vec<String> = by_region
        .iter()
        .map(|(region, (count, sum))| format!("{region} | {count} | {sum}"))
        .collect();
    assert_eq!(
        totals, expected,
        "an aggregate over the changelog retracts replaced rows"
    );

    for kind in ["+I", "-U", "+U", "-D"] {
        assert!(changelog.contains(kind), "{kind} in the changelog");
    }
    let message = window.to_string();
    assert!(message.contains("window over the upsert-kafka table"), "{message}");
}

#[test]
fn plain_avro_reads_what_an_avro_library_wrote_and_round_trips() {
    use apache_avro::types::Value as Avro;
    // The schema Flink derives for the table below: nullable columns are ["null", type].
    let schema = apache_avro::Schema::parse_str(
        r#"{"type": "record", "name": "record", "namespace": "org.apache.flink.avro.generated", "fields": [
          {"name": "id", "type": "long"},
          {"name": "name", "type": ["null", "string"], "default": null},
          {"name": "score", "type": ["null", "double"], "default": null},
          {"name": "ts", "type": ["null", {"type": "long", "logicalType": "timestamp-millis"}], "default": null}
        ]}"#,
    )
    .unwrap();
    let log = Arc::new(EmbeddedLog::new());
    log.create_topic(TopicSpec::new("people", 2)).unwrap();
    log.create_topic(TopicSpec::new("copies", 1)).unwrap();
    let mut expected = Vec::new();
    for i in 0..50i64 {
        let name = (i % 5 != 0).then(|| format!("person-{i}"));
        let record = Avro::Record(vec![
            ("id".into(), Avro::Long(i)),
            (
                "name".into(),
                match &name {
                    Some(n) => Avro::Union(1, Box::new(Avro::String(n.clone()))),
                    None => Avro::Union(0, Box::new(Avro::Null)),
                },
            ),
            ("score".into(), Avro::Union(1, Box::new(Avro::Double(i as f64 / 4.0)))),
            (
                "ts".into(),
                Avro::Union(1, Box::new(Avro::TimestampMillis(1_700_000_000_000 + i))),
            ),
        ]);
        let bytes = apache_avro::to_avro_datum(&schema, record).unwrap();
        log.produce_all("people", vec![Record::new(None, Bytes::from(bytes), i)])
            .unwrap();
        expected.push(format!(
            "{i} | {} | {:?} | {}",
            name.unwrap_or_else(|| "NULL".into()),
            i as f64 / 4.0,
            ts(1_700_000_000_000 + i)
        ));
    }
    expected.sort();
    let sql = "CREATE TABLE people (id BIGINT NOT NULL, name STRING, score DOUBLE, ts TIMESTAMP(3))
           WITH ('connector' = 'kafka', 'topic' = 'people', 'scan.bounded.mode' = 'latest-offset', 'format' = 'avro');
         CREATE TABLE copies (id BIGINT NOT NULL, name STRING, score DOUBLE, ts TIMESTAMP(3))
           WITH ('connector' = 'kafka', 'topic' = 'copies', 'scan.bounded.mode' = 'latest-offset', 'format' = 'avro');
         SELECT * FROM people;
         INSERT INTO copies SELECT * FROM people;
         SELECT * FROM copies;";
    let file = parse_file(Path::new("avro.sql"), sql).unwrap();
    let (read, copied) = common::runtime().block_on(async {
        let mut engine = Engine::new(1).with_log(log.clone());
        engine.execute(&file.statements[0]).await.unwrap();
        engine.execute(&file.statements[1]).await.unwrap();
        let read =
            text_rows(&pipegen_engine::render::materialize(&engine.query(&file.statements[2]).await.unwrap()).unwrap());
        engine.execute(&file.statements[3]).await.unwrap();
        let copied =
            text_rows(&pipegen_engine::render::materialize(&engine.query(&file.statements[4]).await.unwrap()).unwrap());
        (read, copied)
    });
    let mut read = read;
    read.sort();
    assert_eq!(read, expected, "the datum alone, in the table's schema");
    let mut copied = copied;
    copied.sort();
    assert_eq!(copied, expected, "written as 'avro' and read back");
}

#[test]
fn window_ranks_fire_as_the_watermark_passes_on_an_unbounded_source() {
    for (name, query) in [
        (
            "aggregate",
            "INSERT INTO out SELECT window_start, COUNT(*) FROM TABLE(TUMBLE(TABLE events, DESCRIPTOR(ts), INTERVAL '1' SECOND)) GROUP BY window_start, window_end;",
        ),
        (
            "dedup",
            "INSERT INTO out SELECT window_start, id FROM (SELECT *, ROW_NUMBER() OVER (PARTITION BY window_start, window_end ORDER BY ts ASC) AS rn FROM TABLE(TUMBLE(TABLE events, DESCRIPTOR(ts), INTERVAL '1' SECOND))) WHERE rn = 1;",
        ),
        (
            "dedup per key",
            "INSERT INTO out SELECT window_start, id FROM (SELECT *, ROW_NUMBER() OVER (PARTITION BY window_start, window_end, k ORDER BY ts ASC) AS rn FROM TABLE(TUMBLE(TABLE events, DESCRIPTOR(ts), INTERVAL '1' SECOND))) WHERE rn = 1;",
        ),
        (
            "topn",
            "INSERT INTO out SELECT window_start, c FROM (SELECT *, ROW_NUMBER() OVER (PARTITION BY window_start, window_end ORDER BY c DESC) AS rn FROM (SELECT window_start, window_end, id % 3 AS k, COUNT(*) AS c FROM TABLE(TUMBLE(TABLE events, DESCRIPTOR(ts), INTERVAL '1' SECOND)) GROUP BY window_start, window_end, id % 3)) WHERE rn <= 1;",
        ),
    ] {
        let log = Arc::new(EmbeddedLog::new());
        log.create_topic(TopicSpec::new("events", 2)).unwrap();
        log.create_topic(TopicSpec::new("out", 1)).unwrap();
        for i in 0..50i64 {
            let value = format!(r#"{{"id":{i},"ms":{},"k":0}}"#, 1_700_000_000_000i64 + i * 100);
            log.produce_to("events", (i % 2) as u32, vec![Record::new(None, Bytes::from(value), i)])
                .unwrap();
        }
        let sql = format!(
            "CREATE TABLE events (id BIGINT, ms BIGINT, k BIGINT, ts AS TO_TIMESTAMP_LTZ(ms, 3), WATERMARK FOR ts AS ts)
               WITH ('connector' = 'kafka', 'topic' = 'events', 'format' = 'json');
             CREATE TABLE out (ws TIMESTAMP(3), c BIGINT)
               WITH ('connector' = 'kafka', 'topic' = 'out', 'format' = 'json');
             {query}"
        );
        let file = parse_file(Path::new("rank.sql"), &sql).unwrap();
        common::runtime().block_on(async {
            let mut engine = Engine::new(1).with_log(log.clone());
            let (insert, setup) = file.statements.split_last().unwrap();
            for statement in setup {
                engine.execute(statement).await.unwrap();
            }
            let jobs = engine.deploy(insert).await.unwrap();
            tokio::time::sleep(std::time::Duration::from_millis(1_500)).await;
            assert_eq!(jobs[0].failure(), None);
            jobs[0].cancel();
        });
        let rows = topic_records(&log, "out");
        assert_eq!(rows.len(), 4, "{name}: the windows up to 4 s fired: {rows:?}");
    }
}
