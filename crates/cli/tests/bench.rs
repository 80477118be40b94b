//! `pipegen bench`: scenarios from a `--config` file, each a full run with its own report,
//! compared in a summary (JSON, and HTML checked in Chromium), with latency targets that pass
//! or fail the benchmark; and every scenario planned before any of them runs.

mod common;

use std::path::PathBuf;

use common::{Scratch, artifact, browse};
use serde_json::Value;

/// A path pipegen printed, as seen from the scratch directory it ran in.
fn printed_path(s: &Scratch, stdout: &str, label: &str) -> PathBuf {
    stdout
        .lines()
        .find_map(|l| l.strip_prefix(label))
        .map(|p| s.path().join(p.trim()))
        .unwrap_or_else(|| panic!("no `{label}` line in\n{stdout}"))
}

fn read_json(path: &std::path::Path) -> Value {
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

const TWO_SCENARIOS: &str = "benchmark:
  scenarios:
    - name: steady
      rate: 100
      messages: 300
      latency_target: 1m
    - name: tight
      rate: 200
      duration: 3s
      traffic_pattern: \"1s-2s:300%\"
      latency_target: 1ms
";

#[test]
fn scenarios_run_side_by_side_and_a_missed_target_fails_the_benchmark() {
    let s = Scratch::new();
    s.quick_project("demo");
    s.write("bench.yaml", TWO_SCENARIOS);
    let out = s
        .run(&[
            "--project-dir",
            "demo",
            "--config",
            "bench.yaml",
            "bench",
            "--seed",
            "3",
        ])
        .expect(2);
    assert!(
        out.stderr.contains("--seed"),
        "bench takes no run flags: {}",
        out.stderr
    );

    let out = s
        .run(&["--project-dir", "demo", "--config", "bench.yaml", "bench"])
        .expect(1);
    assert!(
        out.stderr.contains("1 of 2 scenarios did not pass (tight)"),
        "{}",
        out.stderr
    );
    assert!(
        out.stderr
            .contains("scenario 1/2: steady: 300 messages at 100 msg/s over 3s, p99 target 1m"),
        "{}",
        out.stderr
    );
    let bench = read_json(&printed_path(&s, &out.stdout, "result: "));
    assert_eq!(bench["status"], "failed", "{bench:#}");
    let [steady, tight] = [&bench["scenarios"][0], &bench["scenarios"][1]];

    // Messages alone: the scenario lasts until they are sent.
    assert_eq!(steady["verdict"], "passed", "{steady:#}");
    assert_eq!(steady["duration_s"], 3.0);
    assert_eq!(steady["sent"], 300);
    assert_eq!(steady["acked"], 300);
    assert_eq!(steady["judged_on"], "end_to_end p99", "windowed results are timed");
    assert_eq!(steady["judged_p99_ms"], steady["end_to_end_ms"]["p99"]);
    assert!(steady["judged_p99_ms"].as_f64().unwrap() <= 60_000.0);

    // The spike triples the second second: 200 + 600 + 200 sent; a window's result comes a
    // watermark delay (1 s) after the window ends, far above 1 ms.
    assert_eq!(tight["verdict"], "missed_target", "{tight:#}");
    assert_eq!(tight["sent"], 1000);
    assert_eq!(tight["latency_target_ms"], 1.0);
    assert!(tight["judged_p99_ms"].as_f64().unwrap() > 1.0, "{tight:#}");
    assert!(
        tight["reason"]
            .as_str()
            .unwrap()
            .ends_with("ms is above the 1ms target"),
        "{tight:#}"
    );

    // Each scenario is a run of its own, with its own result and report.
    for scenario in [steady, tight] {
        let run = read_json(&s.path().join(scenario["result"].as_str().unwrap()));
        assert_eq!(run["run_id"], scenario["run_id"]);
        assert_eq!(run["status"], "succeeded");
        assert_eq!(run["producer"]["sent"], scenario["sent"]);
        assert_eq!(run["latency_ms"]["end_to_end"]["p99"], scenario["judged_p99_ms"]);
        assert!(s.path().join(scenario["report"].as_str().unwrap()).exists());
        assert_eq!(
            run["config"]["run"]["traffic_pattern"], scenario["traffic_pattern"],
            "the run's effective configuration is the scenario's"
        );
    }
    let second = read_json(&s.path().join(tight["result"].as_str().unwrap()));
    assert!(
        second["timings"]["startup_ms"].as_f64().unwrap() < 2000.0,
        "a later scenario's startup counts from its own start: {}",
        second["timings"]
    );
    assert!(out.stdout.contains("missed_target"), "{}", out.stdout);

    // The summary page: offline, every number the JSON's, every run's report linked.
    let html = printed_path(&s, &out.stdout, "report: ");
    let seen = browse(&format!("file://{}", html.display()), &artifact("bench.png"), None);
    assert_eq!(seen["requests"].as_array().unwrap().len(), 1, "{:#}", seen["requests"]);
    assert!(seen["console"].as_array().unwrap().is_empty(), "{:#}", seen["console"]);
    let cells = seen["cells"].as_array().unwrap();
    assert_eq!(cells.len(), 2 * 10 + 4 * 5, "scenario and latency cells");
    for cell in cells {
        common::assert_cell_matches(&bench, cell["path"].as_str().unwrap(), cell["text"].as_str().unwrap());
    }
    assert_eq!(seen["untagged_numbers"], serde_json::json!([]));
    let page = std::fs::read_to_string(&html).unwrap();
    for scenario in [steady, tight] {
        let report = s.path().join(scenario["report"].as_str().unwrap());
        let file = report.file_name().unwrap().to_str().unwrap();
        assert!(page.contains(&format!("href=\"{file}\"")), "a relative link to {file}");
        assert_eq!(report.parent(), html.parent(), "the link resolves next to the summary");
    }

    // One scenario by name; met targets pass the benchmark.
    let out = s
        .run(&[
            "--project-dir",
            "demo",
            "--config",
            "bench.yaml",
            "bench",
            "--scenario",
            "steady",
            "-q",
        ])
        .expect(0);
    let bench = read_json(&printed_path(&s, &out.stdout, "result: "));
    assert_eq!(bench["status"], "passed");
    assert_eq!(bench["scenarios"].as_array().unwrap().len(), 1);
}

/// The performance guide's benchmark file, as it is written there.
const GUIDE: &str = "# benchmark.yaml
benchmark:
  scenarios:
    - name: \"high_throughput\"
      messages: 10000000
      rate: 50000
      duration: \"10m\"

    - name: \"low_latency\"
      messages: 1000000
      rate: 1000
      latency_target: \"10ms\"

    - name: \"mixed_load\"
      traffic_pattern: \"0:1000,120:10000,240:500,360:20000\"
      duration: \"20m\"
";

#[test]
fn every_scenario_is_planned_before_any_runs() {
    let s = Scratch::new();
    s.quick_project("demo");
    let out = s.run(&["--project-dir", "demo", "bench"]).expect(2);
    assert!(
        out.stderr.contains("no benchmark scenarios are configured") && out.stderr.contains("benchmark:"),
        "{}",
        out.stderr
    );

    s.write("benchmark.yaml", GUIDE);
    let out = s
        .run(&[
            "--project-dir",
            "demo",
            "--config",
            "benchmark.yaml",
            "bench",
            "--dry-run",
        ])
        .expect(0);
    for line in [
        "Scenario 1/3: high_throughput: 10000000 messages at 50000 msg/s over 10m",
        "Scenario 2/3: low_latency: 1000000 messages at 1000 msg/s over 16m40s, p99 target 10ms",
        "Scenario 3/3: mixed_load: 1000 msg/s over 20m, pattern 0:1000,120:10000,240:500,360:20000",
        "expected total: 1000000 messages",
    ] {
        assert!(out.stdout.contains(line), "{line:?} not in\n{}", out.stdout);
    }

    let out = s
        .run(&[
            "--project-dir",
            "demo",
            "--config",
            "benchmark.yaml",
            "bench",
            "--scenario",
            "nope",
        ])
        .expect(2);
    assert!(
        out.stderr.contains("high_throughput, low_latency, mixed_load"),
        "{}",
        out.stderr
    );

    // A bad last scenario stops the benchmark before the first one starts.
    s.write(
        "broken.yaml",
        &format!(
            "{TWO_SCENARIOS}    - name: late_spike\n      duration: 10s\n      traffic_pattern: \"20s-30s:300%\"\n"
        ),
    );
    let out = s
        .run(&["--project-dir", "demo", "--config", "broken.yaml", "bench"])
        .expect(2);
    assert!(
        out.stderr.contains("benchmark scenario `late_spike`") && out.stderr.contains("broken.yaml"),
        "{}",
        out.stderr
    );
    assert!(!s.path().join("demo/reports").exists(), "nothing ran");
}

#[test]
fn a_message_count_without_a_duration_lasts_until_the_messages_are_sent() {
    let s = Scratch::new();
    s.quick_project("demo");
    // The performance guide's load test: the project's `duration: 30s` does not cut it short.
    let out = s
        .run(&[
            "--project-dir",
            "demo",
            "run",
            "--messages",
            "1000000",
            "--rate",
            "10000",
            "--traffic-pattern",
            "0:1000,300:10000,600:5000,900:15000",
            "--dry-run",
        ])
        .expect(0);
    assert!(
        out.stdout
            .contains("duration:         6m10s (until the messages are sent)"),
        "{}",
        out.stdout
    );
    assert!(
        out.stdout.contains("expected total: 1000000 messages"),
        "{}",
        out.stdout
    );
    assert!(
        out.stderr.contains("phase from 10m is not reached") && out.stderr.contains("phase from 15m is not reached"),
        "{}",
        out.stderr
    );
    // Given together, the two are a cap: whichever comes first.
    let out = s
        .run(&[
            "--project-dir",
            "demo",
            "run",
            "--messages",
            "1000000",
            "--rate",
            "10000",
            "--duration",
            "10s",
            "--dry-run",
        ])
        .expect(0);
    assert!(out.stdout.contains("expected total: 100000 messages"), "{}", out.stdout);
}

#[test]
fn ctrl_c_stops_the_benchmark_and_the_summary_says_so() {
    let s = Scratch::new();
    s.quick_project("demo");
    s.write(
        "bench.yaml",
        "benchmark:\n  scenarios:\n    - name: first\n      rate: 100\n      duration: 20s\n    - name: second\n      rate: 100\n      duration: 3s\n",
    );
    let child = s.spawn(&["--project-dir", "demo", "--config", "bench.yaml", "bench"]);
    std::thread::sleep(std::time::Duration::from_secs(3));
    let signalled = std::process::Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(signalled.success());
    let output = child.wait_with_output().unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert_eq!(output.status.code(), Some(130), "128 + SIGINT: {stdout}");
    let bench = read_json(&printed_path(&s, &stdout, "result: "));
    assert_eq!(bench["status"], "interrupted", "{bench:#}");
    assert_eq!(bench["scenarios"][0]["verdict"], "interrupted");
    assert!(bench["scenarios"][0]["sent"].as_u64().unwrap() < 2000, "cut short");
    assert_eq!(bench["scenarios"][1]["verdict"], "not_run");
    assert!(
        bench["scenarios"][1]["run_id"].is_null(),
        "the second scenario never started"
    );
}
