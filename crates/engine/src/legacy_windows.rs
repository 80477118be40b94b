//! Flink's legacy group windows (`GROUP BY TUMBLE(ts, INTERVAL '1' MINUTE)` with
//! `TUMBLE_START(...)`, `TUMBLE_END(...)`, `TUMBLE_ROWTIME(...)`, and the HOP forms) as the
//! window table functions that replaced them: the same windows, the same lateness rules.

use std::ops::ControlFlow;

use datafusion::sql::sqlparser::ast::{
    Expr, FunctionArguments, GroupByExpr, Ident, Query, SetExpr, Statement, TableFactor, visit_expressions_mut,
};
use datafusion::sql::sqlparser::parser::Parser;
use pipegen_sql::FlinkDialect;

use crate::error::EngineError;

fn window_function(expr: &Expr) -> Option<(&'static str, Vec<Expr>)> {
    let Expr::Function(f) = expr else { return None };
    let name = match f.name.to_string().to_ascii_uppercase().as_str() {
        "TUMBLE" => "TUMBLE",
        "HOP" => "HOP",
        "SESSION" => "SESSION",
        _ => return None,
    };
    let FunctionArguments::List(list) = &f.args else {
        return None;
    };
    let args: Vec<Expr> = list
        .args
        .iter()
        .map(|a| match a {
            datafusion::sql::sqlparser::ast::FunctionArg::Unnamed(
                datafusion::sql::sqlparser::ast::FunctionArgExpr::Expr(e),
            ) => Some(e.clone()),
            _ => None,
        })
        .collect::<Option<_>>()?;
    // A legacy window's first argument is a column; a TVF's is `TABLE t`.
    matches!(args.first(), Some(Expr::Identifier(_) | Expr::CompoundIdentifier(_))).then_some((name, args))
}

/// Rewrites a query grouping by a legacy window into the TVF form; `Ok(false)` when the
/// query has none.
pub fn rewrite(query: &mut Query) -> Result<bool, EngineError> {
    let SetExpr::Select(select) = query.body.as_mut() else {
        return Ok(false);
    };
    let GroupByExpr::Expressions(keys, _) = &mut select.group_by else {
        return Ok(false);
    };
    let Some(index) = keys.iter().position(|k| window_function(k).is_some()) else {
        return Ok(false);
    };
    let (kind, args) = window_function(&keys[index]).expect("found above");
    // A legacy session window keeps sessions per value of the other grouping columns.
    let partition_by: Vec<String> = keys
        .iter()
        .enumerate()
        .filter(|(i, _)| *i != index)
        .filter(|(_, k)| matches!(k, Expr::Identifier(_)))
        .map(|(_, k)| k.to_string())
        .collect();
    let [from] = select.from.as_mut_slice() else {
        return Err(EngineError::unsupported("a legacy group window over a join"));
    };
    if !from.joins.is_empty() {
        return Err(EngineError::unsupported("a legacy group window over a join"));
    }
    let TableFactor::Table { name, alias, .. } = &from.relation else {
        return Err(EngineError::unsupported("a legacy group window over a subquery"));
    };
    let sizes: Vec<String> = args[1..].iter().map(ToString::to_string).collect();
    let alias = alias.as_ref().map(|a| format!(" AS {a}")).unwrap_or_default();
    let partition = if kind == "SESSION" && !partition_by.is_empty() {
        format!(" PARTITION BY ({})", partition_by.join(", "))
    } else {
        String::new()
    };
    let relation = format!(
        "SELECT 1 FROM TABLE({kind}(TABLE {name}{partition}, DESCRIPTOR({}), {})){alias}",
        args[0],
        sizes.join(", ")
    );
    from.relation = parse_relation(&relation)?;
    // `*_ROWTIME` reads `window_time`, which one window's rows share: grouping by it too
    // changes no group.
    keys.splice(
        index..=index,
        [
            Expr::Identifier(Ident::new("window_start")),
            Expr::Identifier(Ident::new("window_end")),
            Expr::Identifier(Ident::new("window_time")),
        ],
    );
    let _ = visit_expressions_mut(query, |expr| {
        if let Expr::Function(f) = expr {
            let column = match f.name.to_string().to_ascii_uppercase().as_str() {
                "TUMBLE_START" | "HOP_START" | "SESSION_START" => Some("window_start"),
                "TUMBLE_END" | "HOP_END" | "SESSION_END" => Some("window_end"),
                "TUMBLE_ROWTIME" | "HOP_ROWTIME" | "SESSION_ROWTIME" => Some("window_time"),
                _ => None,
            };
            if let Some(column) = column {
                *expr = Expr::Identifier(Ident::new(column));
            }
        }
        ControlFlow::<()>::Continue(())
    });
    Ok(true)
}

/// The FROM item of a `SELECT 1 FROM <relation>` text.
pub fn parse_relation(sql: &str) -> Result<TableFactor, EngineError> {
    let statements = Parser::parse_sql(&FlinkDialect, sql).map_err(|e| EngineError::Invalid(e.to_string()))?;
    if let Some(Statement::Query(query)) = statements.into_iter().next()
        && let SetExpr::Select(select) = *query.body
        && let Some(from) = select.from.into_iter().next()
    {
        return Ok(from.relation);
    }
    Err(EngineError::Invalid(format!("cannot rewrite the window as `{sql}`")))
}
