//! From a `MATCH_RECOGNIZE` clause to what its operator runs: the pattern's automaton, each
//! variable's DEFINE condition and the MEASURES, planned over the clause's input table.
//! What Flink refuses, or pipegen does not run yet, is refused here, before the run.

use std::ops::ControlFlow;
use std::sync::Arc;

use datafusion::arrow::datatypes::{DataType, Field, Schema, SchemaRef};
use datafusion::common::tree_node::{Transformed, TreeNode};
use datafusion::datasource::MemTable;
use datafusion::logical_expr::{Expr as LogicalExpr, LogicalPlan, cast};
use datafusion::prelude::SessionContext;
use datafusion::sql::parser::Statement as DfStatement;
use datafusion::sql::sqlparser::ast::{
    AfterMatchSkip, Expr, FunctionArguments, Ident, MatchRecognizePattern, MatchRecognizeSymbol, Query,
    RepetitionQuantifier, RowsPerMatch, Statement as SqlStatement, TableFactor, Value, VisitMut, VisitorMut,
};
use datafusion::sql::sqlparser::parser::Parser;
use pipegen_sql::{FlinkDialect, interval_millis};

use super::expr::{Compiled, Reference, Scope};
use super::nfa::{Element, Pattern, Skip};
use crate::error::EngineError;
use crate::options::SessionOptions;

/// What one MATCH_RECOGNIZE runs.
#[derive(Debug, Clone)]
pub struct MatchSpec {
    /// PARTITION BY, as input columns.
    pub partition: Vec<usize>,
    /// The ORDER BY rowtime column.
    pub time_index: usize,
    pub pattern: Pattern,
    /// Each variable's DEFINE condition (none: it takes any row).
    pub defines: Vec<Option<Compiled>>,
    pub measures: Vec<Compiled>,
    /// The partition columns, then the measures.
    pub output: SchemaRef,
}

/// Plans the MATCH_RECOGNIZE `factor` over rows of `input`, whose rowtime is `rowtime`.
pub async fn plan(
    ctx: &SessionContext,
    options: &SessionOptions,
    factor: &TableFactor,
    input: &SchemaRef,
    rowtime: &str,
) -> Result<MatchSpec, EngineError> {
    let TableFactor::MatchRecognize {
        partition_by,
        order_by,
        measures,
        rows_per_match,
        after_match_skip,
        pattern,
        symbols,
        ..
    } = factor
    else {
        return Err(EngineError::Invalid("not a MATCH_RECOGNIZE; please report this".into()));
    };
    if let Some(RowsPerMatch::AllRows(_)) = rows_per_match {
        return Err(EngineError::unsupported(
            "MATCH_RECOGNIZE with ALL ROWS PER MATCH (Flink runs ONE ROW PER MATCH)",
        ));
    }
    let skip = match after_match_skip {
        Some(AfterMatchSkip::PastLastRow) => Skip::PastLastRow,
        Some(AfterMatchSkip::ToNextRow) => Skip::ToNextRow,
        None => Skip::ToNextRow,
        Some(other) => {
            return Err(EngineError::unsupported(format!(
                "MATCH_RECOGNIZE with AFTER MATCH SKIP {other}"
            )));
        }
    };
    let time_index = match order_by.as_slice() {
        [order] if order.options.asc != Some(false) && column_name(&order.expr) == Some(rowtime) => {
            input.index_of(rowtime)?
        }
        _ => {
            return Err(EngineError::unsupported(format!(
                "MATCH_RECOGNIZE ordered by anything but the rowtime `{rowtime}` ascending"
            )));
        }
    };
    let partition = partition_by
        .iter()
        .map(
            |key| match column_name(key).and_then(|name| column_index(input, name)) {
                Some(index) => Ok(index),
                None => Err(EngineError::unsupported(format!(
                    "MATCH_RECOGNIZE PARTITION BY `{key}` (input columns only)"
                ))),
            },
        )
        .collect::<Result<Vec<_>, _>>()?;

    let (elements, vars) = elements(pattern)?;
    let (within, defined) = pipegen_sql::within(symbols);
    let within = within
        .map(|interval| {
            interval_millis(interval)
                .filter(|ms| *ms > 0)
                .ok_or_else(|| EngineError::Invalid(format!("WITHIN takes a positive interval, not `{interval}`")))
        })
        .transpose()?;
    let planner = Planner {
        ctx,
        options,
        input,
        vars: &vars,
        time_index,
    };
    let mut defines = vec![None; vars.len()];
    for symbol in defined {
        let var = vars.iter().position(|v| *v == symbol.symbol.value).ok_or_else(|| {
            EngineError::Invalid(format!(
                "DEFINE names `{}`, which the PATTERN does not hold",
                symbol.symbol.value
            ))
        })?;
        defines[var] = Some(planner.compile(&symbol.definition).await?);
    }
    let mut fields: Vec<Field> = partition.iter().map(|i| input.field(*i).clone()).collect();
    let mut compiled = Vec::new();
    for measure in measures {
        let measure_expr = planner.compile(&measure.expr).await?;
        let data_type = measure_expr.expr.data_type(&measure_expr.schema)?;
        fields.push(Field::new(&measure.alias.value, data_type, true));
        compiled.push(measure_expr);
    }
    Ok(MatchSpec {
        partition,
        time_index,
        pattern: Pattern { elements, skip, within },
        defines,
        measures: compiled,
        output: Arc::new(Schema::new(fields)),
    })
}

/// The pattern's elements, and its variables in order of appearance.
fn elements(pattern: &MatchRecognizePattern) -> Result<(Vec<Element>, Vec<String>), EngineError> {
    let parts = match pattern {
        MatchRecognizePattern::Concat(parts) => parts.as_slice(),
        single => std::slice::from_ref(single),
    };
    let mut vars: Vec<String> = Vec::new();
    let mut elements: Vec<Element> = Vec::new();
    for part in parts {
        let (symbol, quantifier) = match part {
            MatchRecognizePattern::Symbol(MatchRecognizeSymbol::Named(name)) => (name, None),
            MatchRecognizePattern::Repetition(inner, quantifier) => match inner.as_ref() {
                MatchRecognizePattern::Symbol(MatchRecognizeSymbol::Named(name)) => (name, Some(quantifier)),
                MatchRecognizePattern::Repetition(..) => {
                    return Err(EngineError::unsupported(format!(
                        "the reluctant quantifier in MATCH_RECOGNIZE PATTERN `{part}`"
                    )));
                }
                _ => return Err(unsupported_pattern(part)),
            },
            _ => return Err(unsupported_pattern(part)),
        };
        if vars.contains(&symbol.value) {
            return Err(EngineError::Invalid(format!(
                "the PATTERN uses `{}` twice; Flink takes each variable once",
                symbol.value
            )));
        }
        let (min, max) = match quantifier {
            None => (1, Some(1)),
            Some(RepetitionQuantifier::ZeroOrMore) => (0, None),
            Some(RepetitionQuantifier::OneOrMore) => (1, None),
            Some(RepetitionQuantifier::AtMostOne) => (0, Some(1)),
            Some(RepetitionQuantifier::Exactly(n)) if *n > 0 => (*n, Some(*n)),
            Some(RepetitionQuantifier::AtLeast(n)) if *n > 0 => (*n, None),
            Some(RepetitionQuantifier::Range(n, m)) if *n > 0 && m >= n => (*n, Some(*m)),
            Some(other) => {
                return Err(EngineError::unsupported(format!(
                    "the quantifier `{other}` in MATCH_RECOGNIZE PATTERN"
                )));
            }
        };
        let greedy = max.is_none() || (max != Some(min) && min > 0);
        if min == 0 && elements.last().is_some_and(|e| e.greedy) {
            return Err(EngineError::Invalid(format!(
                "Flink refuses `{part}` in the PATTERN: an optional variable cannot follow a greedy quantifier"
            )));
        }
        vars.push(symbol.value.clone());
        elements.push(Element {
            var: vars.len() - 1,
            min,
            max,
            greedy,
        });
    }
    match elements.last() {
        Some(last) if last.min == 1 && last.max == Some(1) => Ok((elements, vars)),
        Some(_) => Err(EngineError::unsupported(
            "a MATCH_RECOGNIZE PATTERN ending in a quantified variable (Flink refuses a greedy one there)",
        )),
        None => Err(EngineError::Invalid("an empty MATCH_RECOGNIZE PATTERN".into())),
    }
}

fn unsupported_pattern(part: &MatchRecognizePattern) -> EngineError {
    EngineError::unsupported(format!(
        "`{part}` in a MATCH_RECOGNIZE PATTERN (variables with quantifiers in sequence run; \
         alternation, groups, PERMUTE, exclusion and anchors do not)"
    ))
}

fn column_name(expr: &Expr) -> Option<&str> {
    match expr {
        Expr::Identifier(ident) => Some(&ident.value),
        _ => None,
    }
}

fn column_index(schema: &Schema, name: &str) -> Option<usize> {
    schema
        .index_of(name)
        .ok()
        .or_else(|| schema.fields().iter().position(|f| f.name().eq_ignore_ascii_case(name)))
}

/// Plans DEFINE and MEASURES expressions.
struct Planner<'a> {
    ctx: &'a SessionContext,
    options: &'a SessionOptions,
    input: &'a SchemaRef,
    vars: &'a [String],
    time_index: usize,
}

/// A reference found in an expression, before its aggregate (if any) is planned.
enum Found {
    Navigate(Reference),
    Aggregate {
        scope: Scope,
        column: usize,
        function: String,
    },
}

const REFERENCE: &str = "__pipegen_ref_";
const REFERENCES_TABLE: &str = "__pipegen_pattern_references";
const ARGUMENT_TABLE: &str = "__pipegen_pattern_argument";

impl Planner<'_> {
    /// `expr` with its pattern references as columns (in a DEFINE, the candidate row counts
    /// as the newest row of the variable defined: see `MatchView`).
    async fn compile(&self, expr: &Expr) -> Result<Compiled, EngineError> {
        let mut expr = expr.clone();
        let mut finder = Finder {
            planner: self,
            found: Vec::new(),
            error: None,
        };
        let _ = expr.visit(&mut finder);
        if let Some(error) = finder.error {
            return Err(error);
        }
        let mut references = Vec::new();
        let mut finishes = Vec::new();
        for found in finder.found {
            match found {
                Found::Navigate(reference) => {
                    references.push(reference);
                    finishes.push(None);
                }
                Found::Aggregate {
                    scope,
                    column,
                    function,
                } => {
                    let element_type = self.input.field(column).data_type().clone();
                    let (function, data_type, finish) = self.aggregate(&function, &element_type).await?;
                    references.push(Reference::Aggregate {
                        scope,
                        column,
                        function,
                        data_type,
                        argument: Arc::new(Schema::new(vec![Field::new("v", element_type, true)])),
                    });
                    finishes.push(finish);
                }
            }
        }
        let fields: Vec<Field> = references
            .iter()
            .enumerate()
            .map(|(i, r)| {
                let data_type = match r {
                    Reference::Navigate { data_type, .. } | Reference::Aggregate { data_type, .. } => data_type,
                };
                Field::new(format!("{REFERENCE}{i}"), data_type.clone(), true)
            })
            .collect();
        let schema = Arc::new(Schema::new(fields));
        let plan = self
            .plan_select(
                &format!("SELECT {expr} FROM {REFERENCES_TABLE}"),
                REFERENCES_TABLE,
                &schema,
            )
            .await?;
        let LogicalPlan::Projection(projection) = &plan else {
            return Err(EngineError::Invalid(format!(
                "unexpected plan for the pattern expression `{expr}`; please report this"
            )));
        };
        let logical = projection.expr[0].clone().unalias();
        // An aggregate whose Flink type differs from its accumulator's is cast, as the engine's
        // aggregations are.
        let logical = logical
            .transform(|e| {
                if let LogicalExpr::Column(column) = &e
                    && let Some(i) = column
                        .name
                        .strip_prefix(REFERENCE)
                        .and_then(|i| i.parse::<usize>().ok())
                    && let Some(Some(finish)) = finishes.get(i)
                {
                    return Ok(Transformed::yes(cast(e.clone(), finish.clone())));
                }
                Ok(Transformed::no(e))
            })?
            .data;
        let physical = self
            .ctx
            .state()
            .create_physical_expr(logical, projection.input.schema())?;
        Ok(Compiled {
            references,
            schema,
            expr: physical,
        })
    }

    /// `function` over a column of `element_type`, as the engine plans aggregates: the
    /// aggregate, its accumulator's type, and Flink's type if that differs.
    async fn aggregate(
        &self,
        function: &str,
        element_type: &DataType,
    ) -> Result<
        (
            Arc<datafusion::physical_expr::aggregate::AggregateFunctionExpr>,
            DataType,
            Option<DataType>,
        ),
        EngineError,
    > {
        let schema = Arc::new(Schema::new(vec![Field::new("v", element_type.clone(), true)]));
        let logical = self
            .plan_select(
                &format!("SELECT {function}(v) FROM {ARGUMENT_TABLE}"),
                ARGUMENT_TABLE,
                &schema,
            )
            .await?;
        // Type coercion (`SUM(INT)` sums its argument as BIGINT).
        let state = self.ctx.state();
        let logical = state
            .analyzer()
            .execute_and_check(logical, state.config_options(), |_, _| {})?;
        let result_type = logical.schema().field(0).data_type().clone();
        let aggregate = find_aggregate(&logical).ok_or_else(|| {
            EngineError::Invalid(format!("`{function}` planned without an aggregate; please report this"))
        })?;
        let [aggregate_expr] = aggregate.aggr_expr.as_slice() else {
            return Err(EngineError::Invalid(
                "an aggregate without functions; please report this".into(),
            ));
        };
        let input = aggregate.input.schema();
        if !aggregate_expr_is_plain(aggregate_expr) {
            return Err(EngineError::unsupported(format!("`{function}` in MATCH_RECOGNIZE")));
        }
        let planning = datafusion::logical_expr::physical_planning_context::PhysicalPlanningContext::default();
        let expr = datafusion::physical_expr::aggregate::LoweredAggregateBuilder::new(
            aggregate_expr,
            input,
            input.as_arrow(),
            state.execution_props(),
            &planning,
        )
        .build()?
        .aggregate;
        let accumulated = aggregate.schema.field(0).data_type().clone();
        let finish = (accumulated != result_type).then_some(result_type);
        Ok((expr, accumulated, finish))
    }

    /// The logical plan of `sql` over an empty table `table` of `schema`, as the engine plans
    /// queries (Flink's functions and result types).
    async fn plan_select(&self, sql: &str, table: &str, schema: &SchemaRef) -> Result<LogicalPlan, EngineError> {
        let mut query: Query = *Parser::new(&FlinkDialect)
            .try_with_sql(sql)
            .and_then(|mut p| p.parse_query())
            .map_err(|e| EngineError::Invalid(format!("a MATCH_RECOGNIZE expression does not parse: {e}")))?;
        crate::translate::rewrite_query(&mut query, self.options)?;
        let empty = MemTable::try_new(schema.clone(), vec![vec![]])?;
        self.ctx.deregister_table(table)?;
        self.ctx.register_table(table, Arc::new(empty))?;
        let planned = self
            .ctx
            .state()
            .statement_to_plan(DfStatement::Statement(Box::new(SqlStatement::Query(Box::new(query)))))
            .await;
        self.ctx.deregister_table(table)?;
        Ok(crate::result_types::flink_result_types(planned?)?)
    }

    fn column(&self, name: &str) -> Result<usize, EngineError> {
        column_index(self.input, name).ok_or_else(|| {
            EngineError::Invalid(format!("MATCH_RECOGNIZE reads `{name}`, which its input does not have"))
        })
    }

    fn var(&self, name: &str) -> Option<usize> {
        self.vars
            .iter()
            .position(|v| v == name)
            .or_else(|| self.vars.iter().position(|v| v.eq_ignore_ascii_case(name)))
    }

    /// The scope and column of `A.col` or `col`.
    fn target(&self, expr: &Expr) -> Result<(Scope, usize), EngineError> {
        match expr {
            Expr::Identifier(column) => Ok((Scope::All, self.column(&column.value)?)),
            Expr::CompoundIdentifier(parts) if parts.len() == 2 => {
                let var = self
                    .var(&parts[0].value)
                    .ok_or_else(|| EngineError::Invalid(format!("`{expr}` names no variable of the PATTERN")))?;
                Ok((Scope::Var(var), self.column(&parts[1].value)?))
            }
            other => Err(EngineError::unsupported(format!(
                "`{other}` in a MATCH_RECOGNIZE navigation or aggregate (a variable's column runs)"
            ))),
        }
    }

    /// What `expr` reads of the match, if it is a pattern reference.
    fn reference(&self, expr: &Expr) -> Result<Option<Found>, EngineError> {
        let navigate = |scope, column: usize, from_last, offset| {
            Found::Navigate(Reference::Navigate {
                scope,
                column,
                from_last,
                offset,
                data_type: self.input.field(column).data_type().clone(),
            })
        };
        match expr {
            Expr::Identifier(_) | Expr::CompoundIdentifier(_) => {
                let (scope, column) = self.target(expr)?;
                Ok(Some(navigate(scope, column, true, 0)))
            }
            Expr::Function(function) => {
                let name = function.name.to_string().to_ascii_uppercase();
                let args = crate::translate::plain_args(&function.args);
                match name.as_str() {
                    "FIRST" | "LAST" => {
                        let Some(args) = args.filter(|a| !a.is_empty() && a.len() <= 2) else {
                            return Err(EngineError::Invalid(format!(
                                "{name} takes a column and an offset: `{expr}`"
                            )));
                        };
                        let (scope, column) = self.target(&args[0])?;
                        let offset = match args.get(1) {
                            None => 0,
                            Some(Expr::Value(v)) => match &v.value {
                                Value::Number(n, _) => n.parse::<usize>().map_err(|_| {
                                    EngineError::Invalid(format!(
                                        "{name}'s offset must be a non-negative integer: `{expr}`"
                                    ))
                                })?,
                                _ => {
                                    return Err(EngineError::Invalid(format!(
                                        "{name}'s offset must be an integer: `{expr}`"
                                    )));
                                }
                            },
                            Some(_) => {
                                return Err(EngineError::Invalid(format!(
                                    "{name}'s offset must be an integer: `{expr}`"
                                )));
                            }
                        };
                        Ok(Some(navigate(scope, column, name == "LAST", offset)))
                    }
                    "COUNT" | "SUM" | "AVG" | "MIN" | "MAX" => {
                        let plain = matches!(&function.args, FunctionArguments::List(list) if list.duplicate_treatment.is_none())
                            && function.filter.is_none()
                            && function.over.is_none();
                        match args {
                            Some(args) if plain && args.len() == 1 => {
                                let (scope, column) = self.target(&args[0])?;
                                Ok(Some(Found::Aggregate {
                                    scope,
                                    column,
                                    function: name,
                                }))
                            }
                            _ => Err(EngineError::unsupported(format!(
                                "`{expr}` in MATCH_RECOGNIZE (aggregates of one variable's column run)"
                            ))),
                        }
                    }
                    "MATCH_ROWTIME" => Ok(Some(navigate(Scope::All, self.time_index, true, 0))),
                    "PREV" | "NEXT" => Err(EngineError::Invalid(format!(
                        "Flink does not support physical offsets within partition (`{expr}`); \
                         LAST(var.col, 1) reaches a variable's previous row"
                    ))),
                    "CLASSIFIER" | "MATCH_NUMBER" | "MATCH_PROCTIME" | "RUNNING" | "FINAL" => {
                        Err(EngineError::unsupported(format!("`{name}` in MATCH_RECOGNIZE")))
                    }
                    _ => Ok(None),
                }
            }
            _ => Ok(None),
        }
    }
}

/// Replaces each pattern reference of an expression with a column `__pipegen_ref_<n>`.
struct Finder<'a, 'b> {
    planner: &'a Planner<'b>,
    found: Vec<Found>,
    error: Option<EngineError>,
}

impl VisitorMut for Finder<'_, '_> {
    type Break = ();

    fn pre_visit_expr(&mut self, expr: &mut Expr) -> ControlFlow<()> {
        match self.planner.reference(expr) {
            Ok(Some(found)) => {
                *expr = Expr::Identifier(Ident::new(format!("{REFERENCE}{}", self.found.len())));
                self.found.push(found);
                ControlFlow::Continue(())
            }
            Ok(None) => ControlFlow::Continue(()),
            Err(error) => {
                self.error = Some(error);
                ControlFlow::Break(())
            }
        }
    }
}

/// Whether an aggregate call has no FILTER, ORDER BY or DISTINCT (MATCH_RECOGNIZE runs
/// plain aggregates only).
fn aggregate_expr_is_plain(expr: &LogicalExpr) -> bool {
    match expr {
        LogicalExpr::AggregateFunction(call) => {
            !call.params.distinct && call.params.filter.is_none() && call.params.order_by.is_empty()
        }
        LogicalExpr::Alias(alias) => aggregate_expr_is_plain(&alias.expr),
        _ => false,
    }
}

fn find_aggregate(plan: &LogicalPlan) -> Option<&datafusion::logical_expr::Aggregate> {
    if let LogicalPlan::Aggregate(aggregate) = plan {
        return Some(aggregate);
    }
    plan.inputs().into_iter().find_map(find_aggregate)
}
