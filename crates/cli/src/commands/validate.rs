use std::time::Duration;

use pipegen_config::{Config, Engine, KeyPath};
use pipegen_diag::{Diagnostic, Severity};
use pipegen_health::Probe;
use pipegen_project::Project;

use crate::cli::{GlobalArgs, ValidateArgs};
use crate::context::load_config;
use crate::failure::{CommandResult, Failure};

pub fn run(global: &GlobalArgs, args: ValidateArgs) -> CommandResult {
    let timeout: pipegen_config::Duration = args.connect_timeout.parse().map_err(|e| {
        Failure::input(Diagnostic::error(format!("--connect-timeout: {e}")).with_hint("e.g. --connect-timeout 5s"))
    })?;
    let resolved = load_config(global, Vec::new())?;
    let project = Project::load(&global.project_dir).map_err(Failure::Input)?;

    let mut findings = pipegen_project::validate::check(&project);
    for name in resolved.config.dimensions.keys() {
        if let Err((message, hint)) = pipegen_project::validate::check_dimension(&project, name) {
            let key: KeyPath = ["dimensions", name.as_str()].into_iter().collect();
            findings.push(resolved.error_at(&key, message, hint));
        }
    }
    let errors = findings.iter().filter(|d| d.severity == Severity::Error).count();
    for finding in &findings {
        eprintln!("{finding}\n");
    }
    if !global.quiet {
        println!(
            "checked: config, {}, {}",
            count(project.sql_files.len(), "SQL file", "SQL files"),
            count(project.schemas.len(), "schema", "schemas"),
        );
    }

    let mut failed_probes = Vec::new();
    if args.check_connectivity {
        for probe in probes(&resolved.config, timeout.as_std()) {
            match &probe.outcome {
                Ok(detail) => println!(
                    "reachable:   {:<16} {} ({detail}, {:?})",
                    probe.part, probe.target, probe.elapsed
                ),
                Err(_) => failed_probes.push(probe),
            }
        }
        if nothing_external(&resolved.config) {
            println!("connectivity: nothing external is configured; the run uses the embedded stack");
        }
    }

    if errors > 0 || !failed_probes.is_empty() {
        let mut report: Vec<Diagnostic> = failed_probes
            .iter()
            .map(|p| {
                Diagnostic::error(format!(
                    "{} at {} is not reachable: {}",
                    p.part,
                    p.target,
                    p.outcome.as_ref().unwrap_err()
                ))
                .with_hint("check the address in .pipegen.yaml (or the flag) and that the service is running")
            })
            .collect();
        let mut summary = Vec::new();
        if errors > 0 {
            summary.push(count(errors, "problem in the project", "problems in the project"));
        }
        if !failed_probes.is_empty() {
            summary.push(count(
                failed_probes.len(),
                "service unreachable",
                "services unreachable",
            ));
        }
        report.push(Diagnostic::error(format!("validation failed: {}", summary.join(", "))));
        return Err(Failure::Failed(report));
    }
    if !global.quiet {
        println!("project {} is valid", global.project_dir.display());
    }
    Ok(())
}

fn count(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

fn nothing_external(config: &Config) -> bool {
    config.bootstrap_servers.is_none()
        && config.schema_registry_url.is_none()
        && config.flink_url.is_none()
        && config.sql_gateway_url.is_none()
        && config.engine == Engine::Embedded
}

/// One probe per service the configuration names.
fn probes(config: &Config, timeout: Duration) -> Vec<Probe> {
    let mut probes = Vec::new();
    if let Some(servers) = &config.bootstrap_servers {
        probes.push(pipegen_health::probe_kafka(servers, timeout));
    }
    if let Some(url) = &config.schema_registry_url {
        probes.push(pipegen_health::probe_registry(url, timeout));
    }
    if let Some(url) = &config.flink_url {
        probes.push(pipegen_health::probe_flink(url, timeout));
    }
    if let Some(url) = &config.sql_gateway_url {
        probes.push(pipegen_health::probe_sql_gateway(url, timeout));
    }
    probes
}
