//! The short dry deploy `init --describe` runs on each draft pipegen's validator accepts: every
//! statement deployed, in file order, on a fresh embedded engine over an empty in-process log
//! and an in-memory schema registry, and the jobs cancelled at once. What the engine refuses to plan goes back to the model like
//! a validator finding. It lives here, not in the AI crate, so that crate needs no engine.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;

use pipegen_ai::DraftCheck;
use pipegen_diag::Diagnostic;
use pipegen_engine::{Engine, EngineError};
use pipegen_log::{EmbeddedLog, TopicSpec};
use pipegen_project::Project;
use pipegen_registry::EmbeddedRegistry;
use pipegen_run::pipeline::{RunSql, load_sql};
use pipegen_sql::Statement;

pub struct EmbeddedDryDeploy {
    runtime: tokio::runtime::Runtime,
}

impl EmbeddedDryDeploy {
    pub fn new() -> std::io::Result<Self> {
        Ok(Self {
            runtime: tokio::runtime::Builder::new_multi_thread()
                .worker_threads(1)
                .enable_all()
                .build()?,
        })
    }
}

impl DraftCheck for EmbeddedDryDeploy {
    fn check(&self, project_dir: &Path) -> Vec<Diagnostic> {
        let project = match Project::load(project_dir) {
            Ok(project) => project,
            Err(problems) => return problems,
        };
        // Sinks register their schemas as they deploy: an in-memory registry on a loopback
        // port takes them, as a run's embedded registry would, and stops with this check.
        let registry = match EmbeddedRegistry::start(([127, 0, 0, 1], 0).into()) {
            Ok(registry) => registry,
            Err(e) => {
                return vec![Diagnostic::error(format!(
                    "cannot start the embedded schema registry: {e}"
                ))];
            }
        };
        let values = BTreeMap::from([
            ("BOOTSTRAP_SERVERS", "embedded".to_owned()),
            ("SCHEMA_REGISTRY_URL", registry.url()),
            ("PROJECT_DIR", project_dir.display().to_string()),
            ("RUN_ID", "dry-deploy".to_owned()),
        ]);
        let files = match load_sql(&project, &values) {
            Ok(files) => files,
            Err(problems) => return problems,
        };
        let tables = || {
            files.iter().flat_map(|f| &f.statements).filter_map(|s| match &s.kind {
                Statement::CreateTable(table) => Some(table),
                _ => None,
            })
        };
        // A jdbc table's database is not there at init: such a draft is left to the validator.
        if tables().any(|t| t.connector() == Some("jdbc")) {
            return Vec::new();
        }
        let log = Arc::new(EmbeddedLog::new());
        for table in tables().filter(|t| matches!(t.connector(), Some("kafka" | "upsert-kafka"))) {
            if let Some(topic) = table.topic()
                && !log.topics().iter().any(|t| t.name == topic)
            {
                let _ = log.create_topic(TopicSpec::new(topic, 1));
            }
        }
        self.runtime.block_on(deploy_all(&files, log))
    }
}

async fn deploy_all(files: &[RunSql], log: Arc<EmbeddedLog>) -> Vec<Diagnostic> {
    let mut engine = Engine::new(1).with_log(log);
    let mut jobs = Vec::new();
    let mut findings = Vec::new();
    'files: for file in files {
        for statement in &file.statements {
            match engine.deploy(statement).await {
                Ok(started) => jobs.extend(started),
                Err(e) => {
                    findings.push(refusal(&e, file, statement.position));
                    break 'files;
                }
            }
        }
    }
    for job in &jobs {
        job.cancel();
    }
    findings
}

fn refusal(error: &EngineError, file: &RunSql, statement: pipegen_diag::Position) -> Diagnostic {
    let at = match error {
        EngineError::Unsupported { at: Some(at), .. } => *at,
        _ => statement,
    };
    Diagnostic::error(format!("the embedded engine refuses this statement: {error}"))
        .in_file(&file.shown)
        .at_in(at, &file.text)
        .with_hint(
            error
                .hint()
                .unwrap_or("use the Flink SQL the embedded engine runs (see pipegen's README)"),
        )
}
