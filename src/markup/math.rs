//! `$…$` and `$$…$$` in markdown to MathML, drawn by the browser itself (no script, no font
//! download). A formula that does not parse shows as an `<merror>` with its source.

use pulldown_cmark::Event;
use pulldown_latex::{Parser, RenderConfig, Storage, config::DisplayMode};

/// Turns pulldown-cmark's math events into MathML; every other event passes through.
pub fn to_mathml(event: Event<'_>) -> Event<'_> {
    match event {
        Event::InlineMath(tex) => Event::InlineHtml(mathml(&tex, DisplayMode::Inline).into()),
        Event::DisplayMath(tex) => Event::InlineHtml(mathml(&tex, DisplayMode::Block).into()),
        other => other,
    }
}

/// One formula as a `<math>` element. The sanitizer runs over it afterwards like over all
/// markdown output.
pub fn mathml(tex: &str, display_mode: DisplayMode) -> String {
    let storage = Storage::new();
    let parser = Parser::new(tex, &storage);
    let config = RenderConfig { display_mode, ..RenderConfig::default() };
    let mut out = String::new();
    match pulldown_latex::push_mathml(&mut out, parser, config) {
        Ok(()) => out,
        // Writing into a String cannot fail; should it, the source is shown as text.
        Err(_) => format!("<code>{}</code>", pulldown_cmark_escape_text(tex)),
    }
}

fn pulldown_cmark_escape_text(text: &str) -> String {
    text.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;")
}
