//! Sources the operators read themselves, behind a trait, so that connectors depend on the
//! operator model and not the reverse: a table read as a changelog (upsert-kafka) registers a
//! [`ChangelogSource`], and its scan in a plan is found by the identity of the partition the
//! table was registered with, never by its name.

use std::collections::HashMap;
use std::sync::Arc;

use datafusion::arrow::datatypes::SchemaRef;
use datafusion::physical_plan::streaming::{PartitionStream, StreamingTableExec};

use super::merge::PartitionStream as ChangeStream;
use crate::placeholder::{Placeholder, identity};

/// A table whose rows are upserts by key: `+U` (the key's row is now this one) and `-D` (the
/// key is gone: only its key columns are set), as Flink's upsert sources emit them before
/// ChangelogNormalize.
pub trait ChangelogSource: Send + Sync + 'static {
    /// The table's name, for errors.
    fn table(&self) -> &str;
    /// The source's columns.
    fn schema(&self) -> SchemaRef;
    /// Positions of the key columns.
    fn key_columns(&self) -> &[usize];
    /// Every partition's upserts, interleaved as they arrive.
    fn upserts(&self) -> ChangeStream;
}

/// The changelog sources of a session, by the partition their table was registered with.
#[derive(Default, Clone)]
pub struct ChangelogSources {
    by_partition: HashMap<usize, Arc<dyn ChangelogSource>>,
    /// The names the sources' tables were registered under.
    tables: HashMap<String, Arc<dyn ChangelogSource>>,
}

impl ChangelogSources {
    /// Registers `source` as the table `registered_as`; returns the partition its table in
    /// DataFusion's catalog is to be made of.
    pub fn register(&mut self, registered_as: &str, source: Arc<dyn ChangelogSource>) -> Arc<dyn PartitionStream> {
        let partition: Arc<dyn PartitionStream> = Arc::new(Placeholder::new(
            source.schema(),
            format!(
                "the table `{}` reads as a changelog, which this query does not take",
                source.table()
            ),
        ));
        self.by_partition.insert(identity(&partition), source.clone());
        self.tables.insert(registered_as.to_string(), source);
        partition
    }

    /// The source a physical scan reads, when it is the scan of one.
    pub fn scanned_by(&self, scan: &StreamingTableExec) -> Option<&Arc<dyn ChangelogSource>> {
        scan.partitions()
            .first()
            .and_then(|p| self.by_partition.get(&identity(p)))
    }

    /// Whether the table registered as `name` is a changelog source.
    pub fn is_changelog_table(&self, name: &str) -> bool {
        self.tables.contains_key(name)
    }
}
