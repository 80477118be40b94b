//! The SQL on the cluster: a SQL Gateway Deployment and Service beside the session cluster,
//! the project's SQL in a ConfigMap (pipegen's placeholders filled with the stack's in-cluster
//! addresses), and a Job that fills the user's placeholders from the credentials Secret and
//! submits the script through the gateway with Flink's SQL client.

use pipegen_config::Config;
use serde_json::{Value, json};

use crate::needs::Needs;
use crate::stack::{
    CONNECTOR_DIR, FLINK_NAME, FLINK_REST_PORT, KAFKA_NAME, SCHEMA_REGISTRY, SCHEMA_REGISTRY_PORT, SQL_GATEWAY,
    SQL_GATEWAY_PORT, Stack,
};

use super::flink_deployment::connector_pod_spec;
use super::secrets::env_from_secret;

const SQL_CONFIG_MAP: &str = "pipeline-sql";
const SQL_KEY: &str = "pipeline.sql";
const SQL_MOUNT: &str = "/opt/pipegen/sql";

/// Strimzi's bootstrap Service for the plain listener.
pub fn bootstrap_servers() -> String {
    format!("{KAFKA_NAME}-kafka-bootstrap:9092")
}

pub fn schema_registry_url() -> String {
    format!("http://{SCHEMA_REGISTRY}:{SCHEMA_REGISTRY_PORT}")
}

pub fn gateway(config: &Config, needs: &Needs) -> Vec<Value> {
    let labels = json!({"app.kubernetes.io/name": SQL_GATEWAY});
    let container = json!([{
        "name": SQL_GATEWAY,
        "image": config.deploy.images.flink,
        // It listens on the pod's own address (not every interface), which the Service reaches.
        "env": [{"name": "POD_IP", "valueFrom": {"fieldRef": {"fieldPath": "status.podIP"}}}],
        "args": [
            "bin/sql-gateway.sh",
            "start-foreground",
            "-Dsql-gateway.endpoint.rest.address=$(POD_IP)",
            format!("-Dsql-gateway.endpoint.rest.port={SQL_GATEWAY_PORT}"),
            // The session cluster's REST Service, which the operator names <name>-rest.
            format!("-Drest.address={FLINK_NAME}-rest"),
            format!("-Drest.port={FLINK_REST_PORT}"),
            "-Dexecution.target=remote",
        ],
        "ports": [{"name": "rest", "containerPort": SQL_GATEWAY_PORT}],
        "readinessProbe": {"tcpSocket": {"port": SQL_GATEWAY_PORT}, "periodSeconds": 5},
        "volumeMounts": [{"name": "connector-jars", "mountPath": CONNECTOR_DIR}],
        "resources": {"requests": {"memory": "1Gi", "cpu": "500m"}, "limits": {"memory": "1Gi"}},
    }]);
    vec![
        json!({
            "apiVersion": "apps/v1",
            "kind": "Deployment",
            "metadata": {"name": SQL_GATEWAY, "labels": labels},
            "spec": {
                "replicas": 1,
                "selector": {"matchLabels": labels},
                "template": {
                    "metadata": {"labels": labels},
                    "spec": connector_pod_spec(config, needs, container),
                },
            },
        }),
        json!({
            "apiVersion": "v1",
            "kind": "Service",
            "metadata": {"name": SQL_GATEWAY, "labels": labels},
            "spec": {
                "selector": labels,
                "ports": [{"name": "rest", "port": SQL_GATEWAY_PORT, "targetPort": "rest"}],
            },
        }),
    ]
}

pub fn config_map(needs: &Needs, stack: &Stack) -> Value {
    let script = needs.script(|name| match name {
        "BOOTSTRAP_SERVERS" => Some(bootstrap_servers()),
        "SCHEMA_REGISTRY_URL" => Some(schema_registry_url()),
        "RUN_ID" => Some(format!("deploy-{}", stack.name)),
        _ => None,
    });
    json!({
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": SQL_CONFIG_MAP},
        "data": {SQL_KEY: script},
    })
}

/// Fills `${NAME}` from the environment (the Secret's values) with perl, which every Debian
/// and Ubuntu image has, then runs the script through the gateway.
fn submit_script() -> String {
    format!(
        "perl -pe 's/\\$\\{{(\\w+)\\}}/exists $ENV{{$1}} ? $ENV{{$1}} : $&/ge' {SQL_MOUNT}/{SQL_KEY} > /tmp/{SQL_KEY}\n\
         exec /opt/flink/bin/sql-client.sh gateway --endpoint http://{SQL_GATEWAY}:{SQL_GATEWAY_PORT} -f /tmp/{SQL_KEY}\n"
    )
}

pub fn submit_job(config: &Config, needs: &Needs, stack: &Stack) -> Value {
    json!({
        "apiVersion": "batch/v1",
        "kind": "Job",
        "metadata": {"name": "submit-sql"},
        "spec": {
            // Submitting twice would start the jobs twice: one try, its log says why it failed.
            "backoffLimit": 0,
            "template": {
                "spec": {
                    "restartPolicy": "Never",
                    "initContainers": [{
                        "name": "wait-for-sql-gateway",
                        "image": config.deploy.images.flink,
                        "command": ["bash", "-c", format!(
                            "until (exec 3<>/dev/tcp/{SQL_GATEWAY}/{SQL_GATEWAY_PORT}) 2>/dev/null; do echo waiting for the SQL Gateway; sleep 2; done"
                        )],
                    }],
                    "containers": [{
                        "name": "submit-sql",
                        "image": config.deploy.images.flink,
                        "command": ["bash", "-ec", submit_script()],
                        "env": env_from_secret(needs, stack),
                        "volumeMounts": [{"name": "sql", "mountPath": SQL_MOUNT, "readOnly": true}],
                    }],
                    "volumes": [{"name": "sql", "configMap": {"name": SQL_CONFIG_MAP}}],
                },
            },
        },
    })
}
