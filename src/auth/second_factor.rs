//! The second factor of a login (TOTP, see [`super::totp`]): the pending state after a right
//! password, checking an authenticator or recovery code against it, and enrolling or turning
//! off TOTP. A code is used up durably in the credentials file: an authenticator code by its
//! time step (the user's `last_step`), a recovery code by removing its hash. Wrong codes count
//! towards their own back-off (per account and client, like wrong passwords), which only a
//! right code clears: a right password does not.

use std::net::IpAddr;
use std::time::Duration;

use super::Auth;
use super::actions::{ActionError, Fields, LoggedIn};
use super::audit::{self, AuditEvent};
use super::credentials::CredentialsDoc;
use super::password::Verdict;
use super::totp::{self, TotpEntry};
use crate::session_state::{EnrolmentView, PendingEnrolment, PendingLogin, SecondFactorView, Viewer};

/// How long a right password waits for its second factor.
pub const PENDING_LOGIN_LIFETIME: Duration = Duration::from_secs(5 * 60);
/// How long a started enrolment waits for its first code.
pub const ENROLMENT_LIFETIME: Duration = Duration::from_secs(15 * 60);

/// The one refusal of a wrong, used or late code, and of a client that must wait.
pub const CODE_FAILED: &str = "Login failed: the code is incorrect or was used already, or there were too many \
     failed attempts from here: wait a little and try again.";
/// The refusal when the password step has expired (or was never taken).
pub const LOGIN_TIMED_OUT: &str = "The login timed out: enter your username and password again.";
pub const ENROLMENT_CODE_REFUSED: &str = "That code is not right (or there were too many attempts from here): \
     enter the code your authenticator app shows now.";
pub const ENROLMENT_TIMED_OUT: &str = "The setup timed out: start it again.";
pub const DISABLE_REFUSED: &str =
    "The code or password is incorrect (or there were too many attempts from here): nothing was changed.";

impl Auth {
    fn now_secs(&self) -> u64 {
        self.settings.clock.now_ms() / 1000
    }

    fn deadline(&self, lifetime: Duration) -> u64 {
        self.settings.clock.now_ms() + lifetime.as_millis() as u64
    }

    /// Whether a pending login or enrolment deadline is still ahead.
    pub fn is_live(&self, until_ms: u64) -> bool {
        until_ms > self.settings.clock.now_ms()
    }

    /// "Password verified, second factor pending" for a user whose password was just right.
    pub fn pending_login(&self, logged_in: &LoggedIn) -> PendingLogin {
        PendingLogin {
            username: logged_in.username.clone(),
            fingerprint: logged_in.fingerprint.clone(),
            until_ms: self.deadline(PENDING_LOGIN_LIFETIME),
        }
    }

    /// Completes a pending login with an authenticator or recovery code.
    pub async fn check_second_factor(
        &self,
        pending: Option<&PendingLogin>,
        fields: &Fields,
        client: IpAddr,
    ) -> Result<Result<LoggedIn, String>, ActionError> {
        let Some(pending) = pending.filter(|p| self.is_live(p.until_ms)) else {
            return Ok(Err(LOGIN_TIMED_OUT.into()));
        };
        let username = pending.username.as_str();
        self.rate_limit(client, username)?;
        let current = self.credentials.doc().user(username).map(|u| u.fingerprint());
        if current.as_deref() != Some(pending.fingerprint.as_str()) {
            return Ok(Err(LOGIN_TIMED_OUT.into()));
        }
        if self.must_wait(username, client).await? {
            return Ok(Err(CODE_FAILED.into()));
        }
        let used = self.use_code(username, fields.text("code"), client).await?;
        if !self.settle(username, client, used).await? {
            return Ok(Err(CODE_FAILED.into()));
        }
        audit::record(AuditEvent::LoginSucceeded, username, &client.to_string());
        Ok(Ok(LoggedIn {
            username: username.to_owned(),
            fingerprint: pending.fingerprint.clone(),
            needs_second_factor: false,
        }))
    }

    /// Whether `client` must still back off from `username`'s second factor (logged).
    async fn must_wait(&self, username: &str, client: IpAddr) -> Result<bool, ActionError> {
        let waiting = self.factor_backoff.waiting(username, client).await?;
        if waiting {
            audit::record(AuditEvent::BackedOff, username, &client.to_string());
        }
        Ok(waiting)
    }

    /// Counts a failed proof towards the back-off, or clears the count after a good one.
    async fn settle(&self, username: &str, client: IpAddr, proven: bool) -> Result<bool, ActionError> {
        if proven {
            self.factor_backoff.clear(username, client).await?;
        } else {
            self.factor_backoff.count_failure(username, client).await?;
            audit::record(AuditEvent::SecondFactorFailed, username, &client.to_string());
        }
        Ok(proven)
    }

    /// Uses up `code` of `username`: a recovery code, or an authenticator code of a later time
    /// step than the last one accepted.
    async fn use_code(&self, username: &str, code: &str, client: IpAddr) -> Result<bool, ActionError> {
        let Some(entry) = self.credentials.doc().user(username).and_then(|u| u.totp.clone()) else {
            return Ok(false);
        };
        if totp::is_recovery_code(code) {
            return self.use_recovery_code(username, code, entry.recovery_codes, client).await;
        }
        let Some(step) = totp::matching_step(&entry.secret, code, self.now_secs()) else { return Ok(false) };
        let name = username.to_owned();
        Ok(self.modify(move |doc| claim_step(doc, &name, step)).await?.is_ok())
    }

    async fn use_recovery_code(
        &self,
        username: &str,
        code: &str,
        hashes: Vec<String>,
        client: IpAddr,
    ) -> Result<bool, ActionError> {
        let typed = totp::normalize_recovery_code(code);
        let Some(hash) = self.hasher.find_match(typed, hashes).await? else { return Ok(false) };
        let name = username.to_owned();
        let removed = self.modify(move |doc| remove_recovery_code(doc, &name, &hash)).await?.is_ok();
        if removed {
            audit::record(AuditEvent::RecoveryCodeUsed, username, &client.to_string());
        }
        Ok(removed)
    }

    /// Starts an enrolment for the viewer: a new secret, kept in the session until confirmed.
    pub fn begin_enrolment(&self, viewer: &Viewer, issuer: Option<&str>) -> PendingEnrolment {
        PendingEnrolment {
            username: viewer.username.clone(),
            secret: totp::new_secret(),
            issuer: issuer.unwrap_or("Runnel").to_owned(),
            until_ms: self.deadline(ENROLMENT_LIFETIME),
        }
    }

    /// Turns TOTP on once a code from the app proves it has the secret. Returns the recovery
    /// codes in clear, for the page to show once; the file keeps only their hashes.
    pub async fn confirm_enrolment(
        &self,
        viewer: &Viewer,
        pending: Option<&PendingEnrolment>,
        fields: &Fields,
        client: IpAddr,
    ) -> Result<Result<Vec<String>, String>, ActionError> {
        let username = viewer.username.as_str();
        let live = |p: &&PendingEnrolment| p.username == username && self.is_live(p.until_ms);
        let Some(pending) = pending.filter(live) else { return Ok(Err(ENROLMENT_TIMED_OUT.into())) };
        self.rate_limit(client, username)?;
        if self.must_wait(username, client).await? {
            return Ok(Err(ENROLMENT_CODE_REFUSED.into()));
        }
        let secret = pending.secret.clone();
        let step = totp::matching_step(&secret, fields.text("code"), self.now_secs());
        if !self.settle(username, client, step.is_some()).await? {
            return Ok(Err(ENROLMENT_CODE_REFUSED.into()));
        }
        let codes = totp::new_recovery_codes();
        let hashes = self.hasher.hash_all(codes.iter().map(|c| totp::normalize_recovery_code(c)).collect()).await?;
        let entry = TotpEntry { secret, last_step: step.unwrap_or_default(), recovery_codes: hashes };
        let name = username.to_owned();
        let enabled = self.modify(move |doc| enable(doc, &name, entry)).await?;
        if enabled.is_ok() {
            audit::record(AuditEvent::TotpEnabled, username, &client.to_string());
        }
        Ok(enabled.map(|()| codes))
    }

    /// Turns TOTP off when `code_or_password` is a current code or the password.
    pub async fn disable_totp(
        &self,
        viewer: &Viewer,
        fields: &Fields,
        client: IpAddr,
    ) -> Result<Result<(), String>, ActionError> {
        let username = viewer.username.as_str();
        self.rate_limit(client, username)?;
        if self.must_wait(username, client).await? {
            return Ok(Err(DISABLE_REFUSED.into()));
        }
        let proven = self.code_or_password(username, fields.secret("code_or_password"), client).await?;
        if !self.settle(username, client, proven).await? {
            return Ok(Err(DISABLE_REFUSED.into()));
        }
        let name = username.to_owned();
        let disabled = self.modify(move |doc| disable(doc, &name)).await?;
        if disabled.is_ok() {
            audit::record(AuditEvent::TotpDisabled, username, &client.to_string());
        }
        Ok(disabled)
    }

    async fn code_or_password(&self, username: &str, proof: String, client: IpAddr) -> Result<bool, ActionError> {
        if self.use_code(username, proof.trim(), client).await? {
            return Ok(true);
        }
        if proof.len() > super::password::MAX_PASSWORD_BYTES {
            return Ok(false);
        }
        let stored = self.credentials.doc().user(username).map(|u| u.password.clone());
        Ok(matches!(self.hasher.verify(proof, stored).await?, Verdict::Match { .. }))
    }

    /// What a run shows about the second factor (the QR code is drawn here, for the viewer's
    /// own pending enrolment only).
    pub fn second_factor_view(
        &self,
        viewer: Option<&Viewer>,
        pending_login: Option<&PendingLogin>,
        pending_enrolment: Option<&PendingEnrolment>,
    ) -> SecondFactorView {
        let doc = self.credentials.doc();
        let enrolled = viewer.and_then(|v| doc.user(&v.username)).is_some_and(|u| u.totp.is_some());
        let enrolment = match (viewer, pending_enrolment) {
            (Some(v), Some(p)) if !enrolled && p.username == v.username && self.is_live(p.until_ms) => {
                enrolment_view(p)
            }
            _ => None,
        };
        let login_pending = viewer.is_none() && pending_login.is_some_and(|p| self.is_live(p.until_ms));
        SecondFactorView { login_pending, enrolled, enrolment }
    }
}

fn enrolment_view(pending: &PendingEnrolment) -> Option<EnrolmentView> {
    let url = totp::otpauth_url(&pending.secret, &pending.issuer, &pending.username)?;
    Some(EnrolmentView { secret: pending.secret.clone(), qr_svg: totp::qr_svg(&url)? })
}

fn totp_of<'a>(doc: &'a mut CredentialsDoc, username: &str) -> Result<&'a mut TotpEntry, String> {
    let user = doc.credentials.usernames.get_mut(username).ok_or("This user no longer exists.")?;
    user.totp.as_mut().ok_or_else(|| "Two-factor authentication is off.".to_owned())
}

/// Accepts `step` only if it is later than the last accepted one (RFC 6238 §5.2: a code is
/// good for one use), read afresh under the file's writer lock.
fn claim_step(doc: &mut CredentialsDoc, username: &str, step: u64) -> Result<(), String> {
    let entry = totp_of(doc, username)?;
    if step <= entry.last_step {
        return Err("used".into());
    }
    entry.last_step = step;
    Ok(())
}

fn remove_recovery_code(doc: &mut CredentialsDoc, username: &str, hash: &str) -> Result<(), String> {
    let entry = totp_of(doc, username)?;
    let before = entry.recovery_codes.len();
    entry.recovery_codes.retain(|h| h != hash);
    if entry.recovery_codes.len() == before { Err("used".into()) } else { Ok(()) }
}

fn enable(doc: &mut CredentialsDoc, username: &str, entry: TotpEntry) -> Result<(), String> {
    let user = doc.credentials.usernames.get_mut(username).ok_or("This user no longer exists.")?;
    if user.totp.is_some() {
        return Err("Two-factor authentication is on already.".into());
    }
    user.totp = Some(entry);
    Ok(())
}

fn disable(doc: &mut CredentialsDoc, username: &str) -> Result<(), String> {
    let user = doc.credentials.usernames.get_mut(username).ok_or("This user no longer exists.")?;
    user.totp.take().map(|_| ()).ok_or_else(|| "Two-factor authentication is off already.".to_owned())
}
