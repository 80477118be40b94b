//! Event time: watermarks on timestamp columns, windows over time attributes.

use pipegen_diag::Diagnostic;
use pipegen_sql::{ColumnKind, window_tvfs};

use super::catalog::{Catalog, DeclaredTable, PlacedInsert};
use super::finding_at;

/// A watermark must be declared on a TIMESTAMP(3) or TIMESTAMP_LTZ(3) column of the table.
pub(crate) fn check_watermark(declared: &DeclaredTable<'_>, findings: &mut Vec<Diagnostic>) {
    let table = declared.table;
    let Some(watermark) = &table.watermark else {
        return;
    };
    let Some(column) = table.columns.iter().find(|c| c.name == watermark.column) else {
        findings.push(
            finding_at(
                declared.file,
                declared.position,
                format!(
                    "the watermark of `{}` is on `{}`, which is not a column",
                    table.name, watermark.column
                ),
            )
            .with_hint("WATERMARK FOR names one of the table's columns"),
        );
        return;
    };
    let data_type = match &column.kind {
        ColumnKind::Physical(ty) | ColumnKind::Metadata { ty, .. } => ty.to_string(),
        ColumnKind::Computed(_) => return, // its type is the expression's; Flink checks it
    };
    let base = data_type.trim_end_matches(" NOT NULL");
    if base != "TIMESTAMP(3)" && base != "TIMESTAMP_LTZ(3)" {
        findings.push(
            finding_at(
                declared.file,
                column.position,
                format!("the watermark column `{}` is {base}; Flink needs TIMESTAMP(3) or TIMESTAMP_LTZ(3)", column.name),
            )
            .with_hint("declare it TIMESTAMP(3), or add a computed column such as `ts AS TO_TIMESTAMP_LTZ(millis, 3)` and put the watermark on it"),
        );
    }
}

/// Window table functions need a time attribute: a column with a watermark.
pub(crate) fn check_windows(catalog: &Catalog<'_>, placed: &PlacedInsert<'_>, findings: &mut Vec<Diagnostic>) {
    for window in window_tvfs(&placed.insert.query) {
        if let Err(problem) = window.shape() {
            findings.push(
                finding_at(placed.file, placed.position, problem)
                    .with_hint("window sizes are positive day-time intervals, e.g. INTERVAL '1' MINUTE"),
            );
        }
        let Some(table) = catalog.table(&window.table) else {
            continue;
        };
        let on_watermark = table
            .table
            .watermark
            .as_ref()
            .is_some_and(|w| w.column == window.time_column);
        if !on_watermark {
            findings.push(
                finding_at(
                    placed.file,
                    placed.position,
                    format!(
                        "{:?} window on `{}.{}`, which has no watermark",
                        window.kind, window.table, window.time_column
                    ),
                )
                .with_hint(format!(
                    "declare WATERMARK FOR `{}` AS `{}` - INTERVAL '5' SECOND in `{}`",
                    window.time_column, window.time_column, window.table
                )),
            );
        }
    }
}
