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
        matches!(self, EngineError::Unsupported { .. }).then_some("run this pipeline on Flink with --engine flink")
    }
}
