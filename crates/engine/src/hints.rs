//! What a statement's hints (Flink's `/*+ ... */`, read by pipegen-sql) ask of the embedded
//! engine, checked as Flink checks them:
//!
//! - `OPTIONS('k' = 'v')` after a table's name: that reference reads a table of its own, the
//!   declared one with the options merged (Flink's dynamic table options).
//! - `LOOKUP('table' = 'd', 'retry-predicate' = 'lookup_miss', ...)` after SELECT: a lookup
//!   join that finds no row asks again, after a fixed delay, up to `max-attempts` times.
//! - Join hints (BROADCAST, SHUFFLE_HASH, SHUFFLE_MERGE, NEST_LOOP) choose how a batch join
//!   ships its rows; a streaming join has one way, so they change nothing.
//! - `STATE_TTL` is refused (the engine keeps no per-operator state time-to-live); what Flink
//!   refuses (a hint it does not know, a join hint naming no input) is refused.

use std::time::Duration;

use datafusion::sql::sqlparser::ast::{Ident, Query, TableAlias, TableFactor, VisitMut};
use pipegen_sql::{CreateTable, Hint, HintTarget};

use crate::error::EngineError;

/// The options of Flink's LOOKUP hint.
const LOOKUP_OPTIONS: [&str; 9] = [
    "table",
    "async",
    "output-mode",
    "capacity",
    "timeout",
    "retry-predicate",
    "retry-strategy",
    "fixed-delay",
    "max-attempts",
];

/// A LOOKUP hint's retry of a lookup that found nothing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MissRetry {
    pub delay: Duration,
    /// Lookups after the first.
    pub attempts: u32,
}

/// A LOOKUP hint: the lookup join of the table named (or aliased) `table`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct LookupHint {
    pub table: String,
    pub miss_retry: Option<MissRetry>,
}

/// Checks a statement's hints against its query (or queries) as Flink does (see
/// [`pipegen_sql::check_hints`]); returns its LOOKUP hints.
pub(crate) fn query_hints<'a>(
    hints: &[Hint],
    queries: impl IntoIterator<Item = &'a Query> + Clone,
    is_view: impl Fn(&str) -> bool,
) -> Result<Vec<LookupHint>, EngineError> {
    if let Some(refused) = pipegen_sql::check_hints(hints, queries, is_view)
        .into_iter()
        .find(|finding| finding.error)
    {
        return Err(EngineError::Invalid(format!(
            "line {}: {} ({})",
            refused.position.line, refused.message, refused.hint
        )));
    }
    let mut lookups = Vec::new();
    for hint in hints.iter().filter(|h| h.target == HintTarget::Query) {
        let at = format!("the {} hint at line {}", hint.name, hint.position.line);
        match hint.name.as_str() {
            "LOOKUP" => lookups.push(lookup_hint(hint, &at)?),
            "STATE_TTL" => {
                return Err(EngineError::unsupported(format!(
                    "{at} (a state time-to-live per operator); set 'table.exec.state.ttl' for the whole job"
                )));
            }
            _ => {}
        }
    }
    Ok(lookups)
}

fn lookup_hint(hint: &Hint, at: &str) -> Result<LookupHint, EngineError> {
    let invalid = |why: String| EngineError::Invalid(format!("{at}: {why}"));
    let options = hint.key_values();
    if options.is_empty() {
        return Err(invalid(
            "LOOKUP takes 'key' = 'value' options, 'table' among them".into(),
        ));
    }
    let get = |key: &str| options.iter().find(|(k, _)| k == key).map(|(_, v)| v.as_str());
    if let Some((key, _)) = options.iter().find(|(k, _)| !LOOKUP_OPTIONS.contains(&k.as_str())) {
        return Err(invalid(format!(
            "LOOKUP has no option '{key}'; its options: {}",
            LOOKUP_OPTIONS.join(", ")
        )));
    }
    let table =
        get("table").ok_or_else(|| invalid("LOOKUP needs 'table' (the lookup table's name or alias)".into()))?;
    let retry = [
        get("retry-predicate"),
        get("retry-strategy"),
        get("fixed-delay"),
        get("max-attempts"),
    ];
    let miss_retry = match retry {
        [None, None, None, None] => None,
        [Some(predicate), Some(strategy), Some(delay), Some(attempts)] => {
            if !predicate.eq_ignore_ascii_case("lookup_miss") {
                return Err(invalid(format!(
                    "'retry-predicate' = '{predicate}': Flink retries on 'lookup_miss' only"
                )));
            }
            if !strategy.eq_ignore_ascii_case("fixed_delay") {
                return Err(invalid(format!(
                    "'retry-strategy' = '{strategy}': Flink's strategy is 'fixed_delay'"
                )));
            }
            let delay = crate::options::parse_duration(delay).ok_or_else(|| {
                invalid(format!(
                    "'fixed-delay' = '{delay}' is no duration (such as '10ms' or '1s')"
                ))
            })?;
            let attempts: u32 = attempts
                .trim()
                .parse()
                .ok()
                .filter(|n| *n > 0)
                .ok_or_else(|| invalid(format!("'max-attempts' = '{attempts}' is no positive count")))?;
            Some(MissRetry { delay, attempts })
        }
        _ => {
            return Err(invalid(
                "a retry needs 'retry-predicate', 'retry-strategy', 'fixed-delay' and 'max-attempts' together".into(),
            ));
        }
    };
    Ok(LookupHint {
        table: table.to_owned(),
        miss_retry,
    })
}

/// The table references of `query` that an OPTIONS hint follows, each made to read a table of
/// its own: `declared(name)` gives the declared table (`None` for a view: Flink takes OPTIONS
/// on tables only), `fresh(name)` a name for the new table. Returns the tables to declare; a
/// reference keeps the name it went by as its alias.
pub(crate) fn hinted_tables<'t>(
    query: &mut Query,
    hints: &[Hint],
    declared: impl Fn(&str) -> Option<&'t CreateTable>,
    mut fresh: impl FnMut(&str) -> String,
) -> Result<Vec<CreateTable>, EngineError> {
    let options: Vec<&Hint> = hints
        .iter()
        .filter(|h| h.name == "OPTIONS" && matches!(h.target, HintTarget::Table { .. }))
        .collect();
    if options.is_empty() {
        return Ok(Vec::new());
    }
    struct Apply<'h, 't, D, F> {
        options: &'h [&'h Hint],
        used: Vec<bool>,
        declared: D,
        fresh: F,
        tables: Vec<CreateTable>,
        error: Option<EngineError>,
        _t: std::marker::PhantomData<&'t ()>,
    }
    impl<'t, D: Fn(&str) -> Option<&'t CreateTable>, F: FnMut(&str) -> String>
        datafusion::sql::sqlparser::ast::VisitorMut for Apply<'_, 't, D, F>
    {
        type Break = ();
        fn pre_visit_table_factor(&mut self, factor: &mut TableFactor) -> std::ops::ControlFlow<()> {
            let Some(at) = self.options.iter().position(|h| h.applies_to(factor)) else {
                return std::ops::ControlFlow::Continue(());
            };
            self.used[at] = true;
            let hint = self.options[at];
            let TableFactor::Table { name, alias, .. } = factor else {
                return std::ops::ControlFlow::Continue(());
            };
            let written = pipegen_sql::object_name(name);
            let Some(table) = (self.declared)(&written) else {
                self.error = Some(EngineError::Invalid(format!(
                    "the OPTIONS hint at line {}: `{written}` is a view, and Flink takes OPTIONS on tables only (\"Hints can only be applied to tables\")",
                    hint.position.line
                )));
                return std::ops::ControlFlow::Break(());
            };
            let mut hinted = table.with_hint_options(hint);
            hinted.name = (self.fresh)(&written);
            *name = datafusion::sql::sqlparser::ast::ObjectName::from(vec![Ident::new(hinted.name.clone())]);
            if alias.is_none() {
                let last = written.rsplit('.').next().unwrap_or(&written).to_owned();
                *alias = Some(TableAlias {
                    explicit: true,
                    name: Ident::new(last),
                    columns: Vec::new(),
                    at: None,
                });
            }
            self.tables.push(hinted);
            std::ops::ControlFlow::Continue(())
        }
    }
    let mut apply = Apply {
        options: &options,
        used: vec![false; options.len()],
        declared,
        fresh: &mut fresh,
        tables: Vec::new(),
        error: None,
        _t: std::marker::PhantomData,
    };
    let _ = query.visit(&mut apply);
    if let Some(error) = apply.error {
        return Err(error);
    }
    if let Some(unused) = apply.used.iter().position(|used| !used) {
        let hint = options[unused];
        return Err(EngineError::Invalid(format!(
            "the OPTIONS hint at line {} follows no table of the query: write it right after a table's name (`FROM orders /*+ OPTIONS(...) */ AS o`)",
            hint.position.line
        )));
    }
    Ok(apply.tables)
}
