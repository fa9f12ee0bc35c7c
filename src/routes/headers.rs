//! The security headers of every answer: a strict Content-Security-Policy and `Vary: Cookie` on
//! HTML, and on everything `nosniff`, a same-origin referrer, a `Permissions-Policy` that turns
//! powerful features off and a same-origin opener policy. A session cookie sent over HTTPS (as a
//! trusted proxy reports it) is marked `Secure` even when `--secure-cookie` is off.

use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::error::InternalError;
use actix_web::http::header::{
    CONTENT_SECURITY_POLICY, CONTENT_TYPE, HeaderMap, HeaderName, HeaderValue, InvalidHeaderValue, REFERRER_POLICY,
    SET_COOKIE, VARY, X_CONTENT_TYPE_OPTIONS,
};
use actix_web::middleware::Next;
use actix_web::web;

use super::AppState;
use super::client::client_of;

/// Features no dashboard uses; a script's markdown or a framed page cannot ask for them.
const PERMISSIONS_POLICY: &str = "accelerometer=(), camera=(), display-capture=(), geolocation=(), gyroscope=(), \
     magnetometer=(), microphone=(), midi=(), payment=(), usb=()";

/// The Content-Security-Policy of every HTML answer. Scripts, styles, fetches and form posts
/// go to this host only; nothing inline runs (the pages have no inline script, style or
/// handler). Images may also be `data:` (the page icon, script-made images) or `https:`
/// (markdown images, allowed image hosts, map tiles); audio and video come from this host.
/// `frame_ancestors` are the origins allowed to embed the pages; none means `'none'`.
pub fn content_security_policy(frame_ancestors: &[String]) -> Result<HeaderValue, InvalidHeaderValue> {
    let ancestors = if frame_ancestors.is_empty() { "'none'".to_owned() } else { frame_ancestors.join(" ") };
    HeaderValue::try_from(format!(
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data: https:; \
         media-src 'self'; connect-src 'self'; font-src 'self'; manifest-src 'self'; form-action 'self'; \
         object-src 'none'; base-uri 'none'; frame-ancestors {ancestors}"
    ))
}

/// Middleware: adds the headers to every answer, error pages included.
pub async fn security_headers(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    // Read before the call: routing needs the request to itself.
    let app = req.app_data::<web::Data<AppState>>().cloned();
    let https = client_of(req.request()).https;
    let Some(app) = app else { return next.call(req).await.map(ServiceResponse::map_into_boxed_body) };
    match next.call(req).await {
        Ok(mut res) => {
            secure(res.headers_mut(), &app, https);
            Ok(res.map_into_boxed_body())
        }
        // An error is rendered here, so that its answer gets the headers too.
        Err(err) => {
            let mut answer = err.error_response();
            secure(answer.headers_mut(), &app, https);
            Err(InternalError::from_response(err, answer).into())
        }
    }
}

fn secure(headers: &mut HeaderMap, app: &AppState, https: bool) {
    add_everywhere(headers);
    if is_html(headers) {
        headers.insert(CONTENT_SECURITY_POLICY, app.content_security_policy.clone());
        headers.append(VARY, HeaderValue::from_static("Cookie"));
    }
    if https && !app.session_cookie.secure() {
        mark_secure(headers, app.session_cookie.name());
        mark_secure(headers, app.remember_cookie.name());
        mark_secure(headers, app.visitor_cookie.name());
    }
}

fn add_everywhere(headers: &mut HeaderMap) {
    headers.insert(X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    headers.insert(REFERRER_POLICY, HeaderValue::from_static("same-origin"));
    headers.insert(HeaderName::from_static("permissions-policy"), HeaderValue::from_static(PERMISSIONS_POLICY));
    headers.insert(HeaderName::from_static("cross-origin-opener-policy"), HeaderValue::from_static("same-origin"));
}

fn is_html(headers: &HeaderMap) -> bool {
    headers.get(CONTENT_TYPE).and_then(|v| v.to_str().ok()).is_some_and(|t| t.starts_with("text/html"))
}

/// Adds `Secure` to the session cookie's `Set-Cookie` lines that lack it.
fn mark_secure(headers: &mut HeaderMap, cookie: &str) {
    let prefix = format!("{cookie}=");
    let lines: Vec<HeaderValue> = headers.get_all(SET_COOKIE).cloned().collect();
    headers.remove(SET_COOKIE);
    for line in lines {
        let text = line.to_str().unwrap_or_default();
        let secured = (text.starts_with(&prefix) && !text.to_ascii_lowercase().contains("; secure"))
            .then(|| HeaderValue::try_from(format!("{text}; Secure")).ok())
            .flatten();
        headers.append(SET_COOKIE, secured.unwrap_or(line));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_policy_allows_no_inline_script_and_no_framing_by_default() {
        let policy = content_security_policy(&[]).unwrap();
        let policy = policy.to_str().unwrap();
        assert!(policy.contains("script-src 'self';") && !policy.contains("unsafe"), "{policy}");
        assert!(policy.ends_with("frame-ancestors 'none'"), "{policy}");
        let embedded = content_security_policy(&["https://a.example".into(), "'self'".into()]).unwrap();
        assert!(embedded.to_str().unwrap().ends_with("frame-ancestors https://a.example 'self'"));
    }

    #[test]
    fn only_the_session_cookie_is_marked_secure() {
        let mut headers = HeaderMap::new();
        headers.append(SET_COOKIE, HeaderValue::from_static("runnel_session=abc; HttpOnly; Path=/"));
        headers.append(SET_COOKIE, HeaderValue::from_static("other=1; Path=/"));
        mark_secure(&mut headers, "runnel_session");
        let lines: Vec<_> = headers.get_all(SET_COOKIE).map(|v| v.to_str().unwrap().to_owned()).collect();
        assert_eq!(lines, ["runnel_session=abc; HttpOnly; Path=/; Secure", "other=1; Path=/"]);
    }
}
