//! Running SQL files through the engine and reading results as text rows.

#![allow(dead_code)]

use std::path::Path;

use datafusion::arrow::record_batch::RecordBatch;
use datafusion::arrow::util::display::{ArrayFormatter, FormatOptions};
use pipegen_engine::{Engine, EngineError, InsertOutcome, OperatorSnapshot};
use pipegen_sql::{Statement, parse_file};

/// A two-worker runtime, as the engine runs in `pipegen`.
pub fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap()
}

/// Runs every statement; returns the INSERTs' outcomes.
pub fn run(sql: &str, parallelism: usize) -> Result<Vec<InsertOutcome>, EngineError> {
    let file = parse_file(Path::new("t.sql"), sql).unwrap();
    runtime().block_on(async {
        let mut engine = Engine::new(parallelism);
        let mut outcomes = Vec::new();
        for statement in &file.statements {
            outcomes.extend(engine.execute(statement).await?);
        }
        Ok(outcomes)
    })
}

/// Runs every statement; returns each INSERT's outcome with its stateful operators' counters.
pub fn run_with_operators(
    sql: &str,
    parallelism: usize,
) -> Result<Vec<(InsertOutcome, Vec<OperatorSnapshot>)>, EngineError> {
    let file = parse_file(Path::new("t.sql"), sql).unwrap();
    runtime().block_on(async {
        let mut engine = Engine::new(parallelism);
        let mut outcomes = Vec::new();
        for statement in &file.statements {
            for job in engine.deploy(statement).await? {
                let metrics = job.metrics.clone();
                let outcome = job.wait().await?;
                outcomes.push((outcome, metrics.operators()));
            }
        }
        Ok(outcomes)
    })
}

/// Runs the declarations, then the final query; returns its rows as `a | b | c`, sorted.
/// Runs it twice, with one instance per keyed operator and with three, and checks that
/// `flink.parallelism` changes nothing in the result.
pub fn query(sql: &str) -> Result<Vec<String>, EngineError> {
    let one = query_with(sql, 1);
    let three = query_with(sql, 3);
    match (&one, &three) {
        (Ok(a), Ok(b)) => assert_eq!(a, b, "the result with parallelism 3 differs from parallelism 1"),
        (Err(_), Err(_)) => {}
        _ => panic!("parallelism 1 gave {one:?}, parallelism 3 gave {three:?}"),
    }
    one
}

/// The final query's rows with `parallelism` instances (for results that depend on arrival
/// order, which more source partitions change).
pub fn query_with(sql: &str, parallelism: usize) -> Result<Vec<String>, EngineError> {
    let file = parse_file(Path::new("t.sql"), sql).unwrap();
    runtime().block_on(async {
        let mut engine = Engine::new(parallelism);
        let mut rows = Vec::new();
        for statement in &file.statements {
            if matches!(statement.kind, Statement::Query(_)) {
                rows.extend(text_rows(&pipegen_engine::render::materialize(
                    &engine.query(statement).await?,
                )?));
            } else {
                engine.execute(statement).await?;
            }
        }
        rows.sort();
        Ok(rows)
    })
}

pub fn text_rows(batches: &[RecordBatch]) -> Vec<String> {
    let options = FormatOptions::default().with_null("NULL");
    let mut rows = Vec::new();
    for batch in batches {
        let formatters: Vec<_> = batch
            .columns()
            .iter()
            .map(|c| ArrayFormatter::try_new(c.as_ref(), &options).unwrap())
            .collect();
        for row in 0..batch.num_rows() {
            let fields: Vec<String> = formatters.iter().map(|f| f.value(row).to_string()).collect();
            rows.push(fields.join(" | "));
        }
    }
    rows
}

/// Epoch milliseconds as the engine prints a TIMESTAMP(3): `YYYY-MM-DDTHH:MM:SS[.mmm]`.
pub fn ts(millis: i64) -> String {
    let time = chrono::DateTime::from_timestamp_millis(millis).expect("a representable time");
    if millis.rem_euclid(1000) == 0 {
        time.format("%Y-%m-%dT%H:%M:%S").to_string()
    } else {
        time.format("%Y-%m-%dT%H:%M:%S%.3f").to_string()
    }
}

/// A temporary directory removed on drop.
pub struct Dir(pub std::path::PathBuf);

impl Dir {
    pub fn new(name: &str) -> Self {
        let path = std::env::temp_dir().join(format!("pipegen-engine-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&path);
        std::fs::create_dir_all(&path).unwrap();
        Dir(path)
    }

    pub fn write(&self, name: &str, text: &str) -> String {
        let path = self.0.join(name);
        std::fs::write(&path, text).unwrap();
        path.display().to_string()
    }
}

impl Drop for Dir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}
