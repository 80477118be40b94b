//! The live dashboard: one page (assets compiled into the binary, so it works offline) served
//! by axum, with every chart rendered on the server as SVG and pushed once per frame over
//! server-sent events.
//!
//! Routes: `/` the page; `/assets/*` its script and stylesheet; `/api/frames` every frame so
//! far and the current charts (for a page opened mid-run); `/api/events` the stream (`frame`
//! events, then one `finished` event); `/api/result` the run's JSON result once written.
//! No CORS headers are sent, so other origins' pages cannot read the API.

use std::convert::Infallible;
use std::sync::{Arc, RwLock};
use std::time::Duration;

use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use futures::Stream;
use serde::Serialize;
use tokio::sync::{broadcast, watch};

use crate::error::ObserveError;
use crate::frame::{LiveFrame, PhaseBand};
use crate::server::Server;
use crate::views::{View, charts};

const PAGE: &str = include_str!("dashboard/page.html");
const SCRIPT: &str = include_str!("dashboard/dashboard.js");
const STYLE: &str = include_str!("dashboard/dashboard.css");
/// The page may load only its own assets: no CDN, no other origin.
const CONTENT_SECURITY_POLICY: &str =
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'";

/// What the dashboard shows and where it listens.
#[derive(Debug, Clone)]
pub struct DashboardOptions {
    pub bind_address: String,
    pub port: u16,
    pub views: Vec<View>,
    /// Shown as the page's heading, e.g. `pipegen run 20260101-120000-ab12`.
    pub title: String,
    pub planned_s: u64,
    pub phases: Vec<PhaseBand>,
}

#[derive(Debug, Clone, Serialize)]
struct RenderedChart {
    id: String,
    svg: String,
}

/// What `/api/frames` answers.
#[derive(Debug, Clone, Serialize)]
struct Snapshot {
    title: String,
    live: bool,
    finished: bool,
    planned_s: u64,
    views: Vec<String>,
    phases: Vec<PhaseBand>,
    frames: Vec<LiveFrame>,
    charts: Vec<RenderedChart>,
}

#[derive(Debug, Clone, Serialize)]
struct FrameEvent<'a> {
    frame: &'a LiveFrame,
    charts: &'a [RenderedChart],
}

/// The run's end, as the page shows it.
#[derive(Debug, Clone, Serialize)]
pub struct Finished {
    pub status: String,
    pub error: Option<String>,
}

struct Shared {
    options: DashboardOptions,
    live: bool,
    frames: Vec<LiveFrame>,
    charts: Vec<RenderedChart>,
    result: Option<serde_json::Value>,
    finished: Option<Finished>,
}

impl Shared {
    fn render(&mut self) {
        self.charts = charts(
            &self.frames,
            &self.options.phases,
            self.options.planned_s,
            &self.options.views,
        )
        .into_iter()
        .map(|c| RenderedChart {
            id: c.id.clone(),
            svg: c.to_svg(),
        })
        .collect();
    }
}

#[derive(Clone)]
struct AppState {
    shared: Arc<RwLock<Shared>>,
    /// Named server-sent events, already serialised.
    events: broadcast::Sender<(&'static str, Arc<String>)>,
    closing: watch::Receiver<bool>,
}

/// A running dashboard.
pub struct Dashboard {
    state: AppState,
    closing: watch::Sender<bool>,
    server: Server,
}

impl Dashboard {
    /// Serves an empty dashboard for a run that is starting.
    pub async fn start(options: DashboardOptions) -> Result<Self, ObserveError> {
        Self::serve(options, Vec::new(), true).await
    }

    /// Serves a finished run from its JSON result (`frames` and all).
    pub async fn replay(
        options: DashboardOptions,
        frames: Vec<LiveFrame>,
        result: serde_json::Value,
        finished: Finished,
    ) -> Result<Self, ObserveError> {
        let dashboard = Self::serve(options, frames, false).await?;
        if let Ok(mut shared) = dashboard.state.shared.write() {
            shared.result = Some(result);
            shared.finished = Some(finished);
        }
        Ok(dashboard)
    }

    async fn serve(options: DashboardOptions, frames: Vec<LiveFrame>, live: bool) -> Result<Self, ObserveError> {
        let (host, port) = (options.bind_address.clone(), options.port);
        let mut shared = Shared {
            options,
            live,
            frames,
            charts: Vec::new(),
            result: None,
            finished: None,
        };
        shared.render();
        let (events, _) = broadcast::channel(64);
        let (closing, closing_rx) = watch::channel(false);
        let state = AppState {
            shared: Arc::new(RwLock::new(shared)),
            events,
            closing: closing_rx,
        };
        let router = Router::new()
            .route("/", get(page))
            .route("/assets/dashboard.js", get(script))
            .route("/assets/dashboard.css", get(style))
            .route("/api/frames", get(frames_so_far))
            .route("/api/events", get(event_stream))
            .route("/api/result", get(result))
            .with_state(state.clone());
        let server = Server::start("dashboard", &host, port, router).await?;
        Ok(Self { state, closing, server })
    }

    /// The page's address.
    pub fn url(&self) -> String {
        format!("http://{}/", self.server.address())
    }

    /// Adds a frame and pushes it, with the charts redrawn, to every open page.
    pub fn push(&self, frame: &LiveFrame) {
        let Ok(mut shared) = self.state.shared.write() else {
            return;
        };
        shared.frames.push(frame.clone());
        shared.render();
        if let Ok(json) = serde_json::to_string(&FrameEvent {
            frame,
            charts: &shared.charts,
        }) {
            // No page open is not an error.
            let _ = self.state.events.send(("frame", Arc::new(json)));
        }
    }

    /// The run is over: its result becomes available and open pages are told.
    pub fn finish(&self, result: serde_json::Value, finished: Finished) {
        if let Ok(mut shared) = self.state.shared.write() {
            shared.result = Some(result);
            shared.finished = Some(finished.clone());
        }
        if let Ok(json) = serde_json::to_string(&finished) {
            let _ = self.state.events.send(("finished", Arc::new(json)));
        }
    }

    pub async fn stop(self) {
        let _ = self.closing.send(true);
        self.server.stop().await;
    }
}

fn with_type(content_type: &'static str, body: &'static str) -> Response {
    (
        [
            (header::CONTENT_TYPE, content_type),
            (header::CACHE_CONTROL, "no-cache"),
            (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        ],
        body,
    )
        .into_response()
}

async fn page() -> Response {
    let mut response = with_type("text/html; charset=utf-8", PAGE);
    if let Ok(policy) = CONTENT_SECURITY_POLICY.parse() {
        response.headers_mut().insert(header::CONTENT_SECURITY_POLICY, policy);
    }
    response
}

async fn script() -> Response {
    with_type("text/javascript; charset=utf-8", SCRIPT)
}

async fn style() -> Response {
    with_type("text/css; charset=utf-8", STYLE)
}

async fn frames_so_far(State(state): State<AppState>) -> Response {
    let Ok(shared) = state.shared.read() else {
        return StatusCode::INTERNAL_SERVER_ERROR.into_response();
    };
    Json(Snapshot {
        title: shared.options.title.clone(),
        live: shared.live,
        finished: shared.finished.is_some(),
        planned_s: shared.options.planned_s,
        views: shared.options.views.iter().map(|v| v.name().to_string()).collect(),
        phases: shared.options.phases.clone(),
        frames: shared.frames.clone(),
        charts: shared.charts.clone(),
    })
    .into_response()
}

async fn result(State(state): State<AppState>) -> Response {
    let Ok(shared) = state.shared.read() else {
        return StatusCode::INTERNAL_SERVER_ERROR.into_response();
    };
    match &shared.result {
        Some(result) => Json(result.clone()).into_response(),
        None => (
            StatusCode::NOT_FOUND,
            Json(serde_json::json!({"error": "the run has not finished; its result is written at the end"})),
        )
            .into_response(),
    }
}

async fn event_stream(State(state): State<AppState>) -> Sse<impl Stream<Item = Result<Event, Infallible>>> {
    let receiver = state.events.subscribe();
    let stream = futures::stream::unfold((receiver, state.closing), |(mut receiver, mut closing)| async move {
        loop {
            let message = tokio::select! {
                message = receiver.recv() => message,
                _ = closing.wait_for(|c| *c) => return None,
            };
            match message {
                Ok((name, data)) => {
                    let event = Event::default().event(name).data(data.as_str());
                    return Some((Ok(event), (receiver, closing)));
                }
                // A slow page missed frames; the next one carries every chart whole.
                Err(broadcast::error::RecvError::Lagged(_)) => continue,
                Err(broadcast::error::RecvError::Closed) => return None,
            }
        }
    });
    Sse::new(stream).keep_alive(KeepAlive::new().interval(Duration::from_secs(10)))
}
