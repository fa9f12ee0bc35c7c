//! Access per page: before a script runs, its header's `login:`/`roles:` are checked against
//! the verified viewer. An anonymous viewer of a page that needs a login gets the login form
//! (a built-in two-line script run under the page's name, so the form posts through the
//! normal login flow and the rerun after the login runs the real page); a viewer without any
//! of the page's roles gets "not allowed" (403) and the script does not run.

use std::sync::Arc;

use rhai::Engine;

use crate::page::Page;
use crate::script::{CompiledScript, Gate, RunOutput, diagnostic};
use crate::session_state::{AuthRun, Event, SessionData};

/// What the login gate runs in place of a page that needs a login.
const LOGIN_FORM: &str = "let auth = authenticator();\nauth.login();";

/// What to do instead of, or before, running a page for a viewer.
pub enum Admitted {
    /// Run this script (the page's own, or the login form in its place) with this event.
    Run(Arc<CompiledScript>, Option<Event>),
    /// Answer without running anything.
    Answer(Box<RunOutput>),
}

/// Checks the page's access for the run's viewer. The login form drops the event: an event
/// meant for the page's own widgets is not applied for someone who may not see them.
pub fn admit(
    engine: &Engine,
    script: &Arc<CompiledScript>,
    stored: &Arc<SessionData>,
    event: Option<Event>,
    auth: &AuthRun,
) -> Admitted {
    match script.meta.access.gate(auth.viewer.as_ref()) {
        Gate::Open => Admitted::Run(script.clone(), event),
        Gate::NotAllowed => {
            let output =
                RunOutput { denied: true, ..RunOutput::unrun(Page::new(), stored.clone(), auth.viewer.clone()) };
            Admitted::Answer(Box::new(output))
        }
        Gate::Login if !auth.enabled => {
            let message = "this page needs a login (`login:` or `roles:` in its header), but the host has no \
                           credentials file (`--credentials`), so nobody can open it"
                .to_owned();
            let mut page = Page::new();
            page.error = Some(diagnostic::plain(script.name.as_str(), message));
            Admitted::Answer(Box::new(RunOutput::unrun(page, stored.clone(), None)))
        }
        Gate::Login => {
            Admitted::Run(Arc::new(CompiledScript::from_source(engine, script.name.clone(), LOGIN_FORM)), None)
        }
    }
}
