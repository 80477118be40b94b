//! The registry's state and rules, without HTTP: subjects with versions (soft-deleted ones
//! kept until a permanent delete, as Confluent keeps them), schemas with global ids (an
//! identical schema keeps its id across subjects), compatibility levels, and checks made with
//! apache-avro's reader/writer resolution.
//!
//! Every change is a list of journal [`Record`]s: an operation first computes them (refusing
//! with Confluent's error codes), the caller journals them, then [`RegistryStore::apply`]s them.
//! Replaying a journal applies the same records, so a registry restarted on it continues the
//! ids and versions where they were.

use std::collections::BTreeMap;

use apache_avro::Schema;
use apache_avro::schema_compatibility::SchemaCompatibility;
use serde::{Deserialize, Serialize};

use crate::journal::{Record, SchemaValue};

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

impl StoreError {
    pub fn new(status: u16, code: u32, message: impl Into<String>) -> Self {
        Self {
            status,
            code,
            message: message.into(),
        }
    }
}

fn subject_not_found(subject: &str) -> StoreError {
    StoreError::new(404, 40401, format!("Subject '{subject}' not found."))
}

fn version_not_found(version: impl std::fmt::Display) -> StoreError {
    StoreError::new(404, 40402, format!("Version {version} not found."))
}

fn schema_not_found() -> StoreError {
    StoreError::new(404, 40403, "Schema not found")
}

fn invalid_version(which: &str) -> StoreError {
    StoreError::new(
        422,
        42202,
        format!(
            "The specified version '{which}' is not a valid version id. Allowed values are between [1, 2^31-1] and the string \"latest\""
        ),
    )
}

/// Which versions an operation sees.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Deleted {
    /// Only versions that are not soft-deleted (Confluent's default).
    Exclude,
    /// Soft-deleted versions too (`?deleted=true`).
    Include,
}

/// A version number, or the subject's latest.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Which {
    Latest,
    Number(u32),
}

impl Which {
    /// Confluent's version ids: `latest`, `-1`, or 1 to 2^31-1 (anything else is 42202).
    pub fn parse(which: &str) -> Result<Self, StoreError> {
        let trimmed = which.trim();
        if trimmed.eq_ignore_ascii_case("latest") || trimmed == "-1" {
            return Ok(Which::Latest);
        }
        match trimmed.parse::<i64>() {
            Ok(n) if (1..=i64::from(i32::MAX)).contains(&n) => Ok(Which::Number(n as u32)),
            _ => Err(invalid_version(which)),
        }
    }
}

#[derive(Debug, Clone)]
struct StoredSchema {
    text: String,
    canonical: String,
    /// The schema without its logical types, which compatibility is judged on.
    plain: Schema,
}

#[derive(Debug, Clone, Copy)]
struct Version {
    id: u32,
    deleted: bool,
}

/// One registered version of a subject.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SubjectVersion {
    pub subject: String,
    pub version: u32,
    pub id: u32,
    pub schema: String,
}

/// What registering a schema comes to: its id and version, and the records to journal
/// (none when the subject holds the schema already).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Registration {
    pub id: u32,
    pub version: u32,
    pub records: Vec<Record>,
}

#[derive(Debug)]
pub struct RegistryStore {
    schemas: BTreeMap<u32, StoredSchema>,
    /// The highest id ever seen, so that an id is never given twice.
    max_id: u32,
    /// Every version of every subject, soft-deleted ones included.
    subjects: BTreeMap<String, BTreeMap<u32, Version>>,
    compatibility: Compatibility,
    subject_compatibility: BTreeMap<String, Compatibility>,
}

/// Confluent's default global level.
const DEFAULT_COMPATIBILITY: Compatibility = Compatibility::Backward;

impl Default for RegistryStore {
    fn default() -> Self {
        Self {
            schemas: BTreeMap::new(),
            max_id: 0,
            subjects: BTreeMap::new(),
            compatibility: DEFAULT_COMPATIBILITY,
            subject_compatibility: BTreeMap::new(),
        }
    }
}

fn parse(text: &str) -> Result<Schema, StoreError> {
    Schema::parse_str(text).map_err(|e| StoreError::new(422, 42201, format!("Invalid schema: {e}")))
}

/// The schema with every logical type taken off (a decimal is its bytes, a timestamp its
/// long): compatibility is judged on what is written, as Avro's Java implementation (and so
/// Confluent's registry) judges it. apache-avro's own check cannot judge decimals at all.
fn plain(text: &str) -> Result<Schema, StoreError> {
    fn strip(value: &mut serde_json::Value) {
        match value {
            serde_json::Value::Object(map) => {
                map.remove("logicalType");
                map.values_mut().for_each(strip);
            }
            serde_json::Value::Array(items) => items.iter_mut().for_each(strip),
            _ => {}
        }
    }
    let mut value: serde_json::Value =
        serde_json::from_str(text).map_err(|e| StoreError::new(422, 42201, format!("Invalid schema: {e}")))?;
    strip(&mut value);
    parse(&value.to_string())
}

impl RegistryStore {
    /// Applies a journaled change. Records that do not fit (a schema that does not parse,
    /// from another writer) are skipped, never a panic.
    pub fn apply(&mut self, record: &Record) {
        match record {
            Record::Schema {
                subject,
                version,
                value: Some(value),
            } => {
                let SchemaValue {
                    id, schema, deleted, ..
                } = value;
                if !self.schemas.contains_key(id) {
                    let (Ok(parsed), Ok(plain)) = (Schema::parse_str(schema), plain(schema)) else {
                        return;
                    };
                    self.schemas.insert(
                        *id,
                        StoredSchema {
                            text: schema.clone(),
                            canonical: parsed.canonical_form(),
                            plain,
                        },
                    );
                }
                self.max_id = self.max_id.max(*id);
                self.subjects.entry(subject.clone()).or_default().insert(
                    *version,
                    Version {
                        id: *id,
                        deleted: *deleted,
                    },
                );
            }
            Record::Schema {
                subject,
                version,
                value: None,
            } => {
                let Some(versions) = self.subjects.get_mut(subject) else {
                    return;
                };
                let removed = versions.remove(version);
                if versions.is_empty() {
                    self.subjects.remove(subject);
                }
                if let Some(removed) = removed
                    && !self
                        .subjects
                        .values()
                        .flat_map(|v| v.values())
                        .any(|v| v.id == removed.id)
                {
                    self.schemas.remove(&removed.id);
                }
            }
            Record::DeleteSubject { subject, version } => {
                if let Some(versions) = self.subjects.get_mut(subject) {
                    for (_, v) in versions.range_mut(..=*version) {
                        v.deleted = true;
                    }
                }
            }
            Record::Config { subject: None, level } => {
                self.compatibility = level.unwrap_or(DEFAULT_COMPATIBILITY);
            }
            Record::Config {
                subject: Some(subject),
                level,
            } => match level {
                Some(level) => {
                    self.subject_compatibility.insert(subject.clone(), *level);
                }
                None => {
                    self.subject_compatibility.remove(subject);
                }
            },
            Record::Noop => {}
        }
    }

    /// Applies every record (a change computed by one of the operations below).
    pub fn commit(&mut self, records: &[Record]) {
        for record in records {
            self.apply(record);
        }
    }

    fn visible<'a>(&'a self, subject: &str, deleted: Deleted) -> impl Iterator<Item = (u32, Version)> + 'a {
        self.subjects
            .get(subject)
            .into_iter()
            .flat_map(|v| v.iter())
            .filter(move |(_, v)| deleted == Deleted::Include || !v.deleted)
            .map(|(n, v)| (*n, *v))
    }

    fn has_versions(&self, subject: &str, deleted: Deleted) -> bool {
        self.visible(subject, deleted).next().is_some()
    }

    pub fn subjects(&self, deleted: Deleted) -> Vec<String> {
        self.subjects
            .keys()
            .filter(|s| self.has_versions(s, deleted))
            .cloned()
            .collect()
    }

    pub fn versions(&self, subject: &str, deleted: Deleted) -> Result<Vec<u32>, StoreError> {
        let versions: Vec<u32> = self.visible(subject, deleted).map(|(n, _)| n).collect();
        if versions.is_empty() {
            return Err(subject_not_found(subject));
        }
        Ok(versions)
    }

    pub fn compatibility(&self) -> Compatibility {
        self.compatibility
    }

    /// The subject's own level, if one was set.
    pub fn subject_compatibility(&self, subject: &str) -> Option<Compatibility> {
        self.subject_compatibility.get(subject).copied()
    }

    /// The level that applies to the subject: its own, else the global one.
    pub fn compatibility_of(&self, subject: &str) -> Compatibility {
        self.subject_compatibility(subject).unwrap_or(self.compatibility)
    }

    pub fn set_compatibility(&self, subject: Option<&str>, level: Compatibility) -> Vec<Record> {
        vec![Record::Config {
            subject: subject.map(str::to_owned),
            level: Some(level),
        }]
    }

    /// Removes the subject's own level (the global one applies again), or resets the global
    /// one to the default; returns the level that was set.
    pub fn delete_compatibility(&self, subject: Option<&str>) -> Result<(Compatibility, Vec<Record>), StoreError> {
        let old = match subject {
            None => self.compatibility,
            Some(subject) => self
                .subject_compatibility(subject)
                .ok_or_else(|| subject_not_found(subject))?,
        };
        Ok((
            old,
            vec![Record::Config {
                subject: subject.map(str::to_owned),
                level: None,
            }],
        ))
    }

    fn text_of(&self, id: u32) -> String {
        self.schemas.get(&id).map(|s| s.text.clone()).unwrap_or_default()
    }

    fn find(&self, subject: &str, canonical: &str, deleted: Deleted) -> Option<(u32, Version)> {
        self.visible(subject, deleted)
            .find(|(_, v)| self.schemas.get(&v.id).is_some_and(|s| s.canonical == canonical))
    }

    /// Registers `text` under `subject`: an identical schema the subject holds returns its
    /// version; otherwise a new version (after the highest one, soft-deleted ones included)
    /// with the schema's id, the one it has under any subject or a new one.
    pub fn register(&self, subject: &str, text: &str) -> Result<Registration, StoreError> {
        let parsed = parse(text)?;
        let canonical = parsed.canonical_form();
        if let Some((version, v)) = self.find(subject, &canonical, Deleted::Exclude) {
            return Ok(Registration {
                id: v.id,
                version,
                records: Vec::new(),
            });
        }
        let problems = self.incompatibilities(subject, &plain(text)?, None);
        if !problems.is_empty() {
            return Err(StoreError::new(
                409,
                40901,
                format!(
                    "Schema being registered is incompatible with an earlier schema for subject \"{subject}\" ({:?}): {}",
                    self.compatibility_of(subject),
                    problems.join("; ")
                ),
            ));
        }
        let id = self
            .schemas
            .iter()
            .find(|(_, s)| s.canonical == canonical)
            .map_or(self.max_id + 1, |(id, _)| *id);
        let version = self
            .subjects
            .get(subject)
            .and_then(|v| v.keys().next_back())
            .map_or(1, |last| last + 1);
        // As Confluent does: a soft-deleted version with the same id gives way to the new one.
        let mut records: Vec<Record> = self
            .visible(subject, Deleted::Include)
            .filter(|(_, v)| v.deleted && v.id == id)
            .map(|(number, _)| Record::Schema {
                subject: subject.to_owned(),
                version: number,
                value: None,
            })
            .collect();
        records.push(Record::Schema {
            subject: subject.to_owned(),
            version,
            value: Some(SchemaValue {
                subject: subject.to_owned(),
                version,
                id,
                schema: text.to_owned(),
                deleted: false,
            }),
        });
        Ok(Registration { id, version, records })
    }

    /// What makes `candidate` unacceptable under the subject's level, checked against
    /// `against` (one version) or, as registering does, the versions the level names.
    fn incompatibilities(&self, subject: &str, candidate: &Schema, against: Option<u32>) -> Vec<String> {
        let level = self.compatibility_of(subject);
        let live: Vec<(u32, Version)> = self.visible(subject, Deleted::Exclude).collect();
        let checked: Vec<(u32, Version)> = match (against, level) {
            (_, Compatibility::None) => return Vec::new(),
            (Some(number), _) => live.into_iter().filter(|(n, _)| *n == number).collect(),
            (None, Compatibility::Backward | Compatibility::Forward | Compatibility::Full) => {
                live.into_iter().next_back().into_iter().collect()
            }
            (None, _) => live,
        };
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
        let mut problems = Vec::new();
        for (number, v) in checked {
            let Some(existing) = self.schemas.get(&v.id).map(|s| &s.plain) else {
                continue;
            };
            if backward && let Err(e) = SchemaCompatibility::can_read(existing, candidate) {
                problems.push(format!(
                    "the new schema cannot read data written with version {number}: {e}"
                ));
            }
            if forward && let Err(e) = SchemaCompatibility::can_read(candidate, existing) {
                problems.push(format!(
                    "version {number} cannot read data written with the new schema: {e}"
                ));
            }
        }
        problems
    }

    fn resolve(&self, subject: &str, which: Which, deleted: Deleted) -> Result<(u32, Version), StoreError> {
        let found = match which {
            Which::Latest => self.visible(subject, Deleted::Exclude).last(),
            Which::Number(number) => self.visible(subject, deleted).find(|(n, _)| *n == number),
        };
        found.ok_or_else(|| {
            if !self.has_versions(subject, deleted) {
                subject_not_found(subject)
            } else {
                match which {
                    Which::Latest => subject_not_found(subject),
                    Which::Number(n) => version_not_found(n),
                }
            }
        })
    }

    /// `latest` or a version number.
    pub fn version(&self, subject: &str, which: &str, deleted: Deleted) -> Result<SubjectVersion, StoreError> {
        let which = Which::parse(which)?;
        let (version, v) = self.resolve(subject, which, deleted)?;
        Ok(SubjectVersion {
            subject: subject.to_owned(),
            version,
            id: v.id,
            schema: self.text_of(v.id),
        })
    }

    /// The subject's version holding this schema.
    pub fn lookup(&self, subject: &str, text: &str, deleted: Deleted) -> Result<SubjectVersion, StoreError> {
        let canonical = parse(text)?.canonical_form();
        let (version, v) = self.find(subject, &canonical, deleted).ok_or_else(|| {
            if self.has_versions(subject, deleted) {
                schema_not_found()
            } else {
                subject_not_found(subject)
            }
        })?;
        Ok(SubjectVersion {
            subject: subject.to_owned(),
            version,
            id: v.id,
            schema: self.text_of(v.id),
        })
    }

    pub fn schema_by_id(&self, id: u32) -> Result<&str, StoreError> {
        self.schemas
            .get(&id)
            .map(|s| s.text.as_str())
            .ok_or_else(|| StoreError::new(404, 40403, format!("Schema {id} not found")))
    }

    /// The (subject, version) pairs holding the schema with this id.
    pub fn uses_of(&self, id: u32, deleted: Deleted) -> Result<Vec<(String, u32)>, StoreError> {
        self.schema_by_id(id)?;
        Ok(self
            .subjects
            .keys()
            .flat_map(|subject| {
                self.visible(subject, deleted)
                    .filter(|(_, v)| v.id == id)
                    .map(move |(n, _)| (subject.clone(), n))
            })
            .collect())
    }

    /// Deletes a subject: soft (its versions marked deleted, still readable with
    /// `?deleted=true`), or permanently once soft-deleted. Returns the versions deleted.
    pub fn delete_subject(&self, subject: &str, permanent: bool) -> Result<(Vec<u32>, Vec<Record>), StoreError> {
        if !self.has_versions(subject, Deleted::Include) {
            return Err(subject_not_found(subject));
        }
        if !permanent {
            let live = self.versions(subject, Deleted::Exclude).map_err(|_| {
                StoreError::new(
                    404,
                    40404,
                    format!("Subject '{subject}' was soft deleted. Set permanent=true to delete permanently"),
                )
            })?;
            let last = *live.last().expect("versions are never empty");
            return Ok((
                live,
                vec![Record::DeleteSubject {
                    subject: subject.to_owned(),
                    version: last,
                }],
            ));
        }
        if self.has_versions(subject, Deleted::Exclude) {
            return Err(StoreError::new(
                404,
                40405,
                format!("Subject '{subject}' was not deleted first before being permanently deleted"),
            ));
        }
        let all = self.versions(subject, Deleted::Include)?;
        let mut records: Vec<Record> = all
            .iter()
            .rev()
            .map(|version| Record::Schema {
                subject: subject.to_owned(),
                version: *version,
                value: None,
            })
            .collect();
        if self.subject_compatibility(subject).is_some() {
            records.push(Record::Config {
                subject: Some(subject.to_owned()),
                level: None,
            });
        }
        Ok((all, records))
    }

    /// Deletes one version: soft, or permanently once soft-deleted. Returns its number.
    pub fn delete_version(
        &self,
        subject: &str,
        which: &str,
        permanent: bool,
    ) -> Result<(u32, Vec<Record>), StoreError> {
        let which = Which::parse(which)?;
        if let Which::Number(number) = which
            && !permanent
            && self
                .visible(subject, Deleted::Include)
                .any(|(n, v)| n == number && v.deleted)
        {
            return Err(StoreError::new(
                404,
                40406,
                format!(
                    "Subject '{subject}' Version {number} was soft deleted. Set permanent=true to delete permanently"
                ),
            ));
        }
        let (version, v) = self.resolve(subject, which, Deleted::Include)?;
        if permanent && !v.deleted {
            return Err(StoreError::new(
                404,
                40407,
                format!("Subject '{subject}' Version {version} was not deleted first before being permanently deleted"),
            ));
        }
        if !permanent {
            return Ok((
                version,
                vec![Record::Schema {
                    subject: subject.to_owned(),
                    version,
                    value: Some(SchemaValue {
                        subject: subject.to_owned(),
                        version,
                        id: v.id,
                        schema: self.text_of(v.id),
                        deleted: true,
                    }),
                }],
            ));
        }
        let mut records = vec![Record::Schema {
            subject: subject.to_owned(),
            version,
            value: None,
        }];
        let last = self.visible(subject, Deleted::Include).count() == 1;
        if last && self.subject_compatibility(subject).is_some() {
            records.push(Record::Config {
                subject: Some(subject.to_owned()),
                level: None,
            });
        }
        Ok((version, records))
    }

    /// Whether `text` could be registered after the given version (`POST
    /// /compatibility/subjects/S/versions/V`): the problems found, none when compatible.
    pub fn check_version(&self, subject: &str, which: &str, text: &str) -> Result<Vec<String>, StoreError> {
        let which = Which::parse(which)?;
        let (version, _) = self.resolve(subject, which, Deleted::Exclude)?;
        parse(text)?;
        Ok(self.incompatibilities(subject, &plain(text)?, Some(version)))
    }

    /// Whether `text` could be registered under the subject (`POST
    /// /compatibility/subjects/S/versions`): checked as registering checks it.
    pub fn check_subject(&self, subject: &str, text: &str) -> Result<Vec<String>, StoreError> {
        parse(text)?;
        Ok(self.incompatibilities(subject, &plain(text)?, None))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const V1: &str = r#"{"type":"record","name":"E","fields":[{"name":"a","type":"long"}]}"#;
    const V2: &str = r#"{"type":"record","name":"E","fields":[{"name":"a","type":"long"},{"name":"b","type":"string","default":"x"}]}"#;
    const BAD: &str = r#"{"type":"record","name":"E","fields":[{"name":"a","type":"string"}]}"#;

    fn register(store: &mut RegistryStore, subject: &str, text: &str) -> Result<u32, StoreError> {
        let registration = store.register(subject, text)?;
        store.commit(&registration.records);
        Ok(registration.id)
    }

    fn code<T: std::fmt::Debug>(result: Result<T, StoreError>) -> u32 {
        result.unwrap_err().code
    }

    #[test]
    fn ids_versions_and_compatibility() {
        let mut store = RegistryStore::default();
        assert_eq!(register(&mut store, "orders-value", V1), Ok(1));
        assert!(
            store.register("orders-value", V1).unwrap().records.is_empty(),
            "re-registering is idempotent"
        );
        assert_eq!(
            register(&mut store, "other-value", V1),
            Ok(1),
            "the same schema keeps its id"
        );
        assert_eq!(register(&mut store, "orders-value", V2), Ok(2));
        assert_eq!(store.versions("orders-value", Deleted::Exclude), Ok(vec![1, 2]));
        let err = store.register("orders-value", BAD).unwrap_err();
        assert_eq!((err.status, err.code), (409, 40901));
        assert!(err.message.contains("cannot read"), "{err}");
        store.commit(&store.set_compatibility(Some("orders-value"), Compatibility::None));
        assert_eq!(register(&mut store, "orders-value", BAD), Ok(3));
        assert_eq!(
            store
                .version("orders-value", "latest", Deleted::Exclude)
                .unwrap()
                .version,
            3
        );
        assert_eq!(store.lookup("orders-value", V2, Deleted::Exclude).unwrap().version, 2);
        assert_eq!(code(store.register("x", "{not json")), 42201);
        for bad in ["0", "-2", "x", "2147483648", ""] {
            assert_eq!(
                code(store.version("orders-value", bad, Deleted::Exclude)),
                42202,
                "{bad:?}"
            );
        }
        assert_eq!(code(store.version("orders-value", "9", Deleted::Exclude)), 40402);
        assert_eq!(code(store.version("nobody", "1", Deleted::Exclude)), 40401);
    }

    #[test]
    fn soft_then_permanent_deletes_as_confluent_does() {
        let mut store = RegistryStore::default();
        register(&mut store, "s", V1).unwrap();
        register(&mut store, "s", V2).unwrap();
        assert_eq!(code(store.delete_subject("s", true)), 40405, "hard needs soft first");
        let (versions, records) = store.delete_subject("s", false).unwrap();
        assert_eq!(versions, [1, 2]);
        store.commit(&records);
        assert_eq!(store.subjects(Deleted::Exclude), Vec::<String>::new());
        assert_eq!(store.subjects(Deleted::Include), ["s"]);
        assert_eq!(code(store.versions("s", Deleted::Exclude)), 40401);
        assert_eq!(store.versions("s", Deleted::Include), Ok(vec![1, 2]));
        assert_eq!(store.version("s", "2", Deleted::Include).unwrap().id, 2);
        assert_eq!(code(store.delete_subject("s", false)), 40404);
        assert_eq!(store.schema_by_id(2).unwrap(), V2, "ids outlive soft deletes");

        // Registering again continues the versions and keeps the id.
        let again = store.register("s", V1).unwrap();
        assert_eq!((again.id, again.version), (1, 3));
        store.commit(&again.records);
        assert_eq!(
            store.versions("s", Deleted::Include),
            Ok(vec![2, 3]),
            "the deleted v1 gave way"
        );
        assert_eq!(code(store.delete_version("s", "3", true)), 40407);
        let (version, records) = store.delete_version("s", "latest", false).unwrap();
        assert_eq!(version, 3);
        store.commit(&records);
        assert_eq!(code(store.delete_version("s", "3", false)), 40406);
        let (_, records) = store.delete_subject("s", true).unwrap();
        store.commit(&records);
        assert_eq!(store.subjects(Deleted::Include), Vec::<String>::new());
        assert_eq!(code(store.schema_by_id(2)), 40403, "gone with its last version");
        assert_eq!(code(store.delete_subject("s", false)), 40401);
        assert_eq!(register(&mut store, "t", BAD), Ok(3), "an id is never given twice");
    }

    #[test]
    fn replaying_the_records_rebuilds_the_same_registry() {
        let mut store = RegistryStore::default();
        let mut journal = Vec::new();
        let mut run = |store: &mut RegistryStore, records: Vec<Record>| {
            store.commit(&records);
            journal.extend(records);
        };
        let r = store.register("a", V1).unwrap();
        run(&mut store, r.records);
        let r = store.register("a", V2).unwrap();
        run(&mut store, r.records);
        let r = store.set_compatibility(Some("a"), Compatibility::Full);
        run(&mut store, r);
        let (_, r) = store.delete_version("a", "1", false).unwrap();
        run(&mut store, r);
        let mut replayed = RegistryStore::default();
        for record in &journal {
            replayed.apply(&record.clone());
        }
        assert_eq!(replayed.versions("a", Deleted::Include), Ok(vec![1, 2]));
        assert_eq!(replayed.versions("a", Deleted::Exclude), Ok(vec![2]));
        assert_eq!(replayed.subject_compatibility("a"), Some(Compatibility::Full));
        assert_eq!(replayed.register("b", BAD).unwrap().id, 3, "ids continue");
    }

    #[test]
    fn logical_types_are_judged_by_what_is_written() {
        let decimal = |extra: &str| {
            format!(
                r#"{{"type":"record","name":"E","fields":[{{"name":"amount","type":{{"type":"bytes","logicalType":"decimal","precision":10,"scale":2}}}},{{"name":"at","type":{{"type":"long","logicalType":"timestamp-millis"}}}}{extra}]}}"#
            )
        };
        let mut store = RegistryStore::default();
        register(&mut store, "s", &decimal("")).unwrap();
        let evolved = decimal(r#",{"name":"note","type":["null","string"],"default":null}"#);
        assert_eq!(
            store.check_subject("s", &evolved),
            Ok(vec![]),
            "a decimal reads a decimal"
        );
        assert_eq!(register(&mut store, "s", &evolved), Ok(2));
    }

    #[test]
    fn compatibility_checks_name_what_is_missing() {
        let mut store = RegistryStore::default();
        register(&mut store, "s", V1).unwrap();
        assert_eq!(store.check_version("s", "latest", V2), Ok(vec![]));
        assert_eq!(store.check_version("s", "1", BAD).unwrap().len(), 1);
        assert_eq!(code(store.check_version("s", "2", V2)), 40402);
        assert_eq!(code(store.check_version("nobody", "latest", V2)), 40401);
        assert_eq!(code(store.check_version("s", "0", V2)), 42202);
        assert_eq!(
            store.check_subject("nobody", BAD),
            Ok(vec![]),
            "a new subject takes anything"
        );
        assert_eq!(store.check_subject("s", BAD).unwrap().len(), 1);
        assert_eq!(code(store.delete_compatibility(Some("s"))), 40401);
    }
}
