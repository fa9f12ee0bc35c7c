//! Rendering one page for one session: the page tree of a run, the navigation of the
//! registry's pages, and the session's CSRF token in every form.

use std::collections::BTreeMap;

use crate::page::PageConfig;
use crate::render::{self, NavLink, RenderContext};
use crate::script::{CompiledScript, Registry, RunOutput};

/// Renders one page for one session.
pub struct PageView<'a> {
    pub registry: &'a Registry,
    pub script: &'a CompiledScript,
    pub csrf: &'a str,
}

impl PageView<'_> {
    fn context(&self, query: &BTreeMap<String, String>) -> RenderContext<'_> {
        let action = page_url(&format!("{}/event", self.script.name), query);
        RenderContext { page: self.script.name.as_str(), csrf: self.csrf, action }
    }

    fn nav(&self) -> Vec<NavLink> {
        let current = &self.script.name;
        let names = self.registry.names();
        names.into_iter().map(|n| NavLink { label: n.label(), active: &n == current, name: n.to_string() }).collect()
    }

    /// The page's root element: what a fragment answer carries.
    pub fn root(&self, output: &RunOutput, query: &BTreeMap<String, String>) -> String {
        render::fragment(&output.page, &self.nav(), &self.context(query))
    }

    /// The whole document around a rendered root.
    pub fn document(&self, root: String, config: &PageConfig) -> String {
        let ctx = self.context(&BTreeMap::new());
        render::document(&ctx, config, &self.script.name.label(), root)
    }
}

/// The URL of a path with its query.
pub fn page_url(path: &str, query: &BTreeMap<String, String>) -> String {
    if query.is_empty() { format!("/{path}") } else { format!("/{path}?{}", encode_query(query)) }
}

/// Encodes query parameters back into a query string.
pub fn encode_query(query: &BTreeMap<String, String>) -> String {
    serde_urlencoded::to_string(query).unwrap_or_default()
}
