//! Event-time temporal joins (Flink's TemporalRowTimeJoin): `JOIN versioned FOR SYSTEM_TIME AS
//! OF o.ts ON o.key = v.key`. Each left row joins the version of its key valid at its time:
//! the one with the largest version time `<=` the row's (inclusive), once the watermark of
//! both inputs has passed the row. Inner joins drop rows without a version, LEFT joins pad
//! them with NULLs; the result is append-only.
//!
//! The state follows Flink's operator, timers included, since they decide which versions a
//! late row still finds: per key the waiting left rows, the versions by time (a later version
//! at the same time replaces the earlier), and event-time timers. A row registers a timer at
//! its time when that is below the key's registered one; a firing timer processes the key's
//! left rows at or before the watermark, in arrival order, keeps only the latest version at
//! or before the watermark and the newer ones, and registers the earliest remaining left time.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::Arc;

use datafusion::arrow::array::{BooleanArray, RecordBatch, RecordBatchOptions};
use datafusion::arrow::datatypes::SchemaRef;
use datafusion::arrow::row::OwnedRow;
use datafusion::common::JoinType;
use datafusion::physical_expr::PhysicalExpr;
use datafusion::physical_plan::joins::HashJoinExec;
use datafusion::physical_plan::joins::utils::JoinFilter;

use super::keys::{KeyEncoder, RowCodec};
use crate::changes::Changes;
use crate::error::EngineError;
use crate::operator::Operator;
use crate::operator::merge::epoch_millis;

/// One key's state.
#[derive(Default)]
struct KeyState {
    /// Left rows waiting for the watermark: arrival number, time, row.
    lefts: Vec<(u64, i64, OwnedRow)>,
    /// Versions by their time.
    versions: BTreeMap<i64, OwnedRow>,
    /// The timer the key last registered (Flink's `registeredTimer`).
    registered: Option<i64>,
    /// Every timer the key holds (Flink's timer service keeps superseded ones too).
    timers: BTreeSet<i64>,
}

pub struct TemporalJoin {
    keys: [KeyEncoder; 2],
    codecs: [RowCodec; 2],
    /// The left row's time (the AS OF column) and the version's time, by input.
    times: [usize; 2],
    left_outer: bool,
    filter: Option<JoinFilter>,
    join_schema: SchemaRef,
    states: HashMap<Box<[u8]>, KeyState>,
    /// Every registered timer, by time, with its key: firing walks them in order.
    timers: BTreeSet<(i64, Box<[u8]>)>,
    watermarks: [i64; 2],
    fired_through: i64,
    arrivals: u64,
    bytes: usize,
}

impl TemporalJoin {
    /// `times`: the left input's AS OF column and the versioned input's time column.
    pub fn new(join: &HashJoinExec, times: [usize; 2]) -> Result<Self, EngineError> {
        let left_outer = match join.join_type() {
            JoinType::Inner => false,
            JoinType::Left => true,
            other => {
                return Err(EngineError::unsupported(format!(
                    "a {other} temporal join (Flink takes INNER and LEFT)"
                )));
            }
        };
        Ok(Self {
            keys: super::keys::join_keys(join)?,
            codecs: [
                RowCodec::new(join.left().schema())?,
                RowCodec::new(join.right().schema())?,
            ],
            times,
            left_outer,
            filter: join.filter().cloned(),
            join_schema: join.join_schema().clone(),
            states: HashMap::new(),
            timers: BTreeSet::new(),
            watermarks: [i64::MIN; 2],
            fired_through: i64::MIN,
            arrivals: 0,
            bytes: 0,
        })
    }

    /// Flink's `registerSmallestTimer`.
    fn register_smallest(&mut self, key: &[u8], time: i64) {
        let state = self.states.get_mut(key).expect("the key's state exists");
        if state.registered.is_none_or(|registered| time < registered) {
            state.registered = Some(time);
            if state.timers.insert(time) {
                self.timers.insert((time, key.into()));
            }
        }
    }

    /// A timer of `key` fired at the watermark `now`: the key's left rows at or before it
    /// join their versions; returns the (left, version) pairs to emit, in arrival order.
    fn fire(&mut self, key: &[u8], now: i64, out: &mut Vec<(OwnedRow, Option<OwnedRow>)>) {
        let Some(mut state) = self.states.remove(key) else {
            return;
        };
        state.registered = None;
        let (mut ready, remaining): (Vec<_>, Vec<_>) = std::mem::take(&mut state.lefts)
            .into_iter()
            .partition(|left| left.1 <= now);
        ready.sort_by_key(|(arrival, _, _)| *arrival);
        for (_, time, row) in ready {
            self.bytes -= row.as_ref().len();
            let version = state.versions.range(..=time).next_back().map(|(_, v)| v.clone());
            out.push((row, version));
        }
        // Versions no row can need: all before the latest one at or before the watermark.
        if let Some((&keep_from, _)) = state.versions.range(..=now).next_back() {
            let newer = state.versions.split_off(&keep_from);
            for old in std::mem::replace(&mut state.versions, newer).into_values() {
                self.bytes -= old.as_ref().len();
            }
        }
        if let Some(time) = remaining.iter().map(|(_, time, _)| *time).min() {
            state.registered = Some(time);
            if state.timers.insert(time) {
                self.timers.insert((time, key.into()));
            }
        }
        state.lefts = remaining;
        self.states.insert(key.into(), state);
    }

    /// Joined rows of the join's full width for `pairs`: NULLs where no version.
    fn assemble(&self, pairs: &[(OwnedRow, Option<OwnedRow>)]) -> Result<RecordBatch, EngineError> {
        let mut columns = self.codecs[0].decode_padded(pairs.iter().map(|(l, _)| Some(l)))?;
        columns.extend(self.codecs[1].decode_padded(pairs.iter().map(|(_, v)| v.as_ref()))?);
        let options = RecordBatchOptions::new().with_row_count(Some(pairs.len()));
        Ok(RecordBatch::try_new_with_options(
            self.join_schema.clone(),
            columns,
            &options,
        )?)
    }

    /// Which joined rows pass the join's non-equality conditions (NULL is not true).
    fn passes(&self, joined: &RecordBatch) -> Result<BooleanArray, EngineError> {
        Ok(crate::changelog::join::passes(
            self.filter.as_ref(),
            joined,
            self.codecs[0].schema().fields().len(),
        )?)
    }

    /// The rows to emit for `pairs`: matches that pass the condition; for a LEFT join the
    /// rest padded.
    fn emit(&self, mut pairs: Vec<(OwnedRow, Option<OwnedRow>)>) -> Result<RecordBatch, EngineError> {
        let joined = self.assemble(&pairs)?;
        let passed = self.passes(&joined)?;
        let mut kept = Vec::with_capacity(pairs.len());
        for (index, pair) in pairs.iter_mut().enumerate() {
            let matched = pair.1.is_some() && passed.value(index);
            if !matched {
                pair.1 = None;
            }
            if matched || self.left_outer {
                kept.push(index as u32);
            }
        }
        let padded: Vec<_> = kept.iter().map(|i| pairs[*i as usize].clone()).collect();
        self.assemble(&padded)
    }
}

impl Operator for TemporalJoin {
    fn name(&self) -> &'static str {
        "TemporalJoin"
    }

    fn key_exprs(&self, input: usize) -> &[Arc<dyn PhysicalExpr>] {
        self.keys[input].exprs()
    }

    fn on_changes(&mut self, input: usize, changes: Changes, _out: &mut Vec<Changes>) -> Result<(), EngineError> {
        if changes
            .kinds
            .as_ref()
            .is_some_and(|kinds| kinds.iter().any(|k| k.is_retraction()))
        {
            return Err(EngineError::unsupported("a temporal join over an updating input"));
        }
        let batch = &changes.rows;
        let count = batch.num_rows();
        let key_columns = self.keys[input].columns(batch)?;
        let keys = self.keys[input].encode(&key_columns, count)?;
        let null_key: Vec<bool> = (0..count)
            .map(|row| key_columns.iter().any(|c| c.is_null(row)))
            .collect();
        let times = epoch_millis(batch.column(self.times[input]))?;
        let rows = self.codecs[input].encode(batch)?;
        for row in 0..count {
            // SQL's NULL keys match nothing: a version with one is never found; a left row
            // with one still waits for the watermark (a LEFT join pads it then).
            if null_key[row] && input == 1 {
                continue;
            }
            let key: Box<[u8]> = keys.key(row).into();
            let Some(time) = times[row] else { continue };
            let owned = rows.row(row).owned();
            self.bytes += owned.as_ref().len();
            let state = self.states.entry(key.clone()).or_default();
            if input == 0 {
                self.arrivals += 1;
                state.lefts.push((self.arrivals, time, owned));
            } else if let Some(replaced) = state.versions.insert(time, owned) {
                self.bytes -= replaced.as_ref().len();
            }
            self.register_smallest(&key, time);
        }
        Ok(())
    }

    fn on_watermark(&mut self, input: usize, watermark: i64, out: &mut Vec<Changes>) -> Result<(), EngineError> {
        self.watermarks[input] = self.watermarks[input].max(watermark);
        let now = self.watermarks[0].min(self.watermarks[1]);
        if now <= self.fired_through {
            return Ok(());
        }
        self.fired_through = now;
        let mut pairs = Vec::new();
        while let Some((time, _)) = self.timers.first() {
            if *time > now {
                break;
            }
            let (time, key) = self.timers.pop_first().expect("first exists");
            if let Some(state) = self.states.get_mut(&key) {
                state.timers.remove(&time);
            }
            self.fire(&key, now, &mut pairs);
        }
        self.states
            .retain(|_, s| !s.lefts.is_empty() || !s.versions.is_empty() || !s.timers.is_empty());
        if !pairs.is_empty() {
            out.push(Changes::inserts(self.emit(pairs)?));
        }
        Ok(())
    }

    fn state_bytes(&self) -> usize {
        self.bytes
    }
}
