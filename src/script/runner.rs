//! One run: script + stored session data + an optional event -> page + new session data.
//! No HTTP and no store here, so it can be tested and benchmarked on its own.

use std::collections::BTreeMap;
use std::sync::Arc;

use rhai::{AST, Dynamic, Engine, EvalAltResult, Map, Scope};

use super::diagnostic;
use super::library::Library;
use super::registry::CompiledScript;
use crate::config::ScriptLimits;
use crate::datasource::{Connections, DataSources};
use crate::page::{FRAGMENT_ROOT, Page, PageEntry};
use crate::services::{ServiceRun, Services};
use crate::session_state::{
    AppliedEvent, AuthRequest, AuthRun, Callback, Event, EventError, FragmentRecord, PageWidgets, SessionData, Viewer,
    apply_event,
};
use crate::widgets::context::{HOST, RERUN, RunContext, RunScope, STOP};
use crate::widgets::convert_json_map;

use super::engine::Deadline;

/// Runs scripts with the shared engine and the sandbox limits.
#[derive(Clone)]
pub struct Runner {
    engine: Arc<Engine>,
    limits: ScriptLimits,
    /// The data folder and the cache, shared by all runs (and clones of the runner).
    sources: Arc<DataSources>,
    /// The modules of `lib/` that `import` reads.
    library: Arc<Library>,
    /// HTTP calls and the secrets file, shared by all runs.
    services: Arc<Services>,
}

/// What a run produced.
#[derive(Debug, Clone)]
pub struct RunOutput {
    pub page: Page,
    /// Shared, so saving it to the store does not copy it.
    pub data: Arc<SessionData>,
    /// New query parameters, when the script changed them.
    pub query: Option<BTreeMap<String, String>>,
    /// What the run stopped to ask the host: the host answers it and runs the script again
    /// from the same stored data and event (this output is then thrown away).
    pub request: Option<AuthRequest>,
    /// Who the page was run for (its navigation lists only the pages they may open).
    pub viewer: Option<Viewer>,
    /// The page `switch_page` sends the browser to (`/{page}`).
    pub switch_to: Option<String>,
    /// The viewer may not open this page: the script did not run (403).
    pub denied: bool,
    /// The fragment this run reran alone: `page` then holds only it (see [`Page::for_fragment`]).
    pub fragment: Option<FragmentRecord>,
}

impl RunOutput {
    /// An output without a run: `page` as it is, the session data unchanged.
    pub fn unrun(page: Page, data: Arc<SessionData>, viewer: Option<Viewer>) -> Self {
        Self { page, data, query: None, request: None, viewer, switch_to: None, denied: false, fragment: None }
    }
}

/// What a run is asked to do, besides running the script on the session's stored data.
#[derive(Debug, Clone, Default)]
pub struct RunRequest {
    /// The widget event the run applies first; none for a visit.
    pub event: Option<Event>,
    /// The page address's query parameters.
    pub query: BTreeMap<String, String>,
    /// The viewer the host verified, and the auth form this run answers.
    pub auth: AuthRun,
    /// The app's pages: what `page_link` and `switch_page` can name.
    pub pages: Arc<Vec<PageEntry>>,
    /// One fragment to rerun alone (its function only; every other widget keeps its value, and
    /// `rerun()` inside it runs the whole page); none for the whole script.
    pub part: Option<FragmentRecord>,
}

impl RunRequest {
    /// A run that applies `event` first (none: a visit), with no query and no viewer.
    pub fn event(event: Option<Event>) -> Self {
        Self { event, ..Self::default() }
    }
}

/// What one run starts from, once its event is applied.
struct Run {
    applied: AppliedEvent,
    query: BTreeMap<String, String>,
    auth: AuthRun,
    pages: Arc<Vec<PageEntry>>,
    /// The fragment to rerun alone, or `None` for the whole script.
    part: Option<FragmentRecord>,
}

/// How one attempt of the script ended.
enum Ending {
    Finished,
    Rerun,
    /// Stopped to ask the host something (the run context holds the request).
    Host,
    Failed(Box<EvalAltResult>),
}

impl Runner {
    pub fn new(limits: ScriptLimits) -> Self {
        let engine = Arc::new(super::build_engine(&limits));
        let sources = DataSources::new("data", limits.max_cache_bytes);
        Self { engine, limits, sources, library: Arc::default(), services: Services::none() }
    }

    /// Resolves `import` from `library` (the scripts folder's `lib/`).
    pub fn with_library(mut self, library: Arc<Library>) -> Self {
        self.engine = Arc::new(super::engine::build_engine_with(&self.limits, library.clone()));
        self.library = library;
        self
    }

    /// The modules scripts import, for the watcher.
    pub fn library(&self) -> &Arc<Library> {
        &self.library
    }

    /// Reads data files from `dir` (with a fresh cache).
    pub fn with_data_dir(mut self, dir: impl Into<std::path::PathBuf>) -> Self {
        let (connections, media) = (self.sources.connections.clone(), self.sources.media.clone());
        self.sources = DataSources::build(dir, self.limits.max_cache_bytes, connections, media);
        self
    }

    /// Lets scripts open these SQL connections (with a fresh cache).
    pub fn with_connections(mut self, connections: Arc<Connections>) -> Self {
        let (dir, media) = (self.sources.dir.clone(), self.sources.media.clone());
        self.sources = DataSources::build(dir, self.limits.max_cache_bytes, connections, media);
        self
    }

    /// Caps images, audio and video and names the image hosts and the tile server (with a
    /// fresh cache).
    pub fn with_media(mut self, media: crate::config::MediaSettings) -> Self {
        let (dir, connections) = (self.sources.dir.clone(), self.sources.connections.clone());
        self.sources = DataSources::build(dir, self.limits.max_cache_bytes, connections, media);
        self
    }

    /// Lets scripts call HTTP services and read secrets.
    pub fn with_services(mut self, services: Arc<Services>) -> Self {
        self.services = services;
        self
    }

    pub fn sources(&self) -> &Arc<DataSources> {
        &self.sources
    }

    pub fn engine(&self) -> &Engine {
        &self.engine
    }

    /// The shared engine, for the watcher's recompiles.
    pub fn shared_engine(&self) -> Arc<Engine> {
        self.engine.clone()
    }

    pub fn limits(&self) -> &ScriptLimits {
        &self.limits
    }

    /// Applies the request's event (if any) and runs the script, or the request's fragment
    /// alone. A bad event changes nothing and is an error.
    pub fn run(
        &self,
        script: &CompiledScript,
        stored: &SessionData,
        request: RunRequest,
    ) -> Result<RunOutput, EventError> {
        let RunRequest { event, query, auth, pages, part } = request;
        let page_name = script.name.as_str();
        let mut data = stored.clone();
        let applied = match &event {
            Some(event) => apply_event(&mut data, page_name, event)?,
            None => AppliedEvent::none(),
        };
        let ast = match &script.program {
            Ok(ast) => ast.clone(),
            Err(error) => {
                let mut page = Page::new();
                page.error = Some(error.clone());
                return Ok(RunOutput::unrun(page, Arc::new(data), auth.viewer));
            }
        };
        let run = Run { applied, query, auth, pages, part };
        let mut output = match run.part.clone() {
            Some(part) => self.run_fragment_program(script, &ast, data, run, part),
            None => self.run_program(script, &ast, data, run),
        };
        output.page.notice = script.pending_error.clone();
        Ok(output)
    }

    fn run_program(&self, script: &CompiledScript, ast: &AST, mut data: SessionData, run: Run) -> RunOutput {
        let Run { applied, query, auth, pages, .. } = run;
        let page_name = script.name.as_str().to_owned();
        let mut previous = data.pages.remove(&page_name).unwrap_or_default();
        let mut state = convert_json_map(&data.state);
        let (mut pressed, mut callback) = (applied.pressed, applied.callback);
        let mut query = query;
        let mut query_changed = false;
        for attempt in 0..=self.limits.max_reruns {
            let _deadline = Deadline::start(self.limits.max_run_time, self.limits.max_load_time);
            // The auth keys always come from the verified viewer, whatever the script wrote.
            crate::widgets::write_auth_keys(&mut state, &auth);
            let mut context = RunContext::new(state, previous.clone(), pressed.take(), query);
            // The form's outcome belongs to the first attempt only, as a button press does.
            context.auth = if attempt == 0 { auth.clone() } else { AuthRun { outcome: None, ..auth.clone() } };
            context.sources = Some(self.sources.clone());
            context.services = Some(ServiceRun::new(self.services.clone()));
            context.pages = pages.clone();
            let scope = RunScope::install(context);
            let ending = self.attempt(ast, callback.take());
            let Some(context) = scope.finish() else {
                let mut page = Page::new();
                page.error = Some(diagnostic::plain(&page_name, "internal error: the run's context was lost".into()));
                return RunOutput::unrun(page, Arc::new(data), auth.viewer);
            };
            if let (Ending::Host, Some(request)) = (&ending, &context.request) {
                let mut output = RunOutput::unrun(context.page, Arc::new(data), auth.viewer.clone());
                output.request = Some(request.clone());
                return output;
            }
            (state, query) = (context.state, context.query);
            let switch_to = context.switch_to;
            query_changed |= context.query_changed;
            let mut page = context.page;
            let widgets = match &ending {
                // A run that failed keeps the values of the widgets it did not reach.
                // A chat message is for one run only, as a button press is, even a run that failed.
                Ending::Failed(_) => previous.into_iter().map(|(id, r)| (id, r.kept())).chain(context.drawn).collect(),
                _ => context.drawn,
            };
            forget_undrawn_widget_keys(&mut state, &context.widget_keys, &widgets);
            match ending {
                Ending::Rerun if attempt < self.limits.max_reruns => {
                    previous = widgets;
                    continue;
                }
                Ending::Rerun => {
                    crate::metrics::limit_hit("max_reruns");
                    let message = format!("rerun() was called more than {} times in a row", self.limits.max_reruns);
                    page.error = Some(diagnostic::plain(&page_name, message));
                }
                Ending::Failed(err) => {
                    if let Some(limit) = diagnostic::limit_of(&err) {
                        crate::metrics::limit_hit(limit);
                    }
                    page.error = Some(diagnostic::from_eval_error(&page_name, &script.source, &err, &self.limits));
                }
                Ending::Finished | Ending::Host => {}
            }
            record_fragments(&mut data, &page_name, &page);
            data.pages.insert(page_name, widgets);
            crate::widgets::write_auth_keys(&mut state, &auth);
            data.state = crate::widgets::convert_state_back(&state);
            let query = query_changed.then_some(query);
            let viewer = auth.viewer;
            return RunOutput {
                page,
                data: Arc::new(data),
                query,
                request: None,
                viewer,
                switch_to,
                denied: false,
                fragment: None,
            };
        }
        unreachable!("the loop returns on its last attempt")
    }

    /// One fragment's function alone, drawing into a page that holds only that fragment. The
    /// widgets outside it keep their records; `rerun()` goes on with a full run.
    fn run_fragment_program(
        &self,
        script: &CompiledScript,
        ast: &AST,
        mut data: SessionData,
        run: Run,
        part: FragmentRecord,
    ) -> RunOutput {
        let page_name = script.name.as_str().to_owned();
        let previous = data.pages.remove(&page_name).unwrap_or_default();
        let _deadline = Deadline::start(self.limits.max_run_time, self.limits.max_load_time);
        let context = self.fragment_context(&data, previous.clone(), &run, &part);
        let scope = RunScope::install(context);
        let ending = self.attempt_fragment(ast, run.applied.callback.clone(), &part.shell.function);
        let Some(context) = scope.finish() else {
            let mut page = Page::new();
            page.error = Some(diagnostic::plain(&page_name, "internal error: the run's context was lost".into()));
            return RunOutput::unrun(page, Arc::new(data), run.auth.viewer);
        };
        if let (Ending::Host, Some(request)) = (&ending, &context.request) {
            let mut output = RunOutput::unrun(context.page, Arc::new(data), run.auth.viewer.clone());
            output.request = Some(request.clone());
            return output;
        }
        let mut state = context.state;
        let kept = match &ending {
            Ending::Failed(_) => previous,
            _ => outside_fragment(previous, &part.shell.id),
        };
        let widgets: PageWidgets = kept.into_iter().chain(context.drawn).collect();
        forget_undrawn_widget_keys(&mut state, &context.widget_keys, &widgets);
        crate::widgets::write_auth_keys(&mut state, &run.auth);
        data.state = crate::widgets::convert_state_back(&state);
        data.pages.insert(page_name.clone(), widgets);
        let mut page = context.page;
        match ending {
            Ending::Rerun => {
                // `rerun()` in a fragment reruns the whole page, with no event.
                let full = Run { applied: AppliedEvent::none(), part: None, ..run };
                return self.run_program(script, ast, data, full);
            }
            Ending::Failed(err) => {
                let shown = diagnostic::from_eval_error(&page_name, &script.source, &err, &self.limits);
                let body = escape_text(&shown.to_string());
                page.push(FRAGMENT_ROOT, crate::page::Element::Alert { kind: crate::page::AlertKind::Error, body });
            }
            Ending::Finished | Ending::Host => {}
        }
        let query = context.query_changed.then_some(context.query);
        RunOutput {
            page,
            data: Arc::new(data),
            query,
            request: None,
            viewer: run.auth.viewer,
            switch_to: context.switch_to,
            denied: false,
            fragment: Some(part),
        }
    }

    /// The context of a fragment's rerun: it draws into a page that holds only the fragment.
    fn fragment_context(
        &self,
        data: &SessionData,
        previous: PageWidgets,
        run: &Run,
        part: &FragmentRecord,
    ) -> RunContext {
        let mut state = convert_json_map(&data.state);
        crate::widgets::write_auth_keys(&mut state, &run.auth);
        let mut context = RunContext::new(state, previous, run.applied.pressed.clone(), run.query.clone());
        context.page = Page::for_fragment(part.shell.clone(), part.depth);
        context.targets.push(FRAGMENT_ROOT);
        context.fragment_run = Some(part.shell.id.clone());
        context.auth = run.auth.clone();
        context.sources = Some(self.sources.clone());
        context.services = Some(ServiceRun::new(self.services.clone()));
        context.pages = run.pages.clone();
        context
    }

    /// Runs the pending callback (if any), then one script function without the script's
    /// top-level statements.
    fn attempt_fragment(&self, ast: &AST, callback: Option<Callback>, function: &str) -> Ending {
        let result = self.call_back(ast, callback).and_then(|()| {
            let options = rhai::CallFnOptions::new().eval_ast(false).rewind_scope(true);
            self.engine.call_fn_with_options::<Dynamic>(options, &mut Scope::new(), ast, function, ()).map(drop)
        });
        ending_of(result)
    }

    /// Runs the pending callback (if any), then the script, inside an installed context.
    fn attempt(&self, ast: &AST, callback: Option<Callback>) -> Ending {
        let result =
            self.call_back(ast, callback).and_then(|()| self.engine.run_ast_with_scope(&mut Scope::new(), ast));
        ending_of(result)
    }

    fn call_back(&self, ast: &AST, callback: Option<Callback>) -> Result<(), Box<EvalAltResult>> {
        let Some(callback) = callback else { return Ok(()) };
        let args: Vec<Dynamic> = callback.args.iter().map(crate::widgets::json_to_dynamic).collect();
        let options = rhai::CallFnOptions::new().eval_ast(false).rewind_scope(true);
        self.engine.call_fn_with_options::<Dynamic>(options, &mut Scope::new(), ast, &callback.function, args).map(drop)
    }
}

/// How an attempt ended, from its result.
fn ending_of(result: Result<(), Box<EvalAltResult>>) -> Ending {
    match result {
        Ok(()) => Ending::Finished,
        Err(err) => match ended_on_purpose(&err) {
            Some(STOP) => Ending::Finished,
            Some(RERUN) => Ending::Rerun,
            Some(HOST) => Ending::Host,
            _ => Ending::Failed(err),
        },
    }
}

/// The widgets of the last run outside the fragment `id` (they keep their records).
fn outside_fragment(previous: PageWidgets, id: &str) -> PageWidgets {
    previous.into_iter().filter(|(_, r)| r.fragment.as_deref() != Some(id)).collect()
}

/// A fragment's error as alert text: escaped, since an alert's body is HTML.
fn escape_text(text: &str) -> String {
    text.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;")
}

/// Keeps what a full run drew of fragments, for their reruns alone.
fn record_fragments(data: &mut SessionData, page_name: &str, page: &Page) {
    let fragments: crate::session_state::PageFragments = page
        .fragments()
        .into_iter()
        .map(|(path, depth, shell)| (shell.id.clone(), FragmentRecord { shell: shell.clone(), path, depth }))
        .collect();
    if fragments.is_empty() {
        data.fragments.remove(page_name);
    } else {
        data.fragments.insert(page_name.to_owned(), fragments);
    }
}

/// `stop()` and `rerun()` end a run with a marker; anything else is a real error.
fn ended_on_purpose(err: &EvalAltResult) -> Option<&'static str> {
    match err.unwrap_inner() {
        EvalAltResult::ErrorTerminated(reason, _) => {
            let reason = reason.to_string();
            [STOP, RERUN, HOST].into_iter().find(|marker| *marker == reason)
        }
        _ => None,
    }
}

/// A keyed widget that was drawn last run but not this run loses `state[key]`, as in Streamlit.
fn forget_undrawn_widget_keys(state: &mut Map, widget_keys: &std::collections::BTreeSet<String>, drawn: &PageWidgets) {
    for key in widget_keys {
        if !drawn.values().any(|r| r.key.as_deref() == Some(key.as_str())) {
            state.remove(key.as_str());
        }
    }
}
