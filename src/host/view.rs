//! Rendering one page for one session: the page tree of a run, the navigation of the
//! registry's pages that the viewer may open (grouped by section), and the session's CSRF
//! token in every form.

use std::collections::BTreeMap;

use crate::page::PageConfig;
use crate::render::{self, Have, NavLink, NavSection, Patch, RenderContext};
use crate::script::live::Snapshot;
use crate::script::{CompiledScript, Gate, Registry, RunOutput};
use crate::session_state::{FragmentRecord, Viewer};

/// Renders one page for one session.
pub struct PageView<'a> {
    pub registry: &'a Registry,
    pub script: &'a CompiledScript,
    pub csrf: &'a str,
    /// The base path in front of every URL the page links or posts to (`""` at the root).
    pub base: &'a str,
    /// Signs the page's media URLs for this session.
    pub media_key: &'a crate::page::MediaKey,
}

impl PageView<'_> {
    fn context(&self, query: &BTreeMap<String, String>) -> RenderContext<'_> {
        let action = format!("{}{}", self.base, page_url(&format!("{}/event", self.script.name), query));
        RenderContext {
            page: self.script.name.as_str(),
            csrf: self.csrf,
            action,
            base: self.base,
            media_key: self.media_key,
        }
    }

    /// The pages `viewer` may open, in navigation order, grouped by section (pages without a
    /// section first). Hidden pages are left out; the current page is marked.
    fn nav(&self, viewer: Option<&Viewer>) -> Vec<NavSection> {
        let mut sections: Vec<NavSection> = vec![NavSection { heading: None, links: vec![] }];
        let listed = self.registry.all().into_iter().filter(|s| listed_for(s, viewer));
        for page in listed {
            let link = NavLink {
                name: page.name.to_string(),
                label: page.title().to_owned(),
                icon: page.meta.icon.clone(),
                active: page.name == self.script.name,
            };
            match sections.iter_mut().find(|s| s.heading == page.meta.section) {
                Some(section) => section.links.push(link),
                None => sections.push(NavSection { heading: page.meta.section.clone(), links: vec![link] }),
            }
        }
        sections.retain(|s| !s.links.is_empty());
        sections
    }

    /// The page's root element: what a fragment answer carries.
    pub fn root(&self, output: &RunOutput, query: &BTreeMap<String, String>) -> String {
        render::fragment(&output.page, &self.nav(output.viewer.as_ref()), &self.context(query))
    }

    /// The changes that turn what the browser holds (`have`) into this run's root (for a
    /// fragment rerun, the fragment's element).
    pub fn patch(&self, output: &RunOutput, query: &BTreeMap<String, String>, have: &Have) -> Patch {
        if let Some(part) = &output.fragment {
            return Patch::of_fragment(have, &output.page, &part.path, &self.context(query));
        }
        Patch::between(have, &output.page, &self.nav(output.viewer.as_ref()), &self.context(query))
    }

    /// The changes from `have` to a page drawn so far by a run that goes on, and what the
    /// browser holds after them.
    pub fn progress(&self, snapshot: &Snapshot, query: &BTreeMap<String, String>, have: &Have) -> (Patch, Have) {
        let nav = self.nav(snapshot.viewer.as_ref());
        Patch::with_result(have, &snapshot.page, &nav, &self.context(query))
    }

    /// Whether the browser holds `part` as its last full run drew it (a rerun of the fragment
    /// alone can then be sent as a patch).
    pub fn holds(&self, part: &FragmentRecord, query: &BTreeMap<String, String>, have: &Have) -> bool {
        let page = crate::page::Page::for_fragment(part.shell.clone(), part.depth);
        have.holds_fragment(&page, &part.path, &self.context(query))
    }

    /// The whole document around a rendered root.
    pub fn document(&self, root: String, config: &PageConfig) -> String {
        let ctx = self.context(&BTreeMap::new());
        render::document(&ctx, config, &self.script.name.label(), root)
    }
}

/// Whether the navigation lists `page` for `viewer`: not hidden, and open to them.
fn listed_for(page: &CompiledScript, viewer: Option<&Viewer>) -> bool {
    !page.meta.hidden && page.meta.access.gate(viewer) == Gate::Open
}

/// The URL of a path with its query.
pub fn page_url(path: &str, query: &BTreeMap<String, String>) -> String {
    if query.is_empty() { format!("/{path}") } else { format!("/{path}?{}", encode_query(query)) }
}

/// Encodes query parameters back into a query string.
pub fn encode_query(query: &BTreeMap<String, String>) -> String {
    serde_urlencoded::to_string(query).unwrap_or_default()
}
