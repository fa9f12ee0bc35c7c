//! Password hashes: argon2id for every new hash, bcrypt accepted from an existing
//! Streamlit-Authenticator file (and replaced at the next login). Hashing is CPU and memory
//! heavy, so it runs on the blocking pool with a bound on how many run at once.

use std::sync::{Arc, OnceLock};

use argon2::password_hash::{PasswordHasher, PasswordVerifier};
use argon2::{Algorithm, Argon2, Params, Version};

/// Longer passwords are refused before any hashing (64+ characters work; nothing is truncated).
pub const MAX_PASSWORD_BYTES: usize = 1024;

/// OWASP's minimum for argon2id: 19 MiB, 2 passes, 1 lane.
const M_COST: u32 = 19_456;
const T_COST: u32 = 2;
const P_COST: u32 = 1;

#[derive(Debug, thiserror::Error)]
pub enum PasswordError {
    #[error("passwords are limited to {MAX_PASSWORD_BYTES} bytes")]
    TooLong,
    #[error("password hashing failed: {0}")]
    Internal(String),
}

/// How a password compared with a stored hash.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// It matches; `rehash` when the stored hash is bcrypt or weaker than today's argon2id.
    Match {
        rehash: bool,
    },
    NoMatch,
}

/// Hashes and verifies on the blocking pool, at most `permits` at a time (each takes ~19 MiB).
#[derive(Clone)]
pub struct Hasher {
    permits: Arc<tokio::sync::Semaphore>,
}

impl Hasher {
    pub fn new(max_concurrent: usize) -> Self {
        Self { permits: Arc::new(tokio::sync::Semaphore::new(max_concurrent.max(1))) }
    }

    pub async fn hash(&self, password: String) -> Result<String, PasswordError> {
        check_length(&password)?;
        self.blocking(move || hash_now(&password)).await?
    }

    /// Compares `password` with `stored`; with no stored hash (an unknown user) it verifies
    /// against a dummy hash of the same cost, so the timing does not tell who exists.
    pub async fn verify(&self, password: String, stored: Option<String>) -> Result<Verdict, PasswordError> {
        check_length(&password)?;
        self.blocking(move || match stored {
            Some(stored) => verify_now(&password, &stored),
            None => {
                let _ = verify_now(&password, dummy_hash());
                Verdict::NoMatch
            }
        })
        .await
    }

    /// Hashes each of `secrets` (recovery codes), in one trip to the blocking pool.
    pub async fn hash_all(&self, secrets: Vec<String>) -> Result<Vec<String>, PasswordError> {
        secrets.iter().try_for_each(|s| check_length(s))?;
        self.blocking(move || secrets.iter().map(|s| hash_now(s)).collect()).await?
    }

    /// The first of `hashes` that `secret` matches. Every hash is tried, so the time taken does
    /// not tell which one matched, or whether any did.
    pub async fn find_match(&self, secret: String, hashes: Vec<String>) -> Result<Option<String>, PasswordError> {
        check_length(&secret)?;
        self.blocking(move || {
            let verdicts: Vec<bool> = hashes.iter().map(|h| verify_now(&secret, h) != Verdict::NoMatch).collect();
            hashes.into_iter().zip(verdicts).find_map(|(hash, matched)| matched.then_some(hash))
        })
        .await
    }

    async fn blocking<T: Send + 'static>(&self, f: impl FnOnce() -> T + Send + 'static) -> Result<T, PasswordError> {
        let _permit = self.permits.acquire().await.map_err(|e| PasswordError::Internal(e.to_string()))?;
        let span = tracing::Span::current();
        let hashing = tokio::task::spawn_blocking(move || span.in_scope(f));
        // Hashing is not a wait for the store: it does not count against the request's bound.
        crate::session_store::waits::not_counting(hashing).await.map_err(|e| PasswordError::Internal(e.to_string()))
    }
}

fn check_length(password: &str) -> Result<(), PasswordError> {
    if password.len() > MAX_PASSWORD_BYTES { Err(PasswordError::TooLong) } else { Ok(()) }
}

fn argon2() -> Argon2<'static> {
    // The constants are valid parameters; the default (Argon2id's own) is the fallback anyway.
    let params = Params::new(M_COST, T_COST, P_COST, None).unwrap_or_default();
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
}

/// A new argon2id PHC string with a fresh random salt (blocking; for the CLI and the pool).
pub fn hash_now(password: &str) -> Result<String, PasswordError> {
    check_length(password)?;
    argon2()
        .hash_password(password.as_bytes())
        .map(|h| h.to_string())
        .map_err(|e| PasswordError::Internal(e.to_string()))
}

/// Blocking comparison with an argon2 or bcrypt hash. Anything else never matches.
pub fn verify_now(password: &str, stored: &str) -> Verdict {
    if stored.starts_with("$argon2") {
        match argon2().verify_password(password.as_bytes(), stored) {
            Ok(()) => Verdict::Match { rehash: !is_current_argon2(stored) },
            Err(_) => Verdict::NoMatch,
        }
    } else if is_bcrypt(stored) {
        match bcrypt::verify(password, stored) {
            Ok(true) => Verdict::Match { rehash: true },
            _ => Verdict::NoMatch,
        }
    } else {
        Verdict::NoMatch
    }
}

/// Whether a credentials-file value is a hash we can verify (and not a plaintext password).
pub fn is_hash(value: &str) -> bool {
    value.starts_with("$argon2") || is_bcrypt(value)
}

fn is_bcrypt(value: &str) -> bool {
    ["$2a$", "$2b$", "$2x$", "$2y$"].iter().any(|p| value.starts_with(p)) && value.len() == 60
}

/// argon2id with at least today's cost parameters.
fn is_current_argon2(stored: &str) -> bool {
    let mut parts = stored.split('$').skip(1);
    if parts.next() != Some("argon2id") {
        return false;
    }
    let Some(params) = parts.find(|p| p.starts_with("m=")) else { return false };
    let value = |name: &str| {
        params.split(',').find_map(|kv| kv.strip_prefix(name)?.strip_prefix('=')?.parse::<u32>().ok()).unwrap_or(0)
    };
    value("m") >= M_COST && value("t") >= T_COST && value("p") >= P_COST
}

fn dummy_hash() -> &'static str {
    static DUMMY: OnceLock<String> = OnceLock::new();
    DUMMY.get_or_init(|| {
        hash_now("runnel dummy password for unknown users").unwrap_or_else(|err| {
            // Hashing with our fixed parameters does not fail; if it ever did, logins would too.
            tracing::error!(error = %err, "could not make the dummy password hash");
            String::new()
        })
    })
}

/// Makes the dummy hash now, so the first unknown-user login is not slower than the rest.
pub fn warm_up() {
    let _ = dummy_hash();
}

/// The rules a new password must follow (registration, reset).
#[derive(Debug, Clone, PartialEq)]
pub struct PasswordPolicy {
    pub min_len: usize,
    pub needs_upper_lower_digit: bool,
}

impl Default for PasswordPolicy {
    fn default() -> Self {
        Self { min_len: 8, needs_upper_lower_digit: false }
    }
}

impl PasswordPolicy {
    /// Why `password` breaks the policy, if it does.
    pub fn check(&self, password: &str) -> Result<(), String> {
        if password.chars().count() < self.min_len {
            return Err(format!("The password must have at least {} characters.", self.min_len));
        }
        if password.len() > MAX_PASSWORD_BYTES {
            return Err(format!("The password must have at most {MAX_PASSWORD_BYTES} bytes."));
        }
        let has = |f: fn(&char) -> bool| password.chars().any(|c| f(&c));
        if self.needs_upper_lower_digit
            && !(has(char::is_ascii_uppercase) && has(char::is_ascii_lowercase) && has(char::is_ascii_digit))
        {
            return Err("The password needs an upper-case letter, a lower-case letter and a digit.".into());
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_new_hash_is_argon2id_with_owasp_parameters_and_verifies() {
        let hash = hash_now("correct horse").unwrap();
        assert!(hash.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"), "{hash}");
        assert_eq!(verify_now("correct horse", &hash), Verdict::Match { rehash: false });
        assert_eq!(verify_now("wrong horse", &hash), Verdict::NoMatch);
    }

    #[test]
    fn long_passwords_are_not_truncated() {
        let long = "x".repeat(100);
        let hash = hash_now(&long).unwrap();
        assert_eq!(verify_now(&long, &hash), Verdict::Match { rehash: false });
        assert_eq!(verify_now(&"x".repeat(99), &hash), Verdict::NoMatch);
        assert_eq!(verify_now(&"x".repeat(101), &hash), Verdict::NoMatch);
        assert!(matches!(hash_now(&"x".repeat(MAX_PASSWORD_BYTES + 1)), Err(PasswordError::TooLong)));
    }

    #[test]
    fn a_bcrypt_hash_verifies_and_asks_for_a_rehash() {
        let bcrypt = bcrypt::hash("legacy", 4).unwrap();
        assert!(is_hash(&bcrypt));
        assert_eq!(verify_now("legacy", &bcrypt), Verdict::Match { rehash: true });
        assert_eq!(verify_now("other", &bcrypt), Verdict::NoMatch);
    }

    #[test]
    fn a_weak_argon2_hash_asks_for_a_rehash() {
        let weak = Argon2::new(Algorithm::Argon2id, Version::V0x13, Params::new(4096, 1, 1, None).unwrap());
        let hash = weak.hash_password(b"pw").unwrap().to_string();
        assert_eq!(verify_now("pw", &hash), Verdict::Match { rehash: true });
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
    async fn no_more_hashes_run_at_once_than_the_hasher_allows() {
        use std::sync::atomic::{AtomicUsize, Ordering};
        let hasher = Hasher::new(2);
        let (running, most) = (Arc::new(AtomicUsize::new(0)), Arc::new(AtomicUsize::new(0)));
        let jobs = (0..8).map(|_| {
            let (hasher, running, most) = (hasher.clone(), running.clone(), most.clone());
            tokio::spawn(async move {
                hasher
                    .blocking(move || {
                        let now = running.fetch_add(1, Ordering::SeqCst) + 1;
                        most.fetch_max(now, Ordering::SeqCst);
                        std::thread::sleep(std::time::Duration::from_millis(20));
                        running.fetch_sub(1, Ordering::SeqCst);
                    })
                    .await
                    .unwrap();
            })
        });
        for job in jobs.collect::<Vec<_>>() {
            job.await.unwrap();
        }
        let most = most.load(Ordering::SeqCst);
        assert!((1..=2).contains(&most), "eight jobs, at most two at once: {most}");
    }

    #[test]
    fn plaintext_is_not_a_hash() {
        assert!(!is_hash("abc123"));
        assert!(!is_hash("$2b$short"));
    }

    #[test]
    fn the_policy_names_what_is_missing() {
        let policy = PasswordPolicy { min_len: 8, needs_upper_lower_digit: true };
        assert!(policy.check("short").unwrap_err().contains("at least 8"));
        assert!(policy.check("alllowercase1").is_err());
        assert!(policy.check("Mixed123case").is_ok());
    }
}
