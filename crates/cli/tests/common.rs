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

/// The JSON value a `data-json` pointer names, compared with the text the report shows.
pub fn assert_cell_matches(result: &serde_json::Value, path: &str, text: &str) {
    let value = result
        .pointer(path)
        .unwrap_or_else(|| panic!("the report cites {path}, which the result lacks"));
    match value {
        serde_json::Value::Null => assert_eq!(text, "n/a", "{path}"),
        serde_json::Value::Number(n) => {
            let shown: f64 = text
                .parse()
                .unwrap_or_else(|_| panic!("{path}: {text:?} is not a number"));
            let decimals = text.split_once('.').map_or(0, |(_, d)| d.len());
            let tolerance = 0.5 * 10f64.powi(-(decimals as i32)) + 1e-9;
            assert!(
                (shown - n.as_f64().unwrap()).abs() <= tolerance,
                "{path}: the report shows {text}, the result holds {n}"
            );
        }
        serde_json::Value::Array(items) => {
            let joined: Vec<String> = items.iter().map(|i| i.to_string()).collect();
            assert_eq!(text, joined.join(", "), "{path}");
        }
        other => assert_eq!(text, other.as_str().unwrap_or_default(), "{path}"),
    }
}

pub fn tool(variable: &str) -> String {
    std::env::var(variable).unwrap_or_else(|_| {
        panic!(
            "{variable} is not set: run the tests with `bash scripts/test.sh`, or export what `bash scripts/install-test-tools.sh` prints"
        )
    })
}

pub fn support(file: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/support").join(file)
}

/// Screenshots are kept under the cargo target dir, next to the binary's profile dir.
pub fn artifact(name: &str) -> PathBuf {
    let binary = Path::new(env!("CARGO_BIN_EXE_pipegen"));
    let dir = binary
        .parent()
        .and_then(Path::parent)
        .expect("the binary sits in <target>/<profile>/")
        .join("test-artifacts");
    std::fs::create_dir_all(&dir).unwrap();
    dir.join(name)
}

/// Waits until `child` (a pipegen serving something) answers on `port`.
pub fn wait_for_port(port: u16, child: &mut std::process::Child) {
    let started = std::time::Instant::now();
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        if let Ok(Some(status)) = child.try_wait() {
            panic!("pipegen ended ({status}) before serving on port {port}");
        }
        assert!(
            started.elapsed() < std::time::Duration::from_secs(60),
            "nothing on port {port}"
        );
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
}

/// What Chromium saw of a page (see tests/support/browse.js).
pub fn browse(url: &str, screenshot: &Path, min_points: Option<usize>) -> serde_json::Value {
    let mut command = std::process::Command::new("node");
    command
        .arg(support("browse.js"))
        .arg(url)
        .arg(screenshot)
        .env("PIPEGEN_TEST_PLAYWRIGHT", tool("PIPEGEN_TEST_PLAYWRIGHT"))
        .env("PIPEGEN_TEST_CHROMIUM", tool("PIPEGEN_TEST_CHROMIUM"));
    if let Some(n) = min_points {
        command.arg(n.to_string());
    }
    let output = command.output().expect("node runs");
    assert!(
        output.status.success(),
        "browsing {url} failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice(&output.stdout).expect("browse.js prints JSON")
}
