//! Processing-time lookup joins (`JOIN dim FOR SYSTEM_TIME AS OF o.proc_time AS d ON o.k =
//! d.k`, Flink's LookupJoin): each stream row is joined with the rows the dimension table
//! holds for its key when the row comes, asked of the database through Flink's lookup cache.
//! Rows keep their kinds; a LEFT join pads a row without a match. The join's other
//! conditions apply to the looked-up rows.
//!
//! Unlike the graph's operators (synchronous, over state in memory), a lookup waits for the
//! database: it runs as an asynchronous step of the stream, the batch's distinct keys asked
//! together over one pipelined connection.

use std::num::NonZeroUsize;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Instant;

use datafusion::arrow::array::{Array, ArrayRef, RecordBatch, new_null_array};
use datafusion::arrow::compute::interleave;
use datafusion::arrow::datatypes::SchemaRef;
use datafusion::physical_expr::PhysicalExpr;
use datafusion::physical_plan::joins::utils::JoinFilter;
use datafusion::scalar::ScalarValue;
use futures::{StreamExt, TryStreamExt};

use crate::changes::Changes;
use crate::connectors::jdbc::{JdbcTable, Lookup, PartialCache};
use crate::error::EngineError;
use crate::metrics::LookupMetrics;
use crate::operator::{Message, MessageStream};
use crate::placeholder::Placeholders;
use datafusion::physical_plan::streaming::{PartitionStream, StreamingTableExec};

/// Flink's PARTIAL lookup cache: up to `max-rows` keys, least recently used first out, each
/// entry gone once written or last read longer ago than its expiry.
struct Cache {
    options: PartialCache,
    entries: lru::LruCache<Vec<ScalarValue>, Entry>,
}

struct Entry {
    rows: RecordBatch,
    written: Instant,
    read: Instant,
}

impl Cache {
    fn new(options: PartialCache) -> Self {
        let entries = match options.max_rows {
            Some(rows) => lru::LruCache::new(NonZeroUsize::new(rows).unwrap_or(NonZeroUsize::MIN)),
            None => lru::LruCache::unbounded(),
        };
        Self { options, entries }
    }

    fn get(&mut self, key: &[ScalarValue], now: Instant) -> Option<RecordBatch> {
        let expired = {
            let entry = self.entries.peek(key)?;
            let written_out = self
                .options
                .expire_after_write
                .is_some_and(|ttl| now.duration_since(entry.written) >= ttl);
            let read_out = self
                .options
                .expire_after_access
                .is_some_and(|ttl| now.duration_since(entry.read) >= ttl);
            written_out || read_out
        };
        if expired {
            self.entries.pop(key);
            return None;
        }
        let entry = self.entries.get_mut(key)?;
        entry.read = now;
        Some(entry.rows.clone())
    }

    /// Keeps `rows` for `key`; whether it did (a missing key is kept only if so configured).
    fn put(&mut self, key: Vec<ScalarValue>, rows: RecordBatch, now: Instant) -> bool {
        if rows.num_rows() == 0 && !self.options.cache_missing_key {
            return false;
        }
        self.entries.put(
            key,
            Entry {
                rows,
                written: now,
                read: now,
            },
        );
        true
    }
}

/// The lookup tables of a query, each read where the plan scans the table registered for it.
pub struct LookupTables(Placeholders<JdbcTable>);

impl Default for LookupTables {
    fn default() -> Self {
        Self(Placeholders::new("a lookup table"))
    }
}

impl LookupTables {
    /// Registers one lookup join's table; returns the partition its table is to be made of.
    pub fn register(&mut self, table: JdbcTable) -> Arc<dyn PartitionStream> {
        self.0.register(table.schema.clone(), table).0
    }

    /// Whether the query joins no lookup table.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Whether `scan` reads a lookup table.
    pub fn scans(&self, scan: &StreamingTableExec) -> bool {
        self.0.scanned(scan).is_some()
    }

    /// The table `scan` reads (once).
    pub fn take(&self, scan: &StreamingTableExec) -> Result<JdbcTable, EngineError> {
        self.0
            .take(scan, "a lookup table read twice by one join; please report this")
    }
}

/// One lookup join.
pub struct LookupJoin {
    lookup: Arc<Lookup>,
    /// From the table's rows to the join's right side (the plan's projections and filters
    /// over the table, in order).
    right_steps: Vec<crate::operator::step::Step>,
    /// The join's right side.
    right: SchemaRef,
    /// The stream side's expressions equated with the lookup keys, in their order.
    left_keys: Vec<Arc<dyn PhysicalExpr>>,
    /// A LEFT join (else INNER).
    outer: bool,
    filter: Option<JoinFilter>,
    /// The stream's columns, then the table's.
    schema: SchemaRef,
    cache: Option<std::sync::Mutex<Cache>>,
    metrics: Arc<LookupMetrics>,
}

impl LookupJoin {
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        lookup: Arc<Lookup>,
        (right_steps, right): (Vec<crate::operator::step::Step>, SchemaRef),
        left_keys: Vec<Arc<dyn PhysicalExpr>>,
        outer: bool,
        filter: Option<JoinFilter>,
        schema: SchemaRef,
        metrics: Arc<LookupMetrics>,
    ) -> Self {
        let cache = lookup
            .table()
            .lookup
            .cache
            .clone()
            .map(|options| std::sync::Mutex::new(Cache::new(options)));
        Self {
            lookup,
            right_steps,
            right,
            left_keys,
            outer,
            filter,
            schema,
            cache,
            metrics,
        }
    }

    /// The joined rows of `input`'s changes, watermarks passed on.
    pub fn stream(self, input: MessageStream) -> MessageStream {
        let join = Arc::new(self);
        input
            .then(move |message| {
                let join = join.clone();
                async move {
                    match message? {
                        Message::Changes(changes) => Ok(Message::Changes(join.join(changes).await?)),
                        watermark => Ok(watermark),
                    }
                }
            })
            .boxed()
    }

    /// The table's rows for `key`, which `uses` rows of a batch look up: from the cache, or
    /// asked of the database. Hits and misses count rows, as Flink's cache counts its calls:
    /// the first row of a key the cache lacks misses, and the others hit what it brought in.
    async fn rows(&self, key: &[ScalarValue], uses: u64) -> Result<RecordBatch, EngineError> {
        if let Some(cache) = &self.cache {
            let cached = cache.lock().expect("not poisoned").get(key, Instant::now());
            if let Some(rows) = cached {
                self.metrics.cache_hits.fetch_add(uses, Ordering::Relaxed);
                return Ok(rows);
            }
        }
        let mut rows = self.ask(key).await?;
        // A LOOKUP hint's retry: a key the table does not hold yet may come soon.
        if let Some(retry) = self.lookup.table().lookup.miss_retry {
            for _ in 0..retry.attempts {
                if rows.num_rows() > 0 {
                    break;
                }
                tokio::time::sleep(retry.delay).await;
                rows = self.ask(key).await?;
            }
        }
        if let Some(cache) = &self.cache {
            let kept = cache
                .lock()
                .expect("not poisoned")
                .put(key.to_vec(), rows.clone(), Instant::now());
            let (misses, hits) = if kept { (1, uses - 1) } else { (uses, 0) };
            self.metrics.cache_misses.fetch_add(misses, Ordering::Relaxed);
            self.metrics.cache_hits.fetch_add(hits, Ordering::Relaxed);
        }
        Ok(rows)
    }

    /// One lookup in the database, counted.
    async fn ask(&self, key: &[ScalarValue]) -> Result<RecordBatch, EngineError> {
        let started = Instant::now();
        let rows = self.lookup.rows(key).await?;
        self.metrics.record(started.elapsed());
        Ok(rows)
    }

    async fn join(&self, changes: Changes) -> Result<Changes, EngineError> {
        let batch = &changes.rows;
        let count = batch.num_rows();
        let key_columns = self
            .left_keys
            .iter()
            .map(|e| Ok(e.evaluate(batch)?.into_array(count)?))
            .collect::<Result<Vec<ArrayRef>, EngineError>>()?;
        // Each row's key (none when a key column is NULL: NULL equals nothing), and the
        // distinct keys looked up together.
        let mut keys: Vec<Option<usize>> = Vec::with_capacity(count);
        let mut distinct: Vec<Vec<ScalarValue>> = Vec::new();
        let mut uses: Vec<u64> = Vec::new();
        let mut index: std::collections::HashMap<Vec<ScalarValue>, usize> = std::collections::HashMap::new();
        for row in 0..count {
            if key_columns.iter().any(|c| c.is_null(row)) {
                keys.push(None);
                continue;
            }
            let key = key_columns
                .iter()
                .map(|c| ScalarValue::try_from_array(c, row))
                .collect::<Result<Vec<_>, _>>()?;
            let at = *index.entry(key.clone()).or_insert_with(|| {
                distinct.push(key);
                uses.push(0);
                distinct.len() - 1
            });
            uses[at] += 1;
            keys.push(Some(at));
        }
        // At most this many lookups in flight on the connection at once.
        const IN_FLIGHT: usize = 64;
        let lookups = distinct
            .into_iter()
            .zip(uses)
            .map(|(key, uses)| async move { self.rows(&key, uses).await });
        let found: Vec<RecordBatch> = futures::stream::iter(lookups).buffered(IN_FLIGHT).try_collect().await?;
        let found = found
            .into_iter()
            .map(|rows| self.right_side(rows))
            .collect::<Result<Vec<_>, _>>()?;
        self.assemble(&changes, &keys, &found)
    }

    /// A key's table rows as the join's right side sees them.
    fn right_side(&self, rows: RecordBatch) -> Result<RecordBatch, EngineError> {
        let mut rows = rows;
        for step in &self.right_steps {
            rows = step.apply_changes(Changes::inserts(rows))?.rows;
        }
        Ok(rows)
    }

    /// The joined rows: each stream row with each of its key's table rows that pass the
    /// join's other conditions (a LEFT join pads a row left without any).
    fn assemble(
        &self,
        changes: &Changes,
        keys: &[Option<usize>],
        found: &[RecordBatch],
    ) -> Result<Changes, EngineError> {
        let batch = &changes.rows;
        let table = self.right.clone();
        let left_width = batch.num_columns();
        // Candidate pairs: (stream row, (batch of `found` or the padding row, its row)).
        let padding = found.len();
        let mut pairs: Vec<(usize, (usize, usize))> = Vec::new();
        for (row, key) in keys.iter().enumerate() {
            if let Some(at) = key {
                pairs.extend((0..found[*at].num_rows()).map(|r| (row, (*at, r))));
            }
        }
        let joined = self.joined(batch, &table, found, &pairs)?;
        let passes = crate::changelog::join::passes(self.filter.as_ref(), &joined, left_width)?;
        let mut kept: Vec<(usize, (usize, usize))> = Vec::with_capacity(pairs.len());
        let mut matched = vec![false; batch.num_rows()];
        for (i, pair) in pairs.iter().enumerate() {
            if passes.value(i) {
                matched[pair.0] = true;
                kept.push(*pair);
            }
        }
        if self.outer {
            // In stream order: a row's matches, or its padding.
            let mut ordered = Vec::with_capacity(kept.len());
            let mut next = kept.into_iter().peekable();
            for (row, was_matched) in matched.iter().enumerate() {
                if *was_matched {
                    while next.peek().is_some_and(|p| p.0 == row) {
                        ordered.push(next.next().expect("peeked"));
                    }
                } else {
                    ordered.push((row, (padding, 0)));
                }
            }
            kept = ordered;
        }
        let rows = self.joined(batch, &table, found, &kept)?;
        let kinds = changes
            .kinds
            .as_ref()
            .map(|kinds| kept.iter().map(|(row, _)| kinds[*row]).collect());
        Ok(Changes::new(rows, kinds))
    }

    /// Stream rows beside table rows, pair by pair (`found.len()` stands for a NULL row).
    fn joined(
        &self,
        batch: &RecordBatch,
        table: &SchemaRef,
        found: &[RecordBatch],
        pairs: &[(usize, (usize, usize))],
    ) -> Result<RecordBatch, EngineError> {
        let left_rows = datafusion::arrow::array::UInt32Array::from_iter_values(pairs.iter().map(|(r, _)| *r as u32));
        let mut columns: Vec<ArrayRef> = batch
            .columns()
            .iter()
            .map(|c| datafusion::arrow::compute::take(c, &left_rows, None))
            .collect::<Result<_, _>>()?;
        let at: Vec<(usize, usize)> = pairs.iter().map(|(_, at)| *at).collect();
        for (column, field) in table.fields().iter().enumerate() {
            let padding = new_null_array(field.data_type(), 1);
            let mut sources: Vec<&dyn Array> = found.iter().map(|b| b.column(column).as_ref()).collect();
            sources.push(padding.as_ref());
            columns.push(interleave(&sources, &at)?);
        }
        let options = datafusion::arrow::array::RecordBatchOptions::new().with_row_count(Some(pairs.len()));
        Ok(RecordBatch::try_new_with_options(
            self.schema.clone(),
            columns,
            &options,
        )?)
    }
}
