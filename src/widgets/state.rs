//! `state`: the per-session map, reachable by name everywhere in a script, including inside
//! the script's own functions (the engine resolves the name to a [`StateMap`] handle).

use rhai::{Array, Dynamic, Engine, FuncRegistration, ImmutableString};

use super::context;

/// A handle to the current run's state map. It holds nothing itself.
#[derive(Debug, Clone, Copy)]
pub struct StateMap;

pub fn register(engine: &mut Engine) {
    engine.register_type_with_name::<StateMap>("State");
    engine.register_indexer_get(|_: &mut StateMap, key: ImmutableString| {
        context::with(|c| c.state.get(key.as_str()).cloned().unwrap_or(Dynamic::UNIT))
    });
    // Marked pure: `state` comes from a variable resolver, which Rhai treats as a constant,
    // and the handle itself does not change when the map behind it does.
    FuncRegistration::new_index_setter().with_purity(true).register_into_engine(
        engine,
        |_: &mut StateMap, key: ImmutableString, value: Dynamic| {
            context::with(|c| {
                c.state.insert(key.as_str().into(), value);
            })
        },
    );
    engine.register_fn("contains", |_: &mut StateMap, key: ImmutableString| {
        context::with(|c| c.state.contains_key(key.as_str()))
    });
    engine.register_fn("get", |_: &mut StateMap, key: ImmutableString, default: Dynamic| {
        context::with(|c| c.state.get(key.as_str()).cloned().unwrap_or(default))
    });
    FuncRegistration::new("remove").with_purity(true).register_into_engine(
        engine,
        |_: &mut StateMap, key: ImmutableString| {
            context::with(|c| c.state.remove(key.as_str()).unwrap_or(Dynamic::UNIT))
        },
    );
    engine.register_fn("keys", |_: &mut StateMap| {
        context::with(|c| c.state.keys().map(|k| Dynamic::from(k.clone())).collect::<Array>())
    });
    engine.register_fn("len", |_: &mut StateMap| context::with(|c| c.state.len() as i64));
    engine.register_fn("to_string", |_: &mut StateMap| context::with(|c| format!("{:?}", c.state)));
}
