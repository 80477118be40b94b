//! Flink SQL to what DataFusion plans: the same AST (both use sqlparser 0.62), with Flink's
//! functions rewritten where DataFusion names, types or formats them differently (Java date
//! patterns become strftime ones, integer results stay BIGINT, `IF` becomes `CASE`, ...). A call
//! of a function Flink does not have is refused, as Flink refuses it.

use std::ops::ControlFlow;

use datafusion::sql::sqlparser::ast::{
    CastKind, CeilFloorKind, CharacterLength, DataType, DateTimeField, DuplicateTreatment, Expr, FunctionArg,
    FunctionArgExpr, FunctionArgOperator, FunctionArgumentClause, FunctionArgumentList, FunctionArguments,
    JsonNullClause, Query, Value, ValueWithSpan, visit_expressions_mut,
};
use datafusion::sql::sqlparser::dialect::GenericDialect;
use datafusion::sql::sqlparser::parser::Parser;

use crate::error::EngineError;
use crate::java_format;
use crate::options::SessionOptions;

/// Rewrites Flink functions inside a query.
pub fn rewrite_query(query: &mut Query, session: &SessionOptions) -> Result<(), EngineError> {
    let scope = Scope {
        windowed: !pipegen_sql::window_tvfs(query).is_empty(),
        time_zone: session.time_zone().to_owned(),
    };
    match visit_expressions_mut(query, |e| rewrite(e, &scope)) {
        ControlFlow::Break(error) => Err(error),
        ControlFlow::Continue(()) => Ok(()),
    }
}

/// Rewrites Flink functions inside one expression (computed columns, watermarks).
pub fn rewrite_expr(expr: &mut Expr, session: &SessionOptions) -> Result<(), EngineError> {
    let scope = Scope {
        windowed: false,
        time_zone: session.time_zone().to_owned(),
    };
    match visit_expressions_mut(expr, |e| rewrite(e, &scope)) {
        ControlFlow::Break(error) => Err(error),
        ControlFlow::Continue(()) => Ok(()),
    }
}

/// What a rewrite needs to know of the query around the expression.
struct Scope {
    /// The query aggregates over a window table function.
    windowed: bool,
    /// The session's time zone, for functions of wall-clock time.
    time_zone: String,
}

pub(crate) fn plain_args(args: &FunctionArguments) -> Option<Vec<Expr>> {
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

/// An identifier quoted for SQL the engine writes and parses back.
pub(crate) fn quote(identifier: &str) -> String {
    format!("`{}`", identifier.replace('`', "``"))
}

/// A string literal in SQL.
fn quoted(text: &str) -> String {
    format!("'{}'", text.replace('\'', "''"))
}

/// Refuses a literal Java date pattern the engine cannot format as Flink does (with Java's
/// older `SimpleDateFormat` for FROM_UNIXTIME).
fn java_pattern(expr: &Expr, simple_date_format: bool) -> Result<(), EngineError> {
    let Some(text) = literal(expr) else {
        return Ok(());
    };
    match java_format::parse(text) {
        Some(items) if !simple_date_format || java_format::same_in_simple_date_format(&items) => Ok(()),
        _ => Err(EngineError::unsupported(format!("the date pattern {expr}"))),
    }
}

/// A Java date pattern literal in strftime form, quoted for SQL.
fn pattern(expr: &Expr) -> Result<String, EngineError> {
    literal(expr)
        .and_then(java_format::strftime)
        .map(|p| format!("'{}'", p.replace('\'', "''")))
        .ok_or_else(|| EngineError::unsupported(format!("the date pattern {expr}")))
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

/// Flink's scalar and aggregate functions that DataFusion names or types differently, or lacks.
fn function(name: &str, args: &[Expr], distinct: bool, scope: &Scope) -> Result<Option<Expr>, EngineError> {
    use crate::functions as own;
    let text = match (name, args) {
        // MOD(a, b) is `a % b` in DataFusion.
        ("MOD", [_, _]) => "(__arg0 % __arg1)".to_string(),
        // LAG as Flink runs it: an aggregate of the OVER frame.
        // The processing-time attribute: the time a row's batch is processed.
        ("PROCTIME", []) => format!("{}()", own::PROCTIME),
        ("LAG", [_]) => format!("{}(__arg0)", own::LAG),
        ("LAG", [_, _]) => format!("{}(__arg0, __arg1)", own::LAG),
        ("LAG", [_, _, _]) => format!("{}(__arg0, __arg1, __arg2)", own::LAG),
        ("IF", [_, _, _]) => "CASE WHEN __arg0 THEN __arg1 ELSE __arg2 END".into(),
        // DISTINCT keeps first-arrival order, as Flink does (pipegen's own aggregate; a window
        // aggregation merges partials in Flink's order, see `functions::java_hash_order`).
        ("LISTAGG", [_, _]) if distinct && scope.windowed => {
            return Err(EngineError::unsupported(
                "LISTAGG(DISTINCT value, separator) over a window (Flink's distinct key is then a row)",
            ));
        }
        ("LISTAGG", [_]) if distinct => format!("{}(__arg0, ',')", own::LISTAGG_DISTINCT),
        ("LISTAGG", [_, _]) if distinct => format!("{}(__arg0, __arg1)", own::LISTAGG_DISTINCT),
        ("LISTAGG", [_]) => "string_agg(__arg0, ',')".into(),
        ("LISTAGG", [_, _]) => "string_agg(__arg0, __arg1)".into(),
        // TO_TIMESTAMP_LTZ(epoch, precision): seconds (0) or milliseconds (3).
        ("TO_TIMESTAMP_LTZ", [_, precision]) => match precision.to_string().as_str() {
            "0" => "to_timestamp_seconds(__arg0)".into(),
            "3" => "to_timestamp_millis(__arg0)".into(),
            other => {
                return Err(EngineError::unsupported(format!(
                    "TO_TIMESTAMP_LTZ of precision {other}"
                )));
            }
        },
        ("DATE_FORMAT", [_, format]) => {
            java_pattern(format, false)?;
            format!(
                "{}(CAST(__arg0 AS TIMESTAMP(9)), __arg1, {})",
                own::DATE_FORMAT,
                quoted(&scope.time_zone)
            )
        }
        ("FROM_UNIXTIME", [_]) => format!(
            "{}(CAST(__arg0 AS BIGINT), 'yyyy-MM-dd HH:mm:ss', {})",
            own::FROM_UNIXTIME,
            quoted(&scope.time_zone)
        ),
        ("FROM_UNIXTIME", [_, format]) => {
            java_pattern(format, true)?;
            format!(
                "{}(CAST(__arg0 AS BIGINT), __arg1, {})",
                own::FROM_UNIXTIME,
                quoted(&scope.time_zone)
            )
        }
        ("UNIX_TIMESTAMP", []) => "CAST(date_part('epoch', now()) AS BIGINT)".into(),
        ("UNIX_TIMESTAMP", [_]) => format!(
            "{}(__arg0, 'yyyy-MM-dd HH:mm:ss', {})",
            own::UNIX_TIMESTAMP,
            quoted(&scope.time_zone)
        ),
        ("UNIX_TIMESTAMP", [_, format]) => {
            pattern(format)?;
            format!("{}(__arg0, __arg1, {})", own::UNIX_TIMESTAMP, quoted(&scope.time_zone))
        }
        // Flink's TIMESTAMP(3), not nanoseconds.
        ("TO_TIMESTAMP", [_]) => "CAST(to_timestamp(__arg0) AS TIMESTAMP(3))".into(),
        ("TO_TIMESTAMP", [_, format]) => format!("CAST(to_timestamp(__arg0, {}) AS TIMESTAMP(3))", pattern(format)?),
        ("TO_DATE", [_, format]) => format!("to_date(__arg0, {})", pattern(format)?),
        ("TIMESTAMPADD", [unit_name, _, _]) => {
            let unit = unit(&unit_name.to_string()).ok_or_else(|| unsupported_unit(name, unit_name))?;
            // DataFusion multiplies no interval by a number: the interval is spelled out.
            format!("__arg2 + CAST(concat(CAST(__arg1 AS VARCHAR), ' {unit}') AS INTERVAL)")
        }
        ("TIMESTAMPDIFF", [unit_name, _, _]) => {
            let unit = unit(&unit_name.to_string()).ok_or_else(|| unsupported_unit(name, unit_name))?;
            format!(
                "{}('{unit}', CAST(__arg1 AS TIMESTAMP(3)), CAST(__arg2 AS TIMESTAMP(3)))",
                own::TIMESTAMPDIFF
            )
        }
        ("YEAR" | "QUARTER" | "MONTH" | "WEEK" | "HOUR" | "MINUTE" | "SECOND", [_]) => {
            format!(
                "CAST(date_part('{}', __arg0) AS BIGINT)",
                unit(name).unwrap_or_default()
            )
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
        ("MD5" | "SHA1" | "SHA224" | "SHA256" | "SHA384" | "SHA512", [_]) => format!("{}('{name}', __arg0)", own::HASH),
        ("SHA2", [_, _]) => format!("{}(concat('SHA', CAST(__arg1 AS VARCHAR)), __arg0)", own::HASH),
        ("INITCAP", [_]) => format!("{}(__arg0)", own::INITCAP),
        ("LOCATE", [_, _]) => format!("{}(__arg0, __arg1, 1)", own::LOCATE),
        ("LOCATE", [_, _, _]) => format!("{}(__arg0, __arg1, __arg2)", own::LOCATE),
        ("REGEXP", [_, regex]) => format!("{}(__arg0, __arg1)", regexp(own::REGEXP, regex)?),
        ("REGEXP_EXTRACT", [_, regex]) => format!("{}(__arg0, __arg1, 0)", regexp(own::REGEXP_EXTRACT, regex)?),
        ("REGEXP_EXTRACT", [_, regex, _]) => {
            format!("{}(__arg0, __arg1, __arg2)", regexp(own::REGEXP_EXTRACT, regex)?)
        }
        ("REGEXP_REPLACE", [_, regex, _]) => {
            format!("{}(__arg0, __arg1, __arg2)", regexp(own::REGEXP_REPLACE, regex)?)
        }
        ("ARRAY_AGG", [_]) if distinct => format!("{}(__arg0)", own::ARRAY_AGG_DISTINCT),
        ("ARRAY_AGG", [_]) => format!("{}(__arg0)", own::ARRAY_AGG),
        ("VAR_POP" | "VARPOP", [_]) => format!("{}(__arg0)", own::VAR_POP),
        ("VAR_SAMP" | "VARSAMP" | "VARIANCE", [_]) => format!("{}(__arg0)", own::VAR_SAMP),
        ("STDDEV_POP" | "STDDEVPOP", [_]) => format!("{}(__arg0)", own::STDDEV_POP),
        ("STDDEV_SAMP" | "STDDEVSAMP" | "STDDEV", [_]) => format!("{}(__arg0)", own::STDDEV_SAMP),
        ("ROUND", [_]) => format!("{}(__arg0, 0)", own::ROUND),
        ("ROUND", [_, _]) => format!("{}(__arg0, __arg1)", own::ROUND),
        ("TRUNCATE", [_]) => format!("{}(__arg0, 0)", own::TRUNCATE),
        ("TRUNCATE", [_, _]) => format!("{}(__arg0, __arg1)", own::TRUNCATE),
        ("SIGN", [_]) => format!("{}(__arg0)", own::SIGN),
        ("LOG10", [_]) => format!("{}(__arg0)", own::LOG10),
        // NULL when any argument is NULL (DataFusion's skip NULLs).
        ("CONCAT", [_, ..]) => null_if_any_null(args, "concat"),
        ("GREATEST" | "LEAST", [_, ..]) => {
            let args: Vec<Expr> = args.iter().map(decimal_literal).collect();
            let own = if name == "GREATEST" { own::GREATEST } else { own::LEAST };
            let names: Vec<String> = (0..args.len()).map(|i| format!("__arg{i}")).collect();
            return Ok(template(&format!("{own}({})", names.join(", ")), &args));
        }
        _ => return Ok(None),
    };
    Ok(template(&text, args))
}

fn unsupported_unit(function: &str, unit: &Expr) -> EngineError {
    EngineError::unsupported(format!("{function} in {unit}"))
}

/// `f(__arg0, ...)`, NULL when any argument is NULL.
fn null_if_any_null(args: &[Expr], f: &str) -> String {
    let names: Vec<String> = (0..args.len()).map(|i| format!("__arg{i}")).collect();
    let any_null: Vec<String> = names.iter().map(|n| format!("{n} IS NULL")).collect();
    format!(
        "CASE WHEN {} THEN NULL ELSE {f}({}) END",
        any_null.join(" OR "),
        names.join(", ")
    )
}

/// A numeric literal with a point (`0.00`) as the DECIMAL Flink takes it for (DataFusion reads
/// it as a DOUBLE), where that decides a result's type.
fn decimal_literal(expr: &Expr) -> Expr {
    if let Expr::Value(ValueWithSpan {
        value: Value::Number(text, _),
        ..
    }) = expr
        && let Some((whole, fraction)) = text.split_once('.')
        && whole.bytes().chain(fraction.bytes()).all(|b| b.is_ascii_digit())
    {
        let digits = whole.trim_start_matches('0').len() + fraction.len();
        if let Some(cast) = template(
            &format!("CAST({text} AS DECIMAL({}, {}))", digits.max(1), fraction.len()),
            &[],
        ) {
            return cast;
        }
    }
    expr.clone()
}

/// The engine's regex function, refused for a literal pattern it cannot run as Java would.
fn regexp(function: &'static str, regex: &Expr) -> Result<&'static str, EngineError> {
    match literal(regex) {
        Some(pattern) if crate::functions::compile_java_regex(pattern).is_none() => Err(EngineError::unsupported(
            format!("the regular expression '{pattern}' (Java's syntax beyond what the engine's regex runs)"),
        )),
        _ => Ok(function),
    }
}

/// CAST and TRY_CAST to a string, a number or a boolean as Flink casts (see
/// `functions::cast`); CAST to TIME as Flink's TIME(0), without fractions of a second.
fn cast(kind: &CastKind, value: &Expr, target: &DataType) -> Option<Expr> {
    let function = match kind {
        CastKind::Cast | CastKind::DoubleColon => crate::functions::CAST,
        CastKind::TryCast | CastKind::SafeCast => crate::functions::TRY_CAST,
    };
    let args = [value.clone()];
    let length = |length: &Option<CharacterLength>| match length {
        Some(CharacterLength::IntegerLength { length, .. }) => Some(*length),
        _ => None,
    };
    let text = match target {
        DataType::String(_) | DataType::Text => format!("{function}(__arg0, CAST(NULL AS STRING))"),
        DataType::Varchar(n) | DataType::CharacterVarying(n) => match length(n) {
            Some(n) => format!("substr({function}(__arg0, CAST(NULL AS STRING)), 1, {n})"),
            None => format!("{function}(__arg0, CAST(NULL AS STRING))"),
        },
        DataType::Char(n) | DataType::Character(n) => {
            let n = length(n).unwrap_or(1);
            format!("rpad(substr({function}(__arg0, CAST(NULL AS STRING)), 1, {n}), {n})")
        }
        DataType::Boolean
        | DataType::TinyInt(_)
        | DataType::SmallInt(_)
        | DataType::Int(_)
        | DataType::Integer(_)
        | DataType::BigInt(_)
        | DataType::Float(_)
        | DataType::Real
        | DataType::Double(_)
        | DataType::DoublePrecision
        | DataType::Decimal(_)
        | DataType::Dec(_)
        | DataType::Numeric(_) => format!("{function}(__arg0, CAST(NULL AS {target}))"),
        DataType::Time(None, _) if function == crate::functions::CAST => "arrow_cast(__arg0, 'Time32(Second)')".into(),
        _ => return None,
    };
    template(&text, &args)
}

/// Flink's JSON functions, whose behaviours and keys come as named arguments and clauses
/// (see `pipegen_sql`'s JSON syntax and `functions::json`).
fn json_call(name: &str, list: &FunctionArgumentList) -> Result<Option<Expr>, EngineError> {
    use crate::functions as own;
    let unsupported = || EngineError::unsupported(format!("this form of {name}"));
    let mut positional = Vec::new();
    let mut behaviours = Vec::new();
    let mut keyed = Vec::new();
    for arg in &list.args {
        match arg {
            FunctionArg::Unnamed(FunctionArgExpr::Expr(e)) => positional.push(e.clone()),
            // JSON_OBJECT's `'key' VALUE value`, which sqlparser reads as a named argument.
            FunctionArg::Named {
                name: key,
                arg: FunctionArgExpr::Expr(e),
                operator: FunctionArgOperator::Value,
            } if name == "JSON_OBJECT" => keyed.push((
                Expr::Value(Value::SingleQuotedString(key.value.clone()).into()),
                e.clone(),
            )),
            FunctionArg::Named {
                name,
                arg: FunctionArgExpr::Expr(e),
                ..
            } => behaviours.push((name.value.clone(), e.clone())),
            FunctionArg::ExprNamed {
                name,
                arg: FunctionArgExpr::Expr(e),
                operator: FunctionArgOperator::Value,
            } => keyed.push((name.clone(), e.clone())),
            _ => return Err(unsupported()),
        }
    }
    let returning = list.clauses.iter().find_map(|c| match c {
        FunctionArgumentClause::JsonReturningClause(r) => Some(r.data_type.to_string()),
        _ => None,
    });
    let absent_on_null = list
        .clauses
        .iter()
        .any(|c| matches!(c, FunctionArgumentClause::JsonNullClause(JsonNullClause::AbsentOnNull)));
    let other_clauses = list.clauses.iter().any(|c| {
        !matches!(
            c,
            FunctionArgumentClause::JsonReturningClause(_) | FunctionArgumentClause::JsonNullClause(_)
        )
    });
    if other_clauses {
        return Err(unsupported());
    }
    if let [_, path, ..] = positional.as_slice()
        && let Some(path) = literal(path)
        && !own::readable_json_path(path)
    {
        return Err(EngineError::unsupported(format!("the JSON path '{path}'")));
    }
    // A behaviour named `ON_EMPTY_DEFAULT`: its kind, and the default's expression.
    let behaviour = |when: &str| {
        behaviours.iter().find_map(|(n, e)| {
            n.strip_prefix(when)
                .map(|kind| (kind.trim_start_matches('_').to_owned(), e.clone()))
        })
    };
    let text = match (name, positional.as_slice()) {
        ("JSON_VALUE", [_, _]) if keyed.is_empty() => {
            let ty = returning.unwrap_or_else(|| "STRING".to_owned());
            let (on_empty, empty_default) = behaviour(pipegen_sql::ON_EMPTY).unwrap_or(("NULL".into(), null()));
            let (on_error, error_default) = behaviour(pipegen_sql::ON_ERROR).unwrap_or(("NULL".into(), null()));
            positional.push(empty_default);
            positional.push(error_default);
            format!(
                "{}(__arg0, __arg1, '{on_empty}', CAST(__arg2 AS {ty}), '{on_error}', CAST(__arg3 AS {ty}), CAST(NULL AS {ty}))",
                own::JSON_VALUE
            )
        }
        ("JSON_EXISTS", [_, _]) if keyed.is_empty() && returning.is_none() => {
            let on_error = behaviour(pipegen_sql::ON_ERROR).map_or("FALSE".to_owned(), |(kind, _)| kind);
            format!("{}(__arg0, __arg1, '{on_error}')", own::JSON_EXISTS)
        }
        ("JSON_QUERY", [_, _]) if keyed.is_empty() && behaviours.is_empty() && returning.is_none() => {
            format!("{}(__arg0, __arg1)", own::JSON_QUERY)
        }
        // NULL is no JSON: FALSE, not NULL.
        ("IS_JSON", [_]) => format!("coalesce({}(__arg0, 'VALUE'), false)", own::IS_JSON),
        ("IS_JSON", [_, kind]) if literal(kind).is_some() => {
            format!("coalesce({}(__arg0, __arg1), false)", own::IS_JSON)
        }
        ("JSON_OBJECT", []) if behaviours.is_empty() && returning.is_none() => {
            // A nested JSON_OBJECT or JSON_ARRAY is inserted as JSON in Flink, not as text.
            let nested = keyed.iter().any(
                |(_, v)| matches!(v, Expr::Function(f) if f.name.to_string().to_ascii_uppercase().starts_with("JSON_")),
            );
            if nested {
                return Err(unsupported());
            }
            let mut names = Vec::new();
            for (key, value) in keyed {
                names.push(format!("__arg{}", positional.len()));
                positional.push(key);
                names.push(format!("__arg{}", positional.len()));
                positional.push(value);
            }
            let mut args = vec![absent_on_null.to_string()];
            args.extend(names);
            format!("{}({})", own::JSON_OBJECT, args.join(", "))
        }
        ("JSON_VALUE" | "JSON_EXISTS" | "JSON_QUERY" | "JSON_OBJECT" | "IS_JSON", _) => return Err(unsupported()),
        _ => return Ok(None),
    };
    Ok(template(&text, &positional))
}

fn null() -> Expr {
    Expr::Value(Value::Null.into())
}

/// Rewrites one expression; its operands are rewritten already (the visit is post-order), so
/// every call seen here is one the query makes.
fn rewrite(expr: &mut Expr, scope: &Scope) -> ControlFlow<EngineError> {
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
                FunctionArguments::List(list) if name.starts_with("JSON") || name == "IS_JSON" => {
                    match json_call(&name, list) {
                        Ok(replacement) => replacement,
                        Err(error) => return ControlFlow::Break(error),
                    }
                }
                args => match plain_args(args).map(|args| function(&name, &args, distinct, scope)) {
                    Some(Err(error)) => return ControlFlow::Break(error),
                    Some(Ok(replacement)) => replacement,
                    None => None,
                },
            }
        }
        Expr::Cast {
            kind,
            expr: inner,
            data_type,
            format: None,
            array: false,
        } => cast(kind, inner, data_type),
        // CEIL(x) and FLOOR(x) of a number: Flink's result types.
        Expr::Ceil {
            expr: inner,
            field: CeilFloorKind::DateTimeField(DateTimeField::NoDateTime),
        } => template(&format!("{}(__arg0)", crate::functions::CEIL), &[(**inner).clone()]),
        Expr::Floor {
            expr: inner,
            field: CeilFloorKind::DateTimeField(DateTimeField::NoDateTime),
        } => template(&format!("{}(__arg0)", crate::functions::FLOOR), &[(**inner).clone()]),
        Expr::Floor { .. } | Expr::Ceil { .. } => floor_or_ceil(expr),
        // EXTRACT gives a BIGINT in Flink, and its MILLISECOND and MICROSECOND are within the
        // second (DataFusion's count the second's too).
        Expr::Extract { field, .. } => {
            let within = match field {
                DateTimeField::Millisecond | DateTimeField::Milliseconds => " % 1000",
                DateTimeField::Microsecond | DateTimeField::Microseconds => " % 1000000",
                _ => "",
            };
            template(&format!("CAST(__arg0 AS BIGINT){within}"), std::slice::from_ref(expr))
        }
        Expr::Identifier(ident)
            if ident.quote_style.is_none() && ident.value.eq_ignore_ascii_case("LOCALTIMESTAMP") =>
        {
            template("CAST(now() AS TIMESTAMP(3))", &[])
        }
        _ => None,
    };
    if let Some(mut replacement) = replacement {
        // An aggregate called OVER a window (or with a FILTER) stays so.
        if let (Expr::Function(original), Expr::Function(translated)) = (&*expr, &mut replacement) {
            translated.over = original.over.clone();
            translated.filter = original.filter.clone();
        }
        *expr = Expr::Nested(Box::new(replacement));
    }
    ControlFlow::Continue(())
}
