//! What `--redis-url` names: one Redis node, a Redis Cluster (given by seed nodes), or a primary
//! that Sentinel manages. Parsing never puts a password into an error message.

use deadpool_redis::redis::{ConnectionInfo, IntoConnectionInfo, RedisConnectionInfo};

const CLUSTER_SCHEME: &str = "redis+cluster://";
const SENTINEL_SCHEME: &str = "redis+sentinel://";
const NODE_PORT: u16 = 6379;
const SENTINEL_PORT: u16 = 26379;

/// The Redis deployment a URL names.
#[derive(Debug, Clone)]
pub enum RedisTarget {
    /// One node: `redis://[[user]:password@]host[:port][/db]` (and every other URL the client takes).
    Node(String),
    /// A cluster: one `redis://` URL per seed node, each with the URL's credentials.
    Cluster { seeds: Vec<String> },
    /// A Sentinel-managed primary: the sentinels' `redis://` URLs, the primary's name as the
    /// sentinels know it, and how to log in to the primary (user, password, database).
    Sentinel { sentinels: Vec<String>, primary: String, login: RedisConnectionInfo },
}

impl RedisTarget {
    /// Reads a URL; the error says what is wrong with it, without its password.
    pub fn parse(url: &str) -> Result<Self, String> {
        if let Some(rest) = url.strip_prefix(CLUSTER_SCHEME) {
            return cluster(rest);
        }
        if let Some(rest) = url.strip_prefix(SENTINEL_SCHEME) {
            return sentinel(rest);
        }
        url.into_connection_info().map_err(|e| e.to_string())?;
        Ok(Self::Node(url.to_owned()))
    }

    /// Whether the keys have replicas, so that a write can wait until one holds it.
    pub fn is_replicated(&self) -> bool {
        !matches!(self, Self::Node(_))
    }
}

/// `redis+cluster://[[user]:password@]host:port,host:port,…[/0]`
fn cluster(rest: &str) -> Result<RedisTarget, String> {
    let parts = Parts::of(rest)?;
    if !matches!(parts.path, "" | "0") {
        return Err(format!("a cluster has only database 0, not /{}", parts.path));
    }
    let seeds = parts.hosts(NODE_PORT)?.map(|host| parts.node_url(&host, "")).collect::<Result<Vec<_>, _>>()?;
    Ok(RedisTarget::Cluster { seeds })
}

/// `redis+sentinel://[[user]:password@]host:port,host:port,…/primary-name[/db]`; the credentials
/// are the primary's (the sentinels are reached without them).
fn sentinel(rest: &str) -> Result<RedisTarget, String> {
    let parts = Parts::of(rest)?;
    let (primary, db) = parts.path.split_once('/').unwrap_or((parts.path, ""));
    if primary.is_empty() {
        return Err("name the primary after the sentinels, e.g. redis+sentinel://s1:26379,s2:26379/mymaster".into());
    }
    let sentinels =
        parts.hosts(SENTINEL_PORT)?.map(|host| checked(format!("redis://{host}/"))).collect::<Result<_, _>>()?;
    let login = parts.node_url("sentinel-named-primary", db)?.into_connection_info().map_err(|e| e.to_string())?.redis;
    Ok(RedisTarget::Sentinel { sentinels, primary: primary.to_owned(), login })
}

/// The pieces of `[userinfo@]host,host,…[/path]` after the scheme.
struct Parts<'a> {
    userinfo: Option<&'a str>,
    hosts: &'a str,
    path: &'a str,
}

impl<'a> Parts<'a> {
    fn of(rest: &'a str) -> Result<Self, String> {
        if rest.contains('?') {
            return Err("cluster and Sentinel URLs take no ?options".into());
        }
        let (userinfo, after) = match rest.rsplit_once('@') {
            Some((userinfo, after)) => (Some(userinfo), after),
            None => (None, rest),
        };
        let (hosts, path) = after.split_once('/').unwrap_or((after, ""));
        let path = path.strip_suffix('/').unwrap_or(path);
        if hosts.is_empty() {
            return Err("name at least one node, e.g. host:port,host:port".into());
        }
        Ok(Self { userinfo, hosts, path })
    }

    /// Each `host[:port]` of the list, with `port` where none is given.
    fn hosts(&self, port: u16) -> Result<impl Iterator<Item = String> + '_, String> {
        if self.hosts.split(',').any(str::is_empty) {
            return Err("an empty node in the list (two commas, or one at an end)".into());
        }
        Ok(self
            .hosts
            .split(',')
            .map(move |host| if has_port(host) { host.to_owned() } else { format!("{host}:{port}") }))
    }

    /// A checked `redis://` URL for one node, with the credentials.
    fn node_url(&self, host: &str, db: &str) -> Result<String, String> {
        let login = self.userinfo.map(|u| format!("{u}@")).unwrap_or_default();
        checked(format!("redis://{login}{host}/{db}"))
    }
}

/// `host:port` or `[v6]:port` has a port; `host`, `[v6]` do not.
fn has_port(host: &str) -> bool {
    match host.rfind(']') {
        Some(bracket) => host[bracket..].contains(':'),
        None => host.contains(':'),
    }
}

fn checked(url: String) -> Result<String, String> {
    let info: Result<ConnectionInfo, _> = url.as_str().into_connection_info();
    info.map(|_| url).map_err(|e| e.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_plain_url_is_one_node_as_before() {
        let target = RedisTarget::parse("redis://:pw@cache:6380/2").unwrap();
        assert!(matches!(target, RedisTarget::Node(url) if url == "redis://:pw@cache:6380/2"));
        assert!(!RedisTarget::parse("redis://cache/").unwrap().is_replicated());
        assert!(RedisTarget::parse("http://cache/").is_err());
    }

    #[test]
    fn a_cluster_url_lists_its_seed_nodes_each_with_the_password() {
        let target = RedisTarget::parse("redis+cluster://:s3cret@10.0.0.1:7000,10.0.0.2,[::1]:7002").unwrap();
        assert!(target.is_replicated());
        let RedisTarget::Cluster { seeds } = target else { panic!("not a cluster") };
        assert_eq!(
            seeds,
            ["redis://:s3cret@10.0.0.1:7000/", "redis://:s3cret@10.0.0.2:6379/", "redis://:s3cret@[::1]:7002/"]
        );
    }

    #[test]
    fn a_sentinel_url_names_the_sentinels_and_the_primary() {
        let RedisTarget::Sentinel { sentinels, primary, login } =
            RedisTarget::parse("redis+sentinel://app:pw@s1,s2:26380/mymaster/3").unwrap()
        else {
            panic!("not a Sentinel target")
        };
        assert_eq!(sentinels, ["redis://s1:26379/", "redis://s2:26380/"]);
        assert_eq!(primary, "mymaster");
        assert_eq!((login.db, login.username.as_deref(), login.password.as_deref()), (3, Some("app"), Some("pw")));
    }

    #[test]
    fn unclear_cluster_and_sentinel_urls_are_refused_without_their_password() {
        for (url, complaint) in [
            ("redis+cluster://:pw@a:1,,b:2", "empty node"),
            ("redis+cluster://a:1,b:2/3", "only database 0"),
            ("redis+cluster://a:1?timeout=3", "no ?options"),
            ("redis+cluster://:pw@", "at least one node"),
            ("redis+sentinel://:pw@s1:26379", "name the primary"),
            ("redis+sentinel://s1:26379/mymaster/x", "invalid"),
            ("redis+cluster://:pw@a:notaport", "invalid"),
        ] {
            let err = RedisTarget::parse(url).unwrap_err();
            assert!(err.to_lowercase().contains(complaint), "{url}: {err}");
            assert!(!err.contains("pw"), "{url}: {err}");
        }
    }
}
