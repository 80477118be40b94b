//! The columns a simple query names must exist in the table it reads.

use pipegen_diag::{Diagnostic, did_you_mean};
use pipegen_sql::{column_references, select_aliases, single_source};

use super::catalog::{Catalog, PlacedInsert};
use super::finding_at;

/// Columns every window table function adds.
const WINDOW_COLUMNS: &[&str] = &["window_start", "window_end", "window_time"];

/// Words sqlparser reads as identifiers that are Flink keywords or niladic functions.
const NOT_COLUMNS: &[&str] = &[
    "YEAR",
    "QUARTER",
    "MONTH",
    "WEEK",
    "DAY",
    "HOUR",
    "MINUTE",
    "SECOND",
    "MILLISECOND",
    "MICROSECOND",
    "NANOSECOND",
    "CURRENT_TIMESTAMP",
    "CURRENT_DATE",
    "CURRENT_TIME",
    "CURRENT_ROW_TIMESTAMP",
    "LOCALTIME",
    "LOCALTIMESTAMP",
    "NOW",
];

/// Only queries over one table (directly or through one window) are checked: anything with
/// joins, subqueries or CTEs needs a planner to resolve names, and guessing would mislead.
pub(crate) fn check(catalog: &Catalog<'_>, placed: &PlacedInsert<'_>, findings: &mut Vec<Diagnostic>) {
    let query = &placed.insert.query;
    let Some((source, windowed)) = single_source(query) else {
        return;
    };
    let Some(table) = catalog.table(&source) else { return };
    let mut known: Vec<&str> = table.table.columns.iter().map(|c| c.name.as_str()).collect();
    if windowed {
        known.extend_from_slice(WINDOW_COLUMNS);
    }
    let aliases = select_aliases(query);
    known.extend(aliases.iter().map(String::as_str));
    let source_parts: Vec<&str> = source.split('.').collect();
    for reference in column_references(query) {
        let name = reference.name.as_str();
        let is_known = known.iter().any(|k| k.eq_ignore_ascii_case(name))
            || source_parts.contains(&name)
            || NOT_COLUMNS.iter().any(|k| k.eq_ignore_ascii_case(name));
        if is_known {
            continue;
        }
        let hint = match did_you_mean(name, known.iter().copied()) {
            Some(s) => format!("did you mean `{s}`?"),
            None => format!("`{source}` has {}", known.join(", ")),
        };
        findings.push(
            finding_at(
                placed.file,
                placed.locate(reference.at),
                format!("`{source}` has no column `{name}`"),
            )
            .with_hint(hint),
        );
    }
}
