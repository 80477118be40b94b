//! A bare query's result printed as it comes: rows of a result that only grows are written as
//! they arrive (a query over an unbounded source prints until stopped); a result that updates
//! is kept, within the engine's memory budget, and printed once final, unless the changelog
//! itself is asked for.

use std::io::Write;

use datafusion::arrow::record_batch::RecordBatch;

use crate::changes::{Changes, RowKind};
use crate::error::EngineError;
use crate::render;
use crate::sink::{Collect, TableSink};

/// How a query's result is shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ResultFormat {
    /// A boxed table, as Flink's SQL client's tableau mode shows it.
    Table,
    /// One JSON object per row.
    Json,
    /// Every change with its row kind (`+I[...]`, `-U[...]`).
    Changelog,
}

pub struct ResultPrinter {
    format: ResultFormat,
    out: Box<dyn Write + Send>,
    /// Set when the result updates and is shown whole at the end.
    kept: Option<Collect>,
    /// A streamed table's column widths, once its header is out.
    widths: Option<Vec<usize>>,
    rows: usize,
}

impl ResultPrinter {
    pub fn new(format: ResultFormat, out: Box<dyn Write + Send>) -> Self {
        Self {
            format,
            out,
            kept: None,
            widths: None,
            rows: 0,
        }
    }

    fn print(&mut self, text: &str) {
        // A closed output (a pager quit) ends printing, not the query.
        let _ = self.out.write_all(text.as_bytes());
        let _ = self.out.flush();
    }

    fn stream_table(&mut self, batch: &RecordBatch) -> Result<String, EngineError> {
        let batches = std::slice::from_ref(batch);
        let cells = render::table_cells(batches)?;
        let mut text = String::new();
        let widths = match &mut self.widths {
            Some(widths) => widths,
            None => {
                let header = render::names(batches);
                let widths = render::column_widths(&header, &cells);
                text.push_str(&render::table_rule(&widths));
                text.push_str(&render::table_line(&header, &widths));
                text.push_str(&render::table_rule(&widths));
                self.widths.insert(widths)
            }
        };
        for row in &cells {
            // A later, wider value widens its column from here on.
            for (width, cell) in widths.iter_mut().zip(row) {
                *width = (*width).max(cell.chars().count());
            }
            text.push_str(&render::table_line(row, widths));
        }
        Ok(text)
    }
}

impl TableSink for ResultPrinter {
    fn begin(&mut self, updating: bool) {
        if updating && self.format != ResultFormat::Changelog {
            self.kept = Some(Collect::default());
        }
    }

    fn held_bytes(&self) -> usize {
        self.kept.as_ref().map_or(0, Collect::held_bytes)
    }

    fn write(&mut self, batch: &RecordBatch, kinds: Option<&[RowKind]>) -> Result<(), EngineError> {
        if let Some(kept) = &mut self.kept {
            return kept.write(batch, kinds);
        }
        if batch.num_rows() == 0 {
            return Ok(());
        }
        self.rows += batch.num_rows();
        let text = match self.format {
            ResultFormat::Changelog => {
                render::changelog(&[Changes::new(batch.clone(), kinds.map(<[RowKind]>::to_vec))])?
            }
            ResultFormat::Json => render::json_lines(std::slice::from_ref(batch))?,
            ResultFormat::Table => self.stream_table(batch)?,
        };
        self.print(&text);
        Ok(())
    }

    fn finish(&mut self) -> Result<(), EngineError> {
        let text = match self.kept.take() {
            Some(kept) => {
                let changes = std::mem::take(&mut *kept.0.lock().map_err(|_| EngineError::Invalid("poisoned".into()))?);
                let rows = render::materialize(&changes)?;
                match self.format {
                    ResultFormat::Json => render::json_lines(&rows)?,
                    _ => render::table(&rows)?,
                }
            }
            None => match (&self.widths, self.format) {
                (Some(widths), ResultFormat::Table) => {
                    format!("{}{}", render::table_rule(widths), render::rows_in_set(self.rows))
                }
                (None, ResultFormat::Table) => "Empty set\n".to_owned(),
                _ => String::new(),
            },
        };
        self.print(&text);
        Ok(())
    }
}
