//! The run's drain: the senders stopped first (each flushing what it sent), then the jobs,
//! then the readers of the results; what each left behind, and whether a job's end changes
//! how the run ended.

use std::collections::BTreeMap;
use std::sync::atomic::Ordering;

use crate::backends::LogBackend;
use crate::jobs::RunningJobs;
use crate::load::{Consumers, Producers};
use crate::result::{JobRow, Status};

/// How the run ended once everything stopped.
pub(crate) struct Drained {
    pub status: Status,
    pub error: Option<String>,
    pub jobs: Vec<JobRow>,
    /// Problems met, by kind, with how often.
    pub errors: BTreeMap<String, u64>,
}

pub(crate) async fn drain(
    (status, error): (Status, Option<String>),
    log: &LogBackend,
    producers: &mut Producers,
    jobs: Box<dyn RunningJobs>,
    consumers: &mut Consumers,
) -> Drained {
    producers.request_stop();
    if status != Status::Succeeded {
        // Writes still waiting for the cluster's acknowledgement give up now: a run that
        // failed or was interrupted ends within its deadlines, not the writes' own.
        log.stop_waiting();
    }
    let mut errors = producers.join();
    let finished = jobs.finish().await;
    errors.extend(finished.errors);
    let (mut status, mut error) = (status, error);
    if let Some(failure) = finished.failure {
        // A job that fails while the run stops for another reason (a lost topic, a timeout)
        // fails because of it: the first reason stays the run's.
        if status == Status::Succeeded || (status == Status::Failed && error.is_none()) {
            error = Some(failure);
        }
        if status != Status::Interrupted {
            status = Status::Failed;
        }
    }
    for (kind, count) in consumers.stop().await {
        *errors.entry(kind).or_default() += count;
    }
    let lost_by_run: u64 = consumers
        .list
        .iter()
        .map(|c| c.metrics.lost.load(Ordering::Relaxed))
        .sum();
    if lost_by_run > 0 {
        errors.insert(
            "result records removed by retention before the run read them".into(),
            lost_by_run,
        );
    }
    Drained {
        status,
        error,
        jobs: finished.rows,
        errors,
    }
}
