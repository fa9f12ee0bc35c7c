//! Connections to the Redis that `--redis-url` names: a pool per kind of deployment (one node,
//! a cluster, a Sentinel-managed primary) and one connection type over the three, so that the
//! store sends every command the same way. Routing a command to its node (and following a
//! cluster's or Sentinel's failover) is the Redis client's work, not ours.
//!
//! A single node's connections are checked (`PING`) only when they come out of the pool after
//! a pause ([`CHECK_AFTER`]): deadpool-redis checks on every checkout, a second round trip for
//! each command. A connection whose last command failed on the connection, or never finished
//! (a timeout), is dropped instead of going back to the pool, so a busy pool never keeps a
//! dead connection.

use std::time::Duration;

use deadpool::managed::{self, Metrics, RecycleResult};
use deadpool_redis::redis::aio::{ConnectionLike, MultiplexedConnection};
use deadpool_redis::redis::cluster_routing::{MultipleNodeRoutingInfo, RoutingInfo, SingleNodeRoutingInfo};
use deadpool_redis::redis::{self, Cmd, Pipeline, RedisFuture, RedisResult, Value};
use deadpool_redis::{PoolConfig, Runtime, cluster, sentinel};

use crate::config::redis_url::RedisTarget;

/// How long a pooled connection may rest and still be handed out without a `PING` first.
const CHECK_AFTER: Duration = Duration::from_secs(1);

/// deadpool-redis's manager, checking a connection only after it rested (see the module doc).
#[derive(Debug)]
pub struct Rested(deadpool_redis::Manager);

impl managed::Manager for Rested {
    type Type = MultiplexedConnection;
    type Error = redis::RedisError;

    async fn create(&self) -> Result<MultiplexedConnection, redis::RedisError> {
        managed::Manager::create(&self.0).await
    }

    async fn recycle(&self, conn: &mut MultiplexedConnection, metrics: &Metrics) -> RecycleResult<redis::RedisError> {
        // `recycled` is the last checkout; a connection that failed since was not put back.
        if metrics.last_used() < CHECK_AFTER {
            return Ok(());
        }
        managed::Manager::recycle(&self.0, conn, metrics).await
    }
}

/// A single node's pooled connection; see [`Rested`].
pub struct NodeLink {
    conn: Option<managed::Object<Rested>>,
    /// A command is under way or failed on the connection: do not put it back.
    doubtful: bool,
}

impl NodeLink {
    /// The connection; it is taken away only when the link is dropped.
    fn connection(&mut self) -> RedisResult<&mut MultiplexedConnection> {
        let gone = || redis::RedisError::from((redis::ErrorKind::ClientError, "the pooled connection is gone"));
        self.conn.as_deref_mut().ok_or_else(gone)
    }

    /// Whether an answer says the connection itself failed (not the command).
    fn connection_failed(answer: &RedisResult<impl Sized>) -> bool {
        answer.as_ref().err().is_some_and(|e| {
            e.is_io_error() || e.is_connection_dropped() || e.is_timeout() || e.is_unrecoverable_error()
        })
    }
}

impl Drop for NodeLink {
    fn drop(&mut self) {
        if let Some(conn) = self.conn.take().filter(|_| self.doubtful) {
            drop(managed::Object::take(conn));
        }
    }
}

/// A pool of connections to one node, to a cluster, or to the primary Sentinel names.
#[derive(Clone)]
pub enum Pools {
    Node(managed::Pool<Rested>),
    Cluster(cluster::Pool),
    Sentinel(sentinel::Pool),
}

/// One pooled connection, whichever the deployment.
pub enum Link {
    Node(NodeLink),
    Cluster(cluster::Connection),
    Sentinel(sentinel::Connection),
}

impl Pools {
    /// Builds the pool; nothing connects until the first command.
    pub fn new(target: &RedisTarget, pool: PoolConfig) -> anyhow::Result<Self> {
        let runtime = Some(Runtime::Tokio1);
        Ok(match target {
            RedisTarget::Node(url) => {
                let manager = Rested(deadpool_redis::Manager::new(url.as_str())?);
                let pool = PoolConfig { queue_mode: managed::QueueMode::Lifo, ..pool };
                Self::Node(managed::Pool::builder(manager).config(pool).runtime(Runtime::Tokio1).build()?)
            }
            RedisTarget::Cluster { seeds } => {
                let mut config = cluster::Config::from_urls(seeds.clone());
                config.pool = Some(pool);
                Self::Cluster(config.create_pool(runtime)?)
            }
            RedisTarget::Sentinel { sentinels, primary, login } => {
                let node = sentinel::SentinelNodeConnectionInfo {
                    tls_mode: None,
                    redis_connection_info: Some(login.clone().into()),
                };
                let mut config = sentinel::Config::from_urls(
                    sentinels.clone(),
                    primary.clone(),
                    sentinel::SentinelServerType::Master,
                )
                .with_node_connection_info(Some(node));
                config.pool = Some(pool);
                Self::Sentinel(config.create_pool(runtime)?)
            }
        })
    }

    /// A connection from the pool (made when none is free); the error says why not.
    pub async fn get(&self) -> Result<Link, String> {
        match self {
            Self::Node(pool) => {
                let conn = pool.get().await.map_err(|e| e.to_string())?;
                Ok(Link::Node(NodeLink { conn: Some(conn), doubtful: false }))
            }
            Self::Cluster(pool) => pool.get().await.map(Link::Cluster).map_err(|e| e.to_string()),
            Self::Sentinel(pool) => pool.get().await.map(Link::Sentinel).map_err(|e| e.to_string()),
        }
    }
}

impl Link {
    /// The nodes that hold keys: every primary's `host:port` in a cluster; otherwise the one
    /// node this connection reaches (`None`).
    pub async fn primaries(&mut self) -> RedisResult<Vec<Option<String>>> {
        let Self::Cluster(conn) = self else { return Ok(vec![None]) };
        let answers = conn.route_command(&redis::cmd("PING"), all_primaries()).await?;
        let addresses: Vec<(String, Value)> = redis::from_redis_value(&answers)?;
        Ok(addresses.into_iter().map(|(address, _)| Some(address)).collect())
    }

    /// One page of `SCAN cursor MATCH pattern` on `node` (an address from [`Self::primaries`]).
    pub async fn scan_page(
        &mut self,
        node: Option<&str>,
        cursor: u64,
        pattern: &str,
    ) -> RedisResult<(u64, Vec<String>)> {
        let mut scan = redis::cmd("SCAN");
        scan.arg(cursor).arg("MATCH").arg(pattern).arg("COUNT").arg(1000);
        match (self, node) {
            (Self::Cluster(conn), Some(address)) => {
                let page = conn.route_command(&scan, by_address(address)?).await?;
                redis::from_redis_value(&page)
            }
            (link, _) => scan.query_async(link).await,
        }
    }
}

fn all_primaries() -> RoutingInfo {
    RoutingInfo::MultiNode((MultipleNodeRoutingInfo::AllMasters, None))
}

fn by_address(address: &str) -> RedisResult<RoutingInfo> {
    let bad = || redis::RedisError::from((redis::ErrorKind::ClientError, "a cluster node without a port"));
    let (host, port) = address.rsplit_once(':').ok_or_else(bad)?;
    let port = port.parse().map_err(|_| bad())?;
    Ok(RoutingInfo::SingleNode(SingleNodeRoutingInfo::ByAddress { host: host.to_owned(), port }))
}

impl ConnectionLike for NodeLink {
    fn req_packed_command<'a>(&'a mut self, cmd: &'a Cmd) -> RedisFuture<'a, Value> {
        Box::pin(async move {
            self.doubtful = true;
            let answer = self.connection()?.req_packed_command(cmd).await;
            self.doubtful = Self::connection_failed(&answer);
            answer
        })
    }

    fn req_packed_commands<'a>(
        &'a mut self,
        cmd: &'a Pipeline,
        offset: usize,
        count: usize,
    ) -> RedisFuture<'a, Vec<Value>> {
        Box::pin(async move {
            self.doubtful = true;
            let answer = self.connection()?.req_packed_commands(cmd, offset, count).await;
            self.doubtful = Self::connection_failed(&answer);
            answer
        })
    }

    fn get_db(&self) -> i64 {
        self.conn.as_deref().map_or(0, ConnectionLike::get_db)
    }
}

impl ConnectionLike for Link {
    fn req_packed_command<'a>(&'a mut self, cmd: &'a Cmd) -> RedisFuture<'a, Value> {
        match self {
            Self::Node(conn) => conn.req_packed_command(cmd),
            Self::Cluster(conn) => conn.req_packed_command(cmd),
            Self::Sentinel(conn) => conn.req_packed_command(cmd),
        }
    }

    fn req_packed_commands<'a>(
        &'a mut self,
        cmd: &'a Pipeline,
        offset: usize,
        count: usize,
    ) -> RedisFuture<'a, Vec<Value>> {
        match self {
            Self::Node(conn) => conn.req_packed_commands(cmd, offset, count),
            Self::Cluster(conn) => conn.req_packed_commands(cmd, offset, count),
            Self::Sentinel(conn) => conn.req_packed_commands(cmd, offset, count),
        }
    }

    fn get_db(&self) -> i64 {
        match self {
            Self::Node(conn) => conn.get_db(),
            Self::Cluster(conn) => conn.get_db(),
            Self::Sentinel(conn) => conn.get_db(),
        }
    }
}
