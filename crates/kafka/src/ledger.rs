//! What a run created on the cluster, so that cleanup deletes exactly that: topics that
//! existed before the run are used, never deleted.

use pipegen_config::TopicNaming;

use crate::admin::{KafkaAdmin, TopicPlan};
use crate::error::KafkaError;

/// The topic name a run uses for a topic its SQL declares.
pub fn run_topic_name(declared: &str, naming: TopicNaming, run_id: &str) -> String {
    match naming {
        TopicNaming::Fixed => declared.to_owned(),
        TopicNaming::PerRun => format!("{declared}-{run_id}"),
    }
}

#[derive(Debug, Default)]
pub struct TopicLedger {
    created: Vec<String>,
}

impl TopicLedger {
    /// Creates the topics that do not exist yet and remembers them; existing ones are left as
    /// they are (and are not the run's to delete).
    pub fn ensure(&mut self, admin: &KafkaAdmin, topics: &[TopicPlan]) -> Result<Vec<String>, KafkaError> {
        let existing = admin.topics()?;
        let missing: Vec<TopicPlan> = topics.iter().filter(|t| !existing.contains(&t.name)).cloned().collect();
        admin.create_topics(&missing)?;
        let names: Vec<String> = missing.into_iter().map(|t| t.name).collect();
        self.created.extend(names.iter().cloned());
        Ok(names)
    }

    pub fn created(&self) -> &[String] {
        &self.created
    }

    /// Deletes what this run created.
    pub fn cleanup(&mut self, admin: &KafkaAdmin) -> Result<Vec<String>, KafkaError> {
        let names: Vec<&str> = self.created.iter().map(String::as_str).collect();
        admin.delete_topics(&names)?;
        Ok(std::mem::take(&mut self.created))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn per_run_names_carry_the_run_id() {
        assert_eq!(run_topic_name("orders", TopicNaming::Fixed, "r1"), "orders");
        assert_eq!(
            run_topic_name("orders", TopicNaming::PerRun, "20261124-2349-ab12"),
            "orders-20261124-2349-ab12"
        );
    }
}
