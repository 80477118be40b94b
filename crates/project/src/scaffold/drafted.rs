//! A project whose schemas and SQL were drafted elsewhere (by `init --describe`'s assistant):
//! they are written as given, into the file names every pipegen project has, with the config,
//! monitoring and README pipegen writes itself. Nothing in a draft names a file.

use std::path::Path;

use pipegen_schema::csv::CsvInference;
use pipegen_sql::Statement;

use super::{
    Blueprint, InitError, InitOutcome, Parts, commit, csv_variant, default_blueprint, schema_variant, stage,
    target_name,
};
use crate::name::ProjectName;

/// Where a draft's output schema goes.
pub const OUTPUT_SCHEMA: &str = "schemas/output.avsc";

/// The parts of a project a draft supplies, each already placed in its role.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct DraftFiles {
    /// What the pipeline does, in a sentence or two (the README's "What it does").
    pub summary: String,
    /// AVRO schema of the input records (JSON text).
    pub input_schema: String,
    /// AVRO schema of the output records, if the draft gives one.
    pub output_schema: Option<String>,
    /// `sql/01_source.sql`: the source table.
    pub source_sql: String,
    /// `sql/02_sink.sql`: the sink table.
    pub sink_sql: String,
    /// `sql/03_pipeline.sql`: the `INSERT INTO ... SELECT`.
    pub pipeline_sql: String,
    /// Notes for the README (optimisations, assumptions).
    pub notes: Vec<String>,
}

/// What pipegen derives from the user's own input (`--input-schema` or `--input-csv`), for a
/// draft to build on: the schema kept verbatim (or inferred), the source table `init` would
/// write, and for a CSV file the data copy and a profile of its columns.
pub struct Grounding {
    blueprint: Blueprint,
    csv: Option<CsvInference>,
}

impl std::fmt::Debug for Grounding {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Grounding")
            .field("origin", &self.blueprint.origin)
            .field("source_table", &self.blueprint.source.name)
            .finish_non_exhaustive()
    }
}

impl Grounding {
    /// The input schema the project must use, as its file will hold it.
    pub fn input_schema(&self) -> &str {
        &self.blueprint.schema_json
    }

    /// The source table `init` writes for this input.
    pub fn source_sql(&self) -> String {
        self.blueprint.source.render()
    }

    pub fn source_table(&self) -> &str {
        &self.blueprint.source.name
    }

    /// Where the input came from ("from the CSV file data.csv").
    pub fn origin(&self) -> &str {
        &self.blueprint.origin
    }

    /// The columns inferred from a CSV file, with their sampled values.
    pub fn csv_profile(&self) -> Option<&CsvInference> {
        self.csv.as_ref()
    }

    /// What `init` says about the input (rows read, fallbacks taken).
    pub fn notes(&self) -> &[String] {
        &self.blueprint.notes
    }
}

/// The default template's project as a draft: an example of the shape that validates.
pub fn example() -> DraftFiles {
    let name = ProjectName::parse("example").unwrap_or_else(|_| unreachable!("`example` is a valid name"));
    match default_blueprint(&name) {
        Ok(blueprint) => DraftFiles {
            summary: blueprint.pipeline_summary.clone(),
            input_schema: blueprint.schema_json.clone(),
            output_schema: None,
            source_sql: blueprint.source.render(),
            sink_sql: blueprint.sink.sql.clone(),
            pipeline_sql: blueprint.pipeline_sql.clone(),
            notes: Vec::new(),
        },
        Err(_) => DraftFiles::default(),
    }
}

/// The grounding for a project at `target` from the user's input, if they gave any.
pub fn ground(
    target: &Path,
    input_schema: Option<&Path>,
    input_csv: Option<&Path>,
) -> Result<Option<Grounding>, InitError> {
    let name = ProjectName::parse(
        &target
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default(),
    )?;
    match (input_schema, input_csv) {
        (Some(schema), _) => Ok(Some(Grounding {
            blueprint: schema_variant::blueprint(&name, schema)?,
            csv: None,
        })),
        (None, Some(csv)) => Ok(Some(Grounding {
            blueprint: csv_variant::blueprint(&name, csv)?,
            csv: Some(
                pipegen_schema::csv::infer_csv(csv)
                    .map_err(|e| InitError::Input(Box::new(pipegen_diag::Diagnostic::from(&e))))?,
            ),
        })),
        (None, None) => Ok(None),
    }
}

/// Writes a drafted project at `target`, atomically as `init` writes (all files or none;
/// `force` replaces generated files in an existing directory and keeps the others). With a
/// grounding, its input schema replaces the draft's, and a CSV file is copied to `data/`.
pub fn write_drafted(
    target: &Path,
    force: bool,
    origin: &str,
    grounding: Option<&Grounding>,
    draft: &DraftFiles,
) -> Result<InitOutcome, InitError> {
    let name = target_name(target, force)?;
    let source = table_in(&draft.source_sql);
    let sink = table_in(&draft.sink_sql);
    let mut notes = grounding.map(|g| g.blueprint.notes.clone()).unwrap_or_default();
    notes.extend(draft.notes.iter().cloned());
    let parts = Parts {
        origin,
        config: grounding.map_or("", |g| g.blueprint.config.as_str()),
        schema_json: grounding.map_or(draft.input_schema.as_str(), Grounding::input_schema),
        output_schema: draft.output_schema.as_deref(),
        source_table: source.as_ref().map(|t| t.0.as_str()),
        source_sql: draft.source_sql.clone(),
        source_topic: source.as_ref().and_then(|t| t.1.as_deref()),
        sink_table: sink.as_ref().map(|t| t.0.as_str()),
        sink_topic: sink.as_ref().and_then(|t| t.1.as_deref()),
        sink_sql: &draft.sink_sql,
        pipeline_sql: &draft.pipeline_sql,
        pipeline_summary: &draft.summary,
        data: grounding.and_then(|g| g.blueprint.data.as_ref()),
        extra: &[],
        notes: &notes,
    };
    let staged = stage(&name, &parts);
    commit(&staged, target, force)?;
    Ok(InitOutcome {
        root: target.to_path_buf(),
        files: staged.paths().map(Path::to_path_buf).collect(),
        notes: grounding.map(|g| g.blueprint.notes.clone()).unwrap_or_default(),
    })
}

/// The first table a SQL text creates, with its Kafka topic: what the README names.
fn table_in(sql: &str) -> Option<(String, Option<String>)> {
    let parsed = pipegen_sql::parse_file_all(Path::new("draft.sql"), sql).ok()?;
    parsed.statements.iter().find_map(|statement| match &statement.kind {
        Statement::CreateTable(table) => Some((table.name.clone(), table.topic().map(str::to_owned))),
        _ => None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn draft() -> DraftFiles {
        DraftFiles {
            summary: "Copies clicks.".into(),
            input_schema: r#"{"type":"record","name":"Click","fields":[{"name":"user_id","type":"long"}]}"#.into(),
            output_schema: None,
            source_sql: "CREATE TABLE clicks (user_id BIGINT) WITH ('connector' = 'kafka', 'topic' = 'clicks', 'properties.bootstrap.servers' = '${BOOTSTRAP_SERVERS}', 'format' = 'avro-confluent', 'avro-confluent.url' = '${SCHEMA_REGISTRY_URL}', 'scan.startup.mode' = 'earliest-offset', 'properties.group.id' = 'g');\n".into(),
            sink_sql: "CREATE TABLE clicks_out (user_id BIGINT) WITH ('connector' = 'kafka', 'topic' = 'clicks-out', 'properties.bootstrap.servers' = '${BOOTSTRAP_SERVERS}', 'format' = 'avro-confluent', 'avro-confluent.url' = '${SCHEMA_REGISTRY_URL}');\n".into(),
            pipeline_sql: "INSERT INTO clicks_out SELECT user_id FROM clicks;\n".into(),
            notes: vec!["Keyed by user.".into()],
        }
    }

    #[test]
    fn a_draft_lands_in_pipegens_own_file_names_and_validates() {
        let tmp = tempfile::tempdir().unwrap();
        let target = tmp.path().join("clicks");
        let outcome = write_drafted(&target, false, "described", None, &draft()).unwrap();
        let files: Vec<String> = outcome.files.iter().map(|p| p.display().to_string()).collect();
        assert!(files.contains(&"sql/01_source.sql".to_owned()), "{files:?}");
        assert!(files.contains(&"schemas/input.avsc".to_owned()), "{files:?}");
        let readme = std::fs::read_to_string(target.join("README.md")).unwrap();
        assert!(
            readme.contains("Source table `clicks` reads topic `clicks`"),
            "{readme}"
        );
        assert!(readme.contains("Keyed by user."), "{readme}");
        let project = crate::Project::load(&target).unwrap();
        let findings = crate::validate::check(&project);
        assert!(
            findings.iter().all(|f| f.severity != pipegen_diag::Severity::Error),
            "{findings:?}"
        );
    }
}
