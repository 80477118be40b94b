use pipegen_diag::Diagnostic;
use pipegen_project::scaffold::{InitOptions, InitOutcome, Template, init};

use crate::cli::{GlobalArgs, InitArgs};
use crate::failure::{CommandResult, Failure};

pub fn run(global: &GlobalArgs, args: InitArgs) -> CommandResult {
    if let Some(description) = &args.describe {
        return super::describe::run(global, &args, description);
    }
    let options = InitOptions {
        target: args.name.clone(),
        input_schema: args.input_schema,
        input_csv: args.input_csv,
        template: Template::parse(&args.template).unwrap_or_default(),
        force: args.force,
    };
    let outcome = init(&options).map_err(|e| Failure::input(Diagnostic::from(&e)))?;
    if !global.quiet {
        print_created(&outcome);
    }
    Ok(())
}

/// The notes, the files written and what to do next.
pub fn print_created(outcome: &InitOutcome) {
    for note in &outcome.notes {
        eprintln!("note: {note}");
    }
    println!("Created project {}:", outcome.root.display());
    for file in &outcome.files {
        println!("  {}", file.display());
    }
    println!(
        "\nNext:\n  cd {}\n  pipegen validate\n  pipegen run --dry-run",
        outcome.root.display()
    );
}
