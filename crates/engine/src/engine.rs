//! Running a project's statements: tables become DataFusion sources, INSERTs become streams
//! from source to sink. This first slice runs stateless pipelines (projection, filter, scalar
//! functions) from `datagen` into `blackhole` and `print`; anything else is refused at deploy
//! time, naming the construct.

use std::collections::HashMap;
use std::sync::Arc;

use datafusion::arrow::datatypes::{Field, Schema, SchemaRef};
use datafusion::arrow::util::display::{ArrayFormatter, FormatOptions};
use datafusion::catalog::streaming::StreamingTable;
use datafusion::logical_expr::LogicalPlan;
use datafusion::physical_plan::streaming::PartitionStream;
use datafusion::prelude::{SessionConfig, SessionContext};
use datafusion::sql::parser::Statement as DfStatement;
use datafusion::sql::sqlparser::ast::Statement as SqlStatement;
use futures::StreamExt;
use pipegen_sql::{ColumnKind, CreateTable, Insert, ParsedStatement, Statement, window_tvfs};

use crate::connectors::datagen::{DatagenPartition, DatagenSpec};
use crate::error::EngineError;
use crate::translate::{rewrite_expr, rewrite_query};
use crate::types::arrow_type;

/// What an INSERT did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct InsertOutcome {
    pub rows_out: u64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum SinkKind {
    Blackhole,
    Print,
}

pub struct Engine {
    ctx: SessionContext,
    parallelism: usize,
    sinks: HashMap<String, (SinkKind, usize)>,
    settings: HashMap<String, String>,
}

impl Engine {
    /// An engine running every operator with `parallelism` instances.
    pub fn new(parallelism: usize) -> Self {
        let mut config = SessionConfig::new().with_target_partitions(parallelism.max(1));
        // Flink identifiers are case-sensitive; keep them as written.
        config.options_mut().sql_parser.enable_ident_normalization = false;
        Self {
            ctx: SessionContext::new_with_config(config),
            parallelism: parallelism.max(1),
            sinks: HashMap::new(),
            settings: HashMap::new(),
        }
    }

    /// Runs one statement; INSERTs run to the end of their (bounded) input.
    pub async fn execute(&mut self, statement: &ParsedStatement) -> Result<Vec<InsertOutcome>, EngineError> {
        let located = |e: EngineError| match e {
            EngineError::Unsupported { construct, at: None } => EngineError::Unsupported {
                construct,
                at: Some(statement.position),
            },
            other => other,
        };
        match &statement.kind {
            Statement::CreateTable(table) => self.declare(table).await.map(|()| Vec::new()).map_err(located),
            Statement::Set {
                key: Some(key),
                value: Some(value),
            } => {
                self.settings.insert(key.clone(), value.clone());
                Ok(Vec::new())
            }
            Statement::Set { .. } | Statement::Reset { .. } => Ok(Vec::new()),
            Statement::Insert(insert) => Ok(vec![self.run_insert(insert).await.map_err(located)?]),
            Statement::StatementSet(inserts) => {
                let runs = inserts.iter().map(|insert| self.run_insert(insert));
                futures::future::join_all(runs)
                    .await
                    .into_iter()
                    .map(|r| r.map_err(located))
                    .collect()
            }
            Statement::CreateView(_) => Err(located(EngineError::unsupported("CREATE VIEW"))),
            Statement::Query(_) => Err(located(EngineError::unsupported(
                "a bare SELECT (use INSERT INTO a print table)",
            ))),
            Statement::Other(other) => Err(located(EngineError::unsupported(format!(
                "`{}`",
                first_words(&other.to_string())
            )))),
        }
    }

    async fn declare(&mut self, table: &CreateTable) -> Result<(), EngineError> {
        let physical: Vec<Field> = table
            .physical_columns()
            .map(|c| match &c.kind {
                ColumnKind::Physical(ty) => Ok(Field::new(&c.name, arrow_type(ty)?, ty.nullable)),
                _ => unreachable!("physical_columns yields physical columns"),
            })
            .collect::<Result<_, EngineError>>()?;
        if table
            .columns
            .iter()
            .any(|c| matches!(c.kind, ColumnKind::Metadata { .. }))
        {
            return Err(EngineError::unsupported("METADATA columns"));
        }
        let schema: SchemaRef = Arc::new(Schema::new(physical));
        match table.connector() {
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
                let source = format!("{}__physical", table.name);
                self.ctx
                    .register_table(&source, Arc::new(StreamingTable::try_new(schema.clone(), partitions)?))?;
                self.register_view(table, &source).await
            }
            Some(kind @ ("blackhole" | "print")) => {
                let kind = if kind == "print" {
                    SinkKind::Print
                } else {
                    SinkKind::Blackhole
                };
                self.sinks.insert(table.name.clone(), (kind, schema.fields().len()));
                Ok(())
            }
            Some(other) => Err(EngineError::unsupported(format!("the '{other}' connector"))),
            None => Err(EngineError::Invalid(format!("table `{}` has no connector", table.name))),
        }
    }

    /// The table users query: its physical columns plus its computed ones.
    async fn register_view(&mut self, table: &CreateTable, source: &str) -> Result<(), EngineError> {
        let columns: Vec<String> = table
            .columns
            .iter()
            .map(|c| match &c.kind {
                ColumnKind::Computed(expr) => {
                    let mut expr = (**expr).clone();
                    rewrite_expr(&mut expr);
                    format!("{expr} AS {}", quote(&c.name))
                }
                _ => quote(&c.name),
            })
            .collect();
        let view = self
            .ctx
            .sql(&format!("SELECT {} FROM {}", columns.join(", "), quote(source)))
            .await?;
        self.ctx.register_table(&table.name, view.into_view())?;
        Ok(())
    }

    async fn run_insert(&self, insert: &Insert) -> Result<InsertOutcome, EngineError> {
        if let Some(window) = window_tvfs(&insert.query).first() {
            let kind = format!("{:?}", window.kind).to_uppercase();
            return Err(EngineError::unsupported(format!("{kind} windows")));
        }
        let (sink, width) = *self
            .sinks
            .get(&insert.target)
            .ok_or_else(|| EngineError::UnknownTable(insert.target.clone()))?;
        let mut query = insert.query.clone();
        rewrite_query(&mut query);
        let plan = self
            .ctx
            .state()
            .statement_to_plan(DfStatement::Statement(Box::new(SqlStatement::Query(query))))
            .await?;
        refuse_stateful(&plan)?;
        let produced = plan.schema().fields().len();
        if produced != width {
            return Err(EngineError::Invalid(format!(
                "the query produces {produced} columns but `{}` takes {width}",
                insert.target
            )));
        }
        let mut stream = self.ctx.execute_logical_plan(plan).await?.execute_stream().await?;
        let mut rows_out = 0u64;
        while let Some(batch) = stream.next().await {
            let batch = batch?;
            rows_out += batch.num_rows() as u64;
            if sink == SinkKind::Print {
                print_rows(&batch)?;
            }
        }
        Ok(InsertOutcome { rows_out })
    }
}

fn quote(identifier: &str) -> String {
    format!("`{}`", identifier.replace('`', "``"))
}

fn first_words(text: &str) -> String {
    text.split_whitespace().take(2).collect::<Vec<_>>().join(" ")
}

/// Names the first operator that keeps state across rows; this slice runs none of them.
fn refuse_stateful(plan: &LogicalPlan) -> Result<(), EngineError> {
    let construct = match plan {
        LogicalPlan::Aggregate(_) => Some("GROUP BY aggregations"),
        LogicalPlan::Window(_) => Some("OVER windows"),
        LogicalPlan::Join(_) => Some("joins"),
        LogicalPlan::Sort(_) => Some("ORDER BY"),
        LogicalPlan::Limit(_) => Some("LIMIT"),
        LogicalPlan::Distinct(_) => Some("DISTINCT"),
        LogicalPlan::Union(_) => Some("UNION"),
        _ => None,
    };
    if let Some(construct) = construct {
        return Err(EngineError::unsupported(construct));
    }
    plan.inputs().into_iter().try_for_each(refuse_stateful)
}

/// Flink's print sink: `+I[a, b, c]` per row.
fn print_rows(batch: &datafusion::arrow::record_batch::RecordBatch) -> Result<(), EngineError> {
    let options = FormatOptions::default().with_null("NULL");
    let formatters = batch
        .columns()
        .iter()
        .map(|c| ArrayFormatter::try_new(c.as_ref(), &options))
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| EngineError::Invalid(e.to_string()))?;
    for row in 0..batch.num_rows() {
        let fields: Vec<String> = formatters.iter().map(|f| f.value(row).to_string()).collect();
        println!("+I[{}]", fields.join(", "));
    }
    Ok(())
}
