//! Seeing a run: the live dashboard and the HTML report loaded in headless Chromium, the
//! Prometheus endpoint read by the Prometheus project's own parser, and the Grafana dashboard
//! `pipegen init` writes checked against the dashboard model. Each compares what it saw with
//! the run's JSON result.

mod common;

use std::collections::BTreeSet;
use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command};
use std::time::{Duration, Instant};

use common::{Scratch, artifact, browse, support, tool, wait_for_port};
use serde_json::Value;

/// Checks a dashboard against Grafana's own `Dashboard` type (npm's `@grafana/schema`, generated
/// from Grafana's schema) with the TypeScript compiler: an unknown key or a value of the wrong
/// shape anywhere in it is a compile error.
fn grafana_types_accept(s: &Scratch, dashboard: &str) {
    let dir = s.path().join("grafana-types");
    std::fs::create_dir_all(&dir).unwrap();
    let modules = tool("PIPEGEN_TEST_NODE_MODULES");
    std::os::unix::fs::symlink(&modules, dir.join("node_modules")).unwrap();
    std::fs::write(
        dir.join("check.ts"),
        format!(
            "import type {{ Dashboard }} from '@grafana/schema';\nexport const dashboard = ({dashboard}) satisfies Dashboard;\n"
        ),
    )
    .unwrap();
    let output = Command::new("node")
        .arg(Path::new(&modules).join("typescript/bin/tsc"))
        .args(["--noEmit", "--strict", "--skipLibCheck", "--module", "nodenext"])
        .args(["--moduleResolution", "nodenext", "--target", "es2020", "check.ts"])
        .current_dir(&dir)
        .output()
        .expect("node runs");
    assert!(
        output.status.success(),
        "Grafana's Dashboard type refuses the dashboard:\n{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
}

fn http_get(port: u16, path: &str) -> (String, String) {
    let mut stream = TcpStream::connect(("127.0.0.1", port)).unwrap();
    write!(stream, "GET {path} HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n").unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).unwrap();
    let (head, body) = response.split_once("\r\n\r\n").expect("an HTTP response");
    (head.to_string(), body.to_string())
}

fn finish(child: Child) -> (i32, String, String) {
    let output = child.wait_with_output().unwrap();
    (
        output.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

fn json_result(s: &Scratch) -> (Value, PathBuf) {
    let reports = s.path().join("demo/reports");
    let json = std::fs::read_dir(&reports)
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.extension().is_some_and(|e| e == "json"))
        .expect("a JSON result");
    let html = json.with_extension("html");
    (
        serde_json::from_str(&std::fs::read_to_string(&json).unwrap()).unwrap(),
        html,
    )
}

fn series<'a>(seen: &'a Value, chart: &str, name: &str) -> (Vec<u64>, &'a Vec<Value>) {
    let s = &seen["charts"][chart]["series"][name];
    assert!(
        s.is_object(),
        "chart {chart} has no series {name}: {:#}",
        seen["charts"][chart]
    );
    let xs = s["x"].as_array().unwrap().iter().map(|x| x.as_u64().unwrap()).collect();
    (xs, s["y"].as_array().unwrap())
}

#[test]
fn the_live_dashboard_draws_the_runs_measurements_in_chromium() {
    let s = Scratch::new();
    s.quick_project("demo");
    let port = pipegen_testkit::free_port();
    let port_text = port.to_string();
    let mut child = s.spawn(&[
        "--project-dir",
        "demo",
        "run",
        "--duration",
        "12s",
        "--message-rate",
        "200",
        "--seed",
        "5",
        "--dashboard",
        "--dashboard-port",
        &port_text,
    ]);
    wait_for_port(port, &mut child);
    let (head, page) = http_get(port, "/");
    assert!(head.contains("200 OK") && page.contains("pipegen dashboard"), "{head}");
    assert!(
        !head.to_ascii_lowercase().contains("access-control-allow-origin"),
        "{head}"
    );

    let screenshot = artifact("dashboard.png");
    let seen = browse(&format!("http://127.0.0.1:{port}/"), &screenshot, Some(6));
    let (code, stdout, stderr) = finish(child);
    assert_eq!(code, 0, "{stdout}\n{stderr}");
    assert!(
        stderr.contains(&format!("dashboard: http://127.0.0.1:{port}/")),
        "{stderr}"
    );
    assert!(
        std::fs::metadata(&screenshot).unwrap().len() > 10_000,
        "a real screenshot"
    );

    let requests: Vec<&str> = seen["requests"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r.as_str().unwrap())
        .collect();
    let own = format!("http://127.0.0.1:{port}/");
    assert!(
        requests.iter().all(|r| r.starts_with(&own)),
        "only its own server: {requests:?}"
    );
    assert!(
        seen["page_errors"].as_array().unwrap().is_empty(),
        "{:#}",
        seen["page_errors"]
    );
    let console_errors: Vec<_> = seen["console"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|m| m["type"] == "error")
        .collect();
    assert!(console_errors.is_empty(), "{console_errors:?}");
    assert_eq!(seen["state"], "live", "the page followed the run live");

    let (result, _) = json_result(&s);
    let frames = result["frames"].as_array().unwrap();
    let timeline = result["timeline"].as_array().unwrap();

    // Target vs achieved: every point is the result's, second by second.
    let (xs, achieved) = series(&seen, "rate", "achieved");
    assert!(xs.len() >= 6, "{xs:?}");
    for (x, y) in xs.iter().zip(achieved) {
        let t = *x as usize;
        assert_eq!(y, &frames[t]["sent"], "achieved rate at {t}s is the frame's");
        // A frame is cut 200 ms after its second ends; only a batch whose recording straddles
        // the cut could differ from the final count.
        let (live, last) = (y.as_i64().unwrap(), timeline[t]["sent"].as_i64().unwrap());
        assert!(
            (live - last).abs() <= 10,
            "and the timeline's at {t}s: {live} vs {last}"
        );
    }
    let (xs, target) = series(&seen, "rate", "target");
    for (x, y) in xs.iter().zip(target) {
        assert_eq!(y, &timeline[*x as usize]["target_rate"]);
    }
    let sent: u64 = achieved.iter().map(|y| y.as_u64().unwrap()).sum();
    assert!(sent >= 5 * 190, "non-zero: {sent} records in the charted seconds");

    // Consume rate, latency and memory: non-zero, and the frames' numbers.
    let (xs, consumed) = series(&seen, "consume", "consumed");
    for (x, y) in xs.iter().zip(consumed) {
        assert_eq!(y, &frames[*x as usize]["consumed"]);
    }
    assert!(
        consumed.iter().any(|y| y.as_u64().unwrap() > 0),
        "results were read: {consumed:?}"
    );
    let (xs, p99) = series(&seen, "latency-publish", "p99");
    for (x, y) in xs.iter().zip(p99) {
        assert_eq!(y, &frames[*x as usize]["latency_ms"]["publish"]["p99"]);
    }
    assert!(p99.iter().any(|y| y.as_f64().is_some_and(|v| v > 0.0)), "{p99:?}");
    let (_, rss) = series(&seen, "memory", "rss");
    assert!(rss.iter().all(|y| y.as_u64().is_some_and(|b| b > 1 << 20)), "{rss:?}");
    let (_, lag) = series(&seen, "lag", result["topics"][0]["name"].as_str().unwrap());
    assert!(!lag.is_empty());
    // What the embedded engine cannot measure is drawn as n/a, not as zero.
    assert_eq!(seen["charts"]["checkpoints"]["empty"], true);
    assert_eq!(seen["charts"]["backpressure"]["empty"], true);
    let job_out = format!("{} out", result["jobs"][0]["name"].as_str().unwrap());
    let (xs, out) = series(&seen, "engine", &job_out);
    for (x, y) in xs.iter().zip(out) {
        assert_eq!(y, &frames[*x as usize]["jobs"][0]["records_out"]);
    }
}

#[test]
fn the_report_of_a_spike_shows_it_renders_offline_and_agrees_with_the_result() {
    let s = Scratch::new();
    s.quick_project("demo");
    let out = s
        .run(&[
            "--project-dir",
            "demo",
            "run",
            "--duration",
            "20s",
            "--message-rate",
            "200",
            "--traffic-pattern",
            "5s-10s:300%",
            "--seed",
            "11",
        ])
        .expect(0);
    assert!(
        out.stdout.contains("p99.9") && out.stdout.contains("report: "),
        "{}",
        out.stdout
    );
    let (result, html_path) = json_result(&s);
    assert_eq!(result["producer"]["planned"], 200 * 15 + 600 * 5);
    let html = std::fs::read_to_string(&html_path).unwrap();
    assert!(!html.contains("<script") && !html.contains("<link rel=\"stylesheet\""));

    let url = format!("file://{}", html_path.display());
    let seen = browse(&url, &artifact("report-spike.png"), None);
    assert_eq!(
        seen["requests"],
        serde_json::json!([url]),
        "no request but the file itself"
    );
    assert!(seen["console"].as_array().unwrap().is_empty(), "{:#}", seen["console"]);
    assert!(
        seen["page_errors"].as_array().unwrap().is_empty(),
        "{:#}",
        seen["page_errors"]
    );

    // The spike, read back from the rate chart.
    let chart = &seen["charts"]["rate-plan"];
    assert_eq!(
        chart["bands"],
        serde_json::json!([{"label": "300%", "start": 5, "end": 10}]),
        "the spike is shaded"
    );
    let (xs, target) = series(&seen, "rate-plan", "target");
    let (_, achieved) = series(&seen, "rate-plan", "achieved");
    let timeline = result["timeline"].as_array().unwrap();
    assert_eq!(xs.len(), timeline.len());
    for (i, x) in xs.iter().enumerate() {
        let t = *x as usize;
        assert_eq!(target[i], timeline[t]["target_rate"], "{t}s");
        assert_eq!(achieved[i], timeline[t]["sent"], "{t}s");
        let expected = match t {
            5..=9 => Some(600),
            0..=19 => Some(200),
            _ => None,
        };
        if let Some(rate) = expected {
            assert_eq!(target[i], rate, "the plan at {t}s");
        }
    }
    let mean = |range: std::ops::Range<usize>| {
        range.clone().map(|t| achieved[t].as_f64().unwrap()).sum::<f64>() / range.len() as f64
    };
    let (before, during) = (mean(1..5), mean(6..9));
    assert!(
        during > 2.5 * before,
        "the achieved rate triples during the spike: {before:.0}/s before, {during:.0}/s during"
    );

    // Every number shown is the result's.
    let cells = seen["cells"].as_array().unwrap();
    assert!(
        cells.len() > 100,
        "summary, latency, topics, jobs and timeline cells: {}",
        cells.len()
    );
    for cell in cells {
        common::assert_cell_matches(&result, cell["path"].as_str().unwrap(), cell["text"].as_str().unwrap());
    }
    assert_eq!(
        seen["untagged_numbers"],
        serde_json::json!([]),
        "numbers not tied to the result"
    );
    for pointer in [
        "/producer/sent",
        "/latency_ms/publish/p99",
        "/latency_ms/end_to_end/p999",
        "/topics/0/end_offsets",
    ] {
        assert!(cells.iter().any(|c| c["path"] == pointer), "the report shows {pointer}");
    }
    // The per-second latency chart is drawn from the result's frames.
    let frames = result["frames"].as_array().unwrap();
    let (xs, p50) = series(&seen, "latency-publish", "p50");
    assert_eq!(xs.len(), frames.len());
    for (x, y) in xs.iter().zip(p50) {
        assert_eq!(y, &frames[*x as usize]["latency_ms"]["publish"]["p50"]);
    }
}

fn python(script: &str, args: &[&str], stdin: &str) -> (bool, String, String) {
    let mut child = Command::new(tool("PIPEGEN_TEST_PYTHON"))
        .arg(support(script))
        .args(args)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("the tools' python runs");
    child.stdin.take().unwrap().write_all(stdin.as_bytes()).unwrap();
    let output = child.wait_with_output().unwrap();
    (
        output.status.success(),
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

fn family<'a>(families: &'a [Value], name: &str) -> &'a Value {
    families
        .iter()
        .find(|f| f["name"] == name)
        .unwrap_or_else(|| panic!("no family {name}"))
}

fn sample(family: &Value, name: &str) -> f64 {
    family["samples"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["name"] == name)
        .and_then(|s| s["value"].as_f64())
        .unwrap_or_else(|| panic!("no sample {name} in {family}"))
}

/// The `pipegen_*` metric names a PromQL expression reads.
fn metric_names(expr: &str) -> Vec<String> {
    let mut names = Vec::new();
    let mut rest = expr;
    while let Some(start) = rest.find("pipegen_") {
        let tail = &rest[start..];
        let end = tail
            .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
            .unwrap_or(tail.len());
        names.push(tail[..end].to_string());
        rest = &tail[end..];
    }
    names
}

#[test]
fn prometheus_output_parses_and_the_grafana_dashboard_charts_what_it_exports() {
    let s = Scratch::new();
    s.quick_project("demo");
    let port = pipegen_testkit::free_port();
    s.edit(
        "demo/.pipegen.yaml",
        "# prometheus_port: 9249",
        &format!("prometheus_port: {port}"),
    );
    let mut child = s.spawn(&[
        "--project-dir",
        "demo",
        "run",
        "--duration",
        "8s",
        "--message-rate",
        "200",
    ]);
    wait_for_port(port, &mut child);
    // Let a few frames land, then scrape as Prometheus would.
    std::thread::sleep(Duration::from_secs(5));
    let (head, exposition) = http_get(port, "/metrics");
    let (code, stdout, stderr) = finish(child);
    assert_eq!(code, 0, "{stdout}\n{stderr}");
    assert!(
        head.to_ascii_lowercase()
            .contains("content-type: application/openmetrics-text"),
        "{head}"
    );

    let (ok, parsed, errors) = python("parse_metrics.py", &[], &exposition);
    assert!(ok, "the exposition does not parse: {errors}\n{exposition}");
    let families: Vec<Value> = serde_json::from_str(&parsed).unwrap();
    let kind = |name: &str| family(&families, name)["type"].as_str().unwrap().to_string();
    assert_eq!(kind("pipegen_records_sent"), "counter");
    assert_eq!(kind("pipegen_publish_latency_seconds"), "histogram");
    assert_eq!(family(&families, "pipegen_publish_latency_seconds")["unit"], "seconds");
    assert_eq!(kind("pipegen_process_resident_memory_bytes"), "gauge");
    assert_eq!(kind("pipegen_target_rate"), "gauge");

    let sent = sample(family(&families, "pipegen_records_sent"), "pipegen_records_sent_total");
    assert!(sent >= 600.0, "about 4 s at 200/s sent by the scrape: {sent}");
    assert_eq!(
        sample(family(&families, "pipegen_target_rate"), "pipegen_target_rate"),
        200.0
    );
    let publish = family(&families, "pipegen_publish_latency_seconds");
    let count = sample(publish, "pipegen_publish_latency_seconds_count");
    let acked = sample(
        family(&families, "pipegen_records_acked"),
        "pipegen_records_acked_total",
    );
    // The scrape reads the histogram and the counter one after the other while the run goes
    // on acknowledging: they may differ by what one second at 200/s acknowledges.
    assert!(
        count > 0.0 && count <= sent && (acked - count).abs() <= 200.0,
        "every acknowledgement is timed: {count} vs {acked}"
    );
    let inf = publish["samples"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["labels"]["le"] == "+Inf")
        .unwrap();
    assert_eq!(inf["value"].as_f64().unwrap(), count);
    let rss = sample(
        family(&families, "pipegen_process_resident_memory_bytes"),
        "pipegen_process_resident_memory_bytes",
    );
    assert!(rss > 1_048_576.0, "{rss}");
    let (result, _) = json_result(&s);
    assert!(
        result["producer"]["sent"].as_f64().unwrap() >= sent,
        "the scrape happened mid-run, the result counts everything"
    );

    // The Grafana dashboard `init` wrote: valid against the dashboard model, and every metric
    // it charts is one pipegen exports (errors and checkpoints once there are any).
    let grafana = s.path().join("demo/monitoring/grafana-dashboard.json");
    let (ok, violations, errors) = python("check_grafana.py", &[grafana.to_str().unwrap()], "");
    assert!(ok, "grafana-dashboard.json violates the schema:\n{violations}{errors}");
    grafana_types_accept(&s, &std::fs::read_to_string(&grafana).unwrap());
    let dashboard: Value = serde_json::from_str(&std::fs::read_to_string(&grafana).unwrap()).unwrap();
    let exported: BTreeSet<String> = families
        .iter()
        .flat_map(|f| {
            let name = f["name"].as_str().unwrap().to_string();
            let samples = f["samples"]
                .as_array()
                .unwrap()
                .iter()
                .map(|s| s["name"].as_str().unwrap().to_string());
            ["", "_total", "_bucket", "_count", "_sum"]
                .iter()
                .map(move |suffix| format!("{name}{suffix}"))
                .chain(samples)
        })
        .collect();
    let mut charted = BTreeSet::new();
    let mut titles = Vec::new();
    for panel in dashboard["panels"].as_array().unwrap() {
        titles.push(panel["title"].as_str().unwrap().to_lowercase());
        for target in panel["targets"].as_array().unwrap() {
            for name in metric_names(target["expr"].as_str().unwrap()) {
                if !pipegen_observe::prometheus::EXPORTED_ONCE_MEASURED.contains(&name.as_str()) {
                    assert!(
                        exported.contains(&name),
                        "the dashboard charts {name}, which pipegen does not export"
                    );
                }
                charted.insert(name);
            }
        }
    }
    for topic in ["throughput", "latency", "memory", "checkpoint"] {
        assert!(titles.iter().any(|t| t.contains(topic)), "a {topic} panel: {titles:?}");
    }
    assert!(charted.contains("pipegen_publish_latency_seconds_bucket"));
    assert!(charted.contains("pipegen_process_resident_memory_bytes"));
    let scrape_config = std::fs::read_to_string(s.path().join("demo/monitoring/prometheus.yml")).unwrap();
    assert!(scrape_config.contains("metrics_path: /metrics"));
}

#[test]
fn a_finished_run_replays_and_bad_dashboard_input_is_refused_plainly() {
    let s = Scratch::new();
    s.run(&["init", "demo"]).expect(0);
    let out = s.run(&["--project-dir", "demo", "dashboard"]).expect(2);
    assert!(out.stderr.contains("no run is going"), "{}", out.stderr);
    let out = s.run(&["--project-dir", "demo", "dashboard", "--standalone"]).expect(2);
    assert!(out.stderr.contains("no run result"), "{}", out.stderr);
    let out = s
        .run(&[
            "--project-dir",
            "demo",
            "dashboard",
            "--standalone",
            "--metrics",
            "latncy",
        ])
        .expect(2);
    assert!(
        out.stderr.contains("latncy") && out.stderr.contains("throughput"),
        "{}",
        out.stderr
    );
    let out = s
        .run_with_env(
            &["--project-dir", "demo", "run", "--dry-run"],
            &[("PIPEGEN_MONITORING__SAMPLE_INTERVAL", "5s")],
        )
        .expect(2);
    assert!(out.stderr.contains("once per second"), "{}", out.stderr);
    // A taken port stops a run before it starts anything.
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let taken_port = taken.local_addr().unwrap().port().to_string();
    let out = s
        .run(&[
            "--project-dir",
            "demo",
            "run",
            "--dashboard",
            "--dashboard-port",
            &taken_port,
        ])
        .expect(2);
    assert!(out.stderr.contains("--dashboard-port"), "{}", out.stderr);
    assert!(!s.path().join("demo/reports").exists(), "nothing ran");
    drop(taken);
    s.write("old.json", r#"{"run_id": "x"}"#);
    let out = s
        .run(&["--project-dir", "demo", "dashboard", "--result", "old.json"])
        .expect(2);
    assert!(out.stderr.contains("no per-second frames"), "{}", out.stderr);

    // A real result, replayed with the latency view only.
    s.run(&[
        "--project-dir",
        "demo",
        "run",
        "--duration",
        "3s",
        "--message-rate",
        "100",
    ])
    .expect(0);
    let port = pipegen_testkit::free_port();
    let port_text = port.to_string();
    let mut child = s.spawn(&[
        "--project-dir",
        "demo",
        "dashboard",
        "--standalone",
        "--metrics",
        "latency",
        "--port",
        &port_text,
    ]);
    wait_for_port(port, &mut child);
    let (_, frames) = http_get(port, "/api/frames");
    let (_, result) = http_get(port, "/api/result");
    child.kill().unwrap();
    let _ = child.wait();
    let frames: Value = serde_json::from_str(&frames).unwrap();
    let result: Value = serde_json::from_str(&result).unwrap();
    let (saved, _) = json_result(&s);
    assert_eq!(result, saved, "/api/result is the JSON result");
    assert_eq!(frames["frames"], saved["frames"]);
    assert_eq!(frames["live"], false);
    let ids: Vec<&str> = frames["charts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["id"].as_str().unwrap())
        .collect();
    assert_eq!(
        ids,
        ["latency-publish", "latency-end-to-end", "publish-delay"],
        "--metrics latency"
    );
}

#[test]
fn a_dashboard_in_another_terminal_follows_the_run_going_on() {
    let s = Scratch::new();
    s.run(&["init", "demo"]).expect(0);
    let run = s.spawn(&[
        "--project-dir",
        "demo",
        "run",
        "--duration",
        "6s",
        "--message-rate",
        "200",
        "-q",
    ]);
    // The run announces itself in its reports dir; a dashboard started now follows it.
    let reports = s.path().join("demo/reports");
    let started = Instant::now();
    while !std::fs::read_dir(&reports)
        .is_ok_and(|mut d| d.any(|e| e.is_ok_and(|e| e.file_name().to_string_lossy().starts_with(".pipegen-live-"))))
    {
        assert!(started.elapsed() < Duration::from_secs(60), "the run never started");
        std::thread::sleep(Duration::from_millis(50));
    }
    let port = pipegen_testkit::free_port();
    let mut dashboard = s.spawn(&["--project-dir", "demo", "dashboard", "--port", &port.to_string()]);
    wait_for_port(port, &mut dashboard);

    // Frames arrive while the run goes, then the run's end with its result.
    let mut live_frames = 0;
    let snapshot = loop {
        let (_, body) = http_get(port, "/api/frames");
        let snapshot: Value = serde_json::from_str(&body).unwrap();
        if snapshot["finished"] == true {
            break snapshot;
        }
        live_frames = live_frames.max(snapshot["frames"].as_array().unwrap().len());
        assert!(
            started.elapsed() < Duration::from_secs(90),
            "the run never finished: {snapshot}"
        );
        std::thread::sleep(Duration::from_millis(200));
    };
    assert!(live_frames > 0, "frames were shown while the run went on");
    let (code, _, stderr) = finish(run);
    assert_eq!(code, 0, "{stderr}");
    let (result, _) = json_result(&s);
    assert_eq!(
        snapshot["frames"], result["frames"],
        "the followed frames are the run's, every one"
    );
    let (head, body) = http_get(port, "/api/result");
    assert!(
        head.starts_with("HTTP/1.1 200") || head.starts_with("HTTP/1.0 200"),
        "{head}"
    );
    let shown: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(shown["run_id"], result["run_id"]);
    assert!(
        !std::fs::read_dir(&reports).unwrap().any(|e| e
            .unwrap()
            .file_name()
            .to_string_lossy()
            .starts_with(".pipegen-live-")),
        "the run removed its live file"
    );
    let _ = Command::new("kill")
        .args(["-INT", &dashboard.id().to_string()])
        .status();
    let (code, stdout, _) = finish(dashboard);
    assert_eq!(code, 0, "Ctrl-C ends the dashboard plainly");
    assert!(stdout.contains("following run"), "{stdout}");
}
