//! Real Redis deployments on loopback ports, built from [`RedisServer`]s and
//! torn down with them: a three-primary Redis Cluster, a primary with one
//! replica, and a primary watched by one Sentinel.
// Each test binary uses a different part.
#![allow(dead_code, unreachable_pub, clippy::unwrap_used, clippy::expect_used)]

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use super::redis_server::{Options, RedisServer};

/// How long `redis-cli --cluster create` and the cluster's convergence may take.
const CLUSTER_TIMEOUT: Duration = Duration::from_secs(20);

/// How long a replica may take to sync with its primary.
const SYNC_TIMEOUT: Duration = Duration::from_secs(10);

/// Three primaries that share the 16384 slots, no replicas; each keeps its
/// data and node file across a kill and restart.
pub struct RedisCluster {
    nodes: Vec<RedisServer>,
}

impl RedisCluster {
    pub fn start() -> Self {
        let nodes: Vec<_> = (0..3)
            .map(|_| {
                RedisServer::start_with(Options {
                    persistent: true,
                    cluster: true,
                    ..Options::default()
                })
            })
            .collect();
        let cluster = Self { nodes };
        let mut create = Command::new("redis-cli");
        create.arg("--cluster").arg("create");
        for node in &cluster.nodes {
            create.arg(format!("127.0.0.1:{}", node.port()));
        }
        create
            .args(["--cluster-replicas", "0", "--cluster-yes"])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        let mut child = create.spawn().unwrap_or_else(|err| {
            panic!("could not run redis-cli (apt-get install -y redis-tools): {err}")
        });
        let deadline = Instant::now() + CLUSTER_TIMEOUT;
        let status = loop {
            if let Some(status) = child.try_wait().unwrap() {
                break status;
            }
            if Instant::now() >= deadline {
                let _ = child.kill();
                let _ = child.wait();
                panic!("redis-cli --cluster create did not finish within {CLUSTER_TIMEOUT:?}");
            }
            std::thread::sleep(Duration::from_millis(50));
        };
        assert!(
            status.success(),
            "redis-cli --cluster create failed: {status}"
        );
        cluster.wait_until_ok();
        cluster
    }

    /// Seed URLs, one per node.
    pub fn urls(&self) -> Vec<String> {
        self.nodes.iter().map(RedisServer::url).collect()
    }

    pub fn nodes(&self) -> &[RedisServer] {
        &self.nodes
    }

    /// Waits until every node reports `cluster_state:ok`.
    pub fn wait_until_ok(&self) {
        for node in &self.nodes {
            node.wait_for("CLUSTER INFO", "cluster_state:ok", CLUSTER_TIMEOUT);
        }
    }

    /// Kills every node (SIGKILL).
    pub fn kill(&mut self) {
        self.nodes.iter_mut().for_each(RedisServer::kill);
    }

    /// Restarts every node on its port with its data and node file, and
    /// waits until the cluster is whole again.
    pub fn restart(&mut self) {
        self.nodes.iter_mut().for_each(RedisServer::restart);
        self.wait_until_ok();
    }
}

/// A primary and one replica that has finished its first sync.
pub struct PrimaryReplica {
    pub primary: RedisServer,
    pub replica: RedisServer,
}

impl PrimaryReplica {
    pub fn start() -> Self {
        let primary = RedisServer::start();
        let replica = RedisServer::start_with(Options {
            replica_of: Some(primary.port()),
            ..Options::default()
        });
        replica.wait_for("INFO replication", "master_link_status:up", SYNC_TIMEOUT);
        primary.wait_for("INFO replication", "connected_slaves:1", SYNC_TIMEOUT);
        Self { primary, replica }
    }
}

/// A primary with one replica, watched by one Sentinel (quorum 1) as
/// `mymaster`, which knows the replica.
pub struct SentinelSetup {
    pub servers: PrimaryReplica,
    pub sentinel: RedisServer,
}

impl SentinelSetup {
    pub const SERVICE: &'static str = "mymaster";

    pub fn start() -> Self {
        let servers = PrimaryReplica::start();
        let sentinel = RedisServer::start_with(Options {
            sentinel_for: Some(servers.primary.port()),
            ..Options::default()
        });
        sentinel.wait_for(
            "SENTINEL get-master-addr-by-name mymaster",
            &servers.primary.port().to_string(),
            SYNC_TIMEOUT,
        );
        sentinel.wait_for(
            "SENTINEL replicas mymaster",
            &servers.replica.port().to_string(),
            SYNC_TIMEOUT,
        );
        Self { servers, sentinel }
    }

    /// Has the Sentinel promote the replica, waits until it names the
    /// replica as primary, and makes the old primary its replica.
    pub fn fail_over(&self) {
        // The Sentinel refuses (NOGOODSLAVE) until it has heard from the
        // replica itself, not only of it from the primary.
        let deadline = Instant::now() + SYNC_TIMEOUT;
        loop {
            let reply = self.sentinel.query("SENTINEL FAILOVER mymaster");
            if reply.as_deref() == Some("+OK\r\n") {
                break;
            }
            assert!(
                Instant::now() < deadline,
                "SENTINEL FAILOVER kept answering {reply:?}"
            );
            std::thread::sleep(Duration::from_millis(200));
        }
        self.sentinel.wait_for(
            "SENTINEL get-master-addr-by-name mymaster",
            &self.servers.replica.port().to_string(),
            SYNC_TIMEOUT,
        );
        self.servers
            .replica
            .wait_for("ROLE", "master", SYNC_TIMEOUT);
        // The Sentinel turns the old primary into a replica on its next
        // look at it, up to ten seconds later; do now what it would do.
        let new_primary = self.servers.replica.port();
        let reply = self
            .servers
            .primary
            .query(&format!("REPLICAOF 127.0.0.1 {new_primary}"));
        assert_eq!(reply.as_deref(), Some("+OK\r\n"), "REPLICAOF");
        self.servers.primary.wait_for("ROLE", "slave", SYNC_TIMEOUT);
    }
}
