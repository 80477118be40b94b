//! A stateful changelog operator run as several instances keyed by hash, as Flink runs a keyed
//! operator at `parallelism` > 1: every change goes to the instance that owns its key (so a
//! key's changes keep their order), each instance runs in its own task (the runtime spreads
//! them over cores), and their outputs merge into one changelog.
//!
//! ```text
//! input --router (hash of the key)--> instance 1 .. n --> merged output
//! ```
//!
//! A join routes each side by its own join key, and sends the end of a source partition to
//! every instance (an instance sees only some rows of each partition, so an interval join's
//! watermark there trails the whole partition's: its state lets go of rows a little later;
//! its results are the same).

use std::sync::Arc;

use datafusion::arrow::array::UInt32Array;
use datafusion::arrow::compute::take_record_batch;
use datafusion::common::hash_utils::{RandomState, create_hashes};
use datafusion::error::DataFusionError;
use datafusion::physical_expr::PhysicalExpr;
use futures::StreamExt;
use tokio::sync::mpsc;

use datafusion::arrow::array::RecordBatch;
use futures::stream::BoxStream;

use super::aggregate::GroupAggregate;
use super::join::{Side, StreamJoin};
use super::rank::TopN;
use super::{ChangeStream, Changes, track_state};
use crate::metrics::{JobMetrics, OperatorMetrics};

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
fn keyed<O, F>(input: ChangeStream, keys: Vec<Arc<dyn PhysicalExpr>>, operators: Vec<O>, process: F) -> ChangeStream
where
    O: Send + 'static,
    F: Fn(&mut O, &Changes) -> Result<Changes, DataFusionError> + Send + Sync + Clone + 'static,
{
    let instances = operators.len();
    let hashing = RandomState::with_seed(0x5eed);
    let mut hashes = Vec::new();
    fan_out(
        input,
        operators,
        move |changes: Changes| {
            Ok(split(&changes, &keys, instances, &hashing, &mut hashes)?
                .into_iter()
                .enumerate()
                .filter_map(|(instance, part)| part.map(|part| (instance, part)))
                .collect())
        },
        move |operator: &mut O, changes: Changes| process(operator, &changes),
    )
}

/// A join's input: the side, the source partition, and its changes (`None` ends the partition).
pub type JoinInput = (Side, usize, Option<Changes>);

/// Runs a join as keyed instances: each side's rows go to the instance that owns their join
/// key (the keys' types agree, so equal keys hash alike on both sides), and the end of a
/// partition reaches every instance.
pub fn keyed_join(
    input: BoxStream<'static, Result<JoinInput, DataFusionError>>,
    joins: Vec<StreamJoin>,
    metrics: Arc<JobMetrics>,
) -> ChangeStream {
    let instances = joins.len();
    let counters = metrics.operator(joins[0].operator_name());
    let keys = [
        joins[0].key_exprs(Side::Left).to_vec(),
        joins[0].key_exprs(Side::Right).to_vec(),
    ];
    let hashing = RandomState::with_seed(0x5eed);
    let mut hashes = Vec::new();
    let route = move |(side, partition, changes): JoinInput| match changes {
        None => Ok((0..instances).map(|i| (i, (side, partition, None))).collect()),
        Some(changes) => Ok(split(&changes, &keys[side.index()], instances, &hashing, &mut hashes)?
            .into_iter()
            .enumerate()
            .filter_map(|(instance, part)| part.map(|part| (instance, (side, partition, Some(part)))))
            .collect()),
    };
    fan_out(input, joins, route, move |join: &mut StreamJoin, message: JoinInput| {
        process_join(join, message, &metrics, &counters)
    })
}

/// One message through one join instance, its counters kept.
pub fn process_join(
    join: &mut StreamJoin,
    (side, partition, changes): JoinInput,
    metrics: &JobMetrics,
    counters: &OperatorMetrics,
) -> Result<Changes, DataFusionError> {
    let before = join.state_bytes();
    let rows_in = changes.as_ref().map_or(0, |c| c.rows.num_rows());
    let out = match changes {
        Some(changes) => join.process(side, partition, &changes.rows, std::time::Instant::now()),
        None => {
            join.end_partition(side, partition);
            Ok(Changes::inserts(RecordBatch::new_empty(join.schema())))
        }
    };
    let after = join.state_bytes();
    track_state(metrics, before, after);
    counters.record(rows_in, out.as_ref().map_or(0, |c| c.rows.num_rows()), before, after);
    out
}

/// Routes each input message to one or more instances (`route`), runs each instance in its own
/// task (`process`), and merges their outputs; stops when the input ends or nobody reads.
fn fan_out<M, O, R, P>(
    mut input: BoxStream<'static, Result<M, DataFusionError>>,
    operators: Vec<O>,
    mut route: R,
    process: P,
) -> ChangeStream
where
    M: Send + 'static,
    O: Send + 'static,
    R: FnMut(M) -> Result<Vec<(usize, M)>, DataFusionError> + Send + 'static,
    P: Fn(&mut O, M) -> Result<Changes, DataFusionError> + Send + Sync + Clone + 'static,
{
    let instances = operators.len();
    let (output, merged) = mpsc::channel::<Result<Changes, DataFusionError>>(QUEUE * instances);
    let mut inputs = Vec::with_capacity(instances);
    for mut operator in operators {
        let (sender, mut receiver) = mpsc::channel::<M>(QUEUE);
        let (output, process) = (output.clone(), process.clone());
        tokio::spawn(async move {
            while let Some(message) = receiver.recv().await {
                let result = process(&mut operator, message);
                let failed = result.is_err();
                if output.send(result).await.is_err() || failed {
                    break;
                }
            }
        });
        inputs.push(sender);
    }
    tokio::spawn(async move {
        loop {
            // Stop when the job is gone (nobody reads the output), even with an idle input.
            let next = tokio::select! {
                next = input.next() => next,
                () = output.closed() => break,
            };
            let message = match next {
                None => break,
                Some(Ok(message)) => message,
                Some(Err(e)) => {
                    let _ = output.send(Err(e)).await;
                    break;
                }
            };
            match route(message) {
                Ok(parts) => {
                    for (instance, part) in parts {
                        if inputs[instance].send(part).await.is_err() {
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
