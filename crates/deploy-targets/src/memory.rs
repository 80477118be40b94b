//! Flink 2.1's TaskManager and JobManager memory model (its documented defaults), so that a
//! process size too small for the parts the `flink` section fixes is refused before a
//! container is sized by it, not by the JVM at start.

use pipegen_config::{ByteSize, FlinkMemory};

const MIB: u64 = 1 << 20;
const GIB: u64 = 1 << 30;

/// Flink's default process sizes in its container image (`config.yaml`).
pub const DEFAULT_TASKMANAGER: ByteSize = ByteSize(1728 * MIB);
pub const DEFAULT_JOBMANAGER: ByteSize = ByteSize(1600 * MIB);

const METASPACE_TM: u64 = 256 * MIB;
const METASPACE_JM: u64 = 256 * MIB;
const FRAMEWORK_HEAP: u64 = 128 * MIB;
const FRAMEWORK_OFF_HEAP: u64 = 128 * MIB;
const JM_OFF_HEAP: u64 = 128 * MIB;

fn overhead(process: u64) -> u64 {
    (process / 10).clamp(192 * MIB, GIB)
}

/// A TaskManager's process memory split as Flink would split it.
#[derive(Debug, Clone, PartialEq)]
pub struct TaskManagerBudget {
    pub process: u64,
    pub metaspace: u64,
    pub overhead: u64,
    /// What Flink manages: the process less metaspace and overhead.
    pub flink_total: u64,
    /// The parts fixed by the configuration or by Flink's defaults (all but a derived heap).
    pub parts: Vec<(&'static str, u64)>,
}

impl TaskManagerBudget {
    pub fn of(memory: &FlinkMemory) -> Self {
        let process = memory.taskmanager.unwrap_or(DEFAULT_TASKMANAGER).bytes();
        let overhead = overhead(process);
        let flink_total = process.saturating_sub(METASPACE_TM + overhead);
        let network = memory
            .network
            .map(ByteSize::bytes)
            .unwrap_or_else(|| (flink_total / 10).clamp(64 * MIB, GIB));
        let managed = memory
            .managed
            .size
            .map(ByteSize::bytes)
            .unwrap_or_else(|| (flink_total as f64 * memory.managed.fraction.unwrap_or(0.4)).round() as u64);
        let mut parts = vec![
            ("framework heap", FRAMEWORK_HEAP),
            (
                "framework off-heap (flink.memory.direct)",
                memory.direct.size.map_or(FRAMEWORK_OFF_HEAP, ByteSize::bytes),
            ),
            (
                "task off-heap (flink.memory.off_heap)",
                memory.off_heap.size.map_or(0, ByteSize::bytes),
            ),
            ("network (flink.memory.network)", network),
            ("managed (flink.memory.managed)", managed),
        ];
        if let Some(heap) = memory.heap.size {
            parts.push(("task heap (flink.memory.heap)", heap.bytes()));
        }
        Self {
            process,
            metaspace: METASPACE_TM,
            overhead,
            flink_total,
            parts,
        }
    }

    pub fn parts_total(&self) -> u64 {
        self.parts.iter().map(|(_, size)| size).sum()
    }

    /// Whether the parts fit, leaving a task heap when none is fixed.
    pub fn fits(&self, heap_fixed: bool) -> bool {
        let total = self.parts_total();
        self.flink_total > 0
            && if heap_fixed {
                total <= self.flink_total
            } else {
                total < self.flink_total
            }
    }
}

/// The smallest TaskManager process (in whole MiB) in which `memory`'s fixed parts fit.
pub fn smallest_taskmanager(memory: &FlinkMemory) -> ByteSize {
    let heap_fixed = memory.heap.size.is_some();
    let mut low = 1u64;
    let mut high = 1u64 << 30; // MiB: a petabyte is enough for any search
    while low < high {
        let mid = (low + high) / 2;
        let mut trial = memory.clone();
        trial.taskmanager = Some(ByteSize(mid * MIB));
        if TaskManagerBudget::of(&trial).fits(heap_fixed) {
            high = mid;
        } else {
            low = mid + 1;
        }
    }
    ByteSize(low * MIB)
}

/// The JobManager's heap: its process less metaspace, overhead and off-heap memory.
pub fn jobmanager_heap(process: ByteSize) -> i128 {
    let process = process.bytes();
    process as i128 - (METASPACE_JM + overhead(process) + JM_OFF_HEAP) as i128
}

/// A process size as Flink's resources and a container's limit take it: whole MiB (`1728m`).
pub fn memory_limit(bytes: u64) -> String {
    format!("{}m", bytes.div_ceil(1 << 20))
}

/// Sizes in MiB with one decimal, as people compare them.
pub fn shown(bytes: u64) -> String {
    if bytes.is_multiple_of(GIB) {
        format!("{}gb", bytes / GIB)
    } else if bytes.is_multiple_of(MIB) {
        format!("{}mb", bytes / MIB)
    } else {
        format!("{:.1}mb", bytes as f64 / MIB as f64)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn memory(taskmanager: u64) -> FlinkMemory {
        FlinkMemory {
            taskmanager: Some(ByteSize(taskmanager * MIB)),
            ..FlinkMemory::default()
        }
    }

    #[test]
    fn the_default_taskmanager_splits_as_flink_splits_it() {
        // Flink's own log for 1728m: 192m overhead, 256m metaspace, 1280m Flink memory,
        // 128m network, 512m managed (0.4).
        let budget = TaskManagerBudget::of(&memory(1728));
        assert_eq!(budget.overhead, 192 * MIB);
        assert_eq!(budget.flink_total, 1280 * MIB);
        assert_eq!(budget.parts[3].1, 128 * MIB);
        assert_eq!(budget.parts[4].1, 512 * MIB);
        assert!(budget.fits(false));
    }

    #[test]
    fn fixed_parts_larger_than_the_process_do_not_fit_and_the_smallest_size_does() {
        let mut m = memory(8 * 1024);
        m.heap.size = Some(ByteSize(6 * GIB));
        m.off_heap.size = Some(ByteSize(2 * GIB));
        m.managed.size = Some(ByteSize(4 * GIB));
        assert!(!TaskManagerBudget::of(&m).fits(true));
        let smallest = smallest_taskmanager(&m);
        m.taskmanager = Some(smallest);
        assert!(TaskManagerBudget::of(&m).fits(true));
        m.taskmanager = Some(ByteSize(smallest.bytes() - MIB));
        assert!(!TaskManagerBudget::of(&m).fits(true));
    }

    #[test]
    fn a_jobmanager_of_768mb_keeps_a_heap_and_one_of_512mb_does_not() {
        assert!(jobmanager_heap(ByteSize(768 * MIB)) > 0);
        assert!(jobmanager_heap(ByteSize(512 * MIB)) <= 0);
    }
}
