//! Configurations that cannot work are refused before anything is written, each at the file
//! and line of the key (or SQL) that asks for it.

use std::path::{Path, PathBuf};

use pipegen_config::LoadOptions;
use pipegen_deploy_targets::{Target, plan};
use pipegen_diag::Diagnostic;
use pipegen_project::Project;
use pipegen_project::scaffold::{InitOptions, Template, init};

fn scaffold(parent: &Path) -> PathBuf {
    let root = parent.join("shop");
    init(&InitOptions {
        target: root.clone(),
        input_schema: None,
        input_csv: None,
        template: Template::Default,
        force: false,
    })
    .unwrap();
    root
}

/// Plans `target` with `layer` as the --config file; the refusals.
fn refusals(root: &Path, layer: &str, target: Target) -> (PathBuf, Vec<Diagnostic>) {
    let file = root.join("layer.yaml");
    std::fs::write(&file, layer).unwrap();
    let resolved = pipegen_config::load(&LoadOptions {
        project_dir: root.to_path_buf(),
        explicit_file: Some(file.clone()),
        home_dir: None,
        env: Vec::new(),
        flags: Vec::new(),
    })
    .unwrap();
    let project = Project::load(root).unwrap();
    let problems = plan(&project, &resolved, target, None).expect_err("refused");
    assert!(!root.join("deploy").exists(), "nothing is written when refused");
    (file, problems)
}

fn line_of(text: &str, needle: &str) -> usize {
    text.lines().position(|l| l.contains(needle)).expect(needle) + 1
}

fn assert_at(problems: &[Diagnostic], file: &Path, line: usize, says: &str) {
    let found = problems
        .iter()
        .find(|d| d.message.contains(says))
        .unwrap_or_else(|| panic!("no problem saying {says:?} in {problems:#?}"));
    assert_eq!(found.file.as_deref(), Some(file), "{found:#?}");
    assert_eq!(found.position.map(|p| p.line), Some(line), "{found:#?}");
    assert!(found.hint.is_some(), "{found:#?}");
}

const GUIDE_POOLS_IN_8GB: &str = "\
flink:
  memory:
    taskmanager: 8gb
    network: 256mb
    heap:
      size: 6gb
    off_heap:
      size: 2gb
    managed:
      size: 4gb
";

#[test]
fn a_taskmanager_smaller_than_its_memory_pools_is_refused_at_its_size() {
    let temp = tempfile::tempdir().unwrap();
    let root = scaffold(temp.path());
    for target in [Target::Compose, Target::Kubernetes] {
        let (file, problems) = refusals(&root, GUIDE_POOLS_IN_8GB, target);
        assert_at(
            &problems,
            &file,
            line_of(GUIDE_POOLS_IN_8GB, "taskmanager: 8gb"),
            "smaller than its Flink memory budget",
        );
        let hint = problems[0].hint.as_deref().unwrap();
        assert!(hint.contains("at least"), "{hint}");
    }
}

#[test]
fn a_jobmanager_without_room_for_a_heap_is_refused_at_its_size() {
    let temp = tempfile::tempdir().unwrap();
    let root = scaffold(temp.path());
    let layer = "flink:\n  memory:\n    jobmanager: 512mb\n";
    let (file, problems) = refusals(&root, layer, Target::Compose);
    assert_at(&problems, &file, 3, "the JobManager's 512mb leaves no heap");
}

#[test]
fn more_partitions_than_max_parallelism_are_refused_at_the_topic() {
    let temp = tempfile::tempdir().unwrap();
    let root = scaffold(temp.path());
    let layer = "flink:\n  max_parallelism: 8\nkafka:\n  topics:\n    shop-orders:\n      partitions: 12\n";
    let (file, problems) = refusals(&root, layer, Target::Kubernetes);
    assert_at(
        &problems,
        &file,
        line_of(layer, "partitions: 12"),
        "more than flink.max_parallelism 8",
    );
}

#[test]
fn replicas_beyond_the_brokers_and_parallelism_beyond_the_slots_are_refused() {
    let temp = tempfile::tempdir().unwrap();
    let root = scaffold(temp.path());
    let layer = "\
deploy:
  kafka:
    brokers: 1
kafka:
  topics:
    replication_factor: 3
flink:
  parallelism: 5
  taskmanager:
    replicas: 2
    slots: 2
";
    let (file, problems) = refusals(&root, layer, Target::Compose);
    assert_at(
        &problems,
        &file,
        line_of(layer, "replication_factor: 3"),
        "asks for 3 replicas",
    );
    assert_at(&problems, &file, line_of(layer, "parallelism: 5"), "needs 5 slots");
}

#[test]
fn autoscaling_bounds_that_cross_are_refused() {
    let temp = tempfile::tempdir().unwrap();
    let root = scaffold(temp.path());
    let layer = "deploy:\n  autoscaling:\n    min_replicas: 4\n    max_replicas: 3\n    cpu_utilization: 170\n";
    let (file, problems) = refusals(&root, layer, Target::Kubernetes);
    assert_at(
        &problems,
        &file,
        line_of(layer, "max_replicas: 3"),
        "below min_replicas 4",
    );
    assert_at(
        &problems,
        &file,
        line_of(layer, "cpu_utilization: 170"),
        "cpu_utilization 170",
    );
}

#[test]
fn sql_the_stack_cannot_run_is_refused_at_its_line() {
    let temp = tempfile::tempdir().unwrap();
    let root = scaffold(temp.path());
    let sql = "CREATE TABLE files (line STRING) WITH (\n  'connector' = 'filesystem',\n  'path' = '${PROJECT_DIR}/data',\n  'format' = 'orc'\n);\n";
    std::fs::write(root.join("sql/00_files.sql"), sql).unwrap();
    let (_, problems) = refusals(&root, "{}\n", Target::Kubernetes);
    let shown = PathBuf::from("sql/00_files.sql");
    let format = problems
        .iter()
        .find(|d| d.message.contains("'format' = 'orc'"))
        .expect("orc refused");
    assert_eq!(format.position.map(|p| p.line), Some(4));
    assert!(
        format.file.as_deref().is_some_and(|f| f.ends_with(&shown)),
        "{format:#?}"
    );
    // ${PROJECT_DIR} is checked once the connectors are known.
    std::fs::write(root.join("sql/00_files.sql"), sql.replace("orc", "csv")).unwrap();
    let (_, problems) = refusals(&root, "{}\n", Target::Kubernetes);
    let dir = problems
        .iter()
        .find(|d| d.message.contains("${PROJECT_DIR}"))
        .expect("PROJECT_DIR refused");
    assert_eq!(dir.position.map(|p| p.line), Some(3));
}
