//! Fragments and dialogs: `fragment(Fn, #{ run_every })` draws a part of the page with a
//! script function, and a change of a widget inside it reruns only that function (as
//! `st.fragment`); `dialog(title, Fn, #{ width })` draws the function's output in a modal, with
//! fragment semantics, and a close button that makes a full rerun (as `st.dialog`).

use rhai::{
    Dynamic, Engine, EvalAltResult, FnPtr, FuncRegistration, ImmutableString, Map, NativeCallContext, Position,
};
use serde_json::Value;

use super::options::{Options, error};
use super::{Container, context};
use crate::page::{ContainerId, ContainerKind, DialogLook, FragmentShell, MAX_DEPTH};
use crate::session_state::{WidgetRecord, WidgetSpec};

type Res<T> = Result<T, Box<EvalAltResult>>;

/// Most fragments and dialogs one page may draw.
pub const MAX_FRAGMENTS: usize = 16;
/// The shortest and longest `run_every`, in seconds.
const MIN_EVERY: f64 = 0.5;
const MAX_EVERY: f64 = 24.0 * 3600.0;

pub fn register(engine: &mut Engine) {
    let named = |name: &str, params: &[&str]| FuncRegistration::new(name).with_params_info(params);
    named("fragment", &["function: FnPtr", "()"]).register_into_engine(engine, |ctx: NativeCallContext, f: FnPtr| {
        fragment(&ctx, context::default_target(), f, Map::new())
    });
    named("fragment", &["function: FnPtr", "opts: map", "()"])
        .register_into_engine(engine, |ctx: NativeCallContext, f: FnPtr, opts: Map| {
            fragment(&ctx, context::default_target(), f, opts)
        });
    named("fragment", &["container: Container", "function: FnPtr", "()"])
        .register_into_engine(engine, |ctx: NativeCallContext, c: &mut Container, f: FnPtr| {
            fragment(&ctx, c.id, f, Map::new())
        });
    named("fragment", &["container: Container", "function: FnPtr", "opts: map", "()"])
        .register_into_engine(engine, |ctx: NativeCallContext, c: &mut Container, f: FnPtr, opts: Map| {
            fragment(&ctx, c.id, f, opts)
        });
    named("dialog", &["title: string", "function: FnPtr", "()"])
        .register_into_engine(engine, |ctx: NativeCallContext, title: ImmutableString, f: FnPtr| {
            dialog(&ctx, title, f, Map::new())
        });
    named("dialog", &["title: string", "function: FnPtr", "opts: map", "()"])
        .register_into_engine(engine, |ctx: NativeCallContext, title: ImmutableString, f: FnPtr, opts: Map| {
            dialog(&ctx, title, f, opts)
        });
}

/// `fragment(Fn, #{ run_every })`: opens a fragment in `parent` and runs the function in it.
fn fragment(ctx: &NativeCallContext, parent: ContainerId, function: FnPtr, opts: Map) -> Res<()> {
    let pos = ctx.call_position();
    let opts = Options::new(opts, pos, &["run_every"])?;
    let every_ms = run_every(&opts)?;
    let name = function_name(&function, pos)?;
    let id = open(parent, pos, name, |id, function| FragmentShell { id, function, every_ms, dialog: None })?;
    run_inside(ctx, id, &function)
}

/// `dialog(title, Fn, #{ width: "small" | "large" })`: a modal fragment with a close button.
fn dialog(ctx: &NativeCallContext, title: ImmutableString, function: FnPtr, opts: Map) -> Res<()> {
    let pos = ctx.call_position();
    let opts = Options::new(opts, pos, &["width"])?;
    let large = match opts.string("width")?.as_deref() {
        None | Some("small") => false,
        Some("large") => true,
        Some(other) => return Err(opts.fail(format!("option `width` must be \"small\" or \"large\", not {other:?}"))),
    };
    let name = function_name(&function, pos)?;
    let open_dialogs = context::with(|c| c.page.containers.iter().filter(|k| is_dialog(&k.kind)).count())?;
    if open_dialogs > 0 {
        return Err(error("only one dialog can be open at a time".into(), pos));
    }
    let look = DialogLook { title: title.to_string(), large };
    let parent = context::default_target();
    let id =
        open(parent, pos, name, |id, function| FragmentShell { id, function, every_ms: None, dialog: Some(look) })?;
    register_close(id, pos)?;
    run_inside(ctx, id, &function)
}

fn is_dialog(kind: &ContainerKind) -> bool {
    matches!(kind, ContainerKind::Fragment(shell) if shell.dialog.is_some())
}

/// The widget id of a dialog's close button: an event on it makes a full rerun.
pub fn close_widget(fragment_id: &str) -> String {
    format!("dialog:{fragment_id}")
}

/// Records the dialog's close button as a button outside any fragment.
fn register_close(id: ContainerId, pos: Position) -> Res<()> {
    context::try_with(|c| {
        let Some(fragment) = c.page.containers[id].fragment.clone() else { return Ok(()) };
        let record = WidgetRecord {
            spec: WidgetSpec::Button,
            value: Value::Bool(false),
            key: None,
            callback: None,
            form: None,
            fragment: None,
        };
        c.register_widget(&close_widget(&fragment), record, pos)
    })
}

/// The `run_every` option: seconds, at least [`MIN_EVERY`]; as milliseconds.
fn run_every(opts: &Options) -> Res<Option<u64>> {
    let Some(seconds) = opts.float("run_every")? else { return Ok(None) };
    if !(MIN_EVERY..=MAX_EVERY).contains(&seconds) {
        return Err(opts.fail(format!("option `run_every` takes {MIN_EVERY} to {MAX_EVERY} seconds, not {seconds}")));
    }
    Ok(Some((seconds * 1000.0).round() as u64))
}

/// The script function a fragment reruns: a named function, or a closure that captures nothing
/// (captured values could not be restored for a later rerun).
fn function_name(function: &FnPtr, pos: Position) -> Res<String> {
    if !function.curry().is_empty() {
        let message = "a fragment's function cannot capture variables or be curried: pass what it needs through \
                       `state`"
            .to_owned();
        return Err(error(message, pos));
    }
    Ok(function.fn_name().to_owned())
}

/// Opens the fragment's container in `parent`, with an id that is unique on the page.
fn open(
    parent: ContainerId,
    pos: Position,
    function: String,
    shell: impl FnOnce(String, String) -> FragmentShell,
) -> Res<ContainerId> {
    let opened = context::try_with(|c| {
        let outer = &c.page.containers[parent];
        if outer.fragment.is_some() {
            return Err(error("fragments and dialogs cannot nest inside another fragment or dialog".into(), pos));
        }
        if let Some(form) = &outer.form {
            return Err(error(format!("a fragment or dialog cannot be inside the form {form:?}"), pos));
        }
        let shells = c.page.containers.iter().filter_map(|k| match &k.kind {
            ContainerKind::Fragment(s) => Some(s),
            _ => None,
        });
        let (count, same) = shells.fold((0, 0), |(n, same), s| (n + 1, same + usize::from(s.function == function)));
        if count >= MAX_FRAGMENTS {
            return Err(error(format!("a page may draw at most {MAX_FRAGMENTS} fragments and dialogs"), pos));
        }
        let id = if same == 0 { function.clone() } else { format!("{function}#{}", same + 1) };
        Ok(c.page.open(parent, ContainerKind::Fragment(Box::new(shell(id, function)))))
    })?;
    opened.ok_or_else(|| error(format!("containers nest at most {MAX_DEPTH} deep"), pos))
}

/// Calls the fragment's function with free calls drawing into container `id`.
fn run_inside(ctx: &NativeCallContext, id: ContainerId, function: &FnPtr) -> Res<()> {
    context::with(|c| c.targets.push(id))?;
    let result = function.call_within_context::<Dynamic>(ctx, ());
    context::with(|c| c.targets.pop())?;
    result.map(drop)
}
