//! Aggregate result types as Flink gives them, where DataFusion's differ: `SUM` and `AVG` of
//! an integer keep its type (`AVG(INT)` is an integer average, as in Flink), `SUM` of
//! `DECIMAL(p, s)` is `DECIMAL(38, s)` and `AVG` of it `DECIMAL(38, max(s, 6))`. The planned
//! aggregate is followed by casts to those types, under the names the plan above expects.
//! Where Flink computes a value otherwise, its own aggregate replaces DataFusion's (`AVG` of a
//! DECIMAL rounds half up).

use std::sync::Arc;

use datafusion::arrow::datatypes::DataType;
use datafusion::common::tree_node::{Transformed, TreeNode};
use datafusion::common::{Column, ExprSchema};
use datafusion::error::Result;
use datafusion::logical_expr::expr::AggregateFunction;
use datafusion::logical_expr::{
    Aggregate, Expr, ExprSchemable, LogicalPlan, LogicalPlanBuilder, Window, WindowFunctionDefinition, cast,
};

use crate::functions::{avg_scale, decimal_avg_udaf};

/// The plan with Flink's result type after every aggregate whose type differs from it.
pub fn flink_result_types(plan: LogicalPlan) -> Result<LogicalPlan> {
    Ok(plan
        .transform_up(|node| {
            if let LogicalPlan::Window(window) = &node {
                return flink_window_aggregates(window);
            }
            let LogicalPlan::Aggregate(aggregate) = &node else {
                return Ok(Transformed::no(node));
            };
            let node = match flink_aggregates(aggregate)? {
                Some(replaced) => LogicalPlan::Aggregate(replaced),
                None => node,
            };
            let LogicalPlan::Aggregate(aggregate) = &node else {
                unreachable!("an aggregate stays one");
            };
            let input = aggregate.input.schema();
            let groups = aggregate.group_expr.len();
            let mut casts = Vec::new();
            for (index, expr) in aggregate.aggr_expr.iter().enumerate() {
                let (_, field) = aggregate.schema.qualified_field(groups + index);
                if let Some(flink) = flink_type(expr, input.as_ref())?
                    && &flink != field.data_type()
                {
                    casts.push((groups + index, flink));
                }
            }
            if casts.is_empty() {
                return Ok(Transformed::no(node));
            }
            let schema = aggregate.schema.clone();
            let columns: Vec<Expr> = (0..schema.fields().len())
                .map(|index| {
                    let (qualifier, field) = schema.qualified_field(index);
                    let column = Expr::Column(Column::new(qualifier.cloned(), field.name()));
                    match casts.iter().find(|(at, _)| *at == index) {
                        Some((_, ty)) => cast(column, ty.clone()).alias_qualified(qualifier.cloned(), field.name()),
                        None => column,
                    }
                })
                .collect();
            Ok(Transformed::yes(
                LogicalPlanBuilder::from(node).project(columns)?.build()?,
            ))
        })?
        .data)
}

/// The aggregate with Flink's own implementation of the calls DataFusion computes otherwise
/// (`AVG` of a DECIMAL rounds half up); `None` when it has none.
fn flink_aggregates(aggregate: &Aggregate) -> Result<Option<Aggregate>> {
    let input = aggregate.input.schema();
    let mut replaced = false;
    let aggr_expr = aggregate
        .aggr_expr
        .iter()
        .map(|expr| {
            let (inner, alias) = match expr {
                Expr::Alias(alias) => (alias.expr.as_ref(), Some(alias)),
                other => (other, None),
            };
            let Expr::AggregateFunction(AggregateFunction { func, params }) = inner else {
                return Ok(expr.clone());
            };
            let decimal = match params.args.first() {
                Some(argument) => matches!(argument.get_type(input.as_ref())?, DataType::Decimal128(..)),
                None => false,
            };
            if !(func.name().eq_ignore_ascii_case("avg") && decimal && !params.distinct) {
                return Ok(expr.clone());
            }
            replaced = true;
            let call = Expr::AggregateFunction(AggregateFunction {
                func: Arc::new(decimal_avg_udaf()),
                params: params.clone(),
            });
            Ok(match alias {
                Some(alias) => call.alias_qualified(alias.relation.clone(), alias.name.clone()),
                None => call,
            })
        })
        .collect::<Result<Vec<_>>>()?;
    if !replaced {
        return Ok(None);
    }
    Ok(Some(Aggregate::try_new(
        aggregate.input.clone(),
        aggregate.group_expr.clone(),
        aggr_expr,
    )?))
}

/// An OVER window with Flink's `AVG` of a DECIMAL (rounded half up), cast back to the type
/// the plan above expects under the same name.
fn flink_window_aggregates(window: &Window) -> Result<Transformed<LogicalPlan>> {
    let input = window.input.schema();
    let mut replaced = Vec::new();
    let window_expr = window
        .window_expr
        .iter()
        .enumerate()
        .map(|(index, expr)| {
            let (inner, alias) = match expr {
                Expr::Alias(alias) => (alias.expr.as_ref(), Some(alias)),
                other => (other, None),
            };
            let Expr::WindowFunction(function) = inner else {
                return Ok(expr.clone());
            };
            let WindowFunctionDefinition::AggregateUDF(udf) = &function.fun else {
                return Ok(expr.clone());
            };
            let decimal = match function.params.args.first() {
                Some(argument) => matches!(argument.get_type(input.as_ref())?, DataType::Decimal128(..)),
                None => false,
            };
            if !(udf.name().eq_ignore_ascii_case("avg") && decimal && !function.params.distinct) {
                return Ok(expr.clone());
            }
            replaced.push(index);
            let mut call = function.as_ref().clone();
            call.fun = WindowFunctionDefinition::AggregateUDF(Arc::new(decimal_avg_udaf()));
            let call = Expr::WindowFunction(Box::new(call));
            Ok(match alias {
                Some(alias) => call.alias_qualified(alias.relation.clone(), alias.name.clone()),
                None => call,
            })
        })
        .collect::<Result<Vec<_>>>()?;
    if replaced.is_empty() {
        return Ok(Transformed::no(LogicalPlan::Window(window.clone())));
    }
    let before = window.schema.clone();
    let rebuilt = LogicalPlan::Window(Window::try_new(window_expr, window.input.clone())?);
    let offset = before.fields().len() - window.window_expr.len();
    let columns: Vec<Expr> = (0..before.fields().len())
        .map(|index| {
            let (qualifier, field) = before.qualified_field(index);
            let column = Expr::Column(Column::new(qualifier.cloned(), field.name()));
            if index >= offset && replaced.contains(&(index - offset)) {
                cast(column, field.data_type().clone()).alias_qualified(qualifier.cloned(), field.name())
            } else {
                column
            }
        })
        .collect();
    Ok(Transformed::yes(
        LogicalPlanBuilder::from(rebuilt).project(columns)?.build()?,
    ))
}

/// Flink's result type of an aggregate call, when it is one whose type Flink decides otherwise.
fn flink_type(expr: &Expr, input: &dyn ExprSchema) -> Result<Option<DataType>> {
    let expr = match expr {
        Expr::Alias(alias) => alias.expr.as_ref(),
        other => other,
    };
    let Expr::AggregateFunction(AggregateFunction { func, params }) = expr else {
        return Ok(None);
    };
    let Some(argument) = params.args.first() else {
        return Ok(None);
    };
    let argument = argument.get_type(input)?;
    Ok(match (func.name().to_ascii_lowercase().as_str(), &argument) {
        ("sum" | "avg", DataType::Int8 | DataType::Int16 | DataType::Int32 | DataType::Int64) => Some(argument),
        ("sum", DataType::Decimal128(_, scale)) => Some(DataType::Decimal128(38, *scale)),
        ("avg", DataType::Decimal128(_, scale)) => Some(DataType::Decimal128(38, avg_scale(*scale))),
        _ => None,
    })
}
