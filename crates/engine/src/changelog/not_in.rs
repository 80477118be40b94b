//! `x NOT IN (SELECT y ...)`: a null-aware anti join, with SQL's rules for NULL as Flink runs
//! them. A row of the query's side shows while the subquery is empty; otherwise only while
//! its `x` is not NULL, no subquery row has `y = x`, and no subquery row has a NULL `y`. The
//! subquery's side changes which rows show (`+I` and `-D`); both sides may update. It runs as
//! one instance: a NULL or the first row anywhere in the subquery changes every row.

use std::collections::HashMap;

use datafusion::arrow::datatypes::SchemaRef;
use datafusion::arrow::row::OwnedRow;
use datafusion::common::JoinType;
use datafusion::physical_plan::joins::HashJoinExec;

use super::keys::{KeyEncoder, RowCodec};
use crate::changes::{Changes, RowKind};
use crate::error::EngineError;
use crate::operator::Operator;

pub struct NotIn {
    keys: [KeyEncoder; 2],
    rows_codec: RowCodec,
    /// The query's rows by key (`None`: a NULL key).
    shown: HashMap<Option<Box<[u8]>>, Vec<OwnedRow>>,
    /// The subquery's rows per (non-NULL) key.
    partners: HashMap<Box<[u8]>, u64>,
    null_partners: u64,
    all_partners: u64,
    bytes: usize,
}

impl NotIn {
    /// The NOT IN of a null-aware anti join; `None` for another join.
    pub fn of(join: &HashJoinExec) -> Result<Option<Self>, EngineError> {
        if !join.null_aware || join.join_type() != &JoinType::LeftAnti {
            return Ok(None);
        }
        if join.filter().is_some() {
            return Err(EngineError::unsupported(
                "a NOT IN subquery correlated by more than its column",
            ));
        }
        Ok(Some(Self {
            keys: super::keys::join_keys(join)?,
            rows_codec: RowCodec::new(join.left().schema())?,
            shown: HashMap::new(),
            partners: HashMap::new(),
            null_partners: 0,
            all_partners: 0,
            bytes: 0,
        }))
    }

    pub fn schema(&self) -> SchemaRef {
        self.rows_codec.schema().clone()
    }

    /// Whether a row of key `key` shows now.
    fn shows(&self, key: &Option<Box<[u8]>>) -> bool {
        if self.all_partners == 0 {
            return true;
        }
        match key {
            None => false,
            Some(key) => self.null_partners == 0 && !self.partners.contains_key(key),
        }
    }

    /// Every kept row of `keys` (all keys when `None`) whose showing changed from `before`.
    fn turned(
        &self,
        keys: Option<&[Option<Box<[u8]>>]>,
        before: impl Fn(&Option<Box<[u8]>>) -> bool,
        out: &mut Vec<(OwnedRow, RowKind)>,
    ) {
        let mut visit = |key: &Option<Box<[u8]>>, rows: &Vec<OwnedRow>| {
            let (was, is) = (before(key), self.shows(key));
            if was != is {
                let kind = if is { RowKind::Insert } else { RowKind::Delete };
                out.extend(rows.iter().map(|r| (r.clone(), kind)));
            }
        };
        match keys {
            Some(keys) => {
                for key in keys {
                    if let Some(rows) = self.shown.get(key) {
                        visit(key, rows);
                    }
                }
            }
            None => {
                for (key, rows) in &self.shown {
                    visit(key, rows);
                }
            }
        }
    }
}

impl Operator for NotIn {
    fn name(&self) -> &'static str {
        "Join"
    }

    fn on_changes(&mut self, input: usize, changes: Changes, out: &mut Vec<Changes>) -> Result<(), EngineError> {
        let batch = &changes.rows;
        let keys = self.keys[input].encode(&self.keys[input].columns(batch)?, batch.num_rows())?;
        let mut emitted: Vec<(OwnedRow, RowKind)> = Vec::new();
        let rows = (input == 0).then(|| self.rows_codec.encode(batch)).transpose()?;
        for row in 0..batch.num_rows() {
            let key: Option<Box<[u8]>> = (!keys.nulls[row]).then(|| keys.key(row).into());
            let retraction = changes.kind(row).is_retraction();
            if let Some(rows) = &rows {
                let owned = rows.row(row).owned();
                if retraction {
                    let Some(bucket) = self.shown.get_mut(&key) else {
                        continue;
                    };
                    let Some(position) = bucket.iter().position(|r| r.row() == owned.row()) else {
                        continue;
                    };
                    let gone = bucket.remove(position);
                    self.bytes -= gone.as_ref().len() + 32;
                    if bucket.is_empty() {
                        self.shown.remove(&key);
                    }
                    if self.shows(&key) {
                        emitted.push((owned, RowKind::Delete));
                    }
                } else {
                    if self.shows(&key) {
                        emitted.push((owned.clone(), RowKind::Insert));
                    }
                    self.bytes += owned.as_ref().len() + 32;
                    self.shown.entry(key).or_default().push(owned);
                }
                continue;
            }
            // A subquery row: which rows show may change for its key, or for all of them.
            let (all, nulls) = (self.all_partners, self.null_partners);
            let had_key = key.as_ref().is_some_and(|k| self.partners.contains_key(k));
            let step = |count: u64| if retraction { count.saturating_sub(1) } else { count + 1 };
            self.all_partners = step(self.all_partners);
            match &key {
                None => self.null_partners = step(self.null_partners),
                Some(k) => {
                    let count = step(self.partners.get(k).copied().unwrap_or(0));
                    if count == 0 {
                        self.partners.remove(k);
                    } else {
                        self.partners.insert(k.clone(), count);
                    }
                }
            }
            let before = |k: &Option<Box<[u8]>>| {
                if all == 0 {
                    return true;
                }
                match k {
                    None => false,
                    Some(other) => {
                        nulls == 0
                            && !(Some(other) == key.as_ref() && had_key
                                || Some(other) != key.as_ref() && self.partners.contains_key(other))
                    }
                }
            };
            if (all == 0) != (self.all_partners == 0) || (nulls == 0) != (self.null_partners == 0) {
                self.turned(None, before, &mut emitted);
            } else if key.is_some() {
                self.turned(Some(std::slice::from_ref(&key)), before, &mut emitted);
            }
        }
        if emitted.is_empty() {
            return Ok(());
        }
        out.push(self.rows_codec.changes(emitted)?);
        Ok(())
    }

    fn state_bytes(&self) -> usize {
        self.bytes
    }
}
