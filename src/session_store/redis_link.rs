//! Connections to the Redis that `--redis-url` names: a pool per kind of deployment (one node,
//! a cluster, a Sentinel-managed primary) and one connection type over the three, so that the
//! store sends every command the same way. Routing a command to its node (and following a
//! cluster's or Sentinel's failover) is the Redis client's work, not ours.

use deadpool_redis::redis::aio::ConnectionLike;
use deadpool_redis::redis::cluster_routing::{MultipleNodeRoutingInfo, RoutingInfo, SingleNodeRoutingInfo};
use deadpool_redis::redis::{self, Cmd, Pipeline, RedisFuture, RedisResult, Value};
use deadpool_redis::{PoolConfig, Runtime, cluster, sentinel};

use crate::config::redis_url::RedisTarget;

/// A pool of connections to one node, to a cluster, or to the primary Sentinel names.
#[derive(Clone)]
pub enum Pools {
    Node(deadpool_redis::Pool),
    Cluster(cluster::Pool),
    Sentinel(sentinel::Pool),
}

/// One pooled connection, whichever the deployment.
pub enum Link {
    Node(deadpool_redis::Connection),
    Cluster(cluster::Connection),
    Sentinel(sentinel::Connection),
}

impl Pools {
    /// Builds the pool; nothing connects until the first command.
    pub fn new(target: &RedisTarget, pool: PoolConfig) -> anyhow::Result<Self> {
        let runtime = Some(Runtime::Tokio1);
        Ok(match target {
            RedisTarget::Node(url) => {
                let mut config = deadpool_redis::Config::from_url(url);
                config.pool = Some(pool);
                Self::Node(config.create_pool(runtime)?)
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
            Self::Node(pool) => pool.get().await.map(Link::Node).map_err(|e| e.to_string()),
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
