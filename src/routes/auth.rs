//! `POST /{page}/auth/{action}`: the authenticator's forms. Each post is checked (CSRF, the
//! form was drawn on this page, rate limits), handled by `crate::auth`, turned into session
//! changes (login, logout), and answered with a rerun that shows the result.
//!
//! Logout, in this order, before the rerun: the login token is revoked in the store, the
//! identity is cleared, the old session record and data are deleted, the auth keys leave the
//! state map; the rerun then runs logged out, and the answer carries a new session cookie.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Arc;

use actix_identity::Identity;
use actix_session::Session;
use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::StatusCode;
use actix_web::http::header::{CACHE_CONTROL, CONTENT_LENGTH};
use actix_web::middleware::Next;
use actix_web::{HttpMessage, HttpRequest, HttpResponse, web};
use serde_json::Value;

use super::forms;
use super::pages::{Answer, AppState, PageView, respond, wants_fragment};
use crate::auth::actions::{ActionError, Fields};
use crate::auth::audit::{self, AuditEvent};
use crate::auth::{Auth, credentials::normalize_username};
use crate::error::AppError;
use crate::session_state::{AuthAction, AuthFormSpec, AuthOutcome, EventError, SessionData, Viewer, WidgetSpec};
use crate::session_store::{TypedSession, csrf_after_logout_key, session_key_of};
use crate::widgets::AUTH_KEYS;

/// How long a request carrying the session key a logout ended still gets the session's CSRF
/// token (see `csrf_after_logout_key`): longer than any rerun after a logout takes.
const CSRF_AFTER_LOGOUT_TTL: std::time::Duration = std::time::Duration::from_secs(60);

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/{page}/auth/{action}", web::post().to(post_auth));
}

async fn post_auth(
    req: HttpRequest,
    path: web::Path<(String, String)>,
    payload: web::Payload,
    session: Session,
    identity: Option<Identity>,
    app: web::Data<AppState>,
) -> HttpResponse {
    let fragment = wants_fragment(&req);
    let (page, action) = path.into_inner();
    let result = async {
        let session = TypedSession::new(session);
        let mut post = Post::read(&req, &app, &action, payload, session, identity).await?;
        post.handle(&page, fragment).await
    };
    respond(result.await, fragment)
}

/// One post being handled: the request, its checked form, and the session it belongs to.
struct Post<'a> {
    req: &'a HttpRequest,
    app: &'a AppState,
    auth: &'a Auth,
    action: AuthAction,
    session: TypedSession,
    /// The session id the post arrived with (a login or logout moves the data to a new one).
    sid: String,
    /// The session started with this post, for a key that a logout had just ended (see `read`).
    adopted: bool,
    identity: Option<Identity>,
    client: IpAddr,
    fields: Fields,
}

impl<'a> Post<'a> {
    /// Reads and checks the post: a known action, a body within limits, the CSRF token.
    async fn read(
        req: &'a HttpRequest,
        app: &'a AppState,
        action: &str,
        payload: web::Payload,
        session: TypedSession,
        identity: Option<Identity>,
    ) -> Result<Self, AppError> {
        let auth = app.auth.as_ref().ok_or(AppError::PageNotFound)?;
        let action = AuthAction::parse(action).ok_or(AppError::PageNotFound)?;
        let declared = req.headers().get(CONTENT_LENGTH).and_then(|v| v.to_str().ok()?.parse().ok());
        let body = forms::read_body(payload, declared, app.max_body_bytes).await?;
        let mut fields: HashMap<String, String> = forms::parse_pairs(&body)?.into_iter().collect();
        // `adopted`: the session was just ended by a logout whose answer the browser never took
        // in (a reload raced it), and a new one starts now with the CSRF token that logout kept.
        let (sid, adopted) = match (session.sid(), fields.remove("csrf")) {
            // A logout from a session that is already gone: there is nothing left to end.
            (None, _) if action == AuthAction::Logout => {
                let kept = app.csrf_after_logout(req, &session).await?;
                (session.ensure_ids_with(kept).0, false)
            }
            (Some(sid), Some(csrf)) if session.csrf_matches(&csrf) => (sid, false),
            (None, Some(csrf)) => {
                let kept = app.csrf_after_logout(req, &session).await?;
                (session.adopt_kept_csrf(kept, &csrf).ok_or(AppError::Csrf)?, true)
            }
            _ => return Err(AppError::Csrf),
        };
        let client = req.peer_addr().map_or(IpAddr::from([127, 0, 0, 1]), |a| a.ip());
        Ok(Self { req, app, auth, action, session, sid, adopted, identity, client, fields: Fields(fields) })
    }

    /// Does what the form asks under the session's lock, then reruns the page to show it.
    async fn handle(&mut self, page: &str, fragment: bool) -> Result<HttpResponse, AppError> {
        let (app, action) = (self.app, self.action);
        let script = app.script(page)?;
        // A logout revokes at once, before waiting for this session's other requests: from here
        // on no request of any tab or instance sees this login. A plain logout does it first of
        // all, so that a reload sent right after the click finds it revoked; "everywhere" must
        // first be sure who is logged in.
        if action == AuthAction::Logout {
            self.revoke(None).await?;
        }
        let mut auth_run = app.auth_run(self.req, self.identity.as_ref(), &self.session).await?;
        if action == AuthAction::LogoutEverywhere {
            self.revoke(auth_run.viewer.as_ref()).await?;
        }
        let lock = app.store.lock(&self.sid).await?;
        let mut stored = app.store.load(&self.sid).await?.unwrap_or_default();
        if self.adopted {
            // The page was drawn for the ended session: draw it once for this one, as loading
            // the page would have, so that the form that was posted can be found.
            let query = forms::parse_query(self.req.query_string())?;
            stored = app.rerun(&script, stored, None, query, auth_run.clone()).await?.data;
        }
        let spec = drawn_form(&stored, page, action, auth_run.viewer.is_some())?;
        let mut data = (*stored).clone();
        auth_run.outcome = self.dispatch(&spec, &mut auth_run.viewer, &mut data).await?;
        let query = forms::parse_query(self.req.query_string())?;
        let output = app.rerun(&script, Arc::new(data), None, query.clone(), auth_run).await?;
        let csrf = self.session.csrf().unwrap_or_default();
        let view = PageView { app, script: &script, csrf: &csrf };
        let new_sid = self.session.sid().unwrap_or_else(|| self.sid.clone());
        // After a login or logout the data moves to a new id: write it whole there.
        let unchanged = SessionData::default();
        let before = if new_sid == self.sid && !self.adopted { &*stored } else { &unchanged };
        let response = Answer { page, sid: &new_sid, stored: before, query, fragment }.send(&view, output).await?;
        if new_sid != self.sid {
            app.store.delete(&self.sid).await?;
        }
        lock.release().await;
        Ok(response)
    }
}

/// The spec of the form as this page drew it in its last run. A logout needs no drawn form.
fn drawn_form(stored: &SessionData, page: &str, action: AuthAction, logged_in: bool) -> Result<AuthFormSpec, AppError> {
    let record = stored.pages.get(page).and_then(|w| w.get(&action.widget_id()));
    match record.map(|r| &r.spec) {
        Some(WidgetSpec::AuthForm { form }) => Ok(form.clone()),
        _ if matches!(action, AuthAction::Logout | AuthAction::LogoutEverywhere)
            || (action == AuthAction::Login && logged_in) =>
        {
            Ok(AuthFormSpec::default())
        }
        _ => Err(EventError::UnknownWidget(action.widget_id()).into()),
    }
}

impl Post<'_> {
    /// Does what the form asks; returns what the rerun shows about it.
    async fn dispatch(
        &mut self,
        spec: &AuthFormSpec,
        viewer: &mut Option<Viewer>,
        data: &mut SessionData,
    ) -> Result<Option<AuthOutcome>, AppError> {
        let action = self.action;
        let result: Result<Value, String> = match (action, viewer.clone()) {
            (AuthAction::Login, Some(_)) => return Ok(None),
            (AuthAction::Login, None) => self.login(viewer).await?,
            (AuthAction::Logout, current) => {
                self.logout(current.as_ref(), data).await?;
                *viewer = None;
                Ok(Value::Null)
            }
            (AuthAction::LogoutEverywhere, Some(current)) => {
                self.logout(Some(&current), data).await?;
                *viewer = None;
                Ok(Value::Null)
            }
            (AuthAction::RegisterUser, _) => {
                self.auth.register(&self.fields, spec, self.client).await.map_err(action_error)?
            }
            (AuthAction::ForgotPassword, _) => {
                self.auth.forgot_password(&self.fields, self.client).await.map_err(action_error)?
            }
            (AuthAction::ForgotUsername, _) => {
                self.auth.forgot_username(&self.fields, self.client).await.map_err(action_error)?
            }
            (AuthAction::ResetPassword, Some(current)) => self.change_password(&current, spec).await?,
            (AuthAction::UpdateUserDetails, Some(current)) => {
                let result =
                    self.auth.update_details(&current, &self.fields, self.client).await.map_err(action_error)?;
                *viewer = self.refreshed_viewer().await?;
                result
            }
            (_, None) => Err("Log in first.".to_owned()),
        };
        Ok(Some(AuthOutcome { action, result }))
    }

    async fn login(&mut self, viewer: &mut Option<Viewer>) -> Result<Result<Value, String>, AppError> {
        let logged_in = match self.auth.check_login(&self.fields, self.client).await.map_err(action_error)? {
            Ok(logged_in) => logged_in,
            Err(message) => return Ok(Err(message)),
        };
        let token = self.auth.logins.open(&logged_in.username, &logged_in.fingerprint).await?;
        // A new session key, id and CSRF token: nothing from before the login carries over.
        Identity::login(&self.req.extensions(), logged_in.username.clone())
            .map_err(|e| AppError::Internal(anyhow::anyhow!("identity login failed: {e}")))?;
        self.session.start_login(&token);
        let doc = self.auth.credentials.doc();
        *viewer = doc.user(&logged_in.username).map(|user| Viewer {
            username: normalize_username(&logged_in.username),
            name: user.display_name(),
            email: user.email.clone(),
            roles: user.roles(),
        });
        Ok(Ok(Value::Null))
    }

    /// Revokes this session's login (and for "everywhere" all of the user's logins).
    async fn revoke(&self, viewer: Option<&Viewer>) -> Result<(), AppError> {
        if let Some(token) = self.session.login_token() {
            self.auth.logins.revoke(&token).await?;
        }
        if let (AuthAction::LogoutEverywhere, Some(viewer)) = (self.action, viewer) {
            self.auth.logins.end_all(&viewer.username).await?;
            audit::record(AuditEvent::LoggedOutEverywhere, &viewer.username, &self.client.to_string());
        }
        Ok(())
    }

    /// Ends this session's login before the rerun (its token is already revoked): identity,
    /// old session record and data, auth keys.
    async fn logout(&mut self, current: Option<&Viewer>, data: &mut SessionData) -> Result<(), AppError> {
        let app = self.app;
        // A plain logout revoked the token before the viewer was looked up: name the identity.
        let username = current
            .map(|v| v.username.clone())
            .or_else(|| self.identity.as_ref().and_then(|i| i.id().ok()))
            .unwrap_or_else(|| "-".to_owned());
        if let Some(identity) = self.identity.take() {
            identity.logout();
        }
        if let Some(key) = session_key_of(self.req, &app.cookie_key) {
            // Written before the old session is deleted: whoever finds it gone finds this.
            if let Some(csrf) = self.session.csrf() {
                app.store.put_value(&csrf_after_logout_key(&key), csrf, Some(CSRF_AFTER_LOGOUT_TTL)).await?;
            }
            app.store.delete_session_key(&key).await?;
        }
        self.session.end_login();
        for key in AUTH_KEYS {
            data.state.remove(key);
        }
        audit::record(AuditEvent::LoggedOut, &username, &self.client.to_string());
        Ok(())
    }

    /// A password change ends the user's other logins; this session gets a fresh one.
    async fn change_password(
        &mut self,
        current: &Viewer,
        spec: &AuthFormSpec,
    ) -> Result<Result<Value, String>, AppError> {
        let fingerprint =
            match self.auth.change_password(current, &self.fields, spec, self.client).await.map_err(action_error)? {
                Ok(fingerprint) => fingerprint,
                Err(message) => return Ok(Err(message)),
            };
        if let Some(old) = self.session.login_token() {
            self.auth.logins.revoke(&old).await?;
        }
        let token = self.auth.logins.open(&current.username, &fingerprint).await?;
        self.session.replace_login_token(&token);
        Ok(Ok(Value::Bool(true)))
    }

    async fn refreshed_viewer(&self) -> Result<Option<Viewer>, AppError> {
        let username = self.identity.as_ref().and_then(|i| i.id().ok());
        let token = self.session.login_token();
        Ok(self.auth.viewer(username.as_deref(), token.as_deref(), None).await?)
    }
}

fn action_error(err: ActionError) -> AppError {
    match err {
        ActionError::RateLimited(_) => AppError::TooManyRequests(err.to_string()),
        ActionError::Store(cause) => AppError::StoreUnavailable(cause),
        ActionError::Internal(cause) => AppError::Internal(anyhow::anyhow!(cause)),
    }
}

/// Outermost middleware for logouts the store could not confirm (it is down): the browser's
/// cookie is cleared anyway, the page says so, and the session is remembered so that it is
/// never trusted again and is ended in the store once the store answers.
pub async fn unconfirmed_logouts(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    let is_logout = req.method() == actix_web::http::Method::POST && req.path().ends_with("/auth/logout");
    let app = req.app_data::<web::Data<AppState>>().cloned();
    let auth = app.as_ref().and_then(|a| a.auth.clone());
    let (Some(app), Some(auth), true) = (app, auth, is_logout) else {
        return next.call(req).await.map(ServiceResponse::map_into_boxed_body);
    };
    // Read before the call: routing needs the request to itself.
    let key = session_key_of(req.request(), &app.cookie_key);
    let client = req.peer_addr().map_or_else(|| "-".to_owned(), |a| a.ip().to_string());
    let unconfirmed = UnconfirmedLogout { fragment: wants_fragment(req.request()) };
    let result = next.call(req).await;
    let status = match &result {
        Ok(res) => res.status(),
        Err(err) => err.as_response_error().status_code(),
    };
    if status != StatusCode::SERVICE_UNAVAILABLE {
        return result.map(ServiceResponse::map_into_boxed_body);
    }
    if let Some(key) = key {
        auth.pending.add(key);
    }
    audit::record(AuditEvent::LogoutUnconfirmed, "-", &client);
    match result {
        Ok(res) => Ok(res.into_response(actix_web::ResponseError::error_response(&unconfirmed))),
        Err(_) => Err(unconfirmed.into()),
    }
}

/// The answer to a logout the store could not confirm.
#[derive(Debug, thiserror::Error)]
#[error(
    "You are logged out in this browser, but the server could not confirm the logout because the session store \
     is unavailable. The old session will not be accepted again."
)]
struct UnconfirmedLogout {
    fragment: bool,
}

impl actix_web::ResponseError for UnconfirmedLogout {
    fn status_code(&self) -> StatusCode {
        StatusCode::SERVICE_UNAVAILABLE
    }

    fn error_response(&self) -> HttpResponse {
        let mut removal =
            actix_web::cookie::Cookie::build(crate::startup::SESSION_COOKIE, "").path("/").http_only(true).finish();
        removal.make_removal();
        let mut response = HttpResponse::ServiceUnavailable();
        response.insert_header((CACHE_CONTROL, "no-store")).insert_header(("Retry-After", "2")).cookie(removal);
        if self.fragment {
            response.content_type("text/plain; charset=utf-8").body(self.to_string())
        } else {
            let page = crate::render::error_page("Logout not confirmed", &self.to_string(), "/");
            response.content_type("text/html; charset=utf-8").body(page)
        }
    }
}
