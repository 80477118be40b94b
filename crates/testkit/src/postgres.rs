//! A real PostgreSQL server (Debian's) on 127.0.0.1 and a free port, on a scratch data
//! directory, stopped by PID and removed when the handle drops. Password authentication is
//! on (SCRAM), as a production database has it: clients sign in as [`Postgres::USER`] with
//! [`Postgres::PASSWORD`].

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::{free_port, tool};

pub struct Postgres {
    child: Option<Child>,
    pub port: u16,
    bin: PathBuf,
    dir: PathBuf,
}

impl Postgres {
    pub const USER: &'static str = "pipegen";
    pub const PASSWORD: &'static str = "test-secret-4f9c";
    pub const DATABASE: &'static str = "postgres";

    /// Starts a server of its own.
    pub fn start() -> Postgres {
        let bin = tool("PIPEGEN_TEST_POSTGRES_BIN");
        let port = free_port();
        let dir = std::env::temp_dir().join(format!("pipegen-postgres-{}-{port}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("the server's directory");
        let password_file = dir.join("password");
        std::fs::write(&password_file, Self::PASSWORD).expect("the password file");
        give_to_server_user(&dir);
        let data = dir.join("data");
        let status = as_server_user(&bin.join("initdb"))
            .args(["-D", &data.to_string_lossy(), "-U", Self::USER, "--auth=scram-sha-256"])
            .arg(format!("--pwfile={}", password_file.display()))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .expect("initdb runs");
        assert!(status.success(), "initdb failed in {}", dir.display());
        let log = std::fs::File::create(dir.join("server.log")).expect("the server's log");
        give_to_server_user(&dir);
        let child = as_server_user(&bin.join("postgres"))
            .args([
                "-D",
                &data.to_string_lossy(),
                "-p",
                &port.to_string(),
                "-k",
                &dir.to_string_lossy(),
            ])
            .args([
                "-c",
                "listen_addresses=127.0.0.1",
                "-c",
                "fsync=off",
                "-c",
                "max_connections=50",
            ])
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .expect("postgres starts");
        let server = Postgres {
            child: Some(child),
            port,
            bin,
            dir,
        };
        server.wait_until_ready(Duration::from_secs(60));
        server
    }

    /// The JDBC URL Flink's connector takes.
    pub fn jdbc_url(&self) -> String {
        format!("jdbc:postgresql://127.0.0.1:{}/{}", self.port, Self::DATABASE)
    }

    /// Runs SQL through psql as the test user; panics with psql's output when it fails.
    pub fn psql(&self, sql: &str) -> String {
        let mut command = self.psql_command();
        command.args(["-t", "-A", "-c", sql]);
        Self::succeed(command, "psql")
    }

    /// Runs a psql script file as the test user, in `dir` (where its `\copy` paths start);
    /// panics with psql's output when it fails.
    pub fn psql_file(&self, script: &Path, dir: &Path) {
        let mut command = self.psql_command();
        command.current_dir(dir).arg("-f").arg(script);
        Self::succeed(command, &format!("psql -f {}", script.display()));
    }

    /// psql signed in as the test user, stopping at the first error.
    fn psql_command(&self) -> Command {
        let mut command = Command::new(self.bin.join("psql"));
        command
            .args(["-h", "127.0.0.1", "-p", &self.port.to_string()])
            .args(["-U", Self::USER, "-d", Self::DATABASE])
            .args(["-v", "ON_ERROR_STOP=1", "-X", "-q"])
            .env("PGPASSWORD", Self::PASSWORD);
        command
    }

    /// Runs `command`; its standard output, or a panic with its errors.
    fn succeed(mut command: Command, what: &str) -> String {
        let output = command.output().expect("psql runs");
        assert!(
            output.status.success(),
            "{what} failed: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        String::from_utf8_lossy(&output.stdout).into_owned()
    }

    fn wait_until_ready(&self, timeout: Duration) {
        let started = Instant::now();
        loop {
            let ready = Command::new(self.bin.join("pg_isready"))
                .args(["-h", "127.0.0.1", "-p", &self.port.to_string(), "-U", Self::USER])
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .status()
                .is_ok_and(|s| s.success());
            if ready {
                return;
            }
            assert!(
                started.elapsed() < timeout,
                "PostgreSQL did not start in {timeout:?}; its log: {}",
                std::fs::read_to_string(self.dir.join("server.log")).unwrap_or_default()
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }
}

impl Drop for Postgres {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            // SIGINT: PostgreSQL's fast shutdown.
            let _ = Command::new("kill").args(["-INT", &child.id().to_string()]).status();
            let deadline = Instant::now() + Duration::from_secs(10);
            while Instant::now() < deadline {
                if matches!(child.try_wait(), Ok(Some(_))) {
                    break;
                }
                std::thread::sleep(Duration::from_millis(50));
            }
            let _ = child.kill();
            let _ = child.wait();
        }
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// PostgreSQL refuses to run as root: as root, its programs run as the `postgres` user.
fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
}

fn as_server_user(program: &Path) -> Command {
    if is_root() {
        let mut command = Command::new("setpriv");
        command
            .args(["--reuid=postgres", "--regid=postgres", "--init-groups", "--"])
            .arg(program);
        command
    } else {
        Command::new(program)
    }
}

fn give_to_server_user(dir: &Path) {
    if is_root() {
        let status = Command::new("chown")
            .args(["-R", "postgres:postgres"])
            .arg(dir)
            .status()
            .expect("chown runs");
        assert!(status.success(), "chown of {} failed", dir.display());
    }
}
