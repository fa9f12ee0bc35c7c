//! Refuses state-changing requests sent from another origin, before anything (the session
//! store included) is touched: the `Origin` header must be this host's own origin, or, when a
//! browser sends no `Origin`, `Sec-Fetch-Site` must be `same-origin` or `none`. A request with
//! neither header (an old client, curl) passes; the CSRF token is still required.

use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{HeaderMap, ORIGIN};
use actix_web::middleware::Next;

use super::client::{Client, client_of, normalized_origin};
use super::pages::delivery_of;
use crate::error::AppError;
use crate::host::Delivery;

/// Middleware: a cross-origin POST (or PUT, PATCH, DELETE) gets a 403 and changes nothing.
pub async fn same_origin_writes(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    if req.method().is_safe() {
        return next.call(req).await.map(ServiceResponse::map_into_boxed_body);
    }
    let client = client_of(req.request());
    match verdict(req.headers(), &client) {
        Ok(()) => next.call(req).await.map(ServiceResponse::map_into_boxed_body),
        Err(seen) => {
            tracing::info!(sent_from = %seen, own_origin = ?client.own_origin(), "cross-origin write refused");
            let fragment = delivery_of(req.request()) == Delivery::Fragment;
            Ok(req.into_response(AppError::CrossOrigin.answer(fragment)))
        }
    }
}

/// `Ok` for a same-origin request (or one that says nothing); else what it said about itself.
fn verdict(headers: &HeaderMap, client: &Client) -> Result<(), String> {
    let text = |name| headers.get(name).map(|v| v.to_str().unwrap_or("(not text)").to_owned());
    if let Some(origin) = text(ORIGIN.as_str()) {
        let own = client.own_origin();
        let sent = origin.split_once("://").map(|(scheme, authority)| normalized_origin(scheme, authority));
        return if sent.is_some() && sent == own { Ok(()) } else { Err(format!("Origin {origin}")) };
    }
    match text("sec-fetch-site") {
        None => Ok(()),
        Some(site) if site == "same-origin" || site == "none" => Ok(()),
        Some(site) => Err(format!("Sec-Fetch-Site {site}")),
    }
}

#[cfg(test)]
mod tests {
    use actix_web::http::header::{HeaderName, HeaderValue};

    use super::*;

    fn client() -> Client {
        Client { address: None, https: false, authority: Some("127.0.0.1:8501".into()) }
    }

    fn with(name: &'static str, value: &'static str) -> HeaderMap {
        let mut map = HeaderMap::new();
        map.insert(HeaderName::from_static(name), HeaderValue::from_static(value));
        map
    }

    #[test]
    fn the_own_origin_passes_and_any_other_is_refused() {
        assert!(verdict(&with("origin", "http://127.0.0.1:8501"), &client()).is_ok());
        for other in ["https://127.0.0.1:8501", "http://127.0.0.1:8502", "http://evil.example", "null"] {
            assert!(verdict(&with("origin", other), &client()).is_err(), "{other} passed");
        }
    }

    #[test]
    fn without_an_origin_the_fetch_site_decides_and_silence_passes() {
        assert!(verdict(&with("sec-fetch-site", "same-origin"), &client()).is_ok());
        assert!(verdict(&with("sec-fetch-site", "none"), &client()).is_ok());
        assert!(verdict(&with("sec-fetch-site", "cross-site"), &client()).is_err());
        assert!(verdict(&with("sec-fetch-site", "same-site"), &client()).is_err());
        assert!(verdict(&HeaderMap::new(), &client()).is_ok());
    }
}
