//! `deploy --target compose`: one Docker Compose file for the project's stack (Kafka in KRaft
//! mode, a Confluent-compatible schema registry, Flink's JobManager, TaskManagers and SQL
//! Gateway with the connector jars the SQL needs), health checks and start order, ports on
//! 127.0.0.1 only, named volumes; and a pipegen config layer with the stack's addresses, so
//! `pipegen --config <dir>/pipegen.yaml run --engine flink` runs on it unchanged.

use std::collections::BTreeMap;
use std::path::Path;

use pipegen_config::{Config, ResolvedConfig};
use serde_json::{Value, json};

use crate::bundle::Bundle;
use crate::flink_properties::{self, CHECKPOINT_DIR};
use crate::jars::fetch_script;
use crate::memory::memory_limit;
use crate::needs::Needs;
use crate::stack::{
    CONNECTOR_DIR, FLINK_REST_PORT, SCHEMA_REGISTRY, SCHEMA_REGISTRY_PORT, SQL_GATEWAY, SQL_GATEWAY_PORT, Stack,
};
use crate::yaml;

pub const COMPOSE_FILE: &str = "compose.yaml";
/// The config layer with the stack's addresses.
pub const CONFIG_LAYER: &str = "pipegen.yaml";

/// Host ports (on 127.0.0.1): broker `n` (from 1) at `KAFKA_HOST_PORT + n - 1`.
pub const KAFKA_HOST_PORT: u16 = 9092;
pub const SCHEMA_REGISTRY_HOST_PORT: u16 = 8085;
/// Inside the stack: brokers' listener for the other containers, and the controllers'.
const KAFKA_INTERNAL_PORT: u16 = 29092;
const KAFKA_CONTROLLER_PORT: u16 = 29093;
const KAFKA_EXTERNAL_PORT: u16 = 9092;

const CONNECTOR_VOLUME: &str = "connector-jars";
const CHECKPOINT_VOLUME: &str = "flink-checkpoints";

fn broker(n: u32) -> String {
    format!("kafka-{n}")
}

/// The brokers as the containers reach them.
pub fn internal_bootstrap(stack: &Stack) -> String {
    (1..=stack.brokers)
        .map(|n| format!("{}:{KAFKA_INTERNAL_PORT}", broker(n)))
        .collect::<Vec<_>>()
        .join(",")
}

/// The brokers as this machine reaches them.
pub fn host_bootstrap(stack: &Stack) -> String {
    (1..=stack.brokers)
        .map(|n| format!("127.0.0.1:{}", host_port(n)))
        .collect::<Vec<_>>()
        .join(",")
}

/// The schema registry as the containers reach it.
pub fn internal_schema_registry() -> String {
    format!("http://{SCHEMA_REGISTRY}:{SCHEMA_REGISTRY_PORT}")
}

fn host_port(n: u32) -> u32 {
    u32::from(KAFKA_HOST_PORT) + n - 1
}

pub fn render(resolved: &ResolvedConfig, project_root: &Path, needs: &Needs, stack: &Stack) -> Result<Bundle, String> {
    let config = &resolved.config;
    let mut services = serde_json::Map::new();
    for n in 1..=stack.brokers {
        services.insert(broker(n), kafka_service(config, stack, n));
    }
    services.insert(SCHEMA_REGISTRY.into(), schema_registry_service(config, stack));
    services.insert(CONNECTOR_VOLUME.into(), connector_jars_service(config, needs));
    let flink = FlinkServices::new(config, project_root, needs, stack)?;
    services.insert("jobmanager".into(), flink.jobmanager());
    services.insert("taskmanager".into(), flink.taskmanager());
    services.insert(SQL_GATEWAY.into(), flink.sql_gateway());

    let mut volumes = serde_json::Map::new();
    for n in 1..=stack.brokers {
        volumes.insert(format!("{}-data", broker(n)), json!({}));
    }
    volumes.insert(CONNECTOR_VOLUME.into(), json!({}));
    if flink.checkpoints {
        volumes.insert(CHECKPOINT_VOLUME.into(), json!({}));
    }
    // No top-level `name`: Compose v1 refuses it; pipegen passes `-p <name>` instead.
    let compose = json!({
        "services": services,
        "volumes": volumes,
    });
    let mut bundle = Bundle::default();
    bundle.add(COMPOSE_FILE, yaml::document(&compose)?);
    bundle.add(CONFIG_LAYER, config_layer(stack)?);
    Ok(bundle)
}

/// A stable KRaft cluster id for the stack (22 characters of URL-safe base64, as Kafka's
/// `random-uuid` prints them), so a restart finds its data formatted for the same cluster.
fn cluster_id(name: &str) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let mut bytes = [0u8; 16];
    for (half, seed) in [0xcbf2_9ce4_8422_2325u64, 0x8422_2325_cbf2_9ce4]
        .into_iter()
        .enumerate()
    {
        let hash = name
            .bytes()
            .fold(seed, |h, b| (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3));
        bytes[half * 8..half * 8 + 8].copy_from_slice(&hash.to_be_bytes());
    }
    let mut bits = 0u32;
    let mut held = 0u32;
    let mut id = String::new();
    for byte in bytes {
        bits = (bits << 8) | u32::from(byte);
        held += 8;
        while held >= 6 {
            held -= 6;
            id.push(ALPHABET[((bits >> held) & 63) as usize] as char);
        }
    }
    if held > 0 {
        id.push(ALPHABET[((bits << (6 - held)) & 63) as usize] as char);
    }
    id
}

fn kafka_service(config: &Config, stack: &Stack, n: u32) -> Value {
    let voters = (1..=stack.brokers)
        .map(|v| format!("{v}@{}:{KAFKA_CONTROLLER_PORT}", broker(v)))
        .collect::<Vec<_>>()
        .join(",");
    let internal_replicas = stack.brokers.min(3);
    json!({
        "image": config.deploy.images.kafka,
        "hostname": broker(n),
        "environment": {
            "CLUSTER_ID": cluster_id(&stack.name),
            "KAFKA_NODE_ID": n.to_string(),
            "KAFKA_PROCESS_ROLES": "broker,controller",
            "KAFKA_CONTROLLER_QUORUM_VOTERS": voters,
            "KAFKA_LISTENERS": format!("INTERNAL://:{KAFKA_INTERNAL_PORT},CONTROLLER://:{KAFKA_CONTROLLER_PORT},EXTERNAL://:{KAFKA_EXTERNAL_PORT}"),
            "KAFKA_ADVERTISED_LISTENERS": format!("INTERNAL://{}:{KAFKA_INTERNAL_PORT},EXTERNAL://127.0.0.1:{}", broker(n), host_port(n)),
            "KAFKA_LISTENER_SECURITY_PROTOCOL_MAP": "INTERNAL:PLAINTEXT,CONTROLLER:PLAINTEXT,EXTERNAL:PLAINTEXT",
            "KAFKA_CONTROLLER_LISTENER_NAMES": "CONTROLLER",
            "KAFKA_INTER_BROKER_LISTENER_NAME": "INTERNAL",
            "KAFKA_LOG_DIRS": "/var/lib/kafka/data",
            // pipegen creates the topics as kafka.topics sizes them; none appear by accident.
            "KAFKA_AUTO_CREATE_TOPICS_ENABLE": "false",
            "KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR": internal_replicas.to_string(),
            "KAFKA_TRANSACTION_STATE_LOG_REPLICATION_FACTOR": internal_replicas.to_string(),
            "KAFKA_TRANSACTION_STATE_LOG_MIN_ISR": stack.brokers.min(2).to_string(),
            "KAFKA_GROUP_INITIAL_REBALANCE_DELAY_MS": "0",
        },
        "ports": [format!("127.0.0.1:{}:{KAFKA_EXTERNAL_PORT}", host_port(n))],
        "volumes": [format!("{}-data:/var/lib/kafka/data", broker(n))],
        "healthcheck": {
            "test": ["CMD-SHELL", format!("/opt/kafka/bin/kafka-broker-api-versions.sh --bootstrap-server localhost:{KAFKA_INTERNAL_PORT} > /dev/null 2>&1")],
            "interval": "10s",
            "timeout": "10s",
            "retries": 12,
            "start_period": "20s",
        },
        "restart": "unless-stopped",
    })
}

fn brokers_healthy(stack: &Stack) -> serde_json::Map<String, Value> {
    (1..=stack.brokers)
        .map(|n| (broker(n), json!({"condition": "service_healthy"})))
        .collect()
}

fn schema_registry_service(config: &Config, stack: &Stack) -> Value {
    json!({
        "image": config.deploy.images.schema_registry,
        "hostname": SCHEMA_REGISTRY,
        "depends_on": brokers_healthy(stack),
        "environment": {
            "SCHEMA_REGISTRY_HOST_NAME": SCHEMA_REGISTRY,
            // Each server listens on its own name's address in the stack's network (not every
            // interface); the port reaches the host on 127.0.0.1 only.
            "SCHEMA_REGISTRY_LISTENERS": format!("http://{SCHEMA_REGISTRY}:{SCHEMA_REGISTRY_PORT}"),
            "SCHEMA_REGISTRY_KAFKASTORE_BOOTSTRAP_SERVERS": internal_bootstrap(stack),
            "SCHEMA_REGISTRY_KAFKASTORE_TOPIC_REPLICATION_FACTOR": stack.brokers.min(3).to_string(),
        },
        "ports": [format!("127.0.0.1:{SCHEMA_REGISTRY_HOST_PORT}:{SCHEMA_REGISTRY_PORT}")],
        "healthcheck": {
            "test": ["CMD-SHELL", format!("curl -fsS http://{SCHEMA_REGISTRY}:{SCHEMA_REGISTRY_PORT}/subjects > /dev/null")],
            "interval": "10s",
            "timeout": "5s",
            "retries": 12,
            "start_period": "20s",
        },
        "restart": "unless-stopped",
    })
}

/// A one-shot container that fetches the connector jars by Maven coordinates into a volume
/// the Flink containers mount below lib/.
fn connector_jars_service(config: &Config, needs: &Needs) -> Value {
    let artifacts: Vec<&str> = needs.jars.iter().map(|j| j.coordinates).collect();
    json!({
        "image": config.deploy.images.maven,
        "environment": {"ARTIFACTS": artifacts.join(" ")},
        // `$$` is compose's escape for a `$` the shell sees.
        "command": ["sh", "-ec", fetch_script("/jars", true)],
        "volumes": [format!("{CONNECTOR_VOLUME}:/jars")],
        "restart": "no",
    })
}

struct FlinkServices<'a> {
    config: &'a Config,
    stack: &'a Stack,
    /// Flink's configuration lines (`FLINK_PROPERTIES`, which the image appends to its
    /// config.yaml).
    properties: String,
    volumes: Vec<String>,
    checkpoints: bool,
}

impl<'a> FlinkServices<'a> {
    fn new(config: &'a Config, project_root: &Path, needs: &Needs, stack: &'a Stack) -> Result<Self, String> {
        let mut properties: BTreeMap<String, String> = flink_properties::cluster(&config.flink, false);
        properties.insert("jobmanager.rpc.address".into(), "jobmanager".into());
        properties.insert("rest.address".into(), "jobmanager".into());
        properties.insert("rest.bind-address".into(), "jobmanager".into());
        let mut volumes = vec![format!("{CONNECTOR_VOLUME}:{CONNECTOR_DIR}:ro")];
        let checkpoints = config.flink.checkpoint.interval.is_some() && config.flink.checkpoint.storage.is_none();
        if checkpoints {
            properties.insert("execution.checkpointing.dir".into(), format!("file://{CHECKPOINT_DIR}"));
            volumes.push(format!("{CHECKPOINT_VOLUME}:{CHECKPOINT_DIR}"));
        }
        if needs.project_dir_at.is_some() {
            // ${PROJECT_DIR} names the project as this machine sees it: the containers see it
            // at the same path, read-only.
            let root = project_root.display();
            volumes.push(format!("{root}:{root}:ro"));
        }
        Ok(Self {
            config,
            stack,
            properties: yaml::mapping_body(&yaml::to_json(&properties)?)?,
            volumes,
            checkpoints,
        })
    }

    fn base(&self, command: Value) -> serde_json::Map<String, Value> {
        let mut service = serde_json::Map::new();
        service.insert("image".into(), json!(self.config.deploy.images.flink));
        service.insert("command".into(), command);
        service.insert("environment".into(), json!({"FLINK_PROPERTIES": self.properties}));
        service.insert("volumes".into(), json!(self.volumes));
        service.insert("restart".into(), json!("unless-stopped"));
        service
    }

    fn jobmanager(&self) -> Value {
        let mut service = self.base(json!("jobmanager"));
        service.insert("hostname".into(), json!("jobmanager"));
        let mut depends = brokers_healthy(self.stack);
        depends.insert(
            CONNECTOR_VOLUME.into(),
            json!({"condition": "service_completed_successfully"}),
        );
        service.insert("depends_on".into(), Value::Object(depends));
        service.insert(
            "ports".into(),
            json!([format!("127.0.0.1:{FLINK_REST_PORT}:{FLINK_REST_PORT}")]),
        );
        service.insert("healthcheck".into(), tcp_check("jobmanager", FLINK_REST_PORT));
        service.insert(
            "deploy".into(),
            json!({"resources": {"limits": {
                "memory": memory_limit(self.stack.jobmanager_memory.bytes()),
                "cpus": cpus(self.stack.jobmanager_cpu),
            }}}),
        );
        Value::Object(service)
    }

    fn taskmanager(&self) -> Value {
        let mut service = self.base(json!("taskmanager"));
        service.insert(
            "depends_on".into(),
            json!({"jobmanager": {"condition": "service_healthy"}}),
        );
        service.insert(
            "deploy".into(),
            json!({
                "replicas": self.config.flink.taskmanager.replicas,
                "resources": {"limits": {
                    "memory": memory_limit(self.stack.taskmanager_memory.bytes()),
                    "cpus": cpus(self.stack.taskmanager_cpu),
                }},
            }),
        );
        Value::Object(service)
    }

    fn sql_gateway(&self) -> Value {
        let mut service = self.base(json!([
            "bin/sql-gateway.sh",
            "start-foreground",
            format!("-Dsql-gateway.endpoint.rest.address={SQL_GATEWAY}"),
            format!("-Dsql-gateway.endpoint.rest.port={SQL_GATEWAY_PORT}"),
        ]));
        service.insert("hostname".into(), json!(SQL_GATEWAY));
        service.insert(
            "depends_on".into(),
            json!({"jobmanager": {"condition": "service_healthy"}}),
        );
        service.insert(
            "ports".into(),
            json!([format!("127.0.0.1:{SQL_GATEWAY_PORT}:{SQL_GATEWAY_PORT}")]),
        );
        service.insert("healthcheck".into(), tcp_check(SQL_GATEWAY, SQL_GATEWAY_PORT));
        Value::Object(service)
    }
}

/// A port that accepts connections (bash's /dev/tcp: Flink's image has no HTTP client).
/// Whether `host:port` (the service's own name: it listens there, not on loopback) answers.
fn tcp_check(host: &str, port: u16) -> Value {
    json!({
        "test": ["CMD-SHELL", format!("bash -c 'exec 3<>/dev/tcp/{host}/{port}'")],
        "interval": "5s",
        "timeout": "5s",
        "retries": 24,
        "start_period": "10s",
    })
}

fn cpus(cpu: f64) -> String {
    format!("{cpu}")
}

/// pipegen's addresses of the stack, as a config layer for `--config`.
fn config_layer(stack: &Stack) -> Result<String, String> {
    let layer = json!({
        "bootstrap_servers": host_bootstrap(stack),
        "schema_registry_url": format!("http://127.0.0.1:{SCHEMA_REGISTRY_HOST_PORT}"),
        "flink_url": format!("http://127.0.0.1:{FLINK_REST_PORT}"),
        "sql_gateway_url": format!("http://127.0.0.1:{SQL_GATEWAY_PORT}"),
        "flink": {
            "bootstrap_servers": internal_bootstrap(stack),
            "schema_registry_url": internal_schema_registry(),
        },
        // The stack's brokers speak plain text on loopback, whatever the project's cluster asks.
        "kafka": {"security": {"security_protocol": "PLAINTEXT"}},
    });
    let mut text = String::from(
        "# Written by `pipegen deploy --target compose`: the stack's addresses, for\n\
         # `pipegen --config <this file> run --engine flink` (or deploy, check) against it.\n",
    );
    text.push_str(&yaml::document(&layer)?);
    Ok(text)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cluster_ids_are_stable_and_shaped_as_kafka_prints_them() {
        let id = cluster_id("orders");
        assert_eq!(id.len(), 22);
        assert_eq!(id, cluster_id("orders"));
        assert_ne!(id, cluster_id("payments"));
        assert!(id.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_'));
    }
}
