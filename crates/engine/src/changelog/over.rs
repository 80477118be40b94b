//! OVER aggregations on event time (`agg(...) OVER (PARTITION BY ... ORDER BY rowtime ROWS |
//! RANGE BETWEEN ... PRECEDING AND CURRENT ROW)`), as Flink 2.1 runs them: rows wait until the
//! watermark reaches their time, then leave in time order (ties in arrival order), each with
//! the aggregates over its frame; the result only grows. Which rows are late depends on the
//! frame, as in Flink: with `n PRECEDING` ROWS, a row at or before the latest time its key
//! already emitted; with UNBOUNDED PRECEDING, a row at or before the watermark it meets; with
//! a RANGE of an interval, a row at or before the key's last triggering time, which Flink's
//! cleanup timers move too (see [`fire_range_timers`]).

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::sync::Arc;

use datafusion::arrow::array::{ArrayRef, RecordBatch};
use datafusion::arrow::datatypes::SchemaRef;
use datafusion::arrow::row::OwnedRow;
use datafusion::common::ScalarValue;
use datafusion::logical_expr::{Accumulator, WindowFrameBound, WindowFrameUnits};
use datafusion::physical_expr::PhysicalExpr;
use datafusion::physical_expr::aggregate::AggregateFunctionExpr;
use datafusion::physical_expr::window::{PlainAggregateWindowExpr, SlidingAggregateWindowExpr, WindowExpr};

use super::keys::{KeyEncoder, RowCodec};
use crate::changes::Changes;
use crate::error::EngineError;
use crate::operator::merge::epoch_millis;

/// Which rows a frame holds before the current one.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Frame {
    /// `ROWS BETWEEN n PRECEDING AND CURRENT ROW`.
    Rows(usize),
    /// `ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW`.
    AllRows,
    /// `RANGE BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW` (the default): rows of an equal
    /// time are peers, each seeing all of them.
    AllRange,
    /// `RANGE BETWEEN INTERVAL ... PRECEDING AND CURRENT ROW`, in milliseconds: the rows
    /// of the last interval up to the row's time, peers included.
    Range(i64),
}

/// The frame of OVER windows, which Flink requires to be one for all of a SELECT's aggregates.
pub fn frame_of(exprs: &[Arc<dyn WindowExpr>]) -> Result<Frame, EngineError> {
    let mut frames = exprs.iter().map(|expr| {
        let frame = expr.get_window_frame();
        let preceding = match (&frame.start_bound, &frame.end_bound) {
            (WindowFrameBound::Preceding(n), WindowFrameBound::CurrentRow) => n,
            _ => {
                return Err(EngineError::unsupported(
                    "an OVER frame that does not end at the current row",
                ));
            }
        };
        match (frame.units, preceding.is_null()) {
            (WindowFrameUnits::Rows, true) => Ok(Frame::AllRows),
            (WindowFrameUnits::Range, true) => Ok(Frame::AllRange),
            (WindowFrameUnits::Rows, false) => match preceding.cast_to(&datafusion::arrow::datatypes::DataType::UInt64)
            {
                Ok(ScalarValue::UInt64(Some(n))) => Ok(Frame::Rows(n as usize)),
                _ => Err(EngineError::unsupported("an OVER frame of ROWS that is not a count")),
            },
            (WindowFrameUnits::Range, false) => interval_millis(preceding)
                .map(Frame::Range)
                .ok_or_else(|| EngineError::unsupported("an OVER RANGE frame that is not an interval of days or less")),
            _ => Err(EngineError::unsupported("OVER GROUPS frames")),
        }
    });
    let first = frames
        .next()
        .ok_or_else(|| EngineError::Invalid("an OVER window without aggregates".into()))??;
    for frame in frames {
        if frame? != first {
            return Err(EngineError::unsupported("OVER aggregates over different frames"));
        }
    }
    Ok(first)
}

/// An interval of days, hours, minutes, seconds or milliseconds, in milliseconds.
fn interval_millis(value: &ScalarValue) -> Option<i64> {
    match value {
        ScalarValue::IntervalDayTime(Some(v)) => Some(i64::from(v.days) * 86_400_000 + i64::from(v.milliseconds)),
        ScalarValue::IntervalMonthDayNano(Some(v)) if v.months == 0 => {
            Some(i64::from(v.days) * 86_400_000 + v.nanoseconds / 1_000_000)
        }
        ScalarValue::DurationMillisecond(Some(v)) => Some(*v),
        ScalarValue::DurationSecond(Some(v)) => Some(v * 1000),
        _ => None,
    }
}

/// The aggregate of an OVER window, or an unsupported error naming it (LAG, ROW_NUMBER, ...).
pub fn aggregate_of(expr: &Arc<dyn WindowExpr>) -> Result<Arc<AggregateFunctionExpr>, EngineError> {
    if let Some(plain) = expr.as_any().downcast_ref::<PlainAggregateWindowExpr>() {
        return Ok(Arc::new(plain.get_aggregate_expr().clone()));
    }
    if let Some(sliding) = expr.as_any().downcast_ref::<SlidingAggregateWindowExpr>() {
        return Ok(Arc::new(sliding.get_aggregate_expr().clone()));
    }
    let function = expr.name().split('(').next().unwrap_or_default().to_ascii_uppercase();
    Err(EngineError::unsupported(format!(
        "{function}() in OVER windows (they run aggregates, and ROW_NUMBER under a rank filter)"
    )))
}

pub struct OverAggregate {
    partition: KeyEncoder,
    time_index: usize,
    frame: Frame,
    aggregates: Vec<Arc<AggregateFunctionExpr>>,
    rows_codec: RowCodec,
    output: SchemaRef,
    keys: HashMap<Box<[u8]>, KeyState>,
    /// Every waiting row's key, by (time, arrival): which keys a watermark makes emit.
    due: BTreeMap<(i64, u64), Box<[u8]>>,
    /// The watermark emitted up to.
    fired: i64,
    arrivals: u64,
    bytes: usize,
    /// The bytes a waiting row's aggregate arguments count for (their values' width: the row
    /// holds one-row slices of its batch's arguments).
    argument_bytes: usize,
}

/// A waiting row and its aggregates' arguments (one-row slices of its input batch's
/// evaluated arguments: evaluated once per batch, not once per row).
type Waiting = (OwnedRow, Vec<Vec<ArrayRef>>);

/// A key's rows waiting for the watermark, and its frame so far.
struct KeyState {
    /// Waiting rows by (time, arrival).
    waiting: BTreeMap<(i64, u64), Waiting>,
    /// The latest time this key emitted (Flink's lastTriggeringTs).
    last_emitted: i64,
    accumulators: Vec<Box<dyn Accumulator>>,
    /// The time and arguments of the rows in a bounded frame, oldest first, to take back.
    in_frame: VecDeque<(i64, Vec<Vec<ArrayRef>>)>,
    /// RANGE of an interval: the key's timers (its rows' times and its cleanup times), and
    /// the cleanup time in force.
    timers: std::collections::BTreeSet<i64>,
    cleanup: Option<i64>,
}

impl OverAggregate {
    pub fn new(
        input: SchemaRef,
        partition_by: Vec<Arc<dyn PhysicalExpr>>,
        time_index: usize,
        frame: Frame,
        aggregates: Vec<Arc<AggregateFunctionExpr>>,
        output: SchemaRef,
    ) -> Result<Self, EngineError> {
        let types = partition_by
            .iter()
            .map(|e| e.data_type(&input))
            .collect::<Result<Vec<_>, _>>()?;
        let argument_bytes = aggregates
            .iter()
            .flat_map(|a| a.expressions())
            .map(|e| e.data_type(&input).ok().and_then(|t| t.primitive_width()).unwrap_or(16))
            .sum();
        Ok(Self {
            partition: KeyEncoder::new(partition_by, types)?,
            time_index,
            frame,
            aggregates,
            rows_codec: RowCodec::new(input)?,
            output,
            keys: HashMap::new(),
            due: BTreeMap::new(),
            fired: i64::MIN,
            arrivals: 0,
            bytes: 0,
            argument_bytes,
        })
    }

    fn accumulators(&self) -> Result<Vec<Box<dyn Accumulator>>, EngineError> {
        self.aggregates
            .iter()
            .map(|a| {
                Ok(match self.frame {
                    Frame::Rows(_) | Frame::Range(_) => a.create_sliding_accumulator()?,
                    _ => a.create_accumulator()?,
                })
            })
            .collect()
    }

    /// Takes rows in, emitting (into `out`) what the watermark each row met lets go first,
    /// as Flink does with a watermark after every record.
    fn keep(&mut self, changes: &Changes, out: &mut Vec<Changes>) -> Result<(), EngineError> {
        let batch = &changes.rows;
        let met = changes.met.as_ref().ok_or_else(|| {
            EngineError::Invalid("an OVER aggregation got rows without their watermark; please report this".into())
        })?;
        let times = epoch_millis(batch.column(self.time_index))?;
        let keys = self
            .partition
            .encode(&self.partition.columns(batch)?, batch.num_rows())?;
        let rows = self.rows_codec.encode(batch)?;
        let arguments = self
            .aggregates
            .iter()
            .map(|a| {
                a.expressions()
                    .iter()
                    .map(|e| e.evaluate(batch)?.into_array(batch.num_rows()))
                    .collect::<Result<Vec<_>, _>>()
            })
            .collect::<Result<Vec<_>, _>>()?;
        // What the batch's rows let go, gathered into one output batch.
        let mut emitted = self.emitted();
        for row in 0..batch.num_rows() {
            if met[row] > self.fired {
                self.fire(met[row], &mut emitted)?;
            }
            let Some(time) = times[row] else { continue };
            let key = keys.key(row);
            if !self.keys.contains_key(key) {
                let state = KeyState {
                    waiting: BTreeMap::new(),
                    last_emitted: i64::MIN,
                    accumulators: self.accumulators()?,
                    in_frame: VecDeque::new(),
                    timers: Default::default(),
                    cleanup: None,
                };
                self.bytes += key.len() + 64;
                self.keys.insert(key.into(), state);
            }
            let state = self.keys.get_mut(key).expect("inserted above");
            let late = match self.frame {
                Frame::Rows(_) | Frame::Range(_) => time <= state.last_emitted,
                Frame::AllRows | Frame::AllRange => time <= met[row],
            };
            if late {
                continue;
            }
            self.arrivals += 1;
            self.bytes += rows.row(row).as_ref().len() + key.len() + 48 + self.argument_bytes;
            let row_arguments = arguments
                .iter()
                .map(|args| args.iter().map(|a| a.slice(row, 1)).collect())
                .collect();
            state
                .waiting
                .insert((time, self.arrivals), (rows.row(row).owned(), row_arguments));
            self.due.insert((time, self.arrivals), key.into());
            if let Frame::Range(range) = self.frame {
                state.timers.insert(time);
                // Flink's cleanup timer: 1.5 ranges after the latest row, moved on only when
                // a row would outlive it.
                if state.cleanup.is_none_or(|cleanup| cleanup < time + range + 1) {
                    let cleanup = time + range * 3 / 2 + 1;
                    state.timers.insert(cleanup);
                    state.cleanup = Some(cleanup);
                    self.arrivals += 1;
                    self.due.insert((cleanup, self.arrivals), key.into());
                }
            }
        }
        out.extend(self.finish(emitted)?);
        Ok(())
    }

    fn emitted(&self) -> Emitted {
        Emitted {
            rows: Vec::new(),
            values: vec![Vec::new(); self.aggregates.len()],
        }
    }

    /// The rows emitted, with their aggregates' values, as one batch.
    fn finish(&self, emitted: Emitted) -> Result<Option<Changes>, EngineError> {
        if emitted.rows.is_empty() {
            return Ok(None);
        }
        let mut columns = self.rows_codec.decode(emitted.rows.iter().map(OwnedRow::row))?;
        let width = columns.len();
        for (index, column) in emitted.values.into_iter().enumerate() {
            let ty = self.output.field(width + index).data_type();
            let array = ScalarValue::iter_to_array(column)?;
            columns.push(datafusion::arrow::compute::cast(&array, ty)?);
        }
        Ok(Some(Changes::inserts(RecordBatch::try_new(
            self.output.clone(),
            columns,
        )?)))
    }

    /// Emits (into `emitted`), key by key, the rows whose time the watermark reached.
    fn fire(&mut self, watermark: i64, emitted: &mut Emitted) -> Result<(), EngineError> {
        self.fired = self.fired.max(watermark);
        // Taken from the front: the rows not yet due are most of the map.
        let mut keys: Vec<Box<[u8]>> = Vec::new();
        while let Some(entry) = self.due.first_entry()
            && entry.key().0 <= watermark
        {
            keys.push(entry.remove());
        }
        keys.sort();
        keys.dedup();
        for key in &keys {
            let state = self.keys.get_mut(key).expect("a due key has state");
            let released = match self.frame {
                Frame::Range(range) => {
                    let fresh = || -> Result<Vec<Box<dyn Accumulator>>, EngineError> {
                        self.aggregates
                            .iter()
                            .map(|a| Ok(a.create_sliding_accumulator()?))
                            .collect()
                    };
                    let per_row = key.len() + 48 + self.argument_bytes;
                    fire_range_timers(state, watermark, range, per_row, emitted, fresh)?
                }
                _ => {
                    let mut ready = Vec::new();
                    while let Some(entry) = state.waiting.first_entry()
                        && entry.key().0 <= watermark
                    {
                        ready.push(entry.remove_entry());
                    }
                    if let Some(((last, _), _)) = ready.last() {
                        state.last_emitted = state.last_emitted.max(*last);
                    }
                    emit(state, &ready, self.frame, emitted)?;
                    ready.iter().map(|(_, (r, _))| r.as_ref().len()).sum::<usize>()
                        + ready.len() * (key.len() + 48 + self.argument_bytes)
                }
            };
            self.bytes -= released;
        }
        Ok(())
    }
}

/// Rows emitted by one firing, and their aggregates' values, column by column.
struct Emitted {
    rows: Vec<OwnedRow>,
    values: Vec<Vec<ScalarValue>>,
}

/// A RANGE frame of `range` ms fires a key's timers in time order, as Flink's
/// RowTimeRangeBoundedPrecedingFunction does: a row's timer emits the rows of its time; the
/// cleanup timer (`cleanup`) clears the key; a superseded cleanup timer emits nothing but
/// still moves the key's last triggering time, which later rows at or before it are late to.
/// Returns the bytes released (`per_row` beside each row's own).
fn fire_range_timers(
    state: &mut KeyState,
    watermark: i64,
    range: i64,
    per_row: usize,
    emitted: &mut Emitted,
    fresh: impl Fn() -> Result<Vec<Box<dyn Accumulator>>, EngineError>,
) -> Result<usize, EngineError> {
    let mut released = 0;
    while let Some(&time) = state.timers.first()
        && time <= watermark
    {
        state.timers.pop_first();
        if state.cleanup.is_some_and(|cleanup| time >= cleanup) {
            state.in_frame.clear();
            state.accumulators = fresh()?;
            state.last_emitted = i64::MIN;
            state.cleanup = None;
            continue;
        }
        let mut ready = Vec::new();
        while let Some(entry) = state.waiting.first_entry()
            && entry.key().0 <= time
        {
            ready.push(entry.remove_entry());
        }
        // Rows that fell out of the frame leave before this time's rows come in.
        while let Some((oldest, _)) = state.in_frame.front()
            && *oldest < time - range
        {
            let (_, arguments) = state.in_frame.pop_front().expect("a front row");
            for (accumulator, args) in state.accumulators.iter_mut().zip(&arguments) {
                accumulator.retract_batch(args)?;
            }
        }
        emit(state, &ready, Frame::Range(range), emitted)?;
        released += ready
            .iter()
            .map(|(_, (r, _))| r.as_ref().len() + per_row)
            .sum::<usize>();
        state.last_emitted = time;
    }
    Ok(released)
}

/// Emits `ready` rows (in time order) with their frames' aggregates.
fn emit(
    state: &mut KeyState,
    ready: &[((i64, u64), Waiting)],
    frame: Frame,
    emitted: &mut Emitted,
) -> Result<(), EngineError> {
    let mut start = 0;
    while start < ready.len() {
        // RANGE: rows of one time are peers, added together and given one value.
        let end = match frame {
            Frame::AllRange | Frame::Range(_) => {
                let time = ready[start].0.0;
                start + ready[start..].iter().take_while(|((t, _), _)| *t == time).count()
            }
            _ => start + 1,
        };
        for ((time, _), (_, row_arguments)) in &ready[start..end] {
            match frame {
                // A full frame lets its oldest row go before the new one comes in (the
                // order Flink adds and takes back in, which floating-point sums show).
                Frame::Rows(preceding) => {
                    if state.in_frame.len() == preceding + 1 {
                        let (_, oldest) = state.in_frame.pop_front().expect("a full frame");
                        for (accumulator, args) in state.accumulators.iter_mut().zip(&oldest) {
                            accumulator.retract_batch(args)?;
                        }
                    }
                    state.in_frame.push_back((*time, row_arguments.clone()));
                }
                Frame::Range(_) => state.in_frame.push_back((*time, row_arguments.clone())),
                Frame::AllRows | Frame::AllRange => {}
            }
            for (accumulator, args) in state.accumulators.iter_mut().zip(row_arguments.iter()) {
                accumulator.update_batch(args)?;
            }
        }
        let current = state
            .accumulators
            .iter_mut()
            .map(|a| a.evaluate())
            .collect::<Result<Vec<_>, _>>()?;
        for (_, (row, _)) in &ready[start..end] {
            emitted.rows.push(row.clone());
            for (column, value) in emitted.values.iter_mut().zip(&current) {
                column.push(value.clone());
            }
        }
        start = end;
    }
    Ok(())
}

impl crate::operator::Operator for OverAggregate {
    fn name(&self) -> &'static str {
        "OverAggregate"
    }

    fn key_exprs(&self, _input: usize) -> &[Arc<dyn PhysicalExpr>] {
        self.partition.exprs()
    }

    fn on_changes(&mut self, _input: usize, changes: Changes, out: &mut Vec<Changes>) -> Result<(), EngineError> {
        self.keep(&changes, out)
    }

    fn on_watermark(&mut self, _input: usize, watermark: i64, out: &mut Vec<Changes>) -> Result<(), EngineError> {
        let mut emitted = self.emitted();
        self.fire(watermark, &mut emitted)?;
        out.extend(self.finish(emitted)?);
        Ok(())
    }

    fn state_bytes(&self) -> usize {
        self.bytes
    }
}
