use std::path::PathBuf;

use pipegen_diag::Diagnostic;

use crate::origin::{Origin, Source};

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read {path}: {message}")]
    Read { path: PathBuf, message: String },

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
            ConfigError::Read { .. } => None,
            ConfigError::Syntax(l) | ConfigError::UnknownKey(l) | ConfigError::InvalidValue(l) => Some(l),
        }
    }
}

impl From<&ConfigError> for Diagnostic {
    fn from(error: &ConfigError) -> Self {
        let mut diagnostic = Diagnostic::error(error.to_string());
        let Some(located) = error.located() else {
            if let ConfigError::Read { path, .. } = error {
                diagnostic = diagnostic
                    .in_file(path)
                    .with_hint("check the path, or drop --config to use the project's .pipegen.yaml");
            }
            return diagnostic;
        };
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
