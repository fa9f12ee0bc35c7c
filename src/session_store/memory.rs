//! The in-memory store: one process, sessions expire after the idle TTL and a sweeper drops them.

use std::collections::{BTreeSet, HashMap};
use std::sync::{Arc, Mutex, Weak};
use std::time::{Duration, Instant};

use crate::session_state::SessionData;

/// "No expiry" for values kept until deleted (a century is far enough).
const FOREVER: Duration = Duration::from_secs(100 * 365 * 86_400);

pub struct MemoryStore {
    ttl: Duration,
    /// actix-session records by session key. A std mutex: it is never held across `.await`.
    records: Mutex<HashMap<String, Expiring<HashMap<String, String>>>>,
    /// Session data by our session id.
    data: Mutex<HashMap<String, Expiring<Arc<SessionData>>>>,
    /// Small shared values (login tokens, generations, failure counters) by key.
    values: Mutex<HashMap<String, Expiring<String>>>,
    /// Small shared sets (the per-user index of logins) by key.
    sets: Mutex<HashMap<String, Expiring<BTreeSet<String>>>>,
    /// How many times session data was written (tests check that unchanged state is not).
    writes: std::sync::atomic::AtomicU64,
}

struct Expiring<T> {
    value: T,
    expires: Instant,
}

impl MemoryStore {
    pub fn new(ttl: Duration) -> Self {
        Self {
            ttl,
            records: Mutex::default(),
            data: Mutex::default(),
            values: Mutex::default(),
            sets: Mutex::default(),
            writes: Default::default(),
        }
    }

    pub fn load_data(&self, sid: &str) -> Option<Arc<SessionData>> {
        let mut map = crate::sync::lock(&self.data);
        fresh(&mut map, sid, self.ttl).cloned()
    }

    pub fn save_data(&self, sid: &str, data: Arc<SessionData>) {
        let expires = Instant::now() + self.ttl;
        self.writes.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let mut map = crate::sync::lock(&self.data);
        map.insert(sid.to_owned(), Expiring { value: data, expires });
    }

    pub fn data_writes(&self) -> u64 {
        self.writes.load(std::sync::atomic::Ordering::Relaxed)
    }

    pub fn load_record(&self, key: &str) -> Option<HashMap<String, String>> {
        let mut map = crate::sync::lock(&self.records);
        fresh(&mut map, key, self.ttl).cloned()
    }

    pub fn insert_record(&self, key: String, record: HashMap<String, String>, ttl: Duration) {
        let expires = Instant::now() + ttl;
        let mut map = crate::sync::lock(&self.records);
        map.insert(key, Expiring { value: record, expires });
    }

    /// Replaces a record only if it still exists: a deleted session is never written back.
    pub fn update_record(&self, key: &str, record: HashMap<String, String>, ttl: Duration) -> bool {
        let mut map = crate::sync::lock(&self.records);
        match map.get_mut(key) {
            Some(entry) if entry.expires > Instant::now() => {
                *entry = Expiring { value: record, expires: Instant::now() + ttl };
                true
            }
            _ => false,
        }
    }

    pub fn touch_record(&self, key: &str, ttl: Duration) {
        let mut map = crate::sync::lock(&self.records);
        if let Some(entry) = map.get_mut(key) {
            entry.expires = Instant::now() + ttl;
        }
    }

    pub fn record_count(&self) -> u64 {
        crate::sync::lock(&self.records).len() as u64
    }

    pub fn delete_record(&self, key: &str) {
        crate::sync::lock(&self.records).remove(key);
    }

    pub fn delete_data(&self, sid: &str) {
        crate::sync::lock(&self.data).remove(sid);
    }

    /// Stores a value; `ttl` of `None` keeps it until it is deleted.
    pub fn put_value(&self, key: &str, value: String, ttl: Option<Duration>) {
        let expires = ttl.map_or(Instant::now() + FOREVER, |t| Instant::now() + t);
        crate::sync::lock(&self.values).insert(key.to_owned(), Expiring { value, expires });
    }

    /// Replaces a value only if it is present and fresh.
    pub fn replace_value(&self, key: &str, value: String, ttl: Option<Duration>) -> bool {
        let mut map = crate::sync::lock(&self.values);
        let now = Instant::now();
        match map.get_mut(key).filter(|e| e.expires > now) {
            Some(entry) => {
                *entry = Expiring { value, expires: ttl.map_or(now + FOREVER, |t| now + t) };
                true
            }
            None => false,
        }
    }

    /// The value, if present; with `touch` its expiry is pushed to now + `touch`.
    pub fn get_value(&self, key: &str, touch: Option<Duration>) -> Option<String> {
        let mut map = crate::sync::lock(&self.values);
        let now = Instant::now();
        let entry = map.get_mut(key).filter(|e| e.expires > now)?;
        if let Some(ttl) = touch {
            entry.expires = now + ttl;
        }
        Some(entry.value.clone())
    }

    pub fn delete_value(&self, key: &str) {
        crate::sync::lock(&self.values).remove(key);
    }

    /// Adds one to a counter (missing or expired counts as 0); `ttl` applies when it is new.
    pub fn increment(&self, key: &str, ttl: Option<Duration>) -> i64 {
        let mut map = crate::sync::lock(&self.values);
        let now = Instant::now();
        let current = map.get(key).filter(|e| e.expires > now);
        let (count, expires) = match current {
            Some(e) => (e.value.parse::<i64>().unwrap_or(0) + 1, e.expires),
            None => (1, ttl.map_or(now + FOREVER, |t| now + t)),
        };
        map.insert(key.to_owned(), Expiring { value: count.to_string(), expires });
        count
    }

    /// Adds `member` to the set at `key`; the set lives at least `ttl` from now.
    pub fn add_member(&self, key: &str, member: &str, ttl: Duration) {
        let mut map = crate::sync::lock(&self.sets);
        let now = Instant::now();
        let entry = map.entry(key.to_owned()).or_insert_with(|| Expiring { value: BTreeSet::new(), expires: now });
        if entry.expires <= now {
            entry.value.clear();
        }
        entry.value.insert(member.to_owned());
        entry.expires = entry.expires.max(now + ttl);
    }

    pub fn members(&self, key: &str) -> Vec<String> {
        let map = crate::sync::lock(&self.sets);
        let live = map.get(key).filter(|e| e.expires > Instant::now());
        live.map(|e| e.value.iter().cloned().collect()).unwrap_or_default()
    }

    pub fn remove_member(&self, key: &str, member: &str) {
        if let Some(entry) = crate::sync::lock(&self.sets).get_mut(key) {
            entry.value.remove(member);
        }
    }

    /// The data of every session (for tests that look for what the store still holds).
    pub fn all_data(&self) -> Vec<Arc<SessionData>> {
        crate::sync::lock(&self.data).values().map(|e| e.value.clone()).collect()
    }

    /// How many sessions hold data (for benchmarks and tests).
    pub fn session_count(&self) -> usize {
        crate::sync::lock(&self.data).len()
    }

    /// How many entries the store holds: session records, session data and values.
    pub fn entry_count(&self) -> usize {
        crate::sync::lock(&self.records).len()
            + crate::sync::lock(&self.data).len()
            + crate::sync::lock(&self.values).len()
    }

    /// Drops expired entries.
    pub fn sweep(&self) {
        let now = Instant::now();
        crate::sync::lock(&self.records).retain(|_, e| e.expires > now);
        crate::sync::lock(&self.data).retain(|_, e| e.expires > now);
        crate::sync::lock(&self.values).retain(|_, e| e.expires > now);
        crate::sync::lock(&self.sets).retain(|_, e| e.expires > now && !e.value.is_empty());
    }

    /// Sweeps once a minute until the store is dropped.
    pub fn spawn_sweeper(store: Weak<Self>) {
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(Duration::from_secs(60));
            loop {
                tick.tick().await;
                match store.upgrade() {
                    Some(store) => store.sweep(),
                    None => break,
                }
            }
        });
    }
}

/// The entry if it has not expired (sliding its expiry), else removes it.
fn fresh<'a, T>(map: &'a mut HashMap<String, Expiring<T>>, key: &str, ttl: Duration) -> Option<&'a T> {
    let now = Instant::now();
    if map.get(key).is_some_and(|e| e.expires <= now) {
        map.remove(key);
        return None;
    }
    let entry = map.get_mut(key)?;
    entry.expires = now + ttl;
    Some(&entry.value)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn expired_data_is_gone() {
        let store = MemoryStore::new(Duration::from_millis(0));
        store.save_data("a", Arc::new(SessionData::default()));
        assert!(store.load_data("a").is_none());
    }

    #[test]
    fn a_deleted_record_is_not_written_back_by_an_update() {
        let store = MemoryStore::new(Duration::from_secs(60));
        store.insert_record("k".into(), HashMap::new(), Duration::from_secs(60));
        store.delete_record("k");
        assert!(!store.update_record("k", HashMap::new(), Duration::from_secs(60)));
        assert!(store.load_record("k").is_none());
    }
}
