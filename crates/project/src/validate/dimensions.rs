//! A dimension table `pipegen run` owns (`dimensions.<table>` in the config) must be one it
//! can fill and clean: a `jdbc` table of the SQL with a one-column PRIMARY KEY, its rows
//! generated from `schemas/<table>.avsc`, which holds the key.

use pipegen_sql::{CreateTable, Statement};

use crate::project::{Project, SCHEMAS_DIR};

/// What is wrong with owning `name`, as a message and a hint; `Ok` when the run can fill it.
pub fn check_dimension(project: &Project, name: &str) -> Result<(), (String, String)> {
    let tables: Vec<&CreateTable> = project
        .sql_files
        .iter()
        .flat_map(|f| &f.parsed.statements)
        .filter_map(|s| match &s.kind {
            Statement::CreateTable(table) => Some(&**table),
            _ => None,
        })
        .collect();
    let jdbc_tables = || {
        let names: Vec<&str> = tables
            .iter()
            .filter(|t| t.connector() == Some("jdbc"))
            .map(|t| t.name.as_str())
            .collect();
        if names.is_empty() {
            "the SQL has no jdbc table to own".to_owned()
        } else {
            format!("jdbc tables: {}", names.join(", "))
        }
    };
    let at = format!("`dimensions.{name}`");
    let Some(table) = tables.iter().find(|t| t.name == name) else {
        return Err((format!("{at}: the SQL declares no table `{name}`"), jdbc_tables()));
    };
    if table.connector() != Some("jdbc") {
        return Err((
            format!(
                "{at}: table `{name}` has connector '{}'; pipegen fills jdbc tables",
                table.connector().unwrap_or("none")
            ),
            jdbc_tables(),
        ));
    }
    let key = match table.primary_key.as_deref() {
        Some([key]) => key,
        _ => {
            return Err((
                format!("{at}: table `{name}` has no one-column PRIMARY KEY"),
                "pipegen fills a table one row per key and removes its rows by key: declare `PRIMARY KEY (id) NOT ENFORCED`".into(),
            ));
        }
    };
    let schema_path = format!("{SCHEMAS_DIR}/{name}.avsc");
    let Some(schema) = project.schema(&schema_path) else {
        return Err((
            format!("{at}: there is no schema to generate its rows from"),
            format!("add {schema_path}, with the key `{key}` and the table's other columns"),
        ));
    };
    let fields = pipegen_schema::flink::flink_columns(&schema.schema).unwrap_or_default();
    if !fields.iter().any(|f| &f.name == key) {
        return Err((
            format!("{at}: {schema_path} has no field `{key}`, the table's key"),
            format!(
                "fields: {}",
                fields.iter().map(|f| f.name.as_str()).collect::<Vec<_>>().join(", ")
            ),
        ));
    }
    Ok(())
}
