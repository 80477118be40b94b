//! Records the git commit the binary was built from, for `pipegen version`.

use std::process::Command;

fn main() {
    let commit = Command::new("git")
        .args(["rev-parse", "--short=12", "HEAD"])
        .output()
        .ok()
        .filter(|out| out.status.success())
        .and_then(|out| String::from_utf8(out.stdout).ok())
        .map(|s| s.trim().to_owned())
        .filter(|s| !s.is_empty())
        .unwrap_or_else(|| "unknown".to_owned());
    let dirty = Command::new("git")
        .args(["status", "--porcelain", "--untracked-files=no"])
        .output()
        .ok()
        .is_some_and(|out| out.status.success() && !out.stdout.is_empty());
    let commit = if dirty && commit != "unknown" {
        format!("{commit}-dirty")
    } else {
        commit
    };
    println!("cargo:rustc-env=PIPEGEN_GIT_COMMIT={commit}");
    // Rebuild when HEAD moves; the refs cover commits on the current branch.
    for path in ["../../.git/HEAD", "../../.git/refs/heads", "../../.git/index"] {
        println!("cargo:rerun-if-changed={path}");
    }
}
