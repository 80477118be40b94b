//! Records as the log holds them: shared, never copied between producer and consumers.

use bytes::Bytes;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Record {
    pub key: Option<Bytes>,
    pub value: Bytes,
    /// Milliseconds since the epoch (the producer's create time).
    pub timestamp_ms: i64,
    pub headers: Vec<(String, Bytes)>,
}

impl Record {
    pub fn new(key: Option<Bytes>, value: Bytes, timestamp_ms: i64) -> Self {
        Self {
            key,
            value,
            timestamp_ms,
            headers: Vec::new(),
        }
    }

    /// What the record weighs against retention by size (as Kafka counts: payload and headers).
    pub fn size(&self) -> u64 {
        let headers: usize = self.headers.iter().map(|(k, v)| k.len() + v.len()).sum();
        (self.key.as_ref().map_or(0, Bytes::len) + self.value.len() + headers) as u64
    }
}

/// A record read back, with where it sits.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fetched {
    pub partition: u32,
    pub offset: u64,
    pub record: std::sync::Arc<Record>,
}
