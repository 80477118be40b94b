//! `pipegen deploy` and `pipegen clean`: the pipeline put on the configured clusters to stay,
//! and taken off again (see the run crate's `deploy` module).

use pipegen_diag::Diagnostic;
use pipegen_project::RECORD_PATH;
use pipegen_run::deploy::DeployPlan;

use crate::cli::{DeployArgs, DeployTarget, GlobalArgs};
use crate::commands::run::{run_failure, runnable_project};
use crate::context::load_config;
use crate::failure::{CommandResult, Failure};

pub fn deploy(global: &GlobalArgs, args: &DeployArgs) -> CommandResult {
    match args.target {
        DeployTarget::Compose => return crate::commands::deploy_compose::compose(global, args),
        DeployTarget::Kubernetes => return crate::commands::deploy_kubernetes::kubernetes(global, args),
        DeployTarget::Clusters => {}
    }
    if args.namespace.is_some() || args.apply {
        return Err(Failure::input(
            Diagnostic::error("--namespace and --apply are for `--target kubernetes`")
                .with_hint("`pipegen deploy --target kubernetes --namespace N --apply`"),
        ));
    }
    let resolved = load_config(global, Vec::new())?;
    let project = runnable_project(global)?;
    if args.dry_run {
        let plan = pipegen_run::deploy::plan(&project, &resolved.config).map_err(run_failure)?;
        print_plan(&plan);
        return Ok(());
    }
    let outcome = pipegen_run::deploy::deploy(&project, &resolved.config).map_err(run_failure)?;
    print_outcome(global, &outcome);
    Ok(())
}

/// What a deployment made, and how to remove it.
pub(crate) fn print_outcome(global: &GlobalArgs, outcome: &pipegen_run::deploy::DeployOutcome) {
    let record = &outcome.record;
    println!("deployed on Flink at {}:", record.flink_url);
    for job in &record.jobs {
        println!("  job {}  {}:{}  {}", job.job_id, job.file, job.line, job.statement);
    }
    let list = |names: &[String]| {
        if names.is_empty() {
            "none".to_owned()
        } else {
            names.join(", ")
        }
    };
    println!(
        "topics on {}: created {}; already there (left as they were): {}",
        record.bootstrap_servers,
        list(&record.topics_created),
        list(&record.topics_existing)
    );
    if let Some(url) = &record.schema_registry_url {
        println!("subjects registered at {url}: {}", list(&record.subjects_registered));
    }
    println!(
        "recorded in {}; `pipegen clean` removes exactly this deployment",
        global.project_dir.join(RECORD_PATH).display()
    );
}

pub fn clean(global: &GlobalArgs) -> CommandResult {
    let resolved = load_config(global, Vec::new())?;
    let jobs = clean_clusters(global, &resolved);
    // The stack goes after what ran on it, whatever became of that; both say what failed.
    let stack = crate::commands::deploy_compose::take_compose_down(global);
    match (jobs, stack) {
        (Ok(()), outcome) | (outcome, Ok(())) => outcome,
        (Err(jobs), Err(stack)) => Err(jobs.merge(stack)),
    }
}

fn clean_clusters(global: &GlobalArgs, resolved: &pipegen_config::ResolvedConfig) -> CommandResult {
    let Some(outcome) = pipegen_run::deploy::clean(&global.project_dir, &resolved.config).map_err(run_failure)? else {
        println!(
            "nothing to clean: no deployment is recorded in {} (runs clean up after themselves)",
            global.project_dir.join(RECORD_PATH).display()
        );
        return Ok(());
    };
    for (job, state) in &outcome.jobs {
        println!("job {job}: {state}");
    }
    for (what, names) in [
        ("topics", &outcome.topics_deleted),
        ("subjects", &outcome.subjects_deleted),
    ] {
        if !names.is_empty() {
            println!("deleted {what}: {}", names.join(", "));
        }
    }
    if outcome.problems.is_empty() {
        println!("the deployment is gone");
        return Ok(());
    }
    Err(Failure::Failed(
        outcome
            .problems
            .iter()
            .map(|p| {
                Diagnostic::error(p.clone()).with_hint(format!(
                    "what is left stays in {RECORD_PATH}: run `pipegen clean` again once the cluster answers"
                ))
            })
            .collect(),
    ))
}

fn print_plan(plan: &DeployPlan) {
    if let Some(existing) = &plan.existing {
        println!(
            "note: the project is deployed already ({} job(s) since {}); `pipegen deploy` refuses until `pipegen clean`",
            existing.jobs.len(),
            existing.deployed_at
        );
    }
    println!(
        "A deployment would, on Flink at {} (SQL Gateway {}):",
        plan.flink_url, plan.gateway_url
    );
    for topic in &plan.topics_to_create {
        println!("  create topic {topic}");
    }
    for topic in &plan.topics_existing {
        println!("  use the existing topic {topic} (never deleted)");
    }
    for topic in &plan.schemas_to_register {
        println!("  register the value schema of {topic}");
    }
    for (at, first_line) in &plan.jobs {
        println!("  start a job for {at}  {first_line}");
    }
    println!("with the session properties:");
    for (key, value) in &plan.session_properties {
        println!("  {key} = {value}");
    }
    println!("Nothing was created or started.");
}
