//! The id of one request: a trusted proxy's `X-Request-Id` when it is sane, else a fresh one.
//! It is kept for the request's task, so that the error page can name it without every
//! function passing it along; the log lines carry it through the request's tracing span.

use std::future::Future;

/// The header that carries it, in and out.
pub const HEADER: &str = "x-request-id";

/// The longest id taken from a proxy.
const MAX_LEN: usize = 64;

tokio::task_local! {
    static CURRENT: RequestId;
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestId(String);

impl RequestId {
    /// A fresh id: 20 random letters and digits.
    pub fn generate() -> Self {
        use rand::Rng;
        use rand::distr::Alphanumeric;
        Self(rand::rng().sample_iter(&Alphanumeric).take(20).map(char::from).collect())
    }

    /// An id sent by a proxy, if it is 1 to 64 letters, digits, `-`, `_`, `.` or `:` (nothing
    /// that could forge a log line or break out of HTML).
    pub fn parse(text: &str) -> Option<Self> {
        let sane = |c: char| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | ':');
        (!text.is_empty() && text.len() <= MAX_LEN && text.chars().all(sane)).then(|| Self(text.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Runs `work` (the whole request) with this id as the current one.
    pub async fn scope<F: Future>(self, work: F) -> F::Output {
        CURRENT.scope(self, work).await
    }

    /// Runs `work` (rendering an answer outside the request's task) with this id as the current one.
    pub fn sync_scope<T>(self, work: impl FnOnce() -> T) -> T {
        CURRENT.sync_scope(self, work)
    }

    /// The id of the request being answered on this task, if any.
    pub fn current() -> Option<Self> {
        CURRENT.try_with(Clone::clone).ok()
    }
}

impl std::fmt::Display for RequestId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_short_plain_ids_are_taken() {
        assert!(RequestId::parse("req-1:abc_DEF.9").is_some());
        for bad in ["", "a b", "<script>", "line\nbreak", "\"quoted\"", &"x".repeat(65)] {
            assert!(RequestId::parse(bad).is_none(), "{bad:?} was taken");
        }
    }

    #[tokio::test]
    async fn the_id_is_current_inside_its_scope_only() {
        let id = RequestId::generate();
        assert_eq!(id.as_str().len(), 20);
        let inside = id.clone().scope(async { RequestId::current() }).await;
        assert_eq!(inside, Some(id));
        assert_eq!(RequestId::current(), None);
    }
}
