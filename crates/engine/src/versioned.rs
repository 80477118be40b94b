//! Versioned tables of event-time temporal joins (`JOIN t FOR SYSTEM_TIME AS OF o.ts`), as
//! Flink defines them: a table with a PRIMARY KEY and a WATERMARK, or a view keeping each
//! key's latest row by event time (`ROW_NUMBER() OVER (PARTITION BY k ORDER BY ts DESC) = 1`
//! over such a table), whose every row is a version.
//!
//! The query reads the versions through a table registered for the join, whose scan the
//! operator graph knows by the identity of its partitions (they wrap the source's).

use std::collections::HashMap;
use std::sync::Arc;

use datafusion::arrow::datatypes::SchemaRef;
use datafusion::execution::TaskContext;
use datafusion::physical_plan::SendableRecordBatchStream;
use datafusion::physical_plan::streaming::{PartitionStream, StreamingTableExec};
use datafusion::sql::sqlparser::ast::{
    BinaryOperator, Expr, FunctionArguments, Ident, Join, JoinConstraint, JoinOperator, OrderByKind, Query, SelectItem,
    SetExpr, TableFactor, TableVersion, Value, WindowType,
};
use pipegen_sql::CreateView;

use crate::placeholder::identity;

/// What a temporal join needs to know of its versioned side.
#[derive(Debug, Clone)]
pub struct Versions {
    /// The table, for errors.
    pub table: String,
    /// The key columns (the PRIMARY KEY, or the view's PARTITION BY).
    pub key: Vec<String>,
    /// The event-time column the versions are ordered by.
    pub time: String,
    /// The left side's time column the versions are taken at (`AS OF o.ts`).
    pub as_of: String,
    /// The versioned table's watermark delay, where it declares one as `ts - INTERVAL`.
    pub delay_ms: i64,
}

/// The versioned sides of a query's temporal joins, by the partitions their scans read.
#[derive(Default)]
pub struct VersionedTables {
    by_partition: HashMap<usize, Versions>,
}

impl VersionedTables {
    /// Wraps a source's partitions for one temporal join; the scan of a table made of the
    /// returned partitions reads the source's rows as `versions`.
    pub fn register(
        &mut self,
        partitions: &[Arc<dyn PartitionStream>],
        versions: Versions,
    ) -> Vec<Arc<dyn PartitionStream>> {
        let wrapped: Vec<Arc<dyn PartitionStream>> = partitions
            .iter()
            .map(|inner| Arc::new(VersionRows { inner: inner.clone() }) as Arc<dyn PartitionStream>)
            .collect();
        if let Some(first) = wrapped.first() {
            self.by_partition.insert(identity(first), versions);
        }
        wrapped
    }

    /// The versions `scan` reads, when it is the scan of a temporal join's versioned side.
    pub fn scanned_by(&self, scan: &StreamingTableExec) -> Option<&Versions> {
        scan.partitions()
            .first()
            .and_then(|p| self.by_partition.get(&identity(p)))
    }
}

/// A source partition read as a versioned table's rows: the same rows, another identity.
#[derive(Debug)]
struct VersionRows {
    inner: Arc<dyn PartitionStream>,
}

impl PartitionStream for VersionRows {
    fn schema(&self) -> &SchemaRef {
        self.inner.schema()
    }

    fn execute(&self, ctx: Arc<TaskContext>) -> SendableRecordBatchStream {
        self.inner.execute(ctx)
    }
}

/// A view that keeps each key's latest row by event time: the table it reads, its PARTITION
/// BY columns, its ORDER BY column and the columns it shows.
#[derive(Debug, Clone)]
pub struct LatestRowView {
    pub table: String,
    pub key: Vec<String>,
    pub time: String,
    pub columns: Vec<String>,
}

/// `SELECT cols FROM (SELECT *, ROW_NUMBER() OVER (PARTITION BY k ORDER BY ts DESC) AS rn
/// FROM t) WHERE rn = 1`, the shape Flink reads as a versioned view.
pub fn latest_row_view(view: &CreateView) -> Option<LatestRowView> {
    let outer = select_of(&view.query)?;
    let columns = outer
        .projection
        .iter()
        .map(|item| match item {
            SelectItem::UnnamedExpr(Expr::Identifier(ident)) => Some(ident.value.clone()),
            _ => None,
        })
        .collect::<Option<Vec<_>>>()?;
    let [from] = outer.from.as_slice() else { return None };
    let TableFactor::Derived { subquery, .. } = &from.relation else {
        return None;
    };
    let inner = select_of(subquery)?;
    let [inner_from] = inner.from.as_slice() else {
        return None;
    };
    let TableFactor::Table { name, .. } = &inner_from.relation else {
        return None;
    };
    let (rank, key, time) = inner.projection.iter().find_map(|item| {
        let SelectItem::ExprWithAlias {
            expr: Expr::Function(function),
            alias,
        } = item
        else {
            return None;
        };
        if !function.name.to_string().eq_ignore_ascii_case("ROW_NUMBER")
            || !matches!(&function.args, FunctionArguments::None)
                && !matches!(&function.args, FunctionArguments::List(list) if list.args.is_empty())
        {
            return None;
        }
        let Some(WindowType::WindowSpec(spec)) = &function.over else {
            return None;
        };
        let key = spec
            .partition_by
            .iter()
            .map(|e| match e {
                Expr::Identifier(ident) => Some(ident.value.clone()),
                _ => None,
            })
            .collect::<Option<Vec<_>>>()?;
        let [order] = spec.order_by.as_slice() else { return None };
        let Expr::Identifier(time) = &order.expr else {
            return None;
        };
        (order.options.asc == Some(false)).then(|| (alias.value.clone(), key, time.value.clone()))
    })?;
    // WHERE rn = 1 (either way round), or rn <= 1.
    let keeps_one = match &outer.selection {
        Some(Expr::BinaryOp { left, op, right }) => {
            let is_rank = |e: &Expr| matches!(e, Expr::Identifier(i) if i.value.eq_ignore_ascii_case(&rank));
            let is_one = |e: &Expr| matches!(e, Expr::Value(v) if matches!(&v.value, Value::Number(n, _) if n == "1"));
            use datafusion::sql::sqlparser::ast::BinaryOperator::{Eq, LtEq};
            (matches!(op, Eq | LtEq) && is_rank(left) && is_one(right))
                || (matches!(op, Eq) && is_one(left) && is_rank(right))
        }
        _ => false,
    };
    (keeps_one && !key.is_empty()).then(|| LatestRowView {
        table: pipegen_sql::object_name(name),
        key,
        time,
        columns,
    })
}

fn select_of(query: &Query) -> Option<&datafusion::sql::sqlparser::ast::Select> {
    if query.with.is_some()
        || query
            .order_by
            .as_ref()
            .is_some_and(|o| !matches!(&o.kind, OrderByKind::Expressions(e) if e.is_empty()))
    {
        return None;
    }
    match query.body.as_ref() {
        SetExpr::Select(select) => Some(select),
        _ => None,
    }
}

/// One `FOR SYSTEM_TIME AS OF` relation of a query, in the order the query holds them.
#[derive(Debug, Clone)]
pub struct AsOf {
    /// The table or view named.
    pub name: String,
    /// The name the query reads it by (its alias, else its name).
    pub alias: String,
    /// The left side's time the versions are taken at.
    pub time: Expr,
}

/// The temporal relations of `query` and its subqueries, in visiting order.
pub fn temporal_relations(query: &Query) -> Vec<AsOf> {
    struct Find(Vec<AsOf>);
    impl datafusion::sql::sqlparser::ast::Visitor for Find {
        type Break = ();
        fn pre_visit_table_factor(&mut self, factor: &TableFactor) -> std::ops::ControlFlow<()> {
            if let TableFactor::Table {
                name,
                alias,
                version: Some(TableVersion::ForSystemTimeAsOf(time)),
                ..
            } = factor
            {
                let name = pipegen_sql::object_name(name);
                self.0.push(AsOf {
                    alias: alias.as_ref().map_or_else(|| name.clone(), |a| a.name.value.clone()),
                    name,
                    time: time.clone(),
                });
            }
            std::ops::ControlFlow::Continue(())
        }
    }
    let mut find = Find(Vec::new());
    let _ = datafusion::sql::sqlparser::ast::Visit::visit(query, &mut find);
    find.0
}

/// Puts the replacement for each temporal relation (by its name and alias) in its place, and
/// adds `alias.time <= AS OF time` to its join's condition: always true of the version a row
/// joins, it keeps both times among the columns the plan reads.
/// Puts each temporal join's relation in place (by its table and alias), with its versions'
/// time bounded by the AS OF time when it has versions (`Some`: their time column; a lookup
/// join has none).
pub fn replace_temporal_relations(
    query: &mut Query,
    replacements: &HashMap<(String, String), (TableFactor, Option<String>)>,
) {
    struct Replace<'a> {
        replacements: &'a HashMap<(String, String), (TableFactor, Option<String>)>,
    }
    impl Replace<'_> {
        fn join(&mut self, join: &mut Join) {
            let TableFactor::Table {
                version: Some(TableVersion::ForSystemTimeAsOf(time)),
                alias,
                name,
                ..
            } = &join.relation
            else {
                return;
            };
            let reader = alias
                .as_ref()
                .map_or_else(|| pipegen_sql::object_name(name), |a| a.name.value.clone());
            let Some((relation, version_time)) = self
                .replacements
                .get(&(pipegen_sql::object_name(name), reader.clone()))
                .cloned()
            else {
                return;
            };
            let time = time.clone();
            join.relation = relation;
            let Some(version_time) = version_time else {
                return;
            };
            let bound = Expr::BinaryOp {
                left: Box::new(Expr::CompoundIdentifier(vec![
                    Ident::new(reader),
                    Ident::new(version_time),
                ])),
                op: BinaryOperator::LtEq,
                right: Box::new(time),
            };
            let constraint = match &mut join.join_operator {
                JoinOperator::Join(c)
                | JoinOperator::Inner(c)
                | JoinOperator::Left(c)
                | JoinOperator::LeftOuter(c)
                | JoinOperator::Right(c)
                | JoinOperator::RightOuter(c)
                | JoinOperator::FullOuter(c) => c,
                _ => return,
            };
            if let JoinConstraint::On(on) = constraint {
                *on = Expr::BinaryOp {
                    left: Box::new(Expr::Nested(Box::new(on.clone()))),
                    op: BinaryOperator::And,
                    right: Box::new(bound),
                };
            }
        }
    }
    impl datafusion::sql::sqlparser::ast::VisitorMut for Replace<'_> {
        type Break = ();
        fn pre_visit_query(&mut self, query: &mut Query) -> std::ops::ControlFlow<()> {
            if let SetExpr::Select(select) = query.body.as_mut() {
                for from in &mut select.from {
                    for join in &mut from.joins {
                        self.join(join);
                    }
                }
            }
            std::ops::ControlFlow::Continue(())
        }
    }
    let mut replace = Replace { replacements };
    let _ = datafusion::sql::sqlparser::ast::VisitMut::visit(query, &mut replace);
}
