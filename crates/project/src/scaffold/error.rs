use std::path::PathBuf;

use pipegen_diag::Diagnostic;
use pipegen_diag::input::InputError;

use crate::name::NameError;

#[derive(Debug, thiserror::Error)]
pub enum InitError {
    #[error(transparent)]
    Name(#[from] NameError),

    #[error("directory {0} already exists")]
    Exists(PathBuf),

    #[error("{0} exists and is not a directory")]
    NotADirectory(PathBuf),

    #[error("{0}")]
    Read(InputError),

    /// Something in the existing project is in the way; nothing was written.
    #[error("{0}")]
    Conflict(String),

    #[error("cannot write the project to {path}: {source}")]
    Write { path: PathBuf, source: std::io::Error },

    /// A problem in the user's input file, already located.
    #[error("{0}")]
    Input(Box<Diagnostic>),
}

impl From<&InitError> for Diagnostic {
    fn from(error: &InitError) -> Self {
        match error {
            InitError::Name(_) => Diagnostic::error(error.to_string())
                .with_hint("start with a letter; use letters, digits, `-` and `_` (e.g. `orders-pipeline`)"),
            InitError::Exists(_) => Diagnostic::error(error.to_string())
                .with_hint("pass --force to replace the generated files in it (other files are kept)"),
            InitError::NotADirectory(_) => {
                Diagnostic::error(error.to_string()).with_hint("choose another project name")
            }
            InitError::Read(input) => Diagnostic::from(input),
            InitError::Conflict(_) => Diagnostic::error(error.to_string())
                .with_hint("move it out of the way, or create the project under another name; nothing was written"),
            InitError::Write { .. } => Diagnostic::error(error.to_string())
                .with_hint("check permissions and free space; nothing was left behind"),
            InitError::Input(diagnostic) => (**diagnostic).clone(),
        }
    }
}
