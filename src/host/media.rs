//! Which data-folder media file a per-session URL names: the token must be the one this
//! session's pages carry for that file (see [`crate::page::MediaKey`]), and the file must still
//! be a media file under the cap. Anything else is "not found", so a URL reveals nothing.

use super::Host;
use crate::datasource::{MediaFile, open_media};
use crate::error::AppError;
use crate::session_store::BrowserSession;

impl Host {
    /// The file `name` for a request carrying `token`, checked for this browser's session.
    pub async fn media_file(
        &self,
        session: &dyn BrowserSession,
        token: &str,
        name: &str,
    ) -> Result<MediaFile, AppError> {
        let csrf = session.csrf().or_else(|| session.visitor()).ok_or(AppError::FileNotFound)?;
        if !self.media_key.verify(&csrf, name, token) {
            return Err(AppError::FileNotFound);
        }
        let sources = self.runner.sources().clone();
        let name = name.to_owned();
        let opened = tokio::task::spawn_blocking(move || open_media(&sources.dir, &name, sources.media.max_file_bytes))
            .await
            .map_err(|e| AppError::Internal(anyhow::anyhow!("media thread failed: {e}")))?;
        opened.map_err(|reason| {
            tracing::info!(%reason, "media file refused");
            AppError::FileNotFound
        })
    }
}
