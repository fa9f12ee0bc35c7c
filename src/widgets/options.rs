//! The trailing options map of a widget call (`#{ key: "k", value: 5, help: "…" }`), read
//! with clear errors for wrong types and unknown names.

use rhai::{Dynamic, EvalAltResult, FnPtr, Map, Position};
use serde_json::Value;

use super::convert;
use crate::session_state::Callback;

pub struct Options {
    map: Map,
    pos: Position,
}

type Res<T> = Result<T, Box<EvalAltResult>>;

impl Options {
    /// Reads `map`, refusing names outside `allowed` (a typo should not pass silently).
    pub fn new(map: Map, pos: Position, allowed: &[&str]) -> Res<Self> {
        if let Some(unknown) = map.keys().find(|k| !allowed.contains(&k.as_str())) {
            let list = allowed.join(", ");
            return Err(error(format!("unknown option `{unknown}`; this function takes: {list}"), pos));
        }
        Ok(Self { map, pos })
    }

    /// Whether the option is given as `()` (Streamlit's `None`), which `raw` treats as absent.
    pub fn is_unit(&self, name: &str) -> bool {
        self.map.get(name).is_some_and(Dynamic::is_unit)
    }

    /// An error at the call's line.
    pub fn fail(&self, message: String) -> Box<EvalAltResult> {
        error(message, self.pos)
    }

    /// Sets an option the function decides itself (never one the script may give).
    pub fn set(&mut self, name: &str, value: Dynamic) {
        self.map.insert(name.into(), value);
    }

    pub fn raw(&self, name: &str) -> Option<&Dynamic> {
        self.map.get(name).filter(|v| !v.is_unit())
    }

    pub fn string(&self, name: &str) -> Res<Option<String>> {
        match self.raw(name) {
            None => Ok(None),
            Some(v) if v.is_string() => Ok(Some(convert::display(v))),
            Some(v) => Err(self.wrong(name, "a string", v.type_name())),
        }
    }

    pub fn bool(&self, name: &str, default: bool) -> Res<bool> {
        match self.raw(name) {
            None => Ok(default),
            Some(v) => v.as_bool().map_err(|_| self.wrong(name, "true or false", v.type_name())),
        }
    }

    pub fn int(&self, name: &str) -> Res<Option<i64>> {
        match self.raw(name) {
            None => Ok(None),
            Some(v) => v.as_int().map(Some).map_err(|_| self.wrong(name, "a whole number", v.type_name())),
        }
    }

    pub fn float(&self, name: &str) -> Res<Option<f64>> {
        match self.raw(name) {
            None => Ok(None),
            Some(v) => match (v.as_float(), v.as_int()) {
                (Ok(f), _) => Ok(Some(f)),
                (_, Ok(i)) => Ok(Some(i as f64)),
                _ => Err(self.wrong(name, "a number", v.type_name())),
            },
        }
    }

    /// An array of strings; any other value, or an item that is not a string, is an error.
    pub fn strings(&self, name: &str) -> Res<Option<Vec<String>>> {
        let Some(value) = self.raw(name) else { return Ok(None) };
        let Some(list) = value.clone().try_cast::<rhai::Array>() else {
            return Err(self.wrong(name, "an array of strings", value.type_name()));
        };
        if let Some(item) = list.iter().find(|item| !item.is_string()) {
            return Err(self.wrong(name, "an array of strings", &format!("an array holding {}", item.type_name())));
        }
        Ok(Some(list.iter().map(convert::display).collect()))
    }

    /// A map such as `#{ revenue: "number:2" }`.
    pub fn map(&self, name: &str) -> Res<Option<Map>> {
        match self.raw(name) {
            None => Ok(None),
            Some(v) => v.clone().try_cast::<Map>().map(Some).ok_or_else(|| self.wrong(name, "a map", v.type_name())),
        }
    }

    pub fn key(&self) -> Res<Option<String>> {
        self.string("key")
    }

    /// The callback named by `option` (`on_change` or `on_click`) with its `args`.
    pub fn callback(&self, option: &str) -> Res<Option<Callback>> {
        let Some(value) = self.raw(option) else { return Ok(None) };
        let Some(fn_ptr) = value.clone().try_cast::<FnPtr>() else {
            return Err(self.wrong(option, "a function pointer such as Fn(\"name\") or |x| …", value.type_name()));
        };
        let mut args = fn_ptr.curry().iter().map(|v| convert::to_json(v, self.pos)).collect::<Res<Vec<Value>>>()?;
        if let Some(extra) = self.raw("args") {
            let Some(list) = extra.clone().try_cast::<rhai::Array>() else {
                return Err(self.wrong("args", "an array", extra.type_name()));
            };
            for item in &list {
                args.push(convert::to_json(item, self.pos)?);
            }
        }
        Ok(Some(Callback { function: fn_ptr.fn_name().to_owned(), args }))
    }

    fn wrong(&self, name: &str, expected: &str, got: &str) -> Box<EvalAltResult> {
        error(format!("option `{name}` must be {expected}, not {}", got), self.pos)
    }
}

pub fn error(message: String, pos: Position) -> Box<EvalAltResult> {
    EvalAltResult::ErrorRuntime(message.into(), pos).into()
}
