//! The run's topics' offsets and lag, read on a thread of their own: on Kafka each read is a
//! network call that waits up to `kafka.timeout` when the cluster is down, and the run's
//! per-second loop must go on (to see the deadline pass, or a signal) whatever the cluster does.
//! The readings also tell what went wrong under the run: a topic deleted (or deleted and made
//! again, its offsets gone back), or a cluster that stopped answering.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, Instant};

use pipegen_log::{Log, LogError, PartitionOffsets};

/// How often the watcher reads the topics.
const INTERVAL: Duration = Duration::from_secs(1);
/// A reading older than this says nothing about now: frames show the lag as unmeasured.
const FRESH: Duration = Duration::from_secs(3);

/// One reading of a topic.
#[derive(Debug, Clone)]
pub(crate) struct TopicReading {
    pub offsets: Vec<PartitionOffsets>,
    /// The unread records of the consumer group the SQL names for it, when it names one.
    pub group_lag: Option<u64>,
}

/// The newest reading of every topic the run knows, and when it was taken.
#[derive(Debug, Clone, Default)]
pub(crate) struct Readings {
    pub taken: Option<Instant>,
    pub topics: BTreeMap<String, TopicReading>,
}

/// Something that happened to the topics under the run, which it cannot go on from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum TopicFault {
    Deleted(String),
    /// Its partitions changed, or their end offsets went back: deleted and made again.
    Recreated(String),
}

impl std::fmt::Display for TopicFault {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            TopicFault::Deleted(topic) => write!(f, "topic `{topic}` was deleted during the run"),
            TopicFault::Recreated(topic) => write!(
                f,
                "topic `{topic}` was deleted and made again during the run (its partitions or offsets went back): its earlier records are gone"
            ),
        }
    }
}

struct Shared {
    readings: Mutex<Readings>,
    /// The first fault seen.
    fault: Mutex<Option<TopicFault>>,
    /// When a reading last succeeded (the watcher's start before the first).
    answered: Mutex<Instant>,
    /// Notified after every pass over the topics.
    passed: Condvar,
    stop: AtomicBool,
}

pub(crate) struct TopicWatch {
    shared: Arc<Shared>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl TopicWatch {
    /// Starts reading `topics` (each with the consumer group whose lag to read, if any).
    pub(crate) fn start(log: Arc<dyn Log>, topics: Vec<(String, Option<String>)>) -> Self {
        let shared = Arc::new(Shared {
            readings: Mutex::default(),
            fault: Mutex::default(),
            answered: Mutex::new(Instant::now()),
            passed: Condvar::new(),
            stop: AtomicBool::new(false),
        });
        let watching = shared.clone();
        let thread = std::thread::Builder::new()
            .name("pipegen-topic-watch".into())
            .spawn(move || {
                while !watching.stop.load(Ordering::SeqCst) {
                    let began = Instant::now();
                    let mut read = BTreeMap::new();
                    for (topic, group) in &topics {
                        let offsets = match log.offsets(topic) {
                            Ok(offsets) => offsets,
                            Err(LogError::UnknownTopic(_)) => {
                                // The cluster answered: the topic is not there.
                                *watching.answered.lock().unwrap_or_else(|p| p.into_inner()) = Instant::now();
                                let known = watching.readings.lock().unwrap_or_else(|p| p.into_inner());
                                if known.topics.contains_key(topic) {
                                    watching.report(TopicFault::Deleted(topic.clone()));
                                }
                                continue;
                            }
                            Err(_) => continue,
                        };
                        *watching.answered.lock().unwrap_or_else(|p| p.into_inner()) = Instant::now();
                        let previous = watching
                            .readings
                            .lock()
                            .unwrap_or_else(|p| p.into_inner())
                            .topics
                            .get(topic)
                            .map(|r| r.offsets.clone());
                        if previous.is_some_and(|previous| went_back(&previous, &offsets)) {
                            watching.report(TopicFault::Recreated(topic.clone()));
                        }
                        let group_lag = group
                            .as_ref()
                            .and_then(|group| log.lag(group, topic).ok())
                            .map(|lags| lags.iter().map(|(_, lag)| lag).sum());
                        read.insert(topic.clone(), TopicReading { offsets, group_lag });
                    }
                    {
                        let mut readings = watching.readings.lock().unwrap_or_else(|p| p.into_inner());
                        // A topic that did not answer keeps its last reading (and its age).
                        if !read.is_empty() || topics.is_empty() {
                            readings.taken = Some(Instant::now());
                        }
                        readings.topics.extend(read);
                    }
                    watching.passed.notify_all();
                    let rest = INTERVAL.saturating_sub(began.elapsed());
                    let readings = watching.readings.lock().unwrap_or_else(|p| p.into_inner());
                    let _ = watching.passed.wait_timeout(readings, rest);
                }
            })
            .ok();
        if thread.is_none() {
            tracing::warn!("cannot start the topic watcher: lag is not measured");
        }
        Self { shared, thread }
    }

    /// The first fault seen under the run, if any.
    pub(crate) fn fault(&self) -> Option<TopicFault> {
        self.shared.fault.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }

    /// How long the log has not answered a reading (zero while it answers).
    pub(crate) fn silent_for(&self) -> Duration {
        self.shared.answered.lock().unwrap_or_else(|p| p.into_inner()).elapsed()
    }

    /// The newest readings if they are recent, else none (the cluster does not answer).
    pub(crate) fn fresh(&self) -> Readings {
        let readings = self.shared.readings.lock().unwrap_or_else(|p| p.into_inner());
        match readings.taken {
            Some(taken) if taken.elapsed() <= FRESH => readings.clone(),
            _ => Readings::default(),
        }
    }

    /// A reading taken after this call, waiting at most `limit` for it; the newest one when
    /// none comes in time (the run's final rows: the cluster may be gone by then).
    pub(crate) fn settle(&self, limit: Duration) -> Readings {
        let asked = Instant::now();
        let mut readings = self.shared.readings.lock().unwrap_or_else(|p| p.into_inner());
        while readings.taken.is_none_or(|taken| taken < asked) {
            let left = limit.saturating_sub(asked.elapsed());
            if left.is_zero() || self.thread.is_none() {
                break;
            }
            readings = self
                .shared
                .passed
                .wait_timeout(readings, left)
                .unwrap_or_else(|p| p.into_inner())
                .0;
        }
        readings.clone()
    }
}

impl Shared {
    fn report(&self, fault: TopicFault) {
        let mut first = self.fault.lock().unwrap_or_else(|p| p.into_inner());
        if first.is_none() {
            tracing::warn!("{fault}");
            *first = Some(fault);
        }
    }
}

/// Whether a topic's offsets went back between two readings: fewer partitions, or a
/// partition's end below what it was.
fn went_back(before: &[PartitionOffsets], now: &[PartitionOffsets]) -> bool {
    now.len() != before.len()
        || before.iter().any(|b| {
            now.iter()
                .find(|n| n.partition == b.partition)
                .is_none_or(|n| n.end < b.end)
        })
}

impl Drop for TopicWatch {
    fn drop(&mut self) {
        self.shared.stop.store(true, Ordering::SeqCst);
        self.shared.passed.notify_all();
        // A read stuck on an unreachable cluster ends within its own timeout; the run does
        // not wait for it.
        drop(self.thread.take());
    }
}

/// The topics whose offsets the run watches, each with the consumer group whose lag counts
/// (the one the SQL names for a source the run feeds).
pub(crate) fn watched_topics(pipeline: &crate::pipeline::Pipeline<'_>) -> Vec<(String, Option<String>)> {
    pipeline
        .topics
        .iter()
        .map(|topic| {
            let group = pipeline
                .fed
                .iter()
                .find(|f| &f.topic == topic)
                .and_then(|f| f.table.option("properties.group.id"))
                .map(str::to_owned);
            (topic.clone(), group)
        })
        .collect()
}

/// Each topic of the pipeline with its offsets and lag (the run's own reading for a result
/// topic, the SQL's consumer group for a source).
pub(crate) fn topic_rows(
    readings: &Readings,
    pipeline: &crate::pipeline::Pipeline<'_>,
    consumers: &[crate::load::SinkConsumer],
) -> Vec<crate::result::TopicRow> {
    pipeline
        .topics
        .iter()
        .filter_map(|topic| {
            let reading = readings.topics.get(topic)?;
            let offsets = &reading.offsets;
            let end: u64 = offsets.iter().map(|o| o.end).sum();
            let consumer = consumers.iter().find(|c| &c.topic == topic);
            let fed = pipeline.fed.iter().find(|f| &f.topic == topic);
            let lag = match (consumer, fed) {
                (Some(consumer), _) => Some(end.saturating_sub(consumer.metrics.consumed.load(Ordering::Relaxed))),
                (None, Some(_)) => reading.group_lag,
                (None, None) => None,
            };
            Some(crate::result::TopicRow {
                name: topic.clone(),
                role: if fed.is_some() {
                    "source".into()
                } else if consumer.is_some() {
                    "sink".into()
                } else {
                    "other".into()
                },
                partitions: offsets.len() as u32,
                end_offsets: offsets.iter().map(|o| o.end).collect(),
                lag,
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use pipegen_log::{EmbeddedLog, TopicSpec};

    #[test]
    fn readings_follow_the_log_and_settle_waits_for_a_new_one() {
        let log = Arc::new(EmbeddedLog::new());
        log.create_topic(TopicSpec::new("t", 2)).unwrap();
        let watch = TopicWatch::start(log.clone(), vec![("t".into(), None), ("missing".into(), None)]);
        let first = watch.settle(Duration::from_secs(5));
        assert_eq!(first.topics["t"].offsets.len(), 2);
        assert!(
            !first.topics.contains_key("missing"),
            "a topic that is not there has no reading"
        );
        log.append(
            "t",
            vec![pipegen_log::Record::new(None, bytes::Bytes::from_static(b"x"), 0)],
        )
        .unwrap();
        let second = watch.settle(Duration::from_secs(5));
        let end: u64 = second.topics["t"].offsets.iter().map(|o| o.end).sum();
        assert_eq!(end, 1, "the new reading sees the appended record");
        assert!(!watch.fresh().topics.is_empty());
        assert_eq!(watch.fault(), None);
        assert!(watch.silent_for() < Duration::from_secs(3), "the log answers");
    }

    #[test]
    fn a_topic_deleted_under_the_run_is_a_fault() {
        let log = Arc::new(EmbeddedLog::new());
        log.create_topic(TopicSpec::new("t", 1)).unwrap();
        let watch = TopicWatch::start(log.clone(), vec![("t".into(), None)]);
        watch.settle(Duration::from_secs(5));
        log.delete_topic("t").unwrap();
        let deadline = Instant::now() + Duration::from_secs(10);
        while watch.fault().is_none() && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(50));
        }
        assert_eq!(watch.fault(), Some(TopicFault::Deleted("t".into())));
    }

    #[test]
    fn offsets_that_go_back_mean_a_topic_made_again() {
        let at = |partition: u32, end: u64| PartitionOffsets {
            partition,
            start: 0,
            end,
            bytes: None,
            evicted: 0,
        };
        assert!(!went_back(&[at(0, 5)], &[at(0, 5)]));
        assert!(!went_back(&[at(0, 5)], &[at(0, 9)]));
        assert!(went_back(&[at(0, 5)], &[at(0, 2)]));
        assert!(went_back(&[at(0, 5)], &[at(0, 5), at(1, 0)]));
    }
}
