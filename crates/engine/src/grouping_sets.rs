//! `GROUP BY GROUPING SETS (...)`, `CUBE (...)` and `ROLLUP (...)`, in plain and window
//! aggregations, as the UNION ALL of one aggregation per grouping set: the columns a set
//! leaves out are NULL (of their type), and `GROUPING(c)` and `GROUPING_ID(a, b, ...)` are the
//! set's constants, as Flink computes them (a 1 bit for each column left out, the first
//! argument the highest bit). Flink expands the rows and aggregates once; the table each
//! grouping set gives is the same, and so is its changelog mode (a window aggregation's stays
//! append-only).

use std::ops::ControlFlow;

use datafusion::sql::sqlparser::ast::{
    Expr, Function, FunctionArg, FunctionArgExpr, FunctionArguments, GroupByExpr, Query, Select, SelectItem, SetExpr,
    SetOperator, SetQuantifier,
};

use crate::error::EngineError;

/// Flink's aggregate functions: their arguments read the rows, not the grouping.
const AGGREGATES: &[&str] = &[
    "COUNT",
    "SUM",
    "SUM0",
    "MIN",
    "MAX",
    "AVG",
    "STDDEV",
    "STDDEV_POP",
    "STDDEV_SAMP",
    "VARIANCE",
    "VAR_POP",
    "VAR_SAMP",
    "COLLECT",
    "LISTAGG",
    "ARRAY_AGG",
    "FIRST_VALUE",
    "LAST_VALUE",
    "BOOL_AND",
    "BOOL_OR",
    "JSON_OBJECTAGG",
    "JSON_ARRAYAGG",
    "APPROX_COUNT_DISTINCT",
];

/// Expands every SELECT of `query` that groups by grouping sets.
pub fn expand(query: &mut Query) -> Result<(), EngineError> {
    struct Expand(Option<EngineError>);
    impl datafusion::sql::sqlparser::ast::VisitorMut for Expand {
        type Break = ();
        fn pre_visit_query(&mut self, query: &mut Query) -> ControlFlow<()> {
            if let SetExpr::Select(select) = query.body.as_ref()
                && let Some(sets) = grouping_sets(select)
            {
                match expand_select(select, sets) {
                    Ok(body) => *query.body = body,
                    Err(error) => {
                        self.0 = Some(error);
                        return ControlFlow::Break(());
                    }
                }
            }
            ControlFlow::Continue(())
        }
    }
    let mut expand = Expand(None);
    let _ = datafusion::sql::sqlparser::ast::VisitMut::visit(query, &mut expand);
    expand.0.map_or(Ok(()), Err)
}

/// The grouping expressions every set has, and the sets: `None` for a plain GROUP BY.
struct Sets {
    /// Every expression some set groups by, in order of appearance (GROUPING_ID's bits).
    all: Vec<Expr>,
    /// Each set's expressions (the plain GROUP BY columns included).
    sets: Vec<Vec<Expr>>,
}

fn grouping_sets(select: &Select) -> Option<Sets> {
    let GroupByExpr::Expressions(exprs, _) = &select.group_by else {
        return None;
    };
    if !exprs
        .iter()
        .any(|e| matches!(e, Expr::GroupingSets(_) | Expr::Cube(_) | Expr::Rollup(_)))
    {
        return None;
    }
    // The cross product of each GROUP BY item's sets (a plain column is one set of itself).
    let mut sets: Vec<Vec<Expr>> = vec![Vec::new()];
    let mut all: Vec<Expr> = Vec::new();
    for expr in exprs {
        let choices: Vec<Vec<Expr>> = match expr {
            Expr::GroupingSets(sets) => sets.clone(),
            Expr::Cube(elements) => (0..1u64 << elements.len())
                .rev()
                .map(|mask| {
                    elements
                        .iter()
                        .enumerate()
                        .filter(|(i, _)| mask & (1 << (elements.len() - 1 - i)) != 0)
                        .flat_map(|(_, e)| e.clone())
                        .collect()
                })
                .collect(),
            Expr::Rollup(elements) => (0..=elements.len())
                .rev()
                .map(|n| elements[..n].iter().flatten().cloned().collect())
                .collect(),
            plain => vec![vec![plain.clone()]],
        };
        for choice in &choices {
            for e in choice {
                if !all.contains(e) {
                    all.push(e.clone());
                }
            }
        }
        sets = sets
            .into_iter()
            .flat_map(|prefix| {
                choices.iter().map(move |choice| {
                    let mut set = prefix.clone();
                    set.extend(choice.iter().cloned());
                    set
                })
            })
            .collect();
    }
    Some(Sets { all, sets })
}

/// The UNION ALL of one SELECT per grouping set.
fn expand_select(select: &Select, sets: Sets) -> Result<SetExpr, EngineError> {
    let mut branches = sets.sets.iter().map(|set| branch(select, &sets.all, set));
    let first = branches
        .next()
        .ok_or_else(|| EngineError::Invalid("GROUPING SETS without a set".into()))??;
    branches.try_fold(first, |left, right| {
        Ok(SetExpr::SetOperation {
            op: SetOperator::Union,
            set_quantifier: SetQuantifier::All,
            left: Box::new(left),
            right: Box::new(right?),
        })
    })
}

/// The SELECT of one grouping set: the columns it leaves out NULL, GROUPING constant.
fn branch(select: &Select, all: &[Expr], set: &[Expr]) -> Result<SetExpr, EngineError> {
    let mut select = select.clone();
    let left_out: Vec<&Expr> = all.iter().filter(|e| !set.contains(e)).collect();
    select.group_by = GroupByExpr::Expressions(set.to_vec(), Vec::new());
    let mut failure = None;
    for item in &mut select.projection {
        let (expr, alias) = match item {
            SelectItem::UnnamedExpr(expr) => (expr, None),
            SelectItem::ExprWithAlias { expr, alias } => (expr, Some(alias.clone())),
            _ => {
                failure = Some(EngineError::unsupported(
                    "`*` in a SELECT with GROUPING SETS, CUBE or ROLLUP",
                ));
                continue;
            }
        };
        // A column keeps its name when the set leaves it out.
        let name = alias.or_else(|| match &*expr {
            Expr::Identifier(ident) => Some(ident.clone()),
            Expr::CompoundIdentifier(parts) => parts.last().cloned(),
            _ => None,
        });
        if let Err(error) = replace(expr, all, &left_out) {
            failure = Some(error);
        }
        if let Some(name) = name {
            *item = SelectItem::ExprWithAlias {
                expr: expr.clone(),
                alias: name,
            };
        }
    }
    if let Some(having) = &mut select.having {
        replace(having, all, &left_out)?;
    }
    match failure {
        Some(error) => Err(error),
        None => Ok(SetExpr::Select(Box::new(select))),
    }
}

/// Puts NULL for the left-out grouping expressions and the constants for GROUPING and
/// GROUPING_ID in `expr`, outside aggregate functions' arguments.
fn replace(expr: &mut Expr, all: &[Expr], left_out: &[&Expr]) -> Result<(), EngineError> {
    struct Replace<'a> {
        all: &'a [Expr],
        left_out: &'a [&'a Expr],
        /// Nodes whose subtrees are left as they are (aggregates, and NULLs put in place),
        /// by address, until the visit leaves them.
        skipping: Vec<*const Expr>,
    }
    impl datafusion::sql::sqlparser::ast::VisitorMut for Replace<'_> {
        type Break = EngineError;
        fn pre_visit_expr(&mut self, expr: &mut Expr) -> ControlFlow<EngineError> {
            if !self.skipping.is_empty() {
                return ControlFlow::Continue(());
            }
            if let Expr::Function(function) = &*expr {
                let name = function.name.to_string().to_ascii_uppercase();
                if AGGREGATES.contains(&name.as_str()) || function.over.is_some() {
                    self.skipping.push(expr as *const Expr);
                    return ControlFlow::Continue(());
                }
                if name == "GROUPING" || name == "GROUPING_ID" {
                    match grouping_bits(function, self.all, self.left_out) {
                        Ok(bits) => *expr = bigint(bits),
                        Err(error) => return ControlFlow::Break(error),
                    }
                    return ControlFlow::Continue(());
                }
            }
            if self.left_out.contains(&&*expr) {
                *expr = null_of(expr.clone());
                self.skipping.push(expr as *const Expr);
            }
            ControlFlow::Continue(())
        }

        fn post_visit_expr(&mut self, expr: &mut Expr) -> ControlFlow<EngineError> {
            if self.skipping.last() == Some(&(expr as *const Expr)) {
                self.skipping.pop();
            }
            ControlFlow::Continue(())
        }
    }
    let mut visitor = Replace {
        all,
        left_out,
        skipping: Vec::new(),
    };
    match datafusion::sql::sqlparser::ast::VisitMut::visit(expr, &mut visitor) {
        ControlFlow::Break(error) => Err(error),
        ControlFlow::Continue(()) => Ok(()),
    }
}

/// `MAX(CASE WHEN FALSE THEN e END)`: NULL of `e`'s type, an aggregate (the set does not
/// group by `e`).
fn null_of(expr: Expr) -> Expr {
    use datafusion::sql::sqlparser::ast::helpers::attached_token::AttachedToken;
    let null = Expr::Case {
        case_token: AttachedToken::empty(),
        end_token: AttachedToken::empty(),
        operand: None,
        conditions: vec![datafusion::sql::sqlparser::ast::CaseWhen {
            condition: Expr::Value(datafusion::sql::sqlparser::ast::Value::Boolean(false).into()),
            result: expr,
        }],
        else_result: None,
    };
    Expr::Function(Function {
        name: datafusion::sql::sqlparser::ast::ObjectName::from(vec![datafusion::sql::sqlparser::ast::Ident::new(
            "MAX",
        )]),
        uses_odbc_syntax: false,
        parameters: FunctionArguments::None,
        args: FunctionArguments::List(datafusion::sql::sqlparser::ast::FunctionArgumentList {
            duplicate_treatment: None,
            args: vec![FunctionArg::Unnamed(FunctionArgExpr::Expr(null))],
            clauses: Vec::new(),
        }),
        filter: None,
        null_treatment: None,
        over: None,
        within_group: Vec::new(),
    })
}

/// GROUPING(a, ...) and GROUPING_ID(a, ...): a 1 bit for each argument the set leaves out,
/// the first argument the highest.
fn grouping_bits(function: &Function, all: &[Expr], left_out: &[&Expr]) -> Result<i64, EngineError> {
    let FunctionArguments::List(list) = &function.args else {
        return Err(EngineError::Invalid("GROUPING takes grouping columns".into()));
    };
    let mut bits = 0i64;
    for arg in &list.args {
        let FunctionArg::Unnamed(FunctionArgExpr::Expr(argument)) = arg else {
            return Err(EngineError::Invalid("GROUPING takes grouping columns".into()));
        };
        if !all.contains(argument) {
            return Err(EngineError::Invalid(format!(
                "GROUPING's argument `{argument}` is not a grouping column"
            )));
        }
        bits = (bits << 1) | i64::from(left_out.contains(&argument));
    }
    Ok(bits)
}

fn bigint(value: i64) -> Expr {
    Expr::Cast {
        kind: datafusion::sql::sqlparser::ast::CastKind::Cast,
        expr: Box::new(Expr::Value(
            datafusion::sql::sqlparser::ast::Value::Number(value.to_string(), false).into(),
        )),
        data_type: datafusion::sql::sqlparser::ast::DataType::BigInt(None),
        array: false,
        format: None,
    }
}
