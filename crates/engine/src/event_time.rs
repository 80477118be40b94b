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

use crate::operator::source::identity;

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
