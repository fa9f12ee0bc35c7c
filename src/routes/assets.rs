//! The static files of `static/`, built into the binary so it runs from any folder, and the
//! configured theme's stylesheet.

use actix_web::http::header::CACHE_CONTROL;
use actix_web::{HttpResponse, web};

use super::AppState;
use crate::error::AppError;

const ASSETS: &[(&str, &str, &str)] = &[
    ("runnel.css", "text/css; charset=utf-8", include_str!("../../static/runnel.css")),
    ("runnel.js", "text/javascript; charset=utf-8", include_str!("../../static/runnel.js")),
    ("theme.js", "text/javascript; charset=utf-8", include_str!("../../static/theme.js")),
    ("idiomorph.js", "text/javascript; charset=utf-8", include_str!("../../static/idiomorph.js")),
    // Vega-Lite charts: the loader runs on every page and fetches the rest only for a chart.
    ("vega-charts.js", "text/javascript; charset=utf-8", include_str!("../../static/vega-charts.js")),
    ("vega.min.js", "text/javascript; charset=utf-8", include_str!("../../static/vendor/vega.min.js")),
    ("vega-lite.min.js", "text/javascript; charset=utf-8", include_str!("../../static/vendor/vega-lite.min.js")),
    ("vega-embed.min.js", "text/javascript; charset=utf-8", include_str!("../../static/vendor/vega-embed.min.js")),
    ("vega-interpreter.js", "text/javascript; charset=utf-8", include_str!("../../static/vendor/vega-interpreter.js")),
];

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/static/theme.css", web::get().to(theme));
    cfg.route("/static/{file}", web::get().to(asset));
}

/// The `[theme]` of the settings (empty without one), linked after `runnel.css`.
async fn theme(state: web::Data<AppState>) -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/css; charset=utf-8")
        .insert_header((CACHE_CONTROL, "public, max-age=300"))
        .body(state.theme_css.clone())
}

async fn asset(file: web::Path<String>) -> Result<HttpResponse, AppError> {
    match ASSETS.iter().find(|(name, _, _)| *name == file.as_str()) {
        Some((_, content_type, body)) => Ok(HttpResponse::Ok()
            .content_type(*content_type)
            .insert_header((CACHE_CONTROL, "public, max-age=300"))
            .body(*body)),
        None => Err(AppError::FileNotFound),
    }
}
