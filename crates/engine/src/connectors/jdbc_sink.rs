//! Flink's `jdbc` connector as a sink, on PostgreSQL. With a PRIMARY KEY the table is
//! upserted (`INSERT ... ON CONFLICT (key) DO UPDATE`) and a deletion or an update's
//! before-image deletes its key's row, as Flink's upsert mode does; within one batch only the
//! last change of a key counts (Flink's buffer reduces by key the same way), so a before-image
//! followed by its after-image is one upsert. Without a key, rows are appended and a query
//! whose result changes is refused (Flink asks for a primary key).
//!
//! Rows travel as one JSON array per statement, which PostgreSQL reads into the table's own
//! row type (`json_populate_recordset`), so each value is converted by the database's input
//! function for its column's type. The writes run on a thread of their own with its own
//! runtime, in order; a failed write is retried `sink.max-retries` times (Flink's default 3)
//! on a new connection, then fails the job.

use std::collections::HashMap;
use std::sync::mpsc::{Receiver, SyncSender, sync_channel};
use std::sync::{Arc, Mutex};

use datafusion::arrow::array::{Array, RecordBatch, StringArray, UInt32Array};
use datafusion::arrow::compute::{cast, take_record_batch};
use datafusion::arrow::datatypes::DataType;
use pipegen_sql::CreateTable;

use super::jdbc::{JdbcTable, quote_column, quote_table};
use crate::changes::RowKind;
use crate::error::EngineError;
use crate::sink::TableSink;

/// Writes in flight between the job and the writer thread.
const QUEUED_WRITES: usize = 4;

enum Write {
    /// Rows to insert (or upsert), as a JSON array of objects.
    Rows(String),
    /// Keys whose rows to delete, as a JSON array of objects holding the key columns.
    Delete(String),
    /// Every earlier write is done: say so.
    Flush(SyncSender<()>),
}

pub struct JdbcSink {
    name: String,
    /// The PRIMARY KEY's columns' positions: upsert mode when there are any.
    keys: Vec<usize>,
    writes: Option<SyncSender<Write>>,
    writer: Option<std::thread::JoinHandle<()>>,
    failure: Arc<Mutex<Option<String>>>,
}

impl JdbcSink {
    pub fn new(create: &CreateTable, table: JdbcTable) -> Result<Self, EngineError> {
        let schema = table.schema.clone();
        let keys = match &create.primary_key {
            Some(columns) => columns
                .iter()
                .map(|c| {
                    schema.index_of(c).map_err(|_| {
                        EngineError::Invalid(format!(
                            "table `{}`: its PRIMARY KEY names no column `{c}`",
                            create.name
                        ))
                    })
                })
                .collect::<Result<Vec<_>, _>>()?,
            None => Vec::new(),
        };
        let max_retries = match create.option("sink.max-retries") {
            Some(text) => text.trim().parse::<u32>().map_err(|_| {
                EngineError::Invalid(format!(
                    "table `{}`: 'sink.max-retries' = '{text}' is no count",
                    create.name
                ))
            })?,
            None => 3,
        };
        let statements = Statements::new(&table, &keys);
        let (writes, received) = sync_channel(QUEUED_WRITES);
        let failure = Arc::new(Mutex::new(None));
        let writer = {
            let failure = failure.clone();
            std::thread::Builder::new()
                .name(format!("pipegen-jdbc-{}", table.name))
                .spawn(move || {
                    // The failure is stored before the channel closes, so a writer that finds
                    // it closed finds the reason too.
                    if let Err(e) = write_all(&table, &statements, max_retries, &received)
                        && let Ok(mut failure) = failure.lock()
                    {
                        *failure = Some(e.to_string());
                    }
                    drop(received);
                })
                .map_err(|e| EngineError::Invalid(format!("cannot start the jdbc writer: {e}")))?
        };
        Ok(Self {
            name: create.name.clone(),
            keys,
            writes: Some(writes),
            writer: Some(writer),
            failure,
        })
    }

    /// Hands `write` to the writer; its failure, once it has failed.
    fn send(&self, write: Write) -> Result<(), EngineError> {
        let sent = self.writes.as_ref().is_some_and(|w| w.send(write).is_ok());
        if sent { Ok(()) } else { Err(self.failed()) }
    }

    fn failed(&self) -> EngineError {
        let reason = self.failure.lock().ok().and_then(|f| f.clone());
        EngineError::Invalid(reason.unwrap_or_else(|| format!("the writer of jdbc table `{}` stopped", self.name)))
    }

    /// Each row's key as one text (for reducing a batch's changes by key).
    fn key_texts(&self, batch: &RecordBatch) -> Result<Vec<String>, EngineError> {
        let columns = self
            .keys
            .iter()
            .map(|&k| cast(batch.column(k), &DataType::Utf8))
            .collect::<Result<Vec<_>, _>>()?;
        let columns: Vec<&StringArray> = columns
            .iter()
            .filter_map(|c| c.as_any().downcast_ref::<StringArray>())
            .collect();
        Ok((0..batch.num_rows())
            .map(|row| {
                columns
                    .iter()
                    .map(|c| if c.is_null(row) { "\u{0}" } else { c.value(row) })
                    .collect::<Vec<_>>()
                    .join("\u{1f}")
            })
            .collect())
    }
}

impl TableSink for JdbcSink {
    fn write(&mut self, batch: &RecordBatch, kinds: Option<&[RowKind]>) -> Result<(), EngineError> {
        if batch.num_rows() == 0 {
            return Ok(());
        }
        if self.keys.is_empty() {
            return self.send(Write::Rows(json_rows(batch)?));
        }
        // The last change of each key, in the order the keys last changed.
        let keys = self.key_texts(batch)?;
        let mut last: HashMap<&str, (usize, bool)> = HashMap::new();
        for (row, key) in keys.iter().enumerate() {
            let delete = matches!(
                kinds.map_or(RowKind::Insert, |k| k[row]),
                RowKind::UpdateBefore | RowKind::Delete
            );
            last.insert(key, (row, delete));
        }
        let mut kept: Vec<(usize, bool)> = last.into_values().collect();
        kept.sort_unstable();
        let rows =
            |delete: bool| UInt32Array::from_iter_values(kept.iter().filter(|k| k.1 == delete).map(|k| k.0 as u32));
        let (upserts, deletes) = (rows(false), rows(true));
        if !deletes.is_empty() {
            let keys = take_record_batch(batch, &deletes)?.project(&self.keys)?;
            self.send(Write::Delete(json_rows(&keys)?))?;
        }
        if !upserts.is_empty() {
            self.send(Write::Rows(json_rows(&take_record_batch(batch, &upserts)?)?))?;
        }
        Ok(())
    }

    fn accepts_updates(&self) -> bool {
        !self.keys.is_empty()
    }

    fn append_only_hint(&self) -> String {
        format!(
            "declare `{}`'s PRIMARY KEY (... NOT ENFORCED): Flink's jdbc sink then upserts by it",
            self.name
        )
    }

    fn finish(&mut self) -> Result<(), EngineError> {
        let (done, flushed) = sync_channel(1);
        self.send(Write::Flush(done))?;
        flushed.recv().map_err(|_| self.failed())?;
        // The writer ends once nothing can send to it.
        self.writes = None;
        if let Some(writer) = self.writer.take() {
            let _ = writer.join();
        }
        match self.failure.lock().ok().and_then(|f| f.clone()) {
            Some(reason) => Err(EngineError::Invalid(reason)),
            None => Ok(()),
        }
    }
}

/// The rows as a JSON array of objects (a NULL is an absent key, which PostgreSQL reads as
/// NULL).
fn json_rows(batch: &RecordBatch) -> Result<String, EngineError> {
    let mut writer = datafusion::arrow::json::ArrayWriter::new(Vec::new());
    writer.write(batch)?;
    writer.finish()?;
    String::from_utf8(writer.into_inner()).map_err(|e| EngineError::Invalid(format!("rows as JSON: {e}")))
}

/// The statements the writer runs, made once.
struct Statements {
    rows: String,
    delete: Option<String>,
}

impl Statements {
    fn new(table: &JdbcTable, keys: &[usize]) -> Self {
        let quoted = quote_table(table.table_name());
        let names: Vec<String> = table.schema.fields().iter().map(|f| quote_column(f.name())).collect();
        let key_names: Vec<&str> = keys.iter().map(|&k| names[k].as_str()).collect();
        let list = names.join(", ");
        let from = format!("FROM json_populate_recordset(NULL::{quoted}, $1::text::json)");
        let mut rows = format!("INSERT INTO {quoted} ({list}) SELECT {list} {from}");
        if !keys.is_empty() {
            let updates: Vec<String> = names
                .iter()
                .filter(|n| !key_names.contains(&n.as_str()))
                .map(|n| format!("{n} = EXCLUDED.{n}"))
                .collect();
            rows.push_str(&format!(" ON CONFLICT ({})", key_names.join(", ")));
            if updates.is_empty() {
                rows.push_str(" DO NOTHING");
            } else {
                rows.push_str(&format!(" DO UPDATE SET {}", updates.join(", ")));
            }
        }
        let delete = (!keys.is_empty()).then(|| {
            let keys = key_names.join(", ");
            format!("DELETE FROM {quoted} WHERE ({keys}) IN (SELECT {keys} {from})")
        });
        Self { rows, delete }
    }
}

/// The writer thread's loop: every write in order, each retried on a new connection.
fn write_all(
    table: &JdbcTable,
    statements: &Statements,
    max_retries: u32,
    writes: &Receiver<Write>,
) -> Result<(), EngineError> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| EngineError::Invalid(format!("cannot start the jdbc writer's runtime: {e}")))?;
    runtime.block_on(async {
        let mut client = None;
        for write in writes.iter() {
            let (sql, json) = match &write {
                Write::Rows(json) => (statements.rows.as_str(), json),
                Write::Delete(json) => (statements.delete.as_deref().unwrap_or_default(), json),
                Write::Flush(done) => {
                    let _ = done.send(());
                    continue;
                }
            };
            let mut attempt = 0;
            loop {
                if client.is_none() {
                    client = Some(table.connect().await?);
                }
                let Some(connected) = &client else { continue };
                match connected.execute(sql, &[json]).await {
                    Ok(_) => break,
                    Err(_) if attempt < max_retries => {
                        attempt += 1;
                        client = None;
                    }
                    Err(e) => return Err(table.error("cannot write", &e)),
                }
            }
        }
        Ok(())
    })
}
