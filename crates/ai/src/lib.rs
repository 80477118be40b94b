//! `pipegen init NAME --describe "..."`: a language model drafts the project (schemas and
//! Flink SQL by role, as a typed JSON object), pipegen validates the draft with its own
//! validator, findings go back to the model for a bounded number of rounds, and only a project
//! that validates is written, atomically, under file names pipegen chooses.
//!
//! Providers: Ollama ([`ollama`]) and any OpenAI-compatible chat-completions API ([`openai`]),
//! both streamed, configured by the `ai` section ([`configured_model`]).

mod confine;
mod draft;
mod error;
mod http;
pub mod ollama;
pub mod openai;
mod prompt;
mod provider;
mod repair;
mod settings;

pub use draft::{Draft, DraftError, DraftSql, json_schema, parse as parse_draft};
pub use error::{GenerateError, ProviderError};
pub use provider::{Answer, ChatModel, Message, Progress, Role};
pub use repair::{DraftCheck, Event, Generated, Request, generate};
pub use settings::{DEFAULT_OLLAMA_URL, DEFAULT_OPENAI_URL, HOW_TO_CONFIGURE, configured_model};
