//! A real `redis-server` on a free loopback port, owned by one test: stopped
//! (killed and reaped) when dropped, also when the test fails, and its data
//! directory removed. A server may keep an append-only file, be a cluster
//! node, a replica, a Sentinel, or speak TLS only.
// Each test binary uses a different part.
#![allow(dead_code, unreachable_pub, clippy::unwrap_used, clippy::expect_used)]

use std::io::{ErrorKind, Read as _, Write as _};
use std::net::{Ipv4Addr, SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

const INSTALL_HINT: &str = "the Redis tests need the `redis-server` binary on PATH; \
    install it with `apt-get install -y redis-server` (they never skip without it)";

/// How long a fresh server may take to answer PING.
const START_TIMEOUT: Duration = Duration::from_secs(10);

/// Attempts to find a port nobody grabs between our probe and Redis's bind.
const START_ATTEMPTS: usize = 5;

static NEXT_DIR: AtomicUsize = AtomicUsize::new(0);

/// The certificate files of a TLS-only server.
#[derive(Clone, Debug)]
pub struct TlsFiles {
    pub cert: PathBuf,
    pub key: PathBuf,
    pub ca: PathBuf,
}

/// What kind of server to start.
#[derive(Clone, Debug, Default)]
pub struct Options {
    /// `appendonly yes` and `appendfsync always`, so what it acknowledged
    /// survives a kill and restart.
    pub persistent: bool,
    /// A Redis Cluster node (its node file kept in its data directory).
    pub cluster: bool,
    /// A replica of the primary on this loopback port.
    pub replica_of: Option<u16>,
    /// A Sentinel watching the primary on this loopback port as `mymaster`.
    pub sentinel_for: Option<u16>,
    /// TLS only, on the port; no plain TCP.
    pub tls: Option<TlsFiles>,
}

/// A `redis-server` child process.
pub struct RedisServer {
    child: Option<Child>,
    port: u16,
    dir: PathBuf,
    options: Options,
    frozen: bool,
}

impl RedisServer {
    /// A server that keeps nothing on disk.
    pub fn start() -> Self {
        Self::start_with(Options::default())
    }

    /// A server with `appendonly yes` and `appendfsync always`, so what it
    /// acknowledged survives a kill and restart.
    pub fn start_persistent() -> Self {
        Self::start_with(Options {
            persistent: true,
            ..Options::default()
        })
    }

    pub fn start_with(options: Options) -> Self {
        let n = NEXT_DIR.fetch_add(1, Ordering::Relaxed);
        let dir = std::env::temp_dir().join(format!("authlink-redis-{}-{n}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let mut server = Self {
            child: None,
            port: 0,
            dir,
            options,
            frozen: false,
        };
        for _ in 0..START_ATTEMPTS {
            server.port = free_port();
            if server.spawn_and_wait() {
                return server;
            }
        }
        panic!("redis-server did not start on a free loopback port in {START_ATTEMPTS} attempts");
    }

    /// `redis://127.0.0.1:<port>/`, or `rediss://` for a TLS server.
    pub fn url(&self) -> String {
        let scheme = if self.options.tls.is_some() {
            "rediss"
        } else {
            "redis"
        };
        format!("{scheme}://127.0.0.1:{}/", self.port)
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// The server's own directory (data, node file, Sentinel config).
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Kills the server (SIGKILL, no shutdown save) and reaps it.
    pub fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
        self.frozen = false;
    }

    /// Starts the server again on the same port, with the same directory.
    pub fn restart(&mut self) {
        self.kill();
        let deadline = Instant::now() + START_TIMEOUT;
        // The old socket may linger for a moment after the kill.
        while !self.spawn_and_wait() {
            assert!(
                Instant::now() < deadline,
                "redis-server did not restart on port {}",
                self.port
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// Freezes the server with SIGSTOP: connections stay open, nothing is
    /// answered. Undone by [`RedisServer::thaw`], or by drop.
    pub fn freeze(&mut self) {
        assert!(
            self.signal("STOP"),
            "could not send SIGSTOP to redis-server"
        );
        self.frozen = true;
    }

    /// Wakes a frozen server with SIGCONT.
    pub fn thaw(&mut self) {
        assert!(
            self.signal("CONT"),
            "could not send SIGCONT to redis-server"
        );
        self.frozen = false;
    }

    /// Sends a signal with `kill(1)`; false if there is no process or it failed.
    fn signal(&self, name: &str) -> bool {
        let Some(child) = &self.child else {
            return false;
        };
        Command::new("kill")
            .arg(format!("-{name}"))
            .arg(child.id().to_string())
            .stdin(Stdio::null())
            .status()
            .is_ok_and(|status| status.success())
    }

    fn command(&self) -> Command {
        let mut cmd = Command::new("redis-server");
        let port = self.port.to_string();
        if let Some(primary) = self.options.sentinel_for {
            let config = self.dir.join("sentinel.conf");
            // Rewritten by the Sentinel as it learns; written anew on
            // every start so a restart begins from the same state.
            std::fs::write(
                &config,
                format!(
                    "port {port}\nbind 127.0.0.1\ndir {dir}\n\
                     sentinel monitor mymaster 127.0.0.1 {primary} 1\n\
                     sentinel down-after-milliseconds mymaster 1000\n\
                     sentinel failover-timeout mymaster 3000\n",
                    dir = self.dir.display()
                ),
            )
            .unwrap();
            cmd.arg(config).arg("--sentinel");
            return cmd;
        }
        cmd.args(["--bind", "127.0.0.1"])
            .args(["--save", "", "--protected-mode", "no", "--daemonize", "no"])
            .args(["--maxmemory-policy", "noeviction"])
            .arg("--dir")
            .arg(&self.dir);
        match &self.options.tls {
            Some(tls) => {
                cmd.args(["--port", "0", "--tls-port", &port])
                    .arg("--tls-cert-file")
                    .arg(&tls.cert)
                    .arg("--tls-key-file")
                    .arg(&tls.key)
                    .arg("--tls-ca-cert-file")
                    .arg(&tls.ca)
                    .args(["--tls-auth-clients", "no"]);
            }
            None => {
                cmd.args(["--port", &port]);
            }
        }
        if self.options.persistent {
            cmd.args(["--appendonly", "yes", "--appendfsync", "always"]);
        } else {
            cmd.args(["--appendonly", "no"]);
        }
        if self.options.cluster {
            cmd.args(["--cluster-enabled", "yes", "--cluster-config-file"])
                .arg(self.dir.join("nodes.conf"))
                .args(["--cluster-node-timeout", "2000"]);
        }
        if let Some(primary) = self.options.replica_of {
            cmd.args(["--replicaof", "127.0.0.1", &primary.to_string()]);
        }
        cmd
    }

    /// Spawns the server on `self.port` and waits until it answers PING.
    /// False if it exited (the port was taken) before answering.
    fn spawn_and_wait(&mut self) -> bool {
        let mut cmd = self.command();
        cmd.stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        let child = match cmd.spawn() {
            Ok(child) => child,
            Err(err) if err.kind() == ErrorKind::NotFound => panic!("{INSTALL_HINT}"),
            Err(err) => panic!("could not run redis-server: {err}"),
        };
        self.child = Some(child);
        let deadline = Instant::now() + START_TIMEOUT;
        loop {
            if self.ready() {
                return true;
            }
            let exited = self.child.as_mut().unwrap().try_wait().unwrap().is_some();
            if exited {
                self.child = None;
                return false;
            }
            if Instant::now() >= deadline {
                self.kill();
                panic!(
                    "redis-server on port {} did not answer within {START_TIMEOUT:?}",
                    self.port
                );
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// A TLS server is ready once it accepts connections; the others once
    /// they answer PING.
    fn ready(&self) -> bool {
        if self.options.tls.is_some() {
            let addr = SocketAddr::from((Ipv4Addr::LOCALHOST, self.port));
            return TcpStream::connect_timeout(&addr, Duration::from_secs(1)).is_ok();
        }
        self.ping()
    }

    /// Whether the server answers PING with PONG (within a second).
    pub fn ping(&self) -> bool {
        self.query("PING").is_some_and(|reply| reply == "+PONG\r\n")
    }

    /// Sends one inline command over plain TCP and returns the reply as
    /// text, read until a second passes without more; `None` if the server
    /// is not reachable.
    pub fn query(&self, command: &str) -> Option<String> {
        let addr = SocketAddr::from((Ipv4Addr::LOCALHOST, self.port));
        let mut stream = TcpStream::connect_timeout(&addr, Duration::from_secs(1)).ok()?;
        stream
            .set_read_timeout(Some(Duration::from_millis(200)))
            .ok()?;
        stream.write_all(format!("{command}\r\n").as_bytes()).ok()?;
        let mut reply = Vec::new();
        let deadline = Instant::now() + Duration::from_secs(1);
        let mut buf = [0u8; 4096];
        while Instant::now() < deadline {
            match stream.read(&mut buf) {
                Ok(0) => break,
                Ok(n) => {
                    reply.extend_from_slice(&buf[..n]);
                    if complete(&reply) {
                        break;
                    }
                }
                Err(_) if !reply.is_empty() => break,
                Err(_) => {}
            }
        }
        (!reply.is_empty()).then(|| String::from_utf8_lossy(&reply).into_owned())
    }

    /// Polls `command` until its reply contains `expected`, for at most
    /// `within`; panics with the last reply otherwise.
    pub fn wait_for(&self, command: &str, expected: &str, within: Duration) {
        let deadline = Instant::now() + within;
        let mut last = None;
        while Instant::now() < deadline {
            last = self.query(command);
            if last
                .as_deref()
                .is_some_and(|reply| reply.contains(expected))
            {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        panic!(
            "`{command}` on port {} did not show {expected:?} within {within:?}; last reply: {last:?}",
            self.port
        );
    }
}

/// Whether a RESP reply is whole: a simple line, or a bulk string with all
/// its announced bytes.
fn complete(reply: &[u8]) -> bool {
    let Some(end) = reply.windows(2).position(|w| w == b"\r\n") else {
        return false;
    };
    if reply[0] != b'$' {
        return true;
    }
    let Ok(len) = std::str::from_utf8(&reply[1..end])
        .unwrap_or("")
        .parse::<i64>()
    else {
        return true;
    };
    len < 0 || reply.len() >= end + 2 + len as usize + 2
}

impl Drop for RedisServer {
    fn drop(&mut self) {
        // SIGKILL works on a stopped process too; thawing first is only tidier.
        if self.frozen {
            let _ = self.signal("CONT");
        }
        self.kill();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// A loopback port free at the moment of asking. Another process may take
/// it before Redis binds; the caller retries then. Cluster nodes also bind
/// the port plus 10000 for their bus, so the port stays below that range's
/// reach.
pub fn free_port() -> u16 {
    for _ in 0..1_000 {
        let port = std::net::TcpListener::bind((Ipv4Addr::LOCALHOST, 0))
            .and_then(|listener| listener.local_addr())
            .map(|addr| addr.port())
            .unwrap();
        if port < 55_000 {
            return port;
        }
    }
    panic!("no free loopback port below 55000");
}
