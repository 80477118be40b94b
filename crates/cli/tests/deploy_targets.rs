//! `pipegen deploy --target compose|kubernetes` as a user drives it: the files written and
//! described, a stack that cannot start said so (exit 1 only when starting was asked for),
//! kubectl without a context said so, refusals at the config's line, and `clean` keeping the
//! record of a stack it could not take down.

mod common;

use common::Scratch;

/// A Docker engine address nothing listens on: whatever this machine has, Compose reaches no
/// engine through it.
fn no_engine(scratch: &Scratch) -> String {
    format!("unix://{}", scratch.path().join("no-docker.sock").display())
}

#[test]
fn compose_dry_run_writes_and_describes_the_stack_and_starts_nothing() {
    let scratch = Scratch::new();
    scratch.run(&["init", "shop"]).expect(0);
    let out = scratch
        .run_with_env(
            &["--project-dir", "shop", "deploy", "--target", "compose", "--dry-run"],
            &[("DOCKER_HOST", &no_engine(&scratch))],
        )
        .expect(0);
    assert!(out.stdout.contains("compose.yaml"), "{}", out.stdout);
    assert!(
        out.stdout.contains("1 TaskManager(s) of 2 slot(s), 1728mb"),
        "{}",
        out.stdout
    );
    assert!(out.stdout.contains("Nothing was started (--dry-run)"), "{}", out.stdout);
    assert!(out.stdout.contains("docker compose -p shop -f"), "{}", out.stdout);
    let compose = scratch.read("shop/deploy/compose/compose.yaml");
    assert!(compose.contains("taskmanager:"), "{compose}");
    let layer = scratch.read("shop/deploy/compose/pipegen.yaml");
    assert!(layer.contains("bootstrap_servers: \"127.0.0.1:9092\""), "{layer}");
    // The layer is a pipegen config: `config show` reads it with its origin.
    let shown = scratch
        .run(&[
            "--project-dir",
            "shop",
            "--config",
            "shop/deploy/compose/pipegen.yaml",
            "config",
            "show",
        ])
        .expect(0);
    assert!(
        shown.stdout.contains("flink_url: http://127.0.0.1:8081"),
        "{}",
        shown.stdout
    );
    assert!(
        shown.stdout.contains("deploy/compose/pipegen.yaml:"),
        "{}",
        shown.stdout
    );
}

#[test]
fn compose_without_an_engine_writes_the_stack_and_says_no_engine_answers() {
    let scratch = Scratch::new();
    scratch.run(&["init", "shop"]).expect(0);
    let out = scratch
        .run_with_env(
            &["--project-dir", "shop", "deploy", "--target", "compose"],
            &[("DOCKER_HOST", &no_engine(&scratch))],
        )
        .expect(1);
    assert!(
        out.stderr.contains("reaches no Docker engine") || out.stderr.contains("is installed here"),
        "{}",
        out.stderr
    );
    assert!(scratch.path().join("shop/deploy/compose/compose.yaml").is_file());
    assert!(
        !scratch.path().join("shop/.pipegen/compose-stack.json").exists(),
        "nothing started, nothing recorded"
    );
}

#[test]
fn clean_keeps_the_record_of_a_stack_it_cannot_take_down() {
    let scratch = Scratch::new();
    scratch.run(&["init", "shop"]).expect(0);
    scratch
        .run(&["--project-dir", "shop", "deploy", "--target", "compose", "--dry-run"])
        .expect(0);
    let file = scratch.path().join("shop/deploy/compose/compose.yaml");
    let record = serde_json::json!({"file": file, "project": "shop"});
    scratch.write("shop/.pipegen/compose-stack.json", &record.to_string());
    let out = scratch
        .run_with_env(
            &["--project-dir", "shop", "clean"],
            &[("DOCKER_HOST", &no_engine(&scratch))],
        )
        .expect(1);
    assert!(out.stderr.contains("compose stack `shop`"), "{}", out.stderr);
    assert!(scratch.path().join("shop/.pipegen/compose-stack.json").exists());

    // A deployment on the stack whose Flink does not answer: both failures are told, both
    // records stay.
    let deployment = serde_json::json!({
        "deployed_at": "2026-12-07T16:00:00Z",
        "flink_url": "http://127.0.0.1:1",
        "bootstrap_servers": "127.0.0.1:1",
        "schema_registry_url": null,
        "jobs": [{"job_id": "0123456789abcdef0123456789abcdef", "file": "sql/03_pipeline.sql", "line": 3, "statement": "INSERT INTO"}],
        "topics_created": ["shop-orders"],
        "topics_existing": [],
        "subjects_existing": [],
        "subjects_registered": [],
    });
    scratch.write("shop/.pipegen/deployment.json", &deployment.to_string());
    let out = scratch
        .run_with_env(
            &["--project-dir", "shop", "clean"],
            &[("DOCKER_HOST", &no_engine(&scratch))],
        )
        .expect(1);
    assert!(
        out.stderr.contains("Flink job 0123456789abcdef0123456789abcdef"),
        "{}",
        out.stderr
    );
    assert!(out.stderr.contains("compose stack `shop`"), "{}", out.stderr);
    assert!(scratch.path().join("shop/.pipegen/deployment.json").exists());
    assert!(scratch.path().join("shop/.pipegen/compose-stack.json").exists());
}

#[test]
fn kubernetes_writes_the_kustomization_and_apply_without_a_context_says_what_to_run() {
    let scratch = Scratch::new();
    scratch.run(&["init", "shop"]).expect(0);
    let kubeconfig = scratch.path().join("kubeconfig");
    std::fs::write(&kubeconfig, "").unwrap();
    let kubeconfig = kubeconfig.display().to_string();
    let out = scratch
        .run_with_env(
            &[
                "--project-dir",
                "shop",
                "deploy",
                "--target",
                "kubernetes",
                "--namespace",
                "orders",
            ],
            &[("KUBECONFIG", &kubeconfig)],
        )
        .expect(0);
    assert!(out.stdout.contains("namespace `orders`"), "{}", out.stdout);
    assert!(
        out.stdout.contains("HorizontalPodAutoscaler flink-taskmanager-hpa"),
        "{}",
        out.stdout
    );
    assert!(out.stdout.contains("kubectl apply -k"), "{}", out.stdout);
    assert!(
        scratch
            .read("shop/deploy/kubernetes/kustomization.yaml")
            .contains("namespace: orders")
    );
    let out = scratch
        .run_with_env(
            &["--project-dir", "shop", "deploy", "--target", "kubernetes", "--apply"],
            &[("KUBECONFIG", &kubeconfig)],
        )
        .expect(1);
    assert!(out.stderr.contains("nothing was applied"), "{}", out.stderr);
    assert!(out.stderr.contains("kubectl apply -k"), "{}", out.stderr);
}

#[test]
fn bad_settings_are_refused_at_their_line_or_flag_and_nothing_is_written() {
    let scratch = Scratch::new();
    scratch.run(&["init", "shop"]).expect(0);
    scratch.edit(
        "shop/.pipegen.yaml",
        "    taskmanager: 1728mb\n",
        "    taskmanager: 512mb\n",
    );
    let config = scratch.read("shop/.pipegen.yaml");
    let line = config.lines().position(|l| l.contains("taskmanager: 512mb")).unwrap() + 1;
    let out = scratch
        .run(&["--project-dir", "shop", "deploy", "--target", "kubernetes"])
        .expect(2);
    assert!(out.stderr.contains(&format!(".pipegen.yaml:{line}")), "{}", out.stderr);
    assert!(
        out.stderr.contains("smaller than its Flink memory budget"),
        "{}",
        out.stderr
    );
    assert!(!scratch.path().join("shop/deploy").exists());
    let out = scratch
        .run(&[
            "--project-dir",
            "shop",
            "deploy",
            "--target",
            "compose",
            "--namespace",
            "x",
        ])
        .expect(2);
    assert!(out.stderr.contains("--target kubernetes"), "{}", out.stderr);
    scratch.edit(
        "shop/.pipegen.yaml",
        "    taskmanager: 512mb\n",
        "    taskmanager: 1728mb\n",
    );
    let out = scratch
        .run(&[
            "--project-dir",
            "shop",
            "deploy",
            "--target",
            "kubernetes",
            "--namespace",
            "Bad_NS",
        ])
        .expect(2);
    assert!(out.stderr.contains("(set by flag --namespace)"), "{}", out.stderr);
}
