//! `pipegen run`: load the project, start the stack, provision topics and subjects, deploy the
//! SQL, produce the planned load, consume what the pipeline writes, stop when the results are
//! in, write the JSON result and the HTML report, and clean up.
//!
//! This slice runs the embedded stack (in-process log, embedded registry over HTTP on
//! 127.0.0.1, the embedded engine); Kafka and Flink backends plug into the same steps.

mod consume;
mod html;
mod orchestrate;
pub mod pipeline;
mod produce;
mod progress;
pub mod result;

pub use orchestrate::{RunError, RunOutcome, RunRequest, run};
pub use progress::ProgressStyle;
