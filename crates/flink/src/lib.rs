//! The SQL seam on Apache Flink: pipegen's `flink` section in Flink's keys (for a cluster's
//! `config.yaml` and for SQL sessions), a client for Flink's SQL Gateway REST API that deploys a
//! project's SQL, and one for the JobManager's REST API that watches and cancels the jobs.

mod cleanup;
mod deploy;
mod deployment;
mod gateway;
mod job_state;
mod monitor;
mod rest;
mod settings;

pub use cleanup::{Cancelled, cancel_jobs};
pub use deploy::{DeployError, SqlFile, StartedJob, Substitutions, deploy, substitute};
pub use deployment::{Cluster, Deployment, DeploymentError, job_failure};
pub use gateway::{GatewayError, Session, SqlGateway, StatementResult, default_gateway_url};
pub use job_state::JobState;
pub use monitor::{JobSample, METRICS_REFRESH_KEY, VertexSample, metrics_refresh, sample_job};
pub use rest::{
    Aggregate, Checkpoints, CompletedCheckpoint, FlinkRest, JobDetail, JobSummary, Overview, RestError, Vertex,
};
pub use settings::{cluster_properties, render_config_yaml, session_properties};
