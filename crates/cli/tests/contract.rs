//! The CLI contract: every command exists, says what it does, and fails plainly when its
//! capability is not built yet.

mod common;

use common::Scratch;

#[test]
fn every_command_has_help() {
    let s = Scratch::new();
    let top = s.run(&["--help"]).expect(0);
    for command in [
        "init",
        "validate",
        "run",
        "bench",
        "sql",
        "check",
        "config",
        "dashboard",
        "deploy",
        "clean",
        "version",
        "completions",
    ] {
        assert!(top.stdout.contains(command), "{command} missing from --help");
        s.run(&[command, "--help"]).expect(0);
    }
    let deploy = s.run(&["deploy", "--help"]).expect(0).stdout;
    for flag in [
        "--target",
        "clusters",
        "compose",
        "kubernetes",
        "--namespace",
        "--dry-run",
        "--apply",
    ] {
        assert!(deploy.contains(flag), "deploy --help lacks {flag}:\n{deploy}");
    }
    let run = s.run(&["run", "--help"]).expect(0).stdout;
    for flag in [
        "--message-rate",
        "--rate",
        "--messages",
        "--duration",
        "--traffic-pattern",
        "--expected-messages",
        "--pipeline-timeout",
        "--cleanup",
        "--dry-run",
        "--dashboard",
        "--dashboard-port",
        "--reports-dir",
        "--seed",
        "--engine",
        "--bootstrap-servers",
        "--schema-registry-url",
        "--flink-url",
        "--sql-gateway-url",
        "--project-dir",
        "--config",
    ] {
        assert!(run.contains(flag), "run --help lacks {flag}");
    }
}

#[test]
fn clean_without_a_deployment_says_there_is_nothing_to_clean() {
    let s = Scratch::new();
    let out = s.run(&["clean"]).expect(0);
    assert!(out.stdout.contains("nothing to clean"), "{}", out.stdout);

    // A cluster that does not answer: nothing is forgotten, the record keeps what is left.
    let dead = format!("http://127.0.0.1:{}", pipegen_testkit::free_port());
    let record = format!(
        r#"{{"deployed_at": "2026-11-25T09:00:00Z", "flink_url": "{dead}", "bootstrap_servers": "127.0.0.1:1",
            "schema_registry_url": null, "jobs": [{{"job_id": "0123456789abcdef0123456789abcdef", "file": "sql/03_pipeline.sql",
            "line": 1, "statement": "INSERT INTO x"}}], "topics_created": ["t"], "topics_existing": [],
            "subjects_existing": [], "subjects_registered": []}}"#
    );
    s.write(".pipegen/deployment.json", &record);
    let out = s.run(&["clean"]).expect(1);
    assert!(
        out.stderr.contains("0123456789abcdef0123456789abcdef") && out.stderr.contains("run `pipegen clean` again"),
        "{}",
        out.stderr
    );
    let kept: serde_json::Value = serde_json::from_str(&s.read(".pipegen/deployment.json")).unwrap();
    assert_eq!(kept["jobs"].as_array().unwrap().len(), 1);
    assert_eq!(
        kept["topics_created"],
        serde_json::json!(["t"]),
        "topics wait for their jobs"
    );

    s.write(".pipegen/deployment.json", "{ not json");
    let out = s.run(&["clean"]).expect(2);
    assert!(
        out.stderr.contains(".pipegen/deployment.json: not a deployment record"),
        "{}",
        out.stderr
    );
}

#[test]
fn check_without_external_parts_says_so_and_refuses_a_bad_interval() {
    let s = Scratch::new();
    let out = s.run(&["check"]).expect(0);
    assert!(out.stdout.contains("nothing external is configured"), "{}", out.stdout);
    let out = s.run(&["check", "--json"]).expect(0);
    assert_eq!(out.stdout.trim(), r#"{"healthy":true,"parts":[]}"#);
    let out = s.run(&["check", "--watch", "--interval", "soon"]).expect(2);
    assert!(out.stderr.contains("--interval"), "{}", out.stderr);
}

#[test]
fn bad_usage_exits_2() {
    let s = Scratch::new();
    s.run(&["frobnicate"]).expect(2);
    s.run(&["run", "--messages", "lots"]).expect(2);
    s.run(&["init"]).expect(2);
}

#[test]
fn version_names_the_commit_and_completions_are_scripts() {
    let s = Scratch::new();
    let out = s.run(&["version"]).expect(0);
    assert!(
        out.stdout
            .starts_with(&format!("pipegen {}", env!("CARGO_PKG_VERSION"))),
        "{}",
        out.stdout
    );
    let commit = out.stdout.lines().find(|l| l.starts_with("commit: ")).unwrap();
    assert!(commit.len() > "commit: ".len(), "{commit}");
    for shell in ["bash", "zsh", "fish"] {
        let script = s.run(&["completions", shell]).expect(0).stdout;
        assert!(script.contains("pipegen") && script.contains("validate"), "{shell}");
    }
}
