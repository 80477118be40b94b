//! Flink's views (`CREATE [TEMPORARY] VIEW v [(columns)] AS query`): kept as their queries and
//! put into each query that reads them as common table expressions, so that every rewrite and
//! the planner see one query, as Flink's planner expands a view in place.

use std::ops::ControlFlow;

use datafusion::sql::sqlparser::ast::{
    Cte, Expr, GroupByExpr, Ident, Query, SetExpr, TableAlias, TableAliasColumnDef, With, visit_expressions,
};
use datafusion::sql::sqlparser::tokenizer::{Token, TokenWithSpan};
use pipegen_sql::CreateView;

use crate::error::EngineError;

/// The views declared so far, in declaration order (a view reads only what exists before it).
#[derive(Default)]
pub struct Views {
    declared: Vec<CreateView>,
}

impl Views {
    /// Declares a view; `taken` says whether a table already has the name.
    pub fn declare(&mut self, view: &CreateView, taken: bool) -> Result<(), EngineError> {
        if taken || self.contains(&view.name) {
            return Err(EngineError::Invalid(format!(
                "a table or view named `{}` exists already",
                view.name
            )));
        }
        self.declared.push(view.clone());
        Ok(())
    }

    pub fn contains(&self, name: &str) -> bool {
        self.declared.iter().any(|v| v.name == name)
    }

    pub fn get(&self, name: &str) -> Option<&CreateView> {
        self.declared.iter().find(|v| v.name == name)
    }

    /// `query` with the views it reads, directly or through other views, as its first common
    /// table expressions (the query's own come after them and may shadow a view).
    pub fn inline(&self, query: &Query) -> Query {
        let own: Vec<String> = query
            .with
            .iter()
            .flat_map(|w| &w.cte_tables)
            .map(|cte| cte.alias.name.value.clone())
            .collect();
        let mut needed = vec![false; self.declared.len()];
        let mut reads = pipegen_sql::referenced_tables(query);
        reads.retain(|name| !own.contains(name));
        // Later views read only earlier ones: one pass from the last finds them all.
        for (index, view) in self.declared.iter().enumerate().rev() {
            if reads.contains(&view.name) {
                needed[index] = true;
                reads.extend(pipegen_sql::referenced_tables(&view.query));
            }
        }
        let ctes: Vec<Cte> = self
            .declared
            .iter()
            .zip(needed)
            .filter(|(_, needed)| *needed)
            .map(|(view, _)| cte(view))
            .collect();
        if ctes.is_empty() {
            return query.clone();
        }
        let mut query = query.clone();
        let with = query.with.get_or_insert_with(|| With {
            with_token: TokenWithSpan::wrap(Token::make_keyword("WITH")).into(),
            recursive: false,
            cte_tables: Vec::new(),
        });
        with.cte_tables.splice(0..0, ctes);
        query
    }
}

fn cte(view: &CreateView) -> Cte {
    Cte {
        alias: TableAlias {
            explicit: true,
            name: Ident::new(&view.name),
            columns: view
                .columns
                .iter()
                .map(|c| TableAliasColumnDef {
                    name: Ident::new(c),
                    data_type: None,
                })
                .collect(),
            at: None,
        },
        query: view.query.clone(),
        from: None,
        materialized: None,
        closing_paren_token: TokenWithSpan::wrap(Token::RParen).into(),
    }
}

/// The table a view only filters and projects (`SELECT items FROM t [WHERE ...]`); `None` for
/// any other view.
pub fn filter_of_table(view: &CreateView) -> Option<String> {
    let query = view.query.as_ref();
    // One table, without joins, subqueries or CTEs.
    let (table, false) = pipegen_sql::single_source(query)? else {
        return None;
    };
    let SetExpr::Select(select) = query.body.as_ref() else {
        return None;
    };
    let grouped = !matches!(&select.group_by, GroupByExpr::Expressions(keys, _) if keys.is_empty());
    let mut over = false;
    let _ = visit_expressions(query, |expr| {
        over |= matches!(expr, Expr::Function(f) if f.over.is_some());
        ControlFlow::<()>::Continue(())
    });
    let reshaped = grouped || over || select.having.is_some() || select.distinct.is_some();
    let cut = query.order_by.is_some() || query.limit_clause.is_some();
    (!reshaped && !cut && view.columns.is_empty()).then_some(table)
}
