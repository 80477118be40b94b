//! Flink SQL to what DataFusion plans: the same AST (both use sqlparser 0.62), with Flink's
//! function names rewritten where DataFusion spells them differently.

use std::ops::ControlFlow;

use datafusion::sql::sqlparser::ast::{
    BinaryOperator, Expr, FunctionArg, FunctionArgExpr, FunctionArguments, Ident, ObjectName, ObjectNamePart, Query,
    Value, ValueWithSpan, visit_expressions_mut,
};

/// Rewrites Flink functions inside a query.
pub fn rewrite_query(query: &mut Query) {
    let _ = visit_expressions_mut(query, |expr| {
        rewrite(expr);
        ControlFlow::<()>::Continue(())
    });
}

/// Rewrites Flink functions inside one expression (computed columns, watermarks).
pub fn rewrite_expr(expr: &mut Expr) {
    let _ = visit_expressions_mut(expr, |e| {
        rewrite(e);
        ControlFlow::<()>::Continue(())
    });
}

fn plain_args(args: &FunctionArguments) -> Option<Vec<Expr>> {
    let FunctionArguments::List(list) = args else {
        return None;
    };
    list.args
        .iter()
        .map(|a| match a {
            FunctionArg::Unnamed(FunctionArgExpr::Expr(e)) => Some(e.clone()),
            _ => None,
        })
        .collect()
}

fn rewrite(expr: &mut Expr) {
    let Expr::Function(function) = expr else { return };
    let name = function.name.to_string().to_ascii_uppercase();
    if name == "MOD" {
        // MOD(a, b) is `a % b` in DataFusion.
        if let Some([a, b]) = plain_args(&function.args).as_deref() {
            *expr = Expr::Nested(Box::new(Expr::BinaryOp {
                left: Box::new(a.clone()),
                op: BinaryOperator::Modulo,
                right: Box::new(b.clone()),
            }));
        }
        return;
    }
    if name == "TO_TIMESTAMP_LTZ" {
        // TO_TIMESTAMP_LTZ(epoch, precision): seconds (0) or milliseconds (3).
        let FunctionArguments::List(list) = &mut function.args else {
            return;
        };
        let precision = match list.args.get(1) {
            Some(FunctionArg::Unnamed(FunctionArgExpr::Expr(Expr::Value(ValueWithSpan {
                value: Value::Number(n, _),
                ..
            })))) => n.clone(),
            _ => return,
        };
        let replacement = match precision.as_str() {
            "0" => "to_timestamp_seconds",
            "3" => "to_timestamp_millis",
            _ => return,
        };
        list.args.truncate(1);
        function.name = ObjectName(vec![ObjectNamePart::Identifier(Ident::new(replacement))]);
    }
}
