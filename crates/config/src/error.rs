use pipegen_diag::Diagnostic;
use pipegen_diag::input::InputError;

use crate::origin::{Origin, Source};

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ConfigError {
    #[error("{0}")]
    Read(InputError),

    /// `--project-dir` names no directory.
    #[error("the project directory: {0}")]
    ProjectDir(InputError),

    /// The file is not valid YAML.
    #[error("{}", .0.message)]
    Syntax(Box<Located>),

    #[error("unknown key `{}`{}", .0.key, .0.suggestion.as_ref().map(|s| format!(" (did you mean `{s}`?)")).unwrap_or_default())]
    UnknownKey(Box<Located>),

    #[error("invalid value for `{}`: {}", .0.key, .0.message)]
    InvalidValue(Box<Located>),
}

/// A problem at a key, with where it was set.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Located {
    pub key: String,
    pub origin: Origin,
    pub message: String,
    pub suggestion: Option<String>,
    pub hint: Option<String>,
    /// The text of the line the origin points at.
    pub source_line: Option<String>,
}

impl ConfigError {
    /// The located detail, for every error but an unreadable file.
    pub fn located(&self) -> Option<&Located> {
        match self {
            ConfigError::Read(_) | ConfigError::ProjectDir(_) => None,
            ConfigError::Syntax(l) | ConfigError::UnknownKey(l) | ConfigError::InvalidValue(l) => Some(l),
        }
    }
}

impl From<&ConfigError> for Diagnostic {
    fn from(error: &ConfigError) -> Self {
        let located = match error {
            ConfigError::Read(input) => return Diagnostic::from(input),
            ConfigError::ProjectDir(_) => {
                return Diagnostic::error(error.to_string()).with_hint(
                    "pass the project's directory with --project-dir, or create one with `pipegen init NAME`",
                );
            }
            ConfigError::Syntax(l) | ConfigError::UnknownKey(l) | ConfigError::InvalidValue(l) => l,
        };
        let mut diagnostic = Diagnostic::error(error.to_string());
        match &located.origin.source {
            Source::Env(var) => diagnostic
                .message
                .push_str(&format!(" (set by environment variable {var})")),
            Source::Flag(flag) => diagnostic.message.push_str(&format!(" (set by {flag})")),
            source => {
                if let Some(file) = source.file() {
                    diagnostic = diagnostic.in_file(file);
                }
            }
        }
        diagnostic.position = located.origin.position;
        diagnostic.source_line = located.source_line.clone();
        diagnostic.hint = located.hint.clone();
        diagnostic
    }
}
