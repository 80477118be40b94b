//! The shape both targets share, derived once from the configuration: names, broker count,
//! process sizes and CPUs, images, and the addresses the parts reach each other at.

use std::path::Path;

use pipegen_config::{ByteSize, Config};

use crate::memory::{DEFAULT_JOBMANAGER, DEFAULT_TASKMANAGER};
use crate::names::dns_label;
use crate::needs::Needs;

/// The FlinkDeployment's name; the operator names the TaskManagers' Deployment
/// `flink-taskmanager`, the performance guide's autoscaling target.
pub const FLINK_NAME: &str = "flink";
/// Strimzi's Kafka cluster name; its bootstrap Service is `kafka-kafka-bootstrap`.
pub const KAFKA_NAME: &str = "kafka";
pub const SCHEMA_REGISTRY: &str = "schema-registry";
pub const SQL_GATEWAY: &str = "sql-gateway";
pub const FLINK_REST_PORT: u16 = 8081;
pub const SQL_GATEWAY_PORT: u16 = 8083;
pub const SCHEMA_REGISTRY_PORT: u16 = 8081;
/// Where the connector jars go in the Flink containers: Flink puts every jar below lib/ on
/// its class path.
pub const CONNECTOR_DIR: &str = "/opt/flink/lib/pipegen-connectors";

#[derive(Debug, Clone)]
pub struct Stack {
    /// The pipeline's name as a label (compose project, labels).
    pub name: String,
    pub namespace: String,
    pub brokers: u32,
    pub taskmanager_memory: ByteSize,
    pub jobmanager_memory: ByteSize,
    pub taskmanager_cpu: f64,
    pub jobmanager_cpu: f64,
}

impl Stack {
    pub fn new(config: &Config, project_root: &Path, needs: &Needs, namespace: Option<&str>) -> Self {
        let chosen = config
            .pipeline
            .name
            .clone()
            .or_else(|| project_root.file_name().map(|n| n.to_string_lossy().into_owned()))
            .unwrap_or_default();
        let name = dns_label(&chosen, "pipegen");
        let flink = &config.flink;
        Self {
            namespace: namespace
                .map(str::to_owned)
                .or_else(|| config.deploy.namespace.clone())
                .unwrap_or_else(|| name.clone()),
            name,
            brokers: config
                .deploy
                .kafka
                .brokers
                .unwrap_or_else(|| u32::from(needs.max_replication())),
            taskmanager_memory: flink.memory.taskmanager.unwrap_or(DEFAULT_TASKMANAGER),
            jobmanager_memory: flink.memory.jobmanager.unwrap_or(DEFAULT_JOBMANAGER),
            taskmanager_cpu: flink.taskmanager.cpu_cores.or(flink.cpu.taskmanager).unwrap_or(1.0),
            jobmanager_cpu: flink.cpu.jobmanager.unwrap_or(1.0),
        }
    }
}
