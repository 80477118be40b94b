//! `pipegen init`: a project that validates and runs as generated, written atomically.
//!
//! Three starting points share one shape (schema, source table, sink table, pipeline, config,
//! README): the built-in order-events template, a user's AVRO schema, or a CSV file.

mod config_template;
mod csv_variant;
mod ddl;
mod default_template;
mod drafted;
mod error;
mod monitoring;
mod readme;
mod schema_variant;
mod staging;
mod templates;

use std::path::{Path, PathBuf};

pub use ddl::{ColumnSpec, TableSpec, quote_ident};
pub use drafted::{DraftFiles, Grounding, OUTPUT_SCHEMA, example, ground, write_drafted};
pub use error::InitError;
pub use templates::{DATABASE_VARIABLES, Template};

use crate::name::ProjectName;
use readme::{FileNote, ReadmeFacts};
use staging::{CommitError, Staged};

/// What the user asked `init` for.
#[derive(Debug, Clone, Default)]
pub struct InitOptions {
    /// The directory to create; its last component is the project name.
    pub target: PathBuf,
    pub input_schema: Option<PathBuf>,
    pub input_csv: Option<PathBuf>,
    /// The built-in starting point (with neither an input schema nor a CSV file).
    pub template: Template,
    pub force: bool,
}

/// What `init` did.
#[derive(Debug, Clone)]
pub struct InitOutcome {
    pub root: PathBuf,
    pub files: Vec<PathBuf>,
    /// Things the user should know (fallbacks taken, choices made).
    pub notes: Vec<String>,
}

/// The variant-specific part of a project.
pub(crate) struct Blueprint {
    pub origin: String,
    pub schema_json: String,
    pub source: TableSpec,
    pub source_topic: Option<String>,
    pub sink: SinkSql,
    pub pipeline_sql: String,
    pub pipeline_summary: String,
    /// A data file to copy into `data/`, with the transform that writes it.
    pub data: Option<DataCopy>,
    /// Other files the variant brings (a dimension table's schema and setup script).
    pub extra: Vec<ExtraFile>,
    /// Configuration the variant adds at the end of `.pipegen.yaml`.
    pub config: String,
    pub notes: Vec<String>,
}

/// Everything [`stage`] writes, whoever made it: a blueprint or a draft.
pub(crate) struct Parts<'a> {
    pub origin: &'a str,
    pub config: &'a str,
    pub schema_json: &'a str,
    /// The sink's records (`schemas/output.avsc`), when a draft gives one.
    pub output_schema: Option<&'a str>,
    pub source_table: Option<&'a str>,
    pub source_sql: String,
    pub source_topic: Option<&'a str>,
    pub sink_table: Option<&'a str>,
    pub sink_topic: Option<&'a str>,
    pub sink_sql: &'a str,
    pub pipeline_sql: &'a str,
    pub pipeline_summary: &'a str,
    pub data: Option<&'a DataCopy>,
    pub extra: &'a [ExtraFile],
    pub notes: &'a [String],
}

impl Blueprint {
    pub(crate) fn parts(&self) -> Parts<'_> {
        Parts {
            origin: &self.origin,
            config: &self.config,
            schema_json: &self.schema_json,
            output_schema: None,
            source_table: Some(&self.source.name),
            source_sql: self.source.render(),
            source_topic: self.source_topic.as_deref(),
            sink_table: Some(&self.sink.table),
            sink_topic: Some(&self.sink.topic),
            sink_sql: &self.sink.sql,
            pipeline_sql: &self.pipeline_sql,
            pipeline_summary: &self.pipeline_summary,
            data: self.data.as_ref(),
            extra: &self.extra,
            notes: &self.notes,
        }
    }
}

pub(crate) struct ExtraFile {
    pub path: String,
    pub about: String,
    pub content: String,
}

pub(crate) struct SinkSql {
    pub table: String,
    pub topic: String,
    pub sql: String,
}

pub(crate) struct DataCopy {
    pub file_name: String,
    pub from: PathBuf,
    pub transform: fn(&Path, &mut dyn std::io::Write) -> std::io::Result<()>,
    pub about: String,
}

/// `init` without `--describe` (which the AI assistant handles, see [`write_drafted`]).
pub fn init(options: &InitOptions) -> Result<InitOutcome, InitError> {
    let name = target_name(&options.target, options.force)?;
    let mut notes = Vec::new();
    let blueprint = match (&options.input_schema, &options.input_csv) {
        (Some(schema), _) => schema_variant::blueprint(&name, schema)?,
        (None, Some(csv)) => csv_variant::blueprint(&name, csv)?,
        (None, None) => templates::apply(options.template, &name, default_blueprint(&name)?)?,
    };
    notes.extend(blueprint.notes.iter().cloned());

    let staged = stage(&name, &blueprint.parts());
    commit(&staged, &options.target, options.force)?;
    Ok(InitOutcome {
        root: options.target.clone(),
        files: staged.paths().map(Path::to_path_buf).collect(),
        notes,
    })
}

/// The project name a target directory gives, once the directory is known to be usable.
fn target_name(target: &Path, force: bool) -> Result<ProjectName, InitError> {
    let name_text = target
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let name = ProjectName::parse(&name_text)?;
    if target.exists() && !target.is_dir() {
        return Err(InitError::NotADirectory(target.to_path_buf()));
    }
    if target.exists() && !force {
        return Err(InitError::Exists(target.to_path_buf()));
    }
    Ok(name)
}

fn commit(staged: &Staged, target: &Path, force: bool) -> Result<(), InitError> {
    staged.commit(target, force).map_err(|e| match e {
        CommitError::Conflict { .. } => InitError::Conflict(e.to_string()),
        CommitError::Io(source) => InitError::Write {
            path: target.to_path_buf(),
            source,
        },
    })
}

fn default_blueprint(name: &ProjectName) -> Result<Blueprint, InitError> {
    let schema_json = default_template::input_schema(name);
    let schema = pipegen_schema::avro::parse_schema(Path::new(crate::project::INPUT_SCHEMA), &schema_json)
        .map_err(schema_variant::input_error)?;
    let topic = format!("{}-orders", name.kebab());
    let source = schema_variant::kafka_source_table(
        name,
        default_template::SOURCE_TABLE,
        &topic,
        &schema,
        vec![
            "Source: order events, produced by `pipegen run` into the topic below.".to_owned(),
            "Columns mirror schemas/input.avsc; the watermark lets events arrive up to 5 s late.".to_owned(),
        ],
    )?;
    Ok(Blueprint {
        origin: "built-in order events template".to_owned(),
        schema_json,
        source,
        source_topic: Some(topic),
        sink: SinkSql {
            table: default_template::SINK_TABLE.to_owned(),
            topic: format!("{}-order-stats", name.kebab()),
            sql: default_template::sink_sql(name),
        },
        pipeline_sql: default_template::PIPELINE_SQL.to_owned(),
        pipeline_summary:
            "Counts orders, items and revenue per product category in 10-second tumbling event-time windows.".to_owned(),
        data: None,
        extra: Vec::new(),
        config: String::new(),
        notes: Vec::new(),
    })
}

fn stage(name: &ProjectName, parts: &Parts<'_>) -> Staged {
    let mut staged = Staged::default();
    let mut files = Vec::new();
    let mut add = |staged: &mut Staged, path: &str, about: String, content: String| {
        staged.text(path, content);
        files.push(FileNote {
            path: path.to_owned(),
            about,
        });
    };
    let named = |table: Option<&str>, what: &str| match table {
        Some(table) => format!("{what} `{table}`."),
        None => format!("{what}."),
    };
    add(
        &mut staged,
        ".pipegen.yaml",
        "Configuration: run defaults and Kafka/Flink tuning, each value commented.".into(),
        config_template::pipegen_yaml(name) + parts.config,
    );
    add(
        &mut staged,
        "schemas/input.avsc",
        "AVRO schema of the input records.".into(),
        parts.schema_json.to_owned(),
    );
    if let Some(output) = parts.output_schema {
        add(
            &mut staged,
            OUTPUT_SCHEMA,
            "AVRO schema of the output records.".into(),
            output.to_owned(),
        );
    }
    add(
        &mut staged,
        "sql/01_source.sql",
        named(parts.source_table, "Source table"),
        parts.source_sql.clone(),
    );
    add(
        &mut staged,
        "sql/02_sink.sql",
        named(parts.sink_table, "Sink table"),
        parts.sink_sql.to_owned(),
    );
    add(
        &mut staged,
        "sql/03_pipeline.sql",
        "The pipeline: an `INSERT INTO ... SELECT` from the source into the sink.".into(),
        parts.pipeline_sql.to_owned(),
    );
    add(
        &mut staged,
        ".gitignore",
        "Keeps run reports out of version control.".into(),
        config_template::GITIGNORE.to_owned(),
    );
    add(
        &mut staged,
        "monitoring/prometheus.yml",
        "Prometheus scrape configuration for the metrics a run serves with `monitoring.prometheus_port`.".into(),
        monitoring::prometheus_yml(name),
    );
    add(
        &mut staged,
        "monitoring/grafana-dashboard.json",
        "Grafana dashboard (throughput, latency, memory, checkpoints) over those metrics.".into(),
        monitoring::grafana_dashboard(name),
    );
    for extra in parts.extra {
        add(&mut staged, &extra.path, extra.about.clone(), extra.content.clone());
    }
    if let Some(data) = parts.data {
        let path = format!("data/{}", data.file_name);
        staged.copy_with(&path, &data.from, data.transform);
        files.push(FileNote {
            path,
            about: data.about.clone(),
        });
    }
    files.push(FileNote {
        path: "README.md".to_owned(),
        about: "This file.".to_owned(),
    });
    let readme = readme::render(&ReadmeFacts {
        name,
        origin: parts.origin.to_owned(),
        files,
        source_table: parts.source_table,
        source_topic: parts.source_topic,
        sink_table: parts.sink_table,
        sink_topic: parts.sink_topic,
        pipeline_summary: parts.pipeline_summary,
        extra_notes: parts.notes.to_vec(),
    });
    staged.text("README.md", readme);
    staged
}
