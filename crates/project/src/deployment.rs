//! What `pipegen deploy` put on the clusters, recorded in the project so that `pipegen clean`
//! removes exactly that and `pipegen check` can say whether it still runs.

use std::path::Path;

use pipegen_diag::Diagnostic;
use serde::{Deserialize, Serialize};

/// Where a project records its deployment, relative to the project directory.
pub const RECORD_PATH: &str = ".pipegen/deployment.json";

/// What a deployment made, for `pipegen clean` to remove.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DeploymentRecord {
    pub deployed_at: String,
    pub flink_url: String,
    pub bootstrap_servers: String,
    pub schema_registry_url: Option<String>,
    pub jobs: Vec<DeployedJob>,
    /// Topics the deployment created (cleaned up) and those it found (left alone).
    pub topics_created: Vec<String>,
    pub topics_existing: Vec<String>,
    /// Subjects of the deployment's topics that existed before it: every other subject of
    /// those topics (including the ones Flink's sinks register later) is the deployment's.
    pub subjects_existing: Vec<String>,
    /// Subjects the deployment registered under other names (the record-name strategy).
    pub subjects_registered: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DeployedJob {
    pub job_id: String,
    pub file: String,
    pub line: usize,
    pub statement: String,
}

/// The deployment recorded in the project at `root`, if it has one.
pub fn read_deployment(root: &Path) -> Result<Option<DeploymentRecord>, Box<Diagnostic>> {
    let path = root.join(RECORD_PATH);
    match pipegen_diag::input::read_text(&path, pipegen_diag::input::RECORD) {
        Ok(text) => serde_json::from_str(&text).map(Some).map_err(|e| {
            Box::new(
                Diagnostic::error(format!("{}: not a deployment record: {e}", path.display()))
                    .with_hint("it is written by `pipegen deploy`; remove it if the deployment is gone"),
            )
        }),
        Err(e) if e.is_not_found() => Ok(None),
        Err(e) => Err(Box::new(Diagnostic::from(&e))),
    }
}
