//! A query's physical plan (planned by DataFusion with one partition) as a graph of pipegen's
//! operators: stateless subplans stay DataFusion's (they stream as they are), every stateful
//! step becomes an [`Operator`], recognised by its type. Leaves are DataFusion subplans,
//! upsert sources, window TVFs' rows and MATCH_RECOGNIZE's matches (read where the plan scans
//! their placeholder tables):
//!
//! ```text
//! [DataFusion subplan | upsert source | window TVF rows | MATCH_RECOGNIZE matches]
//!     --> GroupAggregate / Join / Rank / WindowAggregate / WindowJoin / TemporalJoin / ...
//!     --> [filter, projection] --> sink
//! ```

use std::sync::Arc;

use datafusion::arrow::datatypes::SchemaRef;
use datafusion::common::tree_node::{TreeNode, TreeNodeRecursion};
use datafusion::execution::TaskContext;
use datafusion::functions_window::row_number::RowNumber;
use datafusion::physical_expr::window::StandardWindowExpr;
use datafusion::physical_expr::{PhysicalExpr, PhysicalSortExpr, conjunction, split_conjunction};
use datafusion::physical_plan::ExecutionPlan;
use datafusion::physical_plan::aggregates::{AggregateExec, AggregateMode};
use datafusion::physical_plan::coalesce_partitions::CoalescePartitionsExec;
use datafusion::physical_plan::expressions::Column;
use datafusion::physical_plan::filter::FilterExec;
use datafusion::physical_plan::joins::{
    CrossJoinExec, HashJoinExec, NestedLoopJoinExec, SortMergeJoinExec, SymmetricHashJoinExec,
};
use datafusion::physical_plan::limit::{GlobalLimitExec, LocalLimitExec};
use datafusion::physical_plan::projection::ProjectionExec;
use datafusion::physical_plan::sorts::sort::SortExec;
use datafusion::physical_plan::sorts::sort_preserving_merge::SortPreservingMergeExec;
use datafusion::physical_plan::streaming::StreamingTableExec;
use datafusion::physical_plan::union::{InterleaveExec, UnionExec};
use datafusion::physical_plan::windows::{BoundedWindowAggExec, WindowAggExec, WindowUDFExpr};
use futures::StreamExt;

use crate::changelog::StateConfig;
use crate::changelog::aggregate::GroupAggregate;
use crate::changelog::join::{Side, StreamJoin};
use crate::changelog::not_in::NotIn;
use crate::changelog::over::{OverAggregate, aggregate_of, frame_of};
use crate::changelog::rank::{TopN, rank_bound};
use crate::changelog::rowtime_first::RowtimeFirst;
use crate::changelog::semi::SemiJoin;
use crate::changelog::set_all::SetOperationAll;
use crate::changelog::temporal::TemporalJoin;
use crate::changelog::temporal_sort::TemporalSort;
use crate::changelog::upsert::UpsertNormalize;
use crate::changes::Changes;
use crate::error::EngineError;
use crate::event_time::EventTimeSources;
use crate::lookup::{LookupJoin, LookupTables};
use crate::metrics::JobMetrics;
use crate::operator::merge::{self, MergeOptions, Watermarks};
use crate::operator::source::{ChangelogSource, ChangelogSources};
use crate::operator::step::Step;
use crate::operator::{Message, MessageStream, Operator};
use crate::pattern::{MatchedRows, MatchedTables};
use crate::plan_nodes::{is_exchange, is_stateless_step};
use crate::versioned::{VersionedTables, Versions};
use crate::window::join::WindowJoin;
use crate::window::{self, WindowedInput, WindowedRows, WindowedTables};
use datafusion::common::JoinType;

/// One node of a query's operator graph.
pub enum Graph {
    /// A stateless DataFusion subplan: append-only.
    Plan(Arc<dyn ExecutionPlan>),
    /// An operator over its inputs, as one instance or keyed instances.
    Operator {
        inputs: Vec<Graph>,
        instances: Vec<Box<dyn Operator>>,
        schema: SchemaRef,
        /// Where each input's watermark comes from (by input).
        event_time: Vec<Watermarks>,
        /// The operator that makes the output updating, as Flink names it in its error.
        updating: Option<&'static str>,
    },
    /// An upsert table read as a changelog: its source, normalized.
    Changelog {
        source: Arc<dyn ChangelogSource>,
        normalize: Box<UpsertNormalize>,
    },
    /// A window TVF's rows: its source's, with watermarks and their windows.
    Windowed(Box<WindowedRows>),
    /// A MATCH_RECOGNIZE's matches, one row each.
    Matched(Box<MatchedRows>),
    /// A lookup join over its stream side (the table is asked as rows come).
    Lookup {
        input: Box<Graph>,
        join: Box<LookupJoin>,
        schema: SchemaRef,
        updating: Option<&'static str>,
    },
}

/// Builds operator graphs from physical plans.
pub struct Builder<'a> {
    pub config: StateConfig,
    pub changelogs: &'a ChangelogSources,
    pub event_time: &'a EventTimeSources,
    /// The query's window TVFs, read where the plan scans them.
    pub windows: &'a WindowedTables,
    /// The versioned sides of the query's temporal joins.
    pub versioned: &'a VersionedTables,
    /// The query's MATCH_RECOGNIZE clauses, read where the plan scans them.
    pub matches: &'a MatchedTables,
    /// The tables the query's lookup joins ask.
    pub lookups: &'a LookupTables,
    pub metrics: Arc<JobMetrics>,
    /// The rowtime column and its watermark delay, when the query reads one table that
    /// declares a watermark.
    pub rowtime: Option<(String, i64)>,
}

impl Builder<'_> {
    /// Whether a physical plan holds a step that keeps state (pipegen runs it, or refuses it);
    /// a plan without one streams as DataFusion runs it.
    pub fn needs_state(&self, plan: &Arc<dyn ExecutionPlan>) -> bool {
        let mut stateful = false;
        let _ = plan.apply(|node| {
            stateful |= !is_stateless_step(node)
                || self.changelog_scan(node).is_some()
                || self.windowed_scan(node).is_some()
                || self.matched_scan(node).is_some();
            Ok(if stateful {
                TreeNodeRecursion::Stop
            } else {
                TreeNodeRecursion::Continue
            })
        });
        stateful
    }

    fn changelog_scan<'p>(
        &self,
        plan: &'p Arc<dyn ExecutionPlan>,
    ) -> Option<(&'p StreamingTableExec, &Arc<dyn ChangelogSource>)> {
        let scan = plan.downcast_ref::<StreamingTableExec>()?;
        self.changelogs.scanned_by(scan).map(|source| (scan, source))
    }

    fn windowed_scan<'p>(&self, plan: &'p Arc<dyn ExecutionPlan>) -> Option<&'p StreamingTableExec> {
        plan.downcast_ref::<StreamingTableExec>()
            .filter(|scan| self.windows.scans(scan))
    }

    fn matched_scan<'p>(&self, plan: &'p Arc<dyn ExecutionPlan>) -> Option<&'p StreamingTableExec> {
        plan.downcast_ref::<StreamingTableExec>()
            .filter(|scan| self.matches.scans(scan))
    }

    /// Whether the plan reads the rows of a window over a view's windows (cascading windows).
    fn reads_cascading_windows(&self, plan: &Arc<dyn ExecutionPlan>) -> bool {
        plan.exists(|node| Ok(self.windowed_scan(node).is_some_and(|scan| self.windows.cascades(scan))))
            .unwrap_or(false)
    }

    /// Whether the plan reads a window TVF's rows.
    fn reads_windows(&self, plan: &Arc<dyn ExecutionPlan>) -> bool {
        plan.exists(|node| Ok(self.windowed_scan(node).is_some()))
            .unwrap_or(false)
    }

    /// The scan of windowed rows right under `plan`, through filters and projections that
    /// pass `window_start` and `window_end` through untouched (a plan reading them otherwise
    /// needs each row in each of its windows).
    fn windowed_scan_under<'p>(&self, plan: &'p Arc<dyn ExecutionPlan>) -> Option<&'p StreamingTableExec> {
        let reads_bounds = |expr: &Arc<dyn PhysicalExpr>| {
            expr.exists(|e| {
                Ok(e.downcast_ref::<Column>()
                    .is_some_and(|c| c.name() == window::WINDOW_START || c.name() == window::WINDOW_END))
            })
            .unwrap_or(true)
        };
        let mut node = plan;
        loop {
            if let Some(scan) = self.windowed_scan(node) {
                return Some(scan);
            }
            if let Some(filter) = node.downcast_ref::<FilterExec>() {
                if reads_bounds(filter.predicate()) {
                    return None;
                }
            } else if let Some(projection) = node.downcast_ref::<ProjectionExec>() {
                if projection
                    .expr()
                    .iter()
                    .any(|p| !p.expr.is::<Column>() && reads_bounds(&p.expr))
                {
                    return None;
                }
            } else if !is_exchange(node) {
                return None;
            }
            node = node.children()[0];
        }
    }

    /// The operator graph of a physical plan planned with one partition.
    pub fn build(&self, plan: &Arc<dyn ExecutionPlan>) -> Result<Graph, EngineError> {
        if !self.needs_state(plan) {
            return Ok(Graph::Plan(plan.clone()));
        }
        if let Some(scan) = self.windowed_scan(plan) {
            let graph = self.windowed(self.windows.take(scan)?)?;
            return Ok(match scan.projection() {
                Some(columns) => Graph::step(graph, Step::Project(columns.to_vec())),
                None => graph,
            });
        }
        if let Some(scan) = self.matched_scan(plan) {
            let graph = Graph::Matched(Box::new(self.matches.take(scan)?));
            return Ok(match scan.projection() {
                Some(columns) => Graph::step(graph, Step::Project(columns.to_vec())),
                None => graph,
            });
        }
        if let Some((scan, source)) = self.changelog_scan(plan) {
            let normalize = UpsertNormalize::new(
                source.schema(),
                source.key_columns().to_vec(),
                scan.projection().as_ref().map(|p| p.to_vec()),
            )?;
            return Ok(Graph::Changelog {
                source: source.clone(),
                normalize: Box::new(normalize),
            });
        }
        if let Some(filter) = plan.downcast_ref::<FilterExec>() {
            if let Some(graph) = self.top_n(filter)? {
                return Ok(graph);
            }
            return Ok(Graph::step(self.build(filter.input())?, Step::filter(filter)));
        }
        if let Some(projection) = plan.downcast_ref::<ProjectionExec>() {
            return Ok(Graph::step(
                self.build(projection.input())?,
                Step::projection(projection),
            ));
        }
        if let Some(aggregate) = plan.downcast_ref::<AggregateExec>() {
            return self.aggregate(aggregate);
        }
        if let Some(join) = plan.downcast_ref::<HashJoinExec>() {
            return self.join(join);
        }
        if plan.is::<UnionExec>() || plan.is::<InterleaveExec>() {
            let inputs = plan
                .children()
                .into_iter()
                .map(|c| self.build(c))
                .collect::<Result<Vec<_>, _>>()?;
            let updating = inputs.iter().find_map(Graph::updating_operator);
            let event_time = vec![Watermarks::None; inputs.len()];
            return Ok(Graph::Operator {
                schema: plan.schema(),
                instances: vec![Box::new(Union)],
                inputs,
                event_time,
                updating,
            });
        }
        if let Some(window) = plan.downcast_ref::<BoundedWindowAggExec>() {
            return self.over(window);
        }
        if let Some(graph) = self.sorted_limit(plan)? {
            return Ok(graph);
        }
        if let Some(graph) = self.temporal_sort(plan)? {
            return Ok(graph);
        }
        if is_exchange(plan) {
            return self.build(plan.children()[0]);
        }
        Err(EngineError::unsupported(refused(plan)))
    }

    /// A window TVF's rows: a source's as a leaf, or a view's windows (cascading windows)
    /// assigned to the TVF's windows as they fire.
    fn windowed(&self, rows: WindowedRows) -> Result<Graph, EngineError> {
        if let WindowedInput::Source(_) = rows.input {
            return Ok(Graph::Windowed(Box::new(rows)));
        }
        let schema = rows.windowed.clone();
        let (WindowedInput::Query { plan, .. }, assign) = rows.split(&self.metrics) else {
            unreachable!("a source's rows returned above");
        };
        let input = self.build(&plan)?;
        if let Some(operator) = input.updating_operator() {
            return Err(EngineError::unsupported(format!(
                "a window over a view whose rows update ({operator})"
            )));
        }
        Ok(Graph::Operator {
            inputs: vec![input],
            instances: vec![assign],
            schema,
            event_time: vec![Watermarks::None],
            updating: None,
        })
    }

    fn instances(&self, keyed: bool) -> usize {
        if keyed { self.config.parallelism.max(1) } else { 1 }
    }

    fn aggregate(&self, aggregate: &AggregateExec) -> Result<Graph, EngineError> {
        if window::groups_by_window(aggregate)
            && self.reads_windows(aggregate.input())
            && !self.regroups_sessions(aggregate)
        {
            return self.window_aggregate(aggregate);
        }
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
        let input = self.build(input)?;
        let retracting = input.is_updating();
        let instances = (0..self.instances(!partial.group_expr().expr().is_empty()))
            .map(|_| {
                GroupAggregate::new(partial, aggregate.schema(), retracting, self.config)
                    .map(|a| Box::new(a) as Box<dyn Operator>)
            })
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Graph::Operator {
            inputs: vec![input],
            instances,
            schema: aggregate.schema(),
            event_time: vec![Watermarks::None],
            updating: Some("GroupAggregate (a GROUP BY without a window)"),
        })
    }

    /// Whether an aggregation over SESSION windows groups by other columns than the
    /// sessions' PARTITION BY: Flink then plans the SESSION TVF (rows out as their session
    /// closes) and a regular, updating aggregation over them.
    fn regroups_sessions(&self, aggregate: &AggregateExec) -> bool {
        let Some(keys) = self
            .windowed_scan_under(aggregate.input())
            .and_then(|scan| self.windows.session_keys(scan))
        else {
            return false;
        };
        let mut grouped: Vec<&str> = aggregate
            .group_expr()
            .expr()
            .iter()
            .filter_map(|(expr, _)| expr.downcast_ref::<Column>().map(Column::name))
            .filter(|name| ![window::WINDOW_START, window::WINDOW_END, window::WINDOW_TIME].contains(name))
            .collect();
        let mut partitioned: Vec<&str> = keys.iter().map(String::as_str).collect();
        grouped.sort_unstable();
        partitioned.sort_unstable();
        grouped != partitioned
    }

    /// An aggregation grouped by the window of windowed rows: rows wait in their window until
    /// the watermark passes its end; the result is append-only.
    fn window_aggregate(&self, aggregate: &AggregateExec) -> Result<Graph, EngineError> {
        // Right over the TVF's rows, Flink aggregates HOP and CUMULATE windows by slices: the
        // rows then come once each, in their slice.
        let scan = self.windowed_scan_under(aggregate.input());
        if self.reads_cascading_windows(aggregate.input()) {
            refuse_float_sums(aggregate)?;
        }
        let spec = scan.and_then(|scan| self.windows.spec(scan));
        let sliced =
            spec.and_then(|s| s.sharing()).is_some() && window::aggregate::merges_partials(aggregate.aggr_expr());
        if let (Some(scan), true) = (scan, sliced) {
            self.windows.slice(scan);
        }
        let input = self.build(aggregate.input())?;
        if let Some(operator) = input.updating_operator() {
            return Err(EngineError::unsupported(format!(
                "a window aggregation over an updating input ({operator})"
            )));
        }
        Ok(Graph::Operator {
            inputs: vec![input],
            instances: window::aggregators(aggregate, spec, sliced, self.config.parallelism)?,
            schema: aggregate.schema(),
            event_time: vec![Watermarks::None],
            updating: None,
        })
    }

    /// A window join: both inputs windowed and joined on `window_start` and `window_end`.
    fn window_join(&self, join: &HashJoinExec) -> Result<Option<Graph>, EngineError> {
        if !self.reads_windows(join.left()) || !self.reads_windows(join.right()) {
            return Ok(None);
        }
        let Some(first) = WindowJoin::of(join, &self.metrics)? else {
            return Ok(None);
        };
        let (left, right) = (self.build(join.left())?, self.build(join.right())?);
        if let Some(operator) = left.updating_operator().or(right.updating_operator()) {
            return Err(EngineError::unsupported(format!(
                "a window join over an updating input ({operator})"
            )));
        }
        let schema = first.schema();
        let mut instances: Vec<Box<dyn Operator>> = vec![Box::new(first)];
        for _ in 1..self.instances(true) {
            let more = WindowJoin::of(join, &self.metrics)?.expect("a window join as the first");
            instances.push(Box::new(more));
        }
        let graph = Graph::Operator {
            inputs: vec![left, right],
            instances,
            schema,
            event_time: vec![Watermarks::None; 2],
            updating: None,
        };
        Ok(Some(projected(graph, join)))
    }

    /// The versions a temporal join's right input reads (through stateless steps).
    fn versions_under(&self, plan: &Arc<dyn ExecutionPlan>) -> Option<&Versions> {
        let mut node = plan;
        loop {
            if let Some(scan) = node.downcast_ref::<StreamingTableExec>() {
                return self.versioned.scanned_by(scan);
            }
            if !(node.is::<FilterExec>() || node.is::<ProjectionExec>() || is_exchange(node)) {
                return None;
            }
            node = node.children()[0];
        }
    }

    /// An event-time temporal join: the right input reads a versioned table's rows.
    fn temporal_join(&self, join: &HashJoinExec) -> Result<Option<Graph>, EngineError> {
        if self.versions_under(join.left()).is_some() {
            return Err(EngineError::Invalid(
                "a temporal join planned with its versioned side first; please report this".into(),
            ));
        }
        let Some(versions) = self.versions_under(join.right()) else {
            if self.reads_versions(join.right()) {
                return Err(EngineError::unsupported(
                    "a temporal join whose versioned side is more than a table or a view keeping each key's latest row",
                ));
            }
            return Ok(None);
        };
        let (left_schema, right_schema) = (join.left().schema(), join.right().schema());
        let right_keys: Vec<&str> = join
            .on()
            .iter()
            .filter_map(|(_, r)| {
                r.downcast_ref::<Column>()
                    .map(|c| right_schema.field(c.index()).name().as_str())
            })
            .collect();
        if let Some(missing) = versions.key.iter().find(|k| !right_keys.contains(&k.as_str())) {
            return Err(EngineError::Invalid(format!(
                "the temporal join on `{}` must equate its key column `{missing}` with the left side, as Flink requires",
                versions.table
            )));
        }
        let (Ok(left_time), Ok(right_time)) = (
            left_schema.index_of(&versions.as_of),
            right_schema.index_of(&versions.time),
        ) else {
            return Err(EngineError::Invalid(format!(
                "the temporal join on `{}` lost its time columns; please report this",
                versions.table
            )));
        };
        let left_delay = self.config.watermark_delay_ms.unwrap_or(0);
        let (left, left_watermarks) = self.source_rows(join.left(), (left_time, left_delay), "a temporal join")?;
        let (right, right_watermarks) = self.source_rows(
            join.right(),
            (right_time, versions.delay_ms),
            "a temporal join's versioned side",
        )?;
        let instances = (0..self.instances(true))
            .map(|_| TemporalJoin::new(join, [left_time, right_time]).map(|j| Box::new(j) as Box<dyn Operator>))
            .collect::<Result<Vec<_>, _>>()?;
        let graph = Graph::Operator {
            inputs: vec![left, right],
            instances,
            schema: join.join_schema().clone(),
            event_time: vec![left_watermarks, right_watermarks],
            updating: None,
        };
        Ok(Some(projected(graph, join)))
    }

    /// A processing-time lookup join: the right side reads a lookup table (through the plan's
    /// projections and filters); `None` for another join.
    fn lookup_join(&self, join: &HashJoinExec) -> Result<Option<Graph>, EngineError> {
        let mut steps = Vec::new();
        let mut node = join.right();
        let scan = loop {
            if let Some(scan) = node.downcast_ref::<StreamingTableExec>() {
                break scan;
            }
            if let Some(filter) = node.downcast_ref::<FilterExec>() {
                steps.push(Step::filter(filter));
            } else if let Some(projection) = node.downcast_ref::<ProjectionExec>() {
                steps.push(Step::projection(projection));
            } else if !is_exchange(node) {
                if node.exists(|n| {
                    Ok(n.downcast_ref::<StreamingTableExec>()
                        .is_some_and(|s| self.lookups.scans(s)))
                })? {
                    return Err(EngineError::unsupported(
                        "a lookup join whose table side is more than the table, filtered or projected",
                    ));
                }
                return Ok(None);
            }
            node = node.children()[0];
        };
        if !self.lookups.scans(scan) {
            if self.lookups_under(join.left()) {
                return Err(EngineError::Invalid(
                    "a lookup join planned with its table first; please report this".into(),
                ));
            }
            return Ok(None);
        }
        let table = self.lookups.take(scan)?;
        if let Some(columns) = scan.projection() {
            steps.push(Step::Project(columns.to_vec()));
        }
        steps.reverse();
        let outer = match join.join_type() {
            JoinType::Inner => false,
            JoinType::Left => true,
            other => {
                return Err(EngineError::unsupported(format!(
                    "a {other:?} lookup join (Flink's lookup joins are INNER or LEFT)"
                )));
            }
        };
        // The ON equalities: stream expressions against table columns.
        let mut left_keys = Vec::new();
        let mut table_keys = Vec::new();
        for (left, right) in join.on() {
            let column = right
                .downcast_ref::<Column>()
                .and_then(|c| crate::operator::step::source_column(&steps, &table.schema, c.index()));
            let Some(column) = column else {
                return Err(EngineError::unsupported(format!(
                    "a lookup join on `{right}`, which is not a column of `{}`",
                    table.name
                )));
            };
            left_keys.push(left.clone());
            table_keys.push(column);
        }
        if table_keys.is_empty() {
            return Err(EngineError::Invalid(format!(
                "a lookup join of `{}` needs an equality between a stream column and a column of the table, as Flink requires",
                table.name
            )));
        }
        let metrics = self.metrics.lookup(&table.name, table.lookup.cache.is_some());
        let right = join.right().schema();
        let lookup = Arc::new(crate::connectors::jdbc::Lookup::new(table, table_keys));
        let input = self.build(join.left())?;
        let lookup_join = LookupJoin::new(
            lookup,
            (steps, right),
            left_keys,
            outer,
            join.filter().cloned(),
            join.join_schema().clone(),
            metrics,
        );
        let graph = Graph::Lookup {
            updating: input.updating_operator(),
            input: Box::new(input),
            join: Box::new(lookup_join),
            schema: join.join_schema().clone(),
        };
        Ok(Some(projected(graph, join)))
    }

    /// Whether the plan reads a lookup table anywhere.
    fn lookups_under(&self, plan: &Arc<dyn ExecutionPlan>) -> bool {
        plan.exists(|n| {
            Ok(n.downcast_ref::<StreamingTableExec>()
                .is_some_and(|s| self.lookups.scans(s)))
        })
        .unwrap_or(false)
    }

    /// Whether the plan reads a temporal join's versions anywhere.
    fn reads_versions(&self, plan: &Arc<dyn ExecutionPlan>) -> bool {
        plan.exists(|node| {
            Ok(node
                .downcast_ref::<StreamingTableExec>()
                .is_some_and(|scan| self.versioned.scanned_by(scan).is_some()))
        })
        .unwrap_or(false)
    }

    fn join(&self, join: &HashJoinExec) -> Result<Graph, EngineError> {
        if let Some(graph) = self.lookup_join(join)? {
            return Ok(graph);
        }
        if let Some(graph) = self.temporal_join(join)? {
            return Ok(graph);
        }
        if let Some(graph) = self.window_join(join)? {
            return Ok(graph);
        }
        let (left, right) = (self.build(join.left())?, self.build(join.right())?);
        let updating_input = left.is_updating() || right.is_updating();
        if let Some(not_in) = NotIn::of(join)? {
            let schema = not_in.schema();
            let graph = Graph::Operator {
                inputs: vec![left, right],
                instances: vec![Box::new(not_in)],
                schema,
                event_time: vec![Watermarks::None; 2],
                updating: Some("Join (NOT IN: a null-aware anti join)"),
            };
            return Ok(projected(graph, join));
        }
        if let Some(first) = SetOperationAll::of(join)? {
            let schema = first.schema();
            let mut instances: Vec<Box<dyn Operator>> = vec![Box::new(first)];
            for _ in 1..self.instances(true) {
                instances.push(Box::new(
                    SetOperationAll::of(join)?.expect("a set operation as the first"),
                ));
            }
            let graph = Graph::Operator {
                inputs: vec![left, right],
                instances,
                schema,
                event_time: vec![Watermarks::None; 2],
                updating: Some("Join (INTERSECT ALL or EXCEPT ALL)"),
            };
            return Ok(projected(graph, join));
        }
        if let Some(first) = SemiJoin::of(join)? {
            let semi = |join: SemiJoin| {
                if updating_input {
                    join.over_updating_inputs()
                } else {
                    join
                }
            };
            let first = semi(first);
            let updating = if updating_input {
                left.updating_operator().or(right.updating_operator())
            } else {
                first.is_updating().then_some("Join (NOT EXISTS: an anti join)")
            };
            let schema = first.schema();
            let mut instances: Vec<Box<dyn Operator>> = vec![Box::new(first)];
            for _ in 1..self.instances(true) {
                instances.push(Box::new(semi(SemiJoin::of(join)?.expect("a semi join as the first"))));
            }
            let graph = Graph::Operator {
                inputs: vec![left, right],
                instances,
                schema,
                event_time: vec![Watermarks::None; 2],
                updating,
            };
            return Ok(projected(graph, join));
        }
        let joins = (0..self.instances(true))
            .map(|_| {
                let join = StreamJoin::new(join, self.config)?;
                if updating_input {
                    join.over_updating_inputs()
                } else {
                    Ok(join)
                }
            })
            .collect::<Result<Vec<_>, _>>()?;
        let event_time = [Side::Left, Side::Right]
            .map(|side| match joins[0].event_time(side) {
                Some((index, delay_ms)) => Watermarks::Column { index, delay_ms },
                None => Watermarks::None,
            })
            .to_vec();
        let updating = if updating_input {
            left.updating_operator().or(right.updating_operator())
        } else {
            joins[0].is_updating().then_some("Join (an outer join)")
        };
        Ok(Graph::Operator {
            inputs: vec![left, right],
            schema: joins[0].schema(),
            instances: joins.into_iter().map(|j| Box::new(j) as Box<dyn Operator>).collect(),
            event_time,
            updating,
        })
    }

    /// The Top-N under `filter`, if the filter ranks rows of a ROW_NUMBER window; the graph
    /// runs the whole pattern: window, filter and the projections between.
    fn top_n(&self, filter: &FilterExec) -> Result<Option<Graph>, EngineError> {
        let mut node = filter.input();
        let projection = node.downcast_ref::<ProjectionExec>();
        if let Some(projection) = projection {
            node = projection.input();
        }
        let Some(window) = node.downcast_ref::<BoundedWindowAggExec>() else {
            return Ok(None);
        };
        let input_width = window.input().schema().fields().len();
        let [expr] = window.window_expr() else {
            return Err(EngineError::unsupported("several OVER windows in one query"));
        };
        if !is_row_number(expr.as_any()) {
            return Err(EngineError::unsupported(
                "OVER windows other than ROW_NUMBER() (RANK, DENSE_RANK, aggregates OVER)",
            ));
        }
        // Where the filter sees the rank column.
        let rank_column = match projection {
            None => Some(input_width),
            Some(projection) => projection.expr().iter().position(|p| {
                p.expr
                    .downcast_ref::<Column>()
                    .is_some_and(|c| c.index() == input_width)
            }),
        };
        let Some(rank_column) = rank_column else {
            return Ok(None);
        };
        let mut limit = None;
        let mut rest: Vec<Arc<dyn PhysicalExpr>> = Vec::new();
        for conjunct in split_conjunction(filter.predicate()) {
            match rank_bound(conjunct, rank_column)? {
                Some(bound) if limit.is_none() => limit = Some(bound),
                _ => rest.push(conjunct.clone()),
            }
        }
        let Some(limit) = limit else {
            return Ok(None);
        };
        let rank_shown = filter
            .projection()
            .as_ref()
            .is_none_or(|columns| columns.contains(&rank_column));

        let mut below = window.input();
        while is_exchange(below) || below.is::<SortExec>() || below.is::<SortPreservingMergeExec>() {
            below = below.children()[0];
        }
        let order = expr.order_by().to_vec();
        if self.reads_windows(below)
            && let Some(instances) = window::ranks(window, limit, self.config.parallelism, &self.metrics)?
        {
            // The window rank sorts each window itself: the plan's sort for the ROW_NUMBER may
            // sit under a projection.
            let input = self.build(&without_sorts(below)?)?;
            if let Some(operator) = input.updating_operator() {
                return Err(EngineError::unsupported(format!(
                    "a window Top-N over an updating input ({operator})"
                )));
            }
            let graph = Graph::Operator {
                inputs: vec![input],
                instances,
                schema: window.schema(),
                event_time: vec![Watermarks::None],
                updating: None,
            };
            return Ok(Some(self.above_rank(graph, projection, filter, rest)));
        }
        if let Some(graph) = self.rowtime_first(window, expr.partition_by(), &order, limit, below)? {
            return Ok(Some(self.above_rank(graph, projection, filter, rest)));
        }
        let input = self.build(&without_sorts(below)?)?;
        let updating_input = input.is_updating();
        let newer_first = limit == 1 && order.len() == 1 && order[0].options.descending;
        let instances = (0..self.instances(!expr.partition_by().is_empty()))
            .map(|_| {
                TopN::new(
                    window.input().schema(),
                    expr.partition_by().to_vec(),
                    order.clone(),
                    limit,
                    rank_shown,
                    newer_first,
                    window.schema(),
                )
                .map(|t| if updating_input { t.over_updating_input() } else { t })
                .map(|t| Box::new(t) as Box<dyn Operator>)
            })
            .collect::<Result<Vec<_>, _>>()?;
        let graph = Graph::Operator {
            inputs: vec![input],
            instances,
            schema: window.schema(),
            event_time: vec![Watermarks::None],
            updating: Some("Rank (ROW_NUMBER: a Top-N or a deduplication)"),
        };
        Ok(Some(self.above_rank(graph, projection, filter, rest)))
    }

    /// The projection and the rest of the filter above a rank.
    fn above_rank(
        &self,
        mut graph: Graph,
        projection: Option<&ProjectionExec>,
        filter: &FilterExec,
        rest: Vec<Arc<dyn PhysicalExpr>>,
    ) -> Graph {
        if let Some(projection) = projection {
            graph = Graph::step(graph, Step::projection(projection));
        }
        let columns = filter.projection().as_ref().map(|p| p.iter().copied().collect());
        let step = if rest.is_empty() {
            columns.map(Step::Project)
        } else {
            Some(Step::Filter {
                predicate: conjunction(rest),
                projection: columns,
            })
        };
        if let Some(step) = step {
            graph = Graph::step(graph, step);
        }
        graph
    }

    /// The input of an operator on event time, and where its watermark comes from: the
    /// source's rows through the query's filters and projections, each row with the watermark
    /// the source's rows gave before the filters (Flink assigns it at the source); or, for a
    /// source whose watermark reads a computed column, its rows unfiltered, the watermark
    /// taken from `time` less `delay_ms`. Other inputs are refused, naming `construct`.
    fn source_rows(
        &self,
        below: &Arc<dyn ExecutionPlan>,
        (time, delay_ms): (usize, i64),
        construct: &str,
    ) -> Result<(Graph, Watermarks), EngineError> {
        let mut steps = Vec::new();
        let mut node = below;
        loop {
            if let Some(filter) = node.downcast_ref::<FilterExec>() {
                steps.push(Step::filter(filter));
            } else if let Some(projection) = node.downcast_ref::<ProjectionExec>() {
                steps.push(Step::projection(projection));
            } else if !is_exchange(node) {
                break;
            }
            node = node.children()[0];
        }
        let refused = || EngineError::unsupported(format!("{construct} over a joined or aggregated input"));
        let scan = node.downcast_ref::<StreamingTableExec>().ok_or_else(refused)?;
        if self.changelogs.scanned_by(scan).is_some() {
            return Err(refused());
        }
        let Some(watermark) = self.event_time.watermark_of(scan) else {
            let filtered = steps.iter().any(|s| matches!(s, Step::Filter { .. }));
            if filtered {
                return Err(EngineError::unsupported(format!(
                    "{construct} over a filtered input whose watermark reads a computed column"
                )));
            }
            return Ok((Graph::Plan(below.clone()), Watermarks::Column { index: time, delay_ms }));
        };
        // The first step takes the source's rows and their watermark; an identity projection
        // stands in when there is none.
        let width = scan.schema().fields().len();
        let mut steps = steps.into_iter().rev();
        let first = steps.next().unwrap_or_else(|| Step::Project((0..width).collect()));
        let schema = first.schema(&scan.schema());
        let mut graph = Graph::Operator {
            inputs: vec![Graph::Plan(node.clone())],
            instances: vec![Box::new(first)],
            schema,
            event_time: vec![Watermarks::Expr(watermark)],
            updating: None,
        };
        for step in steps {
            graph = Graph::step(graph, step);
        }
        Ok((graph, Watermarks::None))
    }

    /// OVER aggregations on event time (a window of aggregates with no rank filter above).
    fn over(&self, window: &BoundedWindowAggExec) -> Result<Graph, EngineError> {
        let exprs = window.window_expr();
        let Some(first) = exprs.first() else {
            return Err(EngineError::Invalid(
                "an OVER window without functions; please report this".into(),
            ));
        };
        let aggregates = exprs.iter().map(aggregate_of).collect::<Result<Vec<_>, _>>()?;
        let frame = frame_of(exprs)?;
        let same_window = exprs.iter().all(|e| {
            format!("{:?}{:?}", e.partition_by(), e.order_by())
                == format!("{:?}{:?}", first.partition_by(), first.order_by())
        });
        if !same_window {
            return Err(EngineError::unsupported("OVER aggregates over different windows"));
        }
        let rowtime = match (first.order_by(), &self.rowtime) {
            ([order], Some((rowtime, delay_ms))) if !order.options.descending => order
                .expr
                .downcast_ref::<Column>()
                .filter(|c| c.name() == rowtime)
                .map(|c| (c.index(), *delay_ms)),
            _ => None,
        };
        let Some((time_index, delay_ms)) = rowtime else {
            return Err(EngineError::unsupported(
                "an OVER window not ordered by the rowtime ascending (Flink orders OVER windows by a time attribute)",
            ));
        };
        let mut below = window.input();
        while is_exchange(below) || below.is::<SortExec>() || below.is::<SortPreservingMergeExec>() {
            below = below.children()[0];
        }
        let (input, watermarks) = self.source_rows(below, (time_index, delay_ms), "an OVER aggregation")?;
        let instances = (0..self.instances(!first.partition_by().is_empty()))
            .map(|_| {
                OverAggregate::new(
                    window.input().schema(),
                    first.partition_by().to_vec(),
                    time_index,
                    frame,
                    aggregates.clone(),
                    window.schema(),
                )
                .map(|o| Box::new(o) as Box<dyn Operator>)
            })
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Graph::Operator {
            inputs: vec![input],
            instances,
            schema: window.schema(),
            event_time: vec![watermarks],
            updating: None,
        })
    }

    /// `ORDER BY` the rowtime ascending (then anything) without a LIMIT: Flink's temporal
    /// sort; `None` for another plan (a sort on other columns is refused as Flink refuses it).
    fn temporal_sort(&self, plan: &Arc<dyn ExecutionPlan>) -> Result<Option<Graph>, EngineError> {
        let mut node = plan;
        while is_exchange(node) || node.is::<SortPreservingMergeExec>() {
            node = node.children()[0];
        }
        let Some(sort) = node.downcast_ref::<SortExec>() else {
            return Ok(None);
        };
        let Some((rowtime, delay_ms)) = &self.rowtime else {
            return Ok(None);
        };
        let Some((first, then_by)) = sort.expr().split_first() else {
            return Ok(None);
        };
        let time_index = match first.expr.downcast_ref::<Column>() {
            Some(column) if column.name() == rowtime && !first.options.descending && sort.fetch().is_none() => {
                column.index()
            }
            _ => return Ok(None),
        };
        let (input, watermarks) =
            self.source_rows(sort.input(), (time_index, *delay_ms), "an ORDER BY on the rowtime")?;
        let operator = TemporalSort::new(
            sort.input().schema(),
            time_index,
            then_by.to_vec(),
            self.metrics.clone(),
        )?;
        Ok(Some(Graph::Operator {
            inputs: vec![input],
            instances: vec![Box::new(operator)],
            schema: sort.schema(),
            event_time: vec![watermarks],
            updating: None,
        }))
    }

    /// `ORDER BY ... LIMIT n`: a global Top-N, as Flink plans it (its rows enter with `+I`, a
    /// row pushed out leaves with `-D`); `None` for any other plan.
    fn sorted_limit(&self, plan: &Arc<dyn ExecutionPlan>) -> Result<Option<Graph>, EngineError> {
        let (mut node, mut fetch) = (plan, None);
        if let Some(limit) = plan.downcast_ref::<GlobalLimitExec>() {
            if limit.skip() != 0 {
                return Ok(None);
            }
            fetch = limit.fetch();
            node = limit.input();
        }
        while is_exchange(node) || node.is::<SortPreservingMergeExec>() {
            if let Some(merge) = node.downcast_ref::<SortPreservingMergeExec>() {
                fetch = fetch.or(merge.fetch());
            }
            node = node.children()[0];
        }
        let Some(sort) = node.downcast_ref::<SortExec>() else {
            return Ok(None);
        };
        let Some(limit) = fetch.or(sort.fetch()) else {
            return Ok(None);
        };
        if limit == 0 {
            return Err(EngineError::Invalid("the LIMIT keeps no row (LIMIT 0)".into()));
        }
        let input = self.build(sort.input())?;
        if input.is_updating() {
            return Err(EngineError::unsupported(
                "an ORDER BY ... LIMIT over an updating input (an aggregation or an outer join)",
            ));
        }
        let schema = sort.input().schema();
        // The Top-N appends the rank, which the sort does not show.
        let mut fields: Vec<_> = schema.fields().iter().cloned().collect();
        fields.push(Arc::new(datafusion::arrow::datatypes::Field::new(
            "__pipegen_rank",
            datafusion::arrow::datatypes::DataType::UInt64,
            false,
        )));
        let ranked: SchemaRef = Arc::new(datafusion::arrow::datatypes::Schema::new(fields));
        let top = TopN::new(
            schema.clone(),
            Vec::new(),
            sort.expr().to_vec(),
            limit,
            false,
            false,
            ranked.clone(),
        )?;
        let graph = Graph::Operator {
            inputs: vec![input],
            instances: vec![Box::new(top)],
            schema: ranked,
            event_time: vec![Watermarks::None],
            updating: Some("Rank (ORDER BY ... LIMIT: a Top-N)"),
        };
        Ok(Some(Graph::step(
            graph,
            Step::Project((0..schema.fields().len()).collect()),
        )))
    }

    /// Deduplication keeping the first row by event time (`ORDER BY rowtime ASC`, `rn = 1`),
    /// which Flink runs on the watermark, insert-only; `None` for any other rank.
    fn rowtime_first(
        &self,
        window: &BoundedWindowAggExec,
        partition_by: &[Arc<dyn PhysicalExpr>],
        order: &[PhysicalSortExpr],
        limit: usize,
        below: &Arc<dyn ExecutionPlan>,
    ) -> Result<Option<Graph>, EngineError> {
        let ([order], 1, Some((rowtime, delay_ms))) = (order, limit, &self.rowtime) else {
            return Ok(None);
        };
        let Some(column) = order.expr.downcast_ref::<Column>() else {
            return Ok(None);
        };
        if order.options.descending || column.name() != rowtime {
            return Ok(None);
        }
        let (input, watermarks) = self.source_rows(
            below,
            (column.index(), *delay_ms),
            "a deduplication on event time (ORDER BY the rowtime ASC, rn = 1)",
        )?;
        let instances = (0..self.instances(!partition_by.is_empty()))
            .map(|_| {
                RowtimeFirst::new(
                    window.input().schema(),
                    partition_by.to_vec(),
                    column.index(),
                    window.schema(),
                )
                .map(|d| Box::new(d) as Box<dyn Operator>)
            })
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Some(Graph::Operator {
            inputs: vec![input],
            instances,
            schema: window.schema(),
            event_time: vec![watermarks],
            updating: None,
        }))
    }
}

/// A floating-point sum (SUM, AVG, VAR, STDDEV) over a cascading window's rows is refused:
/// it adds the view's window results in the order its keys fire, which Flink does not fix
/// either (its own digits move with its parallelism and timers).
fn refuse_float_sums(aggregate: &AggregateExec) -> Result<(), EngineError> {
    let input = aggregate.input().schema();
    for expr in aggregate.aggr_expr() {
        let name = expr.fun().name();
        let sums =
            matches!(name, "sum" | "avg") || name.starts_with("pipegen_var_") || name.starts_with("pipegen_stddev_");
        let floating = expr
            .expressions()
            .first()
            .and_then(|e| e.data_type(&input).ok())
            .is_some_and(|t| t.is_floating());
        if sums && floating {
            return Err(EngineError::unsupported(format!(
                "`{}` of a floating-point value over a window of a view's windows (Flink's own digits depend on the \
                 order its timers fire the view's keys); sum a DECIMAL instead",
                expr.name()
            )));
        }
    }
    Ok(())
}

/// Whether an OVER window's function is ROW_NUMBER().
pub(crate) fn is_row_number(expr: &dyn std::any::Any) -> bool {
    expr.downcast_ref::<StandardWindowExpr>()
        .and_then(|e| e.get_standard_func_expr().as_any().downcast_ref::<WindowUDFExpr>())
        .is_some_and(|e| e.fun().inner().downcast_ref::<RowNumber>().is_some())
}

impl Graph {
    /// A stateless step over `input`.
    fn step(input: Graph, step: Step) -> Graph {
        let schema = step.schema(&input.schema());
        let updating = input.updating_operator();
        Graph::Operator {
            inputs: vec![input],
            instances: vec![Box::new(step)],
            schema,
            event_time: vec![Watermarks::None],
            updating,
        }
    }

    /// Whether the output holds retractions or updates (not only insertions).
    pub fn is_updating(&self) -> bool {
        self.updating_operator().is_some()
    }

    /// The operator that makes the output updating, as Flink names it in its error.
    pub fn updating_operator(&self) -> Option<&'static str> {
        match self {
            Graph::Plan(_) => None,
            Graph::Operator { updating, .. } => *updating,
            Graph::Changelog { .. } => Some("ChangelogNormalize (reading an upsert-kafka table)"),
            Graph::Windowed(_) | Graph::Matched(_) => None,
            Graph::Lookup { updating, .. } => *updating,
        }
    }

    /// The schema of the node's output.
    pub fn schema(&self) -> SchemaRef {
        match self {
            Graph::Plan(plan) => plan.schema(),
            Graph::Operator { schema, .. } => schema.clone(),
            Graph::Changelog { normalize, .. } => normalize.schema(),
            Graph::Windowed(rows) => rows.windowed.clone(),
            Graph::Matched(rows) => rows.schema(),
            Graph::Lookup { schema, .. } => schema.clone(),
        }
    }

    /// Runs the graph; the stream ends when every input has. Each operator keeps its share of
    /// the job's metrics current.
    pub fn stream(self, ctx: Arc<TaskContext>, metrics: &Arc<JobMetrics>) -> Result<MessageStream, EngineError> {
        self.stream_with(ctx, metrics, Watermarks::None)
    }

    /// The node's output, a source's watermark taken from `watermarks`.
    fn stream_with(
        self,
        ctx: Arc<TaskContext>,
        metrics: &Arc<JobMetrics>,
        watermarks: Watermarks,
    ) -> Result<MessageStream, EngineError> {
        Ok(match self {
            Graph::Plan(plan) => {
                // Each source partition on its own, so that its watermark is its own.
                // (A coalesce with a fetch is a LIMIT: it stays.)
                let plan = match plan.downcast_ref::<CoalescePartitionsExec>() {
                    Some(coalesce) if coalesce.fetch().is_none() => coalesce.input().clone(),
                    _ => plan,
                };
                let count = plan.properties().output_partitioning().partition_count();
                let partitions = (0..count)
                    .map(|p| Ok(merge::inserts(plan.execute(p, ctx.clone())?)))
                    .collect::<Result<Vec<_>, EngineError>>()?;
                let options = MergeOptions {
                    watermarks,
                    idle_timeout: None,
                    measure: false,
                };
                merge::merge(partitions, options, metrics.clone())
            }
            Graph::Operator {
                inputs,
                instances,
                event_time,
                ..
            } => {
                let inputs = inputs
                    .into_iter()
                    .zip(event_time)
                    .map(|(input, watermarks)| input.stream_with(ctx.clone(), metrics, watermarks))
                    .collect::<Result<Vec<_>, _>>()?;
                crate::operator::run(inputs, instances, metrics)
            }
            Graph::Changelog { source, normalize } => {
                let options = MergeOptions {
                    watermarks: Watermarks::None,
                    idle_timeout: None,
                    measure: false,
                };
                let upserts = merge::merge(vec![source.upserts()], options, metrics.clone());
                crate::operator::run(vec![upserts], vec![normalize], metrics)
            }
            Graph::Windowed(rows) => rows.stream(metrics)?,
            Graph::Matched(rows) => rows.stream(metrics)?,
            Graph::Lookup { input, join, .. } => join.stream(input.stream_with(ctx, metrics, watermarks)?),
        })
    }
}

/// UNION ALL: its inputs' changes interleaved, its watermark the slowest input's.
struct Union;

impl Operator for Union {
    fn name(&self) -> &'static str {
        "Union"
    }

    fn on_changes(&mut self, _input: usize, changes: Changes, out: &mut Vec<Changes>) -> Result<(), EngineError> {
        out.push(changes);
        Ok(())
    }

    fn is_stateful(&self) -> bool {
        false
    }
}

/// A join's graph with the plan's projection of the join's columns on top.
fn projected(graph: Graph, join: &HashJoinExec) -> Graph {
    match &join.projection {
        Some(columns) => Graph::step(graph, Step::Project(columns.to_vec())),
        None => graph,
    }
}

/// The plan without the sorts among its top stateless steps (down to the first step that
/// keeps state).
fn without_sorts(plan: &Arc<dyn ExecutionPlan>) -> Result<Arc<dyn ExecutionPlan>, EngineError> {
    use datafusion::common::tree_node::Transformed;
    Ok(Arc::clone(plan)
        .transform_down(|node| {
            let mut node = node;
            let mut removed = false;
            while node.is::<SortExec>() {
                node = Arc::clone(node.children()[0]);
                removed = true;
            }
            let recursion = if node.is::<FilterExec>() || node.is::<ProjectionExec>() || is_exchange(&node) {
                TreeNodeRecursion::Continue
            } else {
                TreeNodeRecursion::Jump
            };
            Ok(Transformed::new(node, removed, recursion))
        })?
        .data)
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
        if !is_exchange(node) {
            return Err(EngineError::Invalid(format!(
                "unexpected plan step {} under a final aggregate; please report this",
                node.name()
            )));
        }
        node = node.children()[0];
    }
}

/// Whether a plan step joins two inputs (of any of DataFusion's join kinds).
pub fn is_join(plan: &Arc<dyn ExecutionPlan>) -> bool {
    plan.is::<HashJoinExec>()
        || plan.is::<NestedLoopJoinExec>()
        || plan.is::<CrossJoinExec>()
        || plan.is::<SortMergeJoinExec>()
        || plan.is::<SymmetricHashJoinExec>()
}

/// What a plan step the engine does not run is called in SQL.
pub fn refused(plan: &Arc<dyn ExecutionPlan>) -> String {
    if plan.is::<SortExec>() || plan.is::<SortPreservingMergeExec>() {
        "ORDER BY on a stream (Flink sorts only on time attributes)".into()
    } else if plan.is::<GlobalLimitExec>() || plan.is::<LocalLimitExec>() {
        "LIMIT on a stream".into()
    } else if plan.is::<BoundedWindowAggExec>() || plan.is::<WindowAggExec>() {
        "OVER windows (ROW_NUMBER() runs under a rank filter, as Top-N or deduplication)".into()
    } else if is_join(plan) {
        "joins without an equality condition".into()
    } else {
        format!("the plan step {}", plan.name())
    }
}

/// Changes as messages (a stream of a DataFusion plan's output, for the sink).
pub fn messages(stream: datafusion::physical_plan::SendableRecordBatchStream) -> MessageStream {
    stream
        .map(|batch| Ok(Message::Changes(Changes::inserts(batch?))))
        .boxed()
}
