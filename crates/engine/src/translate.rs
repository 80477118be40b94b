//! Flink SQL to what DataFusion plans: the same AST (both use sqlparser 0.62), with Flink's
//! functions rewritten where DataFusion names, types or formats them differently (Java date
//! patterns become strftime ones, integer results stay BIGINT, `IF` becomes `CASE`, ...). A call
//! of a function Flink does not have is refused, as Flink refuses it.

use std::ops::ControlFlow;

use datafusion::sql::sqlparser::ast::{
    CeilFloorKind, DuplicateTreatment, Expr, FunctionArg, FunctionArgExpr, FunctionArguments, Query, Value,
    ValueWithSpan, visit_expressions_mut,
};
use datafusion::sql::sqlparser::dialect::GenericDialect;
use datafusion::sql::sqlparser::parser::Parser;

use crate::error::EngineError;
use crate::java_format;

/// Rewrites Flink functions inside a query.
pub fn rewrite_query(query: &mut Query) -> Result<(), EngineError> {
    match visit_expressions_mut(query, rewrite) {
        ControlFlow::Break(error) => Err(error),
        ControlFlow::Continue(()) => Ok(()),
    }
}

/// Rewrites Flink functions inside one expression (computed columns, watermarks).
pub fn rewrite_expr(expr: &mut Expr) -> Result<(), EngineError> {
    match visit_expressions_mut(expr, rewrite) {
        ControlFlow::Break(error) => Err(error),
        ControlFlow::Continue(()) => Ok(()),
    }
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

/// An expression from a template in DataFusion's SQL, `__arg0`, `__arg1`, ... standing for
/// `args` (kept as the AST they are, whatever their quoting).
fn template(text: &str, args: &[Expr]) -> Option<Expr> {
    let mut expr = Parser::new(&GenericDialect {})
        .try_with_sql(text)
        .ok()?
        .parse_expr()
        .ok()?;
    let _ = visit_expressions_mut(&mut expr, |e| {
        if let Expr::Identifier(ident) = e
            && let Some(n) = ident.value.strip_prefix("__arg").and_then(|n| n.parse::<usize>().ok())
            && let Some(arg) = args.get(n)
        {
            *e = arg.clone();
        }
        ControlFlow::<()>::Continue(())
    });
    Some(expr)
}

/// A string literal's text.
fn literal(expr: &Expr) -> Option<&str> {
    match expr {
        Expr::Value(ValueWithSpan {
            value: Value::SingleQuotedString(text),
            ..
        }) => Some(text),
        _ => None,
    }
}

/// A Java date pattern literal in strftime form, quoted for SQL.
fn pattern(expr: &Expr) -> Option<String> {
    java_format::strftime(literal(expr)?).map(|p| format!("'{}'", p.replace('\'', "''")))
}

/// A time unit keyword (`SECOND`, `HOUR`, ...) as DataFusion's `date_trunc` and `date_part`
/// name it.
fn unit(name: &str) -> Option<&'static str> {
    Some(match name.to_ascii_uppercase().trim_end_matches('S') {
        "YEAR" => "year",
        "QUARTER" => "quarter",
        "MONTH" => "month",
        "WEEK" => "week",
        "DAY" => "day",
        "HOUR" => "hour",
        "MINUTE" => "minute",
        "SECOND" => "second",
        _ => return None,
    })
}

/// Seconds in a unit of fixed length.
fn unit_seconds(unit: &str) -> Option<u64> {
    Some(match unit {
        "week" => 604_800,
        "day" => 86_400,
        "hour" => 3_600,
        "minute" => 60,
        "second" => 1,
        _ => return None,
    })
}

/// `FLOOR(ts TO unit)` and `CEIL(ts TO unit)`.
fn floor_or_ceil(expr: &Expr) -> Option<Expr> {
    let (inner, field, ceil) = match expr {
        Expr::Floor {
            expr,
            field: CeilFloorKind::DateTimeField(field),
        } => (expr, field, false),
        Expr::Ceil {
            expr,
            field: CeilFloorKind::DateTimeField(field),
        } => (expr, field, true),
        _ => return None,
    };
    let unit = unit(&field.to_string())?;
    let args = [(**inner).clone()];
    if ceil {
        template(
            &format!(
                "CASE WHEN date_trunc('{unit}', __arg0) = __arg0 THEN date_trunc('{unit}', __arg0) \
                 ELSE date_trunc('{unit}', __arg0) + INTERVAL '1' {unit} END"
            ),
            &args,
        )
    } else {
        template(&format!("date_trunc('{unit}', __arg0)"), &args)
    }
}

/// Flink's scalar and aggregate functions that DataFusion names or types differently.
fn function(name: &str, args: &[Expr], distinct: bool) -> Option<Expr> {
    let text = match (name, args) {
        // MOD(a, b) is `a % b` in DataFusion.
        ("MOD", [_, _]) => "(__arg0 % __arg1)".to_string(),
        ("IF", [_, _, _]) => "CASE WHEN __arg0 THEN __arg1 ELSE __arg2 END".into(),
        // DISTINCT keeps first-arrival order, as Flink does (pipegen's own aggregate).
        ("LISTAGG", [_]) if distinct => format!("{}(__arg0, ',')", crate::listagg::LISTAGG_DISTINCT),
        ("LISTAGG", [_, _]) if distinct => format!("{}(__arg0, __arg1)", crate::listagg::LISTAGG_DISTINCT),
        ("LISTAGG", [_]) => "string_agg(__arg0, ',')".into(),
        ("LISTAGG", [_, _]) => "string_agg(__arg0, __arg1)".into(),
        // TO_TIMESTAMP_LTZ(epoch, precision): seconds (0) or milliseconds (3).
        ("TO_TIMESTAMP_LTZ", [_, precision]) => match precision.to_string().as_str() {
            "0" => "to_timestamp_seconds(__arg0)".into(),
            "3" => "to_timestamp_millis(__arg0)".into(),
            _ => return None,
        },
        ("DATE_FORMAT", [_, format]) => format!("to_char(CAST(__arg0 AS TIMESTAMP), {})", pattern(format)?),
        ("FROM_UNIXTIME", [_]) => "to_char(to_timestamp_seconds(__arg0), '%Y-%m-%d %H:%M:%S')".into(),
        ("FROM_UNIXTIME", [_, format]) => format!("to_char(to_timestamp_seconds(__arg0), {})", pattern(format)?),
        ("UNIX_TIMESTAMP", []) => "CAST(date_part('epoch', now()) AS BIGINT)".into(),
        ("UNIX_TIMESTAMP", [_]) => {
            "CAST(date_part('epoch', to_timestamp(__arg0, '%Y-%m-%d %H:%M:%S')) AS BIGINT)".into()
        }
        ("UNIX_TIMESTAMP", [_, format]) => {
            format!(
                "CAST(date_part('epoch', to_timestamp(__arg0, {})) AS BIGINT)",
                pattern(format)?
            )
        }
        // Flink's TIMESTAMP(3), not nanoseconds.
        ("TO_TIMESTAMP", [_]) => "CAST(to_timestamp(__arg0) AS TIMESTAMP(3))".into(),
        ("TO_TIMESTAMP", [_, format]) => format!("CAST(to_timestamp(__arg0, {}) AS TIMESTAMP(3))", pattern(format)?),
        ("TO_DATE", [_, format]) => format!("to_date(__arg0, {})", pattern(format)?),
        ("TIMESTAMPADD", [unit_name, _, _]) => {
            let unit = unit(&unit_name.to_string())?;
            // DataFusion multiplies no interval by a number: the interval is spelled out.
            format!("__arg2 + CAST(concat(CAST(__arg1 AS VARCHAR), ' {unit}') AS INTERVAL)")
        }
        ("TIMESTAMPDIFF", [unit_name, _, _]) => {
            let seconds = unit_seconds(unit(&unit_name.to_string())?)?;
            format!("CAST((date_part('epoch', __arg2) - date_part('epoch', __arg1)) / {seconds} AS BIGINT)")
        }
        ("YEAR" | "QUARTER" | "MONTH" | "WEEK" | "HOUR" | "MINUTE" | "SECOND", [_]) => {
            format!("CAST(date_part('{}', __arg0) AS BIGINT)", unit(name)?)
        }
        ("DAYOFMONTH", [_]) => "CAST(date_part('day', __arg0) AS BIGINT)".into(),
        ("DAYOFYEAR", [_]) => "CAST(date_part('doy', __arg0) AS BIGINT)".into(),
        // Sunday is 1, as in Flink.
        ("DAYOFWEEK", [_]) => "CAST(date_part('dow', __arg0) AS BIGINT) + 1".into(),
        // 0-based; NULL past the last part.
        ("SPLIT_INDEX", [_, _, _]) => {
            "CASE WHEN __arg2 >= 0 AND __arg2 < cardinality(string_to_array(__arg0, __arg1)) \
             THEN split_part(__arg0, __arg1, __arg2 + 1) END"
                .into()
        }
        _ => return None,
    };
    template(&text, args)
}

/// Rewrites one expression; its operands are rewritten already (the visit is post-order), so
/// every call seen here is one the query makes.
fn rewrite(expr: &mut Expr) -> ControlFlow<EngineError> {
    if let Expr::Function(call) = expr
        && let Some(name) = call.name.0.last().and_then(|part| part.as_ident())
        && !pipegen_sql::is_flink_function(&name.value)
    {
        return ControlFlow::Break(EngineError::Invalid(format!(
            "unknown function `{}`: Flink has no such built-in function",
            name.value
        )));
    }
    let replacement = match expr {
        Expr::Function(function_call) => {
            let name = function_call.name.to_string().to_ascii_uppercase();
            let distinct = matches!(
                &function_call.args,
                FunctionArguments::List(list) if matches!(list.duplicate_treatment, Some(DuplicateTreatment::Distinct))
            );
            match &function_call.args {
                FunctionArguments::None if name == "LOCALTIMESTAMP" => template("CAST(now() AS TIMESTAMP(3))", &[]),
                args => plain_args(args).and_then(|args| function(&name, &args, distinct)),
            }
        }
        Expr::Floor { .. } | Expr::Ceil { .. } => floor_or_ceil(expr),
        // EXTRACT gives a BIGINT in Flink.
        Expr::Extract { .. } => template("CAST(__arg0 AS BIGINT)", std::slice::from_ref(expr)),
        Expr::Identifier(ident)
            if ident.quote_style.is_none() && ident.value.eq_ignore_ascii_case("LOCALTIMESTAMP") =>
        {
            template("CAST(now() AS TIMESTAMP(3))", &[])
        }
        _ => None,
    };
    if let Some(replacement) = replacement {
        *expr = Expr::Nested(Box::new(replacement));
    }
    ControlFlow::Continue(())
}
