use crate::failure::CommandResult;

pub fn run() -> CommandResult {
    println!("pipegen {}", env!("CARGO_PKG_VERSION"));
    println!("commit: {}", env!("PIPEGEN_GIT_COMMIT"));
    println!("target: {}-{}", std::env::consts::ARCH, std::env::consts::OS);
    Ok(())
}
