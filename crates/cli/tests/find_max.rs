//! `pipegen bench --find-max` end to end, on a pipeline made slow on purpose so its limit is
//! known: the embedded engine capped at a read rate (`embedded.read_rate_limit`). The search
//! must find that limit within 5%, twice in a row, say that the engine fell behind, and write
//! a result and a page whose every step has its own run report; and the same on a real broker.

mod common;

use std::path::{Path, PathBuf};

use common::Scratch;
use pipegen_testkit::Tansu;
use serde_json::Value;

/// The engine's cap, in records per second.
const CAP: f64 = 1500.0;

fn config(cap: f64) -> String {
    format!(
        "embedded:
  read_rate_limit: {cap}
benchmark:
  find_max:
    start_rate: 600
    max_rate: 8000
    step_duration: 10s
    warmup: 3s
    precision: 3%
"
    )
}

fn printed_path(s: &Scratch, stdout: &str, label: &str) -> PathBuf {
    stdout
        .lines()
        .find_map(|l| l.strip_prefix(label))
        .map(|p| s.path().join(p.trim()))
        .unwrap_or_else(|| panic!("no `{label}` line in\n{stdout}"))
}

fn read_json(path: &Path) -> Value {
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

/// Runs the search; its result and page.
fn search(s: &Scratch, extra: &[&str], env: &[(&str, &str)]) -> (Value, String) {
    let mut args = vec!["--project-dir", "demo", "--config", "find-max.yaml"];
    args.extend_from_slice(extra);
    args.extend_from_slice(&["bench", "--find-max"]);
    let out = s.run_with_env(&args, env).expect(0);
    let result = read_json(&printed_path(s, &out.stdout, "result: "));
    let page = std::fs::read_to_string(printed_path(s, &out.stdout, "report: ")).unwrap();
    assert!(out.stdout.contains("highest sustained rate: "), "{}", out.stdout);
    (result, page)
}

/// The search found the cap and blamed the engine; every step kept its own reports.
fn assert_found_the_cap(s: &Scratch, result: &Value, page: &str, cap: f64) -> f64 {
    let steps: Vec<String> = result["steps"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| format!("{} {} {}", s["rate"], s["held"], s["broken"]))
        .collect();
    eprintln!("steps:\n{}", steps.join("\n"));
    assert_eq!(result["status"], "found", "{result:#}");
    let found = result["max_sustained_rate"].as_f64().unwrap();
    assert!(
        (found - cap).abs() / cap <= 0.05,
        "found {found} msg/s for a cap of {cap}: {result:#}"
    );
    let broken = result["lowest_broken_rate"].as_f64().unwrap();
    assert!(broken > found && (broken - found) / found <= 0.031, "{found}..{broken}");
    assert_eq!(result["broke_on"], "engine", "{result:#}");
    let lag = result["first_broken"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["criterion"] == "lag_growth")
        .expect("the backlog grew");
    assert_eq!(lag["side"], "engine");
    assert!(lag["detail"].as_str().unwrap().contains("source topic"), "{lag:#}");

    let steps = result["steps"].as_array().unwrap();
    assert!(
        steps.len() >= 6,
        "a ramp, a bisection and a confirmation: {}",
        steps.len()
    );
    let last = steps.last().unwrap();
    assert_eq!(
        (last["rate"].as_f64(), &last["confirming"], &last["held"]),
        (Some(found), &Value::Bool(true), &Value::Bool(true)),
        "the search ends on the found rate holding again: {last:#}"
    );
    let rates: Vec<f64> = steps.iter().map(|s| s["rate"].as_f64().unwrap()).collect();
    assert_eq!(&rates[..3], &[600.0, 1200.0, 2400.0], "ramped by the factor");
    for step in steps {
        let rate = step["rate"].as_f64().unwrap();
        // Steps well under the cap hold; steps well over it break on the engine.
        if rate <= cap * 0.9 {
            assert_eq!(step["held"], true, "{step:#}");
        }
        if rate >= cap * 1.1 {
            assert_eq!(step["held"], false, "{step:#}");
            assert_eq!(step["broken"][0]["side"], "engine", "{step:#}");
        }
        // Judged past the warmup: seconds 3 to 9.
        assert_eq!(step["judged_seconds"], 7, "{step:#}");
        let achieved = step["achieved_rate"].as_f64().unwrap();
        assert!((achieved - rate).abs() / rate < 0.02, "the generator kept up: {step:#}");
        for file in ["result", "report"] {
            assert!(s.path().join(step[file].as_str().unwrap()).is_file(), "{step:#}");
        }
    }
    for chart in ["step-latency", "step-throughput", "step-lag-growth"] {
        assert!(page.contains(&format!("data-chart=\"{chart}\"")), "{chart}");
    }
    assert!(page.contains("data-json=\"/max_sustained_rate\""));
    found
}

#[test]
fn the_search_finds_a_known_engine_limit_twice_within_five_percent() {
    let s = Scratch::new();
    s.quick_project("demo");
    s.write("find-max.yaml", &config(CAP));
    let (first, page) = search(&s, &[], &[]);
    let a = assert_found_the_cap(&s, &first, &page, CAP);
    assert_eq!(first["engine"], "embedded");
    let (second, page) = search(&s, &[], &[]);
    let b = assert_found_the_cap(&s, &second, &page, CAP);
    assert!((a - b).abs() / a.min(b) <= 0.05, "two searches: {a} and {b} msg/s");
}

#[test]
fn the_search_finds_the_limit_on_a_local_broker_too() {
    let broker = Tansu::start();
    let servers = broker.bootstrap_servers();
    let s = Scratch::new();
    s.quick_project("demo");
    s.write("find-max.yaml", &config(CAP));
    let (result, page) = search(
        &s,
        &["--bootstrap-servers", &servers],
        &[("PIPEGEN_KAFKA__TOPICS__NAMING", "per-run")],
    );
    assert_found_the_cap(&s, &result, &page, CAP);
    assert_eq!(result["log"], "kafka", "{result:#}");
}

#[test]
fn a_search_that_cannot_end_is_refused_at_its_key() {
    let s = Scratch::new();
    s.quick_project("demo");
    s.write(
        "find-max.yaml",
        "benchmark:\n  find_max:\n    start_rate: 5000\n    max_rate: 1000\n",
    );
    let out = s
        .run(&[
            "--project-dir",
            "demo",
            "--config",
            "find-max.yaml",
            "bench",
            "--find-max",
        ])
        .expect(2);
    assert!(
        out.stderr.contains("max_rate 1000 is below start_rate 5000"),
        "{}",
        out.stderr
    );
    assert!(
        out.stderr.contains("find-max.yaml"),
        "named where it is set: {}",
        out.stderr
    );
    let out = s
        .run(&["--project-dir", "demo", "bench", "--find-max", "--step-duration", "4s"])
        .expect(2);
    assert!(out.stderr.contains("leaves under 3s to judge"), "{}", out.stderr);
    assert!(
        out.stderr.contains("--step-duration"),
        "named where it is set: {}",
        out.stderr
    );
    let out = s.run(&["--project-dir", "demo", "bench", "--max-rate", "10"]).expect(2);
    assert!(out.stderr.contains("--find-max"), "{}", out.stderr);
    // A short step is allowed with a warmup to match (the default warmup is 10s).
    let out = s
        .run(&[
            "--project-dir",
            "demo",
            "bench",
            "--find-max",
            "--step-duration",
            "10s",
            "--warmup",
            "3s",
            "--dry-run",
        ])
        .expect(0);
    assert!(
        out.stdout.contains("steps of 10s (the first 3s not judged)"),
        "{}",
        out.stdout
    );
    assert!(out.stdout.contains("confirmed by 1 more step"), "{}", out.stdout);
    let out = s
        .run_with_env(
            &["--project-dir", "demo", "bench", "--find-max", "--dry-run"],
            &[("PIPEGEN_BENCHMARK__FIND_MAX__CONFIRMATIONS", "9")],
        )
        .expect(2);
    assert!(
        out.stderr.contains("9 confirming steps is more than 5"),
        "{}",
        out.stderr
    );
}
