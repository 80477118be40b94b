//! A job's state, in Flink's words (the REST API's `state` of a job): the embedded engine's
//! jobs are reported in the same words, so the run's result reads the same for both.

use std::fmt;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum JobState {
    Initializing,
    Created,
    Running,
    Failing,
    Failed,
    Cancelling,
    Canceled,
    Finished,
    Restarting,
    Suspended,
    Reconciling,
    /// A state this version of pipegen does not know (a newer Flink's), kept as Flink said it.
    Other(String),
}

impl JobState {
    /// The state as Flink's REST API spells it.
    pub fn parse(text: &str) -> JobState {
        match text {
            "INITIALIZING" => JobState::Initializing,
            "CREATED" => JobState::Created,
            "RUNNING" => JobState::Running,
            "FAILING" => JobState::Failing,
            "FAILED" => JobState::Failed,
            "CANCELLING" => JobState::Cancelling,
            "CANCELED" => JobState::Canceled,
            "FINISHED" => JobState::Finished,
            "RESTARTING" => JobState::Restarting,
            "SUSPENDED" => JobState::Suspended,
            "RECONCILING" => JobState::Reconciling,
            other => JobState::Other(other.to_owned()),
        }
    }

    pub fn as_str(&self) -> &str {
        match self {
            JobState::Initializing => "INITIALIZING",
            JobState::Created => "CREATED",
            JobState::Running => "RUNNING",
            JobState::Failing => "FAILING",
            JobState::Failed => "FAILED",
            JobState::Cancelling => "CANCELLING",
            JobState::Canceled => "CANCELED",
            JobState::Finished => "FINISHED",
            JobState::Restarting => "RESTARTING",
            JobState::Suspended => "SUSPENDED",
            JobState::Reconciling => "RECONCILING",
            JobState::Other(text) => text,
        }
    }

    /// A state after which the job does not run again.
    pub fn is_terminal(&self) -> bool {
        matches!(
            self,
            JobState::Finished | JobState::Failed | JobState::Canceled | JobState::Suspended
        )
    }

    /// A state in which the job has met a failure (and may be recovering from it).
    pub fn is_troubled(&self) -> bool {
        matches!(self, JobState::Failed | JobState::Failing | JobState::Restarting)
    }
}

/// Compares with Flink's spelling of a state (`state == "RUNNING"`).
impl PartialEq<&str> for JobState {
    fn eq(&self, other: &&str) -> bool {
        self.as_str() == *other
    }
}

impl fmt::Display for JobState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl serde::Serialize for JobState {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn states_read_and_print_as_flink_spells_them() {
        for text in ["RUNNING", "FINISHED", "CANCELLING", "RECONCILING", "SOMETHING_NEW"] {
            assert_eq!(JobState::parse(text).as_str(), text);
        }
        assert!(JobState::Canceled.is_terminal() && JobState::Failed.is_terminal() && JobState::Finished.is_terminal());
        assert!(!JobState::Running.is_terminal() && !JobState::Restarting.is_terminal());
        assert!(!JobState::Cancelling.is_terminal());
        assert_eq!(serde_json::to_string(&JobState::Canceled).unwrap(), "\"CANCELED\"");
        assert_eq!(JobState::Canceled, "CANCELED");
    }
}
