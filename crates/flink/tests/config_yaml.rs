//! The cluster configuration pipegen renders from the `flink` section, read by Flink 2.1 itself:
//! the distribution's BashJavaUtils (what `bin/taskmanager.sh` and `bin/jobmanager.sh` run
//! before starting a JVM) derives the processes' memory from it, or refuses it.

use std::path::Path;
use std::process::Command;

use pipegen_config::{ByteSize, CompactionStyle, Duration, FlinkConfig, StateBackend};
use pipegen_flink::render_config_yaml;
use pipegen_testkit::flink_home;

/// Flink's derivation for `command` (GET_TM_RESOURCE_PARAMS / GET_JM_RESOURCE_PARAMS) of the
/// configuration in `dir`: its result lines, or everything it said when it refused.
fn flink_reads(dir: &Path, command: &str) -> Result<String, String> {
    let home = flink_home();
    let classpath = format!(
        "{}:{}",
        home.join("bin/bash-java-utils.jar").display(),
        home.join("lib/flink-dist-2.1.0.jar").display()
    );
    let output = Command::new("java")
        .args([
            "-classpath",
            &classpath,
            "org.apache.flink.runtime.util.bash.BashJavaUtils",
            command,
        ])
        .arg("--configDir")
        .arg(dir)
        .output()
        .expect("java runs");
    let text = String::from_utf8_lossy(&output.stdout).into_owned() + &String::from_utf8_lossy(&output.stderr);
    let results: Vec<&str> = text
        .lines()
        .filter_map(|l| l.strip_prefix("BASH_JAVA_UTILS_EXEC_RESULT:"))
        .collect();
    if output.status.success() && !results.is_empty() {
        Ok(results.join("\n"))
    } else {
        Err(text)
    }
}

fn tuned() -> FlinkConfig {
    let mut flink = FlinkConfig {
        parallelism: 4,
        ..FlinkConfig::default()
    };
    flink.memory.jobmanager = Some(ByteSize::mib(1536));
    flink.memory.taskmanager = Some(ByteSize::mib(4096));
    flink.memory.network = Some(ByteSize::mib(256));
    flink.memory.managed.fraction = Some(0.4);
    flink.taskmanager.slots = 4;
    flink.network.buffers_per_channel = Some(4);
    flink.checkpoint.interval = Some(Duration::from_secs(30));
    flink.checkpoint.incremental = true;
    flink.state.backend = StateBackend::Rocksdb;
    flink.state.rocksdb.compaction_style = Some(CompactionStyle::Level);
    flink.jvm_args = vec!["-XX:+UseG1GC".into()];
    flink
}

#[test]
fn flink_derives_its_processes_from_the_rendered_configuration() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("config.yaml"), render_config_yaml(&tuned())).unwrap();

    let taskmanager = flink_reads(dir.path(), "GET_TM_RESOURCE_PARAMS").unwrap_or_else(|e| panic!("{e}"));
    for expected in [
        "-D taskmanager.memory.network.min=268435456b",
        "-D taskmanager.memory.network.max=268435456b",
        "-D taskmanager.numberOfTaskSlots=4",
    ] {
        assert!(taskmanager.contains(expected), "{expected} not in\n{taskmanager}");
    }
    // Managed memory is 40% of Flink's total memory (process minus metaspace and overhead).
    let managed: u64 = taskmanager
        .split("-D taskmanager.memory.managed.size=")
        .nth(1)
        .and_then(|rest| rest.split('b').next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("no managed size in\n{taskmanager}"));
    let total_flink = 4096u64 * 1024 * 1024 - 256 * 1024 * 1024 - 4096 * 1024 * 1024 / 10;
    assert!(
        managed.abs_diff(total_flink * 4 / 10) < 2 * 1024 * 1024,
        "managed {managed} for total {total_flink}"
    );

    let jobmanager = flink_reads(dir.path(), "GET_JM_RESOURCE_PARAMS").unwrap_or_else(|e| panic!("{e}"));
    assert!(jobmanager.contains("-Xmx"), "{jobmanager}");
}

#[test]
fn flink_refuses_a_network_budget_larger_than_the_process() {
    let mut flink = tuned();
    flink.memory.taskmanager = Some(ByteSize::mib(1024));
    flink.memory.network = Some(ByteSize::mib(2048));
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("config.yaml"), render_config_yaml(&flink)).unwrap();
    let refused = flink_reads(dir.path(), "GET_TM_RESOURCE_PARAMS").unwrap_err();
    assert!(refused.contains("IllegalConfigurationException"), "{refused}");
}
