//! `pipegen dashboard`: follows the run going on in the project (its frames as the run writes
//! them to the reports dir), or with `--standalone` replays a finished run from its JSON
//! result; serves until Ctrl-C. A run can also serve its own with `pipegen run --dashboard`.

use std::path::{Path, PathBuf};

use pipegen_config::{FlagValue, KeyPath};
use pipegen_diag::{Diagnostic, input};
use pipegen_observe::{
    Dashboard, DashboardOptions, Finished, LiveFrame, LiveLine, LiveReader, PhaseBand, View, newest_live_file,
};

use crate::cli::{DashboardArgs, GlobalArgs};
use crate::context::load_config;
use crate::failure::{CommandResult, Failure};

pub fn run(global: &GlobalArgs, args: DashboardArgs) -> CommandResult {
    let follow = !args.standalone && args.result.is_none();
    let mut flags = Vec::new();
    if let Some(port) = args.port {
        flags.push(FlagValue::new("dashboard.port", port, "--port"));
    }
    if !args.metrics.is_empty() {
        flags.push(FlagValue::new("dashboard.metrics", args.metrics.clone(), "--metrics"));
    }
    let resolved = load_config(global, flags)?;
    let config = &resolved.config;
    let views = View::parse_list(&config.dashboard.metrics).map_err(|e| {
        Failure::input(Diagnostic::error(e.to_string()).with_hint(format!(
            "set by {}",
            resolved.origin(&KeyPath::parse("dashboard.metrics"))
        )))
    })?;
    let reports_dir = global.project_dir.join(&config.run.reports_dir);
    if follow {
        let live = newest_live_file(&reports_dir).ok_or_else(|| {
            Failure::input(
                Diagnostic::error(format!("no run is going in {}", global.project_dir.display())).with_hint(
                    "start `pipegen run` in this project (another terminal), then `pipegen dashboard`; \
                     or replay a finished run with `pipegen dashboard --standalone [--result FILE.json]`",
                ),
            )
        })?;
        return follow_run(&live, &config.dashboard, views);
    }
    let path = match args.result {
        Some(path) => path,
        None => newest_result(&reports_dir)?,
    };
    let replay = Replay::read(&path)?;
    let options = DashboardOptions {
        bind_address: config.dashboard.bind_address.clone(),
        port: config.dashboard.port,
        views,
        title: format!("pipegen run {} (replay)", replay.run_id),
        planned_s: replay.planned_s,
        phases: replay.phases,
    };
    runtime()?.block_on(async move {
        let dashboard = Dashboard::replay(options, replay.frames, replay.result, replay.finished)
            .await
            .map_err(|e| Failure::input(Diagnostic::error(e.to_string()).with_hint(e.hint())))?;
        println!("dashboard: {} (replaying {})", dashboard.url(), path.display());
        println!("press Ctrl-C to stop");
        let _ = tokio::signal::ctrl_c().await;
        dashboard.stop().await;
        Ok(())
    })
}

fn runtime() -> Result<tokio::runtime::Runtime, Failure> {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(|e| Failure::Failed(vec![Diagnostic::error(format!("cannot start the runtime: {e}"))]))
}

/// Serves a dashboard of the run writing `live`, frame by frame as they come; once the run
/// finishes, its result, until Ctrl-C.
fn follow_run(live: &Path, dashboard: &pipegen_config::DashboardConfig, views: Vec<View>) -> CommandResult {
    let unreadable = |e: String| {
        Failure::Failed(vec![
            Diagnostic::error(format!("cannot follow the run: {e}")).in_file(live.display().to_string()),
        ])
    };
    let mut reader = LiveReader::open(live).map_err(|e| unreadable(e.to_string()))?;
    let Some(LiveLine::Start {
        run_id,
        planned_s,
        phases,
        ..
    }) = reader.next_line().map_err(unreadable)?
    else {
        return Err(unreadable("the run's live file does not start as one".into()));
    };
    let options = DashboardOptions {
        bind_address: dashboard.bind_address.clone(),
        port: dashboard.port,
        views,
        title: format!("pipegen run {run_id}"),
        planned_s,
        phases,
    };
    runtime()?.block_on(async move {
        let dashboard = Dashboard::start(options)
            .await
            .map_err(|e| Failure::input(Diagnostic::error(e.to_string()).with_hint(e.hint())))?;
        println!("dashboard: {} (following run {run_id})", dashboard.url());
        println!("press Ctrl-C to stop");
        let mut tick = tokio::time::interval(std::time::Duration::from_millis(200));
        let mut finished = false;
        loop {
            tokio::select! {
                _ = tokio::signal::ctrl_c() => break,
                _ = tick.tick(), if !finished => {
                    while let Some(line) = reader.next_line().map_err(unreadable)? {
                        match line {
                            LiveLine::Frame { frame } => dashboard.push(&frame),
                            LiveLine::Finished { status, error, result } => {
                                let result = result
                                    .and_then(|path| input::read_text(&path, input::RESULT).ok())
                                    .and_then(|text| serde_json::from_str(&text).ok())
                                    .unwrap_or(serde_json::Value::Null);
                                println!("run {run_id} {status}");
                                dashboard.finish(result, Finished { status, error });
                                finished = true;
                                break;
                            }
                            LiveLine::Start { .. } => {}
                        }
                    }
                }
            }
        }
        dashboard.stop().await;
        Ok(())
    })
}

/// The newest `pipegen-execution-report-*.json` in the reports dir.
fn newest_result(dir: &Path) -> Result<PathBuf, Failure> {
    let none = || {
        Failure::input(
            Diagnostic::error(format!("no run result in {}", dir.display()))
                .with_hint("run `pipegen run` first, or name a result with --result FILE.json"),
        )
    };
    let entries = std::fs::read_dir(dir).map_err(|_| none())?;
    entries
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| {
            p.extension().is_some_and(|e| e == "json")
                && p.file_name()
                    .and_then(|n| n.to_str())
                    .is_some_and(|n| n.starts_with("pipegen-execution-report-"))
        })
        .max_by_key(|p| std::fs::metadata(p).and_then(|m| m.modified()).ok())
        .ok_or_else(none)
}

/// What the dashboard needs from a JSON result.
struct Replay {
    run_id: String,
    planned_s: u64,
    phases: Vec<PhaseBand>,
    frames: Vec<LiveFrame>,
    finished: Finished,
    result: serde_json::Value,
}

impl Replay {
    fn read(path: &Path) -> Result<Self, Failure> {
        let bad = |message: String| {
            Failure::input(
                Diagnostic::error(message)
                    .in_file(path.display().to_string())
                    .with_hint("pass a JSON result written by `pipegen run` (pipegen-execution-report-*.json)"),
            )
        };
        let text = input::read_text(path, input::RESULT).map_err(|e| Failure::input(&e))?;
        let result: serde_json::Value = serde_json::from_str(&text).map_err(|e| bad(format!("not JSON: {e}")))?;
        let frames: Vec<LiveFrame> = match result.get("frames") {
            Some(frames) => {
                serde_json::from_value(frames.clone()).map_err(|e| bad(format!("its frames do not read: {e}")))?
            }
            None => return Err(bad("the result has no per-second frames to replay".into())),
        };
        let phases: Vec<PhaseBand> = result
            .pointer("/rate_plan/bands")
            .and_then(|b| serde_json::from_value(b.clone()).ok())
            .unwrap_or_default();
        let planned_s = frames.first().map_or_else(
            || {
                result
                    .pointer("/rate_plan/phases")
                    .and_then(|p| p.as_array())
                    .and_then(|p| p.last())
                    .and_then(|p| p["end_s"].as_f64())
                    .unwrap_or(0.0) as u64
            },
            |f| f.planned_s,
        );
        let text_of = |key: &str| result.get(key).and_then(|v| v.as_str()).map(str::to_string);
        Ok(Self {
            run_id: text_of("run_id").unwrap_or_else(|| "(unnamed)".into()),
            planned_s,
            phases,
            frames,
            finished: Finished {
                status: text_of("status").unwrap_or_else(|| "unknown".into()),
                error: text_of("error"),
            },
            result,
        })
    }
}
