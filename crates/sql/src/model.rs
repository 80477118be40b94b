//! The typed model of a Flink SQL file.

use std::path::PathBuf;

use pipegen_diag::Position;
use sqlparser::ast::{Expr, Query};

use crate::hints::Hint;
use crate::types::FlinkType;

/// A parsed SQL file.
#[derive(Debug, Clone)]
pub struct SqlFile {
    pub path: PathBuf,
    pub statements: Vec<ParsedStatement>,
}

#[derive(Debug, Clone)]
pub struct ParsedStatement {
    pub position: Position,
    /// Byte offset in the file.
    pub offset: usize,
    pub text: String,
    pub kind: Statement,
    /// Its `/*+ ... */` hints, in order.
    pub hints: Vec<Hint>,
}

impl ParsedStatement {
    /// The queries the statement holds: an INSERT's (each of a statement set's), a view's, a
    /// bare SELECT.
    pub fn queries(&self) -> Vec<&Query> {
        match &self.kind {
            Statement::Insert(insert) => vec![&insert.query],
            Statement::StatementSet(inserts) => inserts.iter().map(|i| i.query.as_ref()).collect(),
            Statement::CreateView(view) => vec![&view.query],
            Statement::Query(query) => vec![query],
            _ => Vec::new(),
        }
    }

    /// A position inside this statement's text (as the analysis functions give them) → the
    /// position in the file.
    pub fn locate(&self, relative: Position) -> Position {
        file_position(self.position, relative)
    }
}

/// A position relative to a statement that starts at `base` → the position in the file.
pub(crate) fn file_position(base: Position, relative: Position) -> Position {
    let line = relative.line.max(1);
    let column = relative.column.max(1);
    if line == 1 {
        Position::new(base.line, base.column + column - 1)
    } else {
        Position::new(base.line + line - 1, column)
    }
}

#[derive(Debug, Clone)]
pub enum Statement {
    CreateTable(Box<CreateTable>),
    CreateView(CreateView),
    /// `SET 'key' = 'value'`; `SET` alone lists settings (key and value `None`).
    Set {
        key: Option<String>,
        value: Option<String>,
    },
    /// `RESET` or `RESET 'key'`.
    Reset {
        key: Option<String>,
    },
    Insert(Insert),
    /// `EXECUTE STATEMENT SET BEGIN ... END` or `BEGIN STATEMENT SET; ... END`.
    StatementSet(Vec<Insert>),
    Query(Box<Query>),
    /// Anything else sqlparser understands (USE, SHOW, DROP, ...), kept as its AST.
    Other(Box<sqlparser::ast::Statement>),
}

#[derive(Debug, Clone)]
pub struct CreateTable {
    /// Unquoted, dotted for qualified names (`cat.db.orders`).
    pub name: String,
    pub temporary: bool,
    pub if_not_exists: bool,
    pub columns: Vec<Column>,
    pub watermark: Option<Watermark>,
    pub primary_key: Option<Vec<String>>,
    pub comment: Option<String>,
    pub partitioned_by: Vec<String>,
    pub options: Vec<TableOption>,
    /// `LIKE other (...)`: the source table's name.
    pub like: Option<String>,
}

impl CreateTable {
    pub fn option(&self, key: &str) -> Option<&str> {
        self.options.iter().find(|o| o.key == key).map(|o| o.value.as_str())
    }

    /// This table as a reference with an `OPTIONS` hint reads it (Flink's dynamic table
    /// options): temporary, the hint's options merged in (a hint's value wins, placed at the
    /// hint).
    pub fn with_hint_options(&self, hint: &Hint) -> CreateTable {
        let mut hinted = self.clone();
        hinted.temporary = true;
        for (key, value) in hint.key_values() {
            match hinted.options.iter_mut().find(|o| &o.key == key) {
                Some(option) => {
                    option.value = value.clone();
                    option.position = hint.position;
                    option.value_span = None;
                }
                None => hinted.options.push(TableOption {
                    key: key.clone(),
                    value: value.clone(),
                    position: hint.position,
                    value_span: None,
                }),
            }
        }
        hinted
    }

    pub fn connector(&self) -> Option<&str> {
        self.option("connector")
    }

    /// The value format: `format`, or `value.format` (key/value formats).
    pub fn format(&self) -> Option<&str> {
        self.option("format").or_else(|| self.option("value.format"))
    }

    pub fn topic(&self) -> Option<&str> {
        self.option("topic")
    }

    pub fn physical_columns(&self) -> impl Iterator<Item = &Column> {
        self.columns
            .iter()
            .filter(|c| matches!(c.kind, ColumnKind::Physical(_)))
    }

    pub fn column(&self, name: &str) -> Option<&Column> {
        self.columns.iter().find(|c| c.name == name)
    }
}

#[derive(Debug, Clone)]
pub struct Column {
    pub name: String,
    pub kind: ColumnKind,
    pub comment: Option<String>,
    pub position: Position,
}

#[derive(Debug, Clone)]
pub enum ColumnKind {
    Physical(FlinkType),
    /// `name AS expr`.
    Computed(Box<Expr>),
    /// `name TYPE METADATA [FROM 'key'] [VIRTUAL]`.
    Metadata {
        ty: FlinkType,
        key: Option<String>,
        is_virtual: bool,
    },
}

#[derive(Debug, Clone)]
pub struct Watermark {
    pub column: String,
    pub expr: Expr,
}

#[derive(Debug, Clone)]
pub struct TableOption {
    pub key: String,
    pub value: String,
    pub position: Position,
    /// Where the quoted value stands in its statement's text, in bytes; `None` for a value an
    /// OPTIONS hint gave.
    pub value_span: Option<std::ops::Range<usize>>,
}

#[derive(Debug, Clone)]
pub struct CreateView {
    pub name: String,
    pub temporary: bool,
    pub columns: Vec<String>,
    pub query: Box<Query>,
}

#[derive(Debug, Clone)]
pub struct Insert {
    pub target: String,
    /// The target's name as written (its span places an OPTIONS hint on it).
    pub target_name: sqlparser::ast::ObjectName,
    pub overwrite: bool,
    /// An explicit column list, `INSERT INTO t (a, b) ...`.
    pub columns: Option<Vec<String>>,
    pub query: Box<Query>,
}
