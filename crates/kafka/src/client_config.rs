//! pipegen's `kafka` config section as librdkafka properties: each tuning key mapped to its
//! librdkafka name, `properties` passed verbatim (and winning), secrets redacted when shown.

use std::collections::BTreeMap;

use pipegen_config::{
    Acks, Compression, ConsumerConfig, OffsetReset, ProducerConfig, SaslMechanism, SecurityConfig, SecurityProtocol,
    is_secret_key,
};
use rdkafka::ClientConfig;

/// Properties for a client, kept as a map so they can be shown (redacted) and recorded.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct ClientProperties(BTreeMap<String, String>);

impl std::fmt::Debug for ClientProperties {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_map().entries(self.redacted()).finish()
    }
}

impl ClientProperties {
    fn set(&mut self, key: &str, value: impl ToString) {
        self.0.insert(key.to_owned(), value.to_string());
    }

    pub fn get(&self, key: &str) -> Option<&str> {
        self.0.get(key).map(String::as_str)
    }

    /// The properties with secret values replaced, for logs and reports.
    pub fn redacted(&self) -> BTreeMap<String, String> {
        self.0
            .iter()
            .map(|(k, v)| {
                (
                    k.clone(),
                    if is_secret_key(k) {
                        pipegen_config::REDACTED.to_owned()
                    } else {
                        v.clone()
                    },
                )
            })
            .collect()
    }

    /// An error's text with every secret property's value replaced: rdkafka's own
    /// configuration errors quote the value they refused (a whole `sasl.jaas.config`).
    pub fn scrub(&self, error: impl ToString) -> String {
        let mut text = error.to_string();
        for (key, value) in &self.0 {
            if is_secret_key(key) && !value.is_empty() {
                text = text.replace(value.as_str(), pipegen_config::REDACTED);
            }
        }
        text
    }

    pub fn to_client_config(&self) -> ClientConfig {
        let mut config = ClientConfig::new();
        for (k, v) in &self.0 {
            config.set(k, v);
        }
        config
    }
}

fn common(bootstrap_servers: &str, security: &SecurityConfig) -> ClientProperties {
    let mut p = ClientProperties::default();
    p.set("bootstrap.servers", bootstrap_servers);
    p.set("client.id", "pipegen");
    p.set(
        "security.protocol",
        match security.security_protocol {
            SecurityProtocol::Plaintext => "plaintext",
            SecurityProtocol::Ssl => "ssl",
            SecurityProtocol::SaslPlaintext => "sasl_plaintext",
            SecurityProtocol::SaslSsl => "sasl_ssl",
        },
    );
    if let Some(mechanism) = security.sasl_mechanism {
        p.set(
            "sasl.mechanism",
            match mechanism {
                SaslMechanism::Plain => "PLAIN",
                SaslMechanism::ScramSha256 => "SCRAM-SHA-256",
                SaslMechanism::ScramSha512 => "SCRAM-SHA-512",
            },
        );
    }
    if let Some(user) = &security.username {
        p.set("sasl.username", user);
    }
    if let Some(password) = &security.password {
        p.set("sasl.password", password.expose());
    }
    for (key, path) in [
        ("ssl.ca.location", &security.ssl_ca_location),
        ("ssl.certificate.location", &security.ssl_certificate_location),
        ("ssl.key.location", &security.ssl_key_location),
    ] {
        if let Some(path) = path {
            p.set(key, path.display());
        }
    }
    if let Some(password) = &security.ssl_key_password {
        p.set("ssl.key.password", password.expose());
    }
    p
}

pub fn producer_properties(
    bootstrap_servers: &str,
    producer: &ProducerConfig,
    security: &SecurityConfig,
) -> ClientProperties {
    let mut p = common(bootstrap_servers, security);
    p.set("batch.size", producer.batch_size);
    p.set("linger.ms", producer.linger_ms);
    p.set(
        "compression.type",
        match producer.compression_type {
            Compression::None => "none",
            Compression::Gzip => "gzip",
            Compression::Snappy => "snappy",
            Compression::Lz4 => "lz4",
            Compression::Zstd => "zstd",
        },
    );
    p.set(
        "acks",
        match producer.acks {
            Acks::None => "0",
            Acks::Leader => "1",
            Acks::All => "all",
        },
    );
    // librdkafka bounds its queue in kilobytes where Java's buffer.memory counts bytes.
    p.set(
        "queue.buffering.max.kbytes",
        (producer.buffer_memory.bytes() / 1024).max(1),
    );
    p.set("retries", producer.retries);
    p.set("retry.backoff.ms", producer.retry_backoff_ms);
    p.set("enable.idempotence", producer.enable_idempotence);
    // Keyed records go where Kafka's Java clients (and so Flink) put them: murmur2 of the key.
    p.set("partitioner", "murmur2_random");
    for (k, v) in producer.properties.iter() {
        p.set(k, v);
    }
    p
}

pub fn consumer_properties(
    bootstrap_servers: &str,
    consumer: &ConsumerConfig,
    security: &SecurityConfig,
    group_id: &str,
) -> ClientProperties {
    let mut p = common(bootstrap_servers, security);
    p.set("group.id", consumer.group_id.as_deref().unwrap_or(group_id));
    p.set("fetch.min.bytes", consumer.fetch_min_bytes);
    p.set("fetch.wait.max.ms", consumer.fetch_max_wait_ms);
    p.set("socket.receive.buffer.bytes", consumer.receive_buffer_bytes);
    p.set("socket.send.buffer.bytes", consumer.send_buffer_bytes);
    p.set("max.poll.interval.ms", consumer.max_poll_interval_ms);
    p.set("session.timeout.ms", consumer.session_timeout_ms);
    p.set(
        "auto.offset.reset",
        match consumer.auto_offset_reset {
            OffsetReset::Earliest => "earliest",
            OffsetReset::Latest => "latest",
        },
    );
    // pipegen commits what it measured itself; max_poll_records has no librdkafka equivalent.
    p.set("enable.auto.commit", false);
    for (k, v) in consumer.properties.iter() {
        p.set(k, v);
    }
    p
}

#[cfg(test)]
mod tests {
    use super::*;
    use pipegen_config::{ByteSize, Secret};

    #[test]
    fn maps_every_tuning_key() {
        let mut producer = ProducerConfig {
            batch_size: 65_536,
            linger_ms: 10,
            compression_type: Compression::Lz4,
            acks: Acks::Leader,
            buffer_memory: ByteSize::mib(64),
            ..ProducerConfig::default()
        };
        producer
            .properties
            .0
            .insert("queue.buffering.max.messages".into(), "200000".into());
        let p = producer_properties("b:9092", &producer, &SecurityConfig::default());
        for (key, value) in [
            ("bootstrap.servers", "b:9092"),
            ("batch.size", "65536"),
            ("linger.ms", "10"),
            ("compression.type", "lz4"),
            ("acks", "1"),
            ("queue.buffering.max.kbytes", "65536"),
            ("retries", "2147483647"),
            ("retry.backoff.ms", "100"),
            ("enable.idempotence", "false"),
            ("queue.buffering.max.messages", "200000"),
            ("security.protocol", "plaintext"),
            ("partitioner", "murmur2_random"),
        ] {
            assert_eq!(p.get(key), Some(value), "{key}");
        }
        let c = consumer_properties(
            "b:9092",
            &ConsumerConfig::default(),
            &SecurityConfig::default(),
            "pipegen-run",
        );
        assert_eq!(c.get("group.id"), Some("pipegen-run"));
        assert_eq!(c.get("fetch.wait.max.ms"), Some("500"));
        assert_eq!(c.get("auto.offset.reset"), Some("earliest"));
    }

    #[test]
    fn secrets_are_set_but_never_shown() {
        let security = SecurityConfig {
            security_protocol: SecurityProtocol::SaslSsl,
            sasl_mechanism: Some(SaslMechanism::ScramSha512),
            username: Some("svc".into()),
            password: Some(Secret::new("hunter2")),
            ..SecurityConfig::default()
        };
        let p = producer_properties("b:9092", &ProducerConfig::default(), &security);
        assert_eq!(p.get("sasl.password"), Some("hunter2"));
        assert_eq!(p.get("sasl.mechanism"), Some("SCRAM-SHA-512"));
        let shown = format!("{:?} {:?}", p.redacted(), p);
        assert!(!shown.contains("hunter2") && shown.contains("<redacted>"), "{shown}");
    }

    #[test]
    fn client_errors_never_quote_a_secret_property() {
        let mut producer = ProducerConfig::default();
        let jaas = "org.apache.kafka.common.security.plain.PlainLoginModule required password=\"hunter2-jaas\";";
        producer.properties.0.insert("sasl.jaas.config".into(), jaas.into());
        let p = producer_properties("b:9092", &producer, &SecurityConfig::default());
        // rdkafka refuses the Java client's property, quoting its value.
        let error = p
            .to_client_config()
            .create::<rdkafka::producer::BaseProducer>()
            .err()
            .unwrap();
        assert!(
            error.to_string().contains("hunter2-jaas"),
            "the test needs an error that quotes it"
        );
        let shown = p.scrub(&error);
        assert!(
            !shown.contains("hunter2-jaas") && shown.contains("sasl.jaas.config"),
            "{shown}"
        );
    }
}
