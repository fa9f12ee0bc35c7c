//! The legend: a key per series (or per slice), or a colour ramp for shaded values, placed on
//! top, right or bottom. Entries wrap onto more rows; none is dropped.

use std::fmt::Write;

use super::draw::{self, CHAR, Label};
use super::heat::viridis;
use super::scale;
use crate::page::{AxisFormat, Legend};

/// Longest entry text before it is shortened (its full text stays in a `<title>`).
const MAX_CHARS: usize = 24;
const ROW: f64 = 18.0;
const KEY: f64 = 10.0;
const RAMP: f64 = 120.0;

/// What the legend shows.
pub enum Keys {
    /// `(palette index, name, dashed)` per entry.
    Series(Vec<(usize, String, bool)>),
    /// A colour ramp from the lowest to the highest value.
    Ramp { lo: f64, hi: f64, format: AxisFormat },
}

/// A legend laid out for a drawing of a given width: where each entry goes and the room it
/// takes on each side of the plot.
pub struct Placed {
    keys: Keys,
    place: Legend,
    /// Entry offsets from the legend's corner.
    offsets: Vec<(f64, f64)>,
    pub top: f64,
    pub right: f64,
    pub bottom: f64,
}

fn entry_width(name: &str) -> f64 {
    KEY + 6.0 + draw::text_width(&draw::shortened(name, MAX_CHARS)) + 14.0
}

/// Lays out `keys` for a drawing `width` wide; `Legend::None` or no keys take no room.
pub fn place(keys: Keys, place: Legend, width: f64) -> Placed {
    let mut placed = Placed { keys, place, offsets: Vec::new(), top: 0.0, right: 0.0, bottom: 0.0 };
    let widths: Vec<f64> = match &placed.keys {
        Keys::Series(entries) => entries.iter().map(|(_, name, _)| entry_width(name)).collect(),
        Keys::Ramp { .. } => vec![RAMP + 110.0],
    };
    if place == Legend::None || widths.is_empty() {
        placed.place = Legend::None;
        return placed;
    }
    if place == Legend::Right {
        let column = widths.iter().copied().fold(0.0, f64::max).min(width * 0.4);
        placed.offsets = (0..widths.len()).map(|i| (0.0, i as f64 * ROW)).collect();
        placed.right = column + 8.0;
        return placed;
    }
    let (mut x, mut y) = (0.0, 0.0);
    for w in widths {
        if x > 0.0 && x + w > width - 16.0 {
            x = 0.0;
            y += ROW;
        }
        placed.offsets.push((x, y));
        x += w;
    }
    let room = y + ROW + 6.0;
    if place == Legend::Top {
        placed.top = room
    } else {
        placed.bottom = room
    }
    placed
}

impl Placed {
    /// Draws the legend around the plot box (`left`, `top`, `right`, `bottom` in pixels) of a
    /// drawing `width` by `height`.
    pub fn draw(&self, out: &mut String, chart_id: usize, plot_top: f64, width: f64, height: f64) {
        let (x0, y0) = match self.place {
            Legend::None => return,
            Legend::Top => (12.0, 6.0),
            Legend::Bottom => (12.0, height - self.bottom + 4.0),
            Legend::Right => (width - self.right + 8.0, plot_top),
        };
        out.push_str(r#"<g class="rn-legend">"#);
        match &self.keys {
            Keys::Series(entries) => {
                for ((slot, name, dashed), (dx, dy)) in entries.iter().zip(&self.offsets) {
                    let (x, y) = (x0 + dx, y0 + dy);
                    let colour = super::PALETTE[*slot];
                    let dash = if *dashed { " rn-dashed" } else { "" };
                    let _ = write!(
                        out,
                        r#"<rect class="rn-legend-key rn-s{slot}{dash}" x="{x:.1}" y="{:.1}" width="{KEY}" height="{KEY}" fill="{colour}"/>"#,
                        y + 4.0
                    );
                    let at =
                        Label { x: x + KEY + 5.0, y: y + 9.0, anchor: "start", rotate: 0.0, class: "rn-legend-name" };
                    draw::label(out, &at, name, MAX_CHARS);
                }
            }
            Keys::Ramp { lo, hi, format } => ramp(out, chart_id, (x0, y0), (*lo, *hi), *format),
        }
        out.push_str("</g>");
    }
}

/// A gradient bar between the lowest and the highest value.
fn ramp(out: &mut String, chart_id: usize, (x, y): (f64, f64), (lo, hi): (f64, f64), format: AxisFormat) {
    let id = format!("rn-chart-{chart_id}-ramp");
    let _ = write!(out, r#"<defs><linearGradient id="{id}">"#);
    for i in 0..=8 {
        let t = f64::from(i) / 8.0;
        let _ = write!(out, r#"<stop offset="{t}" stop-color="{}"/>"#, viridis(t));
    }
    out.push_str("</linearGradient></defs>");
    let low = scale::format(lo, format);
    let low_width = low.chars().count() as f64 * CHAR;
    let at = Label { x: x + low_width, y: y + 9.0, anchor: "end", rotate: 0.0, class: "rn-legend-name" };
    draw::label(out, &at, &low, 16);
    let bar_x = x + low_width + 6.0;
    let _ = write!(
        out,
        r#"<rect class="rn-legend-ramp" x="{bar_x:.1}" y="{:.1}" width="{RAMP}" height="{KEY}" fill="url(#{id})"/>"#,
        y + 4.0
    );
    let at = Label { x: bar_x + RAMP + 6.0, y: y + 9.0, anchor: "start", rotate: 0.0, class: "rn-legend-name" };
    draw::label(out, &at, &scale::format(hi, format), 16);
}
