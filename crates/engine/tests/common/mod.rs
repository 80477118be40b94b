//! Running SQL files through the engine and reading results as text rows.

#![allow(dead_code)]

use std::path::Path;

use datafusion::arrow::record_batch::RecordBatch;
use datafusion::arrow::util::display::{ArrayFormatter, FormatOptions};
use pipegen_engine::{Engine, EngineError, InsertOutcome};
use pipegen_sql::{Statement, parse_file};

fn runtime() -> tokio::runtime::Runtime {
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

/// Runs the declarations, then the final query; returns its rows as `a | b | c`, sorted.
pub fn query(sql: &str) -> Result<Vec<String>, EngineError> {
    let file = parse_file(Path::new("t.sql"), sql).unwrap();
    runtime().block_on(async {
        let mut engine = Engine::new(1);
        let mut rows = Vec::new();
        for statement in &file.statements {
            if matches!(statement.kind, Statement::Query(_)) {
                rows.extend(text_rows(&engine.query(statement).await?));
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

/// Epoch milliseconds as the engine prints a TIMESTAMP(3).
pub fn ts(millis: i64) -> String {
    let seconds = millis.div_euclid(1000);
    let fraction = millis.rem_euclid(1000);
    let time = chrono_like(seconds);
    if fraction == 0 {
        time
    } else {
        format!("{time}.{fraction:03}")
    }
}

/// `YYYY-MM-DDTHH:MM:SS` for epoch seconds (civil-from-days, proleptic Gregorian).
fn chrono_like(seconds: i64) -> String {
    let days = seconds.div_euclid(86_400);
    let secs = seconds.rem_euclid(86_400);
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}",
        secs / 3600,
        secs % 3600 / 60,
        secs % 60
    )
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
