//! `${NAME}` placeholders are pipegen's own or environment variables' (where a password comes
//! from: `'password' = '${DB_PASSWORD}'`): a name close to one of pipegen's is a typo (an
//! error), any other one not set here a warning.

use pipegen_diag::{Diagnostic, did_you_mean};

use super::{KNOWN_PLACEHOLDERS, finding_at};
use crate::project::ProjectSql;

pub(crate) fn check(file: &ProjectSql, findings: &mut Vec<Diagnostic>) {
    for (name, position) in pipegen_sql::placeholders(&file.text) {
        if KNOWN_PLACEHOLDERS.contains(&name.as_str()) || pipegen_sql::environment_value(&name).is_some() {
            continue;
        }
        match did_you_mean(&name, KNOWN_PLACEHOLDERS.iter().copied()) {
            // Close to one of pipegen's own: a typo.
            Some(known) => findings.push(
                finding_at(file, position, format!("unknown placeholder ${{{name}}}"))
                    .with_hint(format!("did you mean ${{{known}}}?")),
            ),
            // An environment variable's: it may well be set where the pipeline runs.
            None => findings.push(
                finding_at(
                    file,
                    position,
                    format!(
                        "${{{name}}} is not set in this environment: `pipegen run` fills it from the variable `{name}`"
                    ),
                )
                .with_hint(format!(
                    "export {name} before running; pipegen itself fills {}",
                    KNOWN_PLACEHOLDERS
                        .iter()
                        .map(|p| format!("${{{p}}}"))
                        .collect::<Vec<_>>()
                        .join(", ")
                ))
                .into_warning(),
            ),
        }
    }
}
