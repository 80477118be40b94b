//! `pipegen init --describe` end to end: the binary against a model server that speaks
//! OpenAI's or Ollama's wire protocol (`pipegen_testkit::LlmServer`), scripted to answer with
//! a project that does not validate first.

mod common;

use common::Scratch;
use pipegen_testkit::drafts::{valid, wrong_column};
use pipegen_testkit::{LlmOptions, LlmServer, Protocol, Scripted};

const KEY: &str = "sk-cli-test-5e1d9b7a3c";
const MODEL: &str = "test-model";

fn openai_env(server: &LlmServer, key: &str) -> Vec<(&'static str, String)> {
    vec![
        ("PIPEGEN_OPENAI_API_KEY", key.to_owned()),
        ("PIPEGEN_OPENAI_MODEL", MODEL.to_owned()),
        ("PIPEGEN_OPENAI_BASE_URL", server.url.clone()),
    ]
}

fn with_env<'a>(env: &'a [(&'static str, String)]) -> Vec<(&'a str, &'a str)> {
    env.iter().map(|(k, v)| (*k, v.as_str())).collect()
}

#[test]
fn a_described_project_is_repaired_written_and_validates() {
    let server = LlmServer::start(
        LlmOptions {
            api_key: Some(KEY.into()),
            ..LlmOptions::new(Protocol::OpenAi, MODEL)
        },
        vec![Scripted::Answer(wrong_column()), Scripted::Answer(valid())],
    );
    let s = Scratch::new();
    let env = openai_env(&server, KEY);
    let out = s
        .run_with_env(
            &[
                "init",
                "page-views",
                "--describe",
                "count page views per page every minute",
                "--domain",
                "e-commerce",
                "-v",
            ],
            &with_env(&env),
        )
        .expect(0);
    assert!(
        out.stderr.contains("round 1: the draft had 2 problems:"),
        "{}",
        out.stderr
    );
    assert!(
        out.stderr.contains("validated in round 2 of at most 4"),
        "{}",
        out.stderr
    );
    assert!(out.stdout.contains("sql/03_pipeline.sql"), "{}", out.stdout);
    assert!(!out.all().contains(KEY), "the key was printed:\n{}", out.all());
    s.run(&["validate", "--project-dir", "page-views"]).expect(0);
    assert!(
        s.read("page-views/sql/03_pipeline.sql")
            .contains("GROUP BY window_start, window_end, page")
    );

    // The configuration shows the key's origin, never the key.
    let shown = s.run_with_env(&["config", "show"], &with_env(&env)).expect(0);
    assert!(shown.stdout.contains("PIPEGEN_OPENAI_API_KEY"), "{}", shown.stdout);
    assert!(!shown.all().contains(KEY), "{}", shown.all());

    // `pipegen check` reports the model; the key stays hidden there too.
    let check = s.run_with_env(&["check"], &with_env(&env)).expect(0);
    assert!(check.stdout.contains("AI model"), "{}", check.stdout);
    assert!(check.stdout.contains("model test-model available"), "{}", check.stdout);
    assert!(!check.all().contains(KEY));
}

#[test]
fn a_project_that_never_validates_is_not_written_and_the_draft_is_kept() {
    let server = LlmServer::start(
        LlmOptions::new(Protocol::Ollama, MODEL),
        vec![Scripted::Answer(wrong_column()), Scripted::Answer(wrong_column())],
    );
    let s = Scratch::new();
    s.write(
        "home/.pipegen.yaml",
        &format!(
            "ai:\n  provider: ollama\n  model: {MODEL}\n  url: {}\n  max_repair_rounds: 1\n",
            server.url
        ),
    );
    let out = s
        .run(&[
            "init",
            "views",
            "--describe",
            "count page views per country",
            "--keep-draft",
            "draft",
            "-v",
        ])
        .expect(1);
    assert!(
        out.stderr.contains("still had 2 problems after 2 rounds"),
        "{}",
        out.stderr
    );
    assert!(out.stderr.contains("country"), "{}", out.stderr);
    assert!(out.stderr.contains("sql/03_pipeline.sql:"), "{}", out.stderr);
    assert!(!s.path().join("views").exists());
    assert!(s.read("draft/findings.txt").contains("country"));
    assert!(s.path().join("draft/views/sql/03_pipeline.sql").exists());
    let leftovers: Vec<String> = std::fs::read_dir(s.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n != "home" && n != "draft")
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
}

#[test]
fn a_refused_key_a_missing_model_and_no_server_are_clear_errors() {
    let server = LlmServer::start(
        LlmOptions {
            api_key: Some(KEY.into()),
            ..LlmOptions::new(Protocol::OpenAi, MODEL)
        },
        vec![Scripted::Answer(valid())],
    );
    let s = Scratch::new();
    let wrong = "sk-wrong-key-0a1b2c3d4e";
    let env = openai_env(&server, wrong);
    let out = s
        .run_with_env(&["init", "views", "--describe", "count page views"], &with_env(&env))
        .expect(1);
    assert!(out.stderr.contains("refused the API key (HTTP 401)"), "{}", out.stderr);
    for part in [wrong, "sk-", "2c3d4e"] {
        assert!(!out.all().contains(part), "`{part}` shown:\n{}", out.all());
    }
    assert!(!s.path().join("views").exists());
    let check = s.run_with_env(&["check"], &with_env(&env)).expect(1);
    assert!(check.stdout.contains("FAIL AI model"), "{}", check.stdout);
    assert!(!check.all().contains(wrong));

    let ollama = LlmServer::start(LlmOptions::new(Protocol::Ollama, "llama3.2"), Vec::new());
    let env = [
        ("PIPEGEN_OLLAMA_MODEL", "qwen2.5"),
        ("PIPEGEN_OLLAMA_URL", ollama.url.as_str()),
    ];
    let check = s.run_with_env(&["check", "--json"], &env).expect(1);
    let report: serde_json::Value = serde_json::from_str(check.stdout.trim()).unwrap();
    assert_eq!(report["parts"][0]["part"], "AI model");
    assert_eq!(report["parts"][0]["healthy"], false);
    assert!(
        report["parts"][0]["summary"]
            .as_str()
            .unwrap()
            .contains("it has: llama3.2:latest"),
        "{report}"
    );
    let out = s
        .run_with_env(&["init", "views", "--describe", "count page views"], &env)
        .expect(1);
    assert!(out.stderr.contains("ollama pull qwen2.5"), "{}", out.stderr);

    let port = pipegen_testkit::free_port().to_string();
    let url = format!("http://127.0.0.1:{port}");
    let env = [
        ("PIPEGEN_OLLAMA_MODEL", "llama3.2"),
        ("PIPEGEN_OLLAMA_URL", url.as_str()),
    ];
    let out = s
        .run_with_env(&["init", "views", "--describe", "count page views"], &env)
        .expect(1);
    assert!(
        out.stderr.contains(&format!("cannot reach {url}/api/chat")),
        "{}",
        out.stderr
    );
    assert!(!s.path().join("views").exists());
}

#[test]
fn a_draft_the_embedded_engine_refuses_goes_back_to_the_model() {
    // The validator accepts a DROP TABLE beside the INSERT (Flink runs it); the embedded engine,
    // which runs the project, does not: the dry deploy finds it.
    let mut peeking = pipegen_testkit::drafts::answer(Some(pipegen_testkit::drafts::CLICK_SCHEMA), "page");
    peeking["sql"]["pipeline"] = format!(
        "DROP TABLE IF EXISTS `stale_views`;\n{}",
        pipegen_testkit::drafts::pipeline("page")
    )
    .into();
    let server = LlmServer::start(
        LlmOptions::new(Protocol::Ollama, MODEL),
        vec![Scripted::Answer(peeking.to_string()), Scripted::Answer(valid())],
    );
    let s = Scratch::new();
    let env = [
        ("PIPEGEN_OLLAMA_MODEL", MODEL),
        ("PIPEGEN_OLLAMA_URL", server.url.as_str()),
    ];
    let out = s
        .run_with_env(&["init", "views", "--describe", "count page views", "-v"], &env)
        .expect(0);
    assert!(
        out.stderr
            .contains("sql/03_pipeline.sql:1:1: error: the embedded engine refuses this statement"),
        "{}",
        out.stderr
    );
    let repair = &server.received()[1].body["messages"][3]["content"];
    assert!(out.stderr.contains("DROP TABLE"), "{}", out.stderr);
    assert!(repair.as_str().unwrap().contains("DROP TABLE"), "{repair}");
    s.run(&["validate", "--project-dir", "views"]).expect(0);
    assert!(!s.read("views/sql/03_pipeline.sql").contains("DROP TABLE"));
}
