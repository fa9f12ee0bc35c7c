//! The durable record of revocations, kept outside the session store so that restoring a store
//! snapshot taken before a logout never brings that login back. It lives in a JSON file beside
//! the credentials file (`<credentials>.revocations.json`, or where `--revocations` says) and holds, per user, a "valid after"
//! time (logout everywhere, a password change or reset, a removed user: a login created at or
//! before it is over) and each single logout's login token, hashed, until the login's absolute
//! deadline.
//!
//! Checks read an in-memory copy, never the file. Revocations only ever grow (until they
//! expire): the copy is updated before the file is written, so a failed write still holds in
//! this process and is written with the next one; a reload (the credentials watcher sees the
//! file change when another instance writes it) merges the file into the copy. Writes use the
//! credentials file's machinery: a process mutex plus a lock file, temp file, fsync, rename.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, RwLock};

use anyhow::Context;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use tokio::sync::broadcast;

use super::credentials::{lock_file, normalize_username, write_atomically};

/// What the file holds. Times are Unix milliseconds.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct RevocationDoc {
    /// Per user: a login created at or before this time is over.
    #[serde(default)]
    pub valid_after: BTreeMap<String, u64>,
    /// Per logged-out login token (hashed): the login's absolute deadline, after which the
    /// entry is no longer needed.
    #[serde(default)]
    pub logins: BTreeMap<String, u64>,
}

/// One revocation to record.
#[derive(Debug, Clone)]
pub enum Revocation {
    /// A single logout: this login token is over.
    Login { token: String, until_ms: u64 },
    /// Every login of the user created at or before `at_ms` is over.
    User { username: String, at_ms: u64 },
}

impl RevocationDoc {
    fn apply(&mut self, revocation: &Revocation) {
        match revocation {
            Revocation::Login { token, until_ms } => {
                let entry = self.logins.entry(token_hash(token)).or_default();
                *entry = (*entry).max(*until_ms);
            }
            Revocation::User { username, at_ms } => {
                let entry = self.valid_after.entry(normalize_username(username)).or_default();
                *entry = (*entry).max(*at_ms);
            }
        }
    }

    /// Takes in everything `other` revokes (revocations never shrink by merging).
    fn merge(&mut self, other: &RevocationDoc) {
        for (user, &at) in &other.valid_after {
            let entry = self.valid_after.entry(user.clone()).or_default();
            *entry = (*entry).max(at);
        }
        for (hash, &until) in &other.logins {
            let entry = self.logins.entry(hash.clone()).or_default();
            *entry = (*entry).max(until);
        }
    }

    /// Drops entries that can no longer matter: logins past their deadline, and "valid after"
    /// times older than the longest a login lives (`keep_ms`).
    fn prune(&mut self, now_ms: u64, keep_ms: u64) {
        self.logins.retain(|_, until| *until > now_ms);
        self.valid_after.retain(|_, at| at.saturating_add(keep_ms) > now_ms);
    }

    fn valid_after(&self, username: &str) -> Option<u64> {
        self.valid_after.get(&normalize_username(username)).copied()
    }
}

/// The hash under which a logged-out token is kept (the token itself never reaches the disk).
fn token_hash(token: &str) -> String {
    Sha256::digest(token.as_bytes())[..16].iter().map(|b| format!("{b:02x}")).collect()
}

/// The revocation file and its in-memory copy.
pub struct Revocations {
    path: PathBuf,
    current: RwLock<RevocationDoc>,
    /// Serializes this process's writers and reloads; the lock file serializes other processes.
    writer: Mutex<()>,
    reloads: broadcast::Sender<()>,
}

impl Revocations {
    /// Where the record of the credentials file at `credentials` lives.
    pub fn beside(credentials: &Path) -> PathBuf {
        let mut name = credentials.file_name().unwrap_or_default().to_os_string();
        name.push(".revocations.json");
        credentials.with_file_name(name)
    }

    /// Reads the record; a missing file is an empty record, a broken one stops the start.
    pub fn open(path: &Path) -> anyhow::Result<Self> {
        let doc = read(path)?;
        let reloads = broadcast::channel(16).0;
        Ok(Self { path: path.to_owned(), current: RwLock::new(doc), writer: Mutex::new(()), reloads })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Whether a login of `username` behind `token`, created at `created_ms`, was revoked.
    pub fn refuses(&self, username: &str, token: &str, created_ms: u64) -> bool {
        let doc = crate::sync::read(&self.current);
        doc.valid_after(username).is_some_and(|at| created_ms <= at) || doc.logins.contains_key(&token_hash(token))
    }

    /// Whether this login token (or remember-me series key) was ended by a single logout.
    pub fn revokes_token(&self, token: &str) -> bool {
        crate::sync::read(&self.current).logins.contains_key(&token_hash(token))
    }

    /// The time after which a new login of `username` must be created to be valid.
    pub fn valid_after(&self, username: &str) -> Option<u64> {
        crate::sync::read(&self.current).valid_after(username)
    }

    /// Holds `revocation` in memory at once (cheap, never fails): from here on this process
    /// refuses the login, whatever happens to the file.
    pub fn hold(&self, revocation: &Revocation) {
        crate::sync::write(&self.current).apply(revocation);
    }

    /// Writes everything held in memory to the file, merged with what the file has (other
    /// instances' revocations), less what expired. Blocking: call it off the async threads.
    pub fn persist(&self, now_ms: u64, keep_ms: u64) -> anyhow::Result<()> {
        let _guard = crate::sync::lock(&self.writer);
        let lock = lock_file(&self.path)?;
        lock.lock().context("locking the revocation file")?;
        let mut doc = read(&self.path)?;
        doc.merge(&crate::sync::read(&self.current));
        doc.prune(now_ms, keep_ms);
        let text = serde_json::to_string_pretty(&doc)?;
        write_atomically(&self.path, &text)?;
        let mut current = crate::sync::write(&self.current);
        current.merge(&doc);
        current.prune(now_ms, keep_ms);
        drop(current);
        drop(lock);
        Ok(())
    }

    /// Merges the file into the in-memory copy (after another instance wrote it). Blocking.
    pub fn reload(&self) -> anyhow::Result<()> {
        let _guard = crate::sync::lock(&self.writer);
        let doc = read(&self.path)?;
        crate::sync::write(&self.current).merge(&doc);
        let _ = self.reloads.send(()); // Nobody listening is fine.
        Ok(())
    }

    /// Every reload from now on (the watcher's, after any change in the folder).
    pub fn reloads(&self) -> broadcast::Receiver<()> {
        self.reloads.subscribe()
    }

    /// A copy of what is held in memory (for tests and diagnostics).
    pub fn snapshot(&self) -> RevocationDoc {
        crate::sync::read(&self.current).clone()
    }
}

fn read(path: &Path) -> anyhow::Result<RevocationDoc> {
    match std::fs::read_to_string(path) {
        Ok(text) if text.trim().is_empty() => Ok(RevocationDoc::default()),
        Ok(text) => serde_json::from_str(&text).with_context(|| format!("parsing {}", path.display())),
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => Ok(RevocationDoc::default()),
        Err(err) => Err(err).with_context(|| format!("reading {}", path.display())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const DAY: u64 = 86_400_000;

    fn fresh_record() -> (PathBuf, Revocations) {
        let dir = std::env::temp_dir().join(format!("runnel-revocations-{}", crate::session_store::random_token()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = Revocations::beside(&dir.join("credentials.yaml"));
        let revocations = Revocations::open(&path).unwrap();
        (path, revocations)
    }

    fn login(token: &str, until_ms: u64) -> Revocation {
        Revocation::Login { token: token.into(), until_ms }
    }

    fn user(username: &str, at_ms: u64) -> Revocation {
        Revocation::User { username: username.into(), at_ms }
    }

    #[test]
    fn a_missing_file_revokes_nothing_and_sits_beside_the_credentials_file() {
        let (path, revocations) = fresh_record();
        assert!(path.ends_with("credentials.yaml.revocations.json"));
        assert!(!revocations.refuses("jsmith", "token", 1));
    }

    #[test]
    fn a_revoked_token_and_logins_created_up_to_the_valid_after_time_are_refused() {
        let (_, revocations) = fresh_record();
        revocations.hold(&login("old-token", 10 * DAY));
        revocations.hold(&user("JSmith", 5_000));
        assert!(revocations.refuses("rbriggs", "old-token", 9_000));
        assert!(revocations.refuses("jsmith", "other", 5_000));
        assert!(!revocations.refuses("jsmith", "other", 5_001));
        assert!(!revocations.refuses("rbriggs", "other", 1));
    }

    #[test]
    fn a_written_record_is_read_back_by_a_fresh_process_without_the_token_in_clear() {
        let (path, revocations) = fresh_record();
        revocations.hold(&login("secret-token", 10 * DAY));
        revocations.hold(&user("jsmith", 5_000));
        revocations.persist(1_000, DAY).unwrap();
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(!text.contains("secret-token"), "{text}");
        let reopened = Revocations::open(&path).unwrap();
        assert!(reopened.refuses("x", "secret-token", 1));
        assert!(reopened.refuses("jsmith", "t", 4_000));
        let leftovers: Vec<_> = std::fs::read_dir(path.parent().unwrap())
            .unwrap()
            .filter_map(|e| e.ok()?.file_name().into_string().ok())
            .filter(|n| n.ends_with(".tmp"))
            .collect();
        assert!(leftovers.is_empty(), "{leftovers:?}");
    }

    #[test]
    fn a_write_prunes_expired_logins_and_valid_after_times_no_login_outlives() {
        let (path, revocations) = fresh_record();
        revocations.hold(&login("expired", 2 * DAY));
        revocations.hold(&login("live", 4 * DAY));
        revocations.hold(&user("gone", DAY / 2));
        revocations.hold(&user("recent", 2 * DAY + 1));
        revocations.persist(3 * DAY, DAY).unwrap();
        let on_disk: RevocationDoc = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
        assert_eq!(on_disk.logins.len(), 1);
        assert_eq!(on_disk.logins.values().next(), Some(&(4 * DAY)));
        assert_eq!(on_disk.valid_after.keys().collect::<Vec<_>>(), ["recent"]);
    }

    #[test]
    fn a_reload_takes_in_what_another_instance_wrote_and_forgets_nothing() {
        let (path, here) = fresh_record();
        let there = Revocations::open(&path).unwrap();
        here.hold(&login("here", 10 * DAY));
        here.persist(1, DAY).unwrap();
        there.hold(&user("jsmith", 7_000));
        there.persist(2, DAY).unwrap();
        assert!(there.refuses("x", "here", 1), "a write merges the file");
        here.reload().unwrap();
        assert!(here.refuses("jsmith", "t", 6_000), "a reload takes the other's in");
        assert!(here.refuses("x", "here", 1), "and keeps its own");
    }

    #[test]
    fn a_failed_write_still_holds_in_memory_and_is_written_by_the_next_one() {
        let (path, revocations) = fresh_record();
        let folder = path.parent().unwrap().to_owned();
        std::fs::remove_dir_all(&folder).unwrap();
        revocations.hold(&login("during-outage", 10 * DAY));
        assert!(revocations.persist(1, DAY).is_err());
        assert!(revocations.refuses("x", "during-outage", 1));
        std::fs::create_dir_all(&folder).unwrap();
        revocations.persist(1, DAY).unwrap();
        assert!(Revocations::open(&path).unwrap().refuses("x", "during-outage", 1));
    }

    #[test]
    fn concurrent_writers_never_lose_a_revocation() {
        let (path, _) = fresh_record();
        let threads: Vec<_> = (0..16)
            .map(|i| {
                let path = path.clone();
                std::thread::spawn(move || {
                    // A process of its own each: only the lock file serializes them.
                    let revocations = Revocations::open(&path).unwrap();
                    revocations.hold(&login(&format!("token{i}"), 10 * DAY));
                    revocations.persist(1, DAY).unwrap();
                })
            })
            .collect();
        threads.into_iter().for_each(|t| t.join().unwrap());
        assert_eq!(Revocations::open(&path).unwrap().snapshot().logins.len(), 16);
    }

    #[test]
    fn a_broken_file_stops_the_start_with_its_path() {
        let (path, _) = fresh_record();
        std::fs::write(&path, "{not json").unwrap();
        let message = format!("{:#}", Revocations::open(&path).err().unwrap());
        assert!(message.contains("revocations.json"), "{message}");
    }
}
