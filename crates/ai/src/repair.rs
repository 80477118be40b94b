//! The loop: ask for a draft, write it into a scratch directory exactly as `init` would write
//! it, validate it there with pipegen's own validator (and any further check the caller adds,
//! such as a dry deploy), and send the findings back for a bounded number of rounds. Only a
//! draft without errors is written to the target, atomically; otherwise nothing is.

use std::fs;
use std::path::{Path, PathBuf};

use pipegen_diag::{Diagnostic, Severity};
use pipegen_project::scaffold::{DraftFiles, Grounding, InitError, InitOutcome, write_drafted};
use pipegen_project::{Project, ProjectName};

use crate::draft::{self, DraftError};
use crate::error::GenerateError;
use crate::prompt;
use crate::provider::{ChatModel, Message, Progress, Role};

/// What the user asked for.
#[derive(Debug, Clone, Copy)]
pub struct Request<'a> {
    /// The project directory to create; its last component is the project's name.
    pub target: &'a Path,
    /// Replace the generated files in an existing directory (others are kept).
    pub force: bool,
    pub description: &'a str,
    pub domain: Option<&'a str>,
    /// The user's `--input-schema` or `--input-csv`, as `init` reads it.
    pub grounding: Option<&'a Grounding>,
    /// Rounds after the first answer in which findings go back to the model.
    pub max_repair_rounds: u32,
    /// Where to leave the last draft (the model's answer, the findings, the project).
    pub keep_draft: Option<&'a Path>,
}

/// A check a draft must pass beyond the validator's, run on the staged project's directory
/// once the validator found no error: errors it returns go back to the model like the
/// validator's. The CLI passes the embedded engine's dry deploy, so this crate needs no engine.
pub trait DraftCheck {
    fn check(&self, project_dir: &Path) -> Vec<Diagnostic>;
}

/// What happens, for the terminal.
#[derive(Debug, Clone)]
pub enum Event {
    /// Round `round` of at most `rounds` starts: the model is asked.
    Asking { round: u32, rounds: u32 },
    /// The answer so far.
    Streaming(Progress),
    /// The round's draft had these errors; they go back to the model if rounds are left.
    Findings { round: u32, findings: Vec<Diagnostic> },
}

/// A project written from a draft that validated.
#[derive(Debug)]
pub struct Generated {
    pub outcome: InitOutcome,
    /// Rounds it took (1: the first draft validated).
    pub rounds: u32,
    /// The validator's warnings on the written project.
    pub warnings: Vec<Diagnostic>,
}

pub fn generate(
    model: &dyn ChatModel,
    request: &Request<'_>,
    checks: &[&dyn DraftCheck],
    events: &mut dyn FnMut(Event),
) -> Result<Generated, GenerateError> {
    let name = usable_target(request)?;
    let schema = draft::json_schema();
    let mut messages = vec![
        Message::new(Role::System, prompt::system()),
        Message::new(
            Role::User,
            prompt::user(request.description, request.domain, request.grounding),
        ),
    ];
    let rounds = request.max_repair_rounds.saturating_add(1);
    let origin = format!(
        "drafted by a language model from the description \"{}\", then validated by pipegen",
        one_line(request.description)
    );
    let mut last_findings = Vec::new();
    for round in 1..=rounds {
        events(Event::Asking { round, rounds });
        let answer = model.chat(&messages, &schema, &mut |progress| events(Event::Streaming(progress)))?;
        let parsed = if answer.truncated {
            Err(DraftError::Truncated)
        } else {
            draft::parse(&answer.content)
        };
        let (reply, files) = match parsed {
            Err(error) => (prompt::unparsable(&error), None),
            Ok(draft) => {
                let files = draft.files(request.grounding.map(Grounding::input_schema));
                let (errors, warnings) = validate(&name, &origin, request.grounding, &files, checks)?;
                if errors.is_empty() {
                    keep(request, &name, &origin, &answer.content, &[], Some(&files))?;
                    let outcome = write_drafted(request.target, request.force, &origin, request.grounding, &files)?;
                    return Ok(Generated {
                        outcome,
                        rounds: round,
                        warnings,
                    });
                }
                (prompt::findings(&errors), Some((files, errors)))
            }
        };
        let (files, findings) = match files {
            Some((files, errors)) => (Some(files), errors),
            None => (
                None,
                vec![Diagnostic::error(reply.lines().next().unwrap_or_default().to_owned())],
            ),
        };
        events(Event::Findings {
            round,
            findings: findings.clone(),
        });
        if round == rounds {
            let kept = keep(request, &name, &origin, &answer.content, &findings, files.as_ref())?;
            return Err(GenerateError::StillInvalid { rounds, findings, kept });
        }
        last_findings = findings;
        messages.push(Message::new(Role::Assistant, answer.content));
        messages.push(Message::new(Role::User, reply));
    }
    Err(GenerateError::StillInvalid {
        rounds,
        findings: last_findings,
        kept: None,
    })
}

/// The project name, once the target is known to be writable: checked before the model is
/// asked, so a long generation is not wasted on a directory that is in the way.
fn usable_target(request: &Request<'_>) -> Result<ProjectName, GenerateError> {
    let text = request
        .target
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let name = ProjectName::parse(&text).map_err(InitError::from)?;
    if request.target.exists() && !request.target.is_dir() {
        return Err(InitError::NotADirectory(request.target.to_path_buf()).into());
    }
    if request.target.exists() && !request.force {
        return Err(InitError::Exists(request.target.to_path_buf()).into());
    }
    Ok(name)
}

/// Errors and warnings of a draft, written as `init` would write it into a scratch directory.
/// Paths in the findings are relative to the project, as the user will see it.
fn validate(
    name: &ProjectName,
    origin: &str,
    grounding: Option<&Grounding>,
    files: &DraftFiles,
    checks: &[&dyn DraftCheck],
) -> Result<(Vec<Diagnostic>, Vec<Diagnostic>), GenerateError> {
    let scratch = tempfile::tempdir().map_err(GenerateError::Staging)?;
    let dir = scratch.path().join(name.as_str());
    write_drafted(&dir, false, origin, grounding, files)?;
    let mut findings = match Project::load(&dir) {
        Ok(project) => {
            let mut findings = pipegen_project::validate::check(&project);
            findings.extend(crate::confine::paths_outside(&project));
            findings
        }
        Err(problems) => problems,
    };
    if !findings.iter().any(|f| f.severity == Severity::Error) {
        for check in checks {
            findings.extend(check.check(&dir));
        }
    }
    let (errors, warnings) = findings
        .into_iter()
        .map(|f| relative_to(&dir, f))
        .partition(|f| f.severity == Severity::Error);
    Ok((errors, warnings))
}

fn relative_to(dir: &Path, mut finding: Diagnostic) -> Diagnostic {
    if let Some(file) = &finding.file
        && let Ok(relative) = file.strip_prefix(dir)
    {
        finding.file = Some(relative.to_path_buf());
    }
    let shown = format!("{}/", dir.display());
    finding.message = finding.message.replace(&shown, "");
    finding
}

/// With `--keep-draft DIR`: the model's last answer (`answer.json`), what was wrong with it
/// (`findings.txt`) and, when it parsed, the project as it would have been written (`DIR/NAME`).
fn keep(
    request: &Request<'_>,
    name: &ProjectName,
    origin: &str,
    answer: &str,
    findings: &[Diagnostic],
    files: Option<&DraftFiles>,
) -> Result<Option<PathBuf>, GenerateError> {
    let Some(dir) = request.keep_draft else {
        return Ok(None);
    };
    let failed = |source| GenerateError::KeepDraft {
        path: dir.to_path_buf(),
        source,
    };
    fs::create_dir_all(dir).map_err(failed)?;
    write_replacing(&dir.join("answer.json"), answer).map_err(failed)?;
    let report: String = findings.iter().map(|f| format!("{f}\n\n")).collect();
    write_replacing(&dir.join("findings.txt"), &report).map_err(failed)?;
    if let Some(files) = files {
        write_drafted(&dir.join(name.as_str()), true, origin, request.grounding, files)?;
    }
    Ok(Some(dir.to_path_buf()))
}

/// Writes a file whole or not at all: a temporary file beside it, renamed over it.
fn write_replacing(path: &Path, text: &str) -> std::io::Result<()> {
    let parent = path.parent().unwrap_or(Path::new("."));
    let mut file = tempfile::NamedTempFile::new_in(parent)?;
    std::io::Write::write_all(&mut file, text.as_bytes())?;
    file.persist(path).map_err(|e| e.error)?;
    Ok(())
}

fn one_line(text: &str) -> String {
    let line: String = text.split_whitespace().collect::<Vec<_>>().join(" ");
    if line.chars().count() > 200 {
        line.chars().take(200).collect::<String>() + "..."
    } else {
        line
    }
}
