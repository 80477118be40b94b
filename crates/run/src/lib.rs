//! `pipegen run`: load the project, start the stack, provision topics and subjects, deploy the
//! SQL, produce the planned load, consume what the pipeline writes, stop when the results are
//! in, write the JSON result and the HTML report, and clean up.
//!
//! The log is the embedded one or a Kafka cluster, the registry the embedded one (over HTTP on
//! 127.0.0.1) or a Confluent-compatible one; the engine is the embedded one or Apache Flink
//! (deployed through its SQL Gateway, watched through its REST API).
//!
//! `pipegen bench` is runs too: [`mod@bench`] runs the benchmark scenarios one after the other and
//! writes their summary.

mod backends;
pub mod bench;
mod collect;
mod consume;
pub mod deploy;
mod dimensions;
mod drain;
mod error;
mod flink_jobs;
mod followers;
mod html;
mod interrupt;
mod jobs;
mod judged;
mod live;
mod load;
mod orchestrate;
pub mod pipeline;
mod produce;
mod progress;
mod provision;
mod read_limit;
mod reports;
mod request;
pub mod result;
pub mod schema_journal;
mod topic_watch;
mod watch;

pub use error::RunError;
pub use interrupt::{Interruption, Signal};
pub use live::DashboardRequest;
pub use orchestrate::run;
pub use pipegen_observe::View;
pub use progress::ProgressStyle;
pub use request::{JudgedLatency, RunOutcome, RunRequest, Step};
