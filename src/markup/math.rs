//! `$…$` and `$$…$$` in markdown to MathML, drawn by the browser itself (no script, no font
//! download). A formula that does not parse shows as an `<merror>` with its source. The looks
//! that pulldown-latex writes as `style` attributes (which the sanitizer drops and the
//! Content-Security-Policy would block) are rewritten as MathML attributes or classes first.

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
        Ok(()) => restyled(&out),
        // Writing into a String cannot fail; should it, the source is shown as text.
        Err(_) => format!("<code>{}</code>", pulldown_cmark_escape_text(tex)),
    }
}

/// `mathml` with each `style` attribute replaced by what means the same without CSS: colours
/// become `mathcolor`/`mathbackground`, a negative space's `margin-left` a class
/// `rn-math-back-N` (N in math units, 1/18 em, up to 18); anything else (borders of `\boxed`,
/// row heights of `\\[…]`) is left out.
fn restyled(mathml: &str) -> String {
    const STYLE: &str = " style=\"";
    let mut out = String::with_capacity(mathml.len());
    let mut rest = mathml;
    while let Some(at) = rest.find(STYLE) {
        out.push_str(&rest[..at]);
        let after = &rest[at + STYLE.len()..];
        let end = after.find('"').unwrap_or(after.len());
        for declaration in after[..end].split(';') {
            out.push_str(&attribute(declaration.trim()).unwrap_or_default());
        }
        rest = after.get(end + 1..).unwrap_or_default();
    }
    out.push_str(rest);
    out
}

fn attribute(declaration: &str) -> Option<String> {
    let (name, value) = declaration.split_once(':')?;
    match name.trim() {
        "color" => Some(format!(" mathcolor=\"{}\"", hex(value)?)),
        "background-color" => Some(format!(" mathbackground=\"{}\"", hex(value)?)),
        "margin-left" => Some(format!(" class=\"rn-math-back-{}\"", back_mu(value)?)),
        _ => None,
    }
}

/// `rgb(255 0 0)` as `#ff0000`.
fn hex(value: &str) -> Option<String> {
    let inner = value.trim().strip_prefix("rgb(")?.strip_suffix(')')?;
    let parts: Vec<u8> = inner.split_whitespace().map(str::parse).collect::<Result<_, _>>().ok()?;
    let [r, g, b] = parts[..] else { return None };
    Some(format!("#{r:02x}{g:02x}{b:02x}"))
}

/// A negative length as math units (1/18 em) from 1 to 18. pulldown-latex writes math units
/// already converted to em (with the unit `mu`).
fn back_mu(value: &str) -> Option<u32> {
    let value = value.trim().strip_prefix('-')?;
    let split = value.find(|c: char| !(c.is_ascii_digit() || c == '.'))?;
    let (number, unit) = value.split_at(split);
    let em = number.parse::<f64>().ok()?
        * match unit {
            "em" | "mu" => 1.0,
            "ex" => 0.5,
            "pt" => 0.1,
            _ => return None,
        };
    Some(((em * 18.0).round() as u32).clamp(1, 18))
}

fn pulldown_cmark_escape_text(text: &str) -> String {
    text.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn styles_become_math_attributes_and_classes() {
        let colored = mathml("\\color{red} x", DisplayMode::Inline);
        assert!(colored.contains("mathcolor=\"#ff0000\""), "{colored}");
        assert!(!colored.contains("style="), "{colored}");
        let tight = mathml("a\\!b", DisplayMode::Inline);
        assert!(tight.contains("class=\"rn-math-back-3\""), "{tight}");
        assert!(!tight.contains("style="), "{tight}");
    }
}
