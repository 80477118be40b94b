//! A real Apache Flink 2.1 session cluster (one JobManager, one TaskManager with 4 slots) on
//! 127.0.0.1 with free ports, from the distribution `scripts/install-test-tools.sh` installs
//! (with the Kafka SQL connector in its lib/), and the project's SQL runner jar, which submits
//! SQL through the REST API's /jars endpoints.
//!
//! Starting a cluster takes 15-20 s on two cores, so a test binary shares one
//! ([`Flink::shared`]). Both processes are watched by a small shell that kills them, and
//! removes the cluster's directory, when the test process ends: a static's drop never runs.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use crate::{free_port, tool};

const SQL_RUNNER: &str = include_str!("../java/SqlRunner.java");

pub struct Flink {
    watchers: Vec<Child>,
    pub rest_port: u16,
    home: PathBuf,
    dir: PathBuf,
    runner: OnceLock<PathBuf>,
}

/// The Flink distribution `scripts/install-test-tools.sh` installed (bin/, lib/, conf/).
pub fn flink_home() -> PathBuf {
    tool("PIPEGEN_TEST_FLINK_HOME")
}

impl Flink {
    /// The cluster this test binary shares, started on first use.
    pub fn shared() -> &'static Flink {
        static SHARED: OnceLock<Flink> = OnceLock::new();
        SHARED.get_or_init(Flink::start)
    }

    /// A cluster of its own (stopped when dropped).
    pub fn start() -> Flink {
        let home = tool("PIPEGEN_TEST_FLINK_HOME");
        for jar in ["flink-dist-2.1.0.jar", "flink-connector-kafka.jar", "kafka-clients.jar"] {
            assert!(
                home.join("lib").join(jar).is_file(),
                "{} has no lib/{jar}: run `bash scripts/install-test-tools.sh`",
                home.display()
            );
        }
        let rest_port = free_port();
        let dir = std::env::temp_dir().join(format!("pipegen-flink-{}-{rest_port}", std::process::id()));
        let conf = dir.join("conf");
        let (log, tmp) = (dir.join("log"), dir.join("tmp"));
        for d in [&conf, &log, &tmp] {
            std::fs::create_dir_all(d).expect("the cluster's directories");
        }
        for entry in std::fs::read_dir(home.join("conf")).expect("the distribution's conf/") {
            let path = entry.expect("a conf/ entry").path();
            let name = path.file_name().unwrap_or_default().to_string_lossy().into_owned();
            if name.starts_with("log4j") || name.starts_with("logback") {
                std::fs::copy(&path, conf.join(&name)).expect("logging configuration copied");
            }
        }
        std::fs::write(
            conf.join("config.yaml"),
            config_yaml(&home, rest_port, free_port(), &tmp),
        )
        .expect("config.yaml written");

        let started = Instant::now();
        let env = [
            ("FLINK_CONF_DIR", conf.clone()),
            ("FLINK_LOG_DIR", log.clone()),
            ("FLINK_PID_DIR", tmp.clone()),
        ];
        let watchers = ["jobmanager.sh", "taskmanager.sh"]
            .iter()
            .map(|script| watched(&home.join("bin").join(script), &env, &dir))
            .collect();
        let flink = Flink {
            watchers,
            rest_port,
            home,
            dir,
            runner: OnceLock::new(),
        };
        flink.wait_for_taskmanager(Duration::from_secs(120));
        eprintln!(
            "Flink 2.1 on 127.0.0.1:{rest_port}: a TaskManager registered after {:.1?}",
            started.elapsed()
        );
        flink
    }

    /// The REST API's address, e.g. `http://127.0.0.1:41234`.
    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.rest_port)
    }

    /// The distribution's directory (bin/, lib/, conf/).
    pub fn home(&self) -> &Path {
        &self.home
    }

    /// The project's SQL runner (`crates/testkit/java/SqlRunner.java`), compiled against this
    /// distribution's jars on first use: its program arguments are SQL statements, run in order.
    pub fn sql_runner_jar(&self) -> &Path {
        self.runner.get_or_init(|| {
            let build = self.dir.join("runner");
            let classes = build.join("classes");
            std::fs::create_dir_all(&classes).expect("the runner's build directory");
            let source = build.join("SqlRunner.java");
            std::fs::write(&source, SQL_RUNNER).expect("the runner's source written");
            let classpath = format!("{}/lib/*", self.home.display());
            run(Command::new("javac")
                .args(["-nowarn", "-d"])
                .arg(&classes)
                .args(["-cp", &classpath])
                .arg(&source));
            let jar = build.join("sql-runner.jar");
            run(Command::new("jar")
                .args(["--create", "--file"])
                .arg(&jar)
                .args(["--main-class", "SqlRunner", "-C"])
                .arg(&classes)
                .arg("."));
            jar
        })
    }

    fn wait_for_taskmanager(&self, limit: Duration) {
        let started = Instant::now();
        loop {
            if let Some(body) = http_get(self.rest_port, "/overview")
                && body.contains("\"taskmanagers\":1")
            {
                return;
            }
            if started.elapsed() > limit {
                panic!(
                    "no TaskManager registered with Flink on 127.0.0.1:{} after {limit:?}; logs in {}",
                    self.rest_port,
                    self.dir.join("log").display()
                );
            }
            std::thread::sleep(Duration::from_millis(250));
        }
    }
}

impl Drop for Flink {
    fn drop(&mut self) {
        // Each watcher kills its Flink process (by PID) when it is killed itself.
        for watcher in &mut self.watchers {
            let _ = Command::new("kill").arg(watcher.id().to_string()).status();
        }
        for watcher in &mut self.watchers {
            let _ = watcher.wait();
        }
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// Runs `script start-foreground` (which execs the JVM, so its PID is the JVM's) under a shell
/// that kills it when the test process is gone or the shell itself is told to stop.
fn watched(script: &Path, env: &[(&str, PathBuf)], dir: &Path) -> Child {
    let name = script.file_stem().unwrap_or_default().to_string_lossy().into_owned();
    let watcher = r#"
"$1" start-foreground >"$2" 2>&1 &
flink=$! dir=$4
stop() { kill "$flink" 2>/dev/null; wait "$flink" 2>/dev/null; rm -rf "$dir" 2>/dev/null; exit 0; }
trap stop TERM INT
while kill -0 "$3" 2>/dev/null && kill -0 "$flink" 2>/dev/null; do sleep 0.5 & wait $!; done
# The test process is gone: stop Flink. (A Flink that died by itself leaves its logs.)
if kill -0 "$flink" 2>/dev/null; then stop; fi
"#;
    Command::new("bash")
        .args(["-c", watcher, "flink-watcher"])
        .arg(script)
        .arg(dir.join("log").join(format!("{name}.out")))
        .arg(std::process::id().to_string())
        .arg(dir)
        .envs(env.iter().map(|(k, v)| (*k, v)))
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start {}: {e}", script.display()))
}

fn config_yaml(home: &Path, rest_port: u16, rpc_port: u16, tmp: &Path) -> String {
    // The distribution's JVM options (module opens Flink needs on Java 17), kept as shipped.
    let shipped = std::fs::read_to_string(home.join("conf/config.yaml")).unwrap_or_default();
    let java_opts = shipped
        .lines()
        .find_map(|l| l.trim_start().strip_prefix("all:"))
        .map(str::trim)
        .unwrap_or_default();
    let tmp = tmp.display();
    format!(
        "env.java.opts.all: \"{java_opts}\"
jobmanager.bind-host: 127.0.0.1
jobmanager.rpc.address: 127.0.0.1
jobmanager.rpc.port: {rpc_port}
jobmanager.memory.process.size: 1024m
taskmanager.bind-host: 127.0.0.1
taskmanager.host: 127.0.0.1
taskmanager.numberOfTaskSlots: 4
taskmanager.memory.process.size: 1728m
rest.address: 127.0.0.1
rest.bind-address: 127.0.0.1
rest.port: {rest_port}
io.tmp.dirs: {tmp}
web.tmpdir: {tmp}
# Metrics reach the REST API each second (default 10 s), as pipegen samples them.
metrics.fetcher.update-interval: 1000
"
    )
}

fn run(command: &mut Command) {
    let output = command
        .output()
        .unwrap_or_else(|e| panic!("cannot run {command:?} (is a JDK installed?): {e}"));
    assert!(
        output.status.success(),
        "{command:?} failed:\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
}

/// A plain HTTP/1.1 GET: the body, or None when nothing answers yet.
fn http_get(port: u16, path: &str) -> Option<String> {
    let mut stream = TcpStream::connect(("127.0.0.1", port)).ok()?;
    stream.set_read_timeout(Some(Duration::from_secs(5))).ok()?;
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nConnection: close\r\n\r\n"
    )
    .ok()?;
    let mut answer = String::new();
    stream.read_to_string(&mut answer).ok()?;
    answer.split_once("\r\n\r\n").map(|(_, body)| body.to_owned())
}
