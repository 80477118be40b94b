use crate::cli::{ConfigCommand, GlobalArgs};
use crate::context::load_config;
use crate::failure::CommandResult;

pub fn run(global: &GlobalArgs, command: ConfigCommand) -> CommandResult {
    match command {
        ConfigCommand::Show => {
            let resolved = load_config(global, Vec::new())?;
            print!("{}", resolved.render_with_origins());
            Ok(())
        }
    }
}
