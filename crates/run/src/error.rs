//! How a run fails before it has a result to report.

use pipegen_diag::Diagnostic;

#[derive(Debug, thiserror::Error)]
pub enum RunError {
    /// The project cannot run as it is (exit 2): nothing was started.
    #[error("the project cannot run")]
    Input(Vec<Diagnostic>),
    /// A backend this slice does not drive yet.
    #[error("{0}")]
    NotAvailable(String),
    /// A service the run needs did not answer or refused (exit 1).
    #[error("{0}")]
    Unavailable(String),
    #[error("{0}")]
    Io(String),
}
