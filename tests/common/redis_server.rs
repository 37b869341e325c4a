//! A real `redis-server` on a free loopback port, owned by one test: stopped
//! (killed and reaped) when dropped, also when the test fails.

use std::io::{ErrorKind, Read as _, Write as _};
use std::net::{Ipv4Addr, SocketAddr, TcpListener, TcpStream};
use std::path::PathBuf;
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

/// A `redis-server` child process.
pub struct RedisServer {
    child: Option<Child>,
    port: u16,
    /// Set for a server that keeps an append-only file (fsync on every write).
    dir: Option<PathBuf>,
    frozen: bool,
}

impl RedisServer {
    /// A server that keeps nothing on disk.
    pub fn start() -> Self {
        Self::start_with(None)
    }

    /// A server with `appendonly yes` and `appendfsync always`, so what it
    /// acknowledged survives a kill and restart.
    pub fn start_persistent() -> Self {
        let n = NEXT_DIR.fetch_add(1, Ordering::Relaxed);
        let dir = std::env::temp_dir().join(format!("authlink-redis-{}-{n}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        Self::start_with(Some(dir))
    }

    fn start_with(dir: Option<PathBuf>) -> Self {
        let mut server = Self {
            child: None,
            port: 0,
            dir,
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

    /// `redis://127.0.0.1:<port>/`.
    pub fn url(&self) -> String {
        format!("redis://127.0.0.1:{}/", self.port)
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// Kills the server (SIGKILL, no shutdown save) and reaps it.
    pub fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
        self.frozen = false;
    }

    /// Starts the server again on the same port (and with the same data
    /// directory, if persistent).
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

    /// Spawns the server on `self.port` and waits until it answers PING.
    /// False if it exited (the port was taken) before answering.
    fn spawn_and_wait(&mut self) -> bool {
        let mut cmd = Command::new("redis-server");
        cmd.args(["--port", &self.port.to_string(), "--bind", "127.0.0.1"])
            .args(["--save", "", "--protected-mode", "no", "--daemonize", "no"])
            .args(["--maxmemory-policy", "noeviction"])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        match &self.dir {
            Some(dir) => {
                cmd.args(["--appendonly", "yes", "--appendfsync", "always"])
                    .arg("--dir")
                    .arg(dir);
            }
            None => {
                cmd.args(["--appendonly", "no"]);
            }
        }
        let child = match cmd.spawn() {
            Ok(child) => child,
            Err(err) if err.kind() == ErrorKind::NotFound => panic!("{INSTALL_HINT}"),
            Err(err) => panic!("could not run redis-server: {err}"),
        };
        self.child = Some(child);
        let deadline = Instant::now() + START_TIMEOUT;
        loop {
            if self.ping() {
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
                    "redis-server on port {} did not answer PING within {START_TIMEOUT:?}",
                    self.port
                );
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Whether the server answers PING with PONG (within a second).
    pub fn ping(&self) -> bool {
        let addr = SocketAddr::from((Ipv4Addr::LOCALHOST, self.port));
        let Ok(mut stream) = TcpStream::connect_timeout(&addr, Duration::from_secs(1)) else {
            return false;
        };
        let _ = stream.set_read_timeout(Some(Duration::from_secs(1)));
        if stream.write_all(b"PING\r\n").is_err() {
            return false;
        }
        let mut reply = [0u8; 7];
        stream.read_exact(&mut reply).is_ok() && &reply == b"+PONG\r\n"
    }
}

impl Drop for RedisServer {
    fn drop(&mut self) {
        // SIGKILL works on a stopped process too; thawing first is only tidier.
        if self.frozen {
            let _ = self.signal("CONT");
        }
        self.kill();
        if let Some(dir) = &self.dir {
            let _ = std::fs::remove_dir_all(dir);
        }
    }
}

/// A loopback port free at the moment of asking. Another process may take
/// it before Redis binds; the caller retries then.
fn free_port() -> u16 {
    TcpListener::bind((Ipv4Addr::LOCALHOST, 0))
        .and_then(|listener| listener.local_addr())
        .map(|addr| addr.port())
        .unwrap()
}
