use std::path::PathBuf;

use pipegen_diag::{Diagnostic, Position};

/// A statement that does not parse, located in its file.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct SqlError {
    pub path: PathBuf,
    pub message: String,
    pub position: Position,
    pub hint: Option<String>,
    /// The text of the offending line.
    pub source_line: Option<String>,
}

impl From<&SqlError> for Diagnostic {
    fn from(error: &SqlError) -> Self {
        let mut d = Diagnostic::error(&error.message)
            .in_file(&error.path)
            .at(error.position);
        d.source_line = error.source_line.clone();
        d.hint = error.hint.clone();
        d
    }
}

/// A parser error at a token's location, in the form sqlparser writes (and [`humanize`] reads).
pub(crate) fn error_at(
    message: impl std::fmt::Display,
    at: sqlparser::tokenizer::Location,
) -> sqlparser::parser::ParserError {
    sqlparser::parser::ParserError::ParserError(format!("{message} at Line: {}, Column: {}", at.line, at.column))
}

/// sqlparser's messages, in the form "Expected: X, found: Y at Line: 1, Column: 5", made to read
/// like a compiler's, with the position taken out.
pub(crate) fn humanize(raw: &str) -> (String, Option<(u64, u64)>) {
    let raw = raw
        .trim_start_matches("sql parser error: ")
        .trim_start_matches("sql tokenizer error: ");
    let (message, location) = match raw.rfind(" at Line: ") {
        Some(at) => (&raw[..at], parse_location(&raw[at + " at Line: ".len()..])),
        None => (raw, None),
    };
    let message = match message
        .strip_prefix("Expected: ")
        .and_then(|m| m.split_once(", found: "))
    {
        Some((expected, found)) => format!("expected {expected}, found `{found}`"),
        None => message.to_owned(),
    };
    (message, location)
}

fn parse_location(text: &str) -> Option<(u64, u64)> {
    let (line, column) = text.split_once(", Column: ")?;
    let column: String = column.chars().take_while(char::is_ascii_digit).collect();
    Some((line.trim().parse().ok()?, column.parse().ok()?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rewrites_sqlparser_messages() {
        assert_eq!(
            humanize("sql parser error: Expected: ), found: src at Line: 3, Column: 107"),
            ("expected ), found `src`".to_owned(), Some((3, 107)))
        );
        assert_eq!(
            humanize("unknown type `STRNG`"),
            ("unknown type `STRNG`".to_owned(), None)
        );
    }
}
