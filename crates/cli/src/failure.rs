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

    /// Both failures' diagnostics; the pipeline's failure (exit 1) outranks bad input.
    pub fn merge(self, other: Failure) -> Failure {
        let failed = matches!(self, Failure::Failed(_)) || matches!(other, Failure::Failed(_));
        let mut diagnostics = self.into_diagnostics();
        diagnostics.extend(other.into_diagnostics());
        if failed {
            Failure::Failed(diagnostics)
        } else {
            Failure::Input(diagnostics)
        }
    }

    fn into_diagnostics(self) -> Vec<Diagnostic> {
        match self {
            Failure::Input(d) | Failure::Failed(d) | Failure::Interrupted(d, _) => d,
        }
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
