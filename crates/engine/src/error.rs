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
        "the query held {} MiB of state and results, over the embedded engine's memory budget of {} MiB",
        .held / (1 << 20),
        .budget / (1 << 20)
    )]
    OverBudget { held: u64, budget: u64 },
    #[error(transparent)]
    Arrow(#[from] datafusion::arrow::error::ArrowError),
    #[error(transparent)]
    DataFusion(#[from] datafusion::error::DataFusionError),
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
