//! Window aggregation: one set of DataFusion group accumulators per open window, fed as rows
//! arrive and emitted when the watermark passes the window's end. DataFusion's own accumulators
//! (vectorised where it has them) give every aggregate function its exact semantics.
//!
//! Flink aggregates a TUMBLE window in two phases: a local phase accumulates a key's rows into
//! a partial until the watermark crosses a window end, then the global phase merges the
//! partial into the window's state. Floating-point sums are not associative, so pipegen keeps
//! the same partials ([`TwoPhase`]) and a DOUBLE's SUM, AVG or VAR_POP ends in Flink's digits.
//! HOP and CUMULATE aggregate slices the same way ([`Sharing`]): a row goes to one slice, and
//! a window's value is its slices merged in Flink's order (a HOP window's slices last first
//! into a fresh accumulator; a CUMULATE window's step merged into its first slice's state).

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use datafusion::arrow::array::{ArrayRef, AsArray, BooleanArray, RecordBatch, UInt32Array};
use datafusion::arrow::compute::take_record_batch;
use datafusion::arrow::datatypes::{Schema, SchemaRef};
use datafusion::common::ScalarValue;
use datafusion::error::Result;
use datafusion::logical_expr::{EmitTo, GroupsAccumulator};
use datafusion::physical_expr::aggregate::AggregateFunctionExpr;
use datafusion::physical_expr::{GroupsAccumulatorAdapter, PhysicalExpr};
use datafusion::physical_plan::aggregates::group_values::{GroupValues, new_group_values};
use datafusion::physical_plan::aggregates::order::GroupOrdering;

use crate::operator::merge::epoch_millis;
use crate::window::spec::{Sharing, Window};

/// How a group-by expression is computed: from the window, or from the row.
#[derive(Debug, Clone)]
pub enum GroupKey {
    WindowStart(Arc<dyn PhysicalExpr>),
    WindowEnd(Arc<dyn PhysicalExpr>),
    WindowTime,
    Row(Arc<dyn PhysicalExpr>),
}

/// Everything the operator needs from the planned aggregate.
#[derive(Clone)]
pub struct AggregateShape {
    pub keys: Vec<GroupKey>,
    pub aggregates: Vec<Arc<AggregateFunctionExpr>>,
    pub filters: Vec<Option<Arc<dyn PhysicalExpr>>>,
    /// The aggregate's output: the keys in order, then the aggregates.
    pub output: SchemaRef,
}

struct Slot {
    groups: Option<Box<dyn GroupValues>>,
    group_count: usize,
    accumulators: Vec<Box<dyn GroupsAccumulator>>,
    /// The local phase's partial accumulators since the last flush (two-phase only).
    partials: Option<Vec<Box<dyn GroupsAccumulator>>>,
}

/// Flink's local-global split of a window aggregation (`LocalSlicingWindowAggOperator` in
/// front of the global window operator): the local phase flushes its partials when the
/// watermark reaches the next trigger point (`k * interval - 1`) and a buffered window has
/// fired by then.
#[derive(Debug, Clone)]
pub struct TwoPhase {
    interval: i64,
    watermark: i64,
    /// The watermark before the last: the global phase's when the partials of a flush reach it.
    previous: i64,
    next_trigger: i64,
    /// The least end among windows with rows in the partials.
    buffered_min_end: i64,
}

impl TwoPhase {
    pub fn new(interval: i64) -> Self {
        Self {
            interval,
            watermark: i64::MIN,
            previous: i64::MIN,
            next_trigger: i64::MIN,
            buffered_min_end: i64::MAX,
        }
    }

    /// Moves to `watermark`; true when it reached a trigger point, where the local phase
    /// flushes if a buffered window has fired ([`Self::fired`]).
    fn reaches_trigger(&mut self, watermark: i64) -> bool {
        if watermark <= self.watermark {
            return false;
        }
        self.previous = self.watermark;
        self.watermark = watermark;
        if watermark < self.next_trigger {
            return false;
        }
        self.next_trigger = if watermark == i64::MAX {
            i64::MAX
        } else {
            let trigger = watermark - watermark.rem_euclid(self.interval) + self.interval - 1;
            if trigger > watermark {
                trigger
            } else {
                trigger + self.interval
            }
        };
        true
    }

    fn fired(&self) -> bool {
        self.buffered_min_end.saturating_sub(1) <= self.watermark
    }
}

/// The aggregate functions whose partials merge as Flink's do: the functions Flink's
/// planner gives a merge for, here with DataFusion's or pipegen's accumulators.
pub fn merges_partials(aggregates: &[Arc<AggregateFunctionExpr>]) -> bool {
    aggregates.iter().all(|aggregate| {
        let name = aggregate.fun().name();
        // Flink merges lists too: a partial's values are appended; a DISTINCT list takes a
        // partial's new values in Flink's merge order (see `functions::java_hash_order`).
        let lists = [crate::functions::ARRAY_AGG, "string_agg"];
        let distinct_lists = [crate::functions::ARRAY_AGG_DISTINCT, crate::functions::LISTAGG_DISTINCT];
        let merges = matches!(name, "sum" | "avg" | "count" | "min" | "max")
            || name.starts_with("pipegen_var_")
            || name.starts_with("pipegen_stddev_")
            || lists.contains(&name)
            || distinct_lists.contains(&name);
        merges && !aggregate.is_distinct()
    })
}

impl AggregateShape {
    /// The GROUP BY expressions computed from the row (not from its window).
    pub fn row_keys(&self) -> Vec<Arc<dyn PhysicalExpr>> {
        self.keys
            .iter()
            .filter_map(|k| match k {
                GroupKey::Row(expr) => Some(expr.clone()),
                _ => None,
            })
            .collect()
    }
}

pub struct WindowAggregator {
    shape: AggregateShape,
    row_keys: Vec<Arc<dyn PhysicalExpr>>,
    row_key_schema: SchemaRef,
    /// Open windows by end then start: firing walks them in order.
    slots: BTreeMap<Window, Slot>,
    group_indices: Vec<usize>,
    two_phase: Option<TwoPhase>,
    /// Slots are HOP or CUMULATE slices, merged into windows as they fire.
    sharing: Option<Sharing>,
    /// The end of the last window fired (sliced windows fire in end order).
    fired_through: i64,
}

impl WindowAggregator {
    /// `two_phase`: run Flink's local and global phases (windows whose aggregates merge, see
    /// [`merges_partials`]); `sharing`: the rows come one per slice, windows merge slices.
    pub fn new(
        shape: AggregateShape,
        input: &Schema,
        two_phase: Option<TwoPhase>,
        sharing: Option<Sharing>,
    ) -> Result<Self> {
        let row_keys = shape.row_keys();
        let fields = row_keys
            .iter()
            .map(|e| e.return_field(input))
            .collect::<Result<Vec<_>>>()?;
        Ok(Self {
            shape,
            row_keys,
            row_key_schema: Arc::new(Schema::new(fields)),
            slots: BTreeMap::new(),
            group_indices: Vec::new(),
            two_phase,
            sharing,
            fired_through: i64::MIN,
        })
    }

    /// Windows waiting for the watermark.
    pub fn open_windows(&self) -> usize {
        self.slots.len()
    }

    /// Bytes held by the open windows' groups and accumulators.
    pub fn state_bytes(&self) -> usize {
        self.slots
            .values()
            .map(|s| {
                let partials = s.partials.iter().flatten().map(|a| a.size()).sum::<usize>();
                s.groups.as_ref().map_or(0, |g| g.size())
                    + s.accumulators.iter().map(|a| a.size()).sum::<usize>()
                    + partials
            })
            .sum()
    }

    fn new_slot(&self) -> Result<Slot> {
        let groups = if self.row_keys.is_empty() {
            None
        } else {
            Some(new_group_values(self.row_key_schema.clone(), &GroupOrdering::None)?)
        };
        Ok(Slot {
            groups,
            group_count: 0,
            accumulators: self.new_accumulators()?,
            partials: None,
        })
    }

    fn new_accumulators(&self) -> Result<Vec<Box<dyn GroupsAccumulator>>> {
        self.shape
            .aggregates
            .iter()
            .map(|aggregate| {
                if aggregate.groups_accumulator_supported() {
                    aggregate.create_groups_accumulator()
                } else {
                    let aggregate = aggregate.clone();
                    Ok(
                        Box::new(GroupsAccumulatorAdapter::new(move || aggregate.create_accumulator()))
                            as Box<dyn GroupsAccumulator>,
                    )
                }
            })
            .collect::<Result<_>>()
    }

    /// Adds rows; each row's window is in its `window_start` and `window_end` columns, and
    /// `met` holds the watermark each row met (the local phase flushes where it moved).
    ///
    /// Sliced windows fire here as the watermark passes them (`emit` takes their rows), so
    /// that a later row of the batch goes only into the windows still open when it came.
    pub fn update(
        &mut self,
        batch: &RecordBatch,
        met: Option<&[i64]>,
        mut emit: impl FnMut(RecordBatch) -> Result<()>,
    ) -> Result<()> {
        let (Some(met), Some(_)) = (met, &self.two_phase) else {
            return self.update_rows(batch);
        };
        let mut from = 0;
        for (row, watermark) in met.iter().enumerate() {
            if self
                .two_phase
                .as_mut()
                .is_some_and(|phase| phase.reaches_trigger(*watermark))
            {
                self.update_rows(&batch.slice(from, row - from))?;
                from = row;
                self.flush_if_fired()?;
                if self.sharing.is_some() {
                    self.fire_windows(*watermark, &mut emit)?;
                }
            }
        }
        self.update_rows(&batch.slice(from, batch.num_rows() - from))
    }

    /// Merges the local phase's partials into the windows' state, once a buffered window
    /// has fired.
    fn flush_if_fired(&mut self) -> Result<()> {
        if !self.two_phase.as_ref().is_some_and(TwoPhase::fired) {
            return Ok(());
        }
        for slot in self.slots.values_mut() {
            Self::merge_partials(slot)?;
        }
        let previous = match &mut self.two_phase {
            Some(phase) => {
                phase.buffered_min_end = i64::MAX;
                phase.previous
            }
            None => i64::MIN,
        };
        // A CUMULATE slice whose window has fired goes into its first slice's state, which
        // later windows merge (Flink's merge target for late slices).
        if let Some(sharing @ Sharing::Cumulate { step, .. }) = self.sharing {
            let late: Vec<Window> = self
                .slots
                .keys()
                .filter(|w| w.end - 1 <= previous && sharing.window_start(w.end) + step != w.end)
                .copied()
                .collect();
            for window in late {
                let mut slot = self.slots.remove(&window).expect("listed above");
                let first = self.first_slice(sharing, window.end)?;
                let (keys, states) = self.take_state(&mut slot)?;
                let mut target = self.slots.remove(&first).expect("made by first_slice");
                self.put_state(&mut target, &keys, &states)?;
                self.slots.insert(first, target);
            }
        }
        Ok(())
    }

    /// The first slice of the CUMULATE window ending at `end` (made when missing).
    fn first_slice(&mut self, sharing: Sharing, end: i64) -> Result<Window> {
        let Sharing::Cumulate { step, .. } = sharing else {
            unreachable!("only CUMULATE windows have a first slice's state");
        };
        let start = sharing.window_start(end);
        let first = Window {
            start,
            end: start + step,
        };
        if !self.slots.contains_key(&first) {
            let slot = self.new_slot()?;
            self.slots.insert(first, slot);
        }
        Ok(first)
    }

    /// A slot's group keys and accumulator states, leaving it empty.
    fn take_state(&self, slot: &mut Slot) -> Result<(Vec<ArrayRef>, Vec<Vec<ArrayRef>>)> {
        Self::merge_partials(slot)?;
        let keys = match &mut slot.groups {
            Some(groups) => groups.emit(EmitTo::All)?,
            None => Vec::new(),
        };
        let states = slot
            .accumulators
            .iter_mut()
            .map(|a| a.state(EmitTo::All))
            .collect::<Result<Vec<_>>>()?;
        *slot = self.new_slot()?;
        Ok((keys, states))
    }

    /// Merges group keys and states (from [`Self::take_state`]) into a slot's accumulators.
    fn put_state(&self, slot: &mut Slot, keys: &[ArrayRef], states: &[Vec<ArrayRef>]) -> Result<()> {
        let rows = states.first().and_then(|s| s.first()).map_or(0, |c| c.len());
        if rows == 0 {
            return Ok(());
        }
        let mut indices = Vec::with_capacity(rows);
        match &mut slot.groups {
            Some(groups) => {
                groups.intern(keys, &mut indices)?;
                slot.group_count = groups.len();
            }
            None => {
                indices.resize(rows, 0);
                slot.group_count = 1;
            }
        }
        for (accumulator, state) in slot.accumulators.iter_mut().zip(states) {
            accumulator.merge_batch(state, &indices, slot.group_count)?;
        }
        Ok(())
    }

    /// Merges the slot at `window` into `into`, keeping the slot's own state.
    fn merge_keeping(&mut self, window: Window, into: &mut Slot) -> Result<()> {
        self.keeping(window, into, false)
    }

    /// The state of `window` copied into `into` (kept too): a CUMULATE window is read from
    /// its first slice's state, which Flink does not merge.
    fn copy_keeping(&mut self, window: Window, into: &mut Slot) -> Result<()> {
        self.keeping(window, into, true)
    }

    fn keeping(&mut self, window: Window, into: &mut Slot, copy: bool) -> Result<()> {
        let Some(mut slot) = self.slots.remove(&window) else {
            return Ok(());
        };
        let (keys, states) = self.take_state(&mut slot)?;
        // Putting a state back is a copy whatever `into` takes.
        let kept = self.as_copies(states.clone())?;
        self.put_state(&mut slot, &keys, &kept)?;
        self.put_state(into, &keys, if copy { &kept } else { &states })?;
        self.slots.insert(window, slot);
        Ok(())
    }

    /// States that a merge copies as they are: a list aggregate's flag that Flink's merge
    /// order applies (`functions::MERGES_IN_HASH_ORDER`) cleared. Flink reads a CUMULATE
    /// window from its first slice's state; it does not merge it.
    fn as_copies(&self, mut states: Vec<Vec<ArrayRef>>) -> Result<Vec<Vec<ArrayRef>>> {
        for (aggregate, state) in self.shape.aggregates.iter().zip(states.iter_mut()) {
            for (field, column) in aggregate.state_fields()?.iter().zip(state.iter_mut()) {
                if field.name().ends_with(crate::functions::MERGES_IN_HASH_ORDER) {
                    *column = Arc::new(datafusion::arrow::array::BooleanArray::from(vec![false; column.len()]));
                }
            }
        }
        Ok(states)
    }

    fn merge_partials(slot: &mut Slot) -> Result<()> {
        let Some(partials) = slot.partials.take() else {
            return Ok(());
        };
        for (global, mut partial) in slot.accumulators.iter_mut().zip(partials) {
            let state = partial.state(EmitTo::All)?;
            let groups = state.first().map_or(0, |column| column.len());
            let indices: Vec<usize> = (0..groups).collect();
            global.merge_batch(&state, &indices, slot.group_count)?;
        }
        Ok(())
    }

    fn update_rows(&mut self, batch: &RecordBatch) -> Result<()> {
        if batch.num_rows() == 0 {
            return Ok(());
        }
        let bound = |wanted: fn(&GroupKey) -> Option<&Arc<dyn PhysicalExpr>>| -> Result<Vec<Option<i64>>> {
            let expr = self.shape.keys.iter().find_map(wanted).expect("checked when planned");
            Ok(epoch_millis(&expr.evaluate(batch)?.into_array(batch.num_rows())?)?)
        };
        let starts = bound(|k| match k {
            GroupKey::WindowStart(e) => Some(e),
            _ => None,
        })?;
        let ends = bound(|k| match k {
            GroupKey::WindowEnd(e) => Some(e),
            _ => None,
        })?;
        let windows: Vec<Window> = starts
            .into_iter()
            .zip(ends)
            .map(|(start, end)| Window {
                start: start.unwrap_or_default(),
                end: end.unwrap_or_default(),
            })
            .collect();
        let first = windows[0];
        if windows.iter().all(|w| *w == first) {
            return self.update_slot(first, batch);
        }
        let mut rows: HashMap<Window, Vec<u32>> = HashMap::new();
        for (row, window) in windows.iter().enumerate() {
            rows.entry(*window).or_default().push(row as u32);
        }
        for (window, indices) in rows {
            let part = take_record_batch(batch, &UInt32Array::from(indices))?;
            self.update_slot(window, &part)?;
        }
        Ok(())
    }

    fn update_slot(&mut self, window: Window, batch: &RecordBatch) -> Result<()> {
        if !self.slots.contains_key(&window) {
            let slot = self.new_slot()?;
            self.slots.insert(window, slot);
        }
        if let Some(phase) = &mut self.two_phase {
            phase.buffered_min_end = phase.buffered_min_end.min(window.end);
            if self.slots[&window].partials.is_none() {
                let partials = self.new_accumulators()?;
                self.slots.get_mut(&window).expect("inserted above").partials = Some(partials);
            }
        }
        let slot = self.slots.get_mut(&window).expect("inserted above");
        let rows = batch.num_rows();
        self.group_indices.clear();
        match &mut slot.groups {
            Some(groups) => {
                let keys = self
                    .row_keys
                    .iter()
                    .map(|e| e.evaluate(batch)?.into_array(rows))
                    .collect::<Result<Vec<_>>>()?;
                groups.intern(&keys, &mut self.group_indices)?;
                slot.group_count = groups.len();
            }
            None => {
                self.group_indices.resize(rows, 0);
                slot.group_count = 1;
            }
        }
        let accumulators = match &mut slot.partials {
            Some(partials) => partials,
            None => &mut slot.accumulators,
        };
        for ((accumulator, aggregate), filter) in accumulators
            .iter_mut()
            .zip(&self.shape.aggregates)
            .zip(&self.shape.filters)
        {
            let values = aggregate
                .expressions()
                .iter()
                .map(|e| e.evaluate(batch)?.into_array(rows))
                .collect::<Result<Vec<_>>>()?;
            let filter = match filter {
                Some(f) => Some(f.evaluate(batch)?.into_array(rows)?),
                None => None,
            };
            let filter: Option<&BooleanArray> = filter.as_ref().map(|f| f.as_boolean());
            accumulator.update_batch(&values, &self.group_indices, filter, slot.group_count)?;
        }
        Ok(())
    }

    /// Emits every window the watermark has passed (`end - 1 <= watermark`), in end order.
    pub fn fire(&mut self, watermark: i64, emit: impl FnMut(RecordBatch) -> Result<()>) -> Result<usize> {
        if self
            .two_phase
            .as_mut()
            .is_some_and(|phase| phase.reaches_trigger(watermark))
        {
            self.flush_if_fired()?;
        }
        self.fire_windows(watermark, emit)
    }

    /// Emits the windows the watermark has passed (the partials already flushed).
    fn fire_windows(&mut self, watermark: i64, mut emit: impl FnMut(RecordBatch) -> Result<()>) -> Result<usize> {
        if let Some(sharing) = self.sharing {
            let fired = match sharing {
                Sharing::Hop { slide, size, .. } => self.fire_hop(watermark, slide, size, emit)?,
                Sharing::Cumulate { .. } => self.fire_cumulate(watermark, sharing, emit)?,
            };
            // Windows the watermark passed without rows count as fired: a late row's slice
            // goes only into the windows after them.
            if watermark < i64::MAX {
                self.fired_through = self.fired_through.max(sharing.passed(watermark));
            }
            return Ok(fired);
        }
        let mut fired = 0;
        while let Some(entry) = self.slots.first_entry() {
            if entry.key().max_timestamp() > watermark {
                break;
            }
            let (window, slot) = entry.remove_entry();
            let batch = self.emit_slot(window, slot)?;
            fired += batch.num_rows();
            emit(batch)?;
        }
        Ok(fired)
    }

    /// HOP windows: each the merge of its slices, the last first, into a fresh accumulator;
    /// a slice goes once the last window holding it has fired.
    fn fire_hop(
        &mut self,
        watermark: i64,
        slide: i64,
        size: i64,
        mut emit: impl FnMut(RecordBatch) -> Result<()>,
    ) -> Result<usize> {
        let mut fired = 0;
        loop {
            // The next window: the earliest end after the last fired that holds a slice.
            let next = self
                .slots
                .keys()
                .filter_map(|slice| {
                    let mut end = slice.end;
                    if end <= self.fired_through {
                        end += (self.fired_through - end) / slide * slide + slide;
                    }
                    (end <= slice.end - slide + size).then_some(end)
                })
                .min();
            let Some(end) = next.filter(|end| end - 1 <= watermark) else {
                break;
            };
            let mut window = self.new_slot()?;
            for back in 0..size / slide {
                let slice_end = end - back * slide;
                self.merge_keeping(
                    Window {
                        start: slice_end - slide,
                        end: slice_end,
                    },
                    &mut window,
                )?;
            }
            self.fired_through = end;
            self.slots.retain(|slice, _| slice.end - slide + size > end);
            if window.group_count > 0 {
                let batch = self.emit_slot(Window { start: end - size, end }, window)?;
                fired += batch.num_rows();
                emit(batch)?;
            }
        }
        Ok(fired)
    }

    /// CUMULATE windows: a step's slice merges into the window's first slice's state when the
    /// step's window fires, and the window's value is that state.
    fn fire_cumulate(
        &mut self,
        watermark: i64,
        sharing: Sharing,
        mut emit: impl FnMut(RecordBatch) -> Result<()>,
    ) -> Result<usize> {
        let Sharing::Cumulate { step, size, .. } = sharing else {
            unreachable!("called for CUMULATE windows");
        };
        let mut fired = 0;
        loop {
            // The next window: the earliest step end after the last fired within a window
            // that holds a slice.
            let next = self
                .slots
                .keys()
                .filter_map(|slice| {
                    let start = sharing.window_start(slice.end);
                    let first = start + step;
                    let mut end = if slice.end == first {
                        first.max(self.fired_through + step)
                    } else {
                        slice.end
                    };
                    if end <= self.fired_through {
                        end = self.fired_through + step;
                    }
                    (end <= start + size).then_some(end)
                })
                .min();
            let Some(end) = next.filter(|end| end - 1 <= watermark) else {
                break;
            };
            let start = sharing.window_start(end);
            let first = self.first_slice(sharing, end)?;
            if end != first.end
                && let Some(mut slice) = self.slots.remove(&Window { start: end - step, end })
            {
                let (keys, states) = self.take_state(&mut slice)?;
                let mut target = self.slots.remove(&first).expect("made by first_slice");
                self.put_state(&mut target, &keys, &states)?;
                self.slots.insert(first, target);
            }
            let mut window = self.new_slot()?;
            self.copy_keeping(first, &mut window)?;
            self.fired_through = end;
            if end == start + size {
                self.slots.remove(&first);
            }
            if window.group_count > 0 {
                let batch = self.emit_slot(Window { start, end }, window)?;
                fired += batch.num_rows();
                emit(batch)?;
            }
        }
        Ok(fired)
    }

    fn emit_slot(&self, window: Window, mut slot: Slot) -> Result<RecordBatch> {
        // A partial the local phase has not flushed yet (its trigger points ignore a window
        // offset) still belongs to the window.
        Self::merge_partials(&mut slot)?;
        let rows = slot.group_count;
        let mut row_keys = match &mut slot.groups {
            Some(groups) => groups.emit(EmitTo::All)?,
            None => Vec::new(),
        }
        .into_iter();
        let output = &self.shape.output;
        let mut columns: Vec<ArrayRef> = Vec::with_capacity(output.fields().len());
        for (index, key) in self.shape.keys.iter().enumerate() {
            let millis = match key {
                GroupKey::WindowStart(_) => window.start,
                GroupKey::WindowEnd(_) => window.end,
                GroupKey::WindowTime => window.max_timestamp(),
                GroupKey::Row(_) => {
                    columns.push(row_keys.next().expect("one emitted column per row key"));
                    continue;
                }
            };
            columns.push(timestamp_column(output.field(index).data_type(), millis, rows)?);
        }
        for accumulator in &mut slot.accumulators {
            columns.push(accumulator.evaluate(EmitTo::All)?);
        }
        Ok(RecordBatch::try_new(output.clone(), columns)?)
    }
}

/// A constant window-bound column of `rows` rows, in the type the plan gave it.
fn timestamp_column(ty: &datafusion::arrow::datatypes::DataType, millis: i64, rows: usize) -> Result<ArrayRef> {
    let value = ScalarValue::TimestampMillisecond(Some(millis), None).cast_to(ty)?;
    value.to_array_of_size(rows)
}
