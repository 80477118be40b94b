//! The conformance corpus: each case in `tests/conformance/cases` runs on the embedded engine,
//! at parallelism 1 and 2, and must give the table real Flink 2.1 gave for it. The expected
//! results in `tests/conformance/golden` are written by `scripts/flink-goldens.sh`, which runs
//! every case on a Flink cluster; none is written by hand. A case Flink refuses must be refused.
//!
//! A case that reads a `jdbc` table (`${JDBC_URL}`) reads it from a real PostgreSQL started for
//! the run and loaded with `data/dimensions.sql`, as the script loads Flink's. A case whose last
//! statement is an INSERT into a jdbc table gives the table PostgreSQL holds after the job,
//! each column as PostgreSQL's text of it (the table emptied before each run), which is what
//! the golden holds for Flink's run.
//!
//! A case the engine cannot run yet is listed in `tests/conformance/not-yet.txt`: it may be
//! refused before it runs (naming its file and line), fail with an error, or give Flink's
//! table in another changelog mode, but never another table, unless its line says
//! `differs:`: a known wrong result, the first kind of bug to fix. A listed case that gives
//! Flink's result fails this test until it leaves the list.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use datafusion::arrow::record_batch::RecordBatch;
use pipegen_engine::{Changes, Engine, EngineError, RowKind, TableSink};
use pipegen_sql::{Statement, parse_file};
use pipegen_testkit::Postgres;
use serde_json::Value;

fn corpus() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/conformance")
}

/// What Flink gave for a case.
struct Golden {
    /// Set when Flink refused the query.
    error: Option<String>,
    columns: Vec<String>,
    /// Flink's planner's word: the result only grows (`["I"]`) or also updates.
    append_only: bool,
    /// The table the changelog folds into: each row's fields as Flink's SQL client shows
    /// them, with how often the row is there.
    table: BTreeMap<Vec<Option<String>>, usize>,
}

fn read_golden(case: &str) -> Golden {
    let path = corpus().join("golden").join(format!("{case}.json"));
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| {
        panic!(
            "{}: {e}; make it with `scripts/flink-goldens.sh {case}`",
            path.display()
        )
    });
    let json: Value = serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    if let Some(error) = json.get("error").and_then(Value::as_str) {
        return Golden {
            error: Some(error.to_owned()),
            columns: Vec::new(),
            append_only: true,
            table: BTreeMap::new(),
        };
    }
    let columns = json["columns"]
        .as_array()
        .expect("columns")
        .iter()
        .map(|c| c["name"].as_str().expect("a column's name").to_owned())
        .collect();
    let mode: Vec<&str> = json["changelog_mode"]
        .as_array()
        .expect("changelog_mode")
        .iter()
        .map(|m| m.as_str().expect("a row kind"))
        .collect();
    let mut table = BTreeMap::new();
    for change in json["changes"].as_array().expect("changes") {
        let change = change.as_array().expect("a change");
        let kind = change[0].as_str().expect("a change's kind");
        let row: Vec<Option<String>> = change[1..].iter().map(|v| v.as_str().map(str::to_owned)).collect();
        fold(&mut table, row, matches!(kind, "-U" | "-D"), &path);
    }
    Golden {
        error: None,
        columns,
        append_only: mode == ["I"],
        table,
    }
}

/// Applies one change to a materialized table.
fn fold(table: &mut BTreeMap<Vec<Option<String>>, usize>, row: Vec<Option<String>>, retract: bool, from: &Path) {
    if retract {
        match table.get_mut(&row) {
            Some(count) if *count > 1 => *count -= 1,
            Some(_) => {
                table.remove(&row);
            }
            None => panic!("{}: a retraction of a row that is not there: {row:?}", from.display()),
        }
    } else {
        *table.entry(row).or_default() += 1;
    }
}

/// What the engine gave.
enum Outcome {
    Ran {
        columns: Vec<String>,
        updating: bool,
        changes: Vec<Changes>,
    },
    /// An INSERT case's job ran: the table its database holds (PostgreSQL's text of each
    /// value; an INSERT's changelog mode is not compared, the table it leaves is).
    Written {
        columns: Vec<String>,
        rows: Vec<Vec<Option<String>>>,
    },
    /// Refused before running: a construct it does not run (or parse) yet.
    Refused { message: String, located: bool },
    /// Failed otherwise.
    Failed(String),
}

impl Outcome {
    fn of_error(error: EngineError) -> Self {
        match error {
            EngineError::Unsupported { at, .. } => Outcome::Refused {
                located: at.is_some(),
                message: error.to_string(),
            },
            other => Outcome::Failed(other.to_string()),
        }
    }
}

/// Collects a query's changes and whether the engine said its result updates.
#[derive(Clone, Default)]
struct Recorder {
    changes: Arc<Mutex<Vec<Changes>>>,
    updating: Arc<Mutex<bool>>,
}

impl TableSink for Recorder {
    fn write(&mut self, batch: &RecordBatch, kinds: Option<&[RowKind]>) -> Result<(), EngineError> {
        self.changes
            .lock()
            .unwrap()
            .push(Changes::new(batch.clone(), kinds.map(<[RowKind]>::to_vec)));
        Ok(())
    }

    fn begin(&mut self, updating: bool) {
        *self.updating.lock().unwrap() = updating;
    }
}

fn run_case(case: &str, sql: &str, parallelism: usize, database: Option<&Postgres>) -> Outcome {
    let path = corpus().join("cases").join(format!("{case}.sql"));
    let file = match parse_file(&path, sql) {
        Ok(file) => file,
        // A parse error names the file and line.
        Err(error) => {
            return Outcome::Refused {
                message: format!("does not parse: {error}"),
                located: true,
            };
        }
    };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let mut engine = Engine::new(parallelism);
        let recorder = Recorder::default();
        let mut written = None;
        for statement in &file.statements {
            if let Statement::Insert(insert) = &statement.kind {
                let table = jdbc_table_name(&file.statements, &insert.target);
                let db = database.expect("an INSERT case writes a jdbc table");
                db.psql(&format!("TRUNCATE {table}"));
                written = Some((table, insert.target.clone()));
            }
            let result = if matches!(statement.kind, Statement::Query(_)) {
                engine.query_into(statement, Box::new(recorder.clone())).await
            } else {
                engine.execute(statement).await.map(drop)
            };
            if let Err(error) = result {
                return Outcome::of_error(error);
            }
        }
        if let (Some((table, target)), Some(db)) = (written, database) {
            return read_back(db, &table, &file.statements, &target);
        }
        let changes = std::mem::take(&mut *recorder.changes.lock().unwrap());
        // Names are read off the rows (an empty result has none to compare).
        let columns = changes
            .first()
            .map(|c| c.rows.schema().fields().iter().map(|f| f.name().clone()).collect())
            .unwrap_or_default();
        let updating = *recorder.updating.lock().unwrap();
        Outcome::Ran {
            columns,
            updating,
            changes,
        }
    })
}

/// The `'table-name'` of the jdbc table `target` the case declares.
fn jdbc_table_name(statements: &[pipegen_sql::ParsedStatement], target: &str) -> String {
    statements
        .iter()
        .find_map(|s| match &s.kind {
            Statement::CreateTable(table) if table.name == target => table.option("table-name").map(str::to_owned),
            _ => None,
        })
        .unwrap_or_else(|| panic!("an INSERT case writes a jdbc table with a 'table-name'; `{target}` is none"))
}

/// What PostgreSQL holds in `table` after an INSERT case's job: every physical column of the
/// case's `target` as PostgreSQL's text, every row an insertion.
fn read_back(db: &Postgres, table: &str, statements: &[pipegen_sql::ParsedStatement], target: &str) -> Outcome {
    let columns: Vec<String> = statements
        .iter()
        .find_map(|s| match &s.kind {
            Statement::CreateTable(t) if t.name == target => Some(
                t.columns
                    .iter()
                    .filter(|c| matches!(c.kind, pipegen_sql::ColumnKind::Physical(_)))
                    .map(|c| c.name.clone())
                    .collect(),
            ),
            _ => None,
        })
        .unwrap_or_default();
    let texts: Vec<String> = columns.iter().map(|c| format!("\"{c}\"::text")).collect();
    let json = db.psql(&format!(
        "SELECT coalesce(json_agg(json_build_array({})), '[]') FROM {table}",
        texts.join(", ")
    ));
    let rows: Vec<Vec<Option<String>>> = serde_json::from_str(json.trim()).expect("psql's JSON");
    Outcome::Written { columns, rows }
}

fn materialize(changes: &[Changes], from: &Path) -> BTreeMap<Vec<Option<String>>, usize> {
    let mut table = BTreeMap::new();
    for change in changes {
        let rows = pipegen_engine::render::flink_text(std::slice::from_ref(&change.rows)).expect("rows as text");
        for (i, row) in rows.into_iter().enumerate() {
            fold(&mut table, row, change.kind(i).is_retraction(), from);
        }
    }
    table
}

/// The cases the engine refuses for now, with why.
fn not_yet() -> BTreeMap<String, String> {
    let path = corpus().join("not-yet.txt");
    let text = std::fs::read_to_string(&path).unwrap_or_default();
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(|l| match l.split_once(char::is_whitespace) {
            Some((case, why)) => (case.to_owned(), why.trim().to_owned()),
            None => (l.to_owned(), String::new()),
        })
        .collect()
}

/// Differences between two materialized tables, at most a few of each side.
fn diff(expected: &BTreeMap<Vec<Option<String>>, usize>, got: &BTreeMap<Vec<Option<String>>, usize>) -> String {
    let show = |row: &[Option<String>]| {
        row.iter()
            .map(|v| v.as_deref().unwrap_or("NULL"))
            .collect::<Vec<_>>()
            .join(" | ")
    };
    let mut missing = Vec::new();
    for (row, &n) in expected {
        let m = got.get(row).copied().unwrap_or(0);
        if m < n {
            missing.push(format!("  missing x{}: {}", n - m, show(row)));
        }
    }
    let mut extra = Vec::new();
    for (row, &m) in got {
        let n = expected.get(row).copied().unwrap_or(0);
        if m > n {
            extra.push(format!("  extra   x{}: {}", m - n, show(row)));
        }
    }
    // As many of each side as fit, so that a wrong value shows next to the right one.
    let half = if std::env::var_os("PIPEGEN_CONFORMANCE").is_some() {
        20
    } else {
        6
    };
    let total = missing.len() + extra.len();
    let mut lines: Vec<String> = missing
        .into_iter()
        .take(half)
        .chain(extra.into_iter().take(half))
        .collect();
    if total > lines.len() {
        lines.push(format!("  ... {} more", total - lines.len()));
    }
    lines.join("\n")
}

/// How the engine's run of a case compares with Flink's.
enum Verdict {
    /// The same table, columns and changelog mode.
    Same(usize),
    /// The same table, but not the same changelog mode (the engine retracts where Flink's
    /// result only grows, or the reverse): a sink choice differs, not a row.
    OtherMode(String),
    /// Another table: a wrong result.
    OtherTable(String),
}

fn compare(golden: &Golden, columns: &[String], updating: bool, changes: &[Changes], path: &Path) -> Verdict {
    let table = materialize(changes, path);
    if table != golden.table {
        return Verdict::OtherTable(format!(
            "gives another table than Flink ({} rows against Flink's {}):\n{}",
            table.values().sum::<usize>(),
            golden.table.values().sum::<usize>(),
            diff(&golden.table, &table)
        ));
    }
    if !columns.is_empty() && columns != golden.columns {
        return Verdict::OtherTable(format!("columns {columns:?}, Flink's {:?}", golden.columns));
    }
    if updating == golden.append_only {
        return Verdict::OtherMode(format!(
            "the engine calls its result {}, Flink's planner {}",
            if updating { "updating" } else { "append-only" },
            if golden.append_only { "append-only" } else { "updating" }
        ));
    }
    Verdict::Same(table.values().sum())
}

/// Checks one case at one parallelism: `Ok` with what happened, `Err` with why it fails.
///
/// A case listed in not-yet.txt may be refused (naming its file and line), fail with an
/// error, or give Flink's table in another changelog mode; never another table.
fn check(
    case: &str,
    sql: &str,
    golden: &Golden,
    listed: Option<&String>,
    parallelism: usize,
    database: Option<&Postgres>,
) -> Result<String, String> {
    let path = corpus().join("cases").join(format!("{case}.sql"));
    let outcome = run_case(case, sql, parallelism, database);
    if let Some(flink) = &golden.error {
        return match outcome {
            Outcome::Ran { .. } | Outcome::Written { .. } if listed.is_some_and(|r| r.starts_with("differs:")) => {
                Ok(format!("known to differ: runs, but Flink refuses it: {flink}"))
            }
            Outcome::Ran { .. } | Outcome::Written { .. } => Err(format!("runs, but Flink refuses it: {flink}")),
            _ => Ok(format!("refused, as Flink refuses it ({flink})")),
        };
    }
    match (outcome, listed) {
        (
            Outcome::Refused {
                message,
                located: false,
            },
            _,
        ) => Err(format!("refused without naming the file and line: {message}")),
        (Outcome::Refused { message, .. }, Some(_)) => Ok(format!("not yet: {message}")),
        (Outcome::Failed(message), Some(_)) => Ok(format!("not yet (fails): {message}")),
        (Outcome::Refused { message, .. } | Outcome::Failed(message), None) => Err(format!("fails: {message}")),
        (Outcome::Written { columns, rows }, listed) => {
            let mut table = BTreeMap::new();
            for row in rows {
                fold(&mut table, row, false, &path);
            }
            let verdict = if table != golden.table {
                Verdict::OtherTable(format!(
                    "leaves another table than Flink ({} rows against Flink's {}):\n{}",
                    table.values().sum::<usize>(),
                    golden.table.values().sum::<usize>(),
                    diff(&golden.table, &table)
                ))
            } else if columns != golden.columns {
                Verdict::OtherTable(format!("columns {columns:?}, Flink's {:?}", golden.columns))
            } else {
                Verdict::Same(table.values().sum())
            };
            match (verdict, listed) {
                (Verdict::OtherTable(why), Some(reason)) if reason.starts_with("differs:") => {
                    Ok(format!("known to differ: {}", why.lines().next().unwrap_or_default()))
                }
                (Verdict::OtherTable(why), _) => Err(why),
                (Verdict::Same(_), Some(_)) => {
                    Err("gives Flink's result but is listed in not-yet.txt: take it off the list".to_owned())
                }
                (_, _) => Ok(format!("{} rows written, as Flink's", table.values().sum::<usize>())),
            }
        }
        (
            Outcome::Ran {
                columns,
                updating,
                changes,
            },
            listed,
        ) => match (compare(golden, &columns, updating, &changes, &path), listed) {
            (Verdict::OtherTable(why), Some(reason)) if reason.starts_with("differs:") => {
                Ok(format!("known to differ: {}", why.lines().next().unwrap_or_default()))
            }
            (Verdict::OtherTable(why), _) => Err(why),
            (Verdict::Same(_), Some(_)) => {
                Err("gives Flink's result but is listed in not-yet.txt: take it off the list".to_owned())
            }
            (Verdict::Same(rows), None) => Ok(format!("{rows} rows, as Flink's")),
            (Verdict::OtherMode(why), Some(_)) => Ok(format!("not yet: {why}")),
            (Verdict::OtherMode(why), None) => Err(why),
        },
    }
}

#[test]
fn the_engine_gives_flinks_results_for_the_corpus() {
    let cases_dir = corpus().join("cases");
    let data = corpus().join("data");
    let mut cases: Vec<String> = std::fs::read_dir(&cases_dir)
        .map(|entries| {
            entries
                .filter_map(|e| {
                    let path = e.ok()?.path();
                    (path.extension()? == "sql")
                        .then(|| path.file_stem().unwrap_or_default().to_string_lossy().into_owned())
                })
                .collect()
        })
        .unwrap_or_default();
    cases.sort();
    // PIPEGEN_CONFORMANCE=a,b runs only the cases whose names start with a or b.
    if let Ok(only) = std::env::var("PIPEGEN_CONFORMANCE") {
        cases.retain(|case| only.split(',').any(|prefix| case.starts_with(prefix.trim())));
    }
    let listed = not_yet();
    for case in listed.keys() {
        assert!(
            corpus().join("cases").join(format!("{case}.sql")).is_file(),
            "not-yet.txt lists `{case}`, which is no case"
        );
    }
    let mut failures = Vec::new();
    let (mut matched, mut refused, mut differing) = (0, 0, 0);
    // The cases that read a jdbc table share one PostgreSQL, holding data/dimensions.sql.
    let mut database: Option<Postgres> = None;
    for case in &cases {
        let text = std::fs::read_to_string(cases_dir.join(format!("{case}.sql"))).unwrap();
        let mut sql = text.replace("${DATA}", &data.display().to_string());
        if sql.contains("${JDBC_URL}") {
            let db = database.get_or_insert_with(|| {
                let db = Postgres::start();
                db.psql_file(&data.join("dimensions.sql"), &data);
                db
            });
            sql = sql
                .replace("${JDBC_URL}", &db.jdbc_url())
                .replace("${JDBC_USER}", Postgres::USER)
                .replace("${JDBC_PASSWORD}", Postgres::PASSWORD);
        }
        let golden = read_golden(case);
        for parallelism in [1, 2] {
            match check(case, &sql, &golden, listed.get(case), parallelism, database.as_ref()) {
                Ok(note) => {
                    eprintln!("{case} (parallelism {parallelism}): {note}");
                    if parallelism == 1 {
                        if note.starts_with("known to differ") {
                            differing += 1;
                        } else if note.starts_with("not yet") || note.starts_with("refused") {
                            refused += 1;
                        } else {
                            matched += 1;
                        }
                    }
                }
                Err(why) => failures.push(format!("{case} (parallelism {parallelism}): {why}")),
            }
        }
    }
    eprintln!(
        "conformance: {} cases, {matched} as Flink's, {refused} refused (by Flink too, or not yet), \
         {differing} known to differ, {} failing",
        cases.len(),
        failures.len()
    );
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
