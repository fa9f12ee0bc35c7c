//! What a run knows about authentication: who is logged in (verified by the host before the
//! run, never read from the state map) and the result of the auth form this run answers.

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// The auth keys of the state map, rewritten from the verified viewer before and after runs,
/// and never kept across a login or logout (see `SessionData::reset_keeping`).
pub const AUTH_KEYS: [&str; 5] = ["authentication_status", "username", "name", "email", "roles"];

/// The logged-in user, as the host verified it for this run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Viewer {
    pub username: String,
    pub name: String,
    pub email: String,
    pub roles: Vec<String>,
}

/// The auth forms a script can draw. Each posts to `/{page}/auth/{name}`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AuthAction {
    Login,
    Logout,
    LogoutEverywhere,
    RegisterUser,
    ResetPassword,
    ForgotPassword,
    /// The second step of `ForgotPassword`: a reset code and a new password.
    ResetPasswordWithCode,
    ForgotUsername,
    UpdateUserDetails,
}

impl AuthAction {
    pub const ALL: [Self; 9] = [
        Self::Login,
        Self::Logout,
        Self::LogoutEverywhere,
        Self::RegisterUser,
        Self::ResetPassword,
        Self::ForgotPassword,
        Self::ResetPasswordWithCode,
        Self::ForgotUsername,
        Self::UpdateUserDetails,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Self::Login => "login",
            Self::Logout => "logout",
            Self::LogoutEverywhere => "logout_everywhere",
            Self::RegisterUser => "register_user",
            Self::ResetPassword => "reset_password",
            Self::ForgotPassword => "forgot_password",
            Self::ResetPasswordWithCode => "reset_password_with_code",
            Self::ForgotUsername => "forgot_username",
            Self::UpdateUserDetails => "update_user_details",
        }
    }

    pub fn parse(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|a| a.name() == name)
    }

    /// The widget id under which a drawn form is recorded for its page: with a `key`, two
    /// forms of one action can share a page.
    pub fn widget_id(self, key: Option<&str>) -> String {
        match key {
            Some(key) => format!("auth:{}:key:{key}", self.name()),
            None => format!("auth:{}", self.name()),
        }
    }
}

/// The auth form fields that may be shown again after a post: never a password or a code.
pub const KEPT_FIELDS: [&str; 4] = ["username", "first_name", "last_name", "email"];

/// How the host handled a submitted auth form; the next run shows it, once.
#[derive(Debug, Clone, PartialEq)]
pub struct AuthOutcome {
    pub action: AuthAction,
    /// The `key` of the form that was posted.
    pub key: Option<String>,
    /// What was typed into the form's fields that are not secret ([`KEPT_FIELDS`]), so that a
    /// form drawn with `clear_on_submit: false` shows them again.
    pub entered: Vec<(String, String)>,
    /// On success, what the script's function returns (and its callback receives);
    /// on failure, the message the form shows.
    pub result: Result<Value, String>,
}

/// Options of a drawn form that the host needs when the form comes back (registration rules,
/// the state keys a login or logout keeps).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct AuthFormSpec {
    /// The `state` keys that survive the session reset of a login or logout (`keep`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub keep: Vec<String>,
    /// Only these emails may register (`None`: anyone).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub allowed_emails: Option<Vec<String>>,
    /// Use the credentials file's `pre-authorized` list.
    #[serde(default)]
    pub file_pre_authorized: bool,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub domains: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub roles: Vec<String>,
    #[serde(default)]
    pub min_password_len: usize,
    #[serde(default)]
    pub strong_password: bool,
    #[serde(default)]
    pub merge_username_email: bool,
}

/// The run's view of authentication.
#[derive(Debug, Clone, Default)]
pub struct AuthRun {
    /// False when the host has no credentials file: `authenticator()` is then an error.
    pub enabled: bool,
    pub viewer: Option<Viewer>,
    pub outcome: Option<AuthOutcome>,
}
