//! Splitting a SQL file into statements without parsing them: `;` ends a statement unless it
//! is inside a string, a quoted identifier, a comment, or a statement set (`EXECUTE STATEMENT
//! SET BEGIN ... END;` and `BEGIN STATEMENT SET; ... END;`).

use pipegen_diag::Position;

/// One statement's text and where it starts in the file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RawStatement {
    /// From the first token to the end, without the terminating `;`.
    pub text: String,
    /// Byte offset of `text` in the file.
    pub offset: usize,
    pub position: Position,
}

/// Something left open at the end of the file.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{what} is never closed")]
pub struct SplitError {
    pub what: &'static str,
    /// Where it was opened.
    pub position: Position,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum State {
    Normal,
    Quoted(char),
    LineComment,
    BlockComment,
}

pub fn split_statements(source: &str) -> Result<Vec<RawStatement>, SplitError> {
    let mut statements = Vec::new();
    let mut splitter = Splitter::default();
    let mut state = State::Normal;
    let mut opened_at = 0;
    let mut chars = source.char_indices().peekable();
    while let Some((i, c)) = chars.next() {
        match state {
            State::Quoted(quote) => {
                if c == quote {
                    // A doubled quote is an escaped quote, not the end.
                    if chars.peek().map(|&(_, n)| n) == Some(quote) {
                        chars.next();
                    } else {
                        state = State::Normal;
                    }
                }
            }
            State::LineComment => {
                if c == '\n' {
                    state = State::Normal;
                }
            }
            State::BlockComment => {
                if c == '*' && chars.peek().map(|&(_, n)| n) == Some('/') {
                    chars.next();
                    state = State::Normal;
                }
            }
            State::Normal => match c {
                '\'' | '"' | '`' => {
                    splitter.token_at(i);
                    splitter.end_word(source, i);
                    state = State::Quoted(c);
                    opened_at = i;
                }
                '-' if chars.peek().map(|&(_, n)| n) == Some('-') => {
                    splitter.end_word(source, i);
                    state = State::LineComment;
                }
                '/' if chars.peek().map(|&(_, n)| n) == Some('*') => {
                    splitter.end_word(source, i);
                    chars.next();
                    state = State::BlockComment;
                    opened_at = i;
                }
                ';' => {
                    splitter.end_word(source, i);
                    if splitter.ends_here() {
                        if let Some(statement) = splitter.take(source, i) {
                            statements.push(statement);
                        }
                    } else {
                        splitter.token_at(i);
                    }
                }
                c if c.is_whitespace() => splitter.end_word(source, i),
                c => {
                    splitter.token_at(i);
                    if c.is_alphanumeric() || c == '_' {
                        splitter.word_char(i);
                    } else {
                        splitter.end_word(source, i);
                    }
                }
            },
        }
    }
    match state {
        State::Quoted(q) => {
            let what = match q {
                '\'' => "a string literal",
                '"' => "a \"quoted\" identifier",
                _ => "a `quoted` identifier",
            };
            return Err(SplitError {
                what,
                position: Position::of_offset(source, opened_at),
            });
        }
        State::BlockComment => {
            return Err(SplitError {
                what: "a /* comment",
                position: Position::of_offset(source, opened_at),
            });
        }
        _ => {}
    }
    splitter.end_word(source, source.len());
    if let Some(statement) = splitter.take(source, source.len()) {
        statements.push(statement);
    }
    Ok(statements)
}

/// The statement being collected.
#[derive(Default)]
struct Splitter {
    /// Byte offset of its first token.
    start: Option<usize>,
    /// The start of the word being read.
    word_start: Option<usize>,
    /// The first four words, upper-cased, to recognise a statement set.
    leading_words: Vec<String>,
    last_word: String,
}

impl Splitter {
    fn token_at(&mut self, i: usize) {
        self.start.get_or_insert(i);
    }

    fn word_char(&mut self, i: usize) {
        self.word_start.get_or_insert(i);
    }

    fn end_word(&mut self, source: &str, i: usize) {
        if let Some(start) = self.word_start.take() {
            let word = source[start..i].to_ascii_uppercase();
            if self.leading_words.len() < 4 {
                self.leading_words.push(word.clone());
            }
            self.last_word = word;
        }
    }

    /// A `;` ends the statement unless a statement set is open and its `END` not yet seen.
    fn ends_here(&self) -> bool {
        let words: Vec<&str> = self.leading_words.iter().map(String::as_str).collect();
        let in_set = words.starts_with(&["EXECUTE", "STATEMENT", "SET", "BEGIN"])
            || words.starts_with(&["BEGIN", "STATEMENT", "SET"]);
        !in_set || self.last_word == "END"
    }

    fn take(&mut self, source: &str, end: usize) -> Option<RawStatement> {
        let start = self.start.take()?;
        let text = source[start..end].trim_end();
        let statement = RawStatement {
            text: text.to_owned(),
            offset: start,
            position: Position::of_offset(source, start),
        };
        *self = Splitter::default();
        Some(statement)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn texts(source: &str) -> Vec<String> {
        split_statements(source).unwrap().into_iter().map(|s| s.text).collect()
    }

    #[test]
    fn splits_on_semicolons_outside_strings_and_comments() {
        let source =
            "-- intro; not a split\nSELECT 'a;b' AS `x;y`, \"q;\" FROM t; /* c; */ INSERT INTO u SELECT 1;\n\n";
        assert_eq!(
            texts(source),
            ["SELECT 'a;b' AS `x;y`, \"q;\" FROM t", "INSERT INTO u SELECT 1"]
        );
    }

    #[test]
    fn keeps_doubled_quotes_and_trailing_statement() {
        assert_eq!(
            texts("SELECT 'it''s; fine'; SELECT 2"),
            ["SELECT 'it''s; fine'", "SELECT 2"]
        );
    }

    #[test]
    fn positions_point_at_the_first_token() {
        let statements = split_statements("\n-- c\n  SELECT 1;\n\n   /* x */ SELECT\n 2;").unwrap();
        assert_eq!(statements[0].position, Position::new(3, 3));
        assert_eq!(statements[1].position, Position::new(5, 12));
        assert_eq!(statements[1].text, "SELECT\n 2");
    }

    #[test]
    fn statement_sets_are_one_statement() {
        let source = "EXECUTE STATEMENT SET BEGIN\nINSERT INTO a SELECT 1;\nINSERT INTO b SELECT 2;\nEND;\nSELECT 3;\
                      BEGIN STATEMENT SET;\nINSERT INTO c SELECT 4;\nEND;";
        let texts = texts(source);
        assert_eq!(texts.len(), 3, "{texts:?}");
        assert!(texts[0].starts_with("EXECUTE") && texts[0].ends_with("END"));
        assert!(texts[2].starts_with("BEGIN STATEMENT SET;") && texts[2].ends_with("END"));
    }

    #[test]
    fn comment_only_input_has_no_statements() {
        assert!(texts("-- nothing\n/* here */ ;;  ").is_empty());
    }

    #[test]
    fn unclosed_things_are_reported_where_they_open() {
        let err = split_statements("SELECT 1;\nSELECT 'oops").unwrap_err();
        assert_eq!((err.what, err.position), ("a string literal", Position::new(2, 8)));
        let err = split_statements("SELECT /* open").unwrap_err();
        assert_eq!(err.position, Position::new(1, 8));
    }

    proptest::proptest! {
        #[test]
        fn never_panics_and_offsets_locate_the_text(source in "\\PC{0,200}") {
            if let Ok(statements) = split_statements(&source) {
                let mut last = 0;
                for s in statements {
                    proptest::prop_assert!(s.offset >= last);
                    proptest::prop_assert!(source[s.offset..].starts_with(&s.text));
                    proptest::prop_assert_eq!(s.position, Position::of_offset(&source, s.offset));
                    last = s.offset + s.text.len();
                }
            }
        }

        #[test]
        fn sql_like_fragments_never_panic(parts in proptest::collection::vec(
            proptest::sample::select(vec!["SELECT", " ", ";", "'", "''", "\"", "`", "--", "\n", "/*", "*/", "BEGIN", "STATEMENT", "SET", "END", "EXECUTE", "x", "1"]),
            0..60,
        )) {
            let source: String = parts.concat();
            let _ = split_statements(&source);
        }
    }
}
