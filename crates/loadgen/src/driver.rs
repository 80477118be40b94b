//! The open-loop senders: every message goes at its intended time on an absolute schedule
//! (never sleep-per-message, so nothing drifts); whatever is due when the sender wakes goes as
//! one batch, which waits for the records due within the sink's linger of its first. A sink
//! that cannot keep up shows as publish delay, never as skipped messages.
//!
//! [`drive`] follows the rate plan; [`follow`] sends a following stream's records when their
//! leaders say they are due.

use std::collections::BinaryHeap;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{RecvTimeoutError, TryRecvError};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use crate::RecordGenerator;
use crate::follow::{Leads, Waiting};
use crate::metrics::Recorder;
use crate::plan::{RatePlan, Slot};
use crate::sink::{OutRecord, Sink, SinkError};

/// The most records handed to a sink at once.
const MAX_BATCH: usize = 1024;
/// The longest a follower sleeps before looking at its stop flag again.
const IDLE_WAIT: Duration = Duration::from_millis(100);

struct Pending {
    key: Option<(usize, usize)>,
    value: (usize, usize),
    intended: Instant,
    event_micros: i64,
}

/// Records due together: their bytes in one buffer, handed to the sink at once.
struct Batch {
    data: Vec<u8>,
    pending: Vec<Pending>,
    key: Vec<u8>,
    value: Vec<u8>,
}

impl Batch {
    fn new() -> Self {
        Self {
            data: Vec::with_capacity(MAX_BATCH * 256),
            pending: Vec::with_capacity(MAX_BATCH),
            key: Vec::new(),
            value: Vec::new(),
        }
    }

    fn is_full(&self) -> bool {
        self.pending.len() >= MAX_BATCH
    }

    /// Adds the record just written into `self.key` and `self.value`.
    fn take_written(&mut self, intended: Instant, event_micros: i64) {
        let key = (!self.key.is_empty()).then(|| {
            self.data.extend_from_slice(&self.key);
            (self.data.len() - self.key.len(), self.data.len())
        });
        self.data.extend_from_slice(&self.value);
        self.pending.push(Pending {
            key,
            value: (self.data.len() - self.value.len(), self.data.len()),
            intended,
            event_micros,
        });
    }

    /// Hands what is pending to `sink` and starts afresh; `following` when the records follow
    /// other streams' rather than the plan.
    fn send(&mut self, sink: &mut dyn Sink, recorder: &Arc<Recorder>, following: bool) -> Result<(), SinkError> {
        if self.pending.is_empty() {
            return Ok(());
        }
        let data = &self.data;
        let records: Vec<OutRecord<'_>> = self
            .pending
            .iter()
            .map(|p| OutRecord {
                key: p.key.map(|(a, b)| &data[a..b]),
                value: &data[p.value.0..p.value.1],
                intended: p.intended,
                event_micros: p.event_micros,
            })
            .collect();
        let sizes = records
            .iter()
            .map(|r| (r.intended, r.value.len() + r.key.map_or(0, <[u8]>::len)));
        if following {
            recorder.sent_following(Instant::now(), sizes);
        } else {
            recorder.sent(Instant::now(), sizes);
        }
        let sent = sink.send(&records, recorder);
        self.data.clear();
        self.pending.clear();
        sent
    }
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
    let mut batch = Batch::new();
    let linger = sink.linger();

    while next.is_some() && !stop.load(Ordering::Relaxed) {
        let mut now = Instant::now();
        while !batch.is_full() {
            let intended = match next {
                None => break,
                Some(Slot::At(offset)) => {
                    let due = start + offset;
                    if due > now {
                        // Send what is due, unless the next record falls within the linger of
                        // the batch's first: then the batch waits for it. A record with none
                        // due soon after it goes at once.
                        let gathering = batch
                            .pending
                            .first()
                            .is_some_and(|first| due <= first.intended + linger);
                        if !batch.pending.is_empty() && !gathering {
                            break;
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
            generator.next_record(event_micros, &mut batch.key, &mut batch.value);
            generator.offer(intended, event_micros);
            batch.take_written(intended, event_micros);
            next = schedule.next();
        }
        batch.send(sink, recorder, false)?;
    }
    sink.flush(flush_timeout)
}

/// Sends a following stream: each lead's record once it is due, until the leader has ended
/// and every lead is sent, or `stop` is set; then flushes.
pub fn follow(
    leads: Leads,
    generator: &mut RecordGenerator,
    sink: &mut dyn Sink,
    recorder: &Arc<Recorder>,
    stop: &AtomicBool,
    flush_timeout: Duration,
) -> Result<(), SinkError> {
    let mut waiting: BinaryHeap<Waiting> = BinaryHeap::new();
    let mut arrivals = 0u64;
    let mut wait = |lead, waiting: &mut BinaryHeap<Waiting>| {
        waiting.push(Waiting {
            lead,
            arrival: arrivals,
        });
        arrivals += 1;
    };
    let mut leader_ended = false;
    let mut batch = Batch::new();
    while !stop.load(Ordering::Relaxed) {
        loop {
            match leads.0.try_recv() {
                Ok(lead) => wait(lead, &mut waiting),
                Err(TryRecvError::Empty) => break,
                Err(TryRecvError::Disconnected) => {
                    leader_ended = true;
                    break;
                }
            }
        }
        let now = Instant::now();
        match waiting.peek().map(|w| w.lead.due) {
            None if leader_ended => break,
            Some(due) if due <= now => {
                while !batch.is_full() && waiting.peek().is_some_and(|w| w.lead.due <= now) {
                    let Some(Waiting { lead, .. }) = waiting.pop() else {
                        break;
                    };
                    generator.next_following(&lead, &mut batch.key, &mut batch.value);
                    generator.offer(lead.due, lead.event_micros);
                    batch.take_written(lead.due, lead.event_micros);
                }
                batch.send(sink, recorder, true)?;
            }
            next_due => {
                // Until the next lead is due, or a new one comes (which may be due sooner).
                let idle = next_due.map_or(IDLE_WAIT, |due| (due - now).min(IDLE_WAIT));
                if leader_ended {
                    std::thread::sleep(idle);
                } else {
                    match leads.0.recv_timeout(idle) {
                        Ok(lead) => wait(lead, &mut waiting),
                        Err(RecvTimeoutError::Timeout) => {}
                        Err(RecvTimeoutError::Disconnected) => leader_ended = true,
                    }
                }
            }
        }
    }
    sink.flush(flush_timeout)
}
