//! Layering end to end on real files in a temp directory.

use std::fs;
use std::path::Path;

use pipegen_config::{Acks, ConfigError, FlagValue, KeyPath, LoadOptions, Rate, Source, load};
use pipegen_diag::Diagnostic;

fn write(dir: &Path, name: &str, text: &str) {
    fs::write(dir.join(name), text).unwrap();
}

struct Fixture {
    _tmp: tempfile::TempDir,
    home: std::path::PathBuf,
    project: std::path::PathBuf,
}

fn fixture() -> Fixture {
    let tmp = tempfile::tempdir().unwrap();
    let home = tmp.path().join("home");
    let project = tmp.path().join("project");
    fs::create_dir_all(&home).unwrap();
    fs::create_dir_all(&project).unwrap();
    Fixture {
        _tmp: tmp,
        home,
        project,
    }
}

fn options(f: &Fixture) -> LoadOptions {
    LoadOptions {
        project_dir: f.project.clone(),
        explicit_file: None,
        home_dir: Some(f.home.clone()),
        env: Vec::new(),
        flags: Vec::new(),
    }
}

#[test]
fn flag_beats_env_beats_project_beats_user_beats_default() {
    let f = fixture();
    write(
        &f.home,
        ".pipegen.yaml",
        "kafka:\n  producer:\n    linger_ms: 1\n    batch_size: 1000\n    acks: 0\n",
    );
    write(
        &f.project,
        ".pipegen.yaml",
        "kafka:\n  producer:\n    linger_ms: 2\n    batch_size: 2000\n",
    );
    let mut opts = options(&f);
    opts.env = vec![
        ("PIPEGEN_KAFKA__PRODUCER__LINGER_MS".into(), "3".into()),
        ("UNRELATED".into(), "x".into()),
    ];
    opts.flags = vec![FlagValue::new("kafka.producer.linger_ms", 4, "--linger-ms")];

    let resolved = load(&opts).unwrap();
    let producer = &resolved.config.kafka.producer;
    assert_eq!(producer.linger_ms, 4);
    assert_eq!(producer.batch_size, 2000);
    assert_eq!(producer.acks, Acks::None);
    assert_eq!(producer.retry_backoff_ms, 100);

    let origin = |k: &str| resolved.origin(&KeyPath::parse(k));
    assert_eq!(
        origin("kafka.producer.linger_ms").source,
        Source::Flag("--linger-ms".into())
    );
    assert!(matches!(
        origin("kafka.producer.batch_size").source,
        Source::ProjectFile(_)
    ));
    assert_eq!(origin("kafka.producer.batch_size").position.unwrap().line, 4);
    assert!(matches!(origin("kafka.producer.acks").source, Source::UserFile(_)));
    assert_eq!(origin("kafka.producer.retry_backoff_ms").source, Source::Default);

    let shown = resolved.render_with_origins();
    let line = |key: &str| {
        shown
            .lines()
            .find(|l| l.trim_start().starts_with(key))
            .unwrap()
            .to_owned()
    };
    assert!(line("linger_ms:").ends_with("# flag --linger-ms"), "{shown}");
    assert!(line("batch_size:").contains(".pipegen.yaml:4"), "{shown}");
    assert!(line("retry_backoff_ms:").ends_with("# default"), "{shown}");
}

#[test]
fn env_beats_files_and_explicit_file_beats_project_file() {
    let f = fixture();
    write(
        &f.project,
        ".pipegen.yaml",
        "run:\n  message_rate: 10\n  duration: 1m\n",
    );
    write(&f.project, "perf.yaml", "run:\n  message_rate: 5000\n");
    let mut opts = options(&f);
    opts.explicit_file = Some(f.project.join("perf.yaml"));
    let resolved = load(&opts).unwrap();
    assert_eq!(resolved.config.run.message_rate, Rate::PerSecond(5000.0));
    assert_eq!(resolved.config.run.duration.as_std().as_secs(), 60);

    opts.env = vec![("PIPEGEN_RUN__MESSAGE_RATE".into(), "max".into())];
    assert_eq!(load(&opts).unwrap().config.run.message_rate, Rate::Max);
}

#[test]
fn unknown_key_names_file_line_and_nearest_key() {
    let f = fixture();
    write(
        &f.project,
        ".pipegen.yaml",
        "# tuned\nkafka:\n  producer:\n    batch_size: 65536\n    linger_m: 10\n",
    );
    let err = load(&options(&f)).unwrap_err();
    let shown = Diagnostic::from(&err).to_string();
    assert!(
        shown.contains(".pipegen.yaml:5:5: error: unknown key `kafka.producer.linger_m`"),
        "{shown}"
    );
    assert!(shown.contains("did you mean `linger_ms`?"), "{shown}");
    assert!(shown.contains("5 |     linger_m: 10"), "{shown}");
}

#[test]
fn wrong_type_names_file_and_line() {
    let f = fixture();
    write(
        &f.project,
        ".pipegen.yaml",
        "flink:\n  checkpoint:\n    interval: soon\n",
    );
    let err = load(&options(&f)).unwrap_err();
    let ConfigError::InvalidValue(located) = &err else {
        panic!("{err:?}")
    };
    let (key, origin, message) = (&located.key, &located.origin, &located.message);
    assert_eq!(key, "flink.checkpoint.interval");
    assert_eq!(origin.position.unwrap().line, 3);
    assert!(message.contains("invalid duration `soon`"), "{message}");

    write(
        &f.project,
        ".pipegen.yaml",
        "kafka:\n  producer:\n    compression_type: brotli\n",
    );
    let shown = Diagnostic::from(&load(&options(&f)).unwrap_err()).to_string();
    assert!(shown.contains(".pipegen.yaml:3"), "{shown}");
    assert!(shown.contains("lz4"), "{shown}");
}

#[test]
fn errors_inside_lists_point_at_the_item() {
    let f = fixture();
    write(
        &f.project,
        ".pipegen.yaml",
        "benchmark:\n  scenarios:\n    - name: a\n      rate: 10\n    - name: b\n      rate: fast\n",
    );
    let err = load(&options(&f)).unwrap_err();
    let ConfigError::InvalidValue(located) = &err else {
        panic!("{err:?}")
    };
    assert_eq!(located.origin.position.unwrap().line, 6, "{err:?}");
}

#[test]
fn bad_env_and_flag_values_name_their_source() {
    let f = fixture();
    let mut opts = options(&f);
    opts.env = vec![("PIPEGEN_KAFKA__PRODUCER__LINGER".into(), "5".into())];
    let shown = Diagnostic::from(&load(&opts).unwrap_err()).to_string();
    assert!(shown.contains("PIPEGEN_KAFKA__PRODUCER__LINGER"), "{shown}");
    assert!(shown.contains("linger_ms"), "{shown}");

    opts.env.clear();
    opts.flags = vec![FlagValue::new("flink.parallelism", 0, "--parallelism")];
    let shown = Diagnostic::from(&load(&opts).unwrap_err()).to_string();
    assert!(shown.contains("--parallelism"), "{shown}");
}

#[test]
fn secrets_come_from_env_and_never_show() {
    let f = fixture();
    write(
        &f.project,
        ".pipegen.yaml",
        "kafka:\n  security:\n    security_protocol: SASL_SSL\n    sasl_mechanism: SCRAM-SHA-512\n    username: svc\n    password: ${KAFKA_PW}\n  producer:\n    properties:\n      sasl.password: inline-secret\n",
    );
    let mut opts = options(&f);
    assert!(matches!(load(&opts).unwrap_err(), ConfigError::InvalidValue(l) if l.message.contains("KAFKA_PW")));
    opts.env = vec![("KAFKA_PW".into(), "s3cr3t".into())];
    let resolved = load(&opts).unwrap();
    assert_eq!(
        resolved.config.kafka.security.password.as_ref().unwrap().expose(),
        "s3cr3t"
    );
    let shown = resolved.render_with_origins();
    let json = resolved.redacted_json().to_string();
    for text in [&shown, &json, &format!("{:?}", resolved.config)] {
        assert!(!text.contains("s3cr3t") && !text.contains("inline-secret"), "{text}");
    }
    assert!(shown.contains("<redacted>"));
}

#[test]
fn broken_yaml_and_missing_explicit_file_are_clear() {
    let f = fixture();
    write(&f.project, ".pipegen.yaml", "run:\n  duration: 5m\n  rate: [1,\n");
    let err = load(&options(&f)).unwrap_err();
    assert!(matches!(err, ConfigError::Syntax(_)), "{err:?}");
    assert!(Diagnostic::from(&err).to_string().contains(".pipegen.yaml:"));

    let f = fixture();
    let mut opts = options(&f);
    opts.explicit_file = Some(f.project.join("nope.yaml"));
    assert!(matches!(load(&opts).unwrap_err(), ConfigError::Read { .. }));
}

#[test]
fn performance_guide_sections_are_accepted() {
    let f = fixture();
    write(
        &f.project,
        ".pipegen.yaml",
        r#"
kafka:
  producer: {batch_size: 65536, linger_ms: 10, compression_type: "lz4", acks: "1", buffer_memory: 67108864, retries: 2147483647, retry_backoff_ms: 100}
  consumer: {fetch_min_bytes: 50000, fetch_max_wait_ms: 500, max_poll_records: 1000, receive_buffer_bytes: 65536, send_buffer_bytes: 131072, max_poll_interval_ms: 300000}
  topics:
    input: {partitions: 16, replication_factor: 3}
flink:
  parallelism: 8
  max_parallelism: 128
  memory: {jobmanager: "2gb", taskmanager: "8gb", network: "256mb", managed: {fraction: 0.4}, heap: {size: "6gb"}, off_heap: {size: "2gb"}, direct: {size: "1gb"}}
  jvm_args: ["-XX:+UseG1GC", "-XX:MaxGCPauseMillis=200"]
  checkpoint: {interval: "60s", timeout: "10m", min_pause: "10s", max_concurrent: 1, incremental: true, storage: "s3://checkpoint-bucket/checkpoints", compression: true}
  state: {backend: "rocksdb", rocksdb: {block_cache_size: "256mb", write_buffer_size: "128mb", max_write_buffer_number: 4, compaction_style: "level", max_background_jobs: 4}}
  taskmanager: {slots: 4, cpu_cores: 2.0, rpc_threads: 4, query_threads: 4, replicas: 8}
  network: {buffers_per_channel: 8, extra_buffers_per_gate: 8, buffer_size: "32kb", buffer_timeout: "100ms"}
  cpu: {taskmanager: 8}
monitoring:
  metrics: ["flink_taskmanager_job_task_operator_numRecordsInPerSecond", "flink_memory_heap_used"]
benchmark:
  scenarios:
    - {name: "high_throughput", messages: 10000000, rate: 50000, duration: "10m"}
    - {name: "low_latency", messages: 1000000, rate: 1000, latency_target: "10ms"}
    - {name: "mixed_load", traffic_pattern: "0:1000,120:10000,240:500,360:20000", duration: "20m"}
"#,
    );
    let c = load(&options(&f)).unwrap().config;
    assert_eq!(c.kafka.topics.overrides["input"].partitions, Some(16));
    assert_eq!(c.flink.memory.taskmanager.unwrap().bytes(), 8 << 30);
    assert_eq!(c.flink.network.buffer_timeout.unwrap().as_std().as_millis(), 100);
    assert_eq!(c.benchmark.scenarios.len(), 3);
    assert_eq!(c.kafka.producer.buffer_memory.bytes(), 64 << 20);
}

#[test]
fn a_second_yaml_document_is_refused_at_its_line() {
    let f = fixture();
    write(
        &f.project,
        ".pipegen.yaml",
        "run:\n  duration: 5m\n---\nrun:\n  duration: 1h\n",
    );
    let shown = Diagnostic::from(&load(&options(&f)).unwrap_err()).to_string();
    assert!(shown.contains(".pipegen.yaml:3:"), "{shown}");
    assert!(shown.contains("second"), "{shown}");
}

#[test]
fn a_section_set_to_a_list_or_scalar_is_refused() {
    let f = fixture();
    for (text, kind) in [("run: []\n", "a list"), ("kafka:\n  producer: 10\n", "a number")] {
        write(&f.project, ".pipegen.yaml", text);
        let err = load(&options(&f)).unwrap_err();
        let shown = Diagnostic::from(&err).to_string();
        assert!(shown.contains("a section of keys"), "{shown}");
        assert!(shown.contains(kind), "{shown}");
    }
    // An empty section is still allowed.
    write(&f.project, ".pipegen.yaml", "run:\n");
    load(&options(&f)).unwrap();
}

#[test]
fn nan_is_refused_as_not_a_number() {
    let f = fixture();
    write(&f.project, ".pipegen.yaml", "run:\n  message_rate: .nan\n");
    let shown = Diagnostic::from(&load(&options(&f)).unwrap_err()).to_string();
    assert!(shown.contains(".pipegen.yaml:2:"), "{shown}");
    assert!(shown.contains("not a finite number"), "{shown}");
    assert!(!shown.contains("null"), "{shown}");
}

#[test]
fn secret_values_never_reach_config_errors() {
    let f = fixture();
    for text in [
        // A mistyped key, a number and a list where the password goes, a property list.
        "schema_registry:\n  pasword: hunter2-xyz\n",
        "kafka:\n  security:\n    sasl_passwrd: hunter2-xyz\n",
        "schema_registry:\n  password: 7777123456\n",
        "schema_registry:\n  password: [hunter2-xyz, other]\n",
        "schema_registry:\n  password:\n    - hunter2-xyz\n",
        "kafka:\n  producer:\n    properties:\n      sasl.password: [hunter2-xyz]\n",
        "kafka:\n  security:\n    password: \"hunter2-xyz\n",
    ] {
        write(&f.project, ".pipegen.yaml", text);
        let err = load(&options(&f)).unwrap_err();
        let shown = format!("{}\n{err:?}", Diagnostic::from(&err));
        assert!(
            !shown.contains("hunter2") && !shown.contains("7777123456"),
            "{text}: {shown}"
        );
        assert!(shown.contains(".pipegen.yaml:"), "{shown}");
    }
}

#[test]
fn registry_url_credentials_become_basic_auth_and_never_show() {
    let f = fixture();
    write(
        &f.project,
        ".pipegen.yaml",
        "schema_registry_url: https://svc:hunter2-url@registry:8081\nflink:\n  schema_registry_url: http://svc:hunter2-url@registry:8081\n",
    );
    let resolved = load(&options(&f)).unwrap();
    assert_eq!(
        resolved.config.schema_registry_url.as_deref(),
        Some("https://registry:8081")
    );
    assert_eq!(resolved.config.schema_registry.username.as_deref(), Some("svc"));
    assert_eq!(
        resolved.config.schema_registry.password.as_ref().map(|p| p.expose()),
        Some("hunter2-url")
    );
    for shown in [resolved.render_with_origins(), resolved.redacted_json().to_string()] {
        assert!(!shown.contains("hunter2"), "{shown}");
    }

    // A URL that is refused does not quote its password either.
    write(
        &f.project,
        ".pipegen.yaml",
        "schema_registry_url: ftp://svc:hunter2-url@registry\n",
    );
    let err = load(&options(&f)).unwrap_err();
    let shown = format!("{}\n{err:?}", Diagnostic::from(&err));
    assert!(
        !shown.contains("hunter2") && shown.contains("not an http(s) URL"),
        "{shown}"
    );
}

#[test]
fn the_original_model_variables_fill_the_ai_section_and_the_key_stays_hidden() {
    use pipegen_config::AiProvider;
    let f = fixture();
    write(
        &f.project,
        ".pipegen.yaml",
        "ai:\n  provider: openai\n  timeout: 2m\n  max_repair_rounds: 5\n",
    );
    let mut opts = options(&f);
    opts.env = vec![
        ("PIPEGEN_OLLAMA_MODEL".into(), "llama3.2".into()),
        ("PIPEGEN_OPENAI_API_KEY".into(), "sk-test-very-secret-4242".into()),
        ("PIPEGEN_OPENAI_MODEL".into(), "gpt-test".into()),
        ("PIPEGEN_OPENAI_BASE_URL".into(), "http://127.0.0.1:1/v1".into()),
    ];
    let resolved = load(&opts).unwrap();
    let ai = &resolved.config.ai;
    // The file chose OpenAI: Ollama's variable does not apply.
    assert_eq!(ai.provider, Some(AiProvider::Openai));
    assert_eq!(ai.model.as_deref(), Some("gpt-test"));
    assert_eq!(ai.url.as_deref(), Some("http://127.0.0.1:1/v1"));
    assert_eq!(
        ai.api_key.as_ref().map(|k| k.expose()),
        Some("sk-test-very-secret-4242")
    );
    assert_eq!(ai.timeout.as_std().as_secs(), 120);
    assert_eq!(ai.max_repair_rounds, 5);
    assert_eq!(
        resolved.origin(&KeyPath::parse("ai.api_key")).source,
        Source::Env("PIPEGEN_OPENAI_API_KEY".into())
    );
    let shown = resolved.render_with_origins();
    assert!(!shown.contains("very-secret"), "{shown}");
    assert!(shown.contains("api_key: <redacted>"), "{shown}");
    assert!(!format!("{resolved:?}").contains("very-secret"));

    // Without a provider in any file, Ollama's variables choose Ollama (the model stays local).
    write(&f.project, ".pipegen.yaml", "");
    let resolved = load(&opts).unwrap();
    assert_eq!(resolved.config.ai.provider, Some(AiProvider::Ollama));
    assert_eq!(resolved.config.ai.model.as_deref(), Some("llama3.2"));
    assert_eq!(resolved.config.ai.api_key, None);
    assert_eq!(
        resolved.origin(&KeyPath::parse("ai.provider")).source,
        Source::Env("PIPEGEN_OLLAMA_MODEL".into())
    );
}

#[test]
fn a_mistyped_ai_key_is_named_with_its_line() {
    let f = fixture();
    write(
        &f.project,
        ".pipegen.yaml",
        "ai:\n  provider: ollama\n  modle: llama3.2\n",
    );
    let err = load(&options(&f)).unwrap_err();
    let shown = Diagnostic::from(&err).to_string();
    assert!(shown.contains(".pipegen.yaml:3"), "{shown}");
    assert!(shown.contains("model"), "{shown}");
}
