//! Moving between pages: `page_link(page, #{ label, icon, disabled, help })` draws a link to a
//! page of the app (or an http(s) address), and `switch_page(page)` ends the run and sends the
//! browser to another page. An unknown page is an error at its line.

use rhai::{Engine, EvalAltResult, ImmutableString, Map, Position};

use super::context::{self, STOP};
use super::display::draw;
use super::options::{Options, error};
use super::placed;
use crate::page::{ContainerId, Element, PageEntry, PageLink};

type Res<T = ()> = Result<T, Box<EvalAltResult>>;

const LINK_OPTIONS: &[&str] = &["label", "icon", "disabled", "help"];

pub fn register(engine: &mut Engine) {
    placed!(engine, "page_link", |t, p, page: ImmutableString| page_link(t, p, &page, Map::new()), (page: ImmutableString));
    placed!(engine, "page_link", |t, p, page: ImmutableString, options: Map| page_link(t, p, &page, options), (page: ImmutableString, options: Map));
    rhai::FuncRegistration::new("switch_page")
        .with_params_info(["page: &str", "?"])
        .register_into_engine(engine, |ctx: rhai::NativeCallContext, page: ImmutableString| -> Res {
            switch_page(ctx.call_position(), &page)
        });
}

fn page_link(target: ContainerId, pos: Position, page: &str, options: Map) -> Res {
    let options = Options::new(options, pos, LINK_OPTIONS)?;
    let external = page.starts_with("https://") || page.starts_with("http://");
    let (href, default_label, default_icon) = if external {
        (page.to_owned(), page.to_owned(), None)
    } else {
        let entry = find_page(page, pos)?;
        (format!("/{}", entry.name), entry.title, entry.icon)
    };
    let link = PageLink {
        href,
        label: options.string("label")?.unwrap_or(default_label),
        icon: options.string("icon")?.or(default_icon),
        help: options.string("help")?,
        disabled: options.bool("disabled", false)?,
        external,
    };
    draw(target, Element::PageLink(Box::new(link)))
}

fn switch_page(pos: Position, page: &str) -> Res {
    let entry = find_page(page, pos)?;
    context::with(|c| c.switch_to = Some(format!("/{}", entry.name)))?;
    Err(context::end_run(STOP, pos))
}

/// The page named `page` (a page name, as in its URL), or an error at the call.
fn find_page(page: &str, pos: Position) -> Res<PageEntry> {
    let found = context::with(|c| c.pages.iter().find(|p| p.name == page).cloned())?;
    found.ok_or_else(|| {
        error(format!("there is no page {page:?} (page names are the script names, as in the URL)"), pos)
    })
}
