//! The tables `pipegen run` produces into must agree with the AVRO schema it generates from.

use std::collections::HashMap;

use pipegen_diag::Diagnostic;
use pipegen_sql::{ColumnKind, FlinkType};

use super::catalog::Catalog;
use super::finding_at;
use crate::project::{INPUT_SCHEMA, Project};

/// Source tables on Kafka are fed by the generator: from `schemas/<table>.avsc`, or from
/// `schemas/input.avsc` when there is one such table.
pub(crate) fn check(project: &Project, catalog: &Catalog<'_>, findings: &mut Vec<Diagnostic>) {
    let fed: Vec<_> = catalog
        .source_tables()
        .into_iter()
        .filter(|t| matches!(t.table.connector(), Some("kafka" | "upsert-kafka")))
        .collect();
    let source_names: Vec<&str> = fed.iter().map(|t| t.table.name.as_str()).collect();
    for declared in &fed {
        let own = format!("schemas/{}.avsc", declared.table.name);
        let schema = project.source_schema(&declared.table.name, source_names.iter().copied());
        let Some(schema) = schema else {
            findings.push(
                finding_at(
                    declared.file,
                    declared.position,
                    format!(
                        "`pipegen run` produces into `{}`, but there is no schema for it",
                        declared.table.name
                    ),
                )
                .with_hint(format!(
                    "add {own}{}",
                    if fed.len() == 1 {
                        format!(" or {INPUT_SCHEMA}")
                    } else {
                        String::new()
                    }
                )),
            );
            continue;
        };
        let schema_columns = match pipegen_schema::flink::flink_columns(&schema.schema) {
            Ok(columns) => columns,
            Err(e) => {
                findings.push(Diagnostic::from(&e));
                continue;
            }
        };
        let by_name: HashMap<&str, _> = schema_columns.iter().map(|c| (c.name.as_str(), c)).collect();
        let shown = schema.path.display();
        for column in &declared.table.columns {
            let ColumnKind::Physical(ty) = &column.kind else {
                continue;
            };
            let Some(field) = by_name.get(column.name.as_str()) else {
                findings.push(
                    finding_at(
                        declared.file,
                        column.position,
                        format!("column `{}` is not a field of {shown}", column.name),
                    )
                    .with_hint(format!(
                        "fields of {shown}: {}",
                        schema_columns
                            .iter()
                            .map(|c| c.name.as_str())
                            .collect::<Vec<_>>()
                            .join(", ")
                    )),
                );
                continue;
            };
            let expected: Option<FlinkType> = field.data_type.parse().ok();
            let same_type = expected.as_ref().is_some_and(|e| same_kind(e, ty));
            if !same_type {
                findings.push(
                    finding_at(
                        declared.file,
                        column.position,
                        format!(
                            "column `{}` is {} but {shown} makes it {}",
                            column.name,
                            bare(ty),
                            field.data_type
                        ),
                    )
                    .with_hint(format!("declare `{}` {}", column.name, field.data_type)),
                );
            } else if !ty.nullable && field.nullable {
                findings.push(
                    finding_at(
                        declared.file,
                        column.position,
                        format!("column `{}` is NOT NULL but {shown} allows null", column.name),
                    )
                    .with_hint("drop NOT NULL, or make the AVRO field non-nullable"),
                );
            }
        }
    }
}

fn bare(ty: &FlinkType) -> String {
    ty.to_string().trim_end_matches(" NOT NULL").to_owned()
}

/// Equal types, ignoring the top-level nullability (checked separately).
fn same_kind(a: &FlinkType, b: &FlinkType) -> bool {
    bare(a) == bare(b)
}
