//! `MATCH_RECOGNIZE`'s `WITHIN` clause, which sqlparser does not read: Flink writes it after
//! the pattern, `PATTERN (A B+ C) WITHIN INTERVAL '5' SECOND DEFINE ...`. Before parsing, the
//! clause moves into DEFINE as the first definition, of the reserved symbol [`WITHIN_SYMBOL`]:
//! `DEFINE __pipegen_within AS INTERVAL '5' SECOND, ...`. The statement's text keeps the
//! clause as written (the Flink backend sends the text); engines read it back with [`within`].

use sqlparser::ast::{Expr, SymbolDefinition};
use sqlparser::tokenizer::{Token, TokenWithSpan, Whitespace};

/// The DEFINE symbol that carries a pattern's WITHIN interval.
pub const WITHIN_SYMBOL: &str = "__pipegen_within";

/// The WITHIN interval of a MATCH_RECOGNIZE (moved into its DEFINE by parsing), if it has one,
/// and the DEFINE's own definitions.
pub fn within(symbols: &[SymbolDefinition]) -> (Option<&Expr>, Vec<&SymbolDefinition>) {
    let mut interval = None;
    let mut defined = Vec::new();
    for symbol in symbols {
        if symbol.symbol.value == WITHIN_SYMBOL {
            interval = Some(&symbol.definition);
        } else {
            defined.push(symbol);
        }
    }
    (interval, defined)
}

/// The tokens with each `PATTERN (...) WITHIN <interval> DEFINE` turned into
/// `PATTERN (...) DEFINE __pipegen_within AS <interval>,`.
pub(crate) fn move_within(tokens: Vec<TokenWithSpan>) -> Vec<TokenWithSpan> {
    let mut out = Vec::with_capacity(tokens.len() + 3);
    let mut i = 0;
    while i < tokens.len() {
        let Some(close) = pattern_end(&tokens, i) else {
            out.push(tokens[i].clone());
            i += 1;
            continue;
        };
        let after = next_significant(&tokens, close + 1);
        let define = after.filter(|&w| is_word(&tokens[w], "WITHIN")).and_then(|w| {
            (w + 1..tokens.len())
                .find(|&k| is_word(&tokens[k], "DEFINE"))
                .map(|d| (w, d))
        });
        let Some((within_at, define_at)) = define else {
            out.extend_from_slice(&tokens[i..=close]);
            i = close + 1;
            continue;
        };
        out.extend_from_slice(&tokens[i..=close]);
        out.push(tokens[define_at].clone());
        let span = tokens[within_at].span;
        let made = |token: Token| TokenWithSpan { token, span };
        out.push(made(Token::Whitespace(Whitespace::Space)));
        out.push(made(Token::make_word(WITHIN_SYMBOL, None)));
        out.push(made(Token::Whitespace(Whitespace::Space)));
        out.push(made(Token::make_keyword("AS")));
        out.extend_from_slice(&tokens[within_at + 1..define_at]);
        out.push(made(Token::Comma));
        i = define_at + 1;
    }
    out
}

/// Where `PATTERN (...)` starting at `at` closes, if a pattern starts there.
fn pattern_end(tokens: &[TokenWithSpan], at: usize) -> Option<usize> {
    if !is_word(&tokens[at], "PATTERN") {
        return None;
    }
    let open = next_significant(tokens, at + 1).filter(|&o| tokens[o].token == Token::LParen)?;
    let mut depth = 0usize;
    for (k, token) in tokens.iter().enumerate().skip(open) {
        match token.token {
            Token::LParen => depth += 1,
            Token::RParen => {
                depth -= 1;
                if depth == 0 {
                    return Some(k);
                }
            }
            _ => {}
        }
    }
    None
}

fn next_significant(tokens: &[TokenWithSpan], from: usize) -> Option<usize> {
    (from..tokens.len()).find(|&k| !matches!(tokens[k].token, Token::Whitespace(_)))
}

fn is_word(token: &TokenWithSpan, word: &str) -> bool {
    matches!(&token.token, Token::Word(w) if w.quote_style.is_none() && w.value.eq_ignore_ascii_case(word))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::FlinkDialect;
    use sqlparser::ast::{Statement, TableFactor};
    use sqlparser::parser::Parser;
    use sqlparser::tokenizer::Tokenizer;

    fn parse(sql: &str) -> Statement {
        let tokens = Tokenizer::new(&FlinkDialect, sql).tokenize_with_location().unwrap();
        Parser::new(&FlinkDialect)
            .with_tokens_with_locations(move_within(tokens))
            .parse_statement()
            .unwrap()
    }

    fn symbols(statement: &Statement) -> Vec<SymbolDefinition> {
        let Statement::Query(query) = statement else {
            panic!("a query")
        };
        let sqlparser::ast::SetExpr::Select(select) = query.body.as_ref() else {
            panic!("a select")
        };
        match &select.from[0].relation {
            TableFactor::MatchRecognize { symbols, .. } => symbols.clone(),
            other => panic!("not a MATCH_RECOGNIZE: {other}"),
        }
    }

    #[test]
    fn within_moves_into_define_and_reads_back() {
        let statement = parse(
            "SELECT * FROM t MATCH_RECOGNIZE (PARTITION BY k ORDER BY ts MEASURES A.ts AS a \
             ONE ROW PER MATCH AFTER MATCH SKIP PAST LAST ROW PATTERN ((A B+) C) \
             WITHIN INTERVAL '5' SECOND DEFINE B AS B.x > A.x)",
        );
        let symbols = symbols(&statement);
        let (interval, defined) = within(&symbols);
        assert_eq!(interval.unwrap().to_string(), "INTERVAL '5' SECOND");
        assert_eq!(defined.len(), 1);
        assert_eq!(defined[0].symbol.value, "B");
    }

    #[test]
    fn a_pattern_without_within_is_untouched() {
        let statement = parse(
            "SELECT * FROM t MATCH_RECOGNIZE (ORDER BY ts MEASURES A.ts AS a PATTERN (A B) \
             DEFINE B AS B.x > A.x)",
        );
        let symbols = symbols(&statement);
        assert!(within(&symbols).0.is_none());
        assert_eq!(symbols.len(), 1);
    }
}
