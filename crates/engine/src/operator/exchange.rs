//! A keyed operator run as several instances, as Flink runs one at `parallelism` > 1: every
//! row goes to the instance that owns its key (the hash of its key columns; so a key's changes
//! keep their order), watermarks go to every instance, each instance runs in its own task (the
//! runtime spreads them over cores), and their outputs merge into one stream whose watermark
//! is the minimum of theirs.
//!
//! ```text
//! inputs --router (hash of the input's key)--> instance 1 .. n --> merged output
//! ```

use std::sync::Arc;

use datafusion::common::hash_utils::{RandomState, create_hashes};
use datafusion::physical_expr::PhysicalExpr;
use futures::StreamExt;
use tokio::sync::mpsc;

use super::{Driver, Message, MessageStream, Operator, tagged};
use crate::changes::Changes;
use crate::error::EngineError;
use crate::metrics::{JobMetrics, OperatorMetrics};

/// Messages in flight to one instance: enough to keep it busy while the router works.
const QUEUE: usize = 4;

/// The seed every router hashes keys with: equal keys of a join's two sides meet.
const SEED: u64 = 0x5eed;

/// Runs `instances` over `inputs`, routing each input's rows by that input's key.
pub fn keyed(
    inputs: Vec<MessageStream>,
    instances: Vec<Box<dyn Operator>>,
    metrics: &Arc<JobMetrics>,
    counters: Option<Arc<OperatorMetrics>>,
) -> MessageStream {
    let count = instances.len();
    let input_count = inputs.len();
    let keys: Vec<Vec<Arc<dyn PhysicalExpr>>> = (0..input_count)
        .map(|input| instances[0].key_exprs(input).to_vec())
        .collect();
    let (output, merged) = mpsc::channel::<(usize, Result<Message, EngineError>)>(QUEUE * count);
    let mut senders = Vec::with_capacity(count);
    for (index, operator) in instances.into_iter().enumerate() {
        let (sender, mut receiver) = mpsc::channel::<(usize, Message)>(QUEUE);
        let output = output.clone();
        let mut driver = Driver::new(operator, input_count, metrics.clone(), counters.clone());
        tokio::spawn(async move {
            while let Some((input, message)) = receiver.recv().await {
                match driver.handle(input, message) {
                    Ok(messages) => {
                        for message in messages {
                            if output.send((index, Ok(message))).await.is_err() {
                                return;
                            }
                        }
                    }
                    Err(e) => {
                        let _ = output.send((index, Err(e))).await;
                        return;
                    }
                }
            }
        });
        senders.push(sender);
    }
    let mut input = tagged(inputs);
    tokio::spawn(async move {
        let router = Router::new(keys, count);
        let mut router = router;
        loop {
            // Stop when the job is gone (nobody reads the output), even with an idle input.
            let next = tokio::select! {
                next = input.next() => next,
                () = output.closed() => break,
            };
            let routed = match next {
                None => break,
                Some(Ok((input, message))) => router.route(input, message),
                Some(Err(e)) => Err(e),
            };
            match routed {
                Ok(parts) => {
                    for (instance, part) in parts {
                        if senders[instance].send(part).await.is_err() {
                            return;
                        }
                    }
                }
                Err(e) => {
                    let _ = output.send((0, Err(e))).await;
                    break;
                }
            }
        }
    });
    merge_outputs(merged, count)
}

/// The instances' outputs as one stream: changes as they come, the watermark when the
/// slowest instance moves it.
fn merge_outputs(merged: mpsc::Receiver<(usize, Result<Message, EngineError>)>, instances: usize) -> MessageStream {
    let watermarks = vec![i64::MIN; instances];
    futures::stream::unfold(
        (merged, watermarks, i64::MIN),
        |(mut merged, mut watermarks, mut forwarded)| async move {
            loop {
                let (instance, message) = merged.recv().await?;
                match message {
                    Ok(Message::Watermark(watermark)) => {
                        watermarks[instance] = watermarks[instance].max(watermark);
                        let combined = watermarks.iter().copied().min().unwrap_or(watermark);
                        if combined > forwarded {
                            forwarded = combined;
                            return Some((Ok(Message::Watermark(combined)), (merged, watermarks, forwarded)));
                        }
                    }
                    other => return Some((other, (merged, watermarks, forwarded))),
                }
            }
        },
    )
    .boxed()
}

/// A message for an instance, with the input it arrived on.
type Routed = (usize, Message);

/// Splits messages by key: each instance's share of a batch of changes; every instance gets
/// each watermark.
struct Router {
    keys: Vec<Vec<Arc<dyn PhysicalExpr>>>,
    instances: usize,
    hashing: RandomState,
    hashes: Vec<u64>,
}

impl Router {
    fn new(keys: Vec<Vec<Arc<dyn PhysicalExpr>>>, instances: usize) -> Self {
        Self {
            keys,
            instances,
            hashing: RandomState::with_seed(SEED),
            hashes: Vec::new(),
        }
    }

    fn route(&mut self, input: usize, message: Message) -> Result<Vec<(usize, Routed)>, EngineError> {
        let changes = match message {
            Message::Watermark(_) => {
                return Ok((0..self.instances).map(|i| (i, (input, message.clone()))).collect());
            }
            Message::Changes(changes) => changes,
        };
        Ok(self
            .split(&changes, input)?
            .into_iter()
            .enumerate()
            .filter_map(|(instance, part)| part.map(|part| (instance, (input, Message::Changes(part)))))
            .collect())
    }

    /// Each instance's share of a batch of changes (`None` where it has no row).
    fn split(&mut self, changes: &Changes, input: usize) -> Result<Vec<Option<Changes>>, EngineError> {
        let rows = changes.rows.num_rows();
        let columns = self.keys[input]
            .iter()
            .map(|k| k.evaluate(&changes.rows)?.into_array(rows))
            .collect::<Result<Vec<_>, _>>()?;
        self.hashes.clear();
        self.hashes.resize(rows, 0);
        create_hashes(&columns, &self.hashing, &mut self.hashes)?;
        let mut routes: Vec<Vec<u32>> = vec![Vec::new(); self.instances];
        for (row, hash) in self.hashes.iter().enumerate() {
            routes[(hash % self.instances as u64) as usize].push(row as u32);
        }
        routes
            .into_iter()
            .map(|rows| {
                if rows.is_empty() {
                    Ok(None)
                } else if rows.len() == changes.rows.num_rows() {
                    Ok(Some(changes.clone()))
                } else {
                    Ok(Some(changes.take(&rows)?))
                }
            })
            .collect()
    }
}
