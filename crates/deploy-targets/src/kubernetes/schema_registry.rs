//! A Confluent-compatible schema registry on the Strimzi cluster (its `_schemas` topic there).

use pipegen_config::Config;
use serde_json::{Value, json};

use crate::stack::{SCHEMA_REGISTRY, SCHEMA_REGISTRY_PORT, Stack};

use super::sql::bootstrap_servers;

pub fn render(config: &Config, stack: &Stack) -> Vec<Value> {
    let labels = json!({"app.kubernetes.io/name": SCHEMA_REGISTRY});
    vec![
        json!({
            "apiVersion": "apps/v1",
            "kind": "Deployment",
            "metadata": {"name": SCHEMA_REGISTRY, "labels": labels},
            "spec": {
                "replicas": 1,
                "selector": {"matchLabels": labels},
                "template": {
                    "metadata": {"labels": labels},
                    "spec": {
                        // Kubernetes would set SCHEMA_REGISTRY_PORT=tcp://... for the Service
                        // of that name, which Confluent's image takes for its own setting.
                        "enableServiceLinks": false,
                        "containers": [{
                            "name": SCHEMA_REGISTRY,
                            "image": config.deploy.images.schema_registry,
                            "env": [
                                {"name": "SCHEMA_REGISTRY_HOST_NAME", "value": SCHEMA_REGISTRY},
                                // Listens on the pod's own address, not every interface.
                                {"name": "POD_IP", "valueFrom": {"fieldRef": {"fieldPath": "status.podIP"}}},
                                {"name": "SCHEMA_REGISTRY_LISTENERS", "value": format!("http://$(POD_IP):{SCHEMA_REGISTRY_PORT}")},
                                {"name": "SCHEMA_REGISTRY_KAFKASTORE_BOOTSTRAP_SERVERS", "value": bootstrap_servers()},
                                {"name": "SCHEMA_REGISTRY_KAFKASTORE_TOPIC_REPLICATION_FACTOR", "value": stack.brokers.min(3).to_string()},
                            ],
                            "ports": [{"name": "http", "containerPort": SCHEMA_REGISTRY_PORT}],
                            "readinessProbe": {"httpGet": {"path": "/subjects", "port": "http"}, "periodSeconds": 5},
                            "resources": {"requests": {"memory": "512Mi", "cpu": "250m"}, "limits": {"memory": "1Gi"}},
                        }],
                    },
                },
            },
        }),
        json!({
            "apiVersion": "v1",
            "kind": "Service",
            "metadata": {"name": SCHEMA_REGISTRY, "labels": labels},
            "spec": {
                "selector": labels,
                "ports": [{"name": "http", "port": SCHEMA_REGISTRY_PORT, "targetPort": "http"}],
            },
        }),
    ]
}
