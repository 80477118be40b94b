//! Relations the operator graph reads itself, where DataFusion plans a table scan: a window
//! TVF's rows, a MATCH_RECOGNIZE's matches. Each is registered as a table made of one
//! placeholder partition; the graph recognizes the scan by that partition and takes what it
//! stands for (once).

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};

use datafusion::arrow::datatypes::SchemaRef;
use datafusion::execution::TaskContext;
use datafusion::physical_plan::SendableRecordBatchStream;
use datafusion::physical_plan::stream::RecordBatchStreamAdapter;
use datafusion::physical_plan::streaming::{PartitionStream, StreamingTableExec};

use crate::error::EngineError;

/// A partition's identity: the engine knows a table's scan by its first partition.
pub(crate) fn identity(partition: &Arc<dyn PartitionStream>) -> usize {
    Arc::as_ptr(partition) as *const () as usize
}

/// What the scans of placeholder tables stand for, by their partition.
pub struct Placeholders<T> {
    stands_for: Mutex<HashMap<usize, T>>,
    /// Every placeholder registered, taken or not.
    known: HashSet<usize>,
    /// What the relation is, for the error if the placeholder were ever executed.
    what: &'static str,
}

impl<T> Placeholders<T> {
    pub fn new(what: &'static str) -> Self {
        Self {
            stands_for: Mutex::new(HashMap::new()),
            known: HashSet::new(),
            what,
        }
    }

    /// Registers `relation`; returns the partition its table is to be made of, and that
    /// partition's identity.
    pub fn register(&mut self, schema: SchemaRef, relation: T) -> (Arc<dyn PartitionStream>, usize) {
        let message = format!("{} read outside the operator graph; please report this", self.what);
        let partition: Arc<dyn PartitionStream> = Arc::new(Placeholder::new(schema, message));
        let id = identity(&partition);
        self.known.insert(id);
        self.stands_for.lock().expect("not poisoned").insert(id, relation);
        (partition, id)
    }

    /// The identity of the placeholder `scan` reads, if it reads one of these.
    pub fn scanned(&self, scan: &StreamingTableExec) -> Option<usize> {
        let id = identity(scan.partitions().first()?);
        self.known.contains(&id).then_some(id)
    }

    /// Whether nothing was registered.
    pub fn is_empty(&self) -> bool {
        self.known.is_empty()
    }

    /// Changes what the placeholder `id` stands for.
    pub fn update(&self, id: usize, change: impl FnOnce(&mut T)) {
        if let Some(relation) = self.stands_for.lock().expect("not poisoned").get_mut(&id) {
            change(relation);
        }
    }

    /// What `scan` reads; each relation is read once (`twice` names the relation read twice).
    pub fn take(&self, scan: &StreamingTableExec, twice: &str) -> Result<T, EngineError> {
        let id = scan.partitions().first().map(identity);
        id.and_then(|id| self.stands_for.lock().expect("not poisoned").remove(&id))
            .ok_or_else(|| EngineError::unsupported(twice.to_owned()))
    }
}

/// What a plan's scan of a table read by the operators executes: never run (the operators
/// read the relation), but it fails clearly, with `message`, if it were.
#[derive(Debug)]
pub(crate) struct Placeholder {
    schema: SchemaRef,
    message: String,
}

impl Placeholder {
    pub(crate) fn new(schema: SchemaRef, message: String) -> Self {
        Self { schema, message }
    }
}

impl PartitionStream for Placeholder {
    fn schema(&self) -> &SchemaRef {
        &self.schema
    }

    fn execute(&self, _ctx: Arc<TaskContext>) -> SendableRecordBatchStream {
        let error = datafusion::error::DataFusionError::External(Box::new(EngineError::Invalid(self.message.clone())));
        Box::pin(RecordBatchStreamAdapter::new(
            self.schema.clone(),
            futures::stream::once(async move { Err(error) }),
        ))
    }
}
