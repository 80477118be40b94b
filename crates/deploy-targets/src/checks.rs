//! Configurations that cannot work on a deployed stack, refused before anything is written,
//! each at the file and line of the key that set it (or of the SQL that asks for it).

use pipegen_config::{KeyPath, ResolvedConfig, Source};
use pipegen_diag::Diagnostic;

use crate::Target;
use crate::memory::{TaskManagerBudget, jobmanager_heap, shown, smallest_taskmanager};
use crate::names::is_dns_label;
use crate::needs::Needs;
use crate::stack::Stack;

/// Every problem at once, so one edit round fixes them all.
pub fn check(resolved: &ResolvedConfig, needs: &Needs, stack: &Stack, target: Target) -> Vec<Diagnostic> {
    let mut problems = Vec::new();
    flink_slots(resolved, &mut problems);
    taskmanager_memory(resolved, &mut problems);
    jobmanager_memory(resolved, &mut problems);
    topics(resolved, needs, stack, &mut problems);
    autoscaling(resolved, target, &mut problems);
    if target == Target::Kubernetes {
        kubernetes_only(resolved, needs, stack, &mut problems);
    }
    problems
}

fn at(path: &str) -> KeyPath {
    KeyPath::parse(path)
}

/// `error_at`, naming the flag or variable when no file set the key.
fn refuse(
    resolved: &ResolvedConfig,
    path: &KeyPath,
    message: impl Into<String>,
    hint: impl Into<String>,
) -> Diagnostic {
    let origin = resolved.origin(path);
    let mut message = message.into();
    if origin.source.file().is_none() && origin.source != Source::Default {
        message.push_str(&format!(" (set by {})", origin.source));
    }
    resolved.error_at(path, message, hint)
}

fn flink_slots(resolved: &ResolvedConfig, problems: &mut Vec<Diagnostic>) {
    let flink = &resolved.config.flink;
    let tm = &flink.taskmanager;
    if tm.slots == 0 {
        problems.push(refuse(
            resolved,
            &at("flink.taskmanager.slots"),
            "flink.taskmanager.slots is 0: a TaskManager without slots runs nothing",
            "give each TaskManager at least one slot (one per core is Flink's advice)",
        ));
    }
    if tm.replicas == 0 {
        problems.push(refuse(
            resolved,
            &at("flink.taskmanager.replicas"),
            "flink.taskmanager.replicas is 0: the stack would have no TaskManager to run the jobs",
            "deploy at least one TaskManager",
        ));
    }
    if flink.parallelism > flink.max_parallelism {
        problems.push(refuse(
            resolved,
            &at("flink.parallelism"),
            format!(
                "flink.parallelism {} is above flink.max_parallelism {}: Flink refuses such a job",
                flink.parallelism, flink.max_parallelism
            ),
            "lower flink.parallelism or raise flink.max_parallelism",
        ));
    }
    let slots = u64::from(tm.slots) * u64::from(tm.replicas);
    if slots > 0 && u64::from(flink.parallelism) > slots {
        problems.push(refuse(
            resolved,
            &at("flink.parallelism"),
            format!(
                "flink.parallelism {} needs {} slots, and {} TaskManager(s) of {} slot(s) give {slots}: the jobs would wait for slots forever",
                flink.parallelism, flink.parallelism, tm.replicas, tm.slots
            ),
            "raise flink.taskmanager.replicas or flink.taskmanager.slots, or lower flink.parallelism",
        ));
    }
}

/// The first of `paths` some layer set (with a file and line, if any has one).
fn first_set(resolved: &ResolvedConfig, paths: &[&str]) -> KeyPath {
    paths
        .iter()
        .map(|p| at(p))
        .find(|p| resolved.origin(p).source.file().is_some())
        .unwrap_or_else(|| at(paths[0]))
}

fn taskmanager_memory(resolved: &ResolvedConfig, problems: &mut Vec<Diagnostic>) {
    let memory = &resolved.config.flink.memory;
    let budget = TaskManagerBudget::of(memory);
    let heap_fixed = memory.heap.size.is_some();
    if budget.fits(heap_fixed) {
        return;
    }
    let parts: Vec<String> = budget
        .parts
        .iter()
        .filter(|(_, size)| *size > 0)
        .map(|(name, size)| format!("{name} {}", shown(*size)))
        .collect();
    let key = first_set(
        resolved,
        &[
            "flink.memory.taskmanager",
            "flink.memory.heap.size",
            "flink.memory.managed.size",
            "flink.memory.off_heap.size",
            "flink.memory.network",
            "flink.memory.direct.size",
        ],
    );
    problems.push(refuse(
            resolved,
        &key,
        format!(
            "the TaskManager's {} is smaller than its Flink memory budget: after {} JVM metaspace and {} JVM overhead {} remain for {} ({}){}",
            shown(budget.process),
            shown(budget.metaspace),
            shown(budget.overhead),
            shown(budget.flink_total),
            parts.join(", "),
            shown(budget.parts_total()),
            if heap_fixed { "" } else { ", and no task heap is left" }
        ),
        format!(
            "raise flink.memory.taskmanager to at least {}, or make the parts smaller",
            shown(smallest_taskmanager(memory).bytes())
        ),
    ));
}

fn jobmanager_memory(resolved: &ResolvedConfig, problems: &mut Vec<Diagnostic>) {
    let process = resolved
        .config
        .flink
        .memory
        .jobmanager
        .unwrap_or(crate::memory::DEFAULT_JOBMANAGER);
    if jobmanager_heap(process) <= 0 {
        problems.push(refuse(
            resolved,
            &at("flink.memory.jobmanager"),
            format!(
                "the JobManager's {} leaves no heap after JVM metaspace, overhead and off-heap memory",
                shown(process.bytes())
            ),
            "give the JobManager at least 768mb (Flink's image uses 1600mb)",
        ));
    }
}

fn topics(resolved: &ResolvedConfig, needs: &Needs, stack: &Stack, problems: &mut Vec<Diagnostic>) {
    let max_parallelism = resolved.config.flink.max_parallelism;
    for topic in &needs.topics {
        if topic.partitions == 0 {
            problems.push(refuse(
                resolved,
                &topic.partitions_key,
                format!("topic `{}` would have 0 partitions", topic.name),
                "a topic needs at least one partition",
            ));
        } else if topic.partitions > max_parallelism {
            problems.push(refuse(
            resolved,
                &topic.partitions_key,
                format!(
                    "topic `{}` has {} partitions, more than flink.max_parallelism {} lets Flink ever read in parallel",
                    topic.name, topic.partitions, max_parallelism
                ),
                format!(
                    "use at most {max_parallelism} partitions, or raise flink.max_parallelism (it cannot change once a job has state)"
                ),
            ));
        }
        if topic.replication_factor == 0 {
            problems.push(refuse(
                resolved,
                &topic.replication_key,
                format!("topic `{}` would have a replication factor of 0", topic.name),
                "a topic needs at least one replica",
            ));
        } else if u32::from(topic.replication_factor) > stack.brokers {
            problems.push(refuse(
                resolved,
                &topic.replication_key,
                format!(
                    "topic `{}` asks for {} replicas, and the stack has {} broker(s) (deploy.kafka.brokers)",
                    topic.name, topic.replication_factor, stack.brokers
                ),
                "raise deploy.kafka.brokers, or unset it to get as many brokers as the largest replication factor",
            ));
        }
    }
}

fn autoscaling(resolved: &ResolvedConfig, target: Target, problems: &mut Vec<Diagnostic>) {
    let scaling = &resolved.config.deploy.autoscaling;
    if target != Target::Kubernetes || !scaling.enabled {
        return;
    }
    if scaling.min_replicas == 0 {
        problems.push(refuse(
            resolved,
            &at("deploy.autoscaling.min_replicas"),
            "deploy.autoscaling.min_replicas is 0: the autoscaler keeps at least one TaskManager",
            "set it to 1 or more (the performance guide uses 2)",
        ));
    }
    if scaling.min_replicas > scaling.max_replicas {
        problems.push(refuse(
            resolved,
            &at("deploy.autoscaling.max_replicas"),
            format!(
                "deploy.autoscaling.max_replicas {} is below min_replicas {}",
                scaling.max_replicas, scaling.min_replicas
            ),
            "the autoscaler needs min_replicas <= max_replicas (the performance guide uses 2 and 20)",
        ));
    }
    if !(1..=100).contains(&scaling.cpu_utilization) {
        problems.push(refuse(
            resolved,
            &at("deploy.autoscaling.cpu_utilization"),
            format!(
                "deploy.autoscaling.cpu_utilization {} is no share of the CPU a TaskManager asks for",
                scaling.cpu_utilization
            ),
            "a percentage from 1 to 100 (the performance guide holds 70)",
        ));
    }
}

fn kubernetes_only(resolved: &ResolvedConfig, needs: &Needs, stack: &Stack, problems: &mut Vec<Diagnostic>) {
    if let Some((file, position)) = &needs.project_dir_at {
        problems.push(
            Diagnostic::error("the SQL reads ${PROJECT_DIR}, a directory on this machine that no Kubernetes pod has")
                .in_file(file)
                .at(*position)
                .with_hint(
                    "read the data from Kafka or a store the cluster reaches (the compose target mounts the project)",
                ),
        );
    }
    if !is_dns_label(&stack.namespace) {
        problems.push(refuse(
            resolved,
            &at("deploy.namespace"),
            format!("`{}` is no Kubernetes namespace name", stack.namespace),
            "lower-case letters, digits and '-', starting with a letter, at most 63 characters",
        ));
    }
}
