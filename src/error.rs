//! The one mapping from failures to HTTP answers. Internal causes are logged with their chain
//! and never shown; viewers get a short page (or, for script requests, a plain message).

use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::StatusCode;
use actix_web::http::header::{CACHE_CONTROL, CONTENT_TYPE};
use actix_web::middleware::Next;
use actix_web::{HttpResponse, ResponseError};

use crate::render;
use crate::session_state::EventError;
use crate::session_store::StoreUnavailable;

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    #[error("There is no page with this name.")]
    PageNotFound,
    #[error("{0}")]
    BadEvent(#[from] EventError),
    #[error("The form was sent without a valid CSRF token. Reload the page and try again.")]
    Csrf,
    #[error("{0}")]
    BadRequest(String),
    #[error("{0}")]
    TooManyRequests(String),
    #[error("The request body is larger than the {0} bytes this server accepts.")]
    PayloadTooLarge(usize),
    #[error("The session store is unavailable right now. Nothing was lost; try again in a moment.")]
    StoreUnavailable(#[from] StoreUnavailable),
    #[error("Something went wrong on the server.")]
    Internal(#[from] anyhow::Error),
}

impl AppError {
    fn title(&self) -> &'static str {
        match self {
            Self::PageNotFound => "Page not found",
            Self::BadEvent(EventError::UnknownWidget(_)) => "Unknown widget",
            Self::BadEvent(EventError::InvalidValue { .. }) => "Invalid value",
            Self::Csrf => "Request refused",
            Self::BadRequest(_) => "Bad request",
            Self::PayloadTooLarge(_) => "Request too large",
            Self::TooManyRequests(_) => "Too many attempts",
            Self::StoreUnavailable(_) => "Temporarily unavailable",
            Self::Internal(_) => "Server error",
        }
    }

    /// The answer for a request made by the page's script: the message as plain text.
    pub fn plain_response(&self) -> HttpResponse {
        self.log();
        HttpResponse::build(self.status_code())
            .insert_header((CACHE_CONTROL, "no-store"))
            .content_type("text/plain; charset=utf-8")
            .body(self.to_string())
    }

    fn log(&self) {
        match self {
            Self::StoreUnavailable(cause) => tracing::error!(error = %cause, "session store unavailable"),
            Self::Internal(cause) => tracing::error!(error = ?cause, "internal error"),
            other => tracing::info!(status = other.status_code().as_u16(), reason = %other, "request refused"),
        }
    }
}

impl ResponseError for AppError {
    fn status_code(&self) -> StatusCode {
        match self {
            Self::PageNotFound | Self::BadEvent(EventError::UnknownWidget(_)) => StatusCode::NOT_FOUND,
            Self::BadEvent(EventError::InvalidValue { .. }) => StatusCode::UNPROCESSABLE_ENTITY,
            Self::Csrf => StatusCode::FORBIDDEN,
            Self::BadRequest(_) => StatusCode::BAD_REQUEST,
            Self::PayloadTooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            Self::TooManyRequests(_) => StatusCode::TOO_MANY_REQUESTS,
            Self::StoreUnavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
            Self::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn error_response(&self) -> HttpResponse {
        self.log();
        html_error(self.status_code(), self.title(), &self.to_string())
    }
}

fn html_error(status: StatusCode, title: &str, message: &str) -> HttpResponse {
    let mut response = HttpResponse::build(status);
    response.insert_header((CACHE_CONTROL, "no-store")).content_type("text/html; charset=utf-8");
    if status == StatusCode::SERVICE_UNAVAILABLE {
        response.insert_header(("Retry-After", "2"));
    }
    response.body(render::error_page(title, message, "/"))
}

/// How store failures read once actix-session has wrapped them.
const STORE_FAILURES: [&str; 2] = ["session store unavailable", "the session state"];

/// Outermost middleware: failures raised outside our handlers, chiefly by the session
/// middleware when the store is down, become a clear page instead of an empty 500.
pub async fn failure_pages(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    match next.call(req).await {
        // An error returned as `Err` is rendered by the framework through our ResponseError.
        Err(err) => Err(classify(&err.to_string()).into()),
        Ok(res) if res.status() == StatusCode::INTERNAL_SERVER_ERROR && res.headers().get(CONTENT_TYPE).is_none() => {
            let cause = res.response().error().map(ToString::to_string).unwrap_or_default();
            let page = classify(&cause).error_response();
            Ok(res.into_response(page))
        }
        Ok(res) => Ok(res.map_into_boxed_body()),
    }
}

fn classify(cause: &str) -> AppError {
    if STORE_FAILURES.iter().any(|marker| cause.contains(marker)) {
        AppError::StoreUnavailable(StoreUnavailable(cause.to_owned()))
    } else {
        AppError::Internal(anyhow::anyhow!(cause.to_owned()))
    }
}
