//! The Rhai engine, built once and shared: the sandbox limits, the script API, `state`
//! resolution, the wall-clock deadline of a run (and of its cache loads) with a `sleep` that
//! respects it, and the data frame API with its caps.

use std::time::{Duration, Instant};

use rhai::{Dynamic, Engine, EvalAltResult, NativeCallContext, Position};

use std::sync::Arc;

use super::library::{LibResolver, Library};
use crate::config::ScriptLimits;
use crate::frame;
use crate::widgets::{self, StateMap, deadline};

pub use crate::widgets::deadline::{Deadline, LOAD_TIMEOUT, TIMEOUT};

/// How many modules one run may import (imports inside modules included).
const MAX_MODULES: usize = 64;

/// Builds the sandboxed engine with the whole script API registered, and no modules.
pub fn build_engine(limits: &ScriptLimits) -> Engine {
    build_engine_with(limits, Arc::default())
}

/// [`build_engine`] whose `import` reads modules from `library` (the `lib/` folder) only.
pub fn build_engine_with(limits: &ScriptLimits, library: Arc<Library>) -> Engine {
    let mut engine = Engine::new();
    engine
        .set_max_operations(limits.max_operations)
        .set_max_call_levels(limits.max_call_levels)
        .set_max_expr_depths(limits.max_expr_depth, limits.max_expr_depth)
        .set_max_string_size(limits.max_string_size)
        .set_max_array_size(limits.max_array_size)
        .set_max_map_size(limits.max_map_size)
        .set_max_variables(1_000)
        .set_max_functions(1_000)
        .set_max_modules(MAX_MODULES)
        .set_module_resolver(LibResolver(library));
    engine.disable_symbol("eval");
    engine.on_print(|text| tracing::info!(target: "runnel::script", "{text}"));
    engine.on_debug(|text, source, pos| tracing::debug!(target: "runnel::script", ?source, %pos, "{text}"));
    engine.on_progress(|ops| {
        // Reading the clock every 256 operations keeps the check cheap.
        if ops % 256 != 0 {
            return None;
        }
        // Every 4,096 operations a watched run shows what it drew so far (see `widgets::live`).
        let left = (ops % 4096 == 0 && widgets::live::point(Position::NONE).is_err()).then_some(widgets::live::LEFT);
        deadline::passed().or(left).map(|marker| Dynamic::from(marker.to_owned()))
    });
    // `state` is a name, not a scope variable, so script functions see it too;
    // `on_var` is stable in practice, Rhai flags it as volatile.
    // `secrets` likewise: the secrets file, read for the run that first names it.
    #[allow(deprecated)]
    engine.on_var(|name, _, _| match name {
        "state" => Ok(Some(Dynamic::from(StateMap))),
        "secrets" => widgets::secrets::resolve().map(Some),
        _ => Ok(None),
    });
    register_sleep(&mut engine);
    let caps = frame_caps(limits);
    frame::register(&mut engine, caps);
    widgets::register(&mut engine, caps);
    engine
}

/// What one data frame may hold; frames are host values, outside Rhai's size limits.
pub fn frame_caps(limits: &ScriptLimits) -> frame::Caps {
    frame::Caps { max_rows: limits.max_frame_rows, max_bytes: limits.max_frame_bytes, max_array: limits.max_array_size }
}

/// Replaces the standard `sleep`, which blocks past any limit, with one that ends the run
/// when its deadline passes.
fn register_sleep(engine: &mut Engine) {
    fn sleep(pos: Position, seconds: f64) -> Result<(), Box<EvalAltResult>> {
        let until = Instant::now() + Duration::from_secs_f64(seconds.clamp(0.0, 3600.0));
        // What was drawn before the pause is shown during it (the animation pattern).
        widgets::live::flush(pos)?;
        while Instant::now() < until {
            widgets::live::point(pos)?;
            if let Some(marker) = deadline::passed() {
                return Err(EvalAltResult::ErrorTerminated(Dynamic::from(marker.to_owned()), pos).into());
            }
            std::thread::sleep((until - Instant::now()).min(Duration::from_millis(10)));
        }
        Ok(())
    }
    engine.register_fn("sleep", |ctx: NativeCallContext, s: f64| sleep(ctx.call_position(), s));
    engine.register_fn("sleep", |ctx: NativeCallContext, s: i64| sleep(ctx.call_position(), s as f64));
}
