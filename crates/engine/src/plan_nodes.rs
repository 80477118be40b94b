//! DataFusion plan nodes the engine recognizes by their type, shared by the operator graph's
//! builder and the operators that look at their inputs' plans.

use std::sync::Arc;

use datafusion::physical_plan::ExecutionPlan;
#[allow(deprecated)] // CoalesceBatchesExec: older plans still hold it
use datafusion::physical_plan::coalesce_batches::CoalesceBatchesExec;
use datafusion::physical_plan::coalesce_partitions::CoalescePartitionsExec;
use datafusion::physical_plan::coop::CooperativeExec;
use datafusion::physical_plan::empty::EmptyExec;
use datafusion::physical_plan::filter::FilterExec;
use datafusion::physical_plan::placeholder_row::PlaceholderRowExec;
use datafusion::physical_plan::projection::ProjectionExec;
use datafusion::physical_plan::repartition::RepartitionExec;
use datafusion::physical_plan::streaming::StreamingTableExec;
use datafusion::physical_plan::union::{InterleaveExec, UnionExec};

/// Steps that keep no state and stream as DataFusion runs them.
#[allow(deprecated)] // CoalesceBatchesExec: older plans still hold it
pub fn is_stateless_step(plan: &Arc<dyn ExecutionPlan>) -> bool {
    plan.is::<ProjectionExec>()
        || plan.is::<FilterExec>()
        || plan.is::<CoalesceBatchesExec>()
        || plan.is::<StreamingTableExec>()
        || plan.is::<RepartitionExec>()
        || plan.is::<CoalescePartitionsExec>()
        || plan.is::<CooperativeExec>()
        || plan.is::<UnionExec>()
        || plan.is::<InterleaveExec>()
        || plan.is::<EmptyExec>()
        || plan.is::<PlaceholderRowExec>()
}

/// Steps that only move batches between partitions (with one partition, pass them on).
#[allow(deprecated)] // CoalesceBatchesExec: older plans still hold it
pub fn is_exchange(plan: &Arc<dyn ExecutionPlan>) -> bool {
    plan.is::<CoalesceBatchesExec>()
        || plan.is::<RepartitionExec>()
        || plan.is::<CoalescePartitionsExec>()
        || plan.is::<CooperativeExec>()
}
