use clap::CommandFactory;

use crate::cli::Cli;
use crate::failure::CommandResult;

pub fn run(shell: clap_complete::Shell) -> CommandResult {
    clap_complete::generate(shell, &mut Cli::command(), "pipegen", &mut std::io::stdout());
    Ok(())
}
