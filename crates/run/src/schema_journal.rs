//! The embedded registry's journal on the run's Kafka cluster: Confluent's `_schemas` topic,
//! so that a schema id means the same schema in every run (and every process) on the cluster.

use pipegen_config::Config;
use pipegen_kafka::{KafkaAdmin, KafkaError, TopicJournal, consumer_properties, producer_properties};
use pipegen_registry::{JournalError, JournalTransport, RawRecord, SCHEMAS_TOPIC};

/// The registry's journal over the Kafka clients of `kafka.*` (security included).
pub struct KafkaSchemaJournal(TopicJournal);

impl KafkaSchemaJournal {
    /// Opens (creating when missing) the `_schemas` topic of the cluster `servers` names.
    pub fn open(config: &Config, servers: &str) -> Result<Self, KafkaError> {
        let kafka = &config.kafka;
        let producer = producer_properties(servers, &kafka.producer, &kafka.security);
        let consumer = consumer_properties(servers, &kafka.consumer, &kafka.security, "pipegen-schemas");
        let timeout = kafka.timeout.as_std();
        let admin = KafkaAdmin::new(&producer, timeout)?;
        TopicJournal::open(&admin, &producer, &consumer, SCHEMAS_TOPIC, timeout).map(Self)
    }
}

fn journal_error(e: KafkaError) -> JournalError {
    if e.reason.contains("did not arrive within") || e.reason.contains("timed out") {
        JournalError::TimedOut(e.to_string())
    } else {
        JournalError::Failed(e.to_string())
    }
}

impl JournalTransport for KafkaSchemaJournal {
    fn append(&mut self, record: &RawRecord) -> Result<u64, JournalError> {
        let offset = self
            .0
            .append(&record.key, record.value.as_deref())
            .map_err(journal_error)?;
        u64::try_from(offset).map_err(|_| JournalError::Failed(format!("the cluster gave offset {offset}")))
    }

    fn read_through(&mut self, position: u64) -> Result<Vec<RawRecord>, JournalError> {
        let offset = i64::try_from(position).unwrap_or(i64::MAX);
        Ok(self
            .0
            .read_through(offset)
            .map_err(journal_error)?
            .into_iter()
            .map(|r| RawRecord {
                key: r.key,
                value: r.value,
            })
            .collect())
    }
}
