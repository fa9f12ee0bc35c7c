//! Containers: the sidebar, `container`, `columns`, `tabs`, `expander`, `popover`, `empty` and
//! `form`. Each returns [`Container`] values whose methods are the element and widget functions.
//! Also `space`, blank room between elements, and `page_config`, which sets the page's title,
//! icon and layout.

use rhai::{Array, Dynamic, Engine, EvalAltResult, ImmutableString, Map, NativeCallContext, Position};

use super::options::{Options, error};
use super::{Container, context, convert, placed};
use crate::page::{
    ContainerId, ContainerKind, Element, Gap, MAX_DEPTH, PageConfig, RowLayout, SIDEBAR, SpaceSize, VerticalAlign,
};

type Res<T> = Result<T, Box<EvalAltResult>>;

/// Most columns or tabs one call may make.
const MAX_PARTS: usize = 24;

pub fn register(engine: &mut Engine) {
    engine.register_fn("sidebar", || Container { id: SIDEBAR });
    engine.register_fn("clear", |c: &mut Container| context::with(|ctx| ctx.page.clear(c.id)));
    placed!(engine, "container", |t, p| open(t, p, ContainerKind::Plain), ());
    placed!(engine, "empty", |t, p| open(t, p, ContainerKind::Empty), ());
    placed!(engine, "columns", |t, p, n: i64| columns(t, p, vec![1.0; parts(n, p)?], Map::new()), (count: i64));
    placed!(engine, "columns", |t, p, w: Array| columns(t, p, weights(&w, p)?, Map::new()), (widths: Array));
    placed!(engine, "columns", |t, p, n: i64, o: Map| columns(t, p, vec![1.0; parts(n, p)?], o), (count: i64, opts: Map));
    placed!(engine, "columns", |t, p, w: Array, o: Map| columns(t, p, weights(&w, p)?, o), (widths: Array, opts: Map));
    placed!(engine, "popover", |t, p, l: ImmutableString| popover(t, p, l, Map::new()), (label: ImmutableString));
    placed!(engine, "popover", popover, (label: ImmutableString, opts: Map));
    placed!(engine, "space", |t, p| space(t, p, ImmutableString::from("small").into()), ());
    placed!(engine, "space", space, (size: Dynamic));
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

/// `columns(spec, #{ gap: "small" | "medium" | "large", vertical_alignment: "top" | "center" | "bottom" })`.
fn columns(parent: ContainerId, pos: Position, weights: Vec<f64>, opts: Map) -> Res<Array> {
    let opts = Options::new(opts, pos, &["gap", "vertical_alignment"])?;
    let layout = RowLayout {
        gap: named(&opts, "gap", Gap::NAMES, Gap::parse)?.unwrap_or_default(),
        align: named(&opts, "vertical_alignment", VerticalAlign::NAMES, VerticalAlign::parse)?.unwrap_or_default(),
    };
    let total: f64 = weights.iter().sum();
    let parts = weights.into_iter().map(|weight| ContainerKind::Column { weight, share: weight / total }).collect();
    row(parent, pos, ContainerKind::Columns(layout), parts)
}

/// An option that takes one of a few names.
fn named<T>(opts: &Options, key: &str, names: &[&str], parse: fn(&str) -> Option<T>) -> Res<Option<T>> {
    let Some(text) = opts.string(key)? else { return Ok(None) };
    match parse(&text) {
        Some(value) => Ok(Some(value)),
        None => Err(opts.fail(format!("option `{key}` must be one of {names:?}, not {text:?}"))),
    }
}

/// `popover(label, #{ help, disabled, use_container_width })`: a button that opens a panel.
fn popover(parent: ContainerId, pos: Position, label: ImmutableString, opts: Map) -> Res<Container> {
    let opts = Options::new(opts, pos, &["help", "disabled", "use_container_width"])?;
    let kind = ContainerKind::Popover {
        label: label.into(),
        help: opts.string("help")?,
        disabled: opts.bool("disabled", false)?,
        full_width: opts.bool("use_container_width", false)?,
    };
    open(parent, pos, kind)
}

/// Most pixels one `space` may take.
const MAX_SPACE_PX: i64 = 2000;

/// `space(size)`: "small", "medium", "large" or a number of pixels.
fn space(target: ContainerId, pos: Position, size: Dynamic) -> Res<()> {
    let size = if let Ok(px) = size.as_int() {
        match u16::try_from(px) {
            Ok(px) if i64::from(px) <= MAX_SPACE_PX => SpaceSize::Pixels(px),
            _ => return Err(error(format!("space takes 0 to {MAX_SPACE_PX} pixels, not {px}"), pos)),
        }
    } else {
        match convert::display(&size).as_str() {
            "small" => SpaceSize::Small,
            "medium" => SpaceSize::Medium,
            "large" => SpaceSize::Large,
            other => {
                let message = format!("space takes \"small\", \"medium\", \"large\" or pixels, not {other:?}");
                return Err(error(message, pos));
            }
        }
    };
    context::with(|c| c.page.push(target, Element::Space(size)))
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
