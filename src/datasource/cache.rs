//! The data cache shared by all sessions and reruns (like Streamlit's `cache_data`): entries
//! have a time to live, the number of entries and their total size in bytes are bounded (least
//! recently used goes first), an entry built from data files is dropped when one of those
//! files changes, and a missing entry is loaded once: runs that ask for it meanwhile wait.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, Instant};

use rhai::Dynamic;

use super::FileStamp;

#[derive(Debug)]
pub struct Cache {
    /// A std mutex: it is held only to look up, insert or evict, never across a loader run.
    entries: Mutex<Entries>,
    /// Signalled whenever a load ends (its entry kept or not).
    loaded: Condvar,
    max_entries: usize,
    max_bytes: usize,
}

#[derive(Debug, Default)]
struct Entries {
    map: HashMap<String, Entry>,
    /// Counts uses, for least-recently-used eviction.
    clock: u64,
    /// The sum of the entries' sizes.
    bytes: usize,
    /// Keys a run is loading right now.
    loading: HashSet<String>,
}

#[derive(Debug)]
struct Entry {
    /// Shared, so that a hit copies the value for its run after the lock is released.
    value: Arc<Dynamic>,
    expires: Option<Instant>,
    files: Vec<FileStamp>,
    last_used: u64,
    /// The caller's estimate of the value's size.
    bytes: usize,
}

impl Entries {
    fn remove(&mut self, key: &str) {
        if let Some(entry) = self.map.remove(key) {
            self.bytes -= entry.bytes;
        }
    }

    /// The value under `key` if it is fresh; a stale entry is dropped.
    fn fresh(&mut self, key: &str) -> Option<Arc<Dynamic>> {
        self.clock += 1;
        let clock = self.clock;
        let entry = self.map.get_mut(key)?;
        let fresh = entry.expires.is_none_or(|at| Instant::now() < at) && entry.files.iter().all(FileStamp::is_current);
        if !fresh {
            self.remove(key);
            crate::metrics::cache_entries_changed(-1);
            return None;
        }
        entry.last_used = clock;
        Some(entry.value.clone())
    }
}

/// What a lookup found: the value, or the task of loading it.
pub enum Lookup<'a> {
    Hit(Dynamic),
    /// No fresh entry: the caller loads it, and others asking for the key wait until the
    /// claim is dropped.
    Miss(Claim<'a>),
}

/// A run's claim on loading one missing key. Dropping it, with the entry kept or not, wakes
/// the runs waiting for the key.
pub struct Claim<'a> {
    cache: &'a Cache,
    key: String,
}

impl Drop for Claim<'_> {
    fn drop(&mut self) {
        crate::sync::lock(&self.cache.entries).loading.remove(&self.key);
        self.cache.loaded.notify_all();
    }
}

impl Cache {
    pub fn new(max_entries: usize, max_bytes: usize) -> Self {
        Self { entries: Mutex::default(), loaded: Condvar::new(), max_entries: max_entries.max(1), max_bytes }
    }

    /// The value under `key`, unless it expired or a file it was built from changed.
    pub fn get(&self, key: &str) -> Option<Dynamic> {
        let value = crate::sync::lock(&self.entries).fresh(key);
        crate::metrics::cache_lookup(value.is_some());
        value.map(|shared| Dynamic::clone(&shared))
    }

    /// The value under `key`, or the claim to load it. While another run loads the key, this
    /// waits for it, at most `wait`; after that it loads the key itself.
    pub fn lookup(&self, key: &str, wait: Duration) -> Lookup<'_> {
        let until = Instant::now() + wait;
        let mut entries = crate::sync::lock(&self.entries);
        loop {
            if let Some(value) = entries.fresh(key) {
                // The copy (a whole table of rows, say) is made outside the lock.
                drop(entries);
                crate::metrics::cache_lookup(true);
                return Lookup::Hit(Dynamic::clone(&value));
            }
            let now = Instant::now();
            if !entries.loading.contains(key) || now >= until {
                entries.loading.insert(key.to_owned());
                crate::metrics::cache_lookup(false);
                return Lookup::Miss(Claim { cache: self, key: key.to_owned() });
            }
            entries = self.loaded.wait_timeout(entries, until - now).unwrap_or_else(|e| e.into_inner()).0;
        }
    }

    /// Keeps `value` (about `bytes` large) under `key` for `ttl` (`None`: until evicted or a
    /// file changes). Least recently used entries go until both bounds hold; a value larger
    /// than the whole cache is not kept (the caller still has it).
    pub fn insert(&self, key: String, value: Dynamic, ttl: Option<Duration>, files: Vec<FileStamp>, bytes: usize) {
        let mut entries = crate::sync::lock(&self.entries);
        let before = entries.map.len();
        entries.clock += 1;
        entries.remove(&key);
        if bytes > self.max_bytes {
            crate::metrics::cache_entries_changed(entries.map.len() as i64 - before as i64);
            return;
        }
        while entries.map.len() >= self.max_entries || entries.bytes + bytes > self.max_bytes {
            let oldest = entries.map.iter().min_by_key(|(_, e)| e.last_used).map(|(k, _)| k.clone());
            match oldest {
                Some(oldest) => entries.remove(&oldest),
                None => break,
            }
        }
        let entry = Entry {
            value: Arc::new(value),
            expires: ttl.map(|t| Instant::now() + t),
            files,
            last_used: entries.clock,
            bytes,
        };
        entries.bytes += bytes;
        entries.map.insert(key, entry);
        crate::metrics::cache_entries_changed(entries.map.len() as i64 - before as i64);
    }

    /// Drops every entry whose key starts with `prefix` (results a write made stale).
    pub fn remove_prefix(&self, prefix: &str) {
        let mut entries = crate::sync::lock(&self.entries);
        let stale: Vec<String> = entries.map.keys().filter(|k| k.starts_with(prefix)).cloned().collect();
        for key in &stale {
            entries.remove(key);
        }
        crate::metrics::cache_entries_changed(-(stale.len() as i64));
    }

    /// The total estimated size of the entries kept.
    pub fn bytes(&self) -> usize {
        crate::sync::lock(&self.entries).bytes
    }

    pub fn clear(&self) {
        let mut entries = crate::sync::lock(&self.entries);
        crate::metrics::cache_entries_changed(-(entries.map.len() as i64));
        entries.map.clear();
        entries.bytes = 0;
    }

    pub fn len(&self) -> usize {
        crate::sync::lock(&self.entries).map.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

impl Drop for Cache {
    fn drop(&mut self) {
        self.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_least_recently_used_entry_is_evicted_first() {
        let cache = Cache::new(2, 1000);
        cache.insert("a".into(), Dynamic::from(1_i64), None, vec![], 1);
        cache.insert("b".into(), Dynamic::from(2_i64), None, vec![], 1);
        assert!(cache.get("a").is_some());
        cache.insert("c".into(), Dynamic::from(3_i64), None, vec![], 1);
        assert!(cache.get("b").is_none(), "b was used least recently");
        assert!(cache.get("a").is_some() && cache.get("c").is_some());
    }

    #[test]
    fn an_expired_entry_is_gone() {
        let cache = Cache::new(4, 1000);
        cache.insert("a".into(), Dynamic::from(1_i64), Some(Duration::ZERO), vec![], 1);
        assert!(cache.get("a").is_none());
        assert!(cache.is_empty());
        assert_eq!(cache.bytes(), 0, "its size is given back");
    }

    #[test]
    fn the_byte_bound_evicts_the_least_recently_used_until_the_new_entry_fits() {
        let cache = Cache::new(100, 1000);
        cache.insert("a".into(), Dynamic::from(1_i64), None, vec![], 400);
        cache.insert("b".into(), Dynamic::from(2_i64), None, vec![], 400);
        assert!(cache.get("a").is_some());
        cache.insert("c".into(), Dynamic::from(3_i64), None, vec![], 400);
        assert!(cache.get("b").is_none(), "b was used least recently and had to go");
        assert!(cache.get("a").is_some() && cache.get("c").is_some());
        assert_eq!(cache.bytes(), 800);
        cache.insert("huge".into(), Dynamic::from(4_i64), None, vec![], 1001);
        assert!(cache.get("huge").is_none(), "a value larger than the cache is not kept");
        assert_eq!(cache.len(), 2, "and it evicts nothing");
    }

    fn loaded_value(lookup: Lookup<'_>) -> Option<i64> {
        match lookup {
            Lookup::Hit(value) => value.as_int().ok(),
            Lookup::Miss(_) => None,
        }
    }

    #[test]
    fn a_key_is_loaded_once_while_the_other_runs_asking_for_it_wait() {
        let cache = Cache::new(4, 1000);
        let Lookup::Miss(claim) = cache.lookup("sales", Duration::from_secs(10)) else { panic!("the cache is empty") };
        std::thread::scope(|s| {
            let waiter = s.spawn(|| loaded_value(cache.lookup("sales", Duration::from_secs(10))));
            std::thread::sleep(Duration::from_millis(50));
            assert!(!waiter.is_finished(), "the second run waits instead of loading too");
            cache.insert("sales".into(), Dynamic::from(7_i64), None, vec![], 1);
            drop(claim);
            assert_eq!(waiter.join().unwrap(), Some(7), "and takes the value the first run loaded");
        });
    }

    #[test]
    fn a_failed_load_hands_the_key_to_a_waiting_run_and_a_wait_is_bounded() {
        let cache = Cache::new(4, 1000);
        let Lookup::Miss(claim) = cache.lookup("sales", Duration::from_secs(10)) else { panic!("the cache is empty") };
        std::thread::scope(|s| {
            let waiter = s.spawn(|| matches!(cache.lookup("sales", Duration::from_secs(10)), Lookup::Miss(_)));
            drop(claim);
            assert!(waiter.join().unwrap(), "with nothing loaded, the waiting run loads the key itself");
        });
        let Lookup::Miss(_claim) = cache.lookup("sales", Duration::ZERO) else { panic!("nothing was kept") };
        let started = Instant::now();
        assert!(matches!(cache.lookup("sales", Duration::from_millis(30)), Lookup::Miss(_)));
        assert!(started.elapsed() >= Duration::from_millis(30), "it waited for the load as long as it was allowed");
    }
}
