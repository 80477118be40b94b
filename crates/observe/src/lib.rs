//! The views of a run's one metrics model.
//!
//! A run measures once (counters, HdrHistograms, job snapshots) and every view reads the same
//! numbers: a [`LiveFrame`] per second feeds the live dashboard, the Prometheus endpoint and the
//! frames kept in the JSON result, and the same SVG renderer draws the dashboard's charts and
//! the HTML report's. Whatever was not measured is `None`: `null` in JSON, "n/a" on screen,
//! absent from `/metrics`.
//!
//! This crate knows nothing of the run orchestrator or the engine: the run builds samples
//! from its own measurements and hands them over.
//!
//! Choices: charts are SVG rendered here, on the server, so the report and the dashboard draw
//! the same thing and need no script or chart library (the report has no script at all; the
//! dashboard's small script only places what the server sends). `/metrics` is encoded by
//! `prometheus-client`, the Prometheus project's own Rust client, rather than by hand, so the
//! exposition format (escaping, suffixes, units, histogram buckets) is right by construction;
//! see [`prometheus`].

pub mod builder;
pub mod chart;
pub mod dashboard;
mod error;
pub mod frame;
pub mod interval;
pub mod live_file;
pub mod prometheus;
pub mod resources;
mod server;
pub mod views;

pub use builder::{FrameBuilder, Sample};
pub use dashboard::{Dashboard, DashboardOptions, Finished};
pub use error::ObserveError;
pub use frame::{JobCounters, LookupCounters};
pub use frame::{LiveFrame, PhaseBand};
pub use live_file::{LiveFile, LiveLine, LiveReader, newest_live_file};
pub use prometheus::{CumulativeLatency, PrometheusEndpoint};
pub use views::View;
