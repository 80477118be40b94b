//! The run's load: a reader on every result topic, started first so that nothing the pipeline
//! writes is missed, then a sender for every generated table (on the rate plan, or after its
//! leader for a table that follows another).

use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use pipegen_loadgen::driver::{drive, follow};
use pipegen_loadgen::metrics::Recorder;
use pipegen_loadgen::plan::RatePlan;
use pipegen_loadgen::sink::SinkError;
use pipegen_log::Log;

use crate::backends::LogBackend;
use crate::consume::{ConsumerMetrics, EndToEnd, consume};
use crate::error::RunError;
use crate::followers::Generated;
use crate::pipeline::Pipeline;

/// The longest a result reader may take to stop once told to.
const STOP_TIMEOUT: Duration = Duration::from_secs(10);

/// A task reading one sink topic, and what it measured.
pub(crate) struct SinkConsumer {
    pub(crate) topic: String,
    pub(crate) metrics: Arc<ConsumerMetrics>,
    /// Whether its records say when their input happened (end-to-end latency).
    pub(crate) timed: bool,
    task: tokio::task::JoinHandle<Result<(), String>>,
}

/// The readers of the result topics.
pub(crate) struct Consumers {
    pub list: Vec<SinkConsumer>,
    /// How each reader measures end-to-end latency, in words (for the report).
    pub definitions: Vec<String>,
    stop: Arc<AtomicBool>,
}

impl Consumers {
    /// Starts a reader on every sink topic, from `starts` (each topic's end before the run).
    pub(crate) fn start(
        pipeline: &Pipeline<'_>,
        mut starts: BTreeMap<String, Vec<(u32, u64)>>,
        log: &Arc<dyn Log>,
        start: Instant,
    ) -> Self {
        let stop = Arc::new(AtomicBool::new(false));
        let event_time_columns: Vec<String> = pipeline
            .fed
            .iter()
            .filter_map(|f| f.table.watermark.as_ref().map(|w| w.column.clone()))
            .collect();
        let mut list = Vec::new();
        let mut definitions = Vec::new();
        for sink in &pipeline.sinks {
            let metrics = Arc::new(ConsumerMetrics::new(start));
            // Latency from event times means something only for the records this run produced.
            let end_to_end = if pipeline.fed.is_empty() {
                EndToEnd::NotMeasured
            } else {
                EndToEnd::for_table(&sink.table, &event_time_columns)
            };
            definitions.push(end_to_end.definition());
            let timed = end_to_end != EndToEnd::NotMeasured;
            let decoder = pipegen_engine::table_decoder(&sink.table).ok();
            let positions = starts.remove(&sink.topic).unwrap_or_default();
            let task = tokio::spawn(consume(
                log.clone(),
                sink.topic.clone(),
                positions,
                decoder,
                end_to_end,
                metrics.clone(),
                stop.clone(),
            ));
            list.push(SinkConsumer {
                topic: sink.topic.clone(),
                metrics,
                timed,
                task,
            });
        }
        definitions.dedup();
        Self {
            list,
            definitions,
            stop,
        }
    }

    /// Records read so far, over every result topic.
    pub(crate) fn consumed(&self) -> u64 {
        self.list
            .iter()
            .map(|c| c.metrics.consumed.load(Ordering::Relaxed))
            .sum()
    }

    /// Stops every reader; each one that failed or would not stop, by kind.
    pub(crate) async fn stop(&mut self) -> BTreeMap<String, u64> {
        self.stop.store(true, Ordering::SeqCst);
        let mut errors = BTreeMap::new();
        for consumer in &mut self.list {
            match tokio::time::timeout(STOP_TIMEOUT, &mut consumer.task).await {
                Ok(Ok(Ok(()))) | Ok(Err(_)) => {}
                Ok(Ok(Err(e))) => *errors.entry(format!("consuming {}: {e}", consumer.topic)).or_default() += 1,
                Err(_) => {
                    consumer.task.abort();
                    *errors
                        .entry(format!(
                            "consuming {}: did not stop within {}s",
                            consumer.topic,
                            STOP_TIMEOUT.as_secs()
                        ))
                        .or_default() += 1;
                }
            }
        }
        errors
    }
}

/// The senders of the generated tables, sharing one recorder.
pub(crate) struct Producers {
    pub plan: Arc<RatePlan>,
    pub recorder: Arc<Recorder>,
    handles: Vec<JoinHandle<Result<(), SinkError>>>,
    stop: Arc<AtomicBool>,
}

impl Producers {
    /// Starts a thread per generated table: a leader sends on `plan`'s schedule, a follower
    /// as its leads come due; a leader's end (its generator dropped with the thread) ends its
    /// followers. The flushes wait as long as the run goes on (`flush_timeout`): the run's own
    /// rules (its timeout, a lost cluster, a signal) stop them.
    pub(crate) fn start(
        plan: &RatePlan,
        generators: Vec<Generated>,
        log: &LogBackend,
        start: Instant,
        flush_timeout: Duration,
    ) -> Result<Self, RunError> {
        let plan = Arc::new(plan.clone());
        let recorder = Arc::new(Recorder::new(start, plan.duration));
        recorder.set_paced_streams(generators.iter().filter(|g| g.leads.is_none()).count().max(1) as u64);
        let stop = Arc::new(AtomicBool::new(false));
        let mut handles = Vec::new();
        for Generated {
            topic,
            mut generator,
            leads,
            ..
        } in generators
        {
            let (plan, recorder, stop) = (plan.clone(), recorder.clone(), stop.clone());
            let mut sink = log.load_sink(&topic, recorder.clone(), stop.clone())?;
            let send = move || match leads {
                Some(leads) => follow(leads, &mut generator, sink.as_mut(), &recorder, &stop, flush_timeout),
                None => drive(&plan, &mut generator, sink.as_mut(), &recorder, &stop, flush_timeout),
            };
            handles.push(
                std::thread::Builder::new()
                    .name(format!("pipegen-produce-{topic}"))
                    .spawn(send)
                    .map_err(|e| RunError::Io(format!("cannot start the producer: {e}")))?,
            );
        }
        Ok(Self {
            plan,
            recorder,
            handles,
            stop,
        })
    }

    /// Every sender has ended (its plan done and flushed).
    pub(crate) fn all_finished(&self) -> bool {
        self.handles.iter().all(JoinHandle::is_finished)
    }

    /// Tells every sender to stop (each flushes what it sent).
    pub(crate) fn request_stop(&self) {
        self.stop.store(true, Ordering::SeqCst);
    }

    /// Waits for every sender to end; each one that failed, by kind.
    pub(crate) fn join(&mut self) -> BTreeMap<String, u64> {
        let mut errors = BTreeMap::new();
        for producer in self.handles.drain(..) {
            if let Ok(Err(e)) = producer.join() {
                *errors.entry(format!("producer: {e}")).or_default() += 1;
            }
        }
        errors
    }
}
