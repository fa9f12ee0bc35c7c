//! Status elements: `spinner` while a function runs, `status` containers and their `update`,
//! `progress` bars and their handles, `toast` and `exception`. Whatever changes an element
//! already on the page (a handle's update, a status update, a spinner's end, a toast that
//! takes the oldest one's place) calls [`live::flush`], so a watched run shows the change.

use rhai::{Dynamic, Engine, EvalAltResult, FnPtr, ImmutableString, Map, NativeCallContext, Position};

use super::display::draw;
use super::options::{Options, error};
use super::{Container, context, convert, live, placed};
use crate::markup;
use crate::page::{Celebration, ContainerId, ContainerKind, Element, ExceptionView, MAIN, Page, StatusState, Toast};

type Res<T> = Result<T, Box<EvalAltResult>>;

/// Most toasts shown at once; a newer one takes the place of the oldest.
pub const MAX_TOASTS: usize = 3;

/// A progress bar on the page, as `progress(…)` returns it: `bar.progress(value, text)`
/// changes that bar in place.
#[derive(Debug, Clone, Copy)]
pub struct ProgressBar {
    target: ContainerId,
    index: usize,
}

pub fn register(engine: &mut Engine) {
    engine.register_type_with_name::<ProgressBar>("ProgressBar");
    engine.register_fn("spinner", |ctx: NativeCallContext, text: ImmutableString, f: FnPtr| {
        spinner(&ctx, MAIN, &text, Map::new(), &f)
    });
    engine.register_fn("spinner", |ctx: NativeCallContext, text: ImmutableString, opts: Map, f: FnPtr| {
        spinner(&ctx, MAIN, &text, opts, &f)
    });
    engine.register_fn("spinner", |ctx: NativeCallContext, c: &mut Container, text: ImmutableString, f: FnPtr| {
        spinner(&ctx, c.id, &text, Map::new(), &f)
    });
    engine.register_fn(
        "spinner",
        |ctx: NativeCallContext, c: &mut Container, text: ImmutableString, opts: Map, f: FnPtr| {
            spinner(&ctx, c.id, &text, opts, &f)
        },
    );
    placed!(engine, "status", |t, p, l: ImmutableString| status(t, p, &l, Map::new()), (label: ImmutableString));
    placed!(engine, "status", |t, p, l: ImmutableString, o: Map| status(t, p, &l, o), (label: ImmutableString, opts: Map));
    engine.register_fn("update", |ctx: NativeCallContext, c: &mut Container, opts: Map| {
        update(c.id, ctx.call_position(), opts)
    });
    placed!(engine, "progress", |t, p, v: Dynamic| progress(t, p, &v, ""), (value: Dynamic));
    placed!(engine, "progress", |t, p, v: Dynamic, s: ImmutableString| progress(t, p, &v, &s), (value: Dynamic, text: ImmutableString));
    engine.register_fn("progress", |ctx: NativeCallContext, bar: &mut ProgressBar, value: Dynamic| {
        set_progress(*bar, ctx.call_position(), &value, "")
    });
    engine.register_fn(
        "progress",
        |ctx: NativeCallContext, bar: &mut ProgressBar, value: Dynamic, text: ImmutableString| {
            set_progress(*bar, ctx.call_position(), &value, &text)
        },
    );
    engine.register_fn("toast", |ctx: NativeCallContext, text: ImmutableString| {
        toast(ctx.call_position(), &text, Map::new())
    });
    engine.register_fn("toast", |ctx: NativeCallContext, text: ImmutableString, opts: Map| {
        toast(ctx.call_position(), &text, opts)
    });
    engine.register_fn("balloons", |ctx: NativeCallContext| celebrate(ctx.call_position(), Celebration::Balloons));
    engine.register_fn("snow", |ctx: NativeCallContext| celebrate(ctx.call_position(), Celebration::Snow));
    placed!(engine, "exception", |t, _p, e: Dynamic| draw(t, Element::Exception(Box::new(exception(&e)))), (error: Dynamic));
}

/// `spinner(text, #{ show_time }, || …)`: shows the spinner while the function runs, then
/// takes it away and answers what the function returned. Elements the function draws stay;
/// when it fails, the spinner goes too and the run shows the error.
fn spinner(ctx: &NativeCallContext, target: ContainerId, text: &str, opts: Map, f: &FnPtr) -> Res<Dynamic> {
    let pos = ctx.call_position();
    let show_time = Options::new(opts, pos, &["show_time"])?.bool("show_time", false)?;
    let element = Element::Spinner { text: markup::inline(text), show_time };
    let index = context::with(|c| {
        c.page.push(target, element);
        c.page.containers[target].children.len() - 1
    })?;
    let result = live::flush(pos).and_then(|()| f.call_within_context::<Dynamic>(ctx, ()));
    context::with(|c| remove_spinner(&mut c.page, target, index))?;
    let flushed = live::flush(pos);
    result.and_then(|value| flushed.map(|()| value))
}

/// Takes the spinner away, unless something already did (a placeholder drawn over, `clear`).
fn remove_spinner(page: &mut Page, target: ContainerId, index: usize) {
    let children = &mut page.containers[target].children;
    if matches!(children.get(index), Some(Element::Spinner { .. })) {
        children.remove(index);
    }
}

/// `status(label, #{ expanded, state })`: a container with a state icon.
fn status(parent: ContainerId, pos: Position, label: &str, opts: Map) -> Res<Container> {
    let opts = Options::new(opts, pos, &["expanded", "state"])?;
    let kind = ContainerKind::Status {
        label: markup::inline(label),
        state: state(&opts)?.unwrap_or_default(),
        expanded: opts.bool("expanded", false)?,
    };
    match context::with(|c| c.page.open(parent, kind))? {
        Some(id) => Ok(Container { id }),
        None => Err(error(format!("containers nest at most {} deep", crate::page::MAX_DEPTH), pos)),
    }
}

fn state(opts: &Options) -> Res<Option<StatusState>> {
    let Some(text) = opts.string("state")? else { return Ok(None) };
    match StatusState::parse(&text) {
        Some(state) => Ok(Some(state)),
        None => Err(opts.fail(format!("option `state` must be one of {:?}, not {text:?}", StatusState::NAMES))),
    }
}

/// `box.update(#{ label, state, expanded })`: changes a status container in place.
fn update(id: ContainerId, pos: Position, opts: Map) -> Res<()> {
    let opts = Options::new(opts, pos, &["label", "state", "expanded"])?;
    let (label, new_state) = (opts.string("label")?.map(|l| markup::inline(&l)), state(&opts)?);
    context::try_with(|c| {
        let ContainerKind::Status { label: shown, state, expanded } = &mut c.page.containers[id].kind else {
            return Err(error("update works only on a container made by status(…)".into(), pos));
        };
        if let Some(label) = label {
            *shown = label;
        }
        *state = new_state.unwrap_or(*state);
        *expanded = opts.bool("expanded", *expanded)?;
        Ok(())
    })?;
    live::flush(pos)
}

/// A progress value as a percentage: an integer 0..=100 or a float 0.0..=1.0, as in Streamlit.
fn percent(value: &Dynamic, pos: Position) -> Res<u8> {
    match (value.as_int(), value.as_float()) {
        (Ok(i), _) if (0..=100).contains(&i) => Ok(i as u8),
        (_, Ok(f)) if (0.0..=1.0).contains(&f) => Ok((f * 100.0).round() as u8),
        _ => Err(error(format!("progress takes 0..=100 or 0.0..=1.0, not {value} ({})", value.type_name()), pos)),
    }
}

/// `progress(value, text)`: draws a bar and answers its handle.
fn progress(target: ContainerId, pos: Position, value: &Dynamic, text: &str) -> Res<ProgressBar> {
    let element = Element::Progress { percent: percent(value, pos)?, text: text.into() };
    context::with(|c| {
        c.page.push(target, element);
        ProgressBar { target, index: c.page.containers[target].children.len() - 1 }
    })
}

/// `bar.progress(value, text)`: the same bar with a new value and text.
fn set_progress(bar: ProgressBar, pos: Position, value: &Dynamic, text: &str) -> Res<()> {
    let percent = percent(value, pos)?;
    context::try_with(|c| match c.page.containers[bar.target].children.get_mut(bar.index) {
        Some(Element::Progress { percent: shown, text: said }) => {
            (*shown, *said) = (percent, text.into());
            Ok(())
        }
        _ => Err(error("this progress bar is no longer on the page".into(), pos)),
    })?;
    live::flush(pos)
}

/// `toast(text, #{ icon })`: a notification at the bottom right that fades out by itself.
fn toast(pos: Position, text: &str, opts: Map) -> Res<()> {
    let opts = Options::new(opts, pos, &["icon"])?;
    let icon = opts.string("icon")?;
    if icon.as_ref().is_some_and(|i| i.chars().count() > 8) {
        return Err(opts.fail("the icon must be an emoji or a few characters".into()));
    }
    let body = markup::inline(text);
    context::with(|c| {
        let slot = free_toast_slot(&mut c.page);
        c.page.push(MAIN, Element::Toast(Box::new(Toast { body, icon, slot })));
    })?;
    live::flush(pos)
}

/// `balloons()`, `snow()`: glyphs rise or fall across the whole page once, in every run that
/// calls it (each run's element is new to the browser); a second call in one run adds nothing.
fn celebrate(pos: Position, kind: Celebration) -> Res<()> {
    context::with(|c| {
        let drawn = c.page.containers[MAIN]
            .children
            .iter()
            .any(|e| matches!(e, Element::Celebration { kind: k, .. } if *k == kind));
        if !drawn {
            c.page.push(MAIN, Element::Celebration { kind, play: rand::random() });
        }
    })?;
    live::flush(pos)
}

/// The lowest free place in the stack of toasts, taking the oldest toast away when all are used.
fn free_toast_slot(page: &mut Page) -> usize {
    let toasts = |page: &Page| -> Vec<(usize, usize)> {
        let children = page.containers[MAIN].children.iter().enumerate();
        children.filter_map(|(i, e)| if let Element::Toast(t) = e { Some((i, t.slot)) } else { None }).collect()
    };
    let shown = toasts(page);
    if let Some(&(oldest, slot)) = shown.first().filter(|_| shown.len() >= MAX_TOASTS) {
        page.containers[MAIN].children.remove(oldest);
        return slot;
    }
    (0..MAX_TOASTS).find(|s| !shown.iter().any(|(_, used)| used == s)).unwrap_or(0)
}

/// What `catch (err)` gives (a thrown value, or a map with `message`, `line` and `position`),
/// or a string, as an error to show.
fn exception(value: &Dynamic) -> ExceptionView {
    let Some(map) = value.clone().try_cast::<Map>() else {
        return ExceptionView { message: convert::display(value), line: None, column: None };
    };
    let number = |key: &str| map.get(key).and_then(|v| v.as_int().ok()).filter(|n| *n > 0);
    let message = match map.get("message") {
        Some(message) => convert::display(message),
        None => convert::pretty(value),
    };
    ExceptionView { message, line: number("line"), column: number("position") }
}
