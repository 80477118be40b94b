use pipegen_diag::Position;

#[derive(Debug, thiserror::Error)]
pub enum EngineError {
    /// A construct the embedded engine does not run yet; Flink does.
    #[error("the embedded engine does not run {construct} yet")]
    Unsupported { construct: String, at: Option<Position> },
    #[error("table `{0}` is not declared")]
    UnknownTable(String),
    #[error("{0}")]
    Invalid(String),
    /// The job's state and buffered results outgrew the engine's memory budget.
    #[error(
        "the query's state and results grew to {:.1} MiB, past the embedded engine's memory budget of {} MiB",
        *.held as f64 / f64::from(1 << 20),
        .budget / (1 << 20)
    )]
    OverBudget { held: u64, budget: u64 },
    #[error(transparent)]
    Arrow(#[from] datafusion::arrow::error::ArrowError),
    #[error(transparent)]
    DataFusion(#[from] datafusion::error::DataFusionError),
}

/// The formats' errors keep their kind: an unsupported format carries the hint to use Flink.
impl From<pipegen_formats::FormatError> for EngineError {
    fn from(error: pipegen_formats::FormatError) -> Self {
        match error {
            pipegen_formats::FormatError::Unsupported(construct) => EngineError::unsupported(construct),
            pipegen_formats::FormatError::Invalid(message) => EngineError::Invalid(message),
            pipegen_formats::FormatError::Arrow(e) => EngineError::Arrow(e),
        }
    }
}

impl EngineError {
    pub fn unsupported(construct: impl Into<String>) -> Self {
        EngineError::Unsupported {
            construct: construct.into(),
            at: None,
        }
    }

    /// The hint every unsupported construct carries.
    pub fn hint(&self) -> Option<&'static str> {
        match self {
            EngineError::Unsupported { .. } => Some("run this pipeline on Flink with --engine flink"),
            EngineError::OverBudget { .. } => Some(
                "bound the input (a LIMIT, 'number-of-rows', a window), stream the rows with --format changelog, \
                 or raise embedded.memory_budget (--memory-budget)",
            ),
            _ => None,
        }
    }
}
