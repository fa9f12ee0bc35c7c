//! Dashboard pages: `GET /` opens the first page, `GET /{page}` runs and renders a page, and
//! `POST /{page}/event` applies one interaction and reruns. Events of one session are applied
//! one at a time under the store's session lock.

use std::collections::BTreeMap;
use std::sync::Arc;

use actix_identity::Identity;
use actix_session::Session;
use actix_web::http::header::{CACHE_CONTROL, CONTENT_LENGTH, LOCATION};
use actix_web::{HttpRequest, HttpResponse, web};

use super::forms;
use crate::error::AppError;
use crate::render::{self, NavLink, RenderContext};
use crate::script::{CompiledScript, Registry, RunOutput, Runner};
use crate::session_state::{AuthRun, Event, Flash, SessionData};
use crate::session_store::{Store, TypedSession, csrf_after_logout_key, session_key_of};

/// Shared by every worker.
pub struct AppState {
    pub registry: Arc<Registry>,
    pub runner: Runner,
    pub store: Store,
    pub max_body_bytes: usize,
    pub reloads: crate::hot_reload::Reloads,
    /// The authenticator; `None` without a credentials file.
    pub auth: Option<crate::auth::Auth>,
    /// Decrypts the session cookie, to name the session a logout ends.
    pub cookie_key: actix_web::cookie::Key,
}

pub(super) const FRAGMENT_HEADER: &str = "X-Runnel-Fragment";

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/", web::get().to(index));
    cfg.route("/{page}", web::get().to(show_page));
    cfg.route("/{page}/event", web::post().to(post_event));
}

async fn index(app: web::Data<AppState>) -> Result<HttpResponse, AppError> {
    let first = app.registry.first().ok_or(AppError::PageNotFound)?;
    Ok(HttpResponse::Found().insert_header((LOCATION, format!("/{}", first.name))).finish())
}

async fn show_page(
    req: HttpRequest,
    page: web::Path<String>,
    session: Session,
    identity: Option<Identity>,
    app: web::Data<AppState>,
) -> Result<HttpResponse, AppError> {
    let script = app.script(&page)?;
    let query = forms::parse_query(req.query_string())?;
    let session = TypedSession::new(session);
    // A new session for a key that a logout just ended keeps that session's CSRF token.
    let kept = app.csrf_after_logout(&req, &session).await?;
    let (sid, csrf) = session.ensure_ids_with(kept);
    let view = PageView { app: &app, script: &script, csrf: &csrf };
    let fragment = wants_fragment(&req);
    let lock = app.store.lock(&sid).await?;
    let stored = app.store.load(&sid).await?.unwrap_or_default();
    if !fragment && let Some(flash) = stored.flash.as_ref().filter(|f| f.page == page.as_str()) {
        // Show the result of the no-JavaScript POST that redirected here, once.
        let html = view.document(flash.html.clone(), &flash.config);
        let mut data = (*stored).clone();
        data.flash = None;
        app.store.save(&sid, Arc::new(data)).await?;
        lock.release().await;
        return Ok(html_response(html));
    }
    let viewer = Request { req: &req, identity: identity.as_ref(), session: &session };
    let output = app.run_for(&viewer, &script, stored.clone(), None, query.clone()).await?;
    app.persist(&sid, &stored, &output.data).await?;
    lock.release().await;
    let root = view.root(&output, &query);
    Ok(html_response(if fragment { root } else { view.document(root, &output.page.config) }))
}

async fn post_event(
    req: HttpRequest,
    page: web::Path<String>,
    payload: web::Payload,
    session: Session,
    identity: Option<Identity>,
    app: web::Data<AppState>,
) -> HttpResponse {
    let fragment = wants_fragment(&req);
    respond(handle_event(&req, &page, payload, session, identity, &app, fragment).await, fragment)
}

/// A post's answer; a failure is plain text for the page's script, else an error page.
pub(super) fn respond(result: Result<HttpResponse, AppError>, fragment: bool) -> HttpResponse {
    match result {
        Ok(response) => response,
        Err(err) if fragment => err.plain_response(),
        Err(err) => actix_web::ResponseError::error_response(&err),
    }
}

async fn handle_event(
    req: &HttpRequest,
    page: &str,
    payload: web::Payload,
    session: Session,
    identity: Option<Identity>,
    app: &AppState,
    fragment: bool,
) -> Result<HttpResponse, AppError> {
    let script = app.script(page)?;
    let declared = req.headers().get(CONTENT_LENGTH).and_then(|v| v.to_str().ok()?.parse().ok());
    let body = forms::read_body(payload, declared, app.max_body_bytes).await?;
    let form = forms::parse_event(&body)?;
    let session = TypedSession::new(session);
    let Some(csrf) = form.csrf else { return Err(AppError::Csrf) };
    let sid = match session.sid() {
        Some(sid) if session.csrf_matches(&csrf) => sid,
        Some(_) => return Err(AppError::Csrf),
        None => {
            let kept = app.csrf_after_logout(req, &session).await?;
            session.adopt_kept_csrf(kept, &csrf).ok_or(AppError::Csrf)?
        }
    };
    let query = forms::parse_query(req.query_string())?;
    let view = PageView { app, script: &script, csrf: &csrf };
    let lock = app.store.lock(&sid).await?;
    let stored = app.store.load(&sid).await?.unwrap_or_default();
    let viewer = Request { req, identity: identity.as_ref(), session: &session };
    // On an error the lock guard is dropped, which releases it.
    let output = app.run_for(&viewer, &script, stored.clone(), Some(form.event), query.clone()).await?;
    let answer = Answer { page, sid: &sid, stored: &stored, query, fragment };
    let response = answer.send(&view, output).await?;
    lock.release().await;
    Ok(response)
}

/// How a rerun caused by a post is answered: the fragment for the page's script, or for a
/// plain form post the result kept for the GET after a redirect (post/redirect/get).
pub(super) struct Answer<'a> {
    pub page: &'a str,
    /// Where the session's data is saved (a login or logout gives a new one).
    pub sid: &'a str,
    /// What was loaded before the run; an unchanged state is not written.
    pub stored: &'a SessionData,
    pub query: BTreeMap<String, String>,
    pub fragment: bool,
}

impl Answer<'_> {
    pub async fn send(self, view: &PageView<'_>, output: RunOutput) -> Result<HttpResponse, AppError> {
        let query = output.query.clone().unwrap_or(self.query);
        let root = view.root(&output, &query);
        let url = page_url(self.page, &query);
        if self.fragment {
            view.app.persist(self.sid, self.stored, &output.data).await?;
            let mut response = html_response(root);
            if output.query.is_some() {
                response
                    .headers_mut()
                    .insert("x-runnel-url".try_into().expect("valid"), url.try_into().expect("ascii"));
            }
            return Ok(response);
        }
        // One write holds both the new state and the flash.
        let mut data = Arc::unwrap_or_clone(output.data);
        data.flash = Some(Flash { page: self.page.to_owned(), html: root, config: output.page.config });
        view.app.store.save(self.sid, Arc::new(data)).await?;
        Ok(HttpResponse::SeeOther().insert_header((LOCATION, url)).insert_header((CACHE_CONTROL, "no-store")).finish())
    }
}

impl AppState {
    pub(super) fn script(&self, page: &str) -> Result<Arc<CompiledScript>, AppError> {
        crate::script::PageName::parse(page)
            .and_then(|name| self.registry.get(name.as_str()))
            .ok_or(AppError::PageNotFound)
    }

    /// Who is logged in for this request, verified on the server (nobody when the
    /// authenticator is off).
    pub(super) async fn auth_run(
        &self,
        req: &HttpRequest,
        identity: Option<&Identity>,
        session: &TypedSession,
    ) -> Result<AuthRun, AppError> {
        let Some(auth) = &self.auth else { return Ok(AuthRun::default()) };
        let username = identity.and_then(|i| i.id().ok());
        let key = session_key_of(req, &self.cookie_key);
        let viewer = auth.viewer(username.as_deref(), session.login_token().as_deref(), key.as_deref()).await?;
        Ok(AuthRun { enabled: true, viewer, outcome: None })
    }

    /// Runs the page for the request's verified viewer. A login revoked while the page ran (a
    /// logout answered meanwhile, e.g. a reload sent right after the click on "Log out") makes
    /// it run again logged out: nothing logged in leaves the server after a logout. The check
    /// after the run is one store read, and only for a logged-in viewer.
    pub(super) async fn run_for(
        &self,
        request: &Request<'_>,
        script: &Arc<CompiledScript>,
        stored: Arc<SessionData>,
        event: Option<Event>,
        query: BTreeMap<String, String>,
    ) -> Result<RunOutput, AppError> {
        let auth = self.auth_run(request.req, request.identity, request.session).await?;
        let logged_in = auth.viewer.is_some();
        let output = self.rerun(script, stored.clone(), event.clone(), query.clone(), auth.clone()).await?;
        let still = match (&self.auth, request.session.login_token()) {
            (Some(host_auth), Some(token)) if logged_in => host_auth.logins.is_registered(&token).await?,
            _ => true,
        };
        if still {
            return Ok(output);
        }
        // The same stored data and event again, so nothing is applied twice.
        self.rerun(script, stored, event, query, AuthRun { viewer: None, ..auth }).await
    }

    /// Runs the script on a blocking thread. The caller holds the session lock.
    pub(super) async fn rerun(
        &self,
        script: &Arc<CompiledScript>,
        stored: Arc<SessionData>,
        event: Option<Event>,
        query: BTreeMap<String, String>,
        auth: AuthRun,
    ) -> Result<RunOutput, AppError> {
        let (runner, script) = (self.runner.clone(), script.clone());
        web::block(move || runner.run_as(&script, &stored, event.as_ref(), query, auth))
            .await
            .map_err(|e| AppError::Internal(anyhow::anyhow!("script thread failed: {e}")))?
            .map_err(AppError::from)
    }

    /// The CSRF token a logout kept for the session key this request still carries, when the
    /// request has no session because that logout just ended it (a reload or another tab that
    /// raced the logout, whose answer may never reach the browser's cookie jar). See
    /// `csrf_after_logout_key`.
    pub(super) async fn csrf_after_logout(
        &self,
        req: &HttpRequest,
        session: &TypedSession,
    ) -> Result<Option<String>, AppError> {
        if session.sid().is_some() {
            return Ok(None);
        }
        let Some(key) = session_key_of(req, &self.cookie_key) else { return Ok(None) };
        Ok(self.store.get_value(&csrf_after_logout_key(&key), None).await?)
    }

    /// Writes the session data back, only if the run changed it.
    pub(super) async fn persist(
        &self,
        sid: &str,
        stored: &SessionData,
        data: &Arc<SessionData>,
    ) -> Result<(), AppError> {
        if **data != *stored {
            self.store.save(sid, data.clone()).await?;
        }
        Ok(())
    }
}

/// Renders one page for one session.
pub(super) struct PageView<'a> {
    pub app: &'a AppState,
    pub script: &'a CompiledScript,
    pub csrf: &'a str,
}

impl PageView<'_> {
    fn context(&self, query: &BTreeMap<String, String>) -> RenderContext<'_> {
        let action = page_url(&format!("{}/event", self.script.name), query);
        RenderContext { page: self.script.name.as_str(), csrf: self.csrf, action }
    }

    fn nav(&self) -> Vec<NavLink> {
        let current = &self.script.name;
        let names = self.app.registry.names();
        names.into_iter().map(|n| NavLink { label: n.label(), active: &n == current, name: n.to_string() }).collect()
    }

    pub fn root(&self, output: &RunOutput, query: &BTreeMap<String, String>) -> String {
        render::fragment(&output.page, &self.nav(), &self.context(query))
    }

    pub fn document(&self, root: String, config: &crate::page::PageConfig) -> String {
        let ctx = self.context(&BTreeMap::new());
        render::document(&ctx, config, &self.script.name.label(), root)
    }
}

fn page_url(path: &str, query: &BTreeMap<String, String>) -> String {
    if query.is_empty() { format!("/{path}") } else { format!("/{path}?{}", forms::encode_query(query)) }
}

/// What identifies the viewer of a request.
pub(super) struct Request<'a> {
    pub req: &'a HttpRequest,
    pub identity: Option<&'a Identity>,
    pub session: &'a TypedSession,
}

pub(super) fn wants_fragment(req: &HttpRequest) -> bool {
    req.headers().get(FRAGMENT_HEADER).is_some_and(|v| v == "1")
}

pub(super) fn html_response(body: String) -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/html; charset=utf-8")
        .insert_header((CACHE_CONTROL, "no-store"))
        .insert_header(("Vary", FRAGMENT_HEADER))
        .body(body)
}
