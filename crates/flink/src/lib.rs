//! The SQL seam on Apache Flink: pipegen's `flink` section in Flink's keys (for a cluster's
//! `config.yaml` and for SQL sessions), and a client for Flink's SQL Gateway REST API.

mod deploy;
mod gateway;
mod settings;

pub use deploy::{DeployError, SqlFile, StartedJob, Substitutions, deploy, rename_topics, substitute};
pub use gateway::{GatewayError, Session, SqlGateway, StatementResult, default_gateway_url};
pub use settings::{cluster_properties, render_config_yaml, session_properties};
