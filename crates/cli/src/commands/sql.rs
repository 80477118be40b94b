//! `pipegen sql`: Flink SQL statements run by the embedded engine, from a file, from standard
//! input, or typed at a prompt (a statement ends with `;`). Queries print their final rows as a
//! table, JSON lines or a changelog; over bounded sources they end when the input ends, after
//! firing the remaining windows as Flink does at end of input.

use std::io::IsTerminal;
use std::path::{Path, PathBuf};

use pipegen_config::FlagValue;
use pipegen_diag::Diagnostic;
use pipegen_diag::input;
use pipegen_engine::{Engine, EngineError, ResultFormat, ResultPrinter};
use pipegen_sql::{ParsedStatement, Statement, parse_file};
use rustyline::DefaultEditor;
use rustyline::error::ReadlineError;

use crate::cli::{GlobalArgs, SqlArgs, SqlFormat};
use crate::context::load_config;
use crate::failure::{CommandResult, Failure};

pub fn run(global: &GlobalArgs, args: SqlArgs) -> CommandResult {
    let flags = args
        .memory_budget
        .iter()
        .map(|size| FlagValue::new("embedded.memory_budget", size.as_str(), "--memory-budget"))
        .collect();
    let resolved = load_config(global, flags)?;
    let parallelism = resolved.config.flink.parallelism.max(1) as usize;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(|e| Failure::Failed(vec![Diagnostic::error(format!("cannot start the runtime: {e}"))]))?;
    let mut engine = Engine::new(parallelism).with_memory_budget(resolved.config.embedded.memory_budget.bytes());
    match &args.file {
        Some(path) => {
            let text = input::read_text(path, input::SQL).map_err(|e| Failure::input(&e))?;
            run_text(&runtime, &mut engine, path, &text, args.format)
        }
        None if !std::io::stdin().is_terminal() => {
            let stdin = Path::new("<stdin>");
            let text =
                input::read_stream(std::io::stdin().lock(), stdin, input::SQL).map_err(|e| Failure::input(&e))?;
            run_text(&runtime, &mut engine, stdin, &text, args.format)
        }
        None => prompt(&runtime, &mut engine, args.format),
    }
}

fn run_text(
    runtime: &tokio::runtime::Runtime,
    engine: &mut Engine,
    path: &Path,
    text: &str,
    format: SqlFormat,
) -> CommandResult {
    let file = parse_file(path, text).map_err(|e| Failure::input(Diagnostic::from(&e)))?;
    for statement in &file.statements {
        runtime
            .block_on(run_statement(engine, statement, format))
            .map_err(|e| Failure::Input(vec![diagnostic(&e, path, text, statement)]))?;
    }
    Ok(())
}

async fn run_statement(engine: &mut Engine, statement: &ParsedStatement, format: SqlFormat) -> Result<(), EngineError> {
    if matches!(statement.kind, Statement::Query(_)) {
        let format = match format {
            SqlFormat::Table => ResultFormat::Table,
            SqlFormat::Json => ResultFormat::Json,
            SqlFormat::Changelog => ResultFormat::Changelog,
        };
        let printer = ResultPrinter::new(format, Box::new(std::io::stdout()));
        return engine.query_into(statement, Box::new(printer)).await;
    }
    for outcome in engine.execute(statement).await? {
        eprintln!(
            "{} rows written{}",
            outcome.rows_out,
            if outcome.late_records_dropped > 0 {
                format!(", {} late rows dropped", outcome.late_records_dropped)
            } else {
                String::new()
            }
        );
    }
    Ok(())
}

fn diagnostic(error: &EngineError, path: &Path, text: &str, statement: &ParsedStatement) -> Diagnostic {
    let at = match error {
        EngineError::Unsupported { at: Some(at), .. } => *at,
        _ => statement.position,
    };
    let d = Diagnostic::error(error.to_string()).in_file(path).at_in(at, text);
    match error.hint() {
        Some(hint) => d.with_hint(hint),
        None => d.with_hint("check the statement against Flink SQL"),
    }
}

/// Where the prompt keeps what was typed, across sessions (as psql keeps `~/.psql_history`).
const HISTORY_FILE: &str = ".pipegen_sql_history";

/// Reads statements at a prompt until Ctrl-D, with line editing and history (the arrow keys
/// recall earlier statements, also from earlier sessions); an error is shown and the prompt goes
/// on; Ctrl-C drops the statement being typed.
fn prompt(runtime: &tokio::runtime::Runtime, engine: &mut Engine, format: SqlFormat) -> CommandResult {
    eprintln!("pipegen sql: Flink SQL on the embedded engine. End each statement with `;`, Ctrl-D to leave.");
    let mut editor = DefaultEditor::new()
        .map_err(|e| Failure::Failed(vec![Diagnostic::error(format!("cannot open the terminal: {e}"))]))?;
    let history = std::env::var_os("HOME").map(|home| PathBuf::from(home).join(HISTORY_FILE));
    if let Some(path) = &history {
        // A first session has no history yet.
        let _ = editor.load_history(path);
    }
    let mut buffer = String::new();
    let mut number = 0;
    loop {
        let line = match editor.readline(if buffer.is_empty() { "pipegen> " } else { "       > " }) {
            Ok(line) => line,
            Err(ReadlineError::Interrupted) => {
                buffer.clear();
                continue;
            }
            Err(ReadlineError::Eof) => break,
            Err(e) => {
                eprintln!("error: reading the terminal: {e}");
                break;
            }
        };
        if !buffer.is_empty() {
            buffer.push('\n');
        }
        buffer.push_str(&line);
        if !line.trim_end().ends_with(';') {
            continue;
        }
        let _ = editor.add_history_entry(buffer.trim());
        number += 1;
        let path = PathBuf::from(format!("<statement {number}>"));
        if let Err(failure) = run_text(runtime, engine, &path, &buffer, format) {
            failure.report();
        }
        buffer.clear();
    }
    if let Some(path) = &history
        && let Err(e) = editor.save_history(path)
    {
        eprintln!("warning: cannot save the history to {}: {e}", path.display());
    }
    Ok(())
}
