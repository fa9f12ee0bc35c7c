//! `file_uploader`: multipart events on both stores. An uploaded CSV becomes a table; caps per
//! file and per session, a type checked by content, a traversal-looking name, clearing, a
//! plain form without JavaScript, and a logout each leave the state and the store as they say.

use crate::auth_support::AuthApp;
use crate::client::{Answer, Running, Session};
use crate::support::{self, ADMIN, CredentialsFile, RedisServer, ScriptDir, TestApp};
use crate::{StoreKind, both_stores};

both_stores!(
    an_uploaded_csv_becomes_a_table_on_the_page,
    a_plain_multipart_post_without_javascript_works,
    a_file_over_the_servers_per_file_cap_is_refused_with_413_and_nothing_changes,
    a_file_over_the_widgets_max_size_is_refused_and_nothing_changes,
    uploads_past_the_per_session_cap_are_refused_with_413_and_nothing_changes,
    a_file_whose_content_does_not_match_its_extension_is_refused,
    wrong_type_too_many_files_unknown_widget_other_origin_and_files_for_another_widget_are_refused,
    a_traversal_looking_name_is_only_a_display_name_and_nothing_is_written_to_disk,
    clearing_the_widget_drops_the_upload_from_the_store,
    an_uploader_not_drawn_in_a_run_drops_its_upload,
    the_upload_is_gone_from_the_store_after_logout,
);

/// Files as a test sends them: name and content.
type Files<'a> = &'a [(&'a str, &'a [u8])];

const PAGE: &str = "uploads";
const DATA: &str = "file_uploader:Data";
const PICTURES: &str = "file_uploader:Pictures";
const CSV: &[u8] = b"city,units\nBergen,3\nOslo,5\n";
/// The first bytes of every PNG file, then some filler.
const PNG: &[u8] = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR filler";

fn start(kind: StoreKind, tweak: impl FnOnce(&mut runnel::config::Settings)) -> Running {
    let redis = (kind == StoreKind::Redis).then(RedisServer::start);
    let mut settings = support::settings("tests/fixtures/uploads", kind, redis.as_ref());
    tweak(&mut settings);
    Running { app: TestApp::spawn(settings), redis }
}

/// A multipart event as the uploader's form sends it: the CSRF token, the widget, any plain
/// values, and the files as `file` parts.
async fn upload(session: &Session, widget: &str, values: &[&str], files: Files<'_>, fragment: bool) -> Answer {
    upload_from(session, widget, values, files, fragment, None).await
}

/// [`upload`] with an `Origin` header.
async fn upload_from(
    session: &Session,
    widget: &str,
    values: &[&str],
    files: Files<'_>,
    fragment: bool,
    origin: Option<&str>,
) -> Answer {
    const BOUNDARY: &str = "runnel-test-boundary-7d1f";
    let mut body = Vec::new();
    let mut field = |name: &str, file: Option<&str>, bytes: &[u8]| {
        body.extend_from_slice(format!("--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"{name}\"").as_bytes());
        if let Some(file) = file {
            body.extend_from_slice(
                format!("; filename=\"{file}\"\r\nContent-Type: application/octet-stream").as_bytes(),
            );
        }
        body.extend_from_slice(b"\r\n\r\n");
        body.extend_from_slice(bytes);
        body.extend_from_slice(b"\r\n");
    };
    field("csrf", None, session.csrf.as_bytes());
    field("widget", None, widget.as_bytes());
    for value in values {
        field("value", None, value.as_bytes());
    }
    for (name, bytes) in files {
        field("file", Some(name), bytes);
    }
    body.extend_from_slice(format!("--{BOUNDARY}--\r\n").as_bytes());
    let mut request = session
        .client
        .post(format!("{}/{PAGE}/event", session.base))
        .header("content-type", format!("multipart/form-data; boundary={BOUNDARY}"))
        .body(body);
    if fragment {
        request = request.header("X-Runnel-Fragment", "1");
    }
    if let Some(origin) = origin {
        request = request.header("Origin", origin);
    }
    let response = request.send().await.unwrap();
    let (status, headers) = (response.status(), response.headers().clone());
    Answer { status, body: response.text().await.unwrap(), headers }
}

/// The lines the page shows about its uploads.
async fn shown(session: &Session) -> (String, String) {
    let page = session.get(&format!("/{PAGE}")).await;
    let line = |marker: &str| {
        let start = page.body.find(marker).unwrap_or_else(|| panic!("{marker} on the page: {}", page.body));
        page.body[start..].split('<').next().unwrap_or_default().to_owned()
    };
    (line("data: "), line("pictures: "))
}

/// The bytes of uploaded files all sessions in the store hold.
async fn stored_upload_bytes(app: &TestApp) -> u64 {
    app.store.all_data().await.unwrap().iter().map(|d| d.upload_bytes()).sum()
}

async fn opened(running: &Running) -> Session {
    let mut session = Session::new(&running.app);
    session.open(&format!("/{PAGE}")).await;
    session
}

async fn an_uploaded_csv_becomes_a_table_on_the_page(kind: StoreKind) {
    let running = start(kind, |_| {});
    let session = opened(&running).await;
    let answer = upload(&session, DATA, &[], &[("sales.csv", CSV)], true).await;
    assert_eq!(answer.status, 200, "{}", answer.body);
    assert!(answer.body.contains("data: sales.csv 27 text/csv"), "{}", answer.body);
    assert!(answer.body.contains("<td>Bergen</td>") && answer.body.contains("<td>5</td>"), "{}", answer.body);
    let page = session.get(&format!("/{PAGE}")).await;
    assert!(page.body.contains("<td>Oslo</td>"), "the upload stays for the next run");
    assert!(page.body.contains("enctype=\"multipart/form-data\""), "the uploader is a multipart form");
    assert!(page.body.contains("<span class=\"rn-file-name\">sales.csv</span>"));
    assert_eq!(stored_upload_bytes(&running.app).await, CSV.len() as u64, "the file lives with the session");
    let pictures = upload(&session, PICTURES, &[], &[("a.png", PNG), ("b.png", PNG)], true).await;
    assert_eq!(pictures.status, 200, "{}", pictures.body);
    assert_eq!(shown(&session).await.1, "pictures: 2");
}

async fn a_plain_multipart_post_without_javascript_works(kind: StoreKind) {
    let running = start(kind, |_| {});
    let session = opened(&running).await;
    let posted = upload(&session, DATA, &[], &[("plain.csv", CSV)], false).await;
    assert_eq!(posted.status, 303, "a form post without JavaScript is answered with a redirect");
    assert_eq!(shown(&session).await.0, "data: plain.csv 27 text/csv");
    // The form's Clear button, without JavaScript too.
    assert_eq!(upload(&session, DATA, &["clear"], &[], false).await.status, 303);
    assert_eq!(shown(&session).await.0, "data: none");
}

async fn a_file_over_the_servers_per_file_cap_is_refused_with_413_and_nothing_changes(kind: StoreKind) {
    let running = start(kind, |s| s.uploads.max_file_bytes = 100);
    let session = opened(&running).await;
    assert_eq!(upload(&session, DATA, &[], &[("small.csv", CSV)], true).await.status, 200);
    let big = [CSV, &"Tromsø,1\n".as_bytes().repeat(20)].concat();
    let refused = upload(&session, DATA, &[], &[("big.csv", &big)], true).await;
    assert_eq!(refused.status, 413);
    assert!(refused.body.contains("larger than the 100 bytes this server accepts per file"), "{}", refused.body);
    assert_eq!(shown(&session).await.0, "data: small.csv 27 text/csv", "the state is unchanged");
}

async fn a_file_over_the_widgets_max_size_is_refused_and_nothing_changes(kind: StoreKind) {
    let running = start(kind, |_| {});
    let session = opened(&running).await;
    let big = [CSV, &b"Bergen,1\n".repeat(500)].concat();
    let refused = upload(&session, DATA, &[], &[("big.csv", &big)], true).await;
    assert!(refused.status.is_client_error(), "{}", refused.status);
    assert!(refused.body.contains("this uploader takes files of at most 4000 bytes"), "{}", refused.body);
    assert_eq!(shown(&session).await.0, "data: none");
}

async fn uploads_past_the_per_session_cap_are_refused_with_413_and_nothing_changes(kind: StoreKind) {
    let running = start(kind, |s| s.uploads.max_session_bytes = 40);
    let session = opened(&running).await;
    assert_eq!(upload(&session, DATA, &[], &[("sales.csv", CSV)], true).await.status, 200);
    let refused = upload(&session, PICTURES, &[], &[("a.png", PNG)], true).await;
    assert_eq!(refused.status, 413);
    assert!(refused.body.contains("the limit is 40 bytes"), "{}", refused.body);
    assert_eq!(shown(&session).await, ("data: sales.csv 27 text/csv".into(), "pictures: 0".into()));
    // Replacing the one file is counted without the file it replaces.
    assert_eq!(upload(&session, DATA, &[], &[("again.csv", CSV)], true).await.status, 200);
    assert_eq!(stored_upload_bytes(&running.app).await, CSV.len() as u64);
}

async fn a_file_whose_content_does_not_match_its_extension_is_refused(kind: StoreKind) {
    let running = start(kind, |_| {});
    let session = opened(&running).await;
    let text_as_png = upload(&session, PICTURES, &[], &[("photo.png", CSV)], true).await;
    assert!(text_as_png.status.is_client_error());
    assert!(text_as_png.body.contains("is not png"), "{}", text_as_png.body);
    let binary_as_csv = upload(&session, DATA, &[], &[("data.csv", b"\x89PNG\r\n\x1a\n\xff\xfe\x00")], true).await;
    assert!(binary_as_csv.status.is_client_error());
    assert!(binary_as_csv.body.contains("not UTF-8 text"), "{}", binary_as_csv.body);
    assert_eq!(shown(&session).await, ("data: none".into(), "pictures: 0".into()));
    assert_eq!(stored_upload_bytes(&running.app).await, 0);
}

async fn wrong_type_too_many_files_unknown_widget_other_origin_and_files_for_another_widget_are_refused(
    kind: StoreKind,
) {
    let running = start(kind, |_| {});
    let session = opened(&running).await;
    let cases: &[(&str, Files)] = &[
        (DATA, &[("notes.txt", b"hello")]),
        (DATA, &[("a.csv", CSV), ("b.csv", CSV)]),
        ("file_uploader:Nope", &[("a.csv", CSV)]),
        ("slider:Speed", &[("a.csv", CSV)]),
    ];
    for (widget, files) in cases {
        let refused = upload(&session, widget, &[], files, true).await;
        assert!(refused.status.is_client_error(), "{widget}: {}", refused.status);
    }
    let foreign = upload_from(&session, DATA, &[], &[("a.csv", CSV)], true, Some("https://evil.example")).await;
    assert_eq!(foreign.status, 403, "an upload from another origin is refused");
    let own = upload_from(&session, DATA, &[], &[("a.csv", CSV)], true, Some(&running.app.address)).await;
    assert_eq!(own.status, 200, "an upload from the page's own origin is accepted");
    assert_eq!(upload(&session, DATA, &["clear"], &[], true).await.status, 200);
    let forged = Session { csrf: "forged".into(), ..Session::new(&running.app) };
    assert_eq!(upload(&forged, DATA, &[], &[("a.csv", CSV)], true).await.status, 403, "the CSRF token is checked");
    assert_eq!(shown(&session).await, ("data: none".into(), "pictures: 0".into()));
}

async fn a_traversal_looking_name_is_only_a_display_name_and_nothing_is_written_to_disk(kind: StoreKind) {
    let running = start(kind, |_| {});
    let session = opened(&running).await;
    let probe = format!("runnel-upload-probe-{}.csv", std::process::id());
    let name = format!("../../{probe}");
    let answer = upload(&session, DATA, &[], &[(&name, CSV)], true).await;
    assert_eq!(answer.status, 200, "{}", answer.body);
    assert!(answer.body.contains(&format!("data: {probe} 27 text/csv")), "only the base name is shown");
    let passwd = upload(&session, DATA, &[], &[("../../etc/passwd.csv", CSV)], true).await;
    assert!(passwd.body.contains("data: passwd.csv 27"), "{}", passwd.body);
    let scripts = support::repo_path("tests/fixtures/uploads");
    for dir in [std::env::current_dir().unwrap(), scripts, std::env::temp_dir(), "/".into(), "/etc".into()] {
        assert!(!dir.join(&name).exists() && !dir.join(&probe).exists(), "nothing written near {}", dir.display());
    }
    assert!(!std::path::Path::new("/etc/passwd.csv").exists());
}

async fn clearing_the_widget_drops_the_upload_from_the_store(kind: StoreKind) {
    let running = start(kind, |_| {});
    let session = opened(&running).await;
    assert_eq!(upload(&session, DATA, &[], &[("sales.csv", CSV)], true).await.status, 200);
    assert_eq!(stored_upload_bytes(&running.app).await, CSV.len() as u64);
    let cleared = upload(&session, DATA, &["clear"], &[], true).await;
    assert_eq!(cleared.status, 200);
    assert!(cleared.body.contains("data: none"));
    assert_eq!(stored_upload_bytes(&running.app).await, 0, "the store holds no upload any more");
}

async fn an_uploader_not_drawn_in_a_run_drops_its_upload(kind: StoreKind) {
    let running = start(kind, |_| {});
    let session = opened(&running).await;
    assert_eq!(upload(&session, DATA, &[], &[("sales.csv", CSV)], true).await.status, 200);
    assert_eq!(session.send(PAGE, "checkbox:Hide the data uploader", &["true"]).await.status, 200);
    assert_eq!(shown(&session).await.0, "data: hidden");
    assert_eq!(stored_upload_bytes(&running.app).await, 0, "the undrawn uploader's file is gone from the store");
    assert_eq!(session.send(PAGE, "checkbox:Hide the data uploader", &["false"]).await.status, 200);
    assert_eq!(shown(&session).await.0, "data: none", "drawn again, it starts empty");
}

const LOGIN_PAGE: &str = r#"
let auth = authenticator();
let user = auth.login(#{ fields: #{ "Form name": "Upload login" } });
if user != () {
    let data = file_uploader("Data", #{ type: ["csv"] });
    text(if data == () { "data: none" } else { `data: ${data.name}` });
    auth.logout();
}
"#;

async fn the_upload_is_gone_from_the_store_after_logout(kind: StoreKind) {
    let scripts = ScriptDir::with(&[("uploads.rhai", LOGIN_PAGE)]);
    let app = AuthApp::build(kind, CredentialsFile::sample(), Some(scripts), |_| {});
    let mut session = Session::new(&app.app);
    session.open(&format!("/{PAGE}")).await;
    let logged_in = session.login(PAGE, ADMIN).await;
    assert!(logged_in.body.contains("data: none"), "{}", logged_in.body);
    let uploaded = upload(&session, DATA, &[], &[("secret.csv", CSV)], true).await;
    assert!(uploaded.body.contains("data: secret.csv"), "{}", uploaded.body);
    assert_eq!(stored_upload_bytes(&app.app).await, CSV.len() as u64);
    session.logout(PAGE).await;
    assert_eq!(stored_upload_bytes(&app.app).await, 0, "the logout dropped the upload");
    session.login(PAGE, ADMIN).await;
    let again = session.get(&format!("/{PAGE}")).await;
    assert!(again.body.contains("data: none"), "the next login starts without the file");
}
