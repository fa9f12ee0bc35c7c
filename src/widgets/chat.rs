//! Chat apps, as Streamlit builds them: `chat_input` (a message field pinned to the bottom of
//! the main area that hands its message to exactly one run) and `chat_message(role)` (a
//! container with the role's look and avatar). Streaming an answer is `write_stream`
//! (`streams.rs`).

use rhai::{Dynamic, Engine, EvalAltResult, ImmutableString, Map, Position};
use serde_json::Value;

use super::input::Widget;
use super::options::{Options, error};
use super::{Container, context, convert, placed};
use crate::page::{ChatLook, ContainerId, ContainerKind, Control, MAIN, MAX_DEPTH, WidgetKind};
use crate::session_state::WidgetSpec;

type Res<T> = Result<T, Box<EvalAltResult>>;

/// The longest message a chat input takes when the script sets no `max_chars` (and the most
/// it may set): a request body stays small.
pub const MAX_MESSAGE_CHARS: usize = 20_000;
/// Streamlit's placeholder when none is given.
const DEFAULT_PLACEHOLDER: &str = "Your message";
/// The longest avatar: an emoji (some are several characters) or a few letters.
const MAX_AVATAR_CHARS: usize = 8;

pub fn register(engine: &mut Engine) {
    placed!(engine, "chat_input", |t, p| chat_input(t, p, DEFAULT_PLACEHOLDER.into(), Map::new()), ());
    placed!(engine, "chat_input", |t, p, s: ImmutableString| chat_input(t, p, s, Map::new()), (placeholder: ImmutableString));
    placed!(engine, "chat_input", chat_input, (placeholder: ImmutableString, opts: Map));
    placed!(engine, "chat_message", |t, p, r: ImmutableString| chat_message(t, p, r, Map::new()), (role: ImmutableString));
    placed!(engine, "chat_message", chat_message, (role: ImmutableString, opts: Map));
}

/// `chat_input(placeholder, #{ key, max_chars, disabled, on_submit, args })`: the message sent
/// for the run right after it was sent, `()` in every other run.
fn chat_input(target: ContainerId, pos: Position, placeholder: ImmutableString, opts: Map) -> Res<Dynamic> {
    let opts = Options::new(opts, pos, &["key", "max_chars", "disabled", "on_submit", "args"])?;
    let max_chars = match opts.int("max_chars")? {
        None => MAX_MESSAGE_CHARS,
        Some(n) => usize::try_from(n).ok().filter(|n| (1..=MAX_MESSAGE_CHARS).contains(n)).ok_or_else(|| {
            opts.fail(format!("option `max_chars` must be between 1 and {MAX_MESSAGE_CHARS}, not {n}"))
        })?,
    };
    let widget = Widget {
        target,
        pos,
        kind: WidgetKind::ChatInput,
        label: &placeholder,
        opts: &opts,
        spec: WidgetSpec::Message { max_chars },
        default: Value::Null,
    };
    let placeholder = placeholder.to_string();
    let value = widget.draw(|_| Control::Chat { placeholder, max_chars, pinned: target == MAIN })?;
    Ok(convert::to_dynamic(&value))
}

/// `chat_message(role, #{ avatar })`: a container drawn as one message of the chat.
fn chat_message(parent: ContainerId, pos: Position, role: ImmutableString, opts: Map) -> Res<Container> {
    let opts = Options::new(opts, pos, &["avatar"])?;
    if role.trim().is_empty() {
        return Err(error("chat_message needs a role such as \"user\" or \"assistant\"".into(), pos));
    }
    let look = ChatLook::of_role(&role);
    let avatar = match opts.string("avatar")? {
        Some(a) if a.trim().is_empty() || a.chars().count() > MAX_AVATAR_CHARS => {
            return Err(
                opts.fail(format!("option `avatar` must be an emoji or 1 to {MAX_AVATAR_CHARS} characters, not {a:?}"))
            );
        }
        Some(a) => a,
        None => look.default_avatar(&role),
    };
    let kind = ContainerKind::ChatMessage { role: role.to_string(), avatar, look };
    match context::with(|c| c.page.open(parent, kind))? {
        Some(id) => Ok(Container { id }),
        None => Err(error(format!("containers nest at most {MAX_DEPTH} deep"), pos)),
    }
}
