//! Topics, offsets and consumer-group lag through the Kafka protocol (never a CLI tool), so it
//! works the same on a laptop broker, a Kubernetes cluster or a managed service.

use std::collections::BTreeMap;
use std::time::Duration;

use rdkafka::admin::{AdminClient, AdminOptions, NewTopic, TopicReplication};
use rdkafka::client::DefaultClientContext;
use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::error::RDKafkaErrorCode;
use rdkafka::types::RDKafkaRespErr;
use rdkafka::{Offset, TopicPartitionList};

use crate::client_config::ClientProperties;
use crate::error::KafkaError;

/// A topic to create.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TopicPlan {
    pub name: String,
    pub partitions: u32,
    pub replication_factor: u16,
    /// Topic configs (`retention.ms`, `segment.ms`, ...).
    pub config: BTreeMap<String, String>,
}

/// One partition's offsets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PartitionOffsets {
    pub partition: i32,
    pub earliest: i64,
    pub latest: i64,
}

pub struct KafkaAdmin {
    servers: String,
    /// The client settings (security included) the short-lived consumers of `lag` start from.
    properties: ClientProperties,
    admin: AdminClient<DefaultClientContext>,
    /// For metadata, watermarks and committed offsets.
    probe: BaseConsumer,
    timeout: Duration,
}

impl KafkaAdmin {
    pub fn new(properties: &ClientProperties, timeout: Duration) -> Result<Self, KafkaError> {
        let servers = properties.get("bootstrap.servers").unwrap_or_default().to_owned();
        let fail =
            |e: rdkafka::error::KafkaError| KafkaError::new(&servers, "creating the admin client", properties.scrub(e));
        let admin = properties.to_client_config().create().map_err(fail)?;
        let mut probe_config = properties.to_client_config();
        probe_config
            .set("group.id", "pipegen-admin")
            .set("enable.auto.commit", "false");
        let probe = probe_config.create().map_err(fail)?;
        Ok(Self {
            servers,
            properties: properties.clone(),
            admin,
            probe,
            timeout,
        })
    }

    fn options(&self) -> AdminOptions {
        AdminOptions::new()
            .operation_timeout(Some(self.timeout))
            .request_timeout(Some(self.timeout))
    }

    fn fail(&self, action: impl Into<String>, reason: impl ToString) -> KafkaError {
        KafkaError::new(&self.servers, action, reason)
    }

    /// The brokers the cluster reports (`id host:port`).
    pub fn brokers(&self) -> Result<Vec<String>, KafkaError> {
        let metadata = self
            .probe
            .fetch_metadata(None, self.timeout)
            .map_err(|e| self.fail("reading cluster metadata", e))?;
        Ok(metadata
            .brokers()
            .iter()
            .map(|b| format!("{} {}:{}", b.id(), b.host(), b.port()))
            .collect())
    }

    pub fn create_topics(&self, topics: &[TopicPlan]) -> Result<(), KafkaError> {
        // An empty CreateTopics request is refused by brokers (InvalidArgument).
        if topics.is_empty() {
            return Ok(());
        }
        let new: Vec<NewTopic<'_>> = topics
            .iter()
            .map(|t| {
                let mut topic = NewTopic::new(
                    &t.name,
                    t.partitions as i32,
                    TopicReplication::Fixed(i32::from(t.replication_factor)),
                );
                for (k, v) in &t.config {
                    topic = topic.set(k, v);
                }
                topic
            })
            .collect();
        let results =
            block_on(self.admin.create_topics(&new, &self.options())).map_err(|e| self.fail("creating topics", e))?;
        for result in results {
            if let Err((topic, code)) = result {
                return Err(self.fail(format!("creating topic `{topic}`"), code));
            }
        }
        Ok(())
    }

    pub fn delete_topics(&self, names: &[&str]) -> Result<(), KafkaError> {
        if names.is_empty() {
            return Ok(());
        }
        let results =
            block_on(self.admin.delete_topics(names, &self.options())).map_err(|e| self.fail("deleting topics", e))?;
        for result in results {
            match result {
                // Gone already (deleted by someone else, or lost with a broker): as asked.
                Ok(_) | Err((_, RDKafkaErrorCode::UnknownTopicOrPartition)) => {}
                Err((topic, code)) => return Err(self.fail(format!("deleting topic `{topic}`"), code)),
            }
        }
        Ok(())
    }

    /// Topic names, without the broker's internal ones nor `_schemas`, where schema registries
    /// (Confluent's, and pipegen's embedded one on a cluster) keep their schemas.
    pub fn topics(&self) -> Result<Vec<String>, KafkaError> {
        let metadata = self
            .probe
            .fetch_metadata(None, self.timeout)
            .map_err(|e| self.fail("listing topics", e))?;
        Ok(metadata
            .topics()
            .iter()
            .map(|t| t.name().to_owned())
            .filter(|n| !n.starts_with("__") && n != "_schemas")
            .collect())
    }

    /// The number of partitions of a topic.
    pub fn partitions(&self, topic: &str) -> Result<u32, KafkaError> {
        self.partitions_if_exists(topic)?
            .ok_or_else(|| self.fail(format!("describing `{topic}`"), "no such topic"))
    }

    /// The number of partitions of a topic, `None` when the cluster has no such topic.
    pub fn partitions_if_exists(&self, topic: &str) -> Result<Option<u32>, KafkaError> {
        let metadata = self
            .probe
            .fetch_metadata(Some(topic), self.timeout)
            .map_err(|e| self.fail(format!("describing `{topic}`"), e))?;
        let Some(t) = metadata.topics().first() else {
            return Ok(None);
        };
        match t.error() {
            Some(RDKafkaRespErr::RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART) => Ok(None),
            Some(error) => Err(self.fail(format!("describing `{topic}`"), format!("{error:?}"))),
            None => Ok(Some(t.partitions().len() as u32)),
        }
    }

    /// Earliest and latest offset of every partition.
    pub fn offsets(&self, topic: &str) -> Result<Vec<PartitionOffsets>, KafkaError> {
        self.offsets_if_exists(topic)?
            .ok_or_else(|| self.fail(format!("reading offsets of `{topic}`"), "no such topic"))
    }

    /// Earliest and latest offset of every partition, `None` when the cluster has no such topic.
    pub fn offsets_if_exists(&self, topic: &str) -> Result<Option<Vec<PartitionOffsets>>, KafkaError> {
        let Some(partitions) = self.partitions_if_exists(topic)? else {
            return Ok(None);
        };
        (0..partitions as i32)
            .map(|partition| {
                let (earliest, latest) = self
                    .probe
                    .fetch_watermarks(topic, partition, self.timeout)
                    .map_err(|e| self.fail(format!("reading offsets of `{topic}`"), e))?;
                Ok(PartitionOffsets {
                    partition,
                    earliest,
                    latest,
                })
            })
            .collect::<Result<_, _>>()
            .map(Some)
    }

    /// Per partition: latest offset minus the group's committed offset (the whole partition
    /// when the group committed nothing there).
    pub fn lag(&self, group: &str, topic: &str) -> Result<Vec<(i32, i64)>, KafkaError> {
        let offsets = self.offsets(topic)?;
        let mut list = TopicPartitionList::new();
        for o in &offsets {
            list.add_partition(topic, o.partition);
        }
        let mut config = self.properties.to_client_config();
        config.set("group.id", group).set("enable.auto.commit", "false");
        let consumer: BaseConsumer = config
            .create()
            .map_err(|e| self.fail("creating a consumer for lag", self.properties.scrub(e)))?;
        let committed = consumer
            .committed_offsets(list, self.timeout)
            .map_err(|e| self.fail(format!("reading the offsets group `{group}` committed"), e))?;
        Ok(offsets
            .iter()
            .map(|o| {
                let done = committed
                    .find_partition(topic, o.partition)
                    .and_then(|p| match p.offset() {
                        Offset::Offset(n) => Some(n),
                        _ => None,
                    })
                    .unwrap_or(o.earliest);
                (o.partition, (o.latest - done).max(0))
            })
            .collect())
    }
}

/// Runs an admin future to completion on the calling thread: librdkafka's own threads do the
/// work and wake this one, so no async runtime is needed for these rare, short calls.
pub(crate) fn block_on<F: std::future::Future>(future: F) -> F::Output {
    use std::task::{Context, Poll, Wake, Waker};
    struct Unpark(std::thread::Thread);
    impl Wake for Unpark {
        fn wake(self: std::sync::Arc<Self>) {
            self.0.unpark();
        }
    }
    let waker = Waker::from(std::sync::Arc::new(Unpark(std::thread::current())));
    let mut context = Context::from_waker(&waker);
    let mut future = std::pin::pin!(future);
    loop {
        if let Poll::Ready(output) = future.as_mut().poll(&mut context) {
            return output;
        }
        std::thread::park();
    }
}
