//! Flink's SQL hints: `/*+ NAME, NAME(a, b), NAME('k' = 'v', ...) */` right after `SELECT` (a
//! query hint: join hints, `LOOKUP`, `STATE_TTL`) or right after a table's name (a table hint:
//! `OPTIONS`). sqlparser reads them as comments; they are read here from the statement's
//! tokens, each with what it applies to, so that the engines can act on them and `validate`
//! can check them.

use pipegen_diag::Position;
use sqlparser::ast::{ObjectName, Query, SetExpr, TableFactor, Visit, Visitor};
use sqlparser::keywords::Keyword;
use sqlparser::tokenizer::{Location, Token, TokenWithSpan, Tokenizer, Whitespace};

use crate::dialect::FlinkDialect;

/// One hint of a `/*+ ... */` comment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Hint {
    /// Upper case: Flink's hint names are case-insensitive.
    pub name: String,
    pub options: HintOptions,
    pub target: HintTarget,
    /// Where the hint's name is, in the file.
    pub position: Position,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HintOptions {
    /// `NAME` or `NAME()`.
    None,
    /// `NAME(a, 'b')`: identifiers or string literals.
    List(Vec<String>),
    /// `NAME('k' = 'v', k2 = 'v2')`.
    KeyValues(Vec<(String, String)>),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HintTarget {
    /// After `SELECT`.
    Query,
    /// After a table's name (in FROM, JOIN or INSERT INTO).
    Table {
        /// Dotted, unquoted, as written.
        name: String,
        /// Where the name's last part ends in the statement's text: the span end of the
        /// identifier sqlparser gives the table reference (see [`Hint::applies_to`]).
        name_end: Location,
    },
}

impl Hint {
    /// Whether this table hint belongs to the table reference `factor` of the same statement.
    pub fn applies_to(&self, factor: &TableFactor) -> bool {
        match (&self.target, factor) {
            (HintTarget::Table { name_end, .. }, TableFactor::Table { name, .. }) => {
                name_end_of(name) == Some(*name_end)
            }
            _ => false,
        }
    }

    /// Whether this table hint belongs to the INSERT target `name` of the same statement.
    pub fn applies_to_name(&self, name: &ObjectName) -> bool {
        matches!(&self.target, HintTarget::Table { name_end, .. } if name_end_of(name) == Some(*name_end))
    }

    /// The options of a key-value hint (`OPTIONS`, `LOOKUP`); empty for the others.
    pub fn key_values(&self) -> &[(String, String)] {
        match &self.options {
            HintOptions::KeyValues(pairs) => pairs,
            _ => &[],
        }
    }

    /// The options of a list hint (join hints); empty for the others.
    pub fn list(&self) -> &[String] {
        match &self.options {
            HintOptions::List(items) => items,
            _ => &[],
        }
    }
}

/// Flink's join strategy hints.
pub const JOIN_HINTS: [&str; 4] = ["BROADCAST", "SHUFFLE_HASH", "SHUFFLE_MERGE", "NEST_LOOP"];

/// The query hints Flink 2.1 knows (after SELECT); OPTIONS is its table hint.
pub const QUERY_HINTS: [&str; 6] = [
    "BROADCAST",
    "SHUFFLE_HASH",
    "SHUFFLE_MERGE",
    "NEST_LOOP",
    "LOOKUP",
    "STATE_TTL",
];

/// What Flink says of a statement's hints, before anything runs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HintFinding {
    /// Flink refuses the statement (else the hint only does nothing).
    pub error: bool,
    /// In the file.
    pub position: Position,
    pub message: String,
    pub hint: String,
}

/// Checks a statement's hints as Flink does: a hint it does not know, or a hint in a place it
/// does not take one, is an error; so is a join hint naming no table, view or alias of a query
/// with a regular join. A hint that changes nothing in a streaming job is a warning.
/// `queries` are the statement's queries; `is_view` tells the declared views.
pub fn check_hints<'q>(
    hints: &[Hint],
    queries: impl IntoIterator<Item = &'q Query> + Clone,
    is_view: impl Fn(&str) -> bool,
) -> Vec<HintFinding> {
    let mut findings = Vec::new();
    let known = format!("OPTIONS after a table's name; {} after SELECT", QUERY_HINTS.join(", "));
    for hint in hints {
        let name = hint.name.as_str();
        let mut finding = |error: bool, message: String, advice: String| {
            findings.push(HintFinding {
                error,
                position: hint.position,
                message,
                hint: advice,
            })
        };
        match (&hint.target, name) {
            (HintTarget::Table { .. }, "OPTIONS") => {}
            (HintTarget::Query, "OPTIONS") => finding(
                false,
                "an OPTIONS hint after SELECT does nothing: Flink takes OPTIONS only after a table's name".into(),
                "move it after the table it is for: `FROM orders /*+ OPTIONS('k' = 'v') */`".into(),
            ),
            (HintTarget::Query, join) if JOIN_HINTS.contains(&join) => {
                let scope = join_scope(queries.clone());
                let unknown: Vec<&String> = hint
                    .list()
                    .iter()
                    .filter(|n| !scope.names.contains(n) && !is_view(n))
                    .collect();
                if scope.regular_join && !unknown.is_empty() {
                    finding(
                        true,
                        format!(
                            "{join}({}) names {}, not a table, view or alias of the query (Flink: \"The options of following hints cannot match the name of input tables or views\")",
                            hint.list().join(", "),
                            unknown.iter().map(|n| format!("`{n}`")).collect::<Vec<_>>().join(", ")
                        ),
                        format!("name the join's inputs: {}", scope.names.join(", ")),
                    );
                } else {
                    finding(
                        false,
                        format!(
                            "the {join} hint changes nothing in a streaming job (it picks how a batch join ships its rows)"
                        ),
                        "drop it, or keep it for a batch run".into(),
                    );
                }
            }
            (HintTarget::Query, "LOOKUP" | "STATE_TTL") => {}
            (HintTarget::Table { .. }, other) if QUERY_HINTS.contains(&other) => finding(
                true,
                format!("{other} is a query hint: it goes right after SELECT, not after a table's name"),
                format!("write `SELECT /*+ {other}(...) */ ...`"),
            ),
            (_, other) => {
                let suggestion = pipegen_diag::did_you_mean(other, QUERY_HINTS.iter().copied().chain(["OPTIONS"]))
                    .map(|s| format!("did you mean {s}? "))
                    .unwrap_or_default();
                finding(
                    true,
                    format!(
                        "Flink knows no hint {other} (it fails with \"Hint: {other} should be registered in the HintStrategyTable\")"
                    ),
                    format!("{suggestion}Flink's hints: {known}"),
                );
            }
        }
    }
    findings
}

/// The names and aliases a query's table references go by, and whether it joins relations by
/// a regular join (not a lookup or temporal join, whose inputs join hints do not name).
struct JoinScope {
    names: Vec<String>,
    regular_join: bool,
}

fn join_scope<'q>(queries: impl IntoIterator<Item = &'q Query>) -> JoinScope {
    struct Find(JoinScope);
    impl Visitor for Find {
        type Break = ();
        fn pre_visit_table_factor(&mut self, factor: &TableFactor) -> std::ops::ControlFlow<()> {
            if let TableFactor::Table { name, alias, .. } = factor {
                self.0.names.push(crate::parse::object_name(name));
                if let Some(alias) = alias {
                    self.0.names.push(alias.name.value.clone());
                }
            }
            std::ops::ControlFlow::Continue(())
        }
        fn pre_visit_query(&mut self, query: &Query) -> std::ops::ControlFlow<()> {
            if let SetExpr::Select(select) = query.body.as_ref() {
                let temporal = |f: &TableFactor| matches!(f, TableFactor::Table { version: Some(_), .. });
                let regular = select.from.len() > 1
                    || select
                        .from
                        .iter()
                        .flat_map(|from| &from.joins)
                        .any(|join| !temporal(&join.relation));
                self.0.regular_join |= regular;
            }
            std::ops::ControlFlow::Continue(())
        }
    }
    let mut find = Find(JoinScope {
        names: Vec::new(),
        regular_join: false,
    });
    for query in queries {
        let _ = query.visit(&mut find);
    }
    find.0
}

fn name_end_of(name: &ObjectName) -> Option<Location> {
    name.0
        .last()
        .and_then(|part| part.as_ident())
        .map(|ident| ident.span.end)
}

/// A hint that does not read, at a location in the statement's text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct HintSyntaxError {
    pub message: String,
    pub location: Location,
    pub hint: String,
}

/// The hints of a statement's tokens (as the tokenizer gives them, comments included), with
/// positions relative to the statement's text.
pub(crate) fn read_hints(tokens: &[TokenWithSpan]) -> Result<Vec<Hint>, HintSyntaxError> {
    let mut hints = Vec::new();
    for (at, token) in tokens.iter().enumerate() {
        let Token::Whitespace(Whitespace::MultiLineComment(body)) = &token.token else {
            continue;
        };
        let Some(body) = body.strip_prefix('+') else {
            continue;
        };
        let target = target(tokens, at).ok_or_else(|| HintSyntaxError {
            message: "a hint goes right after SELECT or right after a table's name".into(),
            location: token.span.start,
            hint: "move it there, or write `/* ... */` (no `+`) for a comment".into(),
        })?;
        // The body starts three characters into the comment, after `/*+`.
        let start = Location::new(token.span.start.line, token.span.start.column + 3);
        for (name, options, location) in items(body, start)? {
            hints.push(Hint {
                name,
                options,
                target: target.clone(),
                position: Position::new(location.line as usize, location.column as usize),
            });
        }
    }
    Ok(hints)
}

/// What the hint comment at `at` applies to, from the tokens before it.
fn target(tokens: &[TokenWithSpan], at: usize) -> Option<HintTarget> {
    let mut before = tokens[..at]
        .iter()
        .rev()
        .filter(|t| !matches!(t.token, Token::Whitespace(_)));
    let last = before.next()?;
    match &last.token {
        Token::Word(word) if word.keyword == Keyword::SELECT && word.quote_style.is_none() => Some(HintTarget::Query),
        Token::Word(word) => {
            let mut parts = vec![word.value.clone()];
            loop {
                match before.next().map(|t| &t.token) {
                    Some(Token::Period) => match before.next().map(|t| &t.token) {
                        Some(Token::Word(part)) => parts.push(part.value.clone()),
                        _ => return None,
                    },
                    Some(Token::Word(w)) if matches!(w.keyword, Keyword::FROM | Keyword::JOIN | Keyword::INTO) => break,
                    Some(Token::Comma) => break,
                    _ => return None,
                }
            }
            parts.reverse();
            Some(HintTarget::Table {
                name: parts.join("."),
                name_end: last.span.end,
            })
        }
        _ => None,
    }
}

/// The hints of one comment's body: `NAME [ ( options ) ] [, ...]`.
fn items(body: &str, start: Location) -> Result<Vec<(String, HintOptions, Location)>, HintSyntaxError> {
    let locate = |l: Location| {
        if l.line == 1 {
            Location::new(start.line, start.column + l.column - 1)
        } else {
            Location::new(start.line + l.line - 1, l.column)
        }
    };
    let fail = |message: String, l: Location| HintSyntaxError {
        message,
        location: locate(l),
        hint: "write hints as `/*+ NAME, NAME(a, b), NAME('key' = 'value') */`".into(),
    };
    let tokens: Vec<TokenWithSpan> = Tokenizer::new(&FlinkDialect, body)
        .tokenize_with_location()
        .map_err(|e| fail(format!("the hint does not read: {}", e.message), e.location))?
        .into_iter()
        .filter(|t| !matches!(t.token, Token::Whitespace(_)))
        .collect();
    let end = tokens.last().map_or(Location::new(1, 1), |t| t.span.end);
    let mut items = Vec::new();
    let mut i = 0;
    while i < tokens.len() {
        let Token::Word(name) = &tokens[i].token else {
            return Err(fail(
                format!("expected a hint's name, found `{}`", tokens[i].token),
                tokens[i].span.start,
            ));
        };
        let location = locate(tokens[i].span.start);
        i += 1;
        let mut options = HintOptions::None;
        if matches!(tokens.get(i).map(|t| &t.token), Some(Token::LParen)) {
            i += 1;
            let mut list = Vec::new();
            let mut pairs = Vec::new();
            while !matches!(tokens.get(i).map(|t| &t.token), Some(Token::RParen)) {
                let Some(first) = tokens.get(i) else {
                    return Err(fail(format!("`{}(` is not closed", name.value), end));
                };
                let key = value_text(&first.token)
                    .ok_or_else(|| fail(format!("expected an option, found `{}`", first.token), first.span.start))?;
                i += 1;
                if matches!(tokens.get(i).map(|t| &t.token), Some(Token::Eq)) {
                    let value = tokens.get(i + 1);
                    let Some(Token::SingleQuotedString(value)) = value.map(|t| &t.token) else {
                        let found = value.map_or(end, |t| t.span.start);
                        return Err(fail(format!("`{key} =` takes a string literal ('...')"), found));
                    };
                    pairs.push((key, value.clone()));
                    i += 2;
                } else {
                    list.push(key);
                }
                if !list.is_empty() && !pairs.is_empty() {
                    return Err(fail(
                        format!("`{}` mixes `key = value` options with plain ones", name.value),
                        first.span.start,
                    ));
                }
                match tokens.get(i).map(|t| &t.token) {
                    Some(Token::Comma) => i += 1,
                    Some(Token::RParen) => {}
                    Some(other) => {
                        return Err(fail(
                            format!("expected `,` or `)`, found `{other}`"),
                            tokens[i].span.start,
                        ));
                    }
                    None => return Err(fail(format!("`{}(` is not closed", name.value), end)),
                }
            }
            i += 1;
            options = if !pairs.is_empty() {
                HintOptions::KeyValues(pairs)
            } else if !list.is_empty() {
                HintOptions::List(list)
            } else {
                HintOptions::None
            };
        }
        items.push((name.value.to_uppercase(), options, location));
        match tokens.get(i).map(|t| &t.token) {
            Some(Token::Comma) => i += 1,
            None => {}
            Some(other) => {
                return Err(fail(
                    format!("expected `,` between hints, found `{other}`"),
                    tokens[i].span.start,
                ));
            }
        }
    }
    Ok(items)
}

/// An option's text: an identifier as written, or a string literal's value.
fn value_text(token: &Token) -> Option<String> {
    match token {
        Token::Word(word) => Some(word.value.clone()),
        Token::SingleQuotedString(text) => Some(text.clone()),
        Token::Number(number, _) => Some(number.clone()),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hints_of(sql: &str) -> Result<Vec<Hint>, HintSyntaxError> {
        let tokens = Tokenizer::new(&FlinkDialect, sql).tokenize_with_location().unwrap();
        read_hints(&tokens)
    }

    #[test]
    fn query_and_table_hints_with_their_options() {
        let hints = hints_of(
            "SELECT /*+ BROADCAST(u), LOOKUP('table'='u', 'max-attempts'='2') */ *\n\
             FROM orders o JOIN db.users /*+ OPTIONS('lookup.cache' = 'PARTIAL') */ FOR SYSTEM_TIME AS OF o.p AS u ON true",
        )
        .unwrap();
        assert_eq!(hints.len(), 3);
        assert_eq!(hints[0].name, "BROADCAST");
        assert_eq!(hints[0].options, HintOptions::List(vec!["u".into()]));
        assert_eq!(hints[0].target, HintTarget::Query);
        assert_eq!(hints[0].position, Position::new(1, 12));
        assert_eq!(hints[1].key_values()[1], ("max-attempts".into(), "2".into()));
        assert_eq!(hints[2].name, "OPTIONS");
        let HintTarget::Table { name, name_end } = &hints[2].target else {
            panic!("a table hint");
        };
        assert_eq!(name, "db.users");
        assert_eq!(*name_end, Location::new(2, 28));
        assert_eq!(hints[2].position, Position::new(2, 33));
    }

    #[test]
    fn plain_comments_and_names_without_options() {
        let hints = hints_of("SELECT /* not a hint */ a FROM t /*+ use_hash_agg, NEST_LOOP() */").unwrap();
        assert_eq!(hints.len(), 2);
        assert_eq!(hints[0].name, "USE_HASH_AGG");
        assert_eq!(hints[1].options, HintOptions::None);
    }

    #[test]
    fn malformed_hints_and_misplaced_ones_are_errors_at_their_place() {
        for (sql, wanted) in [
            ("SELECT /*+ OPTIONS('a' = 1) */ 1", "takes a string literal"),
            ("SELECT /*+ OPTIONS('a' = 'b' */ 1", "is not closed"),
            ("SELECT /*+ OPTIONS('a' = 'b', c) */ 1", "mixes"),
            ("SELECT /*+ A B */ 1", "between hints"),
            ("SELECT a /*+ X */ FROM t WHERE a = 1 /*+ Y */", "right after SELECT"),
        ] {
            let error = hints_of(sql).unwrap_err();
            assert!(error.message.contains(wanted), "{sql}: {}", error.message);
        }
        let error = hints_of("SELECT\n  /*+ OPTIONS('a' = 1) */ 1").unwrap_err();
        assert_eq!(error.location, Location::new(2, 21));
    }
}
