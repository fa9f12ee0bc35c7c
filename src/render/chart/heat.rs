//! Heatmaps: a cell per x and y category, shaded with viridis by its value (values of one cell
//! add up), a tooltip per cell, and a colour ramp for a legend.

use std::fmt::Write;

use super::HEIGHT;
use super::draw;
use super::layout::{self, AXIS_TITLE, Frame};
use super::legend::{self, Keys};
use super::scale::{self, Scale, exact, span};
use crate::page::{AxisFormat, Chart};

const ROW: f64 = 20.0;
const MAX_HEIGHT: f64 = 4000.0;

/// Viridis at `t` in 0..=1 (dark violet to yellow): ordered by lightness, so it reads in both
/// themes and for colour-blind viewers.
pub fn viridis(t: f64) -> String {
    const STOPS: [(u8, u8, u8); 9] = [
        (68, 1, 84),
        (71, 44, 122),
        (59, 81, 139),
        (44, 113, 142),
        (33, 144, 141),
        (39, 173, 129),
        (92, 200, 99),
        (170, 220, 50),
        (253, 231, 37),
    ];
    let t = if t.is_finite() { t.clamp(0.0, 1.0) } else { 0.5 };
    let at = t * (STOPS.len() - 1) as f64;
    let i = (at.floor() as usize).min(STOPS.len() - 2);
    let f = at - i as f64;
    let mix = |a: u8, b: u8| (f64::from(a) + (f64::from(b) - f64::from(a)) * f).round() as u8;
    let (a, b) = (STOPS[i], STOPS[i + 1]);
    format!("#{:02x}{:02x}{:02x}", mix(a.0, b.0), mix(a.1, b.1), mix(a.2, b.2))
}

/// Each cell's sum, row by row (`None` where no value falls).
fn cells(chart: &Chart, columns: usize, rows: usize) -> Vec<Option<f64>> {
    let mut cells = vec![None; columns * rows];
    for s in &chart.series {
        let shades = s.shades.as_deref().unwrap_or_default();
        for (&(x, y), v) in s.points.iter().zip(shades) {
            let (x, y) = (x as usize, y as usize);
            if x < columns && y < rows {
                let cell = &mut cells[y * columns + x];
                *cell = Some(cell.unwrap_or(0.0) + v);
            }
        }
    }
    cells
}

/// Draws the heatmap into `out`; returns the drawing's height.
pub fn draw(chart: &Chart, out: &mut String, width: f64, notes: &mut Vec<String>) -> f64 {
    let xs = chart.categories.as_deref().unwrap_or_default();
    let ys = chart.y_categories.as_deref().unwrap_or_default();
    let cells = cells(chart, xs.len(), ys.len());
    let (lo, hi) = span(cells.iter().flatten().copied());
    let legend = legend::place(Keys::Ramp { lo, hi, format: chart.y_format }, chart.legend, width);
    let height = (ys.len() as f64 * ROW + 80.0 + legend.top + legend.bottom).clamp(HEIGHT, MAX_HEIGHT);
    let titled = |text: &str| if text.is_empty() { 0.0 } else { AXIS_TITLE };
    let left = (layout::left_room(ys).min(width * 0.4) + titled(&chart.y_label)).max(40.0);
    let right = width - 16.0 - legend.right;
    let fit = layout::fit_bottom(xs, (right - left) / xs.len().max(1) as f64);
    let left = left.max(fit.overhang - (right - left) / xs.len().max(1) as f64 / 2.0 + 6.0);
    let top = 10.0 + legend.top;
    let bottom = height - legend.bottom - titled(&chart.x_label) - fit.room;
    let frame = Frame { left, top, right, bottom };
    let x = Scale::new((-0.5, xs.len() as f64 - 0.5), (left, right));
    let y = Scale::new((-0.5, ys.len() as f64 - 0.5), (top, bottom));
    let (w, h) = (x.unit(), y.unit());
    out.push_str(r#"<g class="rn-plot">"#);
    for (i, value) in cells.iter().enumerate() {
        let Some(value) = value else { continue };
        let (cx, cy) = (i % xs.len().max(1), i / xs.len().max(1));
        let fill = viridis((value - lo) / (hi - lo));
        let _ = write!(
            out,
            r#"<rect class="rn-cell" x="{:.1}" y="{:.1}" width="{w:.1}" height="{h:.1}" fill="{fill}">"#,
            x.px(cx as f64) - w / 2.0,
            y.px(cy as f64) - h / 2.0
        );
        let shown = match chart.y_format {
            AxisFormat::Compact => exact(*value),
            format => scale::format(*value, format),
        };
        draw::tip(out, &format!("{} · {}: {shown}", xs[cx], ys[cy]));
        out.push_str("</rect>");
    }
    layout::bottom_categories(out, xs, fit, |i| x.px(i as f64), bottom);
    let every = layout::every_left(h);
    layout::left_categories(out, ys, every, |i| y.px(i as f64), left);
    for (thinned, axis) in [(fit.every, &chart.x_label), (every, &chart.y_label)] {
        if thinned > 1 {
            notes.push(layout::thinned_note(thinned, axis));
        }
    }
    layout::axis_title(out, &chart.x_label, frame, true, height - legend.bottom - 8.0);
    layout::axis_title(out, &chart.y_label, frame, false, 12.0);
    out.push_str("</g>");
    legend.draw(out, chart.id, top, width, height);
    height
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn viridis_runs_from_violet_to_yellow() {
        assert_eq!(viridis(0.0), "#440154");
        assert_eq!(viridis(1.0), "#fde725");
        assert_eq!(viridis(f64::NAN), viridis(0.5));
    }
}
