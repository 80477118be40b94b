//! Window table functions (TUMBLE, HOP, CUMULATE, SESSION) and the aggregations over them,
//! on event time. DataFusion plans the query as if the windowed rows were a table; pipegen's
//! operators run the parts that need time:
//!
//! ```text
//! source partitions --merge (watermarks, each row's met)--> assign windows, judge lateness
//!                   --> [the plan's filters and projections under the aggregate]
//!                   --> WindowAggregate (keyed; fires when the watermark passes a window's end)
//!                   --> channel --> [the rest of the plan: projection, HAVING] --> sink
//! ```
//!
//! A window TVF without aggregation sends the assigned rows straight into the plan.

pub mod aggregate;
pub mod session;
pub mod spec;

use std::sync::Arc;

use datafusion::arrow::array::{RecordBatch, TimestampMillisecondArray};
use datafusion::arrow::datatypes::{DataType, Field, Schema, SchemaRef, TimeUnit};
use datafusion::common::tree_node::{Transformed, TreeNode};
use datafusion::physical_expr::PhysicalExpr;
use datafusion::physical_expr::expressions::Column;
use datafusion::physical_plan::ExecutionPlan;
use datafusion::physical_plan::aggregates::{AggregateExec, AggregateMode};
use datafusion::physical_plan::filter::FilterExec;
use datafusion::physical_plan::projection::ProjectionExec;
use datafusion::physical_plan::streaming::StreamingTableExec;
use futures::StreamExt;
use tokio::sync::mpsc;

use crate::changes::Changes;
use crate::error::EngineError;
use crate::metrics::JobMetrics;
use crate::operator::channel::ChannelPartition;
use crate::operator::merge::{self, MergeOptions, PartitionStream, Watermarks, epoch_millis};
use crate::operator::step::Step;
use crate::operator::{Message, MessageStream, Operator};
use aggregate::{AggregateShape, GroupKey, TwoPhase, WindowAggregator};
use spec::WindowSpec;

pub const WINDOW_START: &str = "window_start";
pub const WINDOW_END: &str = "window_end";
pub const WINDOW_TIME: &str = "window_time";

/// The columns a window TVF produces: its input's, then `window_start`, `window_end`,
/// `window_time` (Flink's types: TIMESTAMP(3) NOT NULL, and the time attribute's type).
pub fn windowed_schema(input: &Schema, time_type: &DataType) -> SchemaRef {
    let tz = match time_type {
        DataType::Timestamp(_, tz) => tz.clone(),
        _ => None,
    };
    let mut fields: Vec<Field> = input.fields().iter().map(|f| f.as_ref().clone()).collect();
    fields.push(Field::new(
        WINDOW_START,
        DataType::Timestamp(TimeUnit::Millisecond, None),
        false,
    ));
    fields.push(Field::new(
        WINDOW_END,
        DataType::Timestamp(TimeUnit::Millisecond, None),
        false,
    ));
    fields.push(Field::new(
        WINDOW_TIME,
        DataType::Timestamp(TimeUnit::Millisecond, tz),
        false,
    ));
    Arc::new(Schema::new(fields))
}

/// How rows find their windows.
pub enum Assigner {
    /// TUMBLE, HOP, CUMULATE: windows follow from a row's time alone.
    Slices(WindowSpec),
    /// SESSION: windows grow as a key's rows arrive.
    Sessions(Box<session::Sessions>),
}

/// The source side of a windowed query: one stream per source partition.
pub struct WindowSource {
    pub partitions: Vec<PartitionStream>,
    /// The table's WATERMARK expression, over the partitions' rows.
    pub watermark: Arc<dyn PhysicalExpr>,
    pub time_index: usize,
    /// `table.exec.source.idle-timeout`: a partition silent this long holds nothing back.
    pub idle_timeout: Option<std::time::Duration>,
    /// A view's filter and projection, after the watermark was taken from the source's rows
    /// (Flink assigns watermarks at the source, before the view's WHERE).
    pub view: Option<Step>,
}

/// The steps under a window aggregation, and the aggregation's instances.
type Aggregation = (Vec<Step>, Vec<Box<dyn Operator>>);

/// A planned windowed INSERT or query, ready to run.
pub struct WindowPipeline {
    source: WindowSource,
    assign: Box<dyn Operator>,
    /// The steps under the aggregate and the aggregate's instances (none without one).
    aggregate: Option<Aggregation>,
    sender: mpsc::Sender<datafusion::error::Result<RecordBatch>>,
}

/// Splits a physical plan over the windowed table (whose leaf reads `rows_partition`) into what
/// pipegen runs and what DataFusion runs; returns the pipeline and the plan to execute.
pub fn split_plan(
    assigner: Assigner,
    source: WindowSource,
    windowed: SchemaRef,
    rows_sender: mpsc::Sender<datafusion::error::Result<RecordBatch>>,
    plan: Arc<dyn ExecutionPlan>,
    parallelism: usize,
    metrics: Arc<JobMetrics>,
) -> Result<(WindowPipeline, Arc<dyn ExecutionPlan>), EngineError> {
    let mut aggregates = Vec::new();
    plan.apply(|node| {
        if node.is::<AggregateExec>() {
            aggregates.push(node.clone());
        }
        Ok(datafusion::common::tree_node::TreeNodeRecursion::Continue)
    })?;
    check_streamable(&plan)?;
    let tumble_size = match &assigner {
        Assigner::Slices(WindowSpec::Tumble { size, .. }) => Some(*size),
        _ => None,
    };
    let assign: Box<dyn Operator> = match assigner {
        Assigner::Slices(spec) => Box::new(AssignWindows {
            spec,
            time_index: source.time_index,
            windowed: windowed.clone(),
            metrics: metrics.clone(),
        }),
        Assigner::Sessions(sessions) => Box::new(AssignSessions {
            sessions,
            time_index: source.time_index,
            windowed: windowed.clone(),
            metrics,
        }),
    };
    let node = match aggregates.as_slice() {
        [] => {
            let pipeline = WindowPipeline {
                source,
                assign,
                aggregate: None,
                sender: rows_sender,
            };
            return Ok((pipeline, plan));
        }
        [node] => node.clone(),
        _ => return Err(EngineError::unsupported("more than one aggregation over a window")),
    };
    let aggregate = node.downcast_ref::<AggregateExec>().expect("found as AggregateExec");
    if !matches!(
        aggregate.mode(),
        AggregateMode::Single | AggregateMode::SinglePartitioned
    ) {
        return Err(EngineError::Invalid(format!(
            "unexpected aggregate plan ({:?}); please report this",
            aggregate.mode()
        )));
    }
    if aggregate.group_expr().has_grouping_set() {
        return Err(EngineError::unsupported("GROUPING SETS, CUBE or ROLLUP over a window"));
    }
    let keys: Vec<GroupKey> = aggregate
        .group_expr()
        .expr()
        .iter()
        .map(|(expr, _)| match expr.downcast_ref::<Column>().map(Column::name) {
            Some(WINDOW_START) => GroupKey::WindowStart(expr.clone()),
            Some(WINDOW_END) => GroupKey::WindowEnd(expr.clone()),
            Some(WINDOW_TIME) => GroupKey::WindowTime,
            _ => GroupKey::Row(expr.clone()),
        })
        .collect();
    let has = |f: fn(&GroupKey) -> bool| keys.iter().any(f);
    if !has(|k| matches!(k, GroupKey::WindowStart(_))) || !has(|k| matches!(k, GroupKey::WindowEnd(_))) {
        return Err(EngineError::Invalid(
            "a window aggregation must GROUP BY window_start and window_end, as Flink requires".into(),
        ));
    }
    let below = below_steps(aggregate.input())?;
    let output = aggregate.schema();
    let shape = AggregateShape {
        keys,
        aggregates: aggregate.aggr_expr().to_vec(),
        filters: aggregate.filter_expr().to_vec(),
        output: output.clone(),
    };
    let input_schema = aggregate.input().schema();
    // A global aggregate per window runs as one instance; one by key as `parallelism`.
    let instances = if shape.row_keys().is_empty() {
        1
    } else {
        parallelism.max(1)
    };
    // Flink splits a TUMBLE aggregation into local and global phases when every aggregate
    // merges; HOP and CUMULATE merge slices, SESSION windows run in one phase.
    let two_phase = tumble_size
        .filter(|_| aggregate::merges_partials(&shape.aggregates))
        .map(TwoPhase::new);
    let aggregators = (0..instances)
        .map(|_| {
            Ok(Box::new(WindowAggregate {
                keys: shape.row_keys(),
                aggregator: WindowAggregator::new(shape.clone(), &input_schema, two_phase.clone())?,
            }) as Box<dyn Operator>)
        })
        .collect::<Result<Vec<_>, EngineError>>()?;
    let (sender, partition) = ChannelPartition::new(output.clone());
    let replacement: Arc<dyn ExecutionPlan> = Arc::new(StreamingTableExec::try_new(
        output,
        vec![partition],
        None,
        vec![],
        true,
        None,
    )?);
    let above = plan
        .transform_up(|n| {
            Ok(if Arc::ptr_eq(&n, &node) {
                Transformed::yes(replacement.clone())
            } else {
                Transformed::no(n)
            })
        })?
        .data;
    let pipeline = WindowPipeline {
        source,
        assign,
        aggregate: Some((below, aggregators)),
        sender,
    };
    Ok((pipeline, above))
}

/// The operators a streaming plan may hold around the window stage: everything else keeps
/// state or needs the whole input.
fn check_streamable(plan: &Arc<dyn ExecutionPlan>) -> Result<(), EngineError> {
    let mut refused = None;
    plan.apply(|node| {
        let allowed = node.is::<ProjectionExec>()
            || node.is::<FilterExec>()
            || node.is::<StreamingTableExec>()
            || node.is::<AggregateExec>()
            || crate::graph::is_exchange(node);
        if !allowed {
            refused = Some(if node.is::<datafusion::physical_plan::union::UnionExec>() {
                "UNION over windows".to_string()
            } else if crate::graph::is_join(node) {
                "joins over windows".to_string()
            } else {
                crate::graph::refused(node)
            });
            return Ok(datafusion::common::tree_node::TreeNodeRecursion::Stop);
        }
        Ok(datafusion::common::tree_node::TreeNodeRecursion::Continue)
    })?;
    match refused {
        Some(construct) => Err(EngineError::unsupported(construct)),
        None => Ok(()),
    }
}

/// The steps from the windowed rows up to the aggregate's input, bottom first.
fn below_steps(input: &Arc<dyn ExecutionPlan>) -> Result<Vec<Step>, EngineError> {
    let mut steps = Vec::new();
    let mut node = input.clone();
    loop {
        if let Some(filter) = node.downcast_ref::<FilterExec>() {
            steps.push(Step::filter(filter));
            node = filter.input().clone();
        } else if let Some(projection) = node.downcast_ref::<ProjectionExec>() {
            steps.push(Step::projection(projection));
            node = projection.input().clone();
        } else if crate::graph::is_exchange(&node) {
            node = node.children()[0].clone();
        } else if let Some(scan) = node.downcast_ref::<StreamingTableExec>() {
            if let Some(columns) = scan.projection() {
                steps.push(Step::Project(columns.to_vec()));
            }
            break;
        } else {
            return Err(EngineError::unsupported(format!(
                "{} between a window and its aggregation",
                node.name()
            )));
        }
    }
    steps.reverse();
    Ok(steps)
}

impl WindowPipeline {
    /// Runs until every source ends (bounded inputs) or the job is dropped.
    pub async fn run(self, metrics: Arc<JobMetrics>) -> Result<(), EngineError> {
        let WindowPipeline {
            source,
            assign,
            aggregate,
            sender,
        } = self;
        let options = MergeOptions {
            watermarks: Watermarks::Expr(source.watermark),
            idle_timeout: source.idle_timeout,
            measure: true,
        };
        let mut stream: MessageStream = merge::merge(source.partitions, options, metrics.clone());
        if let Some(view) = source.view {
            stream = crate::operator::run(vec![stream], vec![Box::new(view)], &metrics);
        }
        stream = crate::operator::run(vec![stream], vec![assign], &metrics);
        if let Some((below, aggregators)) = aggregate {
            for step in below {
                stream = crate::operator::run(vec![stream], vec![Box::new(step)], &metrics);
            }
            stream = crate::operator::run(vec![stream], aggregators, &metrics);
        }
        while let Some(message) = stream.next().await {
            if let Message::Changes(changes) = message? {
                // A closed channel means the plan downstream failed; its task reports the error.
                if sender.send(Ok(changes.rows)).await.is_err() {
                    break;
                }
            }
        }
        Ok(())
    }
}

/// Appends `window_start`, `window_end` and `window_time` to assigned rows.
fn with_bounds(
    windowed: &SchemaRef,
    assigned: RecordBatch,
    starts: Vec<i64>,
    ends: Vec<i64>,
) -> Result<RecordBatch, EngineError> {
    let time_zone = match windowed.fields().last().map(|f| f.data_type()) {
        Some(DataType::Timestamp(_, tz)) => tz.clone(),
        _ => None,
    };
    let window_times = TimestampMillisecondArray::from_iter_values(ends.iter().map(|end| end - 1));
    let mut columns = assigned.columns().to_vec();
    columns.push(Arc::new(TimestampMillisecondArray::from(starts)));
    columns.push(Arc::new(TimestampMillisecondArray::from(ends)));
    columns.push(Arc::new(window_times.with_timezone_opt(time_zone)));
    Ok(RecordBatch::try_new(windowed.clone(), columns)?)
}

/// The watermark each row met (none yet when the source declares none).
fn met(changes: &Changes) -> Vec<i64> {
    changes
        .met
        .clone()
        .unwrap_or_else(|| vec![crate::watermark::NO_WATERMARK; changes.rows.num_rows()])
}

/// TUMBLE, HOP and CUMULATE: each row goes into every window containing it that had not
/// fired when the row arrived (judged against the watermark it met, as Flink does).
struct AssignWindows {
    spec: WindowSpec,
    time_index: usize,
    windowed: SchemaRef,
    metrics: Arc<JobMetrics>,
}

impl Operator for AssignWindows {
    fn name(&self) -> &'static str {
        "WindowTableFunction"
    }

    fn on_changes(&mut self, _input: usize, changes: Changes, out: &mut Vec<Changes>) -> Result<(), EngineError> {
        let rows = changes.rows.num_rows();
        let times = epoch_millis(changes.rows.column(self.time_index))?;
        let met = met(&changes);
        let mut taken: Vec<u32> = Vec::with_capacity(rows);
        let mut taken_met: Vec<i64> = Vec::with_capacity(rows);
        let mut starts: Vec<i64> = Vec::with_capacity(rows);
        let mut ends: Vec<i64> = Vec::with_capacity(rows);
        let mut late = 0usize;
        for row in 0..rows {
            let Some(time) = times[row] else { continue };
            let mut kept = false;
            self.spec.assign(time, |window| {
                if window.max_timestamp() > met[row] {
                    taken.push(row as u32);
                    taken_met.push(met[row]);
                    starts.push(window.start);
                    ends.push(window.end);
                    kept = true;
                }
            });
            late += usize::from(!kept);
        }
        JobMetrics::add(&self.metrics.late_records_dropped, late);
        let assigned = if taken.len() == rows && taken.iter().enumerate().all(|(i, r)| i as u32 == *r) {
            changes.rows
        } else {
            datafusion::arrow::compute::take_record_batch(
                &changes.rows,
                &datafusion::arrow::array::UInt32Array::from(taken),
            )?
        };
        let mut assigned = Changes::inserts(with_bounds(&self.windowed, assigned, starts, ends)?);
        // The aggregation's local phase flushes where the watermark moved between rows.
        assigned.met = changes.met.is_some().then_some(taken_met);
        out.push(assigned);
        Ok(())
    }

    fn is_stateful(&self) -> bool {
        false
    }
}

/// SESSION: rows wait in their key's session until the watermark passes its end.
struct AssignSessions {
    sessions: Box<session::Sessions>,
    time_index: usize,
    windowed: SchemaRef,
    metrics: Arc<JobMetrics>,
}

impl Operator for AssignSessions {
    fn name(&self) -> &'static str {
        "WindowTableFunction"
    }

    fn on_changes(&mut self, _input: usize, changes: Changes, _out: &mut Vec<Changes>) -> Result<(), EngineError> {
        let times = epoch_millis(changes.rows.column(self.time_index))?;
        let met = met(&changes);
        let late = self.sessions.add(changes.rows, &times, &met)?;
        JobMetrics::add(&self.metrics.late_records_dropped, late);
        Ok(())
    }

    fn on_watermark(&mut self, _input: usize, watermark: i64, out: &mut Vec<Changes>) -> Result<(), EngineError> {
        if let Some(rows) = self.sessions.fire(watermark, &self.windowed)? {
            out.push(Changes::inserts(rows));
        }
        Ok(())
    }

    fn open_windows(&self) -> usize {
        self.sessions.open_sessions()
    }

    fn is_stateful(&self) -> bool {
        false
    }
}

/// A window aggregation: one instance per key partition (`flink.parallelism`; one without
/// GROUP BY columns beside the window's).
struct WindowAggregate {
    keys: Vec<Arc<dyn PhysicalExpr>>,
    aggregator: WindowAggregator,
}

impl Operator for WindowAggregate {
    fn name(&self) -> &'static str {
        "WindowAggregate"
    }

    fn key_exprs(&self, _input: usize) -> &[Arc<dyn PhysicalExpr>] {
        &self.keys
    }

    fn on_changes(&mut self, _input: usize, changes: Changes, _out: &mut Vec<Changes>) -> Result<(), EngineError> {
        Ok(self.aggregator.update(&changes.rows, changes.met.as_deref())?)
    }

    fn on_watermark(&mut self, _input: usize, watermark: i64, out: &mut Vec<Changes>) -> Result<(), EngineError> {
        self.aggregator.fire(watermark, |batch| {
            out.push(Changes::inserts(batch));
            Ok(())
        })?;
        Ok(())
    }

    fn state_bytes(&self) -> usize {
        self.aggregator.state_bytes()
    }

    fn open_windows(&self) -> usize {
        self.aggregator.open_windows()
    }
}
