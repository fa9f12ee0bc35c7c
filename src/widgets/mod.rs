//! The Rhai-facing script API, one file per family. Every element and widget function can be
//! called on its own (it draws into the main area) or as a method of a container
//! (`sidebar().button("Go")`), so each is registered in both forms by [`placed!`]. Inside a
//! fragment's function the free form draws into the fragment ([`context::default_target`]).

mod auth;
mod charts;
mod chat;
pub mod context;
mod control;
mod convert;
mod data;
mod dates;
pub mod deadline;
mod display;
mod formats;
mod fragments;
mod http;
mod input;
mod layout;
pub mod live;
mod maps;
mod media;
mod options;
mod pages;
mod picks;
mod pixels;
mod records;
pub mod secrets;
mod sessions;
mod sliders;
mod sources;
mod sql;
mod state;
mod status;
mod streams;
mod totp;
mod uploads;
mod vega;
mod width;

use rhai::Engine;

use crate::page::ContainerId;

/// A place to draw into, as scripts see it: the sidebar or a nested container.
#[derive(Debug, Clone, Copy)]
pub struct Container {
    pub id: ContainerId,
}

/// Registers `$name` twice: as a free function drawing into the main area, and as a method of
/// [`Container`]. `$f` takes the target, the call position, then the script's arguments.
macro_rules! placed {
    ($engine:expr, $name:expr, $f:expr, ($($arg:ident : $ty:ty),*)) => {{
        let f = $f;
        // Parameter names and a `?` return type, for `runnel definitions` (editor support).
        let params = [$(concat!(stringify!($arg), ": ", stringify!($ty)),)* "?"];
        let method_params = ["container: Container", $(concat!(stringify!($arg), ": ", stringify!($ty)),)* "?"];
        rhai::FuncRegistration::new($name).with_params_info(params).register_into_engine(
            $engine,
            move |ctx: rhai::NativeCallContext, $($arg: $ty),*| f(crate::widgets::context::default_target(), ctx.call_position(), $($arg),*),
        );
        rhai::FuncRegistration::new($name).with_params_info(method_params).register_into_engine(
            $engine,
            move |ctx: rhai::NativeCallContext, target: &mut crate::widgets::Container, $($arg: $ty),*| {
                f(target.id, ctx.call_position(), $($arg),*)
            },
        );
    }};
}
pub(crate) use placed;

/// [`placed!`] for a function whose first script argument is data it only reads (rows for a
/// table or a chart). Called as `f(rows, …)`, Rhai hands the script's variable over by
/// reference instead of copying it; `f` gets `&Dynamic` in both forms.
macro_rules! placed_data {
    ($engine:expr, $name:expr, $f:expr, ($data:ident $(, $arg:ident : $ty:ty)*)) => {{
        let f = $f;
        let params = [concat!(stringify!($data), ": Dynamic"), $(concat!(stringify!($arg), ": ", stringify!($ty)),)* "?"];
        let method_params =
            ["container: Container", concat!(stringify!($data), ": Dynamic"), $(concat!(stringify!($arg), ": ", stringify!($ty)),)* "?"];
        rhai::FuncRegistration::new($name).with_params_info(params).register_into_engine(
            $engine,
            move |ctx: rhai::NativeCallContext, $data: &mut rhai::Dynamic, $($arg: $ty),*| {
                f(crate::widgets::context::default_target(), ctx.call_position(), &*$data, $($arg),*)
            },
        );
        rhai::FuncRegistration::new($name).with_params_info(method_params).register_into_engine(
            $engine,
            move |ctx: rhai::NativeCallContext, target: &mut crate::widgets::Container, $data: rhai::Dynamic, $($arg: $ty),*| {
                f(target.id, ctx.call_position(), &$data, $($arg),*)
            },
        );
    }};
}
pub(crate) use placed_data;

/// Registers the whole script API on an engine (frames themselves are registered by
/// [`crate::frame::register`]; `caps` bound the frames the readers make).
pub fn register(engine: &mut Engine, caps: crate::frame::Caps) {
    engine.register_type_with_name::<Container>("Container");
    state::register(engine);
    display::register(engine);
    input::register(engine);
    sliders::register(engine);
    dates::register(engine);
    picks::register(engine);
    uploads::register(engine);
    layout::register(engine);
    status::register(engine);
    fragments::register(engine);
    control::register(engine);
    auth::register(engine);
    sessions::register(engine);
    data::register(engine);
    charts::register(engine);
    sources::register(engine, caps);
    sql::register(engine, caps);
    pages::register(engine);
    http::register(engine);
    chat::register(engine);
    streams::register(engine);
    secrets::register(engine);
    media::register(engine);
    maps::register(engine);
    vega::register(engine);
}

pub use auth::write_auth_keys;
pub use state::StateMap;

/// The stored state map as Rhai values, at the start of a run.
pub fn convert_json_map(json: &serde_json::Map<String, serde_json::Value>) -> rhai::Map {
    json.iter().map(|(k, v)| (k.as_str().into(), convert::to_dynamic(v))).collect()
}

/// The state map back as JSON after a run. Values JSON cannot hold (function pointers,
/// handles) are not kept; they are logged so the author can find out why.
pub fn convert_state_back(state: &rhai::Map) -> serde_json::Map<String, serde_json::Value> {
    let mut out = serde_json::Map::new();
    for (key, value) in state {
        match rhai::serde::from_dynamic::<serde_json::Value>(value) {
            Ok(json) => {
                out.insert(key.to_string(), json);
            }
            Err(_) => tracing::warn!(key = %key, kind = value.type_name(), "state value cannot be kept between runs"),
        }
    }
    out
}

pub fn json_to_dynamic(value: &serde_json::Value) -> rhai::Dynamic {
    convert::to_dynamic(value)
}
