//! The sender against in-memory sinks: every planned message goes, at its intended time's
//! place in the schedule, and a stalled sink shows up as delay rather than as missing messages.

use std::sync::Arc;
use std::sync::atomic::AtomicBool;
use std::time::{Duration, Instant};

use pipegen_config::Rate;
use pipegen_loadgen::driver::drive;
use pipegen_loadgen::metrics::Recorder;
use pipegen_loadgen::plan::RatePlan;
use pipegen_loadgen::sink::{MemorySink, OutRecord, Sink, SinkError};
use pipegen_loadgen::{Format, GeneratorOptions, RecordGenerator};

const SCHEMA: &str = r#"{"type":"record","name":"E","fields":[
    {"name":"id","type":"long"},{"name":"user_id","type":"string"},
    {"name":"event_time","type":{"type":"long","logicalType":"timestamp-millis"}}]}"#;

fn run(plan: &RatePlan, sink: &mut dyn Sink, stop: bool) -> pipegen_loadgen::metrics::ProducerReport {
    let mut generator = RecordGenerator::new(
        SCHEMA,
        Format::Json,
        GeneratorOptions {
            seed: 1,
            key_field: Some("user_id".into()),
            ..Default::default()
        },
    )
    .unwrap();
    let recorder = Arc::new(Recorder::new(Instant::now(), plan.duration));
    drive(
        plan,
        &mut generator,
        sink,
        &recorder,
        &AtomicBool::new(stop),
        Duration::from_secs(5),
    )
    .unwrap();
    recorder.report(plan)
}

#[test]
fn sends_exactly_the_plan_with_event_times_on_the_schedule() {
    let plan = RatePlan::new(Rate::PerSecond(400.0), Duration::from_millis(500), None, None).unwrap();
    let mut sink = MemorySink::new(true);
    let report = run(&plan, &mut sink, false);
    assert_eq!(
        (
            report.totals.planned,
            report.totals.sent,
            report.totals.acked,
            report.totals.failed
        ),
        (Some(200), 200, 200, 0)
    );
    assert_eq!(sink.records.len(), 200);
    let times: Vec<i64> = sink.records.iter().map(|r| r.2).collect();
    assert!(
        times.windows(2).all(|w| w[1] - w[0] == 2500),
        "event times follow the 2.5 ms schedule exactly"
    );
    for (key, value, _) in &sink.records {
        let json: serde_json::Value = serde_json::from_slice(value).unwrap();
        assert_eq!(json["user_id"].as_str().unwrap().as_bytes(), key.as_deref().unwrap());
    }
    assert_eq!(report.timeline.iter().map(|t| t.sent).sum::<u64>(), 200);
    assert_eq!(report.latency_ms.publish_delay.count, 200);
    assert_eq!(report.latency_ms.publish.count, 200);
}

#[test]
fn the_message_cap_and_the_stop_flag_end_the_run() {
    let plan = RatePlan::new(Rate::PerSecond(5000.0), Duration::from_secs(60), Some(50), None).unwrap();
    assert_eq!(run(&plan, &mut MemorySink::new(false), false).totals.sent, 50);
    assert_eq!(run(&plan, &mut MemorySink::new(false), true).totals.sent, 0);
}

#[test]
fn max_rate_sends_as_fast_as_the_sink_takes() {
    let plan = RatePlan::new(Rate::Max, Duration::from_secs(60), Some(20_000), None).unwrap();
    let report = run(&plan, &mut MemorySink::new(false), false);
    assert_eq!(report.totals.sent, 20_000);
    assert!(report.totals.achieved_rate.unwrap() > 0.0);
}

/// Stalls once, for 60 ms, on its second batch.
struct StallingSink {
    inner: MemorySink,
    batches: usize,
}

impl Sink for StallingSink {
    fn send(&mut self, batch: &[OutRecord<'_>], recorder: &Arc<Recorder>) -> Result<(), SinkError> {
        self.batches += 1;
        if self.batches == 2 {
            std::thread::sleep(Duration::from_millis(60));
        }
        self.inner.send(batch, recorder)
    }
    fn flush(&mut self, timeout: Duration) -> Result<(), SinkError> {
        self.inner.flush(timeout)
    }
}

#[test]
fn a_stall_shows_as_delay_not_as_missing_messages() {
    let plan = RatePlan::new(Rate::PerSecond(1000.0), Duration::from_millis(300), None, None).unwrap();
    let mut sink = StallingSink {
        inner: MemorySink::new(false),
        batches: 0,
    };
    let report = run(&plan, &mut sink, false);
    assert_eq!(report.totals.sent, 300, "nothing is skipped to catch up");
    let delay = &report.latency_ms.publish_delay;
    assert!(
        delay.max.unwrap() >= 50.0,
        "the messages due during the stall waited for it: {delay:?}"
    );
    assert!(report.latency_ms.publish.max.unwrap() >= 50.0);
}

/// Counts the batches it is handed; lingers as told.
struct BatchCounting {
    inner: MemorySink,
    linger: Duration,
    batches: usize,
}

impl Sink for BatchCounting {
    fn send(&mut self, batch: &[OutRecord<'_>], recorder: &Arc<Recorder>) -> Result<(), SinkError> {
        self.batches += 1;
        self.inner.send(batch, recorder)
    }
    fn flush(&mut self, timeout: Duration) -> Result<(), SinkError> {
        self.inner.flush(timeout)
    }
    fn linger(&self) -> Duration {
        self.linger
    }
}

fn batches_of(rate: f64, linger: Duration) -> (usize, BatchCounting) {
    let plan = RatePlan::new(Rate::PerSecond(rate), Duration::from_millis(400), None, None).unwrap();
    let mut sink = BatchCounting {
        inner: MemorySink::new(true),
        linger,
        batches: 0,
    };
    let report = run(&plan, &mut sink, false);
    assert_eq!(report.totals.sent as usize, sink.inner.records.len());
    (sink.inner.records.len(), sink)
}

#[test]
fn a_lingering_sink_gets_the_records_due_within_its_linger_together_each_on_its_own_time() {
    // 1 ms apart with a 5 ms linger: about six records a batch (more only if the sender is late).
    let (records, sink) = batches_of(1000.0, Duration::from_millis(5));
    assert_eq!(records, 400);
    assert!(
        sink.batches * 3 <= records,
        "{} batches for {records} records",
        sink.batches
    );
    let times: Vec<i64> = sink.inner.records.iter().map(|r| r.2).collect();
    assert!(
        times.windows(2).all(|w| w[1] - w[0] == 1000),
        "each keeps its intended time"
    );

    // 20 ms apart: none falls within another's linger, so none waits for company.
    let (records, sink) = batches_of(50.0, Duration::from_millis(5));
    assert_eq!(records, 20);
    assert!(
        sink.batches * 4 >= records * 3,
        "{} batches for {records} records",
        sink.batches
    );

    // Without a linger, what is due goes at once.
    let (records, sink) = batches_of(1000.0, Duration::ZERO);
    assert!(
        sink.batches * 2 >= records,
        "{} batches for {records} records",
        sink.batches
    );
}
