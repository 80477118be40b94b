//! The run's backends behind the seams: where topics live (the embedded log or a Kafka
//! cluster) and where schemas are registered (the embedded registry or a Confluent-compatible
//! one). Each remembers what the run created, so that cleanup removes exactly that.

use std::collections::BTreeSet;
use std::sync::Arc;
use std::sync::atomic::AtomicBool;
use std::time::Duration;

use pipegen_config::{Config, SubjectStrategy, TopicNaming, TopicsConfig};
use pipegen_kafka::{
    KafkaAdmin, KafkaLog, KafkaSink, TopicLedger, TopicPlan, consumer_properties, producer_properties, run_topic_name,
};
use pipegen_loadgen::metrics::Recorder;
use pipegen_loadgen::sink::Sink;
use pipegen_log::{EmbeddedLog, Log, Retention, TopicSpec};
use pipegen_registry::{EmbeddedRegistry, RegistryClient};

use crate::error::RunError;
use crate::produce::LogSink;

const REGISTRY_TIMEOUT: Duration = Duration::from_secs(10);

/// A topic the run needs, with what it is created with.
pub struct TopicNeed {
    pub name: String,
    pub partitions: u32,
    pub replication_factor: u16,
    /// `kafka.topics.config` with the topic's overrides on top.
    pub config: Vec<(String, String)>,
}

impl TopicNeed {
    pub fn from_config(topics: &TopicsConfig, declared: &str, name: String) -> Self {
        let overrides = topics.overrides.get(declared);
        let mut config: Vec<(String, String)> = topics.config.iter().map(|(k, v)| (k.clone(), v.clone())).collect();
        for (key, value) in overrides.map(|o| o.config.iter()).into_iter().flatten() {
            config.retain(|(k, _)| k != key);
            config.push((key.clone(), value.clone()));
        }
        Self {
            name,
            partitions: overrides.and_then(|o| o.partitions).unwrap_or(topics.partitions).max(1),
            replication_factor: overrides
                .and_then(|o| o.replication_factor)
                .unwrap_or(topics.replication_factor),
            config,
        }
    }
}

pub enum LogBackend {
    /// The in-process log; its producers batch what falls due within `linger` of a batch's
    /// first record (`kafka.producer.linger_ms`, as a Kafka producer does).
    Embedded {
        log: Arc<EmbeddedLog>,
        linger: Duration,
    },
    Kafka(Box<KafkaBackend>),
}

pub struct KafkaBackend {
    servers: String,
    admin: KafkaAdmin,
    ledger: TopicLedger,
    producer: pipegen_kafka::ClientProperties,
    log: Arc<KafkaLog>,
    naming: TopicNaming,
    /// `kafka.timeout`: how long one request to the cluster may take.
    timeout: Duration,
}

impl LogBackend {
    /// The embedded log, or the Kafka cluster `bootstrap_servers` names (checked reachable
    /// within `kafka.timeout`, so a broker that is down is one clear error up front).
    pub fn open(config: &Config, run_id: &str) -> Result<Self, RunError> {
        let Some(servers) = &config.bootstrap_servers else {
            return Ok(Self::Embedded {
                log: Arc::new(EmbeddedLog::new()),
                linger: Duration::from_millis(config.kafka.producer.linger_ms),
            });
        };
        let kafka = &config.kafka;
        let producer = producer_properties(servers, &kafka.producer, &kafka.security);
        let consumer = consumer_properties(servers, &kafka.consumer, &kafka.security, &format!("pipegen-{run_id}"));
        tracing::debug!(producer = ?producer, consumer = ?consumer, "Kafka client configuration");
        let unreachable = |e: pipegen_kafka::KafkaError| RunError::Unavailable(e.to_string());
        let admin = KafkaAdmin::new(&producer, kafka.timeout.as_std()).map_err(unreachable)?;
        admin.brokers().map_err(unreachable)?;
        let log_admin = KafkaAdmin::new(&producer, kafka.timeout.as_std()).map_err(unreachable)?;
        let log = KafkaLog::new(log_admin, &producer, &consumer).map_err(unreachable)?;
        Ok(Self::Kafka(Box::new(KafkaBackend {
            servers: servers.clone(),
            admin,
            ledger: TopicLedger::default(),
            producer,
            log: Arc::new(log),
            naming: kafka.topics.naming,
            timeout: kafka.timeout.as_std(),
        })))
    }

    /// `embedded` or `kafka`, as the report names it.
    pub fn name(&self) -> &'static str {
        match self {
            Self::Embedded { .. } => "embedded",
            Self::Kafka(_) => "kafka",
        }
    }

    /// What `${BOOTSTRAP_SERVERS}` becomes in the SQL.
    pub fn bootstrap_servers(&self) -> String {
        match self {
            Self::Embedded { .. } => "embedded".into(),
            Self::Kafka(kafka) => kafka.servers.clone(),
        }
    }

    /// Writes to the log that wait for its acknowledgement give up (the run is ending).
    pub fn stop_waiting(&self) {
        if let Self::Kafka(kafka) = self {
            kafka.log.stop_waiting();
        }
    }

    /// How long the log may go without answering before the run counts it lost (a Kafka
    /// cluster: three times `kafka.timeout`; the embedded log always answers).
    pub fn lost_after(&self) -> Option<Duration> {
        match self {
            Self::Embedded { .. } => None,
            Self::Kafka(kafka) => Some(kafka.timeout * 3),
        }
    }

    pub fn shared(&self) -> Arc<dyn Log> {
        match self {
            Self::Embedded { log, .. } => log.clone(),
            Self::Kafka(kafka) => kafka.log.clone(),
        }
    }

    /// The name this run uses for a topic the SQL declares (`kafka.topics.naming`; a run's own
    /// embedded log needs no per-run names).
    pub fn topic_name(&self, declared: &str, run_id: &str) -> String {
        match self {
            Self::Embedded { .. } => declared.to_owned(),
            Self::Kafka(kafka) => run_topic_name(declared, kafka.naming, run_id),
        }
    }

    /// Creates the topics that do not exist yet; on Kafka, topics that already exist are used
    /// as they are and never deleted by this run.
    pub fn provision(&mut self, needs: &[TopicNeed]) -> Result<(), RunError> {
        match self {
            Self::Embedded { log, .. } => {
                for need in needs {
                    let mut spec = TopicSpec::new(need.name.clone(), need.partitions);
                    spec.retention = embedded_retention(&need.config)?;
                    log.create_topic(spec).map_err(|e| RunError::Io(e.to_string()))?;
                }
                Ok(())
            }
            Self::Kafka(kafka) => {
                let plans: Vec<TopicPlan> = needs
                    .iter()
                    .map(|need| TopicPlan {
                        name: need.name.clone(),
                        partitions: need.partitions,
                        replication_factor: need.replication_factor,
                        config: need.config.iter().cloned().collect(),
                    })
                    .collect();
                let created = kafka
                    .ledger
                    .ensure(&kafka.admin, &plans)
                    .map_err(|e| RunError::Unavailable(e.to_string()))?;
                tracing::info!(?created, "topics created");
                Ok(())
            }
        }
    }

    /// The load generator's sink into `topic`: on Kafka, librdkafka's producer with the
    /// `kafka.producer` tuning, acknowledged by delivery reports.
    pub fn load_sink(
        &self,
        topic: &str,
        recorder: Arc<Recorder>,
        stop: Arc<AtomicBool>,
    ) -> Result<Box<dyn Sink>, RunError> {
        match self {
            Self::Embedded { log, linger } => Ok(Box::new(LogSink::new(log.clone(), topic, *linger))),
            Self::Kafka(kafka) => KafkaSink::new(&kafka.producer, topic, recorder, stop)
                .map(|sink| Box::new(sink) as Box<dyn Sink>)
                .map_err(|e| RunError::Unavailable(e.to_string())),
        }
    }

    /// The librdkafka settings the run's producers use, secrets redacted (for the report).
    pub fn client_config(&self) -> Option<std::collections::BTreeMap<String, String>> {
        match self {
            Self::Embedded { .. } => None,
            Self::Kafka(kafka) => Some(kafka.producer.redacted()),
        }
    }

    /// Deletes the topics this run created; returns their names.
    pub fn cleanup(self) -> Result<Vec<String>, RunError> {
        match self {
            Self::Embedded { .. } => Ok(Vec::new()),
            Self::Kafka(kafka) => {
                let KafkaBackend {
                    admin, mut ledger, log, ..
                } = *kafka;
                // Every client goes before its topics do: librdkafka clients refreshing
                // metadata of a topic deleted under them have crashed.
                if Arc::strong_count(&log) > 1 {
                    tracing::warn!("Kafka clients outlive the run; deleting its topics under them");
                }
                drop(log);
                ledger.cleanup(&admin).map_err(|e| RunError::Unavailable(e.to_string()))
            }
        }
    }
}

/// What an embedded topic keeps: Kafka's `retention.bytes` (per partition) and `retention.ms`;
/// by default 64 MB per partition, so that a long run's memory levels off (the pipeline reads
/// records as they arrive).
fn embedded_retention(config: &[(String, String)]) -> Result<Retention, RunError> {
    let mut retention = Retention {
        bytes_per_partition: Some(64 << 20),
        time: None,
    };
    for (key, value) in config {
        let number = || {
            value.trim().parse::<i64>().map_err(|_| {
                RunError::Input(vec![
                    pipegen_diag::Diagnostic::error(format!(
                        "kafka.topics.config: `{key}: {value}` is not a whole number"
                    ))
                    .with_hint("Kafka's retention settings are numbers: bytes, or milliseconds"),
                ])
            })
        };
        match key.as_str() {
            // -1 keeps everything, as on Kafka.
            "retention.bytes" => retention.bytes_per_partition = u64::try_from(number()?).ok(),
            "retention.ms" => retention.time = u64::try_from(number()?).ok().map(Duration::from_millis),
            _ => {}
        }
    }
    Ok(retention)
}

/// The schema registry a run registers with: its own embedded one, served on 127.0.0.1, or
/// the one `schema_registry_url` names, where it deletes only the subjects it created.
pub struct RegistryBackend {
    /// Kept alive for the run; `None` for an external registry.
    embedded: Option<EmbeddedRegistry>,
    /// Whether what the run registers outlives it (an external registry, or the embedded one
    /// keeping its schemas on the Kafka cluster), and so is the run's to delete.
    persistent: bool,
    client: RegistryClient,
    url: String,
    /// Subjects that existed before the run (never deleted).
    existing: BTreeSet<String>,
    /// The run's topics: their `-key` and `-value` subjects that appear during the run (the
    /// engine's sinks register theirs) are the run's too.
    topics: Vec<String>,
    /// Subjects the run registered that were not there before.
    created: BTreeSet<String>,
    strategy: SubjectStrategy,
}

impl RegistryBackend {
    pub fn open(config: &Config) -> Result<Self, RunError> {
        match &config.schema_registry_url {
            None => {
                let bind = "127.0.0.1:0".parse().expect("a socket address");
                // On a Kafka cluster the registry keeps its schemas in the cluster's `_schemas`
                // topic, so ids mean the same schema in every run there (records kept with
                // --cleanup=false decode in the next run).
                let registry = match &config.bootstrap_servers {
                    Some(servers) => {
                        let journal =
                            crate::schema_journal::KafkaSchemaJournal::open(config, servers).map_err(|e| {
                                RunError::Unavailable(format!("the embedded schema registry's `_schemas` topic: {e}"))
                            })?;
                        EmbeddedRegistry::start_with_journal(bind, Box::new(journal))
                    }
                    None => EmbeddedRegistry::start(bind),
                }
                .map_err(|e| RunError::Io(format!("cannot start the embedded schema registry: {e}")))?;
                let url = registry.url();
                let client = RegistryClient::new(&url, REGISTRY_TIMEOUT);
                let existing = client
                    .subjects()
                    .map_err(|e| RunError::Unavailable(format!("schema registry: {e}")))?
                    .into_iter()
                    .collect();
                Ok(Self {
                    persistent: config.bootstrap_servers.is_some(),
                    client,
                    embedded: Some(registry),
                    url,
                    existing,
                    topics: Vec::new(),
                    created: BTreeSet::new(),
                    strategy: config.schema_registry.subject_strategy,
                })
            }
            Some(url) => {
                let registry = &config.schema_registry;
                let mut client = RegistryClient::new(url, REGISTRY_TIMEOUT);
                if let (Some(user), Some(password)) = (&registry.username, &registry.password) {
                    client = client.with_basic_auth(user, password.expose());
                }
                let existing = client
                    .subjects()
                    .map_err(|e| RunError::Unavailable(format!("schema registry: {e}")))?
                    .into_iter()
                    .collect();
                Ok(Self {
                    persistent: true,
                    embedded: None,
                    client,
                    url: url.clone(),
                    existing,
                    topics: Vec::new(),
                    created: BTreeSet::new(),
                    strategy: registry.subject_strategy,
                })
            }
        }
    }

    pub fn name(&self) -> &'static str {
        if self.embedded.is_some() { "embedded" } else { "http" }
    }

    /// What `${SCHEMA_REGISTRY_URL}` becomes in the SQL.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// Registers the value schema of `topic` under the subject `schema_registry.subject_strategy`
    /// names; returns the schema id.
    pub fn register_value(&mut self, topic: &str, schema: &str) -> Result<u32, RunError> {
        let subject = match self.strategy {
            SubjectStrategy::TopicName => format!("{topic}-value"),
            SubjectStrategy::RecordName => record_name(schema).ok_or_else(|| {
                RunError::Input(vec![
                    pipegen_diag::Diagnostic::error(format!(
                        "the schema of `{topic}` has no record name for the record-name subject strategy"
                    ))
                    .with_hint(
                        "give the schema a \"name\" (and a \"namespace\"), or use `subject_strategy: topic-name`",
                    ),
                ])
            })?,
        };
        self.register(&subject, schema)
    }

    /// Registers `schema` under `subject` after checking it is compatible with what the
    /// subject holds; returns the schema id.
    fn register(&mut self, subject: &str, schema: &str) -> Result<u32, RunError> {
        let failed = |e: pipegen_registry::RegistryError| {
            RunError::Unavailable(format!("registering the schema of subject `{subject}`: {e}"))
        };
        if self.existing.contains(subject) && !self.client.is_compatible(subject, schema).map_err(failed)? {
            return Err(RunError::Input(vec![
                pipegen_diag::Diagnostic::error(format!(
                    "the schema is not compatible with what subject `{subject}` holds in the registry at {}",
                    self.url
                ))
                .with_hint(
                    "evolve the schema compatibly (add fields with defaults), or use `kafka.topics.naming: per-run` for fresh subjects",
                ),
            ]));
        }
        let id = self.client.register(subject, schema).map_err(failed)?;
        if !self.existing.contains(subject) {
            self.created.insert(subject.to_owned());
        }
        Ok(id)
    }

    /// The topics the run reads and writes, whose new subjects cleanup removes.
    pub fn add_topics(&mut self, topics: impl IntoIterator<Item = String>) {
        self.topics.extend(topics);
    }

    /// The subjects the registry held when the run opened it.
    pub fn existing(&self) -> impl Iterator<Item = &String> {
        self.existing.iter()
    }

    /// The subjects the run registered that were not there before.
    pub fn created(&self) -> Vec<String> {
        self.created.iter().cloned().collect()
    }

    /// Deletes, where they outlive the run, the subjects of the run's topics that did not
    /// exist before the run (soft, then permanently); returns them.
    pub fn cleanup(&self) -> Result<Vec<String>, RunError> {
        if !self.persistent {
            return Ok(Vec::new());
        }
        let ours: BTreeSet<String> = self
            .topics
            .iter()
            .flat_map(|topic| [format!("{topic}-key"), format!("{topic}-value")])
            .collect();
        let created: Vec<String> = self
            .client
            .subjects()
            .map_err(|e| RunError::Unavailable(format!("schema registry: {e}")))?
            .into_iter()
            .filter(|subject| {
                (ours.contains(subject) || self.created.contains(subject)) && !self.existing.contains(subject)
            })
            .collect();
        for subject in &created {
            self.client
                .delete_subject(subject)
                .map_err(|e| RunError::Unavailable(format!("deleting subject `{subject}`: {e}")))?;
        }
        Ok(created)
    }
}

/// An AVRO record schema's full name (`namespace.Name`).
fn record_name(schema: &str) -> Option<String> {
    let schema: serde_json::Value = serde_json::from_str(schema).ok()?;
    let name = schema.get("name")?.as_str()?;
    Some(match schema.get("namespace").and_then(|n| n.as_str()) {
        Some(namespace) if !name.contains('.') && !namespace.is_empty() => format!("{namespace}.{name}"),
        _ => name.to_owned(),
    })
}

/// What a run creates outside itself, which the caller cleans up.
pub(crate) struct Created<'b> {
    pub log: &'b mut LogBackend,
    pub registry: &'b mut RegistryBackend,
    pub dimensions: &'b mut crate::dimensions::OwnedDimensions,
}
