//! Flink's SQL dialect for `sqlparser`: the generic dialect plus what Flink adds to queries.

use std::any::TypeId;

use sqlparser::ast::{Expr, Ident};
use sqlparser::dialect::{Dialect, GenericDialect};
use sqlparser::keywords::Keyword;
use sqlparser::parser::{Parser, ParserError};
use sqlparser::tokenizer::Token;

/// The keyword in front of a table argument: `TUMBLE(TABLE orders, ...)`.
pub const TABLE_ARGUMENT: &str = "TABLE";
/// SESSION's partition keys after a table argument: `TABLE bids PARTITION BY item`.
pub const PARTITION_BY: &str = "PARTITION BY";

#[derive(Debug, Default, Clone, Copy)]
pub struct FlinkDialect;

impl Dialect for FlinkDialect {
    /// sqlparser gates much of its grammar on "is this the generic dialect"; Flink's grammar is
    /// closest to it, so this dialect answers as the generic one does.
    fn dialect(&self) -> TypeId {
        TypeId::of::<GenericDialect>()
    }

    fn is_identifier_start(&self, ch: char) -> bool {
        ch.is_alphabetic() || ch == '_'
    }

    fn is_identifier_part(&self, ch: char) -> bool {
        ch.is_alphanumeric() || ch == '_' || ch == '$'
    }

    fn is_delimited_identifier_start(&self, ch: char) -> bool {
        ch == '`' || ch == '"'
    }

    fn identifier_quote_style(&self, _identifier: &str) -> Option<char> {
        Some('`')
    }

    /// Temporal joins: `JOIN rates FOR SYSTEM_TIME AS OF o.order_time`.
    fn supports_table_versioning(&self) -> bool {
        true
    }

    fn supports_filter_during_aggregation(&self) -> bool {
        true
    }

    fn supports_group_by_expr(&self) -> bool {
        true
    }

    fn supports_match_recognize(&self) -> bool {
        true
    }

    fn supports_window_clause_named_window_reference(&self) -> bool {
        true
    }

    /// `x IS [NOT] JSON ...`, which sqlparser does not read (see `json_syntax`).
    fn parse_infix(&self, parser: &mut Parser, expr: &Expr, _precedence: u8) -> Option<Result<Expr, ParserError>> {
        crate::json_syntax::parse_is_json(parser, expr)
    }

    /// `TABLE name` as an argument of a window table function (TUMBLE, HOP, CUMULATE, SESSION),
    /// optionally with SESSION's `PARTITION BY key` or `PARTITION BY (k1, k2)`. It becomes
    /// `Expr::Prefixed { prefix: TABLE, value }`, which prints back as written.
    ///
    /// Also `JSON_VALUE` and `JSON_EXISTS` with their ON EMPTY and ON ERROR behaviours.
    fn parse_prefix(&self, parser: &mut Parser) -> Option<Result<Expr, ParserError>> {
        if crate::json_syntax::at_json_function(parser) {
            return Some(crate::json_syntax::parse_json_function(parser));
        }
        let is_table_argument = matches!(&parser.peek_token().token, Token::Word(w) if w.keyword == Keyword::TABLE)
            && matches!(&parser.peek_nth_token(1).token, Token::Word(_));
        if !is_table_argument {
            return None;
        }
        parser.next_token();
        Some(parse_table_argument(parser))
    }
}

/// The value is the table (`Identifier` or `CompoundIdentifier`), or for SESSION with keys
/// `Prefixed { prefix: <table>, value: Prefixed { prefix: PARTITION BY, value: keys } }`.
fn parse_table_argument(parser: &mut Parser) -> Result<Expr, ParserError> {
    let name = parser.parse_object_name(false)?;
    let mut parts: Vec<Ident> = name.0.iter().filter_map(|p| p.as_ident().cloned()).collect();
    let mut value = match parts.len() {
        1 => Expr::Identifier(parts.remove(0)),
        _ => Expr::CompoundIdentifier(parts),
    };
    if parser.parse_keywords(&[Keyword::PARTITION, Keyword::BY]) {
        let keys = if parser.consume_token(&Token::LParen) {
            let keys = parser.parse_comma_separated(Parser::parse_expr)?;
            parser.expect_token(&Token::RParen)?;
            Expr::Tuple(keys)
        } else {
            parser.parse_expr()?
        };
        value = Expr::Prefixed {
            prefix: Ident::new(name.to_string()),
            value: Box::new(Expr::Prefixed {
                prefix: Ident::new(PARTITION_BY),
                value: Box::new(keys),
            }),
        };
    }
    Ok(Expr::Prefixed {
        prefix: Ident::new(TABLE_ARGUMENT),
        value: Box::new(value),
    })
}
