//! What pipegen needs from a language model: a chat that answers in JSON following a schema,
//! streamed so the user sees it work, and a probe for `pipegen check`.

use std::time::Duration;

use serde_json::Value;

use crate::error::ProviderError;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    System,
    User,
    Assistant,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::System => "system",
            Role::User => "user",
            Role::Assistant => "assistant",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Message {
    pub role: Role,
    pub content: String,
}

impl Message {
    pub fn new(role: Role, content: impl Into<String>) -> Self {
        Self {
            role,
            content: content.into(),
        }
    }

    pub(crate) fn to_json(&self) -> Value {
        serde_json::json!({"role": self.role.as_str(), "content": self.content})
    }
}

/// How far an answer has come while the model writes it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Progress {
    pub elapsed: Duration,
    /// Tokens received so far: the server's count where it gives one, else the streamed
    /// chunks (one token each on the servers pipegen speaks to).
    pub tokens: u64,
}

/// A finished answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Answer {
    pub content: String,
    pub tokens: u64,
    /// The model stopped at its length limit: the JSON is cut off.
    pub truncated: bool,
}

/// A chat model behind some server.
pub trait ChatModel {
    /// "ollama model llama3.2 at http://localhost:11434", for messages.
    fn describe(&self) -> String;

    /// The server's base URL.
    fn endpoint(&self) -> String;

    /// The model's name on the server.
    fn model(&self) -> String;

    /// One answer to `messages`, asked to follow the JSON `schema`; `progress` is called as
    /// the answer streams in.
    fn chat(
        &self,
        messages: &[Message],
        schema: &Value,
        progress: &mut dyn FnMut(Progress),
    ) -> Result<Answer, ProviderError>;

    /// Whether the server answers and has the model: a line saying so, or why not.
    fn probe(&self) -> Result<String, ProviderError>;
}
