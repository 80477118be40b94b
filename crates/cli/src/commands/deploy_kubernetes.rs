//! `pipegen deploy --target kubernetes`: the kustomization written, then applied with
//! `--apply` when kubectl has a context, and what to run said otherwise.

use pipegen_config::{FlagValue, ResolvedConfig};
use pipegen_deploy_targets::tools;
use pipegen_deploy_targets::{CREDENTIALS_FILE, Plan, Target, yaml};
use pipegen_diag::Diagnostic;

use crate::cli::{DeployArgs, GlobalArgs};
use crate::commands::deploy_targets::{print_needs, written};
use crate::context::load_config;
use crate::failure::{CommandResult, Failure};

pub fn kubernetes(global: &GlobalArgs, args: &DeployArgs) -> CommandResult {
    let flags = args
        .namespace
        .iter()
        .map(|n| FlagValue::new("deploy.namespace", n.as_str(), "--namespace"))
        .collect();
    let resolved = load_config(global, flags)?;
    let plan = written(global, &resolved, Target::Kubernetes)?;
    print_kubernetes(&plan, &resolved);
    let missing = plan.missing_credentials();
    if !missing.is_empty() {
        println!(
            "fill in {} first ({}): kustomize makes the Secret `{}` of it",
            plan.dir.join(CREDENTIALS_FILE).display(),
            missing.join(", "),
            pipegen_deploy_targets::credentials_secret_name(&plan.stack)
        );
    }
    let apply = format!("kubectl apply -k {}", plan.dir.display());
    if !args.apply {
        println!(
            "{}Apply it with `{apply}` (the Flink Kubernetes Operator and Strimzi must run in the cluster); \
             remove it with `kubectl delete -k {}`.",
            if args.dry_run {
                "Nothing was applied (--dry-run). "
            } else {
                ""
            },
            plan.dir.display()
        );
        return Ok(());
    }
    if !missing.is_empty() {
        return Err(Failure::input(
            Diagnostic::error(format!("credentials without a value: {}", missing.join(", ")))
                .in_file(plan.dir.join(CREDENTIALS_FILE))
                .with_hint("give each a value (KEY=value), then `pipegen deploy --target kubernetes --apply` again"),
        ));
    }
    let context = tools::kubectl_context().map_err(|reason| {
        Failure::Failed(vec![
            Diagnostic::error(format!("nothing was applied: {reason}")).with_hint(format!(
                "the manifests are written: `{apply}` once kubectl has a context (`kubectl config use-context NAME`)"
            )),
        ])
    })?;
    println!("applying in kubectl's context `{context}`...");
    let output = tools::kubectl_apply(&plan.dir).map_err(|reason| {
        Failure::Failed(vec![
            Diagnostic::error(format!("kubectl apply failed: {reason}"))
                .with_hint("the Flink Kubernetes Operator's and Strimzi's CRDs must be installed in the cluster first"),
        ])
    })?;
    print!("{output}");
    Ok(())
}

fn print_kubernetes(plan: &Plan, resolved: &ResolvedConfig) {
    let config = &resolved.config;
    let stack = &plan.stack;
    println!("a kustomization for the namespace `{}`:", stack.namespace);
    for file in &plan.bundle.files {
        let Ok(docs) = yaml::parse_documents(&file.text) else {
            continue;
        };
        for doc in docs
            .iter()
            .filter(|d| d.get("kind").is_some() && d["kind"] != "Kustomization")
        {
            println!(
                "  {} {}  ({})",
                doc["kind"].as_str().unwrap_or_default(),
                doc["metadata"]["name"].as_str().unwrap_or_default(),
                file.path.display()
            );
        }
    }
    println!(
        "  Flink {}: {} TaskManager(s) of {} slot(s), {}, {} CPU; JobManager {}",
        config.deploy.images.flink,
        config.flink.taskmanager.replicas,
        config.flink.taskmanager.slots,
        stack.taskmanager_memory,
        stack.taskmanager_cpu,
        stack.jobmanager_memory
    );
    let scaling = &config.deploy.autoscaling;
    if scaling.enabled {
        println!(
            "  autoscaling: {} to {} TaskManagers at {}% CPU{}",
            scaling.min_replicas,
            scaling.max_replicas,
            scaling.cpu_utilization,
            if config.flink.taskmanager.replicas < scaling.min_replicas {
                format!(
                    " (it raises the {} configured TaskManager(s) to {} at once)",
                    config.flink.taskmanager.replicas, scaling.min_replicas
                )
            } else {
                String::new()
            }
        );
    }
    println!(
        "  Kafka {} (Strimzi): {} broker(s)",
        config.deploy.kafka.version, stack.brokers
    );
    print_needs(plan);
}
