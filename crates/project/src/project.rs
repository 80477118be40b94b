//! A project on disk: its SQL files in execution order and its AVRO schemas, parsed.

use std::fs;
use std::path::{Path, PathBuf};

use pipegen_diag::Diagnostic;
use pipegen_diag::input::{self, Kind};
use pipegen_schema::avro::AvroSchema;
use pipegen_sql::SqlFile;

pub const SQL_DIR: &str = "sql";
pub const SCHEMAS_DIR: &str = "schemas";
pub const DATA_DIR: &str = "data";
/// The schema of the records `pipegen run` produces into a project's source table.
pub const INPUT_SCHEMA: &str = "schemas/input.avsc";

#[derive(Debug)]
pub struct Project {
    pub root: PathBuf,
    /// In execution order (file name order), as Flink's SQL client would run them.
    pub sql_files: Vec<ProjectSql>,
    pub schemas: Vec<LoadedSchema>,
}

#[derive(Debug)]
pub struct ProjectSql {
    /// As shown in messages (see [`shown_path`]).
    pub path: PathBuf,
    pub text: String,
    pub parsed: SqlFile,
}

#[derive(Debug)]
pub struct LoadedSchema {
    /// Relative to the project root, e.g. `schemas/input.avsc`.
    pub path: PathBuf,
    pub schema: AvroSchema,
}

impl Project {
    /// Reads and parses every SQL file and schema. Problems that make the project unusable
    /// (unreadable files, syntax errors) come back together, each with its file and line.
    pub fn load(root: &Path) -> Result<Project, Vec<Diagnostic>> {
        if !root.is_dir() {
            return Err(vec![
                Diagnostic::error(format!("{} is not a directory", root.display())).with_hint(
                    "pass the project's directory with --project-dir, or create one with `pipegen init NAME`",
                ),
            ]);
        }
        let mut problems = Vec::new();
        let sql_paths = list_files(root, SQL_DIR, "sql", &mut problems);
        if sql_paths.is_empty() && problems.is_empty() {
            problems.push(
                Diagnostic::error(format!("no SQL files in {}", root.join(SQL_DIR).display())).with_hint(
                    "a project keeps its Flink SQL in sql/*.sql, run in name order (`pipegen init` makes one)",
                ),
            );
        }
        let mut sql_files = Vec::new();
        for relative in sql_paths {
            let Some(text) = read(root, &relative, input::SQL, &mut problems) else {
                continue;
            };
            let path = shown_path(root, &relative);
            match pipegen_sql::parse_file_all(&path, &text) {
                Ok(parsed) => sql_files.push(ProjectSql { path, text, parsed }),
                Err(errors) => problems.extend(errors.iter().map(Diagnostic::from)),
            }
        }
        let mut schemas = Vec::new();
        for relative in list_files(root, SCHEMAS_DIR, "avsc", &mut problems) {
            let Some(text) = read(root, &relative, input::SCHEMA, &mut problems) else {
                continue;
            };
            match pipegen_schema::avro::parse_schema(&shown_path(root, &relative), &text) {
                Ok(schema) => schemas.push(LoadedSchema { path: relative, schema }),
                Err(e) => problems.push(Diagnostic::from(&e)),
            }
        }
        if problems.is_empty() {
            Ok(Project {
                root: root.to_path_buf(),
                sql_files,
                schemas,
            })
        } else {
            Err(problems)
        }
    }

    pub fn schema(&self, relative: &str) -> Option<&LoadedSchema> {
        self.schemas.iter().find(|s| s.path == Path::new(relative))
    }

    /// The schema `pipegen run` generates source table `table` from: `schemas/<table>.avsc`,
    /// else the input schema when `table` is the one of the generated `sources` without a
    /// schema of its own.
    pub fn source_schema<'s>(&self, table: &str, sources: impl IntoIterator<Item = &'s str>) -> Option<&LoadedSchema> {
        let own = |name: &str| self.schema(&format!("{SCHEMAS_DIR}/{name}.avsc"));
        own(table).or_else(|| {
            let without_own = sources.into_iter().filter(|s| own(s).is_none()).count();
            (without_own == 1).then(|| self.schema(INPUT_SCHEMA)).flatten()
        })
    }

    pub fn statement_count(&self) -> usize {
        self.sql_files.iter().map(|f| f.parsed.statements.len()).sum()
    }
}

/// How a project file is named in messages: as the user would open it from where they are.
pub fn shown_path(root: &Path, relative: &Path) -> PathBuf {
    if root == Path::new(".") || root.as_os_str().is_empty() {
        relative.to_path_buf()
    } else {
        root.join(relative)
    }
}

/// Entries named `*.extension` directly in `root/dir` (hidden ones left out, as a shell's `*`
/// does: editors keep lock files there), sorted by name, as paths relative to `root`. Whatever
/// is not a readable file among them (a directory, a device, a dangling link) is refused when
/// read rather than skipped, so no statement goes missing silently.
fn list_files(root: &Path, dir: &str, extension: &str, problems: &mut Vec<Diagnostic>) -> Vec<PathBuf> {
    let entries = match fs::read_dir(root.join(dir)) {
        Ok(entries) => entries,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Vec::new(),
        Err(e) => {
            problems.push(Diagnostic::error(format!(
                "cannot read {}: {e}",
                root.join(dir).display()
            )));
            return Vec::new();
        }
    };
    let mut files: Vec<PathBuf> = entries
        .filter_map(Result::ok)
        .map(|entry| entry.path())
        .filter(|path| path.extension().is_some_and(|e| e == extension))
        .filter(|path| path.file_name().is_some_and(|n| !n.to_string_lossy().starts_with('.')))
        .filter_map(|path| path.file_name().map(|name| Path::new(dir).join(name)))
        .collect();
    files.sort();
    files
}

fn read(root: &Path, relative: &Path, kind: Kind, problems: &mut Vec<Diagnostic>) -> Option<String> {
    input::read_text(&shown_path(root, relative), kind)
        .map_err(|e| problems.push(Diagnostic::from(&e)))
        .ok()
}
