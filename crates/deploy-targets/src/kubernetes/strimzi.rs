//! Strimzi's `Kafka` (KRaft, one node pool of combined brokers and controllers) and a
//! `KafkaTopic` for each topic the SQL names, sized by `kafka.topics` and its overrides.

use std::collections::BTreeSet;

use pipegen_config::Config;
use serde_json::{Value, json};

use crate::names::dns_label;
use crate::needs::Needs;
use crate::stack::{KAFKA_NAME, Stack};

const NODE_POOL: &str = "brokers";

/// Kubernetes' quantity for a size, in whole GiB when it is one, else MiB.
pub fn quantity(bytes: u64) -> String {
    const GIB: u64 = 1 << 30;
    if bytes.is_multiple_of(GIB) {
        format!("{}Gi", bytes / GIB)
    } else {
        format!("{}Mi", bytes.div_ceil(1 << 20))
    }
}

pub fn cluster(config: &Config, stack: &Stack) -> Vec<Value> {
    let internal_replicas = stack.brokers.min(3);
    vec![
        json!({
            "apiVersion": "kafka.strimzi.io/v1",
            "kind": "KafkaNodePool",
            "metadata": {"name": NODE_POOL, "labels": {"strimzi.io/cluster": KAFKA_NAME}},
            "spec": {
                "replicas": stack.brokers,
                "roles": ["controller", "broker"],
                "storage": {
                    "type": "jbod",
                    "volumes": [{
                        "id": 0,
                        "type": "persistent-claim",
                        "size": quantity(config.deploy.kafka.storage.bytes()),
                        "kraftMetadata": "shared",
                        // `kubectl delete -k` takes the data with the cluster.
                        "deleteClaim": true,
                    }],
                },
            },
        }),
        json!({
            "apiVersion": "kafka.strimzi.io/v1",
            "kind": "Kafka",
            "metadata": {"name": KAFKA_NAME},
            "spec": {
                "kafka": {
                    "version": config.deploy.kafka.version,
                    "listeners": [{"name": "plain", "port": 9092, "type": "internal", "tls": false}],
                    "config": {
                        // The topics are the KafkaTopics below, sized as configured.
                        "auto.create.topics.enable": false,
                        "offsets.topic.replication.factor": internal_replicas,
                        "transaction.state.log.replication.factor": internal_replicas,
                        "transaction.state.log.min.isr": stack.brokers.min(2),
                    },
                },
                "entityOperator": {"topicOperator": {}},
            },
        }),
    ]
}

pub fn topics(needs: &Needs) -> Vec<Value> {
    let mut used = BTreeSet::new();
    needs
        .topics
        .iter()
        .map(|topic| {
            // Resource names are DNS labels; the topic keeps its own name in topicName.
            let base = dns_label(&topic.name, "topic");
            let mut name = base.clone();
            let mut n = 2;
            while !used.insert(name.clone()) {
                name = format!("{base}-{n}");
                n += 1;
            }
            json!({
                "apiVersion": "kafka.strimzi.io/v1",
                "kind": "KafkaTopic",
                "metadata": {"name": name, "labels": {"strimzi.io/cluster": KAFKA_NAME}},
                "spec": {
                    "topicName": topic.name,
                    "partitions": topic.partitions,
                    "replicas": topic.replication_factor,
                    "config": topic.config,
                },
            })
        })
        .collect()
}
