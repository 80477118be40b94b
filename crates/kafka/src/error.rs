/// A Kafka operation that failed, naming what it was doing and where.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("Kafka at {servers}: {action} failed: {reason}")]
pub struct KafkaError {
    pub servers: String,
    pub action: String,
    pub reason: String,
}

impl KafkaError {
    pub(crate) fn new(servers: &str, action: impl Into<String>, reason: impl ToString) -> Self {
        Self {
            servers: servers.to_owned(),
            action: action.into(),
            reason: reason.to_string(),
        }
    }
}
