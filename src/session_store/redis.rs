//! The Redis store: session records, session data and auth values in one Redis, shared by
//! every instance. The per-session lock is a lease renewed by a heartbeat while its holder
//! lives, and the session data is written only while the lease is still held (checked in
//! Redis, atomically), so an event whose lease was lost can never overwrite a newer one.
//!
//! The Redis may be one node, a cluster or a Sentinel-managed primary (`redis_link`). Keys
//! that one script touches together share a hash slot: a session's lock key carries its data
//! key as hash tag. Every other command touches one key. With replicas (cluster, Sentinel), a
//! write is answered once a replica holds it too, or after a short bounded wait.

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use deadpool_redis::redis::{self, FromRedisValue};
use deadpool_redis::{PoolConfig, Timeouts};

use super::locks::{LocalGuard, LocalLocks, LockTiming};
use super::redis_link::{Link, Pools};
use super::{StoreError, StoreResult, random_token, waits};
use crate::config::redis_url::RedisTarget;
use crate::session_state::SessionData;

const RECORD_PREFIX: &str = "runnel:session:";
const DATA_PREFIX: &str = "runnel:data:";
const LOCK_PREFIX: &str = "runnel:lock:";
const VALUE_PREFIX: &str = "runnel:auth:";

/// The longest a write waits for a replica to hold it (`WAIT 1 <ms>`) before it is answered
/// anyway: only a shard without a live replica ever waits this long.
const REPLICA_WAIT: Duration = Duration::from_millis(200);

/// Deletes the lock only if we still hold it.
const RELEASE_LUA: &str = r#"
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) else return 0 end
"#;

/// Extends the lease only if we still hold it: 1 when renewed, 0 when it was lost.
const RENEW_LUA: &str = r#"
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) else return 0 end
"#;

/// The fenced write: the data is saved only while the lock still holds our token.
const FENCED_SAVE_LUA: &str = r#"
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
redis.call('SET', KEYS[2], ARGV[2], 'EX', ARGV[3])
return 1
"#;

/// Takes the lock if it is free and, in the same round trip, reads the session's data (and
/// pushes its expiry out): nil when the lock is held, else `{1, data or nil}`.
const LOCK_AND_LOAD_LUA: &str = r#"
if not redis.call('SET', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[2]) then return false end
return {1, redis.call('GETEX', KEYS[2], 'EX', ARGV[3])}
"#;

/// The fenced write and the release in one round trip: saved and unlocked only while the lock
/// still holds our token (1), else nothing (0).
const FENCED_SAVE_AND_RELEASE_LUA: &str = r#"
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
redis.call('SET', KEYS[2], ARGV[2], 'EX', ARGV[3])
redis.call('DEL', KEYS[1])
return 1
"#;

/// Deletes a key: a script so that, followed by `WAIT`, it still goes to the key's node.
const DELETE_LUA: &str = "return redis.call('DEL', KEYS[1])";

/// Increments a counter and gives a new one its expiry (0 = none).
const INCREMENT_LUA: &str = r#"
local n = redis.call('INCR', KEYS[1])
if n == 1 and tonumber(ARGV[1]) > 0 then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end
return n
"#;

/// Adds a member to a set and pushes the set's expiry out to at least `ARGV[2]` ms from now.
const ADD_MEMBER_LUA: &str = r#"
redis.call('SADD', KEYS[1], ARGV[1])
if redis.call('PTTL', KEYS[1]) < tonumber(ARGV[2]) then redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
return 1
"#;

/// What a command is to the interaction that sends it. Only the writes that carry its effect
/// (the session's data and record) leave the outcome unknown when their answer is lost; a lost
/// answer to anything else (the lock, a read, auth bookkeeping) happens before that effect.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Op {
    Bookkeeping,
    Effect,
}

#[derive(Clone)]
pub struct RedisStore {
    pools: Pools,
    /// How long a write waits for a replica to hold it; `None` for a single node.
    replica_wait: Option<Duration>,
    /// Whether keys are spread over the nodes of a cluster (hash slots).
    sharded: bool,
    timeout: Duration,
    ttl: Duration,
    timing: LockTiming,
    /// Orders the events of one session inside this instance before they race for Redis.
    local: Arc<LocalLocks>,
    /// How many times session data was written by this instance.
    writes: Arc<std::sync::atomic::AtomicU64>,
}

/// A held Redis lock: its token, and the heartbeat that renews the lease while it is held.
pub struct RedisLock {
    store: RedisStore,
    key: String,
    token: String,
    /// Set by the heartbeat when Redis no longer holds our token (the lease ran out).
    lost: Arc<AtomicBool>,
    heartbeat: tokio::task::JoinHandle<()>,
    _local: LocalGuard,
    released: bool,
}

impl RedisStore {
    pub fn new(url: &str, timeout: Duration, ttl: Duration, timing: LockTiming) -> anyhow::Result<Self> {
        let target = RedisTarget::parse(url).map_err(|e| anyhow::anyhow!("the Redis URL is not valid: {e}"))?;
        let pool = PoolConfig {
            max_size: 64,
            timeouts: Timeouts { wait: Some(timeout), create: Some(timeout), recycle: Some(timeout) },
            ..PoolConfig::default()
        };
        let pools = Pools::new(&target, pool)?;
        let replica_wait = target.is_replicated().then(|| REPLICA_WAIT.min(timeout / 2));
        let sharded = matches!(target, RedisTarget::Cluster { .. });
        let local = Arc::new(LocalLocks::new(timing.wait));
        Ok(Self { pools, replica_wait, sharded, timeout, ttl, timing, local, writes: Arc::default() })
    }

    /// Runs one command on a pooled connection, within the timeout. A write that was sent but
    /// not answered is `Unconfirmed`: it may have been applied.
    async fn run<T, F, Fut>(&self, what: &str, op: Op, f: F) -> StoreResult<T>
    where
        F: FnOnce(Link) -> Fut,
        Fut: Future<Output = redis::RedisResult<T>>,
    {
        let sent = AtomicBool::new(false);
        // On the heap: the cluster and Sentinel clients' futures are large, and a request's
        // chain of awaits runs on a worker thread's stack.
        let attempt = Box::pin(async {
            let conn = self.pools.get().await.map_err(|e| StoreError::Unavailable(format!("{what}: {e}")))?;
            sent.store(true, Ordering::Relaxed);
            f(conn).await.map_err(|e| unanswered(what, op, e.to_string()))
        });
        let started = Instant::now();
        let result = match tokio::time::timeout(waits::remaining(self.timeout * 2), attempt).await {
            Ok(result) => result,
            Err(_) if sent.load(Ordering::Relaxed) => Err(unanswered(what, op, "timed out".into())),
            Err(_) => Err(StoreError::Unavailable(format!("{what}: timed out"))),
        };
        crate::metrics::store_operation(what, result.is_ok(), started.elapsed());
        result
    }

    /// Runs one write. With replicas, `WAIT 1` follows it on the same connection (so on the
    /// key's node): the answer comes once a replica holds the write too, or after the replica
    /// wait when none does (counted as a failed "replica ack" in the metrics).
    async fn write<T>(&self, what: &str, op: Op, cmd: redis::Cmd) -> StoreResult<T>
    where
        T: FromRedisValue + Send + 'static,
    {
        let Some(wait) = self.replica_wait else {
            return self.run(what, op, |mut c| async move { cmd.query_async(&mut c).await }).await;
        };
        let started = Instant::now();
        let wait_ms = wait.as_millis().max(1) as u64;
        let (value, replicas): (T, u32) = self
            .run(what, op, |mut c| async move {
                redis::pipe().add_command(cmd).cmd("WAIT").arg(1).arg(wait_ms).query_async(&mut c).await
            })
            .await?;
        crate::metrics::store_operation("replica ack", replicas > 0, started.elapsed());
        Ok(value)
    }

    pub async fn ping(&self) -> StoreResult<()> {
        self.run("ping", Op::Bookkeeping, |mut c| async move { redis::cmd("PING").query_async::<String>(&mut c).await })
            .await
            .map(drop)
    }

    /// How many keys the store's Redis database holds (`DBSIZE`).
    pub async fn entry_count(&self) -> StoreResult<usize> {
        self.run(
            "dbsize",
            Op::Bookkeeping,
            |mut c| async move { redis::cmd("DBSIZE").query_async::<usize>(&mut c).await },
        )
        .await
    }

    /// Takes the session's lock: first in this process, then in Redis, waiting at most the
    /// lock wait in all. A heartbeat renews the lease until the lock is released or dropped.
    pub async fn lock(&self, sid: &str) -> StoreResult<RedisLock> {
        self.take_lock(sid, false).await.map(|(lock, _)| lock)
    }

    /// [`RedisStore::lock`] and [`RedisStore::load_data`] in one round trip per attempt: the
    /// data is read by the same script that takes the lock, so it is what the holder may change.
    pub async fn lock_and_load(&self, sid: &str) -> StoreResult<(RedisLock, Option<Arc<SessionData>>)> {
        self.take_lock(sid, true).await
    }

    async fn take_lock(&self, sid: &str, load: bool) -> StoreResult<(RedisLock, Option<Arc<SessionData>>)> {
        let deadline = Instant::now() + waits::remaining(self.timing.wait);
        let local = self.local.lock(sid).await?;
        let key = lock_key(sid);
        let token = random_token();
        let mut pause = Duration::from_millis(1);
        let data = loop {
            if let Some(data) = self.try_lock(sid, &key, &token, load).await? {
                break data;
            }
            if Instant::now() >= deadline {
                return Err(StoreError::Busy);
            }
            tokio::time::sleep(pause).await;
            pause = (pause * 2).min(Duration::from_millis(8));
        };
        let lost = Arc::new(AtomicBool::new(false));
        let heartbeat = tokio::spawn(heartbeat(self.clone(), key.clone(), token.clone(), lost.clone()));
        let lock = RedisLock { store: self.clone(), key, token, lost, heartbeat, _local: local, released: false };
        // Unreadable data (e.g. from an incompatible version) starts the session afresh.
        Ok((lock, data.and_then(|text| serde_json::from_str(&text).ok()).map(Arc::new)))
    }

    /// One attempt: `None` while another holder has the lock; once taken, the session's data
    /// when `load` asked for it.
    async fn try_lock(&self, sid: &str, key: &str, token: &str, load: bool) -> StoreResult<Option<Option<String>>> {
        let (k, t) = (key.to_owned(), token.to_owned());
        let lease = self.timing.lease.as_millis() as u64;
        if !load {
            let got: Option<String> = self
                .run("lock", Op::Bookkeeping, |mut c| async move {
                    redis::cmd("SET").arg(k).arg(t).arg("NX").arg("PX").arg(lease).query_async(&mut c).await
                })
                .await?;
            return Ok(got.map(|_| None));
        }
        let (data_key, ttl) = (format!("{DATA_PREFIX}{sid}"), self.ttl.as_secs().max(1));
        let got: Option<(i64, Option<String>)> = self
            .run("lock and load", Op::Bookkeeping, |mut c| async move {
                let mut script = redis::cmd("EVAL");
                script.arg(LOCK_AND_LOAD_LUA).arg(2).arg(k).arg(data_key).arg(t).arg(lease).arg(ttl);
                script.query_async(&mut c).await
            })
            .await?;
        Ok(got.map(|(_, data)| data))
    }

    /// Extends the lease if we still hold it; `false` when another holder has it now.
    async fn renew(&self, key: &str, token: &str) -> StoreResult<bool> {
        let (k, t) = (key.to_owned(), token.to_owned());
        let lease = self.timing.lease.as_millis() as u64;
        let renewed: i64 = self
            .run("renew lock", Op::Bookkeeping, |mut c| async move {
                redis::cmd("EVAL").arg(RENEW_LUA).arg(1).arg(k).arg(t).arg(lease).query_async(&mut c).await
            })
            .await?;
        Ok(renewed == 1)
    }

    pub async fn load_data(&self, sid: &str) -> StoreResult<Option<Arc<SessionData>>> {
        let key = format!("{DATA_PREFIX}{sid}");
        let ttl = self.ttl.as_secs().max(1);
        let raw: Option<String> = self
            .run("load", Op::Bookkeeping, |mut c| async move {
                redis::cmd("GETEX").arg(key).arg("EX").arg(ttl).query_async(&mut c).await
            })
            .await?;
        // Unreadable data (e.g. from an incompatible version) starts the session afresh.
        Ok(raw.and_then(|text| serde_json::from_str(&text).ok()).map(Arc::new))
    }

    /// Saves session data while `lock` still holds the session's lease, checked atomically in
    /// Redis; a holder whose lease ran out (and maybe went to another event) writes nothing.
    pub async fn save_data(&self, lock: &RedisLock, sid: &str, data: &SessionData) -> StoreResult<()> {
        if lock.lost.load(Ordering::Relaxed) {
            return Err(StoreError::LeaseLost);
        }
        let (lock_key, token) = (lock.key.clone(), lock.token.clone());
        let key = format!("{DATA_PREFIX}{sid}");
        let text = serde_json::to_string(data).map_err(|e| StoreError::Unavailable(e.to_string()))?;
        let ttl = self.ttl.as_secs().max(1);
        self.writes.fetch_add(1, Ordering::Relaxed);
        if self.sharded && lock_key != self::lock_key(sid) {
            return self.save_moved(&lock_key, &token, key, text, ttl).await;
        }
        let mut save = redis::cmd("EVAL");
        save.arg(FENCED_SAVE_LUA).arg(2).arg(lock_key).arg(key).arg(token).arg(text).arg(ttl);
        let saved: i64 = self.write("save", Op::Effect, save).await?;
        if saved == 1 { Ok(()) } else { Err(StoreError::LeaseLost) }
    }

    /// Saves session data under the lock's own session id and gives the lock back, in one round
    /// trip, fenced like [`RedisStore::save_data`]: nothing is written (and the lock is not
    /// ours to release) once its lease was lost.
    pub async fn save_and_release(&self, mut lock: RedisLock, sid: &str, data: &SessionData) -> StoreResult<()> {
        if lock.lost.load(Ordering::Relaxed) || lock.key != self::lock_key(sid) {
            // Lost, or a save under another id: the two steps, as `save_data` checks them.
            self.save_data(&lock, sid, data).await?;
            lock.release().await;
            return Ok(());
        }
        let text = serde_json::to_string(data).map_err(|e| StoreError::Unavailable(e.to_string()))?;
        let (key, ttl) = (format!("{DATA_PREFIX}{sid}"), self.ttl.as_secs().max(1));
        self.writes.fetch_add(1, Ordering::Relaxed);
        lock.heartbeat.abort();
        let mut save = redis::cmd("EVAL");
        save.arg(FENCED_SAVE_AND_RELEASE_LUA).arg(2).arg(&lock.key).arg(key).arg(&lock.token).arg(text).arg(ttl);
        // Unanswered: the drop releases the lock in the background (a no-op if it was).
        let saved: i64 = self.write("save and unlock", Op::Effect, save).await?;
        lock.released = true;
        if saved == 1 { Ok(()) } else { Err(StoreError::LeaseLost) }
    }

    /// Saves the data of a session moved to a new id (a login, a logout) in a cluster, where
    /// the new data key and the old id's lock hash to different slots, so no one script can
    /// check the one and write the other. The lease is renewed first (refused when it was
    /// lost, and then good for a whole lease), then the new id is written: no other event can
    /// write it, as none knows it yet.
    async fn save_moved(&self, lock_key: &str, token: &str, key: String, text: String, ttl: u64) -> StoreResult<()> {
        if !self.renew(lock_key, token).await? {
            return Err(StoreError::LeaseLost);
        }
        let mut save = redis::cmd("SET");
        save.arg(key).arg(text).arg("EX").arg(ttl);
        self.write("save", Op::Effect, save).await
    }

    pub async fn delete_data(&self, sid: &str) -> StoreResult<()> {
        self.delete("delete data", Op::Effect, format!("{DATA_PREFIX}{sid}")).await
    }

    pub async fn put_value(&self, key: &str, value: String, ttl: Option<Duration>) -> StoreResult<()> {
        let mut cmd = redis::cmd("SET");
        cmd.arg(format!("{VALUE_PREFIX}{key}")).arg(value);
        if let Some(ttl) = ttl {
            cmd.arg("PX").arg(ttl.as_millis().max(1) as u64);
        }
        self.write("put value", Op::Bookkeeping, cmd).await
    }

    /// SET XX: replaces the value only if it exists.
    pub async fn replace_value(&self, key: &str, value: String, ttl: Option<Duration>) -> StoreResult<bool> {
        let mut cmd = redis::cmd("SET");
        cmd.arg(format!("{VALUE_PREFIX}{key}")).arg(value).arg("XX");
        if let Some(ttl) = ttl {
            cmd.arg("PX").arg(ttl.as_millis().max(1) as u64);
        }
        let replaced: Option<String> = self.write("replace value", Op::Bookkeeping, cmd).await?;
        Ok(replaced.is_some())
    }

    pub async fn get_value(&self, key: &str, touch: Option<Duration>) -> StoreResult<Option<String>> {
        let key = format!("{VALUE_PREFIX}{key}");
        self.run("get value", Op::Bookkeeping, |mut c| async move {
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
        self.delete("delete value", Op::Bookkeeping, format!("{VALUE_PREFIX}{key}")).await
    }

    /// INCR, and on the first increment an expiry (one atomic script).
    pub async fn increment(&self, key: &str, ttl: Option<Duration>) -> StoreResult<i64> {
        let ttl_ms = ttl.map_or(0, |t| t.as_millis().max(1) as u64);
        let mut cmd = redis::cmd("EVAL");
        cmd.arg(INCREMENT_LUA).arg(1).arg(format!("{VALUE_PREFIX}{key}")).arg(ttl_ms);
        self.write("increment", Op::Bookkeeping, cmd).await
    }

    /// Adds `member` to the set at `key`; the set lives at least `ttl` from now.
    pub async fn add_member(&self, key: &str, member: &str, ttl: Duration) -> StoreResult<()> {
        let ttl_ms = ttl.as_millis().max(1) as u64;
        let mut cmd = redis::cmd("EVAL");
        cmd.arg(ADD_MEMBER_LUA).arg(1).arg(format!("{VALUE_PREFIX}{key}")).arg(member).arg(ttl_ms);
        self.write("add member", Op::Bookkeeping, cmd).await
    }

    pub async fn members(&self, key: &str) -> StoreResult<Vec<String>> {
        let key = format!("{VALUE_PREFIX}{key}");
        self.run("members", Op::Bookkeeping, |mut c| async move {
            redis::cmd("SMEMBERS").arg(key).query_async(&mut c).await
        })
        .await
    }

    pub async fn remove_member(&self, key: &str, member: &str) -> StoreResult<()> {
        let mut cmd = redis::cmd("SREM");
        cmd.arg(format!("{VALUE_PREFIX}{key}")).arg(member);
        self.write("remove member", Op::Bookkeeping, cmd).await
    }

    /// The data of every session, found with SCAN (for tests that look for what it holds).
    pub async fn all_data(&self) -> StoreResult<Vec<Arc<SessionData>>> {
        let mut all = Vec::new();
        for key in self.scan(DATA_PREFIX, "scan data").await? {
            if let Some(data) = self.load_data(key.trim_start_matches(DATA_PREFIX)).await? {
                all.push(data);
            }
        }
        Ok(all)
    }

    /// Counts the session records with SCAN (a few round trips per thousand sessions).
    pub async fn record_count(&self) -> StoreResult<u64> {
        Ok(self.scan(RECORD_PREFIX, "count sessions").await?.len() as u64)
    }

    /// Every key that starts with `prefix`, found with SCAN in batches of about a thousand, on
    /// every primary of a cluster (each holds its own share of the keys).
    async fn scan(&self, prefix: &str, what: &str) -> StoreResult<Vec<String>> {
        let primaries = self.run(what, Op::Bookkeeping, |mut c| async move { c.primaries().await }).await?;
        let mut found = Vec::new();
        for node in primaries {
            found.extend(self.scan_node(node, prefix, what).await?);
        }
        Ok(found)
    }

    async fn scan_node(&self, node: Option<String>, prefix: &str, what: &str) -> StoreResult<Vec<String>> {
        let (mut cursor, mut found) = (0u64, Vec::new());
        loop {
            let (pattern, node) = (format!("{prefix}*"), node.clone());
            let (next, keys) = self
                .run(what, Op::Bookkeeping, |mut c| async move { c.scan_page(node.as_deref(), cursor, &pattern).await })
                .await?;
            found.extend(keys);
            if next == 0 {
                return Ok(found);
            }
            cursor = next;
        }
    }

    pub fn data_writes(&self) -> u64 {
        self.writes.load(Ordering::Relaxed)
    }

    pub async fn load_record(&self, key: &str) -> StoreResult<Option<HashMap<String, String>>> {
        let key = format!("{RECORD_PREFIX}{key}");
        let ttl = self.ttl.as_secs().max(1);
        let raw: Option<String> = self
            .run("load session", Op::Bookkeeping, |mut c| async move {
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
        let text = serde_json::to_string(record).map_err(|e| StoreError::Unavailable(e.to_string()))?;
        let condition = if only_if_present { "XX" } else { "NX" };
        let mut cmd = redis::cmd("SET");
        cmd.arg(key).arg(text).arg(condition).arg("EX").arg(ttl_secs.max(1));
        let written: Option<String> = self.write("save session", Op::Effect, cmd).await?;
        Ok(written.is_some())
    }

    pub async fn touch_record(&self, key: &str, ttl_secs: u64) -> StoreResult<()> {
        let key = format!("{RECORD_PREFIX}{key}");
        self.run("touch session", Op::Bookkeeping, |mut c| async move {
            redis::cmd("EXPIRE").arg(key).arg(ttl_secs.max(1)).query_async::<()>(&mut c).await
        })
        .await
    }

    pub async fn delete_record(&self, key: &str) -> StoreResult<()> {
        self.delete("delete session", Op::Effect, format!("{RECORD_PREFIX}{key}")).await
    }

    /// Deletes one key (a script, so that the replica wait goes to the key's node).
    async fn delete(&self, what: &str, op: Op, key: String) -> StoreResult<()> {
        let mut cmd = redis::cmd("EVAL");
        cmd.arg(DELETE_LUA).arg(1).arg(key);
        self.write(what, op, cmd).await
    }
}

impl RedisLock {
    pub async fn release(mut self) {
        if waits::exhausted() {
            // The request has no time left to wait for Redis: the drop releases it in the
            // background, and the answer goes out now.
            return;
        }
        self.released = true;
        self.heartbeat.abort();
        let (key, token) = (std::mem::take(&mut self.key), std::mem::take(&mut self.token));
        release(&self.store, key, token).await;
    }
}

/// Renews the lease every quarter lease until aborted; stops and flags the lock when Redis
/// says the lease is no longer ours. A failed renewal is tried again at the next beat.
async fn heartbeat(store: RedisStore, key: String, token: String, lost: Arc<AtomicBool>) {
    let mut beat = tokio::time::interval(store.timing.heartbeat());
    beat.tick().await;
    loop {
        beat.tick().await;
        match store.renew(&key, &token).await {
            Ok(true) => {}
            Ok(false) => {
                tracing::warn!("a session lock's lease ran out under a running event; its write will be refused");
                lost.store(true, Ordering::Relaxed);
                return;
            }
            Err(err) => tracing::warn!(error = %err, "could not renew a session lock"),
        }
    }
}

async fn release(store: &RedisStore, key: String, token: String) {
    let outcome = store
        .run("unlock", Op::Bookkeeping, |mut c| async move {
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
        self.heartbeat.abort();
        if !self.released {
            let (store, key, token) =
                (self.store.clone(), std::mem::take(&mut self.key), std::mem::take(&mut self.token));
            tokio::spawn(async move { release(&store, key, token).await });
        }
    }
}

/// The key of a session's lock. Its hash tag is the session's data key, so that the lock and
/// the data share a hash slot (one node of a cluster) for the fenced save, which needs both.
fn lock_key(sid: &str) -> String {
    format!("{LOCK_PREFIX}{{{DATA_PREFIX}{sid}}}")
}

/// The error for a command that failed after it was sent.
fn unanswered(what: &str, op: Op, cause: String) -> StoreError {
    match op {
        Op::Bookkeeping => StoreError::Unavailable(format!("{what}: {cause}")),
        Op::Effect => StoreError::Unconfirmed(format!("{what}: {cause}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_a_lost_answer_to_an_effect_write_leaves_the_outcome_unknown() {
        assert!(matches!(unanswered("save", Op::Effect, "timed out".into()), StoreError::Unconfirmed(_)));
        assert!(matches!(unanswered("lock", Op::Bookkeeping, "timed out".into()), StoreError::Unavailable(_)));
    }

    #[test]
    fn a_sessions_lock_key_hashes_as_its_data_key() {
        // Redis Cluster hashes only the part between the first `{` and the next `}`.
        assert_eq!(lock_key("abc123"), "runnel:lock:{runnel:data:abc123}");
    }
}
