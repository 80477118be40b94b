//! `validate --check-connectivity` really connects to what is configured.

mod common;

use common::Scratch;
use pipegen_testkit::{Tansu, free_port};

#[test]
fn reports_a_real_broker_reachable_and_a_dead_one_unreachable() {
    let s = Scratch::new();
    s.run(&["init", "demo"]).expect(0);
    let broker = Tansu::start();
    let servers = broker.bootstrap_servers();
    let out = s
        .run(&[
            "validate",
            "--project-dir",
            "demo",
            "--check-connectivity",
            "--bootstrap-servers",
            &servers,
        ])
        .expect(0);
    assert!(
        out.stdout.contains("reachable:") && out.stdout.contains(&servers),
        "{}",
        out.all()
    );

    let dead = format!("127.0.0.1:{}", free_port());
    let registry = format!("http://127.0.0.1:{}", free_port());
    let out = s
        .run(&[
            "validate",
            "--project-dir",
            "demo",
            "--check-connectivity",
            "--connect-timeout",
            "2s",
            "--bootstrap-servers",
            &dead,
            "--schema-registry-url",
            &registry,
        ])
        .expect(1);
    assert!(
        out.stderr.contains(&format!("Kafka at {dead} is not reachable")),
        "{}",
        out.stderr
    );
    assert!(
        out.stderr
            .contains(&format!("Schema registry at {registry} is not reachable")),
        "{}",
        out.stderr
    );
}

#[test]
fn reports_a_real_schema_registry_reachable() {
    let s = Scratch::new();
    s.run(&["init", "demo"]).expect(0);
    let registry = pipegen_registry::EmbeddedRegistry::start("127.0.0.1:0".parse().unwrap()).unwrap();
    let url = registry.url();
    let out = s
        .run(&[
            "validate",
            "--project-dir",
            "demo",
            "--check-connectivity",
            "--schema-registry-url",
            &url,
        ])
        .expect(0);
    assert!(
        out.stdout.contains("Schema registry") && out.stdout.contains("0 subjects"),
        "{}",
        out.all()
    );
}

#[test]
fn nothing_configured_means_the_embedded_stack() {
    let s = Scratch::new();
    s.run(&["init", "demo"]).expect(0);
    let out = s
        .run(&["validate", "--project-dir", "demo", "--check-connectivity"])
        .expect(0);
    assert!(out.stdout.contains("embedded stack"), "{}", out.stdout);
}
