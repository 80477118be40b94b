//! `pipegen run`. The run itself comes with the load generator and the embedded stack; what
//! exists now is the part that needs neither: the effective settings and the backends chosen.

use pipegen_config::{Config, Engine, FlagValue, KeyPath};
use pipegen_diag::Diagnostic;
use pipegen_loadgen::plan::RatePlan;

use crate::cli::{EngineArg, GlobalArgs, RunArgs};
use crate::context::load_config;
use crate::failure::{CommandResult, Failure};

pub fn run(global: &GlobalArgs, args: RunArgs) -> CommandResult {
    let resolved = load_config(global, flags(&args))?;
    let run = &resolved.config.run;
    let plan = RatePlan::new(
        run.message_rate,
        run.duration.as_std(),
        run.messages,
        run.traffic_pattern.as_deref(),
    )
    .map_err(|e| {
        Failure::input(
            Diagnostic::error(format!("traffic pattern: {}", e.message)).with_hint(format!(
                "{} (set by {})",
                e.hint,
                resolved.origin(&KeyPath::parse("run.traffic_pattern"))
            )),
        )
    })?;
    if !args.dry_run {
        return Err(Failure::NotYet {
            command: "run",
            reason: "the load generator and the embedded stack are not built yet; `pipegen run --dry-run` shows the settings a run would use",
        });
    }
    print_backends(&resolved.config);
    println!("Run settings:");
    println!("  message rate:     {} msg/s", run.message_rate);
    println!("  duration:         {}", run.duration);
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
    Ok(())
}

fn print_backends(config: &Config) {
    println!("Backends:");
    match &config.bootstrap_servers {
        Some(servers) => println!("  log:             kafka ({servers})"),
        None => println!("  log:             embedded (in-process topics)"),
    }
    match config.engine {
        Engine::Embedded => println!("  engine:          embedded (streaming SQL on DataFusion)"),
        Engine::Flink => println!(
            "  engine:          flink ({})",
            config
                .sql_gateway_url
                .as_deref()
                .or(config.flink_url.as_deref())
                .unwrap_or("no URL configured")
        ),
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
