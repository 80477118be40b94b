//! A project's SQL files onto Flink through the SQL Gateway: placeholders filled with the
//! addresses the cluster sees, Kafka topics renamed for the run, each statement submitted in
//! file order in one session, the job of every INSERT and STATEMENT SET recorded, and Flink's
//! error shown at the statement's file and line.

use std::collections::BTreeMap;

use pipegen_sql::split_statements;

use crate::gateway::{GatewayError, Session, SqlGateway};

/// One SQL file as the user wrote it.
#[derive(Debug, Clone, Copy)]
pub struct SqlFile<'a> {
    /// The path as messages show it (relative to the project).
    pub shown: &'a str,
    pub text: &'a str,
}

/// What the SQL's placeholders and topics become on the cluster.
#[derive(Debug, Clone, Default)]
pub struct Substitutions {
    /// `${NAME}` -> value, e.g. `BOOTSTRAP_SERVERS` -> the brokers as the TaskManagers reach
    /// them (which may differ from the address pipegen itself uses).
    pub placeholders: BTreeMap<String, String>,
    /// Declared topic -> the topic this run uses.
    pub topics: BTreeMap<String, String>,
}

/// A job a statement started on the cluster.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StartedJob {
    pub job_id: String,
    pub file: String,
    pub line: usize,
    /// The statement's first line, to name it in tables and messages.
    pub statement: String,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DeployError {
    #[error("{file}:{line}:{column}: {what} is never closed")]
    Unclosed {
        file: String,
        line: usize,
        column: usize,
        what: &'static str,
    },
    #[error(
        "{file}:{line}: unknown placeholder ${{{name}}} (pipegen fills {known}; any other name is an environment variable's, and `{name}` is not set)"
    )]
    Placeholder {
        file: String,
        line: usize,
        name: String,
        known: String,
    },
    /// Flink refused or failed the statement; `message` is Flink's root cause.
    #[error("{file}:{line}: Flink rejected `{statement}`: {message}")]
    Statement {
        file: String,
        line: usize,
        statement: String,
        message: String,
    },
    #[error("{file}:{line}: {source}")]
    Gateway {
        file: String,
        line: usize,
        #[source]
        source: GatewayError,
    },
}

/// Fills `${NAME}` placeholders: `placeholders`, else the environment variable of that name.
/// Values hold no line breaks, so lines keep their numbers.
pub fn substitute(file: &str, text: &str, placeholders: &BTreeMap<String, String>) -> Result<String, DeployError> {
    pipegen_sql::fill_placeholders(text, |name| {
        placeholders
            .get(name)
            .cloned()
            .or_else(|| pipegen_sql::environment_value(name))
    })
    .map_err(|unfilled| DeployError::Placeholder {
        file: file.to_owned(),
        line: unfilled.position.line,
        name: unfilled.name,
        known: placeholders
            .keys()
            .map(|k| format!("${{{k}}}"))
            .collect::<Vec<_>>()
            .join(", "),
    })
}

/// Starts a job: INSERT INTO, and statement sets in either spelling.
fn starts_a_job(statement: &str) -> bool {
    let words: Vec<String> = statement
        .split_whitespace()
        .take(3)
        .map(str::to_ascii_uppercase)
        .collect();
    matches!(
        words.iter().map(String::as_str).collect::<Vec<_>>().as_slice(),
        ["INSERT", ..] | ["EXECUTE", "INSERT", ..] | ["EXECUTE", "STATEMENT", "SET"] | ["BEGIN", "STATEMENT", "SET"]
    )
}

/// Submits every statement of `files`, in order, in `session`. Each job started is pushed to
/// `started` as soon as Flink reports it, so a caller can cancel exactly these jobs even when a
/// later statement fails.
pub fn deploy(
    gateway: &SqlGateway,
    session: &Session,
    files: &[SqlFile<'_>],
    substitutions: &Substitutions,
    started: &mut Vec<StartedJob>,
) -> Result<(), DeployError> {
    for file in files {
        let text = substitute(file.shown, file.text, &substitutions.placeholders)?;
        let statements = split_statements(&text).map_err(|e| DeployError::Unclosed {
            file: file.shown.to_owned(),
            line: e.position.line,
            column: e.position.column,
            what: e.what,
        })?;
        for raw in statements {
            let statement = pipegen_sql::rename_topics_in_text(&raw.text, &substitutions.topics);
            // Named by its first line of code: leading comments say what it is for, not where.
            let (skipped, head) = first_code_line(&statement);
            let head = head.to_owned();
            let line = raw.position.line + skipped;
            let result = gateway.execute(session, &statement).map_err(|e| match e {
                GatewayError::Statement { message } => DeployError::Statement {
                    file: file.shown.to_owned(),
                    line,
                    statement: head.clone(),
                    message,
                },
                other => DeployError::Gateway {
                    file: file.shown.to_owned(),
                    line,
                    source: other,
                },
            })?;
            if let Some(job_id) = result.job_id.filter(|_| starts_a_job(&statement)) {
                started.push(StartedJob {
                    job_id,
                    file: file.shown.to_owned(),
                    line,
                    statement: head,
                });
            }
        }
    }
    Ok(())
}

/// The first line of `statement` that is neither blank nor a `--` comment, and how many lines
/// come before it.
fn first_code_line(statement: &str) -> (usize, &str) {
    statement
        .lines()
        .enumerate()
        .map(|(i, line)| (i, line.trim()))
        .find(|(_, line)| !line.is_empty() && !line.starts_with("--"))
        .unwrap_or((0, statement.lines().next().unwrap_or_default().trim()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_statement_is_named_by_its_first_line_of_code() {
        assert_eq!(
            first_code_line("-- what it does\n-- and why\n\nINSERT INTO t\nSELECT 1"),
            (3, "INSERT INTO t")
        );
        assert_eq!(first_code_line("INSERT INTO t"), (0, "INSERT INTO t"));
        assert_eq!(first_code_line("-- only a comment"), (0, "-- only a comment"));
    }

    fn map(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect()
    }

    #[test]
    fn placeholders_are_filled_and_unknown_ones_named_at_their_line() {
        let values = map(&[("BOOTSTRAP_SERVERS", "kafka:9092")]);
        assert_eq!(
            substitute("a.sql", "x '${BOOTSTRAP_SERVERS}' ${ not} $${", &values).unwrap(),
            "x 'kafka:9092' ${ not} $${"
        );
        let err = substitute("sql/a.sql", "SELECT 1;\n\n  '${SCHEMA_REGISTRY}'", &values).unwrap_err();
        assert_eq!(
            err.to_string(),
            "sql/a.sql:3: unknown placeholder ${SCHEMA_REGISTRY} (pipegen fills ${BOOTSTRAP_SERVERS}; any other name is an environment variable's, and `SCHEMA_REGISTRY` is not set)"
        );
    }

    #[test]
    fn inserts_and_statement_sets_start_jobs() {
        assert!(starts_a_job("insert into t select 1"));
        assert!(starts_a_job("EXECUTE STATEMENT SET BEGIN INSERT INTO t SELECT 1; END"));
        assert!(!starts_a_job("CREATE TABLE t (a INT)"));
        assert!(!starts_a_job("SET 'a' = 'b'"));
    }
}
