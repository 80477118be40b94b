//! Diagnostics: what went wrong, where (file, line, column) and what to do about it.
//!
//! Libraries keep their own typed errors and convert them into a [`Diagnostic`] at the edge, so
//! that the binary renders every problem the same way, with the offending line and a hint.

pub mod input;

use std::fmt;
use std::path::{Path, PathBuf};

/// A 1-based line and column in a source file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Position {
    pub line: usize,
    pub column: usize,
}

impl Position {
    pub fn new(line: usize, column: usize) -> Self {
        Self { line, column }
    }

    /// The position of byte `offset` in `text`.
    pub fn of_offset(text: &str, offset: usize) -> Self {
        let offset = offset.min(text.len());
        let before = &text[..floor_char_boundary(text, offset)];
        let line = before.matches('\n').count() + 1;
        let line_start = before.rfind('\n').map_or(0, |i| i + 1);
        let column = before[line_start..].chars().count() + 1;
        Self { line, column }
    }
}

fn floor_char_boundary(text: &str, mut offset: usize) -> usize {
    while !text.is_char_boundary(offset) {
        offset -= 1;
    }
    offset
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Severity {
    Error,
    Warning,
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Severity::Error => "error",
            Severity::Warning => "warning",
        })
    }
}

/// One problem found in the user's input.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    pub severity: Severity,
    pub message: String,
    pub file: Option<PathBuf>,
    pub position: Option<Position>,
    /// The text of the offending line, shown under the message with a caret.
    pub source_line: Option<String>,
    pub hint: Option<String>,
}

impl Diagnostic {
    pub fn error(message: impl Into<String>) -> Self {
        Self {
            severity: Severity::Error,
            message: message.into(),
            file: None,
            position: None,
            source_line: None,
            hint: None,
        }
    }

    pub fn warning(message: impl Into<String>) -> Self {
        Self {
            severity: Severity::Warning,
            ..Self::error(message)
        }
    }

    /// The same finding, as a warning (it does not fail a check).
    pub fn into_warning(mut self) -> Self {
        self.severity = Severity::Warning;
        self
    }

    pub fn in_file(mut self, file: impl AsRef<Path>) -> Self {
        self.file = Some(file.as_ref().to_path_buf());
        self
    }

    pub fn at(mut self, position: Position) -> Self {
        self.position = Some(position);
        self
    }

    /// Points at `position` and quotes its line from `source`.
    pub fn at_in(mut self, position: Position, source: &str) -> Self {
        self.source_line = source.lines().nth(position.line.saturating_sub(1)).map(str::to_owned);
        self.position = Some(position);
        self
    }

    pub fn with_hint(mut self, hint: impl Into<String>) -> Self {
        self.hint = Some(hint.into());
        self
    }

    /// `file:line:col` (as much of it as is known), for the head of the message.
    pub fn location(&self) -> Option<String> {
        let file = self.file.as_ref().map(|f| f.display().to_string());
        match (file, self.position) {
            (Some(f), Some(p)) => Some(format!("{f}:{}:{}", p.line, p.column)),
            (Some(f), None) => Some(f),
            (None, Some(p)) => Some(format!("line {}, column {}", p.line, p.column)),
            (None, None) => None,
        }
    }
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.location() {
            Some(loc) => write!(f, "{loc}: {}: {}", self.severity, self.message)?,
            None => write!(f, "{}: {}", self.severity, self.message)?,
        }
        if let (Some(line), Some(pos)) = (&self.source_line, self.position) {
            let number = pos.line.to_string();
            let pad = " ".repeat(number.len());
            let (text, column) = window(line, pos.column);
            let caret_pad: String = text
                .chars()
                .take(column.saturating_sub(1))
                .map(|c| if c == '\t' { '\t' } else { ' ' })
                .collect();
            write!(f, "\n {pad} |\n {number} | {text}\n {pad} | {caret_pad}^")?;
        }
        if let Some(hint) = &self.hint {
            write!(f, "\n  hint: {hint}")?;
        }
        Ok(())
    }
}

impl std::error::Error for Diagnostic {}

/// The longest source line quoted whole, in characters.
const QUOTED_WIDTH: usize = 120;

/// A line longer than [`QUOTED_WIDTH`] cut to the part around `column` (a file of one huge
/// line would otherwise be printed whole), with the column in what is shown.
fn window(line: &str, column: usize) -> (String, usize) {
    let length = line.chars().count();
    if length <= QUOTED_WIDTH {
        return (line.to_owned(), column);
    }
    let end = (column.saturating_sub(1) + QUOTED_WIDTH / 2).clamp(QUOTED_WIDTH, length);
    let start = end - QUOTED_WIDTH;
    let mut shown = String::new();
    if start > 0 {
        shown.push('…');
    }
    shown.extend(line.chars().skip(start).take(QUOTED_WIDTH));
    if end < length {
        shown.push('…');
    }
    (shown, column - start + usize::from(start > 0))
}

/// The closest candidate to `word`, when it is close enough to be what the user meant.
pub fn did_you_mean<'a>(word: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    let word_lower = word.to_ascii_lowercase();
    candidates
        .into_iter()
        .map(|c| (c, edit_distance(&word_lower, &c.to_ascii_lowercase())))
        .filter(|(c, d)| *d <= (c.len().max(word.len()) / 3).max(1))
        .min_by_key(|(_, d)| *d)
        .map(|(c, _)| c)
}

/// Levenshtein distance (small inputs only: keys and identifiers).
fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut previous: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut current = vec![i + 1; b.len() + 1];
        for (j, cb) in b.iter().enumerate() {
            let substitution = previous[j] + usize::from(ca != *cb);
            current[j + 1] = substitution.min(previous[j + 1] + 1).min(current[j] + 1);
        }
        previous = current;
    }
    previous[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn position_of_offset_counts_lines_and_chars() {
        let text = "ab\ncdé\nf";
        assert_eq!(Position::of_offset(text, 0), Position::new(1, 1));
        assert_eq!(Position::of_offset(text, 3), Position::new(2, 1));
        assert_eq!(Position::of_offset(text, 8), Position::new(3, 1));
        assert_eq!(Position::of_offset(text, 100), Position::new(3, 2));
    }

    #[test]
    fn renders_location_line_caret_and_hint() {
        let src = "SELECT 1;\nSELEC x FROM t;\n";
        let d = Diagnostic::error("unexpected word")
            .in_file("sql/03.sql")
            .at_in(Position::new(2, 7), src)
            .with_hint("check the spelling");
        let shown = d.to_string();
        assert!(shown.starts_with("sql/03.sql:2:7: error: unexpected word"), "{shown}");
        assert!(shown.contains(" 2 | SELEC x FROM t;"), "{shown}");
        assert!(shown.contains("   |       ^"), "{shown}");
        assert!(shown.ends_with("hint: check the spelling"), "{shown}");
    }

    #[test]
    fn quotes_only_the_part_of_a_long_line_around_the_column() {
        let line = format!("{}X{}", "a".repeat(5000), "b".repeat(5000));
        let d = Diagnostic::error("here").at_in(Position::new(1, 5001), &line);
        let shown = d.to_string();
        let quoted = shown.lines().nth(2).unwrap();
        assert!(
            quoted.starts_with(" 1 | …a") && quoted.ends_with("b…") && quoted.contains('X'),
            "{quoted}"
        );
        let caret = shown.lines().nth(3).unwrap();
        assert_eq!(caret.find('^'), quoted.find('X').map(|i| i - "…".len() + 1), "{shown}");
        let d = Diagnostic::error("start").at_in(Position::new(1, 1), &line);
        assert!(d.to_string().lines().nth(2).unwrap().starts_with(" 1 | aaa"));
    }

    #[test]
    fn suggests_only_close_words() {
        let keys = ["linger_ms", "batch_size", "acks"];
        assert_eq!(did_you_mean("linger_m", keys), Some("linger_ms"));
        assert_eq!(did_you_mean("LINGER_MS", keys), Some("linger_ms"));
        assert_eq!(did_you_mean("compression", keys), None);
    }
}
