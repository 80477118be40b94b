//! The dimension tables a run owns (`dimensions.<table>` in the config): each filled before the
//! load with one generated row per key (the keys the streams that reference it draw from), and
//! what the run made removed at cleanup.

use pipegen_config::{KeyPath, ResolvedConfig};
use pipegen_diag::Diagnostic;
use pipegen_engine::OwnedTable;
use pipegen_loadgen::{Format, GeneratorOptions, RecordGenerator, References};
use pipegen_project::Project;
use pipegen_sql::{CreateTable, Statement};
use serde::Serialize;

use crate::error::RunError;
use crate::pipeline::RunSql;

/// Rows sent to the database in one statement.
const INSERT_CHUNK: usize = 1000;

/// What the run made in one dimension table (in the JSON result).
#[derive(Debug, Clone, Serialize)]
pub struct DimensionRow {
    pub table: String,
    /// Whether the run created the table (and drops it at cleanup).
    pub created: bool,
    /// Rows the run inserted (a key the table held already keeps its row).
    pub rows_inserted: u64,
}

/// The dimension tables a run has filled so far: what cleanup removes.
#[derive(Debug, Default)]
pub(crate) struct OwnedDimensions {
    tables: Vec<OwnedTable>,
}

impl OwnedDimensions {
    /// Fills every table the config says the run owns; a table is kept for cleanup as soon as
    /// it is opened, so a failure halfway still removes what was made.
    pub(crate) async fn fill(
        &mut self,
        resolved: &ResolvedConfig,
        project: &Project,
        files: &[RunSql],
        references: &References,
        run_seed: u64,
    ) -> Result<(), RunError> {
        for (name, dimension) in &resolved.config.dimensions {
            // Problems of the config's entry are shown where it was set.
            let key: KeyPath = ["dimensions", name.as_str()].into_iter().collect();
            let input = |message: String, hint: String| RunError::Input(vec![resolved.error_at(&key, message, hint)]);
            pipegen_project::validate::check_dimension(project, name)
                .map_err(|(message, hint)| input(message, hint))?;
            let schema_path = format!("schemas/{name}.avsc");
            let (Some(table), Some(schema)) = (owned_table(name, files), project.schema(&schema_path)) else {
                continue; // as checked
            };
            let Some([key]) = table.primary_key.as_deref() else {
                continue;
            };
            let at_schema = |e: pipegen_loadgen::GeneratorError| {
                RunError::Input(vec![
                    Diagnostic::error(e.message).in_file(&schema.path).with_hint(e.hint),
                ])
            };
            let keys = references.members(&format!("{name}.{key}")).map_err(at_schema)?;
            if let Some(rows) = dimension.rows
                && rows != keys.len() as u64
            {
                return Err(input(
                    format!(
                        "`dimensions.{name}.rows` is {rows}, but the key `{key}` in {schema_path} takes {} values",
                        keys.len()
                    ),
                    "the rows are one per key: drop `rows`, or make the key a sequence (its `iteration`, or the first field without hints)".into(),
                ));
            }
            let mut generator = RecordGenerator::new(
                schema.schema.text(),
                Format::Json,
                GeneratorOptions {
                    seed: pipegen_loadgen::table_seed(run_seed, name),
                    shared_seed: run_seed,
                    given_field: Some(key.clone()),
                    references: references.clone(),
                    key_field: None,
                },
            )
            .map_err(at_schema)?;
            let owned = OwnedTable::open(table)
                .await
                .map_err(|e| RunError::Unavailable(e.to_string()))?;
            self.tables.push(owned);
            let Some(owned) = self.tables.last_mut() else { continue };
            let now = chrono::Utc::now().timestamp_micros();
            let (mut record_key, mut value) = (Vec::new(), Vec::new());
            for chunk in keys.chunks(INSERT_CHUNK) {
                let mut rows = Vec::with_capacity(chunk.len() * 128);
                rows.push(b'[');
                for (i, key) in chunk.iter().enumerate() {
                    if i > 0 {
                        rows.push(b',');
                    }
                    generator.next_given(key, now, &mut record_key, &mut value);
                    rows.extend_from_slice(&value);
                }
                rows.push(b']');
                let rows = String::from_utf8_lossy(&rows);
                owned
                    .insert_json(&rows)
                    .await
                    .map_err(|e| RunError::Unavailable(e.to_string()))?;
            }
            tracing::info!(
                table = name,
                created = owned.created(),
                rows = owned.inserted(),
                "filled a dimension table"
            );
        }
        Ok(())
    }

    /// What the run made, per table.
    pub(crate) fn rows(&self) -> Vec<DimensionRow> {
        self.tables
            .iter()
            .map(|t| DimensionRow {
                table: t.name().to_owned(),
                created: t.created(),
                rows_inserted: t.inserted(),
            })
            .collect()
    }

    /// Removes what the run made; each failure as an error of the run.
    pub(crate) async fn remove(&mut self) -> Vec<String> {
        let mut errors = Vec::new();
        for table in self.tables.drain(..) {
            match table.remove().await {
                Ok(what) => tracing::info!("{what}"),
                Err(e) => errors.push(format!("cleanup: {e}")),
            }
        }
        errors
    }
}

/// The run's own `CREATE TABLE name` (with its placeholders filled).
fn owned_table<'f>(name: &str, files: &'f [RunSql]) -> Option<&'f CreateTable> {
    files.iter().flat_map(|f| &f.statements).find_map(|s| match &s.kind {
        Statement::CreateTable(table) if table.name == name => Some(&**table),
        _ => None,
    })
}
