//! Run control and the URL: `rerun()`, `stop()`, `query_params()`, `set_query_params()`.

use rhai::{Dynamic, Engine, EvalAltResult, Map, NativeCallContext};

use super::context::{self, RERUN, STOP};
use super::options::error;

pub fn register(engine: &mut Engine) {
    engine.register_fn("rerun", |ctx: NativeCallContext| -> Result<(), Box<EvalAltResult>> {
        Err(context::end_run(RERUN, ctx.call_position()))
    });
    engine.register_fn("stop", |ctx: NativeCallContext| -> Result<(), Box<EvalAltResult>> {
        Err(context::end_run(STOP, ctx.call_position()))
    });
    engine.register_fn("query_params", || {
        context::with(|c| c.query.iter().map(|(k, v)| (k.as_str().into(), Dynamic::from(v.clone()))).collect::<Map>())
    });
    engine.register_fn("set_query_params", |ctx: NativeCallContext, params: Map| {
        let mut query = std::collections::BTreeMap::new();
        for (key, value) in params {
            if value.is_map() || value.is_array() {
                return Err(error(format!("query parameter `{key}` must be a plain value"), ctx.call_position()));
            }
            if !value.is_unit() {
                query.insert(key.to_string(), super::convert::display(&value));
            }
        }
        context::with(|c| {
            c.query_changed |= c.query != query;
            c.query = query;
        })
    });
}
