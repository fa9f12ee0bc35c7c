//! The path prefix the host is served under (`--base-path /apps/sales`), like Streamlit's
//! `server.baseUrlPath`: every route answers under it, every URL the host writes carries it,
//! and the cookies are scoped to it. It is kept for the request's task too, so that an error
//! page (rendered far from the app's state) links back under it.

use std::future::Future;
use std::sync::Arc;

tokio::task_local! {
    static CURRENT: BasePath;
}

/// `""` (served at the root) or `/apps/sales`: starts with `/`, no trailing `/`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BasePath(Arc<str>);

/// The characters a segment may hold: URL-safe without escaping, nothing a proxy or a
/// cookie's `Path` could read differently.
fn is_safe(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | '~')
}

impl BasePath {
    /// The root: no prefix.
    pub fn root() -> Self {
        Self::default()
    }

    /// A prefix from the settings: `/` (or nothing) is the root; otherwise it starts with `/`,
    /// does not end with `/`, and each segment is letters, digits, `-`, `_`, `.` or `~` (not
    /// `.` or `..`).
    pub fn parse(text: &str) -> Result<Self, String> {
        let text = text.trim();
        if text.is_empty() || text == "/" {
            return Ok(Self::root());
        }
        if !text.starts_with('/') {
            return Err(format!("base_path {text:?} must start with `/`, e.g. /apps/sales"));
        }
        if text.ends_with('/') {
            return Err(format!("base_path {text:?} must not end with `/`: write {:?}", text.trim_end_matches('/')));
        }
        for segment in text[1..].split('/') {
            if segment.is_empty() || segment == "." || segment == ".." || !segment.chars().all(is_safe) {
                return Err(format!(
                    "base_path {text:?}: each part between `/` must be letters, digits, `-`, `_`, `.` or `~` \
                     (and not `.` or `..`)"
                ));
            }
        }
        Ok(Self(Arc::from(text)))
    }

    /// The prefix itself: `""` at the root.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn is_root(&self) -> bool {
        self.0.is_empty()
    }

    /// The URL of a path of the site (`/counter` -> `/apps/sales/counter`).
    pub fn url(&self, site_path: &str) -> String {
        format!("{}{site_path}", self.0)
    }

    /// The `Path` of the host's cookies: the prefix, or `/` at the root.
    pub fn cookie_path(&self) -> &str {
        if self.is_root() { "/" } else { &self.0 }
    }

    /// A request path without the prefix (`/apps/sales/counter` -> `/counter`), if it is under it.
    pub fn strip<'a>(&self, path: &'a str) -> Option<&'a str> {
        let rest = path.strip_prefix(&*self.0)?;
        (rest.is_empty() || rest.starts_with('/')).then_some(rest)
    }

    /// Runs `work` (the whole request) with this prefix as the current one.
    pub async fn scope<F: Future>(self, work: F) -> F::Output {
        CURRENT.scope(self, work).await
    }

    /// Runs `work` (rendering an answer outside the request's task) with this prefix as the current one.
    pub fn sync_scope<T>(self, work: impl FnOnce() -> T) -> T {
        CURRENT.sync_scope(self, work)
    }

    /// The prefix of the request being answered on this task (the root outside a request).
    pub fn current() -> Self {
        CURRENT.try_with(Clone::clone).unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_prefix_starts_with_a_slash_and_has_only_safe_segments() {
        assert_eq!(BasePath::parse("/apps/sales").unwrap().as_str(), "/apps/sales");
        assert_eq!(BasePath::parse("/a-b_c.d~e").unwrap().as_str(), "/a-b_c.d~e");
        assert!(BasePath::parse("").unwrap().is_root());
        assert!(BasePath::parse("/").unwrap().is_root());
        for bad in ["apps", "/apps/", "/apps//sales", "/apps/../x", "/./x", "/a b", "/a?b", "/a%20b", "/a;b", "/ä"] {
            assert!(BasePath::parse(bad).is_err(), "{bad:?} was accepted");
        }
    }

    #[test]
    fn urls_and_cookies_carry_the_prefix() {
        let base = BasePath::parse("/apps/sales").unwrap();
        assert_eq!(base.url("/counter"), "/apps/sales/counter");
        assert_eq!(base.cookie_path(), "/apps/sales");
        assert_eq!(BasePath::root().url("/counter"), "/counter");
        assert_eq!(BasePath::root().cookie_path(), "/");
    }

    #[test]
    fn only_paths_under_the_prefix_are_stripped() {
        let base = BasePath::parse("/apps/sales").unwrap();
        assert_eq!(base.strip("/apps/sales/healthz"), Some("/healthz"));
        assert_eq!(base.strip("/apps/sales"), Some(""));
        assert_eq!(base.strip("/apps/salesman/healthz"), None);
        assert_eq!(base.strip("/healthz"), None);
        assert_eq!(BasePath::root().strip("/healthz"), Some("/healthz"));
    }
}
