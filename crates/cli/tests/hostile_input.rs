//! What a careless or hostile user types: `validate` refuses what `run` would, absurd plans
//! and durations stay bounded, a reports directory that cannot be written stops a run before
//! it produces, and `pipegen sql` streams rows and keeps within its memory budget.

mod common;

use std::io::{BufRead, BufReader};
use std::time::{Duration, Instant};

use common::Scratch;

#[test]
fn validate_refuses_what_run_would() {
    let s = Scratch::new();
    s.run(&["init", "demo"]).expect(0);
    let pipeline = "demo/sql/03_pipeline.sql";
    let original = s.read(pipeline);

    s.edit(pipeline, "COUNT(*) AS order_count", "COUNTT(*) AS order_count");
    let out = s.run(&["validate", "--project-dir", "demo"]).expect(1);
    assert!(out.stderr.contains("unknown function `COUNTT`"), "{}", out.all());
    assert!(out.stderr.contains("03_pipeline.sql:"), "{}", out.all());
    assert!(out.stderr.contains("did you mean `COUNT`"), "{}", out.all());

    s.write(pipeline, &original);
    s.edit(pipeline, "INTERVAL '10' SECOND", "INTERVAL '0' SECOND");
    let out = s.run(&["validate", "--project-dir", "demo"]).expect(1);
    assert!(
        out.stderr.contains("TUMBLE: the size must be positive"),
        "{}",
        out.all()
    );

    s.write(pipeline, &original);
    s.write(
        "demo/sql/04_peek.sql",
        "-- a look at the input\n\nSELECT order_id\nFROM orders;\n",
    );
    let out = s.run(&["validate", "--project-dir", "demo"]).expect(1);
    assert!(out.stderr.contains("a bare SELECT returns rows"), "{}", out.all());
    assert!(out.stderr.contains("04_peek.sql:3"), "{}", out.all());
    assert!(out.stderr.contains("pipegen sql"), "{}", out.all());
    std::fs::remove_file(s.path().join("demo/sql/04_peek.sql")).unwrap();

    s.run(&["validate", "--project-dir", "demo"]).expect(0);

    let config = s.read("demo/.pipegen.yaml");
    s.write("demo/.pipegen.yaml", &format!("{config}\n---\nrun:\n  duration: 1h\n"));
    let out = s.run(&["validate", "--project-dir", "demo"]).expect(2);
    assert!(out.stderr.contains("second"), "{}", out.all());

    s.write("demo/.pipegen.yaml", "engine: embedded\nrun: []\n");
    let out = s.run(&["validate", "--project-dir", "demo"]).expect(2);
    assert!(out.stderr.contains("a section of keys, not a list"), "{}", out.all());

    s.write("demo/.pipegen.yaml", "run:\n  message_rate: .nan\n");
    let out = s.run(&["validate", "--project-dir", "demo"]).expect(2);
    assert!(out.stderr.contains("not a finite number"), "{}", out.all());
    assert!(!out.stderr.contains("null"), "{}", out.all());
}

#[test]
fn a_pattern_whose_rate_overflows_is_refused() {
    let s = Scratch::new();
    s.run(&["init", "demo"]).expect(0);
    let out = s
        .run(&[
            "--project-dir",
            "demo",
            "run",
            "--dry-run",
            "--duration",
            "2s",
            "--traffic-pattern",
            "1s-2s:1e300%",
        ])
        .expect(2);
    assert!(out.stderr.contains("1s-2s:1e300%"), "{}", out.all());
    assert!(out.stderr.contains("highest plannable rate"), "{}", out.all());
}

#[test]
fn a_reports_dir_that_cannot_be_written_stops_the_run_before_it_produces() {
    let s = Scratch::new();
    s.run(&["init", "demo"]).expect(0);
    // A path below a regular file can be made by nobody, root included.
    s.write("demo/blocker", "not a directory\n");
    let started = Instant::now();
    let out = s
        .run(&[
            "--project-dir",
            "demo",
            "run",
            "--duration",
            "30s",
            "--reports-dir",
            "blocker/reports",
        ])
        .expect(2);
    assert!(started.elapsed() < Duration::from_secs(20), "it waited for the load");
    assert!(out.stderr.contains("blocker/reports"), "{}", out.all());
    assert!(out.stderr.contains("--reports-dir"), "{}", out.all());
    assert!(!out.all().contains("produced"), "{}", out.all());
}

fn resident_mib(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    let line = status.lines().find(|l| l.starts_with("VmRSS:")).unwrap();
    line.split_whitespace().nth(1).unwrap().parse::<u64>().unwrap() / 1024
}

#[test]
fn a_run_planned_for_a_century_costs_what_it_ran() {
    let s = Scratch::new();
    s.quick_project("demo");
    let mut child = s.spawn(&[
        "--project-dir",
        "demo",
        "run",
        "--duration",
        "36500d",
        "--message-rate",
        "50",
    ]);
    std::thread::sleep(Duration::from_secs(6));
    assert!(child.try_wait().unwrap().is_none(), "the run ended early");
    let resident = resident_mib(child.id());
    assert!(resident < 1024, "{resident} MiB resident after 6 s");
    let status = std::process::Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(130), "{}", String::from_utf8_lossy(&out.stderr));
    let result = s.newest_result("demo");
    let timeline = result["timeline"].as_array().unwrap();
    assert!(
        (3..120).contains(&timeline.len()),
        "the timeline covers what ran, not the plan: {} seconds",
        timeline.len()
    );
}

const ENDLESS: &str = "CREATE TABLE g (k BIGINT, s STRING) WITH ('connector' = 'datagen',
  'rows-per-second' = '1000000000', 'fields.k.kind' = 'sequence', 'fields.k.start' = '1',
  'fields.k.end' = '9000000000000000000');\n";

#[test]
fn sql_stops_a_query_over_its_memory_budget() {
    let s = Scratch::new();
    // An endless aggregation, and an equi-join of two 10^7-row sources (which grew to 7.5 GB
    // and aborted).
    let rows = |name: &str| {
        format!(
            "CREATE TABLE {name} (k BIGINT, s STRING) WITH ('connector' = 'datagen', 'number-of-rows' = '10000000',
               'rows-per-second' = '1000000000', 'fields.k.kind' = 'sequence', 'fields.k.start' = '1',
               'fields.k.end' = '10000000');\n"
        )
    };
    for query in [
        format!("{ENDLESS}SELECT k, COUNT(*) AS n FROM g GROUP BY k;"),
        format!("{}{}SELECT COUNT(*) FROM a JOIN b ON a.k = b.k;", rows("a"), rows("b")),
    ] {
        s.write("q.sql", &query);
        let started = Instant::now();
        let out = s.run(&["sql", "-f", "q.sql", "--memory-budget", "64mb"]);
        assert_ne!(out.code, 0, "{}", out.all());
        assert!(started.elapsed() < Duration::from_secs(120));
        assert!(out.stderr.contains("memory budget of 64 MiB"), "{}", out.all());
        assert!(out.stderr.contains("q.sql:"), "{}", out.all());
        assert!(out.stderr.contains("--memory-budget"), "{}", out.all());
    }
}

#[test]
fn sql_prints_the_rows_of_an_endless_query_as_they_come() {
    let s = Scratch::new();
    let endless_slow = ENDLESS.replace("'1000000000'", "'20'");
    s.write("q.sql", &format!("{endless_slow}SELECT k FROM g;"));
    for format in ["json", "table"] {
        let mut child = s
            .command(&["sql", "-f", "q.sql", "--format", format])
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap();
        let (lines, got) = std::sync::mpsc::channel();
        let stdout = child.stdout.take().unwrap();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if lines.send(line).is_err() {
                    break;
                }
            }
        });
        let deadline = Instant::now() + Duration::from_secs(60);
        let mut seen = Vec::new();
        while seen.len() < 8 && Instant::now() < deadline {
            if let Ok(line) = got.recv_timeout(Duration::from_millis(200)) {
                seen.push(line);
            }
        }
        let _ = child.kill();
        let _ = child.wait();
        assert!(seen.len() >= 8, "{format}: only {seen:?} before the deadline");
        if format == "json" {
            assert_eq!(seen[0], r#"{"k":1}"#);
        } else {
            assert!(
                seen.iter()
                    .any(|l| l.contains("| k |") || l.trim_end().ends_with("k |")),
                "{seen:?}"
            );
        }
    }
}
