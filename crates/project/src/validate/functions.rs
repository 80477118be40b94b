//! Every function a query calls must be one Flink has built in, or one the project creates
//! (`CREATE FUNCTION`): Flink refuses anything else when it plans the job.

use std::collections::HashSet;

use pipegen_diag::{Diagnostic, did_you_mean};
use pipegen_sql::{Statement, flink_functions, function_references};

use super::catalog::PlacedInsert;
use super::finding_at;
use crate::project::Project;

/// The functions a project may call: Flink's and its own.
pub(crate) struct KnownFunctions {
    builtin: Vec<&'static str>,
    created: HashSet<String>,
}

impl KnownFunctions {
    pub fn of(project: &Project) -> Self {
        let builtin = flink_functions().collect();
        let created = project
            .sql_files
            .iter()
            .flat_map(|f| &f.parsed.statements)
            .filter_map(|s| match &s.kind {
                Statement::Other(other) => created_function(&other.to_string()),
                _ => None,
            })
            .collect();
        Self { builtin, created }
    }

    fn knows(&self, name: &str) -> bool {
        let upper = name.to_ascii_uppercase();
        self.builtin.contains(&upper.as_str()) || self.created.contains(&upper)
    }
}

/// `CREATE [TEMPORARY] [SYSTEM] FUNCTION [IF NOT EXISTS] [cat.db.]name ...` → `NAME`.
fn created_function(text: &str) -> Option<String> {
    let mut words = text.split_whitespace().map(str::to_ascii_uppercase);
    if words.next()? != "CREATE" {
        return None;
    }
    let mut word = words.next()?;
    while word == "TEMPORARY" || word == "SYSTEM" || word == "OR" || word == "REPLACE" {
        word = words.next()?;
    }
    if word != "FUNCTION" {
        return None;
    }
    let mut name = words.next()?;
    if name == "IF" {
        words.next(); // NOT
        words.next(); // EXISTS
        name = words.next()?;
    }
    let name = name.rsplit('.').next()?.trim_matches('`').to_owned();
    Some(name)
}

pub(crate) fn check(known: &KnownFunctions, placed: &PlacedInsert<'_>, findings: &mut Vec<Diagnostic>) {
    for call in function_references(&placed.insert.query) {
        if known.knows(&call.name) {
            continue;
        }
        let upper = call.name.to_ascii_uppercase();
        let nearest = did_you_mean(&upper, known.builtin.iter().copied());
        let hint = match nearest {
            Some(name) => format!("did you mean `{name}`? Flink has no function `{}`", call.name),
            None => "use one of Flink's built-in functions, or declare your own with CREATE FUNCTION".to_owned(),
        };
        findings.push(
            finding_at(
                placed.file,
                placed.locate(call.at),
                format!("unknown function `{}`", call.name),
            )
            .with_hint(hint),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_names_of_created_functions() {
        assert_eq!(
            created_function("CREATE TEMPORARY SYSTEM FUNCTION IF NOT EXISTS cat.db.`Parse` AS 'x.Y'"),
            Some("PARSE".into())
        );
        assert_eq!(created_function("CREATE FUNCTION f AS 'x'"), Some("F".into()));
        assert_eq!(created_function("CREATE VIEW v AS SELECT 1"), None);
    }
}
