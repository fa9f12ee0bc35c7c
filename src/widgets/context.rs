//! The run context: what native functions reach during one run (the page being built, the
//! state map, the widgets drawn so far). It lives in a thread-local for the length of a run,
//! installed by [`RunScope`], because Rhai's scope is not visible inside script functions.

use std::cell::RefCell;
use std::collections::{BTreeMap, BTreeSet};

use rhai::{Dynamic, EvalAltResult, Map, Position};

use crate::datasource::{DataSources, FileStamp};
use crate::page::{ContainerId, MAIN, Page, PageEntry};
use crate::session_state::{AuthRequest, AuthRun, PageWidgets, WidgetRecord};

/// Why a run ended early on purpose.
pub const STOP: &str = "runnel:stop";
pub const RERUN: &str = "runnel:rerun";
/// The run stopped to ask the host something ([`RunContext::request`]); it runs again with the answer.
pub const HOST: &str = "runnel:host";

pub struct RunContext {
    pub page: Page,
    /// The live `state` map.
    pub state: Map,
    /// The widgets of the last run (with the event already applied).
    pub previous: PageWidgets,
    /// The widgets drawn in this run so far.
    pub drawn: PageWidgets,
    /// The button pressed by this run's event, true for exactly this run.
    pub pressed: Option<String>,
    pub query: BTreeMap<String, String>,
    pub query_changed: bool,
    /// Keys of `state` that mirror a widget drawn in the previous run.
    pub widget_keys: BTreeSet<String>,
    /// Who is logged in, and the auth form this run answers.
    pub auth: AuthRun,
    /// The data folder and the shared cache (none in a run without them).
    pub sources: Option<std::sync::Arc<DataSources>>,
    /// Data files read in this run so far, so a cache entry knows what it was built from.
    pub file_reads: Vec<FileStamp>,
    /// What the run stopped to ask the host (see [`HOST`]).
    pub request: Option<AuthRequest>,
    /// The app's pages, for `page_link` and `switch_page`.
    pub pages: std::sync::Arc<Vec<PageEntry>>,
    /// Where `switch_page` sends the browser once the run ends.
    pub switch_to: Option<String>,
    /// HTTP calls and secrets, with this run's call count (none in a run without them).
    pub services: Option<crate::services::ServiceRun>,
    /// Where free calls draw (`button(…)` rather than `c.button(…)`): the innermost fragment
    /// whose function is running, else the main area.
    pub targets: Vec<ContainerId>,
    /// The fragment this run reruns alone, if it is a fragment rerun.
    pub fragment_run: Option<String>,
}

impl RunContext {
    pub fn new(state: Map, previous: PageWidgets, pressed: Option<String>, query: BTreeMap<String, String>) -> Self {
        let widget_keys = previous.values().filter_map(|r| r.key.clone()).collect();
        Self {
            page: Page::new(),
            state,
            previous,
            drawn: PageWidgets::new(),
            pressed,
            query,
            query_changed: false,
            widget_keys,
            auth: AuthRun::default(),
            sources: None,
            file_reads: Vec::new(),
            request: None,
            pages: std::sync::Arc::default(),
            switch_to: None,
            services: None,
            targets: Vec::new(),
            fragment_run: None,
        }
    }

    /// Records a widget drawn in this run; a second widget with the same id is an error.
    pub fn register_widget(&mut self, id: &str, record: WidgetRecord, pos: Position) -> Result<(), Box<EvalAltResult>> {
        let outside = |r: &WidgetRecord| self.fragment_run.is_some() && r.fragment != self.fragment_run;
        if self.drawn.contains_key(id) || self.previous.get(id).is_some_and(outside) {
            let (kind, name) = id.split_once(':').unwrap_or(("widget", id));
            let message = format!("two {kind} widgets share the id {name:?}: give one of them a unique `key` option");
            return Err(EvalAltResult::ErrorRuntime(message.into(), pos).into());
        }
        self.drawn.insert(id.to_owned(), record);
        Ok(())
    }
}

thread_local! {
    static CURRENT: RefCell<Option<RunContext>> = const { RefCell::new(None) };
}

/// Installs a run context on this thread; dropping it takes the context away again.
pub struct RunScope(());

impl RunScope {
    pub fn install(context: RunContext) -> Self {
        CURRENT.with(|c| *c.borrow_mut() = Some(context));
        Self(())
    }

    /// Ends the scope and hands back the context with everything the run built (`None` only
    /// if something took it away during the run, which nothing does).
    pub fn finish(self) -> Option<RunContext> {
        CURRENT.with(|c| c.borrow_mut().take())
    }
}

impl Drop for RunScope {
    fn drop(&mut self) {
        CURRENT.with(|c| c.borrow_mut().take());
    }
}

/// Calls `f` with the current run's context; an error when called outside a run.
pub fn with<R>(f: impl FnOnce(&mut RunContext) -> R) -> Result<R, Box<EvalAltResult>> {
    CURRENT.with(|c| match c.borrow_mut().as_mut() {
        Some(context) => Ok(f(context)),
        None => Err("this function can only be called while a dashboard runs".into()),
    })
}

/// Reads the current run's context, if there is one and nothing else holds it right now
/// (progress snapshots, which may come while a native function is using it).
pub fn peek<R>(f: impl FnOnce(&RunContext) -> R) -> Option<R> {
    CURRENT.with(|c| c.try_borrow().ok().and_then(|c| c.as_ref().map(f)))
}

/// Where a free call draws: the container of the fragment whose function runs now, or the main
/// area. Called on every free element call, so it only peeks at the context.
pub fn default_target() -> ContainerId {
    CURRENT.with(|c| c.try_borrow().ok().and_then(|c| c.as_ref()?.targets.last().copied()).unwrap_or(MAIN))
}

/// Like [`with`], for closures that can fail with a script error.
pub fn try_with<R>(f: impl FnOnce(&mut RunContext) -> Result<R, Box<EvalAltResult>>) -> Result<R, Box<EvalAltResult>> {
    with(f)?
}

/// The error that ends a run on purpose (`stop()` or `rerun()`); scripts cannot catch it.
pub fn end_run(reason: &str, pos: Position) -> Box<EvalAltResult> {
    EvalAltResult::ErrorTerminated(Dynamic::from(reason.to_owned()), pos).into()
}
