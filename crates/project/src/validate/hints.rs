//! Hints (`/*+ ... */`) as Flink takes them: what it refuses (a hint it does not know, a join
//! hint naming no input), what changes nothing in a streaming job, and the table an OPTIONS
//! hint makes, whose options are checked as declared ones are.

use pipegen_diag::Diagnostic;
use pipegen_sql::{HintTarget, check_hints};

use super::catalog::{Catalog, DeclaredTable};
use super::{connectors, finding_at};
use crate::project::Project;

pub(crate) fn check(project: &Project, catalog: &Catalog<'_>, findings: &mut Vec<Diagnostic>) {
    for file in &project.sql_files {
        for statement in &file.parsed.statements {
            if statement.hints.is_empty() {
                continue;
            }
            let queries = statement.queries();
            for found in check_hints(&statement.hints, queries.iter().copied(), |name| catalog.is_view(name)) {
                let diagnostic = finding_at(file, found.position, found.message).with_hint(found.hint);
                findings.push(if found.error {
                    diagnostic
                } else {
                    diagnostic.into_warning()
                });
            }
            for hint in &statement.hints {
                let HintTarget::Table { name, .. } = &hint.target else {
                    continue;
                };
                if hint.name != "OPTIONS" {
                    continue;
                }
                if catalog.is_view(name) {
                    findings.push(
                        finding_at(
                            file,
                            hint.position,
                            format!("`{name}` is a view: Flink takes OPTIONS hints on tables only"),
                        )
                        .with_hint("put the hint on a table the view reads, inside the view"),
                    );
                    continue;
                }
                let Some(declared) = catalog.table(name) else {
                    continue;
                };
                // What the declared table already gets reported for is not repeated here.
                let mut as_declared = Vec::new();
                connectors::check(declared, &mut as_declared);
                let hinted = declared.table.with_hint_options(hint);
                let mut as_hinted = Vec::new();
                connectors::check(
                    &DeclaredTable {
                        table: &hinted,
                        file,
                        position: hint.position,
                        order: declared.order,
                    },
                    &mut as_hinted,
                );
                findings.extend(
                    as_hinted
                        .into_iter()
                        .filter(|f| !as_declared.iter().any(|d| d.message == f.message)),
                );
            }
        }
    }
}
