//! What a project's SQL asks of a stack: the Kafka topics it names (sized by `kafka.topics`),
//! the connector jars its tables need, its text, and the `${NAME}` placeholders pipegen does
//! not fill itself (credentials and other values from the user's environment).

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;

use pipegen_config::{KeyPath, ResolvedConfig};
use pipegen_diag::{Diagnostic, Position};
use pipegen_project::Project;
use pipegen_sql::Statement;

use crate::jars::{Jar, needed_for};

/// Placeholders pipegen fills itself when it writes a stack.
pub const OWN_PLACEHOLDERS: &[&str] = &["BOOTSTRAP_SERVERS", "SCHEMA_REGISTRY_URL", "RUN_ID", "PROJECT_DIR"];

/// A Kafka topic the SQL names, as `kafka.topics` sizes it.
#[derive(Debug, Clone, PartialEq)]
pub struct Topic {
    pub name: String,
    pub partitions: u32,
    pub replication_factor: u16,
    /// `kafka.topics.config` with the topic's own overrides on top.
    pub config: BTreeMap<String, String>,
    /// The keys that set its partitions and replication factor, for errors at their lines.
    pub partitions_key: KeyPath,
    pub replication_key: KeyPath,
}

/// One SQL file of the project, as written.
#[derive(Debug, Clone)]
pub struct SqlSource {
    /// Relative to the project (as messages show it).
    pub path: PathBuf,
    pub text: String,
}

/// A placeholder of the user's (`${DB_PASSWORD}`), where it is first named.
#[derive(Debug, Clone, PartialEq)]
pub struct UserPlaceholder {
    pub name: String,
    pub file: PathBuf,
    pub position: Position,
}

#[derive(Debug, Clone)]
pub struct Needs {
    pub topics: Vec<Topic>,
    pub jars: Vec<Jar>,
    pub sql: Vec<SqlSource>,
    pub user_placeholders: Vec<UserPlaceholder>,
    /// Where the SQL first names `${PROJECT_DIR}` (a path on this machine), if it does.
    pub project_dir_at: Option<(PathBuf, Position)>,
}

impl Needs {
    /// Reads what the project's SQL asks for; a connector or format no stack can provide is an
    /// error at its option's line.
    pub fn of(project: &Project, resolved: &ResolvedConfig) -> Result<Self, Vec<Diagnostic>> {
        let mut problems = Vec::new();
        let mut topics = BTreeMap::new();
        let mut jars = BTreeSet::new();
        let mut user_placeholders: Vec<UserPlaceholder> = Vec::new();
        let mut project_dir_at = None;
        for file in &project.sql_files {
            for (name, position) in pipegen_sql::placeholders(&file.text) {
                if name == "PROJECT_DIR" {
                    project_dir_at.get_or_insert((file.path.clone(), position));
                } else if !OWN_PLACEHOLDERS.contains(&name.as_str())
                    && !user_placeholders.iter().any(|p| p.name == name)
                {
                    user_placeholders.push(UserPlaceholder {
                        name,
                        file: file.path.clone(),
                        position,
                    });
                }
            }
            for statement in &file.parsed.statements {
                let Statement::CreateTable(table) = &statement.kind else {
                    continue;
                };
                for option in table
                    .options
                    .iter()
                    .filter(|o| matches!(o.key.as_str(), "connector" | "format" | "key.format" | "value.format"))
                {
                    match needed_for(&option.value) {
                        Some(needed) => jars.extend(needed),
                        None => problems.push(
                            Diagnostic::error(format!(
                                "table `{}`: '{}' = '{}' is no connector or format a deployed stack can provide",
                                table.name, option.key, option.value
                            ))
                            .in_file(&file.path)
                            .at(option.position)
                            .with_hint(
                                "deploy targets provide kafka, upsert-kafka, jdbc (PostgreSQL), datagen, print, \
                                 blackhole and filesystem tables in json, csv, raw, avro or avro-confluent",
                            ),
                        ),
                    }
                }
                if matches!(table.connector(), Some("kafka" | "upsert-kafka"))
                    && let Some(name) = table.topic()
                {
                    topics.entry(name.to_owned()).or_insert_with(|| topic(resolved, name));
                }
            }
        }
        if !problems.is_empty() {
            return Err(problems);
        }
        Ok(Self {
            topics: topics.into_values().collect(),
            jars: jars.into_iter().collect(),
            sql: project
                .sql_files
                .iter()
                .map(|f| SqlSource {
                    path: f.path.clone(),
                    text: f.text.clone(),
                })
                .collect(),
            user_placeholders,
            project_dir_at,
        })
    }

    /// The largest replication factor of any topic (at least 1).
    pub fn max_replication(&self) -> u16 {
        self.topics
            .iter()
            .map(|t| t.replication_factor)
            .max()
            .unwrap_or(1)
            .max(1)
    }

    /// The SQL files as one script in execution order, pipegen's placeholders filled by
    /// `value` and the user's left as `${NAME}` for the stack to fill from its secrets.
    pub fn script(&self, value: impl Fn(&str) -> Option<String>) -> String {
        let mut script = String::new();
        for source in &self.sql {
            let filled = pipegen_sql::fill_placeholders(&source.text, |name| {
                value(name).or_else(|| Some(format!("${{{name}}}")))
            })
            .unwrap_or_else(|_| source.text.clone());
            script.push_str(&format!("-- {}\n", source.path.display()));
            script.push_str(filled.trim_end());
            script.push_str("\n\n");
        }
        script
    }
}

/// A topic's size and configs: its override (`kafka.topics.<topic>`) over the `kafka.topics`
/// defaults, as runs and `pipegen deploy` create it.
fn topic(resolved: &ResolvedConfig, name: &str) -> Topic {
    let topics = &resolved.config.kafka.topics;
    let overrides = topics.overrides.get(name);
    let own = |leaf: &str, set: bool| {
        let mut path = KeyPath::parse("kafka.topics");
        if set {
            path.push(name);
        }
        path.push(leaf);
        path
    };
    let mut config: BTreeMap<String, String> = topics.config.0.clone();
    if let Some(o) = overrides {
        config.extend(o.config.0.clone());
    }
    Topic {
        name: name.to_owned(),
        partitions: overrides.and_then(|o| o.partitions).unwrap_or(topics.partitions),
        replication_factor: overrides
            .and_then(|o| o.replication_factor)
            .unwrap_or(topics.replication_factor),
        config,
        partitions_key: own("partitions", overrides.is_some_and(|o| o.partitions.is_some())),
        replication_key: own(
            "replication_factor",
            overrides.is_some_and(|o| o.replication_factor.is_some()),
        ),
    }
}
