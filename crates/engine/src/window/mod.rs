//! Window table functions (TUMBLE, HOP, CUMULATE) and the aggregations over them, on event
//! time. DataFusion plans the query as if the windowed rows were a table; pipegen runs the
//! parts that need time itself:
//!
//! ```text
//! source partitions --> assign windows, judge lateness, track the watermark
//!                   --> [the plan's filters and projections under the aggregate]
//!                   --> window aggregator (fires when the watermark passes a window's end)
//!                   --> channel --> [the rest of the plan: projection, HAVING] --> sink
//! ```
//!
//! A window TVF without aggregation sends the assigned rows straight into the plan. With
//! `flink.parallelism` above one, an aggregation by key runs as that many instances (see
//! [`parallel`]).

pub mod aggregate;
pub mod parallel;
pub mod session;
pub mod spec;

use std::sync::Arc;

use datafusion::arrow::array::{RecordBatch, TimestampMillisecondArray, UInt32Array};
use datafusion::arrow::compute::take_record_batch;
use datafusion::arrow::datatypes::{DataType, Field, Schema, SchemaRef, TimeUnit};
use datafusion::common::tree_node::{Transformed, TreeNode};
use datafusion::physical_expr::expressions::Column;
use datafusion::physical_plan::aggregates::{AggregateExec, AggregateMode};
use datafusion::physical_plan::filter::FilterExec;
use datafusion::physical_plan::projection::ProjectionExec;
use datafusion::physical_plan::streaming::StreamingTableExec;
use datafusion::physical_plan::{ExecutionPlan, SendableRecordBatchStream};
use futures::StreamExt;
use tokio::sync::mpsc;

use crate::connectors::channel::ChannelPartition;
use crate::error::EngineError;
use crate::metrics::{JobMetrics, OperatorMetrics};
use crate::step::Step;
use crate::watermark::WatermarkTracker;
use aggregate::{AggregateShape, GroupKey, WindowAggregator, epoch_millis};
use parallel::KeyedAggregators;
use spec::WindowSpec;

pub const WINDOW_START: &str = "window_start";
pub const WINDOW_END: &str = "window_end";
pub const WINDOW_TIME: &str = "window_time";

/// The source side of a windowed query: one stream per source partition, each batch carrying
/// the event-time column and, last, the watermark expression's value.
pub struct WindowSource {
    pub streams: Vec<SendableRecordBatchStream>,
    pub time_index: usize,
    /// `table.exec.source.idle-timeout`: a partition silent this long holds nothing back.
    pub idle_timeout: Option<std::time::Duration>,
}

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

enum Stage {
    /// No aggregation: assigned rows go straight to the plan.
    Rows,
    Aggregate {
        below: Vec<Step>,
        aggregator: Box<WindowAggregator>,
    },
    /// The aggregation split by key over several instances.
    Keyed {
        below: Vec<Step>,
        aggregators: Box<KeyedAggregators>,
    },
}

/// How rows find their windows.
pub enum Assigner {
    /// TUMBLE, HOP, CUMULATE: windows follow from a row's time alone.
    Slices(WindowSpec),
    /// SESSION: windows grow as a key's rows arrive.
    Sessions(Box<session::Sessions>),
}

/// A planned windowed INSERT or query, ready to run.
pub struct WindowPipeline {
    /// The window aggregation's counters (none without an aggregation).
    operator: Option<Arc<OperatorMetrics>>,
    assigner: Assigner,
    source: WindowSource,
    windowed: SchemaRef,
    stage: Stage,
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
) -> Result<(WindowPipeline, Arc<dyn ExecutionPlan>), EngineError> {
    let mut aggregates = Vec::new();
    plan.apply(|node| {
        if node.is::<AggregateExec>() {
            aggregates.push(node.clone());
        }
        Ok(datafusion::common::tree_node::TreeNodeRecursion::Continue)
    })?;
    check_streamable(&plan)?;
    let operator = Arc::new(OperatorMetrics::new("WindowAggregate"));
    let pipeline = |stage, sender, operator| WindowPipeline {
        operator,
        assigner,
        source,
        windowed: windowed.clone(),
        stage,
        sender,
    };
    let node = match aggregates.as_slice() {
        [] => return Ok((pipeline(Stage::Rows, rows_sender, None), plan)),
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
    let (sender, partition) = ChannelPartition::new(output.clone());
    let input_schema = aggregate.input().schema();
    let stage = match KeyedAggregators::start(&shape, &input_schema, parallelism, sender.clone(), operator.clone())? {
        Some(aggregators) => Stage::Keyed {
            below,
            aggregators: Box::new(aggregators),
        },
        None => Stage::Aggregate {
            below,
            aggregator: Box::new(WindowAggregator::new(shape, &input_schema)?),
        },
    };
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
    Ok((pipeline(stage, sender, Some(operator)), above))
}

/// The operators a streaming plan may hold around the window stage: everything else keeps
/// state or needs the whole input.
fn check_streamable(plan: &Arc<dyn ExecutionPlan>) -> Result<(), EngineError> {
    let mut refused = None;
    plan.apply(|node| {
        let name = node.name();
        let allowed = matches!(
            name,
            "ProjectionExec"
                | "FilterExec"
                | "CoalesceBatchesExec"
                | "StreamingTableExec"
                | "AggregateExec"
                | "RepartitionExec"
                | "CoalescePartitionsExec"
                | "CooperativeExec"
        );
        if !allowed {
            refused = Some(match name {
                "SortExec" | "SortPreservingMergeExec" => "ORDER BY on a stream".to_string(),
                "GlobalLimitExec" | "LocalLimitExec" => "LIMIT on a stream".to_string(),
                n if n.contains("Join") => "joins over windows".to_string(),
                n if n.contains("Window") => "OVER windows".to_string(),
                "UnionExec" => "UNION over windows".to_string(),
                other => format!("the plan step {other}"),
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
        } else if node.name() == "CoalesceBatchesExec" {
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
    pub async fn run(mut self, metrics: Arc<JobMetrics>) -> Result<(), EngineError> {
        if let Some(operator) = &self.operator {
            metrics.register(operator.clone());
        }
        metrics.counts_input.store(true, std::sync::atomic::Ordering::Relaxed);
        let partitions = self.source.streams.len();
        let idle_timeout = self.source.idle_timeout;
        let mut tracker = WatermarkTracker::new(partitions).with_idle_timeout(idle_timeout);
        // Idle partitions are looked for a few times per timeout; without one, never (the
        // branch below is off, the period unused).
        let mut idle_check = tokio::time::interval(idle_timeout.map_or(std::time::Duration::from_secs(1), |t| {
            (t / 4).max(std::time::Duration::from_millis(1))
        }));
        let streams = std::mem::take(&mut self.source.streams);
        // Each partition's stream ends with a marker: a finished partition no longer holds
        // the watermark back, as a finished Flink source split sends the maximum watermark.
        let tagged = streams.into_iter().enumerate().map(|(partition, stream)| {
            stream
                .map(move |batch| (partition, Some(batch)))
                .chain(futures::stream::once(async move { (partition, None) }))
                .boxed()
        });
        let mut merged = futures::stream::select_all(tagged);
        loop {
            let next = tokio::select! {
                next = merged.next() => next,
                now = idle_check.tick(), if idle_timeout.is_some() => {
                    if tracker.check_idle(now.into_std()) {
                        self.fire(tracker.current(), &metrics).await?;
                    }
                    continue;
                }
            };
            let Some((partition, batch)) = next else { break };
            match batch {
                Some(batch) => {
                    tracker.touch(partition, std::time::Instant::now());
                    self.process(partition, &batch?, &mut tracker, &metrics).await?
                }
                None => {
                    tracker.observe(partition, i64::MAX);
                    self.fire(tracker.current(), &metrics).await?;
                }
            }
        }
        tracker.finish();
        self.fire(tracker.current(), &metrics).await?;
        if let Stage::Keyed { aggregators, .. } = std::mem::replace(&mut self.stage, Stage::Rows) {
            aggregators.finish().await?;
        }
        Ok(())
    }

    async fn process(
        &mut self,
        partition: usize,
        batch: &RecordBatch,
        tracker: &mut WatermarkTracker,
        metrics: &JobMetrics,
    ) -> Result<(), EngineError> {
        let rows = batch.num_rows();
        JobMetrics::add(&metrics.records_in, rows);
        let times = epoch_millis(batch.column(self.source.time_index))?;
        let watermarks = epoch_millis(batch.column(batch.num_columns() - 1))?;
        let input = batch.project(&(0..batch.num_columns() - 1).collect::<Vec<_>>())?;
        let late = match &mut self.assigner {
            Assigner::Slices(spec) => {
                let mut taken: Vec<u32> = Vec::with_capacity(rows);
                let mut starts: Vec<i64> = Vec::with_capacity(rows);
                let mut ends: Vec<i64> = Vec::with_capacity(rows);
                let mut late = 0usize;
                for row in 0..rows {
                    let before = tracker.current();
                    if let Some(time) = times[row] {
                        let mut kept = false;
                        spec.assign(time, |window| {
                            // Judged against the watermark before this row, as Flink does.
                            if window.max_timestamp() > before {
                                taken.push(row as u32);
                                starts.push(window.start);
                                ends.push(window.end);
                                kept = true;
                            }
                        });
                        late += usize::from(!kept);
                    }
                    if let Some(value) = watermarks[row] {
                        tracker.observe(partition, value);
                    }
                }
                let assigned = if taken.len() == rows && taken.iter().enumerate().all(|(i, r)| i as u32 == *r) {
                    input
                } else {
                    take_record_batch(&input, &UInt32Array::from(taken))?
                };
                let windowed = self.with_bounds(assigned, starts, ends)?;
                self.accept(windowed).await?;
                late
            }
            Assigner::Sessions(sessions) => {
                let mut before = Vec::with_capacity(rows);
                for value in &watermarks {
                    before.push(tracker.current());
                    if let Some(value) = value {
                        tracker.observe(partition, *value);
                    }
                }
                sessions.add(input, &times, &before)?
            }
        };
        JobMetrics::add(&metrics.late_records_dropped, late);
        self.fire(tracker.current(), metrics).await
    }

    /// Appends `window_start`, `window_end` and `window_time` to assigned rows.
    fn with_bounds(&self, assigned: RecordBatch, starts: Vec<i64>, ends: Vec<i64>) -> Result<RecordBatch, EngineError> {
        let time_zone = match self.windowed.fields().last().map(|f| f.data_type()) {
            Some(DataType::Timestamp(_, tz)) => tz.clone(),
            _ => None,
        };
        let window_times = TimestampMillisecondArray::from_iter_values(ends.iter().map(|end| end - 1));
        let mut columns = assigned.columns().to_vec();
        columns.push(Arc::new(TimestampMillisecondArray::from(starts)));
        columns.push(Arc::new(TimestampMillisecondArray::from(ends)));
        columns.push(Arc::new(window_times.with_timezone_opt(time_zone)));
        Ok(RecordBatch::try_new(self.windowed.clone(), columns)?)
    }

    /// Windowed rows into the rest of the pipeline: the plan, or the aggregator.
    async fn accept(&mut self, windowed: RecordBatch) -> Result<(), EngineError> {
        match &mut self.stage {
            Stage::Rows => {
                if windowed.num_rows() > 0 {
                    send(&self.sender, windowed).await;
                }
            }
            Stage::Aggregate { below, aggregator } => {
                let mut batch = windowed;
                for step in below.iter() {
                    batch = step.apply(batch)?;
                }
                if let Some(operator) = &self.operator {
                    JobMetrics::add(&operator.records_in, batch.num_rows());
                }
                aggregator.update(&batch)?;
            }
            Stage::Keyed { below, aggregators } => {
                let mut batch = windowed;
                for step in below.iter() {
                    batch = step.apply(batch)?;
                }
                if let Some(operator) = &self.operator {
                    JobMetrics::add(&operator.records_in, batch.num_rows());
                }
                aggregators.update(batch).await?;
            }
        }
        Ok(())
    }

    async fn fire(&mut self, watermark: i64, metrics: &JobMetrics) -> Result<(), EngineError> {
        metrics
            .watermark_ms
            .store(watermark, std::sync::atomic::Ordering::Relaxed);
        if let Assigner::Sessions(sessions) = &mut self.assigner {
            let closed = sessions.fire(watermark, &self.windowed)?;
            metrics
                .open_windows
                .store(sessions.open_sessions() as u64, std::sync::atomic::Ordering::Relaxed);
            if let Some(rows) = closed {
                self.accept(rows).await?;
            }
        }
        if let Stage::Keyed { aggregators, .. } = &mut self.stage {
            aggregators.fire(watermark).await?;
            let open = match &self.assigner {
                Assigner::Sessions(sessions) => sessions.open_sessions() as u64,
                Assigner::Slices(_) => aggregators.open_windows(),
            };
            metrics.open_windows.store(open, std::sync::atomic::Ordering::Relaxed);
            metrics
                .state_bytes
                .store(aggregators.state_bytes(), std::sync::atomic::Ordering::Relaxed);
            if let Some(operator) = &self.operator {
                operator
                    .state_bytes
                    .store(aggregators.state_bytes(), std::sync::atomic::Ordering::Relaxed);
            }
            return Ok(());
        }
        let Stage::Aggregate { aggregator, .. } = &mut self.stage else {
            return Ok(());
        };
        let mut fired = Vec::new();
        aggregator.fire(watermark, |batch| {
            fired.push(batch);
            Ok(())
        })?;
        let open = match &self.assigner {
            Assigner::Sessions(sessions) => sessions.open_sessions(),
            Assigner::Slices(_) => aggregator.open_windows(),
        } as u64;
        // Sizing the state walks every open window: only when windows opened or closed.
        if !fired.is_empty() || open != metrics.open_windows.load(std::sync::atomic::Ordering::Relaxed) {
            metrics.open_windows.store(open, std::sync::atomic::Ordering::Relaxed);
            metrics
                .state_bytes
                .store(aggregator.state_bytes() as u64, std::sync::atomic::Ordering::Relaxed);
        }
        if let Some(operator) = &self.operator {
            let rows: usize = fired.iter().map(RecordBatch::num_rows).sum();
            JobMetrics::add(&operator.records_out, rows);
            operator.state_bytes.store(
                metrics.state_bytes.load(std::sync::atomic::Ordering::Relaxed),
                std::sync::atomic::Ordering::Relaxed,
            );
        }
        for batch in fired {
            send(&self.sender, batch).await;
        }
        Ok(())
    }
}

async fn send(sender: &mpsc::Sender<datafusion::error::Result<RecordBatch>>, batch: RecordBatch) {
    // A closed channel means the plan downstream failed; its task reports the error.
    let _ = sender.send(Ok(batch)).await;
}
