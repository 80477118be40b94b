//! Bounds on a statement's size and nesting. sqlparser bounds nested parentheses and subqueries
//! (its recursion limit) but reads a chain of operators (`a OR b OR c ...`) into a tree as deep
//! as the chain is long, without recursing; every later walk of that tree recurses that deep (the
//! embedded engine's planner overflowed its stack near 700 levels, dropping the tree near a
//! million), so both the statement's size and its expressions' depth are bounded here.

use std::ops::ControlFlow;

use sqlparser::ast::{Expr, Visit, Visitor};

use crate::model::{ColumnKind, Statement};

/// Tokens in one statement: far above any real one, and a chain this long is still dropped safely.
pub(crate) const MAX_TOKENS: usize = 100_000;
/// Levels of nested expressions in one statement (a chain of N operators is N deep).
pub(crate) const MAX_EXPR_DEPTH: usize = 200;

/// Whether some expression in the statement nests deeper than [`MAX_EXPR_DEPTH`]. The walk
/// stops there, so it never recurses deeper itself.
pub(crate) fn too_deep(statement: &Statement) -> bool {
    let mut depth = Depth(0);
    let mut deep = |node: &dyn VisitDepth| node.exceeds(&mut depth);
    match statement {
        Statement::Query(query) => deep(query.as_ref()),
        Statement::Insert(insert) => deep(insert.query.as_ref()),
        Statement::StatementSet(inserts) => inserts.iter().any(|i| deep(i.query.as_ref())),
        Statement::CreateView(view) => deep(view.query.as_ref()),
        Statement::CreateTable(table) => {
            table.columns.iter().any(|c| match &c.kind {
                ColumnKind::Computed(expr) => deep(expr.as_ref()),
                _ => false,
            }) || table.watermark.as_ref().is_some_and(|w| deep(&w.expr))
        }
        Statement::Other(other) => deep(other.as_ref()),
        Statement::Set { .. } | Statement::Reset { .. } => false,
    }
}

/// The current depth of the walk.
struct Depth(usize);

impl Visitor for Depth {
    type Break = ();

    fn pre_visit_expr(&mut self, _: &Expr) -> ControlFlow<()> {
        self.0 += 1;
        if self.0 > MAX_EXPR_DEPTH {
            ControlFlow::Break(())
        } else {
            ControlFlow::Continue(())
        }
    }

    fn post_visit_expr(&mut self, _: &Expr) -> ControlFlow<()> {
        self.0 -= 1;
        ControlFlow::Continue(())
    }
}

/// Any AST node, walked with [`Depth`] (`Visit::visit` is generic, so not object safe).
trait VisitDepth {
    fn exceeds(&self, depth: &mut Depth) -> bool;
}

impl<T: Visit> VisitDepth for T {
    fn exceeds(&self, depth: &mut Depth) -> bool {
        self.visit(depth).is_break()
    }
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::*;
    use crate::parse_file;

    fn parse(sql: &str) -> Result<(), String> {
        parse_file(Path::new("q.sql"), sql).map(|_| ()).map_err(|e| e.message)
    }

    #[test]
    fn operator_chains_are_bounded() {
        let chain = |n: usize, op: &str| format!("SELECT 1{};", format!(" {op} 1").repeat(n));
        parse(&chain(MAX_EXPR_DEPTH - 2, "+")).unwrap();
        for op in ["+", "OR", "||"] {
            let err = parse(&chain(MAX_EXPR_DEPTH, op)).unwrap_err();
            assert!(err.contains("nest more than 200 levels deep"), "{op}: {err}");
        }
        let err = parse(&format!(
            "INSERT INTO t SELECT a FROM s WHERE {};",
            (0..300).map(|i| format!("a = {i}")).collect::<Vec<_>>().join(" OR ")
        ))
        .unwrap_err();
        assert!(err.contains("levels deep"), "{err}");
        let err = parse(&format!(
            "CREATE TABLE t (a INT, b AS a{}) WITH ('connector' = 'datagen');",
            " + a".repeat(300)
        ))
        .unwrap_err();
        assert!(err.contains("levels deep"), "{err}");
        // Wide is fine: many short expressions side by side.
        parse(&format!("SELECT {} FROM s;", vec!["a + 1"; 2000].join(", "))).unwrap();
    }

    #[test]
    fn a_huge_statement_is_refused_before_it_is_parsed() {
        // A million operators: dropping the tree alone would overflow the stack.
        let err = parse(&format!("SELECT 1{};", "+1".repeat(1_000_000))).unwrap_err();
        assert!(err.contains("more than 100000 tokens"), "{err}");
    }
}
