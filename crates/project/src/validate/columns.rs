//! An INSERT's query must produce as many columns as its target takes, in the same order.

use pipegen_diag::Diagnostic;
use pipegen_sql::{ColumnKind, output_columns};

use super::catalog::{Catalog, PlacedInsert};
use super::finding_at;

pub(crate) fn check(catalog: &Catalog<'_>, placed: &PlacedInsert<'_>, findings: &mut Vec<Diagnostic>) {
    let insert = placed.insert;
    let Some(target) = catalog.table(&insert.target) else {
        return;
    };
    // Flink writes physical columns and persisted (non-virtual) metadata columns.
    let writable: Vec<&str> = target
        .table
        .columns
        .iter()
        .filter(|c| match &c.kind {
            ColumnKind::Physical(_) => true,
            ColumnKind::Metadata { is_virtual, .. } => !is_virtual,
            ColumnKind::Computed(_) => false,
        })
        .map(|c| c.name.as_str())
        .collect();
    let expected: Vec<&str> = match &insert.columns {
        Some(listed) => {
            for name in listed {
                if !writable.contains(&name.as_str()) {
                    findings.push(
                        finding_at(
                            placed.file,
                            placed.position,
                            format!("`{}` has no writable column `{name}`", insert.target),
                        )
                        .with_hint(format!("its columns: {}", writable.join(", "))),
                    );
                }
            }
            listed.iter().map(String::as_str).collect()
        }
        None => writable,
    };
    let Some(produced) = output_columns(&insert.query) else {
        return;
    };
    if produced.len() != expected.len() {
        findings.push(
            finding_at(
                placed.file,
                placed.position,
                format!(
                    "the query produces {} columns but `{}` takes {} ({})",
                    produced.len(),
                    insert.target,
                    expected.len(),
                    expected.join(", ")
                ),
            )
            .with_hint("Flink matches columns by position: select one expression per target column, in order"),
        );
        return;
    }
    for (index, (name, wanted)) in produced.iter().zip(&expected).enumerate() {
        let Some(name) = name else { continue };
        if name == wanted {
            continue;
        }
        // A name that belongs to another target column is almost surely a swap.
        if expected.contains(&name.as_str()) {
            findings.push(
                finding_at(
                    placed.file,
                    placed.position,
                    format!(
                        "column {} of the query is `{name}`, but position {} of `{}` is `{wanted}`",
                        index + 1,
                        index + 1,
                        insert.target
                    ),
                )
                .with_hint(format!(
                    "Flink matches by position: list the columns in the target's order ({})",
                    expected.join(", ")
                )),
            );
        }
    }
}
