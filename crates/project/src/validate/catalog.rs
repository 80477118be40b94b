//! The tables and views a project declares, in execution order, and the INSERTs that use them.

use std::collections::HashMap;

use pipegen_diag::{Diagnostic, Position, did_you_mean};
use pipegen_sql::{CreateTable, Insert, ParsedStatement, Statement, referenced_tables, table_references};

use super::finding_at;
use crate::project::{Project, ProjectSql};

/// A declared table, with the file and place that declared it.
pub(crate) struct DeclaredTable<'p> {
    pub table: &'p CreateTable,
    pub file: &'p ProjectSql,
    pub position: Position,
    /// Index in execution order, to tell "declared later" from "never declared".
    pub order: usize,
}

/// An INSERT (alone or in a statement set), with where it stands.
pub(crate) struct PlacedInsert<'p> {
    pub insert: &'p Insert,
    pub file: &'p ProjectSql,
    /// The statement holding it (positions in its query are relative to this).
    pub statement: &'p ParsedStatement,
    pub position: Position,
    pub order: usize,
}

impl PlacedInsert<'_> {
    /// The file position of a place in this INSERT's query, or of the statement.
    pub fn locate(&self, at: Option<Position>) -> Position {
        at.map_or(self.position, |relative| self.statement.locate(relative))
    }
}

enum Declared<'p> {
    Table(DeclaredTable<'p>),
    View { order: usize },
}

pub(crate) struct Catalog<'p> {
    declared: HashMap<String, Declared<'p>>,
    /// Table names in declaration order, for stable reports.
    table_order: Vec<String>,
    inserts: Vec<PlacedInsert<'p>>,
}

impl<'p> Catalog<'p> {
    pub fn build(project: &'p Project, findings: &mut Vec<Diagnostic>) -> Self {
        let mut catalog = Catalog {
            declared: HashMap::new(),
            table_order: Vec::new(),
            inserts: Vec::new(),
        };
        let mut order = 0;
        for file in &project.sql_files {
            for statement in &file.parsed.statements {
                order += 1;
                let position = statement.position;
                match &statement.kind {
                    Statement::CreateTable(table) => {
                        let name = table.name.clone();
                        if catalog.declared.contains_key(&name) && !table.if_not_exists {
                            findings.push(
                                finding_at(file, position, format!("table `{name}` is declared twice"))
                                    .with_hint("rename one, or add IF NOT EXISTS"),
                            );
                            continue;
                        }
                        catalog.table_order.push(name.clone());
                        catalog.declared.insert(
                            name,
                            Declared::Table(DeclaredTable {
                                table,
                                file,
                                position,
                                order,
                            }),
                        );
                    }
                    Statement::CreateView(view) => {
                        for source in table_references(&view.query) {
                            let at = source.at.map_or(position, |p| statement.locate(p));
                            catalog.check_declared(&source.name, order, file, at, "the view reads", findings);
                        }
                        catalog.declared.insert(view.name.clone(), Declared::View { order });
                    }
                    Statement::Insert(insert) => catalog.inserts.push(PlacedInsert {
                        insert,
                        file,
                        statement,
                        position,
                        order,
                    }),
                    Statement::StatementSet(inserts) => {
                        catalog.inserts.extend(inserts.iter().map(|insert| PlacedInsert {
                            insert,
                            file,
                            statement,
                            position,
                            order,
                        }));
                    }
                    // The engine refuses it at deploy (a pipeline writes; a bare query only
                    // returns rows), and Flink would run it as a job whose rows nobody reads.
                    Statement::Query(_) => findings.push(
                        finding_at(file, position, "a bare SELECT returns rows; a pipeline writes them")
                            .with_hint("INSERT INTO a table, or run the query with `pipegen sql`"),
                    ),
                    _ => {}
                }
            }
        }
        catalog
    }

    pub fn tables(&self) -> impl Iterator<Item = &DeclaredTable<'p>> {
        self.table_order
            .iter()
            .filter_map(|name| match self.declared.get(name) {
                Some(Declared::Table(t)) => Some(t),
                _ => None,
            })
    }

    pub fn table(&self, name: &str) -> Option<&DeclaredTable<'p>> {
        match self.declared.get(name) {
            Some(Declared::Table(t)) => Some(t),
            _ => None,
        }
    }

    pub fn is_view(&self, name: &str) -> bool {
        matches!(self.declared.get(name), Some(Declared::View { .. }))
    }

    pub fn inserts(&self) -> &[PlacedInsert<'p>] {
        &self.inserts
    }

    /// Names of tables that some INSERT writes.
    pub fn written_tables(&self) -> Vec<&str> {
        self.inserts.iter().map(|i| i.insert.target.as_str()).collect()
    }

    /// Tables some INSERT reads that no INSERT writes: the ones data must be brought to.
    pub fn source_tables(&self) -> Vec<&DeclaredTable<'p>> {
        let written = self.written_tables();
        let mut sources: Vec<&DeclaredTable<'p>> = Vec::new();
        for placed in &self.inserts {
            for name in referenced_tables(&placed.insert.query) {
                if let Some(table) = self.table(&name)
                    && !written.contains(&name.as_str())
                    && !sources.iter().any(|s| s.table.name == name)
                {
                    sources.push(table);
                }
            }
        }
        sources
    }

    /// Every table an INSERT writes or reads is declared before it.
    pub fn check_sources(&self, placed: &PlacedInsert<'p>, findings: &mut Vec<Diagnostic>) {
        let target = &placed.insert.target;
        match self.declared.get(target) {
            Some(Declared::View { .. }) => findings.push(
                finding_at(
                    placed.file,
                    placed.position,
                    format!("cannot INSERT INTO view `{target}`"),
                )
                .with_hint("INSERT INTO a table declared with CREATE TABLE"),
            ),
            _ => self.check_declared(
                target,
                placed.order,
                placed.file,
                placed.position,
                "INSERT INTO",
                findings,
            ),
        }
        for source in table_references(&placed.insert.query) {
            let at = placed.locate(source.at);
            self.check_declared(&source.name, placed.order, placed.file, at, "the query reads", findings);
        }
    }

    fn check_declared(
        &self,
        name: &str,
        used_at: usize,
        file: &ProjectSql,
        position: Position,
        what: &str,
        findings: &mut Vec<Diagnostic>,
    ) {
        let declared_order = match self.declared.get(name) {
            Some(Declared::Table(t)) => Some(t.order),
            Some(Declared::View { order }) => Some(*order),
            None => None,
        };
        match declared_order {
            Some(order) if order < used_at => {}
            Some(_) => findings.push(
                finding_at(file, position, format!("{what} `{name}`, which is declared only later")).with_hint(
                    "SQL files run in name order: declare tables in a file that sorts earlier (e.g. 01_source.sql)",
                ),
            ),
            None => {
                let suggestion = did_you_mean(name, self.declared.keys().map(String::as_str));
                let hint = match suggestion {
                    Some(s) => format!("did you mean `{s}`?"),
                    None if self.declared.is_empty() => "declare it with CREATE TABLE".to_owned(),
                    None => format!(
                        "declared tables: {}",
                        self.table_order
                            .iter()
                            .map(|n| format!("`{n}`"))
                            .collect::<Vec<_>>()
                            .join(", ")
                    ),
                };
                findings.push(
                    finding_at(file, position, format!("{what} `{name}`, which is not declared")).with_hint(hint),
                );
            }
        }
    }
}
