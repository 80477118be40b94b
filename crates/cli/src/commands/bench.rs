//! `pipegen bench`: the benchmark scenarios planned (all of them before any runs), run one
//! after the other, and compared in a table, a JSON result and an HTML summary. Exit 0 when
//! every scenario ran and met its latency target.

use pipegen_diag::Diagnostic;
use pipegen_run::Interruption;
use pipegen_run::bench::{BenchRequest, BenchResult, BenchStatus, ScenarioRun, Verdict, plan_scenarios};

use crate::cli::{BenchArgs, GlobalArgs};
use crate::commands::run::{print_backends, progress_style, run_failure, runnable_project};
use crate::commands::serde_name;
use crate::context::load_config;
use crate::failure::{CommandResult, Failure};

pub fn bench(global: &GlobalArgs, args: &BenchArgs, started: std::time::Instant) -> CommandResult {
    if args.find_max {
        return crate::commands::find_max::find_max(global, args, started);
    }
    let resolved = load_config(global, Vec::new())?;
    let scenarios = plan_scenarios(&resolved, args.scenario.as_deref()).map_err(Failure::Input)?;
    if args.dry_run {
        print_backends(&resolved.config);
        for (index, scenario) in scenarios.iter().enumerate() {
            println!("\nScenario {}/{}: {}", index + 1, scenarios.len(), describe(scenario));
            println!("{}", scenario.plan);
            print_unreached(scenario);
        }
        return Ok(());
    }
    let project = runnable_project(global)?;
    let quiet = global.quiet;
    let interruption = Interruption::listen();
    let outcome = pipegen_run::bench::bench(
        BenchRequest {
            project: &project,
            scenarios,
            progress: progress_style(global),
            version: crate::commands::version::describe(),
            process_started: started,
            interruption: interruption.clone(),
        },
        |scenario, index, count| {
            if !quiet {
                eprintln!("\nscenario {}/{count}: {}", index + 1, describe(scenario));
            }
            print_unreached(scenario);
        },
    )
    .map_err(run_failure)?;
    let result = &outcome.result;
    if !quiet {
        print_table(result);
    }
    println!("report: {}", outcome.html_path.display());
    println!("result: {}", outcome.json_path.display());
    match result.status {
        BenchStatus::Passed => Ok(()),
        BenchStatus::Failed | BenchStatus::Interrupted => {
            let missed: Vec<&str> = result
                .scenarios
                .iter()
                .filter(|s| s.verdict != Verdict::Passed)
                .map(|s| s.name.as_str())
                .collect();
            let diagnostics = vec![
                Diagnostic::error(format!(
                    "the benchmark {}: {} of {} scenarios did not pass ({})",
                    if result.status == BenchStatus::Interrupted {
                        "was interrupted"
                    } else {
                        "failed"
                    },
                    missed.len(),
                    result.scenarios.len(),
                    missed.join(", ")
                ))
                .with_hint("each scenario's run report says why; the summary compares them"),
            ];
            match interruption.signal() {
                Some(signal) if result.status == BenchStatus::Interrupted => {
                    Err(Failure::Interrupted(diagnostics, signal.exit_code()))
                }
                _ => Err(Failure::Failed(diagnostics)),
            }
        }
    }
}

/// `low_latency: 1000000 messages at 1000 msg/s over 16m40s, p99 target 10ms`.
fn describe(scenario: &ScenarioRun) -> String {
    let plan = &scenario.plan;
    let mut text = format!("{}: ", scenario.name);
    if let Some(messages) = plan.messages {
        text.push_str(&format!("{messages} messages at "));
    }
    text.push_str(&format!(
        "{} msg/s over {}",
        plan.base,
        pipegen_config::Duration(plan.duration)
    ));
    if let Some(pattern) = &scenario.config.config.run.traffic_pattern {
        text.push_str(&format!(", pattern {pattern}"));
    }
    if let Some(target) = scenario.latency_target {
        text.push_str(&format!(", p99 target {}", pipegen_config::Duration(target)));
    }
    text
}

fn print_unreached(scenario: &ScenarioRun) {
    for phase in &scenario.unreached {
        eprintln!(
            "note: scenario `{}` sends its messages by {}; its pattern's `{}` phase from {} is not reached",
            scenario.name,
            pipegen_config::Duration(scenario.plan.duration),
            phase.origin,
            pipegen_config::Duration(phase.start)
        );
    }
}

fn print_table(result: &BenchResult) {
    let ms = |v: Option<f64>| v.map_or("n/a".to_owned(), |v| format!("{v:.3}"));
    let n = |v: Option<u64>| v.map_or("n/a".to_owned(), |v| v.to_string());
    println!("\nbenchmark {}: {}", result.bench_id, serde_name(result.status));
    println!(
        "  {:<20} {:<14} {:>10} {:>10} {:>12} {:>12} {:>12} {:>12}",
        "scenario", "verdict", "sent", "acked", "achieved/s", "p99 (ms)", "target (ms)", "judged on"
    );
    for s in &result.scenarios {
        println!(
            "  {:<20} {:<14} {:>10} {:>10} {:>12} {:>12} {:>12} {:>12}",
            s.name,
            serde_name(s.verdict),
            n(s.sent),
            n(s.acked),
            s.achieved_rate.map_or("n/a".to_owned(), |r| format!("{r:.1}")),
            ms(s.judged_p99_ms),
            ms(s.latency_target_ms),
            s.judged_on.as_deref().unwrap_or("n/a"),
        );
        if let Some(reason) = &s.reason {
            println!("  {:<20} {reason}", "");
        }
    }
}
