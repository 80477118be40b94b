//! `pipegen check`: the health of each configured part, once or refreshed (`--watch`), as text
//! or JSON; exit 1 when a part is unhealthy.

use std::io::{IsTerminal, Write};

use pipegen_diag::Diagnostic;
use pipegen_health::check::{Report, Targets, check, model_health};

use crate::cli::{CheckArgs, GlobalArgs};
use crate::context::load_config;
use crate::failure::{CommandResult, Failure};

pub fn run(global: &GlobalArgs, args: CheckArgs) -> CommandResult {
    let interval: pipegen_config::Duration = args
        .interval
        .parse()
        .map_err(|e| Failure::input(Diagnostic::error(format!("--interval: {e}")).with_hint("e.g. --interval 10s")))?;
    if interval.as_std().is_zero() {
        return Err(Failure::input(
            Diagnostic::error("--interval must be longer than 0s").with_hint("e.g. --interval 10s"),
        ));
    }
    let resolved = load_config(global, Vec::new())?;
    let config = &resolved.config;
    let targets = Targets::from_config(config).with_deployment_of(&global.project_dir);
    // The model `init --describe` would use, when one is configured.
    let model = pipegen_ai::configured_model(&resolved).map_err(|d| Failure::input(*d))?;
    let timeout = config.kafka.timeout.as_std();
    let verbose = global.verbose > 0;
    let terminal = std::io::stdout().is_terminal();
    loop {
        let mut report = check(&targets, timeout, verbose);
        if let Some(model) = &model {
            report.parts.push(model_health(model.as_ref()));
        }
        let mut out = std::io::stdout().lock();
        if args.json {
            // One JSON document per line, one line per refresh.
            let _ = writeln!(out, "{}", report.to_json());
        } else {
            if args.watch {
                if terminal {
                    // Clear the screen and start at its top: the report refreshes in place.
                    let _ = write!(out, "\x1b[2J\x1b[H");
                }
                let _ = writeln!(
                    out,
                    "pipegen check at {} (every {interval}; Ctrl-C stops)",
                    chrono::Local::now().format("%H:%M:%S")
                );
            }
            let _ = write!(out, "{}", report.to_text());
        }
        let _ = out.flush();
        drop(out);
        if !args.watch {
            return outcome(&report);
        }
        std::thread::sleep(interval.as_std());
    }
}

fn outcome(report: &Report) -> CommandResult {
    let failed: Vec<&str> = report.parts.iter().filter(|p| !p.healthy).map(|p| p.part).collect();
    if failed.is_empty() {
        return Ok(());
    }
    Err(Failure::Failed(vec![
        Diagnostic::error(format!(
            "{} of {} parts unhealthy: {}",
            failed.len(),
            report.parts.len(),
            failed.join(", ")
        ))
        .with_hint("check the addresses in .pipegen.yaml (or the flags) and that each service is running"),
    ]))
}
