//! A source's partitions as one stream of messages, as Flink's source reader merges its
//! splits: rows as they come, and the watermark, the minimum over the partitions of the
//! largest watermark value each has seen (an ended partition holds nothing back; with
//! `table.exec.source.idle-timeout`, neither does one silent that long). Each row carries the
//! watermark it met (`Changes::met`), so that lateness is judged per row, as Flink does with
//! `pipeline.auto-watermark-interval` = 0, whatever the batch boundaries.

use std::sync::Arc;
use std::sync::atomic::Ordering::Relaxed;
use std::time::{Duration, Instant};

use datafusion::arrow::array::{ArrayRef, RecordBatch};
use datafusion::physical_expr::PhysicalExpr;
use futures::StreamExt;
use futures::stream::BoxStream;
use tokio::sync::mpsc;

use super::{Message, MessageStream};
use crate::changes::Changes;
use crate::error::EngineError;
use crate::metrics::JobMetrics;
use crate::watermark::WatermarkTracker;

/// Messages in flight from the merge.
const QUEUE: usize = 8;

/// Where a source's watermark comes from.
#[derive(Debug, Clone)]
pub enum Watermarks {
    /// The table declares none: the watermark is the end of time once every partition ends.
    None,
    /// The table's `WATERMARK FOR ... AS <expr>`, evaluated on each row.
    Expr(Arc<dyn PhysicalExpr>),
    /// A time column less a fixed delay (an interval join's side).
    Column { index: usize, delay_ms: i64 },
}

/// How a merge runs.
pub struct MergeOptions {
    pub watermarks: Watermarks,
    pub idle_timeout: Option<Duration>,
    /// Counts the rows read as the job's input and keeps its watermark gauge.
    pub measure: bool,
}

/// One partition's changes.
pub type PartitionStream = BoxStream<'static, Result<Changes, EngineError>>;

/// Merges `partitions` into one stream of changes and watermarks, ending with the watermark
/// `i64::MAX` once every partition has ended.
pub fn merge(partitions: Vec<PartitionStream>, options: MergeOptions, metrics: Arc<JobMetrics>) -> MessageStream {
    let (sender, receiver) = mpsc::channel(QUEUE);
    tokio::spawn(async move {
        if let Err(e) = run(partitions, options, &metrics, &sender).await {
            let _ = sender.send(Err(e)).await;
        }
    });
    futures::stream::unfold(receiver, |mut receiver| async move {
        receiver.recv().await.map(|message| (message, receiver))
    })
    .boxed()
}

/// The output is closed: nobody reads the job any more.
struct Closed;

async fn send(sender: &mpsc::Sender<Result<Message, EngineError>>, message: Message) -> Result<(), Closed> {
    sender.send(Ok(message)).await.map_err(|_| Closed)
}

async fn run(
    partitions: Vec<PartitionStream>,
    options: MergeOptions,
    metrics: &JobMetrics,
    sender: &mpsc::Sender<Result<Message, EngineError>>,
) -> Result<(), EngineError> {
    if options.measure {
        metrics.counts_input.store(true, Relaxed);
    }
    let count = partitions.len();
    let idle_timeout = options.idle_timeout;
    let mut tracker = WatermarkTracker::new(count).with_idle_timeout(idle_timeout);
    let mut sent = i64::MIN;
    // Idle partitions are looked for a few times per timeout; without one, never (the branch
    // below is off, the period unused).
    let mut idle_check =
        tokio::time::interval(idle_timeout.map_or(Duration::from_secs(1), |t| (t / 4).max(Duration::from_millis(1))));
    // Each partition's stream ends with a marker: a finished partition no longer holds the
    // watermark back, as a finished Flink source split sends the maximum watermark.
    let tagged = partitions.into_iter().enumerate().map(|(partition, stream)| {
        stream
            .map(move |changes| (partition, Some(changes)))
            .chain(futures::stream::once(async move { (partition, None) }))
            .boxed()
    });
    let mut merged = futures::stream::select_all(tagged);
    loop {
        let next = tokio::select! {
            next = merged.next() => next,
            () = sender.closed() => return Ok(()),
            now = idle_check.tick(), if idle_timeout.is_some() => {
                tracker.check_idle(now.into_std());
                if advance(&tracker, &mut sent, metrics, &options, sender).await.is_err() {
                    return Ok(());
                }
                continue;
            }
        };
        let Some((partition, changes)) = next else { break };
        match changes {
            Some(changes) => {
                let mut changes = changes?;
                tracker.touch(partition, Instant::now());
                if options.measure {
                    JobMetrics::add(&metrics.records_in, changes.rows.num_rows());
                }
                observe(&mut tracker, partition, &mut changes, &options.watermarks)?;
                if changes.rows.num_rows() > 0 && send(sender, Message::Changes(changes)).await.is_err() {
                    return Ok(());
                }
            }
            None => tracker.observe(partition, i64::MAX),
        }
        if advance(&tracker, &mut sent, metrics, &options, sender).await.is_err() {
            return Ok(());
        }
    }
    tracker.finish();
    let _ = advance(&tracker, &mut sent, metrics, &options, sender).await;
    Ok(())
}

/// Sends the watermark when it moved.
async fn advance(
    tracker: &WatermarkTracker,
    sent: &mut i64,
    metrics: &JobMetrics,
    options: &MergeOptions,
    sender: &mpsc::Sender<Result<Message, EngineError>>,
) -> Result<(), Closed> {
    let current = tracker.current();
    if current <= *sent {
        return Ok(());
    }
    *sent = current;
    if options.measure {
        metrics.watermark_ms.store(current, Relaxed);
    }
    send(sender, Message::Watermark(current)).await
}

/// Moves `partition`'s watermark row by row, noting on each row the watermark it met.
fn observe(
    tracker: &mut WatermarkTracker,
    partition: usize,
    changes: &mut Changes,
    watermarks: &Watermarks,
) -> Result<(), EngineError> {
    let values = match watermarks {
        Watermarks::None => return Ok(()),
        Watermarks::Expr(expr) => epoch_millis(&expr.evaluate(&changes.rows)?.into_array(changes.rows.num_rows())?)?,
        Watermarks::Column { index, delay_ms } => epoch_millis(changes.rows.column(*index))?
            .into_iter()
            .map(|time| time.map(|t| t.saturating_sub(*delay_ms)))
            .collect(),
    };
    let mut met = Vec::with_capacity(values.len());
    for value in values {
        met.push(tracker.current());
        if let Some(value) = value {
            tracker.observe(partition, value);
        }
    }
    changes.met = Some(met);
    Ok(())
}

/// Event times (or watermark values) as epoch milliseconds, whatever the timestamp's unit.
pub fn epoch_millis(column: &ArrayRef) -> Result<Vec<Option<i64>>, datafusion::arrow::error::ArrowError> {
    use datafusion::arrow::array::AsArray;
    use datafusion::arrow::compute::cast;
    use datafusion::arrow::datatypes::{DataType, Int64Type, TimeUnit};
    let millis = cast(column, &DataType::Timestamp(TimeUnit::Millisecond, None))?;
    let ints = cast(&millis, &DataType::Int64)?;
    Ok(ints.as_primitive::<Int64Type>().iter().collect())
}

/// A partition of DataFusion batches as a partition of insertions.
pub fn inserts(stream: datafusion::physical_plan::SendableRecordBatchStream) -> PartitionStream {
    stream
        .map(|batch: datafusion::error::Result<RecordBatch>| Ok(Changes::inserts(batch?)))
        .boxed()
}
