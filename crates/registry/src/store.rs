//! The registry's state and rules, without HTTP: subjects with versions, schemas with global
//! ids (an identical schema keeps its id across subjects), and compatibility checks made with
//! apache-avro's reader/writer resolution.

use std::collections::BTreeMap;

use apache_avro::Schema;
use apache_avro::schema_compatibility::SchemaCompatibility;
use serde::{Deserialize, Serialize};

/// Confluent's compatibility levels.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Compatibility {
    None,
    Backward,
    BackwardTransitive,
    Forward,
    ForwardTransitive,
    Full,
    FullTransitive,
}

/// A refusal, with Confluent's HTTP status and error code.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct StoreError {
    pub status: u16,
    pub code: u32,
    pub message: String,
}

fn subject_not_found(subject: &str) -> StoreError {
    StoreError {
        status: 404,
        code: 40401,
        message: format!("Subject '{subject}' not found."),
    }
}

#[derive(Debug, Clone)]
struct StoredSchema {
    text: String,
    canonical: String,
    parsed: Schema,
}

#[derive(Debug, Clone, Copy)]
struct Version {
    version: u32,
    id: u32,
}

/// One registered version of a subject.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SubjectVersion {
    pub subject: String,
    pub version: u32,
    pub id: u32,
    pub schema: String,
}

#[derive(Debug)]
pub struct RegistryStore {
    /// Index + 1 is the id.
    schemas: Vec<StoredSchema>,
    subjects: BTreeMap<String, Vec<Version>>,
    pub compatibility: Compatibility,
    subject_compatibility: BTreeMap<String, Compatibility>,
}

impl Default for RegistryStore {
    fn default() -> Self {
        Self {
            schemas: Vec::new(),
            subjects: BTreeMap::new(),
            compatibility: Compatibility::Backward,
            subject_compatibility: BTreeMap::new(),
        }
    }
}

fn parse(text: &str) -> Result<Schema, StoreError> {
    Schema::parse_str(text).map_err(|e| StoreError {
        status: 422,
        code: 42201,
        message: format!("Invalid schema: {e}"),
    })
}

impl RegistryStore {
    pub fn subjects(&self) -> Vec<String> {
        self.subjects.keys().cloned().collect()
    }

    fn versions_of(&self, subject: &str) -> Result<&Vec<Version>, StoreError> {
        self.subjects
            .get(subject)
            .filter(|v| !v.is_empty())
            .ok_or_else(|| subject_not_found(subject))
    }

    pub fn versions(&self, subject: &str) -> Result<Vec<u32>, StoreError> {
        Ok(self.versions_of(subject)?.iter().map(|v| v.version).collect())
    }

    pub fn compatibility_of(&self, subject: &str) -> Compatibility {
        self.subject_compatibility
            .get(subject)
            .copied()
            .unwrap_or(self.compatibility)
    }

    pub fn set_subject_compatibility(&mut self, subject: &str, level: Compatibility) {
        self.subject_compatibility.insert(subject.to_owned(), level);
    }

    /// Registers `text` under `subject` and returns its id; an identical schema already there
    /// returns its existing id.
    pub fn register(&mut self, subject: &str, text: &str) -> Result<u32, StoreError> {
        let parsed = parse(text)?;
        let canonical = parsed.canonical_form();
        if let Some(existing) = self.find(subject, &canonical) {
            return Ok(existing.id);
        }
        let problems = self.incompatibilities(subject, &parsed);
        if !problems.is_empty() {
            return Err(StoreError {
                status: 409,
                code: 409,
                message: format!(
                    "Schema being registered is incompatible with an earlier schema for subject \"{subject}\" ({:?}): {}",
                    self.compatibility_of(subject),
                    problems.join("; ")
                ),
            });
        }
        let id = match self.schemas.iter().position(|s| s.canonical == canonical) {
            Some(index) => index as u32 + 1,
            None => {
                self.schemas.push(StoredSchema {
                    text: text.to_owned(),
                    canonical,
                    parsed,
                });
                self.schemas.len() as u32
            }
        };
        let versions = self.subjects.entry(subject.to_owned()).or_default();
        let version = versions.last().map_or(1, |v| v.version + 1);
        versions.push(Version { version, id });
        Ok(id)
    }

    fn find(&self, subject: &str, canonical: &str) -> Option<Version> {
        self.subjects
            .get(subject)?
            .iter()
            .find(|v| self.schemas[v.id as usize - 1].canonical == canonical)
            .copied()
    }

    /// What makes `candidate` unacceptable under the subject's compatibility level.
    pub fn incompatibilities(&self, subject: &str, candidate: &Schema) -> Vec<String> {
        let Some(versions) = self.subjects.get(subject).filter(|v| !v.is_empty()) else {
            return Vec::new();
        };
        let level = self.compatibility_of(subject);
        let against: Vec<&Version> = match level {
            Compatibility::None => return Vec::new(),
            Compatibility::Backward | Compatibility::Forward | Compatibility::Full => {
                versions.iter().rev().take(1).collect()
            }
            _ => versions.iter().collect(),
        };
        let mut problems = Vec::new();
        for v in against {
            let existing = &self.schemas[v.id as usize - 1].parsed;
            let backward = matches!(
                level,
                Compatibility::Backward
                    | Compatibility::BackwardTransitive
                    | Compatibility::Full
                    | Compatibility::FullTransitive
            );
            let forward = matches!(
                level,
                Compatibility::Forward
                    | Compatibility::ForwardTransitive
                    | Compatibility::Full
                    | Compatibility::FullTransitive
            );
            if backward && let Err(e) = SchemaCompatibility::can_read(existing, candidate) {
                problems.push(format!(
                    "the new schema cannot read data written with version {}: {e}",
                    v.version
                ));
            }
            if forward && let Err(e) = SchemaCompatibility::can_read(candidate, existing) {
                problems.push(format!(
                    "version {} cannot read data written with the new schema: {e}",
                    v.version
                ));
            }
        }
        problems
    }

    /// `latest` or a version number.
    pub fn version(&self, subject: &str, which: &str) -> Result<SubjectVersion, StoreError> {
        let versions = self.versions_of(subject)?;
        let found = if which == "latest" || which == "-1" {
            versions.last()
        } else {
            let number: u32 = which.parse().map_err(|_| StoreError {
                status: 422,
                code: 42202,
                message: format!("The specified version '{which}' is not a valid version id."),
            })?;
            versions.iter().find(|v| v.version == number)
        };
        let v = found.ok_or_else(|| StoreError {
            status: 404,
            code: 40402,
            message: format!("Version {which} not found."),
        })?;
        Ok(SubjectVersion {
            subject: subject.to_owned(),
            version: v.version,
            id: v.id,
            schema: self.schemas[v.id as usize - 1].text.clone(),
        })
    }

    /// The subject's version holding this schema.
    pub fn lookup(&self, subject: &str, text: &str) -> Result<SubjectVersion, StoreError> {
        self.versions_of(subject)?;
        let canonical = parse(text)?.canonical_form();
        let v = self.find(subject, &canonical).ok_or_else(|| StoreError {
            status: 404,
            code: 40403,
            message: "Schema not found".into(),
        })?;
        self.version(subject, &v.version.to_string())
    }

    pub fn schema_by_id(&self, id: u32) -> Result<&str, StoreError> {
        id.checked_sub(1)
            .and_then(|i| self.schemas.get(i as usize))
            .map(|s| s.text.as_str())
            .ok_or_else(|| StoreError {
                status: 404,
                code: 40403,
                message: "Schema not found".into(),
            })
    }

    /// Deletes a subject; returns the versions it had.
    pub fn delete_subject(&mut self, subject: &str) -> Result<Vec<u32>, StoreError> {
        let versions = self.versions(subject)?;
        self.subjects.remove(subject);
        self.subject_compatibility.remove(subject);
        Ok(versions)
    }

    pub fn check(&self, subject: &str, text: &str) -> Result<Vec<String>, StoreError> {
        let parsed = parse(text)?;
        Ok(self.incompatibilities(subject, &parsed))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const V1: &str = r#"{"type":"record","name":"E","fields":[{"name":"a","type":"long"}]}"#;
    const V2: &str = r#"{"type":"record","name":"E","fields":[{"name":"a","type":"long"},{"name":"b","type":"string","default":"x"}]}"#;
    const BAD: &str = r#"{"type":"record","name":"E","fields":[{"name":"a","type":"string"}]}"#;

    #[test]
    fn ids_versions_and_compatibility() {
        let mut store = RegistryStore::default();
        assert_eq!(store.register("orders-value", V1), Ok(1));
        assert_eq!(
            store.register("orders-value", V1),
            Ok(1),
            "re-registering is idempotent"
        );
        assert_eq!(store.register("other-value", V1), Ok(1), "the same schema keeps its id");
        assert_eq!(store.register("orders-value", V2), Ok(2));
        assert_eq!(store.versions("orders-value"), Ok(vec![1, 2]));
        let err = store.register("orders-value", BAD).unwrap_err();
        assert_eq!((err.status, err.code), (409, 409));
        assert!(err.message.contains("cannot read"), "{err}");
        store.set_subject_compatibility("orders-value", Compatibility::None);
        assert_eq!(store.register("orders-value", BAD), Ok(3));
        assert_eq!(store.version("orders-value", "latest").unwrap().version, 3);
        assert_eq!(store.lookup("orders-value", V2).unwrap().version, 2);
        assert_eq!(store.delete_subject("orders-value"), Ok(vec![1, 2, 3]));
        assert_eq!(store.versions("orders-value").unwrap_err().code, 40401);
        assert_eq!(store.schema_by_id(2).unwrap(), V2, "ids outlive subjects");
        assert_eq!(store.register("x", "{not json").unwrap_err().code, 42201);
    }
}
