//! One interaction, without HTTP: load the session, verify the viewer, apply the event, run the
//! script (with its reruns) on a blocking thread, check the login again, and persist, all under
//! the session's lock. The answer is plain data ([`Answer`]); the routes turn it into HTTP.
//!
//! Events of one session are applied one at a time: the store's lock is held from the load to
//! the save, and the save is fenced by it (a holder whose lease ran out writes nothing). Each
//! event may carry an id; an id already applied is not applied again, so a retry after an
//! unknown outcome is safe.

mod access;
mod admission;
mod auth_form;
mod login_refresh;
mod media;
mod requests;
pub mod view;

use std::collections::BTreeMap;
use std::sync::Arc;

pub use admission::Admission;
pub use auth_form::AuthPost;
pub use view::{PageView, page_url};

use crate::auth::Auth;
use crate::auth::logins::Device;
use crate::base_path::BasePath;
use crate::error::AppError;
use crate::script::{CompiledScript, Registry, RunOutput, RunRequest, Runner};
use crate::session_state::{AuthRun, Event, Flash, FragmentRecord, SessionData};
use crate::session_store::{BrowserSession, SessionLock, Store, csrf_after_logout_key, waits};
use requests::Caller;

pub type Query = BTreeMap<String, String>;

/// Everything an interaction needs; shared by every worker.
pub struct Host {
    pub registry: Arc<Registry>,
    pub runner: Runner,
    pub store: Store,
    /// The authenticator; `None` without a credentials file.
    pub auth: Option<Auth>,
    /// How many sessions a client may start per minute.
    pub admission: Admission,
    /// Caps on uploaded files, checked before an upload is applied.
    pub uploads: crate::config::UploadLimits,
    /// The path prefix of the URLs the pages link and post to (`--base-path`).
    pub base_path: BasePath,
    /// Signs the per-session URLs of data-folder media.
    pub media_key: crate::page::MediaKey,
}

/// How the browser takes the answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Delivery {
    /// The page's script asked: answer with the root fragment to morph in.
    Fragment,
    /// A plain browser request: a whole document, and for a post, post/redirect/get.
    Document,
}

/// What one interaction gives back.
pub enum Answer {
    /// A run to render.
    Run(Box<Shown>),
    /// What a no-JavaScript post left to show, once, on the page it redirected to.
    Flash { script: Arc<CompiledScript>, csrf: String, flash: Flash },
    /// A no-JavaScript post is answered with a redirect to this path of the site (its result
    /// waits there); the routes put the base path in front.
    Redirect(String),
}

/// A run to render, with what rendering needs.
pub struct Shown {
    pub script: Arc<CompiledScript>,
    pub output: RunOutput,
    pub csrf: String,
    /// The query the page is shown with (the run may have changed it).
    pub query: Query,
    /// The page's path of the site, when the run changed the query (the address bar follows).
    pub new_url: Option<String>,
}

/// One request for a page: which page, whose session, and how the answer travels.
pub struct Visit<'a> {
    pub page: &'a str,
    pub session: &'a dyn BrowserSession,
    pub query: Query,
    pub delivery: Delivery,
    /// The client's address, for the audit log and the list of sessions.
    pub client: String,
    /// The request's User-Agent, for the list of sessions.
    pub user_agent: String,
    /// Where a long run sends what it drew so far (the route streams it to the browser); only
    /// runs of a session that exists already are watched (see `script::live`).
    pub live: Option<crate::script::live::Sender>,
    /// What the page's script says the browser holds (a fragment request with JavaScript): a
    /// fragment's rerun can then be answered with that fragment alone.
    pub have: Option<&'a crate::render::Have>,
}

impl Visit<'_> {
    /// Where a login made in this request comes from.
    pub fn device(&self) -> Device {
        Device::new(&self.client, &self.user_agent)
    }

    /// Who the run is for; its progress goes to the visit's watcher.
    fn caller(&self) -> Caller<'_> {
        Caller { session: self.session, client: &self.client, live: self.live.as_ref() }
    }

    /// [`Visit::caller`] for a run whose progress is not shown (a page drawn again to find
    /// the event's widget, a visitor's run).
    fn unwatched(&self) -> Caller<'_> {
        Caller { live: None, ..self.caller() }
    }

    /// A run of the page at this visit's address: its query, no event, the whole page. The
    /// viewer is filled in by [`Host::run_for`], or given.
    fn request(&self) -> RunRequest {
        RunRequest { query: self.query.clone(), ..RunRequest::default() }
    }
}

/// A widget event: the CSRF token the form carried, and the event itself.
pub struct EventPost {
    pub csrf: Option<String>,
    pub event: Event,
}

impl Host {
    /// The view that renders a script's page for a session.
    pub fn view<'a>(&'a self, script: &'a CompiledScript, csrf: &'a str) -> PageView<'a> {
        PageView { registry: &self.registry, script, csrf, base: self.base_path.as_str(), media_key: &self.media_key }
    }

    fn script(&self, page: &str) -> Result<Arc<CompiledScript>, AppError> {
        crate::script::PageName::parse(page)
            .and_then(|name| self.registry.get(name.as_str()))
            .ok_or(AppError::PageNotFound)
    }

    /// Loads a page: runs it for the session's verified viewer, or shows once what a
    /// no-JavaScript post left for it.
    pub async fn show_page(&self, visit: Visit<'_>) -> Result<Answer, AppError> {
        let script = self.script(visit.page)?;
        let refreshed = self.refresh_login(visit.session, &visit.device()).await?;
        let moved_from = refreshed.moved_from;
        // A new session for a key that a logout just ended keeps that session's CSRF token.
        let kept = self.csrf_after_logout(visit.session).await?;
        if visit.session.sid().is_none() && kept.is_none() {
            return self.show_to_visitor(script, visit, refreshed.verified).await;
        }
        let (sid, csrf) = visit.session.ensure_ids_with(kept);
        let (lock, stored) = match &moved_from {
            None => self.store.lock_and_load(&sid).await?,
            Some(old) => (self.store.lock(&sid).await?, self.store.load(old).await?),
        };
        let stored = stored.unwrap_or_default();
        if let Some(old) = &moved_from {
            // Written whole under the new id before the old id's data goes.
            self.store.save(&lock, &sid, stored.clone()).await?;
            self.store.delete(old).await?;
        }
        let flash = stored.flash.as_ref().filter(|f| f.page == visit.page && visit.delivery == Delivery::Document);
        if let Some(flash) = flash.cloned() {
            let mut data = (*stored).clone();
            data.flash = None;
            self.store.save(&lock, &sid, Arc::new(data)).await?;
            lock.release().await;
            return Ok(Answer::Flash { script, csrf, flash });
        }
        let auth = match refreshed.verified {
            Some(verified) => verified,
            None => self.auth_run(visit.session).await?,
        };
        let caller = visit.caller();
        let output = self.run_checked(&caller, &script, stored.clone(), RunRequest { auth, ..visit.request() }).await?;
        self.persist_moved(lock, &sid, visit.session, &stored, &output.data).await?;
        Ok(Answer::Run(Box::new(Shown { script, output, csrf, query: visit.query, new_url: None })))
    }

    /// Applies one widget event and reruns the page. A bad event changes nothing.
    pub async fn apply_event(&self, visit: Visit<'_>, post: EventPost) -> Result<Answer, AppError> {
        let script = self.script(visit.page)?;
        let session = visit.session;
        let Some(csrf) = post.csrf else { return Err(AppError::Csrf) };
        let (sid, new_session) = match session.sid() {
            Some(sid) if session.csrf_matches(&csrf) => (sid, false),
            Some(_) => return Err(AppError::Csrf),
            None => (self.start_session(session, &visit.client, &csrf).await?, true),
        };
        let (lock, stored) = self.store.lock_and_load(&sid).await?;
        let mut stored = stored.unwrap_or_default();
        // What the store holds: the data is written if the run differs from it (for a new
        // session, also when the event itself changed nothing: the drawn widgets are new).
        let loaded = stored.clone();
        if new_session || !stored.pages.contains_key(visit.page) {
            // The page was drawn without a session (or its drawing was never saved): draw it
            // once more, as its GET did, so that the widget the event names can be found.
            stored = self.run_for(&visit.unwatched(), &script, stored, visit.request()).await?.data;
        }
        self.check_upload_cap(&stored, visit.page, &post.event)?;
        let event_id = post.event.id.clone();
        // A retried event that was applied already is not applied again: the page is shown.
        let event = Some(post.event).filter(|e| e.id.as_deref().is_none_or(|id| !stored.has_applied(id)));
        // A widget inside a fragment reruns only that fragment, when the browser holds it.
        let part = event.as_ref().and_then(|e| stored.fragment_of_widget(visit.page, &e.widget));
        let part = part.filter(|p| self.browser_holds(&visit, &script, &csrf, p)).cloned();
        // A new session's cookie goes out with the answer's head, and a fragment's rerun is
        // patched into the page as a whole: neither is streamed.
        let caller = if new_session || part.is_some() { visit.unwatched() } else { visit.caller() };
        let request = RunRequest { event, part, ..visit.request() };
        let mut output = self.run_for(&caller, &script, stored.clone(), request).await?;
        if let Some(id) = event_id {
            Arc::make_mut(&mut output.data).remember_event(id);
        }
        // Ending the current session from the script is a logout: the data moves to a new id.
        let new_sid = session.sid().unwrap_or_else(|| sid.clone());
        let csrf = session.csrf().unwrap_or(csrf);
        let unchanged = SessionData::default();
        let before = if new_sid == sid { &*loaded } else { &unchanged };
        let shown = Shown { script, output, csrf, query: visit.query, new_url: None };
        let target = Target { sid: &new_sid, stored: before, page: visit.page };
        if visit.delivery == Delivery::Fragment && new_sid == sid {
            // The usual click: the state is saved and the lock given back in one store call.
            let shown = fragment_of(target.page, shown);
            self.finish(lock, target.sid, target.stored, &shown.output.data).await?;
            return Ok(Answer::Run(Box::new(shown)));
        }
        let answer = self.deliver(&lock, target, shown, visit.delivery).await?;
        if new_sid != sid {
            self.store.delete(&sid).await?;
        }
        lock.release().await;
        Ok(answer)
    }

    /// Reruns one fragment of the page alone (its `run_every` timer): answered with that
    /// fragment when the browser holds it, else with the whole page. A fragment the page's last
    /// run did not draw is refused, and nothing changes.
    pub async fn rerun_fragment(&self, visit: Visit<'_>, csrf: Option<String>, id: &str) -> Result<Answer, AppError> {
        let script = self.script(visit.page)?;
        let session = visit.session;
        let Some(csrf) = csrf else { return Err(AppError::Csrf) };
        let (sid, new_session) = match session.sid() {
            Some(sid) if session.csrf_matches(&csrf) => (sid, false),
            Some(_) => return Err(AppError::Csrf),
            None => (self.start_session(session, &visit.client, &csrf).await?, true),
        };
        let (lock, stored) = self.store.lock_and_load(&sid).await?;
        let loaded = stored.unwrap_or_default();
        let mut stored = loaded.clone();
        if new_session || !stored.pages.contains_key(visit.page) {
            stored = self.run_for(&visit.caller(), &script, stored, visit.request()).await?.data;
        }
        let Some(part) = stored.fragment(visit.page, id) else {
            lock.release().await;
            return Err(AppError::UnknownFragment(id.to_owned()));
        };
        let part = Some(part).filter(|p| self.browser_holds(&visit, &script, &csrf, p)).cloned();
        let output = self.run_for(&visit.caller(), &script, stored, RunRequest { part, ..visit.request() }).await?;
        let shown = fragment_of(visit.page, Shown { script, output, csrf, query: visit.query, new_url: None });
        let unchanged = SessionData::default();
        let before = if new_session { &unchanged } else { &*loaded };
        self.finish(lock, &sid, before, &shown.output.data).await?;
        Ok(Answer::Run(Box::new(shown)))
    }

    /// Whether the browser says it holds `part` as drawn (with JavaScript; without, every
    /// event reruns the whole page).
    fn browser_holds(&self, visit: &Visit<'_>, script: &CompiledScript, csrf: &str, part: &FragmentRecord) -> bool {
        let Some(have) = visit.have.filter(|_| visit.delivery == Delivery::Fragment) else { return false };
        self.view(script, csrf).holds(part, &visit.query, have)
    }

    /// Refuses an upload that would take the session past its cap (nothing is applied).
    fn check_upload_cap(&self, stored: &SessionData, page: &str, event: &Event) -> Result<(), AppError> {
        if event.files.is_empty() {
            return Ok(());
        }
        let cap = self.uploads.max_session_bytes as u64;
        let total = stored.upload_bytes_after(page, event);
        if total > cap {
            return Err(AppError::UploadTooLarge(format!(
                "This upload would make the files kept for your session {total} bytes; the limit is {cap} bytes. \
                 Clear other uploads first."
            )));
        }
        Ok(())
    }

    /// Shows a page to a browser without a session. The run starts from an empty state and,
    /// unless it wrote `state`, nothing is stored: the page's CSRF token is the browser's
    /// visitor token, and its first event starts the session.
    async fn show_to_visitor(
        &self,
        script: Arc<CompiledScript>,
        visit: Visit<'_>,
        verified: Option<AuthRun>,
    ) -> Result<Answer, AppError> {
        let session = visit.session;
        let csrf = session.visitor_token();
        let auth = match verified {
            Some(verified) => verified,
            None => self.auth_run(session).await?,
        };
        let output = self
            .run_checked(&visit.unwatched(), &script, Arc::default(), RunRequest { auth, ..visit.request() })
            .await?;
        if !output.data.state.is_empty() {
            // The run wrote state: it is kept, in a session that starts now.
            self.admission.admit(&visit.client)?;
            let (sid, _) = session.ensure_ids_with(Some(csrf.clone()));
            let lock = self.store.lock(&sid).await?;
            self.store.save(&lock, &sid, output.data.clone()).await?;
            lock.release().await;
        }
        Ok(Answer::Run(Box::new(Shown { script, output, csrf, query: visit.query, new_url: None })))
    }

    /// Starts the session of a browser that had none, for a post whose CSRF token is its
    /// visitor token (or the token a logout kept for the key it still carries): counted
    /// against the client's budget of new sessions. Returns the new session id.
    async fn start_session(&self, session: &dyn BrowserSession, client: &str, csrf: &str) -> Result<String, AppError> {
        let kept = self.csrf_after_logout(session).await?;
        let token = session.sessionless_csrf(kept, csrf).ok_or(AppError::Csrf)?;
        self.admission.admit(client)?;
        Ok(session.ensure_ids_with(Some(token)).0)
    }

    /// Who is logged in for this session, verified on the server (nobody when the
    /// authenticator is off).
    async fn auth_run(&self, session: &dyn BrowserSession) -> Result<AuthRun, AppError> {
        let Some(auth) = &self.auth else { return Ok(AuthRun::default()) };
        let (identity, token, key) = (session.identity(), session.login_token(), session.cookie_key());
        let viewer = auth.viewer(identity.as_deref(), token.as_deref(), key.as_deref()).await?;
        Ok(auth_run_of(auth, viewer))
    }

    /// Runs the page for the session's verified viewer. A login revoked while the page ran (a
    /// logout answered meanwhile, e.g. a reload sent right after the click on "Log out") makes
    /// it run again logged out: nothing logged in leaves the server after a logout. The check
    /// after the run is one store read, and only for a logged-in viewer.
    async fn run_for(
        &self,
        caller: &Caller<'_>,
        script: &Arc<CompiledScript>,
        stored: Arc<SessionData>,
        request: RunRequest,
    ) -> Result<RunOutput, AppError> {
        let auth = self.auth_run(caller.session).await?;
        self.run_checked(caller, script, stored, RunRequest { auth, ..request }).await
    }

    /// [`Host::run_for`] for the viewer verified already (the request's `auth`).
    async fn run_checked(
        &self,
        caller: &Caller<'_>,
        script: &Arc<CompiledScript>,
        stored: Arc<SessionData>,
        request: RunRequest,
    ) -> Result<RunOutput, AppError> {
        let logged_in = request.auth.viewer.is_some();
        let output = self.rerun(caller, script, stored.clone(), request.clone()).await?;
        let still = match (&self.auth, caller.session.login_token()) {
            (Some(host_auth), Some(token)) if logged_in => host_auth.logins.is_registered(&token).await?,
            _ => true,
        };
        if still {
            return Ok(output);
        }
        // The same stored data and event again, so nothing is applied twice.
        let mut again = request;
        again.auth.viewer = None;
        self.rerun(caller, script, stored, again).await
    }

    /// Runs the script once on a blocking thread, once the page's access admits the viewer (see
    /// [`access`]). The caller holds the session lock; the run shows its progress to the
    /// caller's watcher, if any.
    async fn run_once(
        &self,
        caller: &Caller<'_>,
        script: &Arc<CompiledScript>,
        attempt: requests::Attempt,
    ) -> Result<RunOutput, AppError> {
        let requests::Attempt { stored, mut request } = attempt;
        request.auth = self.with_second_factor(request.auth, &stored);
        request.pages = self.registry.entries();
        let (runner, script) = (self.runner.clone(), script.clone());
        // The request's span goes along, so the script's `print` lines carry its id.
        let span = tracing::Span::current();
        let page = script.name.as_str().to_owned();
        let started = std::time::Instant::now();
        let live = caller.live.cloned();
        let run = tokio::task::spawn_blocking(move || {
            let _watching = live.map(crate::script::live::Watching::install);
            span.in_scope(|| {
                match access::admit(runner.engine(), &script, &stored, request.event.take(), &request.auth) {
                    access::Admitted::Run(admitted, event) => {
                        // The login form shown in the page's place is a whole page.
                        request.part = request.part.filter(|_| Arc::ptr_eq(&admitted, &script));
                        runner.run(&admitted, &stored, RunRequest { event, ..request })
                    }
                    access::Admitted::Answer(output) => Ok(*output),
                }
            })
        });
        // The run's time is the script's, not a wait for the store.
        let output = waits::not_counting(run)
            .await
            .map_err(|e| AppError::Internal(anyhow::anyhow!("script thread failed: {e}")))?;
        let outcome = match &output {
            Ok(output) if output.denied => "denied",
            Ok(output) if output.page.error.is_none() => "ok",
            Ok(_) => "error",
            Err(_) => "refused",
        };
        crate::metrics::script_run(&page, outcome, started.elapsed());
        output.map_err(AppError::from)
    }

    /// Tells the run what the login and TOTP forms need about the second factor.
    fn with_second_factor(&self, mut run: AuthRun, stored: &SessionData) -> AuthRun {
        if let Some(auth) = &self.auth {
            let (login, enrolment) = (stored.pending_login.as_ref(), stored.pending_enrolment.as_ref());
            run.second_factor = auth.second_factor_view(run.viewer.as_ref(), login, enrolment);
        }
        run
    }

    /// The CSRF token a logout kept for the session key this request still carries, when the
    /// request has no session because that logout just ended it (a reload or another tab that
    /// raced the logout, whose answer may never reach the browser's cookie jar). See
    /// `csrf_after_logout_key`.
    async fn csrf_after_logout(&self, session: &dyn BrowserSession) -> Result<Option<String>, AppError> {
        if session.sid().is_some() {
            return Ok(None);
        }
        let Some(key) = session.cookie_key() else { return Ok(None) };
        Ok(self.store.get_value(&csrf_after_logout_key(&key), None).await?)
    }

    /// Writes the session data back and releases the lock: only if the run changed it, or
    /// whole under the session's new id when the run ended the current session (a logout),
    /// deleting the old id's data.
    async fn persist_moved(
        &self,
        lock: SessionLock,
        sid: &str,
        session: &dyn BrowserSession,
        stored: &SessionData,
        data: &Arc<SessionData>,
    ) -> Result<(), AppError> {
        let Some(new_sid) = session.sid().filter(|new| new != sid) else {
            return self.finish(lock, sid, stored, data).await;
        };
        self.store.save(&lock, &new_sid, data.clone()).await?;
        self.store.delete(sid).await?;
        lock.release().await;
        Ok(())
    }

    /// [`Host::persist`], then the lock's release: one store call when there is a write.
    async fn finish(
        &self,
        lock: SessionLock,
        sid: &str,
        stored: &SessionData,
        data: &Arc<SessionData>,
    ) -> Result<(), AppError> {
        if **data != *stored {
            self.store.save_and_release(lock, sid, data.clone()).await?;
        } else {
            lock.release().await;
        }
        Ok(())
    }

    /// Writes the session data back, only if the run changed it.
    async fn persist(
        &self,
        lock: &SessionLock,
        sid: &str,
        stored: &SessionData,
        data: &Arc<SessionData>,
    ) -> Result<(), AppError> {
        if **data != *stored {
            self.store.save(lock, sid, data.clone()).await?;
        }
        Ok(())
    }

    /// Answers a post: the run for the page's script, or for a plain form post the result
    /// kept for the GET after a redirect (post/redirect/get), saved with the state in one write.
    async fn deliver(
        &self,
        lock: &SessionLock,
        target: Target<'_>,
        mut shown: Shown,
        delivery: Delivery,
    ) -> Result<Answer, AppError> {
        if delivery == Delivery::Fragment {
            self.persist(lock, target.sid, target.stored, &shown.output.data).await?;
            return Ok(Answer::Run(Box::new(fragment_of(target.page, shown))));
        }
        if let Some(query) = shown.output.query.clone() {
            shown.query = query;
        }
        let url = page_url(target.page, &shown.query);
        if delivery == Delivery::Document && (shown.output.denied || shown.output.switch_to.is_some()) {
            // Nothing to show here: the GET of the page (or of the page switched to) answers.
            self.persist(lock, target.sid, target.stored, &shown.output.data).await?;
            return Ok(Answer::Redirect(shown.output.switch_to.unwrap_or(url)));
        }
        let html = self.view(&shown.script, &shown.csrf).root(&shown.output, &shown.query);
        let config = shown.output.page.config.clone();
        let mut data = Arc::unwrap_or_clone(shown.output.data);
        data.flash = Some(Flash { page: target.page.to_owned(), html, config });
        self.store.save(lock, target.sid, Arc::new(data)).await?;
        Ok(Answer::Redirect(url))
    }
}

/// A post's run answered as a fragment: with the query the run left, and the page's new URL
/// when the run changed the query (the address bar follows).
fn fragment_of(page: &str, mut shown: Shown) -> Shown {
    if let Some(query) = shown.output.query.clone() {
        shown.query = query;
    }
    shown.new_url = shown.output.query.is_some().then(|| page_url(page, &shown.query));
    shown
}

/// The run's view of authentication for a verified viewer (or nobody).
fn auth_run_of(auth: &Auth, viewer: Option<crate::session_state::Viewer>) -> AuthRun {
    AuthRun { enabled: true, viewer, admin_role: auth.settings.admin_role.clone(), ..AuthRun::default() }
}

/// Where an interaction's result is saved.
struct Target<'a> {
    /// The session id the data is saved under (a login or logout gives a new one).
    sid: &'a str,
    /// What was loaded before the run; an unchanged state is not written.
    stored: &'a SessionData,
    page: &'a str,
}

#[cfg(test)]
mod tests;
