//! Fields held still per key (`per` hints): the same key always comes with the same values,
//! in one table and across the tables of one run.

use std::collections::{HashMap, HashSet};

use pipegen_loadgen::{Format, GeneratorOptions, RecordGenerator};
use serde_json::Value;

const ORDERS: &str = r#"{"type": "record", "name": "Order", "fields": [
    {"name": "order_id", "type": "long", "arg.properties": {"iteration": {"start": 1}}},
    {"name": "customer_id", "type": "long", "arg.properties": {"key_space": 40}},
    {"name": "customer_name", "type": "string", "arg.properties": {"per": "customer_id"}},
    {"name": "tier", "type": "string", "arg.properties": {"options": ["basic", "silver", "gold"], "per": "customer_id"}},
    {"name": "address", "type": {"type": "record", "name": "Address", "fields": [
        {"name": "city", "type": "string"}, {"name": "zip", "type": "string"}]},
     "arg.properties": {"per": "customer_id"}},
    {"name": "amount", "type": "double", "arg.properties": {"range": {"min": 1, "max": 500}}}
]}"#;

const CUSTOMERS: &str = r#"{"type": "record", "name": "Customer", "fields": [
    {"name": "customer_id", "type": "long", "arg.properties": {"range": {"min": 1, "max": 41}}},
    {"name": "customer_name", "type": "string", "arg.properties": {"per": "customer_id"}}
]}"#;

fn records(schema: &str, seed: u64, shared_seed: u64, count: usize) -> Vec<Value> {
    let mut generator = RecordGenerator::new(
        schema,
        Format::Json,
        GeneratorOptions {
            seed,
            shared_seed,
            ..GeneratorOptions::default()
        },
    )
    .unwrap();
    let (mut key, mut value) = (Vec::new(), Vec::new());
    (0..count)
        .map(|i| {
            generator.next_record(i as i64 * 1000, &mut key, &mut value);
            serde_json::from_slice(&value).unwrap()
        })
        .collect()
}

#[test]
fn a_key_always_comes_with_the_same_values_and_other_fields_still_vary() {
    let orders = records(ORDERS, 1, 99, 4000);
    let mut seen: HashMap<i64, (Value, Value, Value)> = HashMap::new();
    for order in &orders {
        let held = (
            order["customer_name"].clone(),
            order["tier"].clone(),
            order["address"].clone(),
        );
        let first = seen
            .entry(order["customer_id"].as_i64().unwrap())
            .or_insert(held.clone());
        assert_eq!(*first, held, "customer {}", order["customer_id"]);
    }
    assert_eq!(seen.len(), 40, "every customer came");
    let names: HashSet<_> = seen.values().map(|v| v.0.to_string()).collect();
    let tiers: HashSet<_> = seen.values().map(|v| v.1.to_string()).collect();
    assert!(names.len() > 20, "customers differ from each other: {names:?}");
    assert_eq!(tiers.len(), 3, "{tiers:?}");
    let amounts: HashSet<_> = orders
        .iter()
        .filter(|o| o["customer_id"] == 1)
        .map(|o| o["amount"].to_string())
        .collect();
    assert!(
        amounts.len() > 10,
        "a field without `per` still varies per key: {amounts:?}"
    );
}

#[test]
fn tables_of_one_run_agree_on_a_keys_values_and_runs_differ() {
    let names = |schema: &str, seed: u64, shared: u64| -> HashMap<i64, String> {
        records(schema, seed, shared, 3000)
            .iter()
            .map(|r| {
                (
                    r["customer_id"].as_i64().unwrap(),
                    r["customer_name"].as_str().unwrap().to_owned(),
                )
            })
            .collect()
    };
    let orders = names(ORDERS, 1, 7);
    let customers = names(CUSTOMERS, 2, 7);
    assert_eq!(orders.len(), 40);
    assert_eq!(orders, customers, "the same name for the same customer in both tables");
    let other_run = names(CUSTOMERS, 2, 8);
    assert_ne!(customers, other_run, "another run's seed, other names");
}

#[test]
fn a_per_hint_that_cannot_hold_is_refused_with_what_to_do() {
    let schema = |fields: &str| format!(r#"{{"type": "record", "name": "R", "fields": [{fields}]}}"#);
    for (fields, wanted) in [
        (
            r#"{"name": "name", "type": "string", "arg.properties": {"per": "customer_id"}},
               {"name": "customer_id", "type": "long"}"#,
            "not a field before it",
        ),
        (
            r#"{"name": "customer_id", "type": "long"},
               {"name": "n", "type": "long", "arg.properties": {"iteration": {"start": 1}, "per": "customer_id"}}"#,
            "counts up with every record",
        ),
        (
            r#"{"name": "customer_id", "type": "long"},
               {"name": "inner", "type": {"type": "record", "name": "I", "fields": [
                   {"name": "x", "type": "string", "arg.properties": {"per": "customer_id"}}]}}"#,
            "nested field",
        ),
        (
            r#"{"name": "customer_id", "type": "long", "arg.properties": {"per": ""}}"#,
            "must name an earlier field",
        ),
    ] {
        let error = RecordGenerator::new(&schema(fields), Format::Json, GeneratorOptions::default())
            .err()
            .unwrap_or_else(|| panic!("accepted: {fields}"));
        assert!(error.message.contains(wanted), "{wanted}: {}", error.message);
        assert!(!error.hint.is_empty());
    }
}
