//! What each auth form does once its post arrives, without HTTP or sessions: check a login,
//! register a user, change a password, recover a username, update details (password recovery
//! is in `reset`). The
//! routes turn the result into session changes and a rerun.

use std::collections::HashMap;
use std::net::IpAddr;
use std::time::Duration;

use serde_json::{Value, json};

use super::Auth;
use super::audit::{self, AuditEvent};
use super::credentials::{CredentialsDoc, UserEntry, normalize_username};
use super::password::{self, PasswordError, PasswordPolicy, Verdict};
use crate::session_state::{AuthFormSpec, Viewer};
use crate::session_store::StoreError;

/// The one message for an unknown user, a wrong password and a client that must back off.
pub const LOGIN_FAILED: &str = "Login failed: the username or password is incorrect, or there were too many \
     failed attempts from here: wait a little and try again.";

/// Why a form could not be handled at all (as opposed to a refusal the form shows).
#[derive(Debug, thiserror::Error)]
pub enum ActionError {
    #[error("Too many attempts from your address. Wait {} seconds and try again.", .0.as_secs().max(1))]
    RateLimited(Duration),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("{0}")]
    Internal(String),
}

impl From<PasswordError> for ActionError {
    fn from(err: PasswordError) -> Self {
        Self::Internal(err.to_string())
    }
}

/// The fields of a posted auth form. Never logged.
pub struct Fields(pub HashMap<String, String>);

impl Fields {
    pub(super) fn text(&self, name: &str) -> &str {
        self.0.get(name).map_or("", |v| v.trim())
    }

    /// A password exactly as typed (not trimmed).
    pub(super) fn secret(&self, name: &str) -> String {
        self.0.get(name).cloned().unwrap_or_default()
    }
}

/// What a form post leads to: `Ok(value)` for the script, or a message the form shows.
pub type Outcome = Result<Value, String>;

/// A successful login: who, with the fingerprint the login must carry.
pub struct LoggedIn {
    pub username: String,
    pub fingerprint: String,
    /// The user has TOTP on: the login waits for a code (see `super::second_factor`).
    pub needs_second_factor: bool,
}

impl Auth {
    pub(super) fn rate_limit(&self, client: IpAddr, username: &str) -> Result<(), ActionError> {
        self.limiter.check(client).map_err(|wait| {
            audit::record(AuditEvent::RateLimited, username, &client.to_string());
            ActionError::RateLimited(wait)
        })
    }

    /// Checks a login. Unknown users are verified against a dummy hash, and a client that must
    /// still back off against the real one (and then refused), so every failure looks and takes
    /// the same.
    pub async fn check_login(&self, fields: &Fields, client: IpAddr) -> Result<Result<LoggedIn, String>, ActionError> {
        let username = normalize_username(fields.text("username"));
        self.rate_limit(client, &username)?;
        let password = fields.secret("password");
        if password.len() > password::MAX_PASSWORD_BYTES {
            return Ok(Err(format!("Passwords are at most {} bytes long.", password::MAX_PASSWORD_BYTES)));
        }
        let user = self.credentials.doc().user(&username).cloned();
        let waiting = self.login_backoff.waiting(&username, client).await?;
        let verdict = self.hasher.verify(password.clone(), user.as_ref().map(|u| u.password.clone())).await?;
        let client_text = client.to_string();
        match (verdict, waiting) {
            (Verdict::Match { rehash }, false) => {
                self.login_backoff.clear(&username, client).await?;
                let fingerprint = if rehash { self.rehash(&username, password).await? } else { None };
                let needs_second_factor = user.as_ref().is_some_and(|u| u.totp.is_some());
                let fingerprint = fingerprint.or_else(|| user.map(|u| u.fingerprint())).unwrap_or_default();
                let event =
                    if needs_second_factor { AuditEvent::SecondFactorPending } else { AuditEvent::LoginSucceeded };
                audit::record(event, &username, &client_text);
                Ok(Ok(LoggedIn { username, fingerprint, needs_second_factor }))
            }
            // Not counted: waiting out the back-off is what makes the next try possible.
            (_, true) => {
                audit::record(AuditEvent::BackedOff, &username, &client_text);
                Ok(Err(LOGIN_FAILED.into()))
            }
            (Verdict::NoMatch, false) => {
                let wait = self.login_backoff.count_failure(&username, client).await?;
                let event = if wait.is_zero() { AuditEvent::LoginFailed } else { AuditEvent::BackedOff };
                audit::record(event, &username, &client_text);
                Ok(Err(LOGIN_FAILED.into()))
            }
        }
    }

    /// Replaces a bcrypt or weak hash by today's argon2id; returns the new fingerprint.
    async fn rehash(&self, username: &str, password: String) -> Result<Option<String>, ActionError> {
        let hash = self.hasher.hash(password).await?;
        let name = username.to_owned();
        let changed = self.modify(move |doc| set_password(doc, &name, hash)).await?;
        if changed.is_ok() {
            audit::record(AuditEvent::PasswordRehashed, username, "-");
        }
        Ok(changed.ok())
    }

    /// Applies a change to the credentials file on the blocking pool.
    pub(super) async fn modify<T: Send + 'static>(
        &self,
        change: impl FnOnce(&mut CredentialsDoc) -> Result<T, String> + Send + 'static,
    ) -> Result<Result<T, String>, ActionError> {
        let credentials = self.credentials.clone();
        tokio::task::spawn_blocking(move || credentials.modify(change))
            .await
            .map_err(|e| ActionError::Internal(e.to_string()))?
            .map_err(|e| ActionError::Internal(format!("{e:#}")))
    }

    /// Registers a user under the rules the form was drawn with. A taken username or email
    /// gets the same answer as a registration (`Ok(null)` for the script, where a new account
    /// gives its details), unless the operator chose `reveal_taken_usernames`.
    pub async fn register(&self, fields: &Fields, spec: &AuthFormSpec, client: IpAddr) -> Result<Outcome, ActionError> {
        let email = fields.text("email").to_lowercase();
        let username =
            if spec.merge_username_email { email.clone() } else { normalize_username(fields.text("username")) };
        self.rate_limit(client, &username)?;
        let (first, last) = (fields.text("first_name").to_owned(), fields.text("last_name").to_owned());
        let password = fields.secret("new_password");
        if let Err(reason) =
            check_registration(spec, &email, &username, &first, &last, &password, &fields.secret("new_password_repeat"))
        {
            audit::record(AuditEvent::RegistrationRefused, &username, &client.to_string());
            return Ok(Err(reason));
        }
        let hash = self.hasher.hash(password).await?;
        let (spec, name) = (spec.clone(), username.clone());
        let (mail, f, l) = (email.clone(), first.clone(), last.clone());
        let added = self
            .modify(move |doc| add_user(doc, &spec, &name, UserEntry::new(&mail, &f, &l, hash, spec.roles.clone())))
            .await?;
        let event =
            if matches!(added, Ok(Added::Yes)) { AuditEvent::Registered } else { AuditEvent::RegistrationRefused };
        audit::record(event, &username, &client.to_string());
        Ok(match added {
            Ok(Added::Yes) => {
                Ok(json!({ "username": username, "email": email, "name": format!("{first} {last}").trim() }))
            }
            Ok(Added::Taken(reason)) if self.settings.reveal_taken_usernames => Err(reason.into()),
            Ok(Added::Taken(_)) => Ok(Value::Null),
            Err(reason) => Err(reason),
        })
    }

    /// Changes the viewer's password after checking the current one; ends the user's logins
    /// (the route opens a fresh one for this session). Returns the new fingerprint.
    pub async fn change_password(
        &self,
        viewer: &Viewer,
        fields: &Fields,
        spec: &AuthFormSpec,
        client: IpAddr,
    ) -> Result<Result<String, String>, ActionError> {
        self.rate_limit(client, &viewer.username)?;
        let stored = self.credentials.doc().user(&viewer.username).map(|u| u.password.clone());
        let current = fields.secret("password");
        if current.len() > password::MAX_PASSWORD_BYTES
            || self.hasher.verify(current, stored).await? == Verdict::NoMatch
        {
            return Ok(Err("The current password is incorrect.".into()));
        }
        let new = fields.secret("new_password");
        if new != fields.secret("new_password_repeat") {
            return Ok(Err("The new passwords do not match.".into()));
        }
        if let Err(reason) = policy(spec).check(&new) {
            return Ok(Err(reason));
        }
        let hash = self.hasher.hash(new).await?;
        let name = viewer.username.clone();
        let changed = self.modify(move |doc| set_password(doc, &name, hash)).await?;
        if changed.is_ok() {
            self.end_all_logins(&viewer.username).await?;
            audit::record(AuditEvent::PasswordReset, &viewer.username, &client.to_string());
        }
        Ok(changed)
    }

    /// The username behind an email, for the script to deliver.
    pub async fn forgot_username(&self, fields: &Fields, client: IpAddr) -> Result<Outcome, ActionError> {
        let email = fields.text("email").to_owned();
        self.rate_limit(client, &email)?;
        let doc = self.credentials.doc();
        let Some((username, user)) = doc.user_by_email(&email) else { return Ok(Ok(Value::Null)) };
        audit::record(AuditEvent::UsernameForgotten, username, &client.to_string());
        Ok(Ok(json!({ "username": username, "email": user.email })))
    }

    /// Updates the viewer's first name, last name and email.
    pub async fn update_details(
        &self,
        viewer: &Viewer,
        fields: &Fields,
        client: IpAddr,
    ) -> Result<Outcome, ActionError> {
        let (first, last) = (fields.text("first_name").to_owned(), fields.text("last_name").to_owned());
        let email = fields.text("email").to_lowercase();
        if first.is_empty() || !valid_email(&email) || first.chars().count() > 100 || last.chars().count() > 100 {
            return Ok(Err("Give a first name and a valid email.".into()));
        }
        let name = viewer.username.clone();
        let mail = email.clone();
        let updated = self
            .modify(move |doc| {
                if doc.user_by_email(&mail).is_some_and(|(other, _)| *other != name) {
                    return Err("This email is already registered.".into());
                }
                let user = doc.credentials.usernames.get_mut(&name).ok_or("This user no longer exists.")?;
                (user.first_name, user.last_name, user.email) = (Some(first), Some(last), mail);
                Ok(())
            })
            .await?;
        if updated.is_ok() {
            audit::record(AuditEvent::DetailsUpdated, &viewer.username, &client.to_string());
        }
        Ok(updated.map(|()| Value::Bool(true)))
    }
}

/// Whether a registration added its user, or why not when the name or email is taken.
enum Added {
    Yes,
    Taken(&'static str),
}

fn add_user(doc: &mut CredentialsDoc, spec: &AuthFormSpec, name: &str, user: UserEntry) -> Result<Added, String> {
    if spec.file_pre_authorized && !doc.is_pre_authorized(&user.email) {
        return Err("This email is not pre-authorized to register.".into());
    }
    if doc.user(name).is_some() {
        return Ok(Added::Taken("This username is taken."));
    }
    if doc.user_by_email(&user.email).is_some() {
        return Ok(Added::Taken("This email is already registered."));
    }
    if spec.file_pre_authorized {
        doc.consume_pre_authorization(&user.email);
    }
    doc.credentials.usernames.insert(name.to_owned(), user);
    Ok(Added::Yes)
}

pub(super) fn set_password(doc: &mut CredentialsDoc, username: &str, hash: String) -> Result<String, String> {
    let user = doc.credentials.usernames.get_mut(username).ok_or("This user no longer exists.")?;
    user.password = hash;
    Ok(user.fingerprint())
}

pub(super) fn policy(spec: &AuthFormSpec) -> PasswordPolicy {
    PasswordPolicy { min_len: spec.min_password_len.max(1), needs_upper_lower_digit: spec.strong_password }
}

fn valid_email(email: &str) -> bool {
    let Some((local, domain)) = email.split_once('@') else { return false };
    !local.is_empty() && domain.contains('.') && !email.chars().any(char::is_whitespace) && email.len() <= 254
}

fn valid_username(username: &str) -> bool {
    (1..=64).contains(&username.len()) && username.chars().all(|c| c.is_ascii_alphanumeric() || "._-@+".contains(c))
}

fn check_registration(
    spec: &AuthFormSpec,
    email: &str,
    username: &str,
    first: &str,
    last: &str,
    password: &str,
    repeat: &str,
) -> Result<(), String> {
    if !valid_email(email) {
        return Err("Give a valid email.".into());
    }
    if !valid_username(username) {
        return Err("A username has 1 to 64 letters, digits or . _ - @ +.".into());
    }
    if first.is_empty() || first.chars().count() > 100 || last.chars().count() > 100 {
        return Err("Give a first name (and a last name) of at most 100 characters.".into());
    }
    if password != repeat {
        return Err("The passwords do not match.".into());
    }
    policy(spec).check(password)?;
    if let Some(allowed) = &spec.allowed_emails
        && !allowed.iter().any(|a| a.eq_ignore_ascii_case(email))
    {
        return Err("This email is not pre-authorized to register.".into());
    }
    let domain = email.rsplit('@').next().unwrap_or_default();
    if !spec.domains.is_empty() && !spec.domains.iter().any(|d| d.eq_ignore_ascii_case(domain)) {
        return Err("Registration is open only to some email domains.".into());
    }
    Ok(())
}
