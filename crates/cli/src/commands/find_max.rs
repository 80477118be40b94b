//! `pipegen bench --find-max`: the search for the highest rate the pipeline sustains, each
//! step printed as it is judged, then the verdict and the reports' paths.

use pipegen_config::FlagValue;
use pipegen_diag::Diagnostic;
use pipegen_run::Interruption;
use pipegen_run::bench::find_max::{FindMaxRequest, FindMaxResult, SearchStatus, StepEvent};

use crate::cli::{BenchArgs, GlobalArgs};
use crate::commands::run::{print_backends, progress_style, run_failure, runnable_project};
use crate::commands::serde_name;
use crate::context::load_config;
use crate::failure::{CommandResult, Failure};

fn flags(args: &BenchArgs) -> Vec<FlagValue> {
    let mut flags = Vec::new();
    for (value, key, flag) in [
        (&args.start_rate, "benchmark.find_max.start_rate", "--start-rate"),
        (&args.max_rate, "benchmark.find_max.max_rate", "--max-rate"),
        (
            &args.step_duration,
            "benchmark.find_max.step_duration",
            "--step-duration",
        ),
        (&args.warmup, "benchmark.find_max.warmup", "--warmup"),
    ] {
        if let Some(value) = value {
            flags.push(FlagValue::new(key, value.as_str(), flag));
        }
    }
    flags
}

pub fn find_max(global: &GlobalArgs, args: &BenchArgs, started: std::time::Instant) -> CommandResult {
    let resolved = load_config(global, flags(args))?;
    let settings = &resolved.config.benchmark.find_max;
    if args.dry_run {
        print_backends(&resolved.config);
        println!(
            "\nfind-max: steps of {} (the first {} not judged) from {} msg/s, ramped x{} up to {} msg/s, bisected to within {}, the highest held rate confirmed by {} more step(s)",
            settings.step_duration,
            settings.warmup,
            settings.start_rate,
            settings.ramp_factor,
            settings.max_rate,
            settings.precision,
            settings.confirmations
        );
        return Ok(());
    }
    let project = runnable_project(global)?;
    let quiet = global.quiet;
    let interruption = Interruption::listen();
    let outcome = pipegen_run::bench::find_max::find_max(
        FindMaxRequest {
            project: &project,
            config: &resolved,
            progress: progress_style(global),
            version: crate::commands::version::describe(),
            process_started: started,
            interruption: interruption.clone(),
        },
        |event| {
            if quiet {
                return;
            }
            match event {
                StepEvent::Starting {
                    index,
                    rate,
                    confirming,
                } => eprintln!(
                    "\nstep {}: {rate} msg/s{}",
                    index + 1,
                    if confirming { " (confirming)" } else { "" }
                ),
                StepEvent::Judged(step) => {
                    let j = &step.judgement;
                    let ms = |v: Option<f64>| v.map_or("n/a".to_owned(), |v| format!("{v:.1} ms"));
                    eprintln!(
                        "step at {} msg/s {}: achieved {} msg/s, publish delay p99 {}, end-to-end p99 {}",
                        step.rate,
                        if j.held { "held" } else { "broke" },
                        j.achieved_rate.map_or("n/a".to_owned(), |r| format!("{r:.0}")),
                        ms(j.publish_delay_p99_ms),
                        ms(j.end_to_end_p99_ms),
                    );
                    for broken in &j.broken {
                        eprintln!("  {}: {}", serde_name(broken.side), broken.detail);
                    }
                }
            }
        },
    )
    .map_err(run_failure)?;
    let result = &outcome.result;
    print_verdict(result);
    println!("report: {}", outcome.html_path.display());
    println!("result: {}", outcome.json_path.display());
    let failure = |message: String, hint: &str| vec![Diagnostic::error(message).with_hint(hint)];
    match result.status {
        SearchStatus::Found | SearchStatus::ReachedMaxRate => Ok(()),
        SearchStatus::Interrupted => {
            let diagnostics = failure(
                "the search was interrupted".into(),
                "the steps that ran are in the result; run it again to finish",
            );
            match interruption.signal() {
                Some(signal) => Err(Failure::Interrupted(diagnostics, signal.exit_code())),
                None => Err(Failure::Failed(diagnostics)),
            }
        }
        SearchStatus::NothingHeld => Err(Failure::Failed(failure(
            "no step held, down to 1 msg/s".into(),
            "each step's report says which criterion broke; check the criteria in benchmark.find_max",
        ))),
        SearchStatus::Unfinished => Err(Failure::Failed(failure(
            "the search ran out of steps before it bracketed the limit".into(),
            "raise benchmark.find_max.precision or start_rate closer to the limit",
        ))),
        SearchStatus::Failed => Err(Failure::Failed(failure(
            format!(
                "the search stopped: {}",
                result.error.as_deref().unwrap_or("a step failed")
            ),
            "the failed step's report says why",
        ))),
    }
}

fn print_verdict(result: &FindMaxResult) {
    let rate = |r: Option<f64>| r.map_or("n/a".to_owned(), |r| format!("{r:.0} msg/s"));
    println!(
        "\nfind-max {}: {} (engine {}, log {})",
        result.search_id,
        serde_name(result.status),
        result.engine,
        result.log
    );
    println!("  highest sustained rate: {}", rate(result.max_sustained_rate));
    println!(
        "  lowest broken rate:     {}{}",
        rate(result.lowest_broken_rate),
        result.broke_on.map_or(String::new(), |side| format!(
            " ({} fell behind first)",
            serde_name(side)
        ))
    );
    for first in &result.first_broken {
        println!(
            "  {} first broke at {:.0} msg/s ({}): {}",
            serde_name(first.criterion),
            first.rate,
            serde_name(first.side),
            first.detail
        );
    }
    for vertex in &result.strained_vertices {
        let share = |v: Option<f64>| v.map_or("n/a".to_owned(), |v| format!("{:.0}%", v * 100.0));
        println!(
            "  strained: {} / {}: busy {}, back-pressured {}",
            vertex.job,
            vertex.vertex,
            share(vertex.busy),
            share(vertex.backpressure)
        );
    }
}
