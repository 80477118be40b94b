//! Scalar subqueries in a WHERE (`WHERE amount > (SELECT MAX(amount) FROM ...)`), as Flink
//! plans them: the query's table joined with the subquery's one-row aggregation, whose value
//! updates as its input grows (a row that passed is taken back when the value moves past it).
//! The join is on a constant column on both sides, so the operator graph runs it as a regular
//! join over an updating input.
//!
//! Only a subquery that is one aggregate without GROUP BY is rewritten (it has one row at
//! most); a subquery naming the outer query's columns then fails to plan, naming the column.

use std::ops::ControlFlow;

use datafusion::sql::sqlparser::ast::{
    Expr, GroupByExpr, Ident, Query, Select, SelectItem, SetExpr, TableFactor, visit_expressions_mut,
};

use crate::error::EngineError;
use crate::translate::quote;

const ONE: &str = "__pipegen_one";

/// Rewrites the scalar subqueries in the WHEREs of `query`'s SELECTs.
pub fn rewrite(query: &mut Query) -> Result<(), EngineError> {
    struct Rewrite {
        count: usize,
        failure: Option<EngineError>,
    }
    impl datafusion::sql::sqlparser::ast::VisitorMut for Rewrite {
        type Break = ();
        fn pre_visit_query(&mut self, query: &mut Query) -> ControlFlow<()> {
            if let SetExpr::Select(select) = query.body.as_mut()
                && let Err(error) = rewrite_select(select, &mut self.count)
            {
                self.failure = Some(error);
                return ControlFlow::Break(());
            }
            ControlFlow::Continue(())
        }
    }
    let mut rewrite = Rewrite {
        count: 0,
        failure: None,
    };
    let _ = datafusion::sql::sqlparser::ast::VisitMut::visit(query, &mut rewrite);
    rewrite.failure.map_or(Ok(()), Err)
}

/// A subquery that is one aggregate without GROUP BY: its one expression.
fn one_aggregate(subquery: &Query) -> Option<&Expr> {
    let SetExpr::Select(select) = subquery.body.as_ref() else {
        return None;
    };
    let grouped = match &select.group_by {
        GroupByExpr::Expressions(exprs, _) => !exprs.is_empty(),
        GroupByExpr::All(_) => true,
    };
    match select.projection.as_slice() {
        [
            SelectItem::UnnamedExpr(expr @ Expr::Function(_))
            | SelectItem::ExprWithAlias {
                expr: expr @ Expr::Function(_),
                ..
            },
        ] if !grouped && select.having.is_none() => Some(expr),
        _ => None,
    }
}

fn rewrite_select(select: &mut Select, count: &mut usize) -> Result<(), EngineError> {
    let Some(selection) = &mut select.selection else {
        return Ok(());
    };
    // The subqueries to move, each replaced by its value column.
    let mut moved: Vec<(Query, String, String)> = Vec::new();
    let _ = visit_expressions_mut(selection, |expr| {
        if let Expr::Subquery(subquery) = expr
            && let Some(aggregate) = one_aggregate(subquery)
        {
            *count += 1;
            let alias = format!("__pipegen_subquery_{count}");
            let value = format!("__pipegen_scalar_{count}");
            let mut inner = (**subquery).clone();
            if let SetExpr::Select(inner_select) = inner.body.as_mut() {
                inner_select.projection = vec![
                    SelectItem::ExprWithAlias {
                        expr: aggregate.clone(),
                        alias: Ident::new(&value),
                    },
                    SelectItem::ExprWithAlias {
                        expr: one(),
                        alias: Ident::new(ONE),
                    },
                ];
            }
            *expr = Expr::CompoundIdentifier(vec![Ident::new(&alias), Ident::new(&value)]);
            moved.push((inner, alias, value));
        }
        ControlFlow::<()>::Continue(())
    });
    if moved.is_empty() {
        return Ok(());
    }
    if select
        .projection
        .iter()
        .any(|item| matches!(item, SelectItem::Wildcard(_) | SelectItem::QualifiedWildcard(..)))
    {
        return Err(EngineError::unsupported(
            "SELECT * with a scalar subquery (name the columns)",
        ));
    }
    let [from] = select.from.as_mut_slice() else {
        return Err(EngineError::unsupported(
            "a scalar subquery in a WHERE over several tables",
        ));
    };
    if !from.joins.is_empty() {
        return Err(EngineError::unsupported("a scalar subquery in a WHERE over a join"));
    }
    let TableFactor::Table { name, alias, .. } = &from.relation else {
        return Err(EngineError::unsupported("a scalar subquery in a WHERE over a subquery"));
    };
    let reader = alias
        .as_ref()
        .map_or_else(|| name.to_string(), |a| a.name.value.clone());
    let mut sql = format!("SELECT 1 FROM (SELECT *, 1 AS {ONE} FROM {name}) AS {}", quote(&reader));
    for (inner, alias, _) in &moved {
        sql.push_str(&format!(
            " JOIN ({inner}) AS {alias} ON {}.{ONE} = {alias}.{ONE}",
            quote(&reader)
        ));
    }
    let statements = datafusion::sql::sqlparser::parser::Parser::parse_sql(&pipegen_sql::FlinkDialect, &sql)
        .map_err(|e| EngineError::Invalid(format!("cannot rewrite the scalar subquery: {e}")))?;
    let Some(datafusion::sql::sqlparser::ast::Statement::Query(rewritten)) = statements.into_iter().next() else {
        return Err(EngineError::Invalid("cannot rewrite the scalar subquery".into()));
    };
    let SetExpr::Select(rewritten) = *rewritten.body else {
        return Err(EngineError::Invalid("cannot rewrite the scalar subquery".into()));
    };
    select.from = rewritten.from;
    Ok(())
}

fn one() -> Expr {
    Expr::Value(datafusion::sql::sqlparser::ast::Value::Number("1".into(), false).into())
}
