//! `init --describe` against servers that speak each provider's wire protocol (see
//! `pipegen_testkit::LlmServer`), scripted to answer badly first so the repair loop runs.

use std::fs;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use pipegen_ai::ollama::Ollama;
use pipegen_ai::openai::OpenAi;
use pipegen_ai::{ChatModel, Event, GenerateError, ProviderError, Request, generate};
use pipegen_config::Secret;
use pipegen_diag::Severity;
use pipegen_project::Project;
use pipegen_project::scaffold::ground;
use pipegen_testkit::drafts::{CLICK_SCHEMA, VIEWS_SINK, answer, pipeline, valid, wrong_column};
use pipegen_testkit::{LlmOptions, LlmServer, Protocol, Scripted};
use serde_json::{Value, json};

const KEY: &str = "sk-test-7f3a9c1e5b2d8f4a6c0e";
const MODEL: &str = "test-model";

fn openai(server: &LlmServer, key: &str) -> OpenAi {
    OpenAi::new(&server.url, MODEL, Some(Secret::new(key)), Duration::from_secs(20))
}

fn ollama(server: &LlmServer) -> Ollama {
    Ollama::new(&server.url, MODEL, Duration::from_secs(20))
}

fn request<'a>(target: &'a Path) -> Request<'a> {
    Request {
        target,
        force: false,
        description: "count page views per page every minute",
        domain: Some("e-commerce"),
        grounding: None,
        max_repair_rounds: 2,
        keep_draft: None,
    }
}

/// Runs the loop, collecting its events.
fn run(model: &dyn ChatModel, request: &Request<'_>) -> (Result<pipegen_ai::Generated, GenerateError>, Vec<Event>) {
    let mut events = Vec::new();
    let result = generate(model, request, &[], &mut |e| events.push(e));
    (result, events)
}

fn assert_validates(root: &Path) {
    let project = Project::load(root).unwrap_or_else(|problems| panic!("{problems:?}"));
    let errors: Vec<_> = pipegen_project::validate::check(&project)
        .into_iter()
        .filter(|f| f.severity == Severity::Error)
        .collect();
    assert!(errors.is_empty(), "{errors:?}");
}

fn listing(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for entry in fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        out.push(path.strip_prefix(dir).unwrap().to_path_buf());
        if path.is_dir() {
            out.extend(
                listing(&path)
                    .into_iter()
                    .map(|p| path.strip_prefix(dir).unwrap().join(p)),
            );
        }
    }
    out.sort();
    out
}

#[test]
fn openai_streamed_answers_are_repaired_until_the_project_validates() {
    let server = LlmServer::start(
        LlmOptions {
            api_key: Some(KEY.into()),
            ..LlmOptions::new(Protocol::OpenAi, MODEL)
        },
        vec![Scripted::Answer(wrong_column()), Scripted::Answer(valid())],
    );
    let tmp = tempfile::tempdir().unwrap();
    let target = tmp.path().join("page-views");
    let (result, events) = run(&openai(&server, KEY), &request(&target));
    let generated = result.unwrap();
    assert_eq!(generated.rounds, 2);
    assert_validates(&target);
    assert_eq!(
        fs::read_to_string(target.join("sql/03_pipeline.sql")).unwrap(),
        pipeline("page") + "\n"
    );
    let readme = fs::read_to_string(target.join("README.md")).unwrap();
    assert!(readme.contains("Partition the clicks topic by page"), "{readme}");
    assert!(readme.contains("count page views per page every minute"), "{readme}");

    // The first round's finding names the missing column and went back to the model.
    let findings: Vec<String> = events
        .iter()
        .filter_map(|e| match e {
            Event::Findings { findings, .. } => Some(findings.iter().map(ToString::to_string).collect::<Vec<_>>()),
            _ => None,
        })
        .flatten()
        .collect();
    assert!(findings.iter().any(|f| f.contains("country")), "{findings:?}");
    assert!(
        findings.iter().all(|f| !f.contains(&tmp.path().display().to_string())),
        "scratch paths leak: {findings:?}"
    );
    let received = server.received();
    assert_eq!(received.len(), 2);
    assert_eq!(
        received[0].authorization.as_deref(),
        Some(format!("Bearer {KEY}").as_str())
    );
    let first = &received[0].body;
    assert_eq!(first["stream"], true);
    assert_eq!(first["response_format"]["type"], "json_schema");
    assert_eq!(first["response_format"]["json_schema"]["strict"], true);
    assert_eq!(
        first["response_format"]["json_schema"]["schema"]["additionalProperties"],
        false
    );
    let second = received[1].body["messages"].as_array().unwrap();
    assert_eq!(second.len(), 4, "system, user, the first answer, the findings");
    assert_eq!(second[2]["role"], "assistant");
    let repair = second[3]["content"].as_str().unwrap();
    assert!(repair.contains("country"), "{repair}");

    // Progress came while the answer streamed: time and a growing token count.
    let tokens: Vec<u64> = events
        .iter()
        .filter_map(|e| match e {
            Event::Streaming(p) => Some(p.tokens),
            _ => None,
        })
        .collect();
    assert!(tokens.len() > 50, "{}", tokens.len());
    assert!(tokens.windows(2).any(|w| w[1] > w[0]));
}

#[test]
fn ollama_ndjson_answers_malformed_json_first_then_a_project() {
    let server = LlmServer::start(
        LlmOptions::new(Protocol::Ollama, MODEL),
        vec![
            Scripted::Answer(r#"{"description": "counts", "sql": {"#.into()),
            Scripted::Answer(valid()),
        ],
    );
    let tmp = tempfile::tempdir().unwrap();
    let target = tmp.path().join("views");
    let (result, events) = run(&ollama(&server), &request(&target));
    assert_eq!(result.unwrap().rounds, 2);
    assert_validates(&target);
    let received = server.received();
    assert_eq!(received[0].path, "/api/chat");
    assert_eq!(received[0].body["stream"], true);
    assert_eq!(received[0].body["format"]["type"], "object");
    assert_eq!(
        received[0].body["format"]["properties"]["sql"]["required"][2],
        "pipeline"
    );
    let repair = received[1].body["messages"][3]["content"].as_str().unwrap();
    assert!(repair.contains("not one JSON object"), "{repair}");
    // Ollama's final line carries the token count.
    let last = events
        .iter()
        .rev()
        .find_map(|e| match e {
            Event::Streaming(p) => Some(p.tokens),
            _ => None,
        })
        .unwrap();
    assert_eq!(last, valid().chars().count().div_ceil(6) as u64);
}

#[test]
fn a_project_that_never_validates_leaves_nothing_but_the_kept_draft() {
    let server = LlmServer::start(
        LlmOptions::new(Protocol::Ollama, MODEL),
        vec![Scripted::Answer(wrong_column()), Scripted::Answer(wrong_column())],
    );
    let tmp = tempfile::tempdir().unwrap();
    let parent = tmp.path().join("work");
    fs::create_dir_all(&parent).unwrap();
    let target = parent.join("views");
    let kept = tmp.path().join("draft");
    let mut req = request(&target);
    req.max_repair_rounds = 1;
    req.keep_draft = Some(&kept);
    let (result, _) = run(&ollama(&server), &req);
    let Err(GenerateError::StillInvalid {
        rounds,
        findings,
        kept: Some(dir),
    }) = result
    else {
        panic!("{result:?}");
    };
    assert_eq!(rounds, 2);
    assert!(
        findings.iter().any(|f| f.to_string().contains("country")),
        "{findings:?}"
    );
    assert!(!target.exists());
    assert_eq!(
        listing(&parent),
        Vec::<PathBuf>::new(),
        "nothing is left beside the target"
    );
    assert_eq!(dir, kept);
    assert_eq!(fs::read_to_string(kept.join("answer.json")).unwrap(), wrong_column());
    assert!(
        fs::read_to_string(kept.join("findings.txt"))
            .unwrap()
            .contains("country")
    );
    assert!(kept.join("views/sql/03_pipeline.sql").exists());
    assert_eq!(server.unused(), 0);
}

#[test]
fn a_file_name_from_the_model_goes_nowhere() {
    let mut escaping = answer(Some(CLICK_SCHEMA), "page");
    escaping["files"] = json!([{"path": "../../escaped.txt", "content": "x"}]);
    let mut named = answer(Some(CLICK_SCHEMA), "page");
    named["sql"]["file_name"] = json!("../../../escaped.sql");
    let server = LlmServer::start(
        LlmOptions::new(Protocol::Ollama, MODEL),
        vec![
            Scripted::Answer(escaping.to_string()),
            Scripted::Answer(named.to_string()),
            Scripted::Answer(valid()),
        ],
    );
    let tmp = tempfile::tempdir().unwrap();
    let deep = tmp.path().join("a/b");
    fs::create_dir_all(&deep).unwrap();
    let target = deep.join("views");
    let (result, events) = run(&ollama(&server), &request(&target));
    assert_eq!(result.unwrap().rounds, 3);
    let findings: Vec<String> = events
        .iter()
        .filter_map(|e| match e {
            Event::Findings { findings, .. } => Some(findings[0].to_string()),
            _ => None,
        })
        .collect();
    assert!(findings[0].contains("unknown field `files`"), "{findings:?}");
    assert!(
        findings[1].contains("sql") && findings[1].contains("unknown field `file_name`"),
        "{findings:?}"
    );
    assert_eq!(
        listing(tmp.path()),
        ["a", "a/b", "a/b/views"]
            .iter()
            .map(PathBuf::from)
            .chain(listing(&target).into_iter().map(|p| Path::new("a/b/views").join(p)))
            .collect::<Vec<_>>()
    );
    let mut files: Vec<String> = listing(&target).iter().map(|p| p.display().to_string()).collect();
    files.retain(|f| !["schemas", "sql", "monitoring"].contains(&f.as_str()));
    assert_eq!(
        files,
        [
            ".gitignore",
            ".pipegen.yaml",
            "README.md",
            "monitoring/grafana-dashboard.json",
            "monitoring/prometheus.yml",
            "schemas/input.avsc",
            "sql/01_source.sql",
            "sql/02_sink.sql",
            "sql/03_pipeline.sql"
        ]
    );
}

#[test]
fn the_users_schema_is_kept_verbatim_whatever_the_model_says() {
    let tmp = tempfile::tempdir().unwrap();
    let schema_path = tmp.path().join("click.avsc");
    let users = format!("{CLICK_SCHEMA}\n\n");
    fs::write(&schema_path, &users).unwrap();
    let target = tmp.path().join("views");
    let grounding = ground(&target, Some(&schema_path), None).unwrap().unwrap();
    let altered = CLICK_SCHEMA.replace("\"Click\"", "\"Clicked\"");
    let server = LlmServer::start(
        LlmOptions::new(Protocol::Ollama, MODEL),
        vec![Scripted::Answer(answer(Some(&altered), "page").to_string())],
    );
    let mut req = request(&target);
    req.grounding = Some(&grounding);
    let (result, _) = run(&ollama(&server), &req);
    result.unwrap();
    assert_eq!(fs::read_to_string(target.join("schemas/input.avsc")).unwrap(), users);
    let prompt = server.received()[0].body["messages"][1]["content"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(prompt.contains(CLICK_SCHEMA), "{prompt}");
    assert!(prompt.contains("Domain: e-commerce"), "{prompt}");
    assert_validates(&target);
}

#[test]
fn a_csv_input_is_profiled_for_the_model_and_copied_into_the_project() {
    let tmp = tempfile::tempdir().unwrap();
    let csv = tmp.path().join("clicks.csv");
    fs::write(
        &csv,
        "user_id,page,event_time\n1,/home,2026-01-01 10:00:00\n2,/cart,2026-01-01 10:00:05\n",
    )
    .unwrap();
    let target = tmp.path().join("views");
    let grounding = ground(&target, None, Some(&csv)).unwrap().unwrap();
    let sink = VIEWS_SINK;
    let draft = json!({
        "description": "Counts page views per minute.",
        "input_schema": null,
        "output_schema": null,
        "sql": {
            "source_table": grounding.source_sql(),
            "sink_table": sink,
            "pipeline": "INSERT INTO `page_views`\nSELECT window_start, window_end, page, COUNT(*) AS views\nFROM TABLE(TUMBLE(TABLE `clicks`, DESCRIPTOR(event_time), INTERVAL '1' MINUTE))\nGROUP BY window_start, window_end, page;",
        },
        "optimization_notes": [],
    });
    let server = LlmServer::start(
        LlmOptions::new(Protocol::OpenAi, MODEL),
        vec![Scripted::Answer(draft.to_string())],
    );
    let mut req = request(&target);
    req.grounding = Some(&grounding);
    let model = OpenAi::new(&server.url, MODEL, None, Duration::from_secs(20));
    let (result, _) = run(&model, &req);
    result.unwrap();
    assert_validates(&target);
    assert!(
        fs::read_to_string(target.join("data/clicks.csv"))
            .unwrap()
            .starts_with("# user_id,page,event_time\n")
    );
    let prompt = server.received()[0].body["messages"][1]["content"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(prompt.contains("- page (text): /home, /cart"), "{prompt}");
    assert!(server.received()[0].authorization.is_none(), "no key, no header");
}

#[test]
fn rate_limits_are_waited_out_as_the_server_asks() {
    let server = LlmServer::start(
        LlmOptions {
            api_key: Some(KEY.into()),
            ..LlmOptions::new(Protocol::OpenAi, MODEL)
        },
        vec![
            Scripted::Error {
                status: 429,
                message: "Rate limit reached for requests".into(),
                retry_after: Some(1),
            },
            Scripted::Answer(valid()),
        ],
    );
    let tmp = tempfile::tempdir().unwrap();
    let target = tmp.path().join("views");
    let started = Instant::now();
    let (result, _) = run(&openai(&server, KEY), &request(&target));
    assert_eq!(result.unwrap().rounds, 1);
    assert!(started.elapsed() >= Duration::from_secs(1), "{:?}", started.elapsed());
    assert_eq!(server.received().len(), 2);

    // A server that keeps refusing is an error that says so, after a bounded number of tries.
    let server = LlmServer::start(
        LlmOptions::new(Protocol::OpenAi, MODEL),
        (0..4)
            .map(|_| Scripted::Error {
                status: 429,
                message: "slow down".into(),
                retry_after: Some(0),
            })
            .collect(),
    );
    let model = OpenAi::new(&server.url, MODEL, None, Duration::from_secs(20));
    let (result, _) = run(&model, &request(&tmp.path().join("other")));
    assert!(
        matches!(result, Err(GenerateError::Provider(ProviderError::RateLimited { .. }))),
        "{result:?}"
    );
    assert_eq!(server.received().len(), 4);
    assert!(!tmp.path().join("other").exists());
}

#[test]
fn a_wrong_key_is_refused_without_showing_any_of_it() {
    let server = LlmServer::start(
        LlmOptions {
            api_key: Some(KEY.into()),
            ..LlmOptions::new(Protocol::OpenAi, MODEL)
        },
        vec![Scripted::Answer(valid())],
    );
    let wrong = "sk-wrong-0123456789abcdef";
    let tmp = tempfile::tempdir().unwrap();
    let target = tmp.path().join("views");
    let model = openai(&server, wrong);
    let (result, _) = run(&model, &request(&target));
    let error = result.unwrap_err();
    assert!(matches!(
        error,
        GenerateError::Provider(ProviderError::Unauthorized { status: 401, .. })
    ));
    let shown: String = error
        .diagnostics()
        .iter()
        .map(|d| d.to_string())
        .collect::<Vec<_>>()
        .join("\n")
        + &format!("{error:?}");
    for part in [wrong, "sk-", "cdef", KEY] {
        assert!(!shown.contains(part), "`{part}` shown in {shown}");
    }
    assert!(shown.contains("refused the API key"), "{shown}");
    assert!(!target.exists());
    let probe = model.probe().unwrap_err();
    assert!(matches!(probe, ProviderError::Unauthorized { .. }));
}

#[test]
fn a_server_without_json_schema_output_is_asked_for_a_json_object() {
    let server = LlmServer::start(
        LlmOptions {
            json_schema_supported: false,
            ..LlmOptions::new(Protocol::OpenAi, MODEL)
        },
        vec![Scripted::Answer(wrong_column()), Scripted::Answer(valid())],
    );
    let tmp = tempfile::tempdir().unwrap();
    let model = OpenAi::new(&server.url, MODEL, None, Duration::from_secs(20));
    let (result, _) = run(&model, &request(&tmp.path().join("views")));
    assert_eq!(result.unwrap().rounds, 2);
    let formats: Vec<Value> = server
        .received()
        .iter()
        .map(|r| r.body["response_format"]["type"].clone())
        .collect();
    // Refused once, then json_object for this request and the next.
    assert_eq!(
        formats,
        [json!("json_schema"), json!("json_object"), json!("json_object")]
    );
}

#[test]
fn cut_off_and_broken_answers_are_told_apart() {
    let server = LlmServer::start(
        LlmOptions::new(Protocol::OpenAi, MODEL),
        vec![
            Scripted::CutOff(valid()[..200].to_owned()),
            Scripted::Answer(valid()),
            Scripted::Broken(valid()[..100].to_owned()),
        ],
    );
    let tmp = tempfile::tempdir().unwrap();
    let model = OpenAi::new(&server.url, MODEL, None, Duration::from_secs(20));
    let (result, _) = run(&model, &request(&tmp.path().join("views")));
    assert_eq!(result.unwrap().rounds, 2);
    let repair = server.received()[1].body["messages"][3]["content"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(repair.contains("cut off at the model's length limit"), "{repair}");
    let (result, _) = run(&model, &request(&tmp.path().join("other")));
    assert!(
        matches!(&result, Err(GenerateError::Provider(ProviderError::Malformed { reason, .. })) if reason.contains("[DONE]")),
        "{result:?}"
    );

    let server = LlmServer::start(
        LlmOptions::new(Protocol::Ollama, MODEL),
        vec![Scripted::Broken(valid()[..100].to_owned())],
    );
    let (result, _) = run(&ollama(&server), &request(&tmp.path().join("third")));
    assert!(
        matches!(&result, Err(GenerateError::Provider(ProviderError::Malformed { reason, .. })) if reason.contains("done")),
        "{result:?}"
    );
}

#[test]
fn a_slow_model_is_stopped_at_the_timeout() {
    let server = LlmServer::start(
        LlmOptions {
            chunk_delay: Duration::from_millis(200),
            ..LlmOptions::new(Protocol::Ollama, MODEL)
        },
        vec![Scripted::Answer(valid())],
    );
    let tmp = tempfile::tempdir().unwrap();
    let model = Ollama::new(&server.url, MODEL, Duration::from_secs(1));
    let started = Instant::now();
    let (result, events) = run(&model, &request(&tmp.path().join("views")));
    assert!(
        matches!(result, Err(GenerateError::Provider(ProviderError::Timeout { .. }))),
        "{result:?}"
    );
    assert!(started.elapsed() < Duration::from_secs(5), "{:?}", started.elapsed());
    assert!(
        events.iter().any(|e| matches!(e, Event::Streaming(_))),
        "progress before the timeout"
    );
}

#[test]
fn probes_say_whether_the_model_is_there() {
    let server = LlmServer::start(LlmOptions::new(Protocol::Ollama, "llama3.2"), Vec::new());
    let found = Ollama::new(&server.url, "llama3.2", Duration::from_secs(5))
        .probe()
        .unwrap();
    assert_eq!(found, "model llama3.2 available (1 models)");
    let missing = Ollama::new(&server.url, "qwen2.5", Duration::from_secs(5))
        .probe()
        .unwrap_err();
    assert_eq!(
        missing.to_string(),
        format!("model `qwen2.5` is not on {} (it has: llama3.2:latest)", server.url)
    );
    assert!(missing.hint().contains("ollama pull qwen2.5"));
    // The chat says the same about a model the server lacks.
    let tmp = tempfile::tempdir().unwrap();
    let (result, _) = run(
        &Ollama::new(&server.url, "qwen2.5", Duration::from_secs(5)),
        &request(&tmp.path().join("v")),
    );
    assert!(matches!(
        result,
        Err(GenerateError::Provider(ProviderError::ModelMissing { .. }))
    ));

    let server = LlmServer::start(
        LlmOptions {
            api_key: Some(KEY.into()),
            ..LlmOptions::new(Protocol::OpenAi, MODEL)
        },
        Vec::new(),
    );
    assert_eq!(
        openai(&server, KEY).probe().unwrap(),
        "model test-model available (1 models)"
    );
    let other = OpenAi::new(&server.url, "gpt-other", Some(Secret::new(KEY)), Duration::from_secs(5));
    assert!(matches!(other.probe(), Err(ProviderError::ModelMissing { .. })));
    let (result, _) = run(&other, &request(&tmp.path().join("w")));
    assert!(
        matches!(result, Err(GenerateError::Provider(ProviderError::ModelMissing { .. }))),
        "{result:?}"
    );

    // Nothing listening.
    let port = pipegen_testkit::free_port();
    let nobody = Ollama::new(&format!("http://127.0.0.1:{port}"), "llama3.2", Duration::from_secs(2));
    assert!(matches!(nobody.probe(), Err(ProviderError::Unreachable { .. })));
}

#[test]
fn a_filesystem_path_outside_the_project_goes_back_to_the_model() {
    let mut escaping = answer(Some(CLICK_SCHEMA), "page");
    escaping["sql"]["sink_table"] = json!(
        "CREATE TABLE `page_views` (\n  `window_start` TIMESTAMP(3) NOT NULL,\n  `window_end` TIMESTAMP(3) NOT NULL,\n  `page` STRING NOT NULL,\n  `views` BIGINT NOT NULL\n) WITH (\n  'connector' = 'filesystem',\n  'path' = '${PROJECT_DIR}/../../escaped',\n  'format' = 'csv'\n);"
    );
    let server = LlmServer::start(
        LlmOptions::new(Protocol::Ollama, MODEL),
        vec![Scripted::Answer(escaping.to_string()), Scripted::Answer(valid())],
    );
    let tmp = tempfile::tempdir().unwrap();
    let target = tmp.path().join("views");
    let (result, events) = run(&ollama(&server), &request(&target));
    assert_eq!(result.unwrap().rounds, 2);
    let first = events
        .iter()
        .find_map(|e| match e {
            Event::Findings { findings, .. } => Some(findings[0].to_string()),
            _ => None,
        })
        .unwrap();
    assert!(
        first.starts_with("sql/02_sink.sql:8:3: error: table `page_views` reads or writes '${PROJECT_DIR}/../../escaped', outside the project"),
        "{first}"
    );
    assert_validates(&target);
}
