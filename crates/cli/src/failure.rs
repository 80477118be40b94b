//! How a command fails, and the exit code each way maps to.

use std::process::ExitCode;

use pipegen_diag::Diagnostic;

#[derive(Debug)]
pub enum Failure {
    /// Bad usage or bad input (config, schema, SQL, CSV, pattern): exit 2.
    Input(Vec<Diagnostic>),
    /// The pipeline or a check failed: exit 1.
    Failed(Vec<Diagnostic>),
    /// Stopped by a signal after cleaning up: the shell's 128 + signal number (130, 143).
    Interrupted(Vec<Diagnostic>, u8),
}

impl Failure {
    pub fn input(diagnostic: impl Into<Diagnostic>) -> Self {
        Failure::Input(vec![diagnostic.into()])
    }

    pub fn exit_code(&self) -> ExitCode {
        match self {
            Failure::Failed(_) => ExitCode::from(1),
            Failure::Input(_) => ExitCode::from(2),
            Failure::Interrupted(_, code) => ExitCode::from(*code),
        }
    }

    pub fn report(&self) {
        match self {
            Failure::Input(diagnostics) | Failure::Failed(diagnostics) | Failure::Interrupted(diagnostics, _) => {
                for d in diagnostics {
                    eprintln!("{d}");
                }
            }
        }
    }
}

impl From<Diagnostic> for Failure {
    fn from(d: Diagnostic) -> Self {
        Failure::Input(vec![d])
    }
}

pub type CommandResult = Result<(), Failure>;
