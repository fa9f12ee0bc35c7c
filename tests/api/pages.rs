//! Pages, navigation, names, rendering and escaping.

use crate::client::{Session, start, start_with};
use crate::{StoreKind, both_stores};

both_stores!(
    the_root_opens_the_first_page_and_every_script_is_in_the_navigation,
    page_names_that_are_not_scripts_get_404,
    a_compile_error_shows_in_the_page_with_its_line_and_source,
    a_runtime_error_keeps_what_was_drawn_before_it,
    script_text_is_escaped_everywhere,
    the_session_cookie_is_http_only,
    health_and_readiness_answer,
);

async fn the_root_opens_the_first_page_and_every_script_is_in_the_navigation(kind: StoreKind) {
    let running = start(kind);
    let mut session = Session::new(&running.app);
    let root = session.get("/").await;
    assert!(root.status.is_redirection());
    assert_eq!(root.headers["location"], "/hello");
    let page = session.open("/hello").await;
    assert_eq!(page.status, 200);
    for link in ["href=\"/hello\"", "href=\"/counter\"", "href=\"/sales\""] {
        assert!(page.body.contains(link), "navigation lacks {link}");
    }
    assert!(page.body.contains("/static/runnel.js"));
    assert_eq!(session.get("/static/idiomorph.js").await.status, 200);
}

async fn page_names_that_are_not_scripts_get_404(kind: StoreKind) {
    let running = start(kind);
    let session = Session::new(&running.app);
    for path in ["/nope", "/..%2F..%2Fetc%2Fpasswd", "/hello.rhai", "/.hidden", "/a%00b", "/static/../Cargo.toml"] {
        let answer = session.get(path).await;
        assert_eq!(answer.status, 404, "{path} should be 404");
    }
}

async fn a_compile_error_shows_in_the_page_with_its_line_and_source(kind: StoreKind) {
    let running = start_with("tests/fixtures", kind);
    let page = Session::new(&running.app).get("/broken").await;
    assert_eq!(page.status, 200);
    assert!(page.body.contains("Error in broken.rhai, line 2, column"), "{}", page.body);
    assert!(page.body.contains("let x = ;"));
    assert!(page.body.contains('^'));
    assert!(!page.body.contains(env!("CARGO_MANIFEST_DIR")), "no server paths in pages");
}

async fn a_runtime_error_keeps_what_was_drawn_before_it(kind: StoreKind) {
    let running = start_with("tests/fixtures", kind);
    let page = Session::new(&running.app).get("/crash").await;
    assert!(page.body.contains("Drawn before the error"));
    assert!(page.body.contains("Error in crash.rhai, line 3"));
    assert!(page.body.contains("no_such_function"));
    assert!(!page.body.contains("never"));
    assert!(!page.body.contains("panicked") && !page.body.contains("src/"), "no Rust internals in pages");
}

async fn script_text_is_escaped_everywhere(kind: StoreKind) {
    let running = start_with("tests/fixtures", kind);
    let page = Session::new(&running.app).get("/escape").await;
    let body = &page.body;
    for raw in ["<script>alert", "<img src=x", "<b onmouseover", "<td onclick", "<th>", "javascript:alert"] {
        assert!(!body.contains(raw), "{raw} reached the page unescaped");
    }
    assert!(body.contains("&#60;script&#62;alert(&#39;title&#39;)&#60;/script&#62;"), "the title is shown as text");
    assert!(body.contains("<strong>bold</strong>"), "markdown is still rendered");
}

async fn the_session_cookie_is_http_only(kind: StoreKind) {
    let running = start(kind);
    let page = Session::new(&running.app).get("/hello").await;
    let cookie = page.headers["set-cookie"].to_str().unwrap().to_owned();
    assert!(cookie.starts_with("runnel_session="));
    assert!(cookie.contains("HttpOnly"));
    assert!(cookie.contains("SameSite=Lax"));
}

async fn health_and_readiness_answer(kind: StoreKind) {
    let running = start(kind);
    let session = Session::new(&running.app);
    assert_eq!(session.get("/healthz").await.status, 200);
    assert_eq!(session.get("/readyz").await.status, 200);
}
