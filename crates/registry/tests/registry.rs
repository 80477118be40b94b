//! The client against the embedded registry over real HTTP on loopback.

use std::time::Duration;

use pipegen_registry::{CONTENT_TYPE, EmbeddedRegistry, RegistryClient, topic_subject};

const V1: &str = r#"{"type":"record","name":"Order","fields":[{"name":"id","type":"long"}]}"#;
const V2: &str = r#"{"type":"record","name":"Order","fields":[{"name":"id","type":"long"},{"name":"note","type":"string","default":""}]}"#;
const BREAKING: &str = r#"{"type":"record","name":"Order","fields":[{"name":"id","type":"string"}]}"#;

fn start() -> (EmbeddedRegistry, RegistryClient) {
    let registry = EmbeddedRegistry::start("127.0.0.1:0".parse().unwrap()).unwrap();
    let client = RegistryClient::new(&registry.url(), Duration::from_secs(5));
    (registry, client)
}

#[test]
fn serves_on_loopback_only_by_default() {
    let (registry, _) = start();
    assert!(registry.address().ip().is_loopback());
}

#[test]
fn registers_looks_up_checks_and_deletes() {
    let (_registry, client) = start();
    let subject = topic_subject("shop.orders", false);
    assert_eq!(subject, "shop.orders-value");
    assert_eq!(client.subjects().unwrap(), Vec::<String>::new());
    let id = client.register(&subject, V1).unwrap();
    assert_eq!(
        client.register(&subject, V1).unwrap(),
        id,
        "registering again returns the same id"
    );
    assert_eq!(
        client.register("other-value", V1).unwrap(),
        id,
        "the same schema has one id"
    );
    assert!(client.is_compatible(&subject, V2).unwrap());
    assert!(!client.is_compatible(&subject, BREAKING).unwrap());
    assert!(
        client.is_compatible("new-subject-value", BREAKING).unwrap(),
        "a new subject accepts anything"
    );
    let id2 = client.register(&subject, V2).unwrap();
    assert_ne!(id2, id);
    assert_eq!(client.lookup(&subject, V2).unwrap(), (2, id2));

    let err = client.register(&subject, BREAKING).unwrap_err();
    assert!(err.is_incompatible(), "{err}");
    assert!(err.to_string().contains("incompatible"), "{err}");

    let fresh = RegistryClient::new(&_registry.url(), Duration::from_secs(5));
    assert_eq!(fresh.schema(id2).unwrap(), V2, "by id, over HTTP");
    assert_eq!(client.delete_subject(&subject).unwrap(), vec![1, 2]);
    let err = client.lookup(&subject, V1).unwrap_err();
    assert!(err.is_not_found() && err.to_string().contains("40401"), "{err}");
    assert_eq!(client.subjects().unwrap(), ["other-value"]);
}

#[test]
fn speaks_confluents_wire_format() {
    let (registry, _) = start();
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .build()
        .new_agent();
    let body = serde_json::json!({ "schema": V1 }).to_string();
    let mut response = agent
        .post(&format!("{}/subjects/t-value/versions", registry.url()))
        .header("Content-Type", CONTENT_TYPE)
        .send(&body)
        .unwrap();
    assert_eq!(response.status().as_u16(), 200);
    assert_eq!(response.headers().get("content-type").unwrap(), CONTENT_TYPE);
    assert_eq!(response.body_mut().read_to_string().unwrap(), r#"{"id":1}"#);

    let mut response = agent
        .get(&format!("{}/subjects/t-value/versions/latest", registry.url()))
        .call()
        .unwrap();
    let latest: serde_json::Value = serde_json::from_str(&response.body_mut().read_to_string().unwrap()).unwrap();
    assert_eq!(
        (
            latest["subject"].as_str(),
            latest["version"].as_u64(),
            latest["id"].as_u64()
        ),
        (Some("t-value"), Some(1), Some(1))
    );

    let mut response = agent
        .post(&format!("{}/subjects/t-value/versions", registry.url()))
        .header("Content-Type", "application/json")
        .send("{\"schema\": \"{not avro\"}")
        .unwrap();
    assert_eq!(response.status().as_u16(), 422);
    let error: serde_json::Value = serde_json::from_str(&response.body_mut().read_to_string().unwrap()).unwrap();
    assert_eq!(error["error_code"], 42201);

    let response = agent.get(&format!("{}/schemas/ids/99", registry.url())).call().unwrap();
    assert_eq!(response.status().as_u16(), 404);
}

#[test]
fn the_connectivity_probe_recognises_it() {
    let (registry, client) = start();
    client.register("a-value", V1).unwrap();
    let probe = pipegen_health::probe_registry(&registry.url(), Duration::from_secs(5));
    assert_eq!(probe.outcome, Ok("1 subject".to_owned()));
}

#[test]
fn an_unreachable_registry_is_named() {
    let registry = EmbeddedRegistry::start("127.0.0.1:0".parse().unwrap()).unwrap();
    let url = registry.url();
    drop(registry);
    let err = RegistryClient::new(&url, Duration::from_secs(2))
        .subjects()
        .unwrap_err();
    assert!(
        err.to_string().contains(&url) && err.to_string().contains("not reachable"),
        "{err}"
    );
}
