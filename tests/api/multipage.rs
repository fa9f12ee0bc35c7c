//! Multipage apps: the page header (title, icon, section, order, hidden, default), the
//! navigation, access per page (`login:`, `roles:`), `page_link`, `switch_page`, and modules
//! imported from `lib/`.

use crate::auth_support::AuthApp;
use crate::both_stores;
use crate::client::Session;
use crate::support::{ADMIN, CredentialsFile, ScriptDir, StoreKind, TestApp, VIEWER};

both_stores!(
    the_root_opens_the_default_page,
    the_navigation_groups_pages_by_section_in_order_with_titles_and_icons,
    a_hidden_page_is_not_listed_but_opens_by_its_url,
    a_bad_page_header_is_an_error_on_its_page_at_its_line,
    an_anonymous_viewer_of_a_login_page_gets_the_login_form_and_after_logging_in_the_page,
    a_viewer_without_the_role_sees_neither_the_link_nor_the_content_and_the_script_does_not_run,
    events_and_auth_posts_to_a_page_the_viewer_may_not_open_are_refused,
    logging_in_on_a_page_of_another_role_logs_in_and_answers_not_allowed,
    page_link_links_to_a_page_with_its_title_and_icon_or_to_a_web_address,
    a_page_link_or_switch_page_to_an_unknown_page_or_with_an_unknown_option_is_an_error_at_its_line,
    switch_page_redirects_a_page_load_and_tells_the_pages_script_after_an_event,
    a_page_imports_a_module_from_lib_and_nothing_outside_it,
);

/// The pages of a small multipage app (see each test for what it shows).
pub fn app_pages() -> ScriptDir {
    let dir = ScriptDir::with(&[
        (
            "01_home.rhai",
            "//! title: Home\n//! icon: 🏠\ntitle(\"Home body\");\npage_link(\"report\");\n\
             page_link(\"report\", #{ label: \"The numbers\", icon: \"🔢\", help: \"Open the report\" });\n\
             page_link(\"https://example.com/docs\", #{ label: \"Docs\" });\n\
             page_link(\"secret\", #{ disabled: true });\n\
             if button(\"Go to report\") { switch_page(\"report\"); }\n\
             text(`admin ran: ${state.get(\"admin_ran\", false)}`);",
        ),
        (
            "02_report.rhai",
            "//! title: Sales report\n//! icon: 📈\n//! section: Reports\n//! order: 1\ntitle(\"Report body\");",
        ),
        ("03_secret.rhai", "//! hidden: true\ntitle(\"Secret body\");"),
        ("04_welcome.rhai", "//! default: true\n//! section: Reports\n//! order: 5\ntitle(\"Welcome body\");"),
        ("05_members.rhai", "//! login: true\n//! section: Team\ntitle(\"Members body\");"),
        (
            "06_admin.rhai",
            "//! roles: admin\n//! section: Team\nstate.admin_ran = true;\nbutton(\"Danger\");\ntitle(\"Admin body\");",
        ),
        ("bad_header.rhai", "//! title: Fine\n//! colour: red\ntitle(\"never shown\");"),
        ("bad_link.rhai", "title(\"before\");\npage_link(\"nowhere\");"),
        ("bad_option.rhai", "page_link(\"report\", #{ colour: \"red\" });"),
        ("bad_switch.rhai", "\nswitch_page(\"nowhere\");"),
        ("jump.rhai", "switch_page(\"report\");\ntitle(\"never drawn\");"),
        ("imports.rhai", "import \"helpers\" as h;\ntitle(h::greet(\"Ann\"));"),
        ("escape.rhai", "import \"../secret_module\" as s;\ntitle(\"never\");"),
    ]);
    std::fs::create_dir_all(dir.file("lib")).unwrap();
    dir.save("lib/helpers.rhai", "fn greet(name) { `Hello from lib, ${name}` }");
    dir
}

fn start_app(kind: StoreKind) -> AuthApp {
    AuthApp::build(kind, CredentialsFile::sample(), Some(app_pages()), |_| {})
}

/// The navigation part of a page.
fn nav_of(body: &str) -> &str {
    let start = body.find("<nav class=\"rn-nav\"").expect("a navigation");
    &body[start..start + body[start..].find("</nav>").expect("the navigation ends")]
}

async fn the_root_opens_the_default_page(kind: StoreKind) {
    let app = start_app(kind);
    let root = Session::new(&app.app).get("/").await;
    assert!(root.status.is_redirection());
    assert_eq!(root.headers["location"], "/welcome", "the page that says `default: true`");
}

async fn the_navigation_groups_pages_by_section_in_order_with_titles_and_icons(kind: StoreKind) {
    let app = start_app(kind);
    let page = Session::new(&app.app).get("/home").await;
    let nav = nav_of(&page.body);
    let at = |needle: &str| nav.find(needle).unwrap_or_else(|| panic!("the navigation lacks {needle}: {nav}"));
    assert!(at("🏠</span> Home") > 0 && nav.contains("aria-current=\"page\">"), "title, icon and the current page");
    assert!(at("📈</span> Sales report") < at("href=\"/welcome\""), "`order:` sorts the pages");
    assert!(at("rn-nav-heading\">Reports<") < at("href=\"/report\""), "a section has a heading above its pages");
    assert!(at("href=\"/home\"") < at("rn-nav-heading\">Reports<"), "pages without a section come first");
    assert_eq!(nav.matches("rn-nav-heading").count(), 1, "no heading for a section the viewer cannot open");
}

async fn a_hidden_page_is_not_listed_but_opens_by_its_url(kind: StoreKind) {
    let app = start_app(kind);
    let session = Session::new(&app.app);
    assert!(!nav_of(&session.get("/home").await.body).contains("/secret"));
    let secret = session.get("/secret").await;
    assert_eq!(secret.status, 200);
    assert!(secret.body.contains("Secret body"));
}

async fn a_bad_page_header_is_an_error_on_its_page_at_its_line(kind: StoreKind) {
    let app = start_app(kind);
    let page = Session::new(&app.app).get("/bad_header").await;
    assert_eq!(page.status, 200);
    assert!(page.body.contains("Error in bad_header.rhai, line 2"), "{}", page.body);
    assert!(page.body.contains("unknown page header key `colour`"));
    assert!(!page.body.contains("never shown"), "a page whose header is wrong does not run");
}

async fn an_anonymous_viewer_of_a_login_page_gets_the_login_form_and_after_logging_in_the_page(kind: StoreKind) {
    let app = start_app(kind);
    let mut session = Session::new(&app.app);
    assert!(!nav_of(&session.get("/home").await.body).contains("/members"), "not listed before a login");
    let page = session.open("/members").await;
    assert_eq!(page.status, 200);
    assert!(page.body.contains("action=\"/members/auth/login\""), "the login form: {}", page.body);
    assert!(!page.body.contains("Members body"));
    let after = session.login("members", VIEWER).await;
    assert_eq!(after.status, 200);
    assert!(after.body.contains("Members body"), "the rerun after the login runs the page: {}", after.body);
    assert!(nav_of(&session.get("/home").await.body).contains("href=\"/members\""), "listed once logged in");
    session.open("/home").await; // the login gave this browser a new CSRF token
    session.logout("members").await;
    assert!(!session.get("/members").await.body.contains("Members body"), "and gone again after the logout");
}

async fn a_viewer_without_the_role_sees_neither_the_link_nor_the_content_and_the_script_does_not_run(kind: StoreKind) {
    let app = start_app(kind);
    let mut viewer = Session::new(&app.app);
    viewer.open("/members").await;
    viewer.login("members", VIEWER).await;
    assert!(!nav_of(&viewer.get("/home").await.body).contains("/admin"), "no link to a page of another role");
    let admin = viewer.get("/admin").await;
    assert_eq!(admin.status, 403);
    assert!(admin.body.contains("Not allowed"));
    assert!(!admin.body.contains("Admin body"));
    let fragment = viewer.get_fragment("/admin").await;
    assert_eq!(fragment.status, 403);
    assert!(viewer.get("/home").await.body.contains("admin ran: false"), "the admin script never ran");

    // The probe works: for an admin the same page runs and writes the state.
    let mut admin = Session::new(&app.app);
    admin.open("/members").await;
    admin.login("members", ADMIN).await;
    assert!(nav_of(&admin.get("/home").await.body).contains("href=\"/admin\""));
    assert!(admin.get("/admin").await.body.contains("Admin body"));
    assert!(admin.get("/home").await.body.contains("admin ran: true"));
}

async fn events_and_auth_posts_to_a_page_the_viewer_may_not_open_are_refused(kind: StoreKind) {
    let app = start_app(kind);
    let mut viewer = Session::new(&app.app);
    viewer.open("/members").await;
    viewer.login("members", VIEWER).await;
    let event = viewer.click("admin", "button:Danger").await;
    assert_eq!(event.status, 403);
    let form = viewer.auth("admin", "update_user_details", &[("field", "name"), ("new_value", "X")]).await;
    assert_eq!(form.status, 403);
    assert!(viewer.get("/home").await.body.contains("admin ran: false"));

    // Anonymous: an event to a login page shows the login form and applies nothing.
    let mut anonymous = Session::new(&app.app);
    anonymous.open("/home").await;
    let answer = anonymous.click("admin", "button:Danger").await;
    assert!(answer.body.contains("action=\"/admin/auth/login\"") && !answer.body.contains("Admin body"));
    assert!(anonymous.get("/home").await.body.contains("admin ran: false"));
    let register = anonymous.auth("admin", "register_user", &[("username", "x")]).await;
    assert_eq!(register.status, 404, "only the login form is on that page for an anonymous viewer");
}

async fn logging_in_on_a_page_of_another_role_logs_in_and_answers_not_allowed(kind: StoreKind) {
    let app = start_app(kind);
    let mut session = Session::new(&app.app);
    let form = session.open("/admin").await;
    assert!(form.body.contains("action=\"/admin/auth/login\""));
    let answer = session.login("admin", VIEWER).await;
    assert_eq!(answer.status, 403, "{}", answer.body);
    assert!(!answer.body.contains("Admin body"));
    assert!(session.get("/members").await.body.contains("Members body"), "the login itself took place");
    assert!(session.get("/home").await.body.contains("admin ran: false"));
}

async fn page_link_links_to_a_page_with_its_title_and_icon_or_to_a_web_address(kind: StoreKind) {
    let app = start_app(kind);
    let body = Session::new(&app.app).get("/home").await.body;
    assert!(
        body.contains("class=\"rn-page-link\" href=\"/report\"><span class=\"rn-page-icon\" aria-hidden=\"true\">📈</span> Sales report</a>"),
        "the page's own title and icon by default: {body}"
    );
    assert!(body.contains("href=\"/report\" title=\"Open the report\"><span class=\"rn-page-icon\" aria-hidden=\"true\">🔢</span> The numbers</a>"));
    assert!(body.contains("href=\"https://example.com/docs\" target=\"_blank\" rel=\"noopener noreferrer\">Docs</a>"));
    assert!(
        body.contains("class=\"rn-page-link disabled\" aria-disabled=\"true\">Secret</span>"),
        "a disabled link is no link"
    );
}

async fn a_page_link_or_switch_page_to_an_unknown_page_or_with_an_unknown_option_is_an_error_at_its_line(
    kind: StoreKind,
) {
    let app = start_app(kind);
    let session = Session::new(&app.app);
    let link = session.get("/bad_link").await.body;
    assert!(
        link.contains("Error in bad_link.rhai, line 2") && link.contains("there is no page &#34;nowhere&#34;"),
        "{link}"
    );
    let option = session.get("/bad_option").await.body;
    assert!(
        option.contains("Error in bad_option.rhai, line 1") && option.contains("unknown option `colour`"),
        "{option}"
    );
    let switch = session.get("/bad_switch").await;
    assert_eq!(switch.status, 200);
    assert!(switch.body.contains("Error in bad_switch.rhai, line 2"), "{}", switch.body);
}

async fn switch_page_redirects_a_page_load_and_tells_the_pages_script_after_an_event(kind: StoreKind) {
    let app = start_app(kind);
    let mut session = Session::new(&app.app);
    let load = session.get("/jump").await;
    assert_eq!(load.status, 303);
    assert_eq!(load.headers["location"], "/report");
    session.open("/home").await;
    let fragment = session.click("home", "button:Go to report").await;
    assert_eq!(fragment.status, 200);
    assert_eq!(fragment.headers["x-runnel-location"], "/report", "runnel.js follows this header");
    let form = [("csrf", session.csrf.as_str()), ("widget", "button:Go to report"), ("value", "true")];
    let plain = session.post_raw("home", serde_urlencoded::to_string(form).unwrap().into_bytes(), false).await;
    assert_eq!(plain.status, 303, "without JavaScript the form post is redirected: {}", plain.body);
    assert_eq!(plain.headers["location"], "/report");
}

async fn a_page_imports_a_module_from_lib_and_nothing_outside_it(kind: StoreKind) {
    let app = start_app(kind);
    let session = Session::new(&app.app);
    assert!(session.get("/imports").await.body.contains("Hello from lib, Ann"));
    let escape = session.get("/escape").await.body;
    assert!(escape.contains("Error in escape.rhai, line 1") && escape.contains("module names are"), "{escape}");
    assert!(!escape.contains("never"));
    assert_eq!(session.get("/helpers").await.status, 404, "a module is not a page");
}

#[tokio::test]
async fn a_login_page_without_a_credentials_file_is_an_error_on_the_page() {
    let dir = ScriptDir::with(&[("members.rhai", "//! login: true\ntitle(\"Members body\");")]);
    let app = TestApp::spawn(dir.settings(false));
    let page = Session::new(&app).get("/members").await.body;
    assert!(page.contains("no credentials file"), "{page}");
    assert!(!page.contains("Members body"));
}
