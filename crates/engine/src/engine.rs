//! Running a project's statements: tables become DataFusion sources and pipegen sinks; each
//! INSERT becomes a job streaming from source to sink.

use std::collections::HashMap;
use std::sync::Arc;

use datafusion::arrow::datatypes::{DataType, Field, Schema, SchemaRef};
use datafusion::arrow::record_batch::RecordBatch;
use datafusion::catalog::streaming::StreamingTable;
use datafusion::common::tree_node::{Transformed, TreeNode};
use datafusion::execution::SessionState;
use datafusion::logical_expr::LogicalPlan;
use datafusion::physical_plan::filter::FilterExec;
use datafusion::physical_plan::streaming::PartitionStream;
use datafusion::physical_plan::{ExecutionPlan, execute_stream};
use datafusion::prelude::{SessionConfig, SessionContext};
use datafusion::sql::parser::Statement as DfStatement;
use datafusion::sql::sqlparser::ast::{Expr, Query, SetExpr, Statement as SqlStatement, TableFactor};
use futures::StreamExt;
use pipegen_log::Log;
use pipegen_sql::{
    ColumnKind, CreateTable, Hint, Insert, ParsedStatement, Statement, WindowKind, WindowTvf, interval_millis,
    window_tvfs,
};

use crate::changelog::StateConfig;
use crate::changes::Changes;
use crate::connectors::datagen::{DatagenPartition, DatagenSpec};
use crate::connectors::filesystem;
use crate::connectors::kafka::{self, KafkaSink, UpsertSource};
use crate::error::EngineError;
use crate::event_time::EventTimeSources;
use crate::event_time::SourceRows;
use crate::graph::{Builder, Graph};
use crate::hints::LookupHint;
use crate::job::{InsertOutcome, Job};
use crate::lookup::LookupTables;
use crate::metrics::JobMetrics;
use crate::operator::source::ChangelogSources;
use crate::operator::{Message, MessageStream};
use crate::options::SessionOptions;
use crate::pattern::{MatchedRows, MatchedTables};
use crate::sink::{Blackhole, Collect, Print, TableSink};
use crate::translate::{quote, rewrite_expr, rewrite_query};
use crate::types::arrow_type;
use crate::versioned::{VersionedTables, Versions};
use crate::views::Views;
use crate::window::session::Sessions;
use crate::window::spec::WindowSpec;
use crate::window::{self, Assigner, WindowedInput, WindowedRows, WindowedTables, windowed_schema};

/// A table INSERTs can write to.
#[derive(Clone)]
enum SinkTable {
    Blackhole,
    Print(Option<String>),
    Kafka(Box<CreateTable>),
    Jdbc(Box<CreateTable>),
}

pub struct Engine {
    ctx: SessionContext,
    parallelism: usize,
    log: Option<Arc<dyn Log>>,
    sources: HashMap<String, CreateTable>,
    /// Each sink table and the columns it takes.
    sinks: HashMap<String, (SinkTable, SchemaRef)>,
    options: SessionOptions,
    windows_planned: usize,
    versioned_planned: usize,
    /// Each source table's physical columns and partitions (a temporal join reads them as
    /// versions).
    source_partitions: HashMap<String, (SchemaRef, Vec<Arc<dyn PartitionStream>>)>,
    /// `jdbc` tables, read by lookup joins.
    lookup_tables: HashMap<String, crate::connectors::jdbc::JdbcTable>,
    /// Every CREATE TABLE as declared (an OPTIONS hint makes a table of its own from one).
    declared: HashMap<String, CreateTable>,
    /// Tables made for OPTIONS hints so far (they are named by number).
    hinted_planned: usize,
    /// The LOOKUP hints of the views declared, for the queries that read them.
    view_lookup_hints: Vec<LookupHint>,
    /// Tables only written to (upsert-kafka).
    write_only: std::collections::HashSet<String>,
    views: Views,
    event_time: EventTimeSources,
    /// upsert-kafka tables whose topic exists: read as changelogs (by the name users query).
    changelog_tables: std::collections::HashSet<String>,
    changelogs: ChangelogSources,
    lost_to_retention: Arc<std::sync::atomic::AtomicU64>,
    /// The most a job may hold in state and buffered results; `None` is no bound.
    memory_budget: Option<u64>,
}

impl Engine {
    /// An engine running every source with `parallelism` partitions.
    pub fn new(parallelism: usize) -> Self {
        let mut config = SessionConfig::new().with_target_partitions(parallelism.max(1));
        // Flink identifiers are case-sensitive; keep them as written.
        config.options_mut().sql_parser.enable_ident_normalization = false;
        // Flink orders NULL below every value: first ascending, last descending.
        config.options_mut().sql_parser.default_null_ordering = "nulls_min".into();
        let ctx = SessionContext::new_with_config(config);
        crate::functions::register(&ctx);
        Self {
            ctx,
            parallelism: parallelism.max(1),
            log: None,
            sources: HashMap::new(),
            sinks: HashMap::new(),
            options: SessionOptions::default(),
            windows_planned: 0,
            versioned_planned: 0,
            source_partitions: HashMap::new(),
            write_only: Default::default(),
            lookup_tables: HashMap::new(),
            declared: HashMap::new(),
            hinted_planned: 0,
            view_lookup_hints: Vec::new(),
            changelog_tables: Default::default(),
            views: Views::default(),
            event_time: EventTimeSources::default(),
            changelogs: ChangelogSources::default(),
            lost_to_retention: Arc::default(),
            memory_budget: None,
        }
    }

    /// Bounds what each job holds in memory: its operators' state and buffered results, and
    /// what DataFusion's own operators (sorts, hash tables) reserve. A job over the budget
    /// stops with [`EngineError::OverBudget`] instead of taking the machine's memory.
    pub fn with_memory_budget(mut self, bytes: u64) -> Self {
        let runtime = datafusion::execution::runtime_env::RuntimeEnvBuilder::new()
            .with_memory_limit(usize::try_from(bytes).unwrap_or(usize::MAX), 1.0)
            .build_arc();
        if let Ok(runtime) = runtime {
            let config = self.ctx.copied_config();
            let state = datafusion::execution::SessionStateBuilder::new_from_existing(self.ctx.state())
                .with_config(config)
                .with_runtime_env(runtime)
                .build();
            self.ctx = SessionContext::new_with_state(state);
        }
        self.memory_budget = Some(bytes);
        self
    }

    /// Kafka tables read and write this log.
    pub fn with_log(mut self, log: Arc<dyn Log>) -> Self {
        self.log = Some(log);
        self
    }

    /// Records of Kafka tables that retention removed before the engine read them: a
    /// producer outran the pipeline.
    pub fn lost_to_retention(&self) -> u64 {
        self.lost_to_retention.load(std::sync::atomic::Ordering::Relaxed)
    }

    /// Runs one statement; INSERTs run to the end of their (bounded) input.
    pub async fn execute(&mut self, statement: &ParsedStatement) -> Result<Vec<InsertOutcome>, EngineError> {
        let mut outcomes = Vec::new();
        for job in self.deploy(statement).await? {
            outcomes.push(job.wait().await.map_err(|e| locate(e, statement))?);
        }
        Ok(outcomes)
    }

    /// Declares tables and settings, and starts a job per INSERT (several for a statement set)
    /// without waiting for it.
    pub async fn deploy(&mut self, statement: &ParsedStatement) -> Result<Vec<Job>, EngineError> {
        self.deploy_unlocated(statement).await.map_err(|e| locate(e, statement))
    }

    async fn deploy_unlocated(&mut self, statement: &ParsedStatement) -> Result<Vec<Job>, EngineError> {
        match &statement.kind {
            Statement::CreateTable(table) => self.declare(table).await.map(|()| Vec::new()),
            Statement::Set {
                key: Some(key),
                value: Some(value),
            } => {
                self.options.set(key, value)?;
                Ok(Vec::new())
            }
            Statement::Set { .. } => Ok(Vec::new()),
            Statement::Reset { key } => {
                self.options.reset(key.as_deref());
                Ok(Vec::new())
            }
            Statement::Insert(insert) => Ok(vec![self.start_insert(insert, &statement.hints).await?]),
            Statement::StatementSet(inserts) => {
                let mut jobs = Vec::new();
                for insert in inserts {
                    jobs.push(self.start_insert(insert, &statement.hints).await?);
                }
                Ok(jobs)
            }
            Statement::CreateView(view) => {
                let taken = self.sources.contains_key(&view.name)
                    || self.sinks.contains_key(&view.name)
                    || self.write_only.contains(&view.name);
                if let Some(unknown) = pipegen_sql::referenced_tables(&view.query)
                    .into_iter()
                    .find(|t| !self.sources.contains_key(t) && !self.write_only.contains(t) && !self.views.contains(t))
                {
                    return Err(EngineError::UnknownTable(unknown));
                }
                let (query, lookup_hints) = self.hinted(&view.query, &statement.hints).await?;
                let view = pipegen_sql::CreateView {
                    query: Box::new(query),
                    ..view.clone()
                };
                self.views.declare(&view, taken)?;
                self.view_lookup_hints.extend(lookup_hints);
                Ok(Vec::new())
            }
            Statement::Query(_) => Err(EngineError::Invalid(
                "a bare SELECT returns rows: run it with `pipegen sql`, or INSERT INTO a table".into(),
            )),
            Statement::Other(other) => Err(EngineError::unsupported(format!(
                "`{}`",
                first_words(&other.to_string())
            ))),
        }
    }

    /// Runs a bare SELECT over bounded inputs and returns its changelog (insertions only,
    /// unless the query updates its results: see [`crate::render::materialize`]).
    pub async fn query(&mut self, statement: &ParsedStatement) -> Result<Vec<Changes>, EngineError> {
        let collect = Collect::default();
        self.query_into(statement, Box::new(collect.clone())).await?;
        let changes = std::mem::take(&mut *collect.0.lock().expect("the job has ended"));
        Ok(changes)
    }

    /// Runs a bare SELECT, handing its changes to `sink` as they come (unbounded inputs
    /// stream until the job is stopped or over its memory budget).
    pub async fn query_into(
        &mut self,
        statement: &ParsedStatement,
        sink: Box<dyn TableSink>,
    ) -> Result<(), EngineError> {
        let job = self.start(statement, sink).await?;
        job.wait().await.map_err(|e| locate(e, statement))?;
        Ok(())
    }

    /// Starts a bare SELECT, handing its changes to `sink`; the caller waits for the job
    /// (and may read its metrics meanwhile).
    pub async fn start(&mut self, statement: &ParsedStatement, sink: Box<dyn TableSink>) -> Result<Job, EngineError> {
        let Statement::Query(query) = &statement.kind else {
            return Err(locate(EngineError::Invalid("not a query".into()), statement));
        };
        self.start_query("query", query, &statement.hints, sink, None)
            .await
            .map_err(|e| locate(e, statement))
    }

    /// `query` with its statement's hints applied: each reference an OPTIONS hint follows
    /// reads a table declared for it with the options merged. Returns it and its LOOKUP hints.
    async fn hinted(&mut self, query: &Query, hints: &[Hint]) -> Result<(Query, Vec<LookupHint>), EngineError> {
        let views = &self.views;
        let lookups = crate::hints::query_hints(hints, [query], |name| views.contains(name))?;
        let mut query = query.clone();
        let mut planned = self.hinted_planned;
        let mut written = Vec::new();
        let tables = crate::hints::hinted_tables(
            &mut query,
            hints,
            |name| self.declared.get(name),
            |name| {
                planned += 1;
                written.push(name.to_owned());
                format!("__pipegen_hinted_{planned}")
            },
        )?;
        self.hinted_planned = planned;
        for (table, written) in tables.iter().zip(written) {
            self.declare(table).await.map_err(|e| match e {
                EngineError::Invalid(message) => EngineError::Invalid(message.replace(
                    &format!("`{}`", table.name),
                    &format!("`{written}` (as its OPTIONS hint makes it)"),
                )),
                other => other,
            })?;
            // Its lookups are counted, and its errors told, under the name the SQL gives it.
            if let Some(lookup) = self.lookup_tables.get_mut(&table.name) {
                lookup.name = written;
            }
        }
        Ok((query, lookups))
    }

    async fn declare(&mut self, table: &CreateTable) -> Result<(), EngineError> {
        self.declare_connector(table).await?;
        self.declared.insert(table.name.clone(), table.clone());
        Ok(())
    }

    async fn declare_connector(&mut self, table: &CreateTable) -> Result<(), EngineError> {
        let physical: Vec<Field> = table
            .physical_columns()
            .map(|c| match &c.kind {
                ColumnKind::Physical(ty) => Ok(Field::new(&c.name, arrow_type(ty)?, ty.nullable)),
                _ => unreachable!("physical_columns yields physical columns"),
            })
            .collect::<Result<_, EngineError>>()?;
        let schema: SchemaRef = Arc::new(Schema::new(physical));
        let connector = table.connector();
        let has_metadata = table
            .columns
            .iter()
            .any(|c| matches!(c.kind, ColumnKind::Metadata { .. }));
        if has_metadata && !matches!(connector, Some("kafka")) {
            return Err(EngineError::unsupported(format!(
                "METADATA columns on the '{}' connector",
                connector.unwrap_or("?")
            )));
        }
        match connector {
            Some("datagen") => {
                let spec = DatagenSpec::from_table(table, &schema)?;
                let partitions: Vec<Arc<dyn PartitionStream>> = (0..self.parallelism as u64)
                    .map(|partition| {
                        Arc::new(DatagenPartition {
                            schema: schema.clone(),
                            spec: spec.clone(),
                            partition,
                            partitions: self.parallelism as u64,
                        }) as Arc<dyn PartitionStream>
                    })
                    .collect();
                self.register_source(table, schema, partitions).await
            }
            Some("filesystem") => {
                let partitions: Vec<Arc<dyn PartitionStream>> = filesystem::partitions(table, &schema)?
                    .into_iter()
                    .map(|p| Arc::new(p) as Arc<dyn PartitionStream>)
                    .collect();
                if partitions.is_empty() {
                    return Err(EngineError::Invalid(format!(
                        "table `{}`: its 'path' holds no file",
                        table.name
                    )));
                }
                self.register_source(table, schema, partitions).await
            }
            Some("upsert-kafka") => {
                // Written to; read as a changelog of its keys when its topic exists.
                match &self.log {
                    Some(log) if log.offsets(kafka::topic(table)?).is_ok() => {
                        let source = Arc::new(UpsertSource::new(table, log.clone(), self.lost_to_retention.clone())?);
                        let physical = physical_name(table);
                        let schema = crate::operator::source::ChangelogSource::schema(source.as_ref());
                        let partition = self.changelogs.register(&physical, source);
                        self.ctx
                            .register_table(&physical, Arc::new(StreamingTable::try_new(schema, vec![partition])?))?;
                        self.register_view(table, &physical, &table.name).await?;
                        self.sources.insert(table.name.clone(), table.clone());
                        self.changelog_tables.insert(table.name.clone());
                    }
                    _ => {
                        self.write_only.insert(table.name.clone());
                    }
                }
                self.sinks
                    .insert(table.name.clone(), (SinkTable::Kafka(Box::new(table.clone())), schema));
                Ok(())
            }
            Some("kafka") => {
                let log = self.log.clone().ok_or_else(|| {
                    EngineError::Invalid(format!(
                        "table `{}` is a Kafka table, but no log is attached (`pipegen run` provides one)",
                        table.name
                    ))
                })?;
                // Read if its topic exists; written to either way.
                if log.offsets(kafka::topic(table)?).is_ok() {
                    let partitions = kafka::source_partitions(table, log, self.lost_to_retention.clone())?;
                    let (_, with_metadata) = kafka::columns(table)?;
                    self.register_source(table, with_metadata, partitions).await?;
                }
                self.sinks
                    .insert(table.name.clone(), (SinkTable::Kafka(Box::new(table.clone())), schema));
                Ok(())
            }
            Some("jdbc") => {
                // Read by lookup joins, or whole (a bounded scan) anywhere else.
                let lookup = crate::connectors::jdbc::JdbcTable::from_table(table, schema.clone())?;
                let scan: Arc<dyn PartitionStream> =
                    Arc::new(crate::connectors::jdbc_scan::JdbcScan::new(lookup.clone()));
                self.lookup_tables.insert(table.name.clone(), lookup);
                self.sinks.insert(
                    table.name.clone(),
                    (SinkTable::Jdbc(Box::new(table.clone())), schema.clone()),
                );
                self.register_source(table, schema, vec![scan]).await
            }
            Some("blackhole") => {
                self.sinks.insert(table.name.clone(), (SinkTable::Blackhole, schema));
                Ok(())
            }
            Some("print") => {
                let identifier = table.option("print-identifier").map(str::to_string);
                self.sinks
                    .insert(table.name.clone(), (SinkTable::Print(identifier), schema));
                Ok(())
            }
            Some(other) => Err(EngineError::unsupported(format!("the '{other}' connector"))),
            None => Err(EngineError::Invalid(format!("table `{}` has no connector", table.name))),
        }
    }

    /// A source table: its partitions hold the physical columns; the table users query adds
    /// the computed ones.
    async fn register_source(
        &mut self,
        table: &CreateTable,
        schema: SchemaRef,
        partitions: Vec<Arc<dyn PartitionStream>>,
    ) -> Result<(), EngineError> {
        let source = physical_name(table);
        self.ctx.register_table(
            &source,
            Arc::new(StreamingTable::try_new(schema.clone(), partitions.clone())?),
        )?;
        // A watermark over physical columns can be taken from the scan's rows (one over a
        // computed column cannot; operators that need it then refuse a filtered input).
        if let Some(watermark) = self.source_watermark(table, &source).await? {
            self.event_time.register(&partitions, watermark);
        }
        self.register_view(table, &source, &table.name).await?;
        self.source_partitions.insert(table.name.clone(), (schema, partitions));
        self.sources.insert(table.name.clone(), table.clone());
        Ok(())
    }

    /// The table's WATERMARK over the physical columns registered as `source`, when it reads
    /// only those.
    async fn source_watermark(
        &self,
        table: &CreateTable,
        source: &str,
    ) -> Result<Option<Arc<dyn datafusion::physical_expr::PhysicalExpr>>, EngineError> {
        let Some(watermark) = &table.watermark else {
            return Ok(None);
        };
        let mut expr = watermark.expr.clone();
        rewrite_expr(&mut expr, &self.options)?;
        let physical = self.ctx.table(source).await?;
        Ok(physical
            .parse_sql_expr(&expr.to_string())
            .ok()
            .and_then(|logical| self.ctx.state().create_physical_expr(logical, physical.schema()).ok()))
    }

    /// Reads the temporal joins' versioned sides (tables, or views keeping each key's latest
    /// row) through tables registered for them, and puts those in the query.
    async fn plan_temporal_joins(
        &mut self,
        query: &mut Query,
        (versioned, lookups): (&mut VersionedTables, &mut LookupTables),
        lookup_hints: &[LookupHint],
    ) -> Result<(), EngineError> {
        let mut replacements = HashMap::new();
        for relation in crate::versioned::temporal_relations(query) {
            let key = (relation.name.clone(), relation.alias.clone());
            if replacements.contains_key(&key) {
                continue;
            }
            let refused = |why: String| {
                EngineError::unsupported(format!(
                    "the temporal join `{} FOR SYSTEM_TIME AS OF ...` ({why})",
                    relation.name
                ))
            };
            let as_of = match &relation.time {
                Expr::Identifier(ident) => ident.value.clone(),
                Expr::CompoundIdentifier(parts) if !parts.is_empty() => parts[parts.len() - 1].value.clone(),
                _ => return Err(refused("AS OF names no column of the left side".into())),
            };
            if let Some(lookup) = self.lookup_tables.get(&relation.name).cloned() {
                if !self.is_proctime(&as_of) {
                    return Err(refused(format!(
                        "`{as_of}` is not a processing-time attribute (`AS PROCTIME()`): a jdbc table has no versions for event time, so its join is a lookup join"
                    )));
                }
                let mut lookup = lookup;
                if let Some(hint) = lookup_hints
                    .iter()
                    .find(|h| h.table == relation.alias || h.table == relation.name)
                {
                    lookup.lookup.miss_retry = hint.miss_retry;
                }
                let partition = lookups.register(lookup.clone());
                self.versioned_planned += 1;
                let placeholder = format!("{}__lookup_{}", relation.name, self.versioned_planned);
                self.ctx.register_table(
                    &placeholder,
                    Arc::new(StreamingTable::try_new(lookup.schema.clone(), vec![partition])?),
                )?;
                let relation_sql = format!("SELECT 1 FROM {} AS {}", quote(&placeholder), quote(&relation.alias));
                let factor = crate::legacy_windows::parse_relation(&relation_sql)?;
                replacements.insert(key, (factor, None));
                continue;
            }
            let (table, key_columns, columns) = if let Some(table) = self.sources.get(&relation.name) {
                let Some(primary_key) = &table.primary_key else {
                    return Err(EngineError::Invalid(format!(
                        "the temporal join reads `{}` as a versioned table, which needs a PRIMARY KEY (and a WATERMARK), as Flink requires",
                        relation.name
                    )));
                };
                (table.clone(), primary_key.clone(), None)
            } else if let Some(latest) = self
                .views
                .get(&relation.name)
                .and_then(crate::versioned::latest_row_view)
                && let Some(table) = self.sources.get(&latest.table)
                && table.watermark.as_ref().is_some_and(|w| w.column == latest.time)
            {
                (table.clone(), latest.key, Some(latest.columns))
            } else {
                return Err(refused(
                    "its versions are neither a table with a PRIMARY KEY and a WATERMARK nor a view keeping each key's latest row by event time".into(),
                ));
            };
            let Some(watermark) = &table.watermark else {
                return Err(refused(format!(
                    "`{}` declares no WATERMARK: a processing-time temporal join is a lookup join",
                    table.name
                )));
            };
            let delay_ms = match &watermark.expr {
                Expr::BinaryOp {
                    op: datafusion::sql::sqlparser::ast::BinaryOperator::Minus,
                    right,
                    ..
                } => interval_millis(right).unwrap_or(0),
                _ => 0,
            };
            let (schema, partitions) = self
                .source_partitions
                .get(&table.name)
                .cloned()
                .ok_or_else(|| EngineError::UnknownTable(table.name.clone()))?;
            let versions = Versions {
                table: table.name.clone(),
                key: key_columns,
                time: watermark.column.clone(),
                as_of,
                delay_ms,
            };
            let wrapped = versioned.register(&partitions, versions);
            self.versioned_planned += 1;
            let physical = format!("{}__versioned_{}", table.name, self.versioned_planned);
            self.ctx
                .register_table(&physical, Arc::new(StreamingTable::try_new(schema, wrapped.clone())?))?;
            if let Some(expr) = self.source_watermark(&table, &physical).await? {
                self.event_time.register(&wrapped, expr);
            }
            let readable = format!("{}__versions_{}", table.name, self.versioned_planned);
            self.register_view(&table, &physical, &readable).await?;
            let relation_sql = match columns {
                None => format!("SELECT 1 FROM {} AS {}", quote(&readable), quote(&relation.alias)),
                Some(columns) => format!(
                    "SELECT 1 FROM (SELECT {} FROM {}) AS {}",
                    columns.iter().map(|c| quote(c)).collect::<Vec<_>>().join(", "),
                    quote(&readable),
                    quote(&relation.alias)
                ),
            };
            let factor = crate::legacy_windows::parse_relation(&relation_sql)?;
            replacements.insert(key, (factor, Some(watermark.column.clone())));
        }
        crate::versioned::replace_temporal_relations(query, &replacements);
        Ok(())
    }

    /// Registers as `name` the table users query: the physical columns of `source` and the
    /// computed ones.
    async fn register_view(&mut self, table: &CreateTable, source: &str, name: &str) -> Result<(), EngineError> {
        let columns: Vec<String> = table
            .columns
            .iter()
            .map(|c| match &c.kind {
                ColumnKind::Computed(expr) => {
                    let mut expr = (**expr).clone();
                    rewrite_expr(&mut expr, &self.options)?;
                    Ok(format!("{expr} AS {}", quote(&c.name)))
                }
                _ => Ok(quote(&c.name)),
            })
            .collect::<Result<_, EngineError>>()?;
        let view = self
            .ctx
            .sql(&format!("SELECT {} FROM {}", columns.join(", "), quote(source)))
            .await?;
        self.ctx.register_table(name, view.into_view())?;
        Ok(())
    }

    async fn start_insert(&mut self, insert: &Insert, hints: &[Hint]) -> Result<Job, EngineError> {
        // An OPTIONS hint on the target makes a sink table of its own.
        let (on_target, hints): (Vec<Hint>, Vec<Hint>) = hints
            .iter()
            .cloned()
            .partition(|h| h.applies_to_name(&insert.target_name));
        let mut target = insert.target.clone();
        if let Some(hint) = on_target.iter().find(|h| h.name == "OPTIONS") {
            let declared = self
                .declared
                .get(&target)
                .ok_or_else(|| EngineError::UnknownTable(target.clone()))?;
            self.hinted_planned += 1;
            let mut hinted = declared.with_hint_options(hint);
            hinted.name = format!("__pipegen_hinted_{}", self.hinted_planned);
            self.declare(&hinted).await?;
            target = hinted.name;
        }
        if let Some(other) = on_target.iter().find(|h| h.name != "OPTIONS") {
            return Err(EngineError::Invalid(format!(
                "the {} hint at line {}: only OPTIONS goes after a table's name",
                other.name, other.position.line
            )));
        }
        let target = target.as_str();
        let query = &insert.query;
        let (table, schema) = self
            .sinks
            .get(target)
            .cloned()
            .ok_or_else(|| EngineError::UnknownTable(target.to_string()))?;
        let sink: Box<dyn TableSink> = match table {
            SinkTable::Blackhole => Box::new(Blackhole),
            SinkTable::Print(identifier) => Box::new(Print::new(identifier.as_deref())),
            SinkTable::Jdbc(table) => Box::new(crate::connectors::jdbc_sink::JdbcSink::new(
                &table,
                crate::connectors::jdbc::JdbcTable::from_table(&table, schema.clone())?,
            )?),
            SinkTable::Kafka(table) => Box::new(KafkaSink::new(
                &table,
                schema.clone(),
                self.log.clone().expect("Kafka sinks are declared with a log"),
            )?),
        };
        self.start_query(
            &format!("INSERT INTO {}", insert.target),
            query,
            &hints,
            sink,
            Some((&insert.target, schema)),
        )
        .await
    }

    async fn start_query(
        &mut self,
        name: &str,
        query: &Query,
        hints: &[Hint],
        mut sink: Box<dyn TableSink>,
        target: Option<(&str, SchemaRef)>,
    ) -> Result<Job, EngineError> {
        let metrics = Arc::new(JobMetrics::default());
        let (query, mut lookup_hints) = self.hinted(query, hints).await?;
        lookup_hints.extend(self.view_lookup_hints.iter().cloned());
        let mut relations = Relations {
            lookup_hints,
            ..Relations::default()
        };
        let query = self.prepare(&query, &mut relations).await?;
        let plan = self.logical_plan(self.ctx.state(), &query).await?;
        let (output, produced): (MessageStream, SchemaRef) =
            if relations.read_by_operators() || keeps_state(&plan, &self.changelogs) {
                let node = self.plan_graph(&query, &plan, &relations, &metrics).await?;
                if let Some(operator) = node.updating_operator()
                    && !sink.accepts_updates()
                {
                    return Err(EngineError::Invalid(format!(
                        "`{}` is append-only and cannot take the updates its query produces ({operator}); {}",
                        target.as_ref().map_or(name, |(t, _)| t),
                        sink.append_only_hint()
                    )));
                }
                sink.begin(node.updating_operator().is_some());
                let schema = node.schema();
                (node.stream(self.ctx.task_ctx(), &metrics)?, schema)
            } else {
                let state = self.ctx.state();
                let physical = unbuffered_filters(state.create_physical_plan(&plan).await?)?;
                let stream = execute_stream(physical, state.task_ctx())?;
                let schema = stream.schema();
                (crate::graph::messages(stream), schema)
            };
        let columns = match target {
            Some((target, columns)) => {
                let produced = produced.fields().len();
                let width = columns.fields().len();
                if produced != width {
                    return Err(EngineError::Invalid(format!(
                        "the query produces {produced} columns but `{target}` takes {width}"
                    )));
                }
                Some(columns)
            }
            None => None,
        };
        let tasks = vec![spawn_watched(
            metrics.clone(),
            drain(output, sink, columns, metrics.clone()),
        )];
        Ok(Job::new(name.to_string(), metrics, tasks, self.memory_budget))
    }

    /// The query ready for DataFusion's planner: views inlined, and each relation pipegen's
    /// operators read themselves (a MATCH_RECOGNIZE, a temporal join's versions, a window
    /// TVF's rows) replaced by a table registered for it in `relations`.
    async fn prepare(&mut self, query: &Query, relations: &mut Relations) -> Result<Query, EngineError> {
        let as_written = query.clone();
        let mut query = self.views.inline(query);
        if let Some(table) = pipegen_sql::referenced_tables(&query)
            .into_iter()
            .find(|t| self.write_only.contains(t))
        {
            return Err(EngineError::unsupported(format!(
                "reading the upsert-kafka table `{table}` (the embedded engine writes upsert-kafka tables)"
            )));
        }
        self.matched_rows(&mut query, &mut relations.matches).await?;
        // A temporal join reads its versions through a table of its own; its operator joins
        // each row with one version (DataFusion alone would join every version).
        self.plan_temporal_joins(
            &mut query,
            (&mut relations.versioned, &mut relations.lookups),
            &relations.lookup_hints,
        )
        .await?;
        crate::legacy_windows::rewrite(&mut query)?;
        crate::grouping_sets::expand(&mut query)?;
        crate::scalar_subquery::rewrite(&mut query)?;
        rewrite_query(&mut query, &self.options)?;
        let windows = window_tvfs(&query);
        if !windows.is_empty()
            && let Some(table) = pipegen_sql::referenced_tables(&query)
                .into_iter()
                .find(|t| self.changelog_tables.contains(t))
        {
            return Err(EngineError::unsupported(format!(
                "a window over the upsert-kafka table `{table}` (its rows update)"
            )));
        }
        for window in &windows {
            let ambiguous = self.windowed_rows(&mut query, window, relations).await?;
            refuse_ambiguous(&as_written, &ambiguous)?;
        }
        Ok(query)
    }

    /// The physical plan the operator graph is built from: one partition, joins as written
    /// (left stays left: outer sides and Flink's changelog follow the SQL), no filter that a
    /// DataFusion join would feed at run time, filters that pass each batch on.
    async fn graph_plan(&self, logical: &LogicalPlan) -> Result<Arc<dyn ExecutionPlan>, EngineError> {
        let mut state = self.ctx.state();
        let options = state.config_mut().options_mut();
        options.execution.target_partitions = 1;
        options.optimizer.join_reordering = false;
        options.optimizer.enable_dynamic_filter_pushdown = false;
        unbuffered_filters(state.create_physical_plan(logical).await?)
    }

    /// Turns a query with state (windows, aggregations, joins, Top-N), planned as `logical`,
    /// into pipegen's operator graph over one partition.
    async fn plan_graph(
        &self,
        query: &Query,
        logical: &LogicalPlan,
        relations: &Relations,
        metrics: &Arc<JobMetrics>,
    ) -> Result<Graph, EngineError> {
        let physical = self.graph_plan(logical).await?;
        let delay = self.watermark_delay(query);
        let rowtime = match pipegen_sql::referenced_tables(query).as_slice() {
            [table] => self
                .sources
                .get(table)
                .and_then(|t| t.watermark.as_ref())
                .zip(delay)
                .map(|(w, delay)| (w.column.clone(), delay)),
            _ => None,
        };
        let builder = Builder {
            config: StateConfig::new(&self.options, delay, self.parallelism),
            changelogs: &self.changelogs,
            event_time: &self.event_time,
            windows: &relations.windowed,
            versioned: &relations.versioned,
            matches: &relations.matches,
            lookups: &relations.lookups,
            metrics: metrics.clone(),
            rowtime,
        };
        builder.build(&physical)
    }

    /// The largest out-of-orderness the query's sources declare (`WATERMARK FOR ts AS ts -
    /// INTERVAL ...`), if every one of them declares it in that form.
    fn watermark_delay(&self, query: &Query) -> Option<i64> {
        let mut delay = None;
        for name in pipegen_sql::referenced_tables(query) {
            let table = self.sources.get(&name)?;
            let watermark = table.watermark.as_ref()?;
            let this = match &watermark.expr {
                Expr::Identifier(_) => 0,
                Expr::BinaryOp {
                    op: datafusion::sql::sqlparser::ast::BinaryOperator::Minus,
                    right,
                    ..
                } => interval_millis(right)?,
                _ => return None,
            };
            delay = Some(delay.unwrap_or(0).max(this));
        }
        delay
    }

    async fn logical_plan(&self, state: SessionState, query: &Query) -> Result<LogicalPlan, EngineError> {
        let plan = state
            .statement_to_plan(DfStatement::Statement(Box::new(SqlStatement::Query(Box::new(
                query.clone(),
            )))))
            .await?;
        Ok(crate::result_types::flink_result_types(plan)?)
    }

    /// The table `name` reads, through views that only filter and project one table.
    fn table_under_views(&self, name: &str) -> Result<String, EngineError> {
        let Some(view) = self.views.get(name) else {
            return Ok(name.to_owned());
        };
        let table = crate::views::filter_of_table(view).ok_or_else(|| {
            EngineError::unsupported(format!(
                "a window table function over the view `{name}`, which does more than filter and project one table"
            ))
        })?;
        self.table_under_views(&table)
    }

    /// SQL reading every row of the table under the view `name` (see
    /// [`Engine::table_under_views`]): the view's columns, whether the row passes every WHERE
    /// on the way (`VIEW_KEEP`), and the watermark value it brings (`VIEW_WATERMARK`), since
    /// Flink assigns watermarks at the source, before any view's WHERE.
    fn unfiltered_view(&self, name: &str, watermark_expr: &Expr) -> Result<String, EngineError> {
        let view = self
            .views
            .get(name)
            .ok_or_else(|| EngineError::UnknownTable(name.to_owned()))?;
        let mut query = Query::clone(&view.query);
        rewrite_query(&mut query, &self.options)?;
        let SetExpr::Select(select) = query.body.as_ref() else {
            return Err(EngineError::unsupported(format!(
                "a window table function over the view `{name}`"
            )));
        };
        let table = crate::views::filter_of_table(view).unwrap_or_default();
        let condition = select
            .selection
            .as_ref()
            .map_or("TRUE".to_owned(), |c| format!("({c}) IS TRUE"));
        let items = select
            .projection
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join(", ");
        if !self.views.contains(&table) {
            return Ok(format!(
                "SELECT {items}, {condition} AS `{VIEW_KEEP}`, {watermark_expr} AS `{VIEW_WATERMARK}` FROM {}",
                quote(&table)
            ));
        }
        // A view's `*` over another view would take that view's helper columns along too.
        if select.projection.iter().any(|item| {
            matches!(
                item,
                datafusion::sql::sqlparser::ast::SelectItem::Wildcard(_)
                    | datafusion::sql::sqlparser::ast::SelectItem::QualifiedWildcard(..)
            )
        }) {
            return Err(EngineError::unsupported(format!(
                "a window table function over the view `{name}`, which selects `*` of a view"
            )));
        }
        let inner = self.unfiltered_view(&table, watermark_expr)?;
        Ok(format!(
            "SELECT {items}, {condition} AND `{VIEW_KEEP}` AS `{VIEW_KEEP}`, `{VIEW_WATERMARK}` FROM ({inner}) AS {}",
            quote(&table)
        ))
    }

    /// One window TVF's rows (its source's partitions, watermark and windows), registered as
    /// a table that takes the TVF's place in `query`. Returns the window columns its input
    /// has too (which Flink calls ambiguous).
    async fn windowed_rows(
        &mut self,
        query: &mut Query,
        window: &WindowTvf,
        relations: &mut Relations,
    ) -> Result<Vec<String>, EngineError> {
        let what = format!("{:?} windows", window.kind);
        let (source, input) = match self.aggregating_view(&window.table) {
            Some(view) => {
                // Cascading windows: the rows of a view that aggregates windows, its query
                // planned with its own windows; they carry its windows' `window_time`.
                let time_index = view_window_time(&view, &window.time_column)?;
                let inner = Box::pin(self.prepare(&view.query, relations)).await?;
                let logical = self.logical_plan(self.ctx.state(), &inner).await?;
                let plan = self.graph_plan(&logical).await?;
                let input = plan.schema();
                if time_index >= input.fields().len() {
                    return Err(EngineError::Invalid(format!(
                        "the view `{}` planned with fewer columns than it selects; please report this",
                        window.table
                    )));
                }
                (WindowedInput::Query { plan, time_index }, input)
            }
            None => {
                let (source, input) = self
                    .source_rows(&window.table, &window.time_column, &what, "DESCRIPTOR(...)")
                    .await?;
                (WindowedInput::Source(source), input)
            }
        };
        let time_index = source.time_index();
        let windowed = windowed_schema(&input, input.field(time_index).data_type());
        let assigner = match window.kind {
            WindowKind::Session => {
                let gap = window
                    .sizes
                    .first()
                    .and_then(interval_millis)
                    .filter(|gap| *gap > 0)
                    .ok_or_else(|| EngineError::Invalid("SESSION takes a positive gap interval".into()))?;
                let keys = window
                    .partition_by
                    .iter()
                    .map(|key| match key {
                        Expr::Identifier(ident) => Ok(input.index_of(&ident.value)?),
                        other => Err(EngineError::unsupported(format!(
                            "SESSION PARTITION BY `{other}` (columns only)"
                        ))),
                    })
                    .collect::<Result<Vec<_>, EngineError>>()?;
                Assigner::Sessions(Box::new(Sessions::new(gap, keys, &input)?))
            }
            _ => Assigner::Slices(WindowSpec::from_tvf(window)?),
        };

        let partition = relations.windowed.register(WindowedRows {
            input: source,
            assigner,
            windowed: windowed.clone(),
            sliced: false,
        });
        self.windows_planned += 1;
        let table_name = format!("__pipegen_window_{}", self.windows_planned);
        self.ctx.register_table(
            &table_name,
            Arc::new(StreamingTable::try_new(windowed.clone(), vec![partition])?),
        )?;
        replace_window_relation(query, &table_name)?;
        Ok(windowed
            .fields()
            .iter()
            .filter_map(|f| f.name().strip_prefix(window::AMBIGUOUS).map(str::to_owned))
            .collect())
    }

    /// Whether `column` is a processing-time attribute (`name AS PROCTIME()`) of a table.
    fn is_proctime(&self, column: &str) -> bool {
        self.sources.values().any(|table| {
            table
                .columns
                .iter()
                .any(|c| c.name == column && matches!(&c.kind, ColumnKind::Computed(expr) if is_proctime_call(expr)))
        })
    }

    /// The view `name` if it does more than filter and project one table (it aggregates).
    fn aggregating_view(&self, name: &str) -> Option<pipegen_sql::CreateView> {
        let view = self.views.get(name)?;
        crate::views::filter_of_table(view).is_none().then(|| view.clone())
    }

    /// Each MATCH_RECOGNIZE of `query` planned, its matches registered as a table that takes
    /// the clause's place.
    async fn matched_rows(&mut self, query: &mut Query, matches: &mut MatchedTables) -> Result<(), EngineError> {
        let mut tables = Vec::new();
        for factor in match_recognize_factors(query) {
            let TableFactor::MatchRecognize { table, order_by, .. } = &factor else {
                continue;
            };
            let TableFactor::Table { name, .. } = table.as_ref() else {
                return Err(EngineError::unsupported(
                    "MATCH_RECOGNIZE over a subquery (a table or a view of one table runs)",
                ));
            };
            let name = name
                .0
                .iter()
                .map(|part| part.as_ident().map_or_else(|| part.to_string(), |i| i.value.clone()))
                .collect::<Vec<_>>()
                .join(".");
            let rowtime = match order_by.first().map(|o| &o.expr) {
                Some(Expr::Identifier(ident)) => ident.value.clone(),
                _ => {
                    return Err(EngineError::unsupported(
                        "MATCH_RECOGNIZE ordered by anything but its input's rowtime ascending",
                    ));
                }
            };
            let (source, input) = self
                .source_rows(&name, &rowtime, "MATCH_RECOGNIZE", "MATCH_RECOGNIZE's ORDER BY")
                .await?;
            let spec = crate::pattern::plan::plan(&self.ctx, &self.options, &factor, &input, &rowtime).await?;
            let schema = spec.output.clone();
            let partition = matches.register(MatchedRows {
                source,
                spec: Arc::new(spec),
                parallelism: self.parallelism,
            });
            self.windows_planned += 1;
            let table_name = format!("__pipegen_match_{}", self.windows_planned);
            self.ctx
                .register_table(&table_name, Arc::new(StreamingTable::try_new(schema, vec![partition])?))?;
            tables.push(table_name);
        }
        replace_match_recognize(query, &tables)
    }

    /// The rows of `table` (a source table, or a view that filters and projects one) with
    /// their watermarks, for an operator on event time over `time_column` (`what`; `naming`
    /// is the clause that names the column); and their columns.
    async fn source_rows(
        &mut self,
        table: &str,
        time_column: &str,
        what: &str,
        naming: &str,
    ) -> Result<(SourceRows, Arc<Schema>), EngineError> {
        // Rows of a view (of views) that filters and projects a table come from the table.
        let source_name = self.table_under_views(table)?;
        let source = self
            .sources
            .get(&source_name)
            .ok_or_else(|| EngineError::UnknownTable(source_name.clone()))?;
        let watermark = source.watermark.as_ref().ok_or_else(|| {
            EngineError::Invalid(format!(
                "`{table}` declares no WATERMARK, so it has no event time for {what}"
            ))
        })?;
        if watermark.column != time_column {
            return Err(EngineError::Invalid(format!(
                "{naming} must name `{table}`'s event-time column, `{}` (the one its WATERMARK is declared on), not `{time_column}`",
                watermark.column
            )));
        }
        let mut watermark_expr = watermark.expr.clone();
        rewrite_expr(&mut watermark_expr, &self.options)?;
        // One stream per source partition, never repartitioned: watermarks are per partition
        // (Flink's per-split watermarks); keyed instances come after.
        let mut state = self.ctx.state();
        state.config_mut().options_mut().execution.target_partitions = 1;
        let (sql, helpers) = if self.views.contains(table) {
            (self.unfiltered_view(table, &watermark_expr)?, 2)
        } else {
            (format!("SELECT * FROM {}", quote(table)), 0)
        };
        let plan = state.create_logical_plan(&sql).await?;
        let rows = datafusion::dataframe::DataFrame::new(state.clone(), plan);
        let read = rows.schema().as_arrow().clone();
        let (watermark_physical, view_step, input) = if helpers == 0 {
            let logical = rows.parse_sql_expr(&watermark_expr.to_string())?;
            (state.create_physical_expr(logical, rows.schema())?, None, read)
        } else {
            let width = read.fields().len() - helpers;
            let column = |name: &str| -> Result<Arc<dyn datafusion::physical_expr::PhysicalExpr>, EngineError> {
                Ok(Arc::new(datafusion::physical_expr::expressions::Column::new(
                    name,
                    read.index_of(name)?,
                )))
            };
            let step = crate::operator::step::Step::Filter {
                predicate: column(VIEW_KEEP)?,
                projection: Some((0..width).collect()),
            };
            (
                column(VIEW_WATERMARK)?,
                Some(step),
                read.project(&(0..width).collect::<Vec<_>>())?,
            )
        };
        let time_index = input.index_of(time_column).map_err(|_| {
            EngineError::Invalid(format!("{naming} names `{time_column}`, which `{table}` does not have"))
        })?;
        let partitions = rows
            .execute_stream_partitioned()
            .await?
            .into_iter()
            .map(crate::operator::merge::inserts)
            .collect();
        let source = SourceRows {
            partitions,
            watermark: watermark_physical,
            time_index,
            idle_timeout: self.options.idle_timeout,
            view: view_step,
        };
        Ok((source, Arc::new(input)))
    }
}

/// The plan with every filter passing its rows on as each input batch is filtered. DataFusion's
/// filters gather rows into full batches (8,192 rows) first: fine for a bounded scan, but on a
/// stream at 100 rows/s it would hold results back for over a minute, or until the run ends.
fn unbuffered_filters(plan: Arc<dyn ExecutionPlan>) -> Result<Arc<dyn ExecutionPlan>, EngineError> {
    Ok(plan
        .transform_up(|node| {
            Ok(match node.downcast_ref::<FilterExec>() {
                // A target of one row: every non-empty batch is "large" and passes through
                // whole, without being split or merged.
                Some(filter) => Transformed::yes(Arc::new(filter.with_batch_size(1)?) as Arc<dyn ExecutionPlan>),
                None => Transformed::no(node),
            })
        })?
        .data)
}

/// Spawns one of a job's tasks; its failure is recorded in the job's metrics at once, so a
/// watcher sees it while the job's other tasks still run.
fn spawn_watched(
    metrics: Arc<JobMetrics>,
    task: impl std::future::Future<Output = Result<(), EngineError>> + Send + 'static,
) -> tokio::task::JoinHandle<Result<(), EngineError>> {
    tokio::spawn(async move {
        let result = task.await;
        if let Err(e) = &result {
            metrics.fail(e);
        }
        result
    })
}

/// Runs a plan's output into a sink.
async fn drain(
    mut output: MessageStream,
    mut sink: Box<dyn TableSink>,
    columns: Option<SchemaRef>,
    metrics: Arc<JobMetrics>,
) -> Result<(), EngineError> {
    while let Some(message) = output.next().await {
        let Message::Changes(Changes { mut rows, kinds, .. }) = message? else {
            continue;
        };
        if let Some(columns) = &columns {
            rows = into_columns(&rows, columns)?;
        }
        JobMetrics::add(&metrics.records_out, rows.num_rows());
        sink.write(&rows, kinds.as_deref())?;
        metrics
            .result_bytes
            .store(sink.held_bytes() as u64, std::sync::atomic::Ordering::Relaxed);
    }
    sink.finish()
}

/// Timestamps of one unit whose zones both mean UTC (none is read as UTC, the engine's session
/// time zone).
fn same_instants(from: &DataType, to: &DataType) -> bool {
    let utc = |tz: &Option<Arc<str>>| tz.as_deref().is_none_or(|z| matches!(z, "UTC" | "+00:00" | "Z"));
    matches!((from, to), (DataType::Timestamp(a, tz_a), DataType::Timestamp(b, tz_b)) if a == b && utc(tz_a) && utc(tz_b))
}

/// A query's rows as the sink table's columns, by position, cast to the declared types as an
/// INSERT does (`SUM` of an INT column into an INT column, a DECIMAL into a wider one).
fn into_columns(batch: &RecordBatch, columns: &SchemaRef) -> Result<RecordBatch, EngineError> {
    let arrays = batch
        .columns()
        .iter()
        .zip(columns.fields())
        .map(|(array, field)| {
            if array.data_type() == field.data_type() {
                Ok(array.clone())
            } else if same_instants(array.data_type(), field.data_type()) {
                // TIMESTAMP into TIMESTAMP_LTZ (or back) with the session zone at UTC: the
                // same epoch values under another type, no per-value conversion.
                let data = array
                    .to_data()
                    .into_builder()
                    .data_type(field.data_type().clone())
                    .build()?;
                Ok(datafusion::arrow::array::make_array(data))
            } else {
                datafusion::arrow::compute::cast(array, field.data_type()).map_err(|e| {
                    EngineError::Invalid(format!(
                        "column `{}` takes {}, and the query's {} does not cast to it: {e}",
                        field.name(),
                        field.data_type(),
                        array.data_type()
                    ))
                })
            }
        })
        .collect::<Result<Vec<_>, _>>()?;
    // A NULL into a NOT NULL column fails, as Flink's default not-null enforcer does.
    RecordBatch::try_new(columns.clone(), arrays)
        .map_err(|e| EngineError::Invalid(format!("a row does not fit the sink's columns: {e}")))
}

/// Puts `table` where the query's FROM calls the window function: in its own FROM, or in a
/// subquery's (a window Top-N ranks a windowed subquery).
fn replace_window_relation(query: &mut Query, table: &str) -> Result<(), EngineError> {
    struct Replace<'a> {
        table: &'a str,
        done: Option<Result<(), EngineError>>,
    }
    impl datafusion::sql::sqlparser::ast::VisitorMut for Replace<'_> {
        type Break = ();
        fn pre_visit_table_factor(&mut self, factor: &mut TableFactor) -> std::ops::ControlFlow<()> {
            if let TableFactor::TableFunction { alias, .. } = factor {
                let alias = alias.as_ref().map(|a| format!(" AS {a}")).unwrap_or_default();
                let sql = format!("SELECT 1 FROM {}{alias}", quote(self.table));
                self.done = Some(crate::legacy_windows::parse_relation(&sql).map(|relation| *factor = relation));
                return std::ops::ControlFlow::Break(());
            }
            std::ops::ControlFlow::Continue(())
        }
    }
    let mut replace = Replace { table, done: None };
    let _ = datafusion::sql::sqlparser::ast::VisitMut::visit(query, &mut replace);
    replace
        .done
        .unwrap_or_else(|| Err(EngineError::unsupported("a window function outside a FROM clause")))
}

/// Whether an expression is `PROCTIME()`.
fn is_proctime_call(expr: &Expr) -> bool {
    matches!(expr, Expr::Function(f) if f.name.to_string().eq_ignore_ascii_case("PROCTIME"))
}

/// The relations of a query that pipegen's operators read themselves, each where the plan
/// scans the table registered for it.
#[derive(Default)]
struct Relations {
    /// The LOOKUP hints of the query and of the views it reads.
    lookup_hints: Vec<LookupHint>,
    windowed: WindowedTables,
    versioned: VersionedTables,
    matches: MatchedTables,
    lookups: LookupTables,
}

impl Relations {
    /// Whether the query reads windows, matches or lookup tables (so it runs as an operator
    /// graph).
    fn read_by_operators(&self) -> bool {
        !self.windowed.is_empty() || !self.matches.is_empty() || !self.lookups.is_empty()
    }
}

/// Flink's refusal of a window column that both a cascading window and the view under it
/// have (`ambiguous`), when the query as written names it outside a DESCRIPTOR, or selects `*`.
fn refuse_ambiguous(query: &Query, ambiguous: &[String]) -> Result<(), EngineError> {
    use datafusion::sql::sqlparser::ast::{SelectItem, visit_expressions, visit_expressions_mut};
    let Some(first) = ambiguous.first() else {
        return Ok(());
    };
    let mut query = query.clone();
    let _ = visit_expressions_mut(&mut query, |expr| {
        if matches!(expr, Expr::Function(f) if f.name.to_string().eq_ignore_ascii_case("DESCRIPTOR")) {
            *expr = Expr::value(datafusion::sql::sqlparser::ast::Value::Null);
        }
        std::ops::ControlFlow::<()>::Continue(())
    });
    let mut named = None;
    let _ = visit_expressions(&query, |expr| {
        if let Expr::Identifier(ident) = expr
            && let Some(name) = ambiguous.iter().find(|a| a.eq_ignore_ascii_case(&ident.value))
        {
            named = Some(name.clone());
            return std::ops::ControlFlow::Break(());
        }
        std::ops::ControlFlow::Continue(())
    });
    let star = matches!(query.body.as_ref(), SetExpr::Select(select) if select
        .projection
        .iter()
        .any(|item| matches!(item, SelectItem::Wildcard(_) | SelectItem::QualifiedWildcard(..))));
    match named.or(star.then(|| first.clone())) {
        Some(name) => Err(EngineError::Invalid(format!(
            "Column '{name}' is ambiguous: the window and the view it reads both have it (Flink refuses it \
             too); select the view's window columns under other names"
        ))),
        None => Ok(()),
    }
}

/// The column of `view` a window over it reads (`descriptor`): it must be the `window_time`
/// of the view's own window (its time attribute, as Flink requires), selected as it is.
fn view_window_time(view: &pipegen_sql::CreateView, descriptor: &str) -> Result<usize, EngineError> {
    use datafusion::sql::sqlparser::ast::SelectItem;
    let refused = || {
        EngineError::unsupported(format!(
            "a window over the view `{}` on `{descriptor}`, which is not the `window_time` of the view's own window",
            view.name
        ))
    };
    let SetExpr::Select(select) = view.query.body.as_ref() else {
        return Err(refused());
    };
    if select
        .projection
        .iter()
        .any(|item| matches!(item, SelectItem::Wildcard(_) | SelectItem::QualifiedWildcard(..)))
    {
        return Err(refused());
    }
    let is_window_time =
        |expr: &Expr| matches!(expr, Expr::Identifier(i) if i.value.eq_ignore_ascii_case(window::WINDOW_TIME));
    select
        .projection
        .iter()
        .position(|item| match item {
            SelectItem::UnnamedExpr(expr) => {
                is_window_time(expr) && descriptor.eq_ignore_ascii_case(window::WINDOW_TIME)
            }
            SelectItem::ExprWithAlias { expr, alias } => is_window_time(expr) && alias.value == descriptor,
            _ => false,
        })
        .ok_or_else(refused)
}

/// The query's `MATCH_RECOGNIZE` clauses (which DataFusion cannot plan), in order.
fn match_recognize_factors(query: &Query) -> Vec<TableFactor> {
    struct Find(Vec<TableFactor>);
    impl datafusion::sql::sqlparser::ast::Visitor for Find {
        type Break = ();
        fn pre_visit_table_factor(&mut self, factor: &TableFactor) -> std::ops::ControlFlow<()> {
            if matches!(factor, TableFactor::MatchRecognize { .. }) {
                self.0.push(factor.clone());
            }
            std::ops::ControlFlow::Continue(())
        }
    }
    let mut find = Find(Vec::new());
    let _ = datafusion::sql::sqlparser::ast::Visit::visit(query, &mut find);
    find.0
}

/// Puts the tables `tables` where the query's MATCH_RECOGNIZE clauses are, in order.
fn replace_match_recognize(query: &mut Query, tables: &[String]) -> Result<(), EngineError> {
    struct Replace<'a> {
        tables: std::slice::Iter<'a, String>,
        done: Result<(), EngineError>,
    }
    impl datafusion::sql::sqlparser::ast::VisitorMut for Replace<'_> {
        type Break = ();
        fn pre_visit_table_factor(&mut self, factor: &mut TableFactor) -> std::ops::ControlFlow<()> {
            if let TableFactor::MatchRecognize { alias, .. } = factor
                && let Some(table) = self.tables.next()
            {
                if alias.as_ref().is_some_and(|a| !a.columns.is_empty()) {
                    self.done = Err(EngineError::unsupported("column aliases on a MATCH_RECOGNIZE"));
                    return std::ops::ControlFlow::Break(());
                }
                let alias = alias.as_ref().map(|a| format!(" AS {}", a.name)).unwrap_or_default();
                let sql = format!("SELECT 1 FROM {}{alias}", quote(table));
                match crate::legacy_windows::parse_relation(&sql) {
                    Ok(relation) => *factor = relation,
                    Err(error) => {
                        self.done = Err(error);
                        return std::ops::ControlFlow::Break(());
                    }
                }
            }
            std::ops::ControlFlow::Continue(())
        }
    }
    let mut replace = Replace {
        tables: tables.iter(),
        done: Ok(()),
    };
    let _ = datafusion::sql::sqlparser::ast::VisitMut::visit(query, &mut replace);
    replace.done
}

/// Gives an error without a position the statement's.
fn locate(error: EngineError, statement: &ParsedStatement) -> EngineError {
    match error {
        EngineError::Unsupported { construct, at: None } => EngineError::Unsupported {
            construct,
            at: Some(statement.position),
        },
        other => other,
    }
}

/// The name a source table's physical columns are registered under; the table users query is a
/// view over it that adds the computed columns.
fn physical_name(table: &CreateTable) -> String {
    format!("{}__physical", table.name)
}

/// The columns a window over a view adds to the table's rows, and drops once used.
const VIEW_KEEP: &str = "__pipegen_view_keep";
const VIEW_WATERMARK: &str = "__pipegen_view_watermark";

fn first_words(text: &str) -> String {
    text.split_whitespace().take(2).collect::<Vec<_>>().join(" ")
}

/// Whether a query keeps state across rows (outside windows): aggregations, joins (and
/// subqueries), OVER, sorts, limits, DISTINCT (and UNION without ALL). UNION ALL interleaves its inputs' streams
/// and keeps none.
fn keeps_state(plan: &LogicalPlan, changelogs: &ChangelogSources) -> bool {
    let reads_changelog = match plan {
        LogicalPlan::TableScan(scan) => changelogs.is_changelog_table(scan.table_name.table()),
        _ => false,
    };
    // A subquery (IN, EXISTS, a scalar) becomes a join once planned.
    let subquery = plan.expressions().iter().any(|expr| {
        expr.exists(|e| {
            Ok(matches!(
                e,
                datafusion::logical_expr::Expr::Exists(_)
                    | datafusion::logical_expr::Expr::InSubquery(_)
                    | datafusion::logical_expr::Expr::ScalarSubquery(_)
            ))
        })
        .unwrap_or(true)
    });
    reads_changelog
        || subquery
        || matches!(
            plan,
            LogicalPlan::Aggregate(_)
                | LogicalPlan::Window(_)
                | LogicalPlan::Join(_)
                | LogicalPlan::Sort(_)
                | LogicalPlan::Limit(_)
                | LogicalPlan::Distinct(_)
        )
        || plan.inputs().into_iter().any(|input| keeps_state(input, changelogs))
}
