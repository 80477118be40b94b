//! Pacing at 50,000 msg/s for 10 s into the in-memory sink, then the same with a
//! `2s-4s:300%` spike. Bars: every 1-second window within 1% of its target, publish delay p99
//! under 1 ms. Prints the per-second table and writes the measured producer result (timeline,
//! latency_ms.publish_delay) as JSON. A benchmark, not a test: it reports, it does not fail.

use std::sync::Arc;
use std::sync::atomic::AtomicBool;
use std::time::{Duration, Instant};

use pipegen_config::Rate;
use pipegen_loadgen::driver::drive;
use pipegen_loadgen::metrics::{ProducerReport, Recorder};
use pipegen_loadgen::plan::RatePlan;
use pipegen_loadgen::sink::MemorySink;
use pipegen_loadgen::{Format, GeneratorOptions, RecordGenerator};

const SCHEMA: &str = r#"{"type":"record","name":"ClickEvent","fields":[
    {"name":"event_id","type":"long"},{"name":"user_id","type":"long"},{"name":"session_id","type":"string"},
    {"name":"email","type":"string"},{"name":"city","type":"string"},{"name":"page_url","type":"string"},
    {"name":"price","type":"double"},
    {"name":"action","type":{"type":"enum","name":"Action","symbols":["VIEW","CLICK","ADD_TO_CART","PURCHASE"]}},
    {"name":"coupon","type":["null","string"],"default":null},
    {"name":"event_time","type":{"type":"long","logicalType":"timestamp-millis"}}]}"#;

/// Sends `plan` through the whole sender path into a counting in-memory sink.
fn measure(plan: &RatePlan) -> ProducerReport {
    let options = GeneratorOptions::default();
    let mut generator = RecordGenerator::new(SCHEMA, Format::AvroConfluent { schema_id: 1 }, options).unwrap();
    let mut sink = MemorySink::new(false);
    let recorder = Arc::new(Recorder::new(Instant::now(), plan.duration));
    let stop = AtomicBool::new(false);
    drive(
        plan,
        &mut generator,
        &mut sink,
        &recorder,
        &stop,
        Duration::from_secs(5),
    )
    .unwrap();
    recorder.report(plan)
}

fn run(name: &str, pattern: Option<&str>) -> ProducerReport {
    let plan = RatePlan::new(Rate::PerSecond(50_000.0), Duration::from_secs(10), None, pattern).unwrap();
    let report = measure(&plan);

    println!(
        "\n== {name}: 50,000 msg/s for 10 s{}",
        pattern.map(|p| format!(", pattern {p}")).unwrap_or_default()
    );
    println!("{:>4} {:>9} {:>9} {:>8}", "t_s", "target", "sent", "error");
    let mut worst: f64 = 0.0;
    for entry in report.timeline.iter().take(10) {
        let target = entry.target_rate.unwrap_or(0);
        let error = (entry.sent as f64 - target as f64) / target as f64 * 100.0;
        worst = worst.max(error.abs());
        println!("{:>4} {:>9} {:>9} {:>7.3}%", entry.t_s, target, entry.sent, error);
    }
    let delay = &report.latency_ms.publish_delay;
    let fmt = |v: Option<f64>| v.map_or("n/a".to_owned(), |v| format!("{v:.3}"));
    println!(
        "sent {} of {} planned; publish delay ms: p50 {} p90 {} p99 {} p99.9 {} max {}",
        report.totals.sent,
        report.totals.planned.unwrap_or(0),
        fmt(delay.p50),
        fmt(delay.p90),
        fmt(delay.p99),
        fmt(delay.p999),
        fmt(delay.max)
    );
    let windows_ok = worst <= 1.0;
    let delay_ok = delay.p99.is_some_and(|p| p < 1.0);
    println!(
        "bars: every 1 s window within 1% of target: {} (worst {worst:.3}%); publish delay p99 < 1 ms: {}",
        if windows_ok { "met" } else { "NOT met" },
        if delay_ok { "met" } else { "NOT met" }
    );
    report
}

/// The whole sender path (generate, encode, batch, record metrics, sink) at `max` for 2 s.
fn unpaced() -> ProducerReport {
    let plan = RatePlan::new(Rate::Max, Duration::from_secs(2), None, None).unwrap();
    let report = measure(&plan);
    println!(
        "
== max rate for 2 s, metrics on: {} records, {:.0} records/s",
        report.totals.sent,
        report.totals.achieved_rate.unwrap_or(0.0)
    );
    report
}

fn main() {
    // `cargo test --benches` runs bench binaries with --bench absent; only measure under `cargo bench`.
    if !std::env::args().any(|a| a == "--bench") {
        return;
    }
    let steady = run("steady", None);
    let spike = run("spike", Some("2s-4s:300%"));
    let max = unpaced();
    let result = serde_json::json!({
        "steady": { "producer": steady },
        "spike": { "producer": spike },
        "max": { "producer": { "sent": max.totals.sent, "achieved_rate": max.totals.achieved_rate } },
    });
    let path = std::env::temp_dir().join("pipegen-pacing-result.json");
    match std::fs::write(&path, serde_json::to_vec_pretty(&result).unwrap_or_default()) {
        Ok(()) => println!("\nresult: {}", path.display()),
        Err(e) => eprintln!("cannot write {}: {e}", path.display()),
    }
}
