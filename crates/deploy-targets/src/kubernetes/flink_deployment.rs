//! The `FlinkDeployment`: a standalone session cluster sized by the `flink` section, with the
//! connector jars the SQL needs fetched into every Flink pod before Flink starts.

use pipegen_config::Config;
use serde_json::{Value, json};

use crate::flink_properties;
use crate::jars::fetch_script;
use crate::memory::memory_limit;
use crate::needs::Needs;
use crate::stack::{CONNECTOR_DIR, FLINK_NAME, Stack};

const SERVICE_ACCOUNT: &str = "flink";

/// The operator's `flinkVersion` for the image's tag (`flink:2.1.0-java17` is `v2_1`); Flink
/// 2.1 when the tag does not say.
pub fn flink_version(image: &str) -> String {
    let tag = image.rsplit_once(':').map_or("", |(_, tag)| tag);
    let mut numbers = tag.split(['.', '-']).map_while(|part| part.parse::<u32>().ok());
    match (numbers.next(), numbers.next()) {
        (Some(major), Some(minor)) => format!("v{major}_{minor}"),
        _ => "v2_1".to_owned(),
    }
}

pub fn render(config: &Config, needs: &Needs, stack: &Stack) -> Value {
    let flink = &config.flink;
    json!({
        "apiVersion": "flink.apache.org/v1beta1",
        "kind": "FlinkDeployment",
        "metadata": {"name": FLINK_NAME},
        "spec": {
            "image": config.deploy.images.flink,
            "flinkVersion": flink_version(&config.deploy.images.flink),
            // Standalone: the operator keeps taskManager.replicas TaskManagers, which the
            // autoscaler moves through the resource's scale subresource.
            "mode": "standalone",
            "serviceAccount": SERVICE_ACCOUNT,
            "flinkConfiguration": flink_properties::cluster(flink, true),
            "jobManager": {
                "replicas": 1,
                "resource": {
                    "memory": memory_limit(stack.jobmanager_memory.bytes()),
                    "cpu": stack.jobmanager_cpu,
                },
            },
            "taskManager": {
                "replicas": flink.taskmanager.replicas,
                "resource": {
                    "memory": memory_limit(stack.taskmanager_memory.bytes()),
                    "cpu": stack.taskmanager_cpu,
                },
            },
            "podTemplate": connector_pod_template(config, needs),
        },
    })
}

/// A pod template whose init container fetches the connector jars into a volume the Flink
/// container mounts below lib/.
pub fn connector_pod_template(config: &Config, needs: &Needs) -> Value {
    json!({
        "apiVersion": "v1",
        "kind": "Pod",
        "spec": connector_pod_spec(config, needs, json!([{
            // The operator merges this into its own container of that name.
            "name": "flink-main-container",
            "volumeMounts": [{"name": "connector-jars", "mountPath": CONNECTOR_DIR}],
        }])),
    })
}

/// A pod spec with `containers`, the jar-fetching init container and its volume.
pub fn connector_pod_spec(config: &Config, needs: &Needs, containers: Value) -> Value {
    let artifacts: Vec<&str> = needs.jars.iter().map(|j| j.coordinates).collect();
    json!({
        "initContainers": [{
            "name": "fetch-connector-jars",
            "image": config.deploy.images.maven,
            "command": ["sh", "-ec", fetch_script("/jars", false)],
            "env": [{"name": "ARTIFACTS", "value": artifacts.join(" ")}],
            "volumeMounts": [{"name": "connector-jars", "mountPath": "/jars"}],
        }],
        "containers": containers,
        "volumes": [{"name": "connector-jars", "emptyDir": {}}],
    })
}

/// The account the operator runs Flink's pods under, with what a standalone cluster asks of
/// the API (its own ConfigMaps and pods, for leader election and status).
pub fn service_account() -> Vec<Value> {
    vec![
        json!({
            "apiVersion": "v1",
            "kind": "ServiceAccount",
            "metadata": {"name": SERVICE_ACCOUNT},
        }),
        json!({
            "apiVersion": "rbac.authorization.k8s.io/v1",
            "kind": "Role",
            "metadata": {"name": SERVICE_ACCOUNT},
            "rules": [{
                "apiGroups": [""],
                "resources": ["pods", "configmaps"],
                "verbs": ["get", "list", "watch", "create", "update", "patch", "delete"],
            }, {
                "apiGroups": ["apps"],
                "resources": ["deployments"],
                "verbs": ["get", "list", "watch"],
            }],
        }),
        json!({
            "apiVersion": "rbac.authorization.k8s.io/v1",
            "kind": "RoleBinding",
            "metadata": {"name": SERVICE_ACCOUNT},
            "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": SERVICE_ACCOUNT},
            "subjects": [{"kind": "ServiceAccount", "name": SERVICE_ACCOUNT}],
        }),
    ]
}

#[cfg(test)]
mod tests {
    use super::flink_version;

    #[test]
    fn the_operator_version_follows_the_image_tag() {
        assert_eq!(flink_version("flink:2.1.0-java17"), "v2_1");
        assert_eq!(flink_version("registry.local:5000/flink:2.2-java21"), "v2_2");
        assert_eq!(flink_version("flink:latest"), "v2_1");
    }
}
