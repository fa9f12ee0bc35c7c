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
    /// The second step of a login with TOTP: an authenticator or recovery code.
    LoginCode,
    /// Starts a TOTP enrolment: a new secret, pending in the session until confirmed.
    EnrollTotp,
    /// Confirms the pending enrolment with a code from the authenticator app.
    ConfirmTotp,
    /// Turns TOTP off, with a current code or the password.
    DisableTotp,
}

impl AuthAction {
    pub const ALL: [Self; 13] = [
        Self::Login,
        Self::Logout,
        Self::LogoutEverywhere,
        Self::RegisterUser,
        Self::ResetPassword,
        Self::ForgotPassword,
        Self::ResetPasswordWithCode,
        Self::ForgotUsername,
        Self::UpdateUserDetails,
        Self::LoginCode,
        Self::EnrollTotp,
        Self::ConfirmTotp,
        Self::DisableTotp,
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
            Self::LoginCode => "login_code",
            Self::EnrollTotp => "enroll_totp",
            Self::ConfirmTotp => "confirm_totp",
            Self::DisableTotp => "disable_totp",
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
    /// The issuer an authenticator app shows for a TOTP enrolment (`enroll_totp`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub issuer: Option<String>,
}

/// One session of the logged-in user, as `auth.sessions()` lists it. `id` is the login's
/// public id (never its token).
#[derive(Debug, Clone, PartialEq)]
pub struct ListedSession {
    pub id: String,
    pub created_ms: u64,
    pub seen_ms: u64,
    pub client: String,
    pub user_agent: String,
    /// The session of the request that runs the script.
    pub current: bool,
}

/// What a run asks of the host that only the host can do (the store is out of a script's
/// reach): the run stops, the host does it and runs the script again with the answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AuthRequest {
    /// The viewer's sessions (`auth.sessions()`).
    ListSessions,
    /// End one of the viewer's sessions by its public id (`auth.end_session(id)`).
    EndSession(String),
    /// End every session of a user (`auth.end_sessions(username)`, admins only).
    EndSessions(String),
}

/// How many requests one interaction may make of the host.
pub const MAX_AUTH_REQUESTS: usize = 16;

/// The run's view of authentication.
#[derive(Debug, Clone, Default)]
pub struct AuthRun {
    /// False when the host has no credentials file: `authenticator()` is then an error.
    pub enabled: bool,
    pub viewer: Option<Viewer>,
    pub outcome: Option<AuthOutcome>,
    /// The role that may end other users' sessions.
    pub admin_role: String,
    /// The viewer's sessions, once the host listed them in this interaction.
    pub sessions: Option<Vec<ListedSession>>,
    /// The requests the host answered in this interaction, with their answers (on failure,
    /// the message the script error shows).
    pub answers: Vec<(AuthRequest, Result<Value, String>)>,
    /// What the login and TOTP forms draw about the second factor.
    pub second_factor: SecondFactorView,
}

impl AuthRun {
    /// The answer the host gave to `request` in this interaction, if it was asked.
    pub fn answer(&self, request: &AuthRequest) -> Option<&Result<Value, String>> {
        self.answers.iter().find(|(asked, _)| asked == request).map(|(_, answer)| answer)
    }
}

/// The second factor as a run sees it, computed by the host from the session and the
/// credentials file. The secret is here only while an enrolment is pending.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SecondFactorView {
    /// The password was right and the login waits for a code (not yet expired).
    pub login_pending: bool,
    /// The viewer has TOTP turned on.
    pub enrolled: bool,
    /// The viewer's pending enrolment: what the authenticator app needs.
    pub enrolment: Option<EnrolmentView>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct EnrolmentView {
    /// The secret in base32, for typing it into an app by hand.
    pub secret: String,
    /// The `otpauth://` URL as a QR code, an inline `<svg>` (no script, no style).
    pub qr_svg: String,
}

/// "Password verified, second factor pending": kept server-side in the session record, never
/// in the browser, until the code comes or it expires.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PendingLogin {
    pub username: String,
    /// The fingerprint of the password hash that was verified (a change voids the pending login).
    pub fingerprint: String,
    /// Unix milliseconds after which the password must be entered again.
    pub until_ms: u64,
}

/// A TOTP enrolment that waits for its first code; kept server-side in the session record.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PendingEnrolment {
    pub username: String,
    /// The new secret in base32.
    pub secret: String,
    pub issuer: String,
    pub until_ms: u64,
}
