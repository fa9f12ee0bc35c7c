//! The few SVG elements every chart writes: text that fits (shortened, with its full text in a
//! `<title>`), tooltips, and the series' colour attributes.

use std::fmt::Write;

use super::{PALETTE, escape};

/// Font size of all chart text, in SVG units.
pub const FONT: f64 = 12.0;
/// A generous average width of one character at [`FONT`] (wide enough for capitals), so that
/// text measured with it does not overlap once the browser lays it out.
pub const CHAR: f64 = 7.6;

/// The width `text` takes, measured as [`CHAR`] per character.
pub fn text_width(text: &str) -> f64 {
    text.chars().count() as f64 * CHAR
}

/// `text` cut to `max` characters with an ellipsis.
pub fn shortened(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        text.to_owned()
    } else {
        text.chars().take(max.saturating_sub(1)).chain(['…']).collect()
    }
}

/// Where and how a label is written.
pub struct Label<'a> {
    pub x: f64,
    pub y: f64,
    /// `start`, `middle` or `end`.
    pub anchor: &'a str,
    /// Degrees, around the anchor point.
    pub rotate: f64,
    pub class: &'a str,
}

/// A `<text>` of `text` shortened to `max` characters; a shortened label keeps its full text
/// in a `<title>`.
pub fn label(out: &mut String, at: &Label, text: &str, max: usize) {
    let short = shortened(text, max);
    let _ = write!(
        out,
        r#"<text class="{}" x="{:.1}" y="{:.1}" text-anchor="{}" dy="0.35em" fill="currentColor""#,
        at.class, at.x, at.y, at.anchor
    );
    if at.rotate != 0.0 {
        let _ = write!(out, r#" transform="rotate({} {:.1} {:.1})""#, at.rotate, at.x, at.y);
    }
    out.push('>');
    if short != text {
        tip(out, text);
    }
    out.push_str(&escape(&short));
    out.push_str("</text>");
}

/// A tooltip: the `<title>` child of the element just opened.
pub fn tip(out: &mut String, text: &str) {
    out.push_str("<title>");
    out.push_str(&escape(text));
    out.push_str("</title>");
}

/// The class and fallback fill/stroke of series `i`.
pub fn series_paint(i: usize) -> (usize, &'static str) {
    let slot = i % PALETTE.len();
    (slot, PALETTE[slot])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_shortened_label_keeps_its_full_text_in_a_title() {
        let mut out = String::new();
        let at = Label { x: 1.0, y: 2.0, anchor: "end", rotate: -45.0, class: "rn-tick" };
        label(&mut out, &at, "A very long category name", 10);
        assert!(out.contains("<title>A very long category name</title>A very lo…</text>"), "{out}");
        assert!(out.contains(r#"transform="rotate(-45 1.0 2.0)""#));
    }
}
