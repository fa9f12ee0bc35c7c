//! Where scripts get data: the read-only data folder (names checked, files stamped), the SQL
//! connections of `runnel.toml` (`sql`), and the cache shared by all sessions and reruns
//! (`cache`). Nothing here knows about Rhai's script API or HTTP; the widgets reach it through
//! the run context.

mod cache;
mod files;
mod media;
pub mod sql;

use std::path::PathBuf;
use std::sync::Arc;

use crate::config::MediaSettings;

pub use cache::{Cache, Lookup};
pub use files::{FileStamp, holds_json_table, read_json, resolve};
pub use media::{MediaClass, MediaFile, extensions, media_type, open_media, read_range};
pub use sql::{Connection, Connections, Param};

/// Default bound on cache entries; the least recently used goes first.
pub const CACHE_ENTRIES: usize = 256;

/// The data folder, the SQL connections and the cache, shared by every run of the host.
#[derive(Debug)]
pub struct DataSources {
    pub dir: PathBuf,
    pub cache: Cache,
    pub connections: Arc<Connections>,
    /// Caps of images, audio and video, image hosts and the map tile server.
    pub media: MediaSettings,
}

impl DataSources {
    /// The data folder `dir` with a cache of at most [`CACHE_ENTRIES`] entries and `cache_bytes`
    /// bytes, and no SQL connections.
    pub fn new(dir: impl Into<PathBuf>, cache_bytes: usize) -> Arc<Self> {
        Self::with_connections(dir, cache_bytes, Arc::default())
    }

    /// [`DataSources::new`] with the SQL connections scripts may open.
    pub fn with_connections(dir: impl Into<PathBuf>, cache_bytes: usize, connections: Arc<Connections>) -> Arc<Self> {
        Self::build(dir, cache_bytes, connections, MediaSettings::default())
    }

    /// [`DataSources::with_connections`] with the media settings.
    pub fn build(
        dir: impl Into<PathBuf>,
        cache_bytes: usize,
        connections: Arc<Connections>,
        media: MediaSettings,
    ) -> Arc<Self> {
        Arc::new(Self { dir: dir.into(), cache: Cache::new(CACHE_ENTRIES, cache_bytes), connections, media })
    }
}
