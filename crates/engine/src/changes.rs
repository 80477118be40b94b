//! The unit every operator passes on: rows, each with a kind saying what it does to the table
//! the stream describes (Flink's changelog: `+I`, `-U`, `+U`, `-D`).

use datafusion::arrow::record_batch::RecordBatch;

/// What a changelog row does to the table it describes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RowKind {
    Insert,
    UpdateBefore,
    UpdateAfter,
    Delete,
}

impl RowKind {
    /// Flink's short form: `+I`, `-U`, `+U`, `-D`.
    pub fn short(self) -> &'static str {
        match self {
            RowKind::Insert => "+I",
            RowKind::UpdateBefore => "-U",
            RowKind::UpdateAfter => "+U",
            RowKind::Delete => "-D",
        }
    }

    /// Whether the row takes an earlier row back.
    pub fn is_retraction(self) -> bool {
        matches!(self, RowKind::UpdateBefore | RowKind::Delete)
    }
}

/// Rows and their kinds; `kinds` is `None` when every row is an insertion (append-only
/// streams pay nothing for the changelog).
#[derive(Debug, Clone)]
pub struct Changes {
    pub rows: RecordBatch,
    pub kinds: Option<Vec<RowKind>>,
    /// The watermark each row met when it arrived, where event time moves within the batch:
    /// set by the merge of a source's partitions, for the operators that judge lateness per
    /// row as Flink does (window assignment); `None` elsewhere.
    pub met: Option<Vec<i64>>,
}

impl Changes {
    pub fn inserts(rows: RecordBatch) -> Self {
        Self {
            rows,
            kinds: None,
            met: None,
        }
    }

    pub fn new(rows: RecordBatch, kinds: Option<Vec<RowKind>>) -> Self {
        Self { rows, kinds, met: None }
    }

    pub fn kind(&self, row: usize) -> RowKind {
        self.kinds.as_ref().map_or(RowKind::Insert, |kinds| kinds[row])
    }

    /// The rows at `indices`, with their kinds and watermarks.
    pub fn take(&self, indices: &[u32]) -> Result<Changes, datafusion::arrow::error::ArrowError> {
        let rows = datafusion::arrow::compute::take_record_batch(
            &self.rows,
            &datafusion::arrow::array::UInt32Array::from(indices.to_vec()),
        )?;
        Ok(Changes {
            rows,
            kinds: self.kinds.as_deref().map(|kinds| pick(kinds, indices)),
            met: self.met.as_deref().map(|met| pick(met, indices)),
        })
    }
}

fn pick<T: Copy>(all: &[T], indices: &[u32]) -> Vec<T> {
    indices.iter().map(|i| all[*i as usize]).collect()
}
