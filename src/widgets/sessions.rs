//! The sessions a user and an admin can see and end, as scripts see them:
//! `auth.sessions()` lists the viewer's sessions, `auth.end_session(id)` ends one of them, and
//! `auth.end_sessions(username)` (admins only) ends every session of a user.
//!
//! The store is out of a script's reach, so each of these stops the run with a request
//! ([`AuthRequest`]); the host answers it and runs the script again from the same stored data
//! and event, and the call then returns the answer.

use rhai::{Array, Dynamic, Engine, EvalAltResult, ImmutableString, Map, NativeCallContext, Position};
use serde_json::Value;

use super::auth::Authenticator;
use super::context::{self, HOST};
use super::options::error;
use crate::session_state::{AuthRequest, ListedSession, Viewer};

type Res<T> = Result<T, Box<EvalAltResult>>;

pub fn register(engine: &mut Engine) {
    engine.register_fn("sessions", |ctx: NativeCallContext, _: &mut Authenticator| sessions(ctx.call_position()));
    engine.register_fn("end_session", |ctx: NativeCallContext, _: &mut Authenticator, id: ImmutableString| {
        end_session(ctx.call_position(), &id)
    });
    engine.register_fn("end_sessions", |ctx: NativeCallContext, _: &mut Authenticator, user: ImmutableString| {
        end_sessions(ctx.call_position(), &user)
    });
}

/// `auth.sessions()`: the viewer's live sessions, newest first, as maps
/// `#{ id, created, last_seen, client, user_agent, current }` (times in Unix milliseconds).
fn sessions(pos: Position) -> Res<Array> {
    viewer(pos, "sessions")?;
    let listed = context::with(|c| c.auth.sessions.clone())?;
    match listed {
        Some(list) => Ok(list.iter().map(|s| Dynamic::from_map(session_map(s))).collect()),
        None => {
            prior(&AuthRequest::ListSessions, pos)?;
            Err(ask(AuthRequest::ListSessions, pos)?)
        }
    }
}

/// `auth.end_session(id)`: ends one of the viewer's own sessions; `true` once it ended. Ending
/// the current one is a logout. Any other id is a script error and changes nothing.
fn end_session(pos: Position, id: &str) -> Res<bool> {
    let request = AuthRequest::EndSession(id.to_owned());
    if prior(&request, pos)?.is_some() {
        return Ok(true);
    }
    viewer(pos, "end_session")?;
    Err(ask(request, pos)?)
}

/// `auth.end_sessions(username)`: ends every session of a user; only a viewer with the admin
/// role may call it. Returns how many sessions were live.
fn end_sessions(pos: Position, username: &str) -> Res<i64> {
    let request = AuthRequest::EndSessions(username.to_owned());
    if let Some(ended) = prior(&request, pos)? {
        return Ok(ended.as_i64().unwrap_or(0));
    }
    let viewer = viewer(pos, "end_sessions")?;
    let admin_role = context::with(|c| c.auth.admin_role.clone())?;
    if !viewer.roles.contains(&admin_role) {
        let message = format!("auth.end_sessions() is for admins: it needs the role {admin_role:?}");
        return Err(error(message, pos));
    }
    Err(ask(request, pos)?)
}

/// The logged-in viewer, or a clear error for a call that needs one.
fn viewer(pos: Position, function: &str) -> Res<Viewer> {
    let viewer = context::with(|c| c.auth.viewer.clone())?;
    viewer.ok_or_else(|| error(format!("auth.{function}() needs a logged-in user: call it after login()"), pos))
}

/// The host's answer to `request` in this interaction, if it was asked: its value, or its
/// message as a script error.
fn prior(request: &AuthRequest, pos: Position) -> Res<Option<Value>> {
    match context::with(|c| c.auth.answer(request).cloned())? {
        Some(Ok(value)) => Ok(Some(value)),
        Some(Err(message)) => Err(error(message, pos)),
        None => Ok(None),
    }
}

/// Stops the run with `request` for the host (the error that does it is the `Ok` value).
fn ask(request: AuthRequest, pos: Position) -> Res<Box<EvalAltResult>> {
    context::with(|c| c.request = Some(request))?;
    Ok(context::end_run(HOST, pos))
}

fn session_map(session: &ListedSession) -> Map {
    let mut map = Map::new();
    map.insert("id".into(), session.id.clone().into());
    map.insert("created".into(), Dynamic::from_int(session.created_ms as i64));
    map.insert("last_seen".into(), Dynamic::from_int(session.seen_ms as i64));
    map.insert("client".into(), session.client.clone().into());
    map.insert("user_agent".into(), session.user_agent.clone().into());
    map.insert("current".into(), session.current.into());
    map
}
