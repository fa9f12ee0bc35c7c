//! The one mapping from failures to HTTP answers. Internal causes are logged with their chain
//! and never shown; viewers get a short page (or, for requests made by the page's script, the
//! message as plain text). Store failures are typed ([`StoreError`]) and each answer says
//! truthfully whether the viewer's last action was applied.

use actix_session::storage::{LoadError, SaveError, UpdateError};
use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::error::InternalError;
use actix_web::http::StatusCode;
use actix_web::http::header::{CACHE_CONTROL, CONTENT_RANGE, CONTENT_TYPE, WWW_AUTHENTICATE};
use actix_web::middleware::Next;
use actix_web::{HttpResponse, ResponseError};

use crate::base_path::BasePath;
use crate::render;
use crate::request_id::RequestId;
use crate::session_state::EventError;
use crate::session_store::{SessionCookie, StoreError};

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    #[error("There is no page with this name.")]
    PageNotFound,
    #[error("There is no such file.")]
    FileNotFound,
    /// A `Range` a media file cannot answer (malformed, several ranges, or past its end); the
    /// file's length goes into `Content-Range`.
    #[error("The requested range is not in this file.")]
    RangeNotSatisfiable(u64),
    #[error("{0}")]
    BadEvent(#[from] EventError),
    /// A logged-in viewer without any of the page's roles (`roles:` in its header).
    #[error("You are logged in, but this page is only open to some roles, and yours is not one of them.")]
    NotAllowed,
    #[error("The form was sent without a valid CSRF token. Reload the page and try again.")]
    Csrf,
    #[error("{0}")]
    BadRequest(String),
    #[error("{0}")]
    TooManyRequests(String),
    /// A client that started more sessions this minute than it may; retry after the duration.
    #[error(
        "Too many new sessions were started from your address. Wait {} seconds and reload the page.",
        .0.as_secs().max(1)
    )]
    TooManySessions(std::time::Duration),
    #[error("The request body is larger than the {0} bytes this server accepts.")]
    PayloadTooLarge(usize),
    /// An uploaded file over its cap (per file, or the session's total); the message says which.
    #[error("{0}")]
    UploadTooLarge(String),
    #[error("{}", store_message(.0))]
    Store(#[from] StoreError),
    /// A logout the store could not confirm: the browser's cookie (this one) is removed anyway.
    #[error(
        "You are logged out in this browser, but the server could not confirm the logout because the session \
         store is unavailable. The old session will not be accepted again."
    )]
    LogoutUnconfirmed(SessionCookie),
    /// A state-changing POST sent from a page of another origin.
    #[error(
        "This form was sent from another site, so it was refused and nothing was changed. Open the dashboard \
         itself and try again."
    )]
    CrossOrigin,
    /// `/metrics` without the configured bearer token.
    #[error("The metrics need the configured bearer token (RUNNEL_METRICS_TOKEN).")]
    MetricsToken,
    /// A graceful shutdown has begun (`/readyz`): the load balancer should send elsewhere.
    #[error("This instance is shutting down.")]
    ShuttingDown,
    #[error("Something went wrong on the server.")]
    Internal(#[from] anyhow::Error),
}

/// What the viewer is told about a store failure: whether their action was applied.
fn store_message(err: &StoreError) -> &'static str {
    match err {
        StoreError::Unavailable(_) => {
            "The session store is unavailable right now, so this request was not carried out and nothing was \
             changed. Try again in a moment."
        }
        StoreError::Unconfirmed(_) => {
            "The session store did not confirm that your last action was saved: it may or may not have been \
             applied. Reload the page to see the current state before you try again."
        }
        StoreError::Busy => {
            "This session is still busy with an earlier action (for example a long run in another tab), so this \
             one was not applied. Try again when it has finished."
        }
        StoreError::LeaseLost => {
            "Your action was not applied: the session store lost track of it while it ran. Try again in a moment."
        }
    }
}

impl AppError {
    fn title(&self) -> &'static str {
        match self {
            Self::PageNotFound => "Page not found",
            Self::FileNotFound => "File not found",
            Self::RangeNotSatisfiable(_) => "Range not satisfiable",
            Self::BadEvent(EventError::UnknownWidget(_)) => "Unknown widget",
            Self::BadEvent(EventError::InvalidValue { .. }) => "Invalid value",
            Self::Csrf => "Request refused",
            Self::NotAllowed => "Not allowed",
            Self::BadRequest(_) => "Bad request",
            Self::PayloadTooLarge(_) => "Request too large",
            Self::UploadTooLarge(_) => "Upload too large",
            Self::TooManyRequests(_) => "Too many attempts",
            Self::TooManySessions(_) => "Too many new sessions",
            Self::Store(StoreError::Busy) => "Session busy",
            Self::Store(_) => "Temporarily unavailable",
            Self::LogoutUnconfirmed(_) => "Logout not confirmed",
            Self::CrossOrigin => "Request refused",
            Self::MetricsToken => "Not authorized",
            Self::ShuttingDown => "Shutting down",
            Self::Internal(_) => "Server error",
        }
    }

    /// The last line of a streamed answer that failed after it began (its head went out
    /// already): the message the page's script shows, with the request id.
    pub fn streamed_message(&self) -> String {
        self.log();
        let suffix = RequestId::current().map(|id| format!(" (request id {id})")).unwrap_or_default();
        format!("{self}{suffix}")
    }

    /// The answer to a request: for the page's script (`fragment`) the message as plain text,
    /// else an error page.
    pub fn answer(&self, fragment: bool) -> HttpResponse {
        self.log();
        let mut response = HttpResponse::build(self.status_code());
        response.insert_header((CACHE_CONTROL, "no-store"));
        if self.status_code() == StatusCode::SERVICE_UNAVAILABLE {
            response.insert_header(("Retry-After", "2"));
        }
        if let Self::TooManySessions(wait) = self {
            response.insert_header(("Retry-After", wait.as_secs().max(1).to_string()));
        }
        if let Self::RangeNotSatisfiable(len) = self {
            response.insert_header((CONTENT_RANGE, format!("bytes */{len}")));
        }
        if let Self::MetricsToken = self {
            response.insert_header((WWW_AUTHENTICATE, "Bearer realm=\"runnel metrics\""));
        }
        if let Self::LogoutUnconfirmed(cookie) = self {
            response.cookie(cookie.removal());
        }
        let id = RequestId::current();
        if fragment {
            let suffix = id.map(|id| format!(" (request id {id})")).unwrap_or_default();
            response.content_type("text/plain; charset=utf-8").body(format!("{self}{suffix}"))
        } else {
            let id = id.as_ref().map(RequestId::as_str);
            let base = BasePath::current();
            response.content_type("text/html; charset=utf-8").body(render::error_page(
                base.as_str(),
                self.title(),
                &self.to_string(),
                "/",
                id,
            ))
        }
    }

    fn log(&self) {
        match self {
            Self::PayloadTooLarge(_) => crate::metrics::limit_hit("body_size"),
            Self::UploadTooLarge(_) => crate::metrics::limit_hit("upload_size"),
            Self::Store(StoreError::Busy) => crate::metrics::limit_hit("max_wait"),
            _ => {}
        }
        match self {
            Self::Store(cause) => tracing::error!(error = %cause, "session store failure"),
            Self::Internal(cause) => tracing::error!(error = ?cause, "internal error"),
            other => tracing::info!(status = other.status_code().as_u16(), reason = %other, "request refused"),
        }
    }
}

impl ResponseError for AppError {
    fn status_code(&self) -> StatusCode {
        match self {
            Self::PageNotFound | Self::FileNotFound | Self::BadEvent(EventError::UnknownWidget(_)) => {
                StatusCode::NOT_FOUND
            }
            Self::BadEvent(EventError::InvalidValue { .. }) => StatusCode::UNPROCESSABLE_ENTITY,
            Self::Csrf | Self::CrossOrigin | Self::NotAllowed => StatusCode::FORBIDDEN,
            Self::BadRequest(_) => StatusCode::BAD_REQUEST,
            Self::RangeNotSatisfiable(_) => StatusCode::RANGE_NOT_SATISFIABLE,
            Self::PayloadTooLarge(_) | Self::UploadTooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            Self::TooManyRequests(_) | Self::TooManySessions(_) => StatusCode::TOO_MANY_REQUESTS,
            Self::Store(_) | Self::LogoutUnconfirmed(_) | Self::ShuttingDown => StatusCode::SERVICE_UNAVAILABLE,
            Self::MetricsToken => StatusCode::UNAUTHORIZED,
            Self::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn error_response(&self) -> HttpResponse {
        self.answer(false)
    }
}

/// Outermost middleware: failures raised outside our handlers, chiefly by the session
/// middleware when the store is down, become a clear page instead of an empty 500.
pub async fn failure_pages(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    match next.call(req).await {
        // An error returned as `Err` is rendered by the framework through our ResponseError.
        Err(err) if err.as_error::<AppError>().is_some() => Err(err),
        Err(err) => Err(classify(&err).into()),
        Ok(res) if res.status() == StatusCode::INTERNAL_SERVER_ERROR && res.headers().get(CONTENT_TYPE).is_none() => {
            let page =
                res.response().error().map_or_else(|| unknown_failure().answer(false), |e| classify(e).answer(false));
            Ok(res.into_response(page))
        }
        Ok(res) => Ok(res.map_into_boxed_body()),
    }
}

/// Types the failures of the session middleware. It loads the session record before the
/// handler (a failure there means nothing was done) and saves it after (the handler's work
/// may already be stored). Our session store is its only store, so these are store failures.
fn classify(err: &actix_web::Error) -> AppError {
    let cause = format!("{err}");
    if err.as_error::<InternalError<LoadError>>().is_some() {
        AppError::Store(StoreError::Unavailable(cause))
    } else if err.as_error::<InternalError<SaveError>>().is_some()
        || err.as_error::<InternalError<UpdateError>>().is_some()
        || err.as_error::<InternalError<anyhow::Error>>().is_some()
    {
        AppError::Store(StoreError::Unconfirmed(cause))
    } else {
        AppError::Internal(anyhow::anyhow!(cause))
    }
}

fn unknown_failure() -> AppError {
    AppError::Internal(anyhow::anyhow!("an empty 500 response without an error"))
}
