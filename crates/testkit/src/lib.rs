//! Real servers for integration tests, started on 127.0.0.1 with free ports and stopped (by
//! PID) when the handle drops. `scripts/install-test-tools.sh` installs them; tests find them
//! through the variables it prints.

pub mod drafts;
mod flink;
mod gateway;
mod llm;
mod postgres;

pub use flink::{Flink, flink_home};
pub use gateway::SqlGatewayBridge;
pub use llm::{LlmOptions, LlmServer, Protocol, Received, Scripted};
pub use postgres::Postgres;

use std::net::{TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A free TCP port on the loopback interface.
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("the loopback interface has a free port")
}

fn tool(variable: &str) -> PathBuf {
    match std::env::var_os(variable) {
        Some(path) => PathBuf::from(path),
        None => panic!(
            "{variable} is not set: run the tests with `bash scripts/test.sh`, or export what `bash scripts/install-test-tools.sh` prints"
        ),
    }
}

/// A tansu Kafka-protocol broker: in-memory storage, or an object store that outlives it (so
/// a test can kill the broker and restart it on the same data).
pub struct Tansu {
    child: Option<Child>,
    pub port: u16,
    /// The port clients are told to use (another one when a TLS front sits before the broker).
    advertised: u16,
    storage: String,
    /// The object store's address and credentials, for S3 storage.
    env: Vec<(String, String)>,
}

impl Tansu {
    pub fn start() -> Tansu {
        Self::launch("memory://tansu/".into(), Vec::new())
    }

    /// A broker keeping its data in `store` (bucket `tansu`).
    pub fn start_on(store: &ObjectStore) -> Tansu {
        Self::launch(
            "s3://tansu/".into(),
            vec![
                ("AWS_ACCESS_KEY_ID".into(), "pipegen".into()),
                ("AWS_SECRET_ACCESS_KEY".into(), "pipegen".into()),
                ("AWS_DEFAULT_REGION".into(), "us-east-1".into()),
                ("AWS_ENDPOINT".into(), format!("http://127.0.0.1:{}", store.port)),
                ("AWS_ALLOW_HTTP".into(), "true".into()),
            ],
        )
    }

    fn launch(storage: String, env: Vec<(String, String)>) -> Tansu {
        let port = free_port();
        let mut broker = Tansu {
            child: None,
            port,
            advertised: port,
            storage,
            env,
        };
        broker.restart();
        broker
    }

    /// Kills the broker at once (SIGKILL: no clean shutdown).
    pub fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Starts the broker again on the same port and storage (after `kill`).
    pub fn restart(&mut self) {
        self.kill();
        let binary = tool("PIPEGEN_TEST_TANSU");
        let url = format!("tcp://127.0.0.1:{}", self.port);
        let advertised = format!("tcp://127.0.0.1:{}", self.advertised);
        let child = Command::new(&binary)
            .args([
                "broker",
                "--listener-url",
                &url,
                "--advertised-listener-url",
                &advertised,
            ])
            .args(["--storage-engine", &self.storage])
            .envs(self.env.iter().map(|(k, v)| (k, v)))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {}: {e}", binary.display()));
        self.child = Some(child);
        wait_for_port(self.port, Duration::from_secs(20));
    }

    pub fn bootstrap_servers(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }
}

impl Drop for Tansu {
    fn drop(&mut self) {
        self.kill();
    }
}

/// A tansu broker reachable only over TLS: stunnel terminates TLS on `port` (with a
/// certificate made for 127.0.0.1, signed by itself: `ca`) and forwards to the broker, which
/// advertises the TLS port, so every connection a client makes is encrypted.
pub struct TlsBroker {
    stunnel: Child,
    _broker: Tansu,
    pub port: u16,
    /// The certificate clients trust (PEM).
    pub ca: PathBuf,
    dir: PathBuf,
}

impl TlsBroker {
    pub fn start() -> TlsBroker {
        let dir = std::env::temp_dir().join(format!("pipegen-tls-{}-{}", std::process::id(), free_port()));
        std::fs::create_dir_all(&dir).expect("a temporary directory");
        let (ca, key) = (dir.join("cert.pem"), dir.join("key.pem"));
        let made = Command::new("openssl")
            .args(["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2"])
            .args(["-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1"])
            .arg("-keyout")
            .arg(&key)
            .arg("-out")
            .arg(&ca)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .expect("openssl runs");
        assert!(made.success(), "openssl could not make a certificate");
        let port = free_port();
        let mut broker = Tansu {
            child: None,
            port: free_port(),
            advertised: port,
            storage: "memory://tansu/".into(),
            env: Vec::new(),
        };
        broker.restart();
        let config = dir.join("stunnel.conf");
        std::fs::write(
            &config,
            format!(
                "foreground = yes\npid =\n[kafka]\naccept = 127.0.0.1:{port}\nconnect = 127.0.0.1:{}\ncert = {}\nkey = {}\n",
                broker.port,
                ca.display(),
                key.display()
            ),
        )
        .expect("the stunnel configuration is written");
        let binary = tool("PIPEGEN_TEST_STUNNEL");
        let stunnel = Command::new(&binary)
            .arg(&config)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {}: {e}", binary.display()));
        wait_for_port(port, Duration::from_secs(20));
        TlsBroker {
            stunnel,
            _broker: broker,
            port,
            ca,
            dir,
        }
    }

    pub fn bootstrap_servers(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }
}

impl Drop for TlsBroker {
    fn drop(&mut self) {
        let _ = self.stunnel.kill();
        let _ = self.stunnel.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// An S3-compatible object store (moto's server) with one bucket, `tansu`: storage that
/// survives a broker's restart.
pub struct ObjectStore {
    child: Child,
    pub port: u16,
}

impl ObjectStore {
    pub fn start() -> ObjectStore {
        let binary = tool("PIPEGEN_TEST_MOTO");
        let port = free_port();
        let child = Command::new(&binary)
            .args(["-H", "127.0.0.1", "-p", &port.to_string()])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {}: {e}", binary.display()));
        let store = ObjectStore { child, port };
        wait_for_port(port, Duration::from_secs(30));
        store.create_bucket("tansu");
        store
    }

    /// Creates a bucket, retrying for a while: under load the server can take the port before
    /// it answers (a connection reset, or no reply).
    fn create_bucket(&self, bucket: &str) {
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            match self.try_create_bucket(bucket) {
                Ok(answer) if answer.starts_with("HTTP/1.1 200") => return,
                outcome if Instant::now() > deadline => {
                    panic!("creating bucket {bucket} on 127.0.0.1:{}: {outcome:?}", self.port)
                }
                _ => std::thread::sleep(Duration::from_millis(200)),
            }
        }
    }

    fn try_create_bucket(&self, bucket: &str) -> std::io::Result<String> {
        use std::io::{Read, Write};
        let mut stream = TcpStream::connect(("127.0.0.1", self.port))?;
        write!(
            stream,
            "PUT /{bucket} HTTP/1.1\r\nHost: 127.0.0.1:{}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
            self.port
        )?;
        let mut answer = String::new();
        stream.read_to_string(&mut answer)?;
        Ok(answer)
    }
}

impl Drop for ObjectStore {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn wait_for_port(port: u16, limit: Duration) {
    let started = Instant::now();
    while TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(
            started.elapsed() < limit,
            "nothing listens on 127.0.0.1:{port} after {limit:?}"
        );
        std::thread::sleep(Duration::from_millis(25));
    }
}
