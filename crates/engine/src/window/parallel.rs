//! A window aggregation split by key over `flink.parallelism` instances, as Flink runs a keyed
//! window operator: rows are routed by the hash of their GROUP BY columns (so every window of
//! a key lives in one instance), each instance runs in its own task (the runtime spreads them
//! over cores), and the watermark reaches every instance after the rows that preceded it.
//!
//! ```text
//! lateness, windows (one task) --hash(key)--> instance 1 .. n --> the plan above the aggregate
//! ```

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use datafusion::arrow::array::{RecordBatch, UInt32Array};
use datafusion::arrow::compute::take_record_batch;
use datafusion::arrow::datatypes::Schema;
use datafusion::common::hash_utils::{RandomState, create_hashes};
use datafusion::physical_expr::PhysicalExpr;
use tokio::sync::mpsc;
use tokio::task::JoinHandle;

use super::aggregate::{AggregateShape, WindowAggregator};
use crate::error::EngineError;
use crate::metrics::OperatorMetrics;

/// Batches in flight to one instance: enough to keep it busy while the router works.
const QUEUE: usize = 4;

enum Message {
    Rows(RecordBatch),
    Fire(i64),
}

/// What an instance last reported about its state.
#[derive(Default)]
struct Gauges {
    open_windows: AtomicU64,
    state_bytes: AtomicU64,
}

pub struct KeyedAggregators {
    keys: Vec<Arc<dyn PhysicalExpr>>,
    hashing: RandomState,
    hashes: Vec<u64>,
    inputs: Vec<mpsc::Sender<Message>>,
    tasks: Vec<JoinHandle<Result<(), EngineError>>>,
    gauges: Vec<Arc<Gauges>>,
    fired_at: Option<i64>,
    /// Rows went out since the last firing (they may belong to windows it would fire now).
    routed_since_fire: bool,
}

impl KeyedAggregators {
    /// `None` when the aggregation has no key to split by (a global aggregate per window runs
    /// as one instance).
    pub fn start(
        shape: &AggregateShape,
        input: &Schema,
        instances: usize,
        output: mpsc::Sender<datafusion::error::Result<RecordBatch>>,
        operator: Arc<OperatorMetrics>,
    ) -> Result<Option<Self>, EngineError> {
        let keys = shape.row_keys();
        if keys.is_empty() || instances < 2 {
            return Ok(None);
        }
        let mut inputs = Vec::with_capacity(instances);
        let mut tasks = Vec::with_capacity(instances);
        let mut gauges = Vec::with_capacity(instances);
        for _ in 0..instances {
            let aggregator = WindowAggregator::new(shape.clone(), input)?;
            let (sender, receiver) = mpsc::channel(QUEUE);
            let gauge = Arc::new(Gauges::default());
            tasks.push(tokio::spawn(run_instance(
                aggregator,
                receiver,
                output.clone(),
                gauge.clone(),
                operator.clone(),
            )));
            inputs.push(sender);
            gauges.push(gauge);
        }
        Ok(Some(Self {
            keys,
            hashing: RandomState::with_seed(0x5eed),
            hashes: Vec::new(),
            inputs,
            tasks,
            gauges,
            fired_at: None,
            routed_since_fire: false,
        }))
    }

    /// Routes rows to the instance that owns their key.
    pub async fn update(&mut self, batch: RecordBatch) -> Result<(), EngineError> {
        let rows = batch.num_rows();
        if rows == 0 {
            return Ok(());
        }
        let columns = self
            .keys
            .iter()
            .map(|k| k.evaluate(&batch)?.into_array(rows))
            .collect::<datafusion::error::Result<Vec<_>>>()?;
        self.hashes.clear();
        self.hashes.resize(rows, 0);
        create_hashes(&columns, &self.hashing, &mut self.hashes)?;
        let instances = self.inputs.len() as u64;
        let mut routes: Vec<Vec<u32>> = vec![Vec::new(); self.inputs.len()];
        for (row, hash) in self.hashes.iter().enumerate() {
            routes[(hash % instances) as usize].push(row as u32);
        }
        for (instance, rows) in routes.into_iter().enumerate() {
            if rows.is_empty() {
                continue;
            }
            let part = take_record_batch(&batch, &UInt32Array::from(rows))?;
            self.send(instance, Message::Rows(part)).await?;
        }
        self.routed_since_fire = true;
        Ok(())
    }

    /// Lets every instance fire the windows the watermark has passed.
    pub async fn fire(&mut self, watermark: i64) -> Result<(), EngineError> {
        if !self.routed_since_fire && self.fired_at.is_some_and(|at| at >= watermark) {
            return Ok(());
        }
        self.fired_at = Some(watermark);
        self.routed_since_fire = false;
        for instance in 0..self.inputs.len() {
            self.send(instance, Message::Fire(watermark)).await?;
        }
        Ok(())
    }

    async fn send(&mut self, instance: usize, message: Message) -> Result<(), EngineError> {
        if self.inputs[instance].send(message).await.is_ok() {
            return Ok(());
        }
        // The instance stopped early: its error says why.
        let task = &mut self.tasks[instance];
        match task.await {
            Ok(Err(e)) => Err(e),
            Ok(Ok(())) => Err(EngineError::Invalid("a window instance stopped early".into())),
            Err(e) => Err(EngineError::Invalid(format!("a window instance failed: {e}"))),
        }
    }

    pub fn open_windows(&self) -> u64 {
        self.gauges.iter().map(|g| g.open_windows.load(Ordering::Relaxed)).sum()
    }

    pub fn state_bytes(&self) -> u64 {
        self.gauges.iter().map(|g| g.state_bytes.load(Ordering::Relaxed)).sum()
    }

    /// Waits until every instance has handled what it was sent.
    pub async fn finish(self) -> Result<(), EngineError> {
        drop(self.inputs);
        for task in self.tasks {
            task.await
                .map_err(|e| EngineError::Invalid(format!("a window instance failed: {e}")))??;
        }
        Ok(())
    }
}

async fn run_instance(
    mut aggregator: WindowAggregator,
    mut messages: mpsc::Receiver<Message>,
    output: mpsc::Sender<datafusion::error::Result<RecordBatch>>,
    gauges: Arc<Gauges>,
    operator: Arc<OperatorMetrics>,
) -> Result<(), EngineError> {
    while let Some(message) = messages.recv().await {
        match message {
            Message::Rows(batch) => aggregator.update(&batch)?,
            Message::Fire(watermark) => {
                let mut fired = Vec::new();
                aggregator.fire(watermark, |batch| {
                    fired.push(batch);
                    Ok(())
                })?;
                let open = aggregator.open_windows() as u64;
                if !fired.is_empty() || open != gauges.open_windows.load(Ordering::Relaxed) {
                    gauges.open_windows.store(open, Ordering::Relaxed);
                    gauges
                        .state_bytes
                        .store(aggregator.state_bytes() as u64, Ordering::Relaxed);
                }
                let rows: usize = fired.iter().map(RecordBatch::num_rows).sum();
                operator.records_out.fetch_add(rows as u64, Ordering::Relaxed);
                for batch in fired {
                    // A closed channel means the plan downstream failed; its task says why.
                    let _ = output.send(Ok(batch)).await;
                }
            }
        }
    }
    Ok(())
}
