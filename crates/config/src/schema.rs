//! The configuration a project can set, with pipegen's defaults.
//!
//! Every struct denies unknown fields; the key check in [`crate::keys`] runs first and gives the
//! friendlier error (file, line, "did you mean"), so these attributes are a second net.

use std::collections::BTreeMap;
use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use crate::secret::{Properties, Secret};
use crate::units::{ByteSize, Duration, Percent};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    /// Which SQL engine runs the pipeline.
    pub engine: Engine,
    /// Kafka bootstrap servers; absent means the embedded log.
    pub bootstrap_servers: Option<String>,
    /// A Confluent-compatible schema registry; absent means the embedded one.
    pub schema_registry_url: Option<String>,
    /// How the registry is used: subject names, credentials.
    pub schema_registry: SchemaRegistryConfig,
    /// Flink's REST API (JobManager).
    pub flink_url: Option<String>,
    /// Flink's SQL Gateway; derived from `flink_url` when absent.
    pub sql_gateway_url: Option<String>,
    pub pipeline: PipelineConfig,
    pub kafka: KafkaConfig,
    pub flink: FlinkConfig,
    /// The embedded engine (`pipegen sql`, and `pipegen run` without Flink).
    pub embedded: EmbeddedConfig,
    pub run: RunConfig,
    pub monitoring: MonitoringConfig,
    pub dashboard: DashboardConfig,
    pub benchmark: BenchmarkConfig,
    /// Dimension tables `pipegen run` owns, by the SQL's table name: created when missing,
    /// filled with generated rows before the load, and what it made removed at cleanup.
    pub dimensions: BTreeMap<String, DimensionConfig>,
    /// `pipegen deploy --target compose|kubernetes`: what the written stack is made of.
    pub deploy: DeployConfig,
    /// The language model `init --describe` drafts projects with.
    pub ai: AiConfig,
}

/// One dimension table `pipegen run` owns (a `jdbc` table of the SQL, its rows generated from
/// `schemas/<table>.avsc`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct DimensionConfig {
    /// Rows to generate, one per key; unset, one for each value the key's schema hints allow
    /// (a `range` or `key_space`). Needed when the key is a sequence.
    pub rows: Option<u64>,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            engine: Engine::Embedded,
            bootstrap_servers: None,
            schema_registry_url: None,
            schema_registry: SchemaRegistryConfig::default(),
            flink_url: None,
            sql_gateway_url: None,
            pipeline: PipelineConfig::default(),
            kafka: KafkaConfig::default(),
            flink: FlinkConfig::default(),
            embedded: EmbeddedConfig::default(),
            run: RunConfig::default(),
            monitoring: MonitoringConfig::default(),
            dashboard: DashboardConfig::default(),
            benchmark: BenchmarkConfig::default(),
            dimensions: BTreeMap::new(),
            deploy: DeployConfig::default(),
            ai: AiConfig::default(),
        }
    }
}

/// The language model behind `pipegen init --describe`. Also set by the original tool's
/// variables: `PIPEGEN_OLLAMA_MODEL` and `PIPEGEN_OLLAMA_URL` choose Ollama,
/// `PIPEGEN_OPENAI_API_KEY`, `PIPEGEN_OPENAI_MODEL` and `PIPEGEN_OPENAI_BASE_URL` an
/// OpenAI-compatible server.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct AiConfig {
    /// Unset: `--describe` is refused with how to configure one.
    pub provider: Option<AiProvider>,
    pub model: Option<String>,
    /// The server: Ollama's (default `http://localhost:11434`) or an OpenAI-compatible API's
    /// base, ending in `/v1` (default `https://api.openai.com/v1`).
    pub url: Option<String>,
    /// Sent as a bearer token; OpenAI needs one, local servers mostly do not.
    pub api_key: Option<Secret>,
    /// How long one answer may take, first token to last. Local models on a CPU are slow.
    pub timeout: Duration,
    /// How many times a draft that does not validate goes back to the model with the findings.
    pub max_repair_rounds: u32,
}

impl Default for AiConfig {
    fn default() -> Self {
        Self {
            provider: None,
            model: None,
            url: None,
            api_key: None,
            timeout: Duration::from_secs(300),
            max_repair_rounds: 3,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum AiProvider {
    /// Ollama's `/api/chat`.
    Ollama,
    /// Any OpenAI-compatible chat-completions API (OpenAI, vLLM, llama.cpp's server, LM Studio).
    Openai,
}

impl AiProvider {
    pub fn as_str(self) -> &'static str {
        match self {
            AiProvider::Ollama => "ollama",
            AiProvider::Openai => "openai",
        }
    }
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SchemaRegistryConfig {
    /// The subject a value schema is registered under.
    pub subject_strategy: SubjectStrategy,
    /// Basic authentication for a registry that asks for it.
    pub username: Option<String>,
    pub password: Option<Secret>,
}

/// Confluent's subject name strategies.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum SubjectStrategy {
    /// `<topic>-value` (Confluent's default, and what Flink's avro-confluent format uses).
    #[default]
    TopicName,
    /// The record's full name (`namespace.Name`): one subject per record type, whatever the topic.
    RecordName,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Engine {
    Embedded,
    Flink,
}

impl Engine {
    pub fn as_str(self) -> &'static str {
        match self {
            Engine::Embedded => "embedded",
            Engine::Flink => "flink",
        }
    }
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct PipelineConfig {
    pub name: Option<String>,
    pub description: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct KafkaConfig {
    pub producer: ProducerConfig,
    pub consumer: ConsumerConfig,
    pub topics: TopicsConfig,
    pub security: SecurityConfig,
    /// How long connecting and each admin request (topics, offsets) may take: a cluster that
    /// does not answer within it is one clear error naming its address.
    pub timeout: Duration,
}

impl Default for KafkaConfig {
    fn default() -> Self {
        Self {
            producer: ProducerConfig::default(),
            consumer: ConsumerConfig::default(),
            topics: TopicsConfig::default(),
            security: SecurityConfig::default(),
            timeout: Duration::from_secs(10),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ProducerConfig {
    pub batch_size: u64,
    pub linger_ms: u64,
    pub compression_type: Compression,
    pub acks: Acks,
    pub buffer_memory: ByteSize,
    pub retries: u32,
    pub retry_backoff_ms: u64,
    pub enable_idempotence: bool,
    /// Passed to the client verbatim (librdkafka property names).
    pub properties: Properties,
}

impl Default for ProducerConfig {
    /// Kafka's own producer defaults, except idempotence, which Kafka only allows with
    /// `acks: all` (so a user lowering `acks` does not also have to turn it off).
    fn default() -> Self {
        Self {
            batch_size: 16_384,
            linger_ms: 5,
            compression_type: Compression::None,
            acks: Acks::All,
            buffer_memory: ByteSize::mib(32),
            retries: 2_147_483_647,
            retry_backoff_ms: 100,
            enable_idempotence: false,
            properties: Properties::default(),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Compression {
    None,
    Gzip,
    Snappy,
    Lz4,
    Zstd,
}

/// Producer acknowledgements: `"0"`, `"1"` or `"all"` (`-1` means all, as in Kafka).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Acks {
    None,
    Leader,
    All,
}

impl Acks {
    pub fn as_str(self) -> &'static str {
        match self {
            Acks::None => "0",
            Acks::Leader => "1",
            Acks::All => "all",
        }
    }
}

impl Serialize for Acks {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for Acks {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        // YAML reads `acks: 1` as a number and `acks: "1"` as a string: accept both.
        let value = serde_json::Value::deserialize(deserializer)?;
        let text = match &value {
            serde_json::Value::String(s) => s.to_ascii_lowercase(),
            serde_json::Value::Number(n) => n.to_string(),
            _ => String::new(),
        };
        match text.as_str() {
            "0" => Ok(Acks::None),
            "1" => Ok(Acks::Leader),
            "all" | "-1" => Ok(Acks::All),
            _ => Err(serde::de::Error::custom(format!(
                "invalid acks {value}: expected \"0\", \"1\" or \"all\""
            ))),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ConsumerConfig {
    pub group_id: Option<String>,
    pub fetch_min_bytes: u64,
    pub fetch_max_wait_ms: u64,
    pub max_poll_records: u32,
    pub receive_buffer_bytes: u64,
    pub send_buffer_bytes: u64,
    pub max_poll_interval_ms: u64,
    pub session_timeout_ms: u64,
    pub auto_offset_reset: OffsetReset,
    /// Passed to the client verbatim (librdkafka property names).
    pub properties: Properties,
}

impl Default for ConsumerConfig {
    fn default() -> Self {
        Self {
            group_id: None,
            fetch_min_bytes: 1,
            fetch_max_wait_ms: 500,
            max_poll_records: 500,
            receive_buffer_bytes: 65_536,
            send_buffer_bytes: 131_072,
            max_poll_interval_ms: 300_000,
            session_timeout_ms: 45_000,
            auto_offset_reset: OffsetReset::Earliest,
            properties: Properties::default(),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum OffsetReset {
    Earliest,
    Latest,
}

/// Topic defaults plus per-topic overrides. Overrides sit beside the defaults, keyed by topic
/// (or table) name, as the performance guide writes them: `kafka.topics.input.partitions: 16`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct TopicsConfig {
    pub partitions: u32,
    pub replication_factor: u16,
    pub naming: TopicNaming,
    /// Topic configs applied to every topic a run creates (`retention.ms`, `segment.ms`, ...).
    pub config: Properties,
    #[serde(flatten)]
    pub overrides: BTreeMap<String, TopicOverride>,
}

impl Default for TopicsConfig {
    fn default() -> Self {
        Self {
            partitions: 1,
            replication_factor: 1,
            naming: TopicNaming::Fixed,
            config: Properties::default(),
            overrides: BTreeMap::new(),
        }
    }
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct TopicOverride {
    pub partitions: Option<u32>,
    pub replication_factor: Option<u16>,
    pub config: Properties,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum TopicNaming {
    /// Topic names exactly as the SQL declares them.
    Fixed,
    /// Names suffixed with the run id, so runs on one cluster do not collide.
    #[serde(alias = "per_run")]
    PerRun,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SecurityConfig {
    pub security_protocol: SecurityProtocol,
    pub sasl_mechanism: Option<SaslMechanism>,
    pub username: Option<String>,
    pub password: Option<Secret>,
    pub ssl_ca_location: Option<PathBuf>,
    pub ssl_certificate_location: Option<PathBuf>,
    pub ssl_key_location: Option<PathBuf>,
    pub ssl_key_password: Option<Secret>,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum SecurityProtocol {
    #[default]
    Plaintext,
    Ssl,
    SaslPlaintext,
    SaslSsl,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum SaslMechanism {
    #[serde(rename = "PLAIN")]
    Plain,
    #[serde(rename = "SCRAM-SHA-256")]
    ScramSha256,
    #[serde(rename = "SCRAM-SHA-512")]
    ScramSha512,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct FlinkConfig {
    pub parallelism: u32,
    pub max_parallelism: u32,
    pub memory: FlinkMemory,
    pub jvm_args: Vec<String>,
    pub checkpoint: CheckpointConfig,
    pub state: StateConfig,
    pub taskmanager: TaskManagerConfig,
    pub cpu: CpuConfig,
    pub network: NetworkConfig,
    /// How often watermarks are emitted (`pipeline.auto-watermark-interval`).
    pub watermark_interval: Option<Duration>,
    /// The Kafka brokers as Flink's TaskManagers reach them, when that is not the address
    /// pipegen uses (another network, a container's name): `${BOOTSTRAP_SERVERS}` in SQL run
    /// on Flink. Unset: `bootstrap_servers`.
    pub bootstrap_servers: Option<String>,
    /// The schema registry as the cluster reaches it: `${SCHEMA_REGISTRY_URL}` on Flink.
    /// Unset: `schema_registry_url`.
    pub schema_registry_url: Option<String>,
}

impl Default for FlinkConfig {
    fn default() -> Self {
        Self {
            parallelism: 1,
            max_parallelism: 128,
            memory: FlinkMemory::default(),
            jvm_args: Vec::new(),
            checkpoint: CheckpointConfig::default(),
            state: StateConfig::default(),
            taskmanager: TaskManagerConfig::default(),
            cpu: CpuConfig::default(),
            network: NetworkConfig::default(),
            watermark_interval: None,
            bootstrap_servers: None,
            schema_registry_url: None,
        }
    }
}

/// Unset sizes are left to Flink's own defaults.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct FlinkMemory {
    /// JobManager process memory.
    pub jobmanager: Option<ByteSize>,
    /// TaskManager process memory.
    pub taskmanager: Option<ByteSize>,
    /// Network memory.
    pub network: Option<ByteSize>,
    pub managed: ManagedMemory,
    pub heap: SizeOnly,
    pub off_heap: SizeOnly,
    pub direct: SizeOnly,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ManagedMemory {
    pub fraction: Option<f64>,
    pub size: Option<ByteSize>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SizeOnly {
    pub size: Option<ByteSize>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct CheckpointConfig {
    /// Checkpointing is off when unset.
    pub interval: Option<Duration>,
    pub timeout: Duration,
    pub min_pause: Duration,
    pub max_concurrent: u32,
    pub incremental: bool,
    /// Checkpoint directory (`file:///...`, `s3://...`).
    pub storage: Option<String>,
    pub compression: bool,
    pub mode: CheckpointMode,
}

impl Default for CheckpointConfig {
    fn default() -> Self {
        Self {
            interval: None,
            timeout: Duration::from_secs(600),
            min_pause: Duration::default(),
            max_concurrent: 1,
            incremental: false,
            storage: None,
            compression: false,
            mode: CheckpointMode::ExactlyOnce,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CheckpointMode {
    ExactlyOnce,
    AtLeastOnce,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct StateConfig {
    pub backend: StateBackend,
    /// Idle state retention (`table.exec.state.ttl`); unset keeps state forever.
    pub ttl: Option<Duration>,
    pub rocksdb: RocksDbConfig,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum StateBackend {
    #[default]
    Hashmap,
    Rocksdb,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct RocksDbConfig {
    pub block_cache_size: Option<ByteSize>,
    pub write_buffer_size: Option<ByteSize>,
    pub max_write_buffer_number: Option<u32>,
    pub compaction_style: Option<CompactionStyle>,
    pub max_background_jobs: Option<u32>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum CompactionStyle {
    Level,
    Universal,
    Fifo,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct TaskManagerConfig {
    pub slots: u32,
    pub replicas: u32,
    pub cpu_cores: Option<f64>,
    pub rpc_threads: Option<u32>,
    pub query_threads: Option<u32>,
}

impl Default for TaskManagerConfig {
    fn default() -> Self {
        Self {
            slots: 1,
            replicas: 1,
            cpu_cores: None,
            rpc_threads: None,
            query_threads: None,
        }
    }
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct CpuConfig {
    pub jobmanager: Option<f64>,
    pub taskmanager: Option<f64>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct NetworkConfig {
    pub buffers_per_channel: Option<u32>,
    pub extra_buffers_per_gate: Option<u32>,
    pub buffer_size: Option<ByteSize>,
    pub buffer_timeout: Option<Duration>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct RunConfig {
    /// Base rate in messages per second, or `max`.
    pub message_rate: Rate,
    pub duration: Duration,
    pub messages: Option<u64>,
    pub traffic_pattern: Option<String>,
    pub expected_messages: Option<u64>,
    pub pipeline_timeout: Duration,
    /// Relative to the project directory.
    pub reports_dir: PathBuf,
    pub cleanup: bool,
    pub seed: Option<u64>,
    /// The field of the generated records whose value becomes the Kafka key (partitioning by
    /// key); unset sends records without a key.
    pub key_field: Option<String>,
    /// How many produced messages may go undelivered before the run counts as failed.
    pub loss_budget: LossBudget,
}

impl Default for RunConfig {
    fn default() -> Self {
        Self {
            message_rate: Rate::PerSecond(100.0),
            duration: Duration::from_secs(30),
            messages: None,
            traffic_pattern: None,
            expected_messages: None,
            pipeline_timeout: Duration::from_secs(300),
            reports_dir: PathBuf::from("reports"),
            cleanup: true,
            seed: None,
            key_field: None,
            loss_budget: LossBudget::Messages(0),
        }
    }
}

/// Undelivered messages a run tolerates: a count (`100`) or a share of those sent (`0.5%`).
/// None by default: a message the log never acknowledged fails the run.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum LossBudget {
    Messages(u64),
    Percent(f64),
}

impl LossBudget {
    /// Whether `failed` of `sent` messages stay within the budget.
    pub fn allows(self, failed: u64, sent: u64) -> bool {
        match self {
            LossBudget::Messages(n) => failed <= n,
            LossBudget::Percent(p) => (failed as f64) <= (sent as f64) * p / 100.0,
        }
    }
}

impl std::str::FromStr for LossBudget {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let text = text.trim();
        let invalid = || {
            format!(
                "invalid loss budget `{text}`: expected a number of messages (e.g. 100) or a percentage of those sent (e.g. 0.5%)"
            )
        };
        match text.strip_suffix('%') {
            Some(percent) => {
                let p: f64 = percent.trim().parse().map_err(|_| invalid())?;
                if p.is_finite() && (0.0..=100.0).contains(&p) {
                    Ok(LossBudget::Percent(p))
                } else {
                    Err(format!(
                        "invalid loss budget `{text}`: a percentage lies between 0% and 100%"
                    ))
                }
            }
            None => text.parse().map(LossBudget::Messages).map_err(|_| invalid()),
        }
    }
}

impl std::fmt::Display for LossBudget {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            LossBudget::Messages(n) => write!(f, "{n}"),
            LossBudget::Percent(p) => write!(f, "{p}%"),
        }
    }
}

impl Serialize for LossBudget {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            LossBudget::Messages(n) => serializer.serialize_u64(*n),
            LossBudget::Percent(_) => serializer.serialize_str(&self.to_string()),
        }
    }
}

impl<'de> Deserialize<'de> for LossBudget {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        match serde_json::Value::deserialize(deserializer)? {
            serde_json::Value::Number(n) => n.as_u64().map(LossBudget::Messages).ok_or_else(|| {
                serde::de::Error::custom(format!(
                    "invalid loss budget {n}: a whole number of messages, or a percentage such as \"0.5%\""
                ))
            }),
            serde_json::Value::String(s) => s.parse().map_err(serde::de::Error::custom),
            other => Err(serde::de::Error::custom(format!(
                "invalid loss budget {other}: expected a number of messages or a percentage"
            ))),
        }
    }
}

/// A send rate: messages per second (fractions allowed), or as fast as the sink takes them.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Rate {
    PerSecond(f64),
    Max,
}

impl std::str::FromStr for Rate {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let text = text.trim();
        if text.eq_ignore_ascii_case("max") {
            return Ok(Rate::Max);
        }
        let number = text
            .strip_suffix("/s")
            .unwrap_or(text)
            .trim()
            .parse::<f64>()
            .map_err(|_| format!("invalid rate `{text}`: expected messages per second (e.g. 1000 or 0.5) or `max`"))?;
        Rate::per_second(number)
    }
}

impl Rate {
    /// The highest rate a plan may ask for: far above what one generator sends, low enough
    /// that a run's planned total cannot overflow.
    pub const MAX_PER_SECOND: f64 = 1e9;

    pub fn per_second(number: f64) -> Result<Self, String> {
        if number > Self::MAX_PER_SECOND {
            Err(format!(
                "invalid rate {number}: above the highest plannable rate of {} messages per second \
                 (use `max` to send as fast as the log takes them)",
                Self::MAX_PER_SECOND
            ))
        } else if number.is_finite() && number > 0.0 {
            Ok(Rate::PerSecond(number))
        } else {
            Err(format!(
                "invalid rate {number}: a rate must be a positive number of messages per second"
            ))
        }
    }
}

impl std::fmt::Display for Rate {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Rate::PerSecond(r) => write!(f, "{r}"),
            Rate::Max => f.write_str("max"),
        }
    }
}

impl Serialize for Rate {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            Rate::PerSecond(r) => serializer.serialize_f64(*r),
            Rate::Max => serializer.serialize_str("max"),
        }
    }
}

impl<'de> Deserialize<'de> for Rate {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        match serde_json::Value::deserialize(deserializer)? {
            serde_json::Value::Number(n) => {
                Rate::per_second(n.as_f64().unwrap_or(f64::NAN)).map_err(serde::de::Error::custom)
            }
            serde_json::Value::String(s) => s.parse().map_err(serde::de::Error::custom),
            other => Err(serde::de::Error::custom(format!(
                "invalid rate {other}: expected messages per second or `max`"
            ))),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct MonitoringConfig {
    /// Which metrics views and exports show (names of pipegen or Flink metrics).
    pub metrics: Vec<String>,
    /// Serve Prometheus metrics on 127.0.0.1 at this port while a run goes.
    pub prometheus_port: Option<u16>,
    pub sample_interval: Duration,
}

impl Default for MonitoringConfig {
    fn default() -> Self {
        Self {
            metrics: Vec::new(),
            prometheus_port: None,
            sample_interval: Duration::from_secs(1),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct EmbeddedConfig {
    /// The most one job may hold in memory (operators' state, a query's kept result); a job
    /// over it stops with an error instead of exhausting the machine.
    pub memory_budget: ByteSize,
    /// The most records per second the embedded engine reads from its Kafka tables, all of
    /// them together: rehearses a pipeline whose engine is slower than this machine (a
    /// capacity search then finds this limit). Unset: as fast as it can.
    pub read_rate_limit: Option<Rate>,
}

impl Default for EmbeddedConfig {
    fn default() -> Self {
        Self {
            memory_budget: ByteSize::mib(2048),
            read_rate_limit: None,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct DashboardConfig {
    pub port: u16,
    /// Loopback unless the user says otherwise.
    pub bind_address: String,
    pub metrics: Vec<String>,
}

impl Default for DashboardConfig {
    fn default() -> Self {
        Self {
            port: 3000,
            bind_address: "127.0.0.1".to_owned(),
            metrics: Vec::new(),
        }
    }
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct BenchmarkConfig {
    pub scenarios: Vec<BenchmarkScenario>,
    /// `pipegen bench --find-max`: the search for the highest rate the pipeline sustains.
    pub find_max: FindMaxConfig,
}

/// The capacity search: steps of one rate each, ramped up (`ramp_factor` at a time from
/// `start_rate`) until one breaks a criterion, then bisected between the last step that held
/// and the first that broke until they lie within `precision`; the highest rate that held then
/// runs `confirmations` more times and counts only if it holds on each.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct FindMaxConfig {
    pub start_rate: Rate,
    /// The search stops here even when every step holds.
    pub max_rate: Rate,
    pub ramp_factor: f64,
    /// How far apart the highest held rate and the lowest broken one may be at the end.
    pub precision: Percent,
    /// Steps the bracketed highest held rate must hold again before it counts; one that
    /// breaks counts as broken and the search goes on below it.
    pub confirmations: u32,
    /// Each step's length; its first `warmup` is not judged (the pipeline reaching steady state).
    pub step_duration: Duration,
    pub warmup: Duration,
    /// Criteria a step must hold over its judged seconds. End-to-end p99 under this (unset:
    /// not judged, since windows add their own size to it).
    pub end_to_end_p99: Option<Duration>,
    /// The generator keeping its schedule: publish delay p99 under this.
    pub publish_delay_p99: Duration,
    /// A topic's lag may grow by at most this share of the step's rate per second.
    pub lag_growth: Percent,
}

impl Default for FindMaxConfig {
    fn default() -> Self {
        Self {
            start_rate: Rate::PerSecond(1000.0),
            max_rate: Rate::PerSecond(1_000_000.0),
            ramp_factor: 2.0,
            precision: Percent(3.0),
            // Near the limit a busy machine holds or breaks a step by chance: a rate held once
            // may be a lucky one.
            confirmations: 1,
            // Long enough for the embedded log to fill its retention (a start-up cost of
            // seconds at high rates) before judging, and for 20 judged seconds to average
            // out a busy machine's passing stalls.
            step_duration: Duration::from_secs(30),
            warmup: Duration::from_secs(10),
            end_to_end_p99: None,
            publish_delay_p99: Duration::from_millis(100),
            lag_growth: Percent(2.0),
        }
    }
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct BenchmarkScenario {
    pub name: String,
    pub messages: Option<u64>,
    pub rate: Option<Rate>,
    pub duration: Option<Duration>,
    pub traffic_pattern: Option<String>,
    pub latency_target: Option<Duration>,
}

/// The stacks `pipegen deploy --target compose|kubernetes` writes: where, in which namespace,
/// from which images, and how TaskManagers scale.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct DeployConfig {
    /// Where the targets are written, relative to the project (`<dir>/compose`,
    /// `<dir>/kubernetes`).
    pub dir: PathBuf,
    /// The Kubernetes namespace; unset, the pipeline's name.
    pub namespace: Option<String>,
    pub images: DeployImages,
    pub kafka: DeployKafka,
    /// The HorizontalPodAutoscaler over the TaskManagers (the performance guide's
    /// `flink-taskmanager-hpa`).
    pub autoscaling: AutoscalingConfig,
}

impl Default for DeployConfig {
    fn default() -> Self {
        Self {
            dir: PathBuf::from("deploy"),
            namespace: None,
            images: DeployImages::default(),
            kafka: DeployKafka::default(),
            autoscaling: AutoscalingConfig::default(),
        }
    }
}

/// Container images, by name and tag.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct DeployImages {
    /// JobManager, TaskManagers and the SQL Gateway (Flink 2.1).
    pub flink: String,
    /// The Kafka brokers of the compose stack (KRaft); on Kubernetes Strimzi picks the image
    /// for `deploy.kafka.version`.
    pub kafka: String,
    /// A Confluent-compatible schema registry.
    pub schema_registry: String,
    /// Fetches the connector jars the SQL needs, by their Maven coordinates.
    pub maven: String,
}

impl Default for DeployImages {
    fn default() -> Self {
        Self {
            flink: "flink:2.1.0-java17".to_owned(),
            kafka: "apache/kafka:4.1.0".to_owned(),
            schema_registry: "confluentinc/cp-schema-registry:8.0.0".to_owned(),
            maven: "maven:3.9-eclipse-temurin-17".to_owned(),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct DeployKafka {
    /// Brokers (each also a KRaft controller); unset, as many as the largest replication
    /// factor of the topics asks for.
    pub brokers: Option<u32>,
    /// The Kafka version Strimzi runs (`spec.kafka.version`).
    pub version: String,
    /// Each broker's volume on Kubernetes.
    pub storage: ByteSize,
}

impl Default for DeployKafka {
    fn default() -> Self {
        Self {
            brokers: None,
            version: "4.1.0".to_owned(),
            storage: ByteSize::mib(10 * 1024),
        }
    }
}

/// The performance guide's autoscaling: 2 to 20 TaskManagers, held at 70% CPU.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct AutoscalingConfig {
    pub enabled: bool,
    pub min_replicas: u32,
    pub max_replicas: u32,
    /// Average CPU utilization (percent of the requested CPU) the autoscaler holds.
    pub cpu_utilization: u32,
}

impl Default for AutoscalingConfig {
    fn default() -> Self {
        Self {
            enabled: true,
            min_replicas: 2,
            max_replicas: 20,
            cpu_utilization: 70,
        }
    }
}

#[cfg(test)]
mod loss_budget_tests {
    use super::LossBudget;

    #[test]
    fn a_budget_is_a_count_or_a_share_of_the_messages_sent() {
        assert_eq!("0".parse::<LossBudget>(), Ok(LossBudget::Messages(0)));
        assert_eq!("0.5%".parse::<LossBudget>(), Ok(LossBudget::Percent(0.5)));
        assert!(LossBudget::Messages(0).allows(0, 10));
        assert!(!LossBudget::Messages(0).allows(1, 10));
        assert!(LossBudget::Percent(10.0).allows(10, 100));
        assert!(!LossBudget::Percent(10.0).allows(11, 100));
        for bad in ["-1", "150%", "nan%", "lots", "1.5"] {
            let error = bad.parse::<LossBudget>().unwrap_err();
            assert!(error.contains(bad), "{error}");
        }
        let from_yaml: LossBudget = serde_json::from_value(serde_json::json!("2%")).unwrap();
        assert_eq!(from_yaml, LossBudget::Percent(2.0));
        assert!(serde_json::from_value::<LossBudget>(serde_json::json!(-3)).is_err());
    }
}
