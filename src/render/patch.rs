//! Element patches: stable ids and content hashes on the rendered elements, and the diff of a
//! new page against what the browser says it holds, so that an interaction sends only the
//! elements that changed.
//!
//! Every element's root tag carries `data-rn-id` (its path: `m` or `s` for the main area or the
//! sidebar, then the index in each container, `m.3.1`) and `data-rn-h` (a hash of the data that
//! determines its HTML, computed before rendering). A container's hash covers its own shell,
//! not its children; the tag holding the children carries `data-rn-slot`. Everything outside
//! the elements (navigation, notice, error, page config) has one hash, `data-rn-frame`.
//!
//! The browser sends what it holds (`X-Runnel-Have: <frame>;<id>:<h>,…;<csrf>`, see [`Have`]).
//! The answer is a [`Patch`]: the digest of that list (`base`), the digest of the new page's
//! list (`version`) and the operations that turn one into the other. The browser applies a patch
//! only when `base` matches what its DOM holds and checks `version` afterwards; a mismatch
//! makes it ask for a full render. Nothing is kept on the server between requests.

use std::cell::RefCell;
use std::collections::HashMap;
use std::hash::Hasher;

use serde::Serialize;
use xxhash_rust::xxh3::Xxh3Default;

use super::{NavSection, RenderContext, children, element, fragment};
use crate::page::{ContainerId, ContainerKind, Element, FRAGMENT_ROOT, MAIN, Page, SIDEBAR};

/// The element id of the main area (its children are `m.0`, `m.1`, …).
pub const MAIN_PATH: &str = "m";
/// The element id of the sidebar.
pub const SIDEBAR_PATH: &str = "s";
/// The longest `X-Runnel-Have` the host reads; the browser leaves a longer one out.
pub const MAX_HAVE_BYTES: usize = 16 * 1024;
/// The content type of a patch answer.
pub const CONTENT_TYPE: &str = "application/vnd.runnel.patch+json";

/// The element hasher: XXH3 with its default seed, the same in every process (never a randomly
/// seeded one), and fast on the kilobytes of a table or a chart.
type ElementHasher = Xxh3Default;

fn hasher() -> ElementHasher {
    Xxh3Default::new()
}

/// The bytes of the value being hashed: serialized here first and then hashed in one call (the
/// hasher's streaming update costs more than the copy when fed each string on its own). One
/// buffer per thread, kept between calls, at most [`KEPT_SCRATCH_BYTES`] once done.
const KEPT_SCRATCH_BYTES: usize = 256 * 1024;

thread_local! {
    static SCRATCH: RefCell<Vec<u8>> = const { RefCell::new(Vec::new()) };
}

/// Feeds `value`'s data to the hasher in bincode's form: numbers as their bytes and strings
/// after their length, so nothing is formatted or escaped (a 200-row table as JSON text cost a
/// fifth of a click's HTTP work). A value bincode cannot write (a map or list of unknown length)
/// goes as JSON, after a marker: the same value always hashes the same way.
fn hash_data<T: Serialize + ?Sized>(h: &mut ElementHasher, value: &T) {
    SCRATCH.with_borrow_mut(|bytes| {
        bytes.clear();
        if bincode::serialize_into(&mut *bytes, value).is_err() {
            bytes.clear();
            h.write_u8(0xfd);
            // Writing into a Vec cannot fail, and the page's types always serialize to JSON.
            let _ = serde_json::to_writer(&mut *bytes, value);
        }
        h.write(bytes);
        if bytes.capacity() > KEPT_SCRATCH_BYTES {
            *bytes = Vec::new();
        }
    });
}

/// A fixed-key hash of any serializable value (the chart cache's key).
pub(super) fn content_hash<T: Serialize + ?Sized>(value: &T) -> u64 {
    let mut h = hasher();
    hash_data(&mut h, value);
    h.finish()
}

fn hash_str(h: &mut ElementHasher, text: &str) {
    h.write(text.as_bytes());
    h.write_u8(0xff);
}

/// The parts of the render context that links use (the page and the base path).
fn hash_context(h: &mut ElementHasher, ctx: &RenderContext) {
    hash_str(h, ctx.page);
    hash_str(h, ctx.base);
}

/// Whether an element's HTML holds a form that posts: its action URL (which carries the
/// page's query) is then part of what it shows. Its CSRF token is not hashed (hashes stay the
/// same across sessions); the browser says which token its forms hold instead (see [`Have`]).
fn posts(page: &Page, el: &Element) -> bool {
    match el {
        Element::Widget(_) | Element::AuthForm(_) => true,
        Element::Container(id) => match &page.containers[*id].kind {
            ContainerKind::Form { .. } => true,
            // A dialog's close button is a form; a timed fragment posts its reruns.
            ContainerKind::Fragment(shell) => shell.dialog.is_some() || shell.every_ms.is_some(),
            _ => false,
        },
        _ => false,
    }
}

/// The hash of what determines an element's HTML. For a container: its shell (kind, form and,
/// for the kinds that write it, its number), not its children.
pub fn element_hash(page: &Page, el: &Element, ctx: &RenderContext, in_form: bool) -> u64 {
    let mut h = hasher();
    hash_context(&mut h, ctx);
    h.write_u8(u8::from(in_form));
    if posts(page, el) {
        hash_str(&mut h, &ctx.action);
    }
    match el {
        Element::Container(id) => {
            let c = &page.containers[*id];
            hash_str(&mut h, "container");
            hash_data(&mut h, &(&c.kind, &c.form));
            if matches!(
                c.kind,
                ContainerKind::Tabs { .. } | ContainerKind::Expander { .. } | ContainerKind::Popover { .. }
            ) {
                h.write_usize(*id);
            }
        }
        other => hash_data(&mut h, other),
    }
    h.finish()
}

/// The hash of everything in `#runnel-root` outside the page's elements.
pub fn frame_hash(page: &Page, nav: &[NavSection], ctx: &RenderContext) -> u64 {
    let mut h = hasher();
    hash_context(&mut h, ctx);
    for section in nav {
        hash_str(&mut h, section.heading.as_deref().unwrap_or("\u{0}"));
        for link in &section.links {
            for part in [link.name.as_str(), link.label.as_str(), link.icon.as_deref().unwrap_or("\u{0}")] {
                hash_str(&mut h, part);
            }
            h.write_u8(u8::from(link.active));
        }
        h.write_u8(0xfe);
    }
    hash_data(&mut h, &(&page.error, &page.notice, &page.config));
    h.finish()
}

/// Puts the element's id and hash on the first tag of its HTML (every element has exactly one
/// root tag; `tests::every_element_renders_one_root_tag` checks it).
pub fn mark_root(mut html: String, path: &str, hash: u64) -> String {
    let Some(open) = html.find('<') else { return html };
    let name_end = html[open + 1..]
        .find(|c: char| c.is_ascii_whitespace() || c == '>' || c == '/')
        .map_or(html.len(), |i| open + 1 + i);
    html.insert_str(name_end, &format!(r#" data-rn-id="{path}" data-rn-h="{hash:016x}""#));
    html
}

/// A short digest of a `Have` list (FNV-1a, 32 bits, as hex); `static/runnel.js` computes the
/// same over the list it collects from its DOM.
pub fn digest(have: &str) -> String {
    let mut h: u32 = 0x811c_9dc5;
    for b in have.bytes() {
        h ^= u32::from(b);
        h = h.wrapping_mul(0x0100_0193);
    }
    format!("{h:08x}")
}

/// What the browser says it shows: the frame hash and each element's hash, by id, and the
/// [`digest`] of the CSRF token its forms hold (when it has forms).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Have {
    frame: u64,
    elements: HashMap<String, u64>,
    csrf: Option<String>,
    /// The element ids in the order sent (document order), for the version after a fragment patch.
    order: Vec<String>,
    /// The digest of the list as sent (frame and elements): a patch names it as its `base`.
    digest: String,
}

impl Have {
    /// Reads `<frame>;<id>:<hash>,<id>:<hash>…[;<csrf digest>]` (hashes as 16 hex digits, the
    /// digest as 8, or nothing for a page without forms). `None` for a malformed or oversized
    /// header: the answer is then a full render.
    pub fn parse(header: &str) -> Option<Self> {
        if header.len() > MAX_HAVE_BYTES {
            return None;
        }
        let (held, csrf) = match header.rsplit_once(';') {
            Some((held, csrf)) if held.contains(';') => (held, csrf),
            _ => (header, ""),
        };
        if !(csrf.is_empty() || csrf.len() == 8 && csrf.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))) {
            return None;
        }
        let csrf = (!csrf.is_empty()).then(|| csrf.to_owned());
        let (frame, list) = held.split_once(';')?;
        let mut elements = HashMap::new();
        let mut order = Vec::new();
        for entry in list.split(',').filter(|e| !e.is_empty()) {
            let (id, hash) = entry.split_once(':')?;
            if !valid_id(id) || elements.insert(id.to_owned(), parse_hash(hash)?).is_some() {
                return None;
            }
            order.push(id.to_owned());
        }
        Some(Self { frame: parse_hash(frame)?, elements, csrf, order, digest: digest(held) })
    }

    /// Whether the browser holds, at `path`, the fragment drawn alone in `page` (its shell as the
    /// page would draw it, and forms with this session's CSRF token): only then can a rerun of
    /// that fragment be sent as a patch.
    pub fn holds_fragment(&self, page: &Page, path: &str, ctx: &RenderContext) -> bool {
        let hash = element_hash(page, &Element::Container(FRAGMENT_ROOT), ctx, false);
        let stale_token = self.csrf.as_ref().is_some_and(|held| *held != digest(ctx.csrf));
        self.elements.get(path) == Some(&hash) && !stale_token
    }

    /// The list after the subtree at `path` was replaced by `fresh` (ids and hashes, in
    /// document order), as the browser will collect it.
    fn listing_with(&self, path: &str, fresh: &[(String, u64)]) -> String {
        let inside = format!("{path}.");
        let mut list: Vec<(String, u64)> = Vec::with_capacity(self.order.len() + fresh.len());
        for id in &self.order {
            if id == path {
                list.extend(fresh.iter().cloned());
            } else if !id.starts_with(&inside) {
                list.push((id.clone(), self.elements[id]));
            }
        }
        listing_of(self.frame, &list)
    }

    /// How many children of `slot` the browser holds (`slot.0`, `slot.1`, … without a gap).
    fn children_of(&self, slot: &str) -> usize {
        (0..).take_while(|i| self.elements.contains_key(&format!("{slot}.{i}"))).count()
    }
}

fn parse_hash(text: &str) -> Option<u64> {
    (text.len() == 16 && text.bytes().all(|b| b.is_ascii_hexdigit())).then(|| u64::from_str_radix(text, 16).ok())?
}

/// `m` or `s`, then dot-separated indexes.
fn valid_id(id: &str) -> bool {
    let mut parts = id.split('.');
    matches!(parts.next(), Some(MAIN_PATH | SIDEBAR_PATH))
        && parts.all(|p| !p.is_empty() && p.len() <= 6 && p.bytes().all(|b| b.is_ascii_digit()))
}

/// An interaction's answer as changes to what the browser holds.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Patch {
    /// The digest of the `Have` this patch applies to.
    pub base: String,
    /// The digest of the page's id and hash list after the patch.
    pub version: String,
    /// The whole `#runnel-root` fragment, when something outside the elements changed (then
    /// `ops` is empty).
    pub frame: Option<String>,
    pub ops: Vec<Op>,
}

/// One change to the browser's elements.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
#[serde(tag = "op", rename_all = "snake_case")]
pub enum Op {
    /// The element with this id becomes `html` (one root tag).
    Replace { id: String, html: String },
    /// New trailing children of a container.
    Append { slot: String, html: String },
    /// A container keeps only its first `count` children.
    Truncate { slot: String, count: usize },
}

impl Patch {
    /// The patch from `have` to `page`. Elements the browser already holds are not rendered.
    pub fn between(have: &Have, page: &Page, nav: &[NavSection], ctx: &RenderContext) -> Self {
        Self::with_result(have, page, nav, ctx).0
    }

    /// [`Patch::between`], and what the browser holds once it applied the patch (the base of
    /// the next patch of a streamed answer).
    pub fn with_result(have: &Have, page: &Page, nav: &[NavSection], ctx: &RenderContext) -> (Self, Have) {
        let frame = frame_hash(page, nav, ctx);
        let hashes = element_hashes(page, ctx);
        let version = digest(&listing_of(frame, &hashes));
        let after = Have {
            frame,
            elements: hashes.iter().cloned().collect(),
            order: hashes.iter().map(|(id, _)| id.clone()).collect(),
            csrf: Some(digest(ctx.csrf)),
            digest: version.clone(),
        };
        // A script error is drawn after the main area's elements: appending there would put
        // new elements after it, so an error is always sent as a whole frame.
        // Forms holding another CSRF token (the session changed) are all drawn again.
        let stale_token = have.csrf.as_ref().is_some_and(|held| *held != digest(ctx.csrf));
        if frame != have.frame || page.error.is_some() || stale_token {
            let frame = Some(fragment(page, nav, ctx));
            return (Self { base: have.digest.clone(), version, frame, ops: Vec::new() }, after);
        }
        let hashes = hashes.into_iter().collect();
        let mut diff = Diff { page, ctx, have, hashes, ops: Vec::new() };
        diff.slot(SIDEBAR, SIDEBAR_PATH);
        diff.slot(MAIN, MAIN_PATH);
        (Self { base: have.digest.clone(), version, frame: None, ops: diff.ops }, after)
    }

    /// Whether applying the patch changes nothing.
    pub fn is_empty(&self) -> bool {
        self.frame.is_none() && self.ops.is_empty() && self.base == self.version
    }
}

impl Patch {
    /// A fragment's rerun as one replacement: `page` holds only the fragment (see
    /// [`Page::for_fragment`]) and `path` is where the browser holds it. The version is the
    /// browser's list with that subtree's entries swapped; a browser that does not hold the
    /// fragment gets a version it cannot reach, and asks for a full render.
    pub fn of_fragment(have: &Have, page: &Page, path: &str, ctx: &RenderContext) -> Self {
        let root = Element::Container(FRAGMENT_ROOT);
        let hash = element_hash(page, &root, ctx, false);
        let mut fresh = vec![(path.to_owned(), hash)];
        hashes_into(page, ctx, FRAGMENT_ROOT, path, &mut fresh);
        let version =
            if have.holds_fragment(page, path, ctx) { digest(&have.listing_with(path, &fresh)) } else { String::new() };
        let html = element(page, &root, path, ctx, false);
        Self { base: have.digest.clone(), version, frame: None, ops: vec![Op::Replace { id: path.to_owned(), html }] }
    }
}

/// The `Have` list of a page as the browser collects it from the DOM: the frame hash, then
/// every element in document order (the sidebar comes first).
pub fn listing(page: &Page, ctx: &RenderContext, frame: u64) -> String {
    listing_of(frame, &element_hashes(page, ctx))
}

fn listing_of(frame: u64, hashes: &[(String, u64)]) -> String {
    let list: Vec<String> = hashes.iter().map(|(id, hash)| format!("{id}:{hash:016x}")).collect();
    format!("{frame:016x};{}", list.join(","))
}

/// Every element's id and hash, in document order.
fn element_hashes(page: &Page, ctx: &RenderContext) -> Vec<(String, u64)> {
    let mut out = Vec::new();
    for (root, path) in [(SIDEBAR, SIDEBAR_PATH), (MAIN, MAIN_PATH)] {
        hashes_into(page, ctx, root, path, &mut out);
    }
    out
}

fn hashes_into(page: &Page, ctx: &RenderContext, id: ContainerId, path: &str, out: &mut Vec<(String, u64)>) {
    let in_form = page.containers[id].form.is_some();
    for (i, el) in page.containers[id].children.iter().enumerate() {
        let child = format!("{path}.{i}");
        out.push((child.clone(), element_hash(page, el, ctx, in_form)));
        if let Element::Container(inner) = el {
            hashes_into(page, ctx, *inner, &child, out);
        }
    }
}

/// Walks the new page against the browser's list, collecting operations.
struct Diff<'a> {
    page: &'a Page,
    ctx: &'a RenderContext<'a>,
    have: &'a Have,
    /// The new page's hashes by element id.
    hashes: HashMap<String, u64>,
    ops: Vec<Op>,
}

impl Diff<'_> {
    /// The children of container `id` (element id `path`) against the browser's children.
    fn slot(&mut self, id: ContainerId, path: &str) {
        let container = &self.page.containers[id];
        let in_form = container.form.is_some();
        let held = self.have.children_of(path);
        for (i, el) in container.children.iter().enumerate().take(held) {
            let child = format!("{path}.{i}");
            let hash = self.hashes.get(&child);
            if self.have.elements.get(&child) != hash || self.needs_whole(el, &child) {
                let html = element(self.page, el, &child, self.ctx, in_form);
                self.ops.push(Op::Replace { id: child, html });
            } else if let Element::Container(inner) = el {
                self.slot(*inner, &child);
            }
        }
        let count = container.children.len();
        if count > held {
            let html = children(self.page, id, path, held, self.ctx);
            self.ops.push(Op::Append { slot: path.to_owned(), html });
        } else if count < held {
            self.ops.push(Op::Truncate { slot: path.to_owned(), count });
        }
    }

    /// A tab bar has no slot of its own (its panels sit between their labels): when the
    /// number of its panels changed, it is replaced whole.
    fn needs_whole(&self, el: &Element, path: &str) -> bool {
        match el {
            Element::Container(id) if matches!(self.page.containers[*id].kind, ContainerKind::Tabs { .. }) => {
                self.have.children_of(path) != self.page.containers[*id].children.len()
            }
            _ => false,
        }
    }
}

#[cfg(test)]
mod tests;
