//! A run's SQL on a Flink cluster, from deploy to cleanup: one SQL Gateway session (closed once
//! the statements are in), the jobs it started, sampled through the REST API, and cancelled —
//! exactly those — when the run ends, fails, or drops the deployment (an early return, a
//! panic), so other jobs on a shared cluster are never touched.

use std::collections::BTreeMap;
use std::time::Duration;

use crate::cleanup::{Cancelled, cancel_jobs};
use crate::deploy::{DeployError, SqlFile, StartedJob, Substitutions, deploy};
use crate::gateway::{GatewayError, SqlGateway};
use crate::monitor::{JobSample, sample_job};
use crate::rest::{FlinkRest, RestError};

/// How long cleanup waits for the cancelled jobs to end.
const CANCEL_WAIT: Duration = Duration::from_secs(60);

/// Where the cluster is and how to talk to it.
#[derive(Debug, Clone)]
pub struct Cluster {
    /// The JobManager's REST API.
    pub flink_url: String,
    pub gateway_url: String,
    /// Each HTTP request's limit.
    pub timeout: Duration,
}

#[derive(Debug, thiserror::Error)]
pub enum DeploymentError {
    #[error(transparent)]
    Gateway(#[from] GatewayError),
    /// A statement failed; the jobs started before it were cancelled.
    #[error("{error}")]
    Deploy {
        error: DeployError,
        /// What became of the jobs started before the failure.
        cancelled: Vec<Cancelled>,
    },
}

pub struct Deployment {
    rest: FlinkRest,
    jobs: Vec<StartedJob>,
    ended: bool,
}

impl Deployment {
    /// Opens a session with `properties` (the `flink` section's session keys), submits every
    /// statement of `files` in order, and closes the session; the jobs keep running.
    pub fn start(
        cluster: &Cluster,
        session_name: &str,
        properties: &BTreeMap<String, String>,
        files: &[SqlFile<'_>],
        substitutions: &Substitutions,
    ) -> Result<Self, DeploymentError> {
        let gateway = SqlGateway::connect(&cluster.gateway_url, cluster.timeout)?;
        let session = gateway.open_session(session_name, properties)?;
        let mut deployment = Deployment {
            rest: FlinkRest::new(&cluster.flink_url, cluster.timeout),
            jobs: Vec::new(),
            ended: false,
        };
        let deployed = deploy(&gateway, &session, files, substitutions, &mut deployment.jobs);
        // The jobs outlive the session; a failure to close it changes nothing for the run.
        if let Err(e) = gateway.close_session(&session) {
            tracing::warn!(session = %session.0, "could not close the SQL Gateway session: {e}");
        }
        match deployed {
            Ok(()) => Ok(deployment),
            Err(error) => {
                let cancelled = deployment.cancel();
                Err(DeploymentError::Deploy { error, cancelled })
            }
        }
    }

    /// The jobs the statements started, in order.
    pub fn jobs(&self) -> &[StartedJob] {
        &self.jobs
    }

    /// One sample of each job (a job that cannot be read yet gives its error).
    pub fn sample(&self) -> Vec<(StartedJob, Result<JobSample, RestError>)> {
        self.jobs
            .iter()
            .map(|job| (job.clone(), sample_job(&self.rest, &job.job_id)))
            .collect()
    }

    /// Cancels exactly the jobs this deployment started and waits until they ended.
    pub fn cancel(&mut self) -> Vec<Cancelled> {
        self.ended = true;
        let ids: Vec<String> = self.jobs.iter().map(|j| j.job_id.clone()).collect();
        cancel_jobs(&self.rest, &ids, CANCEL_WAIT)
    }

    /// Leaves the jobs running (nothing is cancelled when the deployment is dropped).
    pub fn detach(mut self) -> Vec<StartedJob> {
        self.ended = true;
        std::mem::take(&mut self.jobs)
    }
}

/// The failure of a sampled job, as a run reports it: which statement, and Flink's root cause.
pub fn job_failure(job: &StartedJob, sample: &JobSample) -> Option<String> {
    sample.failed().then(|| {
        format!(
            "Flink job {} ({}:{}) failed: {}",
            job.job_id,
            job.file,
            job.line,
            sample.root_exception.as_deref().unwrap_or("Flink gave no exception")
        )
    })
}

impl Drop for Deployment {
    fn drop(&mut self) {
        if !self.ended {
            for cancelled in self.cancel() {
                if let Err(e) = cancelled.outcome {
                    tracing::warn!(job = %cancelled.job_id, "could not cancel the Flink job: {e}");
                }
            }
        }
    }
}
