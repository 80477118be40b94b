//! The embedded registry against Confluent's documented REST API: driven by Confluent's own
//! Python client, by raw HTTP for what a client does not send (error bodies, hostile Host,
//! Origin and content types), and restarted on a journal it kept its schemas in.

use std::process::Command;
use std::time::Duration;

use pipegen_registry::{EmbeddedRegistry, MemoryJournal, RegistryClient};
use serde_json::{Value, json};

const V1: &str = r#"{"type":"record","name":"Order","fields":[{"name":"id","type":"long"}]}"#;
const V2: &str = r#"{"type":"record","name":"Order","fields":[{"name":"id","type":"long"},{"name":"note","type":"string","default":""}]}"#;

fn start() -> EmbeddedRegistry {
    EmbeddedRegistry::start("127.0.0.1:0".parse().unwrap()).unwrap()
}

fn agent() -> ureq::Agent {
    ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_global(Some(Duration::from_secs(10)))
        .build()
        .new_agent()
}

/// A request with the given headers; returns the status and the body as JSON (or a string).
fn send(method: &str, url: &str, headers: &[(&str, &str)], body: Option<&str>) -> (u16, Value) {
    let mut request = ureq::http::Request::builder().method(method).uri(url);
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    let mut response = match body {
        Some(body) => agent().run(request.body(body.to_owned()).unwrap()),
        None => agent().run(request.body(()).unwrap()),
    }
    .expect("the registry answers");
    let status = response.status().as_u16();
    let text = response.body_mut().read_to_string().unwrap();
    (status, serde_json::from_str(&text).unwrap_or(Value::String(text)))
}

fn json_body(schema: &str) -> String {
    json!({ "schema": schema }).to_string()
}

const JSON: (&str, &str) = ("content-type", "application/vnd.schemaregistry.v1+json");

#[test]
fn confluents_python_client_finds_confluents_api() {
    let python = std::env::var("PIPEGEN_TEST_PYTHON").unwrap_or_else(|_| {
        panic!("PIPEGEN_TEST_PYTHON is not set: run the tests with `bash scripts/test.sh`, or export what `bash scripts/install-test-tools.sh` prints")
    });
    let registry = start();
    let script = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/support/confluent_client.py");
    let output = Command::new(python)
        .arg(script)
        .arg(registry.url())
        .output()
        .expect("the tools' python runs");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success() && stdout.contains("all checks passed"),
        "--- stdout\n{stdout}\n--- stderr\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
}

#[test]
fn every_error_has_confluents_body() {
    let registry = start();
    let url = registry.url();
    let (status, _) = send(
        "POST",
        &format!("{url}/subjects/s-value/versions"),
        &[JSON],
        Some(&json_body(V1)),
    );
    assert_eq!(status, 200);
    for (method, path, body, status, code) in [
        ("GET", "/subjects/s-value/versions/0", None, 422, 42202),
        ("GET", "/subjects/s-value/versions/abc", None, 422, 42202),
        ("GET", "/subjects/s-value/versions/9", None, 404, 40402),
        ("GET", "/subjects/nobody/versions/1", None, 404, 40401),
        (
            "POST",
            "/compatibility/subjects/s-value/versions/9",
            Some(V2),
            404,
            40402,
        ),
        (
            "POST",
            "/compatibility/subjects/nobody/versions/latest",
            Some(V2),
            404,
            40401,
        ),
        ("GET", "/config/s-value", None, 404, 40408),
        ("GET", "/schemas/ids/77", None, 404, 40403),
        ("GET", "/schemas/ids/x", None, 404, 40403),
        ("GET", "/schemas/ids/77/subjects", None, 404, 40403),
        ("GET", "/mode/s-value", None, 404, 40409),
        ("GET", "/no/such/route", None, 404, 404),
        ("PATCH", "/subjects", None, 405, 405),
        ("DELETE", "/subjects/s-value?permanent=true", None, 404, 40405),
        (
            "DELETE",
            "/subjects/s-value/versions/1?permanent=true",
            None,
            404,
            40407,
        ),
        ("POST", "/subjects/s-value/versions", Some("{nope"), 422, 42201),
    ] {
        let body = body.map(json_body);
        let (got, answer) = send(method, &format!("{url}{path}"), &[JSON], body.as_deref());
        assert_eq!(
            (got, answer["error_code"].as_u64()),
            (status, Some(code as u64)),
            "{method} {path}: {answer}"
        );
        assert!(answer["message"].as_str().is_some_and(|m| !m.is_empty()), "{answer}");
    }
    for (path, expected) in [
        ("/schemas/types", json!(["AVRO"])),
        ("/schemas/ids/1/subjects", json!(["s-value"])),
        (
            "/schemas/ids/1/versions",
            json!([{ "subject": "s-value", "version": 1 }]),
        ),
        ("/mode", json!({ "mode": "READWRITE" })),
        ("/contexts", json!(["."])),
        (
            "/config/s-value?defaultToGlobal=true",
            json!({ "compatibilityLevel": "BACKWARD" }),
        ),
    ] {
        assert_eq!(
            send("GET", &format!("{url}{path}"), &[], None),
            (200, expected),
            "{path}"
        );
    }
    let (status, answer) = send(
        "POST",
        &format!("{url}/compatibility/subjects/s-value/versions?verbose=true"),
        &[JSON],
        Some(&json_body(V2)),
    );
    assert_eq!(
        (status, answer),
        (200, json!({ "is_compatible": true, "messages": [] }))
    );
    assert_eq!(
        send("DELETE", &format!("{url}/subjects/s-value/versions/1"), &[], None),
        (200, json!(1)),
        "a version's soft delete"
    );
}

#[test]
fn requests_from_other_names_and_origins_are_refused() {
    let registry = start();
    let url = registry.url();
    let port = registry.address().port();
    // DNS rebinding: a page on another site whose name now points at 127.0.0.1.
    let (status, answer) = send("GET", &format!("{url}/subjects"), &[("host", "attacker.example")], None);
    assert_eq!(status, 403, "{answer}");
    assert!(answer["message"].as_str().unwrap().contains("Host"), "{answer}");
    let (status, _) = send(
        "GET",
        &format!("{url}/subjects"),
        &[("host", &format!("attacker.example:{port}"))],
        None,
    );
    assert_eq!(status, 403);
    for host in [format!("localhost:{port}"), format!("127.0.0.1:{port}")] {
        assert_eq!(
            send("GET", &format!("{url}/subjects"), &[("host", &host)], None).0,
            200,
            "{host}"
        );
    }

    // A page elsewhere posting a schema: by its origin, and by a body type a browser sends
    // without asking (a text/plain POST registered a schema before).
    let body = json_body(V1);
    let (status, answer) = send(
        "POST",
        &format!("{url}/subjects/x-value/versions"),
        &[JSON, ("origin", "http://attacker.example")],
        Some(&body),
    );
    assert_eq!(status, 403, "{answer}");
    assert!(answer["message"].as_str().unwrap().contains("origin"), "{answer}");
    for kind in [
        "text/plain",
        "text/plain;charset=UTF-8",
        "application/x-www-form-urlencoded",
        "multipart/form-data; boundary=x",
    ] {
        let (status, answer) = send(
            "POST",
            &format!("{url}/subjects/x-value/versions"),
            &[("content-type", kind)],
            Some(&body),
        );
        assert_eq!(status, 415, "{kind}: {answer}");
        assert_eq!(answer["error_code"], 415);
    }
    let (status, _) = send(
        "DELETE",
        &format!("{url}/subjects/x-value"),
        &[("origin", "http://attacker.example")],
        None,
    );
    assert_eq!(status, 403);
    assert_eq!(
        send("GET", &format!("{url}/subjects"), &[], None),
        (200, json!([])),
        "nothing was registered"
    );

    // Its own origin and JSON bodies are fine.
    let (status, _) = send(
        "POST",
        &format!("{url}/subjects/x-value/versions"),
        &[("content-type", "application/json"), ("origin", &url)],
        Some(&body),
    );
    assert_eq!(status, 200);
}

#[test]
fn a_registry_restarted_on_its_journal_keeps_ids_and_versions() {
    let journal = MemoryJournal::new();
    let (first_id, second_id) = {
        let registry =
            EmbeddedRegistry::start_with_journal("127.0.0.1:0".parse().unwrap(), Box::new(journal.clone())).unwrap();
        let client = RegistryClient::new(&registry.url(), Duration::from_secs(5));
        let first = client.register("a-value", V1).unwrap();
        let second = client.register("a-value", V2).unwrap();
        client.register("gone-value", V2).unwrap();
        client.delete_subject("gone-value").unwrap();
        (first, second)
    };
    let registry =
        EmbeddedRegistry::start_with_journal("127.0.0.1:0".parse().unwrap(), Box::new(journal.clone())).unwrap();
    let client = RegistryClient::new(&registry.url(), Duration::from_secs(5));
    assert_eq!(client.schema(first_id).unwrap(), V1, "an old id means the same schema");
    assert_eq!(client.register("a-value", V1).unwrap(), first_id);
    assert_eq!(client.lookup("a-value", V2).unwrap(), (2, second_id));
    assert_eq!(
        client.subjects().unwrap(),
        ["a-value"],
        "a deleted subject stays deleted"
    );
    let third = RegistryClient::new(&registry.url(), Duration::from_secs(5))
        .register("b-value", r#"{"type":"string"}"#)
        .unwrap();
    assert!(third > second_id, "a new schema gets a new id: {third}");
}
