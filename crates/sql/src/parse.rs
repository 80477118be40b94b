//! Parsing statements into the typed model. Queries and expressions go to sqlparser (with the
//! Flink dialect); the statements Flink shapes differently (CREATE TABLE, CREATE VIEW, SET,
//! statement sets, INSERT) are read here token by token, with sqlparser parsing the pieces.

use std::path::Path;

use pipegen_diag::Position;
use sqlparser::ast::ObjectName;
use sqlparser::keywords::Keyword;
use sqlparser::parser::{Parser, ParserError};
use sqlparser::tokenizer::{Location, Token, Tokenizer};

use crate::dialect::FlinkDialect;
use crate::error::{SqlError, error_at, humanize};
use crate::hints::{Hint, read_hints};
use crate::limits;
use crate::model::{
    self, Column, ColumnKind, CreateTable, CreateView, Insert, ParsedStatement, SqlFile, Statement, TableOption,
    Watermark,
};
use crate::split::split_statements;
use crate::types::TypeParser;

/// Parses a file, stopping at the first statement that does not parse.
pub fn parse_file(path: &Path, source: &str) -> Result<SqlFile, SqlError> {
    parse_file_all(path, source).map_err(|mut errors| errors.remove(0))
}

/// Parses a file, reporting every statement that does not parse.
pub fn parse_file_all(path: &Path, source: &str) -> Result<SqlFile, Vec<SqlError>> {
    let raw = split_statements(source).map_err(|e| {
        vec![located(
            path,
            source,
            e.to_string(),
            e.position,
            Some("close it, or look for a stray quote".into()),
        )]
    })?;
    let mut statements = Vec::new();
    let mut errors = Vec::new();
    for statement in raw {
        match parse_text(&statement.text) {
            Ok((mut kind, mut hints)) => statements.push(ParsedStatement {
                position: statement.position,
                offset: statement.offset,
                text: statement.text,
                kind: {
                    relocate(&mut kind, statement.position);
                    kind
                },
                hints: {
                    for hint in &mut hints {
                        hint.position = model::file_position(statement.position, hint.position);
                    }
                    hints
                },
            }),
            Err(failure) => {
                let position = failure
                    .location
                    .map_or(statement.position, |l| file_position(statement.position, l));
                errors.push(located(path, source, failure.message, position, failure.hint));
            }
        }
    }
    if errors.is_empty() {
        Ok(SqlFile {
            path: path.to_path_buf(),
            statements,
        })
    } else {
        Err(errors)
    }
}

fn located(path: &Path, source: &str, message: String, position: Position, hint: Option<String>) -> SqlError {
    SqlError {
        path: path.to_path_buf(),
        message,
        source_line: source.lines().nth(position.line.saturating_sub(1)).map(str::to_owned),
        position,
        hint,
    }
}

/// A sqlparser location inside a statement (1-based) → a position in the file.
fn file_position(base: Position, location: Location) -> Position {
    model::file_position(base, position_of(location))
}

pub(crate) fn position_of(location: Location) -> Position {
    Position::new(
        usize::try_from(location.line).unwrap_or(1),
        usize::try_from(location.column).unwrap_or(1),
    )
}

/// Why a statement did not parse; the location is relative to the statement.
struct Failure {
    message: String,
    location: Option<Location>,
    hint: Option<String>,
}

impl Failure {
    fn from_parser(error: ParserError, at: Location) -> Self {
        let raw = match error {
            ParserError::TokenizerError(m) | ParserError::ParserError(m) => m,
            ParserError::RecursionLimitExceeded => "the statement nests too deeply".to_owned(),
        };
        let (message, location) = humanize(&raw);
        let location = location
            .map(|(line, column)| Location { line, column })
            .or((at.line > 0).then_some(at));
        let hint = hint_for(&message);
        Failure {
            message,
            location,
            hint,
        }
    }
}

fn hint_for(message: &str) -> Option<String> {
    if message.contains("unknown type") {
        Some("Flink types: BOOLEAN, INT, BIGINT, DOUBLE, DECIMAL(p, s), STRING, BYTES, DATE, TIMESTAMP(3), TIMESTAMP_LTZ(3), ARRAY<T>, MAP<K, V>, ROW<...>".into())
    } else if message.contains("NOT ENFORCED") {
        Some("Flink does not check primary keys: write PRIMARY KEY (...) NOT ENFORCED".into())
    } else if message.starts_with("expected") {
        Some("check the statement against Flink's SQL syntax near this place".into())
    } else {
        None
    }
}

/// Parses one statement's text (without its `;`).
fn parse_text(text: &str) -> Result<(Statement, Vec<Hint>), Failure> {
    let tokens = Tokenizer::new(&FlinkDialect, text)
        .tokenize_with_location()
        .map_err(|e| Failure {
            message: e.message.clone(),
            location: Some(e.location),
            hint: None,
        })?;
    if tokens.len() > limits::MAX_TOKENS {
        return Err(Failure {
            message: format!("the statement has more than {} tokens", limits::MAX_TOKENS),
            location: None,
            hint: Some("split it into several statements, or views that build on each other".into()),
        });
    }
    let hints = read_hints(&tokens).map_err(|e| Failure {
        message: e.message,
        location: Some(e.location),
        hint: Some(e.hint),
    })?;
    let tokens = crate::match_syntax::move_within(tokens);
    let mut parser = Parser::new(&FlinkDialect).with_tokens_with_locations(tokens.clone());
    let result = StatementParser { p: &mut parser, text }.parse();
    match result {
        Ok(statement) => {
            let next = parser.peek_token();
            if next.token == Token::EOF && limits::too_deep(&statement) {
                Err(Failure {
                    message: format!(
                        "expressions nest more than {} levels deep (a chain of that many operators does)",
                        limits::MAX_EXPR_DEPTH
                    ),
                    location: None,
                    hint: Some("write long OR chains as `x IN (1, 2, 3)`, or compute parts in a view".into()),
                })
            } else if next.token == Token::EOF {
                Ok((statement, hints))
            } else {
                Err(Failure {
                    message: format!("unexpected `{}` after the end of the statement", next.token),
                    location: Some(next.span.start),
                    hint: Some("a `;` may be missing before it".into()),
                })
            }
        }
        Err(e) => {
            let at = parser.peek_token().span.start;
            Err(Failure::from_parser(e, at))
        }
    }
}

struct StatementParser<'a, 'p> {
    p: &'a mut Parser<'p>,
    /// The statement's text, which the tokens' locations refer to.
    text: &'a str,
}

/// A location in `text` (1-based line and column, columns counted in characters) as a byte
/// offset.
fn byte_offset(text: &str, location: Location) -> Option<usize> {
    let line_start = if location.line <= 1 {
        0
    } else {
        let breaks = usize::try_from(location.line - 1).ok()?;
        text.match_indices('\n').nth(breaks - 1).map(|(at, _)| at + 1)?
    };
    let column = usize::try_from(location.column).ok()?.saturating_sub(1);
    let line = &text[line_start..];
    Some(line_start + line.char_indices().nth(column).map_or(line.len(), |(at, _)| at))
}

fn error(message: impl Into<String>) -> ParserError {
    ParserError::ParserError(message.into())
}

/// `cat.db.orders` without quotes.
pub fn object_name(name: &ObjectName) -> String {
    name.0
        .iter()
        .map(|part| part.as_ident().map_or_else(|| part.to_string(), |i| i.value.clone()))
        .collect::<Vec<_>>()
        .join(".")
}

impl StatementParser<'_, '_> {
    fn parse(&mut self) -> Result<Statement, ParserError> {
        let words: Vec<String> = (0..4).map(|n| self.word(n)).collect();
        let first = words[0].as_str();
        match first {
            "CREATE" => {
                let kind_at = if words[1] == "TEMPORARY" { 2 } else { 1 };
                match words[kind_at].as_str() {
                    "TABLE" => self.create_table().map(|t| Statement::CreateTable(Box::new(t))),
                    "VIEW" => self.create_view().map(Statement::CreateView),
                    _ => self.other(),
                }
            }
            "INSERT" => self.insert().map(Statement::Insert),
            "EXECUTE" if words[1] == "STATEMENT" && words[2] == "SET" => self.statement_set(),
            "BEGIN" if words[1] == "STATEMENT" && words[2] == "SET" => self.statement_set(),
            "SET" => self.set(),
            "RESET" => {
                self.p.next_token();
                let key = self.setting_text(&[])?;
                Ok(Statement::Reset { key })
            }
            "SELECT" | "WITH" | "VALUES" => Ok(Statement::Query(self.p.parse_query()?)),
            _ if self.p.peek_token().token == Token::LParen => Ok(Statement::Query(self.p.parse_query()?)),
            _ => self.other(),
        }
    }

    fn other(&mut self) -> Result<Statement, ParserError> {
        Ok(Statement::Other(Box::new(self.p.parse_statement()?)))
    }

    /// The n-th upcoming token as an upper-cased unquoted word, or "".
    fn word(&self, n: usize) -> String {
        match &self.p.peek_nth_token(n).token {
            Token::Word(w) if w.quote_style.is_none() => w.value.to_ascii_uppercase(),
            _ => String::new(),
        }
    }

    fn eat_word(&mut self, word: &str) -> bool {
        if self.word(0) == word {
            self.p.next_token();
            true
        } else {
            false
        }
    }

    fn expect_word(&mut self, word: &str, context: &str) -> Result<(), ParserError> {
        if self.eat_word(word) {
            Ok(())
        } else {
            let found = self.p.peek_token();
            Err(error_at(
                format!("expected {word} {context}, found `{}`", found.token),
                found.span.start,
            ))
        }
    }

    fn expect(&mut self, token: Token, context: &str) -> Result<(), ParserError> {
        let found = self.p.peek_token();
        if found.token == token {
            self.p.next_token();
            Ok(())
        } else {
            Err(error_at(
                format!("expected `{token}` {context}, found `{}`", found.token),
                found.span.start,
            ))
        }
    }

    fn string(&mut self, what: &str) -> Result<String, ParserError> {
        let found = self.p.peek_token();
        match found.token {
            Token::SingleQuotedString(s) => {
                self.p.next_token();
                Ok(s)
            }
            other => Err(error_at(
                format!("expected {what} as a quoted string ('...'), found `{other}`"),
                found.span.start,
            )),
        }
    }

    fn identifier(&mut self) -> Result<String, ParserError> {
        Ok(self.p.parse_identifier()?.value)
    }

    fn identifier_list(&mut self) -> Result<Vec<String>, ParserError> {
        self.expect(Token::LParen, "before the list of columns")?;
        let names = self
            .p
            .parse_comma_separated(|p| p.parse_identifier().map(|i| i.value))?;
        self.expect(Token::RParen, "after the list of columns")?;
        Ok(names)
    }

    fn here(&self) -> Location {
        self.p.peek_token().span.start
    }

    fn create_table(&mut self) -> Result<CreateTable, ParserError> {
        self.expect_word("CREATE", "")?;
        let temporary = self.eat_word("TEMPORARY");
        self.expect_word("TABLE", "")?;
        let if_not_exists = self.p.parse_keywords(&[Keyword::IF, Keyword::NOT, Keyword::EXISTS]);
        let name = object_name(&self.p.parse_object_name(false)?);
        let mut table = CreateTable {
            name,
            temporary,
            if_not_exists,
            columns: Vec::new(),
            watermark: None,
            primary_key: None,
            comment: None,
            partitioned_by: Vec::new(),
            options: Vec::new(),
            like: None,
        };
        if self.p.consume_token(&Token::LParen) {
            loop {
                self.table_element(&mut table)?;
                if self.p.consume_token(&Token::Comma) {
                    continue;
                }
                let found = self.p.peek_token().token;
                if found == Token::RParen {
                    self.p.next_token();
                    break;
                }
                return Err(error(format!(
                    "expected `,` or `)` after a column definition, found `{found}`"
                )));
            }
        }
        loop {
            match self.word(0).as_str() {
                "COMMENT" => {
                    self.p.next_token();
                    table.comment = Some(self.string("the comment")?);
                }
                "PARTITIONED" => {
                    self.p.next_token();
                    self.expect_word("BY", "after PARTITIONED")?;
                    table.partitioned_by = self.identifier_list()?;
                }
                "WITH" => {
                    self.p.next_token();
                    table.options = self.options()?;
                }
                "LIKE" => {
                    self.p.next_token();
                    table.like = Some(object_name(&self.p.parse_object_name(false)?));
                    if self.p.peek_token().token == Token::LParen {
                        self.skip_parenthesized()?;
                    }
                }
                _ => break,
            }
        }
        Ok(table)
    }

    fn table_element(&mut self, table: &mut CreateTable) -> Result<(), ParserError> {
        if self.word(0) == "WATERMARK" && self.word(1) == "FOR" {
            self.p.next_token();
            self.p.next_token();
            let column = self.identifier()?;
            self.expect_word("AS", "after WATERMARK FOR <column>")?;
            let expr = self.p.parse_expr()?;
            table.watermark = Some(Watermark { column, expr });
            return Ok(());
        }
        if self.word(0) == "CONSTRAINT" {
            self.p.next_token();
            self.identifier()?;
        }
        if self.word(0) == "PRIMARY" {
            self.p.next_token();
            self.expect_word("KEY", "after PRIMARY")?;
            let key = self.identifier_list()?;
            self.not_enforced()?;
            table.primary_key = Some(key);
            return Ok(());
        }
        let position = position_of(self.here());
        let name = self.identifier()?;
        let kind = if self.word(0) == "AS" {
            self.p.next_token();
            ColumnKind::Computed(Box::new(self.p.parse_expr()?))
        } else {
            let mut types = TypeParser::new(self.p);
            let ty = types.parse()?;
            types.finish()?;
            if self.eat_word("METADATA") {
                let key = if self.eat_word("FROM") {
                    Some(self.string("the metadata key")?)
                } else {
                    None
                };
                let is_virtual = self.eat_word("VIRTUAL");
                ColumnKind::Metadata { ty, key, is_virtual }
            } else {
                ColumnKind::Physical(ty)
            }
        };
        if self.word(0) == "PRIMARY" {
            self.p.next_token();
            self.expect_word("KEY", "after PRIMARY")?;
            self.not_enforced()?;
            table.primary_key = Some(vec![name.clone()]);
        }
        let comment = if self.eat_word("COMMENT") {
            Some(self.string("the comment")?)
        } else {
            None
        };
        // Relative to the statement until `relocate` moves it to the file.
        table.columns.push(Column {
            name,
            kind,
            comment,
            position,
        });
        Ok(())
    }

    fn not_enforced(&mut self) -> Result<(), ParserError> {
        if self.eat_word("NOT") && self.eat_word("ENFORCED") {
            Ok(())
        } else {
            Err(error("expected NOT ENFORCED after the primary key"))
        }
    }

    fn options(&mut self) -> Result<Vec<TableOption>, ParserError> {
        self.expect(Token::LParen, "after WITH")?;
        let mut options = Vec::new();
        if self.p.consume_token(&Token::RParen) {
            return Ok(options);
        }
        loop {
            let at = self.here();
            let key = self.string("an option key")?;
            self.expect(Token::Eq, "between an option's key and value")?;
            let span = self.p.peek_token().span;
            let value = self.string("an option value")?;
            options.push(TableOption {
                key,
                value,
                position: position_of(at),
                value_span: byte_offset(self.text, span.start)
                    .zip(byte_offset(self.text, span.end))
                    .map(|(start, end)| start..end),
            });
            if self.p.consume_token(&Token::Comma) {
                continue;
            }
            self.expect(Token::RParen, "to close WITH (...)")?;
            return Ok(options);
        }
    }

    fn skip_parenthesized(&mut self) -> Result<(), ParserError> {
        self.expect(Token::LParen, "")?;
        let mut depth = 1;
        while depth > 0 {
            match self.p.next_token().token {
                Token::LParen => depth += 1,
                Token::RParen => depth -= 1,
                Token::EOF => return Err(error("expected `)`, found the end of the statement")),
                _ => {}
            }
        }
        Ok(())
    }

    fn create_view(&mut self) -> Result<CreateView, ParserError> {
        self.expect_word("CREATE", "")?;
        let temporary = self.eat_word("TEMPORARY");
        self.expect_word("VIEW", "")?;
        let _if_not_exists = self.p.parse_keywords(&[Keyword::IF, Keyword::NOT, Keyword::EXISTS]);
        let name = object_name(&self.p.parse_object_name(false)?);
        let columns = if self.p.peek_token().token == Token::LParen {
            self.identifier_list()?
        } else {
            Vec::new()
        };
        if self.eat_word("COMMENT") {
            self.string("the comment")?;
        }
        self.expect_word("AS", "before the view's query")?;
        let query = self.p.parse_query()?;
        Ok(CreateView {
            name,
            temporary,
            columns,
            query,
        })
    }

    fn insert(&mut self) -> Result<Insert, ParserError> {
        self.expect_word("INSERT", "")?;
        let overwrite = match self.word(0).as_str() {
            "INTO" => false,
            "OVERWRITE" => true,
            _ => {
                return Err(error(format!(
                    "expected INTO or OVERWRITE after INSERT, found `{}`",
                    self.p.peek_token().token
                )));
            }
        };
        self.p.next_token();
        let target_name = self.p.parse_object_name(false)?;
        let target = object_name(&target_name);
        if self.word(0) == "PARTITION" {
            self.p.next_token();
            self.skip_parenthesized()?;
        }
        let starts_query = matches!(self.word(1).as_str(), "SELECT" | "WITH" | "VALUES");
        let columns = if self.p.peek_token().token == Token::LParen && !starts_query {
            Some(self.identifier_list()?)
        } else {
            None
        };
        let query = self.p.parse_query()?;
        Ok(Insert {
            target,
            target_name,
            overwrite,
            columns,
            query,
        })
    }

    fn statement_set(&mut self) -> Result<Statement, ParserError> {
        if self.eat_word("EXECUTE") {
            self.expect_word("STATEMENT", "")?;
            self.expect_word("SET", "")?;
            self.expect_word("BEGIN", "after EXECUTE STATEMENT SET")?;
        } else {
            self.expect_word("BEGIN", "")?;
            self.expect_word("STATEMENT", "")?;
            self.expect_word("SET", "")?;
            let _ = self.p.consume_token(&Token::SemiColon);
        }
        let mut inserts = Vec::new();
        loop {
            while self.p.consume_token(&Token::SemiColon) {}
            if self.eat_word("END") {
                return Ok(Statement::StatementSet(inserts));
            }
            if self.word(0) != "INSERT" {
                return Err(error(format!(
                    "a statement set holds only INSERT statements, found `{}`",
                    self.p.peek_token().token
                )));
            }
            inserts.push(self.insert()?);
            if !self.p.consume_token(&Token::SemiColon) && self.word(0) != "END" {
                return Err(error(format!(
                    "expected `;` after an INSERT in the statement set, found `{}`",
                    self.p.peek_token().token
                )));
            }
        }
    }

    fn set(&mut self) -> Result<Statement, ParserError> {
        self.expect_word("SET", "")?;
        if self.p.peek_token().token == Token::EOF {
            return Ok(Statement::Set { key: None, value: None });
        }
        let key = self.setting_text(&[Token::Eq])?;
        self.expect(Token::Eq, "between the setting's key and value")?;
        let value = self.setting_text(&[])?;
        if key.is_none() || value.is_none() {
            return Err(error("expected SET 'key' = 'value'"));
        }
        Ok(Statement::Set { key, value })
    }

    /// A setting key or value: a quoted string, or the unquoted words the SQL client accepts
    /// (`SET parallelism.default = 2`), read up to one of `stop`.
    fn setting_text(&mut self, stop: &[Token]) -> Result<Option<String>, ParserError> {
        if let Token::SingleQuotedString(s) = self.p.peek_token().token {
            self.p.next_token();
            return Ok(Some(s));
        }
        let mut text = String::new();
        loop {
            let token = self.p.peek_token().token;
            if token == Token::EOF || stop.contains(&token) {
                break;
            }
            self.p.next_token();
            text.push_str(&token.to_string());
        }
        Ok((!text.is_empty()).then_some(text))
    }
}

/// Moves statement-relative positions of columns and options to the file.
pub(crate) fn relocate(statement: &mut Statement, base: Position) {
    if let Statement::CreateTable(table) = statement {
        for column in &mut table.columns {
            column.position = model::file_position(base, column.position);
        }
        for option in &mut table.options {
            option.position = model::file_position(base, option.position);
        }
    }
}
