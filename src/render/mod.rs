//! Page tree -> HTML through the askama templates in `templates/`. Uses only [`crate::page`].
//!
//! Askama cannot include a template recursively, so each node renders its children through a
//! method and the result is inserted with `|safe` (see `ElementHtml::children`).

mod basemap;
mod chart;
mod chart_cache;
pub mod map;
mod media;
pub mod patch;

use askama::Template;

use crate::page::{
    AuthFormView, Celebration, Chart, Container, ContainerId, ContainerKind, Control, Element, MAIN, Page, PageConfig,
    SIDEBAR, ScriptError, WidgetView,
};

pub use chart::svg as chart_svg;
pub use patch::{Have, Patch};

/// What every widget form needs to post an event back.
pub struct RenderContext<'a> {
    pub page: &'a str,
    pub csrf: &'a str,
    /// The event URL: `{base}/{page}/event` plus the current query string.
    pub action: String,
    /// The base path in front of every URL of the host (`""` at the root).
    pub base: &'a str,
    /// Signs the URLs of data-folder media for this session (see [`crate::page::MediaKey`]).
    pub media_key: &'a crate::page::MediaKey,
}

/// One entry of the page navigation.
pub struct NavLink {
    pub name: String,
    pub label: String,
    pub icon: Option<String>,
    pub active: bool,
}

/// The navigation's links of one section (`heading` is `None` for pages without a section).
pub struct NavSection {
    pub heading: Option<String>,
    pub links: Vec<NavLink>,
}

#[derive(Template)]
#[template(path = "page.html")]
struct PageHtml<'a> {
    ctx: &'a RenderContext<'a>,
    title: &'a str,
    /// A `data:` URL of the page icon (`page_config`), if any.
    icon: Option<String>,
    root: String,
}

#[derive(Template)]
#[template(path = "root.html")]
struct RootHtml<'a> {
    ctx: &'a RenderContext<'a>,
    config: &'a PageConfig,
    nav: &'a [NavSection],
    /// The hash of everything outside the page's elements (`data-rn-frame`).
    frame: u64,
    sidebar: String,
    main: String,
    error: &'a Option<ScriptError>,
    notice: &'a Option<ScriptError>,
}

#[derive(Template)]
#[template(path = "element.html")]
struct ElementHtml<'a> {
    el: &'a Element,
    page: &'a Page,
    ctx: &'a RenderContext<'a>,
    /// Inside a form, widgets are fields of the form rather than forms of their own.
    in_form: bool,
    /// The element's stable id (`m.3.1`): a nested container names its children after it.
    path: &'a str,
}

#[derive(Template)]
#[template(path = "container.html")]
struct ContainerHtml<'a> {
    c: &'a Container,
    id: ContainerId,
    page: &'a Page,
    ctx: &'a RenderContext<'a>,
    /// The container's element id, also the `data-rn-slot` of the tag holding its children.
    path: &'a str,
}

#[derive(Template)]
#[template(path = "widget.html")]
struct WidgetHtml<'a> {
    w: &'a WidgetView,
    ctx: &'a RenderContext<'a>,
    in_form: bool,
}

#[derive(Template)]
#[template(path = "auth_form.html")]
struct AuthFormHtml<'a> {
    f: &'a AuthFormView,
    ctx: &'a RenderContext<'a>,
}

impl AuthFormHtml<'_> {
    /// A field's DOM id, unique on the page also when two forms of one action have keys.
    fn field_id(&self, name: &str) -> String {
        let key = self
            .f
            .key
            .as_deref()
            .map(|k| k.chars().map(|c| if c.is_ascii_alphanumeric() { c } else { '-' }).collect::<String>());
        match key {
            Some(key) => format!("auth-{}-key-{key}-{name}", self.f.action),
            None => format!("auth-{}-{name}", self.f.action),
        }
    }

    /// Auth forms post to `{base}/{page}/auth/{action}`.
    fn action(&self) -> String {
        format!("{}/{}/auth/{}", self.ctx.base, self.ctx.page, self.f.action)
    }
}

#[derive(Template)]
#[template(path = "error_page.html")]
struct ErrorPageHtml<'a> {
    /// The base path in front of the stylesheet's URL and the link back.
    base: &'a str,
    title: &'a str,
    message: &'a str,
    back: &'a str,
    request_id: Option<&'a str>,
}

impl ElementHtml<'_> {
    /// A nested container with what it draws around its children.
    fn children(&self, id: ContainerId) -> String {
        let c = &self.page.containers[id];
        ContainerHtml { c, id, page: self.page, ctx: self.ctx, path: self.path }.render().unwrap_or_default()
    }

    fn widget(&self, w: &WidgetView) -> String {
        WidgetHtml { w, ctx: self.ctx, in_form: self.in_form }.render().unwrap_or_default()
    }

    fn chart(&self, chart: &Chart) -> String {
        chart_cache::cached_svg(chart).to_string()
    }

    /// The sizer of an element of fixed width (see [`media::sizer`]).
    fn sizer(&self, width: impl std::borrow::Borrow<crate::page::Width>) -> String {
        media::sizer(*width.borrow())
    }

    fn auth_form(&self, f: &AuthFormView) -> String {
        AuthFormHtml { f, ctx: self.ctx }.render().unwrap_or_default()
    }
}

impl ContainerHtml<'_> {
    fn children(&self, id: &ContainerId) -> String {
        container(self.page, *id, self.path, self.ctx)
    }

    /// A column's share of its row in whole percent (1 to 100), for its `rn-share-N` class: the
    /// Content-Security-Policy allows no `style` attributes, so widths are classes.
    fn share_percent(&self, share: &f64) -> u32 {
        (share * 100.0).round().clamp(1.0, 100.0) as u32
    }

    /// The `i`-th panel of a tab bar, as an element of the tab bar (its `rn-tab-panel`).
    fn tab(&self, i: &usize) -> String {
        match self.c.children.get(*i) {
            Some(el @ Element::Container(_)) => {
                element(self.page, el, &format!("{}.{i}", self.path), self.ctx, self.c.form.is_some())
            }
            _ => String::new(),
        }
    }
}

impl WidgetHtml<'_> {
    /// A DOM id for label association, from the widget id (which may hold any characters).
    fn dom_id(&self) -> String {
        let safe: String = self.w.id.chars().map(|c| if c.is_ascii_alphanumeric() { c } else { '-' }).collect();
        format!("w-{safe}")
    }

    /// Forms without JavaScript need an Apply button, except buttons themselves (and a chat
    /// input, which has its send button).
    fn needs_apply(&self) -> bool {
        !matches!(self.w.control, Control::Button { .. } | Control::Files { .. } | Control::Chat { .. })
    }

    /// A chat input drawn into the main area, pinned to the bottom of the page.
    fn pinned(&self) -> bool {
        matches!(self.w.control, Control::Chat { pinned: true, .. })
    }

    /// A file uploader's form is sent as `multipart/form-data`.
    fn is_upload(&self) -> bool {
        matches!(self.w.control, Control::Files { .. })
    }

    /// Whether a choice widget has nothing chosen (its placeholder then shows).
    fn nothing_chosen(&self) -> bool {
        match &self.w.control {
            Control::Choice { options, .. } => !options.iter().any(|o| o.selected),
            _ => false,
        }
    }

    /// A select_slider's option labels, for the live readout while dragging.
    fn labels_json(&self) -> String {
        match &self.w.control {
            Control::Range { labels, .. } => serde_json::to_string(labels).unwrap_or_default(),
            _ => String::new(),
        }
    }

    /// A slider handle's readout: its value, or a select_slider's option at that index.
    fn range_text(&self, value: &str) -> String {
        match &self.w.control {
            Control::Range { labels, .. } if !labels.is_empty() => {
                value.parse::<usize>().ok().and_then(|i| labels.get(i)).cloned().unwrap_or_default()
            }
            Control::Range { day_zero: Some(first), .. } => day_after(first, value),
            _ => value.to_owned(),
        }
    }

    /// The form field name of the widget's value: its own form's `value`, or `v:{id}` in a form.
    fn field(&self) -> String {
        if self.in_form { format!("v:{}", self.w.id) } else { "value".to_owned() }
    }
}

/// The ISO date `days` (a number as text) after the ISO date `first`.
fn day_after(first: &str, days: &str) -> String {
    let first = chrono::NaiveDate::parse_from_str(first, "%Y-%m-%d").ok();
    let day = first.zip(days.parse::<i64>().ok()).and_then(|(d, n)| d.checked_add_signed(chrono::Duration::days(n)));
    day.map(|d| d.to_string()).unwrap_or_default()
}

/// The children of a container, each on its own line; `path` is the container's id.
fn container(page: &Page, id: ContainerId, path: &str, ctx: &RenderContext) -> String {
    children(page, id, path, 0, ctx)
}

/// The children of a container from index `from` on, as [`container`] writes them.
fn children(page: &Page, id: ContainerId, path: &str, from: usize, ctx: &RenderContext) -> String {
    let mut html = String::new();
    let in_form = page.containers[id].form.is_some();
    for (i, el) in page.containers[id].children.iter().enumerate().skip(from) {
        html.push_str(&element(page, el, &format!("{path}.{i}"), ctx, in_form));
        html.push('\n');
    }
    html
}

/// One element with its id and content hash on its root tag.
fn element(page: &Page, el: &Element, path: &str, ctx: &RenderContext, in_form: bool) -> String {
    // Rendering into a String cannot fail for these templates (no fallible filters).
    let html = ElementHtml { el, page, ctx, in_form, path }.render().unwrap_or_default();
    patch::mark_root(html, path, patch::element_hash(page, el, ctx, in_form))
}

/// The inner HTML of `#runnel-root`: what an interaction sends back to be morphed in.
pub fn fragment(page: &Page, nav: &[NavSection], ctx: &RenderContext) -> String {
    let root = RootHtml {
        ctx,
        config: &page.config,
        nav,
        frame: patch::frame_hash(page, nav, ctx),
        sidebar: container(page, SIDEBAR, patch::SIDEBAR_PATH, ctx),
        main: container(page, MAIN, patch::MAIN_PATH, ctx),
        error: &page.error,
        notice: &page.notice,
    };
    root.render().unwrap_or_default()
}

/// A whole HTML document around an already rendered `#runnel-root`. The page's own title
/// (`page_config`) replaces `label · Runnel`.
pub fn document(ctx: &RenderContext, config: &PageConfig, label: &str, root: String) -> String {
    let title = config.title.clone().unwrap_or_else(|| format!("{label} · Runnel"));
    let icon = config.icon.as_deref().map(icon_url);
    PageHtml { ctx, title: &title, icon, root }.render().unwrap_or_default()
}

/// An SVG favicon that shows `icon` (an emoji or a short text), as a `data:` URL.
fn icon_url(icon: &str) -> String {
    let svg = format!(
        "<svg xmlns='http://www.w3.org/2000/svg' viewBox='0 0 100 100'><text y='.9em' font-size='90'>{}</text></svg>",
        chart::escape(icon)
    );
    let encoded = percent_encoding::utf8_percent_encode(&svg, percent_encoding::NON_ALPHANUMERIC);
    format!("data:image/svg+xml,{encoded}")
}

/// A small HTML page for a 4xx or 5xx answer, naming the request's id when there is one.
/// `back` is a path of the site; `base` the prefix in front of it (`""` at the root).
pub fn error_page(base: &str, title: &str, message: &str, back: &str, request_id: Option<&str>) -> String {
    ErrorPageHtml { base, title, message, back, request_id }.render().unwrap_or_default()
}
