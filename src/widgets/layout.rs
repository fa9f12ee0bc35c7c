//! Containers: the sidebar, `container`, `columns`, `tabs`, `expander`, `empty` and `form`.
//! Each returns [`Container`] values whose methods are the element and widget functions.
//! Also `page_config`, which sets the page's title, icon and layout.

use rhai::{Array, Dynamic, Engine, EvalAltResult, ImmutableString, Map, NativeCallContext, Position};

use super::options::{Options, error};
use super::{Container, context, convert, placed};
use crate::page::{ContainerId, ContainerKind, MAX_DEPTH, PageConfig, SIDEBAR};

type Res<T> = Result<T, Box<EvalAltResult>>;

/// Most columns or tabs one call may make.
const MAX_PARTS: usize = 24;

pub fn register(engine: &mut Engine) {
    engine.register_fn("sidebar", || Container { id: SIDEBAR });
    engine.register_fn("clear", |c: &mut Container| context::with(|ctx| ctx.page.clear(c.id)));
    placed!(engine, "container", |t, p| open(t, p, ContainerKind::Plain), ());
    placed!(engine, "empty", |t, p| open(t, p, ContainerKind::Empty), ());
    placed!(engine, "columns", |t, p, n: i64| columns(t, p, vec![1.0; parts(n, p)?]), (count: i64));
    placed!(engine, "columns", |t, p, w: Array| columns(t, p, weights(&w, p)?), (widths: Array));
    placed!(engine, "tabs", tabs, (labels: Array));
    placed!(engine, "expander", |t, p, l: ImmutableString| expander(t, p, l, Map::new()), (label: ImmutableString));
    placed!(engine, "expander", expander, (label: ImmutableString, opts: Map));
    placed!(engine, "form", form, (key: ImmutableString));
    engine.register_fn("page_config", |ctx: NativeCallContext, opts: Map| page_config(ctx.call_position(), opts));
}

/// `page_config(#{ title, icon, layout: "wide" | "centered" })`.
fn page_config(pos: Position, opts: Map) -> Res<()> {
    let opts = Options::new(opts, pos, &["title", "icon", "layout"])?;
    let wide = match opts.string("layout")?.as_deref() {
        None | Some("centered") => false,
        Some("wide") => true,
        Some(other) => return Err(error(format!("layout must be \"wide\" or \"centered\", not {other:?}"), pos)),
    };
    let icon = opts.string("icon")?;
    if icon.as_ref().is_some_and(|i| i.chars().count() > 8) {
        return Err(error("the icon must be an emoji or a few characters".into(), pos));
    }
    let config = PageConfig { title: opts.string("title")?, icon, wide };
    context::with(|c| c.page.config = config)
}

/// Opens one container of `kind` inside `parent`.
fn open(parent: ContainerId, pos: Position, kind: ContainerKind) -> Res<Container> {
    match context::with(|c| c.page.open(parent, kind))? {
        Some(id) => Ok(Container { id }),
        None => Err(error(format!("containers nest at most {MAX_DEPTH} deep"), pos)),
    }
}

/// A row of containers inside a new parent of `kind`, returned as an array.
fn row(parent: ContainerId, pos: Position, kind: ContainerKind, parts: Vec<ContainerKind>) -> Res<Array> {
    let row = open(parent, pos, kind)?;
    parts.into_iter().map(|part| open(row.id, pos, part).map(Dynamic::from)).collect()
}

fn columns(parent: ContainerId, pos: Position, weights: Vec<f64>) -> Res<Array> {
    let total: f64 = weights.iter().sum();
    let parts = weights.into_iter().map(|weight| ContainerKind::Column { weight, share: weight / total }).collect();
    row(parent, pos, ContainerKind::Columns, parts)
}

fn tabs(parent: ContainerId, pos: Position, labels: Array) -> Res<Array> {
    parts(labels.len() as i64, pos)?;
    let labels: Vec<String> = labels.iter().map(convert::display).collect();
    let parts = vec![ContainerKind::Tab; labels.len()];
    row(parent, pos, ContainerKind::Tabs { labels }, parts)
}

fn expander(parent: ContainerId, pos: Position, label: ImmutableString, opts: Map) -> Res<Container> {
    let opts = Options::new(opts, pos, &["expanded"])?;
    let expanded = opts.bool("expanded", false)?;
    open(parent, pos, ContainerKind::Expander { label: label.into(), expanded })
}

fn form(parent: ContainerId, pos: Position, key: ImmutableString) -> Res<Container> {
    let taken = context::with(|c| {
        let taken =
            c.page.containers.iter().any(|k| matches!(&k.kind, ContainerKind::Form { key: k } if k == key.as_str()));
        (c.page.containers[parent].form.clone(), taken)
    })?;
    match taken {
        (Some(outer), _) => Err(error(format!("forms cannot nest: this form is inside the form {outer:?}"), pos)),
        (None, true) => Err(error(format!("two forms share the key {key:?}"), pos)),
        (None, false) => open(parent, pos, ContainerKind::Form { key: key.into() }),
    }
}

/// How many columns or tabs, checked.
fn parts(n: i64, pos: Position) -> Res<usize> {
    match usize::try_from(n) {
        Ok(n) if (1..=MAX_PARTS).contains(&n) => Ok(n),
        _ => Err(error(format!("between 1 and {MAX_PARTS} columns or tabs, not {n}"), pos)),
    }
}

/// Relative column widths: positive numbers.
fn weights(widths: &Array, pos: Position) -> Res<Vec<f64>> {
    parts(widths.len() as i64, pos)?;
    widths
        .iter()
        .map(|w| match (w.as_float(), w.as_int()) {
            (Ok(f), _) if f.is_finite() && f > 0.0 => Ok(f),
            (_, Ok(i)) if i > 0 => Ok(i as f64),
            _ => Err(error(format!("column widths must be positive numbers, not {w}"), pos)),
        })
        .collect()
}
