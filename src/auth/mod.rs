//! The authenticator's host side: the credentials file, password hashing, logins and their
//! revocation, back-off and rate limits, password reset codes, and the audit log. The script side (the forms) is in
//! `crate::widgets` (auth); the logout sequence in [`logout`]; the interaction around a form post
//! in `crate::host`.
//!
//! Who is logged in is decided here on every request, from the server-side login behind the
//! session, never from anything a script or a browser wrote.

pub mod actions;
pub mod audit;
pub mod backoff;
pub mod credentials;
pub mod limits;
pub mod logins;
pub mod logout;
pub mod password;
mod pending;
pub mod recovery;
pub mod remember;
pub mod reset;
pub mod revocations;
pub mod second_factor;
pub mod sessions;
pub mod totp;

use std::sync::Arc;
use std::time::Duration;

pub use crate::config::AuthSettings;
pub use credentials::Credentials;
pub use logins::Logins;
pub use password::Hasher;
pub use pending::{PendingLogouts, Unconfirmed};
pub use recovery::ResetCodes;
pub use remember::Remember;
pub use revocations::Revocations;
pub use sessions::EndedSession;

use backoff::Backoff;

use crate::session_state::Viewer;
use crate::session_store::{Store, StoreResult};

/// A verified viewer, with what the host needs to rotate the session.
#[derive(Debug, Clone)]
pub struct Verified {
    pub viewer: Viewer,
    pub fingerprint: String,
    /// The user's roles changed since the login began (e.g. an edit of the credentials file).
    pub roles_changed: bool,
}

/// Everything the auth routes need. Cloning is cheap.
#[derive(Clone)]
pub struct Auth {
    pub credentials: Arc<Credentials>,
    pub hasher: Hasher,
    pub logins: Logins,
    pub limiter: Arc<limits::ClientLimiter>,
    /// Slows down failed logins per account and client, and per client.
    pub login_backoff: Backoff,
    /// The same for wrong reset codes.
    pub code_backoff: Backoff,
    /// The same for wrong second-factor codes; a right password does not clear it.
    pub factor_backoff: Backoff,
    pub reset_codes: ResetCodes,
    pub settings: AuthSettings,
    pub pending: PendingLogouts,
    /// Remember-me tokens; on when the file's `cookie.expiry_days` is above 0.
    pub remember: Remember,
}

impl Auth {
    /// `credentials` should be watched for edits ([`credentials::Watcher`]) while the app lives.
    /// The revocation file (beside it, unless configured) is read here: a broken one stops the start.
    pub fn new(credentials: Arc<Credentials>, store: Store, settings: AuthSettings) -> anyhow::Result<Self> {
        let expiry_days = credentials.doc().cookie.expiry_days;
        // Streamlit-Authenticator's meaning: expiry_days > 0 remembers a login that long.
        let remembered = (expiry_days > 0.0)
            .then(|| Duration::from_secs_f64((expiry_days * 86_400.0).min(3.0e9)).min(settings.remember_cap));
        let absolute = settings.absolute_timeout.or(remembered).unwrap_or(Duration::from_secs(86_400));
        password::warm_up();
        let path = settings.revocations.clone().unwrap_or_else(|| Revocations::beside(credentials.path()));
        let revocations = Arc::new(Revocations::open(&path)?);
        let logins = Logins::new(store.clone(), settings.idle_timeout, absolute, settings.clock.clone(), revocations);
        let remember = Remember::new(store.clone(), settings.clock.clone(), remembered, logins.clone());
        let backoff = |kind| {
            Backoff::new(store.clone(), settings.clock.clone(), kind, settings.max_login_attempts, settings.lockout)
        };
        let (login_backoff, code_backoff) = (backoff("login"), backoff("reset_code"));
        let factor_backoff = backoff("second_factor");
        let reset_codes = ResetCodes::new(store.clone(), settings.clock.clone(), settings.reset_code_lifetime);
        Ok(Self {
            credentials,
            hasher: Hasher::new(settings.hash_concurrency),
            login_backoff,
            code_backoff,
            factor_backoff,
            reset_codes,
            pending: PendingLogouts::new(store, logins.clone(), remember.clone()),
            logins,
            limiter: Arc::new(limits::ClientLimiter::new(settings.attempts_per_minute)),
            remember,
            settings,
        })
    }

    /// Ends every login and every remember-me series of `username`, on every instance.
    pub async fn end_all_logins(&self, username: &str) -> StoreResult<()> {
        self.logins.end_all(username).await?;
        self.remember.forget_all(username).await
    }

    /// The verified viewer of a request (see [`Auth::verify`]).
    pub async fn viewer(
        &self,
        identity: Option<&str>,
        token: Option<&str>,
        session_key: Option<&str>,
    ) -> StoreResult<Option<Viewer>> {
        Ok(self.verify(identity, token, session_key).await?.map(|verified| verified.viewer))
    }

    /// Verifies the viewer of a request: the identity, the login token behind it and the
    /// user in the credentials file must all agree, or nobody is logged in. A session whose
    /// logout could not reach the store (`session_key` pending) is never trusted again.
    pub async fn verify(
        &self,
        identity: Option<&str>,
        token: Option<&str>,
        session_key: Option<&str>,
    ) -> StoreResult<Option<Verified>> {
        let (Some(identity), Some(token)) = (identity, token) else { return Ok(None) };
        if session_key.is_some_and(|key| self.pending.contains(&Unconfirmed::Session(key.to_owned()))) {
            return Ok(None);
        }
        let Some(login) = self.logins.check(token).await? else { return Ok(None) };
        if login.username != identity {
            return Ok(None);
        }
        let doc = self.credentials.doc();
        let Some(user) = doc.user(&login.username).filter(|u| u.fingerprint() == login.fingerprint) else {
            // Removed from the file, or the password changed since this login.
            return Ok(None);
        };
        let viewer = Viewer {
            username: login.username.clone(),
            name: user.display_name(),
            email: user.email.clone(),
            roles: user.roles(),
        };
        let roles_changed = login.roles.is_some_and(|roles| roles != viewer.roles);
        Ok(Some(Verified { viewer, fingerprint: login.fingerprint, roles_changed }))
    }
}
