//! What the tests on a real Flink cluster share: the default project in a format Flink reads
//! here, and a job started outside pipegen that must survive everything pipegen does.

#![allow(dead_code)] // each test file uses a different part of this module

use pipegen_flink::FlinkRest;
use pipegen_testkit::Flink;

use crate::common::Scratch;

/// The default project with json instead of avro-confluent (Flink's avro-confluent format jar
/// is not obtainable here) and 1 s windows.
pub fn project(s: &Scratch) {
    s.quick_project("demo");
    for file in ["demo/sql/01_source.sql", "demo/sql/02_sink.sql"] {
        s.edit(
            file,
            "'format' = 'avro-confluent',\n  'avro-confluent.url' = '${SCHEMA_REGISTRY_URL}'",
            "'format' = 'json'",
        );
    }
}

pub fn outside_job(flink: &Flink, rest: &FlinkRest) -> String {
    let jar = rest.upload_jar(flink.sql_runner_jar()).unwrap();
    let job = rest
        .run_jar(
            &jar,
            &[
                "CREATE TABLE x_in (n BIGINT) WITH ('connector' = 'datagen', 'rows-per-second' = '5')".to_owned(),
                "CREATE TABLE x_out (n BIGINT) WITH ('connector' = 'blackhole')".to_owned(),
                "INSERT INTO x_out SELECT n FROM x_in".to_owned(),
            ],
        )
        .unwrap();
    rest.delete_jar(&jar).unwrap();
    job
}

/// The jobs the cluster knows whose name ends with `suffix` (Flink names an INSERT's job after
/// its sink table).
pub fn jobs_named(rest: &FlinkRest, suffix: &str) -> Vec<pipegen_flink::JobSummary> {
    rest.jobs()
        .unwrap()
        .into_iter()
        .filter(|j| j.name.ends_with(suffix))
        .collect()
}

/// `pipegen` with the demo project on the given broker, Flink and SQL Gateway, then `command`.
pub fn on_clusters<'a>(servers: &'a str, flink: &'a str, gateway: &'a str, command: &[&'a str]) -> Vec<&'a str> {
    let mut args = vec![
        "--project-dir",
        "demo",
        "--bootstrap-servers",
        servers,
        "--flink-url",
        flink,
        "--sql-gateway-url",
        gateway,
    ];
    args.extend_from_slice(command);
    args
}
