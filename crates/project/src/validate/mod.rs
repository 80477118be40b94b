//! `pipegen validate`: cross-checks a parsed project the way Flink would reject it at deploy
//! time, but before anything runs, with the file and line of each finding.

mod catalog;
mod column_names;
mod columns;
mod connectors;
mod dimensions;
mod functions;
mod hints;
mod placeholders;
mod schema_match;
mod time;

use pipegen_diag::{Diagnostic, Position};

pub use dimensions::check_dimension;

use crate::project::{Project, ProjectSql};
use catalog::Catalog;

/// Placeholders pipegen fills in SQL before deploying it.
pub const KNOWN_PLACEHOLDERS: &[&str] = &["BOOTSTRAP_SERVERS", "SCHEMA_REGISTRY_URL", "PROJECT_DIR", "RUN_ID"];

/// Every finding, errors and warnings, in file order.
pub fn check(project: &Project) -> Vec<Diagnostic> {
    let mut findings = Vec::new();
    for file in &project.sql_files {
        placeholders::check(file, &mut findings);
    }
    let catalog = Catalog::build(project, &mut findings);
    let functions = functions::KnownFunctions::of(project);
    for declared in catalog.tables() {
        connectors::check(declared, &mut findings);
        time::check_watermark(declared, &mut findings);
    }
    for insert in catalog.inserts() {
        catalog.check_sources(insert, &mut findings);
        columns::check(&catalog, insert, &mut findings);
        column_names::check(&catalog, insert, &mut findings);
        time::check_windows(&catalog, insert, &mut findings);
        functions::check(&functions, insert, &mut findings);
    }
    hints::check(project, &catalog, &mut findings);
    schema_match::check(project, &catalog, &mut findings);
    findings
}

/// A finding at a place in a SQL file, quoting its line.
pub(crate) fn finding_at(file: &ProjectSql, position: Position, message: impl Into<String>) -> Diagnostic {
    Diagnostic::error(message)
        .in_file(&file.path)
        .at_in(position, &file.text)
}
