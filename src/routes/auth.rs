//! `POST /{page}/auth/{action}`: the authenticator's forms. The handler extracts the form and
//! calls the host (`crate::host`, which runs the logout sequence of `crate::auth::logout`);
//! the middleware below clears the browser's cookie when the store could not confirm a logout.
//! A logout's answer also tells the browser to drop its cache and storage (`Clear-Site-Data`).

use std::collections::HashMap;
use std::net::IpAddr;

use actix_identity::Identity;
use actix_session::Session;
use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::StatusCode;
use actix_web::http::header::{HeaderName, HeaderValue};
use actix_web::middleware::Next;
use actix_web::{HttpRequest, HttpResponse, web};

use super::AppState;
use super::browser::HttpSession;
use super::client::client_of;
use super::forms;
use super::pages::{declared_length, delivery_of, respond};
use crate::auth::Unconfirmed;
use crate::auth::audit::{self, AuditEvent};
use crate::error::AppError;
use crate::host::{AuthPost, Delivery};
use crate::session_state::AuthAction;
use crate::session_store::session_key_of;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/{page}/auth/{action}", web::post().to(post_auth));
}

async fn post_auth(
    req: HttpRequest,
    path: web::Path<(String, String)>,
    payload: web::Payload,
    session: Session,
    identity: Option<Identity>,
    app: web::Data<AppState>,
) -> HttpResponse {
    let delivery = delivery_of(&req);
    let (page, action) = path.into_inner();
    let action = AuthAction::parse(&action);
    let result = async {
        app.host.auth.as_ref().ok_or(AppError::PageNotFound)?;
        let action = action.ok_or(AppError::PageNotFound)?;
        let body = forms::read_body(payload, declared_length(&req), app.max_body_bytes).await?;
        let mut fields: HashMap<String, String> = forms::parse_pairs(&body)?.into_iter().collect();
        let key = fields.remove("form_key");
        let client = client_of(&req).address.unwrap_or(IpAddr::from([127, 0, 0, 1]));
        let session = HttpSession::new(&req, session, identity, &app);
        let query = forms::parse_query(req.query_string())?;
        let visit = super::pages::visit(&req, &page, &session, query, delivery);
        app.host.auth_post(visit, AuthPost { action, key, fields, client }).await
    };
    let mut response = respond(&app, result.await, delivery);
    let done = response.status().is_success() || response.status().is_redirection();
    if done && matches!(action, Some(AuthAction::Logout | AuthAction::LogoutEverywhere)) {
        clear_site_data(response.headers_mut());
    }
    response
}

/// Tells the browser to drop what this site cached and stored (local storage included). Not
/// `"cookies"`: the same answer sets the new, logged-out session cookie.
fn clear_site_data(headers: &mut actix_web::http::header::HeaderMap) {
    headers.insert(HeaderName::from_static("clear-site-data"), HeaderValue::from_static("\"cache\", \"storage\""));
}

/// Outermost middleware for logouts the store could not confirm (it is down): the browser's
/// cookie is cleared anyway, the page says so, and the session is remembered so that it is
/// never trusted again and is ended in the store once the store answers.
pub async fn unconfirmed_logouts(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    let is_logout = req.method() == actix_web::http::Method::POST && req.path().ends_with("/auth/logout");
    let app = req.app_data::<web::Data<AppState>>().cloned();
    let auth = app.as_ref().and_then(|a| a.host.auth.clone());
    let (Some(app), Some(auth), true) = (app, auth, is_logout) else {
        return next.call(req).await.map(ServiceResponse::map_into_boxed_body);
    };
    // Read before the call: routing needs the request to itself.
    let key = session_key_of(req.request(), &app.session_cookie, &app.cookie_key);
    let remembered = req.request().cookie(app.remember_cookie.name()).map(|c| c.value().to_owned());
    let client = client_of(req.request()).address.map_or_else(|| "-".to_owned(), |a| a.to_string());
    let fragment = delivery_of(req.request()) == Delivery::Fragment;
    let result = next.call(req).await;
    let status = match &result {
        Ok(res) => res.status(),
        Err(err) => err.as_response_error().status_code(),
    };
    if status != StatusCode::SERVICE_UNAVAILABLE {
        return result.map(ServiceResponse::map_into_boxed_body);
    }
    if let Some(key) = key {
        auth.pending.add(Unconfirmed::Session(key));
    }
    if let Some(cookie) = remembered.filter(|c| !c.is_empty()) {
        auth.pending.add(Unconfirmed::Remember(cookie));
    }
    audit::record(AuditEvent::LogoutUnconfirmed, "-", &client);
    let mut answer: HttpResponse = AppError::LogoutUnconfirmed(app.session_cookie.clone()).answer(fragment);
    clear_site_data(answer.headers_mut());
    answer.add_cookie(&app.remember_cookie.cookie(None))?;
    match result {
        Ok(res) => Ok(res.into_response(answer)),
        Err(_) => Err(actix_web::error::InternalError::from_response("logout not confirmed", answer).into()),
    }
}
