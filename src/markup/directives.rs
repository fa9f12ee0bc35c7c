//! Streamlit's inline directives in markdown text: emoji shortcodes (`:star:`), coloured text
//! (`:red[…]`), coloured backgrounds (`:red-background[…]`), badges (`:red-badge[…]`) and small
//! text (`:small[…]`). They become spans with `rn-…` classes (the Content-Security-Policy allows
//! no style attributes); `runnel.css` colours them for both themes. Code is left alone.
//! `:material/…:` icons are not supported: Runnel ships no icon font, so they stay literal.

use pulldown_cmark::{CowStr, Event, Tag, TagEnd};

/// The colours of Streamlit's `:color[…]` directives (`grey` is read as `gray`).
pub const COLOURS: &[&str] = &["red", "orange", "yellow", "green", "blue", "violet", "gray", "primary", "rainbow"];

/// Every class a directive can put on a `<span>`: the sanitizer allows exactly these.
pub fn classes() -> Vec<String> {
    let mut all = vec!["rn-small".to_owned(), "rn-badge".to_owned()];
    for colour in COLOURS {
        all.extend([format!("rn-color-{colour}"), format!("rn-bg-{colour}"), format!("rn-badge-{colour}")]);
    }
    all
}

/// What a `[` inside an open directive was: the directive's own bracket, or a literal one.
enum Bracket {
    Directive,
    Literal,
}

/// Rewrites the text events of a markdown stream. A directive still open at the end of its
/// paragraph (or heading, list item, table cell) is closed there.
pub fn apply<'a>(events: impl Iterator<Item = Event<'a>>) -> Vec<Event<'a>> {
    let mut out = Vec::new();
    let mut open: Vec<Bracket> = Vec::new();
    let mut in_code_block = false;
    for event in events {
        match event {
            Event::Start(Tag::CodeBlock(_)) => {
                in_code_block = true;
                out.push(event);
            }
            Event::End(TagEnd::CodeBlock) => {
                in_code_block = false;
                out.push(event);
            }
            Event::Text(text) if !in_code_block => scan(&text, &mut open, &mut out),
            Event::End(end) if is_block(end) => {
                close_all(&mut open, &mut out);
                out.push(event);
            }
            other => out.push(other),
        }
    }
    close_all(&mut open, &mut out);
    out
}

fn is_block(end: TagEnd) -> bool {
    !matches!(
        end,
        TagEnd::Emphasis
            | TagEnd::Strong
            | TagEnd::Strikethrough
            | TagEnd::Link
            | TagEnd::Image
            | TagEnd::Superscript
            | TagEnd::Subscript
    )
}

fn close_all<'a>(open: &mut Vec<Bracket>, out: &mut Vec<Event<'a>>) {
    while let Some(bracket) = open.pop() {
        if let Bracket::Directive = bracket {
            out.push(Event::InlineHtml("</span>".into()));
        }
    }
}

/// Splits one text into plain text, emoji and the opening and closing tags of directives.
fn scan<'a>(text: &str, open: &mut Vec<Bracket>, out: &mut Vec<Event<'a>>) {
    let mut plain = String::new();
    let mut rest = text;
    while let Some(c) = rest.chars().next() {
        if c == ':' {
            if let Some((tag, after)) = directive(rest) {
                flush(&mut plain, out);
                out.push(Event::InlineHtml(tag.into()));
                open.push(Bracket::Directive);
                rest = after;
                continue;
            }
            if let Some((emoji, after)) = shortcode(rest) {
                plain.push_str(emoji);
                rest = after;
                continue;
            }
        } else if c == '[' && !open.is_empty() {
            open.push(Bracket::Literal);
        } else if c == ']' && !open.is_empty() {
            rest = &rest[1..];
            if let Some(Bracket::Directive) = open.pop() {
                flush(&mut plain, out);
                out.push(Event::InlineHtml("</span>".into()));
            } else {
                plain.push(']');
            }
            continue;
        }
        plain.push(c);
        rest = &rest[c.len_utf8()..];
    }
    flush(&mut plain, out);
}

fn flush<'a>(plain: &mut String, out: &mut Vec<Event<'a>>) {
    if !plain.is_empty() {
        out.push(Event::Text(CowStr::from(std::mem::take(plain))));
    }
}

/// The longest directive name or emoji shortcode looked for: keeps a text full of colons linear.
const MAX_NAME: usize = 48;

/// The byte index of the first `needle` (ASCII) within the first [`MAX_NAME`] bytes.
fn find_near(body: &str, needle: u8) -> Option<usize> {
    body.bytes().take(MAX_NAME).position(|b| b == needle)
}

/// `:name[` at the start of `text`: the span that opens it and the text after the bracket.
fn directive(text: &str) -> Option<(String, &str)> {
    let body = &text[1..];
    let end = find_near(body, b'[')?;
    let name = &body[..end];
    let class = directive_class(name)?;
    Some((format!("<span class=\"{class}\">"), &body[end + 1..]))
}

fn directive_class(name: &str) -> Option<String> {
    if name == "small" {
        return Some("rn-small".to_owned());
    }
    let (colour, form) = match name.split_once('-') {
        Some((colour, form)) => (colour, Some(form)),
        None => (name, None),
    };
    let colour = if colour == "grey" { "gray" } else { colour };
    if !COLOURS.contains(&colour) {
        return None;
    }
    match form {
        None => Some(format!("rn-color-{colour}")),
        Some("background") => Some(format!("rn-bg-{colour}")),
        Some("badge") => Some(format!("rn-badge rn-badge-{colour}")),
        Some(_) => None,
    }
}

/// `:shortcode:` at the start of `text`: its emoji and the text after it.
fn shortcode(text: &str) -> Option<(&'static str, &str)> {
    let body = &text[1..];
    let end = find_near(body, b':')?;
    let name = &body[..end];
    let valid = !name.is_empty() && name.bytes().all(|b| b.is_ascii_alphanumeric() || b"_+-".contains(&b));
    if !valid {
        return None;
    }
    let emoji = emojis::get_by_shortcode(name)?;
    Some((emoji.as_str(), &body[end + 1..]))
}
