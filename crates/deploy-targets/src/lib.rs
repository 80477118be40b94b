//! `pipegen deploy --target compose|kubernetes`: the project's stack written as a Docker
//! Compose file or a Kubernetes kustomization (Flink Kubernetes Operator and Strimzi), from
//! its configuration and SQL, after refusing what could not work (at the key's file and line).
//!
//! Rendering is pure ([`plan`]); writing replaces the target's directory at once
//! ([`Plan::write`]); [`tools`] finds out whether Docker or kubectl can take the result.

mod bundle;
mod checks;
mod compose;
mod flink_properties;
mod jars;
mod kubernetes;
mod memory;
mod names;
mod needs;
mod stack;
pub mod tools;
pub mod yaml;

use std::path::{Path, PathBuf};

use pipegen_config::ResolvedConfig;
use pipegen_diag::Diagnostic;
use pipegen_project::Project;

pub use bundle::{Bundle, BundleFile};
pub use compose::{
    COMPOSE_FILE, CONFIG_LAYER, SCHEMA_REGISTRY_HOST_PORT, host_bootstrap, internal_bootstrap, internal_schema_registry,
};
pub use jars::Jar;
pub use kubernetes::{CREDENTIALS_FILE, credentials_secret_name};
pub use needs::{Needs, Topic, UserPlaceholder};
pub use stack::{FLINK_REST_PORT, SQL_GATEWAY_PORT, Stack};

/// Where a stack is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Target {
    Compose,
    Kubernetes,
}

impl Target {
    pub fn as_str(self) -> &'static str {
        match self {
            Target::Compose => "compose",
            Target::Kubernetes => "kubernetes",
        }
    }
}

/// A target rendered and checked, not yet written.
#[derive(Debug)]
pub struct Plan {
    pub target: Target,
    /// The directory the files go to.
    pub dir: PathBuf,
    pub bundle: Bundle,
    pub stack: Stack,
    pub needs: Needs,
}

/// `deploy.dir/<target>` below the project.
pub fn target_dir(project_root: &Path, resolved: &ResolvedConfig, target: Target) -> PathBuf {
    project_root.join(&resolved.config.deploy.dir).join(target.as_str())
}

/// Renders `target` for the project, or every reason it cannot work.
pub fn plan(
    project: &Project,
    resolved: &ResolvedConfig,
    target: Target,
    namespace: Option<&str>,
) -> Result<Plan, Vec<Diagnostic>> {
    let needs = Needs::of(project, resolved)?;
    let stack = Stack::new(&resolved.config, &project.root, &needs, namespace);
    let problems = checks::check(resolved, &needs, &stack, target);
    if !problems.is_empty() {
        return Err(problems);
    }
    let dir = target_dir(&project.root, resolved, target);
    let rendered = match target {
        Target::Compose => compose::render(resolved, &project.root, &needs, &stack),
        Target::Kubernetes => kubernetes::render(resolved, &needs, &stack, Some(&dir)),
    };
    let bundle = rendered.map_err(|e| vec![Diagnostic::error(e)])?;
    Ok(Plan {
        target,
        dir,
        bundle,
        stack,
        needs,
    })
}

impl Plan {
    /// Replaces the target's directory with the plan's files.
    pub fn write(&self) -> Result<(), Box<Diagnostic>> {
        self.bundle.write(&self.dir).map_err(|e| {
            Box::new(
                Diagnostic::error(format!("cannot write {}: {e}", self.dir.display()))
                    .with_hint("check that the project directory is writable (deploy.dir says where targets go)"),
            )
        })
    }

    /// Credentials the user has yet to fill in (Kubernetes' credentials file), by name.
    pub fn missing_credentials(&self) -> Vec<String> {
        kubernetes::missing_credentials(&self.dir, &self.needs)
    }
}
