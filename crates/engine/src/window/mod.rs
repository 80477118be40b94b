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
pub mod rank;
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
use datafusion::physical_plan::sorts::sort::SortExec;
use datafusion::physical_plan::streaming::StreamingTableExec;
use datafusion::physical_plan::windows::BoundedWindowAggExec;
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
use rank::{RankShape, WindowRank};
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

/// What pipegen runs between the window assignment and DataFusion's part of the plan.
enum Stage {
    Step(Step),
    /// A keyed operator's instances (a window aggregation or a window rank).
    Keyed(Vec<Box<dyn Operator>>),
}

/// A planned windowed INSERT or query, ready to run.
pub struct WindowPipeline {
    source: WindowSource,
    assign: Box<dyn Operator>,
    /// From the windowed rows up to the rows DataFusion reads, bottom first.
    stages: Vec<Stage>,
    sender: mpsc::Sender<datafusion::error::Result<RecordBatch>>,
}

/// Splits a physical plan over the windowed table (whose leaf reads `rows_partition`) into what
/// pipegen runs and what DataFusion runs; returns the pipeline and the plan to execute.
///
/// pipegen runs everything up to the topmost window aggregation or window rank (the "cut"):
/// the filters and projections between them become steps, the aggregation and the rank keyed
/// operators; DataFusion runs what is above the cut over a channel of its output.
pub fn split_plan(
    assigner: Assigner,
    source: WindowSource,
    windowed: SchemaRef,
    rows_sender: mpsc::Sender<datafusion::error::Result<RecordBatch>>,
    plan: Arc<dyn ExecutionPlan>,
    parallelism: usize,
    metrics: Arc<JobMetrics>,
) -> Result<(WindowPipeline, Arc<dyn ExecutionPlan>), EngineError> {
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
            metrics: metrics.clone(),
        }),
    };
    let mut cut = None;
    plan.apply(|node| {
        if node.is::<AggregateExec>() || node.is::<BoundedWindowAggExec>() {
            cut = Some(node.clone());
            return Ok(datafusion::common::tree_node::TreeNodeRecursion::Stop);
        }
        Ok(datafusion::common::tree_node::TreeNodeRecursion::Continue)
    })?;
    let Some(cut) = cut else {
        check_streamable(&plan)?;
        let pipeline = WindowPipeline {
            source,
            assign,
            stages: Vec::new(),
            sender: rows_sender,
        };
        return Ok((pipeline, plan));
    };
    let plans = StagePlanner {
        plan: &plan,
        tumble_size,
        parallelism,
        metrics,
    };
    let stages = plans.stages(&cut)?;
    let output = cut.schema();
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
            Ok(if Arc::ptr_eq(&n, &cut) {
                Transformed::yes(replacement.clone())
            } else {
                Transformed::no(n)
            })
        })?
        .data;
    check_streamable(&above)?;
    let pipeline = WindowPipeline {
        source,
        assign,
        stages,
        sender,
    };
    Ok((pipeline, above))
}

/// Turns the plan under the cut into stages.
struct StagePlanner<'a> {
    plan: &'a Arc<dyn ExecutionPlan>,
    tumble_size: Option<i64>,
    parallelism: usize,
    metrics: Arc<JobMetrics>,
}

impl StagePlanner<'_> {
    /// The stages from the windowed rows up to `cut`, bottom first.
    fn stages(&self, cut: &Arc<dyn ExecutionPlan>) -> Result<Vec<Stage>, EngineError> {
        let mut stages = Vec::new();
        let mut node = cut.clone();
        let mut ranked = false;
        let mut aggregated = false;
        loop {
            if let Some(filter) = node.downcast_ref::<FilterExec>() {
                stages.push(Stage::Step(Step::filter(filter)));
                node = filter.input().clone();
            } else if let Some(projection) = node.downcast_ref::<ProjectionExec>() {
                stages.push(Stage::Step(Step::projection(projection)));
                node = projection.input().clone();
            } else if crate::graph::is_exchange(&node) || node.is::<SortExec>() {
                node = node.children()[0].clone();
            } else if let Some(aggregate) = node.downcast_ref::<AggregateExec>() {
                if aggregated {
                    return Err(EngineError::unsupported("more than one aggregation over a window"));
                }
                aggregated = true;
                stages.push(Stage::Keyed(self.aggregators(aggregate)?));
                node = aggregate.input().clone();
            } else if let Some(window) = node.downcast_ref::<BoundedWindowAggExec>() {
                if ranked || aggregated {
                    return Err(EngineError::unsupported(
                        "an aggregation or a second ROW_NUMBER over a window Top-N",
                    ));
                }
                ranked = true;
                stages.push(Stage::Keyed(self.ranks(&node, window)?));
                node = window.input().clone();
            } else if let Some(scan) = node.downcast_ref::<StreamingTableExec>() {
                if let Some(columns) = scan.projection() {
                    stages.push(Stage::Step(Step::Project(columns.to_vec())));
                }
                break;
            } else {
                return Err(EngineError::unsupported(format!(
                    "{} under a window aggregation or a window Top-N",
                    node.name()
                )));
            }
        }
        stages.reverse();
        Ok(stages)
    }

    fn aggregators(&self, aggregate: &AggregateExec) -> Result<Vec<Box<dyn Operator>>, EngineError> {
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
        let shape = AggregateShape {
            keys,
            aggregates: aggregate.aggr_expr().to_vec(),
            filters: aggregate.filter_expr().to_vec(),
            output: aggregate.schema(),
        };
        let input_schema = aggregate.input().schema();
        // Flink splits a TUMBLE aggregation into local and global phases when every aggregate
        // merges; HOP and CUMULATE merge slices, SESSION windows run in one phase.
        let two_phase = self
            .tumble_size
            .filter(|_| aggregate::merges_partials(&shape.aggregates))
            .map(TwoPhase::new);
        // A global aggregate per window runs as one instance; one by key as `parallelism`.
        let instances = if shape.row_keys().is_empty() {
            1
        } else {
            self.parallelism.max(1)
        };
        (0..instances)
            .map(|_| {
                Ok(Box::new(WindowAggregate {
                    keys: shape.row_keys(),
                    aggregator: WindowAggregator::new(shape.clone(), &input_schema, two_phase.clone())?,
                }) as Box<dyn Operator>)
            })
            .collect()
    }

    /// A window Top-N or deduplication: ROW_NUMBER partitioned by the window, under a filter
    /// that bounds the rank.
    fn ranks(
        &self,
        node: &Arc<dyn ExecutionPlan>,
        window: &BoundedWindowAggExec,
    ) -> Result<Vec<Box<dyn Operator>>, EngineError> {
        let [expr] = window.window_expr() else {
            return Err(EngineError::unsupported(
                "several OVER windows over a window table function",
            ));
        };
        if !crate::graph::is_row_number(expr.as_any()) {
            return Err(EngineError::unsupported(
                "OVER windows other than ROW_NUMBER() over a window table function",
            ));
        }
        let named = |name: &str| {
            expr.partition_by()
                .iter()
                .find(|e| e.downcast_ref::<Column>().is_some_and(|c| c.name() == name))
                .cloned()
        };
        let (Some(window_start), Some(window_end)) = (named(WINDOW_START), named(WINDOW_END)) else {
            return Err(EngineError::unsupported(
                "ROW_NUMBER over windowed rows not PARTITION BY window_start, window_end",
            ));
        };
        let limit = rank_limit(self.plan, node, window.input().schema().fields().len())?.ok_or_else(|| {
            EngineError::unsupported("ROW_NUMBER over a window without a filter `rn <= N` or `rn = 1` on it")
        })?;
        let shape = RankShape {
            partition_by: expr.partition_by().to_vec(),
            window_start,
            window_end,
            order: expr.order_by().to_vec(),
            limit,
            output: window.schema(),
        };
        // Keyed by the whole PARTITION BY: a window's partitions spread over the instances.
        let instances = self.parallelism.max(1);
        Ok((0..instances)
            .map(|_| {
                Box::new(WindowRank::new(
                    shape.clone(),
                    window.input().schema(),
                    self.metrics.clone(),
                )) as Box<dyn Operator>
            })
            .collect())
    }
}

/// The N of the filter `rn <= N` (or `rn = 1`) right above the ROW_NUMBER `node` (through a
/// projection), whose rank is the column after its input's `width` columns.
fn rank_limit(
    plan: &Arc<dyn ExecutionPlan>,
    node: &Arc<dyn ExecutionPlan>,
    width: usize,
) -> Result<Option<usize>, EngineError> {
    let mut limit = None;
    let mut failure = None;
    plan.apply(|candidate| {
        let Some(filter) = candidate.downcast_ref::<FilterExec>() else {
            return Ok(datafusion::common::tree_node::TreeNodeRecursion::Continue);
        };
        let (below, rank_column) = match filter.input().downcast_ref::<ProjectionExec>() {
            Some(projection) => (
                projection.input(),
                projection
                    .expr()
                    .iter()
                    .position(|p| p.expr.downcast_ref::<Column>().is_some_and(|c| c.index() == width)),
            ),
            None => (filter.input(), Some(width)),
        };
        if !Arc::ptr_eq(below, node) {
            return Ok(datafusion::common::tree_node::TreeNodeRecursion::Continue);
        }
        if let Some(rank_column) = rank_column {
            for conjunct in datafusion::physical_expr::split_conjunction(filter.predicate()) {
                match crate::changelog::rank::rank_bound(conjunct, rank_column) {
                    Ok(Some(bound)) => limit = Some(limit.map_or(bound, |l: usize| l.min(bound))),
                    Ok(None) => {}
                    Err(e) => failure = Some(e),
                }
            }
        }
        Ok(datafusion::common::tree_node::TreeNodeRecursion::Stop)
    })?;
    match failure {
        Some(e) => Err(e),
        None => Ok(limit),
    }
}

/// The operators a streaming plan may hold above the window stages: everything else keeps
/// state or needs the whole input.
fn check_streamable(plan: &Arc<dyn ExecutionPlan>) -> Result<(), EngineError> {
    let mut refused = None;
    plan.apply(|node| {
        let allowed = node.is::<ProjectionExec>()
            || node.is::<FilterExec>()
            || node.is::<StreamingTableExec>()
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

impl WindowPipeline {
    /// Runs until every source ends (bounded inputs) or the job is dropped.
    pub async fn run(self, metrics: Arc<JobMetrics>) -> Result<(), EngineError> {
        let WindowPipeline {
            source,
            assign,
            stages,
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
        for stage in stages {
            let operators = match stage {
                Stage::Step(step) => vec![Box::new(step) as Box<dyn Operator>],
                Stage::Keyed(instances) => instances,
            };
            stream = crate::operator::run(vec![stream], operators, &metrics);
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
