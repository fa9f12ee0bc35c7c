//! Numbers to pixels and to text: linear scales, round tick values and the value formats.

use crate::page::AxisFormat;

/// Maps data `d0..d1` linearly onto pixels `r0..r1`.
#[derive(Debug, Clone, Copy)]
pub struct Scale {
    pub d0: f64,
    pub d1: f64,
    pub r0: f64,
    pub r1: f64,
}

impl Scale {
    pub fn new((d0, d1): (f64, f64), (r0, r1): (f64, f64)) -> Self {
        Self { d0, d1, r0, r1 }
    }

    pub fn px(&self, v: f64) -> f64 {
        let span = self.d1 - self.d0;
        if span == 0.0 { (self.r0 + self.r1) / 2.0 } else { self.r0 + (v - self.d0) / span * (self.r1 - self.r0) }
    }

    /// Pixels per data unit (absolute).
    pub fn unit(&self) -> f64 {
        ((self.r1 - self.r0) / (self.d1 - self.d0)).abs()
    }
}

/// Smallest and largest value; a usable range even for no or one value.
pub fn span(values: impl Iterator<Item = f64>) -> (f64, f64) {
    let (lo, hi) = values.fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), v| (lo.min(v), hi.max(v)));
    if !lo.is_finite() {
        (0.0, 1.0)
    } else if lo == hi {
        (lo - 1.0, hi + 1.0)
    } else {
        (lo, hi)
    }
}

/// About five round tick values covering `lo..=hi` (steps of 1, 2 or 5 times a power of ten).
pub fn nice_ticks(lo: f64, hi: f64) -> Vec<f64> {
    let raw = (hi - lo) / 5.0;
    let magnitude = 10f64.powf(raw.log10().floor());
    let step = [1.0, 2.0, 5.0, 10.0].iter().map(|m| m * magnitude).find(|s| *s >= raw).unwrap_or(10.0 * magnitude);
    let start = (lo / step).floor() as i64;
    let end = (hi / step).ceil() as i64;
    (start..=end.max(start + 1)).map(|i| i as f64 * step).collect()
}

/// The ticks and the axis domain: the data's range widened to round ticks, or exactly the
/// range the script fixed (with the round ticks inside it).
pub fn axis(data: (f64, f64), fixed: Option<(f64, f64)>) -> (Vec<f64>, (f64, f64)) {
    match fixed {
        Some((lo, hi)) => {
            let ticks = nice_ticks(lo, hi).into_iter().filter(|t| *t >= lo - 1e-9 && *t <= hi + 1e-9).collect();
            (ticks, (lo, hi))
        }
        None => {
            let ticks = nice_ticks(data.0, data.1);
            let domain = (ticks[0], ticks[ticks.len() - 1]);
            (ticks, domain)
        }
    }
}

/// A short tick label: `1.5k`, `2M`, `0.25`.
pub fn tick_label(v: f64) -> String {
    let a = v.abs();
    let (scaled, suffix) = if a >= 1e9 {
        (v / 1e9, "G")
    } else if a >= 1e6 {
        (v / 1e6, "M")
    } else if a >= 1e4 {
        (v / 1e3, "k")
    } else {
        (v, "")
    };
    let text = format!("{:.2}", scaled);
    let text = text.trim_end_matches('0').trim_end_matches('.');
    let text = if text == "-0" { "0" } else { text };
    format!("{text}{suffix}")
}

/// A value in the chart's `y_format`.
pub fn format(v: f64, how: AxisFormat) -> String {
    match how {
        AxisFormat::Compact => tick_label(v),
        AxisFormat::Number(decimals) => grouped(v, decimals),
        AxisFormat::Percent(decimals) => format!("{}%", grouped(v * 100.0, Some(decimals))),
    }
}

/// `1234567.891` -> `1,234,567.89`; without decimals, as many as the value needs up to 2.
fn grouped(value: f64, decimals: Option<u8>) -> String {
    let text = match decimals {
        Some(d) => format!("{value:.*}", usize::from(d)),
        None => {
            let t = format!("{value:.2}");
            t.trim_end_matches('0').trim_end_matches('.').to_owned()
        }
    };
    let text = if text.trim_start_matches('-').chars().all(|c| c == '0' || c == '.') {
        text.trim_start_matches('-').to_owned()
    } else {
        text
    };
    let (sign, digits) = text.strip_prefix('-').map_or(("", text.as_str()), |rest| ("-", rest));
    let (whole, fraction) = digits.split_once('.').map_or((digits, None), |(w, f)| (w, Some(f)));
    let mut out = String::with_capacity(text.len() + whole.len() / 3);
    out.push_str(sign);
    for (i, digit) in whole.chars().enumerate() {
        if i > 0 && (whole.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(digit);
    }
    if let Some(f) = fraction {
        out.push('.');
        out.push_str(f);
    }
    out
}

/// A number for a tooltip: exact enough to read, never in exponent notation.
pub fn exact(v: f64) -> String {
    grouped(v, None)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ticks_are_round_and_cover_the_range() {
        assert_eq!(nice_ticks(0.0, 10.0), vec![0.0, 2.0, 4.0, 6.0, 8.0, 10.0]);
        let t = nice_ticks(3.2, 97.0);
        assert!(t[0] <= 3.2 && *t.last().unwrap() >= 97.0);
    }

    #[test]
    fn a_fixed_range_is_the_domain_and_keeps_only_the_ticks_inside_it() {
        let (ticks, domain) = axis((3.0, 97.0), Some((0.0, 50.0)));
        assert_eq!(domain, (0.0, 50.0));
        assert_eq!(ticks, vec![0.0, 10.0, 20.0, 30.0, 40.0, 50.0]);
    }

    #[test]
    fn tick_labels_are_short() {
        assert_eq!(tick_label(2500.0), "2500");
        assert_eq!(tick_label(25_000.0), "25k");
        assert_eq!(tick_label(1_500_000.0), "1.5M");
        assert_eq!(tick_label(0.25), "0.25");
        assert_eq!(tick_label(-0.0), "0");
    }

    #[test]
    fn values_follow_the_format_asked_for() {
        assert_eq!(format(1_234_567.891, AxisFormat::Number(Some(2))), "1,234,567.89");
        assert_eq!(format(-1234.0, AxisFormat::Number(None)), "-1,234");
        assert_eq!(format(0.256, AxisFormat::Percent(1)), "25.6%");
        assert_eq!(format(0.5, AxisFormat::Percent(0)), "50%");
        assert_eq!(format(-0.001, AxisFormat::Number(Some(1))), "0.0");
    }
}
