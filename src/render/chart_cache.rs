//! Drawn charts kept by content: an unchanged chart (the same dashboard opened again, a full
//! render after a patch mismatch) is drawn once. A small clock (second-chance) cache, bounded in
//! entries and bytes.

use std::sync::{Arc, Mutex};

use super::chart;
use crate::page::Chart;

/// The whole `<svg>` element, from a small cache keyed by the chart's content: an unchanged
/// chart (the same dashboard opened again, a full render after a patch mismatch) is drawn once.
pub fn cached_svg(chart: &Chart) -> Arc<str> {
    let key = content_key(chart);
    if let Some(hit) = SVG_CACHE.lock().ok().and_then(|mut cache| cache.get(key)) {
        return hit;
    }
    let drawn: Arc<str> = Arc::from(chart::svg(chart));
    if let Ok(mut cache) = SVG_CACHE.lock() {
        cache.insert(key, drawn.clone());
    }
    drawn
}

/// Drawn charts kept: at most [`CACHE_ENTRIES`] of them and [`CACHE_BYTES`] in all.
static SVG_CACHE: Mutex<SvgCache> = Mutex::new(SvgCache::new());
const CACHE_ENTRIES: usize = 256;
const CACHE_BYTES: usize = 32 * 1024 * 1024;

/// A chart's cache key: a fixed-key hash of all its data (ids, titles, points, sizes).
fn content_key(chart: &Chart) -> u64 {
    super::patch::content_hash(chart)
}

/// A clock (second-chance) cache: a hit marks its entry; eviction skips marked entries once.
struct SvgCache {
    entries: Vec<(u64, Arc<str>, bool)>,
    hand: usize,
    bytes: usize,
}

impl SvgCache {
    const fn new() -> Self {
        Self { entries: Vec::new(), hand: 0, bytes: 0 }
    }

    fn get(&mut self, key: u64) -> Option<Arc<str>> {
        let entry = self.entries.iter_mut().find(|e| e.0 == key)?;
        entry.2 = true;
        Some(entry.1.clone())
    }

    fn insert(&mut self, key: u64, svg: Arc<str>) {
        if svg.len() > CACHE_BYTES / 8 || self.entries.iter().any(|e| e.0 == key) {
            return;
        }
        while !self.entries.is_empty() && (self.entries.len() >= CACHE_ENTRIES || self.bytes + svg.len() > CACHE_BYTES)
        {
            self.evict_one();
        }
        self.bytes += svg.len();
        self.entries.push((key, svg, false));
    }

    fn evict_one(&mut self) {
        loop {
            self.hand %= self.entries.len();
            let entry = &mut self.entries[self.hand];
            if entry.2 {
                entry.2 = false;
                self.hand += 1;
            } else {
                let (_, gone, _) = self.entries.swap_remove(self.hand);
                self.bytes -= gone.len();
                return;
            }
        }
    }
}
