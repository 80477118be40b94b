//! The open-loop sender: every message goes at its intended time on an absolute schedule
//! (never sleep-per-message, so nothing drifts); whatever is due when the sender wakes goes as
//! one batch. A sink that cannot keep up shows as publish delay, never as skipped messages.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use crate::RecordGenerator;
use crate::metrics::Recorder;
use crate::plan::{RatePlan, Slot};
use crate::sink::{OutRecord, Sink, SinkError};

/// The most records handed to a sink at once.
const MAX_BATCH: usize = 1024;

struct Pending {
    key: Option<(usize, usize)>,
    value: (usize, usize),
    intended: Instant,
    event_micros: i64,
}

/// Sends the plan's messages into `sink` until the plan ends or `stop` is set, then flushes.
pub fn drive(
    plan: &RatePlan,
    generator: &mut RecordGenerator,
    sink: &mut dyn Sink,
    recorder: &Arc<Recorder>,
    stop: &AtomicBool,
    flush_timeout: Duration,
) -> Result<(), SinkError> {
    let start = recorder.start();
    let wall_start = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_micros() as i64);
    let to_wall = |t: Instant| wall_start + t.saturating_duration_since(start).as_micros() as i64;
    let mut schedule = plan.schedule();
    let mut next = schedule.next();
    let (mut key, mut value) = (Vec::new(), Vec::new());
    let mut data: Vec<u8> = Vec::with_capacity(MAX_BATCH * 256);
    let mut pending: Vec<Pending> = Vec::with_capacity(MAX_BATCH);

    while next.is_some() && !stop.load(Ordering::Relaxed) {
        data.clear();
        pending.clear();
        let mut now = Instant::now();
        while pending.len() < MAX_BATCH {
            let intended = match next {
                None => break,
                Some(Slot::At(offset)) => {
                    let due = start + offset;
                    if due > now {
                        if !pending.is_empty() {
                            break; // send what is due; sleep on the next round
                        }
                        std::thread::sleep(due - now);
                        now = Instant::now();
                    }
                    due
                }
                Some(Slot::Unpaced { until }) => {
                    if now >= start + until {
                        schedule.end_unpaced_phase();
                        next = schedule.next();
                        continue;
                    }
                    now
                }
            };
            let event_micros = to_wall(intended);
            generator.next_record(event_micros, &mut key, &mut value);
            let key_range = (!key.is_empty()).then(|| {
                data.extend_from_slice(&key);
                (data.len() - key.len(), data.len())
            });
            data.extend_from_slice(&value);
            pending.push(Pending {
                key: key_range,
                value: (data.len() - value.len(), data.len()),
                intended,
                event_micros,
            });
            next = schedule.next();
        }
        if pending.is_empty() {
            continue;
        }
        let records: Vec<OutRecord<'_>> = pending
            .iter()
            .map(|p| OutRecord {
                key: p.key.map(|(a, b)| &data[a..b]),
                value: &data[p.value.0..p.value.1],
                intended: p.intended,
                event_micros: p.event_micros,
            })
            .collect();
        recorder.sent(
            Instant::now(),
            records
                .iter()
                .map(|r| (r.intended, r.value.len() + r.key.map_or(0, <[u8]>::len))),
        );
        sink.send(&records, recorder)?;
    }
    sink.flush(flush_timeout)
}
