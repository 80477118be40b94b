//! Both targets for the default project and for the performance guide's scaling config:
//! written, validated by the real validators (Compose's own `config`, Kubernetes' OpenAPI
//! schemas through `kubernetes-validate`, the Flink operator's and Strimzi's CRD schemas, and
//! kustomize's build), and every value read back against the config that set it.

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;

use pipegen_config::{LoadOptions, ResolvedConfig};
use pipegen_deploy_targets::{Plan, Target, plan, yaml};
use pipegen_project::Project;
use pipegen_project::scaffold::{InitOptions, Template, init};
use serde_json::Value;

fn tool(variable: &str) -> PathBuf {
    std::env::var_os(variable).map(PathBuf::from).unwrap_or_else(|| {
        panic!(
            "{variable} is not set: run the tests with `bash scripts/test.sh`, or export what \
             `bash scripts/install-test-tools.sh` prints"
        )
    })
}

/// The operators' CRDs, or `None` (said loudly) when the directory is not given.
fn crd_dir() -> Option<PathBuf> {
    let dir = std::env::var_os("PIPEGEN_K8S_CRDS").map(PathBuf::from);
    if dir.is_none() {
        // Straight to the process's stderr: the test harness would swallow eprintln!.
        let _ = writeln!(
            std::io::stderr(),
            "\n!!! PIPEGEN_K8S_CRDS is not set: the custom resources (FlinkDeployment, Kafka, \
             KafkaNodePool, KafkaTopic) are NOT validated against their CRDs in this run. \
             scripts/test.sh sets it.\n"
        );
    }
    dir
}

fn scaffold(parent: &Path, name: &str, template: Template) -> PathBuf {
    let root = parent.join(name);
    init(&InitOptions {
        target: root.clone(),
        input_schema: None,
        input_csv: None,
        template,
        force: false,
    })
    .expect("the scaffold writes");
    root
}

fn load(root: &Path, explicit: Option<&Path>) -> ResolvedConfig {
    pipegen_config::load(&LoadOptions {
        project_dir: root.to_path_buf(),
        explicit_file: explicit.map(Path::to_path_buf),
        home_dir: None,
        env: Vec::new(),
        flags: Vec::new(),
    })
    .expect("the config loads")
}

fn written(root: &Path, explicit: Option<&Path>, target: Target) -> (ResolvedConfig, Plan) {
    let resolved = load(root, explicit);
    let project = Project::load(root).expect("the project loads");
    let plan = plan(&project, &resolved, target, None).unwrap_or_else(|e| panic!("{target:?} refused: {e:#?}"));
    plan.write().expect("the target is written");
    (resolved, plan)
}

fn read_docs(path: &Path) -> Vec<Value> {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    yaml::parse_documents(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn run(command: &mut Command) -> String {
    let output = command
        .output()
        .unwrap_or_else(|e| panic!("{command:?} did not run: {e}"));
    assert!(
        output.status.success(),
        "{command:?} failed:\n{}\n{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout).into_owned()
}

fn mib(bytes: u64) -> String {
    format!("{}m", bytes / (1 << 20))
}

// ---- compose ------------------------------------------------------------------------------

/// `docker-compose config` (no daemon needed) accepts the file; returns its normalized form.
fn compose_config(dir: &Path) -> Value {
    let out = run(Command::new(tool("PIPEGEN_TEST_DOCKER_COMPOSE"))
        .current_dir(dir)
        .args(["-f", "compose.yaml", "config"]));
    yaml::parse_documents(&out)
        .expect("compose config prints YAML")
        .remove(0)
}

fn check_compose(resolved: &ResolvedConfig, plan: &Plan) -> Value {
    let config = &resolved.config;
    let normalized = compose_config(&plan.dir);
    let compose = read_docs(&plan.dir.join("compose.yaml")).remove(0);
    let services = compose["services"].as_object().unwrap();
    let sorted = |map: &serde_json::Map<String, Value>| {
        let mut names: Vec<String> = map.keys().cloned().collect();
        names.sort();
        names
    };
    assert_eq!(
        sorted(normalized["services"].as_object().unwrap()),
        sorted(services),
        "compose read every service"
    );
    let brokers = plan.stack.brokers;
    for n in 1..=brokers {
        let kafka = &services[&format!("kafka-{n}")];
        assert_eq!(kafka["image"], config.deploy.images.kafka);
        assert_eq!(kafka["environment"]["KAFKA_PROCESS_ROLES"], "broker,controller");
        assert_eq!(
            kafka["environment"]["KAFKA_CONTROLLER_QUORUM_VOTERS"]
                .as_str()
                .unwrap()
                .split(',')
                .count() as u32,
            brokers
        );
    }
    assert!(!services.contains_key(&format!("kafka-{}", brokers + 1)));
    // Every published port is on loopback only.
    for (name, service) in services {
        for port in service["ports"].as_array().into_iter().flatten() {
            assert!(port.as_str().unwrap().starts_with("127.0.0.1:"), "{name}: {port}");
        }
    }
    assert_eq!(
        services["schema-registry"]["image"],
        config.deploy.images.schema_registry
    );
    assert_eq!(services["connector-jars"]["image"], config.deploy.images.maven);
    let tm = &services["taskmanager"];
    assert_eq!(tm["image"], config.deploy.images.flink);
    assert_eq!(tm["deploy"]["replicas"], config.flink.taskmanager.replicas);
    let tm_memory = config.flink.memory.taskmanager.map_or(1728 << 20, |m| m.bytes());
    assert_eq!(tm["deploy"]["resources"]["limits"]["memory"], mib(tm_memory));
    let cpus: f64 = tm["deploy"]["resources"]["limits"]["cpus"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap();
    assert_eq!(cpus, config.flink.cpu.taskmanager.unwrap_or(1.0));
    let jm = &services["jobmanager"];
    let jm_memory = config.flink.memory.jobmanager.map_or(1600 << 20, |m| m.bytes());
    assert_eq!(jm["deploy"]["resources"]["limits"]["memory"], mib(jm_memory));
    assert_eq!(
        jm["depends_on"]["connector-jars"]["condition"],
        "service_completed_successfully"
    );
    assert_eq!(tm["depends_on"]["jobmanager"]["condition"], "service_healthy");
    assert!(jm["healthcheck"]["test"].is_array());
    // Flink's configuration, read back from the lines the image appends to its config.yaml.
    let properties = yaml::parse_documents(tm["environment"]["FLINK_PROPERTIES"].as_str().unwrap())
        .unwrap()
        .remove(0);
    assert_eq!(
        properties["taskmanager.numberOfTaskSlots"],
        config.flink.taskmanager.slots.to_string()
    );
    assert_eq!(properties["parallelism.default"], config.flink.parallelism.to_string());
    assert_eq!(
        properties["pipeline.max-parallelism"],
        config.flink.max_parallelism.to_string()
    );
    assert_eq!(
        properties["taskmanager.memory.process.size"],
        pipegen_config::ByteSize(tm_memory).to_string()
    );
    assert_eq!(properties["jobmanager.rpc.address"], "jobmanager");
    if let Some(network) = config.flink.memory.network {
        assert_eq!(properties["taskmanager.memory.network.max"], network.to_string());
    }
    // The jars the SQL's connectors and formats need, by Maven coordinates.
    let artifacts = services["connector-jars"]["environment"]["ARTIFACTS"].as_str().unwrap();
    assert!(
        artifacts.contains("org.apache.flink:flink-sql-connector-kafka:"),
        "{artifacts}"
    );
    assert!(
        artifacts.contains("org.apache.flink:flink-sql-avro-confluent-registry:"),
        "{artifacts}"
    );
    // The config layer points pipegen at the stack, and loads as a pipegen config.
    let layer = load(
        plan.dir.parent().unwrap().parent().unwrap(),
        Some(&plan.dir.join("pipegen.yaml")),
    );
    let servers = layer.config.bootstrap_servers.clone().unwrap();
    assert_eq!(servers.split(',').count() as u32, brokers);
    assert!(servers.starts_with("127.0.0.1:9092"));
    assert_eq!(layer.config.flink_url.as_deref(), Some("http://127.0.0.1:8081"));
    assert_eq!(
        layer.config.kafka.security.security_protocol,
        pipegen_config::SecurityProtocol::Plaintext
    );
    assert_eq!(
        layer
            .config
            .flink
            .bootstrap_servers
            .as_deref()
            .unwrap()
            .split(',')
            .count() as u32,
        brokers
    );
    compose
}

#[test]
fn the_default_project_gives_a_compose_stack_compose_accepts() {
    let temp = tempfile::tempdir().unwrap();
    let root = scaffold(temp.path(), "shop", Template::Default);
    let (resolved, plan) = written(&root, None, Target::Compose);
    assert_eq!(plan.dir, root.join("deploy/compose"));
    let compose = check_compose(&resolved, &plan);
    assert_eq!(plan.stack.brokers, 1, "replication factor 1 needs one broker");
    assert_eq!(compose["services"]["taskmanager"]["deploy"]["replicas"], 1);
    assert!(
        compose["volumes"]
            .as_object()
            .unwrap()
            .contains_key("flink-checkpoints"),
        "checkpointing is on (60s) without storage: checkpoints go to a named volume"
    );
}

#[test]
fn the_guide_scaling_config_gives_a_compose_stack_of_three_brokers_and_eight_taskmanagers() {
    let temp = tempfile::tempdir().unwrap();
    let root = scaffold(temp.path(), "shop", Template::Default);
    let fixture = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/scaling.yaml");
    let (resolved, plan) = written(&root, Some(&fixture), Target::Compose);
    assert_eq!(plan.stack.brokers, 3, "the source topic's replication factor of 3");
    let compose = check_compose(&resolved, &plan);
    assert_eq!(compose["services"]["taskmanager"]["deploy"]["replicas"], 8);
    assert_eq!(
        compose["services"]["taskmanager"]["deploy"]["resources"]["limits"]["memory"],
        "16384m"
    );
    assert_eq!(compose["services"]["jobmanager"]["image"], "flink:2.1.1-java17");
}

// ---- kubernetes ---------------------------------------------------------------------------

const CUSTOM_KINDS: &[&str] = &["FlinkDeployment", "Kafka", "KafkaNodePool", "KafkaTopic"];

/// Validates manifests: core objects with kubernetes-validate (strict: unknown fields are
/// errors), custom resources against the CRDs. Returns how many of each were validated.
fn validate_manifests(docs: &[Value], scratch: &Path) -> (usize, usize) {
    let (custom, core): (Vec<&Value>, Vec<&Value>) = docs
        .iter()
        .partition(|d| CUSTOM_KINDS.contains(&d["kind"].as_str().unwrap_or_default()));
    let core_file = scratch.join("core.yaml");
    let core_docs: Vec<Value> = core.iter().map(|d| (*d).clone()).collect();
    std::fs::write(&core_file, yaml::documents(&core_docs).unwrap()).unwrap();
    let out = run(Command::new(tool("PIPEGEN_TEST_KUBERNETES_VALIDATE"))
        .args(["--strict", "--no-warn"])
        .arg(&core_file));
    assert_eq!(
        out.lines().filter(|l| l.contains("passed for resource")).count(),
        core.len(),
        "kubernetes-validate judged every core object:\n{out}"
    );
    let Some(crds) = crd_dir() else {
        return (core.len(), 0);
    };
    let custom_file = scratch.join("custom.yaml");
    let custom_docs: Vec<Value> = custom.iter().map(|d| (*d).clone()).collect();
    std::fs::write(&custom_file, yaml::documents(&custom_docs).unwrap()).unwrap();
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/validate_custom_resources.py");
    let out = run(Command::new(tool("PIPEGEN_TEST_PYTHON"))
        .arg(script)
        .arg(&crds)
        .arg(&custom_file));
    assert_eq!(
        out.lines().filter(|l| l.starts_with("valid ")).count(),
        custom.len(),
        "every custom resource validated against its CRD:\n{out}"
    );
    (core.len(), custom.len())
}

/// Every object the kustomization's files hold (without kustomize).
fn file_objects(plan: &Plan) -> Vec<Value> {
    plan.bundle
        .files
        .iter()
        .filter(|f| f.path.extension().is_some_and(|e| e == "yaml") && !f.path.ends_with("kustomization.yaml"))
        .flat_map(|f| read_docs(&plan.dir.join(&f.path)))
        .collect()
}

/// `kubectl kustomize`: what `kubectl apply -k` would send, generated objects included.
fn kustomized(plan: &Plan) -> Vec<Value> {
    let out = run(Command::new(tool("PIPEGEN_TEST_KUBECTL"))
        .arg("kustomize")
        .arg(&plan.dir));
    yaml::parse_documents(&out).unwrap()
}

fn find<'a>(docs: &'a [Value], kind: &str, name: &str) -> &'a Value {
    docs.iter()
        .find(|d| d["kind"] == kind && d["metadata"]["name"] == name)
        .unwrap_or_else(|| panic!("no {kind} {name}"))
}

fn check_kubernetes(resolved: &ResolvedConfig, plan: &Plan, scratch: &Path) -> Vec<Value> {
    let config = &resolved.config;
    let objects = file_objects(plan);
    let (core, custom) = validate_manifests(&objects, scratch);
    assert!(core >= 10, "{core} core objects");
    let built = kustomized(plan);
    assert_eq!(
        built.len(),
        objects.len() + usize::from(!plan.needs.user_placeholders.is_empty())
    );
    let (built_core, built_custom) = validate_manifests(&built, scratch);
    assert_eq!((built_core, built_custom), (core + built.len() - objects.len(), custom));
    for object in &built {
        let namespaced = object["kind"] != "Namespace";
        if namespaced {
            assert_eq!(
                object["metadata"]["namespace"],
                plan.stack.namespace.as_str(),
                "{object}"
            );
        }
        assert_eq!(object["metadata"]["labels"]["app.kubernetes.io/managed-by"], "pipegen");
    }

    let flink = find(&built, "FlinkDeployment", "flink");
    let spec = &flink["spec"];
    assert_eq!(spec["image"], config.deploy.images.flink);
    assert_eq!(spec["flinkVersion"], "v2_1");
    assert_eq!(spec["mode"], "standalone");
    assert_eq!(spec["taskManager"]["replicas"], config.flink.taskmanager.replicas);
    let tm_memory = config.flink.memory.taskmanager.map_or(1728 << 20, |m| m.bytes());
    let jm_memory = config.flink.memory.jobmanager.map_or(1600 << 20, |m| m.bytes());
    assert_eq!(spec["taskManager"]["resource"]["memory"], mib(tm_memory));
    assert_eq!(spec["jobManager"]["resource"]["memory"], mib(jm_memory));
    assert_eq!(
        spec["taskManager"]["resource"]["cpu"].as_f64(),
        Some(config.flink.cpu.taskmanager.unwrap_or(1.0))
    );
    let conf = &spec["flinkConfiguration"];
    assert_eq!(
        conf["taskmanager.numberOfTaskSlots"],
        config.flink.taskmanager.slots.to_string()
    );
    assert_eq!(conf["parallelism.default"], config.flink.parallelism.to_string());
    assert_eq!(
        conf["pipeline.max-parallelism"],
        config.flink.max_parallelism.to_string()
    );
    assert!(
        conf.get("taskmanager.memory.process.size").is_none(),
        "the resource carries it"
    );
    if let Some(fraction) = config.flink.memory.managed.fraction {
        assert_eq!(conf["taskmanager.memory.managed.fraction"], fraction.to_string());
    }
    if let Some(heap) = config.flink.memory.heap.size {
        assert_eq!(conf["taskmanager.memory.task.heap.size"], heap.to_string());
    }

    let hpa = find(&built, "HorizontalPodAutoscaler", "flink-taskmanager-hpa");
    let scaling = &config.deploy.autoscaling;
    assert_eq!(hpa["spec"]["minReplicas"], scaling.min_replicas);
    assert_eq!(hpa["spec"]["maxReplicas"], scaling.max_replicas);
    assert_eq!(
        hpa["spec"]["metrics"][0]["resource"]["target"]["averageUtilization"],
        scaling.cpu_utilization
    );
    assert_eq!(hpa["spec"]["scaleTargetRef"]["kind"], "FlinkDeployment");
    assert_eq!(hpa["spec"]["scaleTargetRef"]["name"], "flink");

    let pool = find(&built, "KafkaNodePool", "brokers");
    assert_eq!(pool["spec"]["replicas"], plan.stack.brokers);
    let kafka = find(&built, "Kafka", "kafka");
    assert_eq!(kafka["spec"]["kafka"]["version"], config.deploy.kafka.version);
    for topic in &plan.needs.topics {
        let resource = built
            .iter()
            .find(|d| d["kind"] == "KafkaTopic" && d["spec"]["topicName"] == topic.name.as_str())
            .unwrap_or_else(|| panic!("no KafkaTopic for {}", topic.name));
        let own = config.kafka.topics.overrides.get(&topic.name);
        let partitions = own.and_then(|o| o.partitions).unwrap_or(config.kafka.topics.partitions);
        let replicas = own
            .and_then(|o| o.replication_factor)
            .unwrap_or(config.kafka.topics.replication_factor);
        assert_eq!(resource["spec"]["partitions"], partitions, "{}", topic.name);
        assert_eq!(resource["spec"]["replicas"], replicas, "{}", topic.name);
        for (key, value) in config
            .kafka
            .topics
            .config
            .0
            .iter()
            .chain(own.into_iter().flat_map(|o| o.config.0.iter()))
        {
            let expected = own.and_then(|o| o.config.0.get(key)).unwrap_or(value);
            assert_eq!(
                resource["spec"]["config"][key],
                expected.as_str(),
                "{}: {key}",
                topic.name
            );
        }
    }
    let registry = find(&built, "Deployment", "schema-registry");
    assert_eq!(
        registry["spec"]["template"]["spec"]["containers"][0]["image"],
        config.deploy.images.schema_registry
    );
    let sql = find(&built, "ConfigMap", "pipeline-sql")["data"]["pipeline.sql"]
        .as_str()
        .unwrap();
    assert!(
        sql.contains("'properties.bootstrap.servers' = 'kafka-kafka-bootstrap:9092'"),
        "{sql}"
    );
    assert!(!sql.contains("${BOOTSTRAP_SERVERS}") && !sql.contains("${SCHEMA_REGISTRY_URL}"));
    assert!(sql.contains("INSERT INTO"));
    built
}

#[test]
fn the_default_project_gives_manifests_kubernetes_and_the_operators_accept() {
    let temp = tempfile::tempdir().unwrap();
    let root = scaffold(temp.path(), "shop", Template::Default);
    let (resolved, plan) = written(&root, None, Target::Kubernetes);
    assert_eq!(plan.stack.namespace, "shop");
    let built = check_kubernetes(&resolved, &plan, temp.path());
    assert_eq!(
        find(&built, "FlinkDeployment", "flink")["spec"]["taskManager"]["replicas"],
        1
    );
    let hpa = find(&built, "HorizontalPodAutoscaler", "flink-taskmanager-hpa");
    assert_eq!(
        (hpa["spec"]["minReplicas"].as_u64(), hpa["spec"]["maxReplicas"].as_u64()),
        (Some(2), Some(20))
    );
    assert!(
        !plan.dir.join("credentials.env").exists(),
        "the default SQL names no credentials"
    );
}

#[test]
fn the_guide_scaling_config_gives_manifests_with_its_values() {
    let temp = tempfile::tempdir().unwrap();
    let root = scaffold(temp.path(), "shop", Template::Default);
    let fixture = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/scaling.yaml");
    let (resolved, plan) = written(&root, Some(&fixture), Target::Kubernetes);
    let built = check_kubernetes(&resolved, &plan, temp.path());
    let spec = &find(&built, "FlinkDeployment", "flink")["spec"];
    assert_eq!(spec["taskManager"]["replicas"], 8);
    assert_eq!(spec["taskManager"]["resource"]["memory"], "16384m");
    assert_eq!(spec["taskManager"]["resource"]["cpu"].as_f64(), Some(8.0));
    assert_eq!(spec["flinkConfiguration"]["taskmanager.numberOfTaskSlots"], "4");
    assert_eq!(spec["image"], "flink:2.1.1-java17");
    let source = find(&built, "KafkaTopic", "shop-orders");
    assert_eq!(source["spec"]["partitions"], 16);
    assert_eq!(source["spec"]["replicas"], 3);
    assert_eq!(source["spec"]["config"]["retention.ms"], "259200000");
    assert_eq!(source["spec"]["config"]["segment.ms"], "86400000");
    assert_eq!(find(&built, "KafkaNodePool", "brokers")["spec"]["replicas"], 3);
}

#[test]
fn credentials_reach_the_pods_from_a_secret_and_never_a_manifest() {
    let temp = tempfile::tempdir().unwrap();
    let root = scaffold(temp.path(), "crm", Template::Enrichment);
    let secret_value = "s3cr3t-value-never-written";
    let (resolved, plan) = written(&root, None, Target::Kubernetes);
    let names: Vec<&str> = plan.needs.user_placeholders.iter().map(|p| p.name.as_str()).collect();
    assert!(names.contains(&"CUSTOMERS_DB_PASSWORD"), "{names:?}");
    // The user fills the file in; writing again keeps the value, and only there.
    let env_file = plan.dir.join("credentials.env");
    let text = std::fs::read_to_string(&env_file).unwrap();
    assert!(text.contains("CUSTOMERS_DB_PASSWORD=\n"), "{text}");
    assert_eq!(
        std::fs::read_to_string(plan.dir.join(".gitignore")).unwrap(),
        "credentials.env\n"
    );
    assert_eq!(plan.missing_credentials().len(), names.len());
    let filled: String = names.iter().map(|n| format!("{n}={secret_value}\n")).collect();
    std::fs::write(&env_file, filled).unwrap();
    let project = Project::load(&root).unwrap();
    let again = plan_for(&project, &resolved);
    again.write().unwrap();
    assert!(again.missing_credentials().is_empty());
    assert!(std::fs::read_to_string(&env_file).unwrap().contains(secret_value));
    for file in &again.bundle.files {
        if !file.path.ends_with("credentials.env") {
            assert!(
                !file.text.contains(secret_value),
                "{} holds a secret",
                file.path.display()
            );
        }
    }
    let built = check_kubernetes(&resolved, &again, temp.path());
    let secret = find(&built, "Secret", "crm-credentials");
    assert_eq!(secret["data"].as_object().unwrap().len(), names.len());
    // The SQL keeps the user's placeholders for the Job to fill from the Secret.
    let sql = find(&built, "ConfigMap", "pipeline-sql")["data"]["pipeline.sql"]
        .as_str()
        .unwrap();
    assert!(sql.contains("${CUSTOMERS_DB_PASSWORD}"), "{sql}");
    let job = find(&built, "Job", "submit-sql");
    let env = job["spec"]["template"]["spec"]["containers"][0]["env"]
        .as_array()
        .unwrap();
    for name in &names {
        let entry = env.iter().find(|e| e["name"] == *name).unwrap();
        assert_eq!(entry["valueFrom"]["secretKeyRef"]["name"], "crm-credentials");
        assert!(entry.get("value").is_none());
    }
}

fn plan_for(project: &Project, resolved: &ResolvedConfig) -> Plan {
    plan(project, resolved, Target::Kubernetes, None).unwrap()
}
