//! Config precedence end to end: a value set in the user file, the project file, the
//! environment and a flag resolves to the flag, and `config show` says where each came from.

mod common;

use common::Scratch;

fn value_line<'a>(shown: &'a str, key: &str) -> &'a str {
    shown
        .lines()
        .find(|l| l.trim_start().starts_with(&format!("{key}:")))
        .unwrap_or_else(|| panic!("{key} not in:\n{shown}"))
}

#[test]
fn flag_wins_over_env_over_project_over_user_file() {
    let s = Scratch::new();
    s.write(
        "home/.pipegen.yaml",
        "bootstrap_servers: user:9092\nrun:\n  duration: 1m\n  seed: 7\n",
    );
    s.write(
        "proj/.pipegen.yaml",
        "bootstrap_servers: project:9092\nrun:\n  duration: 2m\n",
    );

    let show = |args: &[&str], env: &[(&str, &str)]| {
        let mut all = vec!["config", "show", "--project-dir", "proj"];
        all.extend_from_slice(args);
        s.run_with_env(&all, env).expect(0).stdout
    };

    let shown = show(&[], &[]);
    assert!(
        value_line(&shown, "bootstrap_servers").contains("project:9092"),
        "{shown}"
    );
    assert!(
        value_line(&shown, "bootstrap_servers").contains("proj/.pipegen.yaml:1"),
        "{shown}"
    );
    assert!(value_line(&shown, "seed").contains("home/.pipegen.yaml:4"), "{shown}");
    assert!(value_line(&shown, "linger_ms").ends_with("# default"), "{shown}");

    let env = [
        ("PIPEGEN_BOOTSTRAP_SERVERS", "env:9092"),
        ("PIPEGEN_RUN__DURATION", "3m"),
    ];
    let shown = show(&[], &env);
    assert!(value_line(&shown, "bootstrap_servers").contains("env:9092"), "{shown}");
    assert!(
        value_line(&shown, "bootstrap_servers").ends_with("# env PIPEGEN_BOOTSTRAP_SERVERS"),
        "{shown}"
    );
    assert!(value_line(&shown, "duration").contains("3m"), "{shown}");

    let shown = show(&["--bootstrap-servers", "flag:9092"], &env);
    let line = value_line(&shown, "bootstrap_servers");
    assert!(
        line.contains("flag:9092") && line.ends_with("# flag --bootstrap-servers"),
        "{shown}"
    );
    assert!(
        value_line(&shown, "duration").ends_with("# env PIPEGEN_RUN__DURATION"),
        "{shown}"
    );
}

#[test]
fn run_flags_are_the_strongest_layer() {
    let s = Scratch::new();
    s.write("proj/.pipegen.yaml", "run:\n  message_rate: 10\n");
    let out = s
        .run_with_env(
            &["run", "--dry-run", "--project-dir", "proj", "--rate", "2500.5"],
            &[("PIPEGEN_RUN__MESSAGE_RATE", "20")],
        )
        .expect(0);
    assert!(out.stdout.contains("2500.5 msg/s"), "{}", out.stdout);
    assert!(out.stdout.contains("log:             embedded"), "{}", out.stdout);
}

#[test]
fn explicit_config_file_layers_over_the_project_file() {
    let s = Scratch::new();
    s.write("proj/.pipegen.yaml", "run:\n  message_rate: 10\n  duration: 2m\n");
    s.write("perf.yaml", "run:\n  message_rate: 50000\n");
    let shown = s
        .run(&["config", "show", "--project-dir", "proj", "--config", "perf.yaml"])
        .expect(0)
        .stdout;
    assert!(value_line(&shown, "message_rate").contains("50000"), "{shown}");
    assert!(value_line(&shown, "message_rate").contains("perf.yaml:2"), "{shown}");
    assert!(value_line(&shown, "duration").contains("2m"), "{shown}");
}

#[test]
fn broken_config_is_exit_2_with_file_line_and_hint() {
    let s = Scratch::new();
    s.write("proj/.pipegen.yaml", "kafka:\n  producer:\n    linger_m: 5\n");
    let out = s.run(&["config", "show", "--project-dir", "proj"]).expect(2);
    assert!(out.stderr.contains("proj/.pipegen.yaml:3:5"), "{}", out.stderr);
    assert!(out.stderr.contains("did you mean `linger_ms`?"), "{}", out.stderr);

    s.write("proj/.pipegen.yaml", "run:\n  duration: forever\n");
    let out = s.run(&["run", "--dry-run", "--project-dir", "proj"]).expect(2);
    assert!(out.stderr.contains("proj/.pipegen.yaml:2"), "{}", out.stderr);
    assert!(out.stderr.contains("invalid duration `forever`"), "{}", out.stderr);

    s.write("proj/.pipegen.yaml", "run:\n  duration: [5m\n");
    let out = s.run(&["validate", "--project-dir", "proj"]).expect(2);
    assert!(out.stderr.contains("proj/.pipegen.yaml:"), "{}", out.stderr);

    std::fs::create_dir(s.path().join("proj2")).unwrap();
    let out = s
        .run_with_env(
            &["config", "show", "--project-dir", "proj2"],
            &[("PIPEGEN_RUN__DURATON", "5m")],
        )
        .expect(2);
    assert!(
        out.stderr.contains("PIPEGEN_RUN__DURATON") && out.stderr.contains("duration"),
        "{}",
        out.stderr
    );

    s.run(&["run", "--dry-run", "--project-dir", "proj2", "--rate", "-5"])
        .expect(2);
    s.run(&["run", "--dry-run", "--project-dir", "proj2", "--rate", "0"])
        .expect(2);
}

#[test]
fn secrets_never_reach_the_terminal() {
    let s = Scratch::new();
    s.write(
        "proj/.pipegen.yaml",
        "kafka:\n  security:\n    security_protocol: SASL_SSL\n    sasl_mechanism: PLAIN\n    username: svc\n    password: ${KAFKA_PASSWORD}\n",
    );
    let out = s
        .run_with_env(
            &["config", "show", "--project-dir", "proj"],
            &[("KAFKA_PASSWORD", "hunter2-secret")],
        )
        .expect(0);
    assert!(!out.all().contains("hunter2-secret"));
    assert!(
        out.stdout
            .lines()
            .any(|l| l.trim_start().starts_with("password:") && l.contains("<redacted>")),
        "the Kafka password shows redacted: {}",
        out.stdout
    );
}

#[test]
fn dry_run_prints_the_rate_plan_and_rejects_bad_patterns() {
    let s = Scratch::new();
    std::fs::create_dir(s.path().join("p")).unwrap();
    let out = s
        .run(&[
            "run",
            "--dry-run",
            "--project-dir",
            "p",
            "--rate",
            "100",
            "--duration",
            "90s",
            "--traffic-pattern",
            "30s-60s:300%",
        ])
        .expect(0);
    assert!(out.stdout.contains("300%"), "{}", out.stdout);
    assert!(out.stdout.contains("expected total: 15000 messages"), "{}", out.stdout);

    for (pattern, expected) in [
        ("30s-60s:300", "no `%`"),
        ("30s-120s:300%", "ends after the run"),
        ("10s-40s:200%,30s-50s:150%", "overlaps"),
    ] {
        let out = s
            .run(&[
                "run",
                "--dry-run",
                "--project-dir",
                "p",
                "--duration",
                "90s",
                "--traffic-pattern",
                pattern,
            ])
            .expect(2);
        assert!(
            out.stderr.contains(expected) && out.stderr.contains("hint:"),
            "{pattern}: {}",
            out.stderr
        );
    }
}
