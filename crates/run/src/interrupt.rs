//! SIGINT and SIGTERM: the first one asks the run (or the benchmark) to stop cleanly, removing
//! what it created and writing its report; a second one ends the process at once.

use std::sync::Arc;
use std::sync::atomic::{AtomicU8, Ordering};

/// A signal that stops a run early.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Signal {
    /// SIGINT (Ctrl-C).
    Interrupt,
    /// SIGTERM (`kill`, a service manager, Kubernetes).
    Terminate,
}

impl Signal {
    pub fn name(self) -> &'static str {
        match self {
            Signal::Interrupt => "SIGINT",
            Signal::Terminate => "SIGTERM",
        }
    }

    /// The shell's convention: 128 plus the signal's number.
    pub fn exit_code(self) -> u8 {
        match self {
            Signal::Interrupt => 130,
            Signal::Terminate => 143,
        }
    }

    fn code(self) -> u8 {
        match self {
            Signal::Interrupt => 1,
            Signal::Terminate => 2,
        }
    }

    fn from_code(code: u8) -> Option<Self> {
        match code {
            1 => Some(Signal::Interrupt),
            2 => Some(Signal::Terminate),
            _ => None,
        }
    }
}

/// The first stopping signal received, shared by everything that should stop on it.
#[derive(Debug, Clone, Default)]
pub struct Interruption(Arc<AtomicU8>);

impl Interruption {
    /// Listens for SIGINT and SIGTERM for as long as the process lives (on a thread of its
    /// own, so the flag is set between runs too). A second signal exits at once with its code.
    pub fn listen() -> Self {
        let interruption = Self::default();
        let flag = interruption.clone();
        let listening = std::thread::Builder::new()
            .name("pipegen-signals".into())
            .spawn(move || {
                let Ok(runtime) = tokio::runtime::Builder::new_current_thread().enable_all().build() else {
                    return;
                };
                runtime.block_on(flag.receive());
            });
        if let Err(e) = listening {
            tracing::warn!("cannot listen for SIGINT and SIGTERM: {e}");
        }
        interruption
    }

    async fn receive(self) {
        #[cfg(unix)]
        {
            use tokio::signal::unix::{SignalKind, signal};
            let (Ok(mut interrupt), Ok(mut terminate)) =
                (signal(SignalKind::interrupt()), signal(SignalKind::terminate()))
            else {
                tracing::warn!("cannot listen for SIGINT and SIGTERM");
                return;
            };
            loop {
                let received = tokio::select! {
                    _ = interrupt.recv() => Signal::Interrupt,
                    _ = terminate.recv() => Signal::Terminate,
                };
                self.receive_one(received);
            }
        }
        #[cfg(not(unix))]
        while tokio::signal::ctrl_c().await.is_ok() {
            self.receive_one(Signal::Interrupt);
        }
    }

    fn receive_one(&self, received: Signal) {
        if let Some(first) = self.signal() {
            eprintln!(
                "pipegen: {} again after {}: exiting now, without removing what the run created",
                received.name(),
                first.name()
            );
            std::process::exit(i32::from(received.exit_code()));
        }
        self.raise(received);
        eprintln!(
            "pipegen: {}: stopping (removing what the run created, writing the report); send it again to exit at once",
            received.name()
        );
    }

    /// Records `signal` as received unless one was already (the first one counts).
    pub fn raise(&self, signal: Signal) {
        let _ = self
            .0
            .compare_exchange(0, signal.code(), Ordering::SeqCst, Ordering::SeqCst);
    }

    /// The first signal received, if any.
    pub fn signal(&self) -> Option<Signal> {
        Signal::from_code(self.0.load(Ordering::SeqCst))
    }

    pub fn is_set(&self) -> bool {
        self.signal().is_some()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_first_signal_counts() {
        let interruption = Interruption::default();
        assert_eq!(interruption.signal(), None);
        interruption.raise(Signal::Terminate);
        interruption.raise(Signal::Interrupt);
        assert_eq!(interruption.signal(), Some(Signal::Terminate));
        assert_eq!(interruption.clone().signal().map(Signal::exit_code), Some(143));
    }
}
