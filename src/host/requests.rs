//! What a run asks of the host between runs (`auth.sessions()`, `auth.end_session(id)`,
//! `auth.end_sessions(username)`): the script cannot reach the store, so the run stops with a
//! request, the host answers it here, and the script runs again from the same stored data and
//! event with the answer in hand. Each interaction answers at most [`MAX_AUTH_REQUESTS`].
//!
//! Ending the current session is a logout, in the logout's order (`auth::logout`): revoked
//! first, then the session renewed and its data reset, and the script runs again logged out.

use std::sync::Arc;

use serde_json::Value;

use super::Host;
use crate::auth::credentials::normalize_username;
use crate::auth::logout::Logout;
use crate::auth::{Auth, EndedSession};
use crate::error::AppError;
use crate::script::{CompiledScript, RunOutput, RunRequest};
use crate::session_state::{AuthRequest, MAX_AUTH_REQUESTS, SessionData, Viewer};
use crate::session_store::BrowserSession;

/// Who a run's requests come from.
pub(super) struct Caller<'a> {
    pub session: &'a dyn BrowserSession,
    /// The client's address, for the audit log.
    pub client: &'a str,
    /// Where the run shows what it drew so far, if anyone watches it.
    pub live: Option<&'a crate::script::live::Sender>,
}

/// A run's state between its attempts: what the next attempt runs on.
#[derive(Clone)]
pub(super) struct Attempt {
    pub stored: Arc<SessionData>,
    /// The event, query, viewer and fragment of the run; the answers gathered so far are in
    /// its `auth`.
    pub request: RunRequest,
}

impl Host {
    /// Runs the script for `request`, answering what it asks of the host between runs. The
    /// caller holds the session lock.
    pub(super) async fn rerun(
        &self,
        caller: &Caller<'_>,
        script: &Arc<CompiledScript>,
        stored: Arc<SessionData>,
        request: RunRequest,
    ) -> Result<RunOutput, AppError> {
        let mut attempt = Attempt { stored, request };
        let mut asked = 0;
        loop {
            let mut output = self.run_once(caller, script, attempt.clone()).await?;
            let Some(request) = output.request.take() else { return Ok(output) };
            if asked == MAX_AUTH_REQUESTS {
                let message =
                    format!("a page may ask about sessions at most {MAX_AUTH_REQUESTS} times per interaction");
                attempt.request.auth.answers.push((request, Err(message)));
                continue;
            }
            asked += 1;
            self.answer(caller, request, &mut attempt).await?;
        }
    }

    /// Answers one request into the attempt's auth view (a logout resets the attempt).
    async fn answer(&self, caller: &Caller<'_>, request: AuthRequest, attempt: &mut Attempt) -> Result<(), AppError> {
        let (Some(auth), Some(viewer)) = (&self.auth, attempt.request.auth.viewer.clone()) else {
            let message = "this needs a logged-in user: call it after login()".to_owned();
            attempt.request.auth.answers.push((request, Err(message)));
            return Ok(());
        };
        let token = caller.session.login_token();
        let (answer, ends_current) = match &request {
            AuthRequest::ListSessions => {
                attempt.request.auth.sessions = Some(auth.sessions_of(&viewer.username, token.as_deref()).await?);
                return Ok(());
            }
            AuthRequest::EndSession(id) => {
                match auth.end_own_session(&viewer.username, id, token.as_deref(), caller.client).await? {
                    EndedSession::Other => (Ok(Value::Bool(true)), false),
                    EndedSession::Current => (Ok(Value::Bool(true)), true),
                    EndedSession::NotFound => (Err(not_found(id)), false),
                }
            }
            AuthRequest::EndSessions(username) => end_sessions_of(auth, &viewer, username, caller.client).await?,
        };
        attempt.request.auth.sessions = None;
        attempt.request.auth.answers.push((request, answer));
        if ends_current {
            self.log_out(caller, auth, attempt).await?;
        }
        Ok(())
    }

    /// Ends the current session as a logout does; the script then runs on an empty session.
    async fn log_out(&self, caller: &Caller<'_>, auth: &Auth, attempt: &mut Attempt) -> Result<(), AppError> {
        let logout = Logout { auth, store: &self.store, session: caller.session, client: caller.client };
        logout.revoke(None).await?;
        let mut data = (*attempt.stored).clone();
        logout.end_session(attempt.request.auth.viewer.as_ref(), &mut data, &[]).await?;
        attempt.stored = Arc::new(data);
        attempt.request.event = None;
        attempt.request.auth.viewer = None;
        Ok(())
    }
}

/// An admin's end of every session of `username`; whether the viewer's own session ended too.
async fn end_sessions_of(
    auth: &Auth,
    viewer: &Viewer,
    username: &str,
    client: &str,
) -> Result<(Result<Value, String>, bool), AppError> {
    let admin_role = &auth.settings.admin_role;
    if !viewer.roles.iter().any(|role| role == admin_role) {
        return Ok((Err(format!("auth.end_sessions() is for admins: it needs the role {admin_role:?}")), false));
    }
    let username = normalize_username(username);
    if auth.credentials.doc().user(&username).is_none() {
        return Ok((Err(format!("there is no user {username:?}: no session was ended")), false));
    }
    let ended = auth.end_user_sessions(&username, client).await?;
    Ok((Ok(Value::from(ended)), username == viewer.username))
}

fn not_found(id: &str) -> String {
    format!("none of your live sessions has the id {id:?}: no session was ended")
}
