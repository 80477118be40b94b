//! Cancelling exactly the jobs a run started: by id, never by name or "all running", so other
//! jobs on a shared cluster keep running.

use std::time::{Duration, Instant};

use crate::job_state::JobState;
use crate::rest::{FlinkRest, RestError};

/// What became of one job asked to cancel.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cancelled {
    pub job_id: String,
    /// The state the job ended in (CANCELED, or FINISHED / FAILED when it ended by itself).
    pub outcome: Result<JobState, RestError>,
}

/// Cancels each job and waits (up to `wait`, over all of them) until each has ended.
pub fn cancel_jobs(rest: &FlinkRest, jobs: &[String], wait: Duration) -> Vec<Cancelled> {
    let asked: Vec<(String, Result<(), RestError>)> = jobs.iter().map(|id| (id.clone(), rest.cancel(id))).collect();
    let deadline = Instant::now() + wait;
    asked
        .into_iter()
        .map(|(job_id, asked)| {
            let outcome = asked.and_then(|()| {
                loop {
                    let state = rest.job(&job_id)?.summary.state;
                    if state.is_terminal() {
                        break Ok(state);
                    }
                    if Instant::now() > deadline {
                        break Err(RestError::Refused {
                            request: format!("PATCH /jobs/{job_id}?mode=cancel"),
                            status: 202,
                            message: format!("the job was still {state} after {wait:?}"),
                        });
                    }
                    std::thread::sleep(Duration::from_millis(100));
                }
            });
            Cancelled { job_id, outcome }
        })
        .collect()
}
