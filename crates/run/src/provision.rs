//! The run's first phase: the SQL read with the stack's addresses filled in, the topics and
//! schema subjects it needs, the dimension tables it owns, and a generator for every table it
//! feeds. What it creates is recorded in the backends, which clean it up.

use std::collections::BTreeMap;

use pipegen_diag::Diagnostic;
use pipegen_loadgen::{Format, GeneratorOptions, RecordGenerator, References};
use pipegen_project::Project;

use crate::backends::Created;
use crate::backends::TopicNeed;
use crate::consume::start_positions;
use crate::error::RunError;
use crate::followers::Generated;
use crate::pipeline::{FedTable, Pipeline, RunSql, load_sql, rename_topics};
use crate::request::RunRequest;

/// What the run has to work with once everything it needs exists.
pub(crate) struct Provisioned<'p> {
    /// The values of pipegen's own placeholders.
    pub values: BTreeMap<&'static str, String>,
    pub files: Vec<RunSql>,
    /// Each topic's name in this run, with the name the SQL declares.
    pub declared: BTreeMap<String, String>,
    pub pipeline: Pipeline<'p>,
    /// Where the run's reading of each result topic starts: its end before anything ran.
    pub sink_starts: BTreeMap<String, Vec<(u32, u64)>>,
    pub generators: Vec<Generated>,
}

pub(crate) async fn provision<'p>(
    request: &RunRequest<'p>,
    created: &mut Created<'_>,
    run_id: &str,
    started_at: chrono::DateTime<chrono::Utc>,
) -> Result<Provisioned<'p>, RunError> {
    let config = &request.config.config;
    let values = BTreeMap::from([
        ("BOOTSTRAP_SERVERS", created.log.bootstrap_servers()),
        ("SCHEMA_REGISTRY_URL", created.registry.url().to_owned()),
        ("PROJECT_DIR", request.project.root.display().to_string()),
        ("RUN_ID", run_id.to_owned()),
    ]);
    let mut files = load_sql(request.project, &values).map_err(RunError::Input)?;
    let declared = rename_topics(&mut files, |topic| created.log.topic_name(topic, run_id));
    let pipeline = Pipeline::analyse(request.project, &files).map_err(RunError::Input)?;

    let needs: Vec<TopicNeed> = pipeline
        .topics
        .iter()
        .map(|topic| {
            let declared = declared.get(topic).map_or(topic.as_str(), String::as_str);
            TopicNeed::from_config(&config.kafka.topics, declared, topic.clone())
        })
        .collect();
    created.log.provision(&needs)?;
    // Read before anything can write there.
    let shared_log = created.log.shared();
    let mut sink_starts = BTreeMap::new();
    for sink in &pipeline.sinks {
        let positions = start_positions(shared_log.as_ref(), &sink.topic)
            .map_err(|e| RunError::Unavailable(format!("reading the offsets of `{}`: {e}", sink.topic)))?;
        sink_starts.insert(sink.topic.clone(), positions);
    }
    created.registry.add_topics(pipeline.topics.iter().cloned());

    let references = referable_tables(request.project, &pipeline, config);
    let run_seed = config.run.seed.unwrap_or_else(|| started_at.timestamp_micros() as u64);
    created
        .dimensions
        .fill(request.config, request.project, &files, &references, run_seed)
        .await?;
    let mut generators = Vec::new();
    for fed in &pipeline.fed {
        generators.push(generator(request, created, fed, &references, run_seed)?);
    }
    crate::followers::pair(&mut generators)?;
    Ok(Provisioned {
        values,
        files,
        declared,
        pipeline,
        sink_starts,
        generators,
    })
}

/// The generator of one fed table, writing its table's format (an avro-confluent table's
/// schema registered first).
fn generator(
    request: &RunRequest<'_>,
    created: &mut Created<'_>,
    fed: &FedTable<'_>,
    references: &References,
    run_seed: u64,
) -> Result<Generated, RunError> {
    // As validated when the project was loaded, not read again.
    let schema_text = fed.schema.schema.text();
    let format = fed.table.format().unwrap_or("json");
    let schema_id = if format == "avro-confluent" {
        Some(created.registry.register_value(&fed.topic, schema_text)?)
    } else {
        None
    };
    let format = Format::from_flink(format, schema_id).map_err(|e| {
        RunError::Input(vec![
            Diagnostic::error(format!("table `{}`: {}", fed.table.name, e.message)).with_hint(e.hint),
        ])
    })?;
    let generator = RecordGenerator::new(
        schema_text,
        format,
        GeneratorOptions {
            seed: pipegen_loadgen::table_seed(run_seed, &fed.table.name),
            shared_seed: run_seed,
            key_field: request.config.config.run.key_field.clone(),
            references: references.clone(),
            given_field: None,
        },
    )
    .map_err(|e| {
        RunError::Input(vec![
            Diagnostic::error(format!("{}: {}", fed.schema.path.display(), e.message)).with_hint(e.hint),
        ])
    })?;
    Ok(Generated {
        table: fed.table.name.clone(),
        topic: fed.topic.clone(),
        schema: fed.schema.path.clone(),
        generator,
        leads: None,
    })
}

/// The tables a generated field may reference (`"references": "table.field"`): the tables the
/// run generates, and any other table with a schema of its own under `schemas/` (a dimension
/// table whose keys that schema's hints describe).
fn referable_tables(project: &Project, pipeline: &Pipeline<'_>, config: &pipegen_config::Config) -> References {
    let mut references = References::default();
    for schema in &project.schemas {
        if let Some(table) = schema.path.file_stem().and_then(|s| s.to_str()) {
            // A dimension table the run fills holds the rows its config says.
            let rows = config.dimensions.get(table).and_then(|d| d.rows);
            references.add_table(table, schema.schema.text(), rows);
        }
    }
    for fed in &pipeline.fed {
        references.add_table(&fed.table.name, fed.schema.schema.text(), None);
    }
    references
}
