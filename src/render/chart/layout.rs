//! Axes: how category labels fit (flat, turned 45° or 90°, or every n-th with a note), how much
//! room tick labels take, and drawing the ticks, grid lines and axis titles.

use std::fmt::Write;

use super::draw::{self, CHAR, FONT, Label};
use super::scale::Scale;

/// Longest category label before it is shortened (full text in its `<title>`).
pub const MAX_LABEL: usize = 20;
/// Room for an axis title.
pub const AXIS_TITLE: f64 = 20.0;

/// How the labels of a category axis along the bottom fit their bands.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Fit {
    /// 0, -45 or -90 degrees.
    pub rotate: f64,
    /// Every n-th label is written (1: all of them).
    pub every: usize,
    /// Height the labels take below the axis.
    pub room: f64,
    /// How far the first label reaches left of its band's centre.
    pub overhang: f64,
}

fn longest(labels: &[String]) -> f64 {
    labels.iter().map(|l| draw::text_width(&draw::shortened(l, MAX_LABEL))).fold(0.0, f64::max)
}

/// Fits `labels` under bands `band` pixels wide.
pub fn fit_bottom(labels: &[String], band: f64) -> Fit {
    let long = longest(labels);
    let line = FONT + 2.0;
    if long + 10.0 <= band {
        return Fit { rotate: 0.0, every: 1, room: line + 8.0, overhang: long / 2.0 };
    }
    // A turned label needs its line height across the band: 1.41 lines at 45°, 1 at 90°.
    if band >= line * 1.42 {
        let diagonal = long * std::f64::consts::FRAC_1_SQRT_2;
        return Fit { rotate: -45.0, every: 1, room: diagonal + line + 6.0, overhang: diagonal };
    }
    let every = (line / band).ceil().max(1.0) as usize;
    Fit { rotate: -90.0, every, room: long + 12.0, overhang: line / 2.0 }
}

/// How many labels of a category axis along the left side fit bands `band` pixels high.
pub fn every_left(band: f64) -> usize {
    ((FONT + 2.0) / band).ceil().max(1.0) as usize
}

/// The room labels along the left side take.
pub fn left_room(labels: &[String]) -> f64 {
    longest(labels) + 10.0
}

/// The note for thinned category labels.
pub fn thinned_note(every: usize, axis: &str) -> String {
    format!("Every {every}th label of {axis} is written (too many to fit); each mark's tooltip names its category.")
}

/// Category labels under the plot: `at(i)` is the centre of band `i`, `y` the axis line.
pub fn bottom_categories(out: &mut String, labels: &[String], fit: Fit, at: impl Fn(usize) -> f64, y: f64) {
    out.push_str(r#"<g class="rn-axis rn-axis-x">"#);
    for (i, name) in labels.iter().enumerate().step_by(fit.every) {
        let x = at(i);
        let (anchor, y) = if fit.rotate == 0.0 { ("middle", y + 12.0) } else { ("end", y + 8.0) };
        let at = Label { x, y, anchor, rotate: fit.rotate, class: "rn-tick" };
        draw::label(out, &at, name, MAX_LABEL);
    }
    out.push_str("</g>");
}

/// Category labels left of the plot: `at(i)` is the middle of band `i`, `x` the axis line.
pub fn left_categories(out: &mut String, labels: &[String], every: usize, at: impl Fn(usize) -> f64, x: f64) {
    out.push_str(r#"<g class="rn-axis rn-axis-y">"#);
    for (i, name) in labels.iter().enumerate().step_by(every) {
        let at = Label { x: x - 6.0, y: at(i), anchor: "end", rotate: 0.0, class: "rn-tick" };
        draw::label(out, &at, name, MAX_LABEL);
    }
    out.push_str("</g>");
}

/// The plot box in pixels.
#[derive(Debug, Clone, Copy)]
pub struct Frame {
    pub left: f64,
    pub top: f64,
    pub right: f64,
    pub bottom: f64,
}

/// Number ticks with grid lines across the plot, along the left (`vertical`) or the bottom.
pub fn value_ticks(out: &mut String, frame: Frame, scale: &Scale, ticks: &[(f64, String)], vertical: bool) {
    out.push_str(if vertical { r#"<g class="rn-axis rn-axis-y">"# } else { r#"<g class="rn-axis rn-axis-x">"# });
    for (value, text) in ticks {
        let p = scale.px(*value);
        if vertical {
            let _ = write!(
                out,
                r#"<line class="rn-grid" x1="{:.1}" x2="{:.1}" y1="{p:.1}" y2="{p:.1}" stroke="currentColor" stroke-opacity="0.15"/>"#,
                frame.left, frame.right
            );
            let at = Label { x: frame.left - 6.0, y: p, anchor: "end", rotate: 0.0, class: "rn-tick" };
            draw::label(out, &at, text, 16);
        } else {
            let _ = write!(
                out,
                r#"<line class="rn-grid" x1="{p:.1}" x2="{p:.1}" y1="{:.1}" y2="{:.1}" stroke="currentColor" stroke-opacity="0.15"/>"#,
                frame.top, frame.bottom
            );
            let at = Label { x: p, y: frame.bottom + 12.0, anchor: "middle", rotate: 0.0, class: "rn-tick" };
            draw::label(out, &at, text, 16);
        }
    }
    out.push_str("</g>");
}

/// Room the value tick labels take left of the plot.
pub fn ticks_room(ticks: &[(f64, String)]) -> f64 {
    ticks.iter().map(|(_, t)| t.chars().count() as f64 * CHAR).fold(0.0, f64::max) + 10.0
}

/// The axis lines along the bottom and the left of the plot.
pub fn axis_lines(out: &mut String, frame: Frame) {
    let _ = write!(
        out,
        r#"<path class="rn-axis-line" d="M{:.1},{:.1}V{:.1}H{:.1}" fill="none" stroke="currentColor" stroke-opacity="0.5"/>"#,
        frame.left, frame.top, frame.bottom, frame.right
    );
}

/// An axis title under the plot (`bottom`) or turned along its left side.
pub fn axis_title(out: &mut String, text: &str, frame: Frame, bottom: bool, at: f64) {
    if text.is_empty() {
        return;
    }
    let (x, y, rotate, max) = if bottom {
        ((frame.left + frame.right) / 2.0, at, 0.0, ((frame.right - frame.left) / CHAR) as usize)
    } else {
        (at, (frame.top + frame.bottom) / 2.0, -90.0, ((frame.bottom - frame.top) / CHAR) as usize)
    };
    let label = Label { x, y, anchor: "middle", rotate, class: "rn-axis-title" };
    draw::label(out, &label, text, max.max(4));
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(n: usize, len: usize) -> Vec<String> {
        (0..n).map(|i| format!("{i:0len$}")).collect()
    }

    #[test]
    fn labels_that_fit_stay_flat_then_turn_then_thin_out_with_a_note() {
        assert_eq!(fit_bottom(&names(5, 3), 100.0).rotate, 0.0);
        let turned = fit_bottom(&names(30, 12), 20.0);
        assert_eq!((turned.rotate, turned.every), (-45.0, 1));
        let upright = fit_bottom(&names(60, 12), 15.0);
        assert_eq!((upright.rotate, upright.every), (-90.0, 1));
        let thinned = fit_bottom(&names(400, 12), 1.5);
        assert_eq!((thinned.rotate, thinned.every), (-90.0, 10));
    }
}
