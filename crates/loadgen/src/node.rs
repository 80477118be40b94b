//! The compiled schema: each node knows its AVRO shape (for the writers) and how to draw a
//! value for it (for the generator).

use std::sync::Arc;

use serde_json::Value;

pub(crate) struct Node {
    pub kind: Kind,
    pub strategy: Strategy,
}

pub(crate) struct Field {
    pub name: String,
    pub node: Node,
    /// A top-level field whose value is drawn once per value of this earlier field (`per`).
    pub per: Option<usize>,
}

pub(crate) enum Kind {
    Null,
    Boolean,
    Int,
    Long,
    Float,
    Double,
    Bytes,
    String,
    Record {
        fields: Vec<Field>,
    },
    Enum {
        symbols: Vec<String>,
    },
    Array(Box<Node>),
    Map(Box<Node>),
    Union {
        branches: Vec<Node>,
        null_branch: Option<usize>,
        null_probability: f64,
    },
    Fixed {
        size: usize,
    },
    Decimal {
        precision: u32,
        scale: u32,
        fixed: Option<usize>,
    },
    Uuid,
    Date,
    TimeMillis,
    TimeMicros,
    Timestamp {
        micros: bool,
        local: bool,
    },
    Duration,
}

/// How values are drawn.
pub(crate) enum Strategy {
    /// Uniform over the kind's natural range (see `generate`).
    Plain,
    /// One of these (JSON values from `options` hints, or realistic lists).
    Options(Arc<[Value]>),
    /// Numbers in `[min, max)`, or sizes of strings, bytes, arrays and maps.
    Range {
        min: f64,
        max: f64,
        distribution: Distribution,
    },
    /// Amounts with two decimals between `min` and `max`, skewed to small ones as prices are.
    Money { min: f64, max: f64 },
    /// `start`, `start + step`, ... (counter `id` in the generator).
    Sequence { start: f64, step: f64, id: usize },
    /// Realistic text sampled from a pool filled by the faker.
    Pool(Arc<[Arc<str>]>),
    /// Keys from a bounded space: `1..=space`, or `PREFIX-000123` for strings.
    Key {
        space: u64,
        distribution: Distribution,
        prefix: Option<Arc<str>>,
    },
    /// The record's intended send time (event time).
    EventTime,
    /// Values of another table's field: a member of `domain` with probability `hit_ratio`,
    /// else one outside it.
    Reference {
        domain: Arc<crate::references::KeyDomain>,
        hit_ratio: f64,
    },
    /// A value the caller gives for each record: the leader's value a follower carries, a
    /// dimension row's key.
    Given,
}

#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Distribution {
    Uniform,
    /// Centred in the range, 99.7% of draws inside it.
    Normal,
    /// Rank-frequency (hot keys): precomputed cumulative weights over the key space.
    Zipf(Arc<[f64]>),
}
