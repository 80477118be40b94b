//! Reading what the pipeline wrote: every record of each sink topic, counted per second, and
//! its end-to-end latency where the output says when its input happened.
//!
//! Definitions (the report names the one used):
//! - windowed results: read time - `window_end` (the watermark-driven emit latency);
//! - pass-through results carrying the source's event-time column: read time - that time,
//!   which the load generator sets to the record's intended send time.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use datafusion::arrow::array::{Array, AsArray};
use datafusion::arrow::compute::cast;
use datafusion::arrow::datatypes::{DataType, Int64Type, TimeUnit};
use hdrhistogram::Histogram;
use pipegen_engine::ValueDecoder;
use pipegen_log::{Log, LogError};
use pipegen_sql::CreateTable;

const MAX_RECORDS: usize = 8192;
const IDLE_POLL: Duration = Duration::from_millis(5);
/// Histograms hold 1 µs to 1 hour at 3 significant digits, as the producer's do.
const MAX_MICROS: u64 = 3_600_000_000;

/// Which column of the output tells when its input happened.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EndToEnd {
    WindowEnd(String),
    EventTime(String),
    NotMeasured,
}

impl EndToEnd {
    pub fn for_table(table: &CreateTable, event_time_columns: &[String]) -> Self {
        let has = |name: &str| table.physical_columns().any(|c| c.name == name);
        if has("window_end") {
            EndToEnd::WindowEnd("window_end".into())
        } else if let Some(column) = event_time_columns.iter().find(|c| has(c)) {
            EndToEnd::EventTime(column.clone())
        } else {
            EndToEnd::NotMeasured
        }
    }

    pub fn definition(&self) -> String {
        match self {
            EndToEnd::WindowEnd(_) => "read time - window_end of the result (windowed aggregation)".into(),
            EndToEnd::EventTime(c) => format!("read time - `{c}` of the result (the input's intended send time)"),
            EndToEnd::NotMeasured => {
                "n/a: the results carry no window_end and no event-time column of records this run produced".into()
            }
        }
    }

    fn column(&self) -> Option<&str> {
        match self {
            EndToEnd::WindowEnd(c) | EndToEnd::EventTime(c) => Some(c),
            EndToEnd::NotMeasured => None,
        }
    }
}

/// What every sink consumer of a run adds to.
pub struct ConsumerMetrics {
    start: Instant,
    pub consumed: AtomicU64,
    pub bytes: AtomicU64,
    /// Records retention removed before the run read them.
    pub lost: AtomicU64,
    per_second: Mutex<Vec<u64>>,
    pub end_to_end: Mutex<Histogram<u64>>,
}

impl ConsumerMetrics {
    pub fn new(start: Instant) -> Self {
        Self {
            start,
            consumed: AtomicU64::new(0),
            bytes: AtomicU64::new(0),
            lost: AtomicU64::new(0),
            per_second: Mutex::new(Vec::new()),
            end_to_end: Mutex::new(Histogram::new_with_bounds(1, MAX_MICROS, 3).expect("valid bounds")),
        }
    }

    fn record(&self, at: Instant, records: usize, bytes: usize) {
        self.consumed.fetch_add(records as u64, Ordering::Relaxed);
        self.bytes.fetch_add(bytes as u64, Ordering::Relaxed);
        let second = at.saturating_duration_since(self.start).as_secs() as usize;
        if let Ok(mut seconds) = self.per_second.lock() {
            if seconds.len() <= second {
                seconds.resize(second + 1, 0);
            }
            seconds[second] += records as u64;
        }
    }

    /// Records read during second `index` since the start.
    pub fn consumed_in_second(&self, index: usize) -> u64 {
        self.per_second
            .lock()
            .map(|s| s.get(index).copied().unwrap_or(0))
            .unwrap_or(0)
    }

    /// Records read in each second since the start.
    pub fn per_second(&self) -> Vec<u64> {
        self.per_second.lock().map(|s| s.clone()).unwrap_or_default()
    }
}

/// Where reading `topic` starts: its end before the run produces anything, since records a
/// topic kept from an earlier run holds are not this run's results.
pub fn start_positions(log: &dyn Log, topic: &str) -> Result<Vec<(u32, u64)>, LogError> {
    Ok(log.offsets(topic)?.iter().map(|p| (p.partition, p.end)).collect())
}

/// Reads `topic` from `positions` on until `stop` is set.
pub async fn consume(
    log: Arc<dyn Log>,
    topic: String,
    mut positions: Vec<(u32, u64)>,
    mut decoder: Option<Box<dyn ValueDecoder>>,
    end_to_end: EndToEnd,
    metrics: Arc<ConsumerMetrics>,
    stop: Arc<AtomicBool>,
) -> Result<(), String> {
    while !stop.load(Ordering::Relaxed) {
        let mut read_any = false;
        for (partition, position) in &mut positions {
            let records = match log.read(&topic, *partition, *position, MAX_RECORDS) {
                Ok(records) => records,
                Err(LogError::OffsetOutOfRange { range, .. }) if range.offset < range.start => {
                    metrics.lost.fetch_add(range.start - range.offset, Ordering::Relaxed);
                    *position = range.start;
                    continue;
                }
                Err(e) => return Err(e.to_string()),
            };
            let Some(last) = records.last() else { continue };
            read_any = true;
            *position = last.offset + 1;
            let now = Instant::now();
            let bytes: usize = records.iter().map(|r| r.record.value.len()).sum();
            metrics.record(now, records.len(), bytes);
            if let (Some(decoder), Some(column)) = (decoder.as_mut(), end_to_end.column()) {
                // Tombstones (an upsert sink's deletions) carry no row to time.
                let values: Vec<&[u8]> = records
                    .iter()
                    .map(|r| r.record.value.as_ref())
                    .filter(|v| !v.is_empty())
                    .collect();
                if let Ok(batch) = decoder.decode(&values)
                    && let Some(times) = batch.column_by_name(column)
                {
                    record_latencies(&metrics, times.as_ref());
                }
            }
        }
        if !read_any {
            tokio::time::sleep(IDLE_POLL).await;
        }
    }
    Ok(())
}

fn record_latencies(metrics: &ConsumerMetrics, times: &dyn Array) {
    let Ok(millis) = cast(
        &times.slice(0, times.len()),
        &DataType::Timestamp(TimeUnit::Millisecond, None),
    )
    .and_then(|t| cast(&t, &DataType::Int64)) else {
        return;
    };
    let now_ms = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as i64);
    if let Ok(mut histogram) = metrics.end_to_end.lock() {
        for time in millis.as_primitive::<Int64Type>().iter().flatten() {
            let micros = ((now_ms - time).max(0) as u64)
                .saturating_mul(1000)
                .clamp(1, MAX_MICROS);
            let _ = histogram.record(micros);
        }
    }
}
