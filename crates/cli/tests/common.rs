//! Driving the built `pipegen` binary in a scratch directory.

#![allow(dead_code)] // each test file uses a different part of this module

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

pub struct Scratch {
    pub dir: tempfile::TempDir,
}

pub struct Outcome {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Outcome {
    fn from(output: Output) -> Self {
        Self {
            code: output.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
        }
    }

    pub fn all(&self) -> String {
        format!("{}{}", self.stdout, self.stderr)
    }

    /// Panics with the whole output unless the exit code is `code`.
    pub fn expect(self, code: i32) -> Self {
        assert_eq!(
            self.code, code,
            "exit code\n--- stdout\n{}\n--- stderr\n{}",
            self.stdout, self.stderr
        );
        assert!(!self.stderr.contains("panicked"), "{}", self.stderr);
        self
    }
}

impl Default for Scratch {
    fn default() -> Self {
        Self::new()
    }
}

impl Scratch {
    pub fn new() -> Self {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("home")).unwrap();
        Self { dir }
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    pub fn home(&self) -> PathBuf {
        self.path().join("home")
    }

    /// Runs pipegen in the scratch directory with a private HOME and no PIPEGEN_* variables.
    pub fn run(&self, args: &[&str]) -> Outcome {
        self.run_with_env(args, &[])
    }

    pub fn run_with_env(&self, args: &[&str], env: &[(&str, &str)]) -> Outcome {
        let mut command = self.command(args);
        command.envs(env.iter().copied());
        Outcome::from(command.output().expect("pipegen runs"))
    }

    /// Starts pipegen in the background (output captured); the caller waits for it.
    pub fn spawn(&self, args: &[&str]) -> std::process::Child {
        self.command(args)
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .expect("pipegen starts")
    }

    /// The pipegen command `run` would start, for a test that drives the process itself.
    pub fn command(&self, args: &[&str]) -> Command {
        let mut command = Command::new(env!("CARGO_BIN_EXE_pipegen"));
        command.args(args).current_dir(self.path()).env("HOME", self.home());
        for (key, _) in std::env::vars() {
            if key.starts_with("PIPEGEN_") {
                command.env_remove(key);
            }
        }
        command
    }

    pub fn write(&self, relative: &str, text: &str) {
        let path = self.path().join(relative);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    }

    pub fn read(&self, relative: &str) -> String {
        std::fs::read_to_string(self.path().join(relative)).unwrap()
    }

    /// Replaces `from` by `to` in a file, asserting that `from` was there.
    pub fn edit(&self, relative: &str, from: &str, to: &str) {
        let text = self.read(relative);
        assert!(text.contains(from), "{relative} does not contain {from:?}:\n{text}");
        self.write(relative, &text.replacen(from, to, 1));
    }
}

impl Scratch {
    /// The newest JSON result in `<project>/reports`.
    pub fn newest_result(&self, project: &str) -> serde_json::Value {
        let reports = self.path().join(project).join("reports");
        let json = std::fs::read_dir(&reports)
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| p.extension().is_some_and(|e| e == "json"))
            .max()
            .expect("a JSON result");
        serde_json::from_str(&std::fs::read_to_string(json).unwrap()).unwrap()
    }

    /// `pipegen init <name>`, with the default project's windows and watermark delay cut to
    /// 1 s, so that a run of a few seconds fires several windows.
    pub fn quick_project(&self, name: &str) {
        self.run(&["init", name]).expect(0);
        self.edit(
            &format!("{name}/sql/03_pipeline.sql"),
            "INTERVAL '10' SECOND",
            "INTERVAL '1' SECOND",
        );
        self.edit(
            &format!("{name}/sql/01_source.sql"),
            "INTERVAL '5' SECOND",
            "INTERVAL '1' SECOND",
        );
    }
}

pub fn examples() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples")
}
