//! Writes the remember-me cookie that a request's host work gave or cleared (see
//! `crate::auth::remember`) into its answer, whatever the answer is.

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::middleware::Next;
use actix_web::{HttpMessage, web};

use super::AppState;
use super::browser::RememberChange;

pub async fn remember_cookies(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let cookie = req.app_data::<web::Data<AppState>>().map(|app| app.remember_cookie);
    let mut res = next.call(req).await?;
    let change = res.request().extensions().get::<RememberChange>().cloned();
    if let (Some(cookie), Some(RememberChange(grant))) = (cookie, change) {
        res.response_mut().add_cookie(&cookie.cookie(grant.as_ref()))?;
    }
    Ok(res)
}
