//! `pipegen run`: the plan with `--dry-run`; otherwise the run itself (see the run crate), then
//! a summary and where the reports are.

use std::io::IsTerminal;

use pipegen_config::{Config, Engine, FlagValue, KeyPath, Rate};
use pipegen_diag::{Diagnostic, Severity};
use pipegen_loadgen::plan::RatePlan;
use pipegen_project::Project;
use pipegen_run::result::{RunResult, Status};
use pipegen_run::{DashboardRequest, Interruption, ProgressStyle, RunError, RunRequest, View};

use crate::cli::{EngineArg, GlobalArgs, RunArgs};
use crate::context::load_config;
use crate::failure::{CommandResult, Failure};

pub fn run(global: &GlobalArgs, args: RunArgs, started: std::time::Instant) -> CommandResult {
    let resolved = load_config(global, flags(&args))?;
    let run = &resolved.config.run;
    let strength = |key: &str| resolved.origin(&KeyPath::parse(key)).source.strength();
    let plan = match run.messages {
        // A message count set more strongly than the duration (`--messages N` over the
        // project's `duration: 30s`) is what the user asked for: the run lasts until the N are
        // sent. Set together, the two are a cap: whichever comes first. At rate `max` the
        // duration stays the limit: nothing else says how long sending them may take.
        Some(messages)
            if strength("run.messages") > strength("run.duration") && run.message_rate != Rate::Max =>
        {
            RatePlan::until_messages(run.message_rate, messages, run.traffic_pattern.as_deref()).map(
                |(plan, unreached)| {
                    for phase in unreached {
                        eprintln!(
                            "note: the {messages} messages are sent by {}; the traffic pattern's `{}` phase from {} is not reached",
                            pipegen_config::Duration(plan.duration),
                            phase.origin,
                            pipegen_config::Duration(phase.start)
                        );
                    }
                    plan
                },
            )
        }
        _ => RatePlan::new(
            run.message_rate,
            run.duration.as_std(),
            run.messages,
            run.traffic_pattern.as_deref(),
        ),
    }
    .map_err(|e| {
        Failure::input(
            Diagnostic::error(format!("traffic pattern: {}", e.message)).with_hint(format!(
                "{} (set by {})",
                e.hint,
                resolved.origin(&KeyPath::parse("run.traffic_pattern"))
            )),
        )
    })?;
    if args.dry_run {
        print_plan(global, &resolved, &plan);
        return Ok(());
    }
    let dashboard = if args.dashboard {
        let views = View::parse_list(&resolved.config.dashboard.metrics).map_err(|e| {
            Failure::input(Diagnostic::error(format!("dashboard.metrics: {e}")).with_hint(format!(
                "set by {}",
                resolved.origin(&KeyPath::parse("dashboard.metrics"))
            )))
        })?;
        Some(DashboardRequest { views })
    } else {
        None
    };
    execute(global, &resolved, plan, dashboard, started)
}

/// The project, refused when validation finds an error: nothing may start for it.
pub(crate) fn runnable_project(global: &GlobalArgs) -> Result<Project, Failure> {
    let project = Project::load(&global.project_dir).map_err(Failure::Input)?;
    let errors: Vec<Diagnostic> = pipegen_project::validate::check(&project)
        .into_iter()
        .filter(|d| d.severity == Severity::Error)
        .collect();
    if errors.is_empty() {
        Ok(project)
    } else {
        Err(Failure::Input(errors))
    }
}

pub(crate) fn progress_style(global: &GlobalArgs) -> ProgressStyle {
    if global.quiet {
        ProgressStyle::Quiet
    } else if std::io::stderr().is_terminal() {
        ProgressStyle::Terminal
    } else {
        ProgressStyle::Plain
    }
}

/// A run that could not start, as the user sees it.
pub(crate) fn run_failure(error: RunError) -> Failure {
    match error {
        RunError::Input(diagnostics) => Failure::Input(diagnostics),
        RunError::NotAvailable(reason) => Failure::input(
            Diagnostic::error(reason).with_hint("`pipegen run --dry-run` shows the backends a run would use"),
        ),
        RunError::Unavailable(message) => Failure::Failed(vec![Diagnostic::error(message).with_hint(
            "check that the service is up and reachable from here; `pipegen validate --check-connectivity` probes each one",
        )]),
        RunError::Io(message) => Failure::Failed(vec![Diagnostic::error(message)]),
    }
}

fn execute(
    global: &GlobalArgs,
    resolved: &pipegen_config::ResolvedConfig,
    plan: RatePlan,
    dashboard: Option<DashboardRequest>,
    started: std::time::Instant,
) -> CommandResult {
    let project = runnable_project(global)?;
    let interruption = Interruption::listen();
    let outcome = pipegen_run::run(RunRequest {
        project: &project,
        config: resolved,
        plan,
        progress: progress_style(global),
        version: crate::commands::version::describe(),
        process_started: started,
        dashboard,
        interruption: interruption.clone(),
        step: None,
    })
    .map_err(run_failure)?;
    let result = &outcome.result;
    if !global.quiet {
        print_summary(result);
    }
    println!("report: {}", outcome.html_path.display());
    println!("result: {}", outcome.json_path.display());
    let why = || result.error.as_deref().unwrap_or("see the report");
    match (result.status, interruption.signal()) {
        (Status::Succeeded, _) => Ok(()),
        (Status::Interrupted, Some(signal)) => Err(Failure::Interrupted(
            vec![Diagnostic::error(format!("the run was interrupted: {}", why()))],
            signal.exit_code(),
        )),
        (Status::Failed | Status::Interrupted, _) => Err(Failure::Failed(vec![Diagnostic::error(format!(
            "the run failed: {}",
            why()
        ))])),
    }
}

fn print_summary(result: &RunResult) {
    let p = &result.producer;
    let rate = |r: Option<f64>| r.map_or("n/a".to_string(), |r| format!("{r:.1}"));
    let planned = p.planned.map_or("unbounded".into(), |n| n.to_string());
    let produced = if p.following > 0 {
        format!(
            "{}: {} of {planned} planned, {} following other streams' records",
            p.sent,
            p.sent.saturating_sub(p.following),
            p.following
        )
    } else {
        format!("{} of {planned} planned", p.sent)
    };
    println!(
        "\nrun {}: {}\n  produced {produced} (acked {}, failed {}), {} msg/s achieved of {} target",
        result.run_id,
        crate::commands::serde_name(result.status),
        p.acked,
        p.failed,
        rate(p.achieved_rate),
        rate(p.target_rate)
    );
    println!("  consumed {} result records", result.consumer.consumed);
    let ms = |v: Option<f64>| v.map_or("n/a".to_string(), |v| format!("{v:.3}"));
    println!("  latency (ms)      p50        p90        p99      p99.9        max");
    for (name, l) in [
        ("publish   ", &result.latency_ms.publish),
        ("delay     ", &result.latency_ms.publish_delay),
        ("end to end", &result.latency_ms.end_to_end),
    ] {
        println!(
            "  {name} {:>10} {:>10} {:>10} {:>10} {:>10}",
            ms(l.p50),
            ms(l.p90),
            ms(l.p99),
            ms(l.p999),
            ms(l.max)
        );
    }
    println!("  end to end: {}", result.latency_ms.end_to_end_definition);
    for job in &result.jobs {
        let n = |v: Option<u64>| v.map_or("n/a".to_owned(), |v| v.to_string());
        println!(
            "  job {} ({}): {}: {} rows out, {} late rows dropped, {} windows still open",
            job.id,
            job.name,
            job.status,
            n(job.records_out),
            n(job.late_records_dropped),
            n(job.open_windows)
        );
    }
}

fn print_plan(global: &GlobalArgs, resolved: &pipegen_config::ResolvedConfig, plan: &RatePlan) {
    let run = &resolved.config.run;
    print_backends(&resolved.config);
    println!("Run settings:");
    println!("  message rate:     {} msg/s", run.message_rate);
    let duration = pipegen_config::Duration(plan.duration);
    if duration == run.duration {
        println!("  duration:         {duration}");
    } else {
        println!("  duration:         {duration} (until the messages are sent)");
    }
    println!(
        "  messages:         {}",
        run.messages
            .map_or("unbounded (until the duration ends)".into(), |n| n.to_string())
    );
    println!(
        "  traffic pattern:  {}",
        run.traffic_pattern.as_deref().unwrap_or("none (constant rate)")
    );
    println!("  pipeline timeout: {}", run.pipeline_timeout);
    println!(
        "  reports dir:      {}",
        global.project_dir.join(&run.reports_dir).display()
    );
    println!("  cleanup:          {}", run.cleanup);
    println!("\nRate plan:\n{plan}");
}

pub(crate) fn print_backends(config: &Config) {
    println!("Backends:");
    match &config.bootstrap_servers {
        Some(servers) => println!("  log:             kafka ({servers})"),
        None => println!("  log:             embedded (in-process topics)"),
    }
    match config.engine {
        Engine::Embedded => println!("  engine:          embedded (streaming SQL on DataFusion)"),
        Engine::Flink => {
            let rest = config.flink_url.as_deref();
            let gateway = config
                .sql_gateway_url
                .clone()
                .or_else(|| rest.map(pipegen_flink::default_gateway_url));
            println!(
                "  engine:          flink (REST API {}, SQL Gateway {})",
                rest.unwrap_or("not configured: set flink_url"),
                gateway.as_deref().unwrap_or("not configured")
            );
        }
    }
    match &config.schema_registry_url {
        Some(url) => println!("  schema registry: http ({url})"),
        None => println!("  schema registry: embedded"),
    }
}

/// The run flags as the strongest config layer.
fn flags(args: &RunArgs) -> Vec<FlagValue> {
    let mut flags = Vec::new();
    let mut push = |key: &str, value: serde_json::Value, flag: &str| flags.push(FlagValue::new(key, value, flag));
    if let Some(rate) = &args.message_rate {
        push("run.message_rate", rate.as_str().into(), "--message-rate");
    }
    if let Some(n) = args.messages {
        push("run.messages", n.into(), "--messages");
    }
    if let Some(d) = &args.duration {
        push("run.duration", d.as_str().into(), "--duration");
    }
    if let Some(p) = &args.traffic_pattern {
        push("run.traffic_pattern", p.as_str().into(), "--traffic-pattern");
    }
    if let Some(n) = args.expected_messages {
        push("run.expected_messages", n.into(), "--expected-messages");
    }
    if let Some(d) = &args.pipeline_timeout {
        push("run.pipeline_timeout", d.as_str().into(), "--pipeline-timeout");
    }
    if let Some(c) = args.cleanup {
        push("run.cleanup", c.into(), "--cleanup");
    }
    if let Some(port) = args.dashboard_port {
        push("dashboard.port", port.into(), "--dashboard-port");
    }
    if let Some(dir) = &args.reports_dir {
        push("run.reports_dir", dir.display().to_string().into(), "--reports-dir");
    }
    if let Some(seed) = args.seed {
        push("run.seed", seed.into(), "--seed");
    }
    if let Some(engine) = args.engine {
        let name = match engine {
            EngineArg::Embedded => Engine::Embedded,
            EngineArg::Flink => Engine::Flink,
        };
        push("engine", name.as_str().into(), "--engine");
    }
    flags
}
