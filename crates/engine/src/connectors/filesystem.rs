//! Flink's `filesystem` connector as a bounded source: a file, or every file of a directory
//! (one partition each), in the `csv` or `json` format, read with Arrow's readers.

use std::fs::File;
use std::io::BufReader;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use datafusion::arrow::datatypes::SchemaRef;
use datafusion::error::DataFusionError;
use datafusion::execution::TaskContext;
use datafusion::physical_plan::SendableRecordBatchStream;
use datafusion::physical_plan::stream::RecordBatchStreamAdapter;
use datafusion::physical_plan::streaming::PartitionStream;
use pipegen_sql::CreateTable;

use crate::error::EngineError;

const BATCH_ROWS: usize = 8192;

#[derive(Debug, Clone, PartialEq, Eq)]
enum Format {
    Csv {
        delimiter: u8,
        comments: bool,
        /// The field text read as NULL (`csv.null-literal`); without it no field is NULL, as
        /// in Flink: an empty STRING field is `''` (and an empty number does not parse).
        null_literal: Option<String>,
    },
    Json,
}

/// One file of a filesystem table.
#[derive(Debug)]
pub struct FilePartition {
    schema: SchemaRef,
    path: PathBuf,
    format: Format,
}

/// The partitions of a filesystem table: its file, or the files of its directory in name order
/// (hidden files and Flink's `_`-prefixed ones skipped).
pub fn partitions(table: &CreateTable, schema: &SchemaRef) -> Result<Vec<FilePartition>, EngineError> {
    let invalid = |message: String| EngineError::Invalid(format!("table `{}`: {message}", table.name));
    let path = table
        .option("path")
        .ok_or_else(|| invalid("the filesystem connector needs a 'path'".into()))?;
    let format = match table.format() {
        Some("csv") => {
            let delimiter = match table.option("csv.field-delimiter") {
                None => b',',
                Some(d) if d.len() == 1 => d.as_bytes()[0],
                Some("\\t") => b'\t',
                Some(other) => {
                    return Err(invalid(format!(
                        "'csv.field-delimiter' = '{other}' is not one character"
                    )));
                }
            };
            Format::Csv {
                delimiter,
                comments: table.option("csv.allow-comments") == Some("true"),
                null_literal: table.option("csv.null-literal").map(str::to_owned),
            }
        }
        Some("json") => Format::Json,
        Some(other) => {
            return Err(EngineError::unsupported(format!(
                "the '{other}' format on the filesystem connector (csv and json run)"
            )));
        }
        None => return Err(invalid("the filesystem connector needs a 'format'".into())),
    };
    let path = Path::new(path.strip_prefix("file://").unwrap_or(path));
    let files = if path.is_dir() {
        let mut files: Vec<PathBuf> = std::fs::read_dir(path)
            .map_err(|e| invalid(format!("cannot list {}: {e}", path.display())))?
            .filter_map(|entry| entry.ok().map(|e| e.path()))
            .filter(|p| {
                p.is_file()
                    && p.file_name()
                        .and_then(|n| n.to_str())
                        .is_some_and(|n| !n.starts_with('.') && !n.starts_with('_'))
            })
            .collect();
        files.sort();
        files
    } else if path.is_file() {
        vec![path.to_path_buf()]
    } else {
        return Err(invalid(format!("'path' = '{}' does not exist", path.display())));
    };
    Ok(files
        .into_iter()
        .map(|path| FilePartition {
            schema: schema.clone(),
            path,
            format: format.clone(),
        })
        .collect())
}

impl PartitionStream for FilePartition {
    fn schema(&self) -> &SchemaRef {
        &self.schema
    }

    fn execute(&self, _ctx: Arc<TaskContext>) -> SendableRecordBatchStream {
        let path = self.path.clone();
        let at_file = move |e: datafusion::arrow::error::ArrowError| {
            DataFusionError::External(Box::new(EngineError::Invalid(format!("{}: {e}", path.display()))))
        };
        let batches: Vec<Result<_, DataFusionError>> = match File::open(&self.path) {
            Err(e) => vec![Err(DataFusionError::External(Box::new(EngineError::Invalid(format!(
                "cannot read {}: {e}",
                self.path.display()
            )))))],
            Ok(file) => {
                let reader = BufReader::new(file);
                let read: Result<Vec<_>, _> = match &self.format {
                    Format::Csv {
                        delimiter,
                        comments,
                        null_literal,
                    } => {
                        let nulls = match null_literal {
                            Some(literal) => format!("^{}$", regex::escape(literal)),
                            // Matches no text.
                            None => "[^\\s\\S]".to_owned(),
                        };
                        let nulls = regex::Regex::new(&nulls).expect("an escaped literal is a regex");
                        let mut builder = datafusion::arrow::csv::ReaderBuilder::new(self.schema.clone())
                            .with_header(false)
                            .with_delimiter(*delimiter)
                            .with_null_regex(nulls)
                            .with_batch_size(BATCH_ROWS);
                        if *comments {
                            builder = builder.with_comment(b'#');
                        }
                        builder.build(reader).and_then(|r| r.collect())
                    }
                    Format::Json => datafusion::arrow::json::ReaderBuilder::new(self.schema.clone())
                        .with_batch_size(BATCH_ROWS)
                        .build(reader)
                        .and_then(|r| r.collect()),
                };
                match read {
                    Ok(batches) => batches.into_iter().map(Ok).collect(),
                    Err(e) => vec![Err(at_file(e))],
                }
            }
        };
        Box::pin(RecordBatchStreamAdapter::new(
            self.schema.clone(),
            futures::stream::iter(batches),
        ))
    }
}
