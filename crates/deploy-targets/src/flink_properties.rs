//! The `flink` section as the deployed cluster's configuration: pipegen-flink's translation
//! (the one runs use), with what each target sets its own way taken out or added.

use std::collections::BTreeMap;

use pipegen_config::FlinkConfig;

/// Keys a target sets from the stack's shape rather than from `flinkConfiguration`.
const SIZED_BY_THE_TARGET: &[&str] = &[
    "jobmanager.memory.process.size",
    "taskmanager.memory.process.size",
    "kubernetes.jobmanager.cpu.amount",
];

/// Where checkpoints go when checkpointing is on and no storage is configured.
pub const CHECKPOINT_DIR: &str = "/opt/flink/checkpoints";

/// The cluster's configuration; process sizes stay out when `sized_elsewhere` (Kubernetes,
/// where the FlinkDeployment's resources carry them).
pub fn cluster(flink: &FlinkConfig, sized_elsewhere: bool) -> BTreeMap<String, String> {
    let mut properties = pipegen_flink::cluster_properties(flink);
    if sized_elsewhere {
        properties.retain(|key, _| !SIZED_BY_THE_TARGET.contains(&key.as_str()));
    } else {
        properties.remove("kubernetes.jobmanager.cpu.amount");
        properties.insert(
            "jobmanager.memory.process.size".into(),
            flink
                .memory
                .jobmanager
                .unwrap_or(crate::memory::DEFAULT_JOBMANAGER)
                .to_string(),
        );
        properties.insert(
            "taskmanager.memory.process.size".into(),
            flink
                .memory
                .taskmanager
                .unwrap_or(crate::memory::DEFAULT_TASKMANAGER)
                .to_string(),
        );
    }
    properties
}
