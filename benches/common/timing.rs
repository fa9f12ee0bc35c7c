//! Shared by the latency benches: percentiles over sorted samples and the time between two
//! recorded stages of each sample.

/// The `p`-th percentile of sorted values, interpolated linearly between ranks.
pub fn percentile(sorted: &[f64], p: f64) -> f64 {
    let pos = (p / 100.0) * (sorted.len() - 1) as f64;
    let (lo, hi) = (pos.floor() as usize, pos.ceil() as usize);
    sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - lo as f64)
}

/// Differences `later - earlier` where both are known.
#[allow(dead_code)] // not every bench that includes this file records stages
pub fn stage<S>(samples: &[S], earlier: impl Fn(&S) -> Option<f64>, later: impl Fn(&S) -> Option<f64>) -> Vec<f64> {
    samples.iter().filter_map(|s| Some(later(s)? - earlier(s)?)).collect()
}
