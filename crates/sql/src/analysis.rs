//! What a query reads, which windows it opens, and which columns it produces.

use std::ops::ControlFlow;

use pipegen_diag::Position;
use sqlparser::ast::{
    Expr, FunctionArg, FunctionArgExpr, FunctionArguments, Query, SelectItem, SetExpr, Spanned, TableFactor,
    visit_expressions, visit_relations,
};

use crate::dialect::{PARTITION_BY, TABLE_ARGUMENT};
use crate::parse::{object_name, position_of};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WindowKind {
    Tumble,
    Hop,
    Cumulate,
    Session,
}

impl WindowKind {
    fn from_function(name: &str) -> Option<Self> {
        match name.to_ascii_uppercase().as_str() {
            "TUMBLE" => Some(WindowKind::Tumble),
            "HOP" => Some(WindowKind::Hop),
            "CUMULATE" => Some(WindowKind::Cumulate),
            "SESSION" => Some(WindowKind::Session),
            _ => None,
        }
    }
}

/// A window table function: `TUMBLE(TABLE t, DESCRIPTOR(ts), INTERVAL '1' MINUTE)`.
#[derive(Debug, Clone, PartialEq)]
pub struct WindowTvf {
    pub kind: WindowKind,
    pub table: String,
    pub time_column: String,
    /// SESSION's `PARTITION BY` keys.
    pub partition_by: Vec<Expr>,
    /// The size arguments after the descriptor (size; slide and size; step and max; gap).
    pub sizes: Vec<Expr>,
}

/// A legacy group window: `GROUP BY TUMBLE(ts, INTERVAL '1' MINUTE)`.
#[derive(Debug, Clone, PartialEq)]
pub struct GroupWindow {
    pub kind: WindowKind,
    pub time_column: String,
    pub sizes: Vec<Expr>,
}

/// A name in a query, with where it stands relative to its statement (see
/// [`crate::ParsedStatement::locate`]); `None` when sqlparser kept no span for it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NameReference {
    pub name: String,
    pub at: Option<Position>,
}

fn start_of(node: &impl Spanned) -> Option<Position> {
    start_of_span(node.span())
}

fn start_of_span(span: sqlparser::tokenizer::Span) -> Option<Position> {
    (span.start.line > 0).then(|| position_of(span.start))
}

/// Tables and views the query reads (through FROM, joins, subqueries, UNION and window table
/// functions), in first-seen order, without the names of its own CTEs.
pub fn referenced_tables(query: &Query) -> Vec<String> {
    table_references(query).into_iter().map(|r| r.name).collect()
}

/// [`referenced_tables`], with where each is first named.
pub fn table_references(query: &Query) -> Vec<NameReference> {
    let mut ctes = Vec::new();
    collect_ctes(query, &mut ctes);
    let mut tables: Vec<NameReference> = Vec::new();
    let mut add = |name: String, at: Option<Position>| {
        if !ctes.contains(&name) && !tables.iter().any(|t| t.name == name) {
            tables.push(NameReference { name, at });
        }
    };
    let _ = visit_relations(query, |relation| {
        add(object_name(relation), start_of(relation));
        ControlFlow::<()>::Continue(())
    });
    let _ = visit_expressions(query, |expr| {
        if let Some(table) = table_argument(expr)
            && let Expr::Prefixed { value, .. } = expr
        {
            add(table, start_of(value.as_ref()));
        }
        ControlFlow::<()>::Continue(())
    });
    tables
}

/// Tables the query reads as of a point in time (`JOIN rates FOR SYSTEM_TIME AS OF o.ts`:
/// Flink's temporal joins), with where each is named.
pub fn temporal_tables(query: &Query) -> Vec<NameReference> {
    struct AsOf(Vec<NameReference>);
    impl sqlparser::ast::Visitor for AsOf {
        type Break = ();
        fn pre_visit_table_factor(&mut self, factor: &TableFactor) -> ControlFlow<()> {
            if let TableFactor::Table {
                name, version: Some(_), ..
            } = factor
            {
                self.0.push(NameReference {
                    name: object_name(name),
                    at: start_of(name),
                });
            }
            ControlFlow::Continue(())
        }
    }
    let mut found = AsOf(Vec::new());
    let _ = sqlparser::ast::Visit::visit(query, &mut found);
    found.0
}

/// For a query that reads exactly one table, directly or through one window table function,
/// with no join, subquery or CTE: that table, and whether a window adds `window_start`,
/// `window_end` and `window_time`. Such a query's column names can be checked against the
/// table without a planner.
pub fn single_source(query: &Query) -> Option<(String, bool)> {
    if query.with.is_some() {
        return None;
    }
    let SetExpr::Select(select) = query.body.as_ref() else {
        return None;
    };
    let [from] = select.from.as_slice() else { return None };
    if !from.joins.is_empty() {
        return None;
    }
    let mut subqueries = false;
    let _ = visit_expressions(query, |expr| {
        subqueries |= matches!(expr, Expr::Subquery(_) | Expr::InSubquery { .. } | Expr::Exists { .. });
        ControlFlow::<()>::Continue(())
    });
    if subqueries {
        return None;
    }
    match &from.relation {
        TableFactor::Table { name, args: None, .. } => Some((object_name(name), false)),
        TableFactor::TableFunction { .. } => {
            let windows = window_tvfs(query);
            match windows.as_slice() {
                [window] => Some((window.table.clone(), true)),
                _ => None,
            }
        }
        _ => None,
    }
}

/// Whether every row a query reads leads to at most one row out, as it arrives: one table, no
/// window, aggregate, DISTINCT or OVER. Such a pipeline's output can be counted against its
/// input; any other's cannot.
pub fn is_pass_through(query: &Query) -> bool {
    const AGGREGATES: &[&str] = &[
        "COUNT",
        "SUM",
        "MIN",
        "MAX",
        "AVG",
        "FIRST_VALUE",
        "LAST_VALUE",
        "LISTAGG",
        "STDDEV",
        "STDDEV_POP",
        "STDDEV_SAMP",
        "VAR_POP",
        "VAR_SAMP",
        "VARIANCE",
        "COLLECT",
    ];
    let Some((_, false)) = single_source(query) else {
        return false;
    };
    let SetExpr::Select(select) = query.body.as_ref() else {
        return false;
    };
    let grouped = !matches!(&select.group_by, sqlparser::ast::GroupByExpr::Expressions(e, _) if e.is_empty());
    let mut aggregates = false;
    let _ = visit_expressions(query, |expr| {
        if let Expr::Function(function) = expr {
            let name = object_name(&function.name).to_ascii_uppercase();
            aggregates |= function.over.is_some() || AGGREGATES.contains(&name.as_str());
        }
        ControlFlow::<()>::Continue(())
    });
    !grouped && select.distinct.is_none() && select.having.is_none() && !aggregates
}

/// Plain (unqualified or qualified) column names a query uses, each with where it stands.
pub fn column_references(query: &Query) -> Vec<NameReference> {
    let mut columns = Vec::new();
    let _ = visit_expressions(query, |expr| {
        match expr {
            Expr::Identifier(ident) => columns.push(NameReference {
                name: ident.value.clone(),
                at: start_of_span(ident.span),
            }),
            Expr::CompoundIdentifier(parts) => {
                if let Some(last) = parts.last() {
                    columns.push(NameReference {
                        name: last.value.clone(),
                        at: start_of_span(last.span),
                    });
                }
            }
            _ => {}
        }
        ControlFlow::<()>::Continue(())
    });
    columns
}

/// The functions a query calls (scalar, aggregate, window and table functions), each by its
/// last name part, with where the call stands.
pub fn function_references(query: &Query) -> Vec<NameReference> {
    let mut functions = Vec::new();
    let _ = visit_expressions(query, |expr| {
        if let Expr::Function(f) = expr
            && let Some(last) = f.name.0.last().and_then(|part| part.as_ident())
        {
            functions.push(NameReference {
                name: last.value.clone(),
                at: start_of_span(last.span),
            });
        }
        ControlFlow::<()>::Continue(())
    });
    functions
}

/// The aliases a query's SELECT list defines (usable in GROUP BY, HAVING and ORDER BY).
pub fn select_aliases(query: &Query) -> Vec<String> {
    match query.body.as_ref() {
        SetExpr::Select(select) => select
            .projection
            .iter()
            .filter_map(|item| match item {
                SelectItem::ExprWithAlias { alias, .. } => Some(alias.value.clone()),
                _ => None,
            })
            .collect(),
        _ => Vec::new(),
    }
}

fn collect_ctes(query: &Query, out: &mut Vec<String>) {
    if let Some(with) = &query.with {
        for cte in &with.cte_tables {
            out.push(cte.alias.name.value.clone());
            collect_ctes(&cte.query, out);
        }
    }
}

/// The table named by `TABLE t` (or `TABLE t PARTITION BY k`).
fn table_argument(expr: &Expr) -> Option<String> {
    let Expr::Prefixed { prefix, value } = expr else {
        return None;
    };
    if prefix.value != TABLE_ARGUMENT || prefix.quote_style.is_some() {
        return None;
    }
    match value.as_ref() {
        Expr::Identifier(ident) => Some(ident.value.clone()),
        Expr::CompoundIdentifier(parts) => Some(parts.iter().map(|p| p.value.clone()).collect::<Vec<_>>().join(".")),
        Expr::Prefixed { prefix, .. } => Some(prefix.value.replace('`', "")),
        _ => None,
    }
}

fn partition_keys(expr: &Expr) -> Vec<Expr> {
    if let Expr::Prefixed { value, .. } = expr
        && let Expr::Prefixed { value: inner, .. } = value.as_ref()
        && let Expr::Prefixed {
            prefix: by,
            value: keys,
        } = inner.as_ref()
        && by.value == PARTITION_BY
    {
        return match keys.as_ref() {
            Expr::Tuple(keys) => keys.clone(),
            key => vec![key.clone()],
        };
    }
    Vec::new()
}

fn function_args(args: &FunctionArguments) -> Vec<&Expr> {
    match args {
        FunctionArguments::List(list) => list
            .args
            .iter()
            .filter_map(|arg| match arg {
                FunctionArg::Unnamed(FunctionArgExpr::Expr(e)) => Some(e),
                FunctionArg::Named {
                    arg: FunctionArgExpr::Expr(e),
                    ..
                } => Some(e),
                FunctionArg::ExprNamed {
                    arg: FunctionArgExpr::Expr(e),
                    ..
                } => Some(e),
                _ => None,
            })
            .collect(),
        _ => Vec::new(),
    }
}

/// `DESCRIPTOR(ts)` → `ts`.
fn descriptor_column(expr: &Expr) -> Option<String> {
    let Expr::Function(f) = expr else { return None };
    if !f.name.to_string().eq_ignore_ascii_case("DESCRIPTOR") {
        return None;
    }
    match function_args(&f.args).first() {
        Some(Expr::Identifier(i)) => Some(i.value.clone()),
        Some(Expr::CompoundIdentifier(parts)) => parts.last().map(|p| p.value.clone()),
        _ => None,
    }
}

fn column_name(expr: &Expr) -> Option<String> {
    match expr {
        Expr::Identifier(i) => Some(i.value.clone()),
        Expr::CompoundIdentifier(parts) => parts.last().map(|p| p.value.clone()),
        _ => None,
    }
}

/// Window table functions anywhere in the query.
pub fn window_tvfs(query: &Query) -> Vec<WindowTvf> {
    let mut windows = Vec::new();
    let _ = visit_expressions(query, |expr| {
        if let Expr::Function(f) = expr
            && let Some(kind) = WindowKind::from_function(&f.name.to_string())
        {
            let args = function_args(&f.args);
            if let (Some(first), Some(second)) = (args.first(), args.get(1))
                && let (Some(table), Some(time_column)) = (table_argument(first), descriptor_column(second))
            {
                windows.push(WindowTvf {
                    kind,
                    table,
                    time_column,
                    partition_by: partition_keys(first),
                    sizes: args[2..].iter().map(|e| (*e).clone()).collect(),
                });
            }
        }
        ControlFlow::<()>::Continue(())
    });
    windows
}

/// Legacy group windows (`TUMBLE(ts, size)` called on a column, not on a table).
pub fn legacy_group_windows(query: &Query) -> Vec<GroupWindow> {
    let mut windows = Vec::new();
    let _ = visit_expressions(query, |expr| {
        if let Expr::Function(f) = expr
            && let Some(kind) = WindowKind::from_function(&f.name.to_string())
        {
            let args = function_args(&f.args);
            if let Some(time_column) = args.first().and_then(|e| column_name(e)) {
                windows.push(GroupWindow {
                    kind,
                    time_column,
                    sizes: args[1..].iter().map(|e| (*e).clone()).collect(),
                });
            }
        }
        ControlFlow::<()>::Continue(())
    });
    windows
}

/// The names of the columns a query produces, by position: the alias, or the column's name for
/// a plain column reference, `None` for an unnamed expression. `None` overall when it cannot be
/// told without the catalog (`SELECT *`).
pub fn output_columns(query: &Query) -> Option<Vec<Option<String>>> {
    set_expr_columns(&query.body)
}

fn set_expr_columns(body: &SetExpr) -> Option<Vec<Option<String>>> {
    match body {
        SetExpr::Select(select) => select
            .projection
            .iter()
            .map(|item| match item {
                SelectItem::UnnamedExpr(expr) => Some(column_name(expr)),
                SelectItem::ExprWithAlias { alias, .. } => Some(Some(alias.value.clone())),
                _ => None,
            })
            .collect(),
        SetExpr::Query(query) => output_columns(query),
        SetExpr::SetOperation { left, .. } => set_expr_columns(left),
        SetExpr::Values(values) => values.rows.first().map(|row| vec![None; row.len()]),
        _ => None,
    }
}
