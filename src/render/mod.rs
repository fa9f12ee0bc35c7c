//! Page tree -> HTML through the askama templates in `templates/`. Uses only [`crate::page`].
//!
//! Askama cannot include a template recursively, so each node renders its children through a
//! method and the result is inserted with `|safe` (see `ElementHtml::children`).

use askama::Template;

use crate::page::{AuthFormView, ContainerId, Control, Element, MAIN, Page, SIDEBAR, ScriptError, WidgetView};

/// What every widget form needs to post an event back.
pub struct RenderContext<'a> {
    pub page: &'a str,
    pub csrf: &'a str,
    /// The event URL: `/{page}/event` plus the current query string.
    pub action: String,
}

/// One entry of the page navigation.
pub struct NavLink {
    pub name: String,
    pub label: String,
    pub active: bool,
}

#[derive(Template)]
#[template(path = "page.html")]
struct PageHtml<'a> {
    ctx: &'a RenderContext<'a>,
    title: &'a str,
    root: String,
}

#[derive(Template)]
#[template(path = "root.html")]
struct RootHtml<'a> {
    nav: &'a [NavLink],
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
}

#[derive(Template)]
#[template(path = "widget.html")]
struct WidgetHtml<'a> {
    w: &'a WidgetView,
    ctx: &'a RenderContext<'a>,
}

#[derive(Template)]
#[template(path = "auth_form.html")]
struct AuthFormHtml<'a> {
    f: &'a AuthFormView,
    ctx: &'a RenderContext<'a>,
}

impl AuthFormHtml<'_> {
    /// Auth forms post to `/{page}/auth/{action}`.
    fn action(&self) -> String {
        format!("/{}/auth/{}", self.ctx.page, self.f.action)
    }
}

#[derive(Template)]
#[template(path = "error_page.html")]
struct ErrorPageHtml<'a> {
    title: &'a str,
    message: &'a str,
    back: &'a str,
}

impl ElementHtml<'_> {
    fn children(&self, id: ContainerId) -> String {
        container(self.page, id, self.ctx)
    }

    fn widget(&self, w: &WidgetView) -> String {
        WidgetHtml { w, ctx: self.ctx }.render().unwrap_or_default()
    }

    fn auth_form(&self, f: &AuthFormView) -> String {
        AuthFormHtml { f, ctx: self.ctx }.render().unwrap_or_default()
    }
}

impl WidgetHtml<'_> {
    /// A DOM id for label association, from the widget id (which may hold any characters).
    fn dom_id(&self) -> String {
        let safe: String = self.w.id.chars().map(|c| if c.is_ascii_alphanumeric() { c } else { '-' }).collect();
        format!("w-{safe}")
    }

    /// Forms without JavaScript need an Apply button, except buttons themselves.
    fn needs_apply(&self) -> bool {
        !matches!(self.w.control, Control::Button)
    }
}

fn container(page: &Page, id: ContainerId, ctx: &RenderContext) -> String {
    let mut html = String::new();
    for el in &page.containers[id].children {
        // Rendering into a String cannot fail for these templates (no fallible filters).
        html.push_str(&ElementHtml { el, page, ctx }.render().unwrap_or_default());
        html.push('\n');
    }
    html
}

/// The inner HTML of `#runnel-root`: what an interaction sends back to be morphed in.
pub fn fragment(page: &Page, nav: &[NavLink], ctx: &RenderContext) -> String {
    let root = RootHtml {
        nav,
        sidebar: container(page, SIDEBAR, ctx),
        main: container(page, MAIN, ctx),
        error: &page.error,
        notice: &page.notice,
    };
    root.render().unwrap_or_default()
}

/// A whole HTML document around an already rendered `#runnel-root`.
pub fn document(ctx: &RenderContext, title: &str, root: String) -> String {
    PageHtml { ctx, title, root }.render().unwrap_or_default()
}

/// A small HTML page for a 4xx or 5xx answer.
pub fn error_page(title: &str, message: &str, back: &str) -> String {
    ErrorPageHtml { title, message, back }.render().unwrap_or_default()
}
