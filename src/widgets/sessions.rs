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
/// `#{ id, created, last_seen, created_utc, last_seen_utc, client, user_agent, current }`
/// (`created` and `last_seen` in Unix milliseconds, the `_utc` ones as `2026-12-02 04:12 UTC`).
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
    map.insert("created_utc".into(), utc_text(session.created_ms).into());
    map.insert("last_seen_utc".into(), utc_text(session.seen_ms).into());
    map.insert("client".into(), session.client.clone().into());
    map.insert("user_agent".into(), session.user_agent.clone().into());
    map.insert("current".into(), session.current.into());
    map
}

/// A Unix time in milliseconds as `YYYY-MM-DD HH:MM UTC` (the civil calendar from days, after
/// Howard Hinnant's `civil_from_days`).
fn utc_text(ms: u64) -> String {
    let secs = ms / 1000;
    let (days, rest) = ((secs / 86_400) as i64, secs % 86_400);
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!("{year:04}-{month:02}-{day:02} {:02}:{:02} UTC", rest / 3600, rest % 3600 / 60)
}

#[cfg(test)]
mod tests {
    use super::utc_text;

    #[test]
    fn times_are_shown_as_utc_dates() {
        assert_eq!(utc_text(0), "1970-01-01 00:00 UTC");
        assert_eq!(utc_text(1_796_183_949_000), "2026-12-02 03:59 UTC");
        assert_eq!(utc_text(951_825_600_000), "2000-02-29 12:00 UTC");
    }
}
