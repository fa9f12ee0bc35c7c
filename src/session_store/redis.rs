//! The Redis store: one deadpool-redis pool with connect and wait timeouts, shared by the
//! actix-session records, the session data and the per-session locks. Every command is bounded
//! by the configured timeout, so an outage turns into an error quickly instead of a hang.

use std::collections::HashMap;
use std::future::Future;
use std::sync::Arc;
use std::time::{Duration, Instant};

use deadpool_redis::redis;
use deadpool_redis::{Config, Pool, PoolConfig, Runtime, Timeouts};

use super::{StoreResult, StoreUnavailable, random_token};
use crate::session_state::SessionData;

const RECORD_PREFIX: &str = "runnel:session:";
const DATA_PREFIX: &str = "runnel:data:";
const LOCK_PREFIX: &str = "runnel:lock:";
const VALUE_PREFIX: &str = "runnel:auth:";
/// A lock outlives a crashed holder by at most this long.
const LOCK_LEASE: Duration = Duration::from_secs(15);
/// How long an event waits for the events before it in the same session.
const LOCK_WAIT: Duration = Duration::from_secs(10);

/// Deletes the lock only if we still hold it.
const RELEASE_LUA: &str = r#"
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) else return 0 end
"#;

/// Increments a counter and gives a new one its expiry (0 = none).
const INCREMENT_LUA: &str = r#"
local n = redis.call('INCR', KEYS[1])
if n == 1 and tonumber(ARGV[1]) > 0 then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end
return n
"#;

#[derive(Clone)]
pub struct RedisStore {
    pool: Pool,
    timeout: Duration,
    ttl: Duration,
    /// Orders the events of one session inside this instance before they race for Redis.
    local: Arc<super::MemoryStore>,
    /// How many times session data was written by this instance.
    writes: Arc<std::sync::atomic::AtomicU64>,
}

pub struct RedisLock {
    store: RedisStore,
    key: String,
    token: String,
    _local: tokio::sync::OwnedMutexGuard<()>,
    released: bool,
}

impl RedisStore {
    pub fn new(url: &str, timeout: Duration, ttl: Duration) -> anyhow::Result<Self> {
        let mut config = Config::from_url(url);
        config.pool = Some(PoolConfig {
            max_size: 64,
            timeouts: Timeouts { wait: Some(timeout), create: Some(timeout), recycle: Some(timeout) },
            ..PoolConfig::default()
        });
        let pool = config.create_pool(Some(Runtime::Tokio1))?;
        let local = Arc::new(super::MemoryStore::new(ttl));
        Ok(Self { pool, timeout, ttl, local, writes: Arc::default() })
    }

    /// Runs one command on a pooled connection, within the timeout.
    async fn run<T, F, Fut>(&self, what: &str, f: F) -> StoreResult<T>
    where
        F: FnOnce(deadpool_redis::Connection) -> Fut,
        Fut: Future<Output = redis::RedisResult<T>>,
    {
        let attempt = async {
            let conn = self.pool.get().await.map_err(|e| StoreUnavailable(format!("{what}: {e}")))?;
            f(conn).await.map_err(|e| StoreUnavailable(format!("{what}: {e}")))
        };
        match tokio::time::timeout(self.timeout * 2, attempt).await {
            Ok(result) => result,
            Err(_) => Err(StoreUnavailable(format!("{what}: timed out"))),
        }
    }

    pub async fn ping(&self) -> StoreResult<()> {
        self.run("ping", |mut c| async move { redis::cmd("PING").query_async::<String>(&mut c).await }).await.map(drop)
    }

    pub async fn lock(&self, sid: &str) -> StoreResult<RedisLock> {
        let local = self.local.lock(sid).await;
        let key = format!("{LOCK_PREFIX}{sid}");
        let token = random_token();
        let deadline = Instant::now() + LOCK_WAIT;
        let mut pause = Duration::from_millis(1);
        loop {
            let (k, t) = (key.clone(), token.clone());
            let lease = LOCK_LEASE.as_millis() as u64;
            let got: Option<String> = self
                .run("lock", |mut c| async move {
                    redis::cmd("SET").arg(k).arg(t).arg("NX").arg("PX").arg(lease).query_async(&mut c).await
                })
                .await?;
            if got.is_some() {
                return Ok(RedisLock { store: self.clone(), key, token, _local: local, released: false });
            }
            if Instant::now() >= deadline {
                return Err(StoreUnavailable("the session is busy with another event".into()));
            }
            tokio::time::sleep(pause).await;
            pause = (pause * 2).min(Duration::from_millis(8));
        }
    }

    pub async fn load_data(&self, sid: &str) -> StoreResult<Option<Arc<SessionData>>> {
        let key = format!("{DATA_PREFIX}{sid}");
        let ttl = self.ttl.as_secs().max(1);
        let raw: Option<String> =
            self.run("load", |mut c| async move {
                redis::cmd("GETEX").arg(key).arg("EX").arg(ttl).query_async(&mut c).await
            })
            .await?;
        // Unreadable data (e.g. from an incompatible version) starts the session afresh.
        Ok(raw.and_then(|text| serde_json::from_str(&text).ok()).map(Arc::new))
    }

    pub async fn save_data(&self, sid: &str, data: &SessionData) -> StoreResult<()> {
        let key = format!("{DATA_PREFIX}{sid}");
        let text = serde_json::to_string(data).map_err(|e| StoreUnavailable(e.to_string()))?;
        let ttl = self.ttl.as_secs().max(1);
        self.writes.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        self.run("save", |mut c| async move {
            redis::cmd("SET").arg(key).arg(text).arg("EX").arg(ttl).query_async::<()>(&mut c).await
        })
        .await
    }

    pub async fn delete_data(&self, sid: &str) -> StoreResult<()> {
        let key = format!("{DATA_PREFIX}{sid}");
        self.run("delete data", |mut c| async move { redis::cmd("DEL").arg(key).query_async::<()>(&mut c).await }).await
    }

    pub async fn put_value(&self, key: &str, value: String, ttl: Option<Duration>) -> StoreResult<()> {
        let key = format!("{VALUE_PREFIX}{key}");
        self.run("put value", |mut c| async move {
            let mut cmd = redis::cmd("SET");
            cmd.arg(key).arg(value);
            if let Some(ttl) = ttl {
                cmd.arg("PX").arg(ttl.as_millis().max(1) as u64);
            }
            cmd.query_async::<()>(&mut c).await
        })
        .await
    }

    pub async fn get_value(&self, key: &str, touch: Option<Duration>) -> StoreResult<Option<String>> {
        let key = format!("{VALUE_PREFIX}{key}");
        self.run("get value", |mut c| async move {
            let mut cmd = redis::cmd(if touch.is_some() { "GETEX" } else { "GET" });
            cmd.arg(key);
            if let Some(ttl) = touch {
                cmd.arg("PX").arg(ttl.as_millis().max(1) as u64);
            }
            cmd.query_async(&mut c).await
        })
        .await
    }

    pub async fn delete_value(&self, key: &str) -> StoreResult<()> {
        let key = format!("{VALUE_PREFIX}{key}");
        self.run("delete value", |mut c| async move { redis::cmd("DEL").arg(key).query_async::<()>(&mut c).await })
            .await
    }

    /// INCR, and on the first increment an expiry (one atomic script).
    pub async fn increment(&self, key: &str, ttl: Option<Duration>) -> StoreResult<i64> {
        let key = format!("{VALUE_PREFIX}{key}");
        let ttl_ms = ttl.map_or(0, |t| t.as_millis().max(1) as u64);
        self.run("increment", |mut c| async move {
            redis::cmd("EVAL").arg(INCREMENT_LUA).arg(1).arg(key).arg(ttl_ms).query_async(&mut c).await
        })
        .await
    }

    pub fn data_writes(&self) -> u64 {
        self.writes.load(std::sync::atomic::Ordering::Relaxed)
    }

    pub async fn load_record(&self, key: &str) -> StoreResult<Option<HashMap<String, String>>> {
        let key = format!("{RECORD_PREFIX}{key}");
        let ttl = self.ttl.as_secs().max(1);
        let raw: Option<String> = self
            .run("load session", |mut c| async move {
                redis::cmd("GETEX").arg(key).arg("EX").arg(ttl).query_async(&mut c).await
            })
            .await?;
        Ok(raw.and_then(|text| serde_json::from_str(&text).ok()))
    }

    /// Writes a record; with `only_if_present` a deleted session is never written back.
    pub async fn write_record(
        &self,
        key: &str,
        record: &HashMap<String, String>,
        ttl_secs: u64,
        only_if_present: bool,
    ) -> StoreResult<bool> {
        let key = format!("{RECORD_PREFIX}{key}");
        let text = serde_json::to_string(record).map_err(|e| StoreUnavailable(e.to_string()))?;
        let condition = if only_if_present { "XX" } else { "NX" };
        let written: Option<String> = self
            .run("save session", |mut c| async move {
                redis::cmd("SET")
                    .arg(key)
                    .arg(text)
                    .arg(condition)
                    .arg("EX")
                    .arg(ttl_secs.max(1))
                    .query_async(&mut c)
                    .await
            })
            .await?;
        Ok(written.is_some())
    }

    pub async fn touch_record(&self, key: &str, ttl_secs: u64) -> StoreResult<()> {
        let key = format!("{RECORD_PREFIX}{key}");
        self.run("touch session", |mut c| async move {
            redis::cmd("EXPIRE").arg(key).arg(ttl_secs.max(1)).query_async::<()>(&mut c).await
        })
        .await
    }

    pub async fn delete_record(&self, key: &str) -> StoreResult<()> {
        let key = format!("{RECORD_PREFIX}{key}");
        self.run("delete session", |mut c| async move { redis::cmd("DEL").arg(key).query_async::<()>(&mut c).await })
            .await
    }
}

impl RedisLock {
    pub async fn release(mut self) {
        self.released = true;
        let (key, token) = (std::mem::take(&mut self.key), std::mem::take(&mut self.token));
        release(&self.store, key, token).await;
    }
}

async fn release(store: &RedisStore, key: String, token: String) {
    let outcome = store
        .run("unlock", |mut c| async move {
            redis::cmd("EVAL").arg(RELEASE_LUA).arg(1).arg(key).arg(token).query_async::<i64>(&mut c).await
        })
        .await;
    if let Err(err) = outcome {
        // The lease runs out by itself; the next event of this session waits for it.
        tracing::warn!(error = %err, "could not release a session lock");
    }
}

impl Drop for RedisLock {
    fn drop(&mut self) {
        if !self.released {
            let (store, key, token) =
                (self.store.clone(), std::mem::take(&mut self.key), std::mem::take(&mut self.token));
            tokio::spawn(async move { release(&store, key, token).await });
        }
    }
}
