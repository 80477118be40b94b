//! Flink SQL data types: a typed model, its canonical rendering, and a parser.

use std::fmt;
use std::str::FromStr;

use pipegen_diag::did_you_mean;
use sqlparser::parser::{Parser, ParserError};
use sqlparser::tokenizer::{Token, Tokenizer};

use crate::dialect::FlinkDialect;
use crate::error::error_at;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FlinkType {
    pub kind: TypeKind,
    pub nullable: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TypeKind {
    Boolean,
    TinyInt,
    SmallInt,
    Int,
    BigInt,
    Float,
    Double,
    Decimal {
        precision: u32,
        scale: u32,
    },
    Char(u32),
    Varchar(u32),
    String,
    Binary(u32),
    Varbinary(u32),
    Bytes,
    Date,
    Time(u32),
    Timestamp(u32),
    TimestampLtz(u32),
    /// `INTERVAL DAY TO SECOND(3)` and friends, kept as written.
    Interval(std::string::String),
    Array(Box<FlinkType>),
    Multiset(Box<FlinkType>),
    Map(Box<FlinkType>, Box<FlinkType>),
    Row(Vec<RowField>),
    /// `RAW('class', 'snapshot')`, kept as written.
    Raw(std::string::String),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RowField {
    pub name: std::string::String,
    pub data_type: FlinkType,
    pub comment: Option<std::string::String>,
}

impl FlinkType {
    pub fn nullable(kind: TypeKind) -> Self {
        Self { kind, nullable: true }
    }

    pub fn is_time_attribute_type(&self) -> bool {
        matches!(self.kind, TypeKind::Timestamp(3) | TypeKind::TimestampLtz(3))
    }
}

impl fmt::Display for FlinkType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.kind)?;
        if !self.nullable {
            f.write_str(" NOT NULL")?;
        }
        Ok(())
    }
}

impl fmt::Display for TypeKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TypeKind::Boolean => f.write_str("BOOLEAN"),
            TypeKind::TinyInt => f.write_str("TINYINT"),
            TypeKind::SmallInt => f.write_str("SMALLINT"),
            TypeKind::Int => f.write_str("INT"),
            TypeKind::BigInt => f.write_str("BIGINT"),
            TypeKind::Float => f.write_str("FLOAT"),
            TypeKind::Double => f.write_str("DOUBLE"),
            TypeKind::Decimal { precision, scale } => write!(f, "DECIMAL({precision}, {scale})"),
            TypeKind::Char(n) => write!(f, "CHAR({n})"),
            TypeKind::Varchar(n) => write!(f, "VARCHAR({n})"),
            TypeKind::String => f.write_str("STRING"),
            TypeKind::Binary(n) => write!(f, "BINARY({n})"),
            TypeKind::Varbinary(n) => write!(f, "VARBINARY({n})"),
            TypeKind::Bytes => f.write_str("BYTES"),
            TypeKind::Date => f.write_str("DATE"),
            TypeKind::Time(p) => write!(f, "TIME({p})"),
            TypeKind::Timestamp(p) => write!(f, "TIMESTAMP({p})"),
            TypeKind::TimestampLtz(p) => write!(f, "TIMESTAMP_LTZ({p})"),
            TypeKind::Interval(text) | TypeKind::Raw(text) => f.write_str(text),
            TypeKind::Array(t) => write!(f, "ARRAY<{t}>"),
            TypeKind::Multiset(t) => write!(f, "MULTISET<{t}>"),
            TypeKind::Map(k, v) => write!(f, "MAP<{k}, {v}>"),
            TypeKind::Row(fields) => {
                f.write_str("ROW<")?;
                for (i, field) in fields.iter().enumerate() {
                    if i > 0 {
                        f.write_str(", ")?;
                    }
                    write!(f, "`{}` {}", field.name.replace('`', "``"), field.data_type)?;
                    if let Some(comment) = &field.comment {
                        write!(f, " '{}'", comment.replace('\'', "''"))?;
                    }
                }
                f.write_str(">")
            }
        }
    }
}

impl FromStr for FlinkType {
    type Err = ParserError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let tokens = Tokenizer::new(&FlinkDialect, text)
            .tokenize_with_location()
            .map_err(|e| ParserError::TokenizerError(e.to_string()))?;
        let mut parser = Parser::new(&FlinkDialect).with_tokens_with_locations(tokens);
        let mut types = TypeParser::new(&mut parser);
        let parsed = types.parse()?;
        types.finish()?;
        if parser.peek_token().token != Token::EOF {
            return Err(ParserError::ParserError(format!(
                "unexpected `{}` after the type",
                parser.peek_token().token
            )));
        }
        Ok(parsed)
    }
}

/// Type names Flink knows, for suggestions.
const TYPE_NAMES: &[&str] = &[
    "BOOLEAN",
    "TINYINT",
    "SMALLINT",
    "INT",
    "INTEGER",
    "BIGINT",
    "FLOAT",
    "DOUBLE",
    "DECIMAL",
    "DEC",
    "NUMERIC",
    "CHAR",
    "VARCHAR",
    "STRING",
    "BINARY",
    "VARBINARY",
    "BYTES",
    "DATE",
    "TIME",
    "TIMESTAMP",
    "TIMESTAMP_LTZ",
    "INTERVAL",
    "ARRAY",
    "MULTISET",
    "MAP",
    "ROW",
    "RAW",
];

/// Parses a type from a sqlparser token stream. `>>` closes two nested types at once, so a
/// closing `>` may be owed to the enclosing type.
pub(crate) struct TypeParser<'a, 'p> {
    parser: &'a mut Parser<'p>,
    owed_closing: usize,
}

impl<'a, 'p> TypeParser<'a, 'p> {
    pub(crate) fn new(parser: &'a mut Parser<'p>) -> Self {
        Self {
            parser,
            owed_closing: 0,
        }
    }

    /// Ends parsing; a `>` still owed means the text had one too many.
    pub(crate) fn finish(self) -> Result<(), ParserError> {
        if self.owed_closing > 0 {
            return Err(ParserError::ParserError("unexpected `>`".into()));
        }
        Ok(())
    }

    pub(crate) fn parse(&mut self) -> Result<FlinkType, ParserError> {
        let kind = self.parse_kind()?;
        let mut parsed = FlinkType { kind, nullable: true };
        // Suffix forms: `INT ARRAY`, `INT MULTISET`, and nullability.
        loop {
            if self.owed_closing > 0 {
                break;
            }
            if self.word_is("ARRAY") {
                self.parser.next_token();
                parsed = FlinkType::nullable(TypeKind::Array(Box::new(parsed)));
            } else if self.word_is("MULTISET") {
                self.parser.next_token();
                parsed = FlinkType::nullable(TypeKind::Multiset(Box::new(parsed)));
            } else if self.word_is("NOT") && self.nth_word_is(1, "NULL") {
                self.parser.next_token();
                self.parser.next_token();
                parsed.nullable = false;
            } else if self.word_is("NULL") {
                self.parser.next_token();
            } else {
                break;
            }
        }
        Ok(parsed)
    }

    fn parse_kind(&mut self) -> Result<TypeKind, ParserError> {
        let token = self.parser.next_token();
        let Token::Word(word) = &token.token else {
            return Err(error_at(
                format!("expected a type, found `{}`", token.token),
                token.span.start,
            ));
        };
        let name = word.value.to_ascii_uppercase();
        Ok(match name.as_str() {
            "BOOLEAN" | "BOOL" => TypeKind::Boolean,
            "TINYINT" => TypeKind::TinyInt,
            "SMALLINT" => TypeKind::SmallInt,
            "INT" | "INTEGER" => TypeKind::Int,
            "BIGINT" => TypeKind::BigInt,
            "FLOAT" | "REAL" => TypeKind::Float,
            "DOUBLE" => {
                if self.word_is("PRECISION") {
                    self.parser.next_token();
                }
                TypeKind::Double
            }
            "DECIMAL" | "DEC" | "NUMERIC" => {
                let args = self.optional_numbers()?;
                TypeKind::Decimal {
                    precision: args.first().copied().unwrap_or(10),
                    scale: args.get(1).copied().unwrap_or(0),
                }
            }
            "CHAR" | "CHARACTER" => TypeKind::Char(self.optional_number(1)?),
            "VARCHAR" => TypeKind::Varchar(self.optional_number(1)?),
            "STRING" => TypeKind::String,
            "BINARY" => TypeKind::Binary(self.optional_number(1)?),
            "VARBINARY" => TypeKind::Varbinary(self.optional_number(1)?),
            "BYTES" => TypeKind::Bytes,
            "DATE" => TypeKind::Date,
            "TIME" => {
                let precision = self.optional_number(0)?;
                self.skip_words(&["WITHOUT", "TIME", "ZONE"]);
                TypeKind::Time(precision)
            }
            "TIMESTAMP" => {
                let precision = self.optional_number(6)?;
                if self.skip_words(&["WITH", "LOCAL", "TIME", "ZONE"]) {
                    TypeKind::TimestampLtz(precision)
                } else {
                    self.skip_words(&["WITHOUT", "TIME", "ZONE"]);
                    TypeKind::Timestamp(precision)
                }
            }
            "TIMESTAMP_LTZ" => TypeKind::TimestampLtz(self.optional_number(6)?),
            "INTERVAL" => TypeKind::Interval(self.interval_text()),
            "ARRAY" => TypeKind::Array(Box::new(self.angle_one()?)),
            "MULTISET" => TypeKind::Multiset(Box::new(self.angle_one()?)),
            "MAP" => {
                self.expect(&Token::Lt, "`<` after MAP")?;
                let key = self.parse()?;
                self.expect(&Token::Comma, "`,` between MAP's key and value types")?;
                let value = self.parse()?;
                self.close_angle()?;
                TypeKind::Map(Box::new(key), Box::new(value))
            }
            "ROW" => TypeKind::Row(self.row_fields()?),
            "RAW" => {
                let mut text = "RAW(".to_owned();
                self.expect(&Token::LParen, "`(` after RAW")?;
                loop {
                    let t = self.parser.next_token();
                    match t.token {
                        Token::RParen => break,
                        Token::EOF => {
                            return Err(ParserError::ParserError("RAW(...) is not closed".into()));
                        }
                        Token::SingleQuotedString(s) => text.push_str(&format!("'{}'", s.replace('\'', "''"))),
                        other => text.push_str(&other.to_string()),
                    }
                }
                text.push(')');
                TypeKind::Raw(text)
            }
            _ => {
                let hint = did_you_mean(&name, TYPE_NAMES.iter().copied())
                    .map(|s| format!(" (did you mean {s}?)"))
                    .unwrap_or_default();
                return Err(error_at(
                    format!("unknown type `{}`{hint}", word.value),
                    token.span.start,
                ));
            }
        })
    }

    fn row_fields(&mut self) -> Result<Vec<RowField>, ParserError> {
        let (open, close_with_paren) = match self.parser.next_token().token {
            Token::Lt => (true, false),
            Token::LParen => (true, true),
            other => {
                return Err(ParserError::ParserError(format!(
                    "expected `<` or `(` after ROW, found `{other}`"
                )));
            }
        };
        debug_assert!(open);
        let mut fields = Vec::new();
        let closes = |t: &Token| {
            if close_with_paren {
                *t == Token::RParen
            } else {
                matches!(t, Token::Gt | Token::ShiftRight)
            }
        };
        if closes(&self.parser.peek_token().token) {
            self.close(close_with_paren)?;
            return Ok(fields);
        }
        loop {
            let name = match self.parser.next_token().token {
                Token::Word(w) => w.value,
                other => {
                    return Err(ParserError::ParserError(format!(
                        "expected a ROW field name, found `{other}`"
                    )));
                }
            };
            let data_type = self.parse()?;
            let comment = match self.parser.peek_token().token {
                Token::SingleQuotedString(s) => {
                    self.parser.next_token();
                    Some(s)
                }
                _ => None,
            };
            fields.push(RowField {
                name,
                data_type,
                comment,
            });
            if self.owed_closing > 0 && !close_with_paren {
                self.owed_closing -= 1;
                return Ok(fields);
            }
            if self.parser.consume_token(&Token::Comma) {
                continue;
            }
            self.close(close_with_paren)?;
            return Ok(fields);
        }
    }

    fn close(&mut self, paren: bool) -> Result<(), ParserError> {
        if paren {
            self.expect(&Token::RParen, "`)` to close ROW(...)")
        } else {
            self.close_angle()
        }
    }

    fn angle_one(&mut self) -> Result<FlinkType, ParserError> {
        self.expect(&Token::Lt, "`<`")?;
        let inner = self.parse()?;
        self.close_angle()?;
        Ok(inner)
    }

    fn close_angle(&mut self) -> Result<(), ParserError> {
        if self.owed_closing > 0 {
            self.owed_closing -= 1;
            return Ok(());
        }
        match self.parser.next_token().token {
            Token::Gt => Ok(()),
            Token::ShiftRight => {
                self.owed_closing += 1;
                Ok(())
            }
            other => Err(ParserError::ParserError(format!("expected `>`, found `{other}`"))),
        }
    }

    fn expect(&mut self, token: &Token, what: &str) -> Result<(), ParserError> {
        let found = self.parser.next_token();
        if found.token == *token {
            Ok(())
        } else {
            Err(ParserError::ParserError(format!(
                "expected {what}, found `{}`",
                found.token
            )))
        }
    }

    fn optional_number(&mut self, default: u32) -> Result<u32, ParserError> {
        Ok(self.optional_numbers()?.first().copied().unwrap_or(default))
    }

    fn optional_numbers(&mut self) -> Result<Vec<u32>, ParserError> {
        if !self.parser.consume_token(&Token::LParen) {
            return Ok(Vec::new());
        }
        let mut numbers = Vec::new();
        loop {
            match self.parser.next_token().token {
                Token::Number(n, _) => numbers.push(
                    n.parse()
                        .map_err(|_| ParserError::ParserError(format!("`{n}` is not a valid length or precision")))?,
                ),
                other => {
                    return Err(ParserError::ParserError(format!("expected a number, found `{other}`")));
                }
            }
            match self.parser.next_token().token {
                Token::Comma => continue,
                Token::RParen => return Ok(numbers),
                other => {
                    return Err(ParserError::ParserError(format!(
                        "expected `,` or `)`, found `{other}`"
                    )));
                }
            }
        }
    }

    /// `INTERVAL DAY(2) TO SECOND(3)`: the qualifier words and their precisions, as written.
    fn interval_text(&mut self) -> std::string::String {
        let mut text = "INTERVAL".to_owned();
        loop {
            let next = self.parser.peek_token().token;
            match next {
                Token::Word(w)
                    if ["YEAR", "MONTH", "DAY", "HOUR", "MINUTE", "SECOND", "TO"]
                        .contains(&w.value.to_ascii_uppercase().as_str()) =>
                {
                    self.parser.next_token();
                    text.push(' ');
                    text.push_str(&w.value.to_ascii_uppercase());
                    if self.parser.peek_token().token == Token::LParen
                        && let Ok(numbers) = self.optional_numbers()
                    {
                        let list: Vec<std::string::String> = numbers.iter().map(u32::to_string).collect();
                        text.push_str(&format!("({})", list.join(", ")));
                    }
                }
                _ => return text,
            }
        }
    }

    fn word_is(&self, word: &str) -> bool {
        self.nth_word_is(0, word)
    }

    fn nth_word_is(&self, n: usize, word: &str) -> bool {
        matches!(&self.parser.peek_nth_token(n).token, Token::Word(w) if w.quote_style.is_none() && w.value.eq_ignore_ascii_case(word))
    }

    /// Consumes `words` if they come next, all of them.
    fn skip_words(&mut self, words: &[&str]) -> bool {
        if words.iter().enumerate().all(|(i, w)| self.nth_word_is(i, w)) {
            for _ in words {
                self.parser.next_token();
            }
            true
        } else {
            false
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn round_trip(text: &str) -> String {
        text.parse::<FlinkType>()
            .unwrap_or_else(|e| panic!("{text}: {e}"))
            .to_string()
    }

    #[test]
    fn renders_canonical_flink_types() {
        let cases = [
            ("int", "INT"),
            ("INTEGER NOT NULL", "INT NOT NULL"),
            ("decimal(10,2)", "DECIMAL(10, 2)"),
            ("DECIMAL", "DECIMAL(10, 0)"),
            ("varchar(20)", "VARCHAR(20)"),
            ("STRING", "STRING"),
            ("TIMESTAMP(3)", "TIMESTAMP(3)"),
            ("TIMESTAMP", "TIMESTAMP(6)"),
            ("TIMESTAMP(3) WITH LOCAL TIME ZONE", "TIMESTAMP_LTZ(3)"),
            ("TIMESTAMP_LTZ(3) NOT NULL", "TIMESTAMP_LTZ(3) NOT NULL"),
            ("TIME(3) WITHOUT TIME ZONE", "TIME(3)"),
            ("ARRAY<INT NOT NULL>", "ARRAY<INT NOT NULL>"),
            ("INT ARRAY", "ARRAY<INT>"),
            ("MAP<STRING NOT NULL, DOUBLE>", "MAP<STRING NOT NULL, DOUBLE>"),
            ("MULTISET<STRING>", "MULTISET<STRING>"),
            (
                "ROW<a INT, `b c` STRING NOT NULL 'doc'>",
                "ROW<`a` INT, `b c` STRING NOT NULL 'doc'>",
            ),
            ("ROW(a INT, b ROW<c BIGINT>)", "ROW<`a` INT, `b` ROW<`c` BIGINT>>"),
            ("ARRAY<ARRAY<INT>>", "ARRAY<ARRAY<INT>>"),
            ("MAP<STRING, ARRAY<ROW<x INT>>>", "MAP<STRING, ARRAY<ROW<`x` INT>>>"),
            ("BYTES", "BYTES"),
            ("BINARY(16)", "BINARY(16)"),
            ("INTERVAL DAY(2) TO SECOND(3)", "INTERVAL DAY(2) TO SECOND(3)"),
        ];
        for (text, canonical) in cases {
            assert_eq!(round_trip(text), canonical, "{text}");
            assert_eq!(round_trip(canonical), canonical, "{canonical} is a fixed point");
        }
    }

    #[test]
    fn rejects_with_a_suggestion() {
        let err = "STRNG".parse::<FlinkType>().unwrap_err().to_string();
        assert!(err.contains("did you mean STRING?"), "{err}");
        assert!("ARRAY<INT".parse::<FlinkType>().is_err());
        assert!("ARRAY<INT>>".parse::<FlinkType>().is_err());
        assert!("MAP<INT>".parse::<FlinkType>().is_err());
        assert!("INT extra".parse::<FlinkType>().is_err());
        assert!("DECIMAL(x)".parse::<FlinkType>().is_err());
    }

    #[test]
    fn knows_time_attribute_types() {
        assert!("TIMESTAMP(3)".parse::<FlinkType>().unwrap().is_time_attribute_type());
        assert!(
            "TIMESTAMP_LTZ(3)"
                .parse::<FlinkType>()
                .unwrap()
                .is_time_attribute_type()
        );
        assert!(!"TIMESTAMP(6)".parse::<FlinkType>().unwrap().is_time_attribute_type());
    }

    proptest::proptest! {
        #[test]
        fn parsing_never_panics(text in "\\PC{0,40}") {
            let _ = text.parse::<FlinkType>();
        }
    }
}
