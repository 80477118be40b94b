//! A stream that follows another: its records carry the leader's keys, a share of them, each a
//! delay after its leader, sent when due.

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::AtomicBool;
use std::time::{Duration, Instant};

use pipegen_config::Rate;
use pipegen_loadgen::driver::{drive, follow};
use pipegen_loadgen::metrics::{Percentiles, Recorder};
use pipegen_loadgen::plan::RatePlan;
use pipegen_loadgen::sink::MemorySink;
use pipegen_loadgen::{Format, GeneratorOptions, Leads, RecordGenerator, References};

const ORDERS: &str = r#"{"type": "record", "name": "Order", "fields": [
    {"name": "order_id", "type": {"type": "string", "logicalType": "uuid"}},
    {"name": "serial", "type": "long", "arg.properties": {"iteration": {"start": 1}}},
    {"name": "ordered_at", "type": "long"},
    {"name": "coupon", "type": ["null", "string"]}
]}"#;

fn payments(hints: &str) -> String {
    format!(
        r#"{{"type": "record", "name": "Payment", "fields": [
            {{"name": "payment_id", "type": "long"}},
            {{"name": "order_id", "type": "string", "arg.properties": {{{hints}}}}},
            {{"name": "paid_at", "type": "long"}}
        ]}}"#
    )
}

fn references() -> References {
    let mut references = References::default();
    references.add_table("orders", ORDERS, None);
    references
}

fn generator(schema: &str) -> Result<RecordGenerator, pipegen_loadgen::GeneratorError> {
    RecordGenerator::new(
        schema,
        Format::Json,
        GeneratorOptions {
            seed: 11,
            references: references(),
            ..GeneratorOptions::default()
        },
    )
}

fn json_records(sink: &MemorySink) -> Vec<serde_json::Value> {
    sink.records
        .iter()
        .map(|(_, value, _)| serde_json::from_slice(value).unwrap())
        .collect()
}

/// What sending a leader and its follower gave.
struct Sent {
    orders: MemorySink,
    payments: MemorySink,
    recorder: Arc<Recorder>,
    /// From the leader's end to the follower's.
    follower_outlived_leader: Duration,
}

/// Sends `plan` from `orders` and, on a thread of its own, the payments that follow them;
/// `stop_at_leaders_end` tells the follower to stop once the leader is done, else the leader's
/// end (its generator dropped) tells it no more leads come.
fn send(
    mut orders: RecordGenerator,
    mut payments: RecordGenerator,
    leads: Leads,
    plan: &RatePlan,
    keep: bool,
    stop_at_leaders_end: bool,
) -> Sent {
    let recorder = Arc::new(Recorder::new(Instant::now(), plan.duration));
    let stop = AtomicBool::new(false);
    let (mut order_sink, mut payment_sink) = (MemorySink::new(keep), MemorySink::new(keep));
    let second = Duration::from_secs(1);
    let mut follower_outlived_leader = Duration::ZERO;
    std::thread::scope(|scope| {
        let follower = scope.spawn(|| follow(leads, &mut payments, &mut payment_sink, &recorder, &stop, second));
        drive(plan, &mut orders, &mut order_sink, &recorder, &stop, second).unwrap();
        if stop_at_leaders_end {
            stop.store(true, std::sync::atomic::Ordering::SeqCst);
        }
        drop(orders);
        let leader_ended = Instant::now();
        follower.join().unwrap().unwrap();
        follower_outlived_leader = leader_ended.elapsed();
    });
    Sent {
        orders: order_sink,
        payments: payment_sink,
        recorder,
        follower_outlived_leader,
    }
}

#[test]
fn followers_carry_their_leaders_keys_a_share_of_them_each_a_delay_later() {
    let mut orders = generator(ORDERS).unwrap();
    let payments = generator(&payments(
        r#""follows": "orders.order_id", "share": 0.6, "delay": {"min": "20ms", "max": "80ms"}"#,
    ))
    .unwrap();
    let spec = payments.follows().cloned().expect("a follower");
    assert_eq!(
        (spec.leader.as_str(), spec.leader_field.as_str()),
        ("orders", "order_id")
    );
    let leads = orders.lead(&spec).unwrap();
    let plan = RatePlan::new(Rate::PerSecond(2000.0), Duration::from_millis(1500), None, None).unwrap();
    let Sent {
        orders: order_sink,
        payments: payment_sink,
        recorder,
        follower_outlived_leader,
    } = send(orders, payments, leads, &plan, true, false);
    // The follower ends once its last lead (due at most 80 ms after the leader's last record)
    // is sent, without being told to stop.
    assert!(
        follower_outlived_leader < Duration::from_secs(2),
        "{follower_outlived_leader:?}"
    );

    let orders: HashMap<String, i64> = json_records(&order_sink)
        .iter()
        .map(|o| {
            (
                o["order_id"].as_str().unwrap().to_owned(),
                o["ordered_at"].as_i64().unwrap(),
            )
        })
        .collect();
    assert_eq!(orders.len(), 3000, "every order id is distinct");
    let payments = json_records(&payment_sink);
    // Binomial(3000, 0.6): 1,800, sd 26.8; 5 sd either side.
    assert!((1666..=1934).contains(&payments.len()), "{} payments", payments.len());
    let mut previous = i64::MIN;
    let mut paid = std::collections::HashSet::new();
    for payment in &payments {
        let order_id = payment["order_id"].as_str().unwrap();
        let ordered = *orders.get(order_id).expect("a payment's order was sent");
        let paid_at = payment["paid_at"].as_i64().unwrap();
        assert!(
            (20..=80).contains(&(paid_at - ordered)),
            "paid {} ms after",
            paid_at - ordered
        );
        assert!(paid_at >= previous, "payments go in the order they are due");
        previous = paid_at;
        assert!(paid.insert(order_id.to_owned()), "one payment per order");
    }
    // Counted apart from the plan, whose achieved rate they do not dilute.
    let totals = recorder.report(&plan).totals;
    assert_eq!(
        (totals.sent, totals.following),
        (3000 + payments.len() as u64, payments.len() as u64)
    );
    assert_eq!(totals.planned, Some(3000));
    // Sent when due: the publish delay (send time against due time) stays small.
    let delay = Percentiles::of(&recorder.latency_histograms().publish_delay);
    assert!(delay.p99.unwrap() < 50.0, "publish delay p99 {:?} ms", delay.p99);
}

#[test]
fn a_follower_stops_when_told_even_with_leads_waiting() {
    let mut orders = generator(ORDERS).unwrap();
    let payments = generator(&payments(
        r#""follows": "orders.order_id", "delay": {"min": "1h", "max": "2h"}"#,
    ))
    .unwrap();
    let leads = orders.lead(payments.follows().unwrap()).unwrap();
    let plan = RatePlan::new(Rate::PerSecond(100.0), Duration::from_millis(200), None, None).unwrap();
    let sent = send(orders, payments, leads, &plan, false, true);
    assert!(
        sent.follower_outlived_leader < Duration::from_secs(1),
        "{:?}",
        sent.follower_outlived_leader
    );
    assert_eq!(sent.orders.count, 20);
    assert_eq!(sent.payments.count, 0, "nothing was due yet");
}

#[test]
fn a_follow_hint_that_cannot_work_is_refused_with_what_to_do() {
    let cases = [
        (payments(r#""follows": "orders""#), "not `table.field`"),
        (payments(r#""share": 0.5"#), "without `follows`"),
        (
            payments(r#""follows": "orders.order_id", "share": 1.5"#),
            "`share` must be",
        ),
        (
            payments(r#""follows": "orders.order_id", "delay": {"min": "2s", "max": "1s"}"#),
            "min <= max",
        ),
        (
            payments(r#""follows": "orders.order_id", "delay": {"max": 12}"#),
            "with its unit",
        ),
        (
            payments(r#""follows": "orders.order_id", "references": "orders.order_id""#),
            "`follows` and `references`",
        ),
    ];
    for (schema, wanted) in cases {
        let error = generator(&schema).err().unwrap_or_else(|| panic!("accepted: {schema}"));
        assert!(error.message.contains(wanted), "{wanted}: {}", error.message);
        assert!(!error.hint.is_empty());
    }
    // What the leader lacks is found when the two are paired.
    let mut orders = generator(ORDERS).unwrap();
    for (schema, wanted) in [
        (payments(r#""follows": "orders.nope""#), "has no field `nope`"),
        (
            payments(r#""follows": "orders.coupon""#),
            "not a non-null int, long or string",
        ),
    ] {
        let follower = generator(&schema).unwrap();
        let error = orders.lead(follower.follows().unwrap()).err().unwrap();
        assert!(error.message.contains(wanted), "{wanted}: {}", error.message);
    }
    let numeric = r#"{"type": "record", "name": "P", "fields": [
        {"name": "order_id", "type": "long", "arg.properties": {"follows": "orders.order_id"}}]}"#;
    let error = orders
        .lead(generator(numeric).unwrap().follows().unwrap())
        .err()
        .unwrap();
    assert!(error.message.contains("is a number but follows"), "{}", error.message);
}
