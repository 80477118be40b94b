//! An axum server on one address that stops when asked, even with event streams open.

use std::net::SocketAddr;
use std::time::Duration;

use std::sync::Arc;

use axum::Router;
use axum::extract::{Request, State};
use axum::http::header;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use tokio::sync::watch;

use crate::error::ObserveError;
use pipegen_http_guard::Guard;

/// How long open connections get to finish once the server stops.
const GRACE: Duration = Duration::from_secs(2);

pub(crate) struct Server {
    address: SocketAddr,
    stop: watch::Sender<bool>,
    task: tokio::task::JoinHandle<()>,
}

impl Server {
    pub(crate) async fn start(what: &'static str, host: &str, port: u16, router: Router) -> Result<Self, ObserveError> {
        let shown = if host.contains(':') {
            format!("[{host}]:{port}")
        } else {
            format!("{host}:{port}")
        };
        let bind_error = |source| ObserveError::Bind {
            what,
            address: shown.clone(),
            source,
        };
        let listener = tokio::net::TcpListener::bind((host, port)).await.map_err(bind_error)?;
        let address = listener.local_addr().map_err(bind_error)?;
        // Only requests that name this server by its own address, and no state-changing ones
        // from other origins: a rebound name cannot read `/api/frames`.
        let router = router.layer(axum::middleware::from_fn_with_state(
            (Arc::new(Guard::new(address)), what),
            guarded,
        ));
        let (stop, mut stopped) = watch::channel(false);
        let task = tokio::spawn(async move {
            let shutdown = async move {
                let _ = stopped.wait_for(|s| *s).await;
            };
            if let Err(e) = axum::serve(listener, router).with_graceful_shutdown(shutdown).await {
                tracing::warn!("the {what} stopped: {e}");
            }
        });
        Ok(Self { address, stop, task })
    }

    pub(crate) fn address(&self) -> SocketAddr {
        self.address
    }

    pub(crate) async fn stop(self) {
        let _ = self.stop.send(true);
        let abort = self.task.abort_handle();
        if tokio::time::timeout(GRACE, self.task).await.is_err() {
            abort.abort();
        }
    }
}

async fn guarded(State((guard, what)): State<(Arc<Guard>, &'static str)>, request: Request, next: Next) -> Response {
    match guard.check(request.method(), request.headers(), what) {
        Ok(()) => next.run(request).await,
        Err((status, message)) => (
            status,
            [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
            format!("{message}\n"),
        )
            .into_response(),
    }
}
