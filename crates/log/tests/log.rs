//! The embedded log, as producers and consumers use it.

use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use pipegen_log::{EmbeddedLog, LogError, Record, Retention, TopicSpec, partition_for_key};

fn record(key: Option<&str>, value: &str) -> Record {
    Record::new(
        key.map(|k| Bytes::copy_from_slice(k.as_bytes())),
        Bytes::copy_from_slice(value.as_bytes()),
        1_000,
    )
}

const NO_WAIT: Duration = Duration::ZERO;

#[test]
fn topics_are_created_described_and_deleted() {
    let log = EmbeddedLog::new();
    log.create_topic(TopicSpec::new("orders", 3)).unwrap();
    assert_eq!(
        log.create_topic(TopicSpec::new("orders", 3)),
        Err(LogError::TopicExists("orders".into()))
    );
    assert_eq!(
        log.create_topic(TopicSpec::new("empty", 0)),
        Err(LogError::NoPartitions)
    );
    assert_eq!(log.topics().len(), 1);
    assert_eq!(log.offsets("orders").unwrap().len(), 3);
    log.delete_topic("orders").unwrap();
    assert!(matches!(
        log.produce("orders", record(None, "x")),
        Err(LogError::UnknownTopic(_))
    ));
    assert!(log.delete_topic("orders").is_err());
}

#[test]
fn keyed_records_go_where_kafka_would_put_them_and_keep_their_order() {
    let log = EmbeddedLog::new();
    log.create_topic(TopicSpec::new("t", 6)).unwrap();
    for i in 0..100 {
        let key = format!("customer-{}", i % 10);
        let appended = log.produce("t", record(Some(&key), &i.to_string())).unwrap();
        assert_eq!(appended.partition, partition_for_key(key.as_bytes(), 6));
    }
    let total: u64 = log.offsets("t").unwrap().iter().map(|o| o.end).sum();
    assert_eq!(total, 100);
    // Within a partition, one key's records come back in the order they were produced.
    let p = partition_for_key(b"customer-3", 6);
    let values: Vec<u32> = log
        .fetch("t", p, 0, 1000, NO_WAIT)
        .unwrap()
        .iter()
        .filter(|f| f.record.key.as_deref() == Some(b"customer-3".as_slice()))
        .map(|f| std::str::from_utf8(&f.record.value).unwrap().parse().unwrap())
        .collect();
    assert_eq!(values, (0..10).map(|i| i * 10 + 3).collect::<Vec<_>>());
}

#[test]
fn keyless_records_round_robin() {
    let log = EmbeddedLog::new();
    log.create_topic(TopicSpec::new("t", 3)).unwrap();
    for i in 0..9 {
        log.produce("t", record(None, &i.to_string())).unwrap();
    }
    assert!(log.offsets("t").unwrap().iter().all(|o| o.end == 3));
}

#[test]
fn fetch_reads_from_an_offset_and_shares_the_bytes() {
    let log = EmbeddedLog::new();
    log.create_topic(TopicSpec::new("t", 1)).unwrap();
    let value = Bytes::from_static(b"payload");
    let mut with_header = Record::new(None, value.clone(), 42);
    with_header
        .headers
        .push(("trace-id".into(), Bytes::from_static(&[0, 1])));
    log.produce_to("t", 0, vec![record(None, "a"), with_header, record(None, "c")])
        .unwrap();
    let fetched = log.fetch("t", 0, 1, 10, NO_WAIT).unwrap();
    assert_eq!(fetched.iter().map(|f| f.offset).collect::<Vec<_>>(), [1, 2]);
    assert_eq!(fetched[0].record.headers[0].0, "trace-id");
    assert_eq!(fetched[0].record.timestamp_ms, 42);
    assert_eq!(
        fetched[0].record.value.as_ptr(),
        value.as_ptr(),
        "no copy between producer and consumer"
    );
    assert!(
        log.fetch("t", 0, 3, 10, NO_WAIT).unwrap().is_empty(),
        "at the end: nothing yet"
    );
    assert!(matches!(
        log.fetch("t", 0, 4, 10, NO_WAIT),
        Err(LogError::OffsetOutOfRange { .. })
    ));
    assert!(matches!(
        log.fetch("t", 1, 0, 10, NO_WAIT),
        Err(LogError::UnknownPartition { .. })
    ));
}

#[test]
fn a_waiting_consumer_wakes_when_a_record_arrives() {
    let log = Arc::new(EmbeddedLog::new());
    log.create_topic(TopicSpec::new("t", 1)).unwrap();
    let reader = {
        let log = log.clone();
        std::thread::spawn(move || log.fetch("t", 0, 0, 10, Duration::from_secs(30)).unwrap())
    };
    std::thread::sleep(Duration::from_millis(20));
    log.produce("t", record(None, "hello")).unwrap();
    let fetched = reader.join().unwrap();
    assert_eq!(
        fetched.len(),
        1,
        "the fetch returned with the record, well before its 30 s limit"
    );
}

#[test]
fn retention_bounds_memory_and_says_what_it_removed() {
    let log = EmbeddedLog::new();
    let mut spec = TopicSpec::new("t", 1);
    spec.retention = Retention {
        bytes_per_partition: Some(1000),
        time: None,
    };
    log.create_topic(spec).unwrap();
    for _ in 0..50 {
        log.produce("t", Record::new(None, Bytes::from(vec![0u8; 100]), 0))
            .unwrap();
    }
    let offsets = log.offsets("t").unwrap()[0];
    assert!(offsets.bytes.is_some_and(|b| b <= 1000), "{offsets:?}");
    assert_eq!((offsets.end, offsets.evicted, offsets.start), (50, 40, 40));
    let err = log.fetch("t", 0, 0, 10, NO_WAIT).unwrap_err();
    assert!(err.to_string().contains("retention removed"), "{err}");
    assert_eq!(log.fetch("t", 0, 40, 100, NO_WAIT).unwrap().len(), 10);

    let mut spec = TopicSpec::new("aged", 1);
    spec.retention = Retention {
        bytes_per_partition: None,
        time: Some(Duration::ZERO),
    };
    log.create_topic(spec).unwrap();
    log.produce_to("aged", 0, (0..5).map(|i| record(None, &i.to_string())).collect())
        .unwrap();
    std::thread::sleep(Duration::from_millis(2));
    log.produce("aged", record(None, "last")).unwrap();
    let offsets = log.offsets("aged").unwrap()[0];
    assert_eq!(
        (offsets.start, offsets.end),
        (5, 6),
        "only the newest record outlives a zero retention time"
    );
}

#[test]
fn consumer_groups_commit_and_have_lag() {
    let log = EmbeddedLog::new();
    log.create_topic(TopicSpec::new("t", 2)).unwrap();
    log.produce_to("t", 0, (0..10).map(|i| record(None, &i.to_string())).collect())
        .unwrap();
    log.produce_to("t", 1, (0..4).map(|i| record(None, &i.to_string())).collect())
        .unwrap();
    assert_eq!(log.lag("g", "t").unwrap(), [(0, 10), (1, 4)]);
    log.commit("g", "t", 0, 7).unwrap();
    assert_eq!(log.committed("g", "t", 0), Some(7));
    assert_eq!(log.lag("g", "t").unwrap(), [(0, 3), (1, 4)]);
    log.delete_topic("t").unwrap();
    assert_eq!(log.committed("g", "t", 0), None);
}

#[test]
fn many_producers_and_a_consumer_see_every_record_once() {
    let log = Arc::new(EmbeddedLog::new());
    log.create_topic(TopicSpec::new("t", 4)).unwrap();
    let producers: Vec<_> = (0..4)
        .map(|p| {
            let log = log.clone();
            std::thread::spawn(move || {
                for i in 0..10_000 {
                    log.produce("t", record(Some(&format!("{p}-{}", i % 100)), &format!("{p}:{i}")))
                        .unwrap();
                }
            })
        })
        .collect();
    producers.into_iter().for_each(|p| p.join().unwrap());
    let mut seen = std::collections::HashSet::new();
    for partition in 0..4 {
        let mut offset = 0;
        loop {
            let batch = log.fetch("t", partition, offset, 5000, NO_WAIT).unwrap();
            if batch.is_empty() {
                break;
            }
            offset = batch.last().unwrap().offset + 1;
            for f in batch {
                assert!(seen.insert(f.record.value.clone()), "duplicate {:?}", f.record.value);
            }
        }
    }
    assert_eq!(seen.len(), 40_000);
}
