//! Password recovery in two steps, neither of which anyone can abuse to disturb an account:
//! `forgot_password` only issues a reset code for the script to deliver (the password and the
//! user's sessions stay as they are), and `reset_password_with_code` changes the password when
//! a valid code comes back with a new one. Wrong codes back off like wrong passwords.

use std::net::IpAddr;

use serde_json::{Value, json};

use super::Auth;
use super::actions::{ActionError, Fields, Outcome, policy, set_password};
use super::audit::{self, AuditEvent};
use super::credentials::normalize_username;
use super::password::MAX_PASSWORD_BYTES;
use crate::session_state::AuthFormSpec;

/// The one refusal for a wrong, used, expired or foreign code, and a client that must wait.
pub const CODE_REFUSED: &str = "This reset code is not valid: it may be mistyped, used or expired, or there were \
     too many attempts from here. Ask for a new code, or wait a little and try again.";

impl Auth {
    /// Issues a reset code for the user, for the script to deliver: the username, the email,
    /// the code and its lifetime in minutes. An unknown username gets `null`, and the form
    /// shows the same notice either way.
    pub async fn forgot_password(&self, fields: &Fields, client: IpAddr) -> Result<Outcome, ActionError> {
        let username = normalize_username(fields.text("username"));
        self.rate_limit(client, &username)?;
        let Some(user) = self.credentials.doc().user(&username).cloned() else {
            // The same store write as for a real user, so that the time taken does not tell
            // them apart; the code is never given out and no user has an empty fingerprint.
            self.reset_codes.issue(&username, "").await?;
            return Ok(Ok(Value::Null));
        };
        let code = self.reset_codes.issue(&username, &user.fingerprint()).await?;
        audit::record(AuditEvent::PasswordForgotten, &username, &client.to_string());
        let minutes = self.reset_codes.lifetime().as_secs().div_ceil(60);
        Ok(Ok(json!({ "username": username, "email": user.email, "code": code, "expires_minutes": minutes })))
    }

    /// Sets a new password for the user when the code is theirs, unexpired and unused, and
    /// ends all of the user's logins. The code is used up only by a post whose new password
    /// passes the form's rules.
    pub async fn reset_password_with_code(
        &self,
        fields: &Fields,
        spec: &AuthFormSpec,
        client: IpAddr,
    ) -> Result<Outcome, ActionError> {
        let username = normalize_username(fields.text("username"));
        self.rate_limit(client, &username)?;
        let new = fields.secret("new_password");
        if new != fields.secret("new_password_repeat") {
            return Ok(Err("The new passwords do not match.".into()));
        }
        if new.len() > MAX_PASSWORD_BYTES {
            return Ok(Err(format!("Passwords are at most {MAX_PASSWORD_BYTES} bytes long.")));
        }
        if let Err(reason) = policy(spec).check(&new) {
            return Ok(Err(reason));
        }
        if !self.redeem(&username, fields.text("code"), client).await? {
            return Ok(Err(CODE_REFUSED.into()));
        }
        let hash = self.hasher.hash(new).await?;
        let name = username.clone();
        let changed = self.modify(move |doc| set_password(doc, &name, hash)).await?;
        if changed.is_ok() {
            self.end_all_logins(&username).await?;
            audit::record(AuditEvent::PasswordReset, &username, &client.to_string());
        }
        Ok(changed.map(|_| json!({ "username": username })))
    }

    /// Whether `code` is a live code of `username` that was issued for the password the user
    /// still has; a refusal counts towards the client's back-off.
    async fn redeem(&self, username: &str, code: &str, client: IpAddr) -> Result<bool, ActionError> {
        if self.code_backoff.waiting(username, client).await? {
            audit::record(AuditEvent::BackedOff, username, &client.to_string());
            return Ok(false);
        }
        let current = self.credentials.doc().user(username).map(|u| u.fingerprint());
        let record = self.reset_codes.redeem(username, code).await?;
        let valid = record.is_some_and(|r| Some(r.fingerprint) == current);
        if valid {
            self.code_backoff.clear(username, client).await?;
        } else {
            self.code_backoff.count_failure(username, client).await?;
            audit::record(AuditEvent::ResetCodeRefused, username, &client.to_string());
        }
        Ok(valid)
    }
}
