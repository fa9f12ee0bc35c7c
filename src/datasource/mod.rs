//! Where scripts get data: the read-only data folder (names checked, files stamped) and the cache
//! shared by all sessions and reruns (`cache`). Nothing here knows about Rhai's script API or
//! HTTP; the widgets reach it through the run context.

mod cache;
mod files;

use std::path::PathBuf;
use std::sync::Arc;

pub use cache::{Cache, Lookup};
pub use files::{FileStamp, holds_json_table, read_json, resolve};

/// Default bound on cache entries; the least recently used goes first.
pub const CACHE_ENTRIES: usize = 256;

/// The data folder and the cache, shared by every run of the host.
#[derive(Debug)]
pub struct DataSources {
    pub dir: PathBuf,
    pub cache: Cache,
}

impl DataSources {
    /// The data folder `dir` with a cache of at most [`CACHE_ENTRIES`] entries and `cache_bytes` bytes.
    pub fn new(dir: impl Into<PathBuf>, cache_bytes: usize) -> Arc<Self> {
        Arc::new(Self { dir: dir.into(), cache: Cache::new(CACHE_ENTRIES, cache_bytes) })
    }
}
