//! The SQL seam on Apache Flink: pipegen's `flink` section in Flink's keys (for a cluster's
//! `config.yaml` and for SQL sessions), and a client for Flink's SQL Gateway REST API.

mod gateway;
mod settings;

pub use gateway::{GatewayError, Session, SqlGateway, StatementResult};
pub use settings::{cluster_properties, render_config_yaml, session_properties};
