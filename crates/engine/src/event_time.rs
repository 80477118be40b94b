//! Which source scans carry event time. A source table whose WATERMARK reads its physical
//! columns is known by its scan's partitions, with the watermark expression over those
//! columns, so that an operator on event time takes the watermark from the source's rows
//! before the query's filters, as Flink assigns it at the source.

use std::collections::HashMap;
use std::sync::Arc;

use datafusion::common::tree_node::{Transformed, TreeNode};
use datafusion::physical_expr::PhysicalExpr;
use datafusion::physical_expr::expressions::Column;
use datafusion::physical_plan::ExecutionPlan;
use datafusion::physical_plan::streaming::{PartitionStream, StreamingTableExec};

use crate::metrics::JobMetrics;
use crate::operator::MessageStream;
use crate::operator::merge::{self, MergeOptions, Watermarks};
use crate::operator::step::Step;
use crate::placeholder::identity;

#[derive(Default)]
pub struct EventTimeSources {
    /// The watermark expression over the source's physical columns, by its first partition.
    by_partition: HashMap<usize, Arc<dyn PhysicalExpr>>,
}

impl EventTimeSources {
    pub fn register(&mut self, partitions: &[Arc<dyn PartitionStream>], watermark: Arc<dyn PhysicalExpr>) {
        if let Some(first) = partitions.first() {
            self.by_partition.insert(identity(first), watermark);
        }
    }

    /// The watermark of the rows `scan` reads, over its columns; `None` when the scan is of
    /// no such source, or leaves out a column the watermark reads.
    pub fn watermark_of(&self, scan: &StreamingTableExec) -> Option<Arc<dyn PhysicalExpr>> {
        let watermark = self.by_partition.get(&identity(scan.partitions().first()?))?;
        let schema = scan.schema();
        let mut missing = false;
        let remapped = Arc::clone(watermark)
            .transform(|expr| {
                let Some(column) = expr.downcast_ref::<Column>() else {
                    return Ok(Transformed::no(expr));
                };
                match schema.index_of(column.name()) {
                    Ok(index) => Ok(Transformed::yes(Arc::new(Column::new(column.name(), index)) as _)),
                    Err(_) => {
                        missing = true;
                        Ok(Transformed::no(expr))
                    }
                }
            })
            .ok()?
            .data;
        (!missing).then_some(remapped)
    }
}

/// A source table's rows on event time, for an operator that reads them itself (window
/// assignment, MATCH_RECOGNIZE): one stream per source partition, with its watermark.
pub struct SourceRows {
    pub partitions: Vec<merge::PartitionStream>,
    /// The table's WATERMARK expression, over the partitions' rows.
    pub watermark: Arc<dyn PhysicalExpr>,
    pub time_index: usize,
    /// `table.exec.source.idle-timeout`: a partition silent this long holds nothing back.
    pub idle_timeout: Option<std::time::Duration>,
    /// A view's filter and projection, after the watermark was taken from the source's rows
    /// (Flink assigns watermarks at the source, before the view's WHERE).
    pub view: Option<Step>,
}

impl SourceRows {
    /// The partitions merged, each row with the watermark it met, through the view's step.
    pub fn stream(self, metrics: &Arc<JobMetrics>) -> MessageStream {
        let options = MergeOptions {
            watermarks: Watermarks::Expr(self.watermark),
            idle_timeout: self.idle_timeout,
            measure: true,
        };
        let stream = merge::merge(self.partitions, options, metrics.clone());
        match self.view {
            Some(view) => crate::operator::run(vec![stream], vec![Box::new(view)], metrics),
            None => stream,
        }
    }
}
