//! The engine's one operator model. Every part of a running query that pipegen runs itself
//! (window assignment, window and group aggregation, joins, Top-N, changelog normalization,
//! filters and projections over changelogs) is an [`Operator`]: it takes [`Message`]s from its
//! inputs (changes with row kinds, and watermarks) and emits changes. The runtime around it
//! forwards watermarks (the minimum over inputs, as Flink does), keeps its metrics, and runs a
//! keyed operator as `flink.parallelism` instances through one [`exchange`].
//!
//! ```text
//! source partitions --merge (watermarks)--> operator --> operator (keyed: exchange) --> sink
//! ```

pub mod exchange;
pub mod merge;
pub mod source;
pub mod step;

use std::sync::Arc;
use std::sync::atomic::Ordering::Relaxed;

use datafusion::physical_expr::PhysicalExpr;
use futures::StreamExt;
use futures::stream::BoxStream;

use crate::changes::Changes;
use crate::error::EngineError;
use crate::metrics::{JobMetrics, OperatorMetrics};

/// What flows between operators.
#[derive(Debug, Clone)]
pub enum Message {
    /// Rows and their kinds.
    Changes(Changes),
    /// Event time on this stream reached the value (epoch milliseconds): a later row at or
    /// before it is late. `i64::MAX` when the input has ended.
    Watermark(i64),
}

/// A stream of one operator's output.
pub type MessageStream = BoxStream<'static, Result<Message, EngineError>>;

/// One part of a running query.
pub trait Operator: Send + 'static {
    /// As Flink names the operator (`GroupAggregate`, `Join`, `WindowAggregate`, ...).
    fn name(&self) -> &'static str;

    /// What the rows of input `input` are keyed by: each instance of a keyed operator owns
    /// the keys that hash to it. Empty: the operator runs as one instance.
    fn key_exprs(&self, _input: usize) -> &[Arc<dyn PhysicalExpr>] {
        &[]
    }

    /// Changes arriving on `input`; what they change goes to `out`.
    fn on_changes(&mut self, input: usize, changes: Changes, out: &mut Vec<Changes>) -> Result<(), EngineError>;

    /// The watermark of `input` advanced.
    fn on_watermark(&mut self, _input: usize, _watermark: i64, _out: &mut Vec<Changes>) -> Result<(), EngineError> {
        Ok(())
    }

    /// Bytes of state held.
    fn state_bytes(&self) -> usize {
        0
    }

    /// Windows (or sessions) waiting for the watermark.
    fn open_windows(&self) -> usize {
        0
    }

    /// Whether the job's operator rows show it (stateful operators; stateless steps do not).
    fn is_stateful(&self) -> bool {
        true
    }
}

/// One operator instance with its inputs' watermarks and its counters.
pub(crate) struct Driver {
    operator: Box<dyn Operator>,
    watermarks: Vec<i64>,
    forwarded: i64,
    counters: Option<Arc<OperatorMetrics>>,
    metrics: Arc<JobMetrics>,
    out: Vec<Changes>,
}

impl Driver {
    /// `counters` are shared by the operator's instances.
    pub(crate) fn new(
        operator: Box<dyn Operator>,
        inputs: usize,
        metrics: Arc<JobMetrics>,
        counters: Option<Arc<OperatorMetrics>>,
    ) -> Self {
        Self {
            operator,
            watermarks: vec![i64::MIN; inputs.max(1)],
            forwarded: i64::MIN,
            counters,
            metrics,
            out: Vec::new(),
        }
    }

    /// What the operator emits for one message: its changes, then the watermark when the
    /// minimum over its inputs moved.
    pub(crate) fn handle(&mut self, input: usize, message: Message) -> Result<Vec<Message>, EngineError> {
        let (state, open) = (self.operator.state_bytes(), self.operator.open_windows());
        let mut rows_in = 0;
        let mut forward = None;
        match message {
            Message::Changes(changes) => {
                rows_in = changes.rows.num_rows();
                self.operator.on_changes(input, changes, &mut self.out)?;
            }
            Message::Watermark(watermark) => {
                if watermark > self.watermarks[input] {
                    self.watermarks[input] = watermark;
                    self.operator.on_watermark(input, watermark, &mut self.out)?;
                    let combined = self.watermarks.iter().copied().min().unwrap_or(watermark);
                    if combined > self.forwarded {
                        self.forwarded = combined;
                        forward = Some(combined);
                    }
                }
            }
        }
        let (state_after, open_after) = (self.operator.state_bytes(), self.operator.open_windows());
        track(&self.metrics.state_bytes, state, state_after);
        track(&self.metrics.open_windows, open, open_after);
        let mut messages: Vec<Message> = self
            .out
            .drain(..)
            .filter(|c| c.rows.num_rows() > 0)
            .map(Message::Changes)
            .collect();
        if let Some(counters) = &self.counters {
            let rows_out = messages
                .iter()
                .map(|m| match m {
                    Message::Changes(c) => c.rows.num_rows(),
                    Message::Watermark(_) => 0,
                })
                .sum();
            counters.record(rows_in, rows_out, state, state_after);
        }
        messages.extend(forward.map(Message::Watermark));
        Ok(messages)
    }
}

/// Keeps a gauge shared by several operators current with one operator's change.
pub(crate) fn track(gauge: &std::sync::atomic::AtomicU64, before: usize, after: usize) {
    if after >= before {
        gauge.fetch_add((after - before) as u64, Relaxed);
    } else {
        gauge.fetch_sub((before - after) as u64, Relaxed);
    }
}

/// The messages of several inputs as one stream, each tagged with its input's index.
pub(crate) fn tagged(inputs: Vec<MessageStream>) -> BoxStream<'static, Result<(usize, Message), EngineError>> {
    futures::stream::select_all(
        inputs
            .into_iter()
            .enumerate()
            .map(|(index, input)| input.map(move |m| m.map(|m| (index, m))).boxed()),
    )
    .boxed()
}

/// Runs an operator over its inputs: in line when it has one instance, else as keyed
/// instances across tasks (see [`exchange`]).
pub fn run(
    inputs: Vec<MessageStream>,
    mut instances: Vec<Box<dyn Operator>>,
    metrics: &Arc<JobMetrics>,
) -> MessageStream {
    let count = inputs.len();
    let counters = instances[0]
        .is_stateful()
        .then(|| metrics.operator(instances[0].name()));
    if instances.len() > 1 {
        return exchange::keyed(inputs, instances, metrics, counters);
    }
    let mut driver = Driver::new(instances.remove(0), count, metrics.clone(), counters);
    tagged(inputs)
        .map(move |message| {
            let messages = message.and_then(|(input, message)| driver.handle(input, message));
            futures::stream::iter(match messages {
                Ok(messages) => messages.into_iter().map(Ok).collect::<Vec<_>>(),
                Err(e) => vec![Err(e)],
            })
        })
        .flatten()
        .boxed()
}
