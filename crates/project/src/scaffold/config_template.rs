//! The generated `.pipegen.yaml`: every performance section set to a sensible value, with a
//! short reason beside each, so users tune from a working baseline.

use crate::name::ProjectName;

pub fn pipegen_yaml(name: &ProjectName) -> String {
    format!(
        r#"# pipegen configuration for {name}.
# Layers, later wins: built-in defaults < ~/.pipegen.yaml < this file < --config FILE
#   < PIPEGEN_* environment variables (PIPEGEN_KAFKA__PRODUCER__LINGER_MS=10) < flags.
# `pipegen config show` prints the effective values and where each one came from.

pipeline:
  name: {name}

# Unset bootstrap_servers runs on the embedded stack: no Kafka, registry or Flink needed.
# bootstrap_servers: localhost:9092
# schema_registry_url: http://localhost:8081
# schema_registry:
#   subject_strategy: topic-name   # topic-name (<topic>-value) | record-name (namespace.Name)
#   username: svc-pipegen
#   password: ${{SCHEMA_REGISTRY_PASSWORD}}
engine: embedded              # embedded | flink
# flink_url: http://localhost:8081

run:
  message_rate: 1000          # messages per second (fractions allowed), or "max"
  duration: 30s               # how long to produce
  pipeline_timeout: 5m        # give up after this long
  reports_dir: reports        # HTML + JSON reports, relative to this directory
  cleanup: true               # delete what the run created when it ends
  loss_budget: 0              # undelivered messages allowed (a count, or a share like "0.1%")

kafka:
  producer:
    batch_size: 65536         # bytes per partition batch: fuller batches, fewer requests
    linger_ms: 10             # wait up to 10 ms to fill a batch (throughput over latency; the embedded log too)
    compression_type: lz4     # cheap on CPU, good ratio on AVRO
    acks: "1"                 # leader acknowledgement; "all" for durability
    buffer_memory: 64mb       # producer buffer before sends block
    retries: 2147483647       # retry until delivery.timeout.ms expires
    retry_backoff_ms: 100
    enable_idempotence: false # needs acks "all"
  consumer:
    fetch_min_bytes: 1        # return data as soon as there is any (low latency)
    fetch_max_wait_ms: 500
    max_poll_records: 1000
    auto_offset_reset: earliest
  topics:
    partitions: 3             # parallelism available to consumers
    replication_factor: 1     # 3 on a production cluster
    naming: fixed             # per-run suffixes topics with the run id
    config:
      retention.ms: 3600000   # keep load-test data for one hour

flink:
  parallelism: 1
  max_parallelism: 128
  watermark_interval: 200ms   # Flink's default; keep it above 0: at 0ms Flink's Kafka source emits none
  # bootstrap_servers: kafka:29092  # the brokers as Flink reaches them, if not as pipegen does
  checkpoint:
    interval: 60s             # recovery point every minute
    timeout: 10m
    min_pause: 10s            # let processing breathe between checkpoints
    max_concurrent: 1
    incremental: false        # turn on with rocksdb for large state
  state:
    backend: hashmap          # rocksdb for state larger than memory
  taskmanager:
    slots: 2
  memory:
    jobmanager: 1024mb
    taskmanager: 1728mb
    managed:
      fraction: 0.4           # share of TaskManager memory for state and sorting

monitoring:
  sample_interval: 1s
  # prometheus_port: 9249     # serve Prometheus metrics on 127.0.0.1 during runs (monitoring/ holds
                              # a scrape config and a Grafana dashboard for them)

# `pipegen deploy --target compose|kubernetes` writes the stack to deploy/<target>, shaped by:
# deploy:
#   namespace: orders           # Kubernetes namespace (or --namespace); unset: the pipeline name
#   images: {{flink: "flink:2.1.0-java17", kafka: "apache/kafka:4.1.0"}}
#   kafka: {{brokers: 3}}         # unset: as many as the largest replication factor
#   autoscaling: {{min_replicas: 2, max_replicas: 20, cpu_utilization: 70}}  # TaskManager HPA

dashboard:                    # `pipegen run --dashboard`
  port: 3000
  bind_address: 127.0.0.1     # loopback only unless you choose otherwise
  # metrics: [throughput, latency]   # views shown (throughput, latency, lag, engine, errors, resources); all by default
"#
    )
}

pub const GITIGNORE: &str = "# Run reports (HTML and JSON) are outputs, not sources.\nreports/\n# What `pipegen deploy` put on the clusters, for `pipegen clean`: local state.\n.pipegen/\n";
