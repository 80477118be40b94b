//! Probes: does each configured service answer, and what does it say about itself?
//!
//! Used by `pipegen validate --check-connectivity`; [`check`] is `pipegen check`. Every probe has
//! a timeout and reports failure as data, never as a panic or a hang.

pub mod check;
mod http;
mod kafka;

use std::time::Duration;

pub use http::{probe_flink, probe_registry, probe_sql_gateway};
pub use kafka::probe_kafka;

/// What one probe found.
#[derive(Debug, Clone, PartialEq)]
pub struct Probe {
    /// The part probed: "Kafka", "Schema registry", "Flink", "SQL Gateway".
    pub part: &'static str,
    /// The address probed.
    pub target: String,
    /// What the service said about itself, or why it could not be reached.
    pub outcome: Result<String, String>,
    pub elapsed: Duration,
}

impl Probe {
    pub fn is_ok(&self) -> bool {
        self.outcome.is_ok()
    }
}
