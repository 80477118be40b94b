//! SESSION windows: per key, a session is the union of its rows' `[ts, ts + gap)` intervals.
//! Rows wait in their session until the watermark passes its end; then the session's rows,
//! tagged with its bounds, go on to the aggregation like any window's. A late row first merges
//! with its key's open sessions and is dropped only if the merged session has already fired,
//! as Flink does.

use std::collections::HashMap;
use std::sync::Arc;

use datafusion::arrow::array::{ArrayRef, NullArray, RecordBatch, TimestampMillisecondArray};
use datafusion::arrow::compute::interleave_record_batch;
use datafusion::arrow::datatypes::{DataType, SchemaRef};
use datafusion::arrow::row::{OwnedRow, RowConverter, SortField};

use crate::error::EngineError;

struct Session {
    start: i64,
    end: i64,
    /// (batch slot, row) of every row in the session.
    rows: Vec<(usize, usize)>,
}

/// Source batches with rows still in an open session, and how many.
struct Held {
    batch: RecordBatch,
    live: usize,
}

pub struct Sessions {
    gap: i64,
    key_columns: Vec<usize>,
    converter: RowConverter,
    open: HashMap<OwnedRow, Vec<Session>>,
    held: Vec<Option<Held>>,
    free_slots: Vec<usize>,
}

impl Sessions {
    /// Sessions of `gap` ms per value of `key_columns` (the PARTITION BY columns) of `input`.
    pub fn new(gap: i64, key_columns: Vec<usize>, input: &SchemaRef) -> Result<Self, EngineError> {
        let mut fields: Vec<SortField> = key_columns
            .iter()
            .map(|i| SortField::new(input.field(*i).data_type().clone()))
            .collect();
        // Without PARTITION BY every row has one key: a column of nulls stands for it (rows
        // of no columns would have no count).
        if fields.is_empty() {
            fields.push(SortField::new(DataType::Null));
        }
        Ok(Self {
            gap,
            key_columns,
            converter: RowConverter::new(fields)?,
            open: HashMap::new(),
            held: Vec::new(),
            free_slots: Vec::new(),
        })
    }

    /// The PARTITION BY columns, by position in the rows.
    pub fn key_columns(&self) -> &[usize] {
        &self.key_columns
    }

    pub fn open_sessions(&self) -> usize {
        self.open.values().map(Vec::len).sum()
    }

    /// Adds a batch's rows, each judged against the watermark before it (`watermarks[i]`);
    /// returns how many were dropped as late.
    pub fn add(&mut self, batch: RecordBatch, times: &[Option<i64>], watermarks: &[i64]) -> Result<usize, EngineError> {
        let mut keys: Vec<ArrayRef> = self.key_columns.iter().map(|i| batch.column(*i).clone()).collect();
        if keys.is_empty() {
            keys.push(Arc::new(NullArray::new(batch.num_rows())));
        }
        let rows = self.converter.convert_columns(&keys)?;
        let slot = self.free_slots.pop().unwrap_or(self.held.len());
        if slot == self.held.len() {
            self.held.push(None);
        }
        let mut live = 0;
        let mut late = 0;
        for (row, time) in times.iter().enumerate() {
            let Some(ts) = *time else { continue };
            let (mut start, mut end) = (ts, ts + self.gap);
            let sessions = self.open.entry(rows.row(row).owned()).or_default();
            let mut merged_rows = Vec::new();
            let mut kept = Vec::with_capacity(sessions.len());
            for session in sessions.drain(..) {
                // A session the watermark has passed has fired for Flink (per record), even
                // if this batch has not emitted it yet: it takes no more rows.
                let fired = session.end - 1 <= watermarks[row];
                if !fired && session.start < end && start < session.end {
                    start = start.min(session.start);
                    end = end.max(session.end);
                    merged_rows.push(session);
                } else {
                    kept.push(session);
                }
            }
            if end - 1 <= watermarks[row] {
                // The merged session would already have fired: the row is late; the sessions
                // it touched stay as they were.
                kept.extend(merged_rows);
                *sessions = kept;
                late += 1;
                continue;
            }
            let mut all_rows: Vec<(usize, usize)> = merged_rows.into_iter().flat_map(|s| s.rows).collect();
            all_rows.push((slot, row));
            kept.push(Session {
                start,
                end,
                rows: all_rows,
            });
            *sessions = kept;
            live += 1;
        }
        if live > 0 {
            self.held[slot] = Some(Held { batch, live });
        } else {
            self.free_slots.push(slot);
        }
        Ok(late)
    }

    /// The rows of every session the watermark has passed, with `window_start`, `window_end`
    /// and `window_time` appended (the windowed table's columns).
    pub fn fire(&mut self, watermark: i64, windowed: &SchemaRef) -> Result<Option<RecordBatch>, EngineError> {
        let mut fired: Vec<Session> = Vec::new();
        self.open.retain(|_, sessions| {
            let mut index = 0;
            while index < sessions.len() {
                if sessions[index].end - 1 <= watermark {
                    fired.push(sessions.swap_remove(index));
                } else {
                    index += 1;
                }
            }
            !sessions.is_empty()
        });
        if fired.is_empty() {
            return Ok(None);
        }
        let mut indices = Vec::new();
        let (mut starts, mut ends) = (Vec::new(), Vec::new());
        for session in &fired {
            for &(slot, row) in &session.rows {
                indices.push((slot, row));
                starts.push(session.start);
                ends.push(session.end);
            }
        }
        // Gather from the held batches, numbered densely for interleave.
        let mut slots: Vec<usize> = indices.iter().map(|(s, _)| *s).collect();
        slots.sort_unstable();
        slots.dedup();
        let position: HashMap<usize, usize> = slots.iter().enumerate().map(|(i, s)| (*s, i)).collect();
        let batches: Vec<&RecordBatch> = slots
            .iter()
            .map(|s| &self.held[*s].as_ref().expect("a held batch").batch)
            .collect();
        let dense: Vec<(usize, usize)> = indices.iter().map(|(s, r)| (position[s], *r)).collect();
        let rows = interleave_record_batch(&batches, &dense)?;
        for (slot, _) in &indices {
            let held = self.held[*slot].as_mut().expect("a held batch");
            held.live -= 1;
            if held.live == 0 {
                self.held[*slot] = None;
                self.free_slots.push(*slot);
            }
        }
        let time_zone = match windowed.fields().last().map(|f| f.data_type()) {
            Some(DataType::Timestamp(_, tz)) => tz.clone(),
            _ => None,
        };
        let times =
            TimestampMillisecondArray::from_iter_values(ends.iter().map(|e| e - 1)).with_timezone_opt(time_zone);
        let mut columns = rows.columns().to_vec();
        columns.push(Arc::new(TimestampMillisecondArray::from(starts)));
        columns.push(Arc::new(TimestampMillisecondArray::from(ends)));
        columns.push(Arc::new(times));
        Ok(Some(RecordBatch::try_new(windowed.clone(), columns)?))
    }
}
