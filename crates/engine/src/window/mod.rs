//! Window table functions (TUMBLE, HOP, CUMULATE, SESSION) and the operators over them, on
//! event time. DataFusion plans the query as if each TVF's windowed rows were a table; the
//! operator graph (`graph.rs`) reads the rows and runs what needs time:
//!
//! ```text
//! source partitions --merge (watermarks, each row's met)--> assign windows, judge lateness
//!     --> [filters, projections] --> WindowAggregate / WindowRank / WindowJoin (keyed;
//!         each fires when the watermark passes a window's end) --> [the rest] --> sink
//! ```

pub mod aggregate;
pub mod join;
pub mod rank;
pub mod session;
pub mod spec;

use std::collections::HashMap;
use std::sync::Arc;

use datafusion::arrow::array::{RecordBatch, TimestampMillisecondArray};
use datafusion::arrow::datatypes::{DataType, Field, Schema, SchemaRef, TimeUnit};
use datafusion::physical_expr::PhysicalExpr;
use datafusion::physical_expr::expressions::Column;
use datafusion::physical_plan::ExecutionPlan;
use datafusion::physical_plan::aggregates::{AggregateExec, AggregateMode};
use datafusion::physical_plan::streaming::{PartitionStream, StreamingTableExec};
use datafusion::physical_plan::windows::BoundedWindowAggExec;

use crate::changes::Changes;
use crate::error::EngineError;
use crate::event_time::SourceRows;
use crate::metrics::JobMetrics;
use crate::operator::merge::epoch_millis;
use crate::operator::{MessageStream, Operator};
use crate::placeholder::Placeholders;
use crate::placeholder::identity;
use aggregate::{AggregateShape, GroupKey, TwoPhase, WindowAggregator};
use rank::{RankShape, WindowRank};
use spec::WindowSpec;

pub const WINDOW_START: &str = "window_start";
pub const WINDOW_END: &str = "window_end";
pub const WINDOW_TIME: &str = "window_time";
/// The prefix of a cascading window's input columns named as its own window columns.
pub const AMBIGUOUS: &str = "__pipegen_ambiguous_";

/// The columns a window TVF produces: its input's, then `window_start`, `window_end`,
/// `window_time` (Flink's types: TIMESTAMP(3) NOT NULL, and the time attribute's type).
pub fn windowed_schema(input: &Schema, time_type: &DataType) -> SchemaRef {
    let tz = match time_type {
        DataType::Timestamp(_, tz) => tz.clone(),
        _ => None,
    };
    // Over a view's windows (cascading windows) the input may have window columns of its
    // own: Flink keeps both and refuses a reference to either as ambiguous. Here the input's
    // take a name no query can write (see `AMBIGUOUS`).
    let mut fields: Vec<Field> = input
        .fields()
        .iter()
        .map(|f| match f.name().as_str() {
            WINDOW_START | WINDOW_END | WINDOW_TIME => f.as_ref().clone().with_name(format!("{AMBIGUOUS}{}", f.name())),
            _ => f.as_ref().clone(),
        })
        .collect();
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

/// What a window TVF reads.
pub enum WindowedInput {
    /// A source table's rows (or those of a view that filters and projects one).
    Source(SourceRows),
    /// The rows of a view that aggregates windows (cascading windows): its query's plan,
    /// which the operator graph builds, and its `window_time` column. Its rows come as its
    /// windows fire, never late.
    Query {
        plan: Arc<dyn ExecutionPlan>,
        time_index: usize,
    },
}

impl WindowedInput {
    /// The column the windows are assigned by.
    pub fn time_index(&self) -> usize {
        match self {
            WindowedInput::Source(source) => source.time_index,
            WindowedInput::Query { time_index, .. } => *time_index,
        }
    }
}

/// The rows of one window table function: its source's partitions merged with their
/// watermarks, a view's filter, and the window assignment. The operator graph reads it where
/// the plan scans the table registered for it ([`WindowedTables`]).
pub struct WindowedRows {
    pub input: WindowedInput,
    pub assigner: Assigner,
    /// The rows with `window_start`, `window_end` and `window_time`.
    pub windowed: SchemaRef,
    /// Each row once, in its HOP or CUMULATE slice (`window_start` and `window_end` are the
    /// slice's), for an aggregation that merges slices into windows.
    pub sliced: bool,
}

impl WindowedRows {
    /// The shape of the windows (none for SESSION).
    fn spec(&self) -> Option<WindowSpec> {
        match &self.assigner {
            Assigner::Slices(spec) => Some(*spec),
            Assigner::Sessions(_) => None,
        }
    }

    /// What the TVF reads, and the operator that assigns its rows to windows.
    pub fn split(self, metrics: &Arc<JobMetrics>) -> (WindowedInput, Box<dyn Operator>) {
        let WindowedRows {
            input,
            assigner,
            windowed,
            sliced,
        } = self;
        let time_index = input.time_index();
        let assign: Box<dyn Operator> = match assigner {
            Assigner::Slices(spec) => Box::new(AssignWindows {
                sharing: spec.sharing().filter(|_| sliced),
                spec,
                time_index,
                windowed,
                metrics: metrics.clone(),
            }),
            Assigner::Sessions(sessions) => Box::new(AssignSessions {
                sessions,
                time_index,
                windowed,
                metrics: metrics.clone(),
            }),
        };
        (input, assign)
    }

    /// The windowed rows of a source, with its watermarks.
    pub fn stream(self, metrics: &Arc<JobMetrics>) -> Result<MessageStream, EngineError> {
        match self.split(metrics) {
            (WindowedInput::Source(source), assign) => Ok(crate::operator::run(
                vec![source.stream(metrics)],
                vec![assign],
                metrics,
            )),
            (WindowedInput::Query { .. }, _) => Err(EngineError::Invalid(
                "a cascading window streamed as a source; please report this".into(),
            )),
        }
    }
}

/// The window TVFs of a query, by the partition of the table registered for each: the plan
/// scans that table, the operator graph reads the windowed rows instead.
pub struct WindowedTables {
    rows: Placeholders<WindowedRows>,
    /// The TVFs over a view's windows (cascading windows).
    cascading: std::collections::HashSet<usize>,
    specs: HashMap<usize, Option<WindowSpec>>,
    /// SESSION windows' PARTITION BY columns, by name.
    session_keys: HashMap<usize, Vec<String>>,
}

impl Default for WindowedTables {
    fn default() -> Self {
        Self {
            rows: Placeholders::new("windowed rows"),
            cascading: std::collections::HashSet::new(),
            specs: HashMap::new(),
            session_keys: HashMap::new(),
        }
    }
}

impl WindowedTables {
    /// Registers one TVF's rows; returns the partition its table is to be made of.
    pub fn register(&mut self, rows: WindowedRows) -> Arc<dyn PartitionStream> {
        let spec = rows.spec();
        let session_keys = match &rows.assigner {
            Assigner::Sessions(sessions) => Some(
                sessions
                    .key_columns()
                    .iter()
                    .map(|i| rows.windowed.field(*i).name().clone())
                    .collect(),
            ),
            Assigner::Slices(_) => None,
        };
        let cascading = matches!(rows.input, WindowedInput::Query { .. });
        let (partition, id) = self.rows.register(rows.windowed.clone(), rows);
        if cascading {
            self.cascading.insert(id);
        }
        self.specs.insert(id, spec);
        if let Some(names) = session_keys {
            self.session_keys.insert(id, names);
        }
        partition
    }

    /// Whether `scan` reads a window over a view's windows.
    pub fn cascades(&self, scan: &StreamingTableExec) -> bool {
        self.rows.scanned(scan).is_some_and(|id| self.cascading.contains(&id))
    }

    /// Whether the query has no window TVF.
    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }

    /// Whether `scan` reads a TVF's windowed rows.
    pub fn scans(&self, scan: &StreamingTableExec) -> bool {
        self.rows.scanned(scan).is_some()
    }

    /// The shape of the windows `scan` reads (none for SESSION windows).
    pub fn spec(&self, scan: &StreamingTableExec) -> Option<WindowSpec> {
        let partition = scan.partitions().first()?;
        self.specs.get(&identity(partition)).copied().flatten()
    }

    /// The PARTITION BY columns of the SESSION windows `scan` reads (none for other windows).
    pub fn session_keys(&self, scan: &StreamingTableExec) -> Option<&[String]> {
        let partition = scan.partitions().first()?;
        self.session_keys.get(&identity(partition)).map(Vec::as_slice)
    }

    /// Has the TVF `scan` reads give each row once, in its slice.
    pub fn slice(&self, scan: &StreamingTableExec) {
        if let Some(id) = self.rows.scanned(scan) {
            self.rows.update(id, |rows| rows.sliced = true);
        }
    }

    /// The windowed rows `scan` reads; each TVF's rows are read once.
    pub fn take(&self, scan: &StreamingTableExec) -> Result<WindowedRows, EngineError> {
        self.rows.take(
            scan,
            "a window table function's rows read twice in one query (a windowed view used twice)",
        )
    }
}

/// The instances of a window aggregation (one without GROUP BY columns beside the window's;
/// `parallelism` keyed by them otherwise). `spec`: the windows' shape, when the aggregation
/// reads the TVF's rows directly; Flink then splits it into local and global phases if every
/// aggregate merges, and aggregates HOP and CUMULATE by slices (`sliced`: the rows come one
/// per slice). SESSION windows run in one phase.
pub fn aggregators(
    aggregate: &AggregateExec,
    spec: Option<WindowSpec>,
    sliced: bool,
    parallelism: usize,
) -> Result<Vec<Box<dyn Operator>>, EngineError> {
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
    let shape = AggregateShape {
        keys,
        aggregates: aggregate.aggr_expr().to_vec(),
        filters: aggregate.filter_expr().to_vec(),
        output: aggregate.schema(),
    };
    let input_schema = aggregate.input().schema();
    for expr in &shape.aggregates {
        if expr.fun().name() == crate::functions::ARRAY_AGG_DISTINCT
            && let Some(argument) = expr.expressions().first()
            && !crate::functions::flink_hashes(&argument.data_type(&input_schema)?)
        {
            return Err(EngineError::unsupported(format!(
                "ARRAY_AGG(DISTINCT ...) of {} over a window (Flink merges its partial values in hash order)",
                argument.data_type(&input_schema)?
            )));
        }
    }
    let merges = aggregate::merges_partials(&shape.aggregates);
    let sharing = spec.and_then(|s| s.sharing()).filter(|_| sliced && merges);
    let two_phase = match (spec, sharing) {
        (_, Some(sharing)) => Some(TwoPhase::new(sharing.slice_size())),
        (Some(WindowSpec::Tumble { size, .. }), None) if merges => Some(TwoPhase::new(size)),
        _ => None,
    };
    let instances = if shape.row_keys().is_empty() {
        1
    } else {
        parallelism.max(1)
    };
    (0..instances)
        .map(|_| {
            Ok(Box::new(WindowAggregate {
                keys: shape.row_keys(),
                aggregator: WindowAggregator::new(shape.clone(), &input_schema, two_phase.clone(), sharing)?,
            }) as Box<dyn Operator>)
        })
        .collect()
}

/// Whether an aggregation groups by `window_start` and `window_end` (a window aggregation,
/// when its input is windowed rows).
pub fn groups_by_window(aggregate: &AggregateExec) -> bool {
    let names: Vec<&str> = aggregate
        .group_expr()
        .expr()
        .iter()
        .filter_map(|(expr, _)| expr.downcast_ref::<Column>().map(Column::name))
        .collect();
    names.contains(&WINDOW_START) && names.contains(&WINDOW_END)
}

/// The instances of a window Top-N: ROW_NUMBER partitioned by the window (and more), bounded
/// by `limit`.
pub fn ranks(
    window: &BoundedWindowAggExec,
    limit: usize,
    parallelism: usize,
    metrics: &Arc<JobMetrics>,
) -> Result<Option<Vec<Box<dyn Operator>>>, EngineError> {
    let [expr] = window.window_expr() else {
        return Ok(None);
    };
    let named = |name: &str| {
        expr.partition_by()
            .iter()
            .find(|e| e.downcast_ref::<Column>().is_some_and(|c| c.name() == name))
            .cloned()
    };
    let (Some(window_start), Some(window_end)) = (named(WINDOW_START), named(WINDOW_END)) else {
        return Ok(None);
    };
    let shape = RankShape {
        partition_by: expr.partition_by().to_vec(),
        window_start,
        window_end,
        order: expr.order_by().to_vec(),
        limit,
        output: window.schema(),
    };
    // Keyed by the whole PARTITION BY: a window's partitions spread over the instances.
    let instances = (0..parallelism.max(1))
        .map(|_| {
            WindowRank::new(shape.clone(), window.input().schema(), metrics.clone())
                .map(|rank| Box::new(rank) as Box<dyn Operator>)
        })
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Some(instances))
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
    /// Each row once, in its slice, for an aggregation by slices: late only once the last
    /// window holding the slice has fired (Flink merges a late slice into later windows).
    sharing: Option<spec::Sharing>,
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
            if let Some(sharing) = self.sharing {
                let slice = self.spec.slice_of(time);
                if sharing.last_window_end(slice.end) - 1 > met[row] {
                    taken.push(row as u32);
                    taken_met.push(met[row]);
                    starts.push(slice.start);
                    ends.push(slice.end);
                } else {
                    late += 1;
                }
                continue;
            }
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

    fn on_changes(&mut self, _input: usize, changes: Changes, out: &mut Vec<Changes>) -> Result<(), EngineError> {
        self.aggregator.update(&changes.rows, changes.met.as_deref(), |batch| {
            out.push(Changes::inserts(batch));
            Ok(())
        })?;
        Ok(())
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
