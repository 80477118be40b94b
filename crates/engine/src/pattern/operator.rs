//! The MATCH_RECOGNIZE operator (Flink's CepOperator on event time): a key's rows wait until
//! the watermark passes them, then enter its automaton in time order (rows of one time in
//! arrival order); a row at or before the watermark when it arrives is late and dropped.
//! Each match leaves as one row, its partition key and MEASURES: append-only.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::Arc;

use datafusion::arrow::array::RecordBatch;
use datafusion::physical_expr::PhysicalExpr;
use datafusion::physical_expr::expressions::Column;
use datafusion::scalar::ScalarValue;

use super::expr::{MatchView, Row};
use super::nfa::{Conditions, Event, Mapped, Nfa};
use super::plan::MatchSpec;
use crate::changes::Changes;
use crate::error::EngineError;
use crate::metrics::JobMetrics;
use crate::operator::Operator;
use crate::operator::merge::epoch_millis;

type Key = Vec<ScalarValue>;

pub struct MatchRecognize {
    spec: Arc<MatchSpec>,
    key_exprs: Vec<Arc<dyn PhysicalExpr>>,
    keys: HashMap<Key, KeyState>,
    /// Keys with waiting rows, by the rows' times (a key once per time).
    due: BTreeMap<i64, Vec<Key>>,
    watermark: i64,
    waiting_bytes: usize,
    /// What the keys' partial and waiting matches hold (see `Nfa::held`).
    held_bytes: usize,
    metrics: Arc<JobMetrics>,
}

#[derive(Default)]
struct KeyState {
    waiting: BTreeMap<i64, Vec<Row>>,
    nfa: Nfa<Row>,
    next_seq: u64,
}

/// The DEFINE conditions, each reading the candidate row as its variable's newest.
struct Defines<'a>(&'a MatchSpec);

impl Conditions<Row> for Defines<'_> {
    fn holds(&mut self, var: usize, rows: &[Mapped<Row>], candidate: &Row) -> Result<bool, EngineError> {
        match &self.0.defines[var] {
            None => Ok(true),
            Some(condition) => condition.holds(&MatchView {
                rows,
                candidate: Some((var, candidate)),
            }),
        }
    }
}

impl MatchRecognize {
    pub fn new(spec: Arc<MatchSpec>, metrics: Arc<JobMetrics>) -> Result<Self, EngineError> {
        let key_exprs = spec
            .partition
            .iter()
            .map(|i| Arc::new(Column::new(&format!("key{i}"), *i)) as Arc<dyn PhysicalExpr>)
            .collect();
        Ok(Self {
            spec,
            key_exprs,
            keys: HashMap::new(),
            due: BTreeMap::new(),
            watermark: i64::MIN,
            waiting_bytes: 0,
            held_bytes: 0,
            metrics,
        })
    }

    /// Runs the rows the watermark has passed through their keys' automata.
    fn advance(&mut self, watermark: i64, found: &mut Vec<Vec<Mapped<Row>>>) -> Result<(), EngineError> {
        self.watermark = self.watermark.max(watermark);
        let mut keys = Vec::new();
        let mut seen = HashSet::new();
        while let Some(entry) = self.due.first_entry() {
            if *entry.key() > watermark {
                break;
            }
            for key in entry.remove() {
                if seen.insert(key.clone()) {
                    keys.push(key);
                }
            }
        }
        let spec = self.spec.clone();
        for key in keys {
            let Some(state) = self.keys.get_mut(&key) else {
                continue;
            };
            self.held_bytes -= state.nfa.held(held_size);
            while let Some(entry) = state.waiting.first_entry() {
                if *entry.key() > watermark {
                    break;
                }
                let (time, rows) = entry.remove_entry();
                found.extend(state.nfa.advance_time(&spec.pattern, time));
                for row in rows {
                    self.waiting_bytes -= row_bytes(&row);
                    let event = Event {
                        seq: state.next_seq,
                        time,
                        row,
                    };
                    state.next_seq += 1;
                    found.extend(state.nfa.process(&spec.pattern, &event, &mut Defines(&spec))?);
                }
            }
            found.extend(state.nfa.advance_time(&spec.pattern, watermark));
            self.held_bytes += state.nfa.held(held_size);
            if state.waiting.is_empty() && state.nfa.is_idle() {
                self.keys.remove(&key);
            }
        }
        Ok(())
    }

    /// One output row per match: its partition key, then its MEASURES.
    fn emit(&self, found: Vec<Vec<Mapped<Row>>>, out: &mut Vec<Changes>) -> Result<(), EngineError> {
        if found.is_empty() {
            return Ok(());
        }
        let width = self.spec.output.fields().len();
        let mut columns: Vec<Vec<ScalarValue>> = vec![Vec::with_capacity(found.len()); width];
        for rows in &found {
            let first = &rows[0].row;
            for (column, index) in self.spec.partition.iter().enumerate() {
                columns[column].push(first[*index].clone());
            }
            let view = MatchView { rows, candidate: None };
            for (i, measure) in self.spec.measures.iter().enumerate() {
                columns[self.spec.partition.len() + i].push(measure.evaluate(&view)?);
            }
        }
        let arrays = columns
            .into_iter()
            .map(|values| Ok(ScalarValue::iter_to_array(values)?))
            .collect::<Result<Vec<_>, EngineError>>()?;
        out.push(Changes::inserts(RecordBatch::try_new(
            self.spec.output.clone(),
            arrays,
        )?));
        Ok(())
    }
}

fn row_bytes(row: &Row) -> usize {
    row.iter().map(ScalarValue::size).sum()
}

/// A row as a match holds it: its values and its place in the match.
fn held_size(row: &Row) -> usize {
    row_bytes(row) + std::mem::size_of::<Mapped<Row>>()
}

impl Operator for MatchRecognize {
    fn name(&self) -> &'static str {
        "Match"
    }

    fn key_exprs(&self, _input: usize) -> &[Arc<dyn PhysicalExpr>] {
        &self.key_exprs
    }

    fn on_changes(&mut self, _input: usize, changes: Changes, out: &mut Vec<Changes>) -> Result<(), EngineError> {
        let batch = &changes.rows;
        let times = epoch_millis(batch.column(self.spec.time_index))?;
        let mut found = Vec::new();
        let mut late = 0;
        for (index, time) in times.into_iter().enumerate() {
            if let Some(met) = changes.met.as_ref().map(|met| met[index])
                && met > self.watermark
            {
                self.advance(met, &mut found)?;
            }
            let Some(time) = time.filter(|t| *t > self.watermark) else {
                late += 1;
                continue;
            };
            let row: Row = batch
                .columns()
                .iter()
                .map(|column| ScalarValue::try_from_array(column, index))
                .collect::<Result<Vec<_>, _>>()?
                .into();
            let key: Key = self.spec.partition.iter().map(|i| row[*i].clone()).collect();
            self.waiting_bytes += row_bytes(&row);
            let state = self.keys.entry(key.clone()).or_default();
            let at_time = state.waiting.entry(time).or_default();
            if at_time.is_empty() {
                self.due.entry(time).or_default().push(key);
            }
            at_time.push(row);
        }
        JobMetrics::add(&self.metrics.late_records_dropped, late);
        self.emit(found, out)
    }

    fn on_watermark(&mut self, _input: usize, watermark: i64, out: &mut Vec<Changes>) -> Result<(), EngineError> {
        let mut found = Vec::new();
        self.advance(watermark, &mut found)?;
        // WITHIN ends partial matches as time passes, which may let waiting matches out.
        if self.spec.pattern.within.is_some() {
            let spec = self.spec.clone();
            for state in self.keys.values_mut() {
                self.held_bytes -= state.nfa.held(held_size);
                found.extend(state.nfa.advance_time(&spec.pattern, watermark));
                self.held_bytes += state.nfa.held(held_size);
            }
            self.keys.retain(|_, s| !(s.waiting.is_empty() && s.nfa.is_idle()));
        }
        self.emit(found, out)
    }

    fn state_bytes(&self) -> usize {
        self.waiting_bytes + self.held_bytes
    }
}
