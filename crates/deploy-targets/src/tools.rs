//! Whether this machine can take a written stack further: a Docker engine that `docker
//! compose` (or the older `docker-compose`) reaches, kubectl with a context. Each answer says
//! why not, for the user to act on; nothing is pretended.

use std::path::Path;
use std::process::{Command, Output};

/// The command that runs Compose here: `docker compose` (v2) or `docker-compose` (v1).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ComposeCommand {
    pub program: String,
    pub leading_args: Vec<String>,
}

impl ComposeCommand {
    pub fn shown(&self) -> String {
        std::iter::once(self.program.as_str())
            .chain(self.leading_args.iter().map(String::as_str))
            .collect::<Vec<_>>()
            .join(" ")
    }

    /// `<compose> -f FILE -p PROJECT <args>`.
    pub fn run(&self, file: &Path, project: &str, args: &[&str]) -> std::io::Result<Output> {
        Command::new(&self.program)
            .args(&self.leading_args)
            .arg("-f")
            .arg(file)
            .args(["-p", project])
            .args(args)
            .output()
    }

    /// Whether it is Compose v2, which waits for health checks itself (`up --wait`).
    pub fn waits(&self) -> bool {
        !self.leading_args.is_empty()
    }
}

fn succeeds(program: &str, args: &[&str]) -> bool {
    Command::new(program)
        .args(args)
        .output()
        .is_ok_and(|o| o.status.success())
}

/// The Compose command installed here, if any.
pub fn compose_command() -> Option<ComposeCommand> {
    if succeeds("docker", &["compose", "version"]) {
        return Some(ComposeCommand {
            program: "docker".into(),
            leading_args: vec!["compose".into()],
        });
    }
    succeeds("docker-compose", &["version"]).then(|| ComposeCommand {
        program: "docker-compose".into(),
        leading_args: Vec::new(),
    })
}

/// The last line of a command's error output (its reason), or its exit status.
pub fn reason(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr)
        .lines()
        .map(str::trim)
        .rfind(|l| !l.is_empty())
        .map(str::to_owned)
        .unwrap_or_else(|| format!("exited with {}", output.status))
}

/// Whether Compose reaches a Docker engine (`ps` asks the engine for the project's containers).
pub fn compose_engine(compose: &ComposeCommand, file: &Path, project: &str) -> Result<(), String> {
    let output = compose
        .run(file, project, &["ps", "-q"])
        .map_err(|e| format!("{} did not run: {e}", compose.shown()))?;
    if output.status.success() {
        Ok(())
    } else {
        Err(reason(&output))
    }
}

/// kubectl's current context, or why there is none.
pub fn kubectl_context() -> Result<String, String> {
    let output = Command::new("kubectl")
        .args(["config", "current-context"])
        .output()
        .map_err(|e| format!("kubectl is not installed here ({e})"))?;
    if output.status.success() {
        Ok(String::from_utf8_lossy(&output.stdout).trim().to_owned())
    } else {
        Err(format!("kubectl has no current context: {}", reason(&output)))
    }
}

/// `kubectl apply -k DIR` in the current context.
pub fn kubectl_apply(dir: &Path) -> Result<String, String> {
    let output = Command::new("kubectl")
        .arg("apply")
        .arg("-k")
        .arg(dir)
        .output()
        .map_err(|e| format!("kubectl did not run: {e}"))?;
    if output.status.success() {
        Ok(String::from_utf8_lossy(&output.stdout).into_owned())
    } else {
        Err(reason(&output))
    }
}
