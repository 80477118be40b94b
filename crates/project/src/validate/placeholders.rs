//! `${NAME}` placeholders must be ones pipegen fills in, or environment variables that are set
//! (where a password comes from: `'password' = '${DB_PASSWORD}'`).

use pipegen_diag::{Diagnostic, did_you_mean};

use super::{KNOWN_PLACEHOLDERS, finding_at};
use crate::project::ProjectSql;

pub(crate) fn check(file: &ProjectSql, findings: &mut Vec<Diagnostic>) {
    for (name, position) in pipegen_sql::placeholders(&file.text) {
        if KNOWN_PLACEHOLDERS.contains(&name.as_str()) || pipegen_sql::environment_value(&name).is_some() {
            continue;
        }
        let hint = match did_you_mean(&name, KNOWN_PLACEHOLDERS.iter().copied()) {
            Some(s) => format!("did you mean ${{{s}}}?"),
            None => format!(
                "pipegen fills in {}; any other name is an environment variable's: set `{name}`",
                KNOWN_PLACEHOLDERS
                    .iter()
                    .map(|p| format!("${{{p}}}"))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        };
        findings.push(finding_at(file, position, format!("unknown placeholder ${{{name}}}")).with_hint(hint));
    }
}
