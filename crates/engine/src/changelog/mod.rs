//! Queries whose results change as rows arrive: non-windowed aggregations, joins, Top-N and
//! deduplication. Their output is a changelog, as in Flink: every row carries a kind (`+I`,
//! `-U`, `+U`, `-D`), and a sink either takes updates (upsert-kafka, print, the SQL client) or
//! refuses the query at deploy time.
//!
//! DataFusion plans the query with one partition; pipegen turns the physical plan into a tree
//! of [`Node`]s: the stateless subplans stay DataFusion's (they stream as they are), and each
//! stateful operator becomes pipegen's own, keeping its state across batches:
//!
//! ```text
//! [DataFusion subplan] --> GroupAggregate / StreamJoin / TopN --> [filter, projection] --> sink
//! ```

pub mod aggregate;
mod exchange;
mod interval;
pub mod join;
mod keys;
pub mod rank;
pub mod upsert;

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use datafusion::arrow::array::RecordBatch;
use datafusion::arrow::datatypes::SchemaRef;
use datafusion::common::tree_node::TreeNode;
use datafusion::error::DataFusionError;
use datafusion::execution::TaskContext;
use datafusion::physical_plan::aggregates::{AggregateExec, AggregateMode};
use datafusion::physical_plan::filter::FilterExec;
use datafusion::physical_plan::joins::HashJoinExec;
use datafusion::physical_plan::projection::ProjectionExec;
use datafusion::physical_plan::streaming::StreamingTableExec;
use datafusion::physical_plan::{ExecutionPlan, execute_stream};
use futures::stream::BoxStream;
use futures::{StreamExt, TryStreamExt};

use crate::connectors::kafka::{UPSERT_SOURCE, UpsertSource};
use crate::error::EngineError;
use crate::metrics::JobMetrics;
use crate::step::Step;
use aggregate::GroupAggregate;
use join::StreamJoin;
use rank::TopN;
use upsert::UpsertNormalize;

/// What a changelog row does to the table it describes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RowKind {
    Insert,
    UpdateBefore,
    UpdateAfter,
    Delete,
}

impl RowKind {
    /// Flink's short form: `+I`, `-U`, `+U`, `-D`.
    pub fn short(self) -> &'static str {
        match self {
            RowKind::Insert => "+I",
            RowKind::UpdateBefore => "-U",
            RowKind::UpdateAfter => "+U",
            RowKind::Delete => "-D",
        }
    }

    /// Whether the row takes an earlier row back.
    pub fn is_retraction(self) -> bool {
        matches!(self, RowKind::UpdateBefore | RowKind::Delete)
    }
}

/// Rows and their kinds; `kinds` is `None` when every row is an insertion (append-only
/// streams pay nothing for the changelog).
#[derive(Debug, Clone)]
pub struct Changes {
    pub rows: RecordBatch,
    pub kinds: Option<Vec<RowKind>>,
}

impl Changes {
    pub fn inserts(rows: RecordBatch) -> Self {
        Self { rows, kinds: None }
    }

    pub fn kind(&self, row: usize) -> RowKind {
        self.kinds.as_ref().map_or(RowKind::Insert, |kinds| kinds[row])
    }
}

/// A changelog stream of one operator's output.
pub type ChangeStream = BoxStream<'static, Result<Changes, DataFusionError>>;

/// One side of a join: changes tagged with their source partition; `None` ends a partition.
type PartitionedStream = BoxStream<'static, Result<(join::Side, usize, Option<Changes>), DataFusionError>>;

/// Settings the stateful operators read (`SET` statements).
#[derive(Debug, Clone, Copy, Default)]
pub struct StateConfig {
    /// `table.exec.state.ttl`: state untouched this long is dropped (Flink's idle state
    /// retention); `None` keeps state forever.
    pub ttl: Option<Duration>,
    /// The sources' out-of-orderness (the largest WATERMARK delay of the tables a query
    /// reads), when they all declare one: interval joins drop rows the watermark has passed.
    pub watermark_delay_ms: Option<i64>,
    /// `flink.parallelism`: instances of each keyed operator (0 and 1 mean one).
    pub parallelism: usize,
}

impl StateConfig {
    /// From the session's `SET` statements.
    pub fn from_settings(settings: &std::collections::HashMap<String, String>) -> Result<Self, EngineError> {
        let ttl = match settings.get("table.exec.state.ttl") {
            None => None,
            Some(text) => {
                let ttl = parse_duration(text).ok_or_else(|| {
                    EngineError::Invalid(format!(
                        "'table.exec.state.ttl' = '{text}' is not a duration (such as '1 h', '30 min', '10 s', '500 ms')"
                    ))
                })?;
                // Flink: zero means state never expires.
                (!ttl.is_zero()).then_some(ttl)
            }
        };
        Ok(Self { ttl, ..Self::default() })
    }
}

/// A duration as Flink's configuration writes it (`1 h`, `10 min`, `500 ms`); a bare number
/// is milliseconds, as in Flink.
pub fn parse_duration(text: &str) -> Option<Duration> {
    let text = text.trim();
    if let Ok(millis) = text.parse::<u64>() {
        return Some(Duration::from_millis(millis));
    }
    text.parse::<pipegen_config::units::Duration>().ok().map(|d| d.as_std())
}

/// One operator of a changelog query.
pub enum Node {
    /// A stateless DataFusion subplan: append-only.
    Plan(Arc<dyn ExecutionPlan>),
    Step {
        input: Box<Node>,
        step: Step,
    },
    /// One instance per key partition (`flink.parallelism`; one without GROUP BY keys).
    Aggregate {
        input: Box<Node>,
        instances: Vec<GroupAggregate>,
    },
    /// One instance per key partition (`flink.parallelism`).
    Join {
        left: Box<Node>,
        right: Box<Node>,
        joins: Vec<StreamJoin>,
    },
    /// One instance per key partition (`flink.parallelism`; one without PARTITION BY).
    Rank {
        input: Box<Node>,
        ranks: Vec<TopN>,
    },
    Union(Vec<Node>),
    /// An upsert-kafka table read as a changelog.
    Upsert {
        source: Box<UpsertSource>,
        normalize: Box<UpsertNormalize>,
    },
}

/// Plan steps that keep no state and stream as they are.
fn is_stateless_step(name: &str) -> bool {
    matches!(
        name,
        "ProjectionExec"
            | "FilterExec"
            | "CoalesceBatchesExec"
            | "StreamingTableExec"
            | "RepartitionExec"
            | "CoalescePartitionsExec"
            | "CooperativeExec"
            | "UnionExec"
            | "InterleaveExec"
            | "EmptyExec"
            | "PlaceholderRowExec"
    )
}

/// Whether a physical plan holds a step that keeps state (pipegen runs it, or refuses it);
/// a plan without one streams as DataFusion runs it.
fn needs_state(plan: &Arc<dyn ExecutionPlan>) -> bool {
    let mut stateful = false;
    let _ = plan.apply(|node| {
        stateful |= !is_stateless_step(node.name()) || upsert_scan(node).is_some();
        Ok(if stateful {
            datafusion::common::tree_node::TreeNodeRecursion::Stop
        } else {
            datafusion::common::tree_node::TreeNodeRecursion::Continue
        })
    });
    stateful
}

/// The upsert table a plan step scans, when it is the scan of one.
fn upsert_scan(plan: &Arc<dyn ExecutionPlan>) -> Option<&StreamingTableExec> {
    plan.downcast_ref::<StreamingTableExec>()
        .filter(|scan| scan.partition_schema().metadata().contains_key(UPSERT_SOURCE))
}

impl Node {
    /// The operator tree for a physical plan planned with one partition; `upserts` are the
    /// upsert-kafka tables a plan may scan.
    pub fn build(
        plan: &Arc<dyn ExecutionPlan>,
        config: StateConfig,
        upserts: &HashMap<String, UpsertSource>,
    ) -> Result<Node, EngineError> {
        if !needs_state(plan) {
            return Ok(Node::Plan(plan.clone()));
        }
        if let Some(scan) = upsert_scan(plan) {
            let table = &scan.partition_schema().metadata()[UPSERT_SOURCE];
            let source = upserts
                .get(table)
                .ok_or_else(|| EngineError::Invalid(format!("the upsert-kafka table `{table}` is not declared")))?;
            let normalize = UpsertNormalize::new(
                source.schema(),
                source.key_columns().to_vec(),
                scan.projection().as_ref().map(|p| p.to_vec()),
            )?;
            return Ok(Node::Upsert {
                source: Box::new(source.clone()),
                normalize: Box::new(normalize),
            });
        }
        let child = |node: &Arc<dyn ExecutionPlan>| Node::build(node, config, upserts).map(Box::new);
        if let Some(filter) = plan.downcast_ref::<FilterExec>() {
            if let Some(node) = rank::top_n(filter, config, upserts)? {
                return Ok(node);
            }
            return Ok(Node::Step {
                input: child(filter.input())?,
                step: Step::filter(filter),
            });
        }
        if let Some(projection) = plan.downcast_ref::<ProjectionExec>() {
            return Ok(Node::Step {
                input: child(projection.input())?,
                step: Step::projection(projection),
            });
        }
        if let Some(aggregate) = plan.downcast_ref::<AggregateExec>() {
            let (partial, input) = match aggregate.mode() {
                AggregateMode::Single | AggregateMode::SinglePartitioned => (aggregate, aggregate.input()),
                AggregateMode::Final | AggregateMode::FinalPartitioned => {
                    let partial = partial_below(aggregate.input())?;
                    (partial, partial.input())
                }
                other => {
                    return Err(EngineError::Invalid(format!(
                        "unexpected aggregate plan ({other:?}); please report this"
                    )));
                }
            };
            let input = child(input)?;
            let instances = if partial.group_expr().expr().is_empty() {
                1
            } else {
                config.parallelism.max(1)
            };
            let instances = (0..instances)
                .map(|_| GroupAggregate::new(partial, aggregate.schema(), input.is_updating(), config))
                .collect::<Result<Vec<_>, _>>()?;
            return Ok(Node::Aggregate { input, instances });
        }
        if let Some(join) = plan.downcast_ref::<HashJoinExec>() {
            let (left, right) = (child(join.left())?, child(join.right())?);
            if left.is_updating() || right.is_updating() {
                return Err(EngineError::unsupported(
                    "a join over an updating input (an aggregation, an outer join or a Top-N)",
                ));
            }
            let joins = (0..config.parallelism.max(1))
                .map(|_| StreamJoin::new(join, config))
                .collect::<Result<Vec<_>, _>>()?;
            return Ok(Node::Join { left, right, joins });
        }
        match plan.name() {
            "UnionExec" | "InterleaveExec" => Ok(Node::Union(
                plan.children()
                    .into_iter()
                    .map(|c| Node::build(c, config, upserts))
                    .collect::<Result<_, _>>()?,
            )),
            "CoalesceBatchesExec" | "RepartitionExec" | "CoalescePartitionsExec" | "CooperativeExec" => {
                Node::build(plan.children()[0], config, upserts)
            }
            name => Err(EngineError::unsupported(refused(name))),
        }
    }

    /// Whether the output holds retractions or updates (not only insertions).
    pub fn is_updating(&self) -> bool {
        match self {
            Node::Plan(_) => false,
            Node::Step { input, .. } => input.is_updating(),
            Node::Aggregate { .. } | Node::Rank { .. } | Node::Upsert { .. } => true,
            Node::Join { joins, .. } => joins[0].is_updating(),
            Node::Union(inputs) => inputs.iter().any(Node::is_updating),
        }
    }

    /// The operator that makes the output updating, as Flink names it in its error.
    pub fn updating_operator(&self) -> Option<&'static str> {
        match self {
            Node::Plan(_) => None,
            Node::Step { input, .. } => input.updating_operator(),
            Node::Aggregate { .. } => Some("GroupAggregate (a GROUP BY without a window)"),
            Node::Rank { .. } => Some("Rank (ROW_NUMBER: a Top-N or a deduplication)"),
            Node::Join { joins, .. } => joins[0].is_updating().then_some("Join (an outer join)"),
            Node::Union(inputs) => inputs.iter().find_map(Node::updating_operator),
            Node::Upsert { .. } => Some("ChangelogNormalize (reading an upsert-kafka table)"),
        }
    }

    /// Runs the tree; the stream ends when every input has. Each stateful operator keeps its
    /// share of `metrics.state_bytes` current.
    pub fn stream(self, ctx: Arc<TaskContext>, metrics: &Arc<JobMetrics>) -> Result<ChangeStream, DataFusionError> {
        Ok(match self {
            Node::Plan(plan) => execute_stream(plan, ctx)?.map_ok(Changes::inserts).boxed(),
            Node::Step { input, step } => input
                .stream(ctx, metrics)?
                .and_then(move |changes| futures::future::ready(step.apply_changes(changes)))
                .boxed(),
            Node::Aggregate { input, instances } => {
                exchange::run_instances(input.stream(ctx, metrics)?, instances, metrics.clone())
            }
            Node::Rank { input, ranks } => exchange::run_instances(input.stream(ctx, metrics)?, ranks, metrics.clone()),
            Node::Join { left, right, mut joins } => {
                let (left, left_partitions) = left.partitioned(ctx.clone(), metrics, join::Side::Left)?;
                let (right, right_partitions) = right.partitioned(ctx, metrics, join::Side::Right)?;
                for join in &mut joins {
                    join.set_partitions(left_partitions, right_partitions);
                }
                let input = futures::stream::select(left, right).boxed();
                if joins.len() > 1 {
                    exchange::keyed_join(input, joins, metrics.clone())
                } else {
                    let mut join = joins.remove(0);
                    let counters = metrics.operator(join.operator_name());
                    let metrics = metrics.clone();
                    input
                        .and_then(move |message| {
                            futures::future::ready(exchange::process_join(&mut join, message, &metrics, &counters))
                        })
                        .boxed()
                }
            }
            Node::Upsert { source, mut normalize } => {
                let counters = metrics.operator("ChangelogNormalize");
                let metrics = metrics.clone();
                source
                    .stream()
                    .and_then(move |(rows, deleted)| {
                        let before = normalize.state_bytes();
                        let out = normalize.process(&rows, &deleted);
                        let after = normalize.state_bytes();
                        track_state(&metrics, before, after);
                        counters.record(
                            rows.num_rows(),
                            out.as_ref().map_or(0, |c| c.rows.num_rows()),
                            before,
                            after,
                        );
                        futures::future::ready(out)
                    })
                    .boxed()
            }
            Node::Union(inputs) => futures::stream::select_all(
                inputs
                    .into_iter()
                    .map(|input| input.stream(ctx.clone(), metrics))
                    .collect::<Result<Vec<_>, _>>()?,
            )
            .boxed(),
        }
        .try_filter(|changes| futures::future::ready(changes.rows.num_rows() > 0))
        .boxed())
    }

    /// The node's output per source partition, each ending with `None` (so that event time can
    /// be tracked per partition, as Flink's watermarks are), and how many partitions there are.
    /// Only a DataFusion subplan keeps its partitions; any other node is one partition.
    fn partitioned(
        self,
        ctx: Arc<TaskContext>,
        metrics: &Arc<JobMetrics>,
        side: join::Side,
    ) -> Result<(PartitionedStream, usize), DataFusionError> {
        let streams: Vec<ChangeStream> = match self {
            Node::Plan(plan) => {
                let plan = match plan
                    .downcast_ref::<datafusion::physical_plan::coalesce_partitions::CoalescePartitionsExec>()
                {
                    Some(coalesce) => coalesce.input().clone(),
                    None => plan,
                };
                let count = plan.properties().output_partitioning().partition_count();
                (0..count)
                    .map(|p| Ok(plan.execute(p, ctx.clone())?.map_ok(Changes::inserts).boxed()))
                    .collect::<Result<_, DataFusionError>>()?
            }
            other => vec![other.stream(ctx, metrics)?],
        };
        let count = streams.len();
        let tagged = streams.into_iter().enumerate().map(move |(partition, stream)| {
            stream
                .map_ok(move |changes| (side, partition, Some(changes)))
                .chain(futures::stream::once(async move { Ok((side, partition, None)) }))
                .boxed()
        });
        Ok((futures::stream::select_all(tagged).boxed(), count))
    }

    /// The schema of the node's output.
    pub fn schema(&self) -> SchemaRef {
        match self {
            Node::Plan(plan) => plan.schema(),
            Node::Step { step, input } => step.schema(&input.schema()),
            Node::Aggregate { instances, .. } => instances[0].schema(),
            Node::Join { joins, .. } => joins[0].schema(),
            Node::Rank { ranks, .. } => ranks[0].schema(),
            Node::Union(inputs) => inputs[0].schema(),
            Node::Upsert { normalize, .. } => normalize.schema(),
        }
    }
}

fn track_state(metrics: &JobMetrics, before: usize, after: usize) {
    use std::sync::atomic::Ordering::Relaxed;
    if after >= before {
        metrics.state_bytes.fetch_add((after - before) as u64, Relaxed);
    } else {
        metrics.state_bytes.fetch_sub((before - after) as u64, Relaxed);
    }
}

/// The partial aggregate under a final one (through the exchange between them).
fn partial_below(plan: &Arc<dyn ExecutionPlan>) -> Result<&AggregateExec, EngineError> {
    let mut node = plan;
    loop {
        if let Some(aggregate) = node.downcast_ref::<AggregateExec>()
            && matches!(aggregate.mode(), AggregateMode::Partial)
        {
            return Ok(aggregate);
        }
        match node.name() {
            "CoalesceBatchesExec" | "RepartitionExec" | "CoalescePartitionsExec" | "CooperativeExec" => {
                node = node.children()[0];
            }
            other => {
                return Err(EngineError::Invalid(format!(
                    "unexpected plan step {other} under a final aggregate; please report this"
                )));
            }
        }
    }
}

/// What a plan step the engine does not run is called in SQL.
fn refused(name: &str) -> String {
    match name {
        "SortExec" | "SortPreservingMergeExec" => "ORDER BY on a stream (Flink sorts only on time attributes)".into(),
        "GlobalLimitExec" | "LocalLimitExec" => "LIMIT on a stream".into(),
        "BoundedWindowAggExec" | "WindowAggExec" => {
            "OVER windows (ROW_NUMBER() runs under a rank filter, as Top-N or deduplication)".into()
        }
        n if n.contains("Join") => "joins without an equality condition".into(),
        other => format!("the plan step {other}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flink_durations() {
        assert_eq!(
            parse_duration("3600000"),
            Some(Duration::from_secs(3_600)),
            "bare: milliseconds"
        );
        assert_eq!(parse_duration("1 h"), Some(Duration::from_secs(3_600)));
        assert_eq!(parse_duration("10 min"), Some(Duration::from_secs(600)));
        assert_eq!(parse_duration("ten minutes"), None);
    }
}
