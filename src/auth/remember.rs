//! Remember-me tokens: a login that outlives the browser session, kept apart from the session
//! cookie. The browser holds `series:token`; the store keeps, per series, the SHA-256 of the
//! token, the user, the password fingerprint, the user's remember generation and a fixed
//! deadline (at most the configured days after the series began). Each use rotates the token
//! within its series. A token of a live series that is no longer the current one was copied
//! (theft): every series of that user ends (one write: the generation moves on).
//!
//! Ends are durable like logins' (see `auth::revocations`): a single logout's series is written
//! to the revocation record, and a series that began before its user's "valid after" time is
//! refused, so a store restored from an older snapshot never brings a remembered login back.

use std::time::Duration;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use super::Logins;
use super::revocations::Revocation;
use crate::clock::Clock;
use crate::session_store::{RememberGrant, Store, StoreError, StoreResult, random_token};

/// One series as the store keeps it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct SeriesRecord {
    username: String,
    /// SHA-256 (hex) of the current token of the series.
    token_hash: String,
    fingerprint: String,
    generation: i64,
    /// Unix milliseconds after which the series is over, however often it was used.
    until_ms: u64,
    /// Unix milliseconds when the series began (checked against the user's "valid after").
    #[serde(default)]
    created_ms: u64,
}

/// What a remember cookie turned out to be.
#[derive(Debug, Clone, PartialEq)]
pub enum Redeemed {
    /// A live series: log `username` in and give the browser `next` (the rotated token).
    Valid { username: String, fingerprint: String, next: RememberGrant },
    /// An old token of a live series: every series of `username` has been ended.
    Theft { username: String },
    /// Nothing live (unknown, expired, malformed, or ended).
    Unknown,
}

/// The remember-me registry over the session store.
#[derive(Clone)]
pub struct Remember {
    store: Store,
    clock: Clock,
    /// Records ends durably, and holds the revocation record the series are checked against.
    logins: Logins,
    /// How long a series lives; `None` when remember-me is off (`cookie.expiry_days` is 0).
    lifetime: Option<Duration>,
}

fn series_key(series: &str) -> String {
    format!("remember:{series}")
}

/// How a series is named in the revocation record (apart from login tokens).
fn durable_key(series: &str) -> String {
    format!("remember:{series}")
}

fn generation_key(username: &str) -> String {
    format!("remember-generation:{username}")
}

fn digest(token: &str) -> String {
    Sha256::digest(token.as_bytes()).iter().map(|b| format!("{b:02x}")).collect()
}

/// `series:token`, both non-empty.
fn parse(cookie: &str) -> Option<(&str, &str)> {
    cookie.split_once(':').filter(|(series, token)| !series.is_empty() && !token.is_empty())
}

impl Remember {
    pub fn new(store: Store, clock: Clock, lifetime: Option<Duration>, logins: Logins) -> Self {
        Self { store, clock, logins, lifetime }
    }

    /// How long a series lives; `None` when remember-me is off.
    pub fn lifetime(&self) -> Option<Duration> {
        self.lifetime
    }

    /// Starts a series for a login; `None` when remember-me is off.
    pub async fn issue(&self, username: &str, fingerprint: &str) -> StoreResult<Option<RememberGrant>> {
        let Some(lifetime) = self.lifetime else { return Ok(None) };
        let now = self.clock.now_ms();
        let record = SeriesRecord {
            username: username.to_owned(),
            token_hash: String::new(),
            fingerprint: fingerprint.to_owned(),
            generation: self.generation(username).await?,
            until_ms: now + lifetime.as_millis() as u64,
            created_ms: self.logins.revocations().valid_after(username).map_or(now, |at| now.max(at + 1)),
        };
        let series = random_token();
        let (text, grant) = with_new_token(&series, record, now)?;
        self.store.put_value(&series_key(&series), text, Some(grant.max_age)).await?;
        Ok(Some(grant))
    }

    /// Checks a remember cookie and, for a live series, rotates its token.
    pub async fn redeem(&self, cookie: &str) -> StoreResult<Redeemed> {
        let Some((series, token)) = parse(cookie) else { return Ok(Redeemed::Unknown) };
        let Some(record) = self.live(series).await? else { return Ok(Redeemed::Unknown) };
        let current: bool = digest(token).as_bytes().ct_eq(record.token_hash.as_bytes()).into();
        if !current {
            self.forget_all(&record.username).await?;
            self.store.delete_value(&series_key(series)).await?;
            return Ok(Redeemed::Theft { username: record.username });
        }
        let (username, fingerprint) = (record.username.clone(), record.fingerprint.clone());
        let (text, next) = with_new_token(series, record, self.clock.now_ms())?;
        // Only while the series lives: a logout that ended it meanwhile is not undone.
        if !self.store.replace_value(&series_key(series), text, Some(next.max_age)).await? {
            return Ok(Redeemed::Unknown);
        }
        Ok(Redeemed::Valid { username, fingerprint, next })
    }

    /// Refuses the series a remember cookie names in this process at once (no await), before a
    /// logout's slower steps.
    pub fn hold_forget(&self, cookie: &str) {
        let Some((series, _)) = parse(cookie) else { return };
        let until_ms = self.clock.now_ms() + self.lifetime.unwrap_or_default().as_millis() as u64;
        self.logins.revocations().hold(&Revocation::Login { token: durable_key(series), until_ms });
    }

    /// Ends the series a remember cookie names (a logout), in the store and durably.
    pub async fn forget(&self, cookie: &str) -> StoreResult<()> {
        let Some((series, _)) = parse(cookie) else { return Ok(()) };
        self.forget_series(series).await
    }

    /// Ends a series by its name (a session ended from another browser), in the store and durably.
    pub async fn forget_series(&self, series: &str) -> StoreResult<()> {
        let recorded = self.store.get_value(&series_key(series), None).await?;
        let until_ms = recorded.and_then(|text| serde_json::from_str::<SeriesRecord>(&text).ok()).map(|r| r.until_ms);
        let until_ms =
            until_ms.unwrap_or_else(|| self.clock.now_ms() + self.lifetime.unwrap_or_default().as_millis() as u64);
        let key = series_key(series);
        let in_store = self.store.delete_value(&key);
        self.logins.end_durably(&durable_key(series), until_ms, in_store).await
    }

    /// Ends the series in the store only, after [`Remember::hold_forget`]: the caller writes the
    /// held revocation to the record (a logout does it once, with the login's).
    pub async fn forget_in_store(&self, cookie: &str) -> StoreResult<()> {
        let Some((series, _)) = parse(cookie) else { return Ok(()) };
        self.store.delete_value(&series_key(series)).await
    }

    /// Ends every series of `username`, on every instance (one write).
    pub async fn forget_all(&self, username: &str) -> StoreResult<()> {
        self.store.increment(&generation_key(username), None).await.map(drop)
    }

    /// The series' record while it is live: within its deadline and of the user's generation.
    async fn live(&self, series: &str) -> StoreResult<Option<SeriesRecord>> {
        let Some(text) = self.store.get_value(&series_key(series), None).await? else { return Ok(None) };
        let Ok(record) = serde_json::from_str::<SeriesRecord>(&text) else { return Ok(None) };
        let revoked = self.logins.revocations().refuses(&record.username, &durable_key(series), record.created_ms);
        if record.until_ms <= self.clock.now_ms() || revoked {
            self.store.delete_value(&series_key(series)).await?;
            return Ok(None);
        }
        let live = record.generation == self.generation(&record.username).await?;
        Ok(live.then_some(record))
    }

    async fn generation(&self, username: &str) -> StoreResult<i64> {
        let value = self.store.get_value(&generation_key(username), None).await?;
        Ok(value.and_then(|v| v.parse().ok()).unwrap_or(0))
    }
}

/// The series' record with a new token (as the store keeps it), and the cookie that carries
/// the token for the rest of the series' lifetime, counted from `now_ms`.
fn with_new_token(series: &str, mut record: SeriesRecord, now_ms: u64) -> StoreResult<(String, RememberGrant)> {
    let token = random_token();
    record.token_hash = digest(&token);
    let left = Duration::from_millis(record.until_ms.saturating_sub(now_ms).max(1));
    let text = serde_json::to_string(&record).map_err(|e| StoreError::Unavailable(format!("remember: {e}")))?;
    Ok((text, RememberGrant { value: format!("{series}:{token}"), max_age: left }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::auth::Revocations;
    use crate::config::StoreSettings;
    use crate::session_store::LockTiming;

    const DAY: Duration = Duration::from_secs(86_400);

    fn registry(clock: &Clock) -> Remember {
        let store = Store::from_settings(&StoreSettings::Memory, DAY, LockTiming::default()).unwrap();
        let dir = std::env::temp_dir().join(format!("runnel-remember-{}", random_token()));
        std::fs::create_dir_all(&dir).unwrap();
        let revocations = Revocations::open(&Revocations::beside(&dir.join("credentials.yaml"))).unwrap();
        let logins = Logins::new(store.clone(), DAY, 2 * DAY, clock.clone(), std::sync::Arc::new(revocations));
        Remember::new(store, clock.clone(), Some(2 * DAY), logins)
    }

    async fn valid(remember: &Remember, cookie: &str) -> RememberGrant {
        match remember.redeem(cookie).await.unwrap() {
            Redeemed::Valid { next, .. } => next,
            other => panic!("expected a live series, got {other:?}"),
        }
    }

    #[tokio::test]
    async fn each_use_rotates_the_token_in_the_same_series_and_the_store_keeps_only_its_hash() {
        let remember = registry(&Clock::manual());
        let first = remember.issue("jsmith", "fp").await.unwrap().unwrap();
        let (series, token) = parse(&first.value).unwrap();
        let stored = remember.store.get_value(&series_key(series), None).await.unwrap().unwrap();
        assert!(!stored.contains(token) && stored.contains(&digest(token)));
        let second = valid(&remember, &first.value).await;
        assert_eq!(parse(&second.value).unwrap().0, series);
        assert_ne!(second.value, first.value);
    }

    #[tokio::test]
    async fn an_old_token_of_a_live_series_ends_every_series_of_the_user() {
        let remember = registry(&Clock::manual());
        let laptop = remember.issue("jsmith", "fp").await.unwrap().unwrap();
        let phone = remember.issue("jsmith", "fp").await.unwrap().unwrap();
        let other = remember.issue("rbriggs", "fp").await.unwrap().unwrap();
        let rotated = valid(&remember, &laptop.value).await;
        let theft = remember.redeem(&laptop.value).await.unwrap();
        assert_eq!(theft, Redeemed::Theft { username: "jsmith".into() });
        for ended in [&rotated.value, &phone.value] {
            assert_eq!(remember.redeem(ended).await.unwrap(), Redeemed::Unknown);
        }
        valid(&remember, &other.value).await;
    }

    #[tokio::test]
    async fn a_series_ends_at_its_deadline_however_often_it_is_used() {
        let clock = Clock::manual();
        let remember = registry(&clock);
        let mut cookie = remember.issue("jsmith", "fp").await.unwrap().unwrap();
        assert_eq!(cookie.max_age, 2 * DAY);
        clock.advance(DAY);
        cookie = valid(&remember, &cookie.value).await;
        assert_eq!(cookie.max_age, DAY, "the rotated cookie keeps the series' deadline");
        clock.advance(DAY);
        assert_eq!(remember.redeem(&cookie.value).await.unwrap(), Redeemed::Unknown);
    }

    #[tokio::test]
    async fn a_series_ended_before_a_store_restore_stays_ended() {
        let remember = registry(&Clock::manual());
        let laptop = remember.issue("jsmith", "fp").await.unwrap().unwrap();
        let phone = remember.issue("jsmith", "fp").await.unwrap().unwrap();
        let saved: Vec<(String, String)> = {
            let mut saved = vec![];
            for cookie in [&laptop, &phone] {
                let key = series_key(parse(&cookie.value).unwrap().0);
                saved.push((key.clone(), remember.store.get_value(&key, None).await.unwrap().unwrap()));
            }
            saved
        };
        remember.forget(&laptop.value).await.unwrap();
        remember.logins.end_all("jsmith").await.unwrap();
        // The store comes back from a snapshot taken before both ends.
        for (key, text) in saved {
            remember.store.put_value(&key, text, None).await.unwrap();
        }
        remember.store.delete_value(&generation_key("jsmith")).await.unwrap();
        for ended in [&laptop, &phone] {
            assert_eq!(remember.redeem(&ended.value).await.unwrap(), Redeemed::Unknown);
        }
    }

    #[tokio::test]
    async fn a_malformed_or_forgotten_cookie_is_nobody() {
        let remember = registry(&Clock::manual());
        for cookie in ["", "no-colon", ":token", "series:"] {
            assert_eq!(remember.redeem(cookie).await.unwrap(), Redeemed::Unknown);
        }
        let cookie = remember.issue("jsmith", "fp").await.unwrap().unwrap();
        remember.forget(&cookie.value).await.unwrap();
        assert_eq!(remember.redeem(&cookie.value).await.unwrap(), Redeemed::Unknown);
    }
}
