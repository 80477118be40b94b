//! Writing reports: each file whole or not at all, and never over an earlier one.

use std::path::{Path, PathBuf};

use crate::error::RunError;

/// Makes sure reports can be written to `dir` (made if missing) before anything runs, so that
/// a run never produces its whole load only to find it cannot write its report.
pub(crate) fn check_writable(dir: &Path) -> Result<(), RunError> {
    let refuse = |what: String| {
        RunError::Input(vec![pipegen_diag::Diagnostic::error(what).with_hint(
            "choose a directory you can write with --reports-dir or run.reports_dir",
        )])
    };
    if dir.exists() && !dir.is_dir() {
        return Err(refuse(format!(
            "the reports directory {} is not a directory",
            dir.display()
        )));
    }
    // What the check makes it takes away again: a run that stops before its report leaves
    // no trace.
    let made = dir
        .ancestors()
        .take_while(|d| !d.exists())
        .last()
        .map(Path::to_path_buf);
    let outcome = std::fs::create_dir_all(dir)
        .map_err(|e| refuse(format!("cannot create the reports directory {}: {e}", dir.display())))
        .and_then(|()| {
            let probe = dir.join(format!(".pipegen-write-check-{}", std::process::id()));
            let written = std::fs::write(&probe, b"");
            let _ = std::fs::remove_file(&probe);
            written.map_err(|e| refuse(format!("cannot write reports to {}: {e}", dir.display())))
        });
    if let Some(made) = made {
        let _ = std::fs::remove_dir_all(made);
    }
    outcome
}

/// Writes `result` as `<stem>.json` and `html` as `<stem>.html` in `dir`; a stem taken by an
/// earlier report (two started in one second) gets `-2`, `-3`, ... so both are kept.
pub(crate) fn write_report(
    dir: &Path,
    stem: &str,
    result: &impl serde::Serialize,
    html: &str,
) -> Result<(PathBuf, PathBuf), RunError> {
    let mut chosen = stem.to_owned();
    let mut n = 1;
    while dir.join(format!("{chosen}.json")).exists() {
        n += 1;
        chosen = format!("{stem}-{n}");
    }
    let json = serde_json::to_string_pretty(result).map_err(|e| RunError::Io(e.to_string()))?;
    let json_path = write_atomically(dir, &format!("{chosen}.json"), json.as_bytes())?;
    let html_path = write_atomically(dir, &format!("{chosen}.html"), html.as_bytes())?;
    Ok((json_path, html_path))
}

/// Writes a report file whole or not at all: a temporary file in the same directory, renamed.
pub(crate) fn write_atomically(dir: &Path, name: &str, contents: &[u8]) -> Result<PathBuf, RunError> {
    std::fs::create_dir_all(dir).map_err(|e| RunError::Io(format!("cannot create {}: {e}", dir.display())))?;
    let path = dir.join(name);
    let temporary = dir.join(format!(".{name}.partial"));
    std::fs::write(&temporary, contents)
        .and_then(|()| std::fs::rename(&temporary, &path))
        .map_err(|e| {
            let _ = std::fs::remove_file(&temporary);
            RunError::Io(format!("cannot write {}: {e}", path.display()))
        })?;
    Ok(path)
}
