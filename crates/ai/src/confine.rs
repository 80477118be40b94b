//! Paths in SQL are file names too, and a model must not choose where pipegen reads or writes:
//! a drafted `filesystem` table's `path` has to lie inside the project (`${PROJECT_DIR}/...`,
//! without `..`). `pipegen validate` allows any path, since a user may mean one elsewhere.

use pipegen_diag::Diagnostic;
use pipegen_project::Project;
use pipegen_sql::Statement;

/// A finding for each `filesystem` table whose path leaves the project.
pub(crate) fn paths_outside(project: &Project) -> Vec<Diagnostic> {
    let mut findings = Vec::new();
    for file in &project.sql_files {
        for statement in &file.parsed.statements {
            let Statement::CreateTable(table) = &statement.kind else {
                continue;
            };
            if table.connector() != Some("filesystem") {
                continue;
            }
            for option in table.options.iter().filter(|o| o.key == "path") {
                if !inside_project(&option.value) {
                    findings.push(
                        Diagnostic::error(format!(
                            "table `{}` reads or writes '{}', outside the project",
                            table.name, option.value
                        ))
                        .in_file(&file.path)
                        .at_in(option.position, &file.text)
                        .with_hint("a drafted project keeps its files under '${PROJECT_DIR}/' (e.g. '${PROJECT_DIR}/data/out'), with no `..`"),
                    );
                }
            }
        }
    }
    findings
}

fn inside_project(path: &str) -> bool {
    path.strip_prefix("${PROJECT_DIR}/")
        .is_some_and(|rest| !rest.is_empty() && !rest.split(['/', '\\']).any(|part| part == ".."))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_paths_under_the_project_are_inside() {
        assert!(inside_project("${PROJECT_DIR}/data/clicks.csv"));
        assert!(inside_project("${PROJECT_DIR}/out/"));
        for outside in [
            "/etc/passwd",
            "${PROJECT_DIR}/../../etc/x",
            "${PROJECT_DIR}/data/..\\..\\x",
            "${PROJECT_DIR}/",
            "file:///tmp/x",
            "data/x.csv",
        ] {
            assert!(!inside_project(outside), "{outside}");
        }
    }
}
