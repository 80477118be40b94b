//! What can go wrong serving the views.

/// A view that could not start.
#[derive(Debug, thiserror::Error)]
pub enum ObserveError {
    /// The address is taken or not ours to bind.
    #[error("cannot serve the {what} on {address}: {source}")]
    Bind {
        what: &'static str,
        address: String,
        #[source]
        source: std::io::Error,
    },
}

impl ObserveError {
    /// What the user can do about it.
    pub fn hint(&self) -> String {
        match self {
            ObserveError::Bind { what, source, .. } if source.kind() == std::io::ErrorKind::AddrInUse => {
                format!("another process listens on that port; choose a free port for the {what}")
            }
            ObserveError::Bind { .. } => {
                "check the address: it must be one of this machine's interfaces, 127.0.0.1 by default".into()
            }
        }
    }
}
