//! The dashboard building blocks through the headless harness: layout containers and forms,
//! data elements, charts, data files and the cache. No HTTP and no store.

mod chart_types;
mod charts;
mod chat;
mod data;
mod forms;
mod fragments;
mod frames;
mod layout;
mod sources;
mod sql;
mod status;
mod text;
mod widths;

use std::path::PathBuf;

use runnel::harness::AppTest;
use runnel::page::{ContainerKind, Element, Page};

/// Runs `source` and insists that it ran without an error.
pub fn run_ok(source: &str) -> AppTest {
    let app = AppTest::from_source(source);
    assert!(app.page().error.is_none(), "the script failed: {:?}", app.page().error);
    app
}

/// The message of the error the page shows.
pub fn error_message(app: &AppTest) -> String {
    app.page().error.as_ref().expect("the page shows an error").message.clone()
}

/// The nested containers of a page with their kinds, in drawing order.
pub fn container_kinds(page: &Page) -> Vec<&ContainerKind> {
    page.walk()
        .into_iter()
        .filter_map(|e| match e {
            Element::Container(id) => Some(&page.containers[*id].kind),
            _ => None,
        })
        .collect()
}

/// The texts drawn directly into container `id`.
pub fn texts_in(page: &Page, id: usize) -> Vec<String> {
    page.containers[id].children.iter().filter_map(Element::text).collect()
}

/// What the host renders a test page with: page `test`, CSRF token `token`, at the root.
pub fn render_context(media_key: &runnel::page::MediaKey) -> runnel::render::RenderContext<'_> {
    runnel::render::RenderContext { page: "test", csrf: "token", action: "/test/event".into(), base: "", media_key }
}

/// The page rendered as the host would (a fragment of `#runnel-root`).
pub fn html_of(page: &Page) -> String {
    runnel::render::fragment(page, &[], &render_context(&Default::default()))
}

/// [`html_of`] without the element ids, hashes and slots that patches address elements by.
pub fn markup_of(page: &Page) -> String {
    let mut html = html_of(page);
    for mark in [" data-rn-id=\"", " data-rn-h=\"", " data-rn-slot=\""] {
        while let Some(start) = html.find(mark) {
            let value_end = html[start + mark.len()..].find('"').map_or(html.len(), |i| start + mark.len() + i + 1);
            html.replace_range(start..value_end, "");
        }
    }
    html
}

/// A data folder of its own with the given files, removed on drop.
pub struct DataDir(pub PathBuf);

impl DataDir {
    pub fn with(files: &[(&str, &str)]) -> Self {
        static N: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
        let n = N.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let root = std::env::temp_dir().join(format!("runnel-data-{}-{n}", std::process::id()));
        let _ = std::fs::remove_dir_all(&root);
        std::fs::create_dir_all(root.join("data")).unwrap();
        for (name, body) in files {
            std::fs::write(root.join("data").join(name), body).unwrap();
        }
        Self(root)
    }

    pub fn path(&self) -> PathBuf {
        self.0.join("data")
    }
}

impl Drop for DataDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}
