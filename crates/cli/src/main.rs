//! The `pipegen` binary: parses the command line, runs one command, renders its outcome.

mod cli;
mod commands;
mod context;
mod failure;

use std::process::ExitCode;

use clap::Parser;

use crate::cli::{Cli, Command};

fn main() -> ExitCode {
    let started = std::time::Instant::now();
    let cli = Cli::parse();
    init_logging(&cli.global);
    let outcome = match cli.command {
        Command::Init(args) => commands::init::run(&cli.global, args),
        Command::Validate(args) => commands::validate::run(&cli.global, args),
        Command::Run(args) => commands::run::run(&cli.global, *args, started),
        Command::Config(command) => commands::config::run(&cli.global, command),
        Command::Version => commands::version::run(),
        Command::Completions { shell } => commands::completions::run(shell),
        Command::Bench(args) => commands::bench::bench(&cli.global, &args, started),
        Command::Sql(args) => commands::sql::run(&cli.global, args),
        Command::Check(args) => commands::check::run(&cli.global, args),
        Command::Dashboard(args) => commands::dashboard::run(&cli.global, args),
        Command::Deploy(args) => commands::deploy::deploy(&cli.global, &args),
        Command::Clean => commands::deploy::clean(&cli.global),
    };
    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        Err(failure) => {
            failure.report();
            failure.exit_code()
        }
    }
}

fn init_logging(global: &cli::GlobalArgs) {
    let level = match (global.quiet, global.verbose) {
        (true, _) => tracing::Level::ERROR,
        (false, 0) => tracing::Level::WARN,
        (false, 1) => tracing::Level::INFO,
        (false, _) => tracing::Level::DEBUG,
    };
    tracing_subscriber::fmt()
        .with_max_level(level)
        .with_writer(std::io::stderr)
        .with_target(false)
        .without_time()
        .init();
}
