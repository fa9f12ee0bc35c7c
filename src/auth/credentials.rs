//! The credentials file, in Streamlit-Authenticator's `config.yaml` layout, so an existing file
//! works unchanged. A read is a cheap look at the last good version and never touches the file
//! system: a [`Watcher`] on the file's folder re-reads the file after an edit and swaps the new
//! version in, off the request path. An edit that does not parse, is empty or has a plaintext
//! password is logged and the last good version stays. The watcher runs whatever `--no-watch`
//! says: that flag is about scripts, while an admin's edit of this file (a user removed, a
//! password reset) must end sessions in production too; a folder that cannot be watched stops
//! the start.
//!
//! Writes by the host itself (registration, password changes) are serialized (a process mutex
//! plus a lock file for other processes), atomic (temp file, fsync, rename, fsync of the folder),
//! so a crash never leaves a half-written file, and swapped in at once.

mod watcher;

pub use watcher::Watcher;

use std::collections::BTreeMap;
use std::fs::File;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard, RwLock, RwLockReadGuard};

use anyhow::{Context, bail};
use serde::{Deserialize, Serialize};
use serde_norway::Value;
use sha2::{Digest, Sha256};
use tokio::sync::broadcast;

use super::password;
use super::totp::{self, TotpEntry};

/// The whole file. Unknown keys are kept, so a write never drops what another tool put there.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct CredentialsDoc {
    #[serde(default)]
    pub cookie: CookieSection,
    #[serde(default)]
    pub credentials: UsersSection,
    #[serde(rename = "pre-authorized", alias = "preauthorized", default, skip_serializing_if = "Option::is_none")]
    pub pre_authorized: Option<PreAuthorized>,
    #[serde(flatten)]
    extra: BTreeMap<String, Value>,
}

/// `cookie`: only `expiry_days` is used. `name` and `key` are accepted and ignored: the host's
/// session cookie is signed with the configured session key, never a key from this file.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct CookieSection {
    #[serde(default = "default_expiry_days")]
    pub expiry_days: f64,
    #[serde(flatten)]
    extra: BTreeMap<String, Value>,
}

impl Default for CookieSection {
    fn default() -> Self {
        Self { expiry_days: default_expiry_days(), extra: BTreeMap::new() }
    }
}

fn default_expiry_days() -> f64 {
    30.0
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct UsersSection {
    #[serde(default)]
    pub usernames: BTreeMap<String, UserEntry>,
    #[serde(flatten)]
    extra: BTreeMap<String, Value>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct PreAuthorized {
    #[serde(default)]
    pub emails: Vec<String>,
    #[serde(flatten)]
    extra: BTreeMap<String, Value>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct UserEntry {
    #[serde(default)]
    pub email: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub first_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_name: Option<String>,
    /// Older Streamlit-Authenticator files have one `name` instead of first and last name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    pub password: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub roles: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub failed_login_attempts: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub logged_in: Option<bool>,
    /// The second factor, when the user turned it on (see `super::totp`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub totp: Option<TotpEntry>,
    #[serde(flatten)]
    extra: BTreeMap<String, Value>,
}

impl UserEntry {
    pub fn new(email: &str, first_name: &str, last_name: &str, password_hash: String, roles: Vec<String>) -> Self {
        Self {
            email: email.to_owned(),
            first_name: Some(first_name.to_owned()),
            last_name: Some(last_name.to_owned()),
            password: password_hash,
            roles: Some(roles),
            failed_login_attempts: Some(0),
            logged_in: Some(false),
            ..Self::default()
        }
    }

    /// The display name: first and last name, else the old single `name`.
    pub fn display_name(&self) -> String {
        let parts: Vec<&str> = [&self.first_name, &self.last_name].into_iter().flatten().map(String::as_str).collect();
        if parts.is_empty() { self.name.clone().unwrap_or_default() } else { parts.join(" ") }
    }

    pub fn roles(&self) -> Vec<String> {
        self.roles.clone().unwrap_or_default()
    }

    /// Changes whenever the password hash changes (a session stores it to notice that).
    pub fn fingerprint(&self) -> String {
        let digest = Sha256::digest(self.password.as_bytes());
        digest[..12].iter().map(|b| format!("{b:02x}")).collect()
    }
}

impl CredentialsDoc {
    pub fn user(&self, username: &str) -> Option<&UserEntry> {
        self.credentials.usernames.get(&normalize_username(username))
    }

    pub fn user_by_email(&self, email: &str) -> Option<(&String, &UserEntry)> {
        self.credentials.usernames.iter().find(|(_, u)| u.email.eq_ignore_ascii_case(email.trim()))
    }

    pub fn is_pre_authorized(&self, email: &str) -> bool {
        self.pre_authorized.as_ref().is_some_and(|p| p.emails.iter().any(|e| e.eq_ignore_ascii_case(email.trim())))
    }

    /// Takes an email off the pre-authorized list once it has registered.
    pub fn consume_pre_authorization(&mut self, email: &str) {
        if let Some(list) = self.pre_authorized.as_mut() {
            list.emails.retain(|e| !e.eq_ignore_ascii_case(email.trim()));
        }
    }

    /// Every password must be a hash: a plaintext one stops the start.
    fn validate(&self, path: &Path) -> anyhow::Result<()> {
        for (name, user) in &self.credentials.usernames {
            if !password::is_hash(&user.password) {
                bail!(
                    "{}: the password of user {name:?} is not an argon2 or bcrypt hash. Plaintext passwords \
                     are refused: make a hash with `runnel hash-password` and put it in the file",
                    path.display()
                );
            }
            if let Some(entry) = &user.totp {
                check_totp(path, name, entry)?;
            }
        }
        Ok(())
    }
}

/// A TOTP entry must have a secret an app can use and only hashed recovery codes.
fn check_totp(path: &Path, name: &str, entry: &TotpEntry) -> anyhow::Result<()> {
    if totp::code_at(&entry.secret, 0).is_none() {
        bail!("{}: the TOTP secret of user {name:?} is not base32 of at least 128 bits", path.display());
    }
    if entry.recovery_codes.iter().any(|code| !password::is_hash(code)) {
        bail!("{}: a TOTP recovery code of user {name:?} is not a hash (codes are kept only hashed)", path.display());
    }
    Ok(())
}

/// Usernames are matched case-insensitively, as Streamlit-Authenticator does.
pub fn normalize_username(username: &str) -> String {
    username.trim().to_lowercase()
}

/// What the watcher did with an edit of the file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reload {
    /// The edit was read and is served from now on.
    Applied,
    /// The edit was refused (logged); the last good version stays.
    Refused,
}

/// The version being served, and a digest of the text last read, so that an event which did
/// not change the text (the host's own write, a touch, the lock file) parses nothing.
struct Current {
    doc: Arc<CredentialsDoc>,
    text_digest: TextDigest,
}

type TextDigest = [u8; 32];

/// The credentials file and the last good version of it.
pub struct Credentials {
    path: PathBuf,
    current: RwLock<Current>,
    /// Serializes this process's writers and the watcher's reloads, so a reload that read the
    /// file before a write cannot swap the older version in after it. The lock file serializes
    /// other processes' writers.
    writer: Mutex<()>,
    reloads: broadcast::Sender<Reload>,
}

impl Credentials {
    /// Reads and checks the file; a missing file or a plaintext password is an error.
    pub fn open(path: &Path) -> anyhow::Result<Self> {
        let text = read_text(path)?;
        let current = Current { doc: Arc::new(parse(path, &text)?), text_digest: digest(&text) };
        Ok(Self {
            path: path.to_owned(),
            current: RwLock::new(current),
            writer: Mutex::new(()),
            reloads: broadcast::channel(16).0,
        })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The last good version of the file. No file system access: edits arrive through the
    /// [`Watcher`], writes by the host through [`Credentials::modify`].
    pub fn doc(&self) -> Arc<CredentialsDoc> {
        self.current().doc.clone()
    }

    /// Every reload the watcher does from now on (the host's own writes are not reloads).
    pub fn reloads(&self) -> broadcast::Receiver<Reload> {
        self.reloads.subscribe()
    }

    /// Reads the file afresh, applies `change`, and writes it back atomically, all under the
    /// writer locks, so concurrent changes never lose one another. Blocking: call it off the
    /// async threads. `change` returning `Err` writes nothing.
    pub fn modify<T>(
        &self,
        change: impl FnOnce(&mut CredentialsDoc) -> Result<T, String>,
    ) -> anyhow::Result<Result<T, String>> {
        let _guard = self.lock_writer();
        let lock_file = lock_file(&self.path)?;
        lock_file.lock().context("locking the credentials file")?;
        let mut doc = parse(&self.path, &read_text(&self.path)?)?;
        let outcome = change(&mut doc);
        if outcome.is_ok() {
            let text = serde_norway::to_string(&doc)?;
            write_atomically(&self.path, &text)?;
            self.swap(Some(Arc::new(doc)), digest(&text));
        }
        drop(lock_file);
        Ok(outcome)
    }

    /// Re-reads the file after the watcher saw a change in its folder, and announces what it
    /// did. `None` when the text is the one last read. Blocking: the watcher's thread calls it.
    fn reload(&self) -> Option<Reload> {
        let _guard = self.lock_writer();
        let outcome = match read_text(&self.path) {
            Ok(text) if digest(&text) == self.current().text_digest => return None,
            Ok(text) => self.apply_edit(&text),
            Err(err) => refuse(&err),
        };
        let _ = self.reloads.send(outcome); // Nobody listening is fine.
        Some(outcome)
    }

    fn apply_edit(&self, text: &str) -> Reload {
        let parsed = if text.trim().is_empty() {
            // What an in-place save looks like halfway; its end arrives as the next event.
            Err(anyhow::anyhow!("{} is empty", self.path.display()))
        } else {
            parse(&self.path, text)
        };
        match parsed {
            Ok(doc) => {
                self.swap(Some(Arc::new(doc)), digest(text));
                tracing::info!(path = %self.path.display(), "credentials file reloaded");
                Reload::Applied
            }
            Err(err) => {
                self.swap(None, digest(text));
                refuse(&err)
            }
        }
    }

    /// Serves `doc` (or keeps the current one) and remembers the text just read.
    fn swap(&self, doc: Option<Arc<CredentialsDoc>>, text_digest: TextDigest) {
        let mut current = crate::sync::write(&self.current);
        if let Some(doc) = doc {
            current.doc = doc;
        }
        current.text_digest = text_digest;
    }

    fn current(&self) -> RwLockReadGuard<'_, Current> {
        crate::sync::read(&self.current)
    }

    fn lock_writer(&self) -> MutexGuard<'_, ()> {
        // The mutex guards no data: a writer that panicked left the file whole (atomic writes).
        crate::sync::lock(&self.writer)
    }
}

fn refuse(err: &anyhow::Error) -> Reload {
    tracing::error!(error = %format!("{err:#}"), "credentials file edit refused; keeping the last good version");
    Reload::Refused
}

fn read_text(path: &Path) -> anyhow::Result<String> {
    std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))
}

fn parse(path: &Path, text: &str) -> anyhow::Result<CredentialsDoc> {
    let doc: CredentialsDoc = serde_norway::from_str(text).with_context(|| format!("parsing {}", path.display()))?;
    doc.validate(path)?;
    Ok(doc)
}

fn digest(text: &str) -> TextDigest {
    Sha256::digest(text.as_bytes()).into()
}

pub(super) fn lock_file(path: &Path) -> anyhow::Result<File> {
    let mut name = path.file_name().unwrap_or_default().to_os_string();
    name.push(".lock");
    let lock_path = path.with_file_name(name);
    File::options()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&lock_path)
        .with_context(|| format!("opening {}", lock_path.display()))
}

/// Temp file beside the target, fsync, rename over it, fsync the folder.
pub(super) fn write_atomically(path: &Path, text: &str) -> anyhow::Result<()> {
    let dir = path.parent().filter(|d| !d.as_os_str().is_empty()).unwrap_or(Path::new("."));
    let name = path.file_name().unwrap_or_default().to_string_lossy();
    let temp = dir.join(format!(".{name}.{}.tmp", crate::session_store::random_token()));
    let result = (|| {
        let mut file = File::create(&temp)?;
        if let Ok(meta) = std::fs::metadata(path) {
            file.set_permissions(meta.permissions())?;
        }
        file.write_all(text.as_bytes())?;
        file.sync_all()?;
        std::fs::rename(&temp, path)?;
        File::open(dir)?.sync_all()
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&temp);
    }
    result.with_context(|| format!("writing {}", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    const SAMPLE: &str = r#"
cookie:
  expiry_days: 30
  key: some_signature_key
  name: some_cookie_name
credentials:
  usernames:
    jsmith:
      email: jsmith@gmail.com
      failed_login_attempts: 0
      first_name: John
      last_name: Smith
      logged_in: false
      password: HASH
      roles:
      - admin
      password_hint: the one
pre-authorized:
  emails:
  - melsby@gmail.com
"#;

    fn sample_file(hash: &str) -> (PathBuf, Credentials) {
        let dir = std::env::temp_dir().join(format!("runnel-cred-{}", crate::session_store::random_token()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("config.yaml");
        std::fs::write(&path, SAMPLE.replace("HASH", hash)).unwrap();
        let credentials = Credentials::open(&path).unwrap();
        (path, credentials)
    }

    #[test]
    fn a_streamlit_authenticator_file_loads_with_its_users_and_pre_authorized_emails() {
        let (_, credentials) = sample_file(&bcrypt::hash("pw", 4).unwrap());
        let doc = credentials.doc();
        let user = doc.user("JSmith").unwrap();
        assert_eq!(user.display_name(), "John Smith");
        assert_eq!(user.roles(), ["admin"]);
        assert!(doc.is_pre_authorized("Melsby@gmail.com"));
        assert_eq!(doc.cookie.expiry_days, 30.0);
    }

    #[test]
    fn a_plaintext_password_stops_the_start_with_a_clear_message() {
        let dir = std::env::temp_dir().join(format!("runnel-cred-{}", crate::session_store::random_token()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("config.yaml");
        std::fs::write(&path, SAMPLE.replace("HASH", "abc123")).unwrap();
        let message = format!("{:#}", Credentials::open(&path).err().unwrap());
        assert!(message.contains("jsmith") && message.contains("runnel hash-password"), "{message}");
    }

    #[test]
    fn a_totp_block_with_a_short_secret_or_a_clear_recovery_code_stops_the_start() {
        let hash = bcrypt::hash("pw", 4).unwrap();
        let totp = |secret: &str, code: &str| {
            format!("\n      totp:\n        secret: {secret}\n        recovery_codes:\n        - '{code}'")
        };
        let with = |block: String| SAMPLE.replace("HASH", &hash).replace("      password_hint: the one", &block);
        let good = with(totp("JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP", &hash));
        let (_, credentials) = sample_file(&hash);
        std::fs::write(credentials.path(), &good).unwrap();
        assert!(Credentials::open(credentials.path()).unwrap().doc().user("jsmith").unwrap().totp.is_some());
        for (bad, names) in [
            (totp("JBSWY3DP", &hash), "TOTP secret"),
            (totp("JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP", "abcd-efgh-jkmn"), "recovery code"),
        ] {
            std::fs::write(credentials.path(), with(bad)).unwrap();
            let message = format!("{:#}", Credentials::open(credentials.path()).err().unwrap());
            assert!(message.contains(names) && message.contains("jsmith"), "{message}");
        }
    }

    #[test]
    fn a_write_keeps_unknown_keys_and_leaves_no_temp_files() {
        let (path, credentials) = sample_file(&bcrypt::hash("pw", 4).unwrap());
        credentials
            .modify(|doc| {
                doc.credentials.usernames.get_mut("jsmith").unwrap().email = "new@example.com".into();
                Ok(())
            })
            .unwrap()
            .unwrap();
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(
            text.contains("new@example.com") && text.contains("password_hint") && text.contains("some_cookie_name")
        );
        let leftovers: Vec<_> = std::fs::read_dir(path.parent().unwrap())
            .unwrap()
            .filter_map(|e| e.ok()?.file_name().into_string().ok())
            .filter(|n| n.ends_with(".tmp"))
            .collect();
        assert!(leftovers.is_empty(), "{leftovers:?}");
    }

    #[test]
    fn concurrent_registrations_never_lose_a_user() {
        let (path, credentials) = sample_file(&bcrypt::hash("pw", 4).unwrap());
        let credentials = Arc::new(credentials);
        let threads: Vec<_> = (0..16)
            .map(|i| {
                let credentials = credentials.clone();
                std::thread::spawn(move || {
                    credentials
                        .modify(|doc| {
                            let user = UserEntry::new(
                                "u@x.org",
                                "U",
                                "X",
                                doc.credentials.usernames["jsmith"].password.clone(),
                                vec![],
                            );
                            doc.credentials.usernames.insert(format!("user{i}"), user);
                            Ok(())
                        })
                        .unwrap()
                        .unwrap();
                })
            })
            .collect();
        threads.into_iter().for_each(|t| t.join().unwrap());
        let fresh = Credentials::open(&path).unwrap();
        assert_eq!(fresh.doc().credentials.usernames.len(), 17);
    }

    /// The login registry (memory store) with the revocation file beside `credentials`.
    fn logins_beside(credentials: &Credentials) -> crate::auth::Logins {
        use crate::config::LockTiming;
        use crate::config::StoreSettings;
        use crate::session_store::Store;
        let day = std::time::Duration::from_secs(86_400);
        let store = Store::from_settings(&StoreSettings::Memory, day, LockTiming::default()).unwrap();
        let revocations =
            Arc::new(crate::auth::Revocations::open(&crate::auth::Revocations::beside(&credentials.path)).unwrap());
        crate::auth::Logins::new(store, day, day, crate::clock::Clock::System, revocations)
    }

    /// Awaits the watcher's next report of `wanted`, passing over others (an in-place save can
    /// be seen halfway, empty, and refused first).
    async fn next_reload(reloads: &mut broadcast::Receiver<Reload>, wanted: Reload) {
        let wait = async { while reloads.recv().await.expect("the watcher reports reloads") != wanted {} };
        tokio::time::timeout(std::time::Duration::from_secs(10), wait)
            .await
            .unwrap_or_else(|_| panic!("no {wanted:?} reload within 10 s"));
    }

    /// An editor's atomic save: a temp file renamed over the original.
    fn save_atomically(path: &Path, text: &str) {
        let temp = path.with_file_name(".config.yaml.swp");
        std::fs::write(&temp, text).unwrap();
        std::fs::rename(&temp, path).unwrap();
    }

    #[tokio::test]
    async fn an_edited_file_is_reloaded_by_the_watcher_and_a_broken_edit_keeps_the_last_good_version() {
        let (path, credentials) = sample_file(&bcrypt::hash("pw", 4).unwrap());
        let credentials = Arc::new(credentials);
        let _watcher = Watcher::start(credentials.clone(), logins_beside(&credentials)).unwrap();
        let mut reloads = credentials.reloads();
        let before = credentials.doc().user("jsmith").unwrap().fingerprint();
        let other = bcrypt::hash("other", 4).unwrap();
        save_atomically(&path, &SAMPLE.replace("HASH", &other).replace("John", "Johnny"));
        next_reload(&mut reloads, Reload::Applied).await;
        let after = credentials.doc();
        assert_eq!(after.user("jsmith").unwrap().first_name.as_deref(), Some("Johnny"));
        assert_ne!(after.user("jsmith").unwrap().fingerprint(), before);
        save_atomically(&path, "credentials: [not, a, map");
        next_reload(&mut reloads, Reload::Refused).await;
        assert_eq!(credentials.doc().user("jsmith").unwrap().first_name.as_deref(), Some("Johnny"));
    }

    #[tokio::test]
    async fn an_edit_with_a_plaintext_password_is_refused_and_the_next_good_edit_is_served() {
        let (path, credentials) = sample_file(&bcrypt::hash("pw", 4).unwrap());
        let credentials = Arc::new(credentials);
        let _watcher = Watcher::start(credentials.clone(), logins_beside(&credentials)).unwrap();
        let mut reloads = credentials.reloads();
        save_atomically(&path, &SAMPLE.replace("HASH", "plaintext").replace("John", "Mallory"));
        next_reload(&mut reloads, Reload::Refused).await;
        assert_eq!(credentials.doc().user("jsmith").unwrap().first_name.as_deref(), Some("John"));
        let without_jsmith = SAMPLE.replace("jsmith", "other").replace("HASH", &bcrypt::hash("pw", 4).unwrap());
        std::fs::write(&path, without_jsmith).unwrap(); // in place
        next_reload(&mut reloads, Reload::Applied).await;
        assert!(credentials.doc().user("jsmith").is_none());
    }

    #[test]
    fn a_read_never_touches_the_file_so_an_edit_arrives_only_through_the_watcher() {
        let hash = bcrypt::hash("pw", 4).unwrap();
        let (path, credentials) = sample_file(&hash);
        save_atomically(&path, &SAMPLE.replace("HASH", &hash).replace("John", "Johnny"));
        assert_eq!(credentials.doc().user("jsmith").unwrap().first_name.as_deref(), Some("John"));
    }

    #[test]
    fn the_hosts_own_write_is_served_at_once() {
        let (_, credentials) = sample_file(&bcrypt::hash("pw", 4).unwrap());
        let consume = |doc: &mut CredentialsDoc| {
            doc.consume_pre_authorization("melsby@gmail.com");
            Ok(())
        };
        credentials.modify(consume).unwrap().unwrap();
        assert!(!credentials.doc().is_pre_authorized("melsby@gmail.com"));
    }
}
