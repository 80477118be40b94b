//! Where the embedded registry keeps what it registers, so that schema ids stay the same across
//! runs and processes: a journal of records in Confluent Schema Registry's own format (the
//! records of its `_schemas` topic), replayed on start and appended to before an answer.
//!
//! The registry knows the record format; a [`JournalTransport`] only moves opaque key/value
//! records (on Kafka: a compacted one-partition topic). [`MemoryJournal`] keeps them in memory.

use std::sync::{Arc, Mutex};

use serde_json::{Map, Value, json};

use crate::store::Compatibility;

/// Confluent's topic for its schemas, where the embedded registry keeps them too.
pub const SCHEMAS_TOPIC: &str = "_schemas";

/// Why the journal could not be read or written (shown as Confluent's error 50001 or 50002).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum JournalError {
    #[error("{0}")]
    Failed(String),
    #[error("{0}")]
    TimedOut(String),
}

/// One record of the journal: a key and a value, `None` for a tombstone.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RawRecord {
    pub key: Vec<u8>,
    pub value: Option<Vec<u8>>,
}

/// Moves the journal's records to and from where they are kept.
pub trait JournalTransport: Send {
    /// Appends a record and returns once it is acknowledged, with its position.
    fn append(&mut self, record: &RawRecord) -> Result<u64, JournalError>;

    /// The records after those already returned, up to and including `position` (one that
    /// [`append`](Self::append) returned), in order; fails if they do not arrive in time.
    fn read_through(&mut self, position: u64) -> Result<Vec<RawRecord>, JournalError>;
}

/// A journal in memory, shared by clones: registries started on clones one after the other
/// see what the earlier ones registered (tests, and the shape of a persistent transport).
#[derive(Debug, Clone, Default)]
pub struct MemoryJournal {
    records: Arc<Mutex<Vec<RawRecord>>>,
    read: usize,
}

impl MemoryJournal {
    pub fn new() -> Self {
        Self::default()
    }

    /// Every record appended so far, by any clone.
    pub fn records(&self) -> Vec<RawRecord> {
        self.records.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }
}

impl JournalTransport for MemoryJournal {
    fn append(&mut self, record: &RawRecord) -> Result<u64, JournalError> {
        let mut records = self.records.lock().unwrap_or_else(|p| p.into_inner());
        records.push(record.clone());
        Ok(records.len() as u64 - 1)
    }

    fn read_through(&mut self, position: u64) -> Result<Vec<RawRecord>, JournalError> {
        let records = self.records.lock().unwrap_or_else(|p| p.into_inner());
        let end = usize::try_from(position)
            .unwrap_or(usize::MAX)
            .saturating_add(1)
            .min(records.len());
        let new = records
            .get(self.read..end)
            .map(<[RawRecord]>::to_vec)
            .unwrap_or_default();
        self.read = self.read.max(end);
        Ok(new)
    }
}

/// A registered (or soft-deleted) version, as Confluent's SCHEMA record value holds it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SchemaValue {
    pub subject: String,
    pub version: u32,
    pub id: u32,
    pub schema: String,
    pub deleted: bool,
}

/// The records the registry writes and understands, in Confluent's format.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Record {
    /// A version registered, soft-deleted (`deleted: true`), or hard-deleted (`None`).
    Schema {
        subject: String,
        version: u32,
        value: Option<SchemaValue>,
    },
    /// Every version of the subject up to `version` soft-deleted.
    DeleteSubject { subject: String, version: u32 },
    /// A compatibility level set (`Some`) or removed, for a subject or globally (`None`).
    Config {
        subject: Option<String>,
        level: Option<Compatibility>,
    },
    /// Written to find the end of the journal; changes nothing.
    Noop,
}

fn level_name(level: Compatibility) -> Value {
    serde_json::to_value(level).unwrap_or(Value::Null)
}

impl Record {
    pub fn encode(&self) -> RawRecord {
        let (key, value) = match self {
            Record::Schema {
                subject,
                version,
                value,
            } => (
                json!({ "keytype": "SCHEMA", "subject": subject, "version": version, "magic": 1 }),
                value.as_ref().map(|v| {
                    json!({
                        "subject": v.subject,
                        "version": v.version,
                        "id": v.id,
                        "schema": v.schema,
                        "deleted": v.deleted,
                    })
                }),
            ),
            Record::DeleteSubject { subject, version } => (
                json!({ "keytype": "DELETE_SUBJECT", "subject": subject, "magic": 0 }),
                Some(json!({ "subject": subject, "version": version })),
            ),
            Record::Config { subject, level } => (
                json!({ "keytype": "CONFIG", "subject": subject, "magic": 0 }),
                level.map(|level| json!({ "subject": subject, "compatibilityLevel": level_name(level) })),
            ),
            Record::Noop => (json!({ "keytype": "NOOP", "magic": 0 }), None),
        };
        RawRecord {
            key: key.to_string().into_bytes(),
            value: value.map(|v| v.to_string().into_bytes()),
        }
    }

    /// The record, `Ok(None)` for a kind the embedded registry has no use for (modes,
    /// contexts, another registry's extensions), an error for bytes that are not a record.
    pub fn decode(raw: &RawRecord) -> Result<Option<Record>, String> {
        let key: Map<String, Value> =
            serde_json::from_slice(&raw.key).map_err(|e| format!("a key that is not a JSON object: {e}"))?;
        let value: Option<Map<String, Value>> = match &raw.value {
            None => None,
            Some(bytes) if bytes.is_empty() => None,
            Some(bytes) => {
                Some(serde_json::from_slice(bytes).map_err(|e| format!("a value that is not a JSON object: {e}"))?)
            }
        };
        let text = |map: &Map<String, Value>, name: &str| map.get(name).and_then(Value::as_str).map(str::to_owned);
        let number = |map: &Map<String, Value>, name: &str| {
            map.get(name)
                .and_then(Value::as_u64)
                .and_then(|n| u32::try_from(n).ok())
        };
        let subject = text(&key, "subject");
        let need = |what: Option<String>, name: &str| what.ok_or_else(|| format!("a record without \"{name}\""));
        Ok(Some(match key.get("keytype").and_then(Value::as_str) {
            Some("SCHEMA") => {
                let subject = need(subject, "subject")?;
                let version = number(&key, "version").ok_or("a SCHEMA key without a version")?;
                let value = match value {
                    None => None,
                    Some(v) => {
                        if v.get("schemaType").and_then(Value::as_str).is_some_and(|t| t != "AVRO") {
                            // A JSON or Protobuf schema of another registry: not ours to serve.
                            return Ok(None);
                        }
                        Some(SchemaValue {
                            subject: subject.clone(),
                            version,
                            id: number(&v, "id").ok_or("a SCHEMA value without an id")?,
                            schema: text(&v, "schema").ok_or("a SCHEMA value without a schema")?,
                            deleted: v.get("deleted").and_then(Value::as_bool).unwrap_or(false),
                        })
                    }
                };
                Record::Schema {
                    subject,
                    version,
                    value,
                }
            }
            Some("DELETE_SUBJECT") => {
                let Some(value) = value else { return Ok(None) };
                Record::DeleteSubject {
                    subject: need(subject, "subject")?,
                    version: number(&value, "version").ok_or("a DELETE_SUBJECT value without a version")?,
                }
            }
            Some("CONFIG") => Record::Config {
                subject,
                level: match value {
                    None => None,
                    Some(v) => match v.get("compatibilityLevel") {
                        None | Some(Value::Null) => None,
                        Some(level) => Some(
                            serde_json::from_value(level.clone())
                                .map_err(|_| format!("an unknown compatibility level {level}"))?,
                        ),
                    },
                },
            },
            Some("NOOP") => Record::Noop,
            _ => return Ok(None),
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_are_in_confluents_format_and_read_back() {
        let schema = Record::Schema {
            subject: "orders-value".into(),
            version: 2,
            value: Some(SchemaValue {
                subject: "orders-value".into(),
                version: 2,
                id: 7,
                schema: r#"{"type":"string"}"#.into(),
                deleted: false,
            }),
        };
        let raw = schema.encode();
        assert_eq!(
            String::from_utf8(raw.key.clone()).unwrap(),
            r#"{"keytype":"SCHEMA","subject":"orders-value","version":2,"magic":1}"#
        );
        assert_eq!(
            String::from_utf8(raw.value.clone().unwrap()).unwrap(),
            r#"{"subject":"orders-value","version":2,"id":7,"schema":"{\"type\":\"string\"}","deleted":false}"#
        );
        assert_eq!(Record::decode(&raw), Ok(Some(schema)));

        let delete = Record::DeleteSubject {
            subject: "orders-value".into(),
            version: 2,
        };
        let raw = delete.encode();
        assert_eq!(
            String::from_utf8(raw.key.clone()).unwrap(),
            r#"{"keytype":"DELETE_SUBJECT","subject":"orders-value","magic":0}"#
        );
        assert_eq!(Record::decode(&raw), Ok(Some(delete)));

        let config = Record::Config {
            subject: Some("orders-value".into()),
            level: Some(Compatibility::Full),
        };
        assert!(
            String::from_utf8(config.encode().value.unwrap())
                .unwrap()
                .contains(r#""compatibilityLevel":"FULL""#)
        );
        assert_eq!(Record::decode(&config.encode()), Ok(Some(config)));
        assert_eq!(Record::decode(&Record::Noop.encode()), Ok(Some(Record::Noop)));

        // A tombstone, as Confluent writes for a hard delete.
        let tombstone = RawRecord {
            key: br#"{"keytype":"SCHEMA","subject":"s","version":1,"magic":1}"#.to_vec(),
            value: None,
        };
        assert!(matches!(
            Record::decode(&tombstone),
            Ok(Some(Record::Schema { value: None, .. }))
        ));
        // What it has no use for is skipped; what is not a record is an error, never a panic.
        let mode = RawRecord {
            key: br#"{"keytype":"MODE","subject":"s","magic":0}"#.to_vec(),
            value: Some(br#"{"mode":"READONLY"}"#.to_vec()),
        };
        assert_eq!(Record::decode(&mode), Ok(None));
        for key in [&b"\xff\xfe"[..], b"[]", b"{\"keytype\":\"SCHEMA\"}"] {
            let raw = RawRecord {
                key: key.to_vec(),
                value: Some(b"{}".to_vec()),
            };
            assert!(Record::decode(&raw).is_err(), "{raw:?}");
        }
    }

    #[test]
    fn a_memory_journal_reads_each_record_once() {
        let mut journal = MemoryJournal::new();
        let mut other = journal.clone();
        let a = journal.append(&Record::Noop.encode()).unwrap();
        assert_eq!(journal.read_through(a).unwrap().len(), 1);
        assert_eq!(journal.read_through(a).unwrap().len(), 0);
        let b = other.append(&Record::Noop.encode()).unwrap();
        assert_eq!(
            other.read_through(b).unwrap().len(),
            2,
            "a clone starts from the beginning"
        );
        assert_eq!(journal.read_through(b).unwrap().len(), 1);
    }
}
