//! A post of one of the authenticator's forms, as one interaction: checked (CSRF, the form was
//! drawn on this page, rate limits), handled by `crate::auth` (the logout by `auth::logout`, in
//! its documented order), turned into session changes, and answered with a rerun that shows
//! the result. A login or logout resets the session: the rerun that answers it runs on an empty
//! session (but for the `state` keys the form keeps), saved whole under a new session id.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Arc;

use serde_json::Value;

use super::login_refresh::{remember_again, roles_of};
use super::requests::Caller;
use super::{Answer, Host, Shown, Target, Visit};
use crate::auth::Auth;
use crate::auth::actions::{ActionError, Fields, LoggedIn};
use crate::auth::credentials::normalize_username;
use crate::auth::logins::Device;
use crate::auth::logout::Logout;
use crate::error::AppError;
use crate::script::{CompiledScript, Gate, RunRequest};
use crate::session_state::{
    AuthAction, AuthFormSpec, AuthOutcome, AuthRun, EventError, KEPT_FIELDS, SessionData, Viewer, WidgetSpec,
};
use crate::session_store::BrowserSession;

/// The form that was posted: which action, its fields (the CSRF token among them), and who sent it.
pub struct AuthPost {
    pub action: AuthAction,
    /// The `key` of the posted form (its `form_key` field), when it was drawn with one.
    pub key: Option<String>,
    pub fields: HashMap<String, String>,
    pub client: IpAddr,
}

/// One auth post being handled.
struct FormPost<'a> {
    host: &'a Host,
    auth: &'a Auth,
    action: AuthAction,
    key: Option<String>,
    session: &'a dyn BrowserSession,
    /// The session id the post arrived with (a login or logout moves the data to a new one).
    sid: String,
    /// The session started with this post, for a key that a logout had just ended.
    adopted: bool,
    client: IpAddr,
    /// Where a login made by this post comes from.
    device: Device,
    fields: Fields,
}

impl Host {
    /// Handles a post of an auth form and reruns the page to show its result.
    pub async fn auth_post(&self, visit: Visit<'_>, mut post: AuthPost) -> Result<Answer, AppError> {
        let auth = self.auth.as_ref().ok_or(AppError::PageNotFound)?;
        let csrf = post.fields.remove("csrf");
        let (sid, adopted) = self.auth_session(visit.session, post.action, csrf, &visit.client).await?;
        let fields = Fields(post.fields);
        let form = FormPost {
            host: self,
            auth,
            action: post.action,
            key: post.key,
            session: visit.session,
            sid,
            adopted,
            client: post.client,
            device: visit.device(),
            fields,
        };
        form.handle(visit).await
    }

    /// The session the post belongs to, once its CSRF token is checked; `adopted` when the
    /// browser had no session and one starts with this post: a visitor who has only looked at
    /// pages (its token is the visitor token), or a browser whose session was just ended by a
    /// logout whose answer it never took in (a reload raced it; its token is the one that
    /// logout kept).
    async fn auth_session(
        &self,
        session: &dyn BrowserSession,
        action: AuthAction,
        csrf: Option<String>,
        client: &str,
    ) -> Result<(String, bool), AppError> {
        match (session.sid(), csrf) {
            // A logout from a session that is already gone: there is nothing left to end.
            (None, _) if action == AuthAction::Logout => {
                let kept = self.csrf_after_logout(session).await?;
                self.admission.admit(client)?;
                Ok((session.ensure_ids_with(kept.or_else(|| session.visitor())).0, false))
            }
            (Some(sid), Some(csrf)) if session.csrf_matches(&csrf) => Ok((sid, false)),
            (None, Some(csrf)) => Ok((self.start_session(session, client, &csrf).await?, true)),
            _ => Err(AppError::Csrf),
        }
    }
}

impl FormPost<'_> {
    /// Does what the form asks under the session's lock, then reruns the page to show it.
    async fn handle(&self, visit: Visit<'_>) -> Result<Answer, AppError> {
        let host = self.host;
        let script = host.script(visit.page)?;
        let client = self.client.to_string();
        let logout = Logout { auth: self.auth, store: &host.store, session: self.session, client: &client };
        let caller = Caller { session: self.session, client: &client, live: None };
        // A plain logout revokes first of all, so that a reload sent right after the click
        // finds it revoked; "everywhere" must first be sure who is logged in.
        if self.action == AuthAction::Logout {
            logout.revoke(None).await?;
        }
        let mut auth_run = host.auth_run(self.session).await?;
        if let (AuthAction::LogoutEverywhere, Some(viewer)) = (self.action, &auth_run.viewer) {
            logout.revoke(Some(viewer)).await?;
        }
        self.admit(&script, &auth_run)?;
        let lock = host.store.lock(&self.sid).await?;
        let mut stored = host.store.load(&self.sid).await?.unwrap_or_default();
        let drawn = DrawnForm { page: visit.page, action: self.action, key: self.key.as_deref() };
        if self.adopted || drawn.spec(&stored, auth_run.viewer.is_some()).is_err() {
            // The page was drawn for another session (one a logout ended, or a drawing a race
            // with a logout never saved here): draw it once for this one, as loading the page
            // would have. Only a form the page draws for this viewer is then accepted.
            stored = host
                .rerun(&caller, &script, stored, RunRequest { auth: auth_run.clone(), ..visit.request() })
                .await?
                .data;
        }
        let spec = drawn.spec(&stored, auth_run.viewer.is_some())?;
        let mut data = (*stored).clone();
        auth_run.outcome = self.dispatch(&logout, &spec, &mut auth_run.viewer, &mut data).await?;
        let output =
            host.rerun(&caller, &script, Arc::new(data), RunRequest { auth: auth_run, ..visit.request() }).await?;
        let csrf = self.session.csrf().unwrap_or_default();
        let new_sid = self.session.sid().unwrap_or_else(|| self.sid.clone());
        // After a login or logout the data moves to a new id: write it whole there.
        let unchanged = SessionData::default();
        let before = if new_sid == self.sid && !self.adopted { &*stored } else { &unchanged };
        let shown = Shown { script, output, csrf, query: visit.query, new_url: None };
        let target = Target { sid: &new_sid, stored: before, page: visit.page };
        let answer = host.deliver(&lock, target, shown, visit.delivery).await?;
        if new_sid != self.sid {
            host.store.delete(&self.sid).await?;
        }
        lock.release().await;
        Ok(answer)
    }

    /// Auth posts to a page are gated like its runs: a viewer without the page's roles may
    /// only log out, and an anonymous viewer of a page that needs a login may only log in
    /// (the login form, and its code step with TOTP, is all that page shows them).
    fn admit(&self, script: &CompiledScript, auth_run: &AuthRun) -> Result<(), AppError> {
        let ending = matches!(self.action, AuthAction::Logout | AuthAction::LogoutEverywhere);
        match script.meta.access.gate(auth_run.viewer.as_ref()) {
            Gate::NotAllowed if !ending => Err(AppError::NotAllowed),
            Gate::Login if !ending && !matches!(self.action, AuthAction::Login | AuthAction::LoginCode) => {
                Err(EventError::UnknownWidget(self.action.widget_id(self.key.as_deref())).into())
            }
            _ => Ok(()),
        }
    }

    /// Does what the form asks; returns what the rerun shows about it.
    async fn dispatch(
        &self,
        logout: &Logout<'_>,
        spec: &AuthFormSpec,
        viewer: &mut Option<Viewer>,
        data: &mut SessionData,
    ) -> Result<Option<AuthOutcome>, AppError> {
        let (action, auth, client) = (self.action, self.auth, self.client);
        let result: Result<Value, String> = match (action, viewer.clone()) {
            (AuthAction::Login, Some(_)) => return Ok(None),
            (AuthAction::Login, None) => self.login(viewer, spec, data).await?,
            (AuthAction::LoginCode, Some(_)) => return Ok(None),
            (AuthAction::LoginCode, None) => self.login_code(viewer, spec, data).await?,
            (AuthAction::EnrollTotp | AuthAction::ConfirmTotp | AuthAction::DisableTotp, Some(current)) => {
                self.totp_setting(&current, spec, data).await?
            }
            (AuthAction::Logout, current) => {
                logout.end_session(current.as_ref(), data, &spec.keep).await?;
                *viewer = None;
                Ok(Value::Null)
            }
            (AuthAction::LogoutEverywhere, Some(current)) => {
                logout.end_session(Some(&current), data, &spec.keep).await?;
                *viewer = None;
                Ok(Value::Null)
            }
            (AuthAction::RegisterUser, _) => auth.register(&self.fields, spec, client).await.map_err(action_error)?,
            (AuthAction::ForgotPassword, _) => {
                auth.forgot_password(&self.fields, client).await.map_err(action_error)?
            }
            (AuthAction::ResetPasswordWithCode, _) => {
                auth.reset_password_with_code(&self.fields, spec, client).await.map_err(action_error)?
            }
            (AuthAction::ForgotUsername, _) => {
                auth.forgot_username(&self.fields, client).await.map_err(action_error)?
            }
            (AuthAction::ResetPassword, Some(current)) => self.change_password(&current, spec).await?,
            (AuthAction::UpdateUserDetails, Some(current)) => {
                let result = auth.update_details(&current, &self.fields, client).await.map_err(action_error)?;
                if result.is_ok() {
                    self.rotate(&current.username, None).await?;
                }
                *viewer = self.host.auth_run(self.session).await?.viewer;
                result
            }
            (_, None) => Err("Log in first.".to_owned()),
        };
        let entered = KEPT_FIELDS
            .iter()
            .filter_map(|name| Some(((*name).to_owned(), self.fields.0.get(*name)?.trim().to_owned())))
            .collect();
        Ok(Some(AuthOutcome { action, key: self.key.clone(), entered, result }))
    }

    /// Starts, confirms or ends the viewer's TOTP. The pending enrolment stays in the session
    /// data (server-side) until a right code or its deadline; the recovery codes go only to
    /// the run that answers the confirmation.
    async fn totp_setting(
        &self,
        current: &Viewer,
        spec: &AuthFormSpec,
        data: &mut SessionData,
    ) -> Result<Result<Value, String>, AppError> {
        let (auth, fields, client) = (self.auth, &self.fields, self.client);
        match self.action {
            AuthAction::EnrollTotp => {
                data.pending_enrolment = Some(auth.begin_enrolment(current, spec.issuer.as_deref()));
                Ok(Ok(Value::Null))
            }
            AuthAction::ConfirmTotp => {
                let pending = data.pending_enrolment.take();
                let confirmed =
                    auth.confirm_enrolment(current, pending.as_ref(), fields, client).await.map_err(action_error)?;
                if confirmed.is_err() {
                    data.pending_enrolment = pending.filter(|p| auth.is_live(p.until_ms));
                }
                Ok(confirmed.map(|codes| serde_json::json!({ "recovery_codes": codes })))
            }
            _ => {
                let disabled = auth.disable_totp(current, fields, client).await.map_err(action_error)?;
                Ok(disabled.map(|()| Value::Bool(true)))
            }
        }
    }

    /// Logs in: a new session key, id and CSRF token, and a session that starts empty but for
    /// the `state` keys the login form keeps (nothing written before the login carries over).
    async fn login(
        &self,
        viewer: &mut Option<Viewer>,
        spec: &AuthFormSpec,
        data: &mut SessionData,
    ) -> Result<Result<Value, String>, AppError> {
        let logged_in = match self.auth.check_login(&self.fields, self.client).await.map_err(action_error)? {
            Ok(logged_in) => logged_in,
            Err(message) => return Ok(Err(message)),
        };
        if logged_in.needs_second_factor {
            // Not logged in yet: the session only remembers, server-side, that the password
            // was right, and the login form asks for the code. It moves to a new key and id
            // first, so a session cookie planted before the password reaches no code form.
            self.session.end_login();
            data.pending_login = Some(self.auth.pending_login(&logged_in));
            return Ok(Ok(Value::Null));
        }
        self.finish_login(logged_in, viewer, spec, data).await
    }

    /// The second step of a login with TOTP: a right code finishes the login the same way a
    /// password alone does for a user without TOTP.
    async fn login_code(
        &self,
        viewer: &mut Option<Viewer>,
        spec: &AuthFormSpec,
        data: &mut SessionData,
    ) -> Result<Result<Value, String>, AppError> {
        let pending = data.pending_login.take();
        let checked = self.auth.check_second_factor(pending.as_ref(), &self.fields, self.client).await;
        match checked.map_err(action_error)? {
            Ok(logged_in) => self.finish_login(logged_in, viewer, spec, data).await,
            Err(message) => {
                data.pending_login = pending.filter(|p| self.auth.is_live(p.until_ms));
                Ok(Err(message))
            }
        }
    }

    /// Opens the login: a new session key, id, CSRF token and login token, a remember-me
    /// series, and the session data reset but for the kept keys.
    async fn finish_login(
        &self,
        logged_in: LoggedIn,
        viewer: &mut Option<Viewer>,
        spec: &AuthFormSpec,
        data: &mut SessionData,
    ) -> Result<Result<Value, String>, AppError> {
        let roles = self.auth.credentials.doc().user(&logged_in.username).map(|u| u.roles()).unwrap_or_default();
        let token = self.auth.logins.open(&logged_in.username, &logged_in.fingerprint, &roles, &self.device).await?;
        self.session
            .start_login(&logged_in.username, &token)
            .map_err(|e| AppError::Internal(anyhow::anyhow!("identity login failed: {e}")))?;
        remember_again(self.auth, self.session, &token, &logged_in.username, &logged_in.fingerprint).await?;
        *data = data.reset_keeping(&spec.keep);
        let doc = self.auth.credentials.doc();
        *viewer = doc.user(&logged_in.username).map(|user| Viewer {
            username: normalize_username(&logged_in.username),
            name: user.display_name(),
            email: user.email.clone(),
            roles: user.roles(),
        });
        Ok(Ok(Value::Null))
    }

    /// A password change ends the user's other logins; this session gets a fresh one, under a
    /// new session id and CSRF token.
    async fn change_password(&self, current: &Viewer, spec: &AuthFormSpec) -> Result<Result<Value, String>, AppError> {
        let outcome = self.auth.change_password(current, &self.fields, spec, self.client).await;
        let fingerprint = match outcome.map_err(action_error)? {
            Ok(fingerprint) => fingerprint,
            Err(message) => return Ok(Err(message)),
        };
        // The change ended every remember-me series of the user; this browser gets a new one.
        self.rotate(&current.username, Some(fingerprint)).await?;
        Ok(Ok(Value::Bool(true)))
    }

    /// Gives this session a new id, CSRF token and login token (the old one is revoked), and
    /// the browser a new remember-me series: a copy of the cookies from before a change to the
    /// account is dead. The login's fingerprint is `fingerprint`, or the user's current one.
    async fn rotate(&self, username: &str, fingerprint: Option<String>) -> Result<(), AppError> {
        let current = || self.auth.credentials.doc().user(username).map(|user| user.fingerprint());
        let Some(fingerprint) = fingerprint.or_else(current) else { return Ok(()) };
        let Some(roles) = roles_of(self.auth, username, &fingerprint) else { return Ok(()) };
        if let Some(old) = self.session.login_token() {
            self.auth.logins.revoke(&old).await?;
        }
        let token = self.auth.logins.open(username, &fingerprint, &roles, &self.device).await?;
        self.session.rotate_login(&token);
        remember_again(self.auth, self.session, &token, username, &fingerprint).await
    }
}

/// The spec of the form as this page drew it in its last run. A logout needs no drawn form
/// (a stale page may log out), but when its button was drawn, its spec says what to keep;
/// without one, nothing is kept.
struct DrawnForm<'a> {
    page: &'a str,
    action: AuthAction,
    key: Option<&'a str>,
}

impl DrawnForm<'_> {
    fn spec(&self, stored: &SessionData, logged_in: bool) -> Result<AuthFormSpec, AppError> {
        let (action, id) = (self.action, self.action.widget_id(self.key));
        let record = stored.pages.get(self.page).and_then(|w| w.get(&id));
        match record.map(|r| &r.spec) {
            Some(WidgetSpec::AuthForm { form }) => Ok(form.clone()),
            _ if matches!(action, AuthAction::Logout | AuthAction::LogoutEverywhere)
                || (action == AuthAction::Login && logged_in) =>
            {
                Ok(AuthFormSpec::default())
            }
            _ => Err(EventError::UnknownWidget(id).into()),
        }
    }
}

fn action_error(err: ActionError) -> AppError {
    match err {
        ActionError::RateLimited(_) => AppError::TooManyRequests(err.to_string()),
        ActionError::Store(cause) => AppError::Store(cause),
        ActionError::Internal(cause) => AppError::Internal(anyhow::anyhow!(cause)),
    }
}
