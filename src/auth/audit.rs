//! The audit log: one structured event per security-relevant action, under the tracing target
//! `runnel::audit`, with the username and the client address. Never a password, a cookie, a
//! token or a hash: callers pass only these three fields.

/// What happened.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AuditEvent {
    LoginSucceeded,
    LoginFailed,
    BackedOff,
    RateLimited,
    LoggedOut,
    LogoutUnconfirmed,
    LoggedOutEverywhere,
    Registered,
    RegistrationRefused,
    PasswordReset,
    PasswordForgotten,
    ResetCodeRefused,
    UsernameForgotten,
    DetailsUpdated,
    PasswordRehashed,
    RememberedLogin,
    RememberTheft,
    /// A login reached its absolute lifetime.
    LoginExpired,
    /// A login went unused for longer than the idle timeout.
    LoginIdleTimeout,
    /// A user ended one of their other sessions (`auth.end_session(id)`).
    SessionEnded,
    /// An admin (script or command line) ended every session of the user.
    SessionsEnded,
    /// A right password; the login waits for its second factor.
    SecondFactorPending,
    /// A wrong, used or late authenticator or recovery code.
    SecondFactorFailed,
    RecoveryCodeUsed,
    TotpEnabled,
    TotpDisabled,
}

impl AuditEvent {
    pub fn name(self) -> &'static str {
        match self {
            Self::LoginSucceeded => "login_succeeded",
            Self::LoginFailed => "login_failed",
            Self::BackedOff => "backed_off",
            Self::RateLimited => "rate_limited",
            Self::LoggedOut => "logged_out",
            Self::LogoutUnconfirmed => "logout_unconfirmed",
            Self::LoggedOutEverywhere => "logged_out_everywhere",
            Self::Registered => "registered",
            Self::RegistrationRefused => "registration_refused",
            Self::PasswordReset => "password_reset",
            Self::PasswordForgotten => "password_forgotten",
            Self::ResetCodeRefused => "reset_code_refused",
            Self::UsernameForgotten => "username_forgotten",
            Self::DetailsUpdated => "details_updated",
            Self::PasswordRehashed => "password_rehashed",
            Self::RememberedLogin => "remembered_login",
            Self::RememberTheft => "remember_token_reused",
            Self::LoginExpired => "login_expired",
            Self::LoginIdleTimeout => "login_idle_timeout",
            Self::SessionEnded => "session_ended",
            Self::SessionsEnded => "sessions_ended",
            Self::SecondFactorPending => "second_factor_pending",
            Self::SecondFactorFailed => "second_factor_failed",
            Self::RecoveryCodeUsed => "recovery_code_used",
            Self::TotpEnabled => "totp_enabled",
            Self::TotpDisabled => "totp_disabled",
        }
    }
}

/// Writes one audit event.
pub fn record(event: AuditEvent, username: &str, client: &str) {
    match event {
        AuditEvent::LoginSucceeded | AuditEvent::RememberedLogin => crate::metrics::login(true),
        AuditEvent::LoginFailed => crate::metrics::login(false),
        AuditEvent::BackedOff => {
            crate::metrics::login(false);
            crate::metrics::limit_hit("login_backoff");
        }
        AuditEvent::RateLimited => crate::metrics::limit_hit("auth_rate"),
        _ => {}
    }
    tracing::info!(target: "runnel::audit", event = event.name(), username, client, "audit");
}
