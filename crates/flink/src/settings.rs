//! pipegen's `flink` section in Flink's own keys: one function for the cluster's `config.yaml`
//! (memory, slots, network, checkpoints, state backend, JVM options) and one for the options a
//! SQL session can set (parallelism, checkpoints, state, watermarks). Both are plain maps, so
//! every feature that talks to Flink renders the section the same way.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use pipegen_config::{CheckpointMode, CompactionStyle, Duration, FlinkConfig, StateBackend};

/// Flink reads durations with units; milliseconds are exact for every value pipegen accepts.
fn millis(d: Duration) -> String {
    format!("{} ms", d.as_std().as_millis())
}

/// Options for a SQL session (the SQL Gateway's session properties, or `SET` statements).
pub fn session_properties(flink: &FlinkConfig) -> BTreeMap<String, String> {
    let mut p = BTreeMap::new();
    let mut set = |k: &str, v: String| {
        p.insert(k.to_owned(), v);
    };
    set("parallelism.default", flink.parallelism.to_string());
    set("pipeline.max-parallelism", flink.max_parallelism.to_string());
    if let Some(interval) = flink.watermark_interval {
        set("pipeline.auto-watermark-interval", millis(interval));
    }
    let checkpoint = &flink.checkpoint;
    if let Some(interval) = checkpoint.interval {
        set("execution.checkpointing.interval", millis(interval));
        set("execution.checkpointing.timeout", millis(checkpoint.timeout));
        set("execution.checkpointing.min-pause", millis(checkpoint.min_pause));
        set(
            "execution.checkpointing.max-concurrent-checkpoints",
            checkpoint.max_concurrent.to_string(),
        );
        set(
            "execution.checkpointing.incremental",
            checkpoint.incremental.to_string(),
        );
        set(
            "execution.checkpointing.snapshot-compression",
            checkpoint.compression.to_string(),
        );
        set(
            "execution.checkpointing.mode",
            match checkpoint.mode {
                CheckpointMode::ExactlyOnce => "EXACTLY_ONCE",
                CheckpointMode::AtLeastOnce => "AT_LEAST_ONCE",
            }
            .to_owned(),
        );
        if let Some(dir) = &checkpoint.storage {
            set("execution.checkpointing.dir", dir.clone());
        }
    }
    let state = &flink.state;
    set(
        "state.backend.type",
        match state.backend {
            StateBackend::Hashmap => "hashmap",
            StateBackend::Rocksdb => "rocksdb",
        }
        .to_owned(),
    );
    if let Some(ttl) = state.ttl {
        set("table.exec.state.ttl", millis(ttl));
    }
    let rocksdb = &state.rocksdb;
    if let Some(size) = rocksdb.block_cache_size {
        set("state.backend.rocksdb.block.cache-size", size.to_string());
    }
    if let Some(size) = rocksdb.write_buffer_size {
        set("state.backend.rocksdb.writebuffer.size", size.to_string());
    }
    if let Some(n) = rocksdb.max_write_buffer_number {
        set("state.backend.rocksdb.writebuffer.count", n.to_string());
    }
    if let Some(style) = rocksdb.compaction_style {
        let style = match style {
            CompactionStyle::Level => "LEVEL",
            CompactionStyle::Universal => "UNIVERSAL",
            CompactionStyle::Fifo => "FIFO",
        };
        set("state.backend.rocksdb.compaction.style", style.to_owned());
    }
    if let Some(n) = rocksdb.max_background_jobs {
        set("state.backend.rocksdb.thread.num", n.to_string());
    }
    if let Some(timeout) = flink.network.buffer_timeout {
        set("execution.buffer-timeout.interval", millis(timeout));
    }
    p
}

/// Keys only a cluster can take (they size processes), for its `config.yaml`.
pub fn cluster_properties(flink: &FlinkConfig) -> BTreeMap<String, String> {
    let mut p = session_properties(flink);
    let mut set = |k: &str, v: String| {
        p.insert(k.to_owned(), v);
    };
    let memory = &flink.memory;
    let sizes = [
        ("jobmanager.memory.process.size", memory.jobmanager),
        ("taskmanager.memory.process.size", memory.taskmanager),
        ("taskmanager.memory.managed.size", memory.managed.size),
        ("taskmanager.memory.task.heap.size", memory.heap.size),
        ("taskmanager.memory.task.off-heap.size", memory.off_heap.size),
        // Direct memory beyond the task's own: Flink's framework off-heap budget.
        ("taskmanager.memory.framework.off-heap.size", memory.direct.size),
        ("taskmanager.memory.segment-size", flink.network.buffer_size),
    ];
    for (key, size) in sizes {
        if let Some(size) = size {
            set(key, size.to_string());
        }
    }
    if let Some(network) = memory.network {
        // A fixed network budget: min and max alike.
        set("taskmanager.memory.network.min", network.to_string());
        set("taskmanager.memory.network.max", network.to_string());
    }
    if let Some(fraction) = memory.managed.fraction {
        set("taskmanager.memory.managed.fraction", fraction.to_string());
    }
    set("taskmanager.numberOfTaskSlots", flink.taskmanager.slots.to_string());
    // pipegen samples each job once a second; Flink's REST API would refresh them every 10 s.
    set(crate::monitor::METRICS_REFRESH_KEY, "1 s".to_owned());
    if let Some(cores) = flink.taskmanager.cpu_cores.or(flink.cpu.taskmanager) {
        set("taskmanager.cpu.cores", cores.to_string());
    }
    if let Some(cores) = flink.cpu.jobmanager {
        set("kubernetes.jobmanager.cpu.amount", cores.to_string());
    }
    if let Some(n) = flink.network.buffers_per_channel {
        set("taskmanager.network.memory.buffers-per-channel", n.to_string());
    }
    if let Some(n) = flink.network.extra_buffers_per_gate {
        set("taskmanager.network.memory.floating-buffers-per-gate", n.to_string());
    }
    if let Some(n) = flink.taskmanager.rpc_threads {
        set("pekko.fork-join-executor.parallelism-max", n.to_string());
    }
    if !flink.jvm_args.is_empty() {
        let opts = flink.jvm_args.join(" ");
        set("env.java.opts.jobmanager", opts.clone());
        set("env.java.opts.taskmanager", opts);
    }
    p
}

/// `cluster_properties` as a Flink 2.x `config.yaml` (flat keys, which Flink 2 accepts).
pub fn render_config_yaml(flink: &FlinkConfig) -> String {
    let mut out = String::from("# Generated by pipegen from the project's flink section.\n");
    for (key, value) in cluster_properties(flink) {
        let _ = writeln!(out, "{key}: {}", serde_json::Value::String(value));
    }
    if flink.taskmanager.replicas > 1 {
        let _ = writeln!(
            out,
            "# taskmanager replicas: {} (a deployment setting, not a config.yaml key)",
            flink.taskmanager.replicas
        );
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use pipegen_config::ByteSize;

    #[test]
    fn translates_the_performance_guide_settings() {
        let mut flink = FlinkConfig {
            parallelism: 8,
            ..FlinkConfig::default()
        };
        flink.checkpoint.interval = Some(Duration::from_secs(60));
        flink.checkpoint.incremental = true;
        flink.checkpoint.storage = Some("s3://checkpoint-bucket/checkpoints".into());
        flink.state.backend = StateBackend::Rocksdb;
        flink.state.rocksdb.block_cache_size = Some(ByteSize::mib(256));
        flink.state.rocksdb.compaction_style = Some(CompactionStyle::Level);
        flink.state.ttl = Some(Duration::from_secs(3600));
        flink.memory.taskmanager = Some(ByteSize::mib(8192));
        flink.memory.network = Some(ByteSize::mib(256));
        flink.memory.managed.fraction = Some(0.4);
        flink.taskmanager.slots = 4;
        flink.network.buffers_per_channel = Some(8);
        flink.network.buffer_timeout = Some(Duration::from_millis(100));
        flink.jvm_args = vec!["-XX:+UseG1GC".into()];

        let session = session_properties(&flink);
        for (key, value) in [
            ("parallelism.default", "8"),
            ("pipeline.max-parallelism", "128"),
            ("execution.checkpointing.interval", "60000 ms"),
            ("execution.checkpointing.timeout", "600000 ms"),
            ("execution.checkpointing.incremental", "true"),
            ("execution.checkpointing.dir", "s3://checkpoint-bucket/checkpoints"),
            ("state.backend.type", "rocksdb"),
            ("state.backend.rocksdb.block.cache-size", "256mb"),
            ("state.backend.rocksdb.compaction.style", "LEVEL"),
            ("table.exec.state.ttl", "3600000 ms"),
            ("execution.buffer-timeout.interval", "100 ms"),
        ] {
            assert_eq!(session.get(key).map(String::as_str), Some(value), "{key}");
        }
        assert!(
            !session.contains_key("taskmanager.memory.process.size"),
            "sessions cannot size processes"
        );

        let yaml = render_config_yaml(&flink);
        for line in [
            "taskmanager.memory.process.size: \"8gb\"",
            "taskmanager.memory.network.min: \"256mb\"",
            "taskmanager.memory.managed.fraction: \"0.4\"",
            "taskmanager.numberOfTaskSlots: \"4\"",
            "taskmanager.network.memory.buffers-per-channel: \"8\"",
            "env.java.opts.taskmanager: \"-XX:+UseG1GC\"",
            "parallelism.default: \"8\"",
            "metrics.fetcher.update-interval: \"1 s\"",
        ] {
            assert!(yaml.lines().any(|l| l == line), "{line} not in\n{yaml}");
        }
    }

    #[test]
    fn checkpointing_is_off_unless_an_interval_is_set() {
        let session = session_properties(&FlinkConfig::default());
        assert!(!session.keys().any(|k| k.starts_with("execution.checkpointing")));
        assert_eq!(session.get("state.backend.type").map(String::as_str), Some("hashmap"));
    }
}
