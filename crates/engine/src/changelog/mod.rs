//! Operators whose results change as rows arrive: non-windowed aggregations, joins, Top-N and
//! deduplication, and the normalization of upsert sources. Their output is a changelog, as in
//! Flink: every row carries a kind (`+I`, `-U`, `+U`, `-D`), and a sink either takes updates
//! (upsert-kafka, print, the SQL client) or refuses the query at deploy time. The graph they
//! run in is built in [`crate::graph`].

pub mod aggregate;
mod interval;
pub mod join;
mod keys;
pub mod not_in;
pub mod over;
pub mod rank;
pub mod rowtime_first;
pub mod semi;
pub mod set_all;
pub mod temporal;
pub mod temporal_sort;
pub mod upsert;

use std::time::Duration;

use crate::options::SessionOptions;

/// What the stateful operators are configured with.
#[derive(Debug, Clone, Copy, Default)]
pub struct StateConfig {
    /// `table.exec.state.ttl`: state untouched this long is dropped (Flink's idle state
    /// retention); `None` keeps state forever.
    pub ttl: Option<Duration>,
    /// The sources' out-of-orderness (the largest WATERMARK delay of the tables a query
    /// reads), when they all declare one: interval joins let go of rows the watermark passed.
    pub watermark_delay_ms: Option<i64>,
    /// `flink.parallelism`: instances of each keyed operator (0 and 1 mean one).
    pub parallelism: usize,
}

impl StateConfig {
    pub fn new(options: &SessionOptions, watermark_delay_ms: Option<i64>, parallelism: usize) -> Self {
        Self {
            ttl: options.state_ttl,
            watermark_delay_ms,
            parallelism,
        }
    }
}
