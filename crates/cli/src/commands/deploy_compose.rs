//! `pipegen deploy --target compose`: the compose stack written, then started when Compose
//! reaches a Docker engine (every part waited for, the pipeline deployed onto it as on any
//! cluster), and said plainly when it cannot be; `pipegen clean` takes a started stack down.

use std::net::{SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use pipegen_config::ResolvedConfig;
use pipegen_deploy_targets::tools::{self, ComposeCommand};
use pipegen_deploy_targets::{COMPOSE_FILE, CONFIG_LAYER, Plan, Target};
use pipegen_diag::Diagnostic;
use serde::{Deserialize, Serialize};

use crate::cli::{DeployArgs, GlobalArgs};
use crate::commands::deploy::print_outcome;
use crate::commands::deploy_targets::{print_needs, written};
use crate::commands::run::{run_failure, runnable_project};
use crate::context::load_config;
use crate::failure::{CommandResult, Failure};

/// The compose stack `deploy` started, for `clean` (beside the clusters' record).
const STACK_RECORD: &str = ".pipegen/compose-stack.json";
/// How long a started stack gets until every part answers.
const START_WAIT: Duration = Duration::from_secs(300);

#[derive(Debug, Serialize, Deserialize)]
struct StackRecord {
    /// The compose file, absolute.
    file: PathBuf,
    /// Compose's project name.
    project: String,
}

pub fn compose(global: &GlobalArgs, args: &DeployArgs) -> CommandResult {
    if args.namespace.is_some() || args.apply {
        return Err(Failure::input(
            Diagnostic::error("--namespace and --apply are for `--target kubernetes`")
                .with_hint("the compose stack starts with `pipegen deploy --target compose` (without --dry-run)"),
        ));
    }
    let resolved = load_config(global, Vec::new())?;
    let plan = written(global, &resolved, Target::Compose)?;
    let file = plan.dir.join(COMPOSE_FILE);
    print_compose(&plan, &resolved);
    let layer = plan.dir.join(CONFIG_LAYER);
    if args.dry_run {
        println!(
            "Nothing was started (--dry-run). `pipegen deploy --target compose` starts it and puts the pipeline on it; \
             by hand: `docker compose -p {} -f {} up -d --wait`, then `pipegen --config {} deploy`.",
            plan.stack.name,
            file.display(),
            layer.display()
        );
        return Ok(());
    }
    let Some(compose) = tools::compose_command() else {
        return Err(Failure::Failed(vec![
            Diagnostic::error(
                "the compose file is written, but neither `docker compose` nor `docker-compose` is installed here",
            )
            .with_hint(format!(
                "install Docker with its compose plugin, then `docker compose -f {} up -d --wait`",
                file.display()
            )),
        ]));
    };
    if let Err(reason) = tools::compose_engine(&compose, &file, &plan.stack.name) {
        return Err(Failure::Failed(vec![
            Diagnostic::error(format!(
                "the compose file is written, but `{}` reaches no Docker engine: {reason}",
                compose.shown()
            ))
            .with_hint(format!(
                "start Docker (or point DOCKER_HOST at an engine) and run `pipegen deploy --target compose` again, \
                 or `{} -p {} -f {} up -d` yourself",
                compose.shown(),
                plan.stack.name,
                file.display()
            )),
        ]));
    }
    start(global, &resolved, &plan, &compose, &file)
}

/// Starts the stack, waits until every part answers, and deploys the pipeline onto it.
fn start(
    global: &GlobalArgs,
    resolved: &ResolvedConfig,
    plan: &Plan,
    compose: &ComposeCommand,
    file: &Path,
) -> CommandResult {
    let mut up = vec!["up", "-d"];
    if compose.waits() {
        up.push("--wait");
    }
    println!("starting the stack ({} {})...", compose.shown(), up.join(" "));
    let output = compose
        .run(file, &plan.stack.name, &up)
        .map_err(|e| Failure::Failed(vec![Diagnostic::error(format!("{} did not run: {e}", compose.shown()))]))?;
    // Recorded at once: whatever started, `clean` can take down.
    record_stack(
        &global.project_dir,
        &StackRecord {
            file: std::path::absolute(file).unwrap_or_else(|_| file.to_path_buf()),
            project: plan.stack.name.clone(),
        },
    )?;
    if !output.status.success() {
        return Err(Failure::Failed(vec![
            Diagnostic::error(format!("the stack did not start: {}", tools::reason(&output))).with_hint(format!(
                "`{} -f {} logs` says why; `pipegen clean` takes it down",
                compose.shown(),
                file.display()
            )),
        ]));
    }
    wait_until_answering(plan, resolved).map_err(|e| {
        Failure::Failed(vec![Diagnostic::error(e).with_hint(format!(
            "`{} -p {} -f {} ps` and `logs` show each part; `pipegen clean` takes the stack down",
            compose.shown(),
            plan.stack.name,
            file.display()
        ))])
    })?;
    println!("every part answers");
    let mut config = resolved.config.clone();
    config.bootstrap_servers = Some(pipegen_deploy_targets::host_bootstrap(&plan.stack));
    config.schema_registry_url = Some(format!(
        "http://127.0.0.1:{}",
        pipegen_deploy_targets::SCHEMA_REGISTRY_HOST_PORT
    ));
    config.flink_url = Some(format!("http://127.0.0.1:{}", pipegen_deploy_targets::FLINK_REST_PORT));
    config.sql_gateway_url = Some(format!("http://127.0.0.1:{}", pipegen_deploy_targets::SQL_GATEWAY_PORT));
    config.flink.bootstrap_servers = Some(pipegen_deploy_targets::internal_bootstrap(&plan.stack));
    config.flink.schema_registry_url = Some(pipegen_deploy_targets::internal_schema_registry());
    // The stack's Kafka and registry take no credentials: the project's are for its own clusters.
    config.kafka.security = Default::default();
    config.schema_registry.username = None;
    config.schema_registry.password = None;
    let project = runnable_project(global)?;
    let outcome = pipegen_run::deploy::deploy(&project, &config).map_err(run_failure)?;
    print_outcome(global, &outcome);
    println!(
        "`pipegen --config {} run --engine flink` runs on the stack; `pipegen clean` takes the deployment and the stack down",
        plan.dir.join(CONFIG_LAYER).display()
    );
    Ok(())
}

/// Until Kafka, the registry and the SQL Gateway accept connections and Flink has all its
/// TaskManagers.
fn wait_until_answering(plan: &Plan, resolved: &ResolvedConfig) -> Result<(), String> {
    let ports: Vec<(String, u16)> = pipegen_deploy_targets::host_bootstrap(&plan.stack)
        .split(',')
        .filter_map(|a| {
            a.rsplit_once(':')
                .and_then(|(_, p)| p.parse().ok())
                .map(|p| (format!("Kafka at {a}"), p))
        })
        .chain([
            (
                "the schema registry".to_owned(),
                pipegen_deploy_targets::SCHEMA_REGISTRY_HOST_PORT,
            ),
            ("the SQL Gateway".to_owned(), pipegen_deploy_targets::SQL_GATEWAY_PORT),
        ])
        .collect();
    let rest = pipegen_flink::FlinkRest::new(
        &format!("http://127.0.0.1:{}", pipegen_deploy_targets::FLINK_REST_PORT),
        Duration::from_secs(5),
    );
    let wanted = u64::from(resolved.config.flink.taskmanager.replicas);
    let deadline = Instant::now() + START_WAIT;
    loop {
        let silent: Vec<String> = ports
            .iter()
            .filter(|(_, port)| {
                TcpStream::connect_timeout(&SocketAddr::from(([127, 0, 0, 1], *port)), Duration::from_secs(2)).is_err()
            })
            .map(|(what, _)| what.clone())
            .collect();
        let flink = match rest.overview() {
            Ok(o) if o.taskmanagers >= wanted => None,
            Ok(o) => Some(format!(
                "Flink ({} of {wanted} TaskManagers registered)",
                o.taskmanagers
            )),
            Err(_) => Some("Flink's REST API".to_owned()),
        };
        let waiting: Vec<String> = silent.into_iter().chain(flink).collect();
        if waiting.is_empty() {
            return Ok(());
        }
        if Instant::now() > deadline {
            return Err(format!(
                "the stack was not up after {}s: no answer from {}",
                START_WAIT.as_secs(),
                waiting.join(", ")
            ));
        }
        std::thread::sleep(Duration::from_secs(2));
    }
}

fn record_stack(root: &Path, record: &StackRecord) -> CommandResult {
    let path = root.join(STACK_RECORD);
    let dir = path.parent().unwrap_or(root);
    let write = || -> std::io::Result<()> {
        std::fs::create_dir_all(dir)?;
        let mut file = tempfile::NamedTempFile::new_in(dir)?;
        serde_json::to_writer_pretty(&mut file, record)?;
        file.persist(&path).map_err(|e| e.error)?;
        Ok(())
    };
    write().map_err(|e| {
        Failure::Failed(vec![Diagnostic::error(format!(
            "cannot record the stack in {STACK_RECORD}: {e}"
        ))])
    })
}

/// `pipegen clean`'s part: `down --volumes` for the stack `deploy` started, if it started one.
pub fn take_compose_down(global: &GlobalArgs) -> CommandResult {
    let path = global.project_dir.join(STACK_RECORD);
    let Ok(text) = std::fs::read_to_string(&path) else {
        return Ok(());
    };
    let record: StackRecord = serde_json::from_str(&text).map_err(|e| {
        Failure::input(
            Diagnostic::error(format!("{STACK_RECORD} is not a stack record: {e}"))
                .in_file(&path)
                .with_hint("remove it, and take the stack down with `docker compose -p NAME down --volumes`"),
        )
    })?;
    let Some(compose) = tools::compose_command() else {
        return Err(Failure::Failed(vec![
            Diagnostic::error(format!(
                "the compose stack `{}` is recorded, but Docker Compose is not installed here to take it down",
                record.project
            ))
            .with_hint(format!(
                "the record stays in {STACK_RECORD} for the next `pipegen clean`"
            )),
        ]));
    };
    let output = compose
        .run(
            &record.file,
            &record.project,
            &["down", "--volumes", "--remove-orphans"],
        )
        .map_err(|e| Failure::Failed(vec![Diagnostic::error(format!("{} did not run: {e}", compose.shown()))]))?;
    if !output.status.success() {
        return Err(Failure::Failed(vec![
            Diagnostic::error(format!(
                "the compose stack `{}` was not taken down: {}",
                record.project,
                tools::reason(&output)
            ))
            .with_hint(format!(
                "the record stays in {STACK_RECORD}: run `pipegen clean` again once Docker answers"
            )),
        ]));
    }
    std::fs::remove_file(&path)
        .map_err(|e| Failure::Failed(vec![Diagnostic::error(format!("cannot remove {STACK_RECORD}: {e}"))]))?;
    println!("the compose stack `{}` is down, its volumes removed", record.project);
    Ok(())
}

fn print_compose(plan: &Plan, resolved: &ResolvedConfig) {
    let config = &resolved.config;
    let stack = &plan.stack;
    println!("a Docker Compose stack `{}`:", stack.name);
    println!(
        "  Kafka: {} broker(s) ({}), on this machine at {}",
        stack.brokers,
        config.deploy.images.kafka,
        pipegen_deploy_targets::host_bootstrap(stack)
    );
    println!(
        "  schema registry: {} at http://127.0.0.1:{}",
        config.deploy.images.schema_registry,
        pipegen_deploy_targets::SCHEMA_REGISTRY_HOST_PORT
    );
    println!(
        "  Flink: {}; JobManager {} at http://127.0.0.1:{}; {} TaskManager(s) of {} slot(s), {}, {} CPU; SQL Gateway at http://127.0.0.1:{}",
        config.deploy.images.flink,
        stack.jobmanager_memory,
        pipegen_deploy_targets::FLINK_REST_PORT,
        config.flink.taskmanager.replicas,
        config.flink.taskmanager.slots,
        stack.taskmanager_memory,
        stack.taskmanager_cpu,
        pipegen_deploy_targets::SQL_GATEWAY_PORT
    );
    print_needs(plan);
}
