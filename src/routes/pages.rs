//! Dashboard pages: `GET /` opens the default page, `GET /{page}` runs and renders a page, and
//! `POST /{page}/event` applies one interaction and reruns. Each handler extracts, calls the
//! host, and responds. The host's URLs are paths of the site; the base path is put in front of
//! them here, where they leave as `Location`, `X-Runnel-Location` and `X-Runnel-Url`.

use actix_identity::Identity;
use actix_session::Session;
use actix_web::http::header::{CACHE_CONTROL, CONTENT_LENGTH, HeaderValue, LOCATION};
use actix_web::{HttpRequest, HttpResponse, web};

use super::AppState;
use super::browser::HttpSession;
use super::{client, forms, progress};
use crate::error::AppError;
use crate::host::{Answer, Delivery, EventPost, Query, Visit};
use crate::render::patch::CONTENT_TYPE as PATCH_CONTENT_TYPE;
use crate::render::{Have, Patch};
use crate::session_store::BrowserSession;

pub(super) const FRAGMENT_HEADER: &str = "X-Runnel-Fragment";
/// What the page's script holds (element ids and hashes): the answer is then a patch.
const HAVE_HEADER: &str = "X-Runnel-Have";
/// The request headers an answer depends on.
const VARY: &str = "X-Runnel-Fragment, X-Runnel-Have";
/// Tells the page's script to open another page (`switch_page`).
const SWITCH_HEADER: &str = "X-Runnel-Location";

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/", web::get().to(index));
    cfg.route("/{page}", web::get().to(show_page));
    cfg.route("/{page}/event", web::post().to(post_event));
    cfg.route("/{page}/fragment/{id}", web::post().to(post_fragment));
}

pub(super) async fn index(app: web::Data<AppState>) -> Result<HttpResponse, AppError> {
    let first = app.host.registry.default_page().ok_or(AppError::PageNotFound)?;
    let url = app.base_path.url(&format!("/{}", first.name));
    Ok(HttpResponse::Found().insert_header((LOCATION, url)).finish())
}

async fn show_page(
    req: HttpRequest,
    page: web::Path<String>,
    session: Session,
    identity: Option<Identity>,
    app: web::Data<AppState>,
) -> HttpResponse {
    let delivery = delivery_of(&req);
    let have = have_of(&req, delivery);
    let query = match forms::parse_query(req.query_string()) {
        Ok(query) => query,
        Err(err) => return respond_with(&app, Err(err), delivery, have.as_ref()),
    };
    let page = page.into_inner();
    let (live, watch) = progress::watch(have.as_ref(), &session, &page, &query);
    // Boxed where it is made: the interaction's future is large, and moving it by value through
    // `finish` and `progress::race` copied it several times per request.
    let work = {
        let (req, app) = (req.clone(), app.clone());
        Box::pin(async move {
            let session = HttpSession::new(&req, session, identity, &app);
            let before = session.sid();
            let visit = Visit { live, ..visit(&req, &page, &session, query, delivery) };
            let answer = app.host.show_page(visit).await;
            (answer, before.is_some() && session.sid() != before)
        })
    };
    finish(app, work, watch, delivery, have).await
}

async fn post_event(
    req: HttpRequest,
    page: web::Path<String>,
    payload: web::Payload,
    session: Session,
    identity: Option<Identity>,
    app: web::Data<AppState>,
) -> HttpResponse {
    let delivery = delivery_of(&req);
    let have = have_of(&req, delivery);
    let read =
        async { Ok::<_, AppError>((read_post(&req, payload, &app).await?, forms::parse_query(req.query_string())?)) };
    let (post, query) = match read.await {
        Ok(read) => read,
        Err(err) => return respond_with(&app, Err(err), delivery, have.as_ref()),
    };
    let page = page.into_inner();
    let (live, watch) = progress::watch(have.as_ref(), &session, &page, &query);
    // Boxed where it is made, as in `show_page`.
    let work = {
        let (req, app, held) = (req.clone(), app.clone(), have.clone());
        Box::pin(async move {
            let session = HttpSession::new(&req, session, identity, &app);
            let before = session.sid();
            let visit = Visit { live, have: held.as_ref(), ..visit(&req, &page, &session, query, delivery) };
            let answer = app.host.apply_event(visit, post).await;
            (answer, before.is_some() && session.sid() != before)
        })
    };
    finish(app, work, watch, delivery, have).await
}

/// `POST /{page}/fragment/{id}` (body `csrf=…`): reruns one fragment alone, as its `run_every`
/// timer asks.
async fn post_fragment(
    req: HttpRequest,
    path: web::Path<(String, String)>,
    payload: web::Payload,
    session: Session,
    identity: Option<Identity>,
    app: web::Data<AppState>,
) -> HttpResponse {
    let (page, id) = path.into_inner();
    let delivery = delivery_of(&req);
    let have = have_of(&req, delivery);
    let result = async {
        let body = forms::read_body(payload, declared_length(&req), app.max_body_bytes).await?;
        let csrf = forms::parse_pairs(&body)?.into_iter().find(|(name, _)| name == "csrf").map(|(_, v)| v);
        let session = HttpSession::new(&req, session, identity, &app);
        let query = forms::parse_query(req.query_string())?;
        let visit = Visit { have: have.as_ref(), ..visit(&req, &page, &session, query, delivery) };
        app.host.rerun_fragment(visit, csrf, &id).await
    };
    respond_with(&app, result.await, delivery, have.as_ref())
}

/// Answers once the interaction ended, or streams a long run's output as it goes.
async fn finish(
    app: web::Data<AppState>,
    work: impl std::future::Future<Output = progress::Ended> + 'static,
    watch: Option<progress::Watch>,
    delivery: Delivery,
    have: Option<Have>,
) -> HttpResponse {
    match progress::race(app.clone(), work, watch).await {
        Ok((result, _)) => respond_with(&app, result, delivery, have.as_ref()),
        Err(streaming) => streaming,
    }
}

/// An event's body: a form post, or a file uploader's multipart form.
async fn read_post(req: &HttpRequest, payload: web::Payload, app: &AppState) -> Result<EventPost, AppError> {
    if !is_multipart(req) {
        let body = forms::read_body(payload, declared_length(req), app.max_body_bytes).await?;
        return forms::parse_event(&body);
    }
    let uploads = app.host.uploads;
    // One file at its cap plus the form's fields; each file is also capped as it is read.
    let limit = uploads.max_session_bytes.max(uploads.max_file_bytes).saturating_add(app.max_body_bytes);
    if declared_length(req).is_some_and(|len| len > limit) {
        return Err(AppError::UploadTooLarge(format!(
            "The upload is larger than the {limit} bytes this server accepts in one request."
        )));
    }
    forms::read_multipart(req.headers(), payload, uploads, app.max_body_bytes).await
}

/// Whether the body is `multipart/form-data` (a file uploader's form).
fn is_multipart(req: &HttpRequest) -> bool {
    let content_type = req.headers().get(actix_web::http::header::CONTENT_TYPE).and_then(|v| v.to_str().ok());
    content_type.is_some_and(|t| t.trim_start().to_ascii_lowercase().starts_with("multipart/form-data"))
}

/// One request for `page` as the host sees it: its session, query, delivery and client.
pub(super) fn visit<'a>(
    req: &HttpRequest,
    page: &'a str,
    session: &'a HttpSession<'_>,
    query: Query,
    delivery: Delivery,
) -> Visit<'a> {
    let (client, user_agent) = (client::audit_address(req), client::user_agent(req));
    Visit { page, session, query, delivery, client, user_agent, live: None, have: None }
}

/// The body length the request declares, if any.
pub(super) fn declared_length(req: &HttpRequest) -> Option<usize> {
    req.headers().get(CONTENT_LENGTH).and_then(|v| v.to_str().ok()?.parse().ok())
}

pub(super) fn delivery_of(req: &HttpRequest) -> Delivery {
    let fragment = req.headers().get(FRAGMENT_HEADER).is_some_and(|v| v == "1");
    if fragment { Delivery::Fragment } else { Delivery::Document }
}

/// What a fragment request says the page holds; `None` (a full fragment answers) when it is
/// absent, malformed or too long.
fn have_of(req: &HttpRequest, delivery: Delivery) -> Option<Have> {
    let header = req.headers().get(HAVE_HEADER)?.to_str().ok()?;
    (delivery == Delivery::Fragment).then(|| Have::parse(header))?
}

/// Turns the host's answer into HTTP; a failure is mapped in `crate::error`.
pub(super) fn respond(app: &AppState, result: Result<Answer, AppError>, delivery: Delivery) -> HttpResponse {
    respond_with(app, result, delivery, None)
}

/// [`respond`], answering a run with a patch against `have` when the page sent one.
fn respond_with(
    app: &AppState,
    result: Result<Answer, AppError>,
    delivery: Delivery,
    have: Option<&Have>,
) -> HttpResponse {
    match result {
        Ok(answer) => answer_response(app, answer, delivery, have),
        Err(err) => err.answer(delivery == Delivery::Fragment),
    }
}

fn answer_response(app: &AppState, answer: Answer, delivery: Delivery, have: Option<&Have>) -> HttpResponse {
    match answer {
        Answer::Run(shown) if shown.output.denied => AppError::NotAllowed.answer(delivery == Delivery::Fragment),
        Answer::Run(shown) if shown.output.switch_to.is_some() => {
            let url = app.base_path.url(shown.output.switch_to.as_deref().unwrap_or("/"));
            switch_response(url, delivery)
        }
        Answer::Run(shown) => {
            let view = app.host.view(&shown.script, &shown.csrf);
            let mut response = match (delivery, have) {
                (Delivery::Document, _) => {
                    let root = view.root(&shown.output, &shown.query);
                    return html_response(view.document(root, &shown.output.page.config));
                }
                (Delivery::Fragment, Some(have)) => patch_response(&view.patch(&shown.output, &shown.query, have)),
                (Delivery::Fragment, None) => html_response(view.root(&shown.output, &shown.query)),
            };
            let new_url = shown.new_url.map(|url| app.base_path.url(&url));
            if let Some(url) = new_url.and_then(|url| HeaderValue::try_from(url).ok()) {
                response.headers_mut().insert(actix_web::http::header::HeaderName::from_static("x-runnel-url"), url);
            }
            response
        }
        Answer::Flash { script, csrf, flash } => {
            html_response(app.host.view(&script, &csrf).document(flash.html, &flash.config))
        }
        Answer::Redirect(url) => HttpResponse::SeeOther()
            .insert_header((LOCATION, app.base_path.url(&url)))
            .insert_header((CACHE_CONTROL, "no-store"))
            .finish(),
    }
}

/// `switch_page`: a document request is redirected; the page's script follows a header.
fn switch_response(url: String, delivery: Delivery) -> HttpResponse {
    let mut response = match delivery {
        Delivery::Document => HttpResponse::SeeOther().insert_header((LOCATION, url)).finish(),
        Delivery::Fragment => HttpResponse::Ok().insert_header((SWITCH_HEADER, url)).finish(),
    };
    response.headers_mut().insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

/// A patch as JSON. The host compresses no answer itself (and the shipped nginx config does not
/// gzip the app's answers), so a patch of a few hundred bytes leaves as it is.
fn patch_response(patch: &Patch) -> HttpResponse {
    HttpResponse::Ok()
        .content_type(PATCH_CONTENT_TYPE)
        .insert_header((CACHE_CONTROL, "no-store"))
        .insert_header(("Vary", VARY))
        .body(serde_json::to_string(patch).unwrap_or_default())
}

fn html_response(body: String) -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/html; charset=utf-8")
        .insert_header((CACHE_CONTROL, "no-store"))
        .insert_header(("Vary", VARY))
        .body(body)
}
