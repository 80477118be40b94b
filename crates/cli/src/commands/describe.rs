//! `pipegen init NAME --describe "..."`: the configured model drafts the project, pipegen
//! validates each draft and sends the findings back, and only a project that validates is
//! written. Progress (round, seconds, tokens) goes to standard error while the model writes.

use std::io::{IsTerminal, Write};
use std::time::{Duration, Instant};

use pipegen_ai::{Event, GenerateError, HOW_TO_CONFIGURE, Progress, Request, configured_model, generate};
use pipegen_config::redact_url_credentials;
use pipegen_diag::Diagnostic;
use pipegen_project::scaffold::ground;

use super::dry_deploy::EmbeddedDryDeploy;
use super::init::print_created;
use crate::cli::{GlobalArgs, InitArgs};
use crate::context::load_config;
use crate::failure::{CommandResult, Failure};

pub fn run(global: &GlobalArgs, args: &InitArgs, description: &str) -> CommandResult {
    if description.trim().is_empty() {
        return Err(Failure::input(Diagnostic::error("--describe is empty").with_hint(
            "describe the pipeline, e.g. --describe \"count page views per page every minute\"",
        )));
    }
    let resolved = load_config(global, Vec::new())?;
    let model = configured_model(&resolved)
        .map_err(|d| Failure::input(*d))?
        .ok_or_else(|| {
            Failure::input(
                Diagnostic::error("--describe needs a language model, and none is configured; nothing was written")
                    .with_hint(HOW_TO_CONFIGURE),
            )
        })?;
    let grounding = ground(&args.name, args.input_schema.as_deref(), args.input_csv.as_deref())
        .map_err(|e| Failure::input(Diagnostic::from(&e)))?;
    let request = Request {
        target: &args.name,
        force: args.force,
        description,
        domain: args.domain.as_deref(),
        grounding: grounding.as_ref(),
        max_repair_rounds: resolved.config.ai.max_repair_rounds,
        keep_draft: args.keep_draft.as_deref(),
    };
    if !global.quiet {
        eprintln!("Drafting with the {}", redact_url_credentials(&model.describe()));
    }
    // The embedded engine is the default target: a draft it cannot deploy goes back too.
    let dry_deploy = EmbeddedDryDeploy::new().map_err(|e| {
        Failure::Failed(vec![Diagnostic::error(format!(
            "cannot start the embedded engine's runtime: {e}"
        ))])
    })?;
    let mut progress = ProgressLine::new(global.quiet, global.verbose > 0);
    let result = generate(model.as_ref(), &request, &[&dry_deploy], &mut |event| {
        progress.show(event)
    });
    progress.end_line();
    match result {
        Ok(generated) => {
            if global.quiet {
                return Ok(());
            }
            for warning in &generated.warnings {
                eprintln!("{warning}\n");
            }
            eprintln!(
                "The draft validated in round {} of at most {}.",
                generated.rounds,
                resolved.config.ai.max_repair_rounds.saturating_add(1)
            );
            print_created(&generated.outcome);
            Ok(())
        }
        Err(GenerateError::Init(e)) => Err(Failure::input(Diagnostic::from(&e))),
        Err(e) => Err(Failure::Failed(e.diagnostics())),
    }
}

/// One line that shows where the model is: redrawn in place on a terminal, else a line at each
/// round's end and every 15 seconds.
struct ProgressLine {
    quiet: bool,
    verbose: bool,
    terminal: bool,
    round: String,
    last_drawn: Option<Instant>,
    /// The newest progress not drawn yet (drawing is throttled): drawn when the answer ends.
    pending: Option<Progress>,
    open: bool,
}

const TERMINAL_REDRAW: Duration = Duration::from_millis(100);
const LOG_EVERY: Duration = Duration::from_secs(15);

impl ProgressLine {
    fn new(quiet: bool, verbose: bool) -> Self {
        Self {
            quiet,
            verbose,
            terminal: std::io::stderr().is_terminal(),
            round: String::new(),
            last_drawn: None,
            pending: None,
            open: false,
        }
    }

    fn show(&mut self, event: Event) {
        if self.quiet {
            return;
        }
        match event {
            Event::Asking { round, rounds } => {
                self.end_line();
                self.round = format!("round {round}/{rounds}");
                self.last_drawn = None;
                if !self.terminal {
                    eprintln!("{}: asking the model", self.round);
                }
            }
            Event::Streaming(progress) => {
                let every = if self.terminal { TERMINAL_REDRAW } else { LOG_EVERY };
                if self.last_drawn.is_some_and(|at| at.elapsed() < every) {
                    self.pending = Some(progress);
                    return;
                }
                self.draw(progress);
            }
            Event::Findings { round, findings } => {
                self.end_line();
                eprintln!(
                    "round {round}: the draft had {} problem{}{}",
                    findings.len(),
                    if findings.len() == 1 { "" } else { "s" },
                    if self.verbose { ":" } else { " (-v shows them)" }
                );
                if self.verbose {
                    for finding in &findings {
                        eprintln!("{finding}\n");
                    }
                }
            }
        }
    }

    fn draw(&mut self, progress: Progress) {
        self.last_drawn = Some(Instant::now());
        self.pending = None;
        let line = format!(
            "{}: {:.1} s, {} tokens",
            self.round,
            progress.elapsed.as_secs_f64(),
            progress.tokens
        );
        if self.terminal {
            let mut err = std::io::stderr().lock();
            let _ = write!(err, "\r\x1b[2K{line}");
            let _ = err.flush();
            self.open = true;
        } else {
            eprintln!("{line}");
        }
    }

    /// Shows where the answer ended, and ends the progress line.
    fn end_line(&mut self) {
        if let Some(progress) = self.pending.take() {
            self.draw(progress);
        }
        if self.open {
            eprintln!();
            self.open = false;
        }
    }
}
