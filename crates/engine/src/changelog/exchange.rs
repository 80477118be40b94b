//! A stateful changelog operator run as several instances keyed by hash, as Flink runs a keyed
//! operator at `parallelism` > 1: every change goes to the instance that owns its key (so a
//! key's changes keep their order), each instance runs in its own task (the runtime spreads
//! them over cores), and their outputs merge into one changelog.
//!
//! ```text
//! input --router (hash of the key)--> instance 1 .. n --> merged output
//! ```

use std::sync::Arc;

use datafusion::arrow::array::UInt32Array;
use datafusion::arrow::compute::take_record_batch;
use datafusion::common::hash_utils::{RandomState, create_hashes};
use datafusion::error::DataFusionError;
use datafusion::physical_expr::PhysicalExpr;
use futures::StreamExt;
use tokio::sync::mpsc;

use super::aggregate::GroupAggregate;
use super::rank::TopN;
use super::{ChangeStream, Changes, track_state};
use crate::metrics::JobMetrics;

/// Change batches in flight to one instance.
const QUEUE: usize = 4;

/// A stateful operator whose state is partitioned by a key.
pub trait KeyedOperator: Send + 'static {
    /// The operator's name, as Flink names it.
    const NAME: &'static str;
    /// What a row's key is computed from (none: one instance holds everything).
    fn key_exprs(&self) -> &[Arc<dyn PhysicalExpr>];
    fn state_bytes(&self) -> usize;
    /// The changes the operator emits for `changes`.
    fn apply(&mut self, changes: &Changes) -> Result<Changes, DataFusionError>;
}

impl KeyedOperator for GroupAggregate {
    const NAME: &'static str = "GroupAggregate";

    fn key_exprs(&self) -> &[Arc<dyn PhysicalExpr>] {
        GroupAggregate::key_exprs(self)
    }

    fn state_bytes(&self) -> usize {
        GroupAggregate::state_bytes(self)
    }

    fn apply(&mut self, changes: &Changes) -> Result<Changes, DataFusionError> {
        self.process(changes, std::time::Instant::now())
    }
}

impl KeyedOperator for TopN {
    const NAME: &'static str = "Rank";

    fn key_exprs(&self) -> &[Arc<dyn PhysicalExpr>] {
        TopN::key_exprs(self)
    }

    fn state_bytes(&self) -> usize {
        TopN::state_bytes(self)
    }

    fn apply(&mut self, changes: &Changes) -> Result<Changes, DataFusionError> {
        self.process(changes)
    }
}

/// Runs the instances of an operator over `input`: in line when there is one, else keyed over
/// tasks; each keeps its share of `metrics.state_bytes` current.
pub fn run_instances<O: KeyedOperator>(
    input: ChangeStream,
    mut instances: Vec<O>,
    metrics: Arc<JobMetrics>,
) -> ChangeStream {
    let counters = metrics.operator(O::NAME);
    let process = move |operator: &mut O, changes: &Changes| {
        let before = operator.state_bytes();
        let out = operator.apply(changes);
        let after = operator.state_bytes();
        track_state(&metrics, before, after);
        let rows_out = out.as_ref().map_or(0, |c| c.rows.num_rows());
        counters.record(changes.rows.num_rows(), rows_out, before, after);
        out
    };
    if instances.len() == 1 {
        let mut operator = instances.remove(0);
        return input
            .then(move |changes| futures::future::ready(changes.and_then(|changes| process(&mut operator, &changes))))
            .boxed();
    }
    let keys = instances[0].key_exprs().to_vec();
    keyed(input, keys, instances, process)
}

/// Runs `operators` (one per instance) over `input`, routing each row by `keys`.
pub fn keyed<O, F>(
    mut input: ChangeStream,
    keys: Vec<Arc<dyn PhysicalExpr>>,
    operators: Vec<O>,
    process: F,
) -> ChangeStream
where
    O: Send + 'static,
    F: Fn(&mut O, &Changes) -> Result<Changes, DataFusionError> + Send + Sync + Clone + 'static,
{
    let instances = operators.len();
    let (output, merged) = mpsc::channel::<Result<Changes, DataFusionError>>(QUEUE * instances);
    let mut inputs = Vec::with_capacity(instances);
    for mut operator in operators {
        let (sender, mut receiver) = mpsc::channel::<Changes>(QUEUE);
        let (output, process) = (output.clone(), process.clone());
        tokio::spawn(async move {
            while let Some(changes) = receiver.recv().await {
                let result = process(&mut operator, &changes);
                let failed = result.is_err();
                if output.send(result).await.is_err() || failed {
                    break;
                }
            }
        });
        inputs.push(sender);
    }
    tokio::spawn(async move {
        let hashing = RandomState::with_seed(0x5eed);
        let mut hashes = Vec::new();
        loop {
            // Stop when the job is gone (nobody reads the output), even with an idle input.
            let next = tokio::select! {
                next = input.next() => next,
                () = output.closed() => break,
            };
            let changes = match next {
                None => break,
                Some(Ok(changes)) => changes,
                Some(Err(e)) => {
                    let _ = output.send(Err(e)).await;
                    break;
                }
            };
            match split(&changes, &keys, instances, &hashing, &mut hashes) {
                Ok(parts) => {
                    for (instance, part) in parts.into_iter().enumerate() {
                        if let Some(part) = part
                            && inputs[instance].send(part).await.is_err()
                        {
                            return;
                        }
                    }
                }
                Err(e) => {
                    let _ = output.send(Err(e)).await;
                    break;
                }
            }
        }
    });
    futures::stream::unfold(merged, |mut merged| async move {
        merged.recv().await.map(|changes| (changes, merged))
    })
    .boxed()
}

/// Each instance's share of a batch of changes (`None` where it has no row).
fn split(
    changes: &Changes,
    keys: &[Arc<dyn PhysicalExpr>],
    instances: usize,
    hashing: &RandomState,
    hashes: &mut Vec<u64>,
) -> Result<Vec<Option<Changes>>, DataFusionError> {
    let rows = changes.rows.num_rows();
    let columns = keys
        .iter()
        .map(|k| k.evaluate(&changes.rows)?.into_array(rows))
        .collect::<Result<Vec<_>, _>>()?;
    hashes.clear();
    hashes.resize(rows, 0);
    create_hashes(&columns, hashing, hashes)?;
    let mut routes: Vec<Vec<u32>> = vec![Vec::new(); instances];
    for (row, hash) in hashes.iter().enumerate() {
        routes[(hash % instances as u64) as usize].push(row as u32);
    }
    routes
        .into_iter()
        .map(|rows| {
            if rows.is_empty() {
                return Ok(None);
            }
            let kinds = changes
                .kinds
                .as_ref()
                .map(|kinds| rows.iter().map(|r| kinds[*r as usize]).collect());
            Ok(Some(Changes {
                rows: take_record_batch(&changes.rows, &UInt32Array::from(rows))?,
                kinds,
            }))
        })
        .collect()
}
