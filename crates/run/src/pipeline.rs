//! What a project's SQL asks of a run: the Kafka tables the load generator feeds (with the
//! schema it generates from), the Kafka tables INSERTs write (which the run consumes), and
//! whether results come from windows.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use pipegen_diag::Diagnostic;
use pipegen_project::{LoadedSchema, Project};
use pipegen_sql::{CreateTable, ParsedStatement, Statement, is_kafka, is_pass_through, referenced_tables};

/// One project SQL file with its placeholders filled in, parsed.
pub struct RunSql {
    pub path: PathBuf,
    /// The path as messages show it (relative to the project).
    pub shown: PathBuf,
    /// The text after substitution, which positions refer to.
    pub text: String,
    pub statements: Vec<ParsedStatement>,
}

/// A table the load generator produces into.
pub struct FedTable<'p> {
    pub table: CreateTable,
    pub topic: String,
    pub schema: &'p LoadedSchema,
}

/// A table the pipeline writes and the run reads back.
pub struct SinkTable {
    pub table: CreateTable,
    pub topic: String,
}

pub struct Pipeline<'p> {
    pub fed: Vec<FedTable<'p>>,
    pub sinks: Vec<SinkTable>,
    /// Every Kafka topic the SQL names.
    pub topics: BTreeSet<String>,
    /// Every INSERT writes at most one row per row read, as it arrives: its output can be
    /// counted against the input.
    pub pass_through: bool,
}

/// Fills `${NAME}` placeholders: pipegen's own `values`, else the environment variable of that
/// name; one that neither fills is an error at its line.
pub fn substitute(path: &Path, text: &str, values: &BTreeMap<&str, String>) -> Result<String, Box<Diagnostic>> {
    pipegen_sql::fill_placeholders(text, |name| {
        values
            .get(name)
            .cloned()
            .or_else(|| pipegen_sql::environment_value(name))
    })
    .map_err(|unfilled| {
        Box::new(
            Diagnostic::error(format!("unknown placeholder ${{{}}}", unfilled.name))
                .in_file(path)
                .at_in(unfilled.position, text)
                .with_hint(format!(
                    "pipegen fills {}; any other name is an environment variable's, and `{}` is not set",
                    values
                        .keys()
                        .map(|k| format!("${{{k}}}"))
                        .collect::<Vec<_>>()
                        .join(", "),
                    unfilled.name
                )),
        )
    })
}

/// Every SQL file of the project with `values` filled in, parsed; every problem at once.
pub fn load_sql(project: &Project, values: &BTreeMap<&str, String>) -> Result<Vec<RunSql>, Vec<Diagnostic>> {
    let mut files = Vec::new();
    let mut problems = Vec::new();
    for file in &project.sql_files {
        // The project's paths are as messages show them already.
        let shown = file.path.clone();
        match substitute(&shown, &file.text, values) {
            Ok(text) => match pipegen_sql::parse_file(&shown, &text) {
                Ok(parsed) => files.push(RunSql {
                    path: file.path.clone(),
                    shown,
                    statements: parsed.statements,
                    text,
                }),
                Err(e) => {
                    // A line quoted from the filled-in text shows no environment value (a
                    // password), only its placeholder's name.
                    let mut diagnostic = Diagnostic::from(&e);
                    for (name, _) in pipegen_sql::placeholders(&file.text) {
                        if !values.contains_key(name.as_str())
                            && let Some(value) = pipegen_sql::environment_value(&name).filter(|v| !v.is_empty())
                        {
                            diagnostic.source_line = diagnostic
                                .source_line
                                .map(|line| line.replace(&value, &format!("${{{name}}}")));
                            diagnostic.message = diagnostic.message.replace(&value, &format!("${{{name}}}"));
                        }
                    }
                    problems.push(diagnostic);
                }
            },
            Err(d) => problems.push(*d),
        }
    }
    if problems.is_empty() { Ok(files) } else { Err(problems) }
}

/// Gives every Kafka table's topic the name this run uses for it (per-run names on a shared
/// cluster); returns each run name with the name the SQL declares.
pub fn rename_topics(files: &mut [RunSql], name: impl Fn(&str) -> String) -> BTreeMap<String, String> {
    files
        .iter_mut()
        .flat_map(|f| &mut f.statements)
        .filter_map(|statement| pipegen_sql::rename_topic(statement, |topic| Some(name(topic))))
        .collect()
}

impl<'p> Pipeline<'p> {
    pub fn analyse(project: &'p Project, files: &[RunSql]) -> Result<Self, Vec<Diagnostic>> {
        let mut tables: BTreeMap<String, CreateTable> = BTreeMap::new();
        let mut written = BTreeSet::new();
        let mut read = BTreeSet::new();
        let mut pass_through = true;
        let mut inserts = 0;
        for statement in files.iter().flat_map(|f| &f.statements) {
            match &statement.kind {
                Statement::CreateTable(table) => {
                    tables.insert(table.name.clone(), (**table).clone());
                }
                Statement::Insert(insert) => {
                    inserts += 1;
                    written.insert(insert.target.clone());
                    read.extend(referenced_tables(&insert.query));
                    pass_through &= is_pass_through(&insert.query);
                }
                Statement::StatementSet(set) => {
                    for insert in set {
                        inserts += 1;
                        written.insert(insert.target.clone());
                        read.extend(referenced_tables(&insert.query));
                        pass_through &= is_pass_through(&insert.query);
                    }
                }
                _ => {}
            }
        }
        if inserts == 0 {
            return Err(vec![
                Diagnostic::error("the project's SQL has no INSERT: there is no pipeline to run")
                    .with_hint("add an `INSERT INTO <sink> SELECT ... FROM <source>` statement under sql/"),
            ]);
        }
        let mut topics = BTreeSet::new();
        for table in tables.values().filter(|t| is_kafka(t)) {
            if let Some(topic) = table.topic() {
                topics.insert(topic.to_string());
            }
        }
        let fed_tables: Vec<&CreateTable> = tables
            .values()
            .filter(|t| is_kafka(t) && read.contains(&t.name) && !written.contains(&t.name))
            .collect();
        let mut findings = Vec::new();
        let mut fed = Vec::new();
        let source_names: Vec<&str> = fed_tables.iter().map(|t| t.name.as_str()).collect();
        for table in &fed_tables {
            let own = format!("schemas/{}.avsc", table.name);
            let schema = project.source_schema(&table.name, source_names.iter().copied());
            match (schema, table.topic()) {
                (Some(schema), Some(topic)) => fed.push(FedTable {
                    table: (*table).clone(),
                    topic: topic.to_string(),
                    schema,
                }),
                (None, _) => findings.push(
                    Diagnostic::error(format!(
                        "`pipegen run` produces into `{}`, but there is no schema for it",
                        table.name
                    ))
                    .with_hint(format!("add {own}")),
                ),
                (_, None) => findings.push(Diagnostic::error(format!(
                    "Kafka table `{}` has no 'topic'",
                    table.name
                ))),
            }
        }
        let sinks = tables
            .values()
            .filter(|t| is_kafka(t) && written.contains(&t.name))
            .filter_map(|t| {
                t.topic().map(|topic| SinkTable {
                    table: t.clone(),
                    topic: topic.to_string(),
                })
            })
            .collect();
        if !findings.is_empty() {
            return Err(findings);
        }
        Ok(Self {
            fed,
            sinks,
            topics,
            pass_through,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fills_known_placeholders_and_names_unknown_ones() {
        let values = BTreeMap::from([("A", "1".to_string()), ("B_C", "two".to_string())]);
        let path = Path::new("sql/x.sql");
        assert_eq!(substitute(path, "x ${A} y ${B_C}${A}", &values).unwrap(), "x 1 y two1");
        assert_eq!(
            substitute(path, "cost: $5, ${ not}", &values).unwrap(),
            "cost: $5, ${ not}"
        );
        let err = substitute(path, "line one\n'${NOPE}'", &values).unwrap_err();
        assert!(err.to_string().contains("${NOPE}"), "{err}");
        assert_eq!(err.position.map(|p| p.line), Some(2));
    }
}
