//! `secrets`: the secrets file as scripts read it (`secrets.api_key`, `secrets.db.password`,
//! `secrets.get("name", default)`, `secrets.contains("name")`, `secrets.keys()`), like
//! Streamlit's `st.secrets`. A missing name is an error at its line that lists the names there
//! are. Printing the table shows its names, never its values; it is not kept in `state`.

use rhai::{Array, Dynamic, Engine, EvalAltResult, ImmutableString, NativeCallContext, Position};

use super::context;
use super::options::error;
use crate::services::SecretTable;

type Res<T> = Result<T, Box<EvalAltResult>>;

/// A table of the secrets file as scripts hold it: the file or one of its `[sections]`.
#[derive(Clone)]
pub struct Secrets {
    table: SecretTable,
    /// Where this table sits in the file (`""` for the file, `"db."` for `[db]`), for messages.
    prefix: String,
    /// Why the file could not be read: every lookup fails with it.
    problem: Option<String>,
}

impl Secrets {
    /// A table without secrets (what editors are told `secrets` is).
    pub fn empty() -> Self {
        Self { table: SecretTable::default(), prefix: String::new(), problem: None }
    }
}

/// The value of the name `secrets` in the current run.
pub fn resolve() -> Res<Dynamic> {
    let read = context::with(|c| c.services.as_mut().map(|s| s.secrets()))?;
    let secrets = match read {
        Some(Ok(table)) => Secrets { table, ..Secrets::empty() },
        Some(Err(problem)) => Secrets { problem: Some(problem), ..Secrets::empty() },
        None => Secrets::empty(),
    };
    Ok(Dynamic::from(secrets))
}

pub fn register(engine: &mut Engine) {
    engine.register_type_with_name::<Secrets>("Secrets");
    engine.register_indexer_get(|ctx: NativeCallContext, s: &mut Secrets, name: ImmutableString| {
        s.lookup(&name, ctx.call_position())?.ok_or_else(|| s.missing(&name, ctx.call_position()))
    });
    engine.register_fn("get", |ctx: NativeCallContext, s: &mut Secrets, name: ImmutableString, default: Dynamic| {
        Ok::<_, Box<EvalAltResult>>(s.lookup(&name, ctx.call_position())?.unwrap_or(default))
    });
    engine.register_fn("contains", |ctx: NativeCallContext, s: &mut Secrets, name: ImmutableString| {
        Ok::<_, Box<EvalAltResult>>(s.lookup(&name, ctx.call_position())?.is_some())
    });
    engine
        .register_fn("keys", |s: &mut Secrets| s.table.names().map(|n| Dynamic::from(n.to_owned())).collect::<Array>());
    // Names only: a secret shows in a page only when a script writes the value itself.
    engine.register_fn("to_string", |s: &mut Secrets| s.shown());
    engine.register_fn("to_debug", |s: &mut Secrets| s.shown());
}

impl Secrets {
    fn lookup(&self, name: &str, pos: Position) -> Res<Option<Dynamic>> {
        if let Some(problem) = &self.problem {
            return Err(error(problem.clone(), pos));
        }
        Ok(self.table.get(name).map(|value| self.value(name, value)))
    }

    fn value(&self, name: &str, value: &toml::Value) -> Dynamic {
        match value {
            toml::Value::String(text) => Dynamic::from(text.clone()),
            toml::Value::Integer(i) => Dynamic::from(*i),
            toml::Value::Float(f) => Dynamic::from(*f),
            toml::Value::Boolean(b) => Dynamic::from(*b),
            toml::Value::Datetime(d) => Dynamic::from(d.to_string()),
            toml::Value::Array(items) => {
                Dynamic::from(items.iter().map(|item| self.value(name, item)).collect::<Array>())
            }
            toml::Value::Table(table) => Dynamic::from(Self {
                table: SecretTable::new(table.clone()),
                prefix: format!("{}{name}.", self.prefix),
                problem: None,
            }),
        }
    }

    fn missing(&self, name: &str, pos: Position) -> Box<EvalAltResult> {
        let names: Vec<&str> = self.table.names().collect();
        let there = if names.is_empty() {
            "there are none here (README \"Secrets\" shows the file)".to_owned()
        } else {
            format!("the names here are: {}", names.join(", "))
        };
        error(format!("there is no secret `{}{name}`; {there}", self.prefix), pos)
    }

    fn shown(&self) -> String {
        let names: Vec<&str> = self.table.names().collect();
        format!("secrets({})", names.join(", "))
    }
}
