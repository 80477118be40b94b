//! `deploy --target kubernetes`: a kustomization for the project's stack on the Flink
//! Kubernetes Operator and Strimzi.
//!
//! Flink runs as a standalone session cluster (a `FlinkDeployment` without a job): the
//! operator then keeps exactly `taskManager.replicas` TaskManagers in a Deployment, and the
//! resource's scale subresource lets a HorizontalPodAutoscaler move that number. The SQL
//! reaches it through a SQL Gateway Deployment beside it, submitted once by a Job running
//! Flink's SQL client: the gateway is how `pipegen deploy` submits SQL everywhere else, the
//! stock Flink image has both, and no image has to be built around a runner jar.

mod flink_deployment;
mod hpa;
mod kustomization;
mod schema_registry;
mod secrets;
mod sql;
mod strimzi;

use std::path::Path;

use pipegen_config::ResolvedConfig;
use serde_json::{Value, json};

use crate::bundle::Bundle;
use crate::needs::Needs;
use crate::stack::Stack;
use crate::yaml;

pub use secrets::{CREDENTIALS_FILE, credentials_secret_name, missing_credentials};

/// The files of the kustomization, each with the objects it holds.
pub fn render(
    resolved: &ResolvedConfig,
    needs: &Needs,
    stack: &Stack,
    previous: Option<&Path>,
) -> Result<Bundle, String> {
    let config = &resolved.config;
    let mut files: Vec<(&str, Vec<Value>)> = vec![
        ("namespace.yaml", vec![namespace(stack)]),
        ("flink/service-account.yaml", flink_deployment::service_account()),
        (
            "flink/flink-deployment.yaml",
            vec![flink_deployment::render(config, needs, stack)],
        ),
        ("flink/sql-gateway.yaml", sql::gateway(config, needs)),
        ("flink/pipeline-sql.yaml", vec![sql::config_map(needs, stack)]),
        ("flink/submit-sql.yaml", vec![sql::submit_job(config, needs, stack)]),
        ("kafka/kafka.yaml", strimzi::cluster(config, stack)),
        ("kafka/topics.yaml", strimzi::topics(needs)),
        ("schema-registry.yaml", schema_registry::render(config, stack)),
    ];
    if config.deploy.autoscaling.enabled {
        files.push(("flink/hpa.yaml", vec![hpa::render(&config.deploy.autoscaling)]));
    }
    files.retain(|(_, objects)| !objects.is_empty());
    let mut bundle = Bundle::default();
    let resources: Vec<&str> = files.iter().map(|(path, _)| *path).collect();
    bundle.add(
        kustomization::FILE,
        yaml::document(&kustomization::render(stack, &resources, needs))?,
    );
    for (path, objects) in &files {
        bundle.add(*path, yaml::documents(objects)?);
    }
    if !needs.user_placeholders.is_empty() {
        bundle.add_private(CREDENTIALS_FILE, secrets::credentials_env(needs, previous));
        // The filled-in credentials stay out of version control.
        bundle.add(".gitignore", format!("{CREDENTIALS_FILE}\n"));
    }
    Ok(bundle)
}

fn namespace(stack: &Stack) -> Value {
    json!({
        "apiVersion": "v1",
        "kind": "Namespace",
        "metadata": {"name": stack.namespace},
    })
}

/// Labels every object of the stack carries (kustomize adds them).
pub fn common_labels(stack: &Stack) -> Value {
    json!({
        "app.kubernetes.io/part-of": stack.name,
        "app.kubernetes.io/managed-by": "pipegen",
    })
}
