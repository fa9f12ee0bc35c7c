//! Writes the cookies that a request's host work gave or cleared into its answer, whatever the
//! answer is: the remember-me cookie (see `crate::auth::remember`) and the visitor cookie (the
//! CSRF token of a browser without a session, see `BrowserSession::visitor`).

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::middleware::Next;
use actix_web::{HttpMessage, web};

use super::AppState;
use super::browser::{RememberChange, VisitorGiven};

pub async fn given_cookies(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let cookies =
        req.app_data::<web::Data<AppState>>().map(|app| (app.remember_cookie.clone(), app.visitor_cookie.clone()));
    let mut res = next.call(req).await?;
    let Some((remember, visitor)) = cookies else { return Ok(res) };
    let change = res.request().extensions().get::<RememberChange>().cloned();
    if let Some(RememberChange(grant)) = change {
        res.response_mut().add_cookie(&remember.cookie(grant.as_ref()))?;
    }
    let given = res.request().extensions().get::<VisitorGiven>().cloned();
    if let Some(VisitorGiven(token)) = given {
        res.response_mut().add_cookie(&visitor.cookie(&token))?;
    }
    Ok(res)
}
