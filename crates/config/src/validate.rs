//! Rules that span several keys or that serde's types cannot express.

use crate::schema::{Acks, Config, Rate, SecurityProtocol};

#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Problem {
    /// The key to point at.
    pub key: &'static str,
    pub message: String,
    pub hint: Option<String>,
}

fn problem(key: &'static str, message: impl Into<String>, hint: impl Into<String>) -> Problem {
    Problem {
        key,
        message: message.into(),
        hint: Some(hint.into()),
    }
}

pub(crate) fn validate(config: &Config) -> Result<(), Problem> {
    let producer = &config.kafka.producer;
    if producer.enable_idempotence && producer.acks != Acks::All {
        return Err(problem(
            "kafka.producer.enable_idempotence",
            format!(
                "idempotence needs acks \"all\", but acks is \"{}\"",
                producer.acks.as_str()
            ),
            "set kafka.producer.acks: all, or enable_idempotence: false",
        ));
    }
    if config.kafka.topics.partitions == 0 {
        return Err(problem(
            "kafka.topics.partitions",
            "a topic needs at least 1 partition",
            "set it to 1 or more",
        ));
    }
    if config.kafka.topics.replication_factor == 0 {
        return Err(problem(
            "kafka.topics.replication_factor",
            "the replication factor must be at least 1",
            "use 1 on a single broker, 3 on a production cluster",
        ));
    }
    for (topic, o) in &config.kafka.topics.overrides {
        if o.partitions == Some(0) || o.replication_factor == Some(0) {
            return Err(problem(
                "kafka.topics",
                format!("topic override `{topic}` sets 0 partitions or a replication factor of 0"),
                "both must be at least 1",
            ));
        }
    }
    let security = &config.kafka.security;
    let sasl = matches!(
        security.security_protocol,
        SecurityProtocol::SaslPlaintext | SecurityProtocol::SaslSsl
    );
    if sasl && (security.sasl_mechanism.is_none() || security.username.is_none() || security.password.is_none()) {
        return Err(problem(
            "kafka.security.security_protocol",
            "SASL needs sasl_mechanism, username and password",
            "set kafka.security.sasl_mechanism (PLAIN, SCRAM-SHA-256, SCRAM-SHA-512), username, and password: ${KAFKA_PASSWORD}",
        ));
    }
    let flink = &config.flink;
    if flink.parallelism == 0 {
        return Err(problem(
            "flink.parallelism",
            "parallelism must be at least 1",
            "use the number of cores or of partitions",
        ));
    }
    if flink.max_parallelism < flink.parallelism {
        return Err(problem(
            "flink.max_parallelism",
            format!(
                "max_parallelism {} is below parallelism {}",
                flink.max_parallelism, flink.parallelism
            ),
            "max_parallelism bounds rescaling; keep it at or above parallelism (e.g. 128)",
        ));
    }
    if let Some(fraction) = flink.memory.managed.fraction
        && !(fraction > 0.0 && fraction < 1.0)
    {
        return Err(problem(
            "flink.memory.managed.fraction",
            format!("{fraction} is not between 0 and 1"),
            "Flink's default is 0.4",
        ));
    }
    if flink.taskmanager.slots == 0 || flink.taskmanager.replicas == 0 {
        return Err(problem(
            "flink.taskmanager",
            "slots and replicas must be at least 1",
            "one slot per core is a good start",
        ));
    }
    if config.run.duration.as_std().is_zero() {
        return Err(problem(
            "run.duration",
            "the duration must be longer than 0s",
            "write it like 30s, 5m or 1h",
        ));
    }
    check_find_max(config)?;
    if config.monitoring.sample_interval.as_std() != std::time::Duration::from_secs(1) {
        return Err(problem(
            "monitoring.sample_interval",
            format!(
                "{} is not supported: the live views (dashboard, /metrics, the result's frames) sample once per second",
                config.monitoring.sample_interval
            ),
            "set it to 1s or remove it",
        ));
    }
    if config.dashboard.bind_address.parse::<std::net::IpAddr>().is_err()
        && config.dashboard.bind_address != "localhost"
    {
        return Err(problem(
            "dashboard.bind_address",
            format!("`{}` is not an IP address", config.dashboard.bind_address),
            "use 127.0.0.1 (the default) or the address of one interface",
        ));
    }
    for (key, url) in [
        ("schema_registry_url", &config.schema_registry_url),
        ("flink_url", &config.flink_url),
        ("sql_gateway_url", &config.sql_gateway_url),
    ] {
        if let Some(url) = url
            && !(url.starts_with("http://") || url.starts_with("https://"))
        {
            return Err(problem(
                key,
                format!("`{}` is not an http(s) URL", crate::secret::redact_url_credentials(url)),
                "write it like http://localhost:8081",
            ));
        }
    }
    if let Some(servers) = &config.bootstrap_servers
        && servers.split(',').any(|s| !s.trim().contains(':'))
    {
        return Err(problem(
            "bootstrap_servers",
            format!("`{servers}` is not a list of host:port"),
            "write it like localhost:9092 or broker1:9092,broker2:9092",
        ));
    }
    Ok(())
}

/// Confirming steps a search may take per bracketed rate.
const MAX_CONFIRMATIONS: u32 = 5;

/// The capacity search's settings: a search that could not end, or could not judge a step.
fn check_find_max(config: &Config) -> Result<(), Problem> {
    let search = &config.benchmark.find_max;
    let (Rate::PerSecond(start), Rate::PerSecond(max)) = (search.start_rate, search.max_rate) else {
        return Err(problem(
            "benchmark.find_max",
            "start_rate and max_rate are rates, not `max`",
            "e.g. start_rate: 1000 and max_rate: 1000000 (messages per second)",
        ));
    };
    if max < start {
        return Err(problem(
            "benchmark.find_max.max_rate",
            format!("max_rate {max} is below start_rate {start}"),
            "the search ramps up from start_rate to at most max_rate",
        ));
    }
    if !(search.ramp_factor.is_finite() && search.ramp_factor > 1.0) {
        return Err(problem(
            "benchmark.find_max.ramp_factor",
            format!("{} does not raise the rate", search.ramp_factor),
            "each ramp step multiplies the rate by it: 2 doubles it",
        ));
    }
    if search.confirmations > MAX_CONFIRMATIONS {
        return Err(problem(
            "benchmark.find_max.confirmations",
            format!(
                "{} confirming steps is more than {MAX_CONFIRMATIONS}",
                search.confirmations
            ),
            "one confirming step (the default) catches a lucky step; 0 takes the first that held",
        ));
    }
    if search.warmup >= search.step_duration
        || search.step_duration.as_std() - search.warmup.as_std() < std::time::Duration::from_secs(3)
    {
        return Err(problem(
            "benchmark.find_max.step_duration",
            format!(
                "a step of {} with a warmup of {} leaves under 3s to judge",
                search.step_duration, search.warmup
            ),
            "give each step at least 3s more than its warmup (e.g. step_duration: 30s, warmup: 10s)",
        ));
    }
    Ok(())
}
