//! Where a configuration value came from.

use std::fmt;
use std::path::PathBuf;

use pipegen_diag::Position;

/// The layers, from weakest to strongest.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    Default,
    /// `~/.pipegen.yaml`.
    UserFile(PathBuf),
    /// The project's `.pipegen.yaml`.
    ProjectFile(PathBuf),
    /// A file named with `--config`.
    ExplicitFile(PathBuf),
    /// A `PIPEGEN_*` environment variable.
    Env(String),
    /// A command-line flag such as `--message-rate`.
    Flag(String),
}

impl Source {
    /// The layer's rank: a stronger layer overrides a weaker one.
    pub fn strength(&self) -> u8 {
        match self {
            Source::Default => 0,
            Source::UserFile(_) => 1,
            Source::ProjectFile(_) => 2,
            Source::ExplicitFile(_) => 3,
            Source::Env(_) => 4,
            Source::Flag(_) => 5,
        }
    }

    pub fn file(&self) -> Option<&PathBuf> {
        match self {
            Source::UserFile(p) | Source::ProjectFile(p) | Source::ExplicitFile(p) => Some(p),
            _ => None,
        }
    }
}

impl fmt::Display for Source {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Source::Default => f.write_str("default"),
            Source::UserFile(p) | Source::ProjectFile(p) | Source::ExplicitFile(p) => {
                write!(f, "{}", p.display())
            }
            Source::Env(var) => write!(f, "env {var}"),
            Source::Flag(flag) => write!(f, "flag {flag}"),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Origin {
    pub source: Source,
    pub position: Option<Position>,
}

impl Origin {
    pub fn default_value() -> Self {
        Self {
            source: Source::Default,
            position: None,
        }
    }
}

impl fmt::Display for Origin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (&self.source, self.position) {
            (source @ (Source::UserFile(_) | Source::ProjectFile(_) | Source::ExplicitFile(_)), Some(p)) => {
                write!(f, "{source}:{}", p.line)
            }
            (source, _) => write!(f, "{source}"),
        }
    }
}
