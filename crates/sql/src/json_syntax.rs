//! Flink's SQL/JSON syntax that sqlparser does not read: the empty and error behaviours of
//! `JSON_VALUE(json, path [RETURNING type] [{NULL | ERROR | DEFAULT expr} ON EMPTY]
//! [{NULL | ERROR | DEFAULT expr} ON ERROR])` and `JSON_EXISTS(json, path
//! [{TRUE | FALSE | UNKNOWN | ERROR} ON ERROR])`, and the predicate `x IS [NOT] JSON
//! [VALUE | SCALAR | ARRAY | OBJECT]`.
//!
//! A behaviour becomes a named argument after the path, its name saying when and what
//! ([`ON_EMPTY`] or [`ON_ERROR`], `_` and the behaviour: `ON_EMPTY_DEFAULT VALUE 'none'`);
//! the predicate becomes Flink's own function `IS_JSON(x [, 'SCALAR'])`, under `NOT` for
//! `IS NOT JSON`.

use sqlparser::ast::{
    Expr, Function, FunctionArg, FunctionArgExpr, FunctionArgOperator, FunctionArgumentClause, FunctionArgumentList,
    FunctionArguments, Ident, JsonReturningClause, ObjectName, UnaryOperator, Value,
};
use sqlparser::keywords::Keyword;
use sqlparser::parser::{Parser, ParserError};
use sqlparser::tokenizer::Token;

pub const ON_EMPTY: &str = "ON_EMPTY";
pub const ON_ERROR: &str = "ON_ERROR";

/// Whether the parser is at `JSON_VALUE(` or `JSON_EXISTS(`.
pub fn at_json_function(parser: &Parser) -> bool {
    matches!(&parser.peek_token().token, Token::Word(w) if w.quote_style.is_none()
        && (w.value.eq_ignore_ascii_case("JSON_VALUE") || w.value.eq_ignore_ascii_case("JSON_EXISTS")))
        && parser.peek_nth_token(1).token == Token::LParen
}

pub fn parse_json_function(parser: &mut Parser) -> Result<Expr, ParserError> {
    let name = parser.parse_identifier()?;
    let exists = name.value.eq_ignore_ascii_case("JSON_EXISTS");
    parser.expect_token(&Token::LParen)?;
    let json = parser.parse_expr()?;
    parser.expect_token(&Token::Comma)?;
    let path = parser.parse_expr()?;
    let mut args = vec![unnamed(json), unnamed(path)];
    let mut clauses = Vec::new();
    if !exists && parser.parse_keyword(Keyword::RETURNING) {
        clauses.push(FunctionArgumentClause::JsonReturningClause(JsonReturningClause {
            data_type: parser.parse_data_type()?,
        }));
    }
    while parser.peek_token().token != Token::RParen {
        let (behaviour, value) = if exists {
            let word =
                parser.expect_one_of_keywords(&[Keyword::TRUE, Keyword::FALSE, Keyword::UNKNOWN, Keyword::ERROR])?;
            (
                format!("{word:?}").to_ascii_uppercase(),
                Expr::Value(Value::Null.into()),
            )
        } else if parser.parse_keyword(Keyword::DEFAULT) {
            ("DEFAULT".to_owned(), parser.parse_expr()?)
        } else {
            let word = parser.expect_one_of_keywords(&[Keyword::NULL, Keyword::ERROR])?;
            (
                format!("{word:?}").to_ascii_uppercase(),
                Expr::Value(Value::Null.into()),
            )
        };
        parser.expect_keyword(Keyword::ON)?;
        let when = if !exists && parser.parse_keyword(Keyword::EMPTY) {
            ON_EMPTY
        } else {
            parser.expect_keyword(Keyword::ERROR)?;
            ON_ERROR
        };
        args.push(FunctionArg::Named {
            name: Ident::new(format!("{when}_{behaviour}")),
            arg: FunctionArgExpr::Expr(value),
            operator: FunctionArgOperator::Value,
        });
    }
    parser.expect_token(&Token::RParen)?;
    Ok(call(name, args, clauses))
}

/// After an expression: `IS [NOT] JSON [VALUE | SCALAR | ARRAY | OBJECT]`, if that follows.
pub fn parse_is_json(parser: &mut Parser, expr: &Expr) -> Option<Result<Expr, ParserError>> {
    let is_json = |at: usize| matches!(&parser.peek_nth_token(at).token, Token::Word(w) if w.keyword == Keyword::JSON);
    let at_is = matches!(&parser.peek_token().token, Token::Word(w) if w.keyword == Keyword::IS);
    let negated = matches!(&parser.peek_nth_token(1).token, Token::Word(w) if w.keyword == Keyword::NOT);
    if !at_is || !is_json(if negated { 2 } else { 1 }) {
        return None;
    }
    for _ in 0..if negated { 3 } else { 2 } {
        parser.next_token();
    }
    let mut args = vec![unnamed(expr.clone())];
    if let Token::Word(w) = &parser.peek_token().token
        && let kind @ ("VALUE" | "SCALAR" | "ARRAY" | "OBJECT") = w.value.to_ascii_uppercase().as_str()
    {
        args.push(unnamed(Expr::Value(Value::SingleQuotedString(kind.to_owned()).into())));
        parser.next_token();
    }
    let test = call(Ident::new("IS_JSON"), args, Vec::new());
    Some(Ok(if negated {
        Expr::UnaryOp {
            op: UnaryOperator::Not,
            expr: Box::new(Expr::Nested(Box::new(test))),
        }
    } else {
        test
    }))
}

fn unnamed(expr: Expr) -> FunctionArg {
    FunctionArg::Unnamed(FunctionArgExpr::Expr(expr))
}

fn call(name: Ident, args: Vec<FunctionArg>, clauses: Vec<FunctionArgumentClause>) -> Expr {
    Expr::Function(Function {
        name: ObjectName::from(vec![name]),
        uses_odbc_syntax: false,
        parameters: FunctionArguments::None,
        args: FunctionArguments::List(FunctionArgumentList {
            duplicate_treatment: None,
            args,
            clauses,
        }),
        filter: None,
        null_treatment: None,
        over: None,
        within_group: Vec::new(),
    })
}

#[cfg(test)]
mod tests {
    use crate::{Statement, parse_file};

    fn query(sql: &str) -> String {
        let file = parse_file(std::path::Path::new("q.sql"), sql).unwrap();
        match &file.statements[0].kind {
            Statement::Query(query) => query.to_string(),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn behaviours_become_named_arguments() {
        assert_eq!(
            query("SELECT JSON_VALUE(p, '$.t' RETURNING INT DEFAULT 0 ON EMPTY ERROR ON ERROR) FROM t;"),
            "SELECT JSON_VALUE(p, '$.t', ON_EMPTY_DEFAULT VALUE 0, ON_ERROR_ERROR VALUE NULL RETURNING INT) FROM t"
        );
        assert_eq!(
            query("SELECT JSON_EXISTS(p, '$.t' TRUE ON ERROR) FROM t;"),
            "SELECT JSON_EXISTS(p, '$.t', ON_ERROR_TRUE VALUE NULL) FROM t"
        );
    }

    #[test]
    fn is_json_becomes_flinks_function() {
        assert_eq!(query("SELECT p IS JSON FROM t;"), "SELECT IS_JSON(p) FROM t");
        assert_eq!(
            query("SELECT p IS NOT JSON OBJECT AND q FROM t;"),
            "SELECT NOT (IS_JSON(p, 'OBJECT')) AND q FROM t"
        );
    }
}
