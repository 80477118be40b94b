//! The performance guide's `flink-taskmanager-hpa`: TaskManagers between the configured bounds
//! (2 and 20), held at a CPU utilization (70%). It scales the FlinkDeployment through its scale
//! subresource (`spec.taskManager.replicas`) rather than the operator's Deployment, which the
//! operator would set back.

use pipegen_config::AutoscalingConfig;
use serde_json::{Value, json};

use crate::stack::FLINK_NAME;

pub const NAME: &str = "flink-taskmanager-hpa";

pub fn render(scaling: &AutoscalingConfig) -> Value {
    json!({
        "apiVersion": "autoscaling/v2",
        "kind": "HorizontalPodAutoscaler",
        "metadata": {"name": NAME},
        "spec": {
            "scaleTargetRef": {
                "apiVersion": "flink.apache.org/v1beta1",
                "kind": "FlinkDeployment",
                "name": FLINK_NAME,
            },
            "minReplicas": scaling.min_replicas,
            "maxReplicas": scaling.max_replicas,
            "metrics": [{
                "type": "Resource",
                "resource": {
                    "name": "cpu",
                    "target": {"type": "Utilization", "averageUtilization": scaling.cpu_utilization},
                },
            }],
        },
    })
}
