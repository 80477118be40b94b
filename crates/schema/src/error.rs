use std::path::PathBuf;

use pipegen_diag::input::InputError;
use pipegen_diag::{Diagnostic, Position};

/// A problem in an AVRO schema file.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct SchemaError {
    pub path: PathBuf,
    pub message: String,
    pub position: Option<Position>,
    pub hint: Option<String>,
    /// The offending line's text, when the position is known.
    pub source_line: Option<String>,
}

impl SchemaError {
    pub(crate) fn new(path: impl Into<PathBuf>, message: impl Into<String>) -> Self {
        Self {
            path: path.into(),
            message: message.into(),
            position: None,
            hint: None,
            source_line: None,
        }
    }

    pub(crate) fn at(mut self, position: Option<Position>, text: &str) -> Self {
        self.position = position;
        self.source_line = position.and_then(|p| text.lines().nth(p.line.saturating_sub(1)).map(str::to_owned));
        self
    }

    pub(crate) fn with_hint(mut self, hint: impl Into<String>) -> Self {
        self.hint = Some(hint.into());
        self
    }
}

impl From<InputError> for SchemaError {
    fn from(error: InputError) -> Self {
        let hint = error.hint();
        SchemaError::new(&error.path, error.to_string()).with_hint(hint)
    }
}

impl From<&SchemaError> for Diagnostic {
    fn from(error: &SchemaError) -> Self {
        let mut d = Diagnostic::error(&error.message).in_file(&error.path);
        d.position = error.position;
        d.source_line = error.source_line.clone();
        d.hint = error.hint.clone();
        d
    }
}

/// A problem reading or inferring a CSV file.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct CsvError {
    pub path: PathBuf,
    pub message: String,
    /// 1-based line in the file.
    pub line: Option<u64>,
    pub hint: Option<String>,
}

impl From<InputError> for CsvError {
    fn from(error: InputError) -> Self {
        CsvError {
            path: error.path.clone(),
            message: error.to_string(),
            line: None,
            hint: Some(error.hint()),
        }
    }
}

impl From<&CsvError> for Diagnostic {
    fn from(error: &CsvError) -> Self {
        let mut d = Diagnostic::error(&error.message).in_file(&error.path);
        if let Some(line) = error.line {
            d.position = Some(Position::new(usize::try_from(line).unwrap_or(usize::MAX), 1));
        }
        d.hint = error.hint.clone();
        d
    }
}
