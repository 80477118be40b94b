//! `pipegen deploy --target compose|kubernetes`: the stack written from the project (see the
//! deploy-targets crate), then started (`deploy_compose`) or applied (`deploy_kubernetes`)
//! when this machine can, and said plainly when it cannot.

use pipegen_config::ResolvedConfig;
use pipegen_deploy_targets::{Plan, Target};

use crate::cli::GlobalArgs;
use crate::commands::run::runnable_project;
use crate::failure::Failure;

/// Renders `target`, refuses what could not work, writes it, and lists the files.
pub(crate) fn written(global: &GlobalArgs, resolved: &ResolvedConfig, target: Target) -> Result<Plan, Failure> {
    let project = runnable_project(global)?;
    let plan = pipegen_deploy_targets::plan(&project, resolved, target, None).map_err(Failure::Input)?;
    plan.write().map_err(|d| Failure::Failed(vec![*d]))?;
    println!("wrote {}:", plan.dir.display());
    for file in &plan.bundle.files {
        println!("  {}", file.path.display());
    }
    Ok(plan)
}

/// The topics and connector jars a written stack holds.
pub(crate) fn print_needs(plan: &Plan) {
    for topic in &plan.needs.topics {
        println!(
            "  topic {}: {} partition(s), replication factor {}",
            topic.name, topic.partitions, topic.replication_factor
        );
    }
    let jars: Vec<&str> = plan.needs.jars.iter().map(|j| j.coordinates).collect();
    if !jars.is_empty() {
        println!("  connector jars: {}", jars.join(", "));
    }
}
