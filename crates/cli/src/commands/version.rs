use crate::failure::CommandResult;

/// `0.1.0 (commit abc1234)`: what reports record as the pipegen version.
pub fn describe() -> String {
    format!("{} (commit {})", env!("CARGO_PKG_VERSION"), env!("PIPEGEN_GIT_COMMIT"))
}

pub fn run() -> CommandResult {
    println!("pipegen {}", env!("CARGO_PKG_VERSION"));
    println!("commit: {}", env!("PIPEGEN_GIT_COMMIT"));
    println!("target: {}-{}", std::env::consts::ARCH, std::env::consts::OS);
    Ok(())
}
